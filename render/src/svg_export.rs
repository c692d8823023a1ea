//! SVG export from a scene. (Being written: see issue 3.)

use crate::scene::Scene;

/// SVG export settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SvgOptions {
    /// Keep text as `<text>` instead of outlines.
    pub live_text: bool,
    /// Leave the background out.
    pub transparent: bool,
}

/// Writes `scene` as a standalone SVG document.
pub fn write_svg(_scene: &Scene, _options: &SvgOptions) -> String {
    String::new()
}
