//! Signed-out screens: sign in (with the two-step code), create an account, forgotten and reset
//! passwords, and the email-verification link.

use dioxus::prelude::*;
use serde_json::{Value, json};

use crate::api::{self, ApiError};
use crate::components::{ErrorBox, Field, Loading, Notice, PageHeader};
use crate::i18n::t;
use crate::route::{self, Link, Route};
use crate::state::{self, LOCALE, USER};

/// The message of a 422 for one field, to show under its input.
pub(crate) fn field_error(error: &Option<ApiError>, field: &str) -> Option<String> {
    error.as_ref()?.fields.iter().find(|(f, _)| f == field).map(|(_, m)| m.clone())
}

/// Where to go after signing in: the route kept in `cf.after_login` (an invitation link opened
/// while signed out), else the dashboard.
pub(crate) fn after_login_route(stored: Option<String>) -> Route {
    let Some(path) = stored.filter(|p| p.starts_with('/')) else { return Route::Dashboard };
    let (p, q) = match path.split_once('?') {
        Some((p, q)) => (p.to_owned(), format!("?{q}")),
        None => (path.clone(), String::new()),
    };
    match Route::parse(&p, &q) {
        Route::Login | Route::Signup | Route::NotFound => Route::Dashboard,
        r => r,
    }
}

/// Keeps a token pair, loads the account and goes on to the screen the user came for.
async fn finish_sign_in(tokens: &Value) -> bool {
    if !api::store_token_answer(tokens) {
        return false;
    }
    state::load_me().await;
    let next = after_login_route(api::storage_get("cf.after_login"));
    api::storage_remove("cf.after_login");
    route::navigate(next);
    true
}

fn unexpected_answer() -> ApiError {
    ApiError {
        status: 200,
        kind: "unexpected-answer".into(),
        title: t("auth.error_title"),
        detail: t("auth.unexpected"),
        fields: Vec::new(),
    }
}

/// The browser's IANA time zone (`Europe/Berlin`), when it tells.
pub(crate) fn browser_time_zone() -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    {
        let f = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
        let opts = f.resolved_options();
        js_sys::Reflect::get(&opts, &"timeZone".into()).ok()?.as_string()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        None
    }
}

