//! The renderer's front door: [`Renderer`] turns designs into scenes, pixels and files.

use std::sync::{Arc, Mutex};

use editor_core::{Design, TextContent};
use vello_cpu::kurbo::{RoundedRect, Shape as _};

use crate::assets::AssetSource;
use crate::cpu;
use crate::encode;
use crate::fonts::FontLibrary;
use crate::images::ImageCache;
use crate::scene::{Affine, Brush, FillRule, Item, RasterImage, RenderWarning, Rgba, Scene};
use crate::text::TextEngine;

/// Output file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// PNG (lossless, alpha).
    Png,
    /// JPEG at a quality of 1..=100 (no alpha: transparency becomes white).
    Jpeg {
        /// Quality, 1..=100.
        quality: u8,
    },
    /// WebP (lossless, alpha).
    Webp,
    /// SVG; text is outlined unless `live_text`.
    Svg {
        /// Keep text as `<text>` elements.
        live_text: bool,
    },
    /// PDF with embedded, subset fonts and selectable text.
    Pdf,
}

impl ExportFormat {
    /// MIME type of the output.
    pub fn mime(self) -> &'static str {
        match self {
            ExportFormat::Png => "image/png",
            ExportFormat::Jpeg { .. } => "image/jpeg",
            ExportFormat::Webp => "image/webp",
            ExportFormat::Svg { .. } => "image/svg+xml",
            ExportFormat::Pdf => "application/pdf",
        }
    }

    /// File extension of the output.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Png => "png",
            ExportFormat::Jpeg { .. } => "jpg",
            ExportFormat::Webp => "webp",
            ExportFormat::Svg { .. } => "svg",
            ExportFormat::Pdf => "pdf",
        }
    }
}

/// How big a raster output is; the other side follows the design's aspect ratio.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum OutputSize {
    /// The design's own pixel size.
    #[default]
    Design,
    /// This many pixels wide.
    Width(u32),
    /// This many pixels on the long side.
    LongSide(u32),
    /// This many pixels on the short side (finals: 1080 standard, 2160 HD/4K).
    ShortSide(u32),
}

impl OutputSize {
    /// The pixel size for a `w`×`h` design (at least 1×1; the caller checks the cap).
    pub fn resolve(self, w: u32, h: u32) -> (u32, u32) {
        let (wf, hf) = (f64::from(w.max(1)), f64::from(h.max(1)));
        let scale = match self {
            OutputSize::Design => 1.0,
            OutputSize::Width(px) => f64::from(px) / wf,
            OutputSize::LongSide(px) => f64::from(px) / wf.max(hf),
            OutputSize::ShortSide(px) => f64::from(px) / wf.min(hf),
        };
        // Rounded and clamped into u32 range; `check_size` applies the real cap.
        let side = |v: f64| (v * scale).round().clamp(1.0, f64::from(u32::MAX)) as u32;
        (side(wf), side(hf))
    }
}

/// What to export.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExportOptions {
    /// File format.
    pub format: ExportFormat,
    /// Raster output size (ignored by SVG and PDF, which keep the design's size as their
    /// user space). The long side may not pass [`crate::cpu::MAX_SIDE`].
    pub size: OutputSize,
    /// Leave the background out (PNG, WebP, SVG).
    pub transparent: bool,
    /// Stamp the Free-plan watermark.
    pub watermark: bool,
}

impl ExportOptions {
    /// The design's own size, opaque, no watermark.
    pub fn new(format: ExportFormat) -> Self {
        ExportOptions { format, size: OutputSize::Design, transparent: false, watermark: false }
    }
}

/// An exported file.
#[derive(Clone, Debug)]
pub struct Exported {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Its MIME type.
    pub mime: &'static str,
    /// Pixel width (raster) or design width (vector).
    pub width: u32,
    /// Pixel height (raster) or design height (vector).
    pub height: u32,
    /// What could not be drawn exactly.
    pub warnings: Vec<RenderWarning>,
}

