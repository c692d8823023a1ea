//! Persistence: SQLite (the embedded default) or PostgreSQL through sqlx, without sqlx's `Any`
//! driver. One migration folder per dialect (`migrations/sqlite`, `migrations/postgres`);
//! `tests/storage.rs` checks that the two schemas agree and runs one storage story on both.
//!
//! Queries are written once with PostgreSQL's `$n` placeholders; for SQLite they become `?n`
//! (numbered parameters, which SQLite binds by index).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use uuid::Uuid;

/// Which database a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A connection pool on one of the two dialects.
#[derive(Clone, Debug)]
pub enum Pool {
    /// SQLite: WAL, synchronous=FULL, foreign keys on; writes use `BEGIN IMMEDIATE`.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// The database: a pool, and the short-lived cache of live sessions that every authenticated
/// request consults (see [`principals`]).
#[derive(Clone, Debug)]
pub struct Database {
    /// The connection pool.
    pub pool: Pool,
    sessions: std::sync::Arc<principals::SessionCache>,
}

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names no database we support.
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    /// A unique value is taken (e.g. an email).
    #[error("{0} is already taken")]
    Conflict(&'static str),
    /// Anything else from the driver (never shown to clients).
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// `$n` → `?n` for SQLite, rewritten once per query text and kept for the process's life
/// (queries are `'static` constants, so the cache is bounded by the code).
pub(crate) fn sqlite_sql(pg: &'static str) -> &'static str {
    static CACHE: LazyLock<Mutex<HashMap<&'static str, &'static str>>> = LazyLock::new(Default::default);
    if !pg.contains('$') {
        return pg;
    }
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    cache.entry(pg).or_insert_with(|| Box::leak(pg.replace('$', "?").into_boxed_str()))
}

/// PostgreSQL takes the query text as written.
pub(crate) fn pg_sql(pg: &'static str) -> &'static str {
    pg
}

/// A stored (TEXT) id as a [`Uuid`]; a malformed one is a decode error.
pub(crate) fn parse_id(s: &str) -> Result<Uuid, DbError> {
    Uuid::parse_str(s).map_err(|e| DbError::Sqlx(sqlx::Error::Decode(Box::new(e))))
}

/// Maps a unique-constraint violation to [`DbError::Conflict`].
pub(crate) fn conflict(e: sqlx::Error, what: &'static str) -> DbError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => DbError::Conflict(what),
        _ => DbError::Sqlx(e),
    }
}

/// The UTC calendar date (year, month 1–12, day 1–31) of `ms` since the Unix epoch (Howard
/// Hinnant's `civil_from_days`).
pub fn civil_date(ms: i64) -> (i64, u32, u32) {
    let z = ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // month is 1..=12 and day 1..=31 by construction.
    (year, month as u32, day as u32)
}

/// Milliseconds since the Unix epoch, UTC.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A stored account.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    /// UUIDv7.
    #[sqlx(try_from = "String")]
    pub id: Uuid,
    /// Lower-cased email.
    pub email: String,
    /// Argon2id PHC string; `None` for social-login-only accounts.
    pub password_hash: Option<String>,
    /// Name shown to teammates.
    pub display_name: String,
    /// When the email was verified.
    pub email_verified_at: Option<i64>,
    /// BCP 47 language tag.
    pub language: String,
    /// IANA time zone.
    pub timezone: String,
    /// Base32 TOTP secret, set while enrolling or enrolled.
    pub totp_secret: Option<String>,
    /// When MFA was switched on (`None`: off).
    pub totp_enabled_at: Option<i64>,
    /// The account's personal team.
    pub personal_team_id: Option<String>,
    /// Created, ms.
    pub created_at: i64,
}

/// An email waiting to be sent.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxEmail {
    /// UUIDv7.
    #[sqlx(try_from = "String")]
    pub id: Uuid,
    /// Address.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Delivery attempts so far.
    pub attempts: i64,
}

/// Runs `$body` with `$pool` bound to the pool of either dialect and `$sql` to the function
/// that turns a `$n` query text into that dialect's text. The body is type-checked once per
/// dialect, so it must only use what both drivers support (`String`, `i64`, `Option<…>`,
/// `Vec<u8>`, and row types deriving `sqlx::FromRow`).
macro_rules! dual {
    ($db:expr, |$pool:ident, $sql:ident| $body:expr) => {
        match &$db.pool {
            $crate::db::Pool::Sqlite($pool) => {
                let $sql = $crate::db::sqlite_sql;
                $body
            }
            $crate::db::Pool::Postgres($pool) => {
                let $sql = $crate::db::pg_sql;
                $body
            }
        }
    };
}

/// Like [`dual!`] inside a write transaction: `BEGIN IMMEDIATE` on SQLite (writers queue on the
/// busy timeout instead of failing to upgrade a read lock), a plain `BEGIN` on PostgreSQL. The
/// body's value is returned after the commit; a `?` inside it returns early and rolls back.
/// Use `&mut *$tx` as the executor.
macro_rules! write_tx {
    ($db:expr, |$tx:ident, $sql:ident| $body:expr) => {
        match &$db.pool {
            $crate::db::Pool::Sqlite(pool) => {
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let $sql = $crate::db::sqlite_sql;
                let out = $body;
                $tx.commit().await?;
                out
            }
            $crate::db::Pool::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let $sql = $crate::db::pg_sql;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}

mod accounts;
pub mod assets;
pub mod comments;
pub mod content;
pub mod credits;
pub mod housekeeping;
pub mod jobs;
pub mod keys;
mod membership;
pub mod notifications;
pub mod oidc;
pub mod principals;
pub mod relay;
mod sessions;
pub mod teams;
pub mod templates;
pub mod webhooks;

pub use sessions::NewSession;

impl Database {
    /// Connects to `url` and applies the migrations. SQLite files (and their folder) are
    /// created when missing.
    pub async fn connect(url: &str) -> Result<Database, DbError> {
        let pool = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            if let Some(parent) = options.get_filename().parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(|e| DbError::Sqlx(sqlx::Error::Io(e)))?;
            }
            // No ping before each acquire: it is a round trip per query (to the connection's worker
            // thread here, over the network for PostgreSQL), and a broken connection fails the
            // query anyway.
            Pool::Sqlite(
                SqlitePoolOptions::new().max_connections(4).test_before_acquire(false).connect_with(options).await?,
            )
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Pool::Postgres(PgPoolOptions::new().max_connections(16).test_before_acquire(false).connect(url).await?)
        } else {
            return Err(DbError::UnsupportedUrl(url.to_owned()));
        };
        let db = Database { pool, sessions: Default::default() };
        db.migrate().await?;
        Ok(db)
    }

    /// Applies pending migrations of this dialect.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match &self.pool {
            Pool::Sqlite(pool) => sqlx::migrate!("migrations/sqlite").run(pool).await?,
            Pool::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        match &self.pool {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
        }
    }

    /// A trivial query, for `/readyz`.
    pub async fn ping(&self) -> Result<(), DbError> {
        dual!(self, |pool, _sql| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }
}
