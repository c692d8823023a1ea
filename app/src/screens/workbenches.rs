//! Workbenches → projects → creatives: the team's workbenches, one workbench with its projects
//! and brand kit editor, and one project with its creatives. Deleting is soft on the server, so
//! every delete offers an "Undo" that restores the item.

use dioxus::prelude::*;
use serde_json::{Value, json};

use crate::api::{self, ApiError};
use crate::components::{Empty, ErrorBox, Field, Loading, Modal, Notice, PageHeader};
use crate::i18n::{self, t, tf};
use crate::route::{Link, Route};
use crate::state;

/// Most colours the brand kit editor offers.
pub const MAX_COLORS: usize = 12;
/// Most logos a brand kit holds (the server's limit).
pub const MAX_LOGOS: usize = 5;

/// The team's workbenches: cards with rename and delete, and a form to create one.
#[component]
pub fn Workbenches() -> Element {
    let team = state::team_id();
    let mut list = use_resource(move || async move {
        let _ = state::REFRESH();
        let Some(team) = state::team_id() else {
            return Err(ApiError::offline());
        };
        api::get::<Value>(&format!("/teams/{team}/workbenches?limit=100")).await
    });
    let mut name = use_signal(String::new);
    let mut description = use_signal(String::new);
    let mut name_error = use_signal(|| None::<String>);
    let mut create_error = use_signal(|| None::<ApiError>);
    let mut creating = use_signal(|| false);
    let mut renaming = use_signal(|| None::<(String, String)>);
    let mut deleting = use_signal(|| None::<(String, String)>);
    let mut undo = use_signal(|| None::<(String, String)>);

    let create = move |e: FormEvent| {
        e.prevent_default();
        let value = name().trim().to_owned();
        if value.is_empty() {
            name_error.set(Some(t("workbenches.name_required")));
            return;
        }
        name_error.set(None);
        let Some(team) = state::team_id() else { return };
        let desc = description().trim().to_owned();
        creating.set(true);
        create_error.set(None);
        spawn(async move {
            let body = json!({ "name": value, "description": desc });
            match api::post::<Value>(&format!("/teams/{team}/workbenches"), &body).await {
                Ok(w) => {
                    name.set(String::new());
                    description.set(String::new());
                    state::toast(tf("workbenches.created", &[("name", w["name"].as_str().unwrap_or_default())]));
                    list.restart();
                }
                Err(e) => create_error.set(Some(e)),
            }
            creating.set(false);
        });
    };

    let body = match &*list.read() {
        None => rsx! { Loading {} },
        Some(Err(e)) => rsx! {
            ErrorBox { error: Some(e.clone()) }
            button { class: "btn", r#type: "button", onclick: move |_| list.restart(), {t("common.retry")} }
        },
        Some(Ok(v)) => {
            let items = v["items"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                rsx! {
                    Empty { title: t("workbenches.empty_title"), hint: Some(t("workbenches.empty_hint")) }
                }
            } else {
                rsx! {
                    ul { class: "grid wide plain-list",
                        for w in items {
                            WorkbenchCard {
                                key: "{w[\"id\"].as_str().unwrap_or_default()}",
                                workbench: w.clone(),
                                on_rename: move |pair| renaming.set(Some(pair)),
                                on_delete: move |pair| deleting.set(Some(pair)),
                            }
                        }
                    }
                    if v["next_cursor"].is_string() {
                        p { class: "hint", {t("workbenches.more_exist")} }
                    }
                }
            }
        }
    };

    rsx! {
        PageHeader { title: t("workbenches.title"), subtitle: Some(t("workbenches.subtitle")) }
        if team.is_none() {
            Notice { kind: "warning", {t("workbenches.no_team")} }
        }
        if let Some((id, wname)) = undo() {
            UndoNotice {
                message: tf("workbenches.deleted", &[("name", &wname)]),
                restore_path: format!("/workbenches/{id}/restore"),
                on_done: move |_| {
                    undo.set(None);
                    list.restart();
                },
                on_dismiss: move |_| undo.set(None),
            }
        }
        section { "aria-labelledby": "workbench-list-title",
            h2 { id: "workbench-list-title", {t("workbenches.list_title")} }
            {body}
        }
        section { class: "card form", "aria-labelledby": "workbench-create-title",
            h2 { id: "workbench-create-title", {t("workbenches.create_title")} }
            form { onsubmit: create, novalidate: true,
                Field {
                    id: "workbench-name",
                    label: t("common.name"),
                    value: name,
                    required: true,
                    error: name_error(),
                }
                Field {
                    id: "workbench-description",
                    label: t("workbenches.description"),
                    value: description,
                    hint: Some(t("workbenches.description_hint")),
                }
                ErrorBox { error: create_error() }
                button {
                    id: "workbench-create",
                    class: "btn primary",
                    r#type: "submit",
                    disabled: creating(),
                    if creating() {
                        {t("workbenches.creating")}
                    } else {
                        {t("workbenches.create")}
                    }
                }
            }
        }
        if let Some((id, current)) = renaming() {
            RenameDialog {
                path: format!("/workbenches/{id}"),
                title: t("workbenches.rename_workbench"),
                current,
                on_close: move |_| renaming.set(None),
                on_done: move |_| {
                    renaming.set(None);
                    state::toast(t("common.saved"));
                    list.restart();
                },
            }
        }
        if let Some((id, dname)) = deleting() {
            DeleteDialog {
                path: format!("/workbenches/{id}"),
                title: t("workbenches.delete_workbench"),
                message: tf("workbenches.delete_workbench_body", &[("name", &dname)]),
                on_close: move |_| deleting.set(None),
                on_done: move |_| {
                    deleting.set(None);
                    undo.set(Some((id.clone(), dname.clone())));
                    list.restart();
                },
            }
        }
    }
}

/// One workbench in the list.
#[component]
fn WorkbenchCard(
    workbench: Value,
    on_rename: EventHandler<(String, String)>,
    on_delete: EventHandler<(String, String)>,
) -> Element {
    let id = workbench["id"].as_str().unwrap_or_default().to_owned();
    let name = workbench["name"].as_str().unwrap_or_default().to_owned();
    let description = workbench["description"].as_str().unwrap_or_default().to_owned();
    let colors: Vec<String> = workbench["brand_kit"]["colors"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["hex"].as_str().map(str::to_owned)).take(6).collect())
        .unwrap_or_default();
    let updated = workbench["updated_at"].as_i64().unwrap_or_default();
    let (rename_pair, delete_pair) = ((id.clone(), name.clone()), (id.clone(), name.clone()));
    rsx! {
        li { class: "card stack workbench-card",
            h3 {
                Link { to: Route::Workbench { id: id.clone() }, "{name}" }
            }
            if description.is_empty() {
                p { class: "hint", {t("workbenches.no_description")} }
            } else {
                p { "{description}" }
            }
            if !colors.is_empty() {
                div { class: "row", "aria-hidden": "true",
                    for hex in colors {
                        span { class: "swatch", style: "background: {hex}" }
                    }
                }
            }
            p { class: "hint", {tf("workbenches.updated", &[("date", &i18n::date(updated))])} }
            div { class: "row",
                button {
                    class: "btn small",
                    r#type: "button",
                    "aria-label": tf("workbenches.rename_named", &[("name", &name)]),
                    onclick: move |_| on_rename.call(rename_pair.clone()),
                    {t("common.rename")}
                }
                button {
                    class: "btn small danger",
                    r#type: "button",
                    "aria-label": tf("workbenches.delete_named", &[("name", &name)]),
                    onclick: move |_| on_delete.call(delete_pair.clone()),
                    {t("common.delete")}
                }
            }
        }
    }
}

