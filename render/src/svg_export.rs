//! SVG export from a scene.
//!
//! [`write_svg`] writes a standalone SVG 1.1 document (plus the SVG 2 `fr` attribute for
//! two-point radial gradients) whose user space is the design's pixel space:
//!
//! - fills and strokes become `<path>` elements, with gradients (`userSpaceOnUse`, with
//!   `gradientTransform` and `spreadMethod`) defined once in `<defs>`;
//! - images become `<image>` elements with a `data:image/png;base64,` URL (an image drawn
//!   several times is defined once and placed with `<use>`);
//! - groups become `<g>` with `opacity` and a `clip-path` defined in `<defs>`;
//! - text is outlined unless [`SvgOptions::live_text`] asks for `<text>` elements: each glyph
//!   outline (from skrifa) is defined once per font, size and variation and placed with
//!   `<use>` (a gradient-filled run becomes one `<path>` so the gradient spans it); colour
//!   bitmap glyphs (CBDT, sbix) become embedded PNG images; faux italic is a shear, faux bold
//!   a stroke in the text's paint. COLR glyphs are drawn from their plain outlines.
//!
//! Numbers are written with at most three decimals and never as `-0`; all text and attribute
//! content is escaped.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use base64::Engine as _;
use skrifa::bitmap::{BitmapData, BitmapStrikes, Origin};
use skrifa::instance::{LocationRef, NormalizedCoord, Size};
use skrifa::outline::{DrawSettings, OutlinePen};
use skrifa::{FontRef, GlyphId, MetadataProvider as _};
use vello_cpu::kurbo::{Cap, Join, PathEl};

use crate::scene::{
    Affine, BezPath, Brush, Clip, Extend, FillRule, GlyphRun, Item, Point, RasterImage, Scene, Stop, StrokeStyle,
};

/// SVG export settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SvgOptions {
    /// Keep text as `<text>` instead of outlines.
    pub live_text: bool,
    /// Leave the background out.
    pub transparent: bool,
}

/// Writes `scene` as a standalone SVG document.
pub fn write_svg(scene: &Scene, options: &SvgOptions) -> String {
    let mut writer = Writer { live_text: options.live_text, ..Writer::default() };
    for item in &scene.items {
        if let Item::Image { image, .. } = item {
            *writer.image_uses.entry(Arc::as_ptr(image) as usize).or_default() += 1;
        }
    }
    if !options.transparent
        && let Some(background) = scene.background_item()
    {
        writer.item(&background);
    }
    for item in &scene.items {
        writer.item(item);
    }
    writer.finish(scene.width, scene.height)
}

/// A glyph outline definition: font blob, face index, glyph, size bits, coordinates.
type OutlineKey = (u64, u32, u32, u32, Vec<i16>);
/// A bitmap glyph definition: font blob, face index, glyph, strike ppem bits.
type BitmapKey = (u64, u32, u32, u32);

/// Where a bitmap glyph's image lands relative to the glyph origin.
struct BitmapPlacement {
    /// The `<image>` definition.
    id: String,
    /// Offset of the image's top-left corner from the glyph origin, in strike pixels.
    dx: f64,
    dy: f64,
    /// Strike pixels per em.
    ppem: f64,
}

#[derive(Default)]
struct Writer {
    live_text: bool,
    defs: String,
    body: String,
    next_id: usize,
    /// Gradient definition (without id) → id.
    gradients: HashMap<String, String>,
    /// Clip definition (without id) → id.
    clips: HashMap<String, String>,
    /// Image (by address; the scene keeps it alive while we write) → how often the scene
    /// draws it.
    image_uses: HashMap<usize, usize>,
    /// Image drawn more than once (by address) → the id of its one `<image>` definition.
    images: HashMap<usize, Option<String>>,
    /// Glyph outlines → `<path>` id (`None` for empty outlines).
    outlines: HashMap<OutlineKey, Option<String>>,
    /// Bitmap glyphs → `<image>` placement (`None` when the glyph has no usable bitmap).
    bitmaps: HashMap<BitmapKey, Option<Arc<BitmapPlacement>>>,
    /// Groups opened and not yet closed.
    open_groups: usize,
}

