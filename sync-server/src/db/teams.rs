//! Teams, their members and invitations.
//!
//! Membership changes run in one write transaction that first touches the team's row: on
//! PostgreSQL that row lock serializes concurrent changes to one team (two owners demoting each
//! other at once cannot leave it ownerless); on SQLite `BEGIN IMMEDIATE` already does. Inside the
//! transaction the roles the handler authorized against are read again, so a decision is never
//! applied to a membership that changed in between.

use uuid::Uuid;

use super::{Database, DbError, now_ms};
use crate::authz::Role;

/// A live team as one of its members sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Team {
    /// UUIDv7.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// `personal` or `team`.
    pub kind: String,
    /// The member's role.
    pub role: Role,
    /// How many members the team has.
    pub member_count: i64,
    /// Created, ms.
    pub created_at: i64,
}

impl Team {
    /// Whether this is an account's personal team (one member, never deleted).
    pub fn is_personal(&self) -> bool {
        self.kind == "personal"
    }
}

#[derive(sqlx::FromRow)]
struct TeamRow {
    #[sqlx(try_from = "String")]
    id: Uuid,
    name: String,
    kind: String,
    role: String,
    member_count: i64,
    created_at: i64,
}

impl TryFrom<TeamRow> for Team {
    type Error = DbError;

    fn try_from(r: TeamRow) -> Result<Team, DbError> {
        Ok(Team {
            id: r.id,
            name: r.name,
            kind: r.kind,
            role: parse_role(&r.role)?,
            member_count: r.member_count,
            created_at: r.created_at,
        })
    }
}

/// A member of a team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The account.
    pub user_id: Uuid,
    /// Its email.
    pub email: String,
    /// Its display name.
    pub display_name: String,
    /// Its role in the team.
    pub role: Role,
    /// When it joined, ms.
    pub joined_at: i64,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    #[sqlx(try_from = "String")]
    user_id: Uuid,
    email: String,
    display_name: String,
    role: String,
    joined_at: i64,
}

/// A pending invitation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    /// UUIDv7.
    pub id: Uuid,
    /// The team.
    pub team_id: Uuid,
    /// The invited address, lower-cased.
    pub email: String,
    /// The role the invitee gets.
    pub role: Role,
    /// Who invited.
    pub invited_by: Uuid,
    /// Created, ms.
    pub created_at: i64,
    /// Expires, ms.
    pub expires_at: i64,
}

#[derive(sqlx::FromRow)]
struct InvitationRow {
    #[sqlx(try_from = "String")]
    id: Uuid,
    #[sqlx(try_from = "String")]
    team_id: Uuid,
    email: String,
    role: String,
    #[sqlx(try_from = "String")]
    invited_by: Uuid,
    created_at: i64,
    expires_at: i64,
}

impl TryFrom<InvitationRow> for Invitation {
    type Error = DbError;

    fn try_from(r: InvitationRow) -> Result<Invitation, DbError> {
        Ok(Invitation {
            id: r.id,
            team_id: r.team_id,
            email: r.email,
            role: parse_role(&r.role)?,
            invited_by: r.invited_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    #[sqlx(try_from = "String")]
    id: Uuid,
    #[sqlx(try_from = "String")]
    team_id: Uuid,
    email: String,
    role: String,
    expires_at: i64,
    accepted_at: Option<i64>,
    revoked_at: Option<i64>,
    deleted_at: Option<i64>,
}

/// The roles a membership change was authorized against; the change applies only if both still
/// hold inside the transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberGuard {
    /// The caller.
    pub actor: Uuid,
    /// The caller's role when authorized.
    pub actor_role: Role,
    /// The member being changed (the caller, when leaving).
    pub target: Uuid,
    /// The member's role when authorized.
    pub target_role: Role,
}

/// What a role change or removal came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberChange {
    /// Applied.
    Done,
    /// The team or the member no longer exists.
    Gone,
    /// A role changed since it was authorized; nothing was applied.
    Stale,
    /// The change would leave the team without an owner; nothing was applied.
    LastOwner,
}

/// A new invitation's facts.
#[derive(Clone, Debug)]
pub struct NewInvitation<'a> {
    /// The team.
    pub team_id: Uuid,
    /// The address, lower-cased.
    pub email: &'a str,
    /// The role offered.
    pub role: Role,
    /// SHA-256 of the mailed token.
    pub token_hash: &'a str,
    /// Who invites.
    pub invited_by: Uuid,
    /// Lifetime, ms.
    pub ttl_ms: i64,
}

