//! The typed design model: [`Design`], [`Layer`] and the values layers carry.
//!
//! Coordinates are canvas pixels with the origin at the top-left; every layer's `x y w h` is in
//! canvas space (a group's children too) and `rotation` is in degrees, clockwise, about the
//! layer's centre. A group's rotation and opacity apply to its children.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::color::Color;
use crate::error::ValidationError;
use crate::format::{Format, Rect};
use crate::fractional_index;
use crate::ids::{AssetId, LayerId};

/// Limits every design must respect; the CRDT read clamps remote data to them too.
pub mod limits {
    /// Most layers in one design.
    pub const MAX_LAYERS: usize = 10_000;
    /// Most characters (Unicode scalar values) in one text layer.
    pub const MAX_TEXT_CHARS: usize = 100_000;
    /// Largest absolute coordinate or size, in pixels.
    pub const MAX_COORD: f64 = 1_000_000.0;
    /// Longest layer or design name, in characters.
    pub const MAX_NAME_CHARS: usize = 256;
    /// Largest font size in pixels.
    pub const MAX_FONT_SIZE: f64 = 4_096.0;
    /// Most stops in one gradient.
    pub const MAX_GRADIENT_STOPS: usize = 32;
    /// Longest SVG path data, in bytes.
    pub const MAX_PATH_DATA: usize = 100_000;
    /// Most entries in a stroke dash pattern.
    pub const MAX_DASHES: usize = 16;
    /// Longest font family name.
    pub const MAX_FAMILY_CHARS: usize = 128;
}

/// A point, in the unit square of a layer's box for gradients (0,0 top-left, 1,1 bottom-right).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Horizontal.
    pub x: f64,
    /// Vertical.
    pub y: f64,
}

/// One colour stop of a gradient.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradientStop {
    /// Position along the gradient, 0..=1.
    pub offset: f64,
    /// Colour at that position.
    pub color: Color,
}

/// How an area is filled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Paint {
    /// One colour.
    Solid {
        /// The colour.
        color: Color,
    },
    /// A linear gradient from `start` to `end` (unit-box coordinates).
    LinearGradient {
        /// Where offset 0 lies.
        start: Point,
        /// Where offset 1 lies.
        end: Point,
        /// Colour stops, sorted by offset.
        stops: Vec<GradientStop>,
    },
    /// A radial gradient around `center` (unit-box coordinates; `radius` relative to the box).
    RadialGradient {
        /// Centre.
        center: Point,
        /// Radius at offset 1.
        radius: f64,
        /// Colour stops, sorted by offset.
        stops: Vec<GradientStop>,
    },
}

impl Paint {
    /// A solid paint.
    pub fn solid(color: Color) -> Self {
        Paint::Solid { color }
    }

    fn validate(&self, field: &str) -> Result<(), ValidationError> {
        let stops = match self {
            Paint::Solid { .. } => return Ok(()),
            Paint::LinearGradient { start, end, stops } => {
                for (name, p) in [("start", start), ("end", end)] {
                    check_range(&format!("{field} {name}.x"), p.x, -100.0, 100.0)?;
                    check_range(&format!("{field} {name}.y"), p.y, -100.0, 100.0)?;
                }
                stops
            }
            Paint::RadialGradient { center, radius, stops } => {
                check_range(&format!("{field} center.x"), center.x, -100.0, 100.0)?;
                check_range(&format!("{field} center.y"), center.y, -100.0, 100.0)?;
                check_range(&format!("{field} radius"), *radius, 0.0, 100.0)?;
                stops
            }
        };
        if stops.is_empty() {
            return Err(ValidationError::Invalid(format!("{field} gradient needs at least one stop")));
        }
        check_len(&format!("{field} stops"), stops.len(), limits::MAX_GRADIENT_STOPS, "stops")?;
        for stop in stops {
            check_range(&format!("{field} stop offset"), stop.offset, 0.0, 1.0)?;
        }
        Ok(())
    }
}

/// An outline drawn along a shape's edge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stroke {
    /// What the outline is painted with.
    pub paint: Paint,
    /// Width in pixels.
    pub width: f64,
    /// Dash pattern (on, off, …) in pixels; empty for a solid line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dash: Vec<f64>,
}

