//! Social sign-in: pending authorizations (`oidc_states`) and the provider identities linked to
//! accounts (`user_identities`).

use uuid::Uuid;

use super::{Database, DbError, conflict, now_ms};
use crate::auth::token_hash;

/// A pending authorization, handed back once to the callback that completes it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OidcState {
    /// The configured provider's name.
    pub provider: String,
    /// The PKCE code verifier for the token request.
    pub pkce_verifier: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// When the authorization started, ms.
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct IdentityRow {
    #[sqlx(try_from = "String")]
    user_id: Uuid,
}

impl Database {
    /// Saves a pending authorization under the hash of its `state` and drops those started more
    /// than `max_age_ms` ago (abandoned sign-ins never come back for theirs).
    pub async fn save_oidc_state(&self, state: &str, pending: &OidcState, max_age_ms: i64) -> Result<(), DbError> {
        const PURGE: &str = "DELETE FROM oidc_states WHERE created_at < $1";
        const SQL: &str =
            "INSERT INTO oidc_states (state, provider, pkce_verifier, nonce, created_at) VALUES ($1, $2, $3, $4, $5)";
        let hash = token_hash(state);
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(PURGE)).bind(now_ms().saturating_sub(max_age_ms)).execute(&mut *tx).await?;
            sqlx::query(sql(SQL))
                .bind(&hash)
                .bind(&pending.provider)
                .bind(&pending.pkce_verifier)
                .bind(&pending.nonce)
                .bind(pending.created_at)
                .execute(&mut *tx)
                .await
                .map_err(|e| conflict(e, "state"))?;
        });
        Ok(())
    }

    /// Removes and returns the pending authorization for `state`: a state is good for one
    /// callback, whatever the callback makes of it.
    pub async fn take_oidc_state(&self, state: &str) -> Result<Option<OidcState>, DbError> {
        const SQL: &str =
            "DELETE FROM oidc_states WHERE state = $1 RETURNING provider, pkce_verifier, nonce, created_at";
        let hash = token_hash(state);
        Ok(write_tx!(self, |tx, sql| sqlx::query_as::<_, OidcState>(sql(SQL))
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await?))
    }

    /// The account that `subject` at `provider` signs in to.
    pub async fn oidc_identity_user(&self, provider: &str, subject: &str) -> Result<Option<Uuid>, DbError> {
        const SQL: &str = "SELECT user_id FROM user_identities WHERE provider = $1 AND subject = $2";
        let row: Option<IdentityRow> =
            dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(provider).bind(subject).fetch_optional(pool).await?);
        Ok(row.map(|r| r.user_id))
    }

    /// Links `subject` at `provider` to `user`; [`DbError::Conflict`] when it is linked already.
    pub async fn link_oidc_identity(
        &self,
        provider: &str,
        subject: &str,
        user: Uuid,
        email: Option<&str>,
    ) -> Result<(), DbError> {
        const SQL: &str =
            "INSERT INTO user_identities (provider, subject, user_id, email, created_at) VALUES ($1, $2, $3, $4, $5)";
        let uid = user.to_string();
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(SQL))
                .bind(provider)
                .bind(subject)
                .bind(&uid)
                .bind(email)
                .bind(now_ms())
                .execute(&mut *tx)
                .await
                .map_err(|e| conflict(e, "identity"))?;
        });
        Ok(())
    }

    /// Marks `user`'s email verified because a sign-in provider vouched for `email`; nothing
    /// changes when the account's address is another one or is verified already.
    pub async fn verify_email_by_oidc(&self, user: Uuid, email: &str) -> Result<(), DbError> {
        const SQL: &str = "UPDATE users SET email_verified_at = $1, updated_at = $1 \
                           WHERE id = $2 AND email = $3 AND email_verified_at IS NULL";
        let (uid, email, now) = (user.to_string(), email.trim().to_lowercase(), now_ms());
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(SQL)).bind(now).bind(&uid).bind(&email).execute(&mut *tx).await?;
        });
        self.forget_cached_sessions(user);
        Ok(())
    }
}
