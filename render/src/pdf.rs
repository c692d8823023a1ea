//! PDF export with krilla.
//!
//! One page of `width × height` design pixels at 96 dpi (1 px = 0.75 pt). Fills and strokes
//! are vector paths with solid, linear and two-point radial paints; images are embedded as
//! Flate-compressed RGB with a soft mask for alpha; groups become opacity layers and clip
//! paths; glyph runs become real PDF text in embedded, subset fonts (colour glyphs through
//! krilla's Type 3 fonts), so the text can be selected, searched and extracted.

use std::collections::HashMap;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{Path, PathBuilder, Point as PdfPoint, Size as PdfSize, Transform};
use krilla::image::{BitsPerComponent, CustomImage, Image, ImageColorspace};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{
    Fill, FillRule as PdfFillRule, LineCap, LineJoin, LinearGradient, Paint, RadialGradient, SpreadMethod,
    Stop as PdfStop, Stroke, StrokeDash,
};
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph, Tag};
use skrifa::MetadataProvider as _;
use skrifa::raw::TableProvider as _;
use vello_cpu::kurbo::{Cap, Join, PathEl};

use crate::scene::{
    Affine, BezPath, Brush, Extend, FillRule, GlyphRun, Item, RasterImage, Rgba, Scene, Stop, StrokeStyle,
};

/// Points per design pixel (a design pixel is a CSS pixel, 1/96 in).
const PT_PER_PX: f64 = 0.75;

/// Why a PDF could not be written.
#[derive(Debug, thiserror::Error)]
#[error("PDF export failed: {0}")]
pub struct PdfError(pub String);

/// PDF export settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PdfOptions {
    /// Document title (shown by viewers in the title bar).
    pub title: String,
    /// Leave the background out (the page stays paper-white in viewers).
    pub transparent: bool,
}

impl Default for PdfOptions {
    fn default() -> Self {
        PdfOptions { title: "CreativeFlow design".into(), transparent: false }
    }
}

/// Writes `scene` as a one-page PDF (1 design pixel = 0.75 pt, i.e. 96 dpi).
pub fn write_pdf(scene: &Scene) -> Result<Vec<u8>, PdfError> {
    write_pdf_with(scene, &PdfOptions::default())
}

/// Writes `scene` as a one-page PDF with `options`.
pub fn write_pdf_with(scene: &Scene, options: &PdfOptions) -> Result<Vec<u8>, PdfError> {
    let (w, h) = (scene.width * PT_PER_PX, scene.height * PT_PER_PX);
    // PDF 1.7 caps page sides at 14 400 pt; beyond that viewers misbehave.
    if !(w.is_finite() && h.is_finite() && w > 0.0 && h > 0.0 && w <= 14_400.0 && h <= 14_400.0) {
        return Err(PdfError(format!(
            "the page size {}×{} px is not allowed (each side must be between 1 px and 19 200 px)",
            scene.width, scene.height
        )));
    }
    // krilla asserts on malformed input in a few places; a bad scene must not take the
    // process down.
    match catch_unwind(AssertUnwindSafe(|| render(scene, options, w as f32, h as f32))) {
        Ok(result) => result,
        Err(panic) => {
            let reason = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown error".into());
            Err(PdfError(format!("internal error in the PDF writer: {reason}")))
        }
    }
}

fn render(scene: &Scene, options: &PdfOptions, w: f32, h: f32) -> Result<Vec<u8>, PdfError> {
    let settings = PageSettings::from_wh(w, h).ok_or_else(|| PdfError(format!("invalid page size {w}×{h} pt")))?;
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(options.title.clone())
            .creator("CreativeFlow".into())
            .producer(format!("CreativeFlow render {}", env!("CARGO_PKG_VERSION"))),
    );
    {
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        surface.push_transform(&Transform::from_scale(PT_PER_PX as f32, PT_PER_PX as f32));
        let mut painter = Painter::default();
        if !options.transparent
            && let Some(background) = scene.background_item()
        {
            painter.item(&mut surface, &background);
        }
        for item in &scene.items {
            painter.item(&mut surface, item);
        }
        // Close groups the scene left open.
        while let Some(pushes) = painter.groups.pop() {
            for _ in 0..pushes {
                surface.pop();
            }
        }
        surface.pop();
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| PdfError(e.to_string()))
}

