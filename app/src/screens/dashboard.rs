//! The dashboard (UI-001): a greeting, quick actions, the team's credits and plan, generations
//! still running, recent creatives and the team's workbenches. Everything follows the current
//! team and refetches when shared data changes (`state::REFRESH`).

use dioxus::prelude::*;
use serde_json::Value;

use crate::api;
use crate::components::{Empty, ErrorBox, Loading, PageHeader};
use crate::i18n::{self, t, tf};
use crate::route::{Link, Route};
use crate::screens::workbenches::Thumbnail;
use crate::state;

/// How many recent creatives and workbenches the dashboard shows.
const RECENT: usize = 8;

/// The dashboard.
#[component]
pub fn Dashboard() -> Element {
    let user = state::USER();
    let name = user.as_ref().and_then(|u| u["display_name"].as_str()).map(str::trim).unwrap_or_default().to_owned();
    let title =
        if name.is_empty() { t("dashboard.greeting_anon") } else { tf("dashboard.greeting", &[("name", &name)]) };
    rsx! {
        PageHeader { title, subtitle: Some(t("dashboard.subtitle")) }
        nav { class: "quick-actions", "aria-label": t("dashboard.quick_actions"),
            ul { class: "row plain-list",
                li {
                    Link { id: "quick-new", to: Route::Generate { project: None }, class: "btn primary",
                        {t("dashboard.quick_new")}
                    }
                }
                li {
                    Link { id: "quick-templates", to: Route::Templates, class: "btn", {t("dashboard.quick_templates")} }
                }
            }
        }
        div { class: "dashboard-grid",
            Credits {}
            InProgress {}
        }
        RecentCreatives {}
        TeamWorkbenches {}
    }
}

/// The share of `part` in `whole`, 0–100.
pub fn percent(part: i64, whole: i64) -> i64 {
    if whole <= 0 { 0 } else { (part.clamp(0, whole) * 100) / whole }
}

