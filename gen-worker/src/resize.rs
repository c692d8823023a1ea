//! Magic resize (REQ-012): re-lays a design out for another format from its layers' roles.
//!
//! Every layer box goes through one map per axis: piecewise linear and increasing, sending the
//! source's safe span onto the target's and each edge margin onto the matching margin. Because
//! the map is the same for all layers and monotone on each axis, boxes that did not overlap still
//! do not, containment is kept (text stays on its panel), whatever was inside the source's safe
//! zone is inside the target's, and canvas edges map to canvas edges (backgrounds, bands and
//! bleeding photos still bleed). On top of that:
//!
//! - a band lying within an edge margin keeps about its thickness instead of growing with the
//!   margin (a story's margins are five times a post's);
//! - text scales by √(sx·sy), the geometric mean of the two axes, and [`fit_text`] then shrinks
//!   it (down to a floor the caller picks) until it fits its new box;
//! - logos, SVGs and round or star shapes keep their aspect ratio, centred in their new box,
//!   unless they back or cover text (then they stretch with it, so the text stays on them);
//! - important layers meeting a platform overlay (a video's duration badge) are pulled out of it.
//!
//! See `docs/templates.md`.

use editor_core::{Design, Format, FormatPreset, Layer, LayerContent, Rect, Role, Shape, TextContent};

/// Sides closer than this to the canvas edge count as touching it.
const EDGE_EPS: f64 = 0.5;

/// The rectangle a format keeps important content in: the preset's safe rectangle, or the
/// whole canvas for custom sizes.
pub fn safe_rect(format: &Format) -> Rect {
    let (w, h) = (f64::from(format.width), f64::from(format.height));
    let rect = format.safe_zone().safe_rect(w, h);
    if rect.w > 1.0 && rect.h > 1.0 { rect } else { Rect::new(0.0, 0.0, w, h) }
}

/// Whether a layer with `role` carries content that must stay readable and inside the safe zone.
pub fn is_important(role: Role) -> bool {
    role.is_copy() || role == Role::Logo
}

/// Whether a layer should keep its aspect ratio when its box changes shape.
fn keeps_aspect(layer: &Layer) -> bool {
    match &layer.content {
        LayerContent::Svg(_) => true,
        LayerContent::Image(_) => layer.role == Role::Logo,
        LayerContent::Shape(shape) => {
            layer.role == Role::Logo
                || matches!(shape.shape, Shape::Ellipse | Shape::Polygon { .. } | Shape::Star { .. })
        }
        LayerContent::Text(_) | LayerContent::Group => false,
    }
}

/// One axis of the map: piecewise linear and increasing, the safe span onto the safe span and
/// each margin onto the matching margin, so canvas edges map to canvas edges. Beyond the canvas
/// (bleed overhang) it scales with the canvas.
fn axis(v: f64, s0: f64, s1: f64, len: f64, t0: f64, t1: f64, tlen: f64) -> f64 {
    if v < 0.0 {
        v * tlen / len
    } else if v > len {
        tlen + (v - len) * tlen / len
    } else if v < s0 {
        if s0 > 0.0 { v * t0 / s0 } else { t0 }
    } else if v > s1 {
        if len > s1 { t1 + (v - s1) * (tlen - t1) / (len - s1) } else { t1 }
    } else if s1 > s0 {
        t0 + (v - s0) * (t1 - t0) / (s1 - s0)
    } else {
        t0
    }
}

/// The affine map between two formats' safe rectangles.
#[derive(Clone, Copy, Debug)]
struct Map {
    from: Rect,
    to: Rect,
    sx: f64,
    sy: f64,
    /// Canvas sizes, for edge snapping.
    src: (f64, f64),
    dst: (f64, f64),
}

impl Map {
    fn new(source: &Format, target: &Format) -> Map {
        let (from, to) = (safe_rect(source), safe_rect(target));
        Map {
            from,
            to,
            sx: to.w / from.w,
            sy: to.h / from.h,
            src: (f64::from(source.width), f64::from(source.height)),
            dst: (f64::from(target.width), f64::from(target.height)),
        }
    }

    fn x(&self, x: f64) -> f64 {
        axis(x, self.from.x, self.from.right(), self.src.0, self.to.x, self.to.right(), self.dst.0)
    }