/// Sign in with email and password, then the authenticator or a recovery code when the account
/// uses two-step verification.
#[component]
pub fn Login() -> Element {
    let email = use_signal(String::new);
    let password = use_signal(String::new);
    let code = use_signal(String::new);
    let mut mfa_token = use_signal(|| None::<String>);
    let mut use_recovery = use_signal(|| false);
    let mut busy = use_signal(|| false);
    let mut error = use_signal(|| None::<ApiError>);

    let submit_password = move |e: FormEvent| {
        e.prevent_default();
        if busy() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn(async move {
            let body = json!({ "email": email().trim(), "password": password() });
            match api::post::<Value>("/auth/login", &body).await {
                Ok(v) if v["mfa_required"] == Value::Bool(true) => {
                    mfa_token.set(v["mfa_token"].as_str().map(str::to_owned));
                    busy.set(false);
                }
                Ok(v) => {
                    if !finish_sign_in(&v).await {
                        error.set(Some(unexpected_answer()));
                    }
                    busy.set(false);
                }
                Err(e) => {
                    error.set(Some(e));
                    busy.set(false);
                }
            }
        });
    };

    let submit_code = move |e: FormEvent| {
        e.prevent_default();
        if busy() {
            return;
        }
        let Some(token) = mfa_token() else { return };
        busy.set(true);
        error.set(None);
        spawn(async move {
            let value: String = code().chars().filter(|c| !c.is_whitespace()).collect();
            let body = if use_recovery() {
                json!({ "mfa_token": token, "recovery_code": value })
            } else {
                json!({ "mfa_token": token, "code": value })
            };
            match api::post::<Value>("/auth/login/mfa", &body).await {
                Ok(v) => {
                    if !finish_sign_in(&v).await {
                        error.set(Some(unexpected_answer()));
                    }
                }
                Err(e) => {
                    // An expired step needs the password again.
                    if e.status == 401 && e.detail.contains("password again") {
                        mfa_token.set(None);
                    }
                    error.set(Some(e));
                }
            }
            busy.set(false);
        });
    };

    if mfa_token().is_some() {
        let (label, hint, inputmode, autocomplete) = if use_recovery() {
            (t("auth.recovery_code"), t("auth.recovery_code_hint"), None, Some("off".to_string()))
        } else {
            (
                t("auth.mfa_code"),
                t("auth.mfa_code_hint"),
                Some("numeric".to_string()),
                Some("one-time-code".to_string()),
            )
        };
        return rsx! {
            PageHeader { title: t("auth.mfa_title"), subtitle: t("auth.mfa_subtitle") }
            ErrorBox { error: error() }
            form { class: "form card", onsubmit: submit_code,
                Field {
                    id: "mfa-code",
                    label,
                    value: code,
                    required: true,
                    inputmode,
                    autocomplete,
                    hint,
                    error: field_error(&error(), "code"),
                }
                div { class: "row",
                    button {
                        id: "mfa-submit",
                        class: "btn primary",
                        r#type: "submit",
                        disabled: busy(),
                        if busy() { {t("auth.checking")} } else { {t("auth.verify_code")} }
                    }
                    button {
                        id: "mfa-recovery",
                        class: "btn ghost",
                        r#type: "button",
                        "aria-pressed": if use_recovery() { "true" } else { "false" },
                        onclick: move |_| {
                            use_recovery.set(!use_recovery());
                            let mut code = code;
                            code.set(String::new());
                            error.set(None);
                        },
                        if use_recovery() { {t("auth.use_app_code")} } else { {t("auth.use_recovery")} }
                    }
                }
            }
            p {
                button {
                    class: "btn ghost small",
                    r#type: "button",
                    onclick: move |_| {
                        mfa_token.set(None);
                        error.set(None);
                    },
                    {t("auth.back_to_password")}
                }
            }
        };
    }

    rsx! {
        PageHeader { title: t("auth.login_title"), subtitle: t("auth.login_subtitle") }
        ErrorBox { error: error() }
        form { class: "form card", onsubmit: submit_password,
            Field {
                id: "login-email",
                label: t("auth.email"),
                value: email,
                kind: "email",
                autocomplete: "email".to_string(),
                required: true,
                error: field_error(&error(), "email"),
            }
            Field {
                id: "login-password",
                label: t("auth.password"),
                value: password,
                kind: "password",
                autocomplete: "current-password".to_string(),
                required: true,
            }
            button {
                id: "login-submit",
                class: "btn primary",
                r#type: "submit",
                disabled: busy(),
                if busy() { {t("auth.signing_in")} } else { {t("auth.sign_in")} }
            }
        }
        div { class: "stack auth-links",
            p {
                Link { to: Route::ForgotPassword, {t("auth.forgot_link")} }
            }
            p {
                {t("auth.no_account")}
                " "
                Link { to: Route::Signup, {t("auth.signup_link")} }
            }
        }
    }
}

