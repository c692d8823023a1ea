//! The CPU rasteriser (vello_cpu) and the [`Canvas`] walk that the GPU canvas shares.
//!
//! [`paint_scene`] turns scene items into calls on a [`Canvas`]; vello_cpu's `RenderContext`
//! and vello_hybrid's `Scene` have the same drawing model, so each backend only says how to
//! set a paint, draw, push a layer and draw glyphs. The CPU output is the reference image.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError, Weak};

use vello_cpu::kurbo::{Affine, BezPath, Rect};
use vello_cpu::peniko::{self, ColorStop, Fill, Gradient, ImageQuality, ImageSampler};
use vello_cpu::{Image, ImageSource, Pixmap, RenderContext, RenderSettings, Resources};
use vello_cpu::{PaintType, color::AlphaColor, color::PremulRgba8, color::Srgb};

use crate::export::RenderError;
use crate::scene::{Brush, Extend, FillRule, GlyphRun, Item, RasterImage, Rgba, Scene, Stop};

/// Largest output side in pixels.
pub const MAX_SIDE: u32 = 8192;

/// What a rasterising backend must offer to draw scene items.
pub trait Canvas {
    /// Sets the geometry transform for what follows.
    fn set_transform(&mut self, transform: Affine);
    /// Sets the paint's own transform (paint space → geometry space).
    fn set_paint_transform(&mut self, transform: Affine);
    /// Sets the paint.
    fn set_paint(&mut self, paint: PaintType);
    /// Sets the fill rule.
    fn set_fill_rule(&mut self, rule: Fill);
    /// Sets the stroke style.
    fn set_stroke(&mut self, stroke: vello_cpu::kurbo::Stroke);
    /// Fills a path with the current state.
    fn fill_path(&mut self, path: &BezPath);
    /// Strokes a path with the current state.
    fn stroke_path(&mut self, path: &BezPath);
    /// Fills a rectangle with the current state.
    fn fill_rect(&mut self, rect: &Rect);
    /// Starts a layer with an optional clip (in the current transform) and an opacity.
    fn push_layer(&mut self, clip: Option<&BezPath>, opacity: f32);
    /// Ends the innermost layer.
    fn pop_layer(&mut self);
    /// The image source for `image` (uploaded or wrapped once per image and render).
    fn image_source(&mut self, image: &Arc<RasterImage>) -> ImageSource;
    /// Fills a glyph run with the current paint, in the current transform.
    fn fill_glyphs(&mut self, run: &GlyphRun);
}

/// Converts a straight-alpha image into vello's premultiplied pixmap.
pub fn premultiplied_pixmap(image: &RasterImage) -> Pixmap {
    let pixels = image
        .pixels
        .chunks_exact(4)
        .map(|p| {
            let a = u16::from(p[3]);
            // (c * a + 127) / 255 ≤ 255, so the casts cannot truncate.
            let m = |c: u8| ((u16::from(c) * a + 127) / 255) as u8;
            PremulRgba8 { r: m(p[0]), g: m(p[1]), b: m(p[2]), a: p[3] }
        })
        .collect();
    // Sizes were checked against MAX_SIDE-like caps when the image was decoded (≤ 16384 < u16::MAX).
    let w = u16::try_from(image.width).unwrap_or(u16::MAX);
    let h = u16::try_from(image.height).unwrap_or(u16::MAX);
    Pixmap::from_parts_with_opacity(pixels, w, h, !image.opaque)
}

fn color(c: Rgba) -> AlphaColor<Srgb> {
    AlphaColor::from_rgba8(c.r, c.g, c.b, c.a)
}

fn stops(stops: &[Stop]) -> Vec<ColorStop> {
    stops.iter().map(|s| ColorStop::from((s.offset.clamp(0.0, 1.0), color(s.color)))).collect()
}

fn extend(e: Extend) -> peniko::Extend {
    match e {
        Extend::Pad => peniko::Extend::Pad,
        Extend::Repeat => peniko::Extend::Repeat,
        Extend::Reflect => peniko::Extend::Reflect,
    }
}