    fn y(&self, y: f64) -> f64 {
        axis(y, self.from.y, self.from.bottom(), self.src.1, self.to.y, self.to.bottom(), self.dst.1)
    }

    /// Text and stroke scale: the geometric mean of the two axes.
    fn mean(&self) -> f64 {
        (self.sx * self.sy).sqrt()
    }

    /// Maps a box. Sides on the canvas edge stay on it (the map sends edge to edge); a band that
    /// lies within an edge margin keeps about its thickness instead of growing with the margin.
    fn rect(&self, r: Rect) -> Rect {
        let (sw, sh) = self.src;
        let (dw, dh) = self.dst;
        let canvas = ((dw / sw) * (dh / sh)).sqrt();
        let mut x0 = self.x(r.x);
        let mut x1 = self.x(r.right());
        let mut y0 = self.y(r.y);
        let mut y1 = self.y(r.bottom());
        // Bands inside a margin, touching its edge.
        if r.x <= EDGE_EPS && r.right() <= self.from.x {
            x1 = x1.min(x0.max(0.0) + (r.right() - r.x.max(0.0)) * canvas);
        }
        if r.right() >= sw - EDGE_EPS && r.x >= self.from.right() {
            x0 = x0.max(x1.min(dw) - (r.right().min(sw) - r.x) * canvas);
        }
        if r.y <= EDGE_EPS && r.bottom() <= self.from.y {
            y1 = y1.min(y0.max(0.0) + (r.bottom() - r.y.max(0.0)) * canvas);
        }
        if r.bottom() >= sh - EDGE_EPS && r.y >= self.from.bottom() {
            y0 = y0.max(y1.min(dh) - (r.bottom().min(sh) - r.y) * canvas);
        }
        Rect::new(x0, y0, (x1 - x0).max(0.0), (y1 - y0).max(0.0))
    }

    fn bleeds(&self, r: Rect) -> bool {
        let (sw, sh) = self.src;
        r.x <= EDGE_EPS || r.y <= EDGE_EPS || r.right() >= sw - EDGE_EPS || r.bottom() >= sh - EDGE_EPS
    }
}

/// A copy of `design` re-laid out for `target` (see the module docs). Text is scaled but not
/// measured: run [`fit_text`] with a renderer to shrink what no longer fits.
pub fn resize(design: &Design, target: &Format) -> Design {
    let map = Map::new(&design.format, target);
    let mut out = design.clone();
    out.format = target.clone();
    // Shapes under or over text stretch with it (keeping their aspect ratio would uncover
    // part of the text they back, or newly cover it).
    let texts: Vec<Rect> = design
        .layers
        .iter()
        .filter(|l| is_important(l.role) || matches!(l.content, LayerContent::Text(_)))
        .map(Layer::bounds)
        .collect();
    let mapped: Vec<Rect> = texts.iter().map(|t| map.rect(*t)).collect();
    for layer in &mut out.layers {
        let decoration = !is_important(layer.role) && !matches!(layer.content, LayerContent::Text(_));
        let touches_text = decoration && texts.iter().any(|t| t.intersects(&layer.bounds()));
        resize_layer(layer, &map, touches_text);
        // An aspect-kept decoration that grew into text stretches instead (the plain map keeps
        // it clear of the text, as it was).
        if decoration && !touches_text && mapped.iter().any(|t| t.intersects(&layer.bounds())) {
            let r = map.rect(design_bounds(design, &layer.id));
            (layer.x, layer.y, layer.w, layer.h) = (r.x, r.y, r.w, r.h);
        }
    }
    avoid_overlays(&mut out);
    out
}

fn design_bounds(design: &Design, id: &editor_core::LayerId) -> Rect {
    design.layer(id).map(Layer::bounds).unwrap_or_default()
}

/// [`resize`] to a preset's format.
pub fn resize_to(design: &Design, preset: FormatPreset) -> Design {
    resize(design, &preset.format())
}