/// What inviting came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invited {
    /// Stored (an older pending invitation to the same address was revoked).
    Created(Invitation),
    /// The address belongs to a member already.
    AlreadyMember,
    /// The team was deleted meanwhile.
    TeamGone,
}

/// What accepting an invitation came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Acceptance {
    /// Joined; the team as the new member sees it.
    Joined(Team),
    /// No invitation with that token for this account (or its team is gone).
    Unknown,
    /// Accepted before.
    Used,
    /// Past its expiry.
    Expired,
    /// Revoked by the team.
    Revoked,
    /// The account is a member already.
    AlreadyMember,
}

fn parse_role(s: &str) -> Result<Role, DbError> {
    Role::parse(s).ok_or_else(|| DbError::Sqlx(sqlx::Error::Decode(format!("unknown role {s:?}").into())))
}

/// The columns of a [`TeamRow`] over `teams t JOIN team_members m`.
macro_rules! team_columns {
    () => {
        "t.id, t.name, t.kind, m.role, t.created_at, \
         (SELECT COUNT(*) FROM team_members c WHERE c.team_id = t.id) AS member_count"
    };
}

/// Takes the team's row lock for the rest of the transaction; 0 rows: the team is gone.
const LOCK_TEAM: &str = "UPDATE teams SET updated_at = $1 WHERE id = $2 AND deleted_at IS NULL";
const ROLE_OF: &str = "SELECT role FROM team_members WHERE team_id = $1 AND user_id = $2";
const OWNERS: &str = "SELECT COUNT(*) FROM team_members WHERE team_id = $1 AND role = 'owner'";

