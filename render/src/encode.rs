//! PNG, JPEG and WebP encoding of straight-RGBA rasters.

use image::ImageEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;

use crate::export::RenderError;
use crate::scene::RasterImage;

fn err(format: &'static str) -> impl Fn(image::ImageError) -> RenderError {
    move |e| RenderError::Encode { format, reason: e.to_string() }
}

/// Opaque images drop their alpha channel (smaller, faster files).
fn rgb(image: &RasterImage) -> Vec<u8> {
    image.pixels.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect()
}

/// PNG: RGB when every pixel is opaque, else RGBA; fast deflate with adaptive filters.
pub fn png(image: &RasterImage) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::with_capacity(image.pixels.len() / 4);
    let encoder = PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive);
    if image.opaque {
        encoder.write_image(&rgb(image), image.width, image.height, image::ExtendedColorType::Rgb8)
    } else {
        encoder.write_image(&image.pixels, image.width, image.height, image::ExtendedColorType::Rgba8)
    }
    .map_err(err("PNG"))?;
    Ok(out)
}

/// JPEG at `quality` (clamped to 1..=100); transparent pixels are composited over white.
pub fn jpeg(image: &RasterImage, quality: u8) -> Result<Vec<u8>, RenderError> {
    let pixels: Vec<u8> = image
        .pixels
        .chunks_exact(4)
        .flat_map(|p| {
            let a = u16::from(p[3]);
            // c·a/255 + (255 − a) ≤ 255.
            let over = |c: u8| ((u16::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
            [over(p[0]), over(p[1]), over(p[2])]
        })
        .collect();
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality.clamp(1, 100))
        .write_image(&pixels, image.width, image.height, image::ExtendedColorType::Rgb8)
        .map_err(err("JPEG"))?;
    Ok(out)
}

/// Lossless WebP.
pub fn webp(image: &RasterImage) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::new();
    if image.opaque {
        WebPEncoder::new_lossless(&mut out).write_image(
            &rgb(image),
            image.width,
            image.height,
            image::ExtendedColorType::Rgb8,
        )
    } else {
        WebPEncoder::new_lossless(&mut out).write_image(
            &image.pixels,
            image.width,
            image.height,
            image::ExtendedColorType::Rgba8,
        )
    }
    .map_err(err("WebP"))?;
    Ok(out)
}