/// A font ready for krilla and the number of glyphs it has.
type LoadedFont = Option<(Font, u32)>;

#[derive(Default)]
struct Painter {
    /// Fonts by blob id, face index and variation coordinates (each file is parsed once;
    /// krilla embeds each used font once, subset).
    fonts: HashMap<(u64, u32, Vec<i16>), LoadedFont>,
    /// Images by address (the scene keeps them alive while we write).
    images: HashMap<usize, Option<Image>>,
    /// For each open group, how many surface pushes it made.
    groups: Vec<usize>,
}

impl Painter {
    fn item(&mut self, surface: &mut Surface<'_>, item: &Item) {
        match item {
            Item::Fill { path, transform, brush, rule } => {
                let (Some(path), Some((paint, opacity)), Some(t)) = (pdf_path(path), paint(brush), usable(transform))
                else {
                    return;
                };
                if brush.is_invisible() {
                    return;
                }
                let rule = match rule {
                    FillRule::NonZero => PdfFillRule::NonZero,
                    FillRule::EvenOdd => PdfFillRule::EvenOdd,
                };
                surface.push_transform(&t);
                surface.set_stroke(None);
                surface.set_fill(Some(Fill { paint, opacity, rule }));
                surface.draw_path(&path);
                surface.pop();
            }
            Item::Stroke { path, transform, brush, style } => {
                let (Some(path), Some((paint, opacity)), Some(t)) = (pdf_path(path), paint(brush), usable(transform))
                else {
                    return;
                };
                if brush.is_invisible() || !positive(style.width) {
                    return;
                }
                surface.push_transform(&t);
                surface.set_fill(None);
                surface.set_stroke(Some(stroke(style, paint, opacity)));
                surface.draw_path(&path);
                surface.set_stroke(None);
                surface.pop();
            }
            Item::Image { image, transform, opacity } => self.image(surface, image, transform, *opacity),
            Item::Glyphs(run) => self.glyphs(surface, run),
            Item::PushGroup { opacity, clip } => {
                let mut pushes = 0;
                if let Some(clip) = clip {
                    let path = usable(&clip.transform).and_then(|_| pdf_path(&(clip.transform * clip.path.clone())));
                    match path {
                        Some(path) => surface.push_clip_path(&path, &PdfFillRule::NonZero),
                        // A degenerate clip hides everything.
                        None => surface.push_opacity(NormalizedF32::ZERO),
                    }
                    pushes += 1;
                }
                let opacity = unit(*opacity);
                if opacity.get() < 1.0 {
                    surface.push_opacity(opacity);
                    pushes += 1;
                }
                self.groups.push(pushes);
            }
            Item::PopGroup => {
                // An unmatched pop is ignored.
                if let Some(pushes) = self.groups.pop() {
                    for _ in 0..pushes {
                        surface.pop();
                    }
                }
            }
        }
    }

    fn image(&mut self, surface: &mut Surface<'_>, image: &Arc<RasterImage>, transform: &Affine, opacity: f32) {
        let opacity = unit(opacity);
        let Some(t) = usable(transform) else { return };
        if opacity.get() <= 0.0 {
            return;
        }
        let Some(size) = PdfSize::from_wh(image.width as f32, image.height as f32) else { return };
        let pdf_image = self.images.entry(Arc::as_ptr(image) as usize).or_insert_with(|| pdf_image(image)).clone();
        let Some(pdf_image) = pdf_image else { return };
        surface.push_transform(&t);
        surface.push_opacity(opacity);
        surface.draw_image(pdf_image, size);
        surface.pop();
        surface.pop();
    }

