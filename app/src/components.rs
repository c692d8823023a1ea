//! Small building blocks every screen uses: labelled fields, error and empty states, loading
//! and progress indicators, dialogs and page headers. They carry the accessibility wiring
//! (labels, roles, live regions) so screens get it by default.

use dioxus::prelude::*;

use crate::api::ApiError;
use crate::i18n::t;

/// A labelled text input bound to a signal. `error` is shown under it and announced.
#[component]
pub fn Field(
    // Element id (also ties the label to the input).
    id: String,
    // Visible label.
    label: String,
    // The value.
    value: Signal<String>,
    // `text`, `email`, `password`, `number`, `url`, `search` …
    #[props(default = "text".to_string())] kind: String,
    // The browser's autocomplete hint (`email`, `current-password`, `one-time-code`, …).
    #[props(default)] autocomplete: Option<String>,
    // Whether the field must be filled.
    #[props(default)] required: bool,
    // A hint under the field.
    #[props(default)] hint: Option<String>,
    // An error for this field.
    #[props(default)] error: Option<String>,
    // `inputmode` (e.g. `numeric` for codes).
    #[props(default)] inputmode: Option<String>,
) -> Element {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = match (&hint, &error) {
        (Some(_), Some(_)) => Some(format!("{hint_id} {error_id}")),
        (Some(_), None) => Some(hint_id.clone()),
        (None, Some(_)) => Some(error_id.clone()),
        (None, None) => None,
    };
    let invalid = if error.is_some() { "true" } else { "false" };
    rsx! {
        div { class: "field",
            label { r#for: "{id}", "{label}" }
            input {
                id: "{id}",
                name: "{id}",
                r#type: "{kind}",
                value: "{value}",
                required,
                autocomplete,
                inputmode,
                "aria-invalid": invalid,
                "aria-describedby": described,
                oninput: move |e| value.set(e.value()),
            }
            if let Some(h) = hint {
                p { id: "{hint_id}", class: "hint", "{h}" }
            }
            if let Some(e) = error {
                p { id: "{error_id}", class: "field-error", "{e}" }
            }
        }
    }
}

/// An error from the server, announced to screen readers.
#[component]
pub fn ErrorBox(error: Option<ApiError>) -> Element {
    match error {
        Some(e) => rsx! {
            div { class: "notice error", role: "alert",
                strong { "{e.title}" }
                " "
                span { "{e.message()}" }
            }
        },
        None => rsx! {},
    }
}

/// A plain message box (`role=status`).
#[component]
pub fn Notice(
    // `info`, `success` or `warning`.
    #[props(default = "info".to_string())] kind: String,
    children: Element,
) -> Element {
    rsx! {
        div { class: "notice {kind}", role: "status", {children} }
    }
}

/// Shown while something loads.
#[component]
pub fn Loading(#[props(default)] label: Option<String>) -> Element {
    let label = label.unwrap_or_else(|| t("common.loading"));
    rsx! {
        div { class: "loading", role: "status", "aria-live": "polite",
            span { class: "spinner", "aria-hidden": "true" }
            span { "{label}" }
        }
    }
}

/// A progress bar with a label (long actions: generating, exporting, uploading).
#[component]
pub fn Progress(
    // Done so far.
    value: f64,
    // Total.
    max: f64,
    // What is in progress.
    label: String,
) -> Element {
    rsx! {
        div { class: "progress",
            label { "{label}"
                progress { value: "{value}", max: "{max}", "aria-label": "{label}" }
            }
        }
    }
}

/// An empty list, with what to do next.
#[component]
pub fn Empty(title: String, #[props(default)] hint: Option<String>, children: Element) -> Element {
    rsx! {
        div { class: "empty",
            p { class: "empty-title", "{title}" }
            if let Some(h) = hint {
                p { class: "hint", "{h}" }
            }
            {children}
        }
    }
}

/// A page title with optional actions beside it.
#[component]
pub fn PageHeader(title: String, #[props(default)] subtitle: Option<String>, children: Element) -> Element {
    rsx! {
        div { class: "page-header",
            div {
                h1 { id: "page-title", "{title}" }
                if let Some(s) = subtitle {
                    p { class: "hint", "{s}" }
                }
            }
            div { class: "actions", {children} }
        }
    }
}

/// A modal dialog: labelled by its title, closed by Escape or the close button.
#[component]
pub fn Modal(
    // Element id prefix.
    id: String,
    // Dialog title.
    title: String,
    // Called when the dialog should close.
    on_close: EventHandler<()>,
    children: Element,
) -> Element {
    let title_id = format!("{id}-title");
    rsx! {
        div { class: "modal-backdrop",
            div {
                id: "{id}",
                class: "modal",
                role: "dialog",
                "aria-modal": "true",
                "aria-labelledby": "{title_id}",
                onkeydown: move |e: KeyboardEvent| {
                    if e.key() == Key::Escape {
                        on_close.call(());
                    }
                },
                div { class: "modal-head",
                    h2 { id: "{title_id}", "{title}" }
                    button {
                        class: "btn ghost",
                        r#type: "button",
                        "aria-label": t("common.close"),
                        autofocus: true,
                        onclick: move |_| on_close.call(()),
                        "×"
                    }
                }
                {children}
            }
        }
    }
}

/// A row's "delete" button: sends `DELETE path`, shows `busy_label` (and is disabled) while it
/// runs, then calls `on_done`, or `on_error` with the failure (`None` as it starts, to clear an
/// earlier one).
#[component]
pub fn DeleteButton(
    // The API path to delete.
    path: String,
    // Visible text.
    label: String,
    // Visible text while the request runs.
    busy_label: String,
    // The accessible name (it must contain the visible text).
    aria_label: String,
    // After the server deleted it.
    on_done: EventHandler<()>,
    // `None` as a request starts, then the error if it fails.
    on_error: EventHandler<Option<ApiError>>,
) -> Element {
    let mut busy = use_signal(|| false);
    rsx! {
        button {
            class: "btn small danger",
            r#type: "button",
            disabled: busy(),
            "aria-label": "{aria_label}",
            onclick: move |_| {
                let path = path.clone();
                busy.set(true);
                on_error.call(None);
                spawn(async move {
                    match crate::api::delete(&path).await {
                        Ok(()) => on_done.call(()),
                        Err(e) => on_error.call(Some(e)),
                    }
                    busy.set(false);
                });
            },
            if busy() { "{busy_label}" } else { "{label}" }
        }
    }
}
