//! Outgoing webhooks: each user's endpoints, the outbox of deliveries, and the log of attempts.
//!
//! [`Database::emit_webhook`] queues one pending delivery per enabled endpoint of the user that
//! subscribes to the event type (an empty subscription list means every type) and wakes the
//! sender ([`crate::webhooks`]). The sender claims due deliveries with a lease
//! ([`Database::claim_webhook_deliveries`]): an `UPDATE … WHERE` the lease is free or expired,
//! with `FOR UPDATE SKIP LOCKED` on PostgreSQL and `BEGIN IMMEDIATE` on SQLite, so two server
//! replicas never send the same attempt at once. [`Database::record_webhook_attempt`] logs the
//! attempt and either marks the delivery delivered or failed, or schedules the next try, all
//! guarded by the lease.

use uuid::Uuid;

use super::{Database, DbError, Dialect, now_ms};

/// `pending`: waiting for its next attempt (or being sent).
pub const STATUS_PENDING: &str = "pending";
/// `delivered`: a 2xx answer came back.
pub const STATUS_DELIVERED: &str = "delivered";
/// `failed`: given up after the last attempt.
pub const STATUS_FAILED: &str = "failed";

/// A stored endpoint.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct WebhookEndpoint {
    /// UUIDv7.
    #[sqlx(try_from = "String")]
    pub id: Uuid,
    /// The account it belongs to.
    #[sqlx(try_from = "String")]
    pub user_id: Uuid,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The signing secret, `whsec_<base64>`.
    pub secret: String,
    /// A note for people.
    pub description: String,
    /// JSON array of the subscribed event types; empty: every type.
    pub event_types: String,
    /// Whether deliveries are sent.
    pub enabled: bool,
    /// Created, ms.
    pub created_at: i64,
    /// Last changed, ms.
    pub updated_at: i64,
}

impl WebhookEndpoint {
    /// The subscribed event types (empty: every type).
    pub fn event_type_list(&self) -> Vec<String> {
        serde_json::from_str(&self.event_types).unwrap_or_default()
    }

    /// Whether the endpoint takes events of `event_type`.
    pub fn subscribes_to(&self, event_type: &str) -> bool {
        let types = self.event_type_list();
        types.is_empty() || types.iter().any(|t| t == event_type)
    }
}

/// A new endpoint (validated by the caller).
#[derive(Clone, Debug)]
pub struct NewWebhookEndpoint<'a> {
    /// The owner.
    pub user_id: Uuid,
    /// The URL.
    pub url: &'a str,
    /// `whsec_<base64>`.
    pub secret: &'a str,
    /// A note.
    pub description: &'a str,
    /// Subscribed types; empty: every type.
    pub event_types: &'a [String],
    /// Whether it is on.
    pub enabled: bool,
}

/// Changes to an endpoint; `None` keeps a field.
#[derive(Clone, Debug, Default)]
pub struct WebhookEndpointPatch<'a> {
    /// A new URL.
    pub url: Option<&'a str>,
    /// A new note.
    pub description: Option<&'a str>,
    /// New subscriptions.
    pub event_types: Option<&'a [String]>,
    /// On or off.
    pub enabled: Option<bool>,
}

/// A stored delivery.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct WebhookDelivery {
    /// UUIDv7; also the `webhook-id` header.
    #[sqlx(try_from = "String")]
    pub id: Uuid,
    /// The endpoint.
    #[sqlx(try_from = "String")]
    pub endpoint_id: Uuid,
    /// The event type.
    pub event_type: String,
    /// The event's data, JSON.
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// When the next attempt is due, ms (meaningful while pending).
    pub next_attempt_at: i64,
    /// Created (the event's time), ms.
    pub created_at: i64,
    /// When a 2xx answer came back.
    pub delivered_at: Option<i64>,
}

/// One logged attempt.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct WebhookAttempt {
    /// The delivery.
    #[sqlx(try_from = "String")]
    pub delivery_id: Uuid,
    /// 1 for the first attempt.
    pub attempt: i64,
    /// When it started, ms.
    pub attempted_at: i64,
    /// The HTTP status that came back, if any.
    pub status_code: Option<i64>,
    /// Why it failed (`None` when delivered).
    pub error: Option<String>,
    /// How long it took, ms.
    pub duration_ms: i64,
}

