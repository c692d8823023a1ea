//! The offline store: each document as a compacted snapshot, the log of updates written after
//! it and an outbox of updates the server has not acknowledged yet, plus a content-addressed
//! asset cache with a size cap.
//!
//! [`Store`] is the interface the app and the sync client use; [`SqliteStore`] is the native
//! implementation (desktop, mobile, tests). [`open_document`] turns what a store holds back into
//! a [`Document`].
//!
//! # Layout of a document
//!
//! - **Snapshot**: the full state in yrs v2 encoding (smaller, faster to load) and its state
//!   vector, written by [`Store::compact`].
//! - **Log**: every local or remote update since that snapshot, in yrs v1 encoding (the wire
//!   encoding, so an update is stored exactly as it was sent or received). Each append is its
//!   own durable transaction, so an edit is never lost once [`Store::append_update`] returns.
//! - **Outbox**: the local updates the server has not acknowledged, kept apart from the log so
//!   compaction never drops an unsent edit. They are sent again after a reconnect until
//!   [`Store::acknowledge`] removes them.
//!
//! Loading a document is `snapshot + log`; the outbox is only read by the sync client.
//!
//! # Why the trait is synchronous
//!
//! Native SQLite calls are short, local and durable when they return, which is exactly what the
//! "committed means on disk" contract and the crash test need; an async trait would add an
//! executor to every caller without making anything faster. The browser's store (IndexedDB,
//! which only has an asynchronous API) comes with the app and implements this same trait with an
//! in-memory mirror that answers synchronously and writes behind to IndexedDB, so the document
//! and sync code stay the same on every platform. (There an append is durable only once the
//! write-behind has flushed: a weaker promise than the native store's, stated by that store.)

use thiserror::Error;

use crate::{AssetId, Document, DocumentError};

#[cfg(not(target_arch = "wasm32"))]
mod sqlite;

#[cfg(not(target_arch = "wasm32"))]
pub use sqlite::SqliteStore;

/// Largest snapshot or single update a store accepts (256 MiB). A design is a few megabytes at
/// most (binary data lives in assets); anything near this limit is a bug or an attack, and SQLite
/// itself refuses values over 1 GB.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024 * 1024;

/// Longest document id a store accepts, in bytes.
pub const MAX_DOCUMENT_ID_LEN: usize = 256;

/// Default size cap of the asset cache (512 MiB).
pub const DEFAULT_ASSET_CAP_BYTES: u64 = 512 * 1024 * 1024;

/// Persistent storage for documents and cached assets.
///
/// All methods take `&self`: implementations synchronise internally, so one store can be shared
/// by the editor and the sync client.
pub trait Store {
    /// Loads a document's snapshot and the log written after it; `None` if unknown.
    fn load_document(&self, doc: &str) -> Result<Option<StoredDocument>, StoreError>;

    /// Appends one update (yrs v1 encoding) to the document's local log in its own durable
    /// transaction; when `outbox` is true the update is also queued in the outbox until the
    /// server acknowledges it. Creates the document if new. Returns the update's sequence number
    /// (monotonic per store, never reused).
    fn append_update(&self, doc: &str, update_v1: &[u8], outbox: bool) -> Result<u64, StoreError>;

    /// Replaces the snapshot with `state_v2` (full state, yrs v2 encoding) + `state_vector_v1`,
    /// and drops log rows with seq <= `through_seq`, atomically. Outbox rows are NOT dropped by
    /// compaction. Creates the document if new (e.g. to store a state fetched from the server).
    ///
    /// `state_v2` must contain every update of the log up to `through_seq`; pass the
    /// [`StoredDocument::last_seq`] the state was built from, so updates appended meanwhile
    /// survive.
    fn compact(&self, doc: &str, state_v2: &[u8], state_vector_v1: &[u8], through_seq: u64) -> Result<(), StoreError>;

    /// Unacknowledged updates, oldest first.
    fn outbox(&self, doc: &str) -> Result<Vec<OutboxEntry>, StoreError>;

