//! Comments, approvals and notifications (tags `comments`, `approvals`, `notifications`).
//!
//! A creative carries comment threads, each optionally anchored to a layer and a point (design
//! px), with replies, mentions of team members and resolve/reopen. Anyone who may comment
//! (Viewers too, see `docs/permissions.md`) writes comments; Editors request reviews from members
//! who may approve; Owners and Admins approve or reject, which sets the creative's
//! `approval_status`. Every such change notifies the people concerned in the same transaction
//! and wakes their events sockets ([`crate::events`]); `/me/notifications` is the same feed over
//! REST.

use std::collections::{BTreeSet, HashMap};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::api::content::{into_page, page_bound};
use crate::api::{Page, PageQuery};
use crate::auth::Principal;
use crate::authz::{Action, Role, Scope, authorize, role_allows};
use crate::db::comments::{ApprovalEvent, Comment, Decision, NewComment};
use crate::db::content::{Access, Creative};
use crate::db::notifications::Notification;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::http::Problem;

/// This family's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_comments, create_thread))
        .routes(routes!(create_reply))
        .routes(routes!(update_comment, delete_comment))
        .routes(routes!(resolve_thread))
        .routes(routes!(reopen_thread))
        .routes(routes!(request_review))
        .routes(routes!(decide))
        .routes(routes!(approvals))
        .routes(routes!(list_notifications))
        .routes(routes!(mark_notifications_read))
}

// ---------------------------------------------------------------------- limits and checks

/// Most characters in a comment (after trimming).
pub const BODY_CHARS: usize = 5000;
/// Most characters in a layer id.
pub const LAYER_ID_CHARS: usize = 100;
/// Most users mentioned in one comment.
pub const MAX_MENTIONS: usize = 50;
/// Most reviewers in one request.
pub const MAX_REVIEWERS: usize = 20;
/// Largest anchor coordinate magnitude, design px.
pub const MAX_COORDINATE: f64 = 1_000_000.0;

/// Trimmed text of 1..=[`BODY_CHARS`] characters without control characters other than line
/// breaks and tabs.
fn check_text(field: &'static str, text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    let chars = text.chars().count();
    if chars == 0 || chars > BODY_CHARS {
        return Err(ApiError::invalid(field, format!("use 1 to {BODY_CHARS} characters")));
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(ApiError::invalid(field, "control characters other than line breaks and tabs are not allowed"));
    }
    Ok(text.to_owned())
}

fn check_layer_id(layer_id: &str) -> Result<String, ApiError> {
    let chars = layer_id.chars().count();
    if chars == 0 || chars > LAYER_ID_CHARS || layer_id.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ApiError::invalid("layer_id", format!("a layer id: 1 to {LAYER_ID_CHARS} characters, no spaces")));
    }
    Ok(layer_id.to_owned())
}

fn check_point(x: Option<f64>, y: Option<f64>) -> Result<(Option<f64>, Option<f64>), ApiError> {
    for (field, v) in [("x", x), ("y", y)] {
        if v.is_some_and(|v| !v.is_finite() || v.abs() > MAX_COORDINATE) {
            return Err(ApiError::invalid(field, format!("a coordinate in design px within ±{MAX_COORDINATE}")));
        }
    }
    match (x, y) {
        (Some(_), None) => Err(ApiError::invalid("y", "give both x and y, or neither")),
        (None, Some(_)) => Err(ApiError::invalid("x", "give both x and y, or neither")),
        _ => Ok((x, y)),
    }
}

/// The mentioned users, deduplicated: each must be a member of the creative's team.
async fn check_mentions(state: &AppState, team_id: Uuid, mentions: &[Uuid]) -> Result<Vec<Uuid>, ApiError> {
    let unique: BTreeSet<Uuid> = mentions.iter().copied().collect();
    if unique.len() > MAX_MENTIONS {
        return Err(ApiError::invalid("mentions", format!("mention at most {MAX_MENTIONS} people")));
    }
    if unique.is_empty() {
        return Ok(Vec::new());
    }
    let members = state.db.team_members(team_id).await?;
    if let Some(stranger) = unique.iter().find(|u| !members.iter().any(|m| m.user_id == **u)) {
        return Err(ApiError::invalid("mentions", format!("{stranger} is not a member of this creative's team")));
    }
    Ok(unique.into_iter().collect())
}