impl Writer {
    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    fn finish(mut self, width: f64, height: f64) -> String {
        for _ in 0..self.open_groups {
            self.body.push_str("</g>");
        }
        let (w, h) = (fmt_num(width.max(0.0)), fmt_num(height.max(0.0)));
        let mut out = String::with_capacity(self.defs.len() + self.body.len() + 400);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" version=\"1.1\" \
             width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">"
        );
        if !self.defs.is_empty() {
            out.push_str("<defs>\n");
            out.push_str(&self.defs);
            out.push_str("</defs>\n");
        }
        out.push_str(&self.body);
        out.push_str("</svg>\n");
        out
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Fill { path, transform, brush, rule } => {
                if brush.is_invisible() || path.elements().is_empty() {
                    return;
                }
                let paint = self.paint(brush, "fill");
                let d = path_data(path);
                let _ = write!(self.body, "<path d=\"{d}\"{}{paint}", transform_attr(transform));
                if *rule == FillRule::EvenOdd {
                    self.body.push_str(" fill-rule=\"evenodd\"");
                }
                self.body.push_str("/>\n");
            }
            Item::Stroke { path, transform, brush, style } => {
                if brush.is_invisible() || path.elements().is_empty() || !positive(style.width) {
                    return;
                }
                let paint = self.paint(brush, "stroke");
                let d = path_data(path);
                let _ = writeln!(
                    self.body,
                    "<path d=\"{d}\"{} fill=\"none\"{paint}{}/>",
                    transform_attr(transform),
                    stroke_attrs(style)
                );
            }
            Item::Image { image, transform, opacity } => self.image(image, transform, *opacity),
            Item::Glyphs(run) => {
                if run.glyphs.is_empty() || !positive(f64::from(run.font_size)) {
                    return;
                }
                if self.live_text {
                    self.live_text(run);
                } else {
                    self.outlined_text(run);
                }
            }
            Item::PushGroup { opacity, clip } => {
                self.open_groups += 1;
                self.body.push_str("<g");
                let opacity = unit(*opacity);
                if opacity < 1.0 {
                    let _ = write!(self.body, " opacity=\"{}\"", fmt_num(f64::from(opacity)));
                }
                if let Some(clip) = clip {
                    let id = self.clip(clip);
                    let _ = write!(self.body, " clip-path=\"url(#{id})\"");
                }
                self.body.push_str(">\n");
            }
            Item::PopGroup => {
                // An unmatched pop is ignored rather than closing the document early.
                if self.open_groups > 0 {
                    self.open_groups -= 1;
                    self.body.push_str("</g>\n");
                }
            }
        }
    }

    /// The paint attributes (` fill="…" fill-opacity="…"`) for `brush` as `property`.
    fn paint(&mut self, brush: &Brush, property: &str) -> String {
        match brush {
            Brush::Solid(color) => {
                let mut out = format!(" {property}=\"{}\"", color.hex_rgb());
                if color.a < 255 {
                    let _ = write!(out, " {property}-opacity=\"{}\"", fmt_num(f64::from(color.a) / 255.0));
                }
                out
            }
            Brush::Linear { .. } | Brush::Radial { .. } => match self.gradient(brush) {
                Some(id) => format!(" {property}=\"url(#{id})\""),
                None => format!(" {property}=\"none\""),
            },
        }
    }

    /// Defines a gradient once and returns its id.
    fn gradient(&mut self, brush: &Brush) -> Option<String> {
        let mut def = String::new();
        let (tag, stops, extend, transform) = match brush {
            Brush::Solid(_) => return None,
            Brush::Linear { start, end, stops, extend, transform } => {
                let _ = write!(
                    def,
                    " x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"",
                    fmt_num(start.x),
                    fmt_num(start.y),
                    fmt_num(end.x),
                    fmt_num(end.y)
                );
                ("linearGradient", stops, extend, transform)
            }
            Brush::Radial { start_center, start_radius, end_center, end_radius, stops, extend, transform } => {
                let _ = write!(
                    def,
                    " cx=\"{}\" cy=\"{}\" r=\"{}\" fx=\"{}\" fy=\"{}\"",
                    fmt_num(end_center.x),
                    fmt_num(end_center.y),
                    fmt_num(f64::from(end_radius.max(0.0))),
                    fmt_num(start_center.x),
                    fmt_num(start_center.y)
                );
                if *start_radius > 0.0 {
                    let _ = write!(def, " fr=\"{}\"", fmt_num(f64::from(*start_radius)));
                }
                ("radialGradient", stops, extend, transform)
            }
        };
        let _ = write!(def, " gradientUnits=\"userSpaceOnUse\"");
        if *transform != Affine::IDENTITY {
            let _ = write!(def, " gradientTransform=\"{}\"", transform_value(transform));
        }
        match extend {
            Extend::Pad => {}
            Extend::Repeat => def.push_str(" spreadMethod=\"repeat\""),
            Extend::Reflect => def.push_str(" spreadMethod=\"reflect\""),
        }
        def.push('>');
        write_stops(&mut def, stops);
        let _ = write!(def, "</{tag}>");
        if let Some(id) = self.gradients.get(&def) {
            return Some(id.clone());
        }
        let id = self.id("g");
        let _ = writeln!(self.defs, "<{tag} id=\"{id}\"{def}");
        self.gradients.insert(def, id.clone());
        Some(id)
    }

    /// Defines a clip path once and returns its id.
    fn clip(&mut self, clip: &Clip) -> String {
        let def = format!("<path d=\"{}\"{}/>", path_data(&clip.path), transform_attr(&clip.transform));
        if let Some(id) = self.clips.get(&def) {
            return id.clone();
        }
        let id = self.id("c");
        let _ = writeln!(self.defs, "<clipPath id=\"{id}\" clipPathUnits=\"userSpaceOnUse\">{def}</clipPath>");
        self.clips.insert(def, id.clone());
        id
    }

    fn image(&mut self, image: &Arc<RasterImage>, transform: &Affine, opacity: f32) {
        let opacity = unit(opacity);
        if opacity <= 0.0 {
            return;
        }
        let key = Arc::as_ptr(image) as usize;
        if self.image_uses.get(&key).copied().unwrap_or(0) <= 1 {
            // Drawn once: an <image> in place.
            let Some(png) = encode_png(image) else { return };
            let _ = write!(
                self.body,
                "<image width=\"{}\" height=\"{}\" preserveAspectRatio=\"none\"{}",
                image.width,
                image.height,
                transform_attr(transform)
            );
            if opacity < 1.0 {
                let _ = write!(self.body, " opacity=\"{}\"", fmt_num(f64::from(opacity)));
            }
            let _ = writeln!(
                self.body,
                " xlink:href=\"data:image/png;base64,{}\"/>",
                base64::engine::general_purpose::STANDARD.encode(png)
            );
            return;
        }
        // Drawn several times: defined once, placed with <use>.
        let id = match self.images.get(&key) {
            Some(id) => id.clone(),
            None => {
                let id = encode_png(image).map(|png| {
                    let id = self.id("i");
                    image_def(&mut self.defs, &id, image.width, image.height, &png);
                    id
                });
                self.images.insert(key, id.clone());
                id
            }
        };
        let Some(id) = id else { return };
        let _ = write!(self.body, "<use xlink:href=\"#{id}\"{}", transform_attr(transform));
        if opacity < 1.0 {
            let _ = write!(self.body, " opacity=\"{}\"", fmt_num(f64::from(opacity)));
        }
        self.body.push_str("/>\n");
    }

    /// Text as outlines: `<use>` of per-glyph `<path>` definitions for solid fills (one
    /// combined `<path>` for gradient fills, so the gradient spans the run), and `<image>`s
    /// for colour bitmap glyphs.
    fn outlined_text(&mut self, run: &GlyphRun) {
        let Ok(font) = FontRef::from_index(run.font.data.data(), run.font.index) else { return };
        let coords: Vec<NormalizedCoord> =
            run.normalized_coords.iter().map(|c| NormalizedCoord::from_bits(*c)).collect();
        let outlines = font.outline_glyphs();
        let strikes = BitmapStrikes::new(&font);
        let upem = f64::from(font.metrics(Size::unscaled(), LocationRef::default()).units_per_em).max(1.0);
        let size = run.font_size;
        let skew = f64::from(if run.synthetic_skew.is_finite() { run.synthetic_skew } else { 0.0 });
        let embolden = f64::from(run.synthetic_embolden) * f64::from(size);
        let solid = matches!(run.brush, Brush::Solid(_));
        let blob = run.font.data.id();

        let mut open = format!("<g{}", transform_attr(&run.transform));
        if !run.brush.is_invisible() {
            open.push_str(&self.paint(&run.brush, "fill"));
            if embolden > 0.0 && embolden.is_finite() {
                open.push_str(&self.paint(&run.brush, "stroke"));
                let _ = write!(open, " stroke-width=\"{}\"", fmt_num(2.0 * embolden));
            }
        }
        self.body.push_str(&open);
        self.body.push_str(">\n");

        let mut combined = BezPath::new();
        for glyph in &run.glyphs {
            let (x, y) = (f64::from(glyph.x), f64::from(glyph.y));
            if !x.is_finite() || !y.is_finite() {
                continue;
            }
            // Glyph space (y down, origin on the baseline) → run space, with the faux-italic
            // shear about the baseline (points above it lean right).
            let place = Affine::new([1.0, 0.0, -skew, 1.0, x, y]);
            if !strikes.is_empty()
                && let Some(bitmap) = self.bitmap_glyph(&strikes, blob, run, glyph.id, upem)
            {
                let scale = f64::from(size) / bitmap.ppem;
                let t = place * Affine::translate((bitmap.dx * scale, bitmap.dy * scale)) * Affine::scale(scale);
                let _ = write!(self.body, "<use xlink:href=\"#{}\"{}", bitmap.id, transform_attr(&t));
                if let Brush::Solid(c) = run.brush
                    && c.a < 255
                {
                    let _ = write!(self.body, " opacity=\"{}\"", fmt_num(f64::from(c.a) / 255.0));
                }
                self.body.push_str("/>\n");
                continue;
            }
            if run.brush.is_invisible() {
                continue;
            }
            if solid {
                let key = (blob, run.font.index, glyph.id, size.to_bits(), run.normalized_coords.clone());
                let id = match self.outlines.get(&key) {
                    Some(id) => id.clone(),
                    None => {
                        let path = glyph_outline(&outlines, glyph.id, size, &coords);
                        let id = path.filter(|p| !p.elements().is_empty()).map(|p| {
                            let id = self.id("o");
                            let _ = writeln!(self.defs, "<path id=\"{id}\" d=\"{}\"/>", path_data(&p));
                            id
                        });
                        self.outlines.insert(key, id.clone());
                        id
                    }
                };
                if let Some(id) = id {
                    let _ = writeln!(self.body, "<use xlink:href=\"#{id}\"{}/>", transform_attr(&place));
                }
            } else if let Some(path) = glyph_outline(&outlines, glyph.id, size, &coords) {
                combined.extend((place * path).elements().iter().copied());
            }
        }
        if !combined.elements().is_empty() {
            let _ = writeln!(self.body, "<path d=\"{}\"/>", path_data(&combined));
        }
        self.body.push_str("</g>\n");
    }

    /// The `<image>` definition for a colour bitmap glyph, if the font has one.
    fn bitmap_glyph(
        &mut self,
        strikes: &BitmapStrikes<'_>,
        blob: u64,
        run: &GlyphRun,
        glyph_id: u32,
        upem: f64,
    ) -> Option<Arc<BitmapPlacement>> {
        let bitmap = strikes.glyph_for_size(Size::new(run.font_size), GlyphId::new(glyph_id))?;
        let key = (blob, run.font.index, glyph_id, bitmap.ppem_y.to_bits());
        if let Some(found) = self.bitmaps.get(&key) {
            return found.clone();
        }
        let png = match bitmap.data {
            BitmapData::Png(bytes) => Some(bytes.to_vec()),
            BitmapData::Bgra(bytes) => bgra_to_png(bytes, bitmap.width, bitmap.height),
            BitmapData::Mask(_) => None,
        };
        let placement = png.filter(|_| bitmap.ppem_y > 0.0 && bitmap.width > 0 && bitmap.height > 0).map(|png| {
            let ppem = f64::from(bitmap.ppem_y);
            let (dx, dy) = match bitmap.placement_origin {
                Origin::TopLeft => (f64::from(bitmap.inner_bearing_x), -f64::from(bitmap.inner_bearing_y)),
                Origin::BottomLeft => {
                    // sbix: bearings in font units, inner bearings in strike pixels, origin at the
                    // image's bottom-left.
                    let to_px = ppem / upem;
                    let dx = f64::from(bitmap.bearing_x) * to_px + f64::from(bitmap.inner_bearing_x);
                    let bottom = -(f64::from(bitmap.bearing_y) * to_px + f64::from(bitmap.inner_bearing_y));
                    (dx, bottom - f64::from(bitmap.height))
                }
            };
            let id = self.id("b");
            image_def(&mut self.defs, &id, bitmap.width, bitmap.height, &png);
            Arc::new(BitmapPlacement { id, dx, dy, ppem })
        });
        self.bitmaps.insert(key, placement.clone());
        placement
    }

    /// Text as `<text>`: each character placed where its cluster's glyph was drawn.
    fn live_text(&mut self, run: &GlyphRun) {
        if run.brush.is_invisible() {
            return;
        }
        let text: &str = &run.text;
        // Clusters in visual order, one entry per cluster (a cluster of several glyphs is
        // placed at its first glyph).
        let mut clusters: Vec<(std::ops::Range<usize>, f64, f64, f64)> = Vec::new();
        for g in &run.glyphs {
            let r = g.cluster.clone();
            if r.start >= r.end
                || r.end > text.len()
                || !text.is_char_boundary(r.start)
                || !text.is_char_boundary(r.end)
            {
                continue;
            }
            let (x, y, adv) = (f64::from(g.x), f64::from(g.y), f64::from(g.advance));
            if !x.is_finite() || !y.is_finite() {
                continue;
            }
            match clusters.last_mut() {
                Some(last) if last.0 == r => last.3 += adv,
                _ => clusters.push((r, x, y, adv)),
            }
        }
        if clusters.is_empty() {
            return;
        }
        let mut open = String::from("<text xml:space=\"preserve\"");
        open.push_str(&transform_attr(&run.transform));
        let _ = write!(open, " font-family=\"{}\"", escape(&css_family(&run.family)));
        // Faux bold and italic become real requests, which viewers synthesise the same way.
        let weight = if run.synthetic_embolden > 0.0 { run.weight.max(700) } else { run.weight };
        if weight != 400 {
            let _ = write!(open, " font-weight=\"{weight}\"");
        }
        if run.italic || run.synthetic_skew != 0.0 {
            open.push_str(" font-style=\"italic\"");
        }
        let _ = write!(open, " font-size=\"{}\"", fmt_num(f64::from(run.font_size)));
        open.push_str(&self.paint(&run.brush, "fill"));
        self.body.push_str(&open);

        let ltr = clusters.windows(2).all(|w| w[0].0.end <= w[1].0.start);
        if !ltr {
            // Right-to-left or reordered text: one chunk of the logical string, which the
            // viewer shapes and orders itself (its bidi algorithm lays right-to-left letters out
            // right to left even in a left-to-right chunk), starting at the run's left edge and
            // stretched to the run's width. No `direction`: viewers disagree on which side
            // `text-anchor` then refers to.
            let start = clusters.iter().map(|c| c.0.start).min().unwrap_or(0);
            let end = clusters.iter().map(|c| c.0.end).max().unwrap_or(0);
            let left = clusters.iter().map(|c| c.1).fold(f64::INFINITY, f64::min);
            let right = clusters.iter().map(|c| c.1 + c.3).fold(f64::NEG_INFINITY, f64::max);
            // The baseline most glyphs sit on (marks may be raised).
            let mut baselines: HashMap<String, usize> = HashMap::new();
            for c in &clusters {
                *baselines.entry(fmt_num(c.2)).or_default() += 1;
            }
            let y = baselines.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map(|(y, _)| y);
            let _ = writeln!(
                self.body,
                " x=\"{}\" y=\"{}\" textLength=\"{}\" lengthAdjust=\"spacing\">{}</text>",
                fmt_num(left),
                y.unwrap_or_else(|| "0".into()),
                fmt_num((right - left).max(0.0)),
                escape(text.get(start..end).unwrap_or(""))
            );
            return;
        }

        // Left to right: the first character of each cluster is placed at its glyph's origin.
        // The other characters of a cluster (a ligature's second letter, a combining mark) get
        // no position of their own, so viewers shape them with the first; as a position list
        // cannot skip characters, a new `<tspan>` starts after them. A character outside the
        // Basic Multilingual Plane also ends its `<tspan>`, because viewers disagree on whether
        // it takes one list entry or two.
        let mut segments: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
        let mut current = (String::new(), Vec::new(), Vec::new());
        for (range, x, y, _) in &clusters {
            let mut chars = text[range.clone()].chars().filter(|c| xml_char_ok(*c));
            let Some(first) = chars.next() else { continue };
            current.0.push(first);
            current.1.push(*x);
            current.2.push(*y);
            let mut close = u32::from(first) > 0xFFFF;
            for c in chars {
                current.0.push(c);
                close = true;
            }
            if close {
                segments.push(std::mem::take(&mut current));
            }
        }
        if !current.0.is_empty() {
            segments.push(current);
        }
        match segments.as_slice() {
            [(s, xs, ys)] => {
                let _ = writeln!(self.body, "{}>{}</text>", positions(xs, ys), escape(s));
            }
            _ => {
                self.body.push('>');
                for (s, xs, ys) in &segments {
                    let _ = write!(self.body, "<tspan{}>{}</tspan>", positions(xs, ys), escape(s));
                }
                self.body.push_str("</text>\n");
            }
        }
    }
}

