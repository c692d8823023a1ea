//! A creative's live document and its history: document tokens for the relay socket, the stored
//! state as a Yjs update, and versions (list, name one, preview, restore).
//!
//! Restoring a version is a new edit: the relay rewrites the live document to the version's
//! design, logs that as an update and sends it to every connected client, so nobody has to
//! reload and nothing after the version is lost from history.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use editor_core::relay::Access;
use editor_core::{Design, Document, design_file};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::content::{check_name, internal, into_page, live, page_bound, writer};
use super::{Page, PageQuery};
use crate::AppState;
use crate::auth::Principal;
use crate::authz::{Action, authorize};
use crate::db::now_ms;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::http::Problem;
use crate::relay::RelayFailure;

/// The routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sync_token))
        .routes(routes!(stored_document))
        .routes(routes!(list_versions, create_version))
        .routes(routes!(preview_version))
        .routes(routes!(restore_version))
}

/// A document token: the credential for the creative's relay socket.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncToken {
    /// Pass as `?token=` to the socket.
    pub token: String,
    /// `edit`, or `view` (the relay drops a viewer's changes).
    pub access: String,
    /// When the token stops opening sockets, ms (an open socket stays open).
    pub expires_at: i64,
    /// The socket's path: `ws(s)://HOST{path}?token=…`. With y-websocket:
    /// `new WebsocketProvider("ws(s)://HOST/sync", creativeId, doc, { params: { token } })`.
    pub path: String,
}