    fn font(&mut self, run: &GlyphRun) -> LoadedFont {
        let key = (run.font.data.id(), run.font.index, run.normalized_coords.clone());
        self.fonts
            .entry(key)
            .or_insert_with(|| {
                let font_ref = skrifa::FontRef::from_index(run.font.data.data(), run.font.index).ok()?;
                let num_glyphs = u32::from(font_ref.maxp().ok()?.num_glyphs());
                let variations = user_coordinates(&font_ref, &run.normalized_coords);
                let (data, _) = run.font.data.clone().into_raw_parts();
                let font = Font::new_variable(data.into(), run.font.index, &variations)?;
                Some((font, num_glyphs))
            })
            .clone()
    }

    fn glyphs(&mut self, surface: &mut Surface<'_>, run: &GlyphRun) {
        let size = run.font_size;
        if run.glyphs.is_empty() || !positive(f64::from(size)) || run.brush.is_invisible() {
            return;
        }
        let (Some(t), Some((paint, opacity))) = (usable(&run.transform), paint(&run.brush)) else { return };
        let Some((font, num_glyphs)) = self.font(run) else { return };
        let text: &str = &run.text;
        let skew = if run.synthetic_skew.is_finite() { run.synthetic_skew } else { 0.0 };
        let embolden = run.synthetic_embolden * size;

        let usable_glyphs: Vec<_> =
            run.glyphs.iter().filter(|g| g.id < num_glyphs && g.x.is_finite() && g.y.is_finite()).collect();
        let Some(first) = usable_glyphs.first() else { return };
        let (x0, y0) = (first.x, first.y);
        let mut pen = x0;
        let glyphs: Vec<KrillaGlyph> = usable_glyphs
            .iter()
            .map(|g| {
                // The faux-italic shear pivots on the first glyph's baseline; a glyph on another
                // baseline (a raised mark) moves sideways so it leans about its own origin.
                let x = g.x + skew * (g.y - y0);
                let advance = if g.advance.is_finite() { g.advance } else { 0.0 };
                let glyph = KrillaGlyph::new(
                    GlyphId::new(g.id),
                    advance / size,
                    (x - pen) / size,
                    -(g.y - y0) / size,
                    0.0,
                    text_range(text, &g.cluster),
                    None,
                );
                pen += advance;
                glyph
            })
            .collect();

        surface.push_transform(&t);
        if skew != 0.0 {
            // x' = x − skew·(y − y0): points above the baseline lean right.
            surface.push_transform(&Transform::from_row(1.0, 0.0, -skew, 1.0, skew * y0, 0.0));
        }
        surface.set_fill(Some(Fill { paint: paint.clone(), opacity, rule: PdfFillRule::NonZero }));
        if embolden > 0.0 && embolden.is_finite() {
            // The rasteriser grows outlines by `embolden` on each side; a stroke twice as wide
            // does the same.
            surface.set_stroke(Some(Stroke {
                paint,
                width: 2.0 * embolden,
                miter_limit: 4.0,
                line_cap: LineCap::Butt,
                line_join: LineJoin::Miter,
                opacity,
                dash: None,
            }));
        } else {
            surface.set_stroke(None);
        }
        surface.draw_glyphs(PdfPoint::from_xy(x0, y0), &glyphs, font, text, size, false);
        surface.set_stroke(None);
        if skew != 0.0 {
            surface.pop();
        }
        surface.pop();
    }
}

/// `cluster` if it is a valid range of `text`, else an empty range (krilla slices the text).
fn text_range(text: &str, cluster: &Range<usize>) -> Range<usize> {
    if cluster.start <= cluster.end && text.get(cluster.clone()).is_some() { cluster.clone() } else { 0..0 }
}

