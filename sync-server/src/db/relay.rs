//! The relay's storage: each creative's update log and its snapshots (version history).
//!
//! A creative's stored state is its newest snapshot (highest `upto_seq`, then newest) plus the
//! logged updates after that snapshot's `upto_seq`, replayed in order. The relay appends a
//! batch of updates in one transaction before it acknowledges any of them, and writes a
//! snapshot together with the deletion of the log it covers, so a crash at any point leaves a
//! state that holds every acknowledged update.

use sqlx::Row as _;
use uuid::Uuid;

use super::{Database, DbError, now_ms, parse_id};

/// What is stored of a creative's document.
#[derive(Clone, Debug, Default)]
pub struct StoredDocument {
    /// The newest snapshot (v2), if any.
    pub snapshot_v2: Option<Vec<u8>>,
    /// The log position the snapshot covers.
    pub snapshot_upto: i64,
    /// Logged updates (v1) after the snapshot, in order.
    pub updates: Vec<Vec<u8>>,
    /// The last logged position (the snapshot's when the log is empty).
    pub last_seq: i64,
}

/// One entry of a creative's version history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// The snapshot id.
    pub id: Uuid,
    /// `initial`, `auto` (periodic), `named`, `restore`.
    pub kind: String,
    /// The name a person gave it.
    pub name: Option<String>,
    /// Who made it (none for automatic ones).
    pub created_by: Option<Uuid>,
    /// When, ms.
    pub created_at: i64,
}

/// A snapshot to write.
#[derive(Clone, Debug)]
pub struct NewSnapshot<'a> {
    /// `auto`, `named` or `restore`.
    pub kind: &'a str,
    /// A person's name for it.
    pub name: Option<&'a str>,
    /// The whole document, v2.
    pub doc_v2: &'a [u8],
    /// Its state vector, v1.
    pub state_vector: &'a [u8],
    /// The log position it covers; the log up to here is deleted with the write.
    pub upto_seq: i64,
    /// Who asked for it.
    pub created_by: Option<Uuid>,
}

impl Database {
    /// The stored state of a creative's document, read in one consistent snapshot of the
    /// database (a compaction committing in between cannot make the read miss updates).
    pub async fn stored_document(&self, creative_id: Uuid) -> Result<StoredDocument, DbError> {
        const SNAPSHOT: &str = "SELECT doc_v2, upto_seq FROM creative_snapshots WHERE creative_id = $1 \
                                ORDER BY upto_seq DESC, created_at DESC, id DESC LIMIT 1";
        const LOG: &str =
            "SELECT seq, update_v1 FROM creative_updates WHERE creative_id = $1 AND seq > $2 ORDER BY seq";
        let id = creative_id.to_string();
        macro_rules! read {
            ($tx:ident, $sql:path) => {{
                let snapshot = sqlx::query($sql(SNAPSHOT)).bind(&id).fetch_optional(&mut *$tx).await?;
                let (snapshot_v2, snapshot_upto) = match snapshot {
                    Some(row) => (Some(row.try_get::<Vec<u8>, _>(0)?), row.try_get::<i64, _>(1)?),
                    None => (None, 0),
                };
                let rows = sqlx::query($sql(LOG)).bind(&id).bind(snapshot_upto).fetch_all(&mut *$tx).await?;
                let mut doc =
                    StoredDocument { snapshot_v2, snapshot_upto, updates: Vec::new(), last_seq: snapshot_upto };
                for row in rows {
                    doc.last_seq = row.try_get(0)?;
                    doc.updates.push(row.try_get(1)?);
                }
                $tx.commit().await?;
                doc
            }};
        }
        Ok(match &self.pool {
            super::Pool::Sqlite(pool) => {
                // A deferred transaction reads one snapshot of the WAL database.
                let mut tx = pool.begin().await?;
                read!(tx, super::sqlite_sql)
            }
            super::Pool::Postgres(pool) => {
                let mut tx = pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
                read!(tx, super::pg_sql)
            }
        })
    }