/// Why a render or export failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The design does not validate.
    #[error("invalid design: {0}")]
    InvalidDesign(#[from] editor_core::ValidationError),
    /// The requested output is too big or empty.
    #[error("output size {width}×{height} is not allowed: {reason}")]
    BadSize {
        /// Requested width.
        width: u64,
        /// Requested height.
        height: u64,
        /// Why.
        reason: &'static str,
    },
    /// An image asset is larger than the decoder allows.
    #[error("image asset {asset} is too large: {reason}")]
    ImageTooLarge {
        /// The asset.
        asset: String,
        /// Its size and the cap.
        reason: String,
    },
    /// Encoding failed.
    #[error("could not encode {format}: {reason}")]
    Encode {
        /// The format.
        format: &'static str,
        /// Why.
        reason: String,
    },
    /// PDF writing failed.
    #[error(transparent)]
    Pdf(#[from] crate::pdf::PdfError),
}

/// Turns designs into scenes, pixels and files. `Sync`: share one per process.
pub struct Renderer {
    fonts: Arc<FontLibrary>,
    text: Mutex<TextEngine>,
    images: ImageCache,
}

/// Long side of a thumbnail.
pub const THUMBNAIL_SIDE: u32 = 512;

impl Renderer {
    /// A renderer drawing with `fonts`.
    pub fn new(fonts: Arc<FontLibrary>) -> Self {
        let text = Mutex::new(TextEngine::new(fonts.clone()));
        Renderer { fonts, text, images: ImageCache::default() }
    }

    /// The font library.
    pub fn fonts(&self) -> &Arc<FontLibrary> {
        &self.fonts
    }

    /// How `content` lays out in a `w`×`h` box (see [`crate::text::TextEngine::measure`]).
    pub fn measure_text(&self, content: &editor_core::TextContent, w: f64, h: f64) -> crate::text::TextMeasure {
        let mut text = self.text.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        text.measure(content, w, h)
    }

    /// Builds the scene of `design`, loading assets from `assets`.
    pub fn scene(&self, design: &Design, assets: &dyn AssetSource) -> Result<Scene, RenderError> {
        let mut text = self.text.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        crate::compose::compose(design, assets, &self.fonts, &mut text, &self.images)
    }

    /// Rasterises `design` at `size` as straight RGBA8, with the scene's warnings.
    pub fn raster(
        &self,
        design: &Design,
        assets: &dyn AssetSource,
        size: OutputSize,
        transparent: bool,
        watermark: bool,
    ) -> Result<(RasterImage, Vec<RenderWarning>), RenderError> {
        let (w, h) = size.resolve(design.format.width, design.format.height);
        cpu::check_size(w, h)?;
        let scene = self.output_scene(design, assets, watermark)?;
        let image = cpu::rasterize(&scene, w, h, transparent)?;
        Ok((image, scene.warnings))
    }

    /// Exports `design` as a file.
    pub fn export(
        &self,
        design: &Design,
        assets: &dyn AssetSource,
        options: &ExportOptions,
    ) -> Result<Exported, RenderError> {
        let mime = options.format.mime();
        match options.format {
            ExportFormat::Png | ExportFormat::Webp | ExportFormat::Jpeg { .. } => {
                let transparent = options.transparent && !matches!(options.format, ExportFormat::Jpeg { .. });
                let (image, warnings) = self.raster(design, assets, options.size, transparent, options.watermark)?;
                let bytes = match options.format {
                    ExportFormat::Png => encode::png(&image)?,
                    ExportFormat::Webp => encode::webp(&image)?,
                    ExportFormat::Jpeg { quality } => encode::jpeg(&image, quality)?,
                    _ => Vec::new(),
                };
                Ok(Exported { bytes, mime, width: image.width, height: image.height, warnings })
            }
            ExportFormat::Svg { live_text } => {
                let scene = self.output_scene(design, assets, options.watermark)?;
                let svg = crate::svg_export::write_svg(
                    &scene,
                    &crate::svg_export::SvgOptions { live_text, transparent: options.transparent },
                );
                Ok(Exported {
                    bytes: svg.into_bytes(),
                    mime,
                    width: design.format.width,
                    height: design.format.height,
                    warnings: scene.warnings,
                })
            }
            ExportFormat::Pdf => {
                let scene = self.output_scene(design, assets, options.watermark)?;
                let bytes = crate::pdf::write_pdf(&scene)?;
                Ok(Exported {
                    bytes,
                    mime,
                    width: design.format.width,
                    height: design.format.height,
                    warnings: scene.warnings,
                })
            }
        }
    }

    /// A PNG preview of `design`, [`THUMBNAIL_SIDE`] px on its long side.
    pub fn thumbnail(&self, design: &Design, assets: &dyn AssetSource) -> Result<Exported, RenderError> {
        let options =
            ExportOptions { size: OutputSize::LongSide(THUMBNAIL_SIDE), ..ExportOptions::new(ExportFormat::Png) };
        self.export(design, assets, &options)
    }

    /// The scene an export draws: the design's, plus the watermark when asked.
    fn output_scene(&self, design: &Design, assets: &dyn AssetSource, watermark: bool) -> Result<Scene, RenderError> {
        let mut scene = self.scene(design, assets)?;
        if watermark {
            self.add_watermark(&mut scene);
        }
        Ok(scene)
    }

    /// Stamps the Free-plan mark in the bottom-right corner: light text on a dark pill.
    pub fn add_watermark(&self, scene: &mut Scene) {
        let short = scene.width.min(scene.height);
        let size = (short * 0.032).max(10.0);
        let (bw, bh) = (size * 9.5, size * 1.9);
        let margin = size * 0.8;
        let at = Affine::translate((scene.width - bw - margin, scene.height - bh - margin));
        scene.items.push(Item::Fill {
            path: RoundedRect::new(0.0, 0.0, bw, bh, bh / 2.0).to_path(0.05),
            transform: at,
            brush: Brush::Solid(Rgba::new(17, 24, 39, 150)),
            rule: FillRule::NonZero,
        });
        let mut content = TextContent::new("Made with CreativeFlow");
        content.font_size = size * 0.8;
        content.font_weight = 600;
        content.color = editor_core::Color { r: 255, g: 255, b: 255, a: 235 };
        content.align = editor_core::TextAlign::Center;
        content.vertical_align = editor_core::VerticalAlign::Middle;
        content.auto_fit = true;
        let mut text = self.text.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let pad = size * 0.4;
        text.layout(
            "watermark",
            &content,
            bw - 2.0 * pad,
            bh,
            at * Affine::translate((pad, 0.0)),
            &mut scene.items,
            &mut scene.warnings,
        );
    }
}