/// ` x="…" y="…"` lists (a single `y` when all are equal).
fn positions(xs: &[f64], ys: &[f64]) -> String {
    let join = |v: &[f64]| v.iter().map(|n| fmt_num(*n)).collect::<Vec<_>>().join(" ");
    let y = if ys.windows(2).all(|w| fmt_num(w[0]) == fmt_num(w[1])) { join(&ys[..ys.len().min(1)]) } else { join(ys) };
    format!(" x=\"{}\" y=\"{}\"", join(xs), y)
}

/// A CSS font-family value naming `family`, quoted.
fn css_family(family: &str) -> String {
    let clean: String = family.chars().filter(|c| *c != '\'' && *c != '\\').collect();
    format!("'{clean}'")
}

fn write_stops(out: &mut String, stops: &[Stop]) {
    let mut last = 0.0f32;
    for stop in stops {
        let offset = if stop.offset.is_finite() { stop.offset.clamp(last, 1.0) } else { last };
        last = offset;
        let _ = write!(out, "<stop offset=\"{}\" stop-color=\"{}\"", fmt_num(f64::from(offset)), stop.color.hex_rgb());
        if stop.color.a < 255 {
            let _ = write!(out, " stop-opacity=\"{}\"", fmt_num(f64::from(stop.color.a) / 255.0));
        }
        out.push_str("/>");
    }
}

