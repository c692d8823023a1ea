//! The scene: a flat, backend-neutral display list that every output draws from.
//!
//! [`crate::compose`] turns a `Design` into a [`Scene`]; the CPU rasteriser, the GPU canvas, the
//! SVG writer and the PDF writer each walk the same items, so what the canvas shows and what
//! the user downloads cannot drift apart. Coordinates are design pixels (the design's format
//! size); backends scale to their output size.

use std::ops::Range;
use std::sync::Arc;

pub use vello_cpu::kurbo::{Affine, BezPath, Point, Rect, Stroke as StrokeStyle};
pub use vello_cpu::peniko::FontData;

/// A colour in straight (not premultiplied) sRGB with alpha.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgba {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
    /// Alpha, 255 is opaque.
    pub a: u8,
}

impl Rgba {
    /// Opaque white.
    pub const WHITE: Rgba = Rgba { r: 255, g: 255, b: 255, a: 255 };
    /// Opaque black.
    pub const BLACK: Rgba = Rgba { r: 0, g: 0, b: 0, a: 255 };
    /// Fully transparent.
    pub const TRANSPARENT: Rgba = Rgba { r: 0, g: 0, b: 0, a: 0 };

    /// A colour from its components.
    pub const fn new(r: u8, g: u8, b: u8, a: u8) -> Self {
        Rgba { r, g, b, a }
    }

    /// The same colour with its alpha multiplied by `opacity` (0..=1).
    pub fn with_opacity(self, opacity: f32) -> Self {
        let a = (f32::from(self.a) * opacity.clamp(0.0, 1.0)).round();
        // Clamped to 0..=255 above.
        Rgba { a: a as u8, ..self }
    }

    /// `#rrggbb` (alpha is written separately by the SVG writer).
    pub fn hex_rgb(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

impl From<editor_core::Color> for Rgba {
    fn from(c: editor_core::Color) -> Self {
        Rgba { r: c.r, g: c.g, b: c.b, a: c.a }
    }
}

/// A gradient stop.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stop {
    /// Position along the gradient, 0..=1.
    pub offset: f32,
    /// Colour at that position.
    pub color: Rgba,
}

/// What happens past a gradient's ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Extend {
    /// The end colours continue.
    #[default]
    Pad,
    /// The gradient repeats.
    Repeat,
    /// The gradient repeats, mirrored.
    Reflect,
}

/// How a shape or glyph is painted.
///
/// Gradient geometry is in the gradient's own space; `transform` maps it into the space of the
/// item that uses the brush (before that item's own transform).
#[derive(Clone, Debug, PartialEq)]
pub enum Brush {
    /// One colour.
    Solid(Rgba),
    /// A linear gradient.
    Linear {
        /// Where offset 0 lies.
        start: Point,
        /// Where offset 1 lies.
        end: Point,
        /// Stops, sorted by offset.
        stops: Vec<Stop>,
        /// Past the ends.
        extend: Extend,
        /// Gradient space → item space.
        transform: Affine,
    },
    /// A two-point conical (radial) gradient; a plain radial one has `start_radius` 0 and equal
    /// centres.
    Radial {
        /// Centre of the offset-0 circle.
        start_center: Point,
        /// Radius of the offset-0 circle.
        start_radius: f32,
        /// Centre of the offset-1 circle.
        end_center: Point,
        /// Radius of the offset-1 circle.
        end_radius: f32,
        /// Stops, sorted by offset.
        stops: Vec<Stop>,
        /// Past the ends.
        extend: Extend,
        /// Gradient space → item space.
        transform: Affine,
    },
}

