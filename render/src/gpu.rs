//! The interactive GPU canvas: the same scene on vello_hybrid/wgpu (cargo feature `gpu`).
//!
//! [`GpuCanvas`] is the [`Canvas`] that [`paint_scene`] draws on, backed by a
//! `vello_hybrid::Scene`; [`GpuRenderer`] owns the wgpu device and the vello_hybrid renderer,
//! and turns a [`Scene`] into pixels on a texture ([`GpuRenderer::render_to_texture`], for the
//! app's canvas or a surface texture) or into straight RGBA8 ([`GpuRenderer::render_rgba`],
//! the same form as [`crate::cpu::rasterize`]). The CPU output stays the reference: the GPU
//! tests compare the two on every golden design. See `docs/gpu-canvas.md`.
//!
//! Images are uploaded into vello_hybrid's atlas once per `Arc<RasterImage>` and kept while
//! consecutive frames keep drawing them. Glyphs are drawn as outlines with the same settings as
//! [`crate::cpu::CpuCanvas`] (no hinting, no glyph atlas). Runs in a bitmap font (the colour
//! emoji font) are the exception: vello_hybrid draws images only from its atlas and panics on
//! the pixmaps glifo makes for bitmap glyphs, so such a run is rasterised with vello_cpu into
//! a pixel-aligned tile, uploaded for the frame and drawn as an image.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc;

use glifo::ImageCache;
use skrifa::{FontRef, Tag};
use vello_cpu::color::{PremulRgba8, palette::css::TRANSPARENT};
use vello_cpu::kurbo::{Affine, BezPath, Point, Rect, Stroke};
use vello_cpu::peniko::{Fill, FontData, ImageQuality, ImageSampler};
use vello_cpu::{Image, ImageSource, PaintType, Pixmap};
use vello_hybrid::{AtlasConfig, LayersConfig, MemorySettings, RenderSettings, SizeU16};

use crate::cpu::{Canvas, fill_glyph_run, glyph_style, paint_scene, premultiplied_pixmap, view_transform};
use crate::scene::{GlyphRun as SceneGlyphRun, RasterImage, Scene};

/// The texture format [`GpuRenderer::render_rgba`] renders into.
pub const OFFSCREEN_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

/// Side of one image atlas page (clamped to the device's limit). Larger images are box-filtered
/// down to fit before upload.
const ATLAS_SIDE: u32 = 4096;

/// Atlas pages at most (each `ATLAS_SIDE`² RGBA8, 64 MiB; allocated only when needed).
const ATLAS_PAGES: usize = 8;

/// Read-back targets up to this many pixels (4096², 64 MiB) are kept between
/// [`GpuRenderer::render_rgba`] calls.
const KEEP_READBACK_PIXELS: u64 = 4096 * 4096;

/// Why the GPU canvas could not start or draw.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// wgpu found no adapter at all, not even a software one.
    #[error("no GPU or software adapter: install mesa-vulkan-drivers (lavapipe) and libvulkan1, or a GPU driver ({0})")]
    NoAdapter(String),
    /// The adapter refused to open a device.
    #[error("could not open a device on the {adapter} adapter: {reason}")]
    Device {
        /// Adapter name and backend.
        adapter: String,
        /// What wgpu said.
        reason: String,
    },
    /// The output size is zero or past the device's largest texture.
    #[error("{width}×{height} px cannot be drawn on this device: each side must be 1 to {max} px")]
    BadSize {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
        /// The device's largest texture side (capped at 65535).
        max: u32,
    },
    /// The texture handed to [`GpuRenderer::render_to_texture`] cannot be drawn into as asked.
    #[error("the target texture is not usable: {0}")]
    Target(String),
    /// vello_hybrid or wgpu reported an error while drawing.
    #[error("the GPU render failed: {0}")]
    Render(String),
    /// The rendered frame could not be copied back to memory.
    #[error("could not read the frame back from the GPU: {0}")]
    Map(String),
}

/// An image living in the atlas.
struct CachedImage {
    /// Held so the pointer key cannot be reused by another image while the entry lives.
    _image: Arc<RasterImage>,
    /// `OpaqueId` source of the upload.
    source: ImageSource,
    /// Drawn by the frame being built.
    used: bool,
}