    /// Appends updates to a creative's log at `first_seq`, `first_seq + 1`, … in one
    /// transaction (the relay's group commit).
    pub async fn append_updates(&self, creative_id: Uuid, first_seq: i64, updates: &[&[u8]]) -> Result<(), DbError> {
        const SQL: &str =
            "INSERT INTO creative_updates (creative_id, seq, update_v1, created_at) VALUES ($1, $2, $3, $4)";
        if updates.is_empty() {
            return Ok(());
        }
        let (id, now) = (creative_id.to_string(), now_ms());
        write_tx!(self, |tx, sql| {
            for (i, update) in updates.iter().enumerate() {
                let seq = first_seq + i64::try_from(i).unwrap_or(i64::MAX);
                sqlx::query(sql(SQL)).bind(&id).bind(seq).bind(*update).bind(now).execute(&mut *tx).await?;
            }
        });
        Ok(())
    }

    /// Writes a snapshot and deletes the log it covers, in one transaction; returns its id.
    pub async fn write_snapshot(&self, creative_id: Uuid, snapshot: NewSnapshot<'_>) -> Result<Uuid, DbError> {
        const INSERT: &str = "INSERT INTO creative_snapshots (id, creative_id, kind, name, doc_v2, state_vector, \
                              created_by, created_at, upto_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        const TRIM: &str = "DELETE FROM creative_updates WHERE creative_id = $1 AND seq <= $2";
        let sid = Uuid::now_v7();
        let (sid_s, id, by, now) =
            (sid.to_string(), creative_id.to_string(), snapshot.created_by.map(|u| u.to_string()), now_ms());
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(INSERT))
                .bind(&sid_s)
                .bind(&id)
                .bind(snapshot.kind)
                .bind(snapshot.name)
                .bind(snapshot.doc_v2)
                .bind(snapshot.state_vector)
                .bind(&by)
                .bind(now)
                .bind(snapshot.upto_seq)
                .execute(&mut *tx)
                .await?;
            sqlx::query(sql(TRIM)).bind(&id).bind(snapshot.upto_seq).execute(&mut *tx).await?;
        });
        Ok(sid)
    }

    /// A page of a creative's versions, newest first (`before`: an exclusive id bound).
    pub async fn list_versions(&self, creative_id: Uuid, before: &str, limit: i64) -> Result<Vec<Version>, DbError> {
        const SQL: &str = "SELECT id, kind, name, created_by, created_at, NULL AS doc_v2 FROM creative_snapshots \
                           WHERE creative_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
        let id = creative_id.to_string();
        let rows: Vec<VersionRow> = dual!(self, |pool, sql| sqlx::query_as(sql(SQL))
            .bind(&id)
            .bind(before)
            .bind(limit)
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(|r| r.into_version().map(|(v, _)| v)).collect()
    }

    /// One version of a creative with its document (v2).
    pub async fn version(&self, creative_id: Uuid, version_id: Uuid) -> Result<Option<(Version, Vec<u8>)>, DbError> {
        const SQL: &str = "SELECT id, kind, name, created_by, created_at, doc_v2 FROM creative_snapshots \
                           WHERE creative_id = $1 AND id = $2";
        let (id, vid) = (creative_id.to_string(), version_id.to_string());
        let row: Option<VersionRow> =
            dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&id).bind(&vid).fetch_optional(pool).await?);
        row.map(VersionRow::into_version).transpose()
    }
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    id: String,
    kind: String,
    name: Option<String>,
    created_by: Option<String>,
    created_at: i64,
    doc_v2: Option<Vec<u8>>,
}

impl VersionRow {
    fn into_version(self) -> Result<(Version, Vec<u8>), DbError> {
        let version = Version {
            id: parse_id(&self.id)?,
            kind: self.kind,
            name: self.name,
            created_by: self.created_by.as_deref().map(parse_id).transpose()?,
            created_at: self.created_at,
        };
        Ok((version, self.doc_v2.unwrap_or_default()))
    }
}