impl Database {
    /// Creates a shared team with `owner` as its owner.
    pub async fn create_team(&self, name: &str, owner: Uuid) -> Result<Team, DbError> {
        const TEAM: &str = "INSERT INTO teams (id, name, kind, created_at, updated_at) VALUES ($1, $2, 'team', $3, $3)";
        const MEMBER: &str =
            "INSERT INTO team_members (team_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)";
        let id = Uuid::now_v7();
        let (tid, uid, now) = (id.to_string(), owner.to_string(), now_ms());
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(TEAM)).bind(&tid).bind(name).bind(now).execute(&mut *tx).await?;
            sqlx::query(sql(MEMBER)).bind(&tid).bind(&uid).bind(now).execute(&mut *tx).await?;
        });
        Ok(Team { id, name: name.to_owned(), kind: "team".into(), role: Role::Owner, member_count: 1, created_at: now })
    }

    /// The live team `team_id` with `user`'s role in it; `None` if `user` is not a member.
    pub async fn team_for_member(&self, team_id: Uuid, user: Uuid) -> Result<Option<Team>, DbError> {
        const SQL: &str = concat!(
            "SELECT ",
            team_columns!(),
            " FROM teams t JOIN team_members m ON m.team_id = t.id AND m.user_id = $2 \
             WHERE t.id = $1 AND t.deleted_at IS NULL"
        );
        let (tid, uid) = (team_id.to_string(), user.to_string());
        let row: Option<TeamRow> =
            dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&tid).bind(&uid).fetch_optional(pool).await?);
        row.map(Team::try_from).transpose()
    }

    /// `user`'s live teams, newest first, at most `limit`, those older than `before` when given.
    pub async fn teams_for_member(&self, user: Uuid, limit: i64, before: Option<Uuid>) -> Result<Vec<Team>, DbError> {
        const SQL: &str = concat!(
            "SELECT ",
            team_columns!(),
            " FROM teams t JOIN team_members m ON m.team_id = t.id \
             WHERE m.user_id = $1 AND t.deleted_at IS NULL AND ($2 IS NULL OR t.id < $2) \
             ORDER BY t.id DESC LIMIT $3"
        );
        let uid = user.to_string();
        let before = before.map(|b| b.to_string());
        let rows: Vec<TeamRow> = dual!(self, |pool, sql| sqlx::query_as(sql(SQL))
            .bind(&uid)
            .bind(&before)
            .bind(limit)
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(Team::try_from).collect()
    }

    /// Renames a live team; `false` if it is gone.
    pub async fn rename_team(&self, team_id: Uuid, name: &str) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE teams SET name = $1, updated_at = $2 WHERE id = $3 AND deleted_at IS NULL";
        let (tid, now) = (team_id.to_string(), now_ms());
        let n = write_tx!(self, |tx, sql| sqlx::query(sql(SQL))
            .bind(name)
            .bind(now)
            .bind(&tid)
            .execute(&mut *tx)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Soft-deletes a live shared team and revokes its pending invitations; `false` if it is gone
    /// or personal.
    pub async fn delete_team(&self, team_id: Uuid) -> Result<bool, DbError> {
        const TEAM: &str = "UPDATE teams SET deleted_at = $1, updated_at = $1 \
                            WHERE id = $2 AND deleted_at IS NULL AND kind = 'team'";
        const INVITATIONS: &str = "UPDATE invitations SET revoked_at = $1 \
                                   WHERE team_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL";
        let (tid, now) = (team_id.to_string(), now_ms());
        let n = write_tx!(self, |tx, sql| {
            let n = sqlx::query(sql(TEAM)).bind(now).bind(&tid).execute(&mut *tx).await?.rows_affected();
            sqlx::query(sql(INVITATIONS)).bind(now).bind(&tid).execute(&mut *tx).await?;
            n
        });
        Ok(n == 1)
    }

    /// The team's members, in the order they joined.
    pub async fn team_members(&self, team_id: Uuid) -> Result<Vec<Member>, DbError> {
        const SQL: &str = "SELECT m.user_id, u.email, u.display_name, m.role, m.created_at AS joined_at \
                           FROM team_members m JOIN users u ON u.id = m.user_id \
                           WHERE m.team_id = $1 ORDER BY m.created_at, m.user_id";
        let tid = team_id.to_string();
        let rows: Vec<MemberRow> = dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&tid).fetch_all(pool).await?);
        rows.into_iter()
            .map(|r| {
                Ok(Member {
                    user_id: r.user_id,
                    email: r.email,
                    display_name: r.display_name,
                    role: parse_role(&r.role)?,
                    joined_at: r.joined_at,
                })
            })
            .collect()
    }

    /// Gives `guard.target` the role `role`, if the guard's roles still hold and the team keeps
    /// an owner.
    pub async fn set_member_role(
        &self,
        team_id: Uuid,
        guard: MemberGuard,
        role: Role,
    ) -> Result<MemberChange, DbError> {
        const SET: &str = "UPDATE team_members SET role = $1 WHERE team_id = $2 AND user_id = $3";
        let (tid, target, now) = (team_id.to_string(), guard.target.to_string(), now_ms());
        let actor = guard.actor.to_string();
        let demotes_owner = guard.target_role == Role::Owner && role != Role::Owner;
        Ok(write_tx!(self, |tx, sql| {
            if sqlx::query(sql(LOCK_TEAM)).bind(now).bind(&tid).execute(&mut *tx).await?.rows_affected() == 0 {
                return Ok(MemberChange::Gone);
            }
            let actor_role: Option<String> =
                sqlx::query_scalar(sql(ROLE_OF)).bind(&tid).bind(&actor).fetch_optional(&mut *tx).await?;
            let target_role: Option<String> =
                sqlx::query_scalar(sql(ROLE_OF)).bind(&tid).bind(&target).fetch_optional(&mut *tx).await?;
            let (Some(actor_role), Some(target_role)) = (actor_role, target_role) else {
                return Ok(MemberChange::Gone);
            };
            if actor_role != guard.actor_role.as_str() || target_role != guard.target_role.as_str() {
                return Ok(MemberChange::Stale);
            }
            if demotes_owner {
                let owners: i64 = sqlx::query_scalar(sql(OWNERS)).bind(&tid).fetch_one(&mut *tx).await?;
                if owners <= 1 {
                    return Ok(MemberChange::LastOwner);
                }
            }
            sqlx::query(sql(SET)).bind(role.as_str()).bind(&tid).bind(&target).execute(&mut *tx).await?;
            MemberChange::Done
        }))
    }

    /// Removes `guard.target` from the team (the caller itself, when leaving), if the guard's
    /// roles still hold and the team keeps an owner.
    pub async fn remove_member(&self, team_id: Uuid, guard: MemberGuard) -> Result<MemberChange, DbError> {
        const DELETE: &str = "DELETE FROM team_members WHERE team_id = $1 AND user_id = $2";
        let (tid, target, now) = (team_id.to_string(), guard.target.to_string(), now_ms());
        let actor = guard.actor.to_string();
        Ok(write_tx!(self, |tx, sql| {
            if sqlx::query(sql(LOCK_TEAM)).bind(now).bind(&tid).execute(&mut *tx).await?.rows_affected() == 0 {
                return Ok(MemberChange::Gone);
            }
            let actor_role: Option<String> =
                sqlx::query_scalar(sql(ROLE_OF)).bind(&tid).bind(&actor).fetch_optional(&mut *tx).await?;
            let target_role: Option<String> =
                sqlx::query_scalar(sql(ROLE_OF)).bind(&tid).bind(&target).fetch_optional(&mut *tx).await?;
            let (Some(actor_role), Some(target_role)) = (actor_role, target_role) else {
                return Ok(MemberChange::Gone);
            };
            if actor_role != guard.actor_role.as_str() || target_role != guard.target_role.as_str() {
                return Ok(MemberChange::Stale);
            }
            if guard.target_role == Role::Owner {
                let owners: i64 = sqlx::query_scalar(sql(OWNERS)).bind(&tid).fetch_one(&mut *tx).await?;
                if owners <= 1 {
                    return Ok(MemberChange::LastOwner);
                }
            }
            sqlx::query(sql(DELETE)).bind(&tid).bind(&target).execute(&mut *tx).await?;
            MemberChange::Done
        }))
    }

    /// Stores an invitation unless the address belongs to a member; an older pending invitation
    /// to the same address is revoked, so only the newest link works.
    pub async fn create_invitation(&self, new: &NewInvitation<'_>) -> Result<Invited, DbError> {
        const MEMBER: &str = "SELECT COUNT(*) FROM team_members m JOIN users u ON u.id = m.user_id \
                              WHERE m.team_id = $1 AND u.email = $2";
        const REVOKE_OLDER: &str = "UPDATE invitations SET revoked_at = $1 WHERE team_id = $2 AND email = $3 \
                                    AND accepted_at IS NULL AND revoked_at IS NULL";
        const INSERT: &str = "INSERT INTO invitations (id, team_id, email, role, token_hash, invited_by, created_at, \
                              expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        let invitation = Invitation {
            id: Uuid::now_v7(),
            team_id: new.team_id,
            email: new.email.to_owned(),
            role: new.role,
            invited_by: new.invited_by,
            created_at: now_ms(),
            expires_at: now_ms().saturating_add(new.ttl_ms),
        };
        let (id, tid, by) =
            (invitation.id.to_string(), invitation.team_id.to_string(), invitation.invited_by.to_string());
        Ok(write_tx!(self, |tx, sql| {
            if sqlx::query(sql(LOCK_TEAM))
                .bind(invitation.created_at)
                .bind(&tid)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 0
            {
                return Ok(Invited::TeamGone);
            }
            let members: i64 = sqlx::query_scalar(sql(MEMBER)).bind(&tid).bind(new.email).fetch_one(&mut *tx).await?;
            if members > 0 {
                return Ok(Invited::AlreadyMember);
            }
            sqlx::query(sql(REVOKE_OLDER))
                .bind(invitation.created_at)
                .bind(&tid)
                .bind(new.email)
                .execute(&mut *tx)
                .await?;
            sqlx::query(sql(INSERT))
                .bind(&id)
                .bind(&tid)
                .bind(new.email)
                .bind(new.role.as_str())
                .bind(new.token_hash)
                .bind(&by)
                .bind(invitation.created_at)
                .bind(invitation.expires_at)
                .execute(&mut *tx)
                .await?;
            Invited::Created(invitation)
        }))
    }

    /// The team's pending (not accepted, revoked or expired) invitations, newest first.
    pub async fn pending_invitations(&self, team_id: Uuid) -> Result<Vec<Invitation>, DbError> {
        const SQL: &str = "SELECT id, team_id, email, role, invited_by, created_at, expires_at FROM invitations \
                           WHERE team_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
                           ORDER BY id DESC";
        let (tid, now) = (team_id.to_string(), now_ms());
        let rows: Vec<InvitationRow> =
            dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&tid).bind(now).fetch_all(pool).await?);
        rows.into_iter().map(Invitation::try_from).collect()
    }

    /// A pending invitation of the team.
    pub async fn pending_invitation(&self, team_id: Uuid, id: Uuid) -> Result<Option<Invitation>, DbError> {
        const SQL: &str = "SELECT id, team_id, email, role, invited_by, created_at, expires_at FROM invitations \
                           WHERE id = $1 AND team_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL \
                           AND expires_at > $3";
        let (iid, tid, now) = (id.to_string(), team_id.to_string(), now_ms());
        let row: Option<InvitationRow> = dual!(self, |pool, sql| sqlx::query_as(sql(SQL))
            .bind(&iid)
            .bind(&tid)
            .bind(now)
            .fetch_optional(pool)
            .await?);
        row.map(Invitation::try_from).transpose()
    }

    /// Revokes a pending invitation of the team; `false` if there is none.
    pub async fn revoke_invitation(&self, team_id: Uuid, id: Uuid) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND team_id = $3 \
                           AND accepted_at IS NULL AND revoked_at IS NULL";
        let (iid, tid, now) = (id.to_string(), team_id.to_string(), now_ms());
        let n = write_tx!(self, |tx, sql| sqlx::query(sql(SQL))
            .bind(now)
            .bind(&iid)
            .bind(&tid)
            .execute(&mut *tx)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Accepts the invitation whose token hashes to `token_hash` for the account `user` with the
    /// (lower-cased) `email`. An invitation to another address answers [`Acceptance::Unknown`]
    /// before anything about its state is revealed.
    pub async fn accept_invitation(&self, token_hash: &str, user: Uuid, email: &str) -> Result<Acceptance, DbError> {
        const FIND: &str = "SELECT i.id, i.team_id, i.email, i.role, i.expires_at, i.accepted_at, i.revoked_at, \
                            t.deleted_at FROM invitations i JOIN teams t ON t.id = i.team_id \
                            WHERE i.token_hash = $1";
        const USE: &str = "UPDATE invitations SET accepted_at = $1 \
                           WHERE id = $2 AND accepted_at IS NULL AND revoked_at IS NULL";
        const JOIN: &str = "INSERT INTO team_members (team_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)";
        let (uid, now) = (user.to_string(), now_ms());
        let team_id = write_tx!(self, |tx, sql| {
            let row: Option<TokenRow> = sqlx::query_as(sql(FIND)).bind(token_hash).fetch_optional(&mut *tx).await?;
            let Some(row) = row.filter(|r| r.email == email && r.deleted_at.is_none()) else {
                return Ok(Acceptance::Unknown);
            };
            if row.revoked_at.is_some() {
                return Ok(Acceptance::Revoked);
            }
            if row.accepted_at.is_some() {
                return Ok(Acceptance::Used);
            }
            if row.expires_at <= now {
                return Ok(Acceptance::Expired);
            }
            let role = parse_role(&row.role)?;
            let tid = row.team_id.to_string();
            if sqlx::query(sql(LOCK_TEAM)).bind(now).bind(&tid).execute(&mut *tx).await?.rows_affected() == 0 {
                return Ok(Acceptance::Unknown);
            }
            let existing: Option<String> =
                sqlx::query_scalar(sql(ROLE_OF)).bind(&tid).bind(&uid).fetch_optional(&mut *tx).await?;
            if existing.is_some() {
                return Ok(Acceptance::AlreadyMember);
            }
            let used =
                sqlx::query(sql(USE)).bind(now).bind(row.id.to_string()).execute(&mut *tx).await?.rows_affected();
            if used == 0 {
                return Ok(Acceptance::Used);
            }
            sqlx::query(sql(JOIN)).bind(&tid).bind(&uid).bind(role.as_str()).bind(now).execute(&mut *tx).await?;
            row.team_id
        });
        Ok(match self.team_for_member(team_id, user).await? {
            Some(team) => Acceptance::Joined(team),
            None => Acceptance::Unknown,
        })
    }
}