/// The vello_hybrid renderer for one target format, with its atlas and caches.
struct Backend {
    format: wgpu::TextureFormat,
    renderer: vello_hybrid::Renderer,
    resources: vello_hybrid::Resources,
    /// A copy of the renderer's image allocator, fed the same calls: `Renderer::upload_image`
    /// panics when the atlas is full, so each allocation is tried here first.
    mirror: ImageCache,
    /// Scene images by `Arc` pointer address (the entry holds the `Arc`, so the address stays
    /// taken).
    images: HashMap<usize, CachedImage>,
    /// Uploaded-image → image-pixel-space transform, for images shrunk to fit the atlas.
    scales: HashMap<u32, Affine>,
    /// Whether a font (blob id, face index) has bitmap glyphs.
    bitmap_fonts: HashMap<(u64, u32), bool>,
    /// Glyph caches of the CPU rasteriser used for bitmap-font runs.
    cpu_resources: vello_cpu::Resources,
    /// The previous frame's scene, reset and reused.
    spare: Option<vello_hybrid::Scene>,
    /// Live atlas allocations.
    resident: usize,
}

impl Backend {
    fn new(device: &wgpu::Device, format: wgpu::TextureFormat, settings: RenderSettings, atlas: AtlasConfig) -> Self {
        let target = vello_hybrid::RenderTargetConfig { format, width: 1, height: 1 };
        let (renderer, resources) = vello_hybrid::Renderer::new_with(device, &target, settings);
        Backend {
            format,
            renderer,
            resources,
            mirror: ImageCache::new_with_config(atlas),
            images: HashMap::new(),
            scales: HashMap::new(),
            bitmap_fonts: HashMap::new(),
            cpu_resources: vello_cpu::Resources::new(),
            spare: None,
            resident: 0,
        }
    }

    /// Frees atlas images: `frame` ones always, cached ones not drawn by the last frame.
    fn evict(&mut self, encoder: &mut wgpu::CommandEncoder, frame: Vec<ImageSource>) {
        let mut stale = frame;
        self.images.retain(|_, c| {
            if !c.used {
                stale.push(c.source.clone());
            }
            c.used
        });
        self.free(encoder, stale);
    }

    /// Frees atlas uploads (their regions are cleared by passes recorded on `encoder`).
    fn free(&mut self, encoder: &mut wgpu::CommandEncoder, sources: Vec<ImageSource>) {
        for source in sources {
            if let ImageSource::OpaqueId { id, .. } = source {
                self.scales.remove(&id.as_u32());
                if self.mirror.deallocate(id).is_some() {
                    self.resident -= 1;
                }
                self.renderer.destroy_image(&mut self.resources, encoder, id);
            }
        }
    }
}

/// Uploads pixmaps into a backend's atlas.
struct Uploader<'a> {
    device: &'a wgpu::Device,
    queue: &'a wgpu::Queue,
    backend: &'a mut Backend,
}

impl Uploader<'_> {
    /// Uploads `pixmap`; `None` when the atlas has no room. With `evict`, images the frame has
    /// not drawn yet are dropped to make room first (never for frame-only uploads made after
    /// cached images may have been drawn).
    fn upload(&mut self, pixmap: &Pixmap, evict: bool) -> Option<ImageSource> {
        let (w, h) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
        let reserved = match self.backend.mirror.allocate(w, h, 0) {
            Ok(id) => id,
            Err(_) if evict => {
                let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("creativeflow atlas eviction"),
                });
                self.backend.evict(&mut encoder, Vec::new());
                self.queue.submit([encoder.finish()]);
                self.backend.mirror.allocate(w, h, 0).ok()?
            }
            Err(_) => return None,
        };
        // One submission per upload: `upload_image` writes through the queue but grows the atlas
        // array with a copy on the encoder, and the two must not be reordered across uploads.
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("creativeflow image upload") });
        let backend = &mut *self.backend;
        let id = backend.renderer.upload_image(&mut backend.resources, self.device, self.queue, &mut encoder, pixmap);
        self.queue.submit([encoder.finish()]);
        debug_assert_eq!(id, reserved, "the atlas mirror drifted from the renderer's allocator");
        backend.resident += 1;
        Some(ImageSource::opaque_id_with_transparency_hint(id, pixmap.may_have_transparency()))
    }
}

