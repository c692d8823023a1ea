//! API keys: `cf_<prefix>_<secret>`, stored as the prefix (to find the row), the SHA-256 of the
//! secret and the scopes separated by spaces. Authenticating a key is in `principals.rs`.

use uuid::Uuid;

use super::{Database, DbError, conflict, now_ms};
use crate::authz::Scope;

/// A stored API key (never its secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
    /// UUIDv7.
    pub id: Uuid,
    /// The owner's label.
    pub name: String,
    /// The public part that finds the key.
    pub prefix: String,
    /// What the key may do.
    pub scopes: Vec<Scope>,
    /// Created, ms.
    pub created_at: i64,
    /// Last authenticated request, ms (recorded at most once a minute).
    pub last_used_at: Option<i64>,
    /// When revoked.
    pub revoked_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    #[sqlx(try_from = "String")]
    id: Uuid,
    name: String,
    prefix: String,
    scopes: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<ApiKeyRow> for ApiKey {
    fn from(r: ApiKeyRow) -> ApiKey {
        ApiKey {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            scopes: r.scopes.split(' ').filter_map(Scope::parse).collect(),
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        }
    }
}

impl Database {
    /// Stores a key for `user`; a taken `prefix` is [`DbError::Conflict`] (the caller draws
    /// another).
    pub async fn create_api_key(
        &self,
        user: Uuid,
        name: &str,
        prefix: &str,
        secret_hash: &str,
        scopes: &[Scope],
    ) -> Result<ApiKey, DbError> {
        const SQL: &str = "INSERT INTO api_keys (id, user_id, name, prefix, secret_hash, scopes, created_at) \
                           VALUES ($1, $2, $3, $4, $5, $6, $7)";
        let key = ApiKey {
            id: Uuid::now_v7(),
            name: name.to_owned(),
            prefix: prefix.to_owned(),
            scopes: scopes.to_vec(),
            created_at: now_ms(),
            last_used_at: None,
            revoked_at: None,
        };
        let (id, uid) = (key.id.to_string(), user.to_string());
        let stored: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        let stored = stored.join(" ");
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(SQL))
                .bind(&id)
                .bind(&uid)
                .bind(name)
                .bind(prefix)
                .bind(secret_hash)
                .bind(&stored)
                .bind(key.created_at)
                .execute(&mut *tx)
                .await
                .map_err(|e| conflict(e, "API key prefix"))?;
        });
        Ok(key)
    }

    /// `user`'s keys, revoked ones included, newest first.
    pub async fn api_keys(&self, user: Uuid) -> Result<Vec<ApiKey>, DbError> {
        const SQL: &str = "SELECT id, name, prefix, scopes, created_at, last_used_at, revoked_at FROM api_keys \
                           WHERE user_id = $1 ORDER BY id DESC";
        let uid = user.to_string();
        let rows: Vec<ApiKeyRow> = dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&uid).fetch_all(pool).await?);
        Ok(rows.into_iter().map(ApiKey::from).collect())
    }

    /// Revokes `user`'s key `id` (again revoking a revoked key changes nothing); `false` if
    /// `user` has no such key.
    pub async fn revoke_api_key(&self, user: Uuid, id: Uuid) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND user_id = $3";
        let (kid, uid, now) = (id.to_string(), user.to_string(), now_ms());
        let n = write_tx!(self, |tx, sql| sqlx::query(sql(SQL))
            .bind(now)
            .bind(&kid)
            .bind(&uid)
            .execute(&mut *tx)
            .await?
            .rows_affected());
        Ok(n == 1)
    }
}
