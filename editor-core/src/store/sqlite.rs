//! [`SqliteStore`]: the native [`Store`] on one SQLite file.
//!
//! Durability settings: WAL journal with `synchronous=FULL`, so a transaction is on disk when its
//! commit returns and a crash (process or power) never loses a committed edit; every write is
//! `BEGIN IMMEDIATE`, so two processes on one file queue on the write lock (up to the busy
//! timeout) instead of failing mid-transaction with a lock upgrade error.
//!
//! The schema is versioned with `PRAGMA user_version`; [`MIGRATIONS`] upgrades older files when
//! they are opened. The file is marked with its own `application_id`, so opening some other
//! SQLite database (or garbage) by mistake is an error rather than a silent new schema beside
//! foreign tables.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::{OutboxEntry, Store, StoreError, StoreOptions, StoredDocument, check_document_id, check_document_len};
use crate::AssetId;

/// `application_id` of a CreativeFlow store file ("CFst").
const APPLICATION_ID: i32 = 0x4346_7374;

/// How long a write waits for another connection (another window, a backup tool) to release
/// the file before it fails with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Schema migrations: entry `i` upgrades `user_version` `i` to `i + 1`. Append only; never edit a
/// released entry.
const MIGRATIONS: &[&str] = &[
    // 1: documents with snapshot, update log, outbox, asset cache.
    "
    CREATE TABLE documents (
        id TEXT PRIMARY KEY NOT NULL,
        snapshot_v2 BLOB,
        state_vector_v1 BLOB,
        -- seq of the last update ever appended: the log may be empty after compaction.
        last_seq INTEGER NOT NULL DEFAULT 0,
        -- Unix milliseconds; informational only.
        updated_at INTEGER NOT NULL
    ) STRICT;

    -- AUTOINCREMENT: seqs are never reused, even after compaction deletes the newest rows.
    CREATE TABLE updates (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        doc TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
        update_v1 BLOB NOT NULL
    ) STRICT;
    -- Index entries end with the rowid (= seq), so this also orders a document's log.
    CREATE INDEX updates_by_doc ON updates (doc);

    -- seq is the update's seq in the log. The bytes are kept here too because compaction
    -- deletes log rows while their updates may still be unacknowledged.
    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY NOT NULL,
        doc TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
        update_v1 BLOB NOT NULL
    ) STRICT;
    CREATE INDEX outbox_by_doc ON outbox (doc);

    -- last_used is a store-wide counter bumped on every put and get: deterministic LRU order,
    -- immune to clock changes.
    CREATE TABLE assets (
        id TEXT PRIMARY KEY NOT NULL,
        bytes BLOB NOT NULL,
        size INTEGER NOT NULL,
        last_used INTEGER NOT NULL
    ) STRICT;
    -- Covers both the eviction order and SUM(size) without touching the blobs.
    CREATE INDEX assets_by_last_used ON assets (last_used, size);
    ",
];