/// A scene being drawn for the GPU: the [`Canvas`] that [`paint_scene`] walks.
///
/// Made by [`GpuRenderer::canvas`] for one frame and one target format; [`GpuCanvas::render`]
/// draws it into a texture view.
pub struct GpuCanvas<'r> {
    scene: vello_hybrid::Scene,
    up: Uploader<'r>,
    transform: Affine,
    paint_transform: Affine,
    paint: PaintType,
    /// Uploads that live for this frame only (bitmap-font runs).
    frame_images: Vec<ImageSource>,
    /// Images that found no room in the atlas and were left out.
    dropped_images: usize,
}

impl std::fmt::Debug for GpuCanvas<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuCanvas")
            .field("width", &self.scene.width())
            .field("height", &self.scene.height())
            .field("format", &self.up.backend.format)
            .field("dropped_images", &self.dropped_images)
            .finish_non_exhaustive()
    }
}

/// A canvas dropped without [`GpuCanvas::render`] frees its frame-only uploads.
impl Drop for GpuCanvas<'_> {
    fn drop(&mut self) {
        if self.frame_images.is_empty() {
            return;
        }
        let mut encoder = self
            .up
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("creativeflow frame abandon") });
        self.up.backend.free(&mut encoder, std::mem::take(&mut self.frame_images));
        self.up.queue.submit([encoder.finish()]);
    }
}

impl GpuCanvas<'_> {
    /// Images left out because the atlas was full (0 in practice; more than 512 MiB of images).
    pub fn dropped_images(&self) -> usize {
        self.dropped_images
    }

    /// Draws the frame into `view`, which must be a `width`×`height` texture of the canvas's
    /// format with `RENDER_ATTACHMENT` usage. The view is cleared to transparent first.
    pub fn render(mut self, view: &wgpu::TextureView) -> Result<(), GpuError> {
        let checked = self.check_target(view.texture());
        let frame_images = std::mem::take(&mut self.frame_images);
        let (device, queue) = (self.up.device, self.up.queue);
        let backend = &mut *self.up.backend;
        let mut encoder =
            device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("creativeflow frame") });
        let size =
            vello_hybrid::RenderSize { width: u32::from(self.scene.width()), height: u32::from(self.scene.height()) };
        let result = checked.and_then(|()| {
            backend
                .renderer
                .render(
                    &self.scene,
                    &mut backend.resources,
                    device,
                    queue,
                    &mut encoder,
                    &size,
                    view,
                    &vello_hybrid::TextureBindings::new(),
                )
                .map_err(|e| GpuError::Render(e.to_string()))
        });
        backend.evict(&mut encoder, frame_images);
        queue.submit([encoder.finish()]);
        backend.spare = Some(std::mem::replace(&mut self.scene, vello_hybrid::Scene::new(1, 1)));
        result
    }

    fn check_target(&self, texture: &wgpu::Texture) -> Result<(), GpuError> {
        let format = self.up.backend.format;
        let (w, h) = (u32::from(self.scene.width()), u32::from(self.scene.height()));
        if texture.format() != format {
            return Err(GpuError::Target(format!(
                "the canvas was made for {format:?} but the texture is {:?}",
                texture.format()
            )));
        }
        if (texture.width(), texture.height()) != (w, h) {
            return Err(GpuError::Target(format!(
                "the texture is {}×{} px but the frame is {w}×{h} px",
                texture.width(),
                texture.height()
            )));
        }
        if !texture.usage().contains(wgpu::TextureUsages::RENDER_ATTACHMENT) {
            return Err(GpuError::Target("the texture lacks RENDER_ATTACHMENT usage".into()));
        }
        Ok(())
    }

    /// Points the scene's paint transform at `transform` (plus an image's atlas scale).
    fn apply_paint_transform(&mut self, extra: Affine) {
        self.scene.set_paint_transform(self.paint_transform * extra);
    }
}

