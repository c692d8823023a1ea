//! The bundled font library: `assets/fonts/catalog.json` and the files it lists.
//! (Being written: see issue 3.)

use std::path::{Path, PathBuf};

use crate::scene::FontData;

/// Family used when a design names nothing we have.
pub const DEFAULT_FAMILY: &str = "Inter";

/// Why the font library could not load.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    /// The catalogue or a font file could not be read or parsed.
    #[error("font library at {path}: {reason}")]
    Load {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// Broad style class of a family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FontCategory {
    /// Sans serif.
    Sans,
    /// Serif.
    Serif,
    /// Display / headline faces.
    Display,
    /// Script and handwriting.
    Script,
    /// Monospace.
    Mono,
}

/// One family in the catalogue.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FontFamilyInfo {
    /// Family name as designs name it.
    pub family: String,
    /// Category.
    pub category: FontCategory,
}

/// The fonts every renderer draws with.
#[derive(Debug)]
pub struct FontLibrary {
    families: Vec<FontFamilyInfo>,
    faces: Vec<FontData>,
}

impl FontLibrary {
    /// Loads the catalogue and fonts in `dir`.
    pub fn load(dir: &Path) -> Result<Self, FontError> {
        Err(FontError::Load { path: dir.to_owned(), reason: "not yet implemented".into() })
    }

    /// Every family, in catalogue order.
    pub fn families(&self) -> &[FontFamilyInfo] {
        &self.families
    }

    /// Every face file registered (for usvg's font database).
    pub fn faces(&self) -> &[FontData] {
        &self.faces
    }
}