/// Create an account: name, email and password; signs in at once.
#[component]
pub fn Signup() -> Element {
    let name = use_signal(String::new);
    let email = use_signal(String::new);
    let password = use_signal(String::new);
    let mut busy = use_signal(|| false);
    let mut error = use_signal(|| None::<ApiError>);
    let mut local_error = use_signal(|| None::<String>);

    let submit = move |e: FormEvent| {
        e.prevent_default();
        if busy() {
            return;
        }
        error.set(None);
        if password().chars().count() < 10 {
            local_error.set(Some(t("auth.password_too_short")));
            return;
        }
        local_error.set(None);
        busy.set(true);
        spawn(async move {
            let body = json!({ "email": email().trim(), "password": password(), "display_name": name().trim() });
            match api::post::<Value>("/auth/signup", &body).await {
                Ok(v) => {
                    if api::store_token_answer(&v["tokens"]) {
                        // The account starts in the language and time zone this browser uses.
                        let mut profile = json!({ "language": LOCALE.peek().tag() });
                        if let Some(tz) = browser_time_zone() {
                            profile["timezone"] = Value::String(tz);
                        }
                        if api::patch::<Value>("/me", &profile).await.is_err() {
                            // A zone the server does not know must not cost the language.
                            let _ = api::patch::<Value>("/me", &json!({ "language": LOCALE.peek().tag() })).await;
                        }
                        if !finish_sign_in(&v["tokens"]).await {
                            error.set(Some(unexpected_answer()));
                        }
                    } else {
                        error.set(Some(unexpected_answer()));
                    }
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    let password_error = local_error().or_else(|| field_error(&error(), "password"));
    rsx! {
        PageHeader { title: t("auth.signup_title"), subtitle: t("auth.signup_subtitle") }
        ErrorBox { error: error() }
        form { class: "form card", onsubmit: submit,
            Field {
                id: "signup-name",
                label: t("auth.display_name"),
                value: name,
                autocomplete: "name".to_string(),
                required: true,
                error: field_error(&error(), "display_name"),
            }
            Field {
                id: "signup-email",
                label: t("auth.email"),
                value: email,
                kind: "email",
                autocomplete: "email".to_string(),
                required: true,
                error: field_error(&error(), "email"),
            }
            Field {
                id: "signup-password",
                label: t("auth.password"),
                value: password,
                kind: "password",
                autocomplete: "new-password".to_string(),
                required: true,
                hint: t("auth.password_hint"),
                error: password_error,
            }
            button {
                id: "signup-submit",
                class: "btn primary",
                r#type: "submit",
                disabled: busy(),
                if busy() { {t("auth.creating_account")} } else { {t("auth.create_account")} }
            }
        }
        p { class: "auth-links",
            {t("auth.have_account")}
            " "
            Link { to: Route::Login, {t("auth.login_link")} }
        }
    }
}

/// Ask for a password-reset link.
#[component]
pub fn ForgotPassword() -> Element {
    let email = use_signal(String::new);
    let mut busy = use_signal(|| false);
    let mut sent = use_signal(|| false);
    let mut error = use_signal(|| None::<ApiError>);

    let submit = move |e: FormEvent| {
        e.prevent_default();
        if busy() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn(async move {
            match api::post::<Value>("/auth/password/forgot", &json!({ "email": email().trim() })).await {
                Ok(_) => sent.set(true),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    rsx! {
        PageHeader { title: t("auth.forgot_title"), subtitle: t("auth.forgot_subtitle") }
        ErrorBox { error: error() }
        if sent() {
            div { id: "forgot-sent",
                Notice { kind: "success", {t("auth.forgot_sent")} }
            }
        } else {
            form { class: "form card", onsubmit: submit,
                Field {
                    id: "forgot-email",
                    label: t("auth.email"),
                    value: email,
                    kind: "email",
                    autocomplete: "email".to_string(),
                    required: true,
                }
                button {
                    id: "forgot-submit",
                    class: "btn primary",
                    r#type: "submit",
                    disabled: busy(),
                    if busy() { {t("auth.sending")} } else { {t("auth.send_link")} }
                }
            }
        }
        p { class: "auth-links",
            Link { to: Route::Login, {t("auth.back_to_login")} }
        }
    }
}

/// Choose a new password with the emailed token.
#[component]
pub fn ResetPassword(token: String) -> Element {
    let password = use_signal(String::new);
    let mut busy = use_signal(|| false);
    let mut done = use_signal(|| false);
    let mut error = use_signal(|| None::<ApiError>);
    let mut local_error = use_signal(|| None::<String>);
    let missing_token = token.trim().is_empty();

    let submit = move |e: FormEvent| {
        e.prevent_default();
        if busy() {
            return;
        }
        error.set(None);
        if password().chars().count() < 10 {
            local_error.set(Some(t("auth.password_too_short")));
            return;
        }
        local_error.set(None);
        busy.set(true);
        let token = token.clone();
        spawn(async move {
            let body = json!({ "token": token, "new_password": password() });
            match api::post::<Value>("/auth/password/reset", &body).await {
                Ok(_) => {
                    // Every session of the account ended, this browser's included.
                    api::clear_tokens();
                    *USER.write() = None;
                    state::set_team(None);
                    done.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    let password_error = local_error().or_else(|| field_error(&error(), "new_password"));
    rsx! {
        PageHeader { title: t("auth.reset_title") }
        if missing_token {
            Notice { kind: "warning", {t("auth.link_incomplete")} }
            p {
                Link { to: Route::ForgotPassword, class: "btn", {t("auth.request_new_link")} }
            }
        } else if done() {
            div { id: "reset-done",
                Notice { kind: "success", {t("auth.reset_done")} }
            }
            p {
                Link { to: Route::Login, class: "btn primary", {t("auth.login_link")} }
            }
        } else {
            ErrorBox { error: error() }
            if error().is_some_and(|e| e.status == 400) {
                p {
                    Link { to: Route::ForgotPassword, {t("auth.request_new_link")} }
                }
            }
            form { class: "form card", onsubmit: submit,
                Field {
                    id: "reset-password",
                    label: t("auth.new_password"),
                    value: password,
                    kind: "password",
                    autocomplete: "new-password".to_string(),
                    required: true,
                    hint: t("auth.password_hint"),
                    error: password_error,
                }
                button {
                    id: "reset-submit",
                    class: "btn primary",
                    r#type: "submit",
                    disabled: busy(),
                    if busy() { {t("auth.saving")} } else { {t("auth.set_password")} }
                }
            }
        }
    }
}

/// Confirms the email address with the emailed token as soon as the page opens.
#[component]
pub fn VerifyEmail(token: String) -> Element {
    let result = use_resource(use_reactive!(|token| async move {
        if token.trim().is_empty() {
            return None;
        }
        let answer = api::post::<Value>("/auth/verify-email", &json!({ "token": token })).await;
        if answer.is_ok() {
            // The banner asking for verification goes away.
            state::load_me().await;
        }
        Some(answer.map(|_| ()))
    }));
    let signed_in = USER().is_some();
    let next = if signed_in {
        rsx! {
            Link { to: Route::Dashboard, class: "btn primary", {t("auth.to_dashboard")} }
        }
    } else {
        rsx! {
            Link { to: Route::Login, class: "btn primary", {t("auth.login_link")} }
        }
    };
    let body = match &*result.read() {
        None => rsx! {
            Loading { label: t("auth.verifying") }
        },
        Some(None) => rsx! {
            div { id: "verify-result",
                Notice { kind: "warning", {t("auth.link_incomplete")} }
            }
        },
        Some(Some(Ok(()))) => rsx! {
            div { id: "verify-result", class: "notice success", role: "status", {t("auth.verified")} }
        },
        Some(Some(Err(e))) => rsx! {
            div { id: "verify-result",
                ErrorBox { error: Some(e.clone()) }
                p { class: "hint",
                    if signed_in {
                        {t("auth.verify_failed_signed_in")}
                    } else {
                        {t("auth.verify_failed_signed_out")}
                    }
                }
            }
        },
    };
    rsx! {
        PageHeader { title: t("auth.verify_title") }
        {body}
        p { {next} }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_login_goes_back_to_the_stored_route() {
        assert_eq!(after_login_route(None), Route::Dashboard);
        assert_eq!(
            after_login_route(Some("/invitations/accept?token=abc".into())),
            Route::AcceptInvitation { token: "abc".into() }
        );
        assert_eq!(after_login_route(Some("/team".into())), Route::Team);
        assert_eq!(after_login_route(Some("/login".into())), Route::Dashboard);
        assert_eq!(after_login_route(Some("https://evil.example/".into())), Route::Dashboard);
    }

    #[test]
    fn field_errors_are_found_by_name() {
        let e = Some(ApiError {
            status: 422,
            kind: "validation".into(),
            title: "Invalid".into(),
            detail: "The request is invalid".into(),
            fields: vec![("email".into(), "enter an email address".into())],
        });
        assert_eq!(field_error(&e, "email").as_deref(), Some("enter an email address"));
        assert_eq!(field_error(&e, "password"), None);
        assert_eq!(field_error(&None, "email"), None);
    }
}