/// The schema version this build writes.
const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// A [`Store`] on one SQLite file (or in memory, for tests).
///
/// The connection sits behind a mutex, so a `SqliteStore` can be shared between threads (it is
/// `Send + Sync`); calls are serialised. Several processes may open the same file: SQLite's
/// locking keeps them consistent.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
    asset_cap_bytes: u64,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` with default options.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, StoreOptions::default())
    }

    /// Opens (creating if needed) the store at `path`. If the asset cache is over
    /// `options.asset_cap_bytes` (the cap was lowered), least-recently-used assets are evicted
    /// now.
    pub fn open_with(path: impl AsRef<Path>, options: StoreOptions) -> Result<Self, StoreError> {
        Self::init(Connection::open(path)?, options)
    }

    /// A store that lives in memory only, with default options.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::in_memory_with(StoreOptions::default())
    }

    /// A store that lives in memory only.
    pub fn in_memory_with(options: StoreOptions) -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?, options)
    }

    fn init(mut conn: Connection, options: StoreOptions) -> Result<Self, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // The first statement that reads the file: garbage fails here with "not a database".
        // An in-memory database answers "memory"; it has no journal to keep.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        migrate(&mut conn)?;
        {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            evict_to(&tx, options.asset_cap_bytes)?;
            tx.commit()?;
        }
        Ok(Self { conn: Mutex::new(conn), asset_cap_bytes: options.asset_cap_bytes })
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.conn.lock().map_err(|_| StoreError::Poisoned)
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let application_id: i32 = tx.pragma_query_value(None, "application_id", |row| row.get(0))?;
    let is_empty = {
        let objects: i64 = tx.query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))?;
        objects == 0
    };
    let fresh = version == 0 && application_id == 0 && is_empty;
    if !fresh && application_id != APPLICATION_ID {
        return Err(StoreError::Corrupt(format!(
            "the file is a SQLite database of another application (application_id {application_id:#x})"
        )));
    }
    let version =
        u32::try_from(version).map_err(|_| StoreError::Corrupt(format!("invalid schema version {version}")))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::UnsupportedSchema { found: version, supported: SCHEMA_VERSION });
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    for migration in &MIGRATIONS[version as usize..] {
        tx.execute_batch(migration)?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Deletes least-recently-used assets until the cache holds at most `cap` bytes.
fn evict_to(tx: &Transaction<'_>, cap: u64) -> Result<(), StoreError> {
    let mut total = total_asset_bytes(tx)?;
    let mut oldest = tx.prepare_cached("SELECT id, size FROM assets ORDER BY last_used LIMIT 1")?;
    let mut delete = tx.prepare_cached("DELETE FROM assets WHERE id = ?1")?;
    while total > cap {
        let Some((id, size)) =
            oldest.query_row([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))).optional()?
        else {
            return Err(StoreError::Corrupt("asset sizes do not add up".into()));
        };
        delete.execute([&id])?;
        total = total.saturating_sub(to_u64(size, "asset size")?);
    }
    Ok(())
}

fn total_asset_bytes(conn: &Connection) -> Result<u64, StoreError> {
    let total: i64 =
        conn.prepare_cached("SELECT COALESCE(SUM(size), 0) FROM assets")?.query_row([], |row| row.get(0))?;
    to_u64(total, "asset total")
}

/// The next value of the LRU counter.
fn next_use(tx: &Transaction<'_>) -> Result<i64, StoreError> {
    Ok(tx.prepare_cached("SELECT COALESCE(MAX(last_used), 0) + 1 FROM assets")?.query_row([], |row| row.get(0))?)
}

fn to_u64(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative {what} {value}")))
}

/// Sequence numbers above `i64::MAX` cannot exist in SQLite; clamping keeps "<= through_seq"
/// meaning "all".
fn seq_param(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

fn unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
}

impl Store for SqliteStore {
    fn load_document(&self, doc: &str) -> Result<Option<StoredDocument>, StoreError> {
        check_document_id(doc)?;
        let mut conn = self.lock()?;
        // One read transaction, so the snapshot and the log come from the same moment even if
        // another process compacts in between.
        let tx = conn.transaction()?;
        let header = tx
            .prepare_cached("SELECT snapshot_v2, state_vector_v1, last_seq FROM documents WHERE id = ?1")?
            .query_row([doc], |row| {
                Ok((row.get::<_, Option<Vec<u8>>>(0)?, row.get::<_, Option<Vec<u8>>>(1)?, row.get::<_, i64>(2)?))
            })
            .optional()?;
        let Some((snapshot_v2, state_vector_v1, last_seq)) = header else {
            return Ok(None);
        };
        let updates_v1 = tx
            .prepare_cached("SELECT update_v1 FROM updates WHERE doc = ?1 ORDER BY seq")?
            .query_map([doc], |row| row.get::<_, Vec<u8>>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit()?;
        Ok(Some(StoredDocument {
            snapshot_v2,
            state_vector_v1,
            updates_v1,
            last_seq: to_u64(last_seq, "sequence number")?,
        }))
    }

    fn append_update(&self, doc: &str, update_v1: &[u8], outbox: bool) -> Result<u64, StoreError> {
        check_document_id(doc)?;
        check_document_len(update_v1)?;
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.prepare_cached(
            "INSERT INTO documents (id, updated_at) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at",
        )?
        .execute(params![doc, unix_millis()])?;
        tx.prepare_cached("INSERT INTO updates (doc, update_v1) VALUES (?1, ?2)")?.execute(params![doc, update_v1])?;
        let seq = tx.last_insert_rowid();
        if outbox {
            tx.prepare_cached("INSERT INTO outbox (seq, doc, update_v1) VALUES (?1, ?2, ?3)")?
                .execute(params![seq, doc, update_v1])?;
        }
        tx.prepare_cached("UPDATE documents SET last_seq = ?2 WHERE id = ?1")?.execute(params![doc, seq])?;
        tx.commit()?;
        to_u64(seq, "sequence number")
    }

    fn compact(&self, doc: &str, state_v2: &[u8], state_vector_v1: &[u8], through_seq: u64) -> Result<(), StoreError> {
        check_document_id(doc)?;
        check_document_len(state_v2)?;
        check_document_len(state_vector_v1)?;
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.prepare_cached(
            "INSERT INTO documents (id, snapshot_v2, state_vector_v1, updated_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET snapshot_v2 = excluded.snapshot_v2,
                 state_vector_v1 = excluded.state_vector_v1, updated_at = excluded.updated_at",
        )?
        .execute(params![doc, state_v2, state_vector_v1, unix_millis()])?;
        tx.prepare_cached("DELETE FROM updates WHERE doc = ?1 AND seq <= ?2")?
            .execute(params![doc, seq_param(through_seq)])?;
        tx.commit()?;
        Ok(())
    }

    fn outbox(&self, doc: &str) -> Result<Vec<OutboxEntry>, StoreError> {
        check_document_id(doc)?;
        let conn = self.lock()?;
        let rows = conn
            .prepare_cached("SELECT seq, update_v1 FROM outbox WHERE doc = ?1 ORDER BY seq")?
            .query_map([doc], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(seq, update_v1)| Ok(OutboxEntry { seq: to_u64(seq, "sequence number")?, update_v1 }))
            .collect()
    }

    fn acknowledge(&self, doc: &str, seqs: &[u64]) -> Result<usize, StoreError> {
        check_document_id(doc)?;
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut removed = 0;
        {
            let mut delete = tx.prepare_cached("DELETE FROM outbox WHERE doc = ?1 AND seq = ?2")?;
            for &seq in seqs {
                if let Ok(seq) = i64::try_from(seq) {
                    removed += delete.execute(params![doc, seq])?;
                }
            }
        }
        tx.commit()?;
        Ok(removed)
    }

    fn documents(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.lock()?;
        let ids = conn
            .prepare_cached("SELECT id FROM documents ORDER BY id")?
            .query_map([], |row| row.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(ids)
    }

    fn delete_document(&self, doc: &str) -> Result<bool, StoreError> {
        check_document_id(doc)?;
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // The log and outbox go with it (ON DELETE CASCADE).
        let deleted = tx.prepare_cached("DELETE FROM documents WHERE id = ?1")?.execute([doc])?;
        tx.commit()?;
        Ok(deleted > 0)
    }

    fn put_asset(&self, bytes: &[u8]) -> Result<AssetId, StoreError> {
        let len = bytes.len() as u64;
        if len > self.asset_cap_bytes {
            return Err(StoreError::AssetTooLarge { len, max: self.asset_cap_bytes });
        }
        let id = AssetId::for_bytes(bytes);
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let used = next_use(&tx)?;
        let known =
            tx.prepare_cached("UPDATE assets SET last_used = ?2 WHERE id = ?1")?.execute(params![id.as_str(), used])?;
        if known == 0 {
            let size = i64::try_from(len).map_err(|_| StoreError::AssetTooLarge { len, max: self.asset_cap_bytes })?;
            tx.prepare_cached("INSERT INTO assets (id, bytes, size, last_used) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![id.as_str(), bytes, size, used])?;
            // The new asset is the most recently used and fits the cap, so it survives.
            evict_to(&tx, self.asset_cap_bytes)?;
        }
        tx.commit()?;
        Ok(id)
    }

    fn get_asset(&self, id: &AssetId) -> Result<Option<Vec<u8>>, StoreError> {
        let mut conn = self.lock()?;
        // A read that writes (the LRU mark): callers that draw the same image every frame
        // should keep the decoded image in memory rather than come back here.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let used = next_use(&tx)?;
        let bytes = tx
            .prepare_cached("UPDATE assets SET last_used = ?2 WHERE id = ?1 RETURNING bytes")?
            .query_row(params![id.as_str(), used], |row| row.get::<_, Vec<u8>>(0))
            .optional()?;
        tx.commit()?;
        Ok(bytes)
    }

    fn asset_bytes(&self) -> Result<u64, StoreError> {
        total_asset_bytes(&*self.lock()?)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::error::Error;

    use proptest::prelude::*;

    use super::*;

    type TestResult = Result<(), Box<dyn Error>>;

    fn store() -> Result<SqliteStore, StoreError> {
        SqliteStore::in_memory()
    }

    fn capped(cap: u64) -> Result<SqliteStore, StoreError> {
        SqliteStore::in_memory_with(StoreOptions { asset_cap_bytes: cap })
    }

    fn load(store: &SqliteStore, doc: &str) -> Result<StoredDocument, Box<dyn Error>> {
        store.load_document(doc)?.ok_or_else(|| format!("document {doc:?} is missing").into())
    }

    fn outbox_seqs(store: &SqliteStore, doc: &str) -> Result<Vec<u64>, StoreError> {
        Ok(store.outbox(doc)?.iter().map(|entry| entry.seq).collect())
    }

    fn expect_error<T>(result: Result<T, StoreError>) -> Result<StoreError, Box<dyn Error>> {
        match result {
            Ok(_) => Err("expected an error, got Ok".into()),
            Err(error) => Ok(error),
        }
    }

    #[test]
    fn unknown_document_loads_as_none() -> TestResult {
        let store = store()?;
        assert_eq!(store.load_document("nope")?, None);
        assert!(store.documents()?.is_empty());
        assert!(store.outbox("nope")?.is_empty());
        Ok(())
    }

    #[test]
    fn appended_updates_load_in_order_with_increasing_seqs() -> TestResult {
        let store = store()?;
        let a1 = store.append_update("a", b"a1", false)?;
        let b1 = store.append_update("b", b"b1", true)?;
        let a2 = store.append_update("a", b"a2", true)?;
        let a3 = store.append_update("a", b"a3", false)?;
        assert!(a1 < b1 && b1 < a2 && a2 < a3, "seqs are monotonic across documents");

        let a = load(&store, "a")?;
        assert_eq!(a.updates_v1, vec![b"a1".to_vec(), b"a2".to_vec(), b"a3".to_vec()]);
        assert_eq!(a.last_seq, a3);
        assert_eq!(a.snapshot_v2, None);
        assert_eq!(a.state_vector_v1, None);
        let b = load(&store, "b")?;
        assert_eq!(b.updates_v1, vec![b"b1".to_vec()]);
        assert_eq!(b.last_seq, b1);
        assert_eq!(store.documents()?, vec!["a".to_owned(), "b".to_owned()]);
        Ok(())
    }

    #[test]
    fn only_outbox_updates_are_queued() -> TestResult {
        let store = store()?;
        store.append_update("a", b"remote", false)?;
        let local = store.append_update("a", b"local", true)?;
        assert_eq!(store.outbox("a")?, vec![OutboxEntry { seq: local, update_v1: b"local".to_vec() }]);
        Ok(())
    }

    #[test]
    fn compaction_replaces_snapshot_drops_log_through_seq_and_keeps_outbox() -> TestResult {
        let store = store()?;
        let s1 = store.append_update("d", b"u1", true)?;
        let s2 = store.append_update("d", b"u2", false)?;
        let s3 = store.append_update("d", b"u3", true)?;

        store.compact("d", b"state-through-2", b"sv2", s2)?;
        let loaded = load(&store, "d")?;
        assert_eq!(loaded.snapshot_v2.as_deref(), Some(&b"state-through-2"[..]));
        assert_eq!(loaded.state_vector_v1.as_deref(), Some(&b"sv2"[..]));
        assert_eq!(loaded.updates_v1, vec![b"u3".to_vec()]);
        assert_eq!(loaded.last_seq, s3);

        store.compact("d", b"state-through-3", b"sv3", s3)?;
        let loaded = load(&store, "d")?;
        assert_eq!(loaded.snapshot_v2.as_deref(), Some(&b"state-through-3"[..]));
        assert!(loaded.updates_v1.is_empty());
        assert_eq!(loaded.last_seq, s3, "last_seq survives an empty log");

        assert_eq!(outbox_seqs(&store, "d")?, vec![s1, s3], "compaction never drops unacknowledged updates");
        assert_eq!(store.outbox("d")?[0].update_v1, b"u1");

        // Seqs keep growing after the log was emptied.
        assert!(store.append_update("d", b"u4", false)? > s3);
        Ok(())
    }

    #[test]
    fn compaction_of_a_new_document_creates_it() -> TestResult {
        let store = store()?;
        store.compact("fetched", b"state", b"sv", 0)?;
        let loaded = load(&store, "fetched")?;
        assert_eq!(loaded.snapshot_v2.as_deref(), Some(&b"state"[..]));
        assert_eq!(loaded.last_seq, 0);
        assert!(loaded.updates_v1.is_empty());
        Ok(())
    }

    #[test]
    fn failed_compaction_changes_nothing() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("store.db");
        let store = SqliteStore::open(&path)?;
        let s1 = store.append_update("d", b"u1", true)?;
        store.compact("d", b"old", b"old-sv", s1)?;
        let s2 = store.append_update("d", b"u2", false)?;

        // Make the log deletion fail after the snapshot has been written in the transaction.
        let other = Connection::open(&path)?;
        other.execute_batch(
            "CREATE TRIGGER refuse BEFORE DELETE ON updates BEGIN SELECT RAISE(ABORT, 'refused'); END",
        )?;
        let error = expect_error(store.compact("d", b"new", b"new-sv", s2))?;
        assert!(matches!(error, StoreError::Sqlite(_)), "{error:?}");

        let loaded = load(&store, "d")?;
        assert_eq!(loaded.snapshot_v2.as_deref(), Some(&b"old"[..]), "snapshot rolled back");
        assert_eq!(loaded.state_vector_v1.as_deref(), Some(&b"old-sv"[..]));
        assert_eq!(loaded.updates_v1, vec![b"u2".to_vec()]);

        other.execute_batch("DROP TRIGGER refuse")?;
        store.compact("d", b"new", b"new-sv", s2)?;
        assert!(load(&store, "d")?.updates_v1.is_empty());
        Ok(())
    }

    #[test]
    fn acknowledge_removes_only_the_given_entries_of_that_document() -> TestResult {
        let store = store()?;
        let a1 = store.append_update("a", b"a1", true)?;
        let a2 = store.append_update("a", b"a2", true)?;
        let a3 = store.append_update("a", b"a3", true)?;
        let b1 = store.append_update("b", b"b1", true)?;

        assert_eq!(store.acknowledge("a", &[a1, a3, b1, 9_999, u64::MAX])?, 2);
        assert_eq!(store.outbox("a")?, vec![OutboxEntry { seq: a2, update_v1: b"a2".to_vec() }]);
        assert_eq!(outbox_seqs(&store, "b")?, vec![b1], "another document's entry is not touched");
        assert_eq!(store.acknowledge("a", &[a1])?, 0, "acknowledging twice is harmless");
        // Acknowledging does not touch the log.
        assert_eq!(load(&store, "a")?.updates_v1.len(), 3);
        Ok(())
    }

    #[test]
    fn delete_document_removes_log_and_outbox() -> TestResult {
        let store = store()?;
        store.append_update("a", b"a1", true)?;
        store.compact("a", b"s", b"sv", 0)?;
        store.append_update("b", b"b1", true)?;
        assert!(store.delete_document("a")?);
        assert!(!store.delete_document("a")?);
        assert_eq!(store.load_document("a")?, None);
        assert!(store.outbox("a")?.is_empty());
        assert_eq!(store.documents()?, vec!["b".to_owned()]);
        let orphans: i64 = store.lock()?.query_row(
            "SELECT (SELECT count(*) FROM updates WHERE doc = 'a') + (SELECT count(*) FROM outbox WHERE doc = 'a')",
            [],
            |row| row.get(0),
        )?;
        assert_eq!(orphans, 0);
        Ok(())
    }

    #[test]
    fn invalid_document_ids_are_rejected() -> TestResult {
        let store = store()?;
        let error = expect_error(store.append_update("", b"u", true))?;
        assert!(matches!(error, StoreError::InvalidDocumentId), "{error:?}");
        let long = "x".repeat(super::super::MAX_DOCUMENT_ID_LEN + 1);
        let error = expect_error(store.load_document(&long))?;
        assert!(matches!(error, StoreError::InvalidDocumentId), "{error:?}");
        assert!(store.documents()?.is_empty());
        Ok(())
    }

    #[test]
    fn assets_round_trip_under_their_content_address() -> TestResult {
        let store = store()?;
        let id = store.put_asset(b"logo bytes")?;
        assert_eq!(id, AssetId::for_bytes(b"logo bytes"));
        assert_eq!(store.get_asset(&id)?.as_deref(), Some(&b"logo bytes"[..]));
        assert_eq!(store.get_asset(&AssetId::for_bytes(b"other"))?, None);
        assert_eq!(store.asset_bytes()?, 10);
        let empty = store.put_asset(b"")?;
        assert_eq!(store.get_asset(&empty)?, Some(Vec::new()));
        Ok(())
    }

    #[test]
    fn identical_assets_are_stored_once() -> TestResult {
        let store = store()?;
        let first = store.put_asset(&[7; 100])?;
        let second = store.put_asset(&[7; 100])?;
        assert_eq!(first, second);
        assert_eq!(store.asset_bytes()?, 100);
        Ok(())
    }

    #[test]
    fn assets_are_evicted_least_recently_used_first() -> TestResult {
        let store = capped(300)?;
        let a = store.put_asset(&[1; 100])?;
        let b = store.put_asset(&[2; 100])?;
        let c = store.put_asset(&[3; 100])?;
        assert_eq!(store.asset_bytes()?, 300);

        let d = store.put_asset(&[4; 100])?;
        assert_eq!(store.get_asset(&a)?, None, "a was the least recently used");
        assert_eq!(store.asset_bytes()?, 300);

        // A big asset pushes out as many of the oldest as needed: b, then c.
        let e = store.put_asset(&[5; 200])?;
        assert_eq!(store.get_asset(&b)?, None);
        assert_eq!(store.get_asset(&c)?, None);
        assert!(store.get_asset(&d)?.is_some());
        assert!(store.get_asset(&e)?.is_some());
        assert_eq!(store.asset_bytes()?, 300);
        Ok(())
    }

    #[test]
    fn reading_or_re_putting_an_asset_marks_it_used() -> TestResult {
        let store = capped(300)?;
        let a = store.put_asset(&[1; 100])?;
        let b = store.put_asset(&[2; 100])?;
        let c = store.put_asset(&[3; 100])?;
        assert!(store.get_asset(&a)?.is_some()); // order now b, c, a
        store.put_asset(&[2; 100])?; // order now c, a, b
        store.put_asset(&[4; 100])?;
        assert_eq!(store.get_asset(&c)?, None, "c was the least recently used");
        assert!(store.get_asset(&a)?.is_some());
        assert!(store.get_asset(&b)?.is_some());
        Ok(())
    }

    #[test]
    fn an_asset_larger_than_the_cap_is_rejected() -> TestResult {
        let store = capped(100)?;
        let kept = store.put_asset(&[1; 60])?;
        let error = expect_error(store.put_asset(&[2; 101]))?;
        assert!(matches!(error, StoreError::AssetTooLarge { len: 101, max: 100 }), "{error:?}");
        assert!(store.get_asset(&kept)?.is_some(), "nothing was evicted for it");
        store.put_asset(&[3; 100])?; // exactly the cap fits
        assert_eq!(store.get_asset(&kept)?, None);
        Ok(())
    }

    #[test]
    fn a_file_backed_store_keeps_everything_across_reopen() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("store.db");
        let (s1, s2, s3, asset) = {
            let store = SqliteStore::open(&path)?;
            let s1 = store.append_update("a", b"a1", true)?;
            let s2 = store.append_update("a", b"a2", true)?;
            store.compact("a", b"snap", b"sv", s1)?;
            let s3 = store.append_update("b", b"b1", false)?;
            let asset = store.put_asset(b"photo")?;
            (s1, s2, s3, asset)
        };
        let store = SqliteStore::open(&path)?;
        assert_eq!(store.documents()?, vec!["a".to_owned(), "b".to_owned()]);
        assert_eq!(
            load(&store, "a")?,
            StoredDocument {
                snapshot_v2: Some(b"snap".to_vec()),
                state_vector_v1: Some(b"sv".to_vec()),
                updates_v1: vec![b"a2".to_vec()],
                last_seq: s2,
            }
        );
        assert_eq!(load(&store, "b")?.last_seq, s3);
        assert_eq!(outbox_seqs(&store, "a")?, vec![s1, s2]);
        assert_eq!(store.get_asset(&asset)?.as_deref(), Some(&b"photo"[..]));
        assert!(store.append_update("b", b"b2", false)? > s3);
        Ok(())
    }

    #[test]
    fn reopening_with_a_smaller_cap_evicts_oldest_assets() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("store.db");
        let (a, b) = {
            let store = SqliteStore::open(&path)?;
            (store.put_asset(&[1; 100])?, store.put_asset(&[2; 100])?)
        };
        let store = SqliteStore::open_with(&path, StoreOptions { asset_cap_bytes: 150 })?;
        assert_eq!(store.asset_bytes()?, 100);
        assert_eq!(store.get_asset(&a)?, None);
        assert!(store.get_asset(&b)?.is_some());
        Ok(())
    }

    #[test]
    fn file_store_uses_wal_full_sync_and_foreign_keys() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("store.db");
        let store = SqliteStore::open(&path)?;
        {
            let conn = store.lock()?;
            let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
            assert_eq!(mode, "wal");
            let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
            assert_eq!(sync, 2, "synchronous=FULL");
            let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
            assert_eq!(fk, 1);
            let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            assert_eq!(version, SCHEMA_VERSION);
        }
        // WAL is a property of the file: a fresh connection sees it too.
        let other = Connection::open(&path)?;
        let mode: String = other.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        assert_eq!(mode, "wal");
        Ok(())
    }

    #[test]
    fn garbage_files_are_errors_not_panics() -> TestResult {
        let dir = tempfile::tempdir()?;
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let garbage: Vec<u8> = (0..8192)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect();
        for (name, bytes) in [
            ("random.db", &garbage[..]),
            ("short.db", &b"hello"[..]),
            ("text.db", &b"SQLite format 2\0 this is not really a database at all, just text"[..]),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes)?;
            let error = expect_error(SqliteStore::open(&path))?;
            assert!(matches!(error, StoreError::Corrupt(_)), "{name}: {error:?}");
            let message = error.to_string();
            assert!(message.contains("not a database"), "{name}: {message}");
            assert!(!message.contains("PRAGMA"), "no SQL in messages: {message}");
            assert_eq!(std::fs::read(&path)?, bytes, "{name} was left untouched");
        }
        Ok(())
    }

    #[test]
    fn another_applications_database_is_refused() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("other.db");
        Connection::open(&path)?.execute_batch("CREATE TABLE users (id INTEGER)")?;
        let error = expect_error(SqliteStore::open(&path))?;
        assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
        // Its tables are untouched.
        let tables: i64 = Connection::open(&path)?.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
        assert_eq!(tables, 1);
        Ok(())
    }

    #[test]
    fn a_store_from_a_newer_version_is_refused() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("store.db");
        drop(SqliteStore::open(&path)?);
        Connection::open(&path)?.pragma_update(None, "user_version", 99)?;
        let error = expect_error(SqliteStore::open(&path))?;
        assert!(matches!(error, StoreError::UnsupportedSchema { found: 99, supported: SCHEMA_VERSION }), "{error:?}");
        Ok(())
    }

    #[test]
    fn a_poisoned_store_reports_an_error() -> TestResult {
        let store = std::sync::Arc::new(store()?);
        let clone = std::sync::Arc::clone(&store);
        let crashed = std::thread::spawn(move || {
            let _guard = clone.conn.lock();
            panic!("simulated crash while holding the store");
        })
        .join();
        assert!(crashed.is_err());
        let error = expect_error(store.documents())?;
        assert!(matches!(error, StoreError::Poisoned), "{error:?}");
        Ok(())
    }

    #[derive(Clone, Debug)]
    enum Op {
        Append { doc: u8, outbox: bool },
        Compact { doc: u8, keep_newest: usize },
        Acknowledge { doc: u8, oldest: usize },
        Delete { doc: u8 },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0..3u8, any::<bool>()).prop_map(|(doc, outbox)| Op::Append { doc, outbox }),
            1 => (0..3u8, 0..3usize).prop_map(|(doc, keep_newest)| Op::Compact { doc, keep_newest }),
            1 => (0..3u8, 0..3usize).prop_map(|(doc, oldest)| Op::Acknowledge { doc, oldest }),
            1 => (0..3u8).prop_map(|doc| Op::Delete { doc }),
        ]
    }

    #[derive(Default, Debug)]
    struct ModelDoc {
        snapshot: Option<Vec<u8>>,
        log: Vec<(u64, Vec<u8>)>,
        outbox: Vec<(u64, Vec<u8>)>,
        last_seq: u64,
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any sequence of appends, compactions, acknowledgements and deletions leaves the store
        /// agreeing with a plain in-memory model.
        #[test]
        fn store_matches_a_simple_model(ops in proptest::collection::vec(op(), 1..40)) {
            let store = store()?;
            let mut model: BTreeMap<String, ModelDoc> = BTreeMap::new();
            let mut last_seq = 0;
            for (i, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Append { doc, outbox } => {
                        let name = format!("doc{doc}");
                        let bytes = format!("update {i}").into_bytes();
                        let seq = store.append_update(&name, &bytes, outbox)?;
                        prop_assert!(seq > last_seq);
                        last_seq = seq;
                        let entry = model.entry(name).or_default();
                        entry.log.push((seq, bytes.clone()));
                        if outbox {
                            entry.outbox.push((seq, bytes));
                        }
                        entry.last_seq = seq;
                    }
                    Op::Compact { doc, keep_newest } => {
                        let name = format!("doc{doc}");
                        let snapshot = format!("snapshot {i}").into_bytes();
                        let entry = model.entry(name.clone()).or_default();
                        let through = entry.log.len().checked_sub(keep_newest + 1)
                            .map_or(0, |index| entry.log[index].0);
                        store.compact(&name, &snapshot, b"sv", through)?;
                        entry.log.retain(|(seq, _)| *seq > through);
                        entry.snapshot = Some(snapshot);
                    }
                    Op::Acknowledge { doc, oldest } => {
                        let name = format!("doc{doc}");
                        let Some(entry) = model.get_mut(&name) else { continue };
                        let seqs: Vec<u64> =
                            entry.outbox.iter().take(oldest).map(|(seq, _)| *seq).collect();
                        prop_assert_eq!(store.acknowledge(&name, &seqs)?, seqs.len());
                        entry.outbox.drain(..seqs.len());
                    }
                    Op::Delete { doc } => {
                        let name = format!("doc{doc}");
                        prop_assert_eq!(store.delete_document(&name)?, model.remove(&name).is_some());
                    }
                }
                prop_assert_eq!(store.documents()?, model.keys().cloned().collect::<Vec<_>>());
                for (name, entry) in &model {
                    let loaded = store.load_document(name)?;
                    prop_assert!(loaded.is_some(), "{} is missing", name);
                    let loaded = loaded.unwrap_or_default();
                    prop_assert_eq!(&loaded.snapshot_v2, &entry.snapshot);
                    prop_assert_eq!(
                        loaded.updates_v1,
                        entry.log.iter().map(|(_, b)| b.clone()).collect::<Vec<_>>()
                    );
                    prop_assert_eq!(loaded.last_seq, entry.last_seq);
                    let outbox: Vec<(u64, Vec<u8>)> =
                        store.outbox(name)?.into_iter().map(|e| (e.seq, e.update_v1)).collect();
                    prop_assert_eq!(&outbox, &entry.outbox);
                }
            }
        }
    }
}
