//! SVG import: an allow-list sanitiser in front of usvg. (Being written: see issue 3.)

use crate::fonts::FontLibrary;
use crate::scene::{Affine, Item};

/// Why an SVG was refused.
#[derive(Debug, thiserror::Error)]
pub enum SvgError {
    /// Refused by the sanitiser or parser.
    #[error("SVG rejected: {0}")]
    Rejected(String),
}

/// A parsed, sanitised SVG.
#[derive(Debug)]
pub struct SvgDocument {
    width: f64,
    height: f64,
}

impl SvgDocument {
    /// Intrinsic width.
    pub fn width(&self) -> f64 {
        self.width
    }
    /// Intrinsic height.
    pub fn height(&self) -> f64 {
        self.height
    }
}

/// Sanitises and parses `bytes`.
pub fn import(_bytes: &[u8], _fonts: &FontLibrary) -> Result<SvgDocument, SvgError> {
    Err(SvgError::Rejected("not yet implemented".into()))
}

/// Appends the drawing of `doc` (its viewBox mapped to `0,0..width,height`, then `transform`).
pub fn draw(_doc: &SvgDocument, _transform: Affine, _items: &mut Vec<Item>) {}