/// A live creative the caller may act on (404 if invisible, 403 without the permission; writes
/// also need a verified email after the grace period), with the caller's role.
async fn creative_for(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    action: Action,
) -> Result<(Access<Creative>, Role), ApiError> {
    let access = state
        .db
        .creative_access(id, principal.user_id)
        .await?
        .filter(|a| a.item.deleted_at.is_none())
        .ok_or(ApiError::NotFound)?;
    let role = authorize(access.role, &principal.scopes, action)?;
    if action != Action::Read {
        principal.require_verified_or_grace(state.config.auth.verification_grace_hours)?;
    }
    Ok((access, role))
}

/// A live comment on a live creative the caller may act on, with that creative and the role.
async fn comment_for(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    action: Action,
) -> Result<(Comment, Access<Creative>, Role), ApiError> {
    let comment = state.db.comment(id).await?.filter(|c| c.deleted_at.is_none()).ok_or(ApiError::NotFound)?;
    let (access, role) = creative_for(state, principal, comment.creative_id, action).await?;
    Ok((comment, access, role))
}

async fn display_name(state: &AppState, user: Uuid) -> Result<String, ApiError> {
    Ok(state.db.user_by_id(user).await?.map_or_else(|| "Someone".to_owned(), |u| u.display_name))
}

fn require_scope(principal: &Principal, scope: Scope) -> Result<(), ApiError> {
    principal.require_scope(scope)
}

// ---------------------------------------------------------------------- views and bodies

/// A comment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommentView {
    /// Id.
    pub id: Uuid,
    /// The creative.
    pub creative_id: Uuid,
    /// The thread (its first comment's id); `null` for a thread's first comment.
    pub thread_id: Option<Uuid>,
    /// Who wrote it.
    pub author_id: Uuid,
    /// The author's display name.
    pub author_name: String,
    /// Text.
    pub body: String,
    /// The layer the thread is anchored to.
    pub layer_id: Option<String>,
    /// Anchor point, design px.
    pub x: Option<f64>,
    /// Anchor point, design px.
    pub y: Option<f64>,
    /// Users mentioned.
    pub mentions: Vec<Uuid>,
    /// When the thread was resolved (threads only).
    pub resolved_at: Option<i64>,
    /// Who resolved it.
    pub resolved_by: Option<Uuid>,
    /// Created, ms since the Unix epoch (UTC).
    pub created_at: i64,
    /// Last edited, ms since the Unix epoch.
    pub edited_at: Option<i64>,
}

impl From<Comment> for CommentView {
    fn from(c: Comment) -> CommentView {
        let mentions = c.mention_ids();
        CommentView {
            id: c.id,
            creative_id: c.creative_id,
            thread_id: c.thread_id.as_deref().and_then(|t| Uuid::parse_str(t).ok()),
            author_id: c.author_id,
            author_name: c.author_name,
            body: c.body,
            layer_id: c.layer_id,
            x: c.x,
            y: c.y,
            mentions,
            resolved_at: c.resolved_at,
            resolved_by: c.resolved_by.as_deref().and_then(|t| Uuid::parse_str(t).ok()),
            created_at: c.created_at,
            edited_at: c.edited_at,
        }
    }
}

/// A thread: its first comment and the replies, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ThreadView {
    /// The first comment.
    #[serde(flatten)]
    pub comment: CommentView,
    /// The live replies, oldest first.
    pub replies: Vec<CommentView>,
}

/// `GET /creatives/{id}/comments`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CommentListQuery {
    /// Threads per page, 1–100 (default 20).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `true`: only resolved threads; `false`: only open ones; absent: all.
    pub resolved: Option<bool>,
}

/// `POST /creatives/{id}/comments`: a new thread.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewThreadBody {
    /// Text, 1–5000 characters (trimmed).
    pub body: String,
    /// Anchor the thread to this layer.
    #[serde(default)]
    pub layer_id: Option<String>,
    /// Anchor point, design px (with `y`).
    #[serde(default)]
    pub x: Option<f64>,
    /// Anchor point, design px (with `x`).
    #[serde(default)]
    pub y: Option<f64>,
    /// Members of the creative's team to notify, at most 50.
    #[serde(default)]
    pub mentions: Vec<Uuid>,
}

/// `POST /comments/{id}/replies`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReplyBody {
    /// Text, 1–5000 characters (trimmed).
    pub body: String,
    /// Members of the creative's team to notify, at most 50.
    #[serde(default)]
    pub mentions: Vec<Uuid>,
}