/// The vello paint for a brush, and the brush's own transform.
pub fn paint_of(brush: &Brush) -> (PaintType, Affine) {
    match brush {
        Brush::Solid(c) => (PaintType::Solid(color(*c)), Affine::IDENTITY),
        Brush::Linear { start, end, stops: s, extend: e, transform } => {
            if s.len() == 1 {
                return (PaintType::Solid(color(s[0].color)), Affine::IDENTITY);
            }
            let g = Gradient::new_linear(*start, *end).with_stops(stops(s).as_slice()).with_extend(extend(*e));
            (PaintType::Gradient(g), *transform)
        }
        Brush::Radial { start_center, start_radius, end_center, end_radius, stops: s, extend: e, transform } => {
            if s.len() == 1 {
                return (PaintType::Solid(color(s[0].color)), Affine::IDENTITY);
            }
            let g = Gradient::new_two_point_radial(*start_center, *start_radius, *end_center, *end_radius)
                .with_stops(stops(s).as_slice())
                .with_extend(extend(*e));
            (PaintType::Gradient(g), *transform)
        }
    }
}

fn fill_rule(rule: FillRule) -> Fill {
    match rule {
        FillRule::NonZero => Fill::NonZero,
        FillRule::EvenOdd => Fill::EvenOdd,
    }
}

/// An opacity in 0..=1 (NaN counts as opaque: a bad value should not hide content).
fn unit(v: f32) -> f32 {
    if v.is_nan() { 1.0 } else { v.clamp(0.0, 1.0) }
}

/// True when a transform can be drawn with (finite, invertible).
fn usable(t: &Affine) -> bool {
    let c = t.as_coeffs();
    c.iter().all(|v| v.is_finite()) && t.determinant().abs() > 1e-12
}

/// Draws `scene` on `canvas`, mapping design space by `view` (usually a scale to the output).
pub fn paint_scene(canvas: &mut impl Canvas, scene: &Scene, view: Affine, transparent: bool) {
    if !transparent && let Some(bg) = scene.background_item() {
        paint_item(canvas, &bg, view);
    }
    // Unbalanced pushes (never produced by compose, but scenes are public) are closed at the end.
    let mut depth = 0usize;
    for item in &scene.items {
        match item {
            Item::PopGroup if depth == 0 => continue,
            Item::PopGroup => depth -= 1,
            Item::PushGroup { .. } => depth += 1,
            _ => {}
        }
        paint_item(canvas, item, view);
    }
    for _ in 0..depth {
        canvas.pop_layer();
    }
}

fn paint_item(canvas: &mut impl Canvas, item: &Item, view: Affine) {
    match item {
        Item::Fill { path, transform, brush, rule } => {
            let t = view * *transform;
            if brush.is_invisible() || !usable(&t) {
                return;
            }
            let (paint, paint_transform) = paint_of(brush);
            canvas.set_transform(t);
            canvas.set_paint_transform(paint_transform);
            canvas.set_paint(paint);
            canvas.set_fill_rule(fill_rule(*rule));
            canvas.fill_path(path);
        }
        Item::Stroke { path, transform, brush, style } => {
            let t = view * *transform;
            if brush.is_invisible()
                || !usable(&t)
                || style.width.is_nan()
                || style.width <= 0.0
                || !style.width.is_finite()
            {
                return;
            }
            let (paint, paint_transform) = paint_of(brush);
            canvas.set_transform(t);
            canvas.set_paint_transform(paint_transform);
            canvas.set_paint(paint);
            canvas.set_stroke(style.clone());
            canvas.stroke_path(path);
        }
        Item::Image { image, transform, opacity } => {
            let t = view * *transform;
            if !usable(&t) || *opacity <= 0.0 {
                return;
            }
            // Drawn much smaller than its pixels: sample a pre-shrunk copy (faster, no aliasing).
            let (image, t) = mip_for(image, t);
            let image = &image;
            let source = canvas.image_source(image);
            // vello applies no sampler alpha to images: fade through a layer instead.
            let opacity = unit(*opacity);
            if opacity < 1.0 {
                canvas.set_transform(Affine::IDENTITY);
                canvas.push_layer(None, opacity);
            }
            let sampler = ImageSampler { quality: ImageQuality::Medium, ..Default::default() };
            canvas.set_transform(t);
            canvas.set_paint_transform(Affine::IDENTITY);
            canvas.set_paint(PaintType::Image(Image { image: source, sampler }));
            canvas.set_fill_rule(Fill::NonZero);
            canvas.fill_rect(&Rect::new(0.0, 0.0, f64::from(image.width), f64::from(image.height)));
            if opacity < 1.0 {
                canvas.pop_layer();
            }
        }
        Item::Glyphs(run) => {
            let t = view * run.transform;
            if run.brush.is_invisible()
                || !usable(&t)
                || run.glyphs.is_empty()
                || run.font_size.is_nan()
                || run.font_size <= 0.0
            {
                return;
            }
            let (paint, paint_transform) = paint_of(&run.brush);
            canvas.set_transform(t);
            canvas.set_paint_transform(paint_transform);
            canvas.set_paint(paint);
            canvas.set_fill_rule(Fill::NonZero);
            canvas.fill_glyphs(run);
        }
        Item::PushGroup { opacity, clip } => match clip {
            Some(clip) if usable(&(view * clip.transform)) => {
                canvas.set_transform(view * clip.transform);
                canvas.set_fill_rule(Fill::NonZero);
                canvas.push_layer(Some(&clip.path), unit(*opacity));
            }
            // A degenerate clip hides everything.
            Some(_) => {
                canvas.set_transform(Affine::IDENTITY);
                canvas.push_layer(Some(&BezPath::new()), 0.0);
            }
            None => {
                canvas.set_transform(Affine::IDENTITY);
                canvas.push_layer(None, unit(*opacity));
            }
        },
        Item::PopGroup => canvas.pop_layer(),
    }
}