fn resize_layer(layer: &mut Layer, map: &Map, touches_text: bool) {
    let old = layer.bounds();
    let mut new = map.rect(old);
    let angle = layer.rotation.rem_euclid(180.0);
    if angle.abs() > 1e-9 && old.w > 0.0 && old.h > 0.0 {
        // A rotated box cannot be stretched per axis; it is scaled uniformly to fit inside the
        // map of its rotated bounds, so it meets no layer it did not meet before.
        let outer = crate::quality::outer_box(layer);
        let target = map.rect(outer);
        let k = (target.w / outer.w).min(target.h / outer.h);
        let (w, h) = (old.w * k, old.h * k);
        let (cx, cy) = (target.x + target.w / 2.0, target.y + target.h / 2.0);
        new = Rect::new(cx - w / 2.0, cy - h / 2.0, w, h);
    } else if keeps_aspect(layer) && !touches_text && old.w > 0.0 && old.h > 0.0 {
        let aspect = old.w / old.h;
        if map.bleeds(old) && !is_important(layer.role) {
            // A bleeding decoration: uniform scale, anchored on the edges it touches.
            let s = map.mean();
            let (w, h) = (old.w * s, old.h * s);
            let (sw, sh) = map.src;
            let (dw, dh) = map.dst;
            let x = if old.x <= EDGE_EPS {
                old.x * dw / sw
            } else if old.right() >= sw - EDGE_EPS {
                dw - (sw - old.right()) * dw / sw - w
            } else {
                new.x + (new.w - w) / 2.0
            };
            let y = if old.y <= EDGE_EPS {
                old.y * dh / sh
            } else if old.bottom() >= sh - EDGE_EPS {
                dh - (sh - old.bottom()) * dh / sh - h
            } else {
                new.y + (new.h - h) / 2.0
            };
            new = Rect::new(x, y, w, h);
        } else {
            let w = new.w.min(new.h * aspect);
            let h = w / aspect;
            new = Rect::new(new.x + (new.w - w) / 2.0, new.y + (new.h - h) / 2.0, w, h);
        }
    }
    layer.x = new.x;
    layer.y = new.y;
    layer.w = new.w;
    layer.h = new.h;
    let s = map.mean();
    match &mut layer.content {
        LayerContent::Text(text) => scale_text(text, s),
        LayerContent::Shape(shape) => {
            if let Shape::Path { d } = &mut shape.shape
                && old.w > 0.0
                && old.h > 0.0
                && let Ok(path) = render::scene::BezPath::from_svg(d)
            {
                // Path data is in box coordinates: it stretches with the box.
                let scaled = render::scene::Affine::scale_non_uniform(new.w / old.w, new.h / old.h) * path;
                *d = scaled.to_svg();
            }
            if let Shape::Rect { corner_radii } = &mut shape.shape {
                let k = map.sx.min(map.sy);
                for r in corner_radii.iter_mut() {
                    *r = (*r * k).min(new.w.min(new.h) / 2.0).max(0.0);
                }
            }
            if let Some(stroke) = &mut shape.stroke {
                stroke.width *= s;
            }
        }
        LayerContent::Image(_) | LayerContent::Svg(_) | LayerContent::Group => {}
    }
}

fn scale_text(text: &mut TextContent, s: f64) {
    text.font_size = (text.font_size * s).max(1.0);
    for span in &mut text.spans {
        if let Some(size) = &mut span.style.font_size {
            *size = (*size * s).max(1.0);
        }
    }
}

/// Pulls important layers out of platform overlays (e.g. YouTube's duration badge) by trimming
/// the side of the box that meets the overlay, whichever costs less area.
fn avoid_overlays(design: &mut Design) {
    let zone = design.format.safe_zone();
    for overlay in &zone.overlays {
        let o = overlay.rect;
        for layer in design.layers.iter_mut().filter(|l| is_important(l.role)) {
            let r = layer.bounds();
            if !r.intersects(&o) {
                continue;
            }
            let keep_w = (o.x - r.x).max(0.0);
            let keep_h = (o.y - r.y).max(0.0);
            // Area kept by trimming the right side versus the bottom side.
            if keep_w * r.h >= keep_h * r.w && keep_w > 0.0 {
                layer.w = keep_w - 1.0;
            } else if keep_h > 0.0 {
                layer.h = keep_h - 1.0;
            }
        }
    }
}

