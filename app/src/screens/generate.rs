//! The generate flow (DESIGN.md §8): describe a creative, watch four designs arrive, pick one
//! into a project and optionally export a file.
//!
//! Also the pieces the creative and template screens share: format presets and their labels,
//! the team's projects, images and downloads behind the bearer token, final renders and the
//! credit problems (402) that link to the billing screen.

use dioxus::prelude::*;
use editor_core::format::FormatPreset;
use serde_json::{Value, json};

use crate::api::{self, ApiError};
use crate::components::{ErrorBox, Field, Loading, Modal, Notice, PageHeader, Progress};
use crate::i18n::{self, t, tf};
use crate::route::{Link, Route, navigate};
use crate::state;

/// Longest prompt the server takes, characters.
const MAX_PROMPT: usize = 2000;
/// Most photos one request may use.
const MAX_PHOTOS: usize = 8;
/// Where the project chosen on the way in is kept for the pick dialog.
const PROJECT_KEY: &str = "cf.generate.project";
/// Designs per generation.
const SAMPLES: usize = 4;
/// Tones the server accepts (`gen_worker::copy::Tone`).
const TONES: [&str; 6] = ["professional", "friendly", "playful", "urgent", "luxury", "inspirational"];
/// Industry ids the server accepts (`assets/palettes/knowledge.toml`).
const INDUSTRIES: [&str; 15] = [
    "general",
    "retail",
    "food-and-drink",
    "tech",
    "fitness",
    "beauty",
    "real-estate",
    "education",
    "events",
    "finance",
    "travel",
    "health",
    "fashion",
    "nonprofit",
    "home-and-garden",
];
/// Styles the server accepts (`gen_worker::typography::STYLES`).
const STYLES: [&str; 9] =
    ["minimal", "bold", "luxury", "tech", "lifestyle", "playful", "elegant", "corporate", "retro"];
/// Final sizes, smallest first.
pub const FINAL_SIZES: [&str; 3] = ["standard", "hd", "uhd4k"];
/// Final file formats.
pub const FINAL_FORMATS: [&str; 5] = ["png", "jpeg", "webp", "pdf", "svg"];

/// The key the server uses for a preset (`instagram_post`).
pub fn preset_key(preset: FormatPreset) -> String {
    serde_json::to_value(preset).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The preset with this server key.
pub fn preset_from_key(key: &str) -> Option<FormatPreset> {
    FormatPreset::ALL.into_iter().find(|p| preset_key(*p) == key)
}

/// "Instagram · Post · 1080 × 1080".
pub fn preset_label(preset: FormatPreset) -> String {
    let f = preset.format();
    format!(
        "{} · {} · {} × {}",
        label_or("generate.platform", preset.platform()),
        label_or("generate.kind", preset.kind()),
        f.width,
        f.height
    )
}

/// The catalogue's name for `{prefix}.{key}`, or the key itself when there is none (values the
/// server adds later still show).
pub fn label_or(prefix: &str, key: &str) -> String {
    let full = format!("{prefix}.{key}");
    if i18n::catalogue().contains_key(&full) { t(&full) } else { key.replace(['_', '-'], " ") }
}

/// A final's pixel size for a `width` × `height` canvas (as `gen_worker::protocol::final_pixels`).
pub fn final_pixels(size: &str, width: i64, height: i64) -> (i64, i64) {
    let (w, h) = (width.max(1) as f64, height.max(1) as f64);
    let scale = match size {
        "hd" => 2160.0 / w.min(h),
        "uhd4k" => (3840.0 / w.max(h)).max(2160.0 / w.min(h)),
        _ => 1080.0 / w.min(h),
    };
    let side = |v: f64| (v * scale).round().clamp(1.0, 8192.0) as i64;
    (side(w), side(h))
}

/// "HD · 2160 × 2160" for the size pickers.
pub fn final_size_label(size: &str, width: i64, height: i64) -> String {
    let (w, h) = final_pixels(size, width, height);
    format!("{} · {w} × {h}", label_or("generate.size", size))
}

/// The file extension of a final format.
pub fn extension(format: &str) -> &str {
    if format == "jpeg" { "jpg" } else { format }
}

/// The `items` of a page answer (or the answer itself when it is a list).
pub fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().or_else(|| v.as_array()).cloned().unwrap_or_default()
}

