//! Decoding image and SVG assets within limits, caching them, and image filters.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex, PoisonError};

use editor_core::{AssetId, Filters};

use crate::assets::AssetSource;
use crate::export::RenderError;
use crate::fonts::FontLibrary;
use crate::scene::{RasterImage, RenderWarning};
use crate::svg_import::{self, SvgDocument};

/// Longest side of an image asset the renderer decodes.
pub const MAX_IMAGE_SIDE: u32 = 16_384;
/// Most pixels of an image asset the renderer decodes (64 MP, 256 MiB decoded).
pub const MAX_IMAGE_PIXELS: u64 = 64 * 1024 * 1024;
/// Decoded bytes the cache keeps before it starts over.
const CACHE_BUDGET: usize = 512 * 1024 * 1024;

/// Why an asset could not be used (drawn as a placeholder with a warning).
#[derive(Clone, Debug)]
pub enum AssetProblem {
    /// The source does not have it.
    Missing,
    /// It is not a usable image or SVG.
    Bad(String),
}

impl AssetProblem {
    /// The warning for `layer`.
    pub fn for_layer(&self, layer: &str, asset: &str) -> RenderWarning {
        match self {
            AssetProblem::Missing => RenderWarning::MissingAsset { layer: layer.into(), asset: asset.into() },
            AssetProblem::Bad(reason) => RenderWarning::BadAsset { layer: layer.into(), reason: reason.clone() },
        }
    }
}

#[derive(Default)]
struct Cache {
    images: HashMap<String, Arc<RasterImage>>,
    svgs: HashMap<String, Arc<SvgDocument>>,
    bytes: usize,
}

/// Decoded assets shared by every render of a [`crate::Renderer`]. Assets are content
/// addressed, so an id always means the same bytes and entries never go stale.
#[derive(Default)]
pub struct ImageCache {
    inner: Mutex<Cache>,
}

impl ImageCache {
    fn remember_image(&self, key: String, image: &Arc<RasterImage>) {
        let mut cache = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.bytes + image.pixels.len() > CACHE_BUDGET {
            cache.images.clear();
            cache.bytes = 0;
        }
        cache.bytes += image.pixels.len();
        cache.images.insert(key, image.clone());
    }

    fn cached_image(&self, key: &str) -> Option<Arc<RasterImage>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).images.get(key).cloned()
    }

    /// The decoded image `id`; the outer error is a hard failure (over the size cap), the inner
    /// one a problem that a placeholder covers.
    pub fn image(
        &self,
        assets: &dyn AssetSource,
        id: &AssetId,
    ) -> Result<Result<Arc<RasterImage>, AssetProblem>, RenderError> {
        if let Some(image) = self.cached_image(id.as_str()) {
            return Ok(Ok(image));
        }
        let Some(bytes) = assets.load(id) else { return Ok(Err(AssetProblem::Missing)) };
        let image = match decode_image(&bytes) {
            Ok(image) => Arc::new(image),
            Err(DecodeError::TooLarge(reason)) => {
                return Err(RenderError::ImageTooLarge { asset: id.to_string(), reason });
            }
            Err(DecodeError::Bad(reason)) => return Ok(Err(AssetProblem::Bad(reason))),
        };
        self.remember_image(id.as_str().to_owned(), &image);
        Ok(Ok(image))
    }

    /// The parsed SVG `id`.
    pub fn svg(
        &self,
        assets: &dyn AssetSource,
        id: &AssetId,
        fonts: &FontLibrary,
    ) -> Result<Arc<SvgDocument>, AssetProblem> {
        if let Some(doc) = self.inner.lock().unwrap_or_else(PoisonError::into_inner).svgs.get(id.as_str()) {
            return Ok(doc.clone());
        }
        let bytes = assets.load(id).ok_or(AssetProblem::Missing)?;
        let doc = Arc::new(svg_import::import(&bytes, fonts).map_err(|e| AssetProblem::Bad(e.to_string()))?);
        let mut cache = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.svgs.len() > 1024 {
            cache.svgs.clear();
        }
        cache.svgs.insert(id.as_str().to_owned(), doc.clone());
        Ok(doc)
    }

    /// `image` with `filters` applied, cached per asset, filters and scale.
    pub fn filtered(&self, id: &AssetId, image: &Arc<RasterImage>, filters: &Filters, scale: f64) -> Arc<RasterImage> {
        let key = format!(
            "{}|{}|{}|{}|{}|{:.4}",
            id.as_str(),
            filters.brightness,
            filters.contrast,
            filters.saturation,
            filters.blur,
            scale
        );
        if let Some(done) = self.cached_image(&key) {
            return done;
        }
        let done = filtered(image, filters, scale);
        self.remember_image(key, &done);
        done
    }
}

/// Why an image did not decode.
#[derive(Debug)]
pub enum DecodeError {
    /// Past [`MAX_IMAGE_SIDE`] or [`MAX_IMAGE_PIXELS`].
    TooLarge(String),
    /// Not an image we can read.
    Bad(String),
}