    /// Removes the given outbox entries (acknowledged by the server). Returns how many were
    /// removed; unknown sequence numbers are ignored.
    fn acknowledge(&self, doc: &str, seqs: &[u64]) -> Result<usize, StoreError>;

    /// Ids of all stored documents, sorted.
    fn documents(&self) -> Result<Vec<String>, StoreError>;

    /// Deletes a document with its log and outbox. Returns whether it existed.
    fn delete_document(&self, doc: &str) -> Result<bool, StoreError>;

    /// Stores asset bytes under their content address ([`AssetId::for_bytes`], SHA-256 hex),
    /// evicting least-recently-used assets while the total exceeds the cap. Storing bytes that
    /// are already cached only marks them used. Returns the id.
    fn put_asset(&self, bytes: &[u8]) -> Result<AssetId, StoreError>;

    /// Reads an asset and marks it used (LRU); `None` if it is not cached (or was evicted).
    fn get_asset(&self, id: &AssetId) -> Result<Option<Vec<u8>>, StoreError>;

    /// Total bytes of cached assets.
    fn asset_bytes(&self) -> Result<u64, StoreError>;
}

/// What a store holds for one document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredDocument {
    /// The last compacted state (yrs v2 encoding), if the document was ever compacted.
    pub snapshot_v2: Option<Vec<u8>>,
    /// The state vector of `snapshot_v2` (yrs v1 encoding).
    pub state_vector_v1: Option<Vec<u8>>,
    /// Updates appended after the snapshot (yrs v1 encoding), oldest first.
    pub updates_v1: Vec<Vec<u8>>,
    /// Sequence number of the last update ever appended to this document (0 if none). Pass it to
    /// [`Store::compact`] as `through_seq` after building a state from this value.
    pub last_seq: u64,
}

/// One unacknowledged local update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Its sequence number, as returned by [`Store::append_update`].
    pub seq: u64,
    /// The update (yrs v1 encoding, as sent on the wire).
    pub update_v1: Vec<u8>,
}

/// Options for opening a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// Size cap of the asset cache in bytes; least-recently-used assets are evicted beyond it.
    pub asset_cap_bytes: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { asset_cap_bytes: DEFAULT_ASSET_CAP_BYTES }
    }
}

/// Why a store operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database reported an error (disk full, I/O error, locked for too long …).
    #[cfg(not(target_arch = "wasm32"))]
    #[error("store database error: {}", sqlite_message(.0))]
    Sqlite(#[source] rusqlite::Error),
    /// A non-SQLite backend (such as the browser's IndexedDB) failed.
    #[error("store backend error: {0}")]
    Backend(String),
    /// The store file is damaged, or is not a CreativeFlow store.
    #[error("the store is corrupt or not a CreativeFlow store: {0}")]
    Corrupt(String),
    /// The store was written by a newer version of CreativeFlow.
    #[error("the store has schema version {found}, newer than the supported {supported}: update CreativeFlow")]
    UnsupportedSchema {
        /// Version found in the file.
        found: u32,
        /// Newest version this build understands.
        supported: u32,
    },
    /// A thread panicked while using the store; it refuses further work rather than risk
    /// inconsistent state.
    #[error("the store is unusable after a panic in another thread")]
    Poisoned,
    /// A document id is empty or too long.
    #[error("invalid document id: ids are 1 to {MAX_DOCUMENT_ID_LEN} bytes")]
    InvalidDocumentId,
    /// A snapshot or update exceeds [`MAX_DOCUMENT_BYTES`].
    #[error("document data of {len} bytes exceeds the limit of {max} bytes")]
    DocumentTooLarge {
        /// Size of the rejected snapshot or update.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// An asset is larger than the whole asset cache.
    #[error("asset of {len} bytes is larger than the asset cache ({max} bytes)")]
    AssetTooLarge {
        /// Size of the rejected asset.
        len: u64,
        /// The cache's cap.
        max: u64,
    },
}

/// SQLite's own message, without the SQL text some rusqlite errors quote.
#[cfg(not(target_arch = "wasm32"))]
fn sqlite_message(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        rusqlite::Error::SqliteFailure(code, None) => code.to_string(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
        match error.sqlite_error_code() {
            Some(DatabaseCorrupt | NotADatabase) => Self::Corrupt(sqlite_message(&error)),
            _ => Self::Sqlite(error),
        }
    }
}

/// Checks a document id the way every [`Store`] must: 1 to [`MAX_DOCUMENT_ID_LEN`] bytes.
/// Other implementations (the browser's) call it so all stores accept the same ids.
pub fn check_document_id(doc: &str) -> Result<(), StoreError> {
    if doc.is_empty() || doc.len() > MAX_DOCUMENT_ID_LEN { Err(StoreError::InvalidDocumentId) } else { Ok(()) }
}

/// Checks that a snapshot or update is within [`MAX_DOCUMENT_BYTES`], as every [`Store`] must.
pub fn check_document_len(bytes: &[u8]) -> Result<(), StoreError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        Err(StoreError::DocumentTooLarge { len: bytes.len() as u64, max: MAX_DOCUMENT_BYTES as u64 })
    } else {
        Ok(())
    }
}