/// `PATCH /comments/{id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentPatch {
    /// New text, 1–5000 characters (trimmed).
    pub body: String,
}

/// One entry of the approval trail.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApprovalEventView {
    /// Id.
    pub id: Uuid,
    /// `requested`, `approved` or `rejected`.
    pub action: String,
    /// Who acted.
    pub actor_id: Uuid,
    /// The actor's display name.
    pub actor_name: String,
    /// The reviewers asked (review requests; empty for decisions).
    pub reviewers: Vec<Uuid>,
    /// The requester's message.
    pub message: Option<String>,
    /// The comment thread holding the reviewer's comment (decisions with a comment).
    pub comment_id: Option<Uuid>,
    /// When, ms since the Unix epoch (UTC).
    pub created_at: i64,
}

impl From<ApprovalEvent> for ApprovalEventView {
    fn from(e: ApprovalEvent) -> ApprovalEventView {
        let reviewers = e.reviewer_ids();
        ApprovalEventView {
            id: e.id,
            action: e.action,
            actor_id: e.actor_id,
            actor_name: e.actor_name,
            reviewers,
            message: e.message,
            comment_id: e.comment_id.as_deref().and_then(|c| Uuid::parse_str(c).ok()),
            created_at: e.created_at,
        }
    }
}

/// A creative's approval status and trail.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApprovalsView {
    /// The creative.
    pub creative_id: Uuid,
    /// `draft`, `in_review`, `approved` or `rejected`.
    pub approval_status: String,
    /// Requests and decisions, oldest first.
    pub events: Vec<ApprovalEventView>,
}

/// `POST /creatives/{id}/review-requests`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequestBody {
    /// Team members who may approve (Owners and Admins), 1–20.
    pub reviewers: Vec<Uuid>,
    /// A note for the reviewers, 1–5000 characters.
    #[serde(default)]
    pub message: Option<String>,
}

/// A reviewer's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DecisionValue {
    /// Approve the creative.
    Approve,
    /// Reject it.
    Reject,
}

/// `POST /creatives/{id}/approval`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalBody {
    /// `approve` or `reject`.
    pub decision: DecisionValue,
    /// Why, 1–5000 characters; also posted as a comment thread on the creative.
    #[serde(default)]
    pub comment: Option<String>,
}

/// A notification.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationView {
    /// Its number: per user, increasing, never reused.
    pub seq: i64,
    /// `comment`, `mention`, `review_requested`, `approval_changed`, `invitation` (more kinds
    /// may come: ignore unknown ones).
    pub kind: String,
    /// Ids and a short `text` for people; the fields depend on the kind.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// Created, ms since the Unix epoch (UTC).
    pub created_at: i64,
    /// When it was marked read.
    pub read_at: Option<i64>,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> NotificationView {
        NotificationView {
            seq: n.seq,
            payload: serde_json::from_str(&n.payload).unwrap_or_else(|_| serde_json::json!({})),
            kind: n.kind,
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

/// `GET /me/notifications`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationsView {
    /// Notifications numbered above `after`, oldest first.
    pub items: Vec<NotificationView>,
    /// Pass as `after` for the next page (the last item's number, or `after` if none).
    pub cursor: i64,
    /// Whether more follow.
    pub has_more: bool,
    /// How many of the caller's notifications are unread.
    pub unread: i64,
}

/// `?after=&limit=` on `GET /me/notifications`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NotificationQuery {
    /// Only notifications numbered above this (default 0: from the first).
    pub after: Option<i64>,
    /// At most this many, 1–100 (default 50).
    pub limit: Option<u32>,
}

/// `POST /me/notifications/read`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkReadBody {
    /// Marks every notification numbered up to this one read.
    pub upto: i64,
}

// ---------------------------------------------------------------------- comments

