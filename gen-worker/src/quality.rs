//! Quality checks as code: any design can be run through them (the generator, the service and
//! the app share them).
//!
//! - **overflow**: text does not fit its box (at its size, or at auto-fit's smallest scale);
//! - **legibility**: text drawn smaller than [`MIN_TEXT_FRACTION`] of the canvas's short side;
//! - **safe_zone**: an important layer (copy roles, logo) leaves the platform's safe zone or
//!   meets one of its overlays;
//! - **contrast**: text whose contrast with what lies beneath it may drop below WCAG AA (4.5:1).
//!   The check is analytic and conservative: it follows the paint order under the text box and
//!   treats any photo as possibly black or white anywhere, so a design passes for every photo.
//!   Translucent shapes (scrims) narrow that range; partly covering shapes widen it;
//! - **overlap**: two important layers' boxes intersect, or a layer painted above a text covers
//!   part of it.
//!
//! Hidden layers and layers with no area are ignored. A finding names the check and the layer.

use std::collections::HashMap;
use std::fmt;

use editor_core::{Color, Design, Layer, LayerContent, LayerId, Paint, Rect, Role, Shape};
use serde::Serialize;

use crate::resize::is_important;

/// WCAG AA for normal text.
pub const MIN_CONTRAST: f64 = 4.5;
/// Smallest drawn text size, as a fraction of the canvas's short side (16 px on a 1080 px post;
/// 8 px on a 512 px preview).
pub const MIN_TEXT_FRACTION: f64 = 0.0148;

/// Which check failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// Text does not fit its box.
    Overflow,
    /// Text too small to read.
    Legibility,
    /// Important content outside the safe zone.
    SafeZone,
    /// Text contrast below AA.
    Contrast,
    /// Important layers overlapping.
    Overlap,
}

impl Check {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Overflow => "overflow",
            Check::Legibility => "legibility",
            Check::SafeZone => "safe_zone",
            Check::Contrast => "contrast",
            Check::Overlap => "overlap",
        }
    }
}

/// One failed check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// The check.
    pub check: Check,
    /// The layer it is about.
    pub layer: String,
    /// What is wrong, in words.
    pub detail: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (layer {}): {}", self.check.as_str(), self.layer, self.detail)
    }
}

/// Runs every check on `design`; text is measured with `renderer`'s fonts.
pub fn check(design: &Design, renderer: &render::Renderer) -> Vec<Finding> {
    let visible = Visible::of(design);
    let mut findings = Vec::new();
    text_fit(design, &visible, renderer, &mut findings);
    safe_zone(design, &visible, &mut findings);
    overlap(design, &visible, &mut findings);
    covered(design, &visible, &mut findings);
    for layer in design.layers.iter().filter(|l| visible.shown(l)) {
        if let LayerContent::Text(text) = &layer.content {
            if text.text.trim().is_empty() {
                continue;
            }
            let worst = worst_contrast(design, &visible, layer, text.color);
            if worst < MIN_CONTRAST {
                findings.push(Finding {
                    check: Check::Contrast,
                    layer: layer.id.to_string(),
                    detail: format!(
                        "text {} may have contrast {worst:.2}:1 with what is beneath it (needs {MIN_CONTRAST}:1)",
                        text.color.to_hex()
                    ),
                });
            }
        }
    }
    findings
}

/// Effective visibility and opacity (a group's opacity and hidden flag apply to its children).
struct Visible<'a> {
    by_id: HashMap<&'a LayerId, &'a Layer>,
}

impl<'a> Visible<'a> {
    fn of(design: &'a Design) -> Self {
        Visible { by_id: design.layers.iter().map(|l| (&l.id, l)).collect() }
    }

    fn opacity(&self, layer: &Layer) -> f64 {
        let mut o = layer.opacity.clamp(0.0, 1.0);
        let mut parent = layer.parent.as_ref();
        let mut depth = 0;
        while let Some(p) = parent.and_then(|id| self.by_id.get(id)) {
            if p.hidden {
                return 0.0;
            }
            o *= p.opacity.clamp(0.0, 1.0);
            parent = p.parent.as_ref();
            depth += 1;
            if depth > 64 {
                break;
            }
        }
        o
    }