/// A delivery claimed for sending, with where and how to send it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ClaimedDelivery {
    /// The delivery id (`webhook-id`).
    #[sqlx(try_from = "String")]
    pub id: Uuid,
    /// The endpoint.
    #[sqlx(try_from = "String")]
    pub endpoint_id: Uuid,
    /// The event type.
    pub event_type: String,
    /// The event's data, JSON.
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i64,
    /// The event's time, ms.
    pub created_at: i64,
    /// The endpoint's URL.
    pub url: String,
    /// The endpoint's secret.
    pub secret: String,
    /// The lease this claim holds; recording the attempt needs it.
    pub lease_token: String,
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptOutcome {
    /// When it started, ms.
    pub attempted_at: i64,
    /// The HTTP status, if one came back.
    pub status_code: Option<u16>,
    /// Why it failed; `None` means delivered.
    pub error: Option<String>,
    /// How long it took, ms.
    pub duration_ms: i64,
}

/// What recording an attempt did to the delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptRecorded {
    /// It is delivered.
    Delivered,
    /// Another attempt is scheduled at this time, ms.
    Retry(i64),
    /// It is given up.
    Failed,
    /// The lease was lost (expired and taken by another sender, or the endpoint was deleted):
    /// nothing was recorded.
    LeaseLost,
}

fn types_json(types: &[String]) -> String {
    serde_json::Value::from(types.to_vec()).to_string()
}

/// `SELECT` of an endpoint, for `concat!`.
macro_rules! select_endpoint {
    () => {
        "SELECT id, user_id, url, secret, description, event_types, enabled, created_at, updated_at \
         FROM webhook_endpoints "
    };
}

/// `SELECT` of a delivery, for `concat!`.
macro_rules! select_delivery {
    () => {
        "SELECT id, endpoint_id, event_type, payload, status, attempts, next_attempt_at, created_at, delivered_at \
         FROM webhook_deliveries "
    };
}

const INSERT_DELIVERY: &str = "INSERT INTO webhook_deliveries (id, endpoint_id, event_type, payload, status, attempts, \
                               next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)";

