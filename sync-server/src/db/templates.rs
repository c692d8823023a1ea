//! Uses of gallery templates, counted for the gallery's "trending" order.

use std::collections::HashMap;

use uuid::Uuid;

use super::{Database, DbError, now_ms};

impl Database {
    /// Records that `user` made `creative` from template (archetype) `template`.
    pub async fn record_template_use(&self, template: &str, user: Uuid, creative: Uuid) -> Result<(), DbError> {
        const SQL: &str =
            "INSERT INTO template_uses (id, template_id, user_id, creative_id, created_at) VALUES ($1, $2, $3, $4, $5)";
        let (id, user, creative) = (Uuid::now_v7().to_string(), user.to_string(), creative.to_string());
        let now = now_ms();
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(SQL))
                .bind(&id)
                .bind(template)
                .bind(&user)
                .bind(&creative)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Uses per template since `since` (ms; 0 for all time).
    pub async fn template_uses(&self, since: i64) -> Result<HashMap<String, i64>, DbError> {
        const SQL: &str = "SELECT template_id, COUNT(*) FROM template_uses WHERE created_at >= $1 GROUP BY template_id";
        let rows: Vec<(String, i64)> =
            dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(since).fetch_all(pool).await?);
        Ok(rows.into_iter().collect())
    }
}