fn stroke_attrs(style: &StrokeStyle) -> String {
    let mut out = format!(" stroke-width=\"{}\"", fmt_num(style.width));
    match style.start_cap {
        Cap::Butt => {}
        Cap::Round => out.push_str(" stroke-linecap=\"round\""),
        Cap::Square => out.push_str(" stroke-linecap=\"square\""),
    }
    match style.join {
        Join::Miter => {}
        Join::Round => out.push_str(" stroke-linejoin=\"round\""),
        Join::Bevel => out.push_str(" stroke-linejoin=\"bevel\""),
    }
    if style.join == Join::Miter && style.miter_limit.is_finite() && style.miter_limit != 4.0 {
        let _ = write!(out, " stroke-miterlimit=\"{}\"", fmt_num(style.miter_limit.max(1.0)));
    }
    let dashes = &style.dash_pattern;
    if !dashes.is_empty() && dashes.iter().all(|d| d.is_finite() && *d >= 0.0) && dashes.iter().any(|d| *d > 0.0) {
        let list: Vec<String> = dashes.iter().map(|d| fmt_num(*d)).collect();
        let _ = write!(out, " stroke-dasharray=\"{}\"", list.join(" "));
        if style.dash_offset != 0.0 {
            let _ = write!(out, " stroke-dashoffset=\"{}\"", fmt_num(style.dash_offset));
        }
    }
    out
}