    fn shown(&self, layer: &Layer) -> bool {
        !layer.hidden && layer.w > 0.0 && layer.h > 0.0 && self.opacity(layer) > 0.0
    }
}

/// The axis-aligned box a layer covers, rotation included.
pub fn outer_box(layer: &Layer) -> Rect {
    let r = layer.bounds();
    let angle = layer.rotation.rem_euclid(360.0);
    if angle.abs() < 1e-9 {
        return r;
    }
    let (s, c) = angle.to_radians().sin_cos();
    let (w, h) = (r.w * c.abs() + r.h * s.abs(), r.w * s.abs() + r.h * c.abs());
    let (cx, cy) = (r.x + r.w / 2.0, r.y + r.h / 2.0);
    Rect::new(cx - w / 2.0, cy - h / 2.0, w, h)
}

fn text_fit(design: &Design, visible: &Visible<'_>, renderer: &render::Renderer, out: &mut Vec<Finding>) {
    let short = f64::from(design.format.width.min(design.format.height));
    for layer in design.layers.iter().filter(|l| visible.shown(l)) {
        let LayerContent::Text(text) = &layer.content else { continue };
        if text.text.trim().is_empty() {
            continue;
        }
        let m = renderer.measure_text(text, layer.w, layer.h);
        if !m.fits {
            out.push(Finding {
                check: Check::Overflow,
                layer: layer.id.to_string(),
                detail: format!(
                    "{} lines need {:.0}×{:.0} px; the box is {:.0}×{:.0}",
                    m.lines, m.width, m.height, layer.w, layer.h
                ),
            });
        }
        let drawn = text.font_size * f64::from(m.scale);
        if drawn < MIN_TEXT_FRACTION * short {
            out.push(Finding {
                check: Check::Legibility,
                layer: layer.id.to_string(),
                detail: format!(
                    "text is drawn at {drawn:.1} px; the smallest legible size here is {:.1} px",
                    MIN_TEXT_FRACTION * short
                ),
            });
        }
    }
}

fn safe_zone(design: &Design, visible: &Visible<'_>, out: &mut Vec<Finding>) {
    let (w, h) = (f64::from(design.format.width), f64::from(design.format.height));
    let zone = design.format.safe_zone();
    let safe = zone.safe_rect(w, h);
    let tolerance = 0.5;
    for layer in design.layers.iter().filter(|l| visible.shown(l) && is_important(l.role)) {
        let r = outer_box(layer);
        let inside = r.x >= safe.x - tolerance
            && r.y >= safe.y - tolerance
            && r.right() <= safe.right() + tolerance
            && r.bottom() <= safe.bottom() + tolerance;
        if !inside {
            out.push(Finding {
                check: Check::SafeZone,
                layer: layer.id.to_string(),
                detail: format!(
                    "box {:.0},{:.0} {:.0}×{:.0} leaves the safe area {:.0},{:.0} {:.0}×{:.0}",
                    r.x, r.y, r.w, r.h, safe.x, safe.y, safe.w, safe.h
                ),
            });
        }
        for overlay in zone.overlays.iter().filter(|o| o.rect.intersects(&r)) {
            out.push(Finding {
                check: Check::SafeZone,
                layer: layer.id.to_string(),
                detail: format!("it is covered by the platform's {}", overlay.name),
            });
        }
    }
}

fn overlap(design: &Design, visible: &Visible<'_>, out: &mut Vec<Finding>) {
    let important: Vec<&Layer> =
        design.layers.iter().filter(|l| visible.shown(l) && (is_important(l.role) || is_text(l))).collect();
    for (i, a) in important.iter().enumerate() {
        for b in &important[i + 1..] {
            if let Some((ix, iy)) = overlap_of(a, b) {
                out.push(Finding {
                    check: Check::Overlap,
                    layer: a.id.to_string(),
                    detail: format!("overlaps layer {} by {ix:.0}×{iy:.0} px", b.id),
                });
            }
        }
    }
}

