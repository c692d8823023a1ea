//! Teams, members and invitations (tag `teams`).
//!
//! Every decision goes through [`authorize`] with the caller's role as the database reports it
//! (the team and that role come from one query). A team the caller is not a member of answers
//! 404 on every endpoint. Membership changes are applied in one transaction that re-reads the
//! roles they were authorized against (see `db/teams.rs`), so the last owner can never be
//! demoted or removed, even by two owners acting at once.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::api::{Page, PageQuery};
use crate::auth::{Principal, random_token, token_hash};
use crate::authz::{Action, Role, authorize};
use crate::db::teams::{Acceptance, Invitation, Invited, Member, MemberChange, MemberGuard, NewInvitation, Team};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::http::Problem;

/// How long an invitation link works.
pub const INVITATION_TTL_MS: i64 = 7 * 24 * 3_600_000;

/// Longest team name, in characters.
pub const TEAM_NAME_MAX: usize = 80;

/// Whether a team is an account's own space or shared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TeamKind {
    /// The account's personal space: one member, never deleted, takes no invitations.
    Personal,
    /// A shared team.
    Team,
}

/// A team as the caller sees it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TeamView {
    /// The team id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Personal space or shared team.
    pub kind: TeamKind,
    /// The caller's role in it.
    pub role: Role,
    /// How many members it has.
    pub member_count: i64,
    /// Created, ms since the Unix epoch (UTC).
    pub created_at: i64,
}

impl From<Team> for TeamView {
    fn from(t: Team) -> TeamView {
        TeamView {
            kind: if t.is_personal() { TeamKind::Personal } else { TeamKind::Team },
            id: t.id,
            name: t.name,
            role: t.role,
            member_count: t.member_count,
            created_at: t.created_at,
        }
    }
}

/// `POST /teams`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    /// 1–80 characters.
    pub name: String,
}

/// `PATCH /teams/{id}`: only the name can change (roles and owners have their own endpoints).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTeam {
    /// 1–80 characters.
    pub name: String,
}

/// A member of a team.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MemberView {
    /// The account.
    pub user_id: Uuid,
    /// Its email.
    pub email: String,
    /// Its display name.
    pub display_name: String,
    /// Its role.
    pub role: Role,
    /// When it joined, ms since the Unix epoch (UTC).
    pub joined_at: i64,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> MemberView {
        MemberView {
            user_id: m.user_id,
            email: m.email,
            display_name: m.display_name,
            role: m.role,
            joined_at: m.joined_at,
        }
    }
}

/// `PATCH /teams/{id}/members/{user_id}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRole {
    /// The new role. Making or unmaking an owner takes an owner.
    pub role: Role,
}

/// `POST /teams/{id}/invitations`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvitation {
    /// Who to invite; the link is mailed there and only the account with this email can accept.
    pub email: String,
    /// The role the invitee gets. Inviting an owner takes an owner.
    pub role: Role,
}

/// A pending invitation.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InvitationView {
    /// The invitation id.
    pub id: Uuid,
    /// The invited address.
    pub email: String,
    /// The role offered.
    pub role: Role,
    /// Who invited.
    pub invited_by: Uuid,
    /// Created, ms since the Unix epoch (UTC).
    pub created_at: i64,
    /// The link stops working at this time, ms since the Unix epoch (UTC).
    pub expires_at: i64,
}

impl From<Invitation> for InvitationView {
    fn from(i: Invitation) -> InvitationView {
        InvitationView {
            id: i.id,
            email: i.email,
            role: i.role,
            invited_by: i.invited_by,
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}

/// `POST /invitations/accept`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// The `token` from the invitation link.
    pub token: String,
}

/// This family's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_team, list_teams))
        .routes(routes!(get_team, update_team, delete_team))
        .routes(routes!(list_members))
        .routes(routes!(change_role, remove_member))
        .routes(routes!(invite, list_invitations))
        .routes(routes!(revoke_invitation))
        .routes(routes!(accept_invitation))
}

fn validate_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > TEAM_NAME_MAX {
        return Err(ApiError::invalid("name", format!("use 1 to {TEAM_NAME_MAX} characters")));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::invalid("name", "control characters are not allowed"));
    }
    Ok(name.to_owned())
}

fn validate_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@') && !domain.starts_with('.')
        });
    if valid { Ok(email) } else { Err(ApiError::invalid("email", "not an email address")) }
}