type Derived<T> = Mutex<HashMap<(usize, u32), (Weak<RasterImage>, Arc<T>)>>;

/// Images derived from scene images (mip levels, premultiplied pixmaps), kept while their
/// source image lives. Keyed by the source's address, checked against a weak reference.
fn derived<T>(cache: &Derived<T>, image: &Arc<RasterImage>, level: u32, make: impl FnOnce() -> T) -> Arc<T> {
    let key = (Arc::as_ptr(image) as usize, level);
    let mut map = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((source, value)) = map.get(&key)
        && source.upgrade().is_some_and(|s| Arc::ptr_eq(&s, image))
    {
        return value.clone();
    }
    map.retain(|_, (source, _)| source.strong_count() > 0);
    let value = Arc::new(make());
    map.insert(key, (Arc::downgrade(image), value.clone()));
    value
}

static MIPS: LazyLock<Derived<RasterImage>> = LazyLock::new(Default::default);
static PREMULTIPLIED: LazyLock<Derived<Pixmap>> = LazyLock::new(Default::default);

/// The premultiplied pixmap of `image`, made once while the image lives.
pub fn cached_pixmap(image: &Arc<RasterImage>) -> Arc<Pixmap> {
    derived(&PREMULTIPLIED, image, 0, || premultiplied_pixmap(image))
}

/// The copy of `image` to sample when it is drawn with transform `t`: halved (box filter)
/// while it would still be drawn at less than half its size, with `t` adjusted to match.
fn mip_for(image: &Arc<RasterImage>, t: Affine) -> (Arc<RasterImage>, Affine) {
    let scale = t.determinant().abs().sqrt();
    let mut level = 0u32;
    while level < 8 && scale * f64::from(1u32 << (level + 1)) <= 0.5 + 1e-9 {
        level += 1;
    }
    if level == 0 {
        return (image.clone(), t);
    }
    let mut current = image.clone();
    for l in 1..=level {
        if current.width < 2 || current.height < 2 {
            break;
        }
        let source = current.clone();
        current = derived(&MIPS, image, l, || halve(&source));
    }
    let sx = f64::from(image.width) / f64::from(current.width);
    let sy = f64::from(image.height) / f64::from(current.height);
    (current, t * Affine::scale_non_uniform(sx, sy))
}

