//! The REST client: `fetch` against the same origin (`/api/v1/…`), bearer tokens kept in
//! `localStorage`, one automatic refresh on a 401, and RFC 9457 problems turned into
//! [`ApiError`]s a screen can show.
//!
//! Every call is `async` and runs on the browser's event loop (`spawn` in a component). On the
//! host (unit tests) the calls answer [`ApiError::offline`]: nothing here touches the network
//! outside a browser.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where the API lives on the serving origin.
pub const BASE: &str = "/api/v1";

const ACCESS_KEY: &str = "cf.access";
const REFRESH_KEY: &str = "cf.refresh";

/// A failed call: the server's problem document, or a network failure (status 0).
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// HTTP status; 0 when the request never got an answer.
    pub status: u16,
    /// The problem's kind (the last segment of its `type`), e.g. `insufficient-credits`.
    pub kind: String,
    /// The problem's title.
    pub title: String,
    /// What happened, for a person.
    pub detail: String,
    /// Per-field messages of a 422 (`errors: [{field, message}]`), when the server sent them.
    pub fields: Vec<(String, String)>,
}

impl ApiError {
    /// The request did not reach the server.
    pub fn offline() -> ApiError {
        ApiError {
            status: 0,
            kind: "network".into(),
            title: "Offline".into(),
            detail: "The server could not be reached. Check your connection and try again.".into(),
            fields: Vec::new(),
        }
    }