/// The team with the caller's role in it, if the caller is a member.
async fn team_of(state: &AppState, principal: &Principal, id: Uuid) -> Result<Option<Team>, ApiError> {
    Ok(state.db.team_for_member(id, principal.user_id).await?)
}

/// The team and the caller's role, after `authorize` allowed `action` (404 for non-members).
async fn authorized(state: &AppState, principal: &Principal, id: Uuid, action: Action) -> Result<Team, ApiError> {
    let team = team_of(state, principal, id).await?;
    authorize(team.as_ref().map(|t| t.role), &principal.scopes, action)?;
    team.ok_or(ApiError::NotFound)
}

fn apply(change: MemberChange, last_owner: &str) -> Result<(), ApiError> {
    match change {
        MemberChange::Done => Ok(()),
        MemberChange::Gone => Err(ApiError::NotFound),
        MemberChange::Stale => {
            Err(ApiError::Conflict("a role in this team changed meanwhile; reload the members and try again".into()))
        }
        MemberChange::LastOwner => Err(ApiError::Conflict(last_owner.to_owned())),
    }
}

/// Creates a shared team; the caller becomes its owner.
#[utoipa::path(
    post,
    path = "/teams",
    tag = "teams",
    request_body = CreateTeam,
    responses(
        (status = 201, description = "Created; the caller is its owner", body = TeamView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API key lacks the `manage` scope, or the email is unverified", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn create_team(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<CreateTeam>,
) -> Result<(StatusCode, Json<TeamView>), ApiError> {
    // The new team is the caller's to administer: the credential must carry what an owner needs.
    authorize(Some(Role::Owner), &principal.scopes, Action::UpdateTeam)?;
    principal.require_verified_or_grace(state.config.auth.verification_grace_hours)?;
    let name = validate_name(&body.name)?;
    let team = state.db.create_team(&name, principal.user_id).await?;
    Ok((StatusCode::CREATED, Json(team.into())))
}

/// The caller's teams, its personal space included, newest first.
#[utoipa::path(
    get,
    path = "/teams",
    tag = "teams",
    params(PageQuery),
    responses(
        (status = 200, body = Page<TeamView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn list_teams(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<TeamView>>, ApiError> {
    let before = match page.cursor.as_deref() {
        Some(c) => Some(Uuid::parse_str(c).map_err(|_| ApiError::invalid("cursor", "not a cursor from this list"))?),
        None => None,
    };
    let limit = page.limit();
    let mut teams = state.db.teams_for_member(principal.user_id, limit + 1, before).await?;
    for team in &teams {
        authorize(Some(team.role), &principal.scopes, Action::Read)?;
    }
    let more = i64::try_from(teams.len()).unwrap_or(i64::MAX) > limit;
    teams.truncate(usize::try_from(limit).unwrap_or(0));
    let next_cursor = if more { teams.last().map(|t| t.id.to_string()) } else { None };
    Ok(Json(Page { items: teams.into_iter().map(TeamView::from).collect(), next_cursor }))
}

/// One team.
#[utoipa::path(
    get,
    path = "/teams/{id}",
    tag = "teams",
    params(("id" = Uuid, Path, description = "Team id")),
    responses(
        (status = 200, body = TeamView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such team, or the caller is not a member", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn get_team(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<TeamView>, ApiError> {
    Ok(Json(authorized(&state, &principal, id, Action::Read).await?.into()))
}

/// Renames a team (owners and admins).
#[utoipa::path(
    patch,
    path = "/teams/{id}",
    tag = "teams",
    params(("id" = Uuid, Path, description = "Team id")),
    request_body = UpdateTeam,
    responses(
        (status = 200, body = TeamView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad name, or a field that cannot be set here", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn update_team(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UpdateTeam>,
) -> Result<Json<TeamView>, ApiError> {
    let mut team = authorized(&state, &principal, id, Action::UpdateTeam).await?;
    principal.require_verified_or_grace(state.config.auth.verification_grace_hours)?;
    let name = validate_name(&body.name)?;
    if !state.db.rename_team(id, &name).await? {
        return Err(ApiError::NotFound);
    }
    team.name = name;
    Ok(Json(team.into()))
}

/// Deletes a shared team (owners). Its content goes with it; the personal space cannot be
/// deleted.
#[utoipa::path(
    delete,
    path = "/teams/{id}",
    tag = "teams",
    params(("id" = Uuid, Path, description = "Team id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The personal space cannot be deleted", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn delete_team(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let team = authorized(&state, &principal, id, Action::DeleteTeam).await?;
    principal.require_verified_or_grace(state.config.auth.verification_grace_hours)?;
    if team.is_personal() {
        return Err(ApiError::Conflict("your personal space cannot be deleted".into()));
    }
    if !state.db.delete_team(id).await? {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The team's members, in the order they joined.
#[utoipa::path(
    get,
    path = "/teams/{id}/members",
    tag = "teams",
    params(("id" = Uuid, Path, description = "Team id")),
    responses(
        (status = 200, body = Vec<MemberView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn list_members(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    authorized(&state, &principal, id, Action::Read).await?;
    let members = state.db.team_members(id).await?;
    Ok(Json(members.into_iter().map(MemberView::from).collect()))
}

/// Changes a member's role. Owners and admins change roles among admin, editor and viewer;
/// making someone owner or changing an owner's role takes an owner; the last owner cannot be
/// demoted.
#[utoipa::path(
    patch,
    path = "/teams/{id}/members/{user_id}",
    tag = "teams",
    params(("id" = Uuid, Path, description = "Team id"), ("user_id" = Uuid, Path, description = "The member")),
    request_body = ChangeRole,
    responses(
        (status = 200, body = MemberView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such team or member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The last owner cannot be demoted", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn change_role(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((id, user_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<ChangeRole>,
) -> Result<Json<MemberView>, ApiError> {
    let team = authorized(&state, &principal, id, Action::ManageMembers).await?;
    principal.require_verified_or_grace(state.config.auth.verification_grace_hours)?;
    let target_role = state.db.role_in_team(id, user_id).await?.ok_or(ApiError::NotFound)?;
    if body.role == Role::Owner || target_role == Role::Owner {
        authorize(Some(team.role), &principal.scopes, Action::ManageOwners)?;
    }
    let guard = MemberGuard { actor: principal.user_id, actor_role: team.role, target: user_id, target_role };
    apply(
        state.db.set_member_role(id, guard, body.role).await?,
        "the team's last owner cannot be demoted; make someone else owner first",
    )?;
    let member = state.db.team_members(id).await?.into_iter().find(|m| m.user_id == user_id);
    Ok(Json(member.ok_or(ApiError::NotFound)?.into()))
}

/// Removes a member, or leaves the team when `user_id` is the caller. Anyone may leave except
/// the last owner; removing others takes an owner or admin, and removing an owner takes an owner.
#[utoipa::path(
    delete,
    path = "/teams/{id}/members/{user_id}",
    tag = "teams",
    params(("id" = Uuid, Path, description = "Team id"), ("user_id" = Uuid, Path, description = "The member (the caller: leave)")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed; leaving needs a signed-in session, not an API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The last owner cannot leave", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn remove_member(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((id, user_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let guard = if user_id == principal.user_id {
        let team = authorized(&state, &principal, id, Action::Read).await?;
        // Leaving changes the account's own memberships: like account settings, not for keys.
        principal.require_session()?;
        if team.is_personal() {
            return Err(ApiError::Conflict("you cannot leave your personal space".into()));
        }
        MemberGuard { actor: principal.user_id, actor_role: team.role, target: user_id, target_role: team.role }
    } else {
        let team = authorized(&state, &principal, id, Action::ManageMembers).await?;
        principal.require_verified_or_grace(state.config.auth.verification_grace_hours)?;
        let target_role = state.db.role_in_team(id, user_id).await?.ok_or(ApiError::NotFound)?;
        if target_role == Role::Owner {
            authorize(Some(team.role), &principal.scopes, Action::ManageOwners)?;
        }
        MemberGuard { actor: principal.user_id, actor_role: team.role, target: user_id, target_role }
    };
    apply(state.db.remove_member(id, guard).await?, "the last owner cannot leave; make someone else owner first")?;
    Ok(StatusCode::NO_CONTENT)
}

/// Invites someone by email; the link is mailed to them and works for 7 days. A newer invitation
/// to the same address replaces an older one.
#[utoipa::path(
    post,
    path = "/teams/{id}/invitations",
    tag = "teams",
    params(("id" = Uuid, Path, description = "Team id")),
    request_body = CreateInvitation,
    responses(
        (status = 201, body = InvitationView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already a member, or a personal space", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn invite(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CreateInvitation>,
) -> Result<(StatusCode, Json<InvitationView>), ApiError> {
    let team = authorized(&state, &principal, id, Action::ManageMembers).await?;
    if body.role == Role::Owner {
        authorize(Some(team.role), &principal.scopes, Action::ManageOwners)?;
    }
    principal.require_verified_or_grace(state.config.auth.verification_grace_hours)?;
    if team.is_personal() {
        return Err(ApiError::Conflict("a personal space takes no other members; create a team instead".into()));
    }
    let email = validate_email(&body.email)?;
    let token = random_token();
    let hash = token_hash(&token);
    let new = NewInvitation {
        team_id: id,
        email: &email,
        role: body.role,
        token_hash: &hash,
        invited_by: principal.user_id,
        ttl_ms: INVITATION_TTL_MS,
    };
    let invitation = match state.db.create_invitation(&new).await? {
        Invited::Created(i) => i,
        Invited::AlreadyMember => return Err(ApiError::Conflict(format!("{email} is already a member of this team"))),
        Invited::TeamGone => return Err(ApiError::NotFound),
    };
    let inviter =
        state.db.user_by_id(principal.user_id).await?.map_or_else(|| "Someone".to_owned(), |u| u.display_name);
    let link = format!("{}/invitations/accept?token={token}", state.config.public_url.trim_end_matches('/'));
    let subject = format!("{inviter} invited you to {} on CreativeFlow", team.name);
    let text = format!(
        "You have been invited to a team on CreativeFlow.\n\nAccept the invitation:\n{link}\n\n\
         {inviter} invited you to join \u{201c}{}\u{201d} as {}. Sign in (or create an account) with this \
         email address to accept. The link works for 7 days.\n\nIf you did not expect this, ignore this email.\n",
        team.name,
        body.role.as_str(),
    );
    state.db.enqueue_email(&email, &subject, &text).await?;
    crate::events::notify_invitee(&state, &invitation, &team.name, &inviter).await;
    Ok((StatusCode::CREATED, Json(invitation.into())))
}

/// The team's pending invitations, newest first.
#[utoipa::path(
    get,
    path = "/teams/{id}/invitations",
    tag = "teams",
    params(("id" = Uuid, Path, description = "Team id")),
    responses(
        (status = 200, body = Vec<InvitationView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn list_invitations(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<InvitationView>>, ApiError> {
    authorized(&state, &principal, id, Action::ManageMembers).await?;
    let pending = state.db.pending_invitations(id).await?;
    Ok(Json(pending.into_iter().map(InvitationView::from).collect()))
}

/// Revokes a pending invitation; its link stops working.
#[utoipa::path(
    delete,
    path = "/teams/{id}/invitations/{invitation_id}",
    tag = "teams",
    params(("id" = Uuid, Path, description = "Team id"), ("invitation_id" = Uuid, Path, description = "Invitation id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such team or pending invitation", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn revoke_invitation(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((id, invitation_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let team = authorized(&state, &principal, id, Action::ManageMembers).await?;
    principal.require_verified_or_grace(state.config.auth.verification_grace_hours)?;
    let invitation = state.db.pending_invitation(id, invitation_id).await?.ok_or(ApiError::NotFound)?;
    if invitation.role == Role::Owner {
        authorize(Some(team.role), &principal.scopes, Action::ManageOwners)?;
    }
    if !state.db.revoke_invitation(id, invitation_id).await? {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Accepts an invitation with the token from its link. The signed-in account's email must be
/// the invited address.
#[utoipa::path(
    post,
    path = "/invitations/accept",
    tag = "teams",
    request_body = AcceptInvitation,
    responses(
        (status = 200, description = "Joined; the team with the invited role", body = TeamView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Needs a signed-in session, not an API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such invitation for this account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already a member", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Used, expired or revoked", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn accept_invitation(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<AcceptInvitation>,
) -> Result<Response, ApiError> {
    principal.require_session()?;
    principal.require_verified_or_grace(state.config.auth.verification_grace_hours)?;
    let user = state.db.user_by_id(principal.user_id).await?.ok_or(ApiError::NotFound)?;
    match state.db.accept_invitation(&token_hash(body.token.trim()), user.id, &user.email).await? {
        Acceptance::Joined(team) => Ok(Json(TeamView::from(team)).into_response()),
        Acceptance::Unknown => Err(ApiError::NotFound),
        Acceptance::Used => Err(ApiError::Gone("this invitation has already been accepted")),
        Acceptance::Expired => Err(ApiError::Gone("this invitation has expired; ask the team for a new one")),
        Acceptance::Revoked => Err(ApiError::Gone("this invitation was withdrawn; ask the team for a new one")),
        Acceptance::AlreadyMember => Err(ApiError::Conflict("you are already a member of this team".into())),
    }
}