/// Halves an image with a 2×2 box filter on premultiplied values.
fn halve(image: &RasterImage) -> RasterImage {
    let (w, h) = (image.width as usize, image.height as usize);
    let (nw, nh) = ((w / 2).max(1), (h / 2).max(1));
    let mut out = vec![0u8; nw * nh * 4];
    for y in 0..nh {
        for x in 0..nw {
            let mut acc = [0u32; 4];
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let (sx, sy) = ((2 * x + dx).min(w - 1), (2 * y + dy).min(h - 1));
                let p = &image.pixels[(sy * w + sx) * 4..][..4];
                let a = u32::from(p[3]);
                acc[0] += u32::from(p[0]) * a;
                acc[1] += u32::from(p[1]) * a;
                acc[2] += u32::from(p[2]) * a;
                acc[3] += a;
            }
            let o = &mut out[(y * nw + x) * 4..][..4];
            for c in 0..3 {
                // Weighted mean of 0..=255 values (0 where the pixels are all transparent).
                o[c] = (acc[c] + acc[3] / 2).checked_div(acc[3]).unwrap_or(0) as u8;
            }
            o[3] = ((acc[3] + 2) / 4) as u8;
        }
    }
    RasterImage { width: nw as u32, height: nh as u32, pixels: out, opaque: image.opaque }
}

/// Glyph-run settings shared by the CPU and GPU canvases: the faux-italic skew, and the
/// embolden amount in font units (vello caches unhinted outlines at units-per-em size and
/// expands them there).
pub fn glyph_style(run: &GlyphRun) -> (Affine, f64) {
    let skew = if run.synthetic_skew != 0.0 && run.synthetic_skew.is_finite() {
        Affine::skew(-f64::from(run.synthetic_skew), 0.0)
    } else {
        Affine::IDENTITY
    };
    let embolden = if run.synthetic_embolden > 0.0 && run.synthetic_embolden.is_finite() {
        use skrifa::MetadataProvider as _;
        let upem = skrifa::FontRef::from_index(run.font.data.data(), run.font.index)
            .map(|f| {
                f.metrics(skrifa::instance::Size::unscaled(), skrifa::instance::LocationRef::default()).units_per_em
            })
            .unwrap_or(1000);
        f64::from(run.synthetic_embolden) * f64::from(upem)
    } else {
        0.0
    };
    (skew, embolden)
}

/// Fills `run` through a vello glyph-run builder (CPU or GPU) with the shared settings: size,
/// faux italic and bold, variable-font coordinates, no hinting (output must not depend on the
/// output size's pixel grid).
pub fn fill_glyph_run<'a, B: glifo::GlyphRunBackend<'a>>(builder: glifo::GlyphRunBuilder<'a, B>, run: &'a GlyphRun) {
    let (skew, embolden) = glyph_style(run);
    let builder =
        builder.font_size(run.font_size).glyph_transform(skew).normalized_coords(&run.normalized_coords).hint(false);
    let builder = if embolden > 0.0 {
        builder.font_embolden(glifo::FontEmbolden::new(vello_cpu::kurbo::Diagonal2 { xx: embolden, yy: embolden }))
    } else {
        builder
    };
    builder.fill_glyphs(vello_glyphs(run));
}

/// The glyphs of a run in vello's form.
pub fn vello_glyphs(run: &GlyphRun) -> impl Iterator<Item = vello_cpu::Glyph> + Clone + '_ {
    run.glyphs.iter().map(|g| vello_cpu::Glyph { id: g.id, x: g.x, y: g.y })
}

/// A vello_cpu render context as a [`Canvas`].
pub struct CpuCanvas {
    ctx: RenderContext,
    resources: Resources,
    images: HashMap<*const RasterImage, ImageSource>,
}

impl CpuCanvas {
    /// A canvas of `width`×`height` pixels. Outputs under a megapixel render on this thread
    /// (a worker pool costs more than it saves there); larger ones use the other cores too.
    pub fn new(width: u16, height: u16) -> Self {
        let pixels = u32::from(width) * u32::from(height);
        let workers = std::thread::available_parallelism()
            .map(|n| u16::try_from(n.get().saturating_sub(1)).unwrap_or(0).min(8))
            .unwrap_or(0);
        let settings =
            RenderSettings { num_threads: if pixels < 1_000_000 { 0 } else { workers }, ..RenderSettings::default() };
        let resources = RESOURCES.lock().unwrap_or_else(PoisonError::into_inner).pop().unwrap_or_default();
        CpuCanvas { ctx: RenderContext::new_with(width, height, settings), resources, images: HashMap::new() }
    }

