//! `Design` → [`Scene`]. (Being written.)

use editor_core::Design;

use crate::assets::AssetSource;
use crate::export::RenderError;
use crate::fonts::FontLibrary;
use crate::scene::Scene;
use crate::text::TextEngine;

/// Builds the scene of `design`.
pub fn compose(
    design: &Design,
    _assets: &dyn AssetSource,
    _fonts: &FontLibrary,
    _text: &mut TextEngine,
) -> Result<Scene, RenderError> {
    Ok(Scene::new(f64::from(design.format.width), f64::from(design.format.height)))
}