/// ` transform="…"`, or nothing for the identity.
fn transform_attr(t: &Affine) -> String {
    if *t == Affine::IDENTITY { String::new() } else { format!(" transform=\"{}\"", transform_value(t)) }
}

fn transform_value(t: &Affine) -> String {
    let [a, b, c, d, e, f] = t.as_coeffs();
    if a == 1.0 && b == 0.0 && c == 0.0 && d == 1.0 {
        format!("translate({} {})", fmt_num(e), fmt_num(f))
    } else {
        // The linear part keeps more precision than coordinates: a 0.001 error in a scale
        // factor moves a point 1000 px away by a whole pixel.
        format!(
            "matrix({} {} {} {} {} {})",
            fmt_coeff(a),
            fmt_coeff(b),
            fmt_coeff(c),
            fmt_coeff(d),
            fmt_num(e),
            fmt_num(f)
        )
    }
}

/// SVG path data for `path`.
fn path_data(path: &BezPath) -> String {
    let mut out = String::new();
    let pt = |out: &mut String, p: Point| {
        push_num(out, p.x);
        out.push(' ');
        push_num(out, p.y);
    };
    for el in path.elements() {
        if !out.is_empty() {
            out.push(' ');
        }
        match *el {
            PathEl::MoveTo(p) => {
                out.push('M');
                pt(&mut out, p);
            }
            PathEl::LineTo(p) => {
                out.push('L');
                pt(&mut out, p);
            }
            PathEl::QuadTo(p1, p2) => {
                out.push('Q');
                pt(&mut out, p1);
                out.push(' ');
                pt(&mut out, p2);
            }
            PathEl::CurveTo(p1, p2, p3) => {
                out.push('C');
                pt(&mut out, p1);
                out.push(' ');
                pt(&mut out, p2);
                out.push(' ');
                pt(&mut out, p3);
            }
            PathEl::ClosePath => out.push('Z'),
        }
    }
    out
}