    /// Renders what was drawn into a premultiplied pixmap.
    pub fn finish(mut self) -> Pixmap {
        self.ctx.flush();
        let mut pixmap = Pixmap::new(self.ctx.width(), self.ctx.height());
        self.ctx.render(&mut pixmap, &mut self.resources);
        let mut pool = RESOURCES.lock().unwrap_or_else(PoisonError::into_inner);
        if pool.len() < 4 {
            // Glyph outline caches carry over to the next render.
            pool.push(std::mem::take(&mut self.resources));
        }
        pixmap
    }
}

/// Renderer resources (glyph caches) reused between renders.
static RESOURCES: LazyLock<Mutex<Vec<Resources>>> = LazyLock::new(Default::default);

impl Canvas for CpuCanvas {
    fn set_transform(&mut self, transform: Affine) {
        self.ctx.set_transform(transform);
    }
    fn set_paint_transform(&mut self, transform: Affine) {
        self.ctx.set_paint_transform(transform);
    }
    fn set_paint(&mut self, paint: PaintType) {
        self.ctx.set_paint(paint);
    }
    fn set_fill_rule(&mut self, rule: Fill) {
        self.ctx.set_fill_rule(rule);
    }
    fn set_stroke(&mut self, stroke: vello_cpu::kurbo::Stroke) {
        self.ctx.set_stroke(stroke);
    }
    fn fill_path(&mut self, path: &BezPath) {
        self.ctx.fill_path(path);
    }
    fn stroke_path(&mut self, path: &BezPath) {
        self.ctx.stroke_path(path);
    }
    fn fill_rect(&mut self, rect: &Rect) {
        self.ctx.fill_rect(rect);
    }
    fn push_layer(&mut self, clip: Option<&BezPath>, opacity: f32) {
        self.ctx.push_layer(clip, None, Some(opacity), None, None);
    }
    fn pop_layer(&mut self) {
        self.ctx.pop_layer();
    }
    fn image_source(&mut self, image: &Arc<RasterImage>) -> ImageSource {
        self.images.entry(Arc::as_ptr(image)).or_insert_with(|| ImageSource::Pixmap(cached_pixmap(image))).clone()
    }
    fn fill_glyphs(&mut self, run: &GlyphRun) {
        fill_glyph_run(self.ctx.glyph_run(&mut self.resources, &run.font), run);
    }
}

/// Checks an output size and returns it as vello's u16 pair.
pub fn check_size(width: u32, height: u32) -> Result<(u16, u16), RenderError> {
    let bad = |reason| RenderError::BadSize { width: u64::from(width), height: u64::from(height), reason };
    if width == 0 || height == 0 {
        return Err(bad("both sides must be at least 1 px"));
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(bad("the long side may be at most 8192 px"));
    }
    // ≤ 8192 fits u16.
    Ok((width as u16, height as u16))
}

/// Rasterises `scene` to `width`×`height` pixels (the design is scaled to fill them), as
/// straight RGBA8.
pub fn rasterize(scene: &Scene, width: u32, height: u32, transparent: bool) -> Result<RasterImage, RenderError> {
    let pixmap = rasterize_premultiplied(scene, width, height, transparent)?;
    let (w, h) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
    let pixels: Vec<u8> = pixmap.take_unpremultiplied().into_iter().flat_map(|p| [p.r, p.g, p.b, p.a]).collect();
    RasterImage::new(w, h, pixels).ok_or(RenderError::BadSize {
        width: u64::from(width),
        height: u64::from(height),
        reason: "the rasteriser returned no pixels",
    })
}

/// Rasterises `scene` into vello's premultiplied pixmap.
pub fn rasterize_premultiplied(
    scene: &Scene,
    width: u32,
    height: u32,
    transparent: bool,
) -> Result<Pixmap, RenderError> {
    let (w, h) = check_size(width, height)?;
    let mut canvas = CpuCanvas::new(w, h);
    paint_scene(&mut canvas, scene, view_transform(scene, width, height), transparent);
    Ok(canvas.finish())
}

