//! Workbenches → projects → creatives (a creative's first snapshot is written with it; the
//! relay's log and later snapshots live in [`super::relay`]).
//!
//! Each `*_access` lookup loads a live resource together with the caller's role in the team that
//! owns it, in one query: `None` when the resource does not exist, sits in a deleted parent or
//! team, or the caller is not a member — all of which the API answers with 404. Deleted items
//! themselves are returned (with `deleted_at` set) so restore can find them.
//!
//! Lists are keyset-paginated on the UUIDv7 id, newest first: `before` is an exclusive upper
//! bound ([`FIRST_PAGE`] for the first page).

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use super::{Database, DbError, now_ms, parse_id};
use crate::authz::Role;

/// The `before` bound of a first page: above every UUID string.
pub const FIRST_PAGE: &str = "ffffffff-ffff-ffff-ffff-ffffffffffff";

/// How long deleted items stay restorable, ms (30 days).
pub const RESTORE_WINDOW_MS: i64 = 30 * 86_400_000;

/// Which items a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing {
    /// Items that are not deleted.
    Live,
    /// Items deleted within the restore window (the trash).
    Trash,
}

/// A stored workbench.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Workbench {
    /// UUIDv7.
    #[sqlx(try_from = "String")]
    pub id: Uuid,
    /// The owning team.
    #[sqlx(try_from = "String")]
    pub team_id: Uuid,
    /// Name.
    pub name: String,
    /// Description (may be empty).
    pub description: String,
    /// The brand kit, JSON.
    pub brand_kit: String,
    /// Creator's user id.
    pub created_by: String,
    /// Created, ms.
    pub created_at: i64,
    /// Last changed, ms.
    pub updated_at: i64,
    /// When it was put in the trash.
    pub deleted_at: Option<i64>,
}

/// A stored project.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Project {
    /// UUIDv7.
    #[sqlx(try_from = "String")]
    pub id: Uuid,
    /// The workbench it belongs to.
    #[sqlx(try_from = "String")]
    pub workbench_id: Uuid,
    /// Name.
    pub name: String,
    /// Description (may be empty).
    pub description: String,
    /// Creator's user id.
    pub created_by: String,
    /// Created, ms.
    pub created_at: i64,
    /// Last changed, ms.
    pub updated_at: i64,
    /// When it was put in the trash.
    pub deleted_at: Option<i64>,
}

/// A stored creative (its document lives in snapshots and the relay's update log).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Creative {
    /// UUIDv7.
    #[sqlx(try_from = "String")]
    pub id: Uuid,
    /// The project it belongs to.
    #[sqlx(try_from = "String")]
    pub project_id: Uuid,
    /// Name.
    pub name: String,
    /// Canvas width, px.
    pub width: i64,
    /// Canvas height, px.
    pub height: i64,
    /// `draft`, …
    pub approval_status: String,
    /// Creator's user id.
    pub created_by: String,
    /// Created, ms.
    pub created_at: i64,
    /// Last changed, ms.
    pub updated_at: i64,
    /// When it was put in the trash.
    pub deleted_at: Option<i64>,
    /// Where its thumbnail comes from: `sample:<sha256>` (a generation sample's preview in the
    /// asset store) or `template:<archetype id>`; `None` for none.
    pub thumbnail: Option<String>,
}

/// A resource with the owning team and the caller's role there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access<T> {
    /// The resource.
    pub item: T,
    /// The team that owns it.
    pub team_id: Uuid,
    /// The caller's role in that team.
    pub role: Option<Role>,
}

#[derive(sqlx::FromRow)]
struct WithRole<T> {
    #[sqlx(flatten)]
    item: T,
    team_id: String,
    role: String,
}

impl<T> WithRole<T> {
    fn into_access(self) -> Result<Access<T>, DbError> {
        let team_id = parse_id(&self.team_id)?;
        Ok(Access { item: self.item, team_id, role: Role::parse(&self.role) })
    }
}