    /// The error for a non-2xx answer with a problem document (or anything else) as its body.
    pub fn from_problem(status: u16, body: &str) -> ApiError {
        let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let kind = v["type"].as_str().and_then(|t| t.rsplit('/').next()).unwrap_or("error").to_owned();
        let fields = v["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap_or_default().to_owned(),
                            e["message"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        ApiError {
            status,
            kind,
            title: v["title"].as_str().unwrap_or("Error").to_owned(),
            detail: v["detail"].as_str().map(str::to_owned).unwrap_or_else(|| format!("The server answered {status}.")),
            fields,
        }
    }

    /// The message for a person: the detail, with field messages when there are any.
    pub fn message(&self) -> String {
        if self.fields.is_empty() {
            self.detail.clone()
        } else {
            let parts: Vec<String> = self.fields.iter().map(|(f, m)| format!("{f}: {m}")).collect();
            format!("{} ({})", self.detail, parts.join("; "))
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

/// Tokens of the signed-in session.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tokens {
    /// Bearer token for API calls.
    pub access_token: String,
    /// Single-use token that buys a new pair.
    pub refresh_token: String,
}

/// The stored tokens, if someone is signed in on this browser.
pub fn stored_tokens() -> Option<Tokens> {
    let access = storage_get(ACCESS_KEY)?;
    let refresh = storage_get(REFRESH_KEY)?;
    Some(Tokens { access_token: access, refresh_token: refresh })
}

/// Keeps a token pair (from sign-up, login, MFA or refresh).
pub fn store_tokens(tokens: &Tokens) {
    storage_set(ACCESS_KEY, &tokens.access_token);
    storage_set(REFRESH_KEY, &tokens.refresh_token);
}

/// Forgets the tokens (sign-out, or a session the server ended).
pub fn clear_tokens() {
    storage_remove(ACCESS_KEY);
    storage_remove(REFRESH_KEY);
}

/// Keeps the token pair of a `TokenPair` answer (`{access_token, refresh_token, …}`).
pub fn store_token_answer(v: &Value) -> bool {
    match (v["access_token"].as_str(), v["refresh_token"].as_str()) {
        (Some(a), Some(r)) => {
            store_tokens(&Tokens { access_token: a.to_owned(), refresh_token: r.to_owned() });
            true
        }
        _ => false,
    }
}

/// `GET` a JSON resource.
pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    decode(send("GET", path, None, None).await?)
}

/// `POST` a JSON body.
pub async fn post<T: DeserializeOwned>(path: &str, body: &impl Serialize) -> Result<T, ApiError> {
    decode(send("POST", path, Some(json_body(body)), None).await?)
}

/// `POST` with an `Idempotency-Key`, so a retried click never does the work twice.
pub async fn post_idempotent<T: DeserializeOwned>(path: &str, body: &impl Serialize, key: &str) -> Result<T, ApiError> {
    decode(send("POST", path, Some(json_body(body)), Some(key)).await?)
}

/// `PATCH` a JSON body.
pub async fn patch<T: DeserializeOwned>(path: &str, body: &impl Serialize) -> Result<T, ApiError> {
    decode(send("PATCH", path, Some(json_body(body)), None).await?)
}

/// `PUT` a JSON body.
pub async fn put<T: DeserializeOwned>(path: &str, body: &impl Serialize) -> Result<T, ApiError> {
    decode(send("PUT", path, Some(json_body(body)), None).await?)
}

/// `DELETE`; the answer body (often empty) is ignored.
pub async fn delete(path: &str) -> Result<(), ApiError> {
    send("DELETE", path, None, None).await.map(|_| ())
}

/// `POST` without a body; the answer is ignored unless it is an error.
pub async fn post_empty(path: &str) -> Result<Value, ApiError> {
    let text = send("POST", path, Some(Body::Json("{}".into())), None).await?;
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A body to send.
pub enum Body {
    /// JSON text.
    Json(String),
    /// A file, sent as its raw bytes with its own content type.
    #[cfg(target_arch = "wasm32")]
    File(web_sys::File),
}

fn json_body(body: &impl Serialize) -> Body {
    Body::Json(serde_json::to_string(body).unwrap_or_else(|_| "null".into()))
}

fn decode<T: DeserializeOwned>(text: String) -> Result<T, ApiError> {
    let text = if text.trim().is_empty() { "null".to_owned() } else { text };
    serde_json::from_str(&text).map_err(|e| ApiError {
        status: 200,
        kind: "unexpected-answer".into(),
        title: "Unexpected answer".into(),
        detail: format!("The server's answer could not be read: {e}"),
        fields: Vec::new(),
    })
}

/// Uploads a file as an asset of the current team (`POST /teams/{team}/assets?filename=…`, the
/// raw bytes with the file's type); answers the asset.
#[cfg(target_arch = "wasm32")]
pub async fn upload(file: web_sys::File) -> Result<Value, ApiError> {
    let team = crate::state::team_id().ok_or_else(ApiError::offline)?;
    let path = format!("/teams/{team}/assets?filename={}", encode(&file.name()));
    decode(send("POST", &path, Some(Body::File(file)), None).await?)
}

/// Fetches a protected binary resource (a preview, a final, an asset) with the session's token
/// and answers an object URL for `<img src>` or a download link (`<a href download>`); the
/// browser keeps it until the page goes.
#[cfg(target_arch = "wasm32")]
pub async fn blob_url(path: &str) -> Result<String, ApiError> {
    use wasm_bindgen::JsCast as _;
    use wasm_bindgen_futures::JsFuture;
    let mut tried_refresh = false;
    loop {
        let init = web_sys::RequestInit::new();
        let headers = web_sys::Headers::new().map_err(|_| ApiError::offline())?;
        if let Some(tokens) = stored_tokens() {
            let _ = headers.set("Authorization", &format!("Bearer {}", tokens.access_token));
        }
        init.set_headers(&headers);
        let request = web_sys::Request::new_with_str_and_init(&url(path), &init).map_err(|_| ApiError::offline())?;
        let window = web_sys::window().ok_or_else(ApiError::offline)?;
        let response = JsFuture::from(window.fetch_with_request(&request)).await.map_err(|_| ApiError::offline())?;
        let response: web_sys::Response = response.dyn_into().map_err(|_| ApiError::offline())?;
        if response.status() == 401 && !tried_refresh && refresh().await {
            tried_refresh = true;
            continue;
        }
        if !response.ok() {
            let text = match response.text() {
                Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
                Err(_) => String::new(),
            };
            return Err(ApiError::from_problem(response.status(), &text));
        }
        let blob =
            JsFuture::from(response.blob().map_err(|_| ApiError::offline())?).await.map_err(|_| ApiError::offline())?;
        let blob: web_sys::Blob = blob.dyn_into().map_err(|_| ApiError::offline())?;
        return web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| ApiError::offline());
    }
}

/// On the host there is no browser to fetch with.
#[cfg(not(target_arch = "wasm32"))]
pub async fn blob_url(_path: &str) -> Result<String, ApiError> {
    Err(ApiError::offline())
}

/// The absolute path of an API resource on this origin.
pub fn url(path: &str) -> String {
    if path.starts_with("/api/") { path.to_owned() } else { format!("{BASE}{path}") }
}

#[cfg(target_arch = "wasm32")]
async fn send(method: &str, path: &str, body: Option<Body>, idempotency: Option<&str>) -> Result<String, ApiError> {
    let body = body.map(std::rc::Rc::new);
    let (status, text) = fetch_once(method, path, body.as_deref(), idempotency).await?;
    if status == 401 && !path.starts_with("/auth/") && refresh().await {
        let (status, text) = fetch_once(method, path, body.as_deref(), idempotency).await?;
        return finish(status, text);
    }
    if status == 401 && !path.starts_with("/auth/") {
        clear_tokens();
        crate::state::signed_out_by_server();
    }
    finish(status, text)
}

#[cfg(target_arch = "wasm32")]
fn finish(status: u16, text: String) -> Result<String, ApiError> {
    if (200..300).contains(&status) { Ok(text) } else { Err(ApiError::from_problem(status, &text)) }
}

/// Trades the refresh token for a new pair; false when the session is over.
#[cfg(target_arch = "wasm32")]
async fn refresh() -> bool {
    let Some(tokens) = stored_tokens() else { return false };
    let body = Body::Json(serde_json::json!({ "refresh_token": tokens.refresh_token }).to_string());
    match fetch_once("POST", "/auth/refresh", Some(&body), None).await {
        Ok((200, text)) => serde_json::from_str::<Value>(&text).map(|v| store_token_answer(&v)).unwrap_or(false),
        _ => false,
    }
}

#[cfg(target_arch = "wasm32")]
async fn fetch_once(
    method: &str,
    path: &str,
    body: Option<&Body>,
    idempotency: Option<&str>,
) -> Result<(u16, String), ApiError> {
    use wasm_bindgen::JsCast as _;
    use wasm_bindgen_futures::JsFuture;

    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(|_| ApiError::offline())?;
    let _ = headers.set("Accept", "application/json");
    if let Some(tokens) = stored_tokens() {
        let _ = headers.set("Authorization", &format!("Bearer {}", tokens.access_token));
    }
    if let Some(key) = idempotency {
        let _ = headers.set("Idempotency-Key", key);
    }
    match body {
        Some(Body::Json(text)) => {
            let _ = headers.set("Content-Type", "application/json");
            init.set_body(&wasm_bindgen::JsValue::from_str(text));
        }
        Some(Body::File(file)) => {
            let kind = file.type_();
            let _ = headers.set("Content-Type", if kind.is_empty() { "application/octet-stream" } else { &kind });
            init.set_body(file);
        }
        None => {}
    }
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(&url(path), &init).map_err(|_| ApiError::offline())?;
    let window = web_sys::window().ok_or_else(ApiError::offline)?;
    let response = JsFuture::from(window.fetch_with_request(&request)).await.map_err(|_| ApiError::offline())?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| ApiError::offline())?;
    let text = match response.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    };
    Ok((response.status(), text))
}

#[cfg(not(target_arch = "wasm32"))]
async fn send(_method: &str, _path: &str, _body: Option<Body>, _idempotency: Option<&str>) -> Result<String, ApiError> {
    Err(ApiError::offline())
}

#[cfg(target_arch = "wasm32")]
fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// Reads a value kept on this browser.
pub fn storage_get(key: &str) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    {
        local_storage()?.get_item(key).ok()?
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = key;
        None
    }
}