/// The outline of glyph `id` at `size` pixels per em, in glyph space with y down.
fn glyph_outline(
    outlines: &skrifa::outline::OutlineGlyphCollection<'_>,
    id: u32,
    size: f32,
    coords: &[NormalizedCoord],
) -> Option<BezPath> {
    let glyph = outlines.get(GlyphId::new(id))?;
    let mut pen = FlipPen(BezPath::new());
    let settings = DrawSettings::unhinted(Size::new(size), LocationRef::new(coords));
    glyph.draw(settings, &mut pen).ok()?;
    Some(pen.0)
}

/// Collects an outline with y flipped (font space is y up, ours is y down).
struct FlipPen(BezPath);

impl OutlinePen for FlipPen {
    fn move_to(&mut self, x: f32, y: f32) {
        self.0.move_to((f64::from(x), -f64::from(y)));
    }
    fn line_to(&mut self, x: f32, y: f32) {
        self.0.line_to((f64::from(x), -f64::from(y)));
    }
    fn quad_to(&mut self, cx0: f32, cy0: f32, x: f32, y: f32) {
        self.0.quad_to((f64::from(cx0), -f64::from(cy0)), (f64::from(x), -f64::from(y)));
    }
    fn curve_to(&mut self, cx0: f32, cy0: f32, cx1: f32, cy1: f32, x: f32, y: f32) {
        self.0.curve_to(
            (f64::from(cx0), -f64::from(cy0)),
            (f64::from(cx1), -f64::from(cy1)),
            (f64::from(x), -f64::from(y)),
        );
    }
    fn close(&mut self) {
        self.0.close_path();
    }
}