/// Text painted over by a later layer (a photo, a panel, a sparkle) is partly hidden.
fn covered(design: &Design, visible: &Visible<'_>, out: &mut Vec<Finding>) {
    for (i, text) in design.layers.iter().enumerate() {
        if !visible.shown(text) || !is_text(text) {
            continue;
        }
        for above in &design.layers[i + 1..] {
            if !visible.shown(above) || above.is_group() || is_text(above) || visible.opacity(above) < 0.2 {
                continue;
            }
            if let Some((ix, iy)) = overlap_of(text, above) {
                out.push(Finding {
                    check: Check::Overlap,
                    layer: text.id.to_string(),
                    detail: format!("is covered by layer {} painted above it ({ix:.0}×{iy:.0} px)", above.id),
                });
            }
        }
    }
}

/// How far two layers' boxes overlap (width, height), when by more than rounding: touching
/// edges and sub-pixel slivers are not overlaps.
fn overlap_of(a: &Layer, b: &Layer) -> Option<(f64, f64)> {
    let (ra, rb) = (outer_box(a), outer_box(b));
    let ix = ra.right().min(rb.right()) - ra.x.max(rb.x);
    let iy = ra.bottom().min(rb.bottom()) - ra.y.max(rb.y);
    (ix > 0.5 && iy > 0.5).then_some((ix, iy))
}

fn is_text(layer: &Layer) -> bool {
    matches!(&layer.content, LayerContent::Text(t) if !t.text.trim().is_empty())
}

/// Per-channel ranges of what may lie beneath a point, in sRGB 0..=1.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Range3 {
    lo: [f64; 3],
    hi: [f64; 3],
}

impl Range3 {
    fn exact(c: Color) -> Self {
        let v = [f64::from(c.r) / 255.0, f64::from(c.g) / 255.0, f64::from(c.b) / 255.0];
        Range3 { lo: v, hi: v }
    }

    /// `color` at `alpha` over this range.
    fn under(self, color: Color, alpha: f64) -> Self {
        let c = Range3::exact(color).lo;
        let mix = |v: [f64; 3]| std::array::from_fn(|i| alpha * c[i] + (1.0 - alpha) * v[i]);
        Range3 { lo: mix(self.lo), hi: mix(self.hi) }
    }

    fn luminance_span(self) -> (f64, f64) {
        (luminance(self.lo), luminance(self.hi))
    }
}

fn luminance(rgb: [f64; 3]) -> f64 {
    let lin = |v: f64| if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) };
    0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2])
}

/// At most this many alternative backgrounds are tracked per text layer.
const MAX_ALTERNATIVES: usize = 16;

/// The lowest contrast `fg` may have against what is painted beneath `layer`'s box.
fn worst_contrast(design: &Design, visible: &Visible<'_>, layer: &Layer, fg: Color) -> f64 {
    let target = outer_box(layer);
    let mut backgrounds: Vec<Range3> = paint_colors(&design.background).into_iter().map(Range3::exact).collect();
    for below in &design.layers {
        if below.id == layer.id {
            break;
        }
        if !visible.shown(below) || !outer_box(below).intersects(&target) || below.is_group() {
            continue;
        }
        let alpha = visible.opacity(below);
        let covers = covers(below, &target);
        let next: Vec<Range3> = match &below.content {
            LayerContent::Image(_) | LayerContent::Svg(_) => {
                // Any photo pixel may be anything; an opaque cover replaces what was there.
                let mut v: Vec<Range3> = backgrounds.iter().map(|b| blend_any(*b, alpha)).collect();
                if !(covers && alpha >= 1.0) {
                    v.extend(backgrounds.iter().copied());
                }
                v
            }
            LayerContent::Shape(shape) => {
                let is_photo = below.role == Role::Photo;
                let mut v = Vec::new();
                if let Some(fill) = &shape.fill {
                    let colors = if is_photo { Vec::new() } else { paint_colors(fill) };
                    for b in &backgrounds {
                        if is_photo {
                            v.push(blend_any(*b, alpha));
                        } else {
                            for c in &colors {
                                v.push(b.under(*c, alpha * f64::from(c.a) / 255.0));
                            }
                        }
                    }
                }
                if let Some(stroke) = &shape.stroke {
                    for c in paint_colors(&stroke.paint) {
                        for b in &backgrounds {
                            v.push(b.under(c, alpha * f64::from(c.a) / 255.0));
                        }
                    }
                }
                let partly = !covers || shape.stroke.is_some();
                if (partly || shape.fill.is_none()) && !v.is_empty() {
                    v.extend(backgrounds.iter().copied());
                }
                if v.is_empty() { backgrounds.clone() } else { v }
            }
            // Text under text is an overlap, reported by its own check.
            LayerContent::Text(_) | LayerContent::Group => continue,
        };
        backgrounds = merge(next);
    }
    let lf = luminance(Range3::exact(fg).lo);
    backgrounds
        .iter()
        .map(|b| {
            let (lo, hi) = b.luminance_span();
            if lf >= lo && lf <= hi {
                1.0
            } else if lf > hi {
                (lf + 0.05) / (hi + 0.05)
            } else {
                (lo + 0.05) / (lf + 0.05)
            }
        })
        .fold(f64::INFINITY, f64::min)
}