/// The transform from design space to a `width`×`height` output.
pub fn view_transform(scene: &Scene, width: u32, height: u32) -> Affine {
    let sx = if scene.width > 0.0 { f64::from(width) / scene.width } else { 1.0 };
    let sy = if scene.height > 0.0 { f64::from(height) / scene.height } else { 1.0 };
    Affine::scale_non_uniform(sx, sy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{Clip, FillRule, StrokeStyle};
    use vello_cpu::kurbo::Shape as _;

    fn px(img: &RasterImage, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * img.width + x) * 4) as usize;
        [img.pixels[i], img.pixels[i + 1], img.pixels[i + 2], img.pixels[i + 3]]
    }

    #[test]
    fn fills_strokes_groups_and_background() {
        let mut scene = Scene::new(100.0, 100.0);
        scene.background = Some(Brush::Solid(Rgba::WHITE));
        scene.items.push(Item::Fill {
            path: Rect::new(10.0, 10.0, 50.0, 50.0).to_path(0.1),
            transform: Affine::IDENTITY,
            brush: Brush::Solid(Rgba::new(255, 0, 0, 255)),
            rule: FillRule::NonZero,
        });
        scene.items.push(Item::PushGroup {
            opacity: 0.5,
            clip: Some(Clip { path: Rect::new(60.0, 60.0, 80.0, 80.0).to_path(0.1), transform: Affine::IDENTITY }),
        });
        scene.items.push(Item::Fill {
            path: Rect::new(0.0, 0.0, 100.0, 100.0).to_path(0.1),
            transform: Affine::IDENTITY,
            brush: Brush::Solid(Rgba::BLACK),
            rule: FillRule::NonZero,
        });
        scene.items.push(Item::PopGroup);
        scene.items.push(Item::Stroke {
            path: BezPath::from_vec(vec![
                vello_cpu::kurbo::PathEl::MoveTo((0.0, 95.0).into()),
                vello_cpu::kurbo::PathEl::LineTo((100.0, 95.0).into()),
            ]),
            transform: Affine::IDENTITY,
            brush: Brush::Solid(Rgba::new(0, 0, 255, 255)),
            style: StrokeStyle::new(4.0),
        });
        let img = rasterize(&scene, 200, 200, false).unwrap();
        assert_eq!((img.width, img.height), (200, 200));
        assert_eq!(px(&img, 60, 60), [255, 0, 0, 255]);
        assert_eq!(px(&img, 5, 5), [255, 255, 255, 255]);
        let grey = px(&img, 140, 140);
        assert!((126..=130).contains(&grey[0]), "{grey:?}");
        assert_eq!(px(&img, 100, 190), [0, 0, 255, 255]);
        let clear = rasterize(&scene, 50, 50, true).unwrap();
        assert_eq!(px(&clear, 2, 2)[3], 0);
    }

    #[test]
    fn images_draw_with_opacity_and_mip_levels() {
        let pixels = [255u8, 0, 0, 255].repeat(64 * 64);
        let image = Arc::new(RasterImage::new(64, 64, pixels).unwrap());
        let mut scene = Scene::new(64.0, 64.0);
        scene.items.push(Item::Image { image: image.clone(), transform: Affine::IDENTITY, opacity: 0.5 });
        let img = rasterize(&scene, 64, 64, true).unwrap();
        let p = px(&img, 32, 32);
        assert!(p[0] > 250 && (120..=135).contains(&p[3]), "{p:?}");
        // Drawn at 1/8 size: sampled from a smaller level, same colour.
        let small = rasterize(&scene, 8, 8, true).unwrap();
        let p = px(&small, 4, 4);
        assert!(p[0] > 250 && (120..=135).contains(&p[3]), "{p:?}");
    }

    #[test]
    fn refuses_bad_sizes_and_survives_bad_transforms() {
        let mut scene = Scene::new(10.0, 10.0);
        assert!(rasterize(&scene, 0, 10, false).is_err());
        assert!(rasterize(&scene, 8193, 10, false).is_err());
        scene.items.push(Item::Fill {
            path: Rect::new(0.0, 0.0, 5.0, 5.0).to_path(0.1),
            transform: Affine::scale(f64::NAN),
            brush: Brush::Solid(Rgba::BLACK),
            rule: FillRule::NonZero,
        });
        scene.items.push(Item::PopGroup);
        scene.items.push(Item::PushGroup { opacity: f32::NAN, clip: None });
        let img = rasterize(&scene, 10, 10, true).unwrap();
        assert!(img.pixels.iter().all(|&b| b == 0));
    }
}
