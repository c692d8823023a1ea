//! The frame around every screen: a skip link, the header with navigation, team and language
//! pickers, the offline and email-verification banners, and the toast line.

use dioxus::prelude::*;
use serde_json::Value;

use crate::api;
use crate::i18n::{Locale, set_locale, t, tf};
use crate::route::{Link, ROUTE, Route};
use crate::state::{self, LOCALE, ONLINE, TOAST, USER};

/// The frame for signed-in screens.
#[component]
pub fn Shell(children: Element) -> Element {
    let route = ROUTE();
    let nav = [
        (Route::Dashboard, "nav.dashboard"),
        (Route::Generate { project: None }, "nav.generate"),
        (Route::Templates, "nav.templates"),
        (Route::Workbenches, "nav.workbenches"),
        (Route::Team, "nav.team"),
        (Route::Billing, "nav.billing"),
        (Route::Account, "nav.account"),
    ];
    let teams = use_resource(move || async move {
        let _ = state::REFRESH();
        let list = api::get::<Value>("/teams").await.ok();
        // A team kept on this browser that this account no longer belongs to (or another
        // account's) falls back to the personal team.
        if let (Some(v), Some(current)) = (&list, state::TEAM.peek().clone()) {
            let known = v["items"].as_array().is_some_and(|a| a.iter().any(|t| t["id"].as_str() == Some(&current)));
            if !known {
                state::set_team(None);
            }
        }
        list
    });
    rsx! {
        a { class: "skip", href: "#main-content", {t("common.skip")} }
        header { class: "topbar",
            div { class: "brand-row",
                Link { to: Route::Dashboard, class: "brand", label: t("common.app_name"),
                    span { class: "logo", "aria-hidden": "true", "◆" }
                    span { {t("common.app_name")} }
                }
                div { class: "pickers",
                    if let Some(Some(list)) = teams() {
                        TeamPicker { teams: list["items"].as_array().cloned().unwrap_or_default() }
                    }
                    LanguagePicker {}
                    button {
                        class: "btn ghost",
                        r#type: "button",
                        onclick: move |_| { spawn(state::sign_out()); },
                        {t("nav.sign_out")}
                    }
                }
            }
            nav { "aria-label": t("common.main_nav"),
                ul { class: "nav",
                    for (r, key) in nav {
                        li {
                            Link {
                                to: r.clone(),
                                class: if same_area(&route, &r) { "active" } else { "" },
                                {t(key)}
                            }
                        }
                    }
                }
            }
        }
        Banners {}
        main { id: "main-content", tabindex: "-1", class: "content", {children} }
        Toast {}
    }
}

/// The frame for signed-out screens (login, sign-up, email links).
#[component]
pub fn Bare(children: Element) -> Element {
    rsx! {
        a { class: "skip", href: "#main-content", {t("common.skip")} }
        header { class: "topbar bare",
            div { class: "brand-row",
                span { class: "brand",
                    span { class: "logo", "aria-hidden": "true", "◆" }
                    span { {t("common.app_name")} }
                }
                div { class: "pickers", LanguagePicker {} }
            }
        }
        Banners {}
        main { id: "main-content", tabindex: "-1", class: "content narrow", {children} }
        Toast {}
    }
}

fn same_area(current: &Route, link: &Route) -> bool {
    use Route::*;
    match (current, link) {
        (Generate { .. } | Generation { .. }, Generate { .. }) => true,
        (Workbenches | Workbench { .. } | Project { .. } | Creative { .. }, Workbenches) => true,
        (a, b) => a == b,
    }
}

/// The language picker; the choice is kept on this browser and, when signed in, on the account.
#[component]
pub fn LanguagePicker() -> Element {
    let current = LOCALE();
    rsx! {
        label { class: "picker",
            span { class: "visually-hidden", {t("nav.language")} }
            select {
                id: "language",
                "aria-label": t("nav.language"),
                onchange: move |e| {
                    if let Some(l) = Locale::from_tag(&e.value()) {
                        set_locale(l);
                        if USER.peek().is_some() {
                            spawn(async move {
                                let _ = api::patch::<Value>("/me", &serde_json::json!({ "language": l.tag() })).await;
                            });
                        }
                    }
                },
                for l in Locale::ALL {
                    option { value: l.tag(), selected: l == current, lang: l.tag(), {l.native_name()} }
                }
            }
        }
    }
}

#[component]
fn TeamPicker(teams: Vec<Value>) -> Element {
    let current = state::team_id().unwrap_or_default();
    if teams.len() < 2 {
        return rsx! {};
    }
    rsx! {
        label { class: "picker",
            span { class: "visually-hidden", {t("nav.team_picker")} }
            select {
                id: "team-picker",
                "aria-label": t("nav.team_picker"),
                onchange: move |e| state::set_team(Some(e.value())),
                for team in teams {
                    option {
                        value: team["id"].as_str().unwrap_or_default().to_owned(),
                        selected: team["id"].as_str() == Some(current.as_str()),
                        {team["name"].as_str().unwrap_or_default().to_owned()}
                    }
                }
            }
        }
    }
}

#[component]
fn Banners() -> Element {
    let mut resent = use_signal(|| false);
    let user = USER();
    let unverified = user.as_ref().is_some_and(|u| u["email_verified"] == Value::Bool(false));
    let by = user.as_ref().and_then(|u| u["verification_required_by"].as_i64());
    rsx! {
        if !ONLINE() {
            div { class: "banner offline", role: "status", {t("banner.offline")} }
        }
        if unverified {
            div { class: "banner verify", role: "region", "aria-label": t("banner.verify"),
                span { {t("banner.verify")} }
                if let Some(ms) = by {
                    " "
                    span { {tf("banner.verify_by", &[("date", &crate::i18n::date(ms))])} }
                }
                " "
                if resent() {
                    span { role: "status", {t("banner.resent")} }
                } else {
                    button {
                        class: "btn small",
                        r#type: "button",
                        onclick: move |_| {
                            spawn(async move {
                                if api::post_empty("/auth/verify-email/resend").await.is_ok() {
                                    resent.set(true);
                                }
                            });
                        },
                        {t("banner.resend")}
                    }
                }
            }
        }
    }
}

#[component]
fn Toast() -> Element {
    let message = TOAST();
    rsx! {
        div { class: "toast-region", role: "status", "aria-live": "polite",
            if let Some(m) = message {
                div { class: "toast",
                    span { "{m}" }
                    button {
                        class: "btn ghost small",
                        r#type: "button",
                        "aria-label": t("common.close"),
                        onclick: move |_| *TOAST.write() = None,
                        "×"
                    }
                }
            }
        }
    }
}
