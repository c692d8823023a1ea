//! App-wide state: who is signed in, the current team, the language, connectivity and the
//! toast line. Global signals, so any screen reads them without prop drilling.

use dioxus::prelude::*;
use serde_json::Value;

use crate::api;
use crate::i18n::Locale;
use crate::route::{Route, navigate};

/// The signed-in account (`GET /me`'s `user`), or `None`.
pub static USER: GlobalSignal<Option<Value>> = Signal::global(|| None);

/// True once the first `/me` check is done (so screens do not flash the login form).
pub static SESSION_CHECKED: GlobalSignal<bool> = Signal::global(|| false);

/// The team the app works in (an id from `GET /teams`); the personal team by default. Kept on
/// this browser (`cf.team`) so a reload stays in the same team.
pub static TEAM: GlobalSignal<Option<String>> = Signal::global(|| api::storage_get(TEAM_KEY));

const TEAM_KEY: &str = "cf.team";

/// Switches the current team (and remembers it on this browser).
pub fn set_team(id: Option<String>) {
    match &id {
        Some(id) => api::storage_set(TEAM_KEY, id),
        None => api::storage_remove(TEAM_KEY),
    }
    *TEAM.write() = id;
    bump();
}

/// The interface language.
pub static LOCALE: GlobalSignal<Locale> = Signal::global(Locale::initial);

/// Whether the browser says it is online.
pub static ONLINE: GlobalSignal<bool> = Signal::global(|| true);

/// A short message shown at the bottom of the screen (`role=status`).
pub static TOAST: GlobalSignal<Option<String>> = Signal::global(|| None);

/// Bumped whenever data that many screens show (credits, creatives) changes.
pub static REFRESH: GlobalSignal<u64> = Signal::global(|| 0);

/// The current team id, or the personal team of the signed-in account.
pub fn team_id() -> Option<String> {
    if let Some(t) = TEAM() {
        return Some(t);
    }
    USER().and_then(|u| u["personal_team_id"].as_str().map(str::to_owned))
}

/// Shows a message in the toast line.
pub fn toast(message: impl Into<String>) {
    *TOAST.write() = Some(message.into());
}

/// Tells every screen that shared data changed.
pub fn bump() {
    *REFRESH.write() += 1;
}

/// Loads `/me` with the stored tokens; signs out when they no longer work.
pub async fn load_me() {
    if api::stored_tokens().is_none() {
        *USER.write() = None;
        *SESSION_CHECKED.write() = true;
        return;
    }
    match api::get::<Value>("/me").await {
        Ok(v) => {
            let user = if v.get("user").is_some() { v["user"].clone() } else { v };
            if let Some(lang) = user["language"].as_str().and_then(Locale::from_tag) {
                crate::i18n::set_locale(lang);
            }
            *USER.write() = Some(user);
        }
        Err(e) if e.status == 401 => {
            api::clear_tokens();
            *USER.write() = None;
        }
        Err(_) => {}
    }
    *SESSION_CHECKED.write() = true;
}

/// Called by the API client when the server ended the session.
pub fn signed_out_by_server() {
    *USER.write() = None;
    set_team(None);
    navigate(Route::Login);
}

/// Signs out on the server (best effort) and here.
pub async fn sign_out() {
    if api::stored_tokens().is_some() {
        let _ = api::post_empty("/auth/logout").await;
    }
    api::clear_tokens();
    *USER.write() = None;
    set_team(None);
    navigate(Route::Login);
}
