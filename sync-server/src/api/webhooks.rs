//! Webhook endpoints (tag `webhooks`): a developer's URLs that receive signed events
//! (`generation.completed`, `generation.failed`, `final.completed`, `final.failed`,
//! `webhook.test`), the log of deliveries and their attempts, and the test button.
//!
//! Endpoints belong to the user account (an API key acts as its owner): a caller sees and
//! manages only their own, and another user's endpoint id answers 404. Reading needs the `read`
//! scope, changes need `write` (sessions have every scope). The signing secret (`whsec_…`) is
//! returned only when the endpoint is created and when it is rotated. See `docs/webhooks.md`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::api::content::{into_page, page_bound};
use crate::api::{Page, PageQuery};
use crate::auth::Principal;
use crate::authz::Scope;
use crate::db::webhooks::{NewWebhookEndpoint, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEndpointPatch};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::http::Problem;
use crate::webhooks::{EVENT_TYPES, WEBHOOK_TEST, check_url, new_secret};

/// This family's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(list_deliveries))
        .routes(routes!(test_webhook))
        .routes(routes!(rotate_secret))
}

/// Most endpoints per account.
pub const MAX_ENDPOINTS: i64 = 20;
/// Most characters in a description.
pub const DESCRIPTION_CHARS: usize = 200;

// ---------------------------------------------------------------------- checks

fn require_scope(principal: &Principal, scope: Scope) -> Result<(), ApiError> {
    if principal.scopes.contains(&scope) {
        Ok(())
    } else {
        Err(ApiError::Forbidden("this API key lacks the scope for that action"))
    }
}

/// Changes need the `write` scope and, after the grace period, a verified email.
fn require_write(state: &AppState, principal: &Principal) -> Result<(), ApiError> {
    require_scope(principal, Scope::Write)?;
    principal.require_verified_or_grace(state.config.auth.verification_grace_hours)
}

fn valid_url(state: &AppState, url: &str) -> Result<String, ApiError> {
    check_url(url, state.config.webhooks.allow_private_targets)
        .map(|u| u.to_string())
        .map_err(|e| ApiError::invalid("url", e))
}

fn valid_description(description: &str) -> Result<String, ApiError> {
    let description = description.trim();
    if description.chars().count() > DESCRIPTION_CHARS || description.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "description",
            format!("at most {DESCRIPTION_CHARS} characters, no control characters"),
        ));
    }
    Ok(description.to_owned())
}

/// Known types, deduplicated, in the order given.
fn valid_event_types(types: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for t in types {
        if !EVENT_TYPES.contains(&t.as_str()) {
            return Err(ApiError::invalid(
                "event_types",
                format!("unknown event type {t:?}; known: {}", EVENT_TYPES.join(", ")),
            ));
        }
        if !out.contains(t) {
            out.push(t.clone());
        }
    }
    Ok(out)
}

/// The caller's endpoint `id` (404 for anyone else's).
async fn endpoint_for(state: &AppState, principal: &Principal, id: Uuid) -> Result<WebhookEndpoint, ApiError> {
    state.db.webhook_endpoint(principal.user_id, id).await?.ok_or(ApiError::NotFound)
}

// ---------------------------------------------------------------------- views and bodies

/// A webhook endpoint, without its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookView {
    /// Id.
    pub id: Uuid,
    /// Where events are POSTed.
    pub url: String,
    /// A note for people.
    pub description: String,
    /// The subscribed event types; empty: every type.
    pub event_types: Vec<String>,
    /// Whether events are sent (a disabled endpoint's pending deliveries wait until it is
    /// enabled again; new events are not queued for it).
    pub enabled: bool,
    /// Created, ms since the Unix epoch (UTC).
    pub created_at: i64,
    /// Last changed, ms since the Unix epoch (UTC).
    pub updated_at: i64,
}

impl From<WebhookEndpoint> for WebhookView {
    fn from(e: WebhookEndpoint) -> WebhookView {
        let event_types = e.event_type_list();
        WebhookView {
            id: e.id,
            url: e.url,
            description: e.description,
            event_types,
            enabled: e.enabled,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// A new endpoint, with its signing secret shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedWebhookView {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: WebhookView,
    /// The signing secret, `whsec_<base64>`: verify each request's `webhook-signature` with
    /// it. It is not shown again (rotate it to get a new one).
    pub secret: String,
}

/// A new signing secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookSecretView {
    /// The endpoint.
    pub id: Uuid,
    /// The new secret, `whsec_<base64>`, shown this once; the old one stops working at once.
    pub secret: String,
}

/// `POST /webhooks`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookBody {
    /// An `http` or `https` URL (public addresses only when the server refuses private targets).
    pub url: String,
    /// A note, at most 200 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// Event types to receive; empty or absent: every type.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// Whether to send events (default `true`).
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// `PATCH /webhooks/{id}`: absent fields stay as they are.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatchBody {
    /// A new URL.
    #[serde(default)]
    pub url: Option<String>,
    /// A new note.
    #[serde(default)]
    pub description: Option<String>,
    /// New subscriptions; empty: every type.
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
    /// On or off.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// One attempt to send a delivery.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookAttemptView {
    /// 1 for the first attempt.
    pub attempt: i64,
    /// When it started, ms since the Unix epoch (UTC).
    pub attempted_at: i64,
    /// The HTTP status the endpoint answered, if it answered.
    pub status_code: Option<i64>,
    /// Why it failed; `null` when delivered.
    pub error: Option<String>,
    /// How long it took, ms.
    pub duration_ms: i64,
}