impl Stroke {
    fn validate(&self, field: &str) -> Result<(), ValidationError> {
        self.paint.validate(field)?;
        check_range(&format!("{field} width"), self.width, 0.0, 10_000.0)?;
        check_len(&format!("{field} dash"), self.dash.len(), limits::MAX_DASHES, "entries")?;
        for d in &self.dash {
            check_range(&format!("{field} dash"), *d, 0.0, 10_000.0)?;
        }
        Ok(())
    }
}

/// What a layer is for. The generator and magic resize lay designs out by role.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// No particular role.
    #[default]
    None,
    /// The main message.
    Headline,
    /// Secondary line under the headline.
    Subline,
    /// Body copy.
    Body,
    /// Call to action (button or text).
    Cta,
    /// Brand name as text.
    BrandName,
    /// Offer (e.g. "30 % off").
    Offer,
    /// Date or time.
    Date,
    /// The brand logo.
    Logo,
    /// A photo.
    Photo,
    /// Decorative element.
    Decoration,
    /// Full-bleed background element.
    Background,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 12] = [
        Role::None,
        Role::Headline,
        Role::Subline,
        Role::Body,
        Role::Cta,
        Role::BrandName,
        Role::Offer,
        Role::Date,
        Role::Logo,
        Role::Photo,
        Role::Decoration,
        Role::Background,
    ];

    /// The key written to documents and files.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::None => "none",
            Role::Headline => "headline",
            Role::Subline => "subline",
            Role::Body => "body",
            Role::Cta => "cta",
            Role::BrandName => "brand_name",
            Role::Offer => "offer",
            Role::Date => "date",
            Role::Logo => "logo",
            Role::Photo => "photo",
            Role::Decoration => "decoration",
            Role::Background => "background",
        }
    }

    /// The role for a key; unknown keys (from a newer client) read as `None`.
    pub fn from_key(key: &str) -> Role {
        Role::ALL.iter().copied().find(|r| r.as_str() == key).unwrap_or(Role::None)
    }

    /// Whether the role is a piece of copy (text the generator writes).
    pub fn is_copy(self) -> bool {
        matches!(
            self,
            Role::Headline | Role::Subline | Role::Body | Role::Cta | Role::BrandName | Role::Offer | Role::Date
        )
    }
}

/// Horizontal text alignment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextAlign {
    /// Flush left (start in right-to-left text is still left).
    #[default]
    Left,
    /// Centred.
    Center,
    /// Flush right.
    Right,
    /// Justified.
    Justify,
}

impl TextAlign {
    /// Every alignment.
    pub const ALL: [TextAlign; 4] = [TextAlign::Left, TextAlign::Center, TextAlign::Right, TextAlign::Justify];

    /// Key in documents and files.
    pub fn as_str(self) -> &'static str {
        match self {
            TextAlign::Left => "left",
            TextAlign::Center => "center",
            TextAlign::Right => "right",
            TextAlign::Justify => "justify",
        }
    }

    /// Parses a key; unknown keys read as `Left`.
    pub fn from_key(key: &str) -> TextAlign {
        TextAlign::ALL.iter().copied().find(|a| a.as_str() == key).unwrap_or_default()
    }
}

/// A text layer's content and style.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextContent {
    /// The text. In the document it is a `Y.Text` edited with UTF-16 offsets.
    pub text: String,
    /// Font family, as registered from `assets/fonts`.
    pub font_family: String,
    /// CSS weight, 1..=1000.
    pub font_weight: u16,
    /// Italic style.
    #[serde(default)]
    pub italic: bool,
    /// Size in pixels.
    pub font_size: f64,
    /// Text colour.
    pub color: Color,
    /// Alignment within the box.
    #[serde(default)]
    pub align: TextAlign,
    /// Line height as a multiple of the font size.
    pub line_height: f64,
    /// Extra space between letters, in em.
    #[serde(default)]
    pub letter_spacing: f64,
    /// Vertical alignment of the text block within the box.
    #[serde(default)]
    pub vertical_align: VerticalAlign,
    /// Shrink the font size (never grow it) until the text fits its box.
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto_fit: bool,
    /// Rich-text runs: styles that override the layer's own over UTF-16 ranges of `text`,
    /// sorted and not overlapping. In the document they are `Y.Text` formatting attributes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spans: Vec<TextSpan>,
}

