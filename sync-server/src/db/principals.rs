//! Turning credentials into callers: the per-request lookups behind [`crate::auth::Principal`].

use uuid::Uuid;

use super::{Database, DbError, now_ms};
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

/// API keys record their last use at most this often (a write per request would be costly).
const LAST_USED_GRANULARITY_MS: i64 = 60_000;

impl Database {
    /// The caller behind an access token's (user, session), if the session is live.
    pub async fn principal_for_session(&self, user: Uuid, session: Uuid) -> Result<Option<Principal>, DbError> {
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
        let parse = |s: &str| Uuid::parse_str(s).map_err(|e| DbError::Sqlx(sqlx::Error::Decode(Box::new(e))));
        Ok(Some(Principal {
            user_id: parse(&row.user_id)?,
            session_id: None,
            api_key_id: Some(parse(&row.id)?),
            scopes: row.scopes.split(' ').filter_map(Scope::parse).collect(),
            email_verified: row.email_verified_at.is_some(),
            account_created_at: row.created_at,
        }))
    }
}