/// What a new creative starts with.
#[derive(Clone, Debug)]
pub struct NewCreative<'a> {
    /// The project.
    pub project_id: Uuid,
    /// Name.
    pub name: &'a str,
    /// Canvas width, px.
    pub width: u32,
    /// Canvas height, px.
    pub height: u32,
    /// The creator.
    pub created_by: Uuid,
    /// The initial document, a Yjs v2 update.
    pub doc_v2: Vec<u8>,
    /// Its state vector (v1).
    pub state_vector: Vec<u8>,
    /// Its thumbnail reference (see [`Creative::thumbnail`]).
    pub thumbnail: Option<String>,
}

/// A type readable from rows of both drivers.
pub(crate) trait Row:
    Send + Unpin + for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow>
{
}
impl<T: Send + Unpin + for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow>> Row for T {}

impl Database {
    /// One page of a list: `query` takes `$1` parent id, `$2` the exclusive id bound, `$3` the
    /// limit and, for the trash, `$4` the oldest deletion time still shown.
    pub(crate) async fn page<T: Row>(
        &self,
        query: &'static str,
        parent: Uuid,
        before: &str,
        limit: i64,
        listing: Listing,
    ) -> Result<Vec<T>, DbError> {
        let parent = parent.to_string();
        let cutoff = now_ms() - RESTORE_WINDOW_MS;
        Ok(dual!(self, |pool, sql| {
            let q = sqlx::query_as::<_, T>(sql(query)).bind(&parent).bind(before).bind(limit);
            let q = if listing == Listing::Trash { q.bind(cutoff) } else { q };
            q.fetch_all(pool).await?
        }))
    }

    /// Sets or clears `deleted_at` on one row of `table`'s soft-delete statements: deleting
    /// only affects a live row, restoring only a row deleted within the restore window.
    /// Returns whether a row changed.
    async fn soft_delete(
        &self,
        delete: &'static str,
        restore: &'static str,
        id: Uuid,
        deleted: bool,
    ) -> Result<bool, DbError> {
        let (id, now) = (id.to_string(), now_ms());
        let cutoff = now - RESTORE_WINDOW_MS;
        let affected = write_tx!(self, |tx, sql| {
            let q = if deleted {
                sqlx::query(sql(delete)).bind(&id).bind(now)
            } else {
                sqlx::query(sql(restore)).bind(&id).bind(now).bind(cutoff)
            };
            q.execute(&mut *tx).await?.rows_affected()
        });
        Ok(affected == 1)
    }

    // ------------------------------------------------------------------ workbenches