/// One workbench: its projects and its brand kit.
#[component]
pub fn Workbench(id: String) -> Element {
    let mut workbench = use_resource(use_reactive!(|id| async move {
        let _ = state::REFRESH();
        api::get::<Value>(&format!("/workbenches/{id}")).await
    }));
    let mut renaming = use_signal(|| None::<(String, String)>);
    let data = workbench.read().clone();
    match data {
        None => rsx! {
            Loading {}
        },
        Some(Err(e)) => rsx! {
            PageHeader { title: t("workbenches.workbench") }
            ErrorBox { error: Some(e) }
            div { class: "row",
                button { class: "btn", r#type: "button", onclick: move |_| workbench.restart(), {t("common.retry")} }
                Link { to: Route::Workbenches, class: "btn ghost", {t("workbenches.back_to_list")} }
            }
        },
        Some(Ok(w)) => {
            let name = w["name"].as_str().unwrap_or_default().to_owned();
            let description = w["description"].as_str().unwrap_or_default().to_owned();
            let kit = w["brand_kit"].clone();
            let pair = (id.clone(), name.clone());
            rsx! {
                nav { class: "crumbs", "aria-label": t("workbenches.breadcrumbs"),
                    Link { to: Route::Workbenches, {t("nav.workbenches")} }
                }
                PageHeader { title: name.clone(), subtitle: (!description.is_empty()).then_some(description),
                    button {
                        class: "btn",
                        r#type: "button",
                        onclick: move |_| renaming.set(Some(pair.clone())),
                        {t("common.rename")}
                    }
                    Link { to: Route::Generate { project: None }, class: "btn primary", {t("workbenches.generate_with_brand")} }
                }
                Projects { workbench_id: id.clone() }
                {rsx! {
                    BrandKitEditor { key: "{id}", workbench_id: id.clone(), kit }
                }}
                if let Some((wid, current)) = renaming() {
                    RenameDialog {
                        path: format!("/workbenches/{wid}"),
                        title: t("workbenches.rename_workbench"),
                        current,
                        on_close: move |_| renaming.set(None),
                        on_done: move |_| {
                            renaming.set(None);
                            state::toast(t("common.saved"));
                            workbench.restart();
                        },
                    }
                }
            }
        }
    }
}

/// A workbench's projects: list, create, rename, delete.
#[component]
fn Projects(workbench_id: String) -> Element {
    let wid = workbench_id.clone();
    let mut list = use_resource(use_reactive!(|workbench_id| async move {
        let _ = state::REFRESH();
        api::get::<Value>(&format!("/workbenches/{workbench_id}/projects?limit=100")).await
    }));
    let mut name = use_signal(String::new);
    let mut name_error = use_signal(|| None::<String>);
    let mut create_error = use_signal(|| None::<ApiError>);
    let mut creating = use_signal(|| false);
    let mut renaming = use_signal(|| None::<(String, String)>);
    let mut deleting = use_signal(|| None::<(String, String)>);
    let mut undo = use_signal(|| None::<(String, String)>);

    let create = move |e: FormEvent| {
        e.prevent_default();
        let value = name().trim().to_owned();
        if value.is_empty() {
            name_error.set(Some(t("workbenches.name_required")));
            return;
        }
        name_error.set(None);
        create_error.set(None);
        creating.set(true);
        let wid = wid.clone();
        spawn(async move {
            match api::post::<Value>(&format!("/workbenches/{wid}/projects"), &json!({ "name": value })).await {
                Ok(p) => {
                    name.set(String::new());
                    state::toast(tf(
                        "workbenches.project_created",
                        &[("name", p["name"].as_str().unwrap_or_default())],
                    ));
                    list.restart();
                }
                Err(e) => create_error.set(Some(e)),
            }
            creating.set(false);
        });
    };

    let body = match &*list.read() {
        None => rsx! { Loading {} },
        Some(Err(e)) => rsx! {
            ErrorBox { error: Some(e.clone()) }
            button { class: "btn", r#type: "button", onclick: move |_| list.restart(), {t("common.retry")} }
        },
        Some(Ok(v)) => {
            let items = v["items"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                rsx! {
                    Empty { title: t("workbenches.projects_empty"), hint: Some(t("workbenches.projects_empty_hint")) }
                }
            } else {
                rsx! {
                    ul { class: "grid wide plain-list",
                        for p in items {
                            ProjectCard {
                                key: "{p[\"id\"].as_str().unwrap_or_default()}",
                                project: p.clone(),
                                on_rename: move |pair| renaming.set(Some(pair)),
                                on_delete: move |pair| deleting.set(Some(pair)),
                            }
                        }
                    }
                    if v["next_cursor"].is_string() {
                        p { class: "hint", {t("workbenches.more_exist")} }
                    }
                }
            }
        }
    };

    rsx! {
        section { id: "projects", "aria-labelledby": "projects-title",
            h2 { id: "projects-title", {t("workbenches.projects")} }
            if let Some((id, pname)) = undo() {
                UndoNotice {
                    message: tf("workbenches.deleted", &[("name", &pname)]),
                    restore_path: format!("/projects/{id}/restore"),
                    on_done: move |_| {
                        undo.set(None);
                        list.restart();
                    },
                    on_dismiss: move |_| undo.set(None),
                }
            }
            {body}
            form { class: "form inline-create", onsubmit: create, novalidate: true,
                Field {
                    id: "project-name",
                    label: t("workbenches.project_name"),
                    value: name,
                    required: true,
                    error: name_error(),
                }
                ErrorBox { error: create_error() }
                button {
                    id: "project-create",
                    class: "btn primary",
                    r#type: "submit",
                    disabled: creating(),
                    if creating() {
                        {t("workbenches.creating")}
                    } else {
                        {t("workbenches.create_project")}
                    }
                }
            }
        }
        if let Some((id, current)) = renaming() {
            RenameDialog {
                path: format!("/projects/{id}"),
                title: t("workbenches.rename_project"),
                current,
                on_close: move |_| renaming.set(None),
                on_done: move |_| {
                    renaming.set(None);
                    state::toast(t("common.saved"));
                    list.restart();
                },
            }
        }
        if let Some((id, pname)) = deleting() {
            DeleteDialog {
                path: format!("/projects/{id}"),
                title: t("workbenches.delete_project"),
                message: tf("workbenches.delete_project_body", &[("name", &pname)]),
                on_close: move |_| deleting.set(None),
                on_done: move |_| {
                    deleting.set(None);
                    undo.set(Some((id.clone(), pname.clone())));
                    list.restart();
                },
            }
        }
    }
}

/// One project in a workbench.
#[component]
fn ProjectCard(
    project: Value,
    on_rename: EventHandler<(String, String)>,
    on_delete: EventHandler<(String, String)>,
) -> Element {
    let id = project["id"].as_str().unwrap_or_default().to_owned();
    let name = project["name"].as_str().unwrap_or_default().to_owned();
    let description = project["description"].as_str().unwrap_or_default().to_owned();
    let updated = project["updated_at"].as_i64().unwrap_or_default();
    let (rename_pair, delete_pair) = ((id.clone(), name.clone()), (id.clone(), name.clone()));
    rsx! {
        li { class: "card stack",
            h3 {
                Link { to: Route::Project { id: id.clone() }, "{name}" }
            }
            if !description.is_empty() {
                p { "{description}" }
            }
            p { class: "hint", {tf("workbenches.updated", &[("date", &i18n::date(updated))])} }
            div { class: "row",
                button {
                    class: "btn small",
                    r#type: "button",
                    "aria-label": tf("workbenches.rename_named", &[("name", &name)]),
                    onclick: move |_| on_rename.call(rename_pair.clone()),
                    {t("common.rename")}
                }
                button {
                    class: "btn small danger",
                    r#type: "button",
                    "aria-label": tf("workbenches.delete_named", &[("name", &name)]),
                    onclick: move |_| on_delete.call(delete_pair.clone()),
                    {t("common.delete")}
                }
            }
        }
    }
}

/// Whether `hex` is `#RRGGBB`.
pub fn is_hex_color(hex: &str) -> bool {
    hex.len() == 7 && hex.starts_with('#') && hex.bytes().skip(1).all(|b| b.is_ascii_hexdigit())
}

/// The brand kit's colours from the server's `brand_kit` (name, upper-case hex).
fn kit_colors(kit: &Value) -> Vec<(String, String)> {
    kit["colors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    (
                        c["name"].as_str().unwrap_or_default().to_owned(),
                        c["hex"].as_str().unwrap_or("#000000").to_ascii_uppercase(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What is wrong with a colour of the brand kit (1-based colour number).
#[derive(Debug, PartialEq)]
enum KitProblem {
    /// The colour has no name.
    NameMissing(usize),
    /// The colour's hex code is not `#RRGGBB`.
    BadHex(usize, String),
}

impl KitProblem {
    fn message(&self) -> String {
        match self {
            KitProblem::NameMissing(n) => tf("workbenches.color_name_missing", &[("n", &n.to_string())]),
            KitProblem::BadHex(n, name) => {
                tf("workbenches.color_hex_invalid", &[("n", &n.to_string()), ("name", name)])
            }
        }
    }
}

/// The brand kit body for `PATCH /workbenches/{id}`, or the first problem.
fn kit_body(colors: &[(String, String)], heading: &str, body: &str, logos: &[String]) -> Result<Value, KitProblem> {
    let mut out = Vec::with_capacity(colors.len());
    for (i, (name, hex)) in colors.iter().enumerate() {
        let name = name.trim();
        if name.is_empty() {
            return Err(KitProblem::NameMissing(i + 1));
        }
        let hex = hex.trim().to_ascii_uppercase();
        if !is_hex_color(&hex) {
            return Err(KitProblem::BadHex(i + 1, name.to_owned()));
        }
        out.push(json!({ "name": name, "hex": hex }));
    }
    let mut fonts = serde_json::Map::new();
    if !heading.is_empty() {
        fonts.insert("heading".into(), Value::String(heading.to_owned()));
    }
    if !body.is_empty() {
        fonts.insert("body".into(), Value::String(body.to_owned()));
    }
    Ok(json!({ "brand_kit": { "colors": out, "fonts": fonts, "logo_asset_ids": logos } }))
}

/// The brand kit editor: colours, heading and body fonts, logos.
#[component]
fn BrandKitEditor(workbench_id: String, kit: Value) -> Element {
    let initial_colors = kit_colors(&kit);
    let initial_heading = kit["fonts"]["heading"].as_str().unwrap_or_default().to_owned();
    let initial_body = kit["fonts"]["body"].as_str().unwrap_or_default().to_owned();
    let initial_logos: Vec<String> = kit["logo_asset_ids"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let mut colors = use_signal(move || initial_colors);
    let mut heading = use_signal(move || initial_heading);
    let mut body_font = use_signal(move || initial_body);
    let mut logos = use_signal(move || initial_logos);
    let mut saving = use_signal(|| false);
    let mut uploading = use_signal(|| false);
    let mut error = use_signal(|| None::<String>);
    let mut api_error = use_signal(|| None::<ApiError>);
    let mut upload_error = use_signal(|| None::<ApiError>);
    let mut saved = use_signal(|| false);
    let fonts = use_resource(|| async { api::get::<Value>("/fonts").await });

    let families: Vec<String> = match &*fonts.read() {
        Some(Ok(v)) => v["items"]
            .as_array()
            .map(|a| a.iter().filter_map(|f| f["family"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let font_error = match &*fonts.read() {
        Some(Err(e)) => Some(e.clone()),
        _ => None,
    };
    let fonts_loading = fonts.read().is_none();
    let with_current = |current: String| {
        let mut list = families.clone();
        if !current.is_empty() && !list.contains(&current) {
            list.insert(0, current);
        }
        list
    };
    let heading_options = with_current(heading());
    let body_options = with_current(body_font());

    let save = move |e: FormEvent| {
        e.prevent_default();
        saved.set(false);
        api_error.set(None);
        let body = match kit_body(&colors(), &heading(), &body_font(), &logos()) {
            Ok(b) => b,
            Err(problem) => {
                error.set(Some(problem.message()));
                return;
            }
        };
        error.set(None);
        saving.set(true);
        let path = format!("/workbenches/{workbench_id}");
        spawn(async move {
            match api::patch::<Value>(&path, &body).await {
                Ok(w) => {
                    let kit = &w["brand_kit"];
                    colors.set(kit_colors(kit));
                    heading.set(kit["fonts"]["heading"].as_str().unwrap_or_default().to_owned());
                    body_font.set(kit["fonts"]["body"].as_str().unwrap_or_default().to_owned());
                    if let Some(ids) = kit["logo_asset_ids"].as_array() {
                        logos.set(ids.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect());
                    }
                    saved.set(true);
                    state::toast(t("workbenches.brand_saved"));
                }
                Err(e) => api_error.set(Some(e)),
            }
            saving.set(false);
        });
    };

    let on_logo = move |_| {
        upload_error.set(None);
        saved.set(false);
        uploading.set(true);
        spawn(async move {
            match upload_logo().await {
                Ok(Some(asset)) => {
                    if !logos().contains(&asset) {
                        logos.write().push(asset);
                    }
                }
                Ok(None) => {}
                Err(e) => upload_error.set(Some(e)),
            }
            uploading.set(false);
        });
    };

    let color_rows = colors();
    let full = color_rows.len() >= MAX_COLORS;
    rsx! {
        section { id: "brand-kit", class: "card", "aria-labelledby": "brand-kit-title",
            h2 { id: "brand-kit-title", {t("workbenches.brand_kit")} }
            p { class: "hint", {t("workbenches.brand_kit_hint")} }
            form { class: "stack", onsubmit: save, novalidate: true,
                fieldset {
                    legend { {t("workbenches.colors")} }
                    if color_rows.is_empty() {
                        p { class: "hint", {t("workbenches.colors_empty")} }
                    } else {
                        ul { class: "plain-list stack brand-colors",
                            for (i, (cname, hex)) in color_rows.into_iter().enumerate() {
                                li { key: "{i}", class: "brand-color",
                                    div { class: "field",
                                        label { r#for: "brand-color-name-{i}", {t("workbenches.color_name")} }
                                        input {
                                            id: "brand-color-name-{i}",
                                            r#type: "text",
                                            maxlength: "64",
                                            value: "{cname}",
                                            oninput: move |e| {
                                                if let Some(c) = colors.write().get_mut(i) {
                                                    c.0 = e.value();
                                                }
                                            },
                                        }
                                    }
                                    div { class: "field",
                                        label { r#for: "brand-color-pick-{i}", {t("workbenches.color_pick")} }
                                        input {
                                            id: "brand-color-pick-{i}",
                                            r#type: "color",
                                            value: if is_hex_color(&hex) { hex.to_ascii_lowercase() } else { "#000000".to_owned() },
                                            oninput: move |e| {
                                                if let Some(c) = colors.write().get_mut(i) {
                                                    c.1 = e.value().to_ascii_uppercase();
                                                }
                                            },
                                        }
                                    }
                                    div { class: "field",
                                        label { r#for: "brand-color-hex-{i}", {t("workbenches.color_hex")} }
                                        input {
                                            id: "brand-color-hex-{i}",
                                            r#type: "text",
                                            maxlength: "7",
                                            spellcheck: "false",
                                            class: "mono",
                                            value: "{hex}",
                                            "aria-invalid": if is_hex_color(&hex) { "false" } else { "true" },
                                            oninput: move |e| {
                                                if let Some(c) = colors.write().get_mut(i) {
                                                    c.1 = e.value().trim().to_ascii_uppercase();
                                                }
                                            },
                                        }
                                    }
                                    button {
                                        class: "btn small ghost",
                                        r#type: "button",
                                        "aria-label": tf("workbenches.color_remove", &[("n", &(i + 1).to_string())]),
                                        onclick: move |_| {
                                            let mut c = colors.write();
                                            if i < c.len() {
                                                c.remove(i);
                                            }
                                        },
                                        {t("workbenches.remove")}
                                    }
                                }
                            }
                        }
                    }
                    button {
                        id: "brand-add-color",
                        class: "btn small",
                        r#type: "button",
                        disabled: full,
                        onclick: move |_| {
                            if colors().len() < MAX_COLORS {
                                let n = colors().len() + 1;
                                colors.write().push((tf("workbenches.color_default_name", &[("n", &n.to_string())]), "#4B2FD6".to_owned()));
                            }
                        },
                        {t("workbenches.add_color")}
                    }
                    if full {
                        p { class: "hint", {tf("workbenches.colors_max", &[("max", &MAX_COLORS.to_string())])} }
                    }
                }
                fieldset {
                    legend { {t("workbenches.fonts")} }
                    if fonts_loading {
                        Loading { label: Some(t("workbenches.fonts_loading")) }
                    }
                    ErrorBox { error: font_error }
                    div { class: "form-row",
                        div { class: "field",
                            label { r#for: "brand-heading-font", {t("workbenches.heading_font")} }
                            select {
                                id: "brand-heading-font",
                                onchange: move |e| heading.set(e.value()),
                                option { value: "", selected: heading().is_empty(), {t("workbenches.font_none")} }
                                for f in heading_options {
                                    option { value: "{f}", selected: heading() == f, "{f}" }
                                }
                            }
                        }
                        div { class: "field",
                            label { r#for: "brand-body-font", {t("workbenches.body_font")} }
                            select {
                                id: "brand-body-font",
                                onchange: move |e| body_font.set(e.value()),
                                option { value: "", selected: body_font().is_empty(), {t("workbenches.font_none")} }
                                for f in body_options {
                                    option { value: "{f}", selected: body_font() == f, "{f}" }
                                }
                            }
                        }
                    }
                }
                fieldset {
                    legend { {t("workbenches.logos")} }
                    if logos().is_empty() {
                        p { class: "hint", {t("workbenches.logos_empty")} }
                    } else {
                        ul { class: "grid plain-list",
                            for (i, asset) in logos().into_iter().enumerate() {
                                li { key: "{asset}", class: "stack",
                                    Thumbnail {
                                        url: format!("/api/v1/assets/{asset}/content"),
                                        alt: tf("workbenches.logo_alt", &[("n", &(i + 1).to_string())]),
                                    }
                                    button {
                                        class: "btn small ghost",
                                        r#type: "button",
                                        "aria-label": tf("workbenches.logo_remove", &[("n", &(i + 1).to_string())]),
                                        onclick: move |_| {
                                            let mut l = logos.write();
                                            if i < l.len() {
                                                l.remove(i);
                                            }
                                        },
                                        {t("workbenches.remove")}
                                    }
                                }
                            }
                        }
                    }
                    div { class: "field",
                        label { r#for: "brand-logo", {t("workbenches.logo_upload")} }
                        input {
                            id: "brand-logo",
                            r#type: "file",
                            accept: "image/png,image/jpeg,image/svg+xml,image/webp",
                            "aria-describedby": "brand-logo-hint",
                            disabled: uploading() || logos().len() >= MAX_LOGOS,
                            onchange: on_logo,
                        }
                        p { id: "brand-logo-hint", class: "hint",
                            {tf("workbenches.logo_hint", &[("max", &MAX_LOGOS.to_string())])}
                        }
                    }
                    if uploading() {
                        Loading { label: Some(t("workbenches.uploading")) }
                    }
                    ErrorBox { error: upload_error() }
                }
                if let Some(m) = error() {
                    div { class: "notice error", role: "alert", "{m}" }
                }
                ErrorBox { error: api_error() }
                if saved() {
                    Notice { kind: "success", {t("workbenches.brand_saved")} }
                }
                div { class: "row",
                    button {
                        id: "brand-save",
                        class: "btn primary",
                        r#type: "submit",
                        disabled: saving() || uploading(),
                        if saving() {
                            {t("workbenches.saving")}
                        } else {
                            {t("workbenches.save_brand")}
                        }
                    }
                }
            }
        }
    }
}

/// Uploads the file picked in `#brand-logo`; answers the new asset's id.
#[cfg(target_arch = "wasm32")]
async fn upload_logo() -> Result<Option<String>, ApiError> {
    use wasm_bindgen::JsCast as _;
    let input = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("brand-logo"))
        .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok());
    let Some(input) = input else { return Ok(None) };
    let Some(file) = input.files().and_then(|f| f.get(0)) else { return Ok(None) };
    let answer = api::upload(file).await;
    input.set_value("");
    let asset = answer?;
    Ok(asset["id"].as_str().map(str::to_owned))
}

/// On the host there is no file to pick.
#[cfg(not(target_arch = "wasm32"))]
async fn upload_logo() -> Result<Option<String>, ApiError> {
    Ok(None)
}

/// One project: its creatives.
#[component]
pub fn Project(id: String) -> Element {
    let mut project = use_resource(use_reactive!(|id| async move {
        let _ = state::REFRESH();
        api::get::<Value>(&format!("/projects/{id}")).await
    }));
    let mut creatives = use_resource(use_reactive!(|id| async move {
        let _ = state::REFRESH();
        api::get::<Value>(&format!("/projects/{id}/creatives?limit=100")).await
    }));
    let mut renaming = use_signal(|| None::<(String, String)>);
    let mut deleting = use_signal(|| None::<(String, String)>);
    let mut undo = use_signal(|| None::<(String, String)>);

    let header = match &*project.read() {
        None => rsx! { Loading {} },
        Some(Err(e)) => rsx! {
            PageHeader { title: t("workbenches.project") }
            ErrorBox { error: Some(e.clone()) }
            button { class: "btn", r#type: "button", onclick: move |_| project.restart(), {t("common.retry")} }
        },
        Some(Ok(p)) => {
            let name = p["name"].as_str().unwrap_or_default().to_owned();
            let description = p["description"].as_str().unwrap_or_default().to_owned();
            let wid = p["workbench_id"].as_str().unwrap_or_default().to_owned();
            rsx! {
                nav { class: "crumbs", "aria-label": t("workbenches.breadcrumbs"),
                    Link { to: Route::Workbenches, {t("nav.workbenches")} }
                    span { "aria-hidden": "true", " / " }
                    Link { to: Route::Workbench { id: wid }, {t("workbenches.back_to_workbench")} }
                }
                PageHeader { title: name, subtitle: (!description.is_empty()).then_some(description),
                    Link { to: Route::Generate { project: Some(id.clone()) }, class: "btn primary", {t("workbenches.new_creative")} }
                }
            }
        }
    };

    let body = match &*creatives.read() {
        None => rsx! { Loading {} },
        Some(Err(e)) => rsx! {
            ErrorBox { error: Some(e.clone()) }
            button { class: "btn", r#type: "button", onclick: move |_| creatives.restart(), {t("common.retry")} }
        },
        Some(Ok(v)) => {
            let items = v["items"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                rsx! {
                    Empty { title: t("workbenches.creatives_empty"), hint: Some(t("workbenches.creatives_empty_hint")),
                        Link { to: Route::Generate { project: Some(id.clone()) }, class: "btn primary", {t("workbenches.new_creative")} }
                    }
                }
            } else {
                rsx! {
                    ul { class: "grid plain-list creative-grid",
                        for c in items {
                            CreativeCard {
                                key: "{c[\"id\"].as_str().unwrap_or_default()}",
                                creative: c.clone(),
                                on_rename: move |pair| renaming.set(Some(pair)),
                                on_delete: move |pair| deleting.set(Some(pair)),
                            }
                        }
                    }
                    if v["next_cursor"].is_string() {
                        p { class: "hint", {t("workbenches.more_exist")} }
                    }
                }
            }
        }
    };

    rsx! {
        {header}
        section { "aria-labelledby": "creatives-title",
            h2 { id: "creatives-title", {t("workbenches.creatives")} }
            if let Some((cid, cname)) = undo() {
                UndoNotice {
                    message: tf("workbenches.deleted", &[("name", &cname)]),
                    restore_path: format!("/creatives/{cid}/restore"),
                    on_done: move |_| {
                        undo.set(None);
                        creatives.restart();
                    },
                    on_dismiss: move |_| undo.set(None),
                }
            }
            {body}
        }
        if let Some((cid, current)) = renaming() {
            RenameDialog {
                path: format!("/creatives/{cid}"),
                title: t("workbenches.rename_creative"),
                current,
                on_close: move |_| renaming.set(None),
                on_done: move |_| {
                    renaming.set(None);
                    state::toast(t("common.saved"));
                    creatives.restart();
                },
            }
        }
        if let Some((cid, cname)) = deleting() {
            DeleteDialog {
                path: format!("/creatives/{cid}"),
                title: t("workbenches.delete_creative"),
                message: tf("workbenches.delete_creative_body", &[("name", &cname)]),
                on_close: move |_| deleting.set(None),
                on_done: move |_| {
                    deleting.set(None);
                    undo.set(Some((cid.clone(), cname.clone())));
                    creatives.restart();
                },
            }
        }
    }
}

/// The label of a creative's approval status.
pub fn approval_label(status: &str) -> String {
    match status {
        "draft" => t("workbenches.status_draft"),
        "in_review" => t("workbenches.status_in_review"),
        "approved" => t("workbenches.status_approved"),
        "rejected" => t("workbenches.status_rejected"),
        other => other.to_owned(),
    }
}

/// One creative of a project.
#[component]
fn CreativeCard(
    creative: Value,
    on_rename: EventHandler<(String, String)>,
    on_delete: EventHandler<(String, String)>,
) -> Element {
    let id = creative["id"].as_str().unwrap_or_default().to_owned();
    let name = creative["name"].as_str().unwrap_or_default().to_owned();
    let width = creative["width"].as_i64().unwrap_or_default();
    let height = creative["height"].as_i64().unwrap_or_default();
    let status = creative["approval_status"].as_str().unwrap_or("draft").to_owned();
    let updated = creative["updated_at"].as_i64().unwrap_or_default();
    let thumb = creative["thumbnail_url"].as_str().map(str::to_owned);
    let (rename_pair, delete_pair) = ((id.clone(), name.clone()), (id.clone(), name.clone()));
    rsx! {
        li { class: "card stack creative-card",
            Link { to: Route::Creative { id: id.clone() }, class: "cover stack",
                if let Some(url) = thumb {
                    Thumbnail { url, alt: name.clone() }
                }
                h3 { class: "creative-name", "{name}" }
            }
            p { class: "row",
                span { class: "hint", {tf("workbenches.size", &[("w", &width.to_string()), ("h", &height.to_string())])} }
                span { class: "badge status-{status}", {approval_label(&status)} }
            }
            p { class: "hint", {tf("workbenches.updated", &[("date", &i18n::date(updated))])} }
            div { class: "row",
                button {
                    class: "btn small",
                    r#type: "button",
                    "aria-label": tf("workbenches.rename_named", &[("name", &name)]),
                    onclick: move |_| on_rename.call(rename_pair.clone()),
                    {t("common.rename")}
                }
                button {
                    class: "btn small danger",
                    r#type: "button",
                    "aria-label": tf("workbenches.delete_named", &[("name", &name)]),
                    onclick: move |_| on_delete.call(delete_pair.clone()),
                    {t("common.delete")}
                }
            }
        }
    }
}

/// An image from the API: paths under `/api/` are fetched with the session's token, other URLs
/// are used as they are.
#[component]
pub fn Thumbnail(url: String, alt: String) -> Element {
    let src = use_resource(use_reactive!(|url| async move {
        if url.starts_with("/api/") { api::blob_url(&url).await.ok() } else { Some(url) }
    }));
    match &*src.read() {
        Some(Some(s)) => rsx! {
            img { class: "thumb", src: "{s}", alt: "{alt}", loading: "lazy" }
        },
        Some(None) => rsx! {
            div { class: "thumb thumb-missing", role: "img", "aria-label": "{alt}" }
        },
        None => rsx! {
            div { class: "thumb", "aria-hidden": "true" }
        },
    }
}

/// Asks for a new name and saves it with `PATCH {path} {name}`.
#[component]
fn RenameDialog(
    path: String,
    title: String,
    current: String,
    on_close: EventHandler<()>,
    on_done: EventHandler<String>,
) -> Element {
    let name = use_signal(|| current.clone());
    let mut busy = use_signal(|| false);
    let mut name_error = use_signal(|| None::<String>);
    let mut error = use_signal(|| None::<ApiError>);
    rsx! {
        Modal { id: "rename-dialog", title, on_close,
            form {
                class: "stack",
                novalidate: true,
                onsubmit: move |e: FormEvent| {
                    e.prevent_default();
                    let value = name().trim().to_owned();
                    if value.is_empty() {
                        name_error.set(Some(t("workbenches.name_required")));
                        return;
                    }
                    name_error.set(None);
                    error.set(None);
                    busy.set(true);
                    let path = path.clone();
                    spawn(async move {
                        let answer = api::patch::<Value>(&path, &json!({ "name": value })).await;
                        busy.set(false);
                        match answer {
                            Ok(_) => on_done.call(value),
                            Err(e) => error.set(Some(e)),
                        }
                    });
                },
                Field {
                    id: "rename-name",
                    label: t("workbenches.new_name"),
                    value: name,
                    required: true,
                    error: name_error(),
                }
                ErrorBox { error: error() }
                div { class: "row",
                    button { id: "rename-save", class: "btn primary", r#type: "submit", disabled: busy(), {t("common.save")} }
                    button { class: "btn", r#type: "button", onclick: move |_| on_close.call(()), {t("common.cancel")} }
                }
            }
        }
    }
}

/// Asks before deleting with `DELETE {path}`.
#[component]
fn DeleteDialog(
    path: String,
    title: String,
    message: String,
    on_close: EventHandler<()>,
    on_done: EventHandler<()>,
) -> Element {
    let mut busy = use_signal(|| false);
    let mut error = use_signal(|| None::<ApiError>);
    rsx! {
        Modal { id: "delete-dialog", title, on_close,
            p { "{message}" }
            p { class: "hint", {t("workbenches.delete_restorable")} }
            ErrorBox { error: error() }
            div { class: "row",
                button {
                    id: "delete-confirm",
                    class: "btn danger",
                    r#type: "button",
                    disabled: busy(),
                    onclick: move |_| {
                        busy.set(true);
                        error.set(None);
                        let path = path.clone();
                        spawn(async move {
                            let answer = api::delete(&path).await;
                            busy.set(false);
                            match answer {
                                Ok(()) => on_done.call(()),
                                Err(e) => error.set(Some(e)),
                            }
                        });
                    },
                    {t("common.delete")}
                }
                button { class: "btn", r#type: "button", onclick: move |_| on_close.call(()), {t("common.cancel")} }
            }
        }
    }
}

/// "Deleted X" with an Undo button that restores it (`POST {restore_path}`).
#[component]
fn UndoNotice(
    message: String,
    restore_path: String,
    on_done: EventHandler<()>,
    on_dismiss: EventHandler<()>,
) -> Element {
    let mut busy = use_signal(|| false);
    let mut error = use_signal(|| None::<ApiError>);
    rsx! {
        Notice { kind: "success",
            div { class: "spread",
                span { "{message}" }
                div { class: "row",
                    button {
                        id: "undo-delete",
                        class: "btn small",
                        r#type: "button",
                        disabled: busy(),
                        onclick: move |_| {
                            busy.set(true);
                            error.set(None);
                            let path = restore_path.clone();
                            spawn(async move {
                                let answer = api::post_empty(&path).await;
                                busy.set(false);
                                match answer {
                                    Ok(_) => {
                                        state::toast(t("workbenches.restored"));
                                        on_done.call(());
                                    }
                                    Err(e) => error.set(Some(e)),
                                }
                            });
                        },
                        {t("workbenches.undo")}
                    }
                    button {
                        class: "btn small ghost",
                        r#type: "button",
                        "aria-label": t("common.close"),
                        onclick: move |_| on_dismiss.call(()),
                        "×"
                    }
                }
            }
        }
        ErrorBox { error: error() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_colours_are_checked() {
        assert!(is_hex_color("#1A73E8"));
        assert!(is_hex_color("#abcdef"));
        assert!(!is_hex_color("1A73E8"));
        assert!(!is_hex_color("#1A73E"));
        assert!(!is_hex_color("#GGGGGG"));
    }

    #[test]
    fn brand_kit_body_has_the_server_shape() {
        let body = kit_body(
            &[("Ocean".into(), "#1a73e8".into())],
            "Inter",
            "",
            &["0b8e0d2c-0000-4000-8000-000000000000".into()],
        )
        .unwrap_or(Value::Null);
        assert_eq!(body["brand_kit"]["colors"][0]["hex"], "#1A73E8");
        assert_eq!(body["brand_kit"]["fonts"]["heading"], "Inter");
        assert!(body["brand_kit"]["fonts"].get("body").is_none());
        assert_eq!(body["brand_kit"]["logo_asset_ids"].as_array().map(Vec::len), Some(1));
        assert_eq!(kit_body(&[(" ".into(), "#000000".into())], "", "", &[]), Err(KitProblem::NameMissing(1)));
        assert_eq!(
            kit_body(&[("A".into(), "#000000".into()), ("Bad".into(), "#00000".into())], "", "", &[]),
            Err(KitProblem::BadHex(2, "Bad".into()))
        );
    }
}
