//! The web app: the bundle `cargo xtask web` builds (`index.html`, `assets/` with content-hashed
//! names and `.gz` twins, `templates/` thumbnails), served from `web_dir`.
//!
//! - `/assets/{build hash}/…`: immutable for a year (the folder changes when any content does);
//!   the `.gz` twin is sent to browsers that accept gzip.
//! - `/templates/{file}`: template thumbnails, a day.
//! - `/` and every app path (`/generate`, `/verify-email?token=…`, …): `index.html`, revalidated
//!   on every load (`no-cache`) so a new release is picked up at once.
//!
//! Only path segments of `[A-Za-z0-9._-]` not starting with a dot are looked up, so no request can leave the
//! bundle directory. With no bundle configured, `/` explains how to build one.

use std::path::{Path, PathBuf};

use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::AppState;
use crate::http::problem;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Paths the app never owns: they keep their JSON 404.
fn is_server_path(path: &str) -> bool {
    ["/api/", "/sync/", "/events", "/metrics", "/healthz", "/readyz"].iter().any(|p| path.starts_with(p))
}

/// A file name we are willing to look up.
fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or_default() {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn web_dir(state: &AppState) -> Option<PathBuf> {
    let dir = &state.config.web_dir;
    (!dir.as_os_str().is_empty()).then(|| dir.clone())
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.split(';').next().is_some_and(|e| e.trim() == "gzip")))
}

async fn file(path: &Path, name: &str, cache: &'static str, headers: &HeaderMap) -> Response {
    if accepts_gzip(headers) {
        let gz = path.with_file_name(format!("{name}.gz"));
        if let Ok(bytes) = tokio::fs::read(&gz).await {
            return (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static(content_type(name))),
                    (header::CONTENT_ENCODING, HeaderValue::from_static("gzip")),
                    (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
                    (header::VARY, HeaderValue::from_static("accept-encoding")),
                ],
                bytes,
            )
                .into_response();
        }
    }
    match tokio::fs::read(path).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type(name))),
                (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
                (header::VARY, HeaderValue::from_static("accept-encoding")),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => problem(StatusCode::NOT_FOUND, "not-found", "Not found", "no such file"),
    }
}

/// `GET /assets/{*path}`: the bundle's files (one folder per build, named by its hash).
pub async fn asset(State(state): State<AppState>, UrlPath(path): UrlPath<String>, headers: HeaderMap) -> Response {
    let segments: Vec<&str> = path.split('/').collect();
    match (web_dir(&state), segments.last()) {
        (Some(dir), Some(name)) if segments.len() <= 8 && segments.iter().all(|s| safe_name(s)) => {
            let mut file_path = dir.join("assets");
            for s in &segments {
                file_path.push(s);
            }
            file(&file_path, name, IMMUTABLE, &headers).await
        }
        _ => problem(StatusCode::NOT_FOUND, "not-found", "Not found", "no such file"),
    }
}

/// `GET /templates/{file}`: template thumbnails.
pub async fn template_thumbnail(
    State(state): State<AppState>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    match web_dir(&state) {
        Some(dir) if safe_name(&name) => {
            file(&dir.join("templates").join(&name), &name, "public, max-age=86400", &headers).await
        }
        _ => problem(StatusCode::NOT_FOUND, "not-found", "Not found", "no such file"),
    }
}

/// The app's page, for `/` and every app path; a JSON 404 for everything else.
pub async fn app_or_not_found(State(state): State<AppState>, request: Request) -> Response {
    let path = request.uri().path();
    let wants_page = request.method() == Method::GET || request.method() == Method::HEAD;
    if !wants_page
        || web_dir(&state).is_none()
        || is_server_path(path)
        || path.rsplit('/').next().is_some_and(|last| last.contains('.'))
    {
        return problem(StatusCode::NOT_FOUND, "not-found", "Not found", "no such resource");
    }
    index(&state).await
}

/// `GET /`.
pub async fn root(State(state): State<AppState>) -> Response {
    index(&state).await
}

async fn index(state: &AppState) -> Response {
    let page = match web_dir(state) {
        Some(dir) => tokio::fs::read(dir.join("index.html")).await.ok(),
        None => None,
    };
    match page {
        Some(bytes) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            bytes,
        )
            .into_response(),
        None => no_bundle().into_response(),
    }
}

fn no_bundle() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<title>CreativeFlow</title></head><body style=\"font-family:system-ui,sans-serif;max-width:40rem;",
        "margin:3rem auto;padding:0 1rem;line-height:1.5\"><h1>CreativeFlow server</h1>",
        "<p>The server is running without the web app. <code>cargo xtask serve</code> builds the app and ",
        "starts the server with it (or build it with <code>cargo xtask web</code> and pass ",
        "<code>--web-dir</code>). Meanwhile:</p><ul>",
        "<li><a href=\"/api/docs\">API documentation</a> (<a href=\"/api/openapi.json\">OpenAPI spec</a>)</li>",
        "<li><a href=\"/healthz\">Health</a> and <a href=\"/readyz\">readiness</a></li>",
        "</ul></body></html>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_are_looked_up() {
        assert!(safe_name("app-3f2a.wasm"));
        assert!(safe_name("hero_photo.png"));
        for bad in ["", "..", ".env", "a/b", "a\\b", "%2e%2e", "x y", "ü.png"] {
            assert!(!safe_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn app_paths_and_server_paths_are_told_apart() {
        assert!(is_server_path("/api/v1/me"));
        assert!(is_server_path("/sync/abc"));
        assert!(!is_server_path("/generate"));
        assert!(!is_server_path("/verify-email"));
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("br, gzip;q=0.8"));
        assert!(accepts_gzip(&h));
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzipx"));
        assert!(!accepts_gzip(&h));
    }
}