/// The creative's comment threads, newest first, each with its replies; `?resolved=` filters.
#[utoipa::path(
    get,
    path = "/creatives/{id}/comments",
    tag = "comments",
    params(("id" = Uuid, Path, description = "The creative"), CommentListQuery),
    responses(
        (status = 200, body = Page<ThreadView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn list_comments(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<CommentListQuery>,
) -> Result<Json<Page<ThreadView>>, ApiError> {
    let page = PageQuery { limit: query.limit, cursor: query.cursor.clone() };
    let before = page_bound(&page)?;
    creative_for(&state, &principal, id, Action::Read).await?;
    let rows = state.db.comment_threads(id, query.resolved, &before, page.limit() + 1).await?;
    let Page { items: threads, next_cursor } = into_page(rows, page.limit(), |c| c.id, |c| c);
    let mut replies: HashMap<String, Vec<CommentView>> = HashMap::new();
    if let (Some(oldest), Some(newest)) = (threads.last(), threads.first()) {
        for reply in state.db.comment_replies(id, oldest.id, newest.id).await? {
            replies.entry(reply.thread_id.clone().unwrap_or_default()).or_default().push(reply.into());
        }
    }
    let items = threads
        .into_iter()
        .map(|c| {
            let replies = replies.remove(&c.id.to_string()).unwrap_or_default();
            ThreadView { comment: c.into(), replies }
        })
        .collect();
    Ok(Json(Page { items, next_cursor }))
}

/// Starts a comment thread on the creative, optionally anchored to a layer and a point, and
/// notifies the people mentioned and the creative's creator.
#[utoipa::path(
    post,
    path = "/creatives/{id}/comments",
    tag = "comments",
    params(("id" = Uuid, Path, description = "The creative")),
    request_body = NewThreadBody,
    responses(
        (status = 201, body = ThreadView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn create_thread(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewThreadBody>,
) -> Result<(StatusCode, Json<ThreadView>), ApiError> {
    let (access, _) = creative_for(&state, &principal, id, Action::Comment).await?;
    let text = check_text("body", &body.body)?;
    let layer_id = body.layer_id.as_deref().map(check_layer_id).transpose()?;
    let (x, y) = check_point(body.x, body.y)?;
    let mentions = check_mentions(&state, access.team_id, &body.mentions).await?;
    let author_name = display_name(&state, principal.user_id).await?;
    let new = NewComment {
        thread_id: None,
        author_id: principal.user_id,
        author_name: &author_name,
        body: &text,
        layer_id: layer_id.as_deref(),
        x,
        y,
        mentions: &mentions,
    };
    let (comment, notified) = state.db.create_comment(&access.item, &new).await?;
    state.events.wake(notified);
    Ok((StatusCode::CREATED, Json(ThreadView { comment: comment.into(), replies: Vec::new() })))
}

/// Replies to a thread (replying to a reply adds to its thread) and notifies the people
/// mentioned, the creative's creator and everyone who wrote in the thread.
#[utoipa::path(
    post,
    path = "/comments/{id}/replies",
    tag = "comments",
    params(("id" = Uuid, Path, description = "The thread (or a comment in it)")),
    request_body = NewReplyBody,
    responses(
        (status = 201, body = CommentView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn create_reply(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewReplyBody>,
) -> Result<(StatusCode, Json<CommentView>), ApiError> {
    let (comment, access, _) = comment_for(&state, &principal, id, Action::Comment).await?;
    let thread = comment.thread()?;
    if thread != comment.id {
        // The thread itself must still be there.
        state.db.comment(thread).await?.filter(|c| c.deleted_at.is_none()).ok_or(ApiError::NotFound)?;
    }
    let text = check_text("body", &body.body)?;
    let mentions = check_mentions(&state, access.team_id, &body.mentions).await?;
    let author_name = display_name(&state, principal.user_id).await?;
    let new = NewComment {
        thread_id: Some(thread),
        author_id: principal.user_id,
        author_name: &author_name,
        body: &text,
        layer_id: None,
        x: None,
        y: None,
        mentions: &mentions,
    };
    let (reply, notified) = state.db.create_comment(&access.item, &new).await?;
    state.events.wake(notified);
    Ok((StatusCode::CREATED, Json(reply.into())))
}

/// Edits a comment's text (its author only).
#[utoipa::path(
    patch,
    path = "/comments/{id}",
    tag = "comments",
    params(("id" = Uuid, Path, description = "The comment")),
    request_body = CommentPatch,
    responses(
        (status = 200, body = CommentView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn update_comment(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CommentPatch>,
) -> Result<Json<CommentView>, ApiError> {
    let (comment, _, _) = comment_for(&state, &principal, id, Action::Comment).await?;
    if comment.author_id != principal.user_id {
        return Err(ApiError::Forbidden("only its author may edit a comment"));
    }
    let text = check_text("body", &body.body)?;
    let comment = state.db.edit_comment(id, &text).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(comment.into()))
}

/// Deletes a comment (its author, or a team Owner or Admin); deleting a thread's first comment
/// removes the thread.
#[utoipa::path(
    delete,
    path = "/comments/{id}",
    tag = "comments",
    params(("id" = Uuid, Path, description = "The comment")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn delete_comment(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let (comment, _, role) = comment_for(&state, &principal, id, Action::Comment).await?;
    if comment.author_id != principal.user_id && !matches!(role, Role::Owner | Role::Admin) {
        return Err(ApiError::Forbidden("only its author or a team owner or admin may delete a comment"));
    }
    if !state.db.delete_comment(id).await? {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Resolves or reopens a thread; replies answer 409.
async fn set_resolved(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    resolved: bool,
) -> Result<Json<ThreadView>, ApiError> {
    let (comment, _, _) = comment_for(state, principal, id, Action::Comment).await?;
    if comment.thread_id.is_some() {
        return Err(ApiError::Conflict("only a thread (its first comment) is resolved or reopened".into()));
    }
    let by = resolved.then_some(principal.user_id);
    let thread = state.db.set_thread_resolved(id, by).await?.ok_or(ApiError::NotFound)?;
    let replies = state.db.comment_replies(thread.creative_id, id, id).await?;
    Ok(Json(ThreadView { comment: thread.into(), replies: replies.into_iter().map(CommentView::from).collect() }))
}

/// Marks a thread resolved (idempotent: the first resolution is kept).
#[utoipa::path(
    post,
    path = "/comments/{id}/resolve",
    tag = "comments",
    params(("id" = Uuid, Path, description = "The thread")),
    responses(
        (status = 200, body = ThreadView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A reply, not a thread", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn resolve_thread(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ThreadView>, ApiError> {
    set_resolved(&state, &principal, id, true).await
}

/// Reopens a resolved thread.
#[utoipa::path(
    post,
    path = "/comments/{id}/reopen",
    tag = "comments",
    params(("id" = Uuid, Path, description = "The thread")),
    responses(
        (status = 200, body = ThreadView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A reply, not a thread", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn reopen_thread(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ThreadView>, ApiError> {
    set_resolved(&state, &principal, id, false).await
}

// ---------------------------------------------------------------------- approvals

async fn approvals_view(state: &AppState, creative: &Creative) -> Result<ApprovalsView, ApiError> {
    let events = state.db.approval_trail(creative.id).await?;
    Ok(ApprovalsView {
        creative_id: creative.id,
        approval_status: creative.approval_status.clone(),
        events: events.into_iter().map(ApprovalEventView::from).collect(),
    })
}

/// Sends the creative for review: its status becomes `in_review` and each reviewer is notified.
/// Reviewers must be team members who may approve.
#[utoipa::path(
    post,
    path = "/creatives/{id}/review-requests",
    tag = "approvals",
    params(("id" = Uuid, Path, description = "The creative")),
    request_body = ReviewRequestBody,
    responses(
        (status = 201, body = ApprovalsView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn request_review(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ReviewRequestBody>,
) -> Result<(StatusCode, Json<ApprovalsView>), ApiError> {
    let (access, _) = creative_for(&state, &principal, id, Action::Edit).await?;
    let reviewers: BTreeSet<Uuid> = body.reviewers.iter().copied().collect();
    if reviewers.is_empty() || reviewers.len() > MAX_REVIEWERS {
        return Err(ApiError::invalid("reviewers", format!("ask 1 to {MAX_REVIEWERS} reviewers")));
    }
    let message = body.message.as_deref().map(|m| check_text("message", m)).transpose()?;
    let members = state.db.team_members(access.team_id).await?;
    for r in &reviewers {
        match members.iter().find(|m| m.user_id == *r) {
            None => return Err(ApiError::invalid("reviewers", format!("{r} is not a member of this creative's team"))),
            Some(m) if !role_allows(m.role, Action::Approve) => {
                return Err(ApiError::invalid(
                    "reviewers",
                    format!("{r} is a {} and cannot approve; ask an owner or admin", m.role.as_str()),
                ));
            }
            Some(_) => {}
        }
    }
    let reviewers: Vec<Uuid> = reviewers.into_iter().collect();
    let actor_name = display_name(&state, principal.user_id).await?;
    let (_, notified) =
        state.db.request_review(&access.item, principal.user_id, &actor_name, &reviewers, message.as_deref()).await?;
    state.events.wake(notified);
    let mut creative = access.item;
    "in_review".clone_into(&mut creative.approval_status);
    Ok((StatusCode::CREATED, Json(approvals_view(&state, &creative).await?)))
}

/// Approves or rejects the creative (Owners and Admins). The comment, if any, is also posted as a
/// comment thread; whoever requested a review and the creative's creator are notified.
#[utoipa::path(
    post,
    path = "/creatives/{id}/approval",
    tag = "approvals",
    params(("id" = Uuid, Path, description = "The creative")),
    request_body = ApprovalBody,
    responses(
        (status = 200, body = ApprovalsView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn decide(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ApprovalBody>,
) -> Result<Json<ApprovalsView>, ApiError> {
    let (access, _) = creative_for(&state, &principal, id, Action::Approve).await?;
    let comment = body.comment.as_deref().map(|c| check_text("comment", c)).transpose()?;
    let decision = match body.decision {
        DecisionValue::Approve => Decision::Approve,
        DecisionValue::Reject => Decision::Reject,
    };
    let actor_name = display_name(&state, principal.user_id).await?;
    let (_, _, notified) =
        state.db.decide_approval(&access.item, principal.user_id, &actor_name, decision, comment.as_deref()).await?;
    state.events.wake(notified);
    let mut creative = access.item;
    decision.status().clone_into(&mut creative.approval_status);
    Ok(Json(approvals_view(&state, &creative).await?))
}

/// The creative's approval status and its trail of requests and decisions.
#[utoipa::path(
    get,
    path = "/creatives/{id}/approvals",
    tag = "approvals",
    params(("id" = Uuid, Path, description = "The creative")),
    responses(
        (status = 200, body = ApprovalsView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn approvals(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ApprovalsView>, ApiError> {
    let (access, _) = creative_for(&state, &principal, id, Action::Read).await?;
    Ok(Json(approvals_view(&state, &access.item).await?))
}

// ---------------------------------------------------------------------- notifications

/// The caller's notifications numbered above `after`, oldest first (the events socket sends the
/// same feed live).
#[utoipa::path(
    get,
    path = "/me/notifications",
    tag = "notifications",
    params(NotificationQuery),
    responses(
        (status = 200, body = NotificationsView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn list_notifications(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<NotificationQuery>,
) -> Result<Json<NotificationsView>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let after = query.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::invalid("after", "a notification number: 0 or more"));
    }
    let limit = i64::from(query.limit.unwrap_or(50).clamp(1, 100));
    let mut rows = state.db.notifications_after(principal.user_id, after, limit + 1).await?;
    let has_more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let cursor = rows.last().map_or(after, |n| n.seq);
    let unread = state.db.unread_notifications(principal.user_id).await?;
    Ok(Json(NotificationsView {
        items: rows.into_iter().map(NotificationView::from).collect(),
        cursor,
        has_more,
        unread,
    }))
}

/// Marks the caller's notifications numbered up to `upto` read.
#[utoipa::path(
    post,
    path = "/me/notifications/read",
    tag = "notifications",
    request_body = MarkReadBody,
    responses(
        (status = 204, description = "Marked read"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn mark_notifications_read(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<MarkReadBody>,
) -> Result<StatusCode, ApiError> {
    require_scope(&principal, Scope::Write)?;
    if body.upto < 0 {
        return Err(ApiError::invalid("upto", "a notification number: 0 or more"));
    }
    state.db.mark_notifications_read(principal.user_id, body.upto).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_text_is_trimmed_and_bounded() {
        assert_eq!(check_text("body", "  hi\nthere ").ok().as_deref(), Some("hi\nthere"));
        assert!(check_text("body", "   ").is_err());
        assert!(check_text("body", &"x".repeat(BODY_CHARS + 1)).is_err());
        assert!(check_text("body", &"é".repeat(BODY_CHARS)).is_ok());
        assert!(check_text("body", "nul\0byte").is_err());
    }

    #[test]
    fn anchors_need_both_coordinates_in_range() {
        assert!(check_point(Some(1.5), Some(-2.0)).is_ok());
        assert!(check_point(None, None).is_ok());
        assert!(check_point(Some(1.0), None).is_err());
        assert!(check_point(Some(f64::INFINITY), Some(0.0)).is_err());
        assert!(check_point(Some(2e6), Some(0.0)).is_err());
        assert!(check_layer_id("layer-1").is_ok());
        assert!(check_layer_id("").is_err());
        assert!(check_layer_id("a b").is_err());
    }
}