impl Canvas for GpuCanvas<'_> {
    fn set_transform(&mut self, transform: Affine) {
        self.transform = transform;
        self.scene.set_transform(transform);
    }
    fn set_paint_transform(&mut self, transform: Affine) {
        self.paint_transform = transform;
        self.scene.set_paint_transform(transform);
    }
    fn set_paint(&mut self, paint: PaintType) {
        self.paint = paint.clone();
        match &paint {
            PaintType::Image(Image { image: ImageSource::OpaqueId { id, .. }, .. }) => {
                let scale = self.up.backend.scales.get(&id.as_u32()).copied().unwrap_or(Affine::IDENTITY);
                self.apply_paint_transform(scale);
                self.scene.set_paint(paint);
            }
            // vello_hybrid draws atlas images only; image_source hands out a pixmap only for an
            // image that did not fit, which is left out.
            PaintType::Image(_) => {
                self.apply_paint_transform(Affine::IDENTITY);
                self.scene.set_paint(TRANSPARENT);
            }
            _ => {
                self.apply_paint_transform(Affine::IDENTITY);
                self.scene.set_paint(paint);
            }
        }
    }
    fn set_fill_rule(&mut self, rule: Fill) {
        self.scene.set_fill_rule(rule);
    }
    fn set_stroke(&mut self, stroke: Stroke) {
        self.scene.set_stroke(stroke);
    }
    fn fill_path(&mut self, path: &BezPath) {
        self.scene.fill_path(path);
    }
    fn stroke_path(&mut self, path: &BezPath) {
        self.scene.stroke_path(path);
    }
    fn fill_rect(&mut self, rect: &Rect) {
        self.scene.fill_rect(rect);
    }
    fn push_layer(&mut self, clip: Option<&BezPath>, opacity: f32) {
        self.scene.push_layer(clip, None, Some(opacity), None, None);
    }
    fn pop_layer(&mut self) {
        self.scene.pop_layer();
    }
    fn image_source(&mut self, image: &Arc<RasterImage>) -> ImageSource {
        let key = Arc::as_ptr(image).addr();
        if let Some(cached) = self.up.backend.images.get_mut(&key) {
            cached.used = true;
            return cached.source.clone();
        }
        let (pixmap, scale) = atlas_pixmap(image, self.up.backend.mirror.atlas_manager().config().atlas_size);
        let Some(source) = self.up.upload(&pixmap, true) else {
            self.dropped_images += 1;
            return ImageSource::Pixmap(Arc::new(Pixmap::new(1, 1)));
        };
        if let ImageSource::OpaqueId { id, .. } = &source
            && scale != Affine::IDENTITY
        {
            self.up.backend.scales.insert(id.as_u32(), scale);
        }
        self.up
            .backend
            .images
            .insert(key, CachedImage { _image: Arc::clone(image), source: source.clone(), used: true });
        source
    }
    fn fill_glyphs(&mut self, run: &SceneGlyphRun) {
        if self.has_bitmaps(&run.font) {
            self.fill_bitmap_glyphs(run);
            return;
        }
        fill_glyph_run(self.scene.glyph_run(&mut self.up.backend.resources, &run.font), run);
    }
}