/// User-space axis values for normalised coordinates (krilla takes user values and
/// normalises them again). Each axis is found by bisection, so `avar` maps are honoured.
fn user_coordinates(font: &skrifa::FontRef<'_>, coords: &[i16]) -> Vec<(Tag, f32)> {
    let axes = font.axes();
    let mut out = Vec::new();
    for (i, axis) in axes.iter().enumerate() {
        let Some(&target) = coords.get(i) else { break };
        if target == 0 {
            continue;
        }
        let (mut lo, mut hi) = (axis.min_value(), axis.max_value());
        let normalised = |v: f32| axes.location([(axis.tag(), v)]).coords().get(i).map(|c| c.to_bits()).unwrap_or(0);
        for _ in 0..32 {
            let mid = (lo + hi) / 2.0;
            if normalised(mid) < target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        out.push((Tag::new(&axis.tag().to_be_bytes()), hi));
    }
    out
}

/// The transform as krilla's, or `None` when it is degenerate or not finite.
fn usable(t: &Affine) -> Option<Transform> {
    let c = t.as_coeffs();
    if !c.iter().all(|v| v.is_finite()) || t.determinant().abs() < 1e-12 {
        return None;
    }
    Some(to_transform(t))
}

fn to_transform(t: &Affine) -> Transform {
    let [a, b, c, d, e, f] = t.as_coeffs();
    Transform::from_row(a as f32, b as f32, c as f32, d as f32, e as f32, f as f32)
}

fn pdf_path(path: &BezPath) -> Option<Path> {
    let mut builder = PathBuilder::new();
    let p = |v: f64| v as f32;
    for el in path.elements() {
        match *el {
            PathEl::MoveTo(a) => builder.move_to(p(a.x), p(a.y)),
            PathEl::LineTo(a) => builder.line_to(p(a.x), p(a.y)),
            PathEl::QuadTo(a, b) => builder.quad_to(p(a.x), p(a.y), p(b.x), p(b.y)),
            PathEl::CurveTo(a, b, c) => builder.cubic_to(p(a.x), p(a.y), p(b.x), p(b.y), p(c.x), p(c.y)),
            PathEl::ClosePath => builder.close(),
        }
    }
    // `None` for empty or non-finite paths.
    builder.finish()
}

/// Whether `v` is a finite number above zero.
fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// Opacity as krilla's (NaN draws fully).
fn unit(v: f32) -> NormalizedF32 {
    if v.is_nan() { NormalizedF32::ONE } else { NormalizedF32::new(v.clamp(0.0, 1.0)).unwrap_or(NormalizedF32::ONE) }
}

fn alpha(c: Rgba) -> NormalizedF32 {
    unit(f32::from(c.a) / 255.0)
}

fn color(c: Rgba) -> rgb::Color {
    rgb::Color::new(c.r, c.g, c.b)
}

/// The brush as a krilla paint and opacity; `None` for a gradient without stops.
fn paint(brush: &Brush) -> Option<(Paint, NormalizedF32)> {
    let spread = |e: &Extend| match e {
        Extend::Pad => SpreadMethod::Pad,
        Extend::Repeat => SpreadMethod::Repeat,
        Extend::Reflect => SpreadMethod::Reflect,
    };
    match brush {
        Brush::Solid(c) => Some((color(*c).into(), alpha(*c))),
        Brush::Linear { stops, .. } | Brush::Radial { stops, .. } if stops.len() <= 1 => {
            stops.first().map(|s| (color(s.color).into(), alpha(s.color)))
        }
        Brush::Linear { start, end, stops, extend, transform } => {
            let transform = usable(transform)?;
            let gradient = LinearGradient {
                x1: start.x as f32,
                y1: start.y as f32,
                x2: end.x as f32,
                y2: end.y as f32,
                transform,
                spread_method: spread(extend),
                stops: pdf_stops(stops),
                anti_alias: true,
            };
            Some((gradient.into(), NormalizedF32::ONE))
        }
        Brush::Radial { start_center, start_radius, end_center, end_radius, stops, extend, transform } => {
            let transform = usable(transform)?;
            let radius = |r: f32| if r.is_finite() { r.max(0.0) } else { 0.0 };
            let gradient = RadialGradient {
                fx: start_center.x as f32,
                fy: start_center.y as f32,
                fr: radius(*start_radius),
                cx: end_center.x as f32,
                cy: end_center.y as f32,
                cr: radius(*end_radius),
                transform,
                spread_method: spread(extend),
                stops: pdf_stops(stops),
                anti_alias: true,
            };
            Some((gradient.into(), NormalizedF32::ONE))
        }
    }
}

fn pdf_stops(stops: &[Stop]) -> Vec<PdfStop> {
    let mut last = 0.0f32;
    stops
        .iter()
        .map(|s| {
            let offset = if s.offset.is_finite() { s.offset.clamp(last, 1.0) } else { last };
            last = offset;
            PdfStop { offset: unit(offset), color: color(s.color).into(), opacity: alpha(s.color) }
        })
        .collect()
}

fn stroke(style: &StrokeStyle, paint: Paint, opacity: NormalizedF32) -> Stroke {
    let dashes = &style.dash_pattern;
    let dash =
        (!dashes.is_empty() && dashes.iter().all(|d| d.is_finite() && *d >= 0.0) && dashes.iter().any(|d| *d > 0.0))
            .then(|| {
                // An odd-length array cycles through on/off the same way in PDF, SVG and kurbo.
                let array: Vec<f32> = dashes.iter().map(|d| *d as f32).collect();
                let offset = if style.dash_offset.is_finite() { style.dash_offset as f32 } else { 0.0 };
                StrokeDash { array, offset }
            });
    Stroke {
        paint,
        width: style.width as f32,
        miter_limit: if style.miter_limit.is_finite() { style.miter_limit.max(1.0) as f32 } else { 4.0 },
        line_cap: match style.start_cap {
            Cap::Butt => LineCap::Butt,
            Cap::Round => LineCap::Round,
            Cap::Square => LineCap::Square,
        },
        line_join: match style.join {
            Join::Miter => LineJoin::Miter,
            Join::Round => LineJoin::Round,
            Join::Bevel => LineJoin::Bevel,
        },
        opacity,
        dash,
    }
}

/// Straight RGBA8 pixels split into an RGB colour channel and (unless opaque) an alpha
/// channel, for krilla's image encoder.
#[derive(Clone, Hash)]
struct Pixels {
    rgb: Arc<Vec<u8>>,
    alpha: Option<Arc<Vec<u8>>>,
    width: u32,
    height: u32,
}

impl CustomImage for Pixels {
    fn color_channel(&self) -> &[u8] {
        &self.rgb
    }
    fn alpha_channel(&self) -> Option<&[u8]> {
        self.alpha.as_deref().map(Vec::as_slice)
    }
    fn bits_per_component(&self) -> BitsPerComponent {
        BitsPerComponent::Eight
    }
    fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }
    fn icc_profile(&self) -> Option<&[u8]> {
        None
    }
    fn color_space(&self) -> ImageColorspace {
        ImageColorspace::Rgb
    }
}

