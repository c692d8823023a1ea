//! Accounts and the email outbox.

use uuid::Uuid;

use super::{Database, DbError, OutboxEmail, User, conflict, now_ms, parse_id};
use crate::auth::token_hash;

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

/// How a mailed single-use token was refused, in words for the person who followed the link.
const TOKEN_UNKNOWN: &str = "this link is not valid; request a new one";
const TOKEN_USED: &str = "this link has already been used; request a new one";
const TOKEN_EXPIRED: &str = "this link has expired; request a new one";

/// Marks a live token of `purpose` used and returns its account (`$1` now, `$2` hash, `$3` purpose).
const CONSUME_TOKEN: &str = "UPDATE one_time_tokens SET used_at = $1 \
                             WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
                             RETURNING user_id";
/// Why a token could not be consumed.
const TOKEN_STATE: &str = "SELECT used_at, expires_at FROM one_time_tokens WHERE token_hash = $1 AND purpose = $2";

fn token_refusal(row: Option<(Option<i64>, i64)>) -> &'static str {
    match row {
        None => TOKEN_UNKNOWN,
        Some((Some(_), _)) => TOKEN_USED,
        Some((None, _)) => TOKEN_EXPIRED,
    }
}

impl Database {
    /// Stores a single-use token for `user` (only its hash) valid until `expires_at` (ms) and
    /// queues `email` = (recipient, subject, body) carrying it, in one transaction.
    pub async fn mail_one_time_token(
        &self,
        user: Uuid,
        purpose: &str,
        token: &str,
        expires_at: i64,
        email: (&str, &str, &str),
    ) -> Result<(), DbError> {
        const TOKEN: &str = "INSERT INTO one_time_tokens (token_hash, user_id, purpose, created_at, expires_at) \
                             VALUES ($1, $2, $3, $4, $5)";
        const MAIL: &str =
            "INSERT INTO email_outbox (id, recipient, subject, body, created_at) VALUES ($1, $2, $3, $4, $5)";
        let (hash, uid, mail_id, now) = (token_hash(token), user.to_string(), Uuid::now_v7().to_string(), now_ms());
        let (recipient, subject, body) = email;
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(TOKEN))
                .bind(&hash)
                .bind(&uid)
                .bind(purpose)
                .bind(now)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
            sqlx::query(sql(MAIL))
                .bind(&mail_id)
                .bind(recipient)
                .bind(subject)
                .bind(body)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Consumes an email-verification token and marks the account's email verified. The inner
    /// error says why the token was refused (unknown, used, expired).
    pub async fn verify_email_with_token(&self, token: &str) -> Result<Result<Uuid, &'static str>, DbError> {
        const VERIFY: &str = "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1), updated_at = $1 \
                              WHERE id = $2";
        let (hash, now) = (token_hash(token), now_ms());
        let outcome = write_tx!(self, |tx, sql| {
            let user: Option<String> = sqlx::query_scalar(sql(CONSUME_TOKEN))
                .bind(now)
                .bind(&hash)
                .bind("verify_email")
                .fetch_optional(&mut *tx)
                .await?;
            match user {
                Some(user) => {
                    sqlx::query(sql(VERIFY)).bind(now).bind(&user).execute(&mut *tx).await?;
                    Ok(parse_id(&user)?)
                }
                None => {
                    let row: Option<(Option<i64>, i64)> = sqlx::query_as(sql(TOKEN_STATE))
                        .bind(&hash)
                        .bind("verify_email")
                        .fetch_optional(&mut *tx)
                        .await?;
                    Err(token_refusal(row))
                }
            }
        });
        if let Ok(user) = &outcome {
            self.forget_cached_sessions(*user);
        }
        Ok(outcome)
    }

    /// Consumes a password-reset token: sets the new hash, marks the email verified (the person
    /// proved they read it), voids the account's other reset links and revokes all its sessions.
    /// The inner error says why the token was refused.
    pub async fn reset_password_with_token(
        &self,
        token: &str,
        password_hash: &str,
    ) -> Result<Result<Uuid, &'static str>, DbError> {
        const SET: &str = "UPDATE users SET password_hash = $1, email_verified_at = COALESCE(email_verified_at, $2), \
                           updated_at = $2 WHERE id = $3";
        const VOID: &str = "UPDATE one_time_tokens SET used_at = $1 \
                            WHERE user_id = $2 AND purpose = 'reset_password' AND used_at IS NULL";
        const REVOKE: &str = "UPDATE sessions SET revoked_at = $1, revoked_reason = 'password_reset' \
                              WHERE user_id = $2 AND revoked_at IS NULL";
        let (hash, now) = (token_hash(token), now_ms());
        let outcome = write_tx!(self, |tx, sql| {
            let user: Option<String> = sqlx::query_scalar(sql(CONSUME_TOKEN))
                .bind(now)
                .bind(&hash)
                .bind("reset_password")
                .fetch_optional(&mut *tx)
                .await?;
            match user {
                Some(user) => {
                    sqlx::query(sql(SET)).bind(password_hash).bind(now).bind(&user).execute(&mut *tx).await?;
                    sqlx::query(sql(VOID)).bind(now).bind(&user).execute(&mut *tx).await?;
                    sqlx::query(sql(REVOKE)).bind(now).bind(&user).execute(&mut *tx).await?;
                    Ok(parse_id(&user)?)
                }
                None => {
                    let row: Option<(Option<i64>, i64)> = sqlx::query_as(sql(TOKEN_STATE))
                        .bind(&hash)
                        .bind("reset_password")
                        .fetch_optional(&mut *tx)
                        .await?;
                    Err(token_refusal(row))
                }
            }
        });
        if let Ok(user) = &outcome {
            self.forget_cached_sessions(*user);
        }
        Ok(outcome)
    }

    /// Sets a new password hash and revokes every session of the account except `keep`.
    pub async fn change_password(&self, user: Uuid, password_hash: &str, keep: Uuid) -> Result<(), DbError> {
        const SET: &str = "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3";
        const REVOKE: &str = "UPDATE sessions SET revoked_at = $1, revoked_reason = 'password_change' \
                              WHERE user_id = $2 AND id <> $3 AND revoked_at IS NULL";
        let (uid, keep, now) = (user.to_string(), keep.to_string(), now_ms());
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(SET)).bind(password_hash).bind(now).bind(&uid).execute(&mut *tx).await?;
            sqlx::query(sql(REVOKE)).bind(now).bind(&uid).bind(&keep).execute(&mut *tx).await?;
        });
        self.forget_cached_sessions(user);
        Ok(())
    }

    /// Changes the given profile fields (`None` keeps a field); false if there is no such account.
    pub async fn update_profile(
        &self,
        user: Uuid,
        display_name: Option<&str>,
        language: Option<&str>,
        timezone: Option<&str>,
    ) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE users SET display_name = COALESCE($1, display_name), \
                           language = COALESCE($2, language), timezone = COALESCE($3, timezone), updated_at = $4 \
                           WHERE id = $5";
        let (uid, now) = (user.to_string(), now_ms());
        let affected = write_tx!(self, |tx, sql| sqlx::query(sql(SQL))
            .bind(display_name)
            .bind(language)
            .bind(timezone)
            .bind(now)
            .bind(&uid)
            .execute(&mut *tx)
            .await?
            .rows_affected());
        Ok(affected == 1)
    }

    /// Stores a new TOTP secret for enrolment; false when MFA is already on.
    pub async fn begin_totp(&self, user: Uuid, secret: &str) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE users SET totp_secret = $1, totp_last_step = NULL, updated_at = $2 \
                           WHERE id = $3 AND totp_enabled_at IS NULL";
        let (uid, now) = (user.to_string(), now_ms());
        let affected = write_tx!(self, |tx, sql| sqlx::query(sql(SQL))
            .bind(secret)
            .bind(now)
            .bind(&uid)
            .execute(&mut *tx)
            .await?
            .rows_affected());
        Ok(affected == 1)
    }

    /// Switches MFA on for the enrolling `secret`, records `step` as used and stores the
    /// recovery codes' hashes (replacing any). False when MFA is already on or the secret
    /// changed meanwhile.
    pub async fn enable_totp(
        &self,
        user: Uuid,
        secret: &str,
        step: i64,
        code_hashes: &[String],
    ) -> Result<bool, DbError> {
        const ENABLE: &str = "UPDATE users SET totp_enabled_at = $1, totp_last_step = $2, updated_at = $1 \
                              WHERE id = $3 AND totp_secret = $4 AND totp_enabled_at IS NULL";
        const CLEAR: &str = "DELETE FROM recovery_codes WHERE user_id = $1";
        const CODE: &str = "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)";
        let (uid, now) = (user.to_string(), now_ms());
        let enabled = write_tx!(self, |tx, sql| {
            let affected =
                sqlx::query(sql(ENABLE)).bind(now).bind(step).bind(&uid).bind(secret).execute(&mut *tx).await?;
            if affected.rows_affected() == 1 {
                sqlx::query(sql(CLEAR)).bind(&uid).execute(&mut *tx).await?;
                for hash in code_hashes {
                    sqlx::query(sql(CODE)).bind(&uid).bind(hash).execute(&mut *tx).await?;
                }
                true
            } else {
                false
            }
        });
        Ok(enabled)
    }

    /// Switches MFA off: forgets the secret and the recovery codes.
    pub async fn disable_totp(&self, user: Uuid) -> Result<(), DbError> {
        const OFF: &str = "UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL, \
                           updated_at = $1 WHERE id = $2";
        const CLEAR: &str = "DELETE FROM recovery_codes WHERE user_id = $1";
        let (uid, now) = (user.to_string(), now_ms());
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(OFF)).bind(now).bind(&uid).execute(&mut *tx).await?;
            sqlx::query(sql(CLEAR)).bind(&uid).execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// Replaces the account's recovery codes with `code_hashes`.
    pub async fn replace_recovery_codes(&self, user: Uuid, code_hashes: &[String]) -> Result<(), DbError> {
        const CLEAR: &str = "DELETE FROM recovery_codes WHERE user_id = $1";
        const CODE: &str = "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)";
        let uid = user.to_string();
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(CLEAR)).bind(&uid).execute(&mut *tx).await?;
            for hash in code_hashes {
                sqlx::query(sql(CODE)).bind(&uid).bind(hash).execute(&mut *tx).await?;
            }
        });
        Ok(())
    }

    /// Records TOTP time step `step` as used, if it is later than the last one used: true when
    /// the code may be accepted (each code works once, and never after a later one).
    pub async fn claim_totp_step(&self, user: Uuid, step: i64) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE users SET totp_last_step = $1 \
                           WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)";
        let uid = user.to_string();
        let affected = write_tx!(self, |tx, sql| sqlx::query(sql(SQL))
            .bind(step)
            .bind(&uid)
            .execute(&mut *tx)
            .await?
            .rows_affected());
        Ok(affected == 1)
    }

    /// Uses up the unused recovery code with hash `code_hash`; false if there is none.
    pub async fn use_recovery_code(&self, user: Uuid, code_hash: &str) -> Result<bool, DbError> {
        const SQL: &str =
            "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL";
        let (uid, now) = (user.to_string(), now_ms());
        let affected = write_tx!(self, |tx, sql| sqlx::query(sql(SQL))
            .bind(now)
            .bind(&uid)
            .bind(code_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected());
        Ok(affected == 1)
    }

    /// Unsent emails due for an attempt (fewer than `max_attempts` so far and past their retry
    /// time), oldest first.
    pub async fn emails_due(&self, limit: i64, max_attempts: i64) -> Result<Vec<OutboxEmail>, DbError> {
        const SQL: &str = "SELECT id, recipient, subject, body, attempts FROM email_outbox \
                           WHERE sent_at IS NULL AND attempts < $1 AND (next_attempt_at IS NULL OR next_attempt_at <= $2) \
                           ORDER BY created_at, id LIMIT $3";
        let now = now_ms();
        Ok(dual!(self, |pool, sql| sqlx::query_as::<_, OutboxEmail>(sql(SQL))
            .bind(max_attempts)
            .bind(now)
            .bind(limit)
            .fetch_all(pool)
            .await?))
    }

    /// Records a failed delivery attempt and when to try again (ms).
    pub async fn defer_email(&self, id: Uuid, error: &str, retry_at: i64) -> Result<(), DbError> {
        const SQL: &str = "UPDATE email_outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 \
                           WHERE id = $3";
        let sid = id.to_string();
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(SQL)).bind(error).bind(retry_at).bind(&sid).execute(&mut *tx).await?;
        });
        Ok(())
    }
}