impl GpuCanvas<'_> {
    /// True when `font` has colour or monochrome bitmap glyphs (CBDT, sbix or EBDT).
    fn has_bitmaps(&mut self, font: &FontData) -> bool {
        *self.up.backend.bitmap_fonts.entry((font.data.id(), font.index)).or_insert_with(|| {
            FontRef::from_index(font.data.data(), font.index)
                .is_ok_and(|f| [*b"CBDT", *b"sbix", *b"EBDT"].iter().any(|t| f.table_data(Tag::new(t)).is_some()))
        })
    }

    /// Draws a bitmap-font run: rasterised by vello_cpu exactly as [`crate::cpu::CpuCanvas`]
    /// would, in device-pixel-aligned tiles that are uploaded and copied 1:1 into the scene.
    fn fill_bitmap_glyphs(&mut self, run: &SceneGlyphRun) {
        let Some(area) = self.run_bounds(run) else { return };
        let side = f64::from(self.up.backend.mirror.atlas_manager().config().atlas_size.0.clamp(1, 4096));
        let mut y = area.y0;
        while y < area.y1 {
            let mut x = area.x0;
            while x < area.x1 {
                let tile = Rect::new(x, y, (x + side).min(area.x1), (y + side).min(area.y1));
                self.fill_bitmap_tile(run, tile);
                x += side;
            }
            y += side;
        }
        self.scene.set_transform(self.transform);
        self.scene.set_paint_transform(self.paint_transform);
        self.scene.set_paint(self.paint.clone());
    }

    /// Device-pixel bounds (whole pixels, inside the canvas) that a run's glyphs may touch:
    /// a generous em box around each glyph, since bitmap glyphs have no outlines to measure.
    fn run_bounds(&self, run: &SceneGlyphRun) -> Option<Rect> {
        let em = f64::from(run.font_size);
        let (skew, _) = glyph_style(run);
        let embolden = f64::from(run.synthetic_embolden);
        let pad = if embolden.is_finite() { embolden.abs() * em } else { 0.0 } + 1.0;
        let local = Rect::new(-0.5 * em - pad, -1.5 * em - pad, 2.0 * em + pad, 0.75 * em + pad);
        let corners = [
            local.origin(),
            Point::new(local.x1, local.y0),
            Point::new(local.x0, local.y1),
            Point::new(local.x1, local.y1),
        ];
        let mut bounds: Option<Rect> = None;
        for g in &run.glyphs {
            let place = self.transform * Affine::translate((f64::from(g.x), f64::from(g.y))) * skew;
            for c in corners {
                let p = place * c;
                let r = Rect::from_points(p, p);
                bounds = Some(bounds.map_or(r, |b| b.union(r)));
            }
        }
        let canvas = Rect::new(0.0, 0.0, f64::from(self.scene.width()), f64::from(self.scene.height()));
        let b = bounds?.expand().intersect(canvas);
        (b.width() >= 1.0 && b.height() >= 1.0 && b.is_finite()).then_some(b)
    }

    fn fill_bitmap_tile(&mut self, run: &SceneGlyphRun, tile: Rect) {
        // Tiles are whole pixels inside the canvas (≤ u16::MAX a side).
        let (w, h) = (tile.width() as u16, tile.height() as u16);
        if w == 0 || h == 0 {
            return;
        }
        let settings = vello_cpu::RenderSettings { num_threads: 0, ..vello_cpu::RenderSettings::default() };
        let mut ctx = vello_cpu::RenderContext::new_with(w, h, settings);
        ctx.set_transform(Affine::translate((-tile.x0, -tile.y0)) * self.transform);
        ctx.set_paint_transform(self.paint_transform);
        ctx.set_paint(self.paint.clone());
        ctx.set_fill_rule(Fill::NonZero);
        let resources = &mut self.up.backend.cpu_resources;
        fill_glyph_run(ctx.glyph_run(resources, &run.font), run);
        ctx.flush();
        let mut pixmap = Pixmap::new(w, h);
        ctx.render(&mut pixmap, &mut self.up.backend.cpu_resources);
        if pixmap.data().iter().all(|p| p.a == 0) {
            return;
        }
        let Some(source) = self.up.upload(&pixmap, false) else {
            self.dropped_images += 1;
            return;
        };
        self.frame_images.push(source.clone());
        self.scene.set_transform(Affine::translate((tile.x0, tile.y0)));
        self.scene.set_paint_transform(Affine::IDENTITY);
        let sampler = ImageSampler { quality: ImageQuality::Low, ..ImageSampler::default() };
        self.scene.set_paint(PaintType::Image(Image { image: source, sampler }));
        self.scene.fill_rect(&Rect::new(0.0, 0.0, f64::from(w), f64::from(h)));
    }
}