fn blend_any(b: Range3, alpha: f64) -> Range3 {
    let mut out = b;
    for i in 0..3 {
        out.lo[i] = (1.0 - alpha) * b.lo[i];
        out.hi[i] = alpha + (1.0 - alpha) * b.hi[i];
    }
    out
}

/// Keeps the list short: identical ranges once, and past the cap the two most similar merge
/// into their hull (which only widens the ranges: still conservative).
fn merge(mut list: Vec<Range3>) -> Vec<Range3> {
    list.dedup_by(|a, b| a == b);
    let mut unique: Vec<Range3> = Vec::with_capacity(list.len());
    for r in list {
        if !unique.contains(&r) {
            unique.push(r);
        }
    }
    while unique.len() > MAX_ALTERNATIVES {
        let Some(last) = unique.pop() else { break };
        let Some(first) = unique.first_mut() else { break };
        for i in 0..3 {
            first.lo[i] = first.lo[i].min(last.lo[i]);
            first.hi[i] = first.hi[i].max(last.hi[i]);
        }
    }
    unique
}

/// The colours a paint can show (every stop of a gradient; gradients interpolate between stops,
/// and in sRGB the luminance of an interpolated colour lies between its ends' for the stops'
/// channel ranges, so the hull of the stops covers it).
fn paint_colors(paint: &Paint) -> Vec<Color> {
    match paint {
        Paint::Solid { color } => vec![*color],
        Paint::LinearGradient { stops, .. } | Paint::RadialGradient { stops, .. } => {
            stops.iter().map(|s| s.color).collect()
        }
    }
}

/// Whether `layer`'s shape covers all of `target`.
fn covers(layer: &Layer, target: &Rect) -> bool {
    if layer.rotation.rem_euclid(360.0).abs() > 1e-9 {
        return false;
    }
    let r = layer.bounds();
    match &layer.content {
        LayerContent::Shape(shape) => match &shape.shape {
            Shape::Rect { corner_radii } => {
                let inset = corner_radii.iter().copied().fold(0.0f64, f64::max) * 0.3;
                let inner = Rect::new(r.x + inset, r.y, (r.w - 2.0 * inset).max(0.0), r.h);
                let inner_v = Rect::new(r.x, r.y + inset, r.w, (r.h - 2.0 * inset).max(0.0));
                r.contains_rect(target)
                    && (inner.contains_rect(target) || inner_v.contains_rect(target) || inset == 0.0)
            }
            Shape::Ellipse => {
                let (cx, cy, rx, ry) = (r.x + r.w / 2.0, r.y + r.h / 2.0, r.w / 2.0, r.h / 2.0);
                rx > 0.0
                    && ry > 0.0
                    && [
                        (target.x, target.y),
                        (target.right(), target.y),
                        (target.x, target.bottom()),
                        (target.right(), target.bottom()),
                    ]
                    .iter()
                    .all(|(x, y)| ((x - cx) / rx).powi(2) + ((y - cy) / ry).powi(2) <= 1.0)
            }
            _ => false,
        },
        LayerContent::Image(_) | LayerContent::Svg(_) => r.contains_rect(target),
        LayerContent::Text(_) | LayerContent::Group => false,
    }
}

/// A text colour for `layer` with AA contrast over what lies beneath it, from `candidates` in
/// order of preference; `None` when none has it.
pub fn readable_color(design: &Design, layer: &Layer, candidates: &[Color]) -> Option<Color> {
    let visible = Visible::of(design);
    candidates.iter().copied().find(|c| worst_contrast(design, &visible, layer, *c) >= MIN_CONTRAST)
}

