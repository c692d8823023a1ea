//! The HTTP surface: routes, the start page, health checks and RFC 9457 problem responses.

use std::net::SocketAddr;
use std::time::Instant;

use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::AppState;

/// Largest request body accepted, except asset uploads (`storage.max_upload_bytes`).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The OpenAPI 3.1 description, generated from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(title = "CreativeFlow API", description = "The CreativeFlow REST API."),
    paths(healthz, readyz, metrics),
    components(schemas(Health, Ready, Problem)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme (access tokens and API keys).
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An access token from /api/v1/auth/login, or an API key `cf_…`"))
                    .build(),
            ),
        );
    }
}

/// The full OpenAPI document and the API routes it describes.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", crate::api::routes()).split_for_parts()
}

/// `/healthz` answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok` while the process serves requests.
    pub status: String,
}

/// `/readyz` answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Ready {
    /// `ready`.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
}

/// An RFC 9457 problem document.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A stable URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What happened, for a person.
    pub detail: String,
}

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

/// Every route, with request ids, security headers, a body-size limit and request tracing.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let headers = [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
        // The docs UI needs its own inline script and styles; nothing loads from elsewhere.
        (
            "content-security-policy",
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; \
             script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; connect-src 'self'; \
             frame-ancestors 'none'",
        ),
    ];
    let (api, doc) = api();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(state.config.cors_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok())))
        .allow_methods([
            axum::http::Method::GET,
            axum::http::Method::POST,
            axum::http::Method::PATCH,
            axum::http::Method::PUT,
            axum::http::Method::DELETE,
        ])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, HeaderName::from_static("idempotency-key")])
        .expose_headers([HeaderName::from_static("x-request-id"), header::RETRY_AFTER])
        .max_age(std::time::Duration::from_secs(600));
    let mut router = Router::new()
        .route("/", get(crate::web::root))
        .route("/assets/{*path}", get(crate::web::asset))
        .route("/templates/{file}", get(crate::web::template_thumbnail))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(api)
        .merge(crate::relay::routes())
        .merge(crate::events::routes())
        .merge(crate::api::workers::routes())
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", doc))
        .fallback(crate::web::app_or_not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), measure_and_limit))
        .with_state(state)
        .layer(cors)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(limit_body))
        // Outside the body limit, so its 413 is rewritten too.
        .layer(axum::middleware::map_response(as_problem))
        .layer(TraceLayer::new_for_http());
    // Outermost: every answer, including the layers' own, carries these.
    for (name, value) in headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    router
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Liveness: the process serves requests.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
async fn healthz() -> impl IntoResponse {
    axum::Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, body = Ready),
        (status = 503, body = Problem, content_type = "application/problem+json")
    )
)]
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

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, body = String, content_type = "text/plain")))]
async fn metrics(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.render())
        .into_response()
}

/// Applies the per-IP rate limit (health, readiness and metrics are exempt, so probes never see
/// a 429) and records each request's route, status and latency.
async fn measure_and_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    // Workers are authenticated by token and poll all day: no per-IP budget for them.
    let exempt =
        matches!(route.as_str(), "/healthz" | "/readyz" | "/metrics" | "/assets/{*path}" | "/templates/{file}")
            || crate::api::workers::is_worker_path(&route);
    let ip = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let response = match ip {
        Some(ip) if !exempt => match state.limits.check_ip(ip) {
            Ok(()) => next.run(request).await,
            Err(e) => e.into_response(),
        },
        _ => next.run(request).await,
    };
    state.metrics.request(&method, &route, response.status().as_u16(), start.elapsed().as_secs_f64());
    response
}

/// Refuses bodies declared larger than [`MAX_BODY_BYTES`] before routing, so even a route that
/// reads no body answers 413. Asset uploads are exempt: they take up to
/// `storage.max_upload_bytes`, which their handler enforces while reading. Bodies sent without a
/// length are capped by `DefaultBodyLimit` when an extractor reads them.
async fn limit_body(request: Request, next: Next) -> Response {
    let declared = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64)
        && !crate::api::assets::is_upload(request.method(), request.uri().path())
        && !crate::api::workers::is_worker_path(request.uri().path())
    {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    next.run(request).await
}

/// Turns the bare 405 and 413 answers of the router and the body limit into problems.
async fn as_problem(response: Response) -> Response {
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if is_problem {
        return response;
    }
    match response.status() {
        StatusCode::METHOD_NOT_ALLOWED => {
            let allow = response.headers().get(header::ALLOW).cloned();
            let mut p = problem(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "this resource does not accept that method",
            );
            if let Some(allow) = allow {
                p.headers_mut().insert(header::ALLOW, allow);
            }
            p
        }
        StatusCode::PAYLOAD_TOO_LARGE => problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Request body too large",
            &format!("request bodies may be at most {MAX_BODY_BYTES} bytes"),
        ),
        _ => response,
    }
}