/// Straight `image` as a premultiplied pixmap that fits an atlas page, and the transform from
/// the pixmap's pixels to the image's (identity unless it had to shrink).
fn atlas_pixmap(image: &RasterImage, atlas: (u32, u32)) -> (Pixmap, Affine) {
    let full = premultiplied_pixmap(image);
    let (w, h) = (u32::from(full.width()), u32::from(full.height()));
    let k = w.div_ceil(atlas.0.max(1)).max(h.div_ceil(atlas.1.max(1)));
    if k <= 1 {
        return (full, Affine::IDENTITY);
    }
    let (nw, nh) = (w.div_ceil(k), h.div_ceil(k));
    let src = full.data();
    let mut out = Vec::with_capacity((nw * nh) as usize);
    for y in 0..nh {
        for x in 0..nw {
            let (x0, y0) = (x * k, y * k);
            let (x1, y1) = ((x0 + k).min(w), (y0 + k).min(h));
            let mut sum = [0u32; 4];
            for sy in y0..y1 {
                for p in &src[(sy * w + x0) as usize..(sy * w + x1) as usize] {
                    sum[0] += u32::from(p.r);
                    sum[1] += u32::from(p.g);
                    sum[2] += u32::from(p.b);
                    sum[3] += u32::from(p.a);
                }
            }
            let n = (x1 - x0) * (y1 - y0);
            // An average of u8 values is ≤ 255.
            let avg = |s: u32| ((s + n / 2) / n) as u8;
            out.push(PremulRgba8 { r: avg(sum[0]), g: avg(sum[1]), b: avg(sum[2]), a: avg(sum[3]) });
        }
    }
    // nw, nh ≤ atlas side ≤ u16::MAX (image sides are u16 already).
    let pixmap = Pixmap::from_parts_with_opacity(out, nw as u16, nh as u16, !image.opaque);
    let scale = Affine::scale_non_uniform(f64::from(w) / f64::from(nw), f64::from(h) / f64::from(nh));
    (pixmap, scale)
}

/// The offscreen target and read-back buffer of [`GpuRenderer::render_rgba`], kept between
/// calls of the same size.
struct Readback {
    width: u32,
    height: u32,
    texture: wgpu::Texture,
    view: wgpu::TextureView,
    buffer: wgpu::Buffer,
    bytes_per_row: u32,
}

/// The wgpu device and the vello_hybrid renderer behind the GPU canvas.
pub struct GpuRenderer {
    info: wgpu::AdapterInfo,
    device: wgpu::Device,
    queue: wgpu::Queue,
    max_side: u32,
    settings: RenderSettings,
    atlas: AtlasConfig,
    backend: Option<Backend>,
    readback: Option<Readback>,
}

impl std::fmt::Debug for GpuRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuRenderer")
            .field("adapter", &self.info.name)
            .field("backend", &self.info.backend)
            .field("max_side", &self.max_side)
            .finish_non_exhaustive()
    }
}

impl GpuRenderer {
    /// Opens a device with no window: the best adapter wgpu finds on Vulkan, Metal or DX12,
    /// else a software one (lavapipe, WARP), else the same on GL (llvmpipe included). The
    /// device gets the adapter's own limits, not wgpu's conservative defaults (which cap GL
    /// textures at 2048 px). `WGPU_BACKEND` picks the backends outright, and the other wgpu
    /// environment variables are honoured.
    pub fn new_headless() -> Result<Self, GpuError> {
        // Vulkan/Metal/DX12 first; GL only when they have nothing (probing EGL is slow and noisy
        // on machines without a display).
        match wgpu::Backends::from_env() {
            Some(backends) => Self::open(&[backends]),
            None => Self::open(&[wgpu::Backends::PRIMARY, wgpu::Backends::SECONDARY]),
        }
    }

    /// [`GpuRenderer::new_headless`] on the given backends only (say `wgpu::Backends::GL`).
    pub fn new_headless_on(backends: wgpu::Backends) -> Result<Self, GpuError> {
        Self::open(&[backends])
    }

