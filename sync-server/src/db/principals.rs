//! Turning credentials into callers: the per-request lookups behind [`crate::auth::Principal`].
//!
//! Every request with an access token needs to know that its session is still live. The answer
//! is kept for [`SESSION_CACHE_TTL`] in a small in-process cache, and every change that could
//! alter it — revoking a session (logout, refresh-token reuse, password reset or change) or
//! verifying an email — drops that user's entries here first, so on one server a revocation
//! takes effect at once. With several servers behind a balancer, another server may accept a
//! revoked session's access token for at most the TTL (access tokens themselves live 15 min).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::{Database, DbError, now_ms, parse_id};
use crate::auth::{API_KEY_PREFIX, Principal, constant_time_eq, token_hash};
use crate::authz::Scope;

#[derive(sqlx::FromRow)]
struct SessionRow {
    revoked_at: Option<i64>,
    expires_at: i64,
    email_verified_at: Option<i64>,
    created_at: i64,
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: String,
    user_id: String,
    secret_hash: String,
    scopes: String,
    last_used_at: Option<i64>,
    email_verified_at: Option<i64>,
    created_at: i64,
}

/// How long a session lookup is reused.
pub const SESSION_CACHE_TTL: Duration = Duration::from_secs(10);

/// Entries kept at most; beyond it expired ones are dropped, then everything.
const SESSION_CACHE_CAP: usize = 100_000;

/// Live sessions seen recently: session id → (caller, when looked up).
#[derive(Debug, Default)]
pub struct SessionCache {
    entries: Mutex<HashMap<Uuid, (Principal, Instant)>>,
}

impl SessionCache {
    fn get(&self, session: Uuid, user: Uuid) -> Option<Principal> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (principal, at) = entries.get(&session)?;
        (at.elapsed() < SESSION_CACHE_TTL && principal.user_id == user).then(|| principal.clone())
    }

    fn put(&self, session: Uuid, principal: Principal) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= SESSION_CACHE_CAP {
            entries.retain(|_, (_, at)| at.elapsed() < SESSION_CACHE_TTL);
            if entries.len() >= SESSION_CACHE_CAP {
                entries.clear();
            }
        }
        entries.insert(session, (principal, Instant::now()));
    }

    fn forget_user(&self, user: Uuid) {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).retain(|_, (p, _)| p.user_id != user);
    }
}

/// API keys record their last use at most this often (a write per request would be costly).
const LAST_USED_GRANULARITY_MS: i64 = 60_000;

impl Database {
    /// Drops the cached session lookups of `user`: call before or after anything that revokes
    /// a session of theirs or changes what [`Principal`] says about them.
    pub fn forget_cached_sessions(&self, user: Uuid) {
        self.sessions.forget_user(user);
    }

    /// The caller behind an access token's (user, session), if the session is live.
    pub async fn principal_for_session(&self, user: Uuid, session: Uuid) -> Result<Option<Principal>, DbError> {
        if let Some(p) = self.sessions.get(session, user) {
            return Ok(Some(p));
        }
        let found = self.lookup_session(user, session).await?;
        if let Some(p) = &found {
            self.sessions.put(session, p.clone());
        }
        Ok(found)
    }

    async fn lookup_session(&self, user: Uuid, session: Uuid) -> Result<Option<Principal>, DbError> {
        const SQL: &str = "SELECT s.revoked_at, s.expires_at, u.email_verified_at, u.created_at \
                           FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND s.user_id = $2";
        let (sid, uid) = (session.to_string(), user.to_string());
        let row: Option<SessionRow> =
            dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&sid).bind(&uid).fetch_optional(pool).await?);
        Ok(row.filter(|r| r.revoked_at.is_none() && r.expires_at > now_ms()).map(|r| Principal {
            user_id: user,
            session_id: Some(session),
            api_key_id: None,
            scopes: Scope::ALL.to_vec(),
            email_verified: r.email_verified_at.is_some(),
            account_created_at: r.created_at,
        }))
    }

    /// The caller behind an API key `cf_<prefix>_<secret>`, if it exists and is not revoked.
    pub async fn principal_for_api_key(&self, key: &str) -> Result<Option<Principal>, DbError> {
        const SQL: &str = "SELECT k.id, k.user_id, k.secret_hash, k.scopes, k.last_used_at, u.email_verified_at, \
                           u.created_at FROM api_keys k JOIN users u ON u.id = k.user_id \
                           WHERE k.prefix = $1 AND k.revoked_at IS NULL";
        const TOUCH: &str = "UPDATE api_keys SET last_used_at = $1 WHERE id = $2";
        let Some((prefix, secret)) = key.strip_prefix(API_KEY_PREFIX).and_then(|rest| rest.split_once('_')) else {
            return Ok(None);
        };
        let row: Option<KeyRow> =
            dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(prefix).fetch_optional(pool).await?);
        let Some(row) = row else { return Ok(None) };
        if !constant_time_eq(token_hash(secret).as_bytes(), row.secret_hash.as_bytes()) {
            return Ok(None);
        }
        let now = now_ms();
        if row.last_used_at.is_none_or(|t| now - t >= LAST_USED_GRANULARITY_MS) {
            write_tx!(self, |tx, sql| {
                sqlx::query(sql(TOUCH)).bind(now).bind(&row.id).execute(&mut *tx).await?;
            });
        }
        Ok(Some(Principal {
            user_id: parse_id(&row.user_id)?,
            session_id: None,
            api_key_id: Some(parse_id(&row.id)?),
            scopes: row.scopes.split(' ').filter_map(Scope::parse).collect(),
            email_verified: row.email_verified_at.is_some(),
            account_created_at: row.created_at,
        }))
    }
}