impl Brush {
    /// The brush with every colour's alpha multiplied by `opacity`.
    pub fn with_opacity(&self, opacity: f32) -> Brush {
        if opacity >= 1.0 {
            return self.clone();
        }
        let fade = |stops: &[Stop]| stops.iter().map(|s| Stop { color: s.color.with_opacity(opacity), ..*s }).collect();
        match self {
            Brush::Solid(c) => Brush::Solid(c.with_opacity(opacity)),
            Brush::Linear { start, end, stops, extend, transform } => {
                Brush::Linear { start: *start, end: *end, stops: fade(stops), extend: *extend, transform: *transform }
            }
            Brush::Radial { start_center, start_radius, end_center, end_radius, stops, extend, transform } => {
                Brush::Radial {
                    start_center: *start_center,
                    start_radius: *start_radius,
                    end_center: *end_center,
                    end_radius: *end_radius,
                    stops: fade(stops),
                    extend: *extend,
                    transform: *transform,
                }
            }
        }
    }

    /// True when nothing would be drawn (a transparent colour or all-transparent stops).
    pub fn is_invisible(&self) -> bool {
        match self {
            Brush::Solid(c) => c.a == 0,
            Brush::Linear { stops, .. } | Brush::Radial { stops, .. } => stops.iter().all(|s| s.color.a == 0),
        }
    }
}

/// Which parts of a self-intersecting path are inside.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FillRule {
    /// Non-zero winding.
    #[default]
    NonZero,
    /// Even-odd.
    EvenOdd,
}

/// A decoded raster image in straight (not premultiplied) RGBA8, row-major, no padding.
#[derive(Debug, PartialEq)]
pub struct RasterImage {
    /// Width in pixels (> 0).
    pub width: u32,
    /// Height in pixels (> 0).
    pub height: u32,
    /// `width * height * 4` bytes.
    pub pixels: Vec<u8>,
    /// True when every alpha is 255 (lets encoders and PDF skip the alpha channel).
    pub opaque: bool,
}

impl RasterImage {
    /// An image from straight RGBA8 pixels; `None` when the sizes disagree or are zero.
    pub fn new(width: u32, height: u32, pixels: Vec<u8>) -> Option<Self> {
        if width == 0 || height == 0 || pixels.len() != (width as usize) * (height as usize) * 4 {
            return None;
        }
        let opaque = pixels.chunks_exact(4).all(|p| p[3] == 255);
        Some(RasterImage { width, height, pixels, opaque })
    }
}

/// One glyph placed in its run.
#[derive(Clone, Debug, PartialEq)]
pub struct PositionedGlyph {
    /// Glyph id in the run's font.
    pub id: u32,
    /// Pen position of the glyph's origin (on the baseline), in run space.
    pub x: f32,
    /// Baseline position, in run space (y grows downwards).
    pub y: f32,
    /// Horizontal advance, in run space.
    pub advance: f32,
    /// The bytes of [`GlyphRun::text`] this glyph came from (for selectable PDF text).
    pub cluster: Range<usize>,
}

/// A run of glyphs in one font, size and brush.
#[derive(Clone, Debug)]
pub struct GlyphRun {
    /// The font file and face index.
    pub font: FontData,
    /// Family name as registered (for live SVG text).
    pub family: String,
    /// CSS weight actually used (for live SVG text).
    pub weight: u16,
    /// Italic actually used (for live SVG text).
    pub italic: bool,
    /// Size in run-space pixels per em.
    pub font_size: f32,
    /// Variable-font coordinates (normalised, 2.14 fixed point), empty for static fonts.
    pub normalized_coords: Vec<i16>,
    /// Extra slant when the font has no italic (faux italic), as a skew factor; 0 for none.
    pub synthetic_skew: f32,
    /// Extra weight when the font has no bold (faux bold), in em; 0 for none.
    pub synthetic_embolden: f32,
    /// The source text the clusters index into.
    pub text: Arc<str>,
    /// Glyphs in visual order.
    pub glyphs: Vec<PositionedGlyph>,
    /// Fill.
    pub brush: Brush,
    /// Run space → design space.
    pub transform: Affine,
}

/// A clip applied to a group.
#[derive(Clone, Debug, PartialEq)]
pub struct Clip {
    /// The clip outline.
    pub path: BezPath,
    /// Path space → design space.
    pub transform: Affine,
}

