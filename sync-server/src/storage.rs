//! Uploaded files in object storage (`object_store`: local disk now, S3 later), addressed by
//! the SHA-256 of their bytes.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;

/// Where asset bytes live.
#[derive(Clone, Debug)]
pub struct AssetStore {
    /// The object store.
    pub store: Arc<dyn ObjectStore>,
}

impl AssetStore {
    /// Files under `dir` (created when missing).
    pub fn local(dir: &std::path::Path) -> anyhow::Result<AssetStore> {
        std::fs::create_dir_all(dir)?;
        Ok(AssetStore { store: Arc::new(LocalFileSystem::new_with_prefix(dir)?) })
    }
}
