//! Periodic clean-up: items in the trash longer than the restore window are deleted for good
//! (children go with their parents through `ON DELETE CASCADE`), and spent credentials — ended
//! sessions, used or expired mailed tokens, stale OIDC states — are dropped.

use super::content::RESTORE_WINDOW_MS;
use super::{Database, DbError, now_ms};

/// What one pass removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    /// Teams, workbenches, projects, creatives and assets purged from the trash.
    pub purged: u64,
    /// Hashes of purged assets that no remaining asset row uses: their bytes can go.
    pub orphaned_blobs: Vec<String>,
    /// Sessions, tokens and states dropped.
    pub expired_credentials: u64,
}

/// Sessions and tokens are kept this long after they end, for the session list and audits.
const CREDENTIAL_GRACE_MS: i64 = 7 * 86_400_000;

impl Database {
    /// One clean-up pass at time `now` (ms).
    pub async fn sweep(&self, now: i64) -> Result<Swept, DbError> {
        const PURGE: [&str; 4] = [
            "DELETE FROM teams WHERE deleted_at IS NOT NULL AND deleted_at < $1",
            "DELETE FROM workbenches WHERE deleted_at IS NOT NULL AND deleted_at < $1",
            "DELETE FROM projects WHERE deleted_at IS NOT NULL AND deleted_at < $1",
            "DELETE FROM creatives WHERE deleted_at IS NOT NULL AND deleted_at < $1",
        ];
        const DEAD_ASSETS: &str = "SELECT DISTINCT sha256 FROM assets WHERE deleted_at IS NOT NULL AND deleted_at < $1";
        const PURGE_ASSETS: &str = "DELETE FROM assets WHERE deleted_at IS NOT NULL AND deleted_at < $1";
        const STILL_USED: &str = "SELECT COUNT(*) FROM assets WHERE sha256 = $1";
        const CREDENTIALS: [&str; 4] = [
            "DELETE FROM sessions WHERE (revoked_at IS NOT NULL AND revoked_at < $1) OR expires_at < $1",
            "DELETE FROM one_time_tokens WHERE expires_at < $1",
            "DELETE FROM oidc_states WHERE created_at < $1",
            "DELETE FROM invitations WHERE expires_at < $1 OR (revoked_at IS NOT NULL AND revoked_at < $1)",
        ];
        let cutoff = now - RESTORE_WINDOW_MS;
        let credential_cutoff = now - CREDENTIAL_GRACE_MS;
        let mut swept = Swept::default();
        write_tx!(self, |tx, sql| {
            for q in PURGE {
                swept.purged += sqlx::query(sql(q)).bind(cutoff).execute(&mut *tx).await?.rows_affected();
            }
            let hashes: Vec<String> = sqlx::query_scalar(sql(DEAD_ASSETS)).bind(cutoff).fetch_all(&mut *tx).await?;
            swept.purged += sqlx::query(sql(PURGE_ASSETS)).bind(cutoff).execute(&mut *tx).await?.rows_affected();
            for hash in hashes {
                let users: i64 = sqlx::query_scalar(sql(STILL_USED)).bind(&hash).fetch_one(&mut *tx).await?;
                if users == 0 {
                    swept.orphaned_blobs.push(hash);
                }
            }
            for q in CREDENTIALS {
                swept.expired_credentials +=
                    sqlx::query(sql(q)).bind(credential_cutoff).execute(&mut *tx).await?.rows_affected();
            }
        });
        Ok(swept)
    }

    /// [`Database::sweep`] now.
    pub async fn sweep_now(&self) -> Result<Swept, DbError> {
        self.sweep(now_ms()).await
    }
}