/// One drawing operation.
#[derive(Clone, Debug)]
pub enum Item {
    /// Fill a path.
    Fill {
        /// The outline.
        path: BezPath,
        /// Path space → design space.
        transform: Affine,
        /// The paint.
        brush: Brush,
        /// Inside rule.
        rule: FillRule,
    },
    /// Stroke a path.
    Stroke {
        /// The outline.
        path: BezPath,
        /// Path space → design space (the stroke width scales with it).
        transform: Affine,
        /// The paint.
        brush: Brush,
        /// Width, joins, caps, dashes.
        style: StrokeStyle,
    },
    /// Draw a raster image: the image's pixel rectangle `0,0..width,height`, mapped by
    /// `transform` into design space.
    Image {
        /// The pixels.
        image: Arc<RasterImage>,
        /// Image pixel space → design space.
        transform: Affine,
        /// Opacity, 0..=1.
        opacity: f32,
    },
    /// Draw text.
    Glyphs(GlyphRun),
    /// Start a group: what follows until the matching [`Item::PopGroup`] is composited as one
    /// layer with this opacity, inside this clip.
    PushGroup {
        /// Group opacity, 0..=1.
        opacity: f32,
        /// Optional clip.
        clip: Option<Clip>,
    },
    /// End the innermost group.
    PopGroup,
}

/// Something the scene builder could not do exactly, and what it did instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenderWarning {
    /// A font family is not in the catalogue; `used` was drawn instead.
    MissingFont {
        /// The layer.
        layer: String,
        /// What the design asked for.
        family: String,
        /// What was used.
        used: String,
    },
    /// Some characters have no glyph in any registered font.
    MissingGlyphs {
        /// The layer.
        layer: String,
        /// The characters (at most a few).
        chars: String,
    },
    /// An asset is not available; the layer was drawn as a placeholder.
    MissingAsset {
        /// The layer.
        layer: String,
        /// The asset id.
        asset: String,
    },
    /// An asset could not be used; the layer was drawn as a placeholder.
    BadAsset {
        /// The layer.
        layer: String,
        /// Why.
        reason: String,
    },
    /// Text did not fit its box even at the smallest auto-fit size.
    TextOverflow {
        /// The layer.
        layer: String,
    },
}

impl std::fmt::Display for RenderWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenderWarning::MissingFont { layer, family, used } => {
                write!(f, "layer {layer}: font family {family:?} is not available; drew it in {used:?}")
            }
            RenderWarning::MissingGlyphs { layer, chars } => {
                write!(f, "layer {layer}: no font has glyphs for {chars:?}")
            }
            RenderWarning::MissingAsset { layer, asset } => {
                write!(f, "layer {layer}: asset {asset} is not available; drew a placeholder")
            }
            RenderWarning::BadAsset { layer, reason } => write!(f, "layer {layer}: {reason}; drew a placeholder"),
            RenderWarning::TextOverflow { layer } => write!(f, "layer {layer}: text does not fit its box"),
        }
    }
}

/// A design ready to draw.
#[derive(Clone, Debug)]
pub struct Scene {
    /// Width in design pixels.
    pub width: f64,
    /// Height in design pixels.
    pub height: f64,
    /// Background, drawn first over the whole canvas unless the output asks for transparency.
    pub background: Option<Brush>,
    /// Drawing operations in paint order.
    pub items: Vec<Item>,
    /// What could not be drawn exactly.
    pub warnings: Vec<RenderWarning>,
}

impl Scene {
    /// An empty scene of the given size.
    pub fn new(width: f64, height: f64) -> Self {
        Scene { width, height, background: None, items: Vec::new(), warnings: Vec::new() }
    }

    /// The background as a fill item over the whole canvas, if there is one.
    pub fn background_item(&self) -> Option<Item> {
        self.background.as_ref().map(|brush| Item::Fill {
            path: Rect::new(0.0, 0.0, self.width, self.height).to_path(0.1),
            transform: Affine::IDENTITY,
            brush: brush.clone(),
            rule: FillRule::NonZero,
        })
    }
}

use vello_cpu::kurbo::Shape as _;