/// Checks only the contrast of one text layer (for the generator's repair step).
pub fn contrast_of(design: &Design, layer: &Layer, fg: Color) -> f64 {
    worst_contrast(design, &Visible::of(design), layer, fg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use editor_core::FormatPreset;

    fn id(s: &str) -> LayerId {
        LayerId::parse(s).unwrap()
    }

    fn design(layers: Vec<Layer>) -> Design {
        let mut d = Design::new("t", FormatPreset::InstagramPost.format());
        d.layers = layers;
        d.assign_missing_z();
        d
    }

    fn text(name: &str, r: Rect, color: Color, role: Role) -> Layer {
        let mut l = Layer::text(id(name), "Hello world", r);
        l.role = role;
        if let LayerContent::Text(t) = &mut l.content {
            t.color = color;
            t.font_size = 48.0;
        }
        l
    }

    fn renderer() -> render::Renderer {
        render::Renderer::new(std::sync::Arc::new(render::FontLibrary::bundled().unwrap()))
    }

    #[test]
    fn photo_without_scrim_fails_contrast_and_a_scrim_fixes_it() {
        let mut photo = Layer::rect(id("photo"), Rect::new(0.0, 0.0, 1080.0, 1080.0), Color::BLACK);
        photo.role = Role::Photo;
        let head = text("head", Rect::new(100.0, 800.0, 880.0, 120.0), Color::WHITE, Role::Headline);
        let d = design(vec![photo.clone(), head.clone()]);
        let r = renderer();
        assert!(check(&d, &r).iter().any(|f| f.check == Check::Contrast && f.layer == "head"));
        let mut scrim = Layer::rect(id("scrim"), Rect::new(0.0, 700.0, 1080.0, 380.0), Color::BLACK);
        scrim.opacity = 0.6;
        let d = design(vec![photo, scrim, head]);
        assert!(check(&d, &r).is_empty(), "{:?}", check(&d, &r));
    }

    #[test]
    fn overflow_overlap_safe_zone_and_legibility_are_named() {
        let mut long = text("long", Rect::new(100.0, 100.0, 200.0, 40.0), Color::BLACK, Role::Subline);
        if let LayerContent::Text(t) = &mut long.content {
            t.text = "A sentence far too long for this little box".into();
        }
        let edge = text("edge", Rect::new(10.0, 500.0, 300.0, 80.0), Color::BLACK, Role::Cta);
        let a = text("a", Rect::new(400.0, 300.0, 400.0, 100.0), Color::BLACK, Role::Headline);
        let b = text("b", Rect::new(500.0, 350.0, 400.0, 100.0), Color::BLACK, Role::Subline);
        let mut tiny = text("tiny", Rect::new(400.0, 700.0, 400.0, 100.0), Color::BLACK, Role::Body);
        if let LayerContent::Text(t) = &mut tiny.content {
            t.font_size = 9.0;
        }
        let d = design(vec![long, edge, a, b, tiny]);
        let found: Vec<(Check, String)> = check(&d, &renderer()).into_iter().map(|f| (f.check, f.layer)).collect();
        assert!(found.contains(&(Check::Overflow, "long".into())), "{found:?}");
        assert!(found.contains(&(Check::SafeZone, "edge".into())), "{found:?}");
        assert!(found.contains(&(Check::Overlap, "a".into())), "{found:?}");
        assert!(found.contains(&(Check::Legibility, "tiny".into())), "{found:?}");
        assert!(!found.iter().any(|(c, _)| *c == Check::Contrast), "{found:?}");
    }

    #[test]
    fn text_on_a_partly_covering_panel_must_read_on_both() {
        let panel = Layer::rect(id("panel"), Rect::new(0.0, 0.0, 540.0, 1080.0), Color::BLACK);
        let head = text("head", Rect::new(300.0, 400.0, 500.0, 100.0), Color::WHITE, Role::Headline);
        let d = design(vec![panel, head]);
        let worst = contrast_of(&d, &d.layers[1], Color::WHITE);
        assert!(worst < 1.01, "white text half on white: {worst}");
        assert!(readable_color(&d, &d.layers[1], &[Color::WHITE, Color::BLACK]).is_none());
    }
}
