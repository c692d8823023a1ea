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

use sqlx::Row;
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
pub enum Database {
    /// SQLite: WAL, synchronous=FULL, foreign keys on; writes use `BEGIN IMMEDIATE`.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
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
fn sqlite_sql(pg: &'static str) -> &'static str {
    static CACHE: LazyLock<Mutex<HashMap<&'static str, &'static str>>> = LazyLock::new(Default::default);
    if !pg.contains('$') {
        return pg;
    }
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    cache.entry(pg).or_insert_with(|| Box::leak(pg.replace('$', "?").into_boxed_str()))
}

fn conflict(e: sqlx::Error, what: &'static str) -> DbError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => DbError::Conflict(what),
        _ => DbError::Sqlx(e),
    }
}

/// Milliseconds since the Unix epoch, UTC.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A stored account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// UUIDv7.
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
    /// Created, ms.
    pub created_at: i64,
}

/// An email waiting to be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEmail {
    /// UUIDv7.
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

macro_rules! on_both {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            Database::Sqlite($pool) => $body,
            Database::Postgres($pool) => $body,
        }
    };
}

impl Database {
    /// Connects to `url` and applies the migrations. SQLite files (and their folder) are
    /// created when missing.
    pub async fn connect(url: &str) -> Result<Database, DbError> {
        let db = if url.starts_with("sqlite:") {
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
            Database::Sqlite(SqlitePoolOptions::new().max_connections(8).connect_with(options).await?)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Database::Postgres(PgPoolOptions::new().max_connections(16).connect(url).await?)
        } else {
            return Err(DbError::UnsupportedUrl(url.to_owned()));
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Applies pending migrations of this dialect.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self {
            Database::Sqlite(pool) => sqlx::migrate!("migrations/sqlite").run(pool).await?,
            Database::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        match self {
            Database::Sqlite(_) => Dialect::Sqlite,
            Database::Postgres(_) => Dialect::Postgres,
        }
    }

    /// A trivial query, for `/readyz`.
    pub async fn ping(&self) -> Result<(), DbError> {
        on_both!(self, pool => { sqlx::query("SELECT 1").execute(pool).await?; });
        Ok(())
    }

    /// Creates an account; the email is stored lower-cased and must be unused.
    pub async fn create_user(
        &self,
        email: &str,
        password_hash: Option<&str>,
        display_name: &str,
    ) -> Result<User, DbError> {
        const SQL: &str = "INSERT INTO users (id, email, password_hash, display_name, created_at, updated_at) \
                           VALUES ($1, $2, $3, $4, $5, $5)";
        let user = User {
            id: Uuid::now_v7(),
            email: email.trim().to_lowercase(),
            password_hash: password_hash.map(str::to_owned),
            display_name: display_name.to_owned(),
            email_verified_at: None,
            language: "en-US".into(),
            timezone: "UTC".into(),
            created_at: now_ms(),
        };
        let id = user.id.to_string();
        match self {
            Database::Sqlite(pool) => {
                // SQLite writes take the write lock up front, so concurrent writers queue on
                // busy_timeout instead of failing to upgrade a read lock.
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                sqlx::query(sqlite_sql(SQL))
                    .bind(&id)
                    .bind(&user.email)
                    .bind(&user.password_hash)
                    .bind(&user.display_name)
                    .bind(user.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| conflict(e, "email"))?;
                tx.commit().await?;
            }
            Database::Postgres(pool) => {
                sqlx::query(SQL)
                    .bind(&id)
                    .bind(&user.email)
                    .bind(&user.password_hash)
                    .bind(&user.display_name)
                    .bind(user.created_at)
                    .execute(pool)
                    .await
                    .map_err(|e| conflict(e, "email"))?;
            }
        }
        Ok(user)
    }

    /// The account with `email` (any case).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, DbError> {
        const SQL: &str = "SELECT id, email, password_hash, display_name, email_verified_at, language, timezone, \
                           created_at FROM users WHERE email = $1";
        let email = email.trim().to_lowercase();
        macro_rules! read {
            ($row:expr) => {{
                let row = $row;
                let id: String = row.try_get("id")?;
                User {
                    id: Uuid::parse_str(&id).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                    email: row.try_get("email")?,
                    password_hash: row.try_get("password_hash")?,
                    display_name: row.try_get("display_name")?,
                    email_verified_at: row.try_get("email_verified_at")?,
                    language: row.try_get("language")?,
                    timezone: row.try_get("timezone")?,
                    created_at: row.try_get("created_at")?,
                }
            }};
        }
        Ok(match self {
            Database::Sqlite(pool) => match sqlx::query(sqlite_sql(SQL)).bind(&email).fetch_optional(pool).await? {
                Some(row) => Some(read!(row)),
                None => None,
            },
            Database::Postgres(pool) => match sqlx::query(SQL).bind(&email).fetch_optional(pool).await? {
                Some(row) => Some(read!(row)),
                None => None,
            },
        })
    }

    /// Queues an email; the sender picks it up, so a crash never drops one.
    pub async fn enqueue_email(&self, recipient: &str, subject: &str, body: &str) -> Result<Uuid, DbError> {
        const SQL: &str =
            "INSERT INTO email_outbox (id, recipient, subject, body, created_at) VALUES ($1, $2, $3, $4, $5)";
        let id = Uuid::now_v7();
        let (sid, now) = (id.to_string(), now_ms());
        match self {
            Database::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                sqlx::query(sqlite_sql(SQL))
                    .bind(&sid)
                    .bind(recipient)
                    .bind(subject)
                    .bind(body)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            Database::Postgres(pool) => {
                sqlx::query(SQL).bind(&sid).bind(recipient).bind(subject).bind(body).bind(now).execute(pool).await?;
            }
        }
        Ok(id)
    }

    /// Unsent emails, oldest first.
    pub async fn unsent_emails(&self, limit: i64) -> Result<Vec<OutboxEmail>, DbError> {
        const SQL: &str = "SELECT id, recipient, subject, body, attempts FROM email_outbox \
                           WHERE sent_at IS NULL ORDER BY created_at, id LIMIT $1";
        macro_rules! read {
            ($rows:expr) => {{
                let mut out = Vec::new();
                for row in $rows {
                    let id: String = row.try_get("id")?;
                    out.push(OutboxEmail {
                        id: Uuid::parse_str(&id).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                        recipient: row.try_get("recipient")?,
                        subject: row.try_get("subject")?,
                        body: row.try_get("body")?,
                        attempts: row.try_get("attempts")?,
                    });
                }
                out
            }};
        }
        Ok(match self {
            Database::Sqlite(pool) => {
                read!(sqlx::query(sqlite_sql(SQL)).bind(limit).fetch_all(pool).await?)
            }
            Database::Postgres(pool) => read!(sqlx::query(SQL).bind(limit).fetch_all(pool).await?),
        })
    }

    /// Marks an email sent.
    pub async fn mark_email_sent(&self, id: Uuid) -> Result<bool, DbError> {
        const SQL: &str =
            "UPDATE email_outbox SET sent_at = $1, attempts = attempts + 1 WHERE id = $2 AND sent_at IS NULL";
        let (sid, now) = (id.to_string(), now_ms());
        let affected = match self {
            Database::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let r = sqlx::query(sqlite_sql(SQL)).bind(now).bind(&sid).execute(&mut *tx).await?.rows_affected();
                tx.commit().await?;
                r
            }
            Database::Postgres(pool) => sqlx::query(SQL).bind(now).bind(&sid).execute(pool).await?.rows_affected(),
        };
        Ok(affected == 1)
    }
}