impl Database {
    /// Stores a new endpoint.
    pub async fn create_webhook_endpoint(&self, new: &NewWebhookEndpoint<'_>) -> Result<WebhookEndpoint, DbError> {
        const SQL: &str = "INSERT INTO webhook_endpoints (id, user_id, url, secret, description, event_types, \
                           enabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)";
        let now = now_ms();
        let endpoint = WebhookEndpoint {
            id: Uuid::now_v7(),
            user_id: new.user_id,
            url: new.url.to_owned(),
            secret: new.secret.to_owned(),
            description: new.description.to_owned(),
            event_types: types_json(new.event_types),
            enabled: new.enabled,
            created_at: now,
            updated_at: now,
        };
        let (id, user) = (endpoint.id.to_string(), endpoint.user_id.to_string());
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(SQL))
                .bind(&id)
                .bind(&user)
                .bind(&endpoint.url)
                .bind(&endpoint.secret)
                .bind(&endpoint.description)
                .bind(&endpoint.event_types)
                .bind(endpoint.enabled)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        });
        Ok(endpoint)
    }

    /// How many endpoints `user_id` has.
    pub async fn count_webhook_endpoints(&self, user_id: Uuid) -> Result<i64, DbError> {
        const SQL: &str = "SELECT COUNT(*) FROM webhook_endpoints WHERE user_id = $1";
        let user = user_id.to_string();
        Ok(dual!(self, |pool, sql| sqlx::query_scalar(sql(SQL)).bind(&user).fetch_one(pool).await?))
    }

    /// The endpoint `id` if it belongs to `user_id` (another user's endpoint is `None`).
    pub async fn webhook_endpoint(&self, user_id: Uuid, id: Uuid) -> Result<Option<WebhookEndpoint>, DbError> {
        const SQL: &str = concat!(select_endpoint!(), "WHERE id = $1 AND user_id = $2");
        let (id, user) = (id.to_string(), user_id.to_string());
        Ok(dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&id).bind(&user).fetch_optional(pool).await?))
    }

    /// A page of `user_id`'s endpoints, newest first (`before`: exclusive id bound).
    pub async fn webhook_endpoints(
        &self,
        user_id: Uuid,
        before: &str,
        limit: i64,
    ) -> Result<Vec<WebhookEndpoint>, DbError> {
        const SQL: &str = concat!(select_endpoint!(), "WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3");
        let user = user_id.to_string();
        Ok(dual!(self, |pool, sql| {
            sqlx::query_as(sql(SQL)).bind(&user).bind(before).bind(limit).fetch_all(pool).await?
        }))
    }

    /// Applies `patch` to `user_id`'s endpoint `id`; the updated endpoint, `None` if there is none.
    pub async fn update_webhook_endpoint(
        &self,
        user_id: Uuid,
        id: Uuid,
        patch: &WebhookEndpointPatch<'_>,
    ) -> Result<Option<WebhookEndpoint>, DbError> {
        const SQL: &str = "UPDATE webhook_endpoints SET url = COALESCE($1, url), \
                           description = COALESCE($2, description), event_types = COALESCE($3, event_types), \
                           enabled = COALESCE($4, enabled), updated_at = $5 WHERE id = $6 AND user_id = $7";
        let (eid, user, now) = (id.to_string(), user_id.to_string(), now_ms());
        let types = patch.event_types.map(types_json);
        let n = write_tx!(self, |tx, sql| {
            sqlx::query(sql(SQL))
                .bind(patch.url)
                .bind(patch.description)
                .bind(&types)
                .bind(patch.enabled)
                .bind(now)
                .bind(&eid)
                .bind(&user)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        });
        if n == 0 { Ok(None) } else { self.webhook_endpoint(user_id, id).await }
    }

    /// Replaces the secret of `user_id`'s endpoint `id`; whether there was one.
    pub async fn set_webhook_secret(&self, user_id: Uuid, id: Uuid, secret: &str) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE webhook_endpoints SET secret = $1, updated_at = $2 WHERE id = $3 AND user_id = $4";
        let (eid, user, now) = (id.to_string(), user_id.to_string(), now_ms());
        let n = write_tx!(self, |tx, sql| {
            sqlx::query(sql(SQL)).bind(secret).bind(now).bind(&eid).bind(&user).execute(&mut *tx).await?.rows_affected()
        });
        Ok(n == 1)
    }

    /// Deletes `user_id`'s endpoint `id` with its deliveries and their log (the foreign keys
    /// cascade); whether there was one.
    pub async fn delete_webhook_endpoint(&self, user_id: Uuid, id: Uuid) -> Result<bool, DbError> {
        const SQL: &str = "DELETE FROM webhook_endpoints WHERE id = $1 AND user_id = $2";
        let (eid, user) = (id.to_string(), user_id.to_string());
        let n = write_tx!(self, |tx, sql| {
            sqlx::query(sql(SQL)).bind(&eid).bind(&user).execute(&mut *tx).await?.rows_affected()
        });
        Ok(n == 1)
    }

    /// Queues `event_type` with `payload` (the event's `data`) for every enabled endpoint of
    /// `user_id` that subscribes to it (an endpoint with no subscriptions takes every type), and
    /// wakes the sender. Returns how many deliveries were queued (0 when the user has no such
    /// endpoint: emitting is cheap for users without webhooks).
    pub async fn emit_webhook(
        &self,
        user_id: Uuid,
        event_type: &str,
        payload: serde_json::Value,
    ) -> Result<usize, DbError> {
        const ENDPOINTS: &str = concat!(select_endpoint!(), "WHERE user_id = $1 AND enabled = $2");
        let user = user_id.to_string();
        let body = payload.to_string();
        let now = now_ms();
        let queued = write_tx!(self, |tx, sql| {
            let endpoints: Vec<WebhookEndpoint> =
                sqlx::query_as(sql(ENDPOINTS)).bind(&user).bind(true).fetch_all(&mut *tx).await?;
            let mut queued = 0usize;
            for endpoint in endpoints.iter().filter(|e| e.subscribes_to(event_type)) {
                sqlx::query(sql(INSERT_DELIVERY))
                    .bind(Uuid::now_v7().to_string())
                    .bind(endpoint.id.to_string())
                    .bind(event_type)
                    .bind(&body)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                queued += 1;
            }
            queued
        });
        if queued > 0 {
            crate::webhooks::wake_sender();
        }
        Ok(queued)
    }

    /// Queues `event_type` for the one endpoint `endpoint_id` whatever its subscriptions (the
    /// test button), and wakes the sender. The new delivery.
    pub async fn queue_webhook_delivery(
        &self,
        endpoint_id: Uuid,
        event_type: &str,
        payload: &serde_json::Value,
    ) -> Result<WebhookDelivery, DbError> {
        let now = now_ms();
        let delivery = WebhookDelivery {
            id: Uuid::now_v7(),
            endpoint_id,
            event_type: event_type.to_owned(),
            payload: payload.to_string(),
            status: STATUS_PENDING.to_owned(),
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
            delivered_at: None,
        };
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(INSERT_DELIVERY))
                .bind(delivery.id.to_string())
                .bind(endpoint_id.to_string())
                .bind(event_type)
                .bind(&delivery.payload)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        });
        crate::webhooks::wake_sender();
        Ok(delivery)
    }

    /// A page of an endpoint's deliveries, newest first (`before`: exclusive id bound).
    pub async fn webhook_deliveries(
        &self,
        endpoint_id: Uuid,
        before: &str,
        limit: i64,
    ) -> Result<Vec<WebhookDelivery>, DbError> {
        const SQL: &str = concat!(select_delivery!(), "WHERE endpoint_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3");
        let eid = endpoint_id.to_string();
        Ok(dual!(self, |pool, sql| {
            sqlx::query_as(sql(SQL)).bind(&eid).bind(before).bind(limit).fetch_all(pool).await?
        }))
    }

    /// A delivery by id.
    pub async fn webhook_delivery(&self, id: Uuid) -> Result<Option<WebhookDelivery>, DbError> {
        const SQL: &str = concat!(select_delivery!(), "WHERE id = $1");
        let id = id.to_string();
        Ok(dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&id).fetch_optional(pool).await?))
    }

    /// The attempts of the deliveries whose ids lie in `first..=last` of one endpoint, oldest
    /// first.
    pub async fn webhook_attempts(
        &self,
        endpoint_id: Uuid,
        first: Uuid,
        last: Uuid,
    ) -> Result<Vec<WebhookAttempt>, DbError> {
        const SQL: &str = "SELECT a.delivery_id, a.attempt, a.attempted_at, a.status_code, a.error, a.duration_ms \
                           FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id \
                           WHERE d.endpoint_id = $1 AND a.delivery_id >= $2 AND a.delivery_id <= $3 \
                           ORDER BY a.delivery_id, a.attempt";
        let (eid, first, last) = (endpoint_id.to_string(), first.to_string(), last.to_string());
        Ok(dual!(self, |pool, sql| {
            sqlx::query_as(sql(SQL)).bind(&eid).bind(&first).bind(&last).fetch_all(pool).await?
        }))
    }

    /// Claims up to `limit` due pending deliveries of enabled endpoints for `lease_ms`: each is
    /// leased to this call alone (a lease that runs out, e.g. because its server died, lets
    /// another sender take the delivery over). Oldest due first.
    pub async fn claim_webhook_deliveries(&self, limit: i64, lease_ms: i64) -> Result<Vec<ClaimedDelivery>, DbError> {
        // The inner SELECT picks the candidates; the outer WHERE re-checks the lease, so on
        // PostgreSQL a row another replica leased meanwhile is skipped (SKIP LOCKED / re-check)
        // and on SQLite the write transaction serialises claims.
        const CLAIM_PG: &str = "UPDATE webhook_deliveries SET lease_token = $1, lease_until = $2 WHERE id IN \
             (SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
              WHERE d.status = 'pending' AND d.next_attempt_at <= $3 AND e.enabled = $5 \
              AND (d.lease_until IS NULL OR d.lease_until < $3) ORDER BY d.next_attempt_at, d.id LIMIT $4 \
              FOR UPDATE OF d SKIP LOCKED) \
             AND status = 'pending' AND (lease_until IS NULL OR lease_until < $3)";
        const CLAIM_SQLITE: &str = "UPDATE webhook_deliveries SET lease_token = $1, lease_until = $2 WHERE id IN \
             (SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
              WHERE d.status = 'pending' AND d.next_attempt_at <= $3 AND e.enabled = $5 \
              AND (d.lease_until IS NULL OR d.lease_until < $3) ORDER BY d.next_attempt_at, d.id LIMIT $4) \
             AND status = 'pending' AND (lease_until IS NULL OR lease_until < $3)";
        const CLAIMED: &str = "SELECT d.id, d.endpoint_id, d.event_type, d.payload, d.attempts, d.created_at, \
                               e.url, e.secret, d.lease_token FROM webhook_deliveries d \
                               JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.lease_token = $1 \
                               ORDER BY d.next_attempt_at, d.id";
        let token = Uuid::new_v4().to_string();
        let now = now_ms();
        let until = now.saturating_add(lease_ms);
        let claim = match self.dialect() {
            Dialect::Sqlite => CLAIM_SQLITE,
            Dialect::Postgres => CLAIM_PG,
        };
        Ok(write_tx!(self, |tx, sql| {
            let n = sqlx::query(sql(claim))
                .bind(&token)
                .bind(until)
                .bind(now)
                .bind(limit)
                .bind(true)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 { Vec::new() } else { sqlx::query_as(sql(CLAIMED)).bind(&token).fetch_all(&mut *tx).await? }
        }))
    }

    /// Logs an attempt of a claimed delivery and moves it on: delivered when `outcome` has no
    /// error; otherwise failed once `max_attempts` attempts were made, or pending again at
    /// `retry_at` (ms). Nothing changes when the claim's lease was lost.
    pub async fn record_webhook_attempt(
        &self,
        claimed: &ClaimedDelivery,
        outcome: &AttemptOutcome,
        max_attempts: i64,
        retry_at: i64,
    ) -> Result<AttemptRecorded, DbError> {
        const UPDATE: &str = "UPDATE webhook_deliveries SET attempts = $1, status = $2, next_attempt_at = $3, \
                              delivered_at = $4, lease_token = NULL, lease_until = NULL \
                              WHERE id = $5 AND lease_token = $6 AND status = 'pending'";
        const LOG: &str = "INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, status_code, error, \
                           duration_ms) VALUES ($1, $2, $3, $4, $5, $6)";
        let attempt = claimed.attempts + 1;
        let now = now_ms();
        let (status, next, delivered_at, result) = match &outcome.error {
            None => (STATUS_DELIVERED, now, Some(now), AttemptRecorded::Delivered),
            Some(_) if attempt >= max_attempts => (STATUS_FAILED, now, None, AttemptRecorded::Failed),
            Some(_) => (STATUS_PENDING, retry_at, None, AttemptRecorded::Retry(retry_at)),
        };
        let id = claimed.id.to_string();
        let code = outcome.status_code.map(i64::from);
        Ok(write_tx!(self, |tx, sql| {
            let n = sqlx::query(sql(UPDATE))
                .bind(attempt)
                .bind(status)
                .bind(next)
                .bind(delivered_at)
                .bind(&id)
                .bind(&claimed.lease_token)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 1 {
                sqlx::query(sql(LOG))
                    .bind(&id)
                    .bind(attempt)
                    .bind(outcome.attempted_at)
                    .bind(code)
                    .bind(&outcome.error)
                    .bind(outcome.duration_ms)
                    .execute(&mut *tx)
                    .await?;
                result
            } else {
                AttemptRecorded::LeaseLost
            }
        }))
    }

    /// The earliest `next_attempt_at` of a pending, unleased (or lease-expired) delivery of an
    /// enabled endpoint, if any.
    pub async fn next_webhook_due(&self) -> Result<Option<i64>, DbError> {
        const SQL: &str = "SELECT MIN(d.next_attempt_at) FROM webhook_deliveries d \
                           JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.status = 'pending' \
                           AND e.enabled = $1 AND (d.lease_until IS NULL OR d.lease_until < $2)";
        let now = now_ms();
        Ok(dual!(self, |pool, sql| sqlx::query_scalar(sql(SQL)).bind(true).bind(now).fetch_one(pool).await?))
    }

    /// Deletes finished (delivered or failed) deliveries created before `before` (ms), with
    /// their attempts; how many deliveries went.
    pub async fn prune_webhook_deliveries(&self, before: i64) -> Result<u64, DbError> {
        const ATTEMPTS: &str = "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries \
                                WHERE status <> 'pending' AND created_at < $1)";
        const DELIVERIES: &str = "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < $1";
        Ok(write_tx!(self, |tx, sql| {
            sqlx::query(sql(ATTEMPTS)).bind(before).execute(&mut *tx).await?;
            sqlx::query(sql(DELIVERIES)).bind(before).execute(&mut *tx).await?.rows_affected()
        }))
    }
}