impl From<WebhookAttempt> for WebhookAttemptView {
    fn from(a: WebhookAttempt) -> WebhookAttemptView {
        WebhookAttemptView {
            attempt: a.attempt,
            attempted_at: a.attempted_at,
            status_code: a.status_code,
            error: a.error,
            duration_ms: a.duration_ms,
        }
    }
}

/// A delivery: one event for one endpoint, with its attempts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookDeliveryView {
    /// Id; also the `webhook-id` header, the same on every retry (deduplicate on it).
    pub id: Uuid,
    /// The endpoint.
    pub endpoint_id: Uuid,
    /// The event type.
    pub event_type: String,
    /// The event's `data`.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due while pending, ms since the Unix epoch (UTC).
    pub next_attempt_at: Option<i64>,
    /// When the event happened, ms since the Unix epoch (UTC).
    pub created_at: i64,
    /// When it was delivered.
    pub delivered_at: Option<i64>,
    /// The attempts, oldest first.
    pub attempt_log: Vec<WebhookAttemptView>,
}

impl WebhookDeliveryView {
    fn new(d: WebhookDelivery, attempt_log: Vec<WebhookAttemptView>) -> WebhookDeliveryView {
        let pending = d.status == crate::db::webhooks::STATUS_PENDING;
        WebhookDeliveryView {
            id: d.id,
            endpoint_id: d.endpoint_id,
            event_type: d.event_type,
            payload: serde_json::from_str(&d.payload).unwrap_or(serde_json::Value::Null),
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: pending.then_some(d.next_attempt_at),
            created_at: d.created_at,
            delivered_at: d.delivered_at,
            attempt_log,
        }
    }
}

// ---------------------------------------------------------------------- handlers

/// The caller's webhook endpoints, newest first.
#[utoipa::path(
    get,
    path = "/webhooks",
    tag = "webhooks",
    params(PageQuery),
    responses(
        (status = 200, body = Page<WebhookView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn list_webhooks(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<WebhookView>>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let before = page_bound(&page)?;
    let rows = state.db.webhook_endpoints(principal.user_id, &before, page.limit() + 1).await?;
    Ok(Json(into_page(rows, page.limit(), |e| e.id, WebhookView::from)))
}

/// Adds an endpoint (at most 20 per account). The answer carries the signing secret, shown this
/// once.
#[utoipa::path(
    post,
    path = "/webhooks",
    tag = "webhooks",
    request_body = NewWebhookBody,
    responses(
        (status = 201, body = CreatedWebhookView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Too many endpoints", body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn create_webhook(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<NewWebhookBody>,
) -> Result<(StatusCode, Json<CreatedWebhookView>), ApiError> {
    require_write(&state, &principal)?;
    let url = valid_url(&state, &body.url)?;
    let description = valid_description(body.description.as_deref().unwrap_or(""))?;
    let event_types = valid_event_types(&body.event_types)?;
    if state.db.count_webhook_endpoints(principal.user_id).await? >= MAX_ENDPOINTS {
        return Err(ApiError::Conflict(format!("an account has at most {MAX_ENDPOINTS} webhook endpoints")));
    }
    let secret = new_secret();
    let endpoint = state
        .db
        .create_webhook_endpoint(&NewWebhookEndpoint {
            user_id: principal.user_id,
            url: &url,
            secret: &secret,
            description: &description,
            event_types: &event_types,
            enabled: body.enabled.unwrap_or(true),
        })
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedWebhookView { endpoint: endpoint.into(), secret })))
}

