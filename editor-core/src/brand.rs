//! Brand kits: a workbench's named colours, fonts and logos.

use serde::{Deserialize, Serialize};

use crate::color::Color;
use crate::ids::AssetId;

/// A colour with a name and, optionally, the job it does in designs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BrandColor {
    /// Name shown to the user, e.g. "Ocean".
    pub name: String,
    /// The colour.
    pub color: Color,
    /// `primary`, `secondary`, `accent`, `background` or `text`; empty if none.
    #[serde(default)]
    pub usage: String,
}

/// A brand font and where it is used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BrandFont {
    /// Family name, as registered from `assets/fonts` or an uploaded font asset.
    pub family: String,
    /// Preferred weight.
    pub weight: u16,
    /// `heading` or `body`.
    pub usage: String,
}

/// A workbench's brand: colours, fonts and logos.
///
/// [`crate::Command::ApplyBrandKit`] applies it by role: the background takes the `background`
/// colour; headline, brand name and offer text take the `heading` font and the `primary` colour
/// (or `text` when `primary` would fail WCAG AA contrast on the background); other copy takes
/// the `body` font and `text` colour; a call-to-action shape takes the `accent` fill; logo
/// layers show the first logo.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BrandKit {
    /// Brand name.
    #[serde(default)]
    pub name: String,
    /// Colours.
    #[serde(default)]
    pub colors: Vec<BrandColor>,
    /// Fonts.
    #[serde(default)]
    pub fonts: Vec<BrandFont>,
    /// Logo assets (SVG or raster), preferred first.
    #[serde(default)]
    pub logos: Vec<AssetId>,
}

impl BrandKit {
    /// The colour for a usage (`primary`, `secondary`, `accent`, `background`, `text`).
    pub fn color(&self, usage: &str) -> Option<Color> {
        self.colors.iter().find(|c| c.usage == usage).map(|c| c.color)
    }

    /// The font for a usage (`heading` or `body`), falling back to the first font.
    pub fn font(&self, usage: &str) -> Option<&BrandFont> {
        self.fonts.iter().find(|f| f.usage == usage).or_else(|| self.fonts.first())
    }
}