/// Issues a document token. Members who may edit get `edit`; the others (Viewers, read-only
/// API keys, accounts past their verification grace period) get `view`.
#[utoipa::path(
    post,
    path = "/creatives/{id}/sync-token",
    tag = "documents",
    params(("id" = Uuid, Path, description = "The creative")),
    responses(
        (status = 200, body = SyncToken),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn sync_token(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<axum::Json<SyncToken>, ApiError> {
    let access = state.db.creative_access(id, principal.user_id).await?;
    let access = live(access, |c| c.deleted_at, &principal, Action::Read)?;
    let may_edit = authorize(access.role, &principal.scopes, Action::Edit).is_ok()
        && principal.require_verified_or_grace(state.config.auth.verification_grace_hours).is_ok();
    let mode = if may_edit { Access::Edit } else { Access::View };
    let ttl = state.config.relay.token_ttl_secs;
    let token = crate::relay::issue_token(&state.tokens, principal.user_id, id, mode, ttl)?;
    Ok(axum::Json(SyncToken {
        token,
        access: if may_edit { "edit" } else { "view" }.into(),
        expires_at: now_ms() + i64::try_from(ttl * 1000).unwrap_or(i64::MAX),
        path: format!("/sync/{id}"),
    }))
}

/// The stored document as one Yjs update (v1): the newest snapshot plus every update the
/// relay logged since, read from the database. `Y.applyUpdate(new Y.Doc(), bytes)` shows it.
#[utoipa::path(
    get,
    path = "/creatives/{id}/document",
    tag = "documents",
    params(("id" = Uuid, Path, description = "The creative")),
    responses(
        (status = 200, description = "A Yjs v1 update", content_type = "application/octet-stream"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn stored_document(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let access = state.db.creative_access(id, principal.user_id).await?;
    live(access, |c| c.deleted_at, &principal, Action::Read)?;
    let (doc, _, _) = crate::relay::load_stored(&state.db, id).await.map_err(internal)?;
    let bytes = tokio::task::spawn_blocking(move || doc.encode_state_v1()).await.map_err(internal)?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

/// One entry of a creative's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    /// The version id.
    pub id: Uuid,
    /// `initial` (the creative's first state), `auto` (saved while editing), `named`
    /// (saved by a person) or `restore` (the state right after a restore).
    pub kind: String,
    /// The name a person gave it.
    pub name: Option<String>,
    /// Who saved it; none for automatic versions.
    pub created_by: Option<Uuid>,
    /// When, ms.
    pub created_at: i64,
}

impl From<crate::db::relay::Version> for VersionView {
    fn from(v: crate::db::relay::Version) -> VersionView {
        VersionView { id: v.id, kind: v.kind, name: v.name, created_by: v.created_by, created_at: v.created_at }
    }
}

/// Lists a creative's versions, newest first.
#[utoipa::path(
    get,
    path = "/creatives/{id}/versions",
    tag = "documents",
    params(("id" = Uuid, Path, description = "The creative"), PageQuery),
    responses(
        (status = 200, body = Page<VersionView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn list_versions(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<axum::Json<Page<VersionView>>, ApiError> {
    let access = state.db.creative_access(id, principal.user_id).await?;
    live(access, |c| c.deleted_at, &principal, Action::Read)?;
    let before = page_bound(&page)?;
    let versions = state.db.list_versions(id, &before, page.limit() + 1).await?;
    Ok(axum::Json(into_page(versions, page.limit(), |v| v.id, VersionView::from)))
}

/// `POST /creatives/{id}/versions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVersion {
    /// A name for the version, 1–200 characters.
    pub name: String,
}

/// Saves the current document (with every acknowledged edit) as a named version.
#[utoipa::path(
    post,
    path = "/creatives/{id}/versions",
    tag = "documents",
    params(("id" = Uuid, Path, description = "The creative")),
    request_body = NewVersion,
    responses(
        (status = 201, body = VersionView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn create_version(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewVersion>,
) -> Result<(axum::http::StatusCode, axum::Json<VersionView>), ApiError> {
    let access = state.db.creative_access(id, principal.user_id).await?;
    writer(&state, access, |c| c.deleted_at, &principal, Action::Edit)?;
    let name = check_name("name", &body.name)?;
    let version = state.relay.snapshot(id, name, principal.user_id).await.map_err(relay_error)?;
    let (version, _) = state.db.version(id, version).await?.ok_or(ApiError::NotFound)?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(version.into())))
}

/// `GET /creatives/{id}/versions/{version_id}`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct VersionPath {
    /// The creative.
    pub id: Uuid,
    /// The version.
    pub version_id: Uuid,
}

/// A version's design as a design file (editor-core's versioned JSON), for previews.
#[utoipa::path(
    get,
    path = "/creatives/{id}/versions/{version_id}",
    tag = "documents",
    params(VersionPath),
    responses(
        (status = 200, description = "The design file", body = Object, content_type = "application/json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn preview_version(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<VersionPath>,
) -> Result<Response, ApiError> {
    let access = state.db.creative_access(path.id, principal.user_id).await?;
    live(access, |c| c.deleted_at, &principal, Action::Read)?;
    let (_, doc_v2) = state.db.version(path.id, path.version_id).await?.ok_or(ApiError::NotFound)?;
    let file = design_file::to_string(&version_design(doc_v2).await?);
    Ok(([(header::CONTENT_TYPE, "application/json")], file).into_response())
}

/// Restores a version: the live document becomes the version's design, as a new edit that
/// every connected client receives. Returns the version saved right after the restore.
#[utoipa::path(
    post,
    path = "/creatives/{id}/versions/{version_id}/restore",
    tag = "documents",
    params(VersionPath),
    responses(
        (status = 201, body = VersionView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn restore_version(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<VersionPath>,
) -> Result<(axum::http::StatusCode, axum::Json<VersionView>), ApiError> {
    let access = state.db.creative_access(path.id, principal.user_id).await?;
    writer(&state, access, |c| c.deleted_at, &principal, Action::Edit)?;
    let (version, doc_v2) = state.db.version(path.id, path.version_id).await?.ok_or(ApiError::NotFound)?;
    let design = version_design(doc_v2).await?;
    let label = version.name.clone().unwrap_or_else(|| format!("{} version", version.kind));
    let name = format!("Restored from {label}");
    let restored = state.relay.restore(path.id, design, name, principal.user_id).await.map_err(relay_error)?;
    let (restored, _) = state.db.version(path.id, restored).await?.ok_or(ApiError::NotFound)?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(restored.into())))
}

/// The design a stored version (v2 snapshot) holds, decoded off the executor.
async fn version_design(doc_v2: Vec<u8>) -> Result<Design, ApiError> {
    tokio::task::spawn_blocking(move || Document::load(None, Some(&doc_v2), &[]).map(|doc| doc.design()))
        .await
        .map_err(internal)?
        .map_err(internal)
}

fn relay_error(e: RelayFailure) -> ApiError {
    match e {
        RelayFailure::Invalid(reason) => ApiError::invalid("version", reason),
        other => internal(other),
    }
}