/// Why [`open_document`] failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored snapshot or log could not be decoded into a document.
    #[error("stored document {doc:?} could not be restored: {source}")]
    Document {
        /// The document id.
        doc: String,
        /// What went wrong.
        #[source]
        source: DocumentError,
    },
}

/// Restores a document from `store` (snapshot, then the log); `None` if the store does not know
/// `doc`. `client_id` is this session's yrs client id (`None`: a random one).
pub fn open_document(store: &dyn Store, doc: &str, client_id: Option<u32>) -> Result<Option<Document>, OpenError> {
    let Some(stored) = store.load_document(doc)? else {
        return Ok(None);
    };
    Document::load(client_id, stored.snapshot_v2.as_deref(), &stored.updates_v1)
        .map(Some)
        .map_err(|source| OpenError::Document { doc: doc.to_owned(), source })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use std::error::Error;

    use super::*;
    use crate::{Command, Layer, LayerId, Rect};

    fn add_text(doc: &mut Document, id: &str) -> Result<Vec<u8>, Box<dyn Error>> {
        let layer = Layer::text(LayerId::parse(id)?, id, Rect::new(0.0, 0.0, 100.0, 40.0));
        Ok(doc.apply(Command::AddLayer { layer })?.update)
    }

    fn layer_ids(doc: &Document) -> Vec<String> {
        let mut ids: Vec<String> = doc.design().layers.iter().map(|layer| layer.id.as_str().to_owned()).collect();
        ids.sort();
        ids
    }

    #[test]
    fn open_document_restores_snapshot_and_log() -> Result<(), Box<dyn Error>> {
        let store = SqliteStore::in_memory()?;
        assert!(open_document(&store, "design", None)?.is_none());

        let mut doc = Document::new();
        let seq = store.append_update("design", &add_text(&mut doc, "before")?, true)?;
        store.compact("design", &doc.encode_state_v2(), &doc.state_vector_v1(), seq)?;
        store.append_update("design", &add_text(&mut doc, "after")?, true)?;

        let restored = open_document(&store, "design", Some(7))?.ok_or("document missing")?;
        assert_eq!(restored.client_id(), 7);
        assert_eq!(layer_ids(&restored), vec!["after".to_owned(), "before".to_owned()]);
        Ok(())
    }

    #[test]
    fn open_document_reports_undecodable_bytes() -> Result<(), Box<dyn Error>> {
        let store = SqliteStore::in_memory()?;
        store.compact("broken", b"\xff\xff not a yrs update", b"", 0)?;
        match open_document(&store, "broken", None) {
            Err(OpenError::Document { doc, .. }) => assert_eq!(doc, "broken"),
            other => return Err(format!("expected a document error, got {other:?}").into()),
        }
        Ok(())
    }
}