/// How much more room text has per unit of font size after resizing `from` to `to`: the square
/// root of how much taller the safe area became relative to its width (1.22 from a square post
/// to a story; below 1 for wider targets).
pub fn headroom(from: &Format, to: &Format) -> f64 {
    let (a, b) = (safe_rect(from), safe_rect(to));
    ((b.h / a.h) / (b.w / a.w)).sqrt()
}

/// Grows the headline and subline up to `max` × their size while they still fit their boxes
/// (portrait targets stretch boxes more than text). Sizes in between are found by bisection.
pub fn grow_text(design: &mut Design, renderer: &render::Renderer, max: f64) {
    if max <= 1.01 {
        return;
    }
    for layer in &mut design.layers {
        if !matches!(layer.role, Role::Headline | Role::Subline) {
            continue;
        }
        let (w, h) = (layer.w, layer.h);
        let LayerContent::Text(text) = &mut layer.content else { continue };
        if text.text.trim().is_empty() {
            continue;
        }
        let fits = |scale: f64| {
            let mut probe = text.clone();
            scale_text(&mut probe, scale);
            probe.auto_fit = false;
            renderer.measure_text(&probe, w, h).fits
        };
        if !fits(1.0) {
            continue;
        }
        let (mut lo, mut hi) = (1.0, max);
        if fits(hi) {
            lo = hi;
        } else {
            for _ in 0..5 {
                let mid = 0.5 * (lo + hi);
                if fits(mid) { lo = mid } else { hi = mid }
            }
        }
        // A little air below the box's edge.
        let grown = (lo * 0.97).max(1.0);
        scale_text(text, grown);
    }
}

