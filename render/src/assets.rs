//! Where the renderer gets image and SVG bytes: a trait, with in-memory and directory sources.
//! Render never fetches anything over a network; the server hands bytes in.

use std::collections::HashMap;
use std::path::PathBuf;

use editor_core::AssetId;

/// Gives the bytes of an asset, or `None` when it is not available.
pub trait AssetSource: Sync {
    /// The asset's bytes.
    fn load(&self, id: &AssetId) -> Option<Vec<u8>>;
}

/// Assets held in memory.
#[derive(Clone, Debug, Default)]
pub struct MemoryAssets {
    items: HashMap<String, Vec<u8>>,
}

impl MemoryAssets {
    /// No assets.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `bytes` under their content id and returns it.
    pub fn insert(&mut self, bytes: Vec<u8>) -> AssetId {
        let id = AssetId::for_bytes(&bytes);
        self.items.insert(id.as_str().to_owned(), bytes);
        id
    }
}

impl AssetSource for MemoryAssets {
    fn load(&self, id: &AssetId) -> Option<Vec<u8>> {
        self.items.get(id.as_str()).cloned()
    }
}

/// Assets stored as files named by their id in one folder.
#[derive(Clone, Debug)]
pub struct DirAssets {
    dir: PathBuf,
}

impl DirAssets {
    /// Assets in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        DirAssets { dir: dir.into() }
    }
}

impl AssetSource for DirAssets {
    fn load(&self, id: &AssetId) -> Option<Vec<u8>> {
        // Ids are validated hex, so they cannot name another folder.
        std::fs::read(self.dir.join(id.as_str())).ok()
    }
}
