//! Embedded raster images: data-URL checks for the sanitiser, usvg's data resolver, decoding.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;
use std::sync::Arc;

use base64::Engine as _;

use crate::scene::RasterImage;

/// The raster formats an SVG may embed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Png,
    Jpeg,
    Webp,
    Gif,
}

impl Format {
    pub(crate) fn mime(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::Webp => "image/webp",
            Format::Gif => "image/gif",
        }
    }

    fn from_mime(mime: &str) -> Option<Format> {
        match mime {
            "image/png" => Some(Format::Png),
            "image/jpeg" | "image/jpg" => Some(Format::Jpeg),
            "image/webp" => Some(Format::Webp),
            "image/gif" => Some(Format::Gif),
            _ => None,
        }
    }

    /// The format the bytes' signature says.
    pub(crate) fn sniff(data: &[u8]) -> Option<Format> {
        if data.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Format::Png)
        } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Format::Jpeg)
        } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
            Some(Format::Gif)
        } else if data.len() >= 12 && data.starts_with(b"RIFF") && &data[8..12] == b"WEBP" {
            Some(Format::Webp)
        } else {
            None
        }
    }

    fn image_format(self) -> image::ImageFormat {
        match self {
            Format::Png => image::ImageFormat::Png,
            Format::Jpeg => image::ImageFormat::Jpeg,
            Format::Webp => image::ImageFormat::WebP,
            // Decodes only when the `image` crate is built with its `gif` feature; otherwise
            // GIFs are measured and accepted but not drawn.
            Format::Gif => image::ImageFormat::Gif,
        }
    }
}

/// Width and height from the image header, without decoding pixels.
pub(crate) fn dimensions(format: Format, data: &[u8]) -> Option<(u32, u32)> {
    let be32 = |at: usize| Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?));
    match format {
        // The IHDR chunk comes first: width and height at bytes 16..24, big-endian.
        Format::Png if data.get(12..16) == Some(b"IHDR") => Some((be32(16)?, be32(20)?)),
        Format::Png => None,
        // GIF logical screen: bytes 6..10, little-endian.
        Format::Gif => {
            let w = u16::from_le_bytes([*data.get(6)?, *data.get(7)?]);
            let h = u16::from_le_bytes([*data.get(8)?, *data.get(9)?]);
            Some((u32::from(w), u32::from(h)))
        }
        Format::Jpeg | Format::Webp => {
            image::ImageReader::with_format(Cursor::new(data), format.image_format()).into_dimensions().ok()
        }
    }
}

/// A parsed `data:` URL.
#[derive(Debug)]
pub(crate) struct DataUrl {
    /// Lower-cased media type without parameters ("" when absent).
    pub mime: String,
    /// Whether `;base64` was given.
    pub base64: bool,
    /// Everything after the comma.
    pub payload: String,
}

/// Splits a `data:` URL (the caller checked the prefix, case-insensitively).
pub(crate) fn parse_data_url(url: &str) -> Option<DataUrl> {
    let rest = url.trim().get(5..)?;
    let (header, payload) = rest.split_once(',')?;
    let header = header.to_ascii_lowercase();
    let mut parts = header.split(';').map(str::trim);
    let mime = parts.next().unwrap_or_default().to_owned();
    let base64 = parts.any(|p| p == "base64");
    Some(DataUrl { mime, base64, payload: payload.to_owned() })
}

/// Decodes base64 the way browsers do: whitespace ignored, padding optional.
pub(crate) fn decode_base64(payload: &str) -> Option<Vec<u8>> {
    let compact: String = payload.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    engine.decode(compact.as_bytes()).ok()
}

/// Standard base64 with padding.
pub(crate) fn encode_base64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// usvg's data-URL resolver: PNG, JPEG, WebP and GIF whose signature matches, within the
/// pixel cap; nothing else (no nested SVG).
pub(crate) fn resolve_data(mime: &str, data: Arc<Vec<u8>>, max_pixels: u64) -> Option<usvg::ImageKind> {
    Format::from_mime(mime)?;
    let format = Format::sniff(&data)?;
    let (w, h) = dimensions(format, &data)?;
    if w == 0 || h == 0 || u64::from(w) * u64::from(h) > max_pixels {
        return None;
    }
    Some(match format {
        Format::Png => usvg::ImageKind::PNG(data),
        Format::Jpeg => usvg::ImageKind::JPEG(data),
        Format::Webp => usvg::ImageKind::WEBP(data),
        Format::Gif => usvg::ImageKind::GIF(data),
    })
}

/// Decodes `data` into straight RGBA8 within `max_pixels`; `None` when it is not decodable.
pub(crate) fn decode(format: Format, data: &[u8], max_pixels: u64) -> Option<RasterImage> {
    let image_format = format.image_format();
    let (w, h) = dimensions(format, data)?;
    if w == 0 || h == 0 || u64::from(w) * u64::from(h) > max_pixels {
        return None;
    }
    let mut reader = image::ImageReader::with_format(Cursor::new(data), image_format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    // Room for a 16-bit RGBA intermediate plus the decoder's own buffers.
    limits.max_alloc = Some(u64::from(w) * u64::from(h) * 8 + (16 << 20));
    reader.limits(limits);
    let rgba = reader.decode().ok()?.into_rgba8();
    let (width, height) = rgba.dimensions();
    RasterImage::new(width, height, rgba.into_raw())
}

/// Decodes every raster image in `tree` (including those inside text and nested SVG images)
/// once, keyed by the address of its bytes.
pub(crate) fn decode_all(tree: &usvg::Tree, max_pixels: u64) -> HashMap<usize, Arc<RasterImage>> {
    let mut out = HashMap::new();
    let mut failed = HashSet::new();
    collect(tree.root(), max_pixels, &mut out, &mut failed);
    out
}

fn collect(
    group: &usvg::Group,
    max_pixels: u64,
    out: &mut HashMap<usize, Arc<RasterImage>>,
    failed: &mut HashSet<usize>,
) {
    for node in group.children() {
        match node {
            usvg::Node::Group(g) => collect(g, max_pixels, out, failed),
            usvg::Node::Text(t) => collect(t.flattened(), max_pixels, out, failed),
            usvg::Node::Path(_) => {}
            usvg::Node::Image(image) => {
                let (format, data) = match image.kind() {
                    usvg::ImageKind::PNG(d) => (Format::Png, d),
                    usvg::ImageKind::JPEG(d) => (Format::Jpeg, d),
                    usvg::ImageKind::WEBP(d) => (Format::Webp, d),
                    usvg::ImageKind::GIF(d) => (Format::Gif, d),
                    usvg::ImageKind::SVG(tree) => {
                        collect(tree.root(), max_pixels, out, failed);
                        continue;
                    }
                };
                let key = key_of(data);
                if out.contains_key(&key) || failed.contains(&key) {
                    continue;
                }
                match decode(format, data, max_pixels) {
                    Some(raster) => {
                        out.insert(key, Arc::new(raster));
                    }
                    None => {
                        failed.insert(key);
                    }
                }
            }
        }
    }
}

/// The cache key of an image's encoded bytes.
pub(crate) fn key_of(data: &Arc<Vec<u8>>) -> usize {
    Arc::as_ptr(data) as usize
}
