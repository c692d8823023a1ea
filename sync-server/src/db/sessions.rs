//! Sessions and their rotating refresh tokens.

use uuid::Uuid;

use super::{Database, DbError, now_ms};
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
