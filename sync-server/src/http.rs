//! The HTTP surface: routes, the start page, health checks and RFC 9457 problem responses.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::AppState;

/// An RFC 9457 problem (`application/problem+json`) with a stable `type`.
pub fn problem(status: StatusCode, kind: &str, title: &str, detail: &str) -> Response {
    let body = json!({
        "type": format!("https://creativeflow.dev/problems/{kind}"),
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
}

/// Every route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(not_found)
        .with_state(state)
}

async fn index() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<title>CreativeFlow</title></head><body style=\"font-family:system-ui,sans-serif;max-width:40rem;",
        "margin:3rem auto;padding:0 1rem;line-height:1.5\"><h1>CreativeFlow server</h1>",
        "<p>The server is running. The web app arrives later; until then:</p><ul>",
        "<li><a href=\"/api/docs\">API documentation</a> (<a href=\"/api/openapi.json\">OpenAPI spec</a>)</li>",
        "<li><a href=\"/healthz\">Health</a> and <a href=\"/readyz\">readiness</a></li>",
        "</ul></body></html>"
    ))
}

async fn healthz() -> impl IntoResponse {
    axum::Json(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => {
            let dialect = match state.db.dialect() {
                crate::db::Dialect::Sqlite => "sqlite",
                crate::db::Dialect::Postgres => "postgres",
            };
            axum::Json(json!({ "status": "ready", "database": dialect })).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "readiness check failed");
            problem(StatusCode::SERVICE_UNAVAILABLE, "not-ready", "Not ready", "the database does not answer")
        }
    }
}

async fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "not-found", "Not found", "no such resource")
}
