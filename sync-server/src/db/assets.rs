//! Uploaded assets: one row per (team, SHA-256 of the bytes); the bytes live in object storage
//! ([`crate::storage::AssetStore`]).

use uuid::Uuid;

use super::content::{Access, Listing};
use super::{Database, DbError, conflict, now_ms};
use crate::authz::Role;

/// A stored asset.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Asset {
    /// UUIDv7.
    #[sqlx(try_from = "String")]
    pub id: Uuid,
    /// The owning team.
    #[sqlx(try_from = "String")]
    pub team_id: Uuid,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    /// Sniffed media type.
    pub content_type: String,
    /// Size, bytes.
    pub byte_size: i64,
    /// Pixel width (images).
    pub width: Option<i64>,
    /// Pixel height (images).
    pub height: Option<i64>,
    /// The name it was uploaded under.
    pub filename: String,
    /// Uploader's user id.
    pub created_by: String,
    /// Uploaded, ms.
    pub created_at: i64,
    /// When it was deleted.
    pub deleted_at: Option<i64>,
}

/// A new asset's facts.
#[derive(Clone, Debug)]
pub struct NewAsset<'a> {
    /// The owning team.
    pub team_id: Uuid,
    /// Hex SHA-256.
    pub sha256: &'a str,
    /// Sniffed media type.
    pub content_type: &'a str,
    /// Size, bytes.
    pub byte_size: i64,
    /// Pixel width.
    pub width: Option<i64>,
    /// Pixel height.
    pub height: Option<i64>,
    /// The uploaded name.
    pub filename: &'a str,
    /// The uploader.
    pub created_by: Uuid,
}

/// What storing an upload did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stored {
    /// A new asset row.
    Created(Asset),
    /// The team already had these bytes (a deleted copy is brought back).
    Existing(Asset),
}

impl Database {
    /// Records an upload for a team, or returns the team's asset with the same bytes.
    pub async fn store_asset(&self, new: &NewAsset<'_>) -> Result<Stored, DbError> {
        const INSERT: &str = "INSERT INTO assets (id, team_id, sha256, content_type, byte_size, width, height, \
                              filename, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        const UNDELETE: &str = "UPDATE assets SET deleted_at = NULL WHERE team_id = $1 AND sha256 = $2 \
                                AND deleted_at IS NOT NULL";
        let team = new.team_id.to_string();
        // Bring back a deleted copy first: the bytes are the same, so is the asset.
        let undeleted = write_tx!(self, |tx, sql| sqlx::query(sql(UNDELETE))
            .bind(&team)
            .bind(new.sha256)
            .execute(&mut *tx)
            .await?
            .rows_affected());
        if undeleted == 0 {
            let asset = Asset {
                id: Uuid::now_v7(),
                team_id: new.team_id,
                sha256: new.sha256.to_owned(),
                content_type: new.content_type.to_owned(),
                byte_size: new.byte_size,
                width: new.width,
                height: new.height,
                filename: new.filename.to_owned(),
                created_by: new.created_by.to_string(),
                created_at: now_ms(),
                deleted_at: None,
            };
            let id = asset.id.to_string();
            let inserted: Result<(), DbError> = async {
                write_tx!(self, |tx, sql| {
                    sqlx::query(sql(INSERT))
                        .bind(&id)
                        .bind(&team)
                        .bind(&asset.sha256)
                        .bind(&asset.content_type)
                        .bind(asset.byte_size)
                        .bind(asset.width)
                        .bind(asset.height)
                        .bind(&asset.filename)
                        .bind(&asset.created_by)
                        .bind(asset.created_at)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| conflict(e, "asset"))?;
                });
                Ok(())
            }
            .await;
            match inserted {
                Ok(()) => return Ok(Stored::Created(asset)),
                // A concurrent upload of the same bytes won the race: use its row.
                Err(DbError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let existing = self.asset_by_hash(new.team_id, new.sha256).await?;
        existing.map(Stored::Existing).ok_or(DbError::Sqlx(sqlx::Error::RowNotFound))
    }

    /// The team's asset with these bytes, deleted or not.
    pub async fn asset_by_hash(&self, team_id: Uuid, sha256: &str) -> Result<Option<Asset>, DbError> {
        const SQL: &str = "SELECT id, team_id, sha256, content_type, byte_size, width, height, filename, created_by, \
                           created_at, deleted_at FROM assets WHERE team_id = $1 AND sha256 = $2";
        let team = team_id.to_string();
        Ok(dual!(self, |pool, sql| sqlx::query_as::<_, Asset>(sql(SQL))
            .bind(&team)
            .bind(sha256)
            .fetch_optional(pool)
            .await?))
    }

    /// A live asset of a live team with the caller's role; `None` when it is deleted, missing
    /// or the caller is not a member.
    pub async fn asset_access(&self, id: Uuid, user: Uuid) -> Result<Option<Access<Asset>>, DbError> {
        const SQL: &str = "SELECT a.id, a.team_id, a.sha256, a.content_type, a.byte_size, a.width, a.height, \
                           a.filename, a.created_by, a.created_at, a.deleted_at, m.role FROM assets a \
                           JOIN teams t ON t.id = a.team_id AND t.deleted_at IS NULL \
                           JOIN team_members m ON m.team_id = a.team_id AND m.user_id = $2 \
                           WHERE a.id = $1 AND a.deleted_at IS NULL";
        #[derive(sqlx::FromRow)]
        struct WithRoleRow {
            #[sqlx(flatten)]
            item: Asset,
            role: String,
        }
        let (id, user) = (id.to_string(), user.to_string());
        let row: Option<WithRoleRow> =
            dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&id).bind(&user).fetch_optional(pool).await?);
        Ok(row.map(|r| Access { team_id: r.item.team_id, role: Role::parse(&r.role), item: r.item }))
    }

    /// Whether `id` is a live asset of `team_id`.
    pub async fn team_has_asset(&self, team_id: Uuid, id: Uuid) -> Result<bool, DbError> {
        const SQL: &str = "SELECT id FROM assets WHERE id = $1 AND team_id = $2 AND deleted_at IS NULL";
        let (id, team) = (id.to_string(), team_id.to_string());
        let found: Option<String> =
            dual!(self, |pool, sql| sqlx::query_scalar(sql(SQL)).bind(&id).bind(&team).fetch_optional(pool).await?);
        Ok(found.is_some())
    }

    /// A page of a team's live assets, newest first.
    pub async fn list_assets(&self, team_id: Uuid, before: &str, limit: i64) -> Result<Vec<Asset>, DbError> {
        const SQL: &str = "SELECT id, team_id, sha256, content_type, byte_size, width, height, filename, created_by, \
                           created_at, deleted_at FROM assets WHERE team_id = $1 AND deleted_at IS NULL AND id < $2 \
                           ORDER BY id DESC LIMIT $3";
        self.page(SQL, team_id, before, limit, Listing::Live).await
    }

    /// Deletes a live asset (soft); whether it changed.
    pub async fn delete_asset(&self, id: Uuid) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE assets SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL";
        let (id, now) = (id.to_string(), now_ms());
        let affected = write_tx!(self, |tx, sql| sqlx::query(sql(SQL))
            .bind(&id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected());
        Ok(affected == 1)
    }
}
