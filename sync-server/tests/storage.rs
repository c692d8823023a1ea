//! The storage story, on SQLite always and on PostgreSQL when `TEST_DATABASE_URL` is set
//! (`cargo xtask test` sets it under CI), and the check that both migration folders describe
//! the same schema.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "test helpers that fail must fail loudly")]

use std::collections::BTreeMap;

mod support;

use sqlx::Row;
use support::PgScratch;
use sync_server::db::assets::{NewAsset, Stored};
use sync_server::db::content::Listing;
use sync_server::db::{Database, DbError, Pool};

async fn story(db: &Database) {
    db.ping().await.unwrap();
    let user = db.create_user("Ana@Example.com ", Some("$argon2id$v=19$stub"), "Ana").await.unwrap();
    assert_eq!(user.email, "ana@example.com");
    let again = db.create_user("ana@example.COM", None, "Impostor").await.unwrap_err();
    assert!(matches!(again, DbError::Conflict("email")), "{again}");
    let found = db.user_by_email("ANA@example.com").await.unwrap().expect("found");
    assert_eq!(found, user);
    assert!(db.user_by_email("nobody@example.com").await.unwrap().is_none());

    let first = db.enqueue_email("ana@example.com", "Verify", "Click here").await.unwrap();
    let second = db.enqueue_email("ana@example.com", "Welcome", "Hello").await.unwrap();
    let unsent = db.unsent_emails(10).await.unwrap();
    assert_eq!(unsent.iter().map(|e| e.id).collect::<Vec<_>>(), vec![first, second]);
    assert!(db.mark_email_sent(first).await.unwrap());
    assert!(!db.mark_email_sent(first).await.unwrap(), "sent once only");
    let unsent = db.unsent_emails(10).await.unwrap();
    assert_eq!(unsent.len(), 1);
    assert_eq!(unsent[0].subject, "Welcome");

    // Housekeeping: the trash is purged only after the 30-day restore window, children with
    // their parents, and asset bytes are reported orphaned only when no team still uses them.
    let team = uuid::Uuid::parse_str(user.personal_team_id.as_deref().unwrap()).unwrap();
    let kept = db.create_workbench(team, "Kept", "", "{}", user.id).await.unwrap();
    let binned = db.create_workbench(team, "Binned", "", "{}", user.id).await.unwrap();
    assert!(db.set_workbench_deleted(binned.id, true).await.unwrap());
    let asset = |sha: &'static str| NewAsset {
        team_id: team,
        sha256: sha,
        content_type: "image/png",
        byte_size: 1,
        width: Some(1),
        height: Some(1),
        filename: "a.png",
        created_by: user.id,
    };
    let Stored::Created(gone) = db.store_asset(&asset("aa")).await.unwrap() else { panic!("new asset") };
    db.store_asset(&asset("bb")).await.unwrap();
    assert!(db.delete_asset(gone.id).await.unwrap());
    let now = sync_server::db::now_ms();
    let early = db.sweep(now).await.unwrap();
    assert_eq!(early.purged, 0, "nothing is purged inside the restore window");
    let late = db.sweep(now + 31 * 86_400_000).await.unwrap();
    assert_eq!(late.purged, 2, "{late:?}");
    assert_eq!(late.orphaned_blobs, vec!["aa".to_owned()]);
    let live = db.list_workbenches(team, Listing::Live, "~", 10).await.unwrap();
    assert_eq!(live.iter().map(|w| w.id).collect::<Vec<_>>(), vec![kept.id]);
    assert!(db.list_workbenches(team, Listing::Trash, "~", 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn storage_story_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("nested/dir/cf.db").display());
    let db = Database::connect(&url).await.unwrap();
    story(&db).await;
    // Reopening applies no migration twice and keeps the data.
    drop(db);
    let db = Database::connect(&url).await.unwrap();
    assert!(db.user_by_email("ana@example.com").await.unwrap().is_some());
    let Pool::Sqlite(pool) = &db.pool else { panic!("sqlite") };
    let mode: String = sqlx::query("PRAGMA journal_mode").fetch_one(pool).await.unwrap().get(0);
    assert_eq!(mode, "wal");
    let sync: i64 = sqlx::query("PRAGMA synchronous").fetch_one(pool).await.unwrap().get(0);
    assert_eq!(sync, 2, "synchronous=FULL");
}

#[tokio::test]
async fn storage_story_on_postgres() {
    let Some(scratch) = PgScratch::new().await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set (CI sets it)");
        return;
    };
    let db = Database::connect(&scratch.url).await.unwrap();
    story(&db).await;
    drop(db);
    scratch.cleanup().await;
}

#[tokio::test]
async fn unsupported_urls_are_named() {
    let err = Database::connect("mysql://x").await.unwrap_err().to_string();
    assert!(err.contains("mysql://x") && err.contains("sqlite://"), "{err}");
}

/// Table → column → (normalised type, nullable, default present).
type Schema = BTreeMap<String, BTreeMap<String, (String, bool, bool)>>;

fn normalise(declared: &str) -> String {
    match declared.to_ascii_lowercase().as_str() {
        "text" | "character varying" => "text".into(),
        "bigint" | "int8" => "bigint".into(),
        "integer" | "int4" => "integer".into(),
        "boolean" | "bool" => "boolean".into(),
        "blob" | "bytea" => "bytes".into(),
        "real" | "double precision" => "double".into(),
        other => other.into(),
    }
}

#[tokio::test]
async fn sqlite_and_postgres_schemas_agree() {
    let Some(scratch) = PgScratch::new().await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set (CI sets it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Pool::Sqlite(lite) =
        Database::connect(&format!("sqlite://{}", dir.path().join("s.db").display())).await.unwrap().pool
    else {
        panic!("sqlite")
    };
    let Pool::Postgres(pg) = Database::connect(&scratch.url).await.unwrap().pool else { panic!("postgres") };

    let mut sqlite_schema = Schema::new();
    let tables: Vec<String> = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&lite)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect();
    for table in tables {
        let cols =
            sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA table_info({table})"))).fetch_all(&lite).await.unwrap();
        let entry = sqlite_schema.entry(table).or_default();
        for c in cols {
            let name: String = c.get("name");
            let ty: String = c.get("type");
            let notnull: i64 = c.get("notnull");
            let pk: i64 = c.get("pk");
            let default: Option<String> = c.get("dflt_value");
            entry.insert(name, (normalise(&ty), notnull == 0 && pk == 0, default.is_some()));
        }
    }
    let mut pg_schema = Schema::new();
    let cols = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, column_default::text \
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&pg)
    .await
    .unwrap();
    for c in cols {
        let table: String = c.get(0);
        let name: String = c.get(1);
        let ty: String = c.get(2);
        let nullable: String = c.get(3);
        let default: Option<String> = c.get(4);
        pg_schema.entry(table).or_default().insert(name, (normalise(&ty), nullable == "YES", default.is_some()));
    }
    assert!(!sqlite_schema.is_empty());
    assert_eq!(sqlite_schema, pg_schema, "migrations/sqlite and migrations/postgres describe different schemas");
    pg.close().await;
    scratch.cleanup().await;
}