/// Vertical alignment of a text block within its layer box.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerticalAlign {
    /// Top of the box.
    #[default]
    Top,
    /// Centred.
    Middle,
    /// Bottom of the box.
    Bottom,
}

impl VerticalAlign {
    /// Every alignment.
    pub const ALL: [VerticalAlign; 3] = [VerticalAlign::Top, VerticalAlign::Middle, VerticalAlign::Bottom];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            VerticalAlign::Top => "top",
            VerticalAlign::Middle => "middle",
            VerticalAlign::Bottom => "bottom",
        }
    }

    /// Parses a wire name; unknown names fall back to top.
    pub fn from_key(key: &str) -> VerticalAlign {
        VerticalAlign::ALL.iter().copied().find(|a| a.as_str() == key).unwrap_or_default()
    }
}

/// Style overrides for a range of text. `None` keeps the layer's own value.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TextStyle {
    /// Font family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font_family: Option<String>,
    /// CSS weight, 1..=1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font_weight: Option<u16>,
    /// Italic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub italic: Option<bool>,
    /// Size in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font_size: Option<f64>,
    /// Colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<Color>,
    /// Underline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub underline: Option<bool>,
}

/// One property of a [`TextStyle`], to name what [`crate::Command::ClearTextFormat`] removes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextStyleField {
    /// [`TextStyle::font_family`].
    FontFamily,
    /// [`TextStyle::font_weight`].
    FontWeight,
    /// [`TextStyle::italic`].
    Italic,
    /// [`TextStyle::font_size`].
    FontSize,
    /// [`TextStyle::color`].
    Color,
    /// [`TextStyle::underline`].
    Underline,
}

impl TextStyleField {
    /// Every field, in the order they are written to documents.
    pub const ALL: [TextStyleField; 6] = [
        TextStyleField::FontFamily,
        TextStyleField::FontWeight,
        TextStyleField::Italic,
        TextStyleField::FontSize,
        TextStyleField::Color,
        TextStyleField::Underline,
    ];
}

impl TextStyle {
    /// True when the style overrides nothing.
    pub fn is_empty(&self) -> bool {
        *self == TextStyle::default()
    }

    pub(crate) fn validate(&self, field: &str) -> Result<(), ValidationError> {
        if let Some(f) = &self.font_family {
            if f.is_empty() {
                return Err(ValidationError::Invalid(format!("{field} font family must not be empty")));
            }
            check_len(&format!("{field} font family"), f.chars().count(), limits::MAX_FAMILY_CHARS, "characters")?;
        }
        if let Some(w) = self.font_weight {
            check_range(&format!("{field} font weight"), f64::from(w), 1.0, 1000.0)?;
        }
        if let Some(s) = self.font_size {
            check_range(&format!("{field} font size"), s, 0.5, limits::MAX_FONT_SIZE)?;
        }
        Ok(())
    }
}

/// A styled run of a text layer: `start..end` in UTF-16 units of the layer's text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextSpan {
    /// First UTF-16 unit.
    pub start: u32,
    /// One past the last UTF-16 unit.
    pub end: u32,
    /// What the run overrides.
    #[serde(flatten)]
    pub style: TextStyle,
}

impl TextContent {
    /// Text in the default style (Inter 400, 48 px, black, left, 1.2 line height).
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            font_family: "Inter".into(),
            font_weight: 400,
            italic: false,
            font_size: 48.0,
            color: Color::BLACK,
            align: TextAlign::Left,
            line_height: 1.2,
            letter_spacing: 0.0,
            vertical_align: VerticalAlign::Top,
            auto_fit: false,
            spans: Vec::new(),
        }
    }

    /// Puts `spans` in canonical form: spans that override nothing are dropped and touching
    /// spans with equal styles are merged. The CRDT read always returns this form, so two text
    /// contents that style the same characters the same way compare equal after normalising.
    pub fn normalize_spans(&mut self) {
        let mut out: Vec<TextSpan> = Vec::with_capacity(self.spans.len());
        for span in std::mem::take(&mut self.spans) {
            if span.style.is_empty() {
                continue;
            }
            match out.last_mut() {
                Some(last) if last.end == span.start && last.style == span.style => last.end = span.end,
                _ => out.push(span),
            }
        }
        self.spans = out;
    }
}