/// PNG bytes of `image` (RGB when it is opaque).
fn encode_png(image: &RasterImage) -> Option<Vec<u8>> {
    use image::ImageEncoder as _;
    let (w, h) = (image.width, image.height);
    if w == 0 || h == 0 || image.pixels.len() != (w as usize) * (h as usize) * 4 {
        return None;
    }
    let mut out = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new(&mut out);
    let result = if image.opaque {
        let rgb: Vec<u8> = image.pixels.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        encoder.write_image(&rgb, w, h, image::ExtendedColorType::Rgb8)
    } else {
        encoder.write_image(&image.pixels, w, h, image::ExtendedColorType::Rgba8)
    };
    result.ok().map(|()| out)
}

/// PNG bytes of a premultiplied BGRA bitmap glyph.
fn bgra_to_png(bytes: &[u8], width: u32, height: u32) -> Option<Vec<u8>> {
    if bytes.len() != (width as usize) * (height as usize) * 4 {
        return None;
    }
    let pixels = bytes
        .chunks_exact(4)
        .flat_map(|p| {
            let a = p[3];
            let un = |c: u8| {
                if a == 0 { 0 } else { ((u16::from(c) * 255 + u16::from(a) / 2) / u16::from(a)).min(255) as u8 }
            };
            [un(p[2]), un(p[1]), un(p[0]), a]
        })
        .collect();
    encode_png(&RasterImage::new(width, height, pixels)?)
}

