//! Text layout with parley into glyph runs. (Being written: see issue 3.)

use editor_core::TextContent;

use crate::fonts::FontLibrary;
use crate::scene::{Affine, Item, RenderWarning};

/// Shaping and layout state (parley contexts over the bundled fonts). Not `Sync`: the
/// renderer keeps one behind a mutex.
pub struct TextEngine {
    _private: (),
}

impl TextEngine {
    /// An engine that sees exactly the fonts in `fonts`.
    pub fn new(_fonts: &FontLibrary) -> Self {
        TextEngine { _private: () }
    }

    /// Lays out `content` in a `w`×`h` box whose local space maps to design space by
    /// `transform` (origin at the box's top-left), appending glyph runs and decorations.
    pub fn layout(
        &mut self,
        _layer: &str,
        _content: &TextContent,
        _w: f64,
        _h: f64,
        _transform: Affine,
        _items: &mut Vec<Item>,
        _warnings: &mut Vec<RenderWarning>,
    ) {
    }
}
