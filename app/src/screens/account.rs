//! The account screen: profile and language, password, two-step verification with recovery
//! codes, signed-in devices and API keys.

use dioxus::prelude::*;
use serde_json::{Value, json};

use crate::api::{self, ApiError};
use crate::components::{DeleteButton, Empty, ErrorBox, Field, Loading, Notice, PageHeader};
use crate::i18n::{self, Locale, set_locale, t, tf};
use crate::screens::auth::{browser_time_zone, field_error};
use crate::state::{self, LOCALE, USER};

/// Profile, password, two-step verification, sessions and API keys, one section each.
#[component]
pub fn Account() -> Element {
    rsx! {
        PageHeader { title: t("account.title"), subtitle: USER().and_then(|u| u["email"].as_str().map(str::to_owned)) }
        div { class: "account-sections",
            Profile {}
            Password {}
            TwoStep {}
            Sessions {}
            ApiKeys {}
        }
    }
}

fn user_str(field: &str) -> String {
    USER.peek().as_ref().and_then(|u| u[field].as_str().map(str::to_owned)).unwrap_or_default()
}

#[component]
fn Profile() -> Element {
    let name = use_signal(|| user_str("display_name"));
    let mut timezone = use_signal(|| {
        let tz = user_str("timezone");
        if tz.is_empty() { "UTC".to_owned() } else { tz }
    });
    let mut busy = use_signal(|| false);
    let mut saved = use_signal(|| false);
    let mut error = use_signal(|| None::<ApiError>);
    let mut language_error = use_signal(|| None::<ApiError>);
    let current = LOCALE();
    let device_tz = browser_time_zone();

    let save = move |e: FormEvent| {
        e.prevent_default();
        if busy() {
            return;
        }
        busy.set(true);
        saved.set(false);
        error.set(None);
        spawn(async move {
            let body = json!({ "display_name": name().trim(), "timezone": timezone().trim() });
            match api::patch::<Value>("/me", &body).await {
                Ok(user) => {
                    if user.is_object() {
                        *USER.write() = Some(user);
                    }
                    saved.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    rsx! {
        section { class: "card", "aria-labelledby": "profile-heading",
            h2 { id: "profile-heading", {t("account.profile")} }
            ErrorBox { error: error() }
            form { class: "form", onsubmit: save,
                Field {
                    id: "profile-name",
                    label: t("account.display_name"),
                    value: name,
                    autocomplete: "name".to_string(),
                    required: true,
                    error: field_error(&error(), "display_name"),
                }
                Field {
                    id: "profile-timezone",
                    label: t("account.timezone"),
                    value: timezone,
                    hint: t("account.timezone_hint"),
                    error: field_error(&error(), "timezone"),
                }
                if let Some(tz) = device_tz.filter(|tz| *tz != timezone()) {
                    p {
                        button {
                            class: "btn small",
                            r#type: "button",
                            onclick: move |_| timezone.set(tz.clone()),
                            {tf("account.use_device_timezone", &[("zone", &tz)])}
                        }
                    }
                }
                div { class: "row",
                    button {
                        id: "profile-save",
                        class: "btn primary",
                        r#type: "submit",
                        disabled: busy(),
                        if busy() { {t("account.saving")} } else { {t("account.save_profile")} }
                    }
                    if saved() {
                        span { class: "saved-note", role: "status", {t("common.saved")} }
                    }
                }
            }
            div { class: "field",
                label { r#for: "profile-language", {t("account.language")} }
                select {
                    id: "profile-language",
                    onchange: move |e| {
                        if let Some(l) = Locale::from_tag(&e.value()) {
                            set_locale(l);
                            language_error.set(None);
                            spawn(async move {
                                match api::patch::<Value>("/me", &json!({ "language": l.tag() })).await {
                                    Ok(user) if user.is_object() => *USER.write() = Some(user),
                                    Ok(_) => {}
                                    Err(e) => language_error.set(Some(e)),
                                }
                            });
                        }
                    },
                    for l in Locale::ALL {
                        option { value: l.tag(), selected: l == current, lang: l.tag(), {l.native_name()} }
                    }
                }
                p { class: "hint", {t("account.language_hint")} }
            }
            ErrorBox { error: language_error() }
        }
    }
}

#[component]
fn Password() -> Element {
    let mut current = use_signal(String::new);
    let mut new = use_signal(String::new);
    let mut busy = use_signal(|| false);
    let mut done = use_signal(|| false);
    let mut error = use_signal(|| None::<ApiError>);
    let mut local_error = use_signal(|| None::<String>);

    let save = move |e: FormEvent| {
        e.prevent_default();
        if busy() {
            return;
        }
        done.set(false);
        error.set(None);
        if new().chars().count() < 10 {
            local_error.set(Some(t("account.password_too_short")));
            return;
        }
        local_error.set(None);
        busy.set(true);
        spawn(async move {
            let body = json!({ "current_password": current(), "new_password": new() });
            match api::post::<Value>("/auth/password/change", &body).await {
                Ok(_) => {
                    current.set(String::new());
                    new.set(String::new());
                    done.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    let new_error = local_error().or_else(|| field_error(&error(), "new_password"));
    rsx! {
        section { class: "card", "aria-labelledby": "password-heading",
            h2 { id: "password-heading", {t("account.password")} }
            ErrorBox { error: error() }
            if done() {
                Notice { kind: "success", {t("account.password_changed")} }
            }
            form { class: "form", onsubmit: save,
                Field {
                    id: "current-password",
                    label: t("account.current_password"),
                    value: current,
                    kind: "password",
                    autocomplete: "current-password".to_string(),
                    required: true,
                    error: field_error(&error(), "current_password"),
                }
                Field {
                    id: "new-password",
                    label: t("account.new_password"),
                    value: new,
                    kind: "password",
                    autocomplete: "new-password".to_string(),
                    required: true,
                    hint: t("account.password_hint"),
                    error: new_error,
                }
                button {
                    id: "password-save",
                    class: "btn primary",
                    r#type: "submit",
                    disabled: busy(),
                    if busy() { {t("account.saving")} } else { {t("account.change_password")} }
                }
            }
        }
    }
}

/// The QR code of an `otpauth://` URL as SVG markup.
fn qr_svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    Some(code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build())
}

#[component]
fn TwoStep() -> Element {
    let enabled = USER().is_some_and(|u| u["mfa_enabled"] == Value::Bool(true));
    let mut setup = use_signal(|| None::<(String, String)>);
    let mut codes = use_signal(|| None::<Vec<String>>);
    let confirm_code = use_signal(String::new);
    let disable_code = use_signal(String::new);
    let disable_password = use_signal(String::new);
    let regen_code = use_signal(String::new);
    let mut busy = use_signal(|| false);
    let mut error = use_signal(|| None::<ApiError>);
    let mut turned_off = use_signal(|| false);

    let start = move |_| {
        if busy() {
            return;
        }
        busy.set(true);
        error.set(None);
        codes.set(None);
        turned_off.set(false);
        spawn(async move {
            match api::post_empty("/auth/mfa/totp/setup").await {
                Ok(v) => match (v["secret"].as_str(), v["otpauth_url"].as_str()) {
                    (Some(s), Some(u)) => setup.set(Some((s.to_owned(), u.to_owned()))),
                    _ => error.set(Some(ApiError::offline())),
                },
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    let confirm = move |e: FormEvent| {
        e.prevent_default();
        if busy() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn(async move {
            let code: String = confirm_code().chars().filter(char::is_ascii_digit).collect();
            match api::post::<Value>("/auth/mfa/totp/confirm", &json!({ "code": code })).await {
                Ok(v) => {
                    codes.set(Some(recovery_codes(&v)));
                    setup.set(None);
                    state::load_me().await;
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    let disable = move |e: FormEvent| {
        e.prevent_default();
        if busy() {
            return;
        }
        let code: String = disable_code().chars().filter(char::is_ascii_digit).collect();
        let body = if code.is_empty() { json!({ "password": disable_password() }) } else { json!({ "code": code }) };
        busy.set(true);
        error.set(None);
        spawn(async move {
            match api::post::<Value>("/auth/mfa/totp/disable", &body).await {
                Ok(_) => {
                    codes.set(None);
                    turned_off.set(true);
                    state::load_me().await;
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    let regenerate = move |e: FormEvent| {
        e.prevent_default();
        if busy() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn(async move {
            let code: String = regen_code().chars().filter(char::is_ascii_digit).collect();
            match api::post::<Value>("/auth/mfa/recovery-codes", &json!({ "code": code })).await {
                Ok(v) => codes.set(Some(recovery_codes(&v))),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    rsx! {
        section { class: "card", "aria-labelledby": "mfa-heading",
            h2 { id: "mfa-heading", {t("account.mfa")} }
            p {
                span { class: "badge", if enabled { {t("account.mfa_on")} } else { {t("account.mfa_off")} } }
                " "
                span { class: "hint", {t("account.mfa_intro")} }
            }
            ErrorBox { error: error() }
            if turned_off() {
                Notice { kind: "success", {t("account.mfa_turned_off")} }
            }
            if let Some(list) = codes() {
                div { class: "recovery",
                    h3 { {t("account.recovery_codes")} }
                    Notice { kind: "warning", {t("account.recovery_advice")} }
                    ol { id: "recovery-codes", class: "recovery-codes",
                        for c in list {
                            li { key: "{c}", code { "{c}" } }
                        }
                    }
                }
            }
            if !enabled {
                if let Some((secret, url)) = setup() {
                    div { class: "mfa-setup",
                        h3 { {t("account.mfa_scan")} }
                        if let Some(svg) = qr_svg(&url) {
                            div {
                                class: "qr",
                                role: "img",
                                "aria-label": t("account.qr_label"),
                                dangerous_inner_html: svg,
                            }
                        }
                        p { {t("account.mfa_manual")} }
                        p { code { id: "mfa-secret", class: "secret", "{secret}" } }
                        form { class: "form", onsubmit: confirm,
                            Field {
                                id: "mfa-confirm-code",
                                label: t("account.mfa_code"),
                                value: confirm_code,
                                required: true,
                                inputmode: "numeric".to_string(),
                                autocomplete: "one-time-code".to_string(),
                                hint: t("account.mfa_code_hint"),
                                error: field_error(&error(), "code"),
                            }
                            div { class: "row",
                                button {
                                    id: "mfa-confirm",
                                    class: "btn primary",
                                    r#type: "submit",
                                    disabled: busy(),
                                    if busy() { {t("account.checking")} } else { {t("account.mfa_confirm")} }
                                }
                                button {
                                    class: "btn ghost",
                                    r#type: "button",
                                    onclick: move |_| {
                                        setup.set(None);
                                        error.set(None);
                                    },
                                    {t("common.cancel")}
                                }
                            }
                        }
                    }
                } else {
                    button {
                        id: "mfa-start",
                        class: "btn primary",
                        r#type: "button",
                        disabled: busy(),
                        onclick: start,
                        if busy() { {t("account.starting")} } else { {t("account.mfa_start")} }
                    }
                }
            } else {
                div { class: "mfa-manage",
                    h3 { {t("account.mfa_disable")} }
                    form { class: "form", onsubmit: disable,
                        p { class: "hint", {t("account.mfa_disable_hint")} }
                        Field {
                            id: "mfa-disable-code",
                            label: t("account.mfa_code"),
                            value: disable_code,
                            inputmode: "numeric".to_string(),
                            autocomplete: "one-time-code".to_string(),
                        }
                        Field {
                            id: "mfa-disable-password",
                            label: t("account.mfa_or_password"),
                            value: disable_password,
                            kind: "password",
                            autocomplete: "current-password".to_string(),
                        }
                        button {
                            id: "mfa-disable",
                            class: "btn danger",
                            r#type: "submit",
                            disabled: busy(),
                            if busy() { {t("account.checking")} } else { {t("account.mfa_disable_button")} }
                        }
                    }
                    h3 { {t("account.regenerate")} }
                    form { class: "form", onsubmit: regenerate,
                        p { class: "hint", {t("account.regenerate_hint")} }
                        Field {
                            id: "mfa-regenerate-code",
                            label: t("account.mfa_code"),
                            value: regen_code,
                            required: true,
                            inputmode: "numeric".to_string(),
                            autocomplete: "one-time-code".to_string(),
                        }
                        button {
                            id: "mfa-regenerate",
                            class: "btn",
                            r#type: "submit",
                            disabled: busy(),
                            if busy() { {t("account.checking")} } else { {t("account.regenerate_button")} }
                        }
                    }
                }
            }
        }
    }
}

fn recovery_codes(v: &Value) -> Vec<String> {
    v["recovery_codes"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// "Firefox on Linux" from a user-agent string; empty when nothing is recognised.
pub(crate) fn describe_agent(ua: &str) -> String {
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("OPR/") || ua.contains("Opera") {
        "Opera"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("CriOS/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else if ua.starts_with("curl/") {
        "curl"
    } else {
        ""
    };
    let os = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("CrOS") {
        "ChromeOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        ""
    };
    match (browser, os) {
        ("", "") => String::new(),
        (b, "") => b.to_owned(),
        ("", o) => o.to_owned(),
        (b, o) => format!("{b} · {o}"),
    }
}

fn method_label(method: &str) -> String {
    match method {
        "password" => t("account.method_password"),
        "password+mfa" => t("account.method_mfa"),
        "password+recovery_code" => t("account.method_recovery"),
        "signup" => t("account.method_signup"),
        m => match m.strip_prefix("oidc:") {
            Some(provider) => tf("account.method_oidc", &[("provider", provider)]),
            None => m.to_owned(),
        },
    }
}

#[component]
fn Sessions() -> Element {
    let mut sessions = use_resource(|| async move { api::get::<Value>("/auth/sessions").await });
    let mut error = use_signal(|| None::<ApiError>);

    let list = match &*sessions.read() {
        None => rsx! {
            Loading {}
        },
        Some(Err(e)) => rsx! {
            ErrorBox { error: Some(e.clone()) }
            button { class: "btn", r#type: "button", onclick: move |_| sessions.restart(), {t("common.retry")} }
        },
        Some(Ok(v)) => {
            let items = v["items"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                rsx! {
                    Empty { title: t("account.no_sessions") }
                }
            } else {
                rsx! {
                    ul { class: "session-list",
                        for s in items {
                            {
                                let id = s["id"].as_str().unwrap_or_default().to_owned();
                                let ua = s["user_agent"].as_str().unwrap_or_default().to_owned();
                                let device = describe_agent(&ua);
                                let device = if device.is_empty() { t("account.unknown_device") } else { device };
                                let current = s["current"] == Value::Bool(true);
                                let last_seen = i18n::datetime(s["last_seen_at"].as_i64().unwrap_or_default());
                                let created = i18n::datetime(s["created_at"].as_i64().unwrap_or_default());
                                let ip = s["ip"].as_str().unwrap_or_default().to_owned();
                                let method = method_label(s["method"].as_str().unwrap_or_default());
                                rsx! {
                                    li { key: "{id}", class: "session card",
                                        div { class: "spread",
                                            div {
                                                strong { "{device}" }
                                                if current {
                                                    " "
                                                    span { class: "badge", {t("account.this_device")} }
                                                }
                                            }
                                            if current {
                                                button {
                                                    class: "btn small",
                                                    r#type: "button",
                                                    onclick: move |_| { spawn(state::sign_out()); },
                                                    {t("account.sign_out_here")}
                                                }
                                            } else {
                                                DeleteButton {
                                                    path: format!("/auth/sessions/{id}"),
                                                    label: t("account.sign_out"),
                                                    busy_label: t("account.signing_out"),
                                                    aria_label: tf("account.sign_out_device", &[("device", &device)]),
                                                    on_done: move |_| sessions.restart(),
                                                    on_error: move |e| error.set(e),
                                                }
                                            }
                                        }
                                        dl { class: "facts",
                                            div {
                                                dt { {t("account.last_seen")} }
                                                dd { "{last_seen}" }
                                            }
                                            div {
                                                dt { {t("account.signed_in_at")} }
                                                dd { "{created}" }
                                            }
                                            div {
                                                dt { {t("account.ip")} }
                                                dd { "{ip}" }
                                            }
                                            div {
                                                dt { {t("account.method")} }
                                                dd { "{method}" }
                                            }
                                        }
                                        if !ua.is_empty() {
                                            p { class: "hint ua", "{ua}" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    rsx! {
        section { class: "card", "aria-labelledby": "sessions-heading",
            h2 { id: "sessions-heading", {t("account.sessions")} }
            p { class: "hint", {t("account.sessions_hint")} }
            ErrorBox { error: error() }
            {list}
        }
    }
}

const SCOPES: [&str; 3] = ["read", "write", "manage"];

/// Copies text to the clipboard; false when the browser refused.
async fn copy_to_clipboard(text: String) -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsCast as _;
        let Some(window) = web_sys::window() else { return false };
        let Ok(clipboard) = js_sys::Reflect::get(&window.navigator(), &"clipboard".into()) else { return false };
        let Ok(write) = js_sys::Reflect::get(&clipboard, &"writeText".into()) else { return false };
        let Ok(write) = write.dyn_into::<js_sys::Function>() else { return false };
        let Ok(promise) = write.call1(&clipboard, &text.into()) else { return false };
        let Ok(promise) = promise.dyn_into::<js_sys::Promise>() else { return false };
        wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = text;
        false
    }
}

#[component]
fn ApiKeys() -> Element {
    let mut keys = use_resource(|| async move { api::get::<Value>("/api-keys").await });
    let mut name = use_signal(String::new);
    let mut scopes = use_signal(|| vec!["read".to_owned()]);
    let mut busy = use_signal(|| false);
    let mut error = use_signal(|| None::<ApiError>);
    let mut created = use_signal(|| None::<String>);
    let mut copied = use_signal(|| None::<bool>);

    let create = move |e: FormEvent| {
        e.prevent_default();
        if busy() {
            return;
        }
        busy.set(true);
        error.set(None);
        created.set(None);
        copied.set(None);
        spawn(async move {
            let body = json!({ "name": name().trim(), "scopes": scopes() });
            match api::post::<Value>("/api-keys", &body).await {
                Ok(v) => {
                    created.set(v["key"].as_str().map(str::to_owned));
                    name.set(String::new());
                    keys.restart();
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    let list = match &*keys.read() {
        None => rsx! {
            Loading {}
        },
        Some(Err(e)) => rsx! {
            ErrorBox { error: Some(e.clone()) }
            button { class: "btn", r#type: "button", onclick: move |_| keys.restart(), {t("common.retry")} }
        },
        Some(Ok(v)) => {
            let items = v.as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                rsx! {
                    Empty { title: t("account.no_keys"), hint: t("account.no_keys_hint") }
                }
            } else {
                rsx! {
                    div {
                        class: "table-wrap",
                        tabindex: "0",
                        role: "region",
                        "aria-label": t("account.your_keys"),
                        table { id: "api-keys",
                            thead {
                                tr {
                                    th { scope: "col", {t("common.name")} }
                                    th { scope: "col", {t("account.key_prefix")} }
                                    th { scope: "col", {t("account.key_scopes")} }
                                    th { scope: "col", {t("account.key_created")} }
                                    th { scope: "col", {t("account.key_last_used")} }
                                    th { scope: "col", {t("account.key_actions")} }
                                }
                            }
                            tbody {
                                for k in items {
                                    {
                                        let id = k["id"].as_str().unwrap_or_default().to_owned();
                                        let key_name = k["name"].as_str().unwrap_or_default().to_owned();
                                        let prefix = format!("cf_{}_…", k["prefix"].as_str().unwrap_or_default());
                                        let scope_list: Vec<String> = k["scopes"]
                                            .as_array()
                                            .map(|a| a.iter().filter_map(|s| s.as_str()).map(|s| t(&format!("account.scope_{s}"))).collect())
                                            .unwrap_or_default();
                                        let scope_text = scope_list.join(", ");
                                        let created_at = i18n::date(k["created_at"].as_i64().unwrap_or_default());
                                        let last_used = k["last_used_at"].as_i64().map(i18n::datetime).unwrap_or_else(|| t("account.never"));
                                        let revoked = k["revoked_at"].as_i64().map(i18n::date);
                                        rsx! {
                                            tr { key: "{id}",
                                                td { "{key_name}" }
                                                td { code { "{prefix}" } }
                                                td { "{scope_text}" }
                                                td { "{created_at}" }
                                                td { "{last_used}" }
                                                td {
                                                    if let Some(when) = revoked {
                                                        span { class: "badge muted", {tf("account.key_revoked_on", &[("date", &when)])} }
                                                    } else {
                                                        DeleteButton {
                                                            path: format!("/api-keys/{id}"),
                                                            label: t("account.revoke"),
                                                            busy_label: t("account.revoking"),
                                                            aria_label: tf("account.revoke_key_named", &[("name", &key_name)]),
                                                            on_done: move |_| keys.restart(),
                                                            on_error: move |e| error.set(e),
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };

    rsx! {
        section { class: "card", "aria-labelledby": "keys-heading",
            h2 { id: "keys-heading", {t("account.api_keys")} }
            p { class: "hint", {t("account.api_keys_hint")} }
            ErrorBox { error: error() }
            if let Some(key) = created() {
                div { class: "notice success new-key", role: "status",
                    p { strong { {t("account.key_created_once")} } }
                    p { code { id: "new-key", "{key}" } }
                    div { class: "row",
                        button {
                            id: "copy-key",
                            class: "btn small",
                            r#type: "button",
                            onclick: move |_| {
                                let key = key.clone();
                                spawn(async move {
                                    copied.set(Some(copy_to_clipboard(key).await));
                                });
                            },
                            {t("account.copy")}
                        }
                        if copied() == Some(true) {
                            span { {t("account.copied")} }
                        }
                        if copied() == Some(false) {
                            span { {t("account.copy_failed")} }
                        }
                    }
                }
            }
            form { class: "form", onsubmit: create,
                h3 { {t("account.new_key")} }
                Field {
                    id: "key-name",
                    label: t("account.key_name"),
                    value: name,
                    required: true,
                    hint: t("account.key_name_hint"),
                    error: field_error(&error(), "name"),
                }
                fieldset {
                    legend { {t("account.key_scopes")} }
                    for s in SCOPES {
                        div { class: "check",
                            input {
                                id: "key-scope-{s}",
                                r#type: "checkbox",
                                name: "scopes",
                                value: s,
                                checked: scopes().iter().any(|x| x == s),
                                onchange: move |e: FormEvent| {
                                    let on = e.checked();
                                    scopes.with_mut(|list| {
                                        list.retain(|x| x != s);
                                        if on {
                                            list.push(s.to_owned());
                                        }
                                    });
                                },
                            }
                            label { r#for: "key-scope-{s}",
                                strong { {t(&format!("account.scope_{s}"))} }
                                " — "
                                span { class: "hint", {t(&format!("account.scope_{s}_hint"))} }
                            }
                        }
                    }
                    if let Some(m) = field_error(&error(), "scopes") {
                        p { class: "field-error", "{m}" }
                    }
                }
                button {
                    id: "key-create",
                    class: "btn primary",
                    r#type: "submit",
                    disabled: busy() || scopes().is_empty(),
                    if busy() { {t("account.creating")} } else { {t("account.create_key")} }
                }
            }
            h3 { {t("account.your_keys")} }
            {list}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_summarised() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
        assert_eq!(describe_agent(firefox), "Firefox · Linux");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(describe_agent(safari), "Safari · iOS");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0";
        assert_eq!(describe_agent(edge), "Edge · Windows");
        assert_eq!(describe_agent("curl/8.4.0"), "curl");
        assert_eq!(describe_agent(""), "");
    }

    #[test]
    fn qr_codes_render_as_svg() {
        let svg = qr_svg("otpauth://totp/CreativeFlow:ana%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=CreativeFlow");
        assert!(svg.is_some_and(|s| s.contains("<svg")));
    }

    #[test]
    fn recovery_codes_are_read() {
        let v = json!({ "recovery_codes": ["abcd-efgh-ijkl", "mnop-qrst-uvwx"] });
        assert_eq!(recovery_codes(&v), vec!["abcd-efgh-ijkl".to_owned(), "mnop-qrst-uvwx".to_owned()]);
        assert!(recovery_codes(&json!({})).is_empty());
    }
}