/// How an image fills its box.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// Scale to cover the box, cropping the overflow.
    #[default]
    Cover,
    /// Scale to fit inside the box.
    Contain,
    /// Stretch to the box.
    Fill,
}

impl Fit {
    /// Every fit.
    pub const ALL: [Fit; 3] = [Fit::Cover, Fit::Contain, Fit::Fill];

    /// Key in documents and files.
    pub fn as_str(self) -> &'static str {
        match self {
            Fit::Cover => "cover",
            Fit::Contain => "contain",
            Fit::Fill => "fill",
        }
    }

    /// Parses a key; unknown keys read as `Cover`.
    pub fn from_key(key: &str) -> Fit {
        Fit::ALL.iter().copied().find(|f| f.as_str() == key).unwrap_or_default()
    }
}

/// The part of the source image shown, as fractions of its width and height.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Crop {
    /// Left edge, 0..1.
    pub x: f64,
    /// Top edge, 0..1.
    pub y: f64,
    /// Width, 0..1.
    pub w: f64,
    /// Height, 0..1.
    pub h: f64,
}

/// Colour adjustments of an image; 0 is unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Filters {
    /// −1..=1.
    #[serde(default)]
    pub brightness: f64,
    /// −1..=1.
    #[serde(default)]
    pub contrast: f64,
    /// −1..=1 (−1 is greyscale).
    #[serde(default)]
    pub saturation: f64,
    /// Gaussian blur radius in pixels, 0..=100.
    #[serde(default)]
    pub blur: f64,
}

/// An image layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageContent {
    /// The image bytes' content address.
    pub asset: AssetId,
    /// Part of the image shown; `None` shows all of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crop: Option<Crop>,
    /// How it fills the box.
    #[serde(default)]
    pub fit: Fit,
    /// Colour adjustments.
    #[serde(default)]
    pub filters: Filters,
}

/// A shape's geometry, drawn inside the layer's box.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Shape {
    /// Rectangle with per-corner radii (top-left, top-right, bottom-right, bottom-left).
    Rect {
        /// Corner radii in pixels.
        #[serde(default)]
        corner_radii: [f64; 4],
    },
    /// Ellipse filling the box.
    Ellipse,
    /// Regular polygon.
    Polygon {
        /// Number of sides, 3..=64.
        sides: u32,
    },
    /// Star.
    Star {
        /// Number of points, 3..=64.
        points: u32,
        /// Inner radius as a fraction of the outer, 0..=1.
        inner_ratio: f64,
    },
    /// Line from the box's top-left to its bottom-right corner.
    Line,
    /// SVG path data in the layer's box coordinates (0,0 top-left, w,h bottom-right).
    Path {
        /// The `d` attribute.
        d: String,
    },
}

impl Shape {
    fn validate(&self, field: &str) -> Result<(), ValidationError> {
        match self {
            Shape::Rect { corner_radii } => {
                for r in corner_radii {
                    check_range(&format!("{field} corner radius"), *r, 0.0, limits::MAX_COORD)?;
                }
            }
            Shape::Ellipse | Shape::Line => {}
            Shape::Polygon { sides } => check_range(&format!("{field} sides"), f64::from(*sides), 3.0, 64.0)?,
            Shape::Star { points, inner_ratio } => {
                check_range(&format!("{field} points"), f64::from(*points), 3.0, 64.0)?;
                check_range(&format!("{field} inner_ratio"), *inner_ratio, 0.0, 1.0)?;
            }
            Shape::Path { d } => check_len(&format!("{field} path"), d.len(), limits::MAX_PATH_DATA, "bytes")?,
        }
        Ok(())
    }
}

/// A shape layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShapeContent {
    /// Geometry.
    pub shape: Shape,
    /// Fill; `None` is unfilled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill: Option<Paint>,
    /// Outline; `None` is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stroke: Option<Stroke>,
}

/// A layer showing a sanitised SVG asset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SvgContent {
    /// The sanitised SVG's content address.
    pub asset: AssetId,
}