/// Plan and credits of the current team.
#[component]
fn Credits() -> Element {
    let mut billing = use_resource(move || async move {
        let _ = state::REFRESH();
        let Some(team) = state::team_id() else { return Err(api::ApiError::offline()) };
        api::get::<Value>(&format!("/teams/{team}/billing")).await
    });
    let body = match &*billing.read() {
        None => rsx! { Loading {} },
        Some(Err(e)) => rsx! {
            ErrorBox { error: Some(e.clone()) }
            button { class: "btn small", r#type: "button", onclick: move |_| billing.restart(), {t("common.retry")} }
        },
        Some(Ok(b)) => {
            let plan = b["plan"]["name"].as_str().unwrap_or_default().to_owned();
            let available = b["available_quarters"].as_i64().unwrap_or_default();
            let granted = b["granted_quarters"].as_i64().unwrap_or_default();
            let held = b["held_quarters"].as_i64().unwrap_or_default();
            let pct = percent(available, granted);
            let label = tf(
                "dashboard.credits_of",
                &[("available", &i18n::credits(available)), ("granted", &i18n::credits(granted))],
            );
            rsx! {
                p { class: "spread",
                    span { {tf("dashboard.plan", &[("plan", &plan)])} }
                    span { class: "badge", {b["period"].as_str().unwrap_or_default().to_owned()} }
                }
                p { class: "credits-figure", "{label}" }
                div { class: "meter", role: "img", "aria-label": "{label}",
                    span { style: "width: {pct}%" }
                }
                if held > 0 {
                    p { class: "hint", {tf("dashboard.credits_held", &[("held", &i18n::credits(held))])} }
                }
                if available <= 0 {
                    p { class: "hint", {t("dashboard.credits_out")} }
                }
                Link { to: Route::Billing, {t("dashboard.see_billing")} }
            }
        }
    };
    rsx! {
        section { id: "credits", class: "card stack", "aria-labelledby": "credits-title",
            h2 { id: "credits-title", {t("dashboard.credits_title")} }
            {body}
        }
    }
}

/// Generations of this account that are queued or running; polls while there are any.
#[component]
fn InProgress() -> Element {
    let mut tick = use_signal(|| 0_u64);
    let mut list = use_resource(move || async move {
        let _ = state::REFRESH();
        let _ = tick();
        api::get::<Value>("/generations?limit=20").await
    });
    let running: Option<Vec<Value>> = match &*list.read() {
        Some(Ok(v)) => Some(
            v["items"]
                .as_array()
                .map(|a| {
                    a.iter().filter(|g| matches!(g["status"].as_str(), Some("queued" | "running"))).cloned().collect()
                })
                .unwrap_or_default(),
        ),
        _ => None,
    };
    use_future(move || async move {
        loop {
            if cfg!(not(target_arch = "wasm32")) {
                break;
            }
            sleep_ms(4000).await;
            let busy = matches!(&*list.peek(), Some(Ok(v)) if v["items"].as_array().is_some_and(|a| a
                .iter()
                .any(|g| matches!(g["status"].as_str(), Some("queued" | "running")))));
            if busy {
                *tick.write() += 1;
            }
        }
    });
    let body = match (&*list.read(), running) {
        (None, _) => rsx! { Loading {} },
        (Some(Err(e)), _) => rsx! {
            ErrorBox { error: Some(e.clone()) }
            button { class: "btn small", r#type: "button", onclick: move |_| list.restart(), {t("common.retry")} }
        },
        (Some(Ok(_)), Some(items)) if !items.is_empty() => rsx! {
            ul { class: "plain-list stack",
                for g in items {
                    li { key: "{g[\"id\"].as_str().unwrap_or_default()}",
                        Link {
                            to: Route::Generation { id: g["id"].as_str().unwrap_or_default().to_owned() },
                            class: "in-progress-item",
                            span { class: "badge", {status_label(g["status"].as_str().unwrap_or_default())} }
                            " "
                            span { {prompt_excerpt(g["prompt"].as_str().unwrap_or_default())} }
                        }
                        p { class: "hint", {i18n::datetime(g["created_at"].as_i64().unwrap_or_default())} }
                    }
                }
            }
        },
        (Some(Ok(_)), _) => rsx! {
            p { class: "hint", {t("dashboard.in_progress_empty")} }
        },
    };
    rsx! {
        section { id: "in-progress", class: "card stack", "aria-labelledby": "in-progress-title",
            h2 { id: "in-progress-title", {t("dashboard.in_progress_title")} }
            {body}
        }
    }
}

fn status_label(status: &str) -> String {
    match status {
        "queued" => t("dashboard.status_queued"),
        "running" => t("dashboard.status_running"),
        other => other.to_owned(),
    }
}

/// The start of a prompt, for a list line.
pub fn prompt_excerpt(prompt: &str) -> String {
    let prompt = prompt.trim();
    if prompt.chars().count() <= 80 {
        prompt.to_owned()
    } else {
        let cut: String = prompt.chars().take(79).collect();
        format!("{}…", cut.trim_end())
    }
}

/// The team's newest creatives.
#[component]
fn RecentCreatives() -> Element {
    let mut list = use_resource(move || async move {
        let _ = state::REFRESH();
        let Some(team) = state::team_id() else { return Err(api::ApiError::offline()) };
        api::get::<Value>(&format!("/creatives?team_id={}&limit={RECENT}", api::encode(&team))).await
    });
    let body = match &*list.read() {
        None => rsx! { Loading {} },
        Some(Err(e)) => rsx! {
            ErrorBox { error: Some(e.clone()) }
            button { class: "btn small", r#type: "button", onclick: move |_| list.restart(), {t("common.retry")} }
        },
        Some(Ok(v)) => {
            let items = v["items"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                rsx! {
                    Empty { title: t("dashboard.recent_empty"), hint: Some(t("dashboard.recent_empty_hint")),
                        Link { to: Route::Generate { project: None }, class: "btn primary", {t("dashboard.quick_new")} }
                    }
                }
            } else {
                rsx! {
                    ul { class: "grid plain-list",
                        for c in items.into_iter().take(RECENT) {
                            RecentCard { key: "{c[\"id\"].as_str().unwrap_or_default()}", creative: c.clone() }
                        }
                    }
                }
            }
        }
    };
    rsx! {
        section { id: "recent-creatives", class: "stack", "aria-labelledby": "recent-title",
            h2 { id: "recent-title", {t("dashboard.recent_title")} }
            {body}
        }
    }
}

#[component]
fn RecentCard(creative: Value) -> Element {
    let id = creative["id"].as_str().unwrap_or_default().to_owned();
    let name = creative["name"].as_str().unwrap_or_default().to_owned();
    let updated = creative["updated_at"].as_i64().unwrap_or_default();
    let thumb = creative["thumbnail_url"].as_str().map(str::to_owned);
    rsx! {
        li { class: "card",
            Link { to: Route::Creative { id }, class: "cover stack",
                if let Some(url) = thumb {
                    Thumbnail { url, alt: name.clone() }
                }
                span { class: "creative-name", "{name}" }
                span { class: "hint", {i18n::date(updated)} }
            }
        }
    }
}

/// The team's workbenches.
#[component]
fn TeamWorkbenches() -> Element {
    let mut list = use_resource(move || async move {
        let _ = state::REFRESH();
        let Some(team) = state::team_id() else { return Err(api::ApiError::offline()) };
        api::get::<Value>(&format!("/teams/{team}/workbenches?limit={RECENT}")).await
    });
    let body = match &*list.read() {
        None => rsx! { Loading {} },
        Some(Err(e)) => rsx! {
            ErrorBox { error: Some(e.clone()) }
            button { class: "btn small", r#type: "button", onclick: move |_| list.restart(), {t("common.retry")} }
        },
        Some(Ok(v)) => {
            let items = v["items"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                rsx! {
                    Empty { title: t("dashboard.workbenches_empty"), hint: Some(t("dashboard.workbenches_empty_hint")),
                        Link { to: Route::Workbenches, class: "btn primary", {t("dashboard.create_workbench")} }
                    }
                }
            } else {
                rsx! {
                    ul { class: "grid wide plain-list",
                        for w in items {
                            li { key: "{w[\"id\"].as_str().unwrap_or_default()}", class: "card",
                                Link { to: Route::Workbench { id: w["id"].as_str().unwrap_or_default().to_owned() },
                                    {w["name"].as_str().unwrap_or_default().to_owned()}
                                }
                                if let Some(d) = w["description"].as_str().filter(|d| !d.is_empty()) {
                                    p { class: "hint", "{d}" }
                                }
                            }
                        }
                    }
                    Link { to: Route::Workbenches, {t("dashboard.all_workbenches")} }
                }
            }
        }
    };
    rsx! {
        section { id: "workbenches", class: "stack", "aria-labelledby": "workbenches-title",
            h2 { id: "workbenches-title", {t("dashboard.workbenches_title")} }
            {body}
        }
    }
}

/// Waits `ms` milliseconds on the browser's timer (returns at once on the host).
async fn sleep_ms(ms: i32) {
    #[cfg(target_arch = "wasm32")]
    {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = ms;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meter_share_is_bounded() {
        assert_eq!(percent(50, 200), 25);
        assert_eq!(percent(300, 200), 100);
        assert_eq!(percent(-4, 200), 0);
        assert_eq!(percent(5, 0), 0);
    }

    #[test]
    fn long_prompts_are_cut() {
        assert_eq!(prompt_excerpt("  short  "), "short");
        let long = "a".repeat(200);
        assert_eq!(prompt_excerpt(&long).chars().count(), 80);
    }
}