/// One of the caller's endpoints.
#[utoipa::path(
    get,
    path = "/webhooks/{id}",
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint")),
    responses(
        (status = 200, body = WebhookView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn get_webhook(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<WebhookView>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    Ok(Json(endpoint_for(&state, &principal, id).await?.into()))
}

/// Changes an endpoint's URL, description, subscriptions or whether it is enabled.
#[utoipa::path(
    patch,
    path = "/webhooks/{id}",
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint")),
    request_body = WebhookPatchBody,
    responses(
        (status = 200, body = WebhookView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn update_webhook(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<WebhookPatchBody>,
) -> Result<Json<WebhookView>, ApiError> {
    require_write(&state, &principal)?;
    endpoint_for(&state, &principal, id).await?;
    let url = body.url.as_deref().map(|u| valid_url(&state, u)).transpose()?;
    let description = body.description.as_deref().map(valid_description).transpose()?;
    let event_types = body.event_types.as_deref().map(valid_event_types).transpose()?;
    let patch = WebhookEndpointPatch {
        url: url.as_deref(),
        description: description.as_deref(),
        event_types: event_types.as_deref(),
        enabled: body.enabled,
    };
    let endpoint = state.db.update_webhook_endpoint(principal.user_id, id, &patch).await?.ok_or(ApiError::NotFound)?;
    if endpoint.enabled {
        // Deliveries that waited while it was disabled are due now.
        crate::webhooks::wake_sender();
    }
    Ok(Json(endpoint.into()))
}

/// Deletes an endpoint with its deliveries and their log; nothing more is sent to it.
#[utoipa::path(
    delete,
    path = "/webhooks/{id}",
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn delete_webhook(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    require_write(&state, &principal)?;
    if !state.db.delete_webhook_endpoint(principal.user_id, id).await? {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The endpoint's deliveries, newest first, each with its attempts (status code, error,
/// duration).
#[utoipa::path(
    get,
    path = "/webhooks/{id}/deliveries",
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint"), PageQuery),
    responses(
        (status = 200, body = Page<WebhookDeliveryView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn list_deliveries(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<WebhookDeliveryView>>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let before = page_bound(&page)?;
    endpoint_for(&state, &principal, id).await?;
    let rows = state.db.webhook_deliveries(id, &before, page.limit() + 1).await?;
    let Page { items, next_cursor } = into_page(rows, page.limit(), |d| d.id, |d| d);
    let mut log: HashMap<Uuid, Vec<WebhookAttemptView>> = HashMap::new();
    if let (Some(oldest), Some(newest)) = (items.last(), items.first()) {
        for a in state.db.webhook_attempts(id, oldest.id, newest.id).await? {
            log.entry(a.delivery_id).or_default().push(a.into());
        }
    }
    let items = items
        .into_iter()
        .map(|d| {
            let attempts = log.remove(&d.id).unwrap_or_default();
            WebhookDeliveryView::new(d, attempts)
        })
        .collect();
    Ok(Json(Page { items, next_cursor }))
}

/// Queues a `webhook.test` delivery to the endpoint (whatever its subscriptions) and answers
/// at once; the delivery log shows how it went.
#[utoipa::path(
    post,
    path = "/webhooks/{id}/test",
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint")),
    responses(
        (status = 202, body = WebhookDeliveryView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The endpoint is disabled", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn test_webhook(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<(StatusCode, Json<WebhookDeliveryView>), ApiError> {
    require_write(&state, &principal)?;
    let endpoint = endpoint_for(&state, &principal, id).await?;
    if !endpoint.enabled {
        return Err(ApiError::Conflict("this endpoint is disabled; enable it to send a test".into()));
    }
    let payload = serde_json::json!({
        "endpoint_id": endpoint.id,
        "user_id": principal.user_id,
        "message": "A test delivery from CreativeFlow.",
    });
    let delivery = state.db.queue_webhook_delivery(endpoint.id, WEBHOOK_TEST, &payload).await?;
    Ok((StatusCode::ACCEPTED, Json(WebhookDeliveryView::new(delivery, Vec::new()))))
}

/// Replaces the endpoint's signing secret; the new one is shown this once and the old one stops
/// working at once (deliveries not yet sent are signed with the new one).
#[utoipa::path(
    post,
    path = "/webhooks/{id}/rotate-secret",
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint")),
    responses(
        (status = 200, body = WebhookSecretView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn rotate_secret(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<WebhookSecretView>, ApiError> {
    require_write(&state, &principal)?;
    let secret = new_secret();
    if !state.db.set_webhook_secret(principal.user_id, id, &secret).await? {
        return Err(ApiError::NotFound);
    }
    Ok(Json(WebhookSecretView { id, secret }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_are_known_and_deduplicated() {
        let ok = valid_event_types(&["final.failed".into(), "webhook.test".into(), "final.failed".into()]);
        assert_eq!(ok.ok(), Some(vec!["final.failed".to_owned(), "webhook.test".to_owned()]));
        assert!(valid_event_types(&["generation.started".into()]).is_err());
        assert!(valid_event_types(&[]).is_ok_and(|t| t.is_empty()));
    }

    #[test]
    fn descriptions_are_short_and_plain() {
        assert_eq!(valid_description("  CI hook ").ok().as_deref(), Some("CI hook"));
        assert!(valid_description(&"x".repeat(DESCRIPTION_CHARS + 1)).is_err());
        assert!(valid_description("tab\there").is_err());
    }
}