    /// Opens the first adapter found, trying each set of backends in turn, hardware then
    /// software.
    fn open(tiers: &[wgpu::Backends]) -> Result<Self, GpuError> {
        let mut reasons = Vec::new();
        let mut found = None;
        'search: for &backends in tiers {
            let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
                backends,
                ..wgpu::InstanceDescriptor::new_without_display_handle_from_env()
            });
            for force_fallback_adapter in [false, true] {
                let options = wgpu::RequestAdapterOptions {
                    power_preference: wgpu::PowerPreference::HighPerformance,
                    force_fallback_adapter,
                    compatible_surface: None,
                };
                match pollster::block_on(instance.request_adapter(&options)) {
                    Ok(adapter) => {
                        found = Some(adapter);
                        break 'search;
                    }
                    Err(e) => reasons.push(format!("{backends:?}: {e}")),
                }
            }
        }
        let Some(adapter) = found else {
            reasons.dedup();
            return Err(GpuError::NoAdapter(reasons.join("; ")));
        };
        let info = adapter.get_info();
        let descriptor = wgpu::DeviceDescriptor {
            label: Some("creativeflow canvas"),
            required_features: wgpu::Features::empty(),
            required_limits: adapter.limits(),
            ..Default::default()
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&descriptor)).map_err(|e| {
            GpuError::Device { adapter: format!("{} ({:?})", info.name, info.backend), reason: e.to_string() }
        })?;
        Ok(Self::from_device(info, device, queue))
    }

    /// Wraps a device the app opened itself (for a window or a canvas surface). Request it
    /// with the adapter's limits (`adapter.limits()`), or images and outputs are capped by
    /// wgpu's defaults.
    pub fn from_device(info: wgpu::AdapterInfo, device: wgpu::Device, queue: wgpu::Queue) -> Self {
        let limits = device.limits();
        let max_side = limits.max_texture_dimension_2d.min(u32::from(u16::MAX));
        let atlas_side = ATLAS_SIDE.min(limits.max_texture_dimension_2d).max(1);
        let max_atlases = ATLAS_PAGES.min(limits.max_texture_array_layers.max(1) as usize);
        // wgpu's GL backend treats a one-layer texture array as a plain 2D texture, and
        // vello_hybrid only pads the atlas to two layers on wasm: without this, native GL draws
        // no images at all.
        let initial_atlas_count = if info.backend == wgpu::Backend::Gl { max_atlases.min(2) } else { 0 };
        let atlas = AtlasConfig {
            initial_atlas_count,
            max_atlases,
            atlas_size: (atlas_side, atlas_side),
            ..AtlasConfig::default()
        };
        // max_side ≤ u16::MAX above.
        let layers_side = SizeU16::new(max_side as u16);
        let settings = RenderSettings {
            memory_settings: MemorySettings {
                image_atlas_config: atlas,
                layers_config: LayersConfig { max_texture_size: layers_side, ..LayersConfig::default() },
            },
            ..RenderSettings::default()
        };
        GpuRenderer { info, device, queue, max_side, settings, atlas, backend: None, readback: None }
    }

    /// The adapter in use (name, backend, device type).
    pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
        &self.info
    }

    /// The wgpu device (for creating surfaces' textures and views).
    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    /// The wgpu queue.
    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    /// Images living in the atlas between frames (those the last frame drew).
    pub fn resident_images(&self) -> usize {
        self.backend.as_ref().map_or(0, |b| b.resident)
    }

    /// Largest output side this device can draw.
    pub fn max_side(&self) -> u32 {
        self.max_side
    }

    fn check_size(&self, width: u32, height: u32) -> Result<(u16, u16), GpuError> {
        let max = self.max_side;
        if width == 0 || height == 0 || width > max || height > max {
            return Err(GpuError::BadSize { width, height, max });
        }
        // ≤ max_side ≤ u16::MAX.
        Ok((width as u16, height as u16))
    }

    /// Starts a `width`×`height` frame for targets of `format` (a non-sRGB 8-bit format such
    /// as `Rgba8Unorm` or `Bgra8Unorm`: vello writes sRGB-encoded, premultiplied values).
    /// Changing format rebuilds the renderer and drops the uploaded images.
    pub fn canvas(&mut self, width: u32, height: u32, format: wgpu::TextureFormat) -> Result<GpuCanvas<'_>, GpuError> {
        let (w, h) = self.check_size(width, height)?;
        if format.is_srgb() {
            return Err(GpuError::Target(format!(
                "{format:?} is an sRGB format; use its non-sRGB twin (vello blends in sRGB-encoded values)"
            )));
        }
        if self.backend.as_ref().is_some_and(|b| b.format != format) {
            self.backend = None;
        }
        let (device, settings, atlas) = (&self.device, self.settings, self.atlas);
        let backend = self.backend.get_or_insert_with(|| Backend::new(device, format, settings, atlas));
        for image in backend.images.values_mut() {
            image.used = false;
        }
        let scene = match backend.spare.take() {
            Some(mut scene) => {
                scene.reset_and_resize(w, h);
                scene
            }
            None => vello_hybrid::Scene::new(w, h),
        };
        Ok(GpuCanvas {
            scene,
            up: Uploader { device: &self.device, queue: &self.queue, backend },
            transform: Affine::IDENTITY,
            paint_transform: Affine::IDENTITY,
            paint: PaintType::Solid(TRANSPARENT),
            frame_images: Vec::new(),
            dropped_images: 0,
        })
    }

    /// Draws `scene` scaled to `width`×`height` into `view` (the app's canvas texture or a
    /// surface texture of that size, non-sRGB format, `RENDER_ATTACHMENT` usage), after
    /// clearing it to transparent; the background is drawn unless `transparent`. The output
    /// is premultiplied: configure a surface with premultiplied or opaque alpha.
    pub fn render_to_texture(
        &mut self,
        scene: &Scene,
        view: &wgpu::TextureView,
        width: u32,
        height: u32,
        transparent: bool,
    ) -> Result<(), GpuError> {
        let mut canvas = self.canvas(width, height, view.texture().format())?;
        paint_scene(&mut canvas, scene, view_transform(scene, width, height), transparent);
        canvas.render(view)
    }

    /// Renders `scene` scaled to `width`×`height` offscreen and reads it back as straight
    /// (un-premultiplied) RGBA8, like [`crate::cpu::rasterize`]. Blocks until the GPU is done
    /// (native only: on the web, read back asynchronously). wgpu validation errors come back as
    /// [`GpuError::Render`].
    pub fn render_rgba(
        &mut self,
        scene: &Scene,
        width: u32,
        height: u32,
        transparent: bool,
    ) -> Result<RasterImage, GpuError> {
        let (w, h) = self.check_size(width, height)?;
        let rb = match self.readback.take() {
            Some(rb) if (rb.width, rb.height) == (width, height) => rb,
            _ => self.make_readback(width, height),
        };
        let result = self.read_frame(&rb, scene, (w, h), transparent);
        // Kept for the next call of the same size unless it failed (the buffer may still be
        // mapping) or is large (a one-off export should not pin hundreds of MiB).
        if result.is_ok() && u64::from(width) * u64::from(height) <= KEEP_READBACK_PIXELS {
            self.readback = Some(rb);
        }
        result
    }

    /// Renders into the read-back target and copies the pixels out.
    fn read_frame(
        &mut self,
        rb: &Readback,
        scene: &Scene,
        (w, h): (u16, u16),
        transparent: bool,
    ) -> Result<RasterImage, GpuError> {
        let (width, height) = (u32::from(w), u32::from(h));
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let mut canvas = self.canvas(width, height, OFFSCREEN_FORMAT)?;
        paint_scene(&mut canvas, scene, view_transform(scene, width, height), transparent);
        canvas.render(&rb.view)?;
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("creativeflow read-back") });
        encoder.copy_texture_to_buffer(
            rb.texture.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &rb.buffer,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(rb.bytes_per_row),
                    rows_per_image: None,
                },
            },
            wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
        );
        self.queue.submit([encoder.finish()]);
        if let Some(error) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Render(error.to_string()));
        }
        let slice = rb.buffer.slice(..);
        let (tx, rx) = mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |result| {
            let _ = tx.send(result);
        });
        self.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| GpuError::Map(e.to_string()))?;
        rx.recv()
            .map_err(|_| GpuError::Map("the map callback never ran".into()))?
            .map_err(|e| GpuError::Map(e.to_string()))?;
        let premultiplied: Vec<PremulRgba8> = {
            let mapped = slice.get_mapped_range();
            mapped
                .chunks_exact(rb.bytes_per_row as usize)
                .flat_map(|row| row[..width as usize * 4].chunks_exact(4))
                .map(|p| PremulRgba8 { r: p[0], g: p[1], b: p[2], a: p[3] })
                .collect()
        };
        rb.buffer.unmap();
        // Un-premultiplied exactly as the CPU path does.
        let pixels: Vec<u8> = Pixmap::from_parts(premultiplied, w, h)
            .take_unpremultiplied()
            .into_iter()
            .flat_map(|p| [p.r, p.g, p.b, p.a])
            .collect();
        RasterImage::new(width, height, pixels).ok_or_else(|| GpuError::Map("the read-back has the wrong size".into()))
    }

    fn make_readback(&self, width: u32, height: u32) -> Readback {
        let texture = self.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("creativeflow offscreen"),
            size: wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: OFFSCREEN_FORMAT,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let bytes_per_row = (width * 4).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("creativeflow read-back"),
            size: u64::from(bytes_per_row) * u64::from(height),
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        Readback { width, height, texture, view, buffer, bytes_per_row }
    }
}