/// Decodes PNG, JPEG, WebP or GIF (first frame) bytes, format sniffed from the bytes, into straight RGBA8,
/// checking the size from the header before decoding.
pub fn decode_image(bytes: &[u8]) -> Result<RasterImage, DecodeError> {
    use image::ImageDecoder as _;
    let reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| DecodeError::Bad(format!("image could not be read: {e}")))?;
    if reader.format().is_none() {
        return Err(DecodeError::Bad("not a PNG, JPEG, WebP or GIF image".into()));
    }
    // One parse: the header gives the size, checked before any pixel is decoded.
    let mut decoder =
        reader.into_decoder().map_err(|e| DecodeError::Bad(format!("image header could not be read: {e}")))?;
    let (w, h) = decoder.dimensions();
    check_image_size(w, h)?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_PIXELS * 4 + 64 * 1024 * 1024);
    let too_large = |e: image::ImageError| match e {
        image::ImageError::Limits(l) => DecodeError::TooLarge(format!("{l}")),
        other => DecodeError::Bad(format!("image does not decode: {other}")),
    };
    decoder.set_limits(limits).map_err(too_large)?;
    let decoded = image::DynamicImage::from_decoder(decoder).map_err(too_large)?;
    let rgba = decoded.into_rgba8();
    let (w, h) = rgba.dimensions();
    RasterImage::new(w, h, rgba.into_raw()).ok_or_else(|| DecodeError::Bad("image has no pixels".into()))
}

fn check_image_size(w: u32, h: u32) -> Result<(), DecodeError> {
    if w == 0 || h == 0 {
        return Err(DecodeError::Bad("image has no pixels".into()));
    }
    if w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE || u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS {
        return Err(DecodeError::TooLarge(format!(
            "{w}×{h} px is past the limit of {MAX_IMAGE_SIDE} px a side and {} megapixels",
            MAX_IMAGE_PIXELS / (1024 * 1024)
        )));
    }
    Ok(())
}

/// Applies brightness, contrast and saturation (each −1..=1) and a blur whose radius is in
/// design pixels; `scale` is design pixels per image pixel.
pub fn filtered(image: &RasterImage, filters: &Filters, scale: f64) -> Arc<RasterImage> {
    let mut pixels = image.pixels.clone();
    let b = filters.brightness.clamp(-1.0, 1.0) * 255.0;
    let c = 1.0 + filters.contrast.clamp(-1.0, 1.0);
    let s = 1.0 + filters.saturation.clamp(-1.0, 1.0);
    if b != 0.0 || c != 1.0 || s != 1.0 {
        for p in pixels.chunks_exact_mut(4) {
            let mut rgb = [f64::from(p[0]), f64::from(p[1]), f64::from(p[2])];
            let lum = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
            for v in &mut rgb {
                *v = lum + (*v - lum) * s;
                *v = (*v - 128.0) * c + 128.0 + b;
            }
            for (i, v) in rgb.iter().enumerate() {
                // Clamped to 0..=255.
                p[i] = v.round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    let radius = if scale > 0.0 { filters.blur.clamp(0.0, 100.0) / scale } else { 0.0 };
    if radius >= 0.5 {
        blur(&mut pixels, image.width as usize, image.height as usize, radius.min(256.0));
    }
    let opaque = image.opaque;
    Arc::new(RasterImage { width: image.width, height: image.height, pixels, opaque })
}

/// A Gaussian-like blur: three box blurs on premultiplied values, edges clamped.
fn blur(pixels: &mut [u8], w: usize, h: usize, radius: f64) {
    // Three boxes of width ≈ σ·√3 each approximate a Gaussian with σ = radius / 2.
    let r = ((radius / 2.0 * 3f64.sqrt()).round() as usize).max(1);
    let mut buf: Vec<f32> = pixels
        .chunks_exact(4)
        .flat_map(|p| {
            let a = f32::from(p[3]) / 255.0;
            [f32::from(p[0]) * a, f32::from(p[1]) * a, f32::from(p[2]) * a, f32::from(p[3])]
        })
        .collect();
    let mut tmp = vec![0f32; buf.len()];
    for _ in 0..3 {
        box_pass(&buf, &mut tmp, w, h, r, true);
        box_pass(&tmp, &mut buf, w, h, r, false);
    }
    for (p, v) in pixels.chunks_exact_mut(4).zip(buf.chunks_exact(4)) {
        let a = v[3];
        let un = |c: f32| if a > 0.0 { (c * 255.0 / a).round().clamp(0.0, 255.0) as u8 } else { 0 };
        p[0] = un(v[0]);
        p[1] = un(v[1]);
        p[2] = un(v[2]);
        p[3] = a.round().clamp(0.0, 255.0) as u8;
    }
}

fn box_pass(src: &[f32], dst: &mut [f32], w: usize, h: usize, r: usize, horizontal: bool) {
    let (lines, len) = if horizontal { (h, w) } else { (w, h) };
    let at = |line: usize, i: usize| if horizontal { (line * w + i) * 4 } else { (i * w + line) * 4 };
    let norm = 1.0 / (2 * r + 1) as f32;
    for line in 0..lines {
        let mut acc = [0f32; 4];
        for k in 0..=2 * r {
            let i = k.saturating_sub(r).min(len - 1);
            let idx = at(line, i);
            for c in 0..4 {
                acc[c] += src[idx + c];
            }
        }
        for i in 0..len {
            let idx = at(line, i);
            for c in 0..4 {
                dst[idx + c] = acc[c] * norm;
            }
            let out = at(line, i.saturating_sub(r));
            let inn = at(line, (i + r + 1).min(len - 1));
            for c in 0..4 {
                acc[c] += src[inn + c] - src[out + c];
            }
        }
    }
}