fn pdf_image(image: &RasterImage) -> Option<Image> {
    let (w, h) = (image.width, image.height);
    if w == 0 || h == 0 || image.pixels.len() != (w as usize) * (h as usize) * 4 {
        return None;
    }
    let rgb: Vec<u8> = image.pixels.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    let opaque = image.pixels.chunks_exact(4).all(|p| p[3] == 255);
    let alpha = (!opaque).then(|| Arc::new(image.pixels.chunks_exact(4).map(|p| p[3]).collect::<Vec<u8>>()));
    // Interpolated, so scaled-up photos look smooth in viewers rather than blocky.
    Image::from_custom(Pixels { rgb: Arc::new(rgb), alpha, width: w, height: h }, true).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_degenerate_scenes() {
        assert!(write_pdf(&Scene::new(0.0, 100.0)).is_err());
        assert!(write_pdf(&Scene::new(f64::NAN, 100.0)).is_err());
        let pdf = write_pdf(&Scene::new(10.0, 10.0)).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn unbalanced_groups_do_not_panic() {
        let mut scene = Scene::new(10.0, 10.0);
        scene.items.push(Item::PopGroup);
        scene.items.push(Item::PushGroup { opacity: 0.5, clip: None });
        scene.items.push(Item::PushGroup { opacity: f32::NAN, clip: None });
        assert!(write_pdf(&scene).is_ok());
    }
}