/// What a layer draws.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LayerContent {
    /// Text.
    Text(TextContent),
    /// A raster image.
    Image(ImageContent),
    /// A vector shape.
    Shape(ShapeContent),
    /// An SVG asset.
    Svg(SvgContent),
    /// A group of other layers (they name it as `parent`).
    Group,
}

impl LayerContent {
    /// `text`, `image`, `shape`, `svg` or `group`.
    pub fn kind(&self) -> &'static str {
        match self {
            LayerContent::Text(_) => "text",
            LayerContent::Image(_) => "image",
            LayerContent::Shape(_) => "shape",
            LayerContent::Svg(_) => "svg",
            LayerContent::Group => "group",
        }
    }
}

fn one() -> f64 {
    1.0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One element of a design.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    /// Unique within the design.
    pub id: LayerId,
    /// The group holding this layer; `None` at the top level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<LayerId>,
    /// Fractional-index key ordering this layer among its siblings (higher draws on top; ties
    /// break by id). Design files may leave it empty: it is then assigned from file order.
    #[serde(default)]
    pub z: String,
    /// Name shown in the layers panel.
    #[serde(default)]
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub role: Role,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width (≥ 0).
    pub w: f64,
    /// Height (≥ 0).
    pub h: f64,
    /// Clockwise rotation in degrees about the centre.
    #[serde(default)]
    pub rotation: f64,
    /// 0 (invisible) ..= 1 (opaque).
    #[serde(default = "one")]
    pub opacity: f64,
    /// Hidden layers are kept but not drawn.
    #[serde(default, skip_serializing_if = "is_false")]
    pub hidden: bool,
    /// Locked layers cannot be moved or edited until unlocked.
    #[serde(default, skip_serializing_if = "is_false")]
    pub locked: bool,
    /// What it draws.
    #[serde(flatten)]
    pub content: LayerContent,
}

impl Layer {
    /// A layer with default properties (no parent, empty z, full opacity).
    pub fn new(id: LayerId, content: LayerContent, bounds: Rect) -> Self {
        Self {
            id,
            parent: None,
            z: String::new(),
            name: String::new(),
            role: Role::None,
            x: bounds.x,
            y: bounds.y,
            w: bounds.w,
            h: bounds.h,
            rotation: 0.0,
            opacity: 1.0,
            hidden: false,
            locked: false,
            content,
        }
    }

    /// A text layer in the default style.
    pub fn text(id: LayerId, text: &str, bounds: Rect) -> Self {
        Self::new(id, LayerContent::Text(TextContent::new(text)), bounds)
    }

    /// A filled rectangle.
    pub fn rect(id: LayerId, bounds: Rect, fill: Color) -> Self {
        Self::new(
            id,
            LayerContent::Shape(ShapeContent {
                shape: Shape::Rect { corner_radii: [0.0; 4] },
                fill: Some(Paint::solid(fill)),
                stroke: None,
            }),
            bounds,
        )
    }

    /// An empty group.
    pub fn group(id: LayerId, bounds: Rect) -> Self {
        Self::new(id, LayerContent::Group, bounds)
    }

    /// The layer's box (before rotation).
    pub fn bounds(&self) -> Rect {
        Rect::new(self.x, self.y, self.w, self.h)
    }

    /// Whether the layer is a group.
    pub fn is_group(&self) -> bool {
        matches!(self.content, LayerContent::Group)
    }