/// A string field of a JSON object ("" when missing).
pub fn text(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// Resolves after `ms` milliseconds (at once on the host, where nothing polls).
pub async fn sleep(ms: i32) {
    #[cfg(target_arch = "wasm32")]
    {
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = ms;
}

/// A project a design can go into.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectChoice {
    /// Project id.
    pub id: String,
    /// "Workbench › Project".
    pub label: String,
}

/// Every project of the current team's workbenches.
pub async fn team_projects() -> Result<Vec<ProjectChoice>, ApiError> {
    let Some(team) = state::team_id() else { return Ok(Vec::new()) };
    let workbenches: Value = api::get(&format!("/teams/{team}/workbenches?limit=100")).await?;
    let mut out = Vec::new();
    for wb in items(&workbenches) {
        let wid = text(&wb, "id");
        let wname = text(&wb, "name");
        let projects: Value = api::get(&format!("/workbenches/{wid}/projects?limit=100")).await?;
        for p in items(&projects) {
            out.push(ProjectChoice { id: text(&p, "id"), label: format!("{wname} › {}", text(&p, "name")) });
        }
    }
    Ok(out)
}

/// The current team's plan (`GET /teams/{team}/billing` → `plan`), `Null` without a team.
pub async fn team_plan() -> Result<Value, ApiError> {
    let Some(team) = state::team_id() else { return Ok(Value::Null) };
    let billing: Value = api::get(&format!("/teams/{team}/billing")).await?;
    Ok(billing["plan"].clone())
}

/// A project picker over the team's projects. With none, it offers to create a first workbench
/// and project (button `#{create_id}`). Selects the project kept from the generate form, else
/// the first one.
#[component]
pub fn ProjectSelect(
    // The select's id.
    id: String,
    // The id of the "create a first project" button.
    create_id: String,
    // The chosen project id.
    value: Signal<String>,
) -> Element {
    let mut projects = use_resource(move || async move {
        let _ = state::REFRESH();
        team_projects().await
    });
    let mut creating = use_signal(|| false);
    let mut create_error = use_signal(|| None::<ApiError>);
    let mut chosen = value;
    use_effect(move || {
        if let Some(Ok(list)) = &*projects.read() {
            let current = chosen.peek().clone();
            if !list.iter().any(|p| p.id == current) {
                let kept = api::storage_get(PROJECT_KEY).filter(|k| list.iter().any(|p| &p.id == k));
                let first = kept.or_else(|| list.first().map(|p| p.id.clone())).unwrap_or_default();
                if first != current {
                    chosen.set(first);
                }
            }
        }
    });
    let create = move |_| {
        let workbench_name = t("generate.starter_workbench");
        let project_name = t("generate.starter_project");
        creating.set(true);
        create_error.set(None);
        spawn(async move {
            match create_starter(&workbench_name, &project_name).await {
                Ok(project) => {
                    chosen.set(project);
                    projects.restart();
                }
                Err(e) => create_error.set(Some(e)),
            }
            creating.set(false);
        });
    };
    let body = match &*projects.read() {
        None => rsx! { Loading {} },
        Some(Err(e)) => rsx! {
            ErrorBox { error: Some(e.clone()) }
            button { class: "btn small", r#type: "button", onclick: move |_| projects.restart(), {t("common.retry")} }
        },
        Some(Ok(list)) if list.is_empty() => rsx! {
            p { class: "hint", {t("generate.no_projects")} }
            button {
                id: "{create_id}",
                class: "btn",
                r#type: "button",
                disabled: creating(),
                onclick: create,
                if creating() { {t("generate.creating_project")} } else { {t("generate.create_project")} }
            }
            ErrorBox { error: create_error() }
        },
        Some(Ok(list)) => rsx! {
            select {
                id: "{id}",
                required: true,
                value: "{chosen}",
                onchange: move |e| chosen.set(e.value()),
                for p in list.iter() {
                    option { key: "{p.id}", value: "{p.id}", selected: p.id == chosen(), "{p.label}" }
                }
            }
        },
    };
    rsx! {
        div { class: "field",
            label { r#for: "{id}", {t("generate.project")} }
            {body}
        }
    }
}

async fn create_starter(workbench_name: &str, project_name: &str) -> Result<String, ApiError> {
    let team = state::team_id().ok_or_else(|| ApiError {
        status: 0,
        kind: "no-team".into(),
        title: t("generate.no_team_title"),
        detail: t("generate.no_team"),
        fields: Vec::new(),
    })?;
    let wb: Value = api::post(&format!("/teams/{team}/workbenches"), &json!({ "name": workbench_name })).await?;
    let project: Value =
        api::post(&format!("/workbenches/{}/projects", text(&wb, "id")), &json!({ "name": project_name })).await?;
    state::bump();
    Ok(text(&project, "id"))
}

/// An image behind the bearer token (a preview, an asset, a creative's thumbnail). Public URLs
/// (not under `/api/`) are used as they are.
#[component]
pub fn ProtectedImage(
    // The image's path, e.g. `/api/v1/generations/…/preview`.
    src: String,
    // What the image shows.
    alt: String,
    // CSS class.
    #[props(default)] class: Option<String>,
    // Intrinsic width, px (avoids layout shift).
    #[props(default)] width: Option<i64>,
    // Intrinsic height, px.
    #[props(default)] height: Option<i64>,
) -> Element {
    let url = use_resource(use_reactive!(|src| async move {
        if src.starts_with("/api/") { api::blob_url(&src).await } else { Ok(src) }
    }));
    let class = class.unwrap_or_else(|| "thumb".into());
    match &*url.read() {
        Some(Ok(u)) => rsx! {
            img { src: "{u}", alt: "{alt}", class: "{class}", width, height }
        },
        Some(Err(_)) => rsx! {
            div { class: "{class} img-missing", role: "img", "aria-label": "{alt}",
                span { class: "hint", {t("generate.image_failed")} }
            }
        },
        None => rsx! {
            div { class: "{class} img-loading", role: "img", "aria-label": "{alt}" }
        },
    }
}

/// An error from the server; credit and plan problems (402) link to the billing screen.
#[component]
pub fn ProblemBox(error: Option<ApiError>) -> Element {
    let Some(e) = error else { return rsx! {} };
    let billing = e.status == 402 || e.kind == "insufficient-credits" || e.kind == "plan-upgrade-required";
    rsx! {
        ErrorBox { error: Some(e) }
        if billing {
            p {
                Link { to: Route::Billing, class: "btn small", {t("generate.see_billing")} }
            }
        }
    }
}

/// Follows a final render until it is ready, then offers its file (`a#{link_id}`); shows its
/// error when it failed.
#[component]
pub fn FinalDownload(
    // The final's id.
    final_id: String,
    // The download link's id.
    link_id: String,
) -> Element {
    rsx! {
        FinalFollow { key: "{final_id}", final_id: final_id.clone(), link_id }
    }
}

#[component]
fn FinalFollow(final_id: String, link_id: String) -> Element {
    let mut final_view = use_signal(|| None::<Result<Value, ApiError>>);
    let mut file_url = use_signal(|| None::<Result<String, ApiError>>);
    let id = final_id.clone();
    let mut poll = use_future(move || {
        let id = id.clone();
        async move {
            loop {
                match api::get::<Value>(&format!("/finals/{id}")).await {
                    Ok(v) => {
                        let status = text(&v, "status");
                        let done = status == "succeeded" || status == "failed";
                        let download = text(&v, "download_url");
                        final_view.set(Some(Ok(v)));
                        if done {
                            if status == "succeeded" {
                                file_url.set(Some(api::blob_url(&download).await));
                            }
                            break;
                        }
                    }
                    Err(e) => {
                        final_view.set(Some(Err(e)));
                        break;
                    }
                }
                sleep(1000).await;
            }
        }
    });
    let retry = move |_| {
        final_view.set(None);
        file_url.set(None);
        poll.restart();
    };
    match &*final_view.read() {
        None => rsx! { Loading { label: t("generate.final_rendering") } },
        Some(Err(e)) => rsx! {
            ErrorBox { error: Some(e.clone()) }
            button { class: "btn small", r#type: "button", onclick: retry, {t("common.retry")} }
        },
        Some(Ok(v)) => {
            let status = text(v, "status");
            if status == "failed" {
                let message = v["error"].as_str().map(str::to_owned).unwrap_or_else(|| t("generate.final_failed"));
                return rsx! {
                    div { class: "notice error", role: "alert",
                        strong { {t("generate.final_failed_title")} }
                        " "
                        span { "{message}" }
                    }
                };
            }
            if status != "succeeded" {
                return rsx! { Loading { label: t("generate.final_rendering") } };
            }
            let w = v["width"].as_i64().unwrap_or_default();
            let h = v["height"].as_i64().unwrap_or_default();
            let format = text(v, "format");
            let file_name = format!("creativeflow-{w}x{h}.{}", extension(&format));
            let label = tf(
                "generate.download",
                &[("width", &w.to_string()), ("height", &h.to_string()), ("format", &format.to_uppercase())],
            );
            let watermark = v["watermark"].as_bool().unwrap_or(false);
            match &*file_url.read() {
                None => rsx! { Loading { label: t("generate.final_fetching") } },
                Some(Err(e)) => rsx! {
                    ErrorBox { error: Some(e.clone()) }
                    button { class: "btn small", r#type: "button", onclick: retry, {t("common.retry")} }
                },
                Some(Ok(url)) => rsx! {
                    div { class: "stack",
                        Notice { kind: "success", {t("generate.final_ready")} }
                        a { id: "{link_id}", class: "btn primary", href: "{url}", download: "{file_name}", "{label}" }
                        if watermark {
                            p { class: "hint", {t("generate.final_watermarked")} }
                        }
                    }
                },
            }
        }
    }
}

/// A chosen photo and how its upload went.
#[derive(Clone, Debug, PartialEq)]
struct Photo {
    key: u32,
    name: String,
    state: PhotoState,
}

#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(not(target_arch = "wasm32"), expect(dead_code, reason = "uploads only happen in the browser"))]
enum PhotoState {
    Uploading,
    Uploaded(String),
    Failed(String),
}

/// The files chosen in `input#photos`; clears the input so the same file can be chosen again.
#[cfg(target_arch = "wasm32")]
fn chosen_files() -> Vec<web_sys::File> {
    use wasm_bindgen::JsCast as _;
    let Some(input) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("photos"))
        .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(list) = input.files() {
        for i in 0..list.length() {
            if let Some(f) = list.get(i) {
                out.push(f);
            }
        }
    }
    input.set_value("");
    out
}

/// Describe a creative (prompt, format, brand kit, tone, industry, style, photos) and ask for
/// four designs.
#[component]
pub fn Generate(project: Option<String>) -> Element {
    let key = project.clone().unwrap_or_default();
    rsx! {
        GenerateForm { key: "{key}", project }
    }
}

#[component]
fn GenerateForm(project: Option<String>) -> Element {
    let mut prompt = use_signal(String::new);
    let mut format = use_signal(|| preset_key(FormatPreset::InstagramPost));
    let mut workbench = use_signal(String::new);
    let mut tone = use_signal(|| TONES[0].to_owned());
    let mut industry = use_signal(String::new);
    let mut style = use_signal(String::new);
    let mut photos = use_signal(Vec::<Photo>::new);
    let photo_note = use_signal(|| None::<String>);
    let mut busy = use_signal(|| false);
    let mut error = use_signal(|| None::<ApiError>);
    let mut prompt_error = use_signal(|| None::<String>);
    let mut idem_key = use_signal(|| None::<String>);
    let project_given = project.clone();
    use_hook(move || {
        match &project_given {
            Some(p) => api::storage_set(PROJECT_KEY, p),
            None => api::storage_remove(PROJECT_KEY),
        }
        // Started from a project: use its workbench's brand kit.
        if let Some(p) = project_given {
            spawn(async move {
                if let Ok(v) = api::get::<Value>(&format!("/projects/{p}")).await {
                    let wb = text(&v, "workbench_id");
                    if workbench.peek().is_empty() && !wb.is_empty() {
                        workbench.set(wb);
                    }
                }
            });
        }
    });
    let mut workbenches = use_resource(move || async move {
        let _ = state::REFRESH();
        let Some(team) = state::team_id() else { return Ok(Vec::new()) };
        api::get::<Value>(&format!("/teams/{team}/workbenches?limit=100")).await.map(|v| items(&v))
    });

    let count = prompt().chars().count();
    let uploading = photos().iter().any(|p| p.state == PhotoState::Uploading);
    let uploaded: Vec<String> = photos()
        .iter()
        .filter_map(|p| match &p.state {
            PhotoState::Uploaded(id) => Some(id.clone()),
            _ => None,
        })
        .collect();
    let batch_total = photos().len();
    let batch_done = photos().iter().filter(|p| p.state != PhotoState::Uploading).count();

    let on_photos = move |_e: FormEvent| {
        #[cfg(target_arch = "wasm32")]
        {
            let mut photo_note = photo_note;
            let files = chosen_files();
            photo_note.set(None);
            spawn(async move {
                for file in files {
                    if photos.peek().len() >= MAX_PHOTOS {
                        photo_note.set(Some(tf("generate.photos_max", &[("max", &MAX_PHOTOS.to_string())])));
                        break;
                    }
                    let key = photos.peek().iter().map(|p| p.key).max().unwrap_or(0) + 1;
                    photos.write().push(Photo { key, name: file.name(), state: PhotoState::Uploading });
                    let state = match api::upload(file).await {
                        Ok(v) if !text(&v, "id").is_empty() => PhotoState::Uploaded(text(&v, "id")),
                        Ok(_) => PhotoState::Failed(t("generate.photo_unexpected")),
                        Err(e) => PhotoState::Failed(e.message()),
                    };
                    if let Some(p) = photos.write().iter_mut().find(|p| p.key == key) {
                        p.state = state;
                    }
                }
            });
        }
    };

    let submit = move |e: FormEvent| {
        e.prevent_default();
        if busy() {
            return;
        }
        let text_now = prompt().trim().to_owned();
        if text_now.is_empty() {
            prompt_error.set(Some(t("generate.prompt_required")));
            return;
        }
        if text_now.chars().count() > MAX_PROMPT {
            prompt_error.set(Some(tf("generate.prompt_too_long", &[("max", &MAX_PROMPT.to_string())])));
            return;
        }
        prompt_error.set(None);
        error.set(None);
        let photo_ids: Vec<String> = photos
            .peek()
            .iter()
            .filter_map(|p| match &p.state {
                PhotoState::Uploaded(id) => Some(id.clone()),
                _ => None,
            })
            .collect();
        let mut body = json!({
            "prompt": text_now,
            "format": format(),
            "tone": tone(),
            "photos": photo_ids,
        });
        for (name, value) in [("workbench_id", workbench()), ("industry", industry()), ("style", style())] {
            if !value.is_empty() {
                body[name] = Value::String(value);
            }
        }
        let key = idem_key().unwrap_or_else(api::random_key);
        idem_key.set(Some(key.clone()));
        busy.set(true);
        spawn(async move {
            match api::post_idempotent::<Value>("/generations", &body, &key).await {
                Ok(v) => {
                    idem_key.set(None);
                    state::bump();
                    let id = text(&v, "id");
                    busy.set(false);
                    navigate(Route::Generation { id });
                }
                Err(e) => {
                    // Without an answer the server may have started it: the same key finds it.
                    if e.status != 0 {
                        idem_key.set(None);
                    }
                    error.set(Some(e));
                    busy.set(false);
                }
            }
        });
    };

    let workbench_select = match &*workbenches.read() {
        None => rsx! { Loading {} },
        Some(Err(e)) => rsx! {
            ErrorBox { error: Some(e.clone()) }
            button { class: "btn small", r#type: "button", onclick: move |_| workbenches.restart(), {t("common.retry")} }
        },
        Some(Ok(list)) => {
            let choices: Vec<(String, String)> = list.iter().map(|wb| (text(wb, "id"), text(wb, "name"))).collect();
            rsx! {
            select { id: "workbench", value: "{workbench}", onchange: move |e| workbench.set(e.value()),
                option { value: "", selected: workbench().is_empty(), {t("generate.no_brand_kit")} }
                for (wid, wname) in choices {
                    option { key: "{wid}", selected: wid == workbench(), value: "{wid}", "{wname}" }
                }
            }
            if list.is_empty() {
                p { class: "hint", {t("generate.no_workbenches")} }
            }
            }
        }
    };

    let prompt_invalid = if prompt_error().is_some() { "true" } else { "false" };
    rsx! {
        PageHeader { title: t("generate.title"), subtitle: t("generate.subtitle") }
        form { class: "form generate-form", novalidate: true, onsubmit: submit,
            div { class: "field",
                label { r#for: "prompt", {t("generate.prompt")} }
                textarea {
                    id: "prompt",
                    name: "prompt",
                    required: true,
                    maxlength: "{MAX_PROMPT}",
                    rows: "5",
                    placeholder: t("generate.prompt_placeholder"),
                    "aria-describedby": "prompt-count",
                    "aria-invalid": prompt_invalid,
                    value: "{prompt}",
                    oninput: move |e| {
                        prompt.set(e.value());
                        idem_key.set(None);
                    },
                }
                p { id: "prompt-count", class: "hint", "aria-live": "polite",
                    {tf("generate.prompt_count", &[("count", &count.to_string()), ("max", &MAX_PROMPT.to_string())])}
                }
                if let Some(msg) = prompt_error() {
                    p { class: "field-error", role: "alert", "{msg}" }
                }
            }
            div { class: "field",
                label { r#for: "format", {t("generate.format")} }
                select { id: "format", value: "{format}", onchange: move |e| format.set(e.value()),
                    for p in FormatPreset::ALL {
                        option { value: preset_key(p), selected: preset_key(p) == format(), {preset_label(p)} }
                    }
                }
            }
            div { class: "field",
                label { r#for: "workbench", {t("generate.brand_kit")} }
                {workbench_select}
            }
            div { class: "form-row generate-options",
                div { class: "field",
                    label { r#for: "tone", {t("generate.tone")} }
                    select { id: "tone", value: "{tone}", onchange: move |e| tone.set(e.value()),
                        for k in TONES {
                            option { value: k, selected: tone() == k, {label_or("generate.tone", k)} }
                        }
                    }
                }
                div { class: "field",
                    label { r#for: "industry", {t("generate.industry")} }
                    select { id: "industry", value: "{industry}", onchange: move |e| industry.set(e.value()),
                        option { value: "", selected: industry().is_empty(), {t("generate.any_industry")} }
                        for k in INDUSTRIES {
                            option { value: k, selected: industry() == k, {label_or("generate.industry", k)} }
                        }
                    }
                }
                div { class: "field",
                    label { r#for: "style", {t("generate.style")} }
                    select { id: "style", value: "{style}", onchange: move |e| style.set(e.value()),
                        option { value: "", selected: style().is_empty(), {t("generate.any_style")} }
                        for k in STYLES {
                            option { value: k, selected: style() == k, {label_or("generate.style", k)} }
                        }
                    }
                }
            }
            div { class: "field",
                label { r#for: "photos", {t("generate.photos")} }
                input {
                    id: "photos",
                    name: "photos",
                    r#type: "file",
                    multiple: true,
                    accept: "image/*",
                    "aria-describedby": "photos-hint",
                    disabled: photos().len() >= MAX_PHOTOS,
                    onchange: on_photos,
                }
                p { id: "photos-hint", class: "hint", {tf("generate.photos_hint", &[("max", &MAX_PHOTOS.to_string())])} }
                if uploading {
                    Progress {
                        value: batch_done as f64,
                        max: batch_total as f64,
                        label: tf(
                            "generate.uploading",
                            &[("done", &batch_done.to_string()), ("total", &batch_total.to_string())],
                        ),
                    }
                }
                if let Some(note) = photo_note() {
                    Notice { kind: "warning", "{note}" }
                }
                if !photos().is_empty() {
                    ul { class: "photo-list", "aria-label": t("generate.chosen_photos"),
                        for p in photos() {
                            li { key: "{p.key}", class: "photo-item",
                                {
                                    match &p.state {
                                        PhotoState::Uploaded(id) => rsx! {
                                            ProtectedImage {
                                                src: format!("/api/v1/assets/{id}/content"),
                                                alt: p.name.clone(),
                                                class: "photo-thumb",
                                            }
                                        },
                                        _ => rsx! {
                                            div { class: "photo-thumb", "aria-hidden": "true" }
                                        },
                                    }
                                }
                                div { class: "photo-meta",
                                    span { class: "photo-name", "{p.name}" }
                                    {
                                        match &p.state {
                                            PhotoState::Uploading => rsx! {
                                                span { class: "hint", {t("generate.photo_uploading")} }
                                            },
                                            PhotoState::Uploaded(_) => rsx! {
                                                span { class: "badge", {t("generate.photo_uploaded")} }
                                            },
                                            PhotoState::Failed(msg) => rsx! {
                                                span { class: "field-error", "{msg}" }
                                            },
                                        }
                                    }
                                }
                                button {
                                    class: "btn small ghost",
                                    r#type: "button",
                                    disabled: p.state == PhotoState::Uploading,
                                    "aria-label": tf("generate.photo_remove", &[("name", &p.name)]),
                                    onclick: move |_| photos.write().retain(|q| q.key != p.key),
                                    {t("generate.remove")}
                                }
                            }
                        }
                    }
                }
            }
            ProblemBox { error: error() }
            div { class: "row",
                button {
                    id: "generate-submit",
                    class: "btn primary",
                    r#type: "submit",
                    disabled: busy() || uploading,
                    if busy() { {t("generate.submitting")} } else { {t("generate.submit")} }
                }
                if uploading {
                    span { class: "hint", {t("generate.wait_uploads")} }
                } else if !uploaded.is_empty() {
                    span { class: "hint",
                        {tf("generate.photos_ready", &[("count", &uploaded.len().to_string())])}
                    }
                }
            }
        }
    }
}

fn is_running(v: &Value) -> bool {
    matches!(v["status"].as_str(), Some("queued" | "running"))
}

/// One generation: its four designs as they arrive, regenerate and cancel, and the pick dialog.
#[component]
pub fn Generation(id: String) -> Element {
    rsx! {
        GenerationScreen { key: "{id}", id: id.clone() }
    }
}

#[component]
fn GenerationScreen(id: String) -> Element {
    let mut generation = use_signal(|| None::<Result<Value, ApiError>>);
    let poll_id = id.clone();
    let mut poll = use_future(move || {
        let id = poll_id.clone();
        async move {
            loop {
                match api::get::<Value>(&format!("/generations/{id}")).await {
                    Ok(v) => {
                        let running = is_running(&v);
                        generation.set(Some(Ok(v)));
                        if !running {
                            break;
                        }
                    }
                    Err(e) => {
                        generation.set(Some(Err(e)));
                        break;
                    }
                }
                sleep(600).await;
            }
        }
    });
    let mut busy = use_signal(|| false);
    let mut action_error = use_signal(|| None::<ApiError>);
    let mut picked = use_signal(|| None::<i64>);

    let regen_id = id.clone();
    let regenerate = move |_| {
        let id = regen_id.clone();
        busy.set(true);
        action_error.set(None);
        spawn(async move {
            match api::post_empty(&format!("/generations/{id}/regenerate")).await {
                Ok(v) if !text(&v, "id").is_empty() => {
                    state::bump();
                    busy.set(false);
                    navigate(Route::Generation { id: text(&v, "id") });
                }
                Ok(_) => busy.set(false),
                Err(e) => {
                    action_error.set(Some(e));
                    busy.set(false);
                }
            }
        });
    };
    let cancel_id = id.clone();
    let cancel = move |_| {
        let id = cancel_id.clone();
        busy.set(true);
        action_error.set(None);
        spawn(async move {
            match api::post_empty(&format!("/generations/{id}/cancel")).await {
                Ok(v) if v.is_object() => generation.set(Some(Ok(v))),
                Ok(_) => {}
                Err(e) => action_error.set(Some(e)),
            }
            state::bump();
            busy.set(false);
        });
    };

    let content = match &*generation.read() {
        None => rsx! { Loading {} },
        Some(Err(e)) => rsx! {
            ErrorBox { error: Some(e.clone()) }
            div { class: "row",
                button {
                    class: "btn",
                    r#type: "button",
                    onclick: move |_| {
                        generation.set(None);
                        poll.restart();
                    },
                    {t("common.retry")}
                }
                Link { to: Route::Generate { project: None }, class: "btn ghost", {t("generate.new")} }
            }
        },
        Some(Ok(v)) => {
            let status = text(v, "status");
            let running = is_running(v);
            let samples = v["samples"].as_array().cloned().unwrap_or_default();
            let ready = samples.len();
            let width = v["width"].as_i64().unwrap_or(1080);
            let height = v["height"].as_i64().unwrap_or(1080);
            let prompt = text(v, "prompt");
            let server_error = v["error"].as_str().map(str::to_owned);
            let pending = if running { SAMPLES.saturating_sub(ready) } else { 0 };
            rsx! {
                p { class: "hint generation-prompt", "{prompt}" }
                if running {
                    div { class: "stack",
                        Progress {
                            value: ready as f64,
                            max: SAMPLES as f64,
                            label: tf(
                                "generate.ready_count",
                                &[("count", &ready.to_string()), ("total", &SAMPLES.to_string())],
                            ),
                        }
                        div { class: "row",
                            button {
                                id: "cancel-generation",
                                class: "btn",
                                r#type: "button",
                                disabled: busy(),
                                onclick: cancel,
                                {t("generate.cancel")}
                            }
                        }
                    }
                }
                if status == "failed" {
                    div { class: "notice error", role: "alert",
                        strong { {t("generate.failed_title")} }
                        " "
                        span { {server_error.clone().unwrap_or_else(|| t("generate.failed"))} }
                        p { class: "hint", {t("generate.not_charged")} }
                    }
                }
                if status == "canceled" {
                    Notice { kind: "info", {t("generate.canceled")} }
                }
                if status == "succeeded" {
                    Notice { kind: "success", {t("generate.done")} }
                }
                ul { id: "samples", class: "samples", "aria-busy": if running { "true" } else { "false" },
                    for s in samples.iter() {
                        {
                            let index = s["index"].as_i64().unwrap_or_default();
                            let alt = tf(
                                "generate.sample_alt",
                                &[("n", &(index + 1).to_string()), ("total", &SAMPLES.to_string())],
                            );
                            let details = tf("generate.sample_details", &[("template", &layout_name(&text(s, "template")))]);
                            let preview = text(s, "preview_url");
                            rsx! {
                                li { key: "{index}", class: "sample card",
                                    ProtectedImage {
                                        src: preview,
                                        alt: alt.clone(),
                                        class: "sample-img",
                                        width,
                                        height,
                                    }
                                    p { class: "hint sample-details", "{details}" }
                                    button {
                                        class: "btn primary pick",
                                        r#type: "button",
                                        "data-index": "{index}",
                                        "aria-label": tf("generate.use_design_n", &[("n", &(index + 1).to_string())]),
                                        onclick: move |_| picked.set(Some(index)),
                                        {t("generate.use_design")}
                                    }
                                }
                            }
                        }
                    }
                    for n in 0..pending {
                        li { key: "pending-{n}", class: "sample-pending card", "aria-hidden": "true",
                            div { class: "sample-img img-loading" }
                        }
                    }
                }
                if !running && samples.is_empty() && status != "failed" && status != "canceled" {
                    p { class: "hint", {t("generate.no_samples")} }
                }
                ProblemBox { error: action_error() }
                if !running {
                    div { class: "row",
                        button {
                            id: "regenerate",
                            class: if status == "failed" { "btn primary" } else { "btn" },
                            r#type: "button",
                            disabled: busy(),
                            onclick: regenerate,
                            if busy() {
                                {t("generate.regenerating")}
                            } else if status == "failed" {
                                {t("common.retry")}
                            } else {
                                {t("generate.regenerate")}
                            }
                        }
                        Link { to: Route::Generate { project: None }, class: "btn ghost", {t("generate.new")} }
                    }
                }
                if let Some(index) = picked() {
                    PickDialog {
                        generation_id: id.clone(),
                        index,
                        width,
                        height,
                        on_close: move |_| picked.set(None),
                    }
                }
            }
        }
    };

    rsx! {
        PageHeader { title: t("generate.results_title") }
        {content}
    }
}

/// Picks a sample: into a project, and optionally a final file.
#[component]
fn PickDialog(generation_id: String, index: i64, width: i64, height: i64, on_close: EventHandler<()>) -> Element {
    let project = use_signal(String::new);
    let name = use_signal(String::new);
    let mut export = use_signal(|| false);
    let mut size = use_signal(|| FINAL_SIZES[0].to_owned());
    let mut file_format = use_signal(|| FINAL_FORMATS[0].to_owned());
    let mut busy = use_signal(|| false);
    let mut error = use_signal(|| None::<ApiError>);
    let mut result = use_signal(|| None::<Value>);
    let plan = use_resource(|| async move { team_plan().await });
    let watermark = matches!(&*plan.read(), Some(Ok(p)) if p["watermark"].as_bool() == Some(true));

    let submit = move |e: FormEvent| {
        e.prevent_default();
        if busy() {
            return;
        }
        let project_id = project();
        if project_id.is_empty() && !export() {
            error.set(Some(ApiError {
                status: 422,
                kind: "validation".into(),
                title: t("generate.pick_invalid_title"),
                detail: t("generate.pick_invalid"),
                fields: Vec::new(),
            }));
            return;
        }
        let mut body = json!({});
        if !project_id.is_empty() {
            body["project_id"] = Value::String(project_id.clone());
            api::storage_set(PROJECT_KEY, &project_id);
        }
        let given = name().trim().to_owned();
        if !given.is_empty() {
            body["name"] = Value::String(given);
        }
        if export() {
            body["final"] = json!({ "size": size(), "format": file_format() });
        }
        let path = format!("/generations/{generation_id}/samples/{index}/select");
        busy.set(true);
        error.set(None);
        spawn(async move {
            match api::post::<Value>(&path, &body).await {
                Ok(v) => {
                    state::bump();
                    result.set(Some(v));
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    let title = tf("generate.pick_title", &[("n", &(index + 1).to_string()), ("total", &SAMPLES.to_string())]);
    if let Some(v) = result() {
        let creative =
            v["creative"].as_object().map(|c| c.get("id").and_then(Value::as_str).unwrap_or_default().to_owned());
        let final_id =
            v["final"].as_object().map(|f| f.get("id").and_then(Value::as_str).unwrap_or_default().to_owned());
        return rsx! {
            Modal { id: "pick-dialog", title, on_close: move |_| on_close.call(()),
                div { class: "stack",
                    if creative.is_some() {
                        Notice { kind: "success", {t("generate.pick_saved")} }
                    }
                    if let Some(f) = final_id.filter(|f| !f.is_empty()) {
                        FinalDownload { final_id: f, link_id: "final-download" }
                    }
                    div { class: "row",
                        if let Some(c) = creative.filter(|c| !c.is_empty()) {
                            Link { id: "open-creative", to: Route::Creative { id: c }, class: "btn",
                                {t("generate.open_creative")}
                            }
                        }
                        button { class: "btn ghost", r#type: "button", onclick: move |_| on_close.call(()),
                            {t("common.close")}
                        }
                    }
                }
            }
        };
    }

    rsx! {
        Modal { id: "pick-dialog", title, on_close: move |_| on_close.call(()),
            form { class: "stack", novalidate: true, onsubmit: submit,
                ProjectSelect { id: "pick-project", create_id: "pick-create-project", value: project }
                Field { id: "pick-name", label: t("generate.pick_name"), value: name, hint: t("generate.pick_name_hint") }
                div { class: "row",
                    input {
                        id: "pick-export",
                        r#type: "checkbox",
                        checked: export(),
                        onchange: move |e| export.set(e.checked()),
                    }
                    label { r#for: "pick-export", {t("generate.pick_export")} }
                }
                if export() {
                    div { class: "form-row",
                        div { class: "field",
                            label { r#for: "final-size", {t("generate.final_size")} }
                            select { id: "final-size", value: "{size}", onchange: move |e| size.set(e.value()),
                                for s in FINAL_SIZES {
                                    option { value: s, selected: size() == s, {final_size_label(s, width, height)} }
                                }
                            }
                        }
                        div { class: "field",
                            label { r#for: "final-format", {t("generate.final_format")} }
                            select {
                                id: "final-format",
                                value: "{file_format}",
                                onchange: move |e| file_format.set(e.value()),
                                for f in FINAL_FORMATS {
                                    option { value: f, selected: file_format() == f, {f.to_uppercase()} }
                                }
                            }
                        }
                    }
                    if watermark {
                        p { class: "hint", {t("generate.watermark_note")} }
                    }
                }
                ProblemBox { error: error() }
                div { class: "row",
                    button { id: "pick-submit", class: "btn primary", r#type: "submit", disabled: busy(),
                        if busy() { {t("generate.pick_saving")} } else { {t("generate.pick_submit")} }
                    }
                    button { class: "btn ghost", r#type: "button", onclick: move |_| on_close.call(()),
                        {t("common.cancel")}
                    }
                }
            }
        }
    }
}

/// A template id (`sale-poster-price-tag.instagram_post`) as a name: "Sale poster price tag".
fn layout_name(template: &str) -> String {
    let base = template.split('.').next().unwrap_or_default().replace('-', " ");
    let mut chars = base.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_ids_read_as_names() {
        assert_eq!(layout_name("sale-poster-price-tag.instagram_post"), "Sale poster price tag");
        assert_eq!(layout_name(""), "");
    }

    #[test]
    fn presets_round_trip_through_their_keys() {
        for p in FormatPreset::ALL {
            assert_eq!(preset_from_key(&preset_key(p)), Some(p));
        }
        assert_eq!(preset_key(FormatPreset::InstagramPost), "instagram_post");
    }

    #[test]
    fn final_sizes_follow_the_worker() {
        assert_eq!(final_pixels("standard", 1080, 1080), (1080, 1080));
        assert_eq!(final_pixels("hd", 1080, 1920), (2160, 3840));
        assert_eq!(final_pixels("uhd4k", 1280, 720), (3840, 2160));
        assert_eq!(final_pixels("uhd4k", 1080, 1920), (2160, 3840));
        assert_eq!(extension("jpeg"), "jpg");
    }
}
