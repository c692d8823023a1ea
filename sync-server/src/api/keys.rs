//! API keys (tag `api-keys`): `cf_<prefix>_<secret>`, shown once at creation, stored as the
//! prefix and the SHA-256 of the secret, scoped (`read`, `write`, `manage`), revocable. Managing
//! keys needs a signed-in session; a key cannot mint or revoke keys.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::auth::{API_KEY_PREFIX, Principal, random_bytes, random_token, token_hash};
use crate::authz::Scope;
use crate::db::DbError;
use crate::db::keys::ApiKey;
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::http::Problem;

/// Longest key name, in characters.
pub const KEY_NAME_MAX: usize = 80;

/// `POST /api-keys`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// A label to recognise the key by, 1–80 characters.
    pub name: String,
    /// What the key may do: a non-empty subset of `read`, `write`, `manage`. The key never
    /// exceeds its owner's role in a team.
    pub scopes: Vec<Scope>,
}

/// An API key, without its secret.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ApiKeyView {
    /// The key id.
    pub id: Uuid,
    /// Its label.
    pub name: String,
    /// The public part of the key (`cf_<prefix>_…`), to recognise it.
    pub prefix: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// Created, ms since the Unix epoch (UTC).
    pub created_at: i64,
    /// Last request made with it, ms since the Unix epoch (UTC; recorded at most once a minute).
    pub last_used_at: Option<i64>,
    /// When it was revoked; a revoked key answers 401.
    pub revoked_at: Option<i64>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(k: ApiKey) -> ApiKeyView {
        ApiKeyView {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// A new key, with the secret shown this once.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedApiKey {
    /// The key id.
    pub id: Uuid,
    /// Its label.
    pub name: String,
    /// The public part of the key.
    pub prefix: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// Created, ms since the Unix epoch (UTC).
    pub created_at: i64,
    /// The full key, `cf_<prefix>_<secret>`: send it as `Authorization: Bearer <key>`. It is not
    /// stored and cannot be shown again.
    pub key: String,
}

/// This family's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_key, list_keys)).routes(routes!(revoke_key))
}

/// 12 lower-case hex characters: no `_`, so `cf_<prefix>_<secret>` splits at the first `_`
/// after the prefix even though the secret (URL-safe base64) may contain one.
fn new_prefix() -> String {
    random_bytes(6).iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates an API key for the signed-in account. The full key is in this answer only.
#[utoipa::path(
    post,
    path = "/api-keys",
    tag = "api-keys",
    request_body = CreateApiKey,
    responses(
        (status = 201, description = "Created; `key` is shown only here", body = CreatedApiKey),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "API keys cannot create API keys; sign in", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn create_key(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<CreateApiKey>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    principal.require_session()?;
    let name = body.name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > KEY_NAME_MAX || name.chars().any(char::is_control) {
        return Err(ApiError::invalid("name", format!("use 1 to {KEY_NAME_MAX} printable characters")));
    }
    // Canonical order, no repeats.
    let scopes: Vec<Scope> = Scope::ALL.into_iter().filter(|s| body.scopes.contains(s)).collect();
    if scopes.is_empty() {
        return Err(ApiError::invalid("scopes", "choose at least one of read, write, manage"));
    }
    let secret = random_token();
    let hash = token_hash(&secret);
    // 48 random bits: a collision is rare, and a retry settles it.
    let mut attempt = 0;
    let key = loop {
        let prefix = new_prefix();
        match state.db.create_api_key(principal.user_id, name, &prefix, &hash, &scopes).await {
            Err(DbError::Conflict(_)) if attempt < 3 => attempt += 1,
            other => break other?,
        }
    };
    let full = format!("{API_KEY_PREFIX}{}_{secret}", key.prefix);
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            id: key.id,
            name: key.name,
            prefix: key.prefix,
            scopes: key.scopes,
            created_at: key.created_at,
            key: full,
        }),
    ))
}

/// The signed-in account's API keys, revoked ones included, newest first (never the secrets).
#[utoipa::path(
    get,
    path = "/api-keys",
    tag = "api-keys",
    responses(
        (status = 200, body = Vec<ApiKeyView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "API keys cannot list API keys; sign in", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn list_keys(State(state): State<AppState>, principal: Principal) -> Result<Json<Vec<ApiKeyView>>, ApiError> {
    principal.require_session()?;
    let keys = state.db.api_keys(principal.user_id).await?;
    Ok(Json(keys.into_iter().map(ApiKeyView::from).collect()))
}

/// Revokes one of the signed-in account's keys; requests with it answer 401 from now on.
#[utoipa::path(
    delete,
    path = "/api-keys/{id}",
    tag = "api-keys",
    params(("id" = Uuid, Path, description = "Key id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "API keys cannot revoke API keys; sign in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key of this account", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn revoke_key(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    principal.require_session()?;
    if state.db.revoke_api_key(principal.user_id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