    /// Checks this layer on its own (not its parent link).
    pub fn validate(&self) -> Result<(), ValidationError> {
        let id = self.id.as_str();
        let field = |name: &str| format!("layer {id:?} {name}");
        if !self.z.is_empty() && !fractional_index::is_valid_key(&self.z) {
            return Err(ValidationError::InvalidZ { id: id.into(), z: self.z.chars().take(40).collect() });
        }
        check_len(&field("name"), self.name.chars().count(), limits::MAX_NAME_CHARS, "characters")?;
        for (name, v) in [("x", self.x), ("y", self.y)] {
            check_range(&field(name), v, -limits::MAX_COORD, limits::MAX_COORD)?;
        }
        for (name, v) in [("w", self.w), ("h", self.h)] {
            check_range(&field(name), v, 0.0, limits::MAX_COORD)?;
        }
        check_range(&field("rotation"), self.rotation, -360_000.0, 360_000.0)?;
        check_range(&field("opacity"), self.opacity, 0.0, 1.0)?;
        match &self.content {
            LayerContent::Text(t) => {
                check_len(&field("text"), t.text.chars().count(), limits::MAX_TEXT_CHARS, "characters")?;
                if t.font_family.is_empty() {
                    return Err(ValidationError::Invalid(format!("{} must not be empty", field("font family"))));
                }
                check_len(
                    &field("font family"),
                    t.font_family.chars().count(),
                    limits::MAX_FAMILY_CHARS,
                    "characters",
                )?;
                check_range(&field("font weight"), f64::from(t.font_weight), 1.0, 1000.0)?;
                check_range(&field("font size"), t.font_size, 0.5, limits::MAX_FONT_SIZE)?;
                check_range(&field("line height"), t.line_height, 0.1, 10.0)?;
                check_range(&field("letter spacing"), t.letter_spacing, -1.0, 10.0)?;
                let units: Vec<u16> = if t.spans.is_empty() { Vec::new() } else { t.text.encode_utf16().collect() };
                let len = units.len();
                let mut prev_end = 0u32;
                for span in &t.spans {
                    if span.start >= span.end || span.start < prev_end || span.end as usize > len {
                        return Err(ValidationError::Invalid(format!(
                            "{} {}..{} must be a non-empty range inside the text ({len} UTF-16 units), \
                             sorted and not overlapping",
                            field("span"),
                            span.start,
                            span.end
                        )));
                    }
                    for edge in [span.start as usize, span.end as usize] {
                        if edge < len && (0xDC00..0xE000).contains(&units[edge]) {
                            return Err(ValidationError::Invalid(format!(
                                "{} edge {edge} splits a character",
                                field("span")
                            )));
                        }
                    }
                    span.style.validate(&field("span"))?;
                    prev_end = span.end;
                }
            }
            LayerContent::Image(img) => {
                if let Some(c) = img.crop {
                    for (name, v) in [("crop x", c.x), ("crop y", c.y)] {
                        check_range(&field(name), v, 0.0, 1.0)?;
                    }
                    for (name, v) in [("crop w", c.w), ("crop h", c.h)] {
                        check_range(&field(name), v, 0.0001, 1.0)?;
                    }
                }
                let f = img.filters;
                for (name, v) in [("brightness", f.brightness), ("contrast", f.contrast), ("saturation", f.saturation)]
                {
                    check_range(&field(name), v, -1.0, 1.0)?;
                }
                check_range(&field("blur"), f.blur, 0.0, 100.0)?;
            }
            LayerContent::Shape(s) => {
                s.shape.validate(&field("shape"))?;
                if let Some(fill) = &s.fill {
                    fill.validate(&field("fill"))?;
                }
                if let Some(stroke) = &s.stroke {
                    stroke.validate(&field("stroke"))?;
                }
            }
            LayerContent::Svg(_) | LayerContent::Group => {}
        }
        Ok(())
    }
}

/// A whole creative.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Design {
    /// Title shown in the app.
    pub name: String,
    /// Canvas platform and size.
    pub format: Format,
    /// Paint behind every layer.
    pub background: Paint,
    /// Layers in paint order (see [`Design::normalize`]).
    pub layers: Vec<Layer>,
}

impl Design {
    /// An empty design with a white background.
    pub fn new(name: &str, format: Format) -> Self {
        Self { name: name.to_owned(), format, background: Paint::solid(Color::WHITE), layers: Vec::new() }
    }

    /// The layer with `id`.
    pub fn layer(&self, id: &LayerId) -> Option<&Layer> {
        self.layers.iter().find(|l| &l.id == id)
    }

