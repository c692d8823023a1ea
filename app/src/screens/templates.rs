//! The template gallery (UI-003): search, filters by platform, industry and style, sort tabs
//! (all, trending, new), and "Use template" into a project as a new creative.

use dioxus::prelude::*;
use editor_core::format::FormatPreset;
use serde_json::{Value, json};

use crate::api::{self, ApiError};
use crate::components::{Empty, ErrorBox, Field, Loading, Modal, PageHeader};
use crate::i18n::{t, tf};
use crate::route::{Route, navigate};
use crate::screens::generate::{
    ProblemBox, ProjectSelect, items, label_or, preset_from_key, preset_key, preset_label, sleep, text,
};

/// Sort orders the server knows, with their tab labels.
const SORTS: [(&str, &str); 3] =
    [("relevance", "templates.sort_all"), ("trending", "templates.sort_trending"), ("new", "templates.sort_new")];
/// Search waits this long after the last key press.
const DEBOUNCE_MS: i32 = 300;
/// Templates per page.
const LIMIT: u32 = 60;

/// Facet values to filter by, from the last answer.
#[derive(Clone, Debug, Default, PartialEq)]
struct Facets {
    platforms: Vec<String>,
    industries: Vec<String>,
    styles: Vec<String>,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

/// A platform facet's label: a preset key ("Instagram · Post · 1080 × 1080") or a platform key.
fn platform_label(key: &str) -> String {
    match preset_from_key(key) {
        Some(p) => preset_label(p),
        None => label_or("generate.platform", key),
    }
}

/// The canvas of a template's first preset (for the thumbnail's intrinsic size).
fn template_size(template: &Value) -> (u32, u32) {
    strings(&template["platforms"])
        .iter()
        .find_map(|k| preset_from_key(k))
        .map(|p| {
            let f = p.format();
            (f.width, f.height)
        })
        .unwrap_or((1080, 1080))
}

/// The template gallery.
#[component]
pub fn Templates() -> Element {
    let mut search = use_signal(String::new);
    let mut query = use_signal(String::new);
    let mut typed = use_signal(|| 0_u64);
    let mut platform = use_signal(String::new);
    let mut industry = use_signal(String::new);
    let mut style = use_signal(String::new);
    let mut sort = use_signal(|| SORTS[0].0.to_owned());
    let mut facets = use_signal(Facets::default);
    let mut using = use_signal(|| None::<Value>);

    let mut results = use_resource(move || {
        let path = format!(
            "/templates?q={}&platform={}&industry={}&style={}&sort={}&limit={LIMIT}",
            api::encode(&query()),
            api::encode(&platform()),
            api::encode(&industry()),
            api::encode(&style()),
            api::encode(&sort()),
        );
        async move {
            let v: Value = api::get(&path).await?;
            let f = &v["facets"];
            let fresh = Facets {
                platforms: strings(&f["platforms"]),
                industries: strings(&f["industries"]),
                styles: strings(&f["styles"]),
            };
            if fresh != *facets.peek() {
                facets.set(fresh);
            }
            Ok::<_, ApiError>(items(&v))
        }
    });

    let filtered = !query().is_empty() || !platform().is_empty() || !industry().is_empty() || !style().is_empty();
    let mut clear = move || {
        search.set(String::new());
        query.set(String::new());
        platform.set(String::new());
        industry.set(String::new());
        style.set(String::new());
    };

    let on_search_input = move |e: FormEvent| {
        let value = e.value();
        search.set(value.clone());
        let ticket = *typed.peek() + 1;
        typed.set(ticket);
        spawn(async move {
            sleep(DEBOUNCE_MS).await;
            if *typed.peek() == ticket && *query.peek() != value {
                query.set(value);
            }
        });
    };
    let on_search_submit = move |e: FormEvent| {
        e.prevent_default();
        typed += 1;
        query.set(search());
    };

    let f = facets();
    let grid = match &*results.read() {
        None => rsx! { Loading {} },
        Some(Err(e)) => rsx! {
            ErrorBox { error: Some(e.clone()) }
            button { class: "btn", r#type: "button", onclick: move |_| results.restart(), {t("common.retry")} }
        },
        Some(Ok(list)) if list.is_empty() => rsx! {
            Empty {
                title: if filtered { t("templates.empty_filtered") } else { t("templates.empty") },
                hint: if filtered { t("templates.empty_filtered_hint") } else { t("templates.empty_hint") },
                if filtered {
                    button { id: "clear-filters", class: "btn", r#type: "button", onclick: move |_| clear(),
                        {t("templates.clear_filters")}
                    }
                }
            }
        },
        Some(Ok(list)) => {
            let count = list.len();
            rsx! {
                p { class: "hint", role: "status", {tf("templates.count", &[("count", &count.to_string())])} }
                ul { id: "template-grid", class: "grid template-grid",
                    for tpl in list.iter().cloned() {
                        {
                            let id = text(&tpl, "id");
                            let name = text(&tpl, "name");
                            let thumb = text(&tpl, "thumbnail_url");
                            let (w, h) = template_size(&tpl);
                            let uses = tpl["uses"].as_i64().unwrap_or_default();
                            let mut tags: Vec<String> = strings(&tpl["industries"])
                                .iter()
                                .map(|k| label_or("generate.industry", k))
                                .collect();
                            tags.extend(strings(&tpl["styles"]).iter().map(|k| label_or("generate.style", k)));
                            tags.truncate(5);
                            let heading_id = format!("template-{id}-name");
                            let chosen = tpl.clone();
                            rsx! {
                                li { key: "{id}", class: "card template-card",
                                    if thumb.is_empty() {
                                        div { class: "thumb template-thumb", role: "img", "aria-label": "{name}" }
                                    } else {
                                        img {
                                            class: "thumb template-thumb",
                                            src: "{thumb}",
                                            alt: "{name}",
                                            loading: "lazy",
                                            width: "{w}",
                                            height: "{h}",
                                        }
                                    }
                                    h2 { id: "{heading_id}", class: "template-name", "{name}" }
                                    if !tags.is_empty() {
                                        ul { class: "row tags", "aria-label": t("templates.tags"),
                                            for tag in tags {
                                                li { class: "badge", "{tag}" }
                                            }
                                        }
                                    }
                                    if uses > 0 {
                                        p { class: "hint", {tf("templates.uses", &[("count", &uses.to_string())])} }
                                    }
                                    button {
                                        class: "btn primary use-template",
                                        r#type: "button",
                                        "data-id": "{id}",
                                        "aria-label": tf("templates.use_named", &[("name", &name)]),
                                        onclick: move |_| using.set(Some(chosen.clone())),
                                        {t("templates.use")}
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };

    let active = sort();
    rsx! {
        PageHeader { title: t("templates.title"), subtitle: t("templates.subtitle") }
        form { class: "template-search", role: "search", onsubmit: on_search_submit,
            div { class: "field",
                label { r#for: "template-search", {t("templates.search")} }
                div { class: "row search-row",
                    input {
                        id: "template-search",
                        name: "q",
                        r#type: "search",
                        value: "{search}",
                        placeholder: t("templates.search_placeholder"),
                        oninput: on_search_input,
                    }
                    button { class: "btn", r#type: "submit", {t("templates.search_submit")} }
                }
            }
        }
        div { class: "form-row template-filters",
            FacetSelect {
                id: "filter-platform",
                label: t("templates.platform"),
                value: platform,
                options: f.platforms.iter().map(|k| (k.clone(), platform_label(k))).collect::<Vec<_>>(),
            }
            FacetSelect {
                id: "filter-industry",
                label: t("templates.industry"),
                value: industry,
                options: f.industries.iter().map(|k| (k.clone(), label_or("generate.industry", k))).collect::<Vec<_>>(),
            }
            FacetSelect {
                id: "filter-style",
                label: t("templates.style"),
                value: style,
                options: f.styles.iter().map(|k| (k.clone(), label_or("generate.style", k))).collect::<Vec<_>>(),
            }
        }
        div { class: "tabs", role: "tablist", "aria-label": t("templates.sort"),
            for (key, label) in SORTS {
                button {
                    id: "tab-{key}",
                    role: "tab",
                    r#type: "button",
                    "aria-selected": if active == key { "true" } else { "false" },
                    "aria-controls": "template-results",
                    tabindex: if active == key { "0" } else { "-1" },
                    onclick: move |_| sort.set(key.to_owned()),
                    onkeydown: move |e: KeyboardEvent| {
                        let i = SORTS.iter().position(|(k, _)| *k == key).unwrap_or(0);
                        let next = match e.key() {
                            Key::ArrowRight => Some((i + 1) % SORTS.len()),
                            Key::ArrowLeft => Some((i + SORTS.len() - 1) % SORTS.len()),
                            _ => None,
                        };
                        if let Some(n) = next {
                            e.prevent_default();
                            sort.set(SORTS[n].0.to_owned());
                            focus(&format!("tab-{}", SORTS[n].0));
                        }
                    },
                    {t(label)}
                }
            }
        }
        div { id: "template-results", role: "tabpanel", "aria-labelledby": "tab-{active}", {grid} }
        if let Some(tpl) = using() {
            UseTemplateDialog { template: tpl, on_close: move |_| using.set(None) }
        }
    }
}

/// Moves keyboard focus to an element (tab keyboard navigation).
fn focus(id: &str) {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsCast as _;
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = id;
}

/// A filter select with an "All" option.
#[component]
fn FacetSelect(id: String, label: String, value: Signal<String>, options: Vec<(String, String)>) -> Element {
    let mut chosen = value;
    let current = chosen();
    // Keep a chosen value that the latest facets no longer list, so the select shows it.
    let missing = !current.is_empty() && !options.iter().any(|(k, _)| *k == current);
    rsx! {
        div { class: "field",
            label { r#for: "{id}", "{label}" }
            select { id: "{id}", value: "{current}", onchange: move |e| chosen.set(e.value()),
                option { value: "", selected: current.is_empty(), {t("templates.all")} }
                if missing {
                    option { value: "{current}", selected: true, "{current}" }
                }
                for (key, text) in options {
                    option { key: "{key}", selected: key == current, value: "{key}", "{text}" }
                }
            }
        }
    }
}

/// "Use template": pick a project and a format, then open the new creative.
#[component]
fn UseTemplateDialog(template: Value, on_close: EventHandler<()>) -> Element {
    let template_id = text(&template, "id");
    let name = text(&template, "name");
    let fits: Vec<FormatPreset> = strings(&template["platforms"]).iter().filter_map(|k| preset_from_key(k)).collect();
    let presets: Vec<FormatPreset> = if fits.is_empty() { FormatPreset::ALL.to_vec() } else { fits };
    let first = presets.first().map(|p| preset_key(*p)).unwrap_or_default();
    let project = use_signal(String::new);
    let creative_name = use_signal(|| name.clone());
    let mut preset = use_signal(|| first);
    let mut busy = use_signal(|| false);
    let mut error = use_signal(|| None::<ApiError>);

    let submit = move |e: FormEvent| {
        e.prevent_default();
        if busy() {
            return;
        }
        let project_id = project();
        if project_id.is_empty() {
            error.set(Some(ApiError {
                status: 422,
                kind: "validation".into(),
                title: t("templates.no_project_title"),
                detail: t("templates.no_project"),
                fields: Vec::new(),
            }));
            return;
        }
        let mut body = json!({ "project_id": project_id });
        if !preset().is_empty() {
            body["preset"] = Value::String(preset());
        }
        let given = creative_name().trim().to_owned();
        if !given.is_empty() {
            body["name"] = Value::String(given);
        }
        let path = format!("/templates/{template_id}/use");
        busy.set(true);
        error.set(None);
        spawn(async move {
            match api::post::<Value>(&path, &body).await {
                Ok(v) if !text(&v, "id").is_empty() => {
                    crate::state::bump();
                    busy.set(false);
                    on_close.call(());
                    navigate(Route::Creative { id: text(&v, "id") });
                }
                Ok(_) => {
                    busy.set(false);
                    error.set(Some(ApiError {
                        status: 200,
                        kind: "unexpected-answer".into(),
                        title: t("templates.unexpected_title"),
                        detail: t("templates.unexpected"),
                        fields: Vec::new(),
                    }));
                }
                Err(e) => {
                    busy.set(false);
                    error.set(Some(e));
                }
            }
        });
    };

    rsx! {
        Modal {
            id: "use-template",
            title: tf("templates.use_title", &[("name", &name)]),
            on_close: move |_| on_close.call(()),
            form { class: "stack", novalidate: true, onsubmit: submit,
                ProjectSelect { id: "use-project", create_id: "use-create-project", value: project }
                div { class: "field",
                    label { r#for: "use-preset", {t("templates.format")} }
                    select { id: "use-preset", value: "{preset}", onchange: move |e| preset.set(e.value()),
                        for p in presets {
                            option { value: preset_key(p), selected: preset_key(p) == preset(), {preset_label(p)} }
                        }
                    }
                }
                Field { id: "use-name", label: t("templates.name"), value: creative_name }
                ProblemBox { error: error() }
                div { class: "row",
                    button { id: "use-submit", class: "btn primary", r#type: "submit", disabled: busy(),
                        if busy() { {t("templates.using")} } else { {t("templates.use_submit")} }
                    }
                    button { class: "btn ghost", r#type: "button", onclick: move |_| on_close.call(()),
                        {t("common.cancel")}
                    }
                }
            }
        }
    }
}
