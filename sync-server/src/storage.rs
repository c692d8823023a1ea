//! Uploaded files in object storage (`object_store`: local disk now, S3 later), addressed by
//! the SHA-256 of their bytes: the object for a hash `h` lives at `sha256/<h[..2]>/<h>`, so the
//! same bytes are stored once however many teams upload them.

use std::sync::Arc;

use axum::body::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt as _};
use sha2::Digest as _;

/// Where asset bytes live.
#[derive(Clone, Debug)]
pub struct AssetStore {
    /// The object store.
    pub store: Arc<dyn ObjectStore>,
}

/// The lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The object key for a hex SHA-256 (`sha256/ab/abcd…`).
pub fn key_for(sha256: &str) -> Path {
    let shard = sha256.get(..2).unwrap_or("00");
    Path::from(format!("sha256/{shard}/{sha256}"))
}

impl AssetStore {
    /// Files under `dir` (created when missing).
    pub fn local(dir: &std::path::Path) -> anyhow::Result<AssetStore> {
        std::fs::create_dir_all(dir)?;
        Ok(AssetStore { store: Arc::new(LocalFileSystem::new_with_prefix(dir)?) })
    }

    /// Stores `bytes` under their hash `sha256` (computed by the caller, who needed it anyway).
    /// Writing identical bytes again is harmless: the object is replaced by itself.
    pub async fn put(&self, sha256: &str, bytes: Bytes) -> Result<(), object_store::Error> {
        self.store.put(&key_for(sha256), bytes.into()).await.map(|_| ())
    }

    /// Deletes the bytes stored under `sha256` (no error when already gone).
    pub async fn remove(&self, sha256: &str) -> Result<(), object_store::Error> {
        match self.store.delete(&key_for(sha256)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The bytes stored under `sha256`.
    pub async fn get(&self, sha256: &str) -> Result<Bytes, object_store::Error> {
        self.store.get(&key_for(sha256)).await?.bytes().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bytes_are_stored_under_their_hash() {
        let dir = tempfile::tempdir().unwrap();
        let store = AssetStore::local(dir.path()).unwrap();
        let sha = sha256_hex(b"hello");
        assert_eq!(sha, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        store.put(&sha, Bytes::from_static(b"hello")).await.unwrap();
        store.put(&sha, Bytes::from_static(b"hello")).await.unwrap();
        assert_eq!(store.get(&sha).await.unwrap(), Bytes::from_static(b"hello"));
        assert!(dir.path().join("sha256/2c").join(&sha).is_file());
        assert!(store.get(&sha256_hex(b"other")).await.is_err());
    }
}