    /// Checks every rule: sizes, numbers, lengths, unique ids, parents that are groups, no cycles.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_len("design name", self.name.chars().count(), limits::MAX_NAME_CHARS, "characters")?;
        self.format.validate()?;
        self.background.validate("background")?;
        check_len("design", self.layers.len(), limits::MAX_LAYERS, "layers")?;
        let mut kinds: HashMap<&LayerId, bool> = HashMap::with_capacity(self.layers.len());
        for layer in &self.layers {
            layer.validate()?;
            if kinds.insert(&layer.id, layer.is_group()).is_some() {
                return Err(ValidationError::DuplicateLayer { id: layer.id.to_string() });
            }
        }
        let parents: HashMap<&LayerId, &LayerId> =
            self.layers.iter().filter_map(|l| l.parent.as_ref().map(|p| (&l.id, p))).collect();
        for layer in &self.layers {
            if let Some(parent) = &layer.parent
                && kinds.get(parent) != Some(&true)
            {
                return Err(ValidationError::BadParent { id: layer.id.to_string(), parent: parent.to_string() });
            }
            let mut seen = HashSet::new();
            let mut at = &layer.id;
            while let Some(p) = parents.get(at) {
                if !seen.insert(*p) || *p == &layer.id {
                    return Err(ValidationError::ParentCycle { id: layer.id.to_string() });
                }
                at = p;
            }
        }
        Ok(())
    }

    /// Puts layers in canonical paint order: siblings sorted by (`z`, id), each group followed
    /// by its descendants. Layers whose parent is missing are moved to the top level first.
    /// Text spans are put in canonical form too ([`TextContent::normalize_spans`]).
    /// Two designs with the same content compare equal after normalising.
    pub fn normalize(&mut self) {
        for layer in &mut self.layers {
            if let LayerContent::Text(t) = &mut layer.content {
                t.normalize_spans();
            }
        }
        let ids: HashSet<LayerId> = self.layers.iter().filter(|l| l.is_group()).map(|l| l.id.clone()).collect();
        for layer in &mut self.layers {
            if layer.parent.as_ref().is_some_and(|p| !ids.contains(p)) {
                layer.parent = None;
            }
        }
        let mut children: HashMap<Option<LayerId>, Vec<Layer>> = HashMap::new();
        for layer in std::mem::take(&mut self.layers) {
            children.entry(layer.parent.clone()).or_default().push(layer);
        }
        for list in children.values_mut() {
            list.sort_by(|a, b| a.z.cmp(&b.z).then_with(|| a.id.cmp(&b.id)));
        }
        let mut out = Vec::new();
        emit_children(None, &mut children, &mut out);
        // Anything left is on a parent cycle; `validate` reports it, normalising keeps it.
        let mut rest: Vec<Layer> = children.into_values().flatten().collect();
        rest.sort_by(|a, b| a.id.cmp(&b.id));
        out.extend(rest);
        self.layers = out;
    }

    /// Assigns fresh z keys, in current list order per parent, to layers whose key is empty,
    /// placing them above their siblings that already have keys.
    pub fn assign_missing_z(&mut self) {
        let mut last: HashMap<Option<LayerId>, String> = HashMap::new();
        for layer in self.layers.iter().filter(|l| !l.z.is_empty()) {
            let entry = last.entry(layer.parent.clone()).or_default();
            if layer.z > *entry {
                *entry = layer.z.clone();
            }
        }
        for layer in self.layers.iter_mut().filter(|l| l.z.is_empty()) {
            let entry = last.entry(layer.parent.clone()).or_default();
            let above = if entry.is_empty() { None } else { Some(entry.as_str()) };
            let key =
                fractional_index::key_between(above, None).unwrap_or_else(|_| fractional_index::FIRST_KEY.to_owned());
            layer.z = key.clone();
            *entry = key;
        }
    }
}

fn emit_children(parent: Option<LayerId>, children: &mut HashMap<Option<LayerId>, Vec<Layer>>, out: &mut Vec<Layer>) {
    let Some(list) = children.remove(&parent) else { return };
    for layer in list {
        let id = layer.id.clone();
        let group = layer.is_group();
        out.push(layer);
        if group {
            emit_children(Some(id), children, out);
        }
    }
}

pub(crate) fn check_range(field: &str, value: f64, min: f64, max: f64) -> Result<(), ValidationError> {
    if !value.is_finite() {
        return Err(ValidationError::NotFinite { field: field.to_owned() });
    }
    if value < min || value > max {
        return Err(ValidationError::OutOfRange { field: field.to_owned(), value, min, max });
    }
    Ok(())
}

pub(crate) fn check_len(field: &str, len: usize, max: usize, unit: &'static str) -> Result<(), ValidationError> {
    if len > max {
        return Err(ValidationError::TooLong { field: field.to_owned(), len, max, unit });
    }
    Ok(())
}
