//! Team membership lookups shared by every endpoint family.

use uuid::Uuid;

use super::{Database, DbError};
use crate::authz::Role;

impl Database {
    /// The caller's role in a live (not deleted) team, `None` if not a member.
    pub async fn role_in_team(&self, team_id: Uuid, user_id: Uuid) -> Result<Option<Role>, DbError> {
        const SQL: &str = "SELECT m.role FROM team_members m JOIN teams t ON t.id = m.team_id \
                           WHERE m.team_id = $1 AND m.user_id = $2 AND t.deleted_at IS NULL";
        let (team, user) = (team_id.to_string(), user_id.to_string());
        let role: Option<String> =
            dual!(self, |pool, sql| sqlx::query_scalar(sql(SQL)).bind(&team).bind(&user).fetch_optional(pool).await?);
        Ok(role.as_deref().and_then(Role::parse))
    }
}
