//! Sessions and their rotating refresh tokens.

use uuid::Uuid;

use super::{Database, DbError, now_ms, parse_id};
use crate::auth::token_hash;

/// A new session's facts.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    /// The account.
    pub user_id: Uuid,
    /// `password`, `password+mfa`, `oidc:NAME`, `signup`, `reset`.
    pub method: &'a str,
    /// The client's User-Agent, truncated.
    pub user_agent: &'a str,
    /// The client's IP.
    pub ip: &'a str,
    /// Lifetime, ms.
    pub ttl_ms: i64,
}

impl Database {
    /// Creates a session with its first refresh token (`refresh_token` is stored hashed).
    pub async fn create_session(&self, new: &NewSession<'_>, refresh_token: &str) -> Result<Uuid, DbError> {
        const SESSION: &str = "INSERT INTO sessions (id, user_id, user_agent, ip, method, created_at, last_seen_at, \
                               expires_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)";
        const TOKEN: &str = "INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES ($1, $2, $3)";
        let id = Uuid::now_v7();
        let (sid, uid, now) = (id.to_string(), new.user_id.to_string(), now_ms());
        let ua: String = new.user_agent.chars().take(300).collect();
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(SESSION))
                .bind(&sid)
                .bind(&uid)
                .bind(&ua)
                .bind(new.ip)
                .bind(new.method)
                .bind(now)
                .bind(now.saturating_add(new.ttl_ms))
                .execute(&mut *tx)
                .await?;
            sqlx::query(sql(TOKEN)).bind(token_hash(refresh_token)).bind(&sid).bind(now).execute(&mut *tx).await?;
        });
        Ok(id)
    }
}

/// A live session, for the account's device list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionInfo {
    /// The session id.
    #[sqlx(try_from = "String")]
    pub id: Uuid,
    /// The User-Agent that signed in.
    pub user_agent: String,
    /// The IP that signed in.
    pub ip: String,
    /// How it signed in.
    pub method: String,
    /// Signed in, ms.
    pub created_at: i64,
    /// Last refreshed, ms.
    pub last_seen_at: i64,
}

#[derive(sqlx::FromRow)]
struct RefreshRow {
    session_id: String,
    user_id: String,
    revoked_at: Option<i64>,
    expires_at: i64,
}

const REFRESH_UNKNOWN: &str = "the refresh token is invalid or expired; sign in again";
const REFRESH_REUSED: &str = "the refresh token was already used; the session has been ended for safety, sign in again";

impl Database {
    /// Trades `old` for `new` in the same session: `old` is marked used atomically, `new`
    /// stored, the session's `last_seen_at` updated; returns (user, session). Presenting a
    /// token that was already used revokes the whole session (`refresh_reuse`): whoever holds
    /// the newer tokens, thief or owner, must sign in again. The inner error is the reason to
    /// show.
    pub async fn rotate_refresh_token(
        &self,
        old: &str,
        new: &str,
    ) -> Result<Result<(Uuid, Uuid), &'static str>, DbError> {
        const FIND: &str = "SELECT r.session_id, s.user_id, s.revoked_at, s.expires_at \
                            FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id WHERE r.token_hash = $1";
        const MARK: &str = "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL";
        const REVOKE: &str = "UPDATE sessions SET revoked_at = $1, revoked_reason = 'refresh_reuse' \
                              WHERE id = $2 AND revoked_at IS NULL";
        const INSERT: &str = "INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES ($1, $2, $3)";
        const TOUCH: &str = "UPDATE sessions SET last_seen_at = $1 WHERE id = $2";
        let (old_hash, new_hash, now) = (token_hash(old), token_hash(new), now_ms());
        let mut revoked_user = None;
        let outcome = write_tx!(self, |tx, sql| {
            let row: Option<RefreshRow> = sqlx::query_as(sql(FIND)).bind(&old_hash).fetch_optional(&mut *tx).await?;
            match row {
                None => Err(REFRESH_UNKNOWN),
                Some(r) if r.revoked_at.is_some() || r.expires_at <= now => Err(REFRESH_UNKNOWN),
                Some(r) => {
                    // The conditional update is the check: of two concurrent uses, one wins.
                    let marked = sqlx::query(sql(MARK)).bind(now).bind(&old_hash).execute(&mut *tx).await?;
                    if marked.rows_affected() == 0 {
                        sqlx::query(sql(REVOKE)).bind(now).bind(&r.session_id).execute(&mut *tx).await?;
                        revoked_user = Some(parse_id(&r.user_id)?);
                        tracing::warn!(session = %r.session_id, "refresh token reused; session revoked");
                        Err(REFRESH_REUSED)
                    } else {
                        sqlx::query(sql(INSERT))
                            .bind(&new_hash)
                            .bind(&r.session_id)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query(sql(TOUCH)).bind(now).bind(&r.session_id).execute(&mut *tx).await?;
                        Ok((parse_id(&r.user_id)?, parse_id(&r.session_id)?))
                    }
                }
            }
        });
        // After the commit, so no request can cache the session as live again in between.
        if let Some(user) = revoked_user {
            self.forget_cached_sessions(user);
        }
        Ok(outcome)
    }

    /// Revokes the live session `session` of `user` for `reason`; false if there is none.
    pub async fn revoke_session(&self, user: Uuid, session: Uuid, reason: &str) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE sessions SET revoked_at = $1, revoked_reason = $2 \
                           WHERE id = $3 AND user_id = $4 AND revoked_at IS NULL AND expires_at > $1";
        let (sid, uid, now) = (session.to_string(), user.to_string(), now_ms());
        let affected = write_tx!(self, |tx, sql| sqlx::query(sql(SQL))
            .bind(now)
            .bind(reason)
            .bind(&sid)
            .bind(&uid)
            .execute(&mut *tx)
            .await?
            .rows_affected());
        self.forget_cached_sessions(user);
        Ok(affected == 1)
    }

    /// The account's live (unrevoked, unexpired) sessions, newest first.
    pub async fn live_sessions(&self, user: Uuid) -> Result<Vec<SessionInfo>, DbError> {
        const SQL: &str = "SELECT id, user_agent, ip, method, created_at, last_seen_at FROM sessions \
                           WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY id DESC";
        let (uid, now) = (user.to_string(), now_ms());
        Ok(dual!(self, |pool, sql| sqlx::query_as::<_, SessionInfo>(sql(SQL))
            .bind(&uid)
            .bind(now)
            .fetch_all(pool)
            .await?))
    }
}