/// Whether `v` is a finite number above zero.
fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// Opacity clamped to 0..=1 (NaN draws fully).
fn unit(v: f32) -> f32 {
    if v.is_nan() { 1.0 } else { v.clamp(0.0, 1.0) }
}

/// Whether `c` may appear in an XML 1.0 document.
fn xml_char_ok(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// Escapes text for element content and double-quoted attributes (every attribute we write
/// is double-quoted), dropping characters XML cannot hold.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if xml_char_ok(c) => out.push(c),
            _ => {}
        }
    }
    out
}

/// A number with at most three decimals, no trailing zeros and never `-0` (non-finite → 0).
fn fmt_num(v: f64) -> String {
    let mut out = String::new();
    push_num(&mut out, v);
    out
}

fn push_num(out: &mut String, v: f64) {
    push_rounded(out, v, 1000.0);
}

/// A transform coefficient: up to six decimals.
fn fmt_coeff(v: f64) -> String {
    let mut out = String::new();
    push_rounded(&mut out, v, 1_000_000.0);
    out
}

fn push_rounded(out: &mut String, v: f64, scale: f64) {
    if !v.is_finite() {
        out.push('0');
        return;
    }
    let r = (v * scale).round() / scale;
    if r == 0.0 {
        out.push('0');
    } else {
        let _ = write!(out, "{r}");
    }
}

/// An `<image>` definition holding `png` as a data URL, placed later with `<use>`.
fn image_def(defs: &mut String, id: &str, width: impl std::fmt::Display, height: impl std::fmt::Display, png: &[u8]) {
    let _ = writeln!(
        defs,
        "<image id=\"{id}\" width=\"{width}\" height=\"{height}\" preserveAspectRatio=\"none\" \
         xlink:href=\"data:image/png;base64,{}\"/>",
        base64::engine::general_purpose::STANDARD.encode(png)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::Rgba;

    #[test]
    fn numbers_are_compact() {
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(-0.0), "0");
        assert_eq!(fmt_num(-0.0001), "0");
        assert_eq!(fmt_num(1.0), "1");
        assert_eq!(fmt_num(0.1 + 0.2), "0.3");
        assert_eq!(fmt_num(-12.34567), "-12.346");
        assert_eq!(fmt_num(f64::NAN), "0");
        assert_eq!(fmt_num(1e7), "10000000");
        assert_eq!(fmt_coeff(0.0123456789), "0.012346");
    }

    #[test]
    fn escaping() {
        assert_eq!(escape("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c'");
    }

    #[test]
    fn rgba_hex() {
        assert_eq!(Rgba::new(255, 0, 16, 255).hex_rgb(), "#ff0010");
    }
}