/// Shrinks text that no longer fits its box, between its current size and `floor` × that size,
/// and writes the fitted size into the layer (so the editor shows the size the text is drawn
/// at). Returns the layers that do not fit even at the floor.
pub fn fit_text(design: &mut Design, renderer: &render::Renderer, floor: f64) -> Vec<String> {
    let mut overflowing = Vec::new();
    for layer in &mut design.layers {
        let (w, h) = (layer.w, layer.h);
        let LayerContent::Text(text) = &mut layer.content else { continue };
        if text.text.is_empty() {
            continue;
        }
        let mut probe = text.clone();
        probe.auto_fit = false;
        if renderer.measure_text(&probe, w, h).fits {
            continue;
        }
        // Bisection on the scale in [floor, 1]: `hi` never fits.
        let original = text.clone();
        let (mut lo, mut hi) = (floor.clamp(0.05, 1.0), 1.0);
        let mut scaled = original.clone();
        scale_text(&mut scaled, lo);
        scaled.auto_fit = false;
        if !renderer.measure_text(&scaled, w, h).fits {
            overflowing.push(layer.id.to_string());
            *text = scaled;
            text.auto_fit = original.auto_fit;
            continue;
        }
        for _ in 0..6 {
            let mid = 0.5 * (lo + hi);
            let mut probe = original.clone();
            scale_text(&mut probe, mid);
            probe.auto_fit = false;
            if renderer.measure_text(&probe, w, h).fits {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let mut fitted = original.clone();
        scale_text(&mut fitted, lo);
        *text = fitted;
    }
    overflowing
}

#[cfg(test)]
mod tests {
    use super::*;
    use editor_core::{Color, LayerId};

    fn id(s: &str) -> LayerId {
        LayerId::parse(s).unwrap_or_else(|_| unreachable!("valid id"))
    }

    fn sample() -> Design {
        let mut d = Design::new("t", FormatPreset::InstagramPost.format());
        let mut bg = Layer::rect(id("bg"), Rect::new(0.0, 0.0, 1080.0, 1080.0), Color::WHITE);
        bg.role = Role::Background;
        let mut band = Layer::rect(id("band"), Rect::new(0.0, 700.0, 1080.0, 380.0), Color::BLACK);
        band.role = Role::Decoration;
        let mut head = Layer::text(id("head"), "Hello", Rect::new(100.0, 760.0, 880.0, 200.0));
        head.role = Role::Headline;
        let mut logo = Layer::rect(id("logo"), Rect::new(80.0, 80.0, 200.0, 100.0), Color::BLACK);
        logo.role = Role::Logo;
        d.layers = vec![bg, band, head, logo];
        d.assign_missing_z();
        d
    }

    #[test]
    fn backgrounds_bleed_and_content_stays_safe_and_inside_its_band() {
        let d = sample();
        for preset in FormatPreset::ALL {
            let r = resize_to(&d, preset);
            let f = &r.format;
            let (w, h) = (f64::from(f.width), f64::from(f.height));
            let bg = &r.layers[0];
            assert_eq!((bg.x, bg.y, bg.w, bg.h), (0.0, 0.0, w, h), "{preset:?}");
            let band = r.layers[1].bounds();
            assert!((band.bottom() - h).abs() < 1e-6 && band.x == 0.0 && (band.right() - w).abs() < 1e-6);
            let head = r.layers[2].bounds();
            assert!(band.contains_rect(&head), "{preset:?}: {head:?} not in {band:?}");
            let zone = f.safe_zone();
            for l in &r.layers[2..] {
                assert!(zone.allows(w, h, &l.bounds()), "{preset:?}: {} leaves the safe zone", l.id);
            }
            let logo = r.layers[3].bounds();
            assert!((logo.w / logo.h - 2.0).abs() < 1e-9, "logo keeps its aspect");
        }
    }

    #[test]
    fn resizing_there_and_back_restores_the_layout() {
        let d = sample();
        let there = resize_to(&d, FormatPreset::Tiktok);
        let back = resize(&there, &d.format);
        // The logo keeps its aspect ratio (fitted inside its box), so only the others round-trip.
        for (a, b) in d.layers.iter().zip(&back.layers).take(3) {
            for (p, q) in [(a.x, b.x), (a.y, b.y), (a.w, b.w), (a.h, b.h)] {
                assert!((p - q).abs() < 1e-6, "{}: {p} vs {q}", a.id);
            }
        }
    }

    #[test]
    fn path_shapes_stretch_with_their_box() {
        let mut d = Design::new("t", FormatPreset::InstagramPost.format());
        let mut wave = Layer::rect(id("wave"), Rect::new(0.0, 800.0, 1080.0, 280.0), Color::BLACK);
        if let LayerContent::Shape(s) = &mut wave.content {
            s.shape = Shape::Path { d: "M0 280 L0 80 C360 0 720 160 1080 40 L1080 280 Z".into() };
        }
        d.layers = vec![wave];
        let r = resize_to(&d, FormatPreset::YoutubeThumbnail);
        let l = &r.layers[0];
        let LayerContent::Shape(s) = &l.content else { unreachable!("a shape") };
        let Shape::Path { d } = &s.shape else { unreachable!("a path") };
        // The largest x is the right end (1080 → the new width); the largest y the bottom.
        let numbers: Vec<f64> = d
            .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
            .filter_map(|t| t.parse().ok())
            .collect();
        let max = numbers.iter().copied().fold(f64::MIN, f64::max);
        assert!((max - l.w).abs() < 1e-6, "{d}: {max} vs {}", l.w);
        assert!(numbers.iter().any(|n| (n - l.h).abs() < 1e-6), "{d}: no y at {}", l.h);
    }

    #[test]
    fn portrait_targets_give_short_headlines_room_to_grow() {
        let fonts = render::FontLibrary::bundled().unwrap_or_else(|e| panic!("fonts: {e}"));
        let renderer = render::Renderer::new(std::sync::Arc::new(fonts));
        let d = sample();
        let story = FormatPreset::InstagramStory.format();
        let g = headroom(&d.format, &story);
        assert!((1.15..1.3).contains(&g), "{g}");
        assert!(headroom(&d.format, &FormatPreset::YoutubeThumbnail.format()) < 1.0);
        let mut r = resize(&d, &story);
        let size = |d: &Design| match &d.layers[2].content {
            LayerContent::Text(t) => t.font_size,
            _ => 0.0,
        };
        let before = size(&r);
        grow_text(&mut r, &renderer, g);
        assert!(size(&r) > before * 1.1, "{before} → {}", size(&r));
        let LayerContent::Text(t) = &r.layers[2].content else { unreachable!("text") };
        let mut probe = t.clone();
        probe.auto_fit = false;
        assert!(renderer.measure_text(&probe, r.layers[2].w, r.layers[2].h).fits);
    }
}
