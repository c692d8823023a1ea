//! One creative (DESIGN.md §8): its name, size, approval status and thumbnail, the way back to
//! its project, and the export dialog (size, format, watermark note, progress, download).

use dioxus::prelude::*;
use serde_json::{Value, json};

use crate::api::{self, ApiError};
use crate::components::{ErrorBox, Loading, Modal, PageHeader};
use crate::i18n::{self, t, tf};
use crate::route::{Link, Route};
use crate::screens::generate::{
    FINAL_FORMATS, FINAL_SIZES, FinalDownload, ProblemBox, ProtectedImage, final_size_label, label_or, team_plan, text,
};
use crate::state;

/// A creative and its export dialog.
#[component]
pub fn Creative(id: String) -> Element {
    rsx! {
        CreativeScreen { key: "{id}", id: id.clone() }
    }
}

#[component]
fn CreativeScreen(id: String) -> Element {
    let load_id = id.clone();
    let mut data = use_resource(move || {
        let id = load_id.clone();
        async move {
            let _ = state::REFRESH();
            let creative: Value = api::get(&format!("/creatives/{id}")).await?;
            // The project only names the way back; the screen works without it.
            let project = match text(&creative, "project_id") {
                p if p.is_empty() => Value::Null,
                p => api::get::<Value>(&format!("/projects/{p}")).await.unwrap_or(Value::Null),
            };
            Ok::<_, ApiError>((creative, project))
        }
    });
    let mut exporting = use_signal(|| false);

    let body = match &*data.read() {
        None => rsx! {
            PageHeader { title: t("creative.title") }
            Loading {}
        },
        Some(Err(e)) => rsx! {
            PageHeader { title: t("creative.title") }
            ErrorBox { error: Some(e.clone()) }
            div { class: "row",
                button { class: "btn", r#type: "button", onclick: move |_| data.restart(), {t("common.retry")} }
                Link { to: Route::Workbenches, class: "btn ghost", {t("creative.all_workbenches")} }
            }
        },
        Some(Ok((c, project))) => {
            let name = text(c, "name");
            let width = c["width"].as_i64().unwrap_or_default();
            let height = c["height"].as_i64().unwrap_or_default();
            let status = text(c, "approval_status");
            let updated = c["updated_at"].as_i64().map(i18n::datetime).unwrap_or_default();
            let created = c["created_at"].as_i64().map(i18n::datetime).unwrap_or_default();
            let thumbnail = c["thumbnail_url"].as_str().filter(|s| !s.is_empty()).map(str::to_owned);
            let project_id = text(c, "project_id");
            let project_name = text(project, "name");
            let workbench_id = text(project, "workbench_id");
            let alt = tf("creative.thumbnail_alt", &[("name", &name)]);
            rsx! {
                PageHeader { title: name.clone(), subtitle: tf("creative.size", &[("width", &width.to_string()), ("height", &height.to_string())]),
                    button {
                        id: "export-open",
                        class: "btn primary",
                        r#type: "button",
                        onclick: move |_| exporting.set(true),
                        {t("creative.export")}
                    }
                }
                nav { class: "row creative-crumbs", "aria-label": t("creative.breadcrumbs"),
                    if !workbench_id.is_empty() {
                        Link { to: Route::Workbench { id: workbench_id.clone() }, class: "btn small ghost",
                            {t("creative.workbench")}
                        }
                    }
                    if !project_id.is_empty() {
                        Link { to: Route::Project { id: project_id.clone() }, class: "btn small",
                            if project_name.is_empty() {
                                {t("creative.back_to_project")}
                            } else {
                                {tf("creative.back_to_named_project", &[("name", &project_name)])}
                            }
                        }
                    }
                }
                div { class: "creative-layout",
                    div { class: "card creative-preview",
                        if let Some(src) = thumbnail {
                            ProtectedImage { src, alt, class: "thumb creative-thumb", width, height }
                        } else {
                            div { class: "empty",
                                p { class: "empty-title", {t("creative.no_thumbnail")} }
                                p { class: "hint", {t("creative.no_thumbnail_hint")} }
                            }
                        }
                    }
                    section { class: "card", "aria-labelledby": "creative-details",
                        h2 { id: "creative-details", {t("creative.details")} }
                        dl { class: "creative-facts",
                            dt { {t("creative.size_label")} }
                            dd { {tf("creative.size", &[("width", &width.to_string()), ("height", &height.to_string())])} }
                            dt { {t("creative.status_label")} }
                            dd {
                                span { class: "badge", id: "approval-status", {label_or("creative.status", &status)} }
                            }
                            dt { {t("creative.updated")} }
                            dd { "{updated}" }
                            dt { {t("creative.created")} }
                            dd { "{created}" }
                        }
                    }
                }
                if exporting() {
                    ExportDialog {
                        creative_id: id.clone(),
                        width,
                        height,
                        on_close: move |_| exporting.set(false),
                    }
                }
            }
        }
    };
    rsx! {
        {body}
    }
}

/// Export a creative as a file.
#[component]
fn ExportDialog(creative_id: String, width: i64, height: i64, on_close: EventHandler<()>) -> Element {
    let mut size = use_signal(|| FINAL_SIZES[0].to_owned());
    let mut file_format = use_signal(|| FINAL_FORMATS[0].to_owned());
    let mut busy = use_signal(|| false);
    let mut error = use_signal(|| None::<ApiError>);
    let mut final_id = use_signal(|| None::<String>);
    let plan = use_resource(|| async move { team_plan().await });
    let watermark = matches!(&*plan.read(), Some(Ok(p)) if p["watermark"].as_bool() == Some(true));

    let submit = move |e: FormEvent| {
        e.prevent_default();
        if busy() {
            return;
        }
        let path = format!("/creatives/{creative_id}/exports");
        let body = json!({ "size": size(), "format": file_format() });
        busy.set(true);
        error.set(None);
        final_id.set(None);
        spawn(async move {
            match api::post::<Value>(&path, &body).await {
                Ok(v) => {
                    state::bump();
                    final_id.set(Some(text(&v, "id")));
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    rsx! {
        Modal { id: "export-dialog", title: t("creative.export_title"), on_close: move |_| on_close.call(()),
            form { class: "stack", novalidate: true, onsubmit: submit,
                div { class: "form-row",
                    div { class: "field",
                        label { r#for: "export-format", {t("creative.export_format")} }
                        select {
                            id: "export-format",
                            value: "{file_format}",
                            onchange: move |e| file_format.set(e.value()),
                            for f in FINAL_FORMATS {
                                option { value: f, selected: file_format() == f, {f.to_uppercase()} }
                            }
                        }
                    }
                    div { class: "field",
                        label { r#for: "export-size", {t("creative.export_size")} }
                        select { id: "export-size", value: "{size}", onchange: move |e| size.set(e.value()),
                            for s in FINAL_SIZES {
                                option { value: s, selected: size() == s, {final_size_label(s, width, height)} }
                            }
                        }
                    }
                }
                if watermark {
                    p { id: "watermark-note", class: "notice warning", {t("creative.watermark_note")} }
                }
                ProblemBox { error: error() }
                if let Some(f) = final_id().filter(|f| !f.is_empty()) {
                    FinalDownload { final_id: f, link_id: "export-download" }
                }
                div { class: "row",
                    button { id: "export-submit", class: "btn primary", r#type: "submit", disabled: busy(),
                        if busy() { {t("creative.exporting")} } else { {t("creative.export_submit")} }
                    }
                    button { class: "btn ghost", r#type: "button", onclick: move |_| on_close.call(()),
                        {t("common.close")}
                    }
                }
            }
        }
    }
}
