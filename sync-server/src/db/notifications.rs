//! Per-user notifications, numbered per user.
//!
//! A notification's number comes from `users.notification_seq`, bumped by an `UPDATE …
//! RETURNING` in the same transaction as the change that causes it (`notify_in_tx`). The
//! update locks the user's row until the commit, so one user's numbers commit in order: a reader
//! who has seen everything up to N and later asks for "after N" never misses a smaller number
//! that committed late. That is what lets the events socket resume from a cursor.
//!
//! Transactions that notify several users lock their rows in id order (`Recipients` sorts
//! them), so two such transactions cannot deadlock on PostgreSQL.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::{Database, DbError, now_ms};

/// A stored notification.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Notification {
    /// Its number, per user, from 1.
    pub seq: i64,
    /// `comment`, `mention`, `review_requested`, `approval_changed`, `invitation`, …
    pub kind: String,
    /// JSON object: ids and a short `text` for people.
    pub payload: String,
    /// Created, ms.
    pub created_at: i64,
    /// When the user marked it read.
    pub read_at: Option<i64>,
}

const BUMP: &str = "UPDATE users SET notification_seq = notification_seq + 1 WHERE id = $1 RETURNING notification_seq";
const INSERT: &str = "INSERT INTO notifications (user_id, seq, kind, payload, created_at) VALUES ($1, $2, $3, $4, $5)";

/// A connection inside a write transaction (either dialect) that can add notifications.
pub(crate) trait NotifyConn: Send {
    /// See [`notify_in_tx`].
    async fn add_notification(&mut self, user: Uuid, kind: &str, payload: &str) -> Result<Option<i64>, DbError>;
}

macro_rules! notify_conn {
    ($conn:ty, $sql:path) => {
        impl NotifyConn for $conn {
            async fn add_notification(
                &mut self,
                user: Uuid,
                kind: &str,
                payload: &str,
            ) -> Result<Option<i64>, DbError> {
                let uid = user.to_string();
                let seq: Option<i64> = sqlx::query_scalar($sql(BUMP)).bind(&uid).fetch_optional(&mut *self).await?;
                let Some(seq) = seq else { return Ok(None) };
                sqlx::query($sql(INSERT))
                    .bind(&uid)
                    .bind(seq)
                    .bind(kind)
                    .bind(payload)
                    .bind(now_ms())
                    .execute(&mut *self)
                    .await?;
                Ok(Some(seq))
            }
        }
    };
}

notify_conn!(sqlx::SqliteConnection, super::sqlite_sql);
notify_conn!(sqlx::PgConnection, super::pg_sql);

/// Adds a notification for `user` inside a write transaction (`write_tx!`'s `&mut *tx`) and
/// returns its number; `None` if the account no longer exists. Wake the user's sockets with
/// [`crate::events::EventHub::wake`] once the transaction has committed.
pub(crate) async fn notify_in_tx<C: NotifyConn>(
    conn: &mut C,
    user: Uuid,
    kind: &str,
    payload: &serde_json::Value,
) -> Result<Option<i64>, DbError> {
    conn.add_notification(user, kind, &payload.to_string()).await
}

/// The notifications one change causes, one per user (the first kind given for a user wins),
/// delivered in user-id order so concurrent transactions lock user rows in the same order.
#[derive(Debug, Default)]
pub(crate) struct Recipients {
    by_user: BTreeMap<Uuid, (&'static str, serde_json::Value)>,
}

impl Recipients {
    /// Adds `user` unless they already get a notification of this change.
    pub(crate) fn add(&mut self, user: Uuid, kind: &'static str, payload: serde_json::Value) {
        self.by_user.entry(user).or_insert((kind, payload));
    }

    /// Drops `user` (e.g. the author of the change).
    pub(crate) fn remove(&mut self, user: Uuid) {
        self.by_user.remove(&user);
    }

    /// Inserts them all; returns the users notified.
    pub(crate) async fn deliver<C: NotifyConn>(self, conn: &mut C) -> Result<Vec<Uuid>, DbError> {
        let mut notified = Vec::with_capacity(self.by_user.len());
        for (user, (kind, payload)) in self.by_user {
            if notify_in_tx(conn, user, kind, &payload).await?.is_some() {
                notified.push(user);
            }
        }
        Ok(notified)
    }
}

impl Database {
    /// Adds one notification in a transaction of its own; its number, or `None` if the account
    /// no longer exists. Wake the user's sockets afterwards.
    pub async fn notify(&self, user: Uuid, kind: &str, payload: &serde_json::Value) -> Result<Option<i64>, DbError> {
        Ok(write_tx!(self, |tx, _sql| notify_in_tx(&mut *tx, user, kind, payload).await?))
    }

    /// The user's newest notification number (0: none yet).
    pub async fn notification_cursor(&self, user: Uuid) -> Result<i64, DbError> {
        const SQL: &str = "SELECT notification_seq FROM users WHERE id = $1";
        let uid = user.to_string();
        let seq: Option<i64> =
            dual!(self, |pool, sql| sqlx::query_scalar(sql(SQL)).bind(&uid).fetch_optional(pool).await?);
        Ok(seq.unwrap_or(0))
    }

    /// Up to `limit` of the user's notifications numbered above `after`, oldest first.
    pub async fn notifications_after(&self, user: Uuid, after: i64, limit: i64) -> Result<Vec<Notification>, DbError> {
        const SQL: &str = "SELECT seq, kind, payload, created_at, read_at FROM notifications \
                           WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
        let uid = user.to_string();
        Ok(dual!(self, |pool, sql| {
            sqlx::query_as(sql(SQL)).bind(&uid).bind(after).bind(limit).fetch_all(pool).await?
        }))
    }

    /// Marks the user's unread notifications numbered up to `upto` read; how many changed.
    pub async fn mark_notifications_read(&self, user: Uuid, upto: i64) -> Result<u64, DbError> {
        const SQL: &str = "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND seq <= $3 AND read_at IS NULL";
        let (uid, now) = (user.to_string(), now_ms());
        Ok(write_tx!(self, |tx, sql| {
            sqlx::query(sql(SQL)).bind(now).bind(&uid).bind(upto).execute(&mut *tx).await?.rows_affected()
        }))
    }

    /// How many of the user's notifications are unread.
    pub async fn unread_notifications(&self, user: Uuid) -> Result<i64, DbError> {
        const SQL: &str = "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL";
        let uid = user.to_string();
        Ok(dual!(self, |pool, sql| sqlx::query_scalar(sql(SQL)).bind(&uid).fetch_one(pool).await?))
    }
}