    /// Creates a workbench in `team_id`.
    pub async fn create_workbench(
        &self,
        team_id: Uuid,
        name: &str,
        description: &str,
        brand_kit: &str,
        created_by: Uuid,
    ) -> Result<Workbench, DbError> {
        const SQL: &str = "INSERT INTO workbenches (id, team_id, name, description, brand_kit, created_by, \
                           created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)";
        let now = now_ms();
        let w = Workbench {
            id: Uuid::now_v7(),
            team_id,
            name: name.to_owned(),
            description: description.to_owned(),
            brand_kit: brand_kit.to_owned(),
            created_by: created_by.to_string(),
            created_at: now,
            updated_at: now,
            deleted_at: None,
        };
        let (id, team) = (w.id.to_string(), team_id.to_string());
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(SQL))
                .bind(&id)
                .bind(&team)
                .bind(&w.name)
                .bind(&w.description)
                .bind(&w.brand_kit)
                .bind(&w.created_by)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        });
        Ok(w)
    }

    /// A workbench of a live team with the caller's role (see the module docs).
    pub async fn workbench_access(&self, id: Uuid, user: Uuid) -> Result<Option<Access<Workbench>>, DbError> {
        const SQL: &str = "SELECT w.id, w.team_id, w.name, w.description, w.brand_kit, w.created_by, w.created_at, \
                           w.updated_at, w.deleted_at, m.role FROM workbenches w \
                           JOIN teams t ON t.id = w.team_id AND t.deleted_at IS NULL \
                           JOIN team_members m ON m.team_id = w.team_id AND m.user_id = $2 WHERE w.id = $1";
        #[derive(sqlx::FromRow)]
        struct WithRoleRow {
            #[sqlx(flatten)]
            item: Workbench,
            role: String,
        }
        let (id, user) = (id.to_string(), user.to_string());
        let row: Option<WithRoleRow> =
            dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&id).bind(&user).fetch_optional(pool).await?);
        Ok(row.map(|r| Access { team_id: r.item.team_id, role: Role::parse(&r.role), item: r.item }))
    }

    /// A page of a team's workbenches (live or trash), newest first.
    pub async fn list_workbenches(
        &self,
        team_id: Uuid,
        listing: Listing,
        before: &str,
        limit: i64,
    ) -> Result<Vec<Workbench>, DbError> {
        const LIVE: &str = "SELECT id, team_id, name, description, brand_kit, created_by, created_at, updated_at, \
                            deleted_at FROM workbenches WHERE team_id = $1 AND deleted_at IS NULL AND id < $2 \
                            ORDER BY id DESC LIMIT $3";
        const TRASH: &str = "SELECT id, team_id, name, description, brand_kit, created_by, created_at, updated_at, \
                             deleted_at FROM workbenches WHERE team_id = $1 AND deleted_at >= $4 AND id < $2 \
                             ORDER BY id DESC LIMIT $3";
        let query = if listing == Listing::Live { LIVE } else { TRASH };
        self.page(query, team_id, before, limit, listing).await
    }

    /// Changes the given fields of a live workbench; `None` if it is gone.
    pub async fn update_workbench(
        &self,
        id: Uuid,
        name: Option<&str>,
        description: Option<&str>,
        brand_kit: Option<&str>,
    ) -> Result<Option<Workbench>, DbError> {
        const SQL: &str = "UPDATE workbenches SET name = COALESCE($2, name), description = COALESCE($3, description), \
                           brand_kit = COALESCE($4, brand_kit), updated_at = $5 WHERE id = $1 AND deleted_at IS NULL \
                           RETURNING id, team_id, name, description, brand_kit, created_by, created_at, updated_at, \
                           deleted_at";
        let id = id.to_string();
        let now = now_ms();
        Ok(write_tx!(self, |tx, sql| sqlx::query_as::<_, Workbench>(sql(SQL))
            .bind(&id)
            .bind(name)
            .bind(description)
            .bind(brand_kit)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?))
    }

    /// Moves a live workbench to the trash (`deleted` true) or restores one deleted within the
    /// restore window (`deleted` false). Whether it changed.
    pub async fn set_workbench_deleted(&self, id: Uuid, deleted: bool) -> Result<bool, DbError> {
        const DELETE: &str =
            "UPDATE workbenches SET deleted_at = $2, updated_at = $2 WHERE id = $1 AND deleted_at IS NULL";
        const RESTORE: &str =
            "UPDATE workbenches SET deleted_at = NULL, updated_at = $2 WHERE id = $1 AND deleted_at >= $3";
        self.soft_delete(DELETE, RESTORE, id, deleted).await
    }

    // ------------------------------------------------------------------ projects

    /// Creates a project in a workbench.
    pub async fn create_project(
        &self,
        workbench_id: Uuid,
        name: &str,
        description: &str,
        created_by: Uuid,
    ) -> Result<Project, DbError> {
        const SQL: &str = "INSERT INTO projects (id, workbench_id, name, description, created_by, created_at, \
                           updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)";
        let now = now_ms();
        let p = Project {
            id: Uuid::now_v7(),
            workbench_id,
            name: name.to_owned(),
            description: description.to_owned(),
            created_by: created_by.to_string(),
            created_at: now,
            updated_at: now,
            deleted_at: None,
        };
        let (id, workbench) = (p.id.to_string(), workbench_id.to_string());
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(SQL))
                .bind(&id)
                .bind(&workbench)
                .bind(&p.name)
                .bind(&p.description)
                .bind(&p.created_by)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        });
        Ok(p)
    }

    /// A project in a live workbench with the caller's role (see the module docs).
    pub async fn project_access(&self, id: Uuid, user: Uuid) -> Result<Option<Access<Project>>, DbError> {
        const SQL: &str = "SELECT p.id, p.workbench_id, p.name, p.description, p.created_by, p.created_at, \
                           p.updated_at, p.deleted_at, w.team_id, m.role FROM projects p \
                           JOIN workbenches w ON w.id = p.workbench_id AND w.deleted_at IS NULL \
                           JOIN teams t ON t.id = w.team_id AND t.deleted_at IS NULL \
                           JOIN team_members m ON m.team_id = w.team_id AND m.user_id = $2 WHERE p.id = $1";
        let (id, user) = (id.to_string(), user.to_string());
        let row: Option<WithRole<Project>> =
            dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&id).bind(&user).fetch_optional(pool).await?);
        row.map(WithRole::into_access).transpose()
    }

    /// A page of a live workbench's projects together with the caller's role, in one query
    /// (the hot path of the API: a list is the most frequent request). `None` when the caller
    /// cannot see the workbench (not a member, or it or its team is deleted).
    pub async fn list_projects_as(
        &self,
        workbench_id: Uuid,
        user: Uuid,
        listing: Listing,
        before: &str,
        limit: i64,
    ) -> Result<Option<(Option<Role>, Vec<Project>)>, DbError> {
        // The LEFT JOIN keeps the workbench row when the page is empty, so "no projects" and
        // "no access" stay distinguishable.
        const LIVE: &str = "SELECT m.role, p.id, p.workbench_id, p.name, p.description, p.created_by, \
                            p.created_at, p.updated_at, p.deleted_at FROM workbenches w \
                            JOIN teams t ON t.id = w.team_id AND t.deleted_at IS NULL \
                            JOIN team_members m ON m.team_id = w.team_id AND m.user_id = $2 \
                            LEFT JOIN projects p ON p.workbench_id = w.id AND p.deleted_at IS NULL AND p.id < $3 \
                            WHERE w.id = $1 AND w.deleted_at IS NULL ORDER BY p.id DESC LIMIT $4";
        const TRASH: &str = "SELECT m.role, p.id, p.workbench_id, p.name, p.description, p.created_by, \
                             p.created_at, p.updated_at, p.deleted_at FROM workbenches w \
                             JOIN teams t ON t.id = w.team_id AND t.deleted_at IS NULL \
                             JOIN team_members m ON m.team_id = w.team_id AND m.user_id = $2 \
                             LEFT JOIN projects p ON p.workbench_id = w.id AND p.deleted_at >= $5 AND p.id < $3 \
                             WHERE w.id = $1 AND w.deleted_at IS NULL ORDER BY p.id DESC LIMIT $4";
        #[derive(sqlx::FromRow)]
        struct Row {
            role: String,
            id: Option<String>,
            workbench_id: Option<String>,
            name: Option<String>,
            description: Option<String>,
            created_by: Option<String>,
            created_at: Option<i64>,
            updated_at: Option<i64>,
            deleted_at: Option<i64>,
        }
        let (wb, user) = (workbench_id.to_string(), user.to_string());
        let cutoff = now_ms() - RESTORE_WINDOW_MS;
        let query = if listing == Listing::Live { LIVE } else { TRASH };
        let rows: Vec<Row> = dual!(self, |pool, sql| {
            let q = sqlx::query_as(sql(query)).bind(&wb).bind(&user).bind(before).bind(limit);
            let q = if listing == Listing::Trash { q.bind(cutoff) } else { q };
            q.fetch_all(pool).await?
        });
        let Some(first) = rows.first() else { return Ok(None) };
        let role = Role::parse(&first.role);
        let mut projects = Vec::with_capacity(rows.len());
        for r in rows {
            let (
                Some(id),
                Some(workbench_id),
                Some(name),
                Some(description),
                Some(created_by),
                Some(created_at),
                Some(updated_at),
            ) = (r.id, r.workbench_id, r.name, r.description, r.created_by, r.created_at, r.updated_at)
            else {
                continue; // the empty page's lone workbench row
            };
            projects.push(Project {
                id: parse_id(&id)?,
                workbench_id: parse_id(&workbench_id)?,
                name,
                description,
                created_by,
                created_at,
                updated_at,
                deleted_at: r.deleted_at,
            });
        }
        Ok(Some((role, projects)))
    }

    /// Changes the given fields of a live project; `None` if it is gone.
    pub async fn update_project(
        &self,
        id: Uuid,
        name: Option<&str>,
        description: Option<&str>,
    ) -> Result<Option<Project>, DbError> {
        const SQL: &str = "UPDATE projects SET name = COALESCE($2, name), description = COALESCE($3, description), \
                           updated_at = $4 WHERE id = $1 AND deleted_at IS NULL RETURNING id, workbench_id, name, \
                           description, created_by, created_at, updated_at, deleted_at";
        let id = id.to_string();
        let now = now_ms();
        Ok(write_tx!(self, |tx, sql| sqlx::query_as::<_, Project>(sql(SQL))
            .bind(&id)
            .bind(name)
            .bind(description)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?))
    }

    /// Trash or restore a project (see [`Database::set_workbench_deleted`]).
    pub async fn set_project_deleted(&self, id: Uuid, deleted: bool) -> Result<bool, DbError> {
        const DELETE: &str =
            "UPDATE projects SET deleted_at = $2, updated_at = $2 WHERE id = $1 AND deleted_at IS NULL";
        const RESTORE: &str =
            "UPDATE projects SET deleted_at = NULL, updated_at = $2 WHERE id = $1 AND deleted_at >= $3";
        self.soft_delete(DELETE, RESTORE, id, deleted).await
    }

    // ------------------------------------------------------------------ creatives

    /// Creates a creative and stores its document as the `initial` snapshot, in one transaction.
    pub async fn create_creative(&self, new: NewCreative<'_>) -> Result<Creative, DbError> {
        const CREATIVE: &str = "INSERT INTO creatives (id, project_id, name, width, height, approval_status, \
                                created_by, created_at, updated_at, thumbnail) \
                                VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $7, $8)";
        let now = now_ms();
        let c = Creative {
            id: Uuid::now_v7(),
            project_id: new.project_id,
            name: new.name.to_owned(),
            width: i64::from(new.width),
            height: i64::from(new.height),
            approval_status: "draft".into(),
            created_by: new.created_by.to_string(),
            created_at: now,
            updated_at: now,
            deleted_at: None,
            thumbnail: new.thumbnail.clone(),
        };
        let (id, project) = (c.id.to_string(), new.project_id.to_string());
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(CREATIVE))
                .bind(&id)
                .bind(&project)
                .bind(&c.name)
                .bind(c.width)
                .bind(c.height)
                .bind(&c.created_by)
                .bind(now)
                .bind(&c.thumbnail)
                .execute(&mut *tx)
                .await?;
            sqlx::query(sql(INSERT_SNAPSHOT))
                .bind(Uuid::now_v7().to_string())
                .bind(&id)
                .bind("initial")
                .bind(None::<String>)
                .bind(&new.doc_v2)
                .bind(&new.state_vector)
                .bind(&c.created_by)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        });
        Ok(c)
    }

    /// A creative in a live project and workbench with the caller's role (see the module docs).
    pub async fn creative_access(&self, id: Uuid, user: Uuid) -> Result<Option<Access<Creative>>, DbError> {
        const SQL: &str = "SELECT c.id, c.project_id, c.name, c.width, c.height, c.approval_status, c.created_by, \
                           c.created_at, c.updated_at, c.deleted_at, c.thumbnail, w.team_id, m.role FROM creatives c \
                           JOIN projects p ON p.id = c.project_id AND p.deleted_at IS NULL \
                           JOIN workbenches w ON w.id = p.workbench_id AND w.deleted_at IS NULL \
                           JOIN teams t ON t.id = w.team_id AND t.deleted_at IS NULL \
                           JOIN team_members m ON m.team_id = w.team_id AND m.user_id = $2 WHERE c.id = $1";
        let (id, user) = (id.to_string(), user.to_string());
        let row: Option<WithRole<Creative>> =
            dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&id).bind(&user).fetch_optional(pool).await?);
        row.map(WithRole::into_access).transpose()
    }

    /// A page of a project's creatives (live or trash), newest first.
    pub async fn list_creatives(
        &self,
        project_id: Uuid,
        listing: Listing,
        before: &str,
        limit: i64,
    ) -> Result<Vec<Creative>, DbError> {
        const LIVE: &str = "SELECT id, project_id, name, width, height, approval_status, created_by, created_at, \
                            updated_at, deleted_at, thumbnail FROM creatives WHERE project_id = $1 AND deleted_at IS NULL \
                            AND id < $2 ORDER BY id DESC LIMIT $3";
        const TRASH: &str = "SELECT id, project_id, name, width, height, approval_status, created_by, created_at, \
                             updated_at, deleted_at, thumbnail FROM creatives WHERE project_id = $1 AND deleted_at >= $4 \
                             AND id < $2 ORDER BY id DESC LIMIT $3";
        let query = if listing == Listing::Live { LIVE } else { TRASH };
        self.page(query, project_id, before, limit, listing).await
    }

    /// Renames a live creative; `None` if it is gone.
    pub async fn update_creative(&self, id: Uuid, name: Option<&str>) -> Result<Option<Creative>, DbError> {
        const SQL: &str = "UPDATE creatives SET name = COALESCE($2, name), updated_at = $3 \
                           WHERE id = $1 AND deleted_at IS NULL RETURNING id, project_id, name, width, height, \
                           approval_status, created_by, created_at, updated_at, deleted_at, thumbnail";
        let id = id.to_string();
        let now = now_ms();
        Ok(write_tx!(self, |tx, sql| sqlx::query_as::<_, Creative>(sql(SQL))
            .bind(&id)
            .bind(name)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?))
    }

    /// Trash or restore a creative (see [`Database::set_workbench_deleted`]).
    pub async fn set_creative_deleted(&self, id: Uuid, deleted: bool) -> Result<bool, DbError> {
        const DELETE: &str =
            "UPDATE creatives SET deleted_at = $2, updated_at = $2 WHERE id = $1 AND deleted_at IS NULL";
        const RESTORE: &str =
            "UPDATE creatives SET deleted_at = NULL, updated_at = $2 WHERE id = $1 AND deleted_at >= $3";
        self.soft_delete(DELETE, RESTORE, id, deleted).await
    }

    /// The live creatives of `team`'s live projects and workbenches, most recently changed first
    /// (`updated_at` here also counts the relay's last logged edit), at most `limit`.
    pub async fn recent_creatives(&self, team: Uuid, limit: i64) -> Result<Vec<Creative>, DbError> {
        const SQL: &str = "SELECT c.id, c.project_id, c.name, c.width, c.height, c.approval_status, c.created_by, \
                           c.created_at, CASE WHEN COALESCE((SELECT MAX(u.created_at) FROM creative_updates u \
                           WHERE u.creative_id = c.id), 0) > c.updated_at THEN (SELECT MAX(u.created_at) \
                           FROM creative_updates u WHERE u.creative_id = c.id) ELSE c.updated_at END AS updated_at, \
                           c.deleted_at, c.thumbnail FROM creatives c \
                           JOIN projects p ON p.id = c.project_id AND p.deleted_at IS NULL \
                           JOIN workbenches w ON w.id = p.workbench_id AND w.deleted_at IS NULL \
                           WHERE w.team_id = $1 AND c.deleted_at IS NULL ORDER BY 9 DESC, c.id DESC LIMIT $2";
        let team = team.to_string();
        Ok(dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&team).bind(limit).fetch_all(pool).await?))
    }

    // ------------------------------------------------------------------ snapshots
}

const INSERT_SNAPSHOT: &str = "INSERT INTO creative_snapshots (id, creative_id, kind, name, doc_v2, state_vector, \
                               created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
