//! Accounts and the email outbox.

use uuid::Uuid;

use super::{Database, DbError, OutboxEmail, User, conflict, now_ms};

impl Database {
    /// Creates an account with its personal team (the user is its owner); the email is stored
    /// lower-cased and must be unused.
    pub async fn create_user(
        &self,
        email: &str,
        password_hash: Option<&str>,
        display_name: &str,
    ) -> Result<User, DbError> {
        const USER: &str = "INSERT INTO users (id, email, password_hash, display_name, personal_team_id, \
                            created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)";
        const TEAM: &str =
            "INSERT INTO teams (id, name, kind, created_at, updated_at) VALUES ($1, $2, 'personal', $3, $3)";
        const MEMBER: &str =
            "INSERT INTO team_members (team_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)";
        let team_id = Uuid::now_v7().to_string();
        let user = User {
            id: Uuid::now_v7(),
            email: email.trim().to_lowercase(),
            password_hash: password_hash.map(str::to_owned),
            display_name: display_name.trim().to_owned(),
            email_verified_at: None,
            language: "en-US".into(),
            timezone: "UTC".into(),
            totp_secret: None,
            totp_enabled_at: None,
            personal_team_id: Some(team_id.clone()),
            created_at: now_ms(),
        };
        let id = user.id.to_string();
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(TEAM))
                .bind(&team_id)
                .bind(format!("{}'s space", user.display_name))
                .bind(user.created_at)
                .execute(&mut *tx)
                .await?;
            sqlx::query(sql(USER))
                .bind(&id)
                .bind(&user.email)
                .bind(&user.password_hash)
                .bind(&user.display_name)
                .bind(&team_id)
                .bind(user.created_at)
                .execute(&mut *tx)
                .await
                .map_err(|e| conflict(e, "email"))?;
            sqlx::query(sql(MEMBER)).bind(&team_id).bind(&id).bind(user.created_at).execute(&mut *tx).await?;
        });
        Ok(user)
    }

    /// The account with `email` (any case).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, DbError> {
        const SQL: &str = "SELECT id, email, password_hash, display_name, email_verified_at, language, timezone, \
                           totp_secret, totp_enabled_at, personal_team_id, created_at FROM users WHERE email = $1";
        let email = email.trim().to_lowercase();
        Ok(dual!(self, |pool, sql| sqlx::query_as::<_, User>(sql(SQL)).bind(&email).fetch_optional(pool).await?))
    }

    /// The account with `id`.
    pub async fn user_by_id(&self, id: Uuid) -> Result<Option<User>, DbError> {
        const SQL: &str = "SELECT id, email, password_hash, display_name, email_verified_at, language, timezone, \
                           totp_secret, totp_enabled_at, personal_team_id, created_at FROM users WHERE id = $1";
        let id = id.to_string();
        Ok(dual!(self, |pool, sql| sqlx::query_as::<_, User>(sql(SQL)).bind(&id).fetch_optional(pool).await?))
    }

    /// Queues an email; the sender picks it up, so a crash never drops one.
    pub async fn enqueue_email(&self, recipient: &str, subject: &str, body: &str) -> Result<Uuid, DbError> {
        const SQL: &str =
            "INSERT INTO email_outbox (id, recipient, subject, body, created_at) VALUES ($1, $2, $3, $4, $5)";
        let id = Uuid::now_v7();
        let (sid, now) = (id.to_string(), now_ms());
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(SQL))
                .bind(&sid)
                .bind(recipient)
                .bind(subject)
                .bind(body)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        });
        Ok(id)
    }

    /// Unsent emails, oldest first.
    pub async fn unsent_emails(&self, limit: i64) -> Result<Vec<OutboxEmail>, DbError> {
        const SQL: &str = "SELECT id, recipient, subject, body, attempts FROM email_outbox \
                           WHERE sent_at IS NULL ORDER BY created_at, id LIMIT $1";
        Ok(dual!(self, |pool, sql| sqlx::query_as::<_, OutboxEmail>(sql(SQL)).bind(limit).fetch_all(pool).await?))
    }

    /// Marks an email sent.
    pub async fn mark_email_sent(&self, id: Uuid) -> Result<bool, DbError> {
        const SQL: &str =
            "UPDATE email_outbox SET sent_at = $1, attempts = attempts + 1 WHERE id = $2 AND sent_at IS NULL";
        let (sid, now) = (id.to_string(), now_ms());
        let affected = write_tx!(self, |tx, sql| sqlx::query(sql(SQL))
            .bind(now)
            .bind(&sid)
            .execute(&mut *tx)
            .await?
            .rows_affected());
        Ok(affected == 1)
    }

    /// Records a failed delivery attempt.
    pub async fn mark_email_failed(&self, id: Uuid, error: &str) -> Result<(), DbError> {
        const SQL: &str = "UPDATE email_outbox SET attempts = attempts + 1, last_error = $1 WHERE id = $2";
        let sid = id.to_string();
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(SQL)).bind(error).bind(&sid).execute(&mut *tx).await?;
        });
        Ok(())
    }
}