/// Keeps a value on this browser.
pub fn storage_set(key: &str, value: &str) {
    #[cfg(target_arch = "wasm32")]
    if let Some(s) = local_storage() {
        let _ = s.set_item(key, value);
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (key, value);
}

/// Forgets a value kept on this browser.
pub fn storage_remove(key: &str) {
    #[cfg(target_arch = "wasm32")]
    if let Some(s) = local_storage() {
        let _ = s.remove_item(key);
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = key;
}

/// A fresh random key (for `Idempotency-Key` headers).
pub fn random_key() -> String {
    let a = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let b = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let c = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    format!("{a:08x}{b:08x}{c:08x}")
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_become_readable_errors() {
        let e = ApiError::from_problem(
            422,
            r#"{"type":"https://creativeflow.dev/problems/validation","title":"Invalid","status":422,"detail":"The request is invalid","errors":[{"field":"email","message":"is not an email address"}]}"#,
        );
        assert_eq!(e.kind, "validation");
        assert_eq!(e.message(), "The request is invalid (email: is not an email address)");
        let garbage = ApiError::from_problem(502, "<html>bad gateway</html>");
        assert_eq!(garbage.kind, "error");
        assert_eq!(garbage.detail, "The server answered 502.");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode("a b&c=ü"), "a%20b%26c%3D%C3%BC");
        assert_eq!(url("/me"), "/api/v1/me");
        assert_eq!(url("/api/v1/x"), "/api/v1/x");
    }
}
