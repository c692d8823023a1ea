//! The renderer's front door: [`Renderer`] turns designs into scenes, pixels and files.

use std::sync::{Arc, Mutex};

use editor_core::Design;

use crate::assets::AssetSource;
use crate::fonts::FontLibrary;
use crate::scene::{RenderWarning, Scene};
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

/// What to export.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExportOptions {
    /// File format.
    pub format: ExportFormat,
    /// Output width in pixels for raster formats; the height follows the design's aspect
    /// ratio. `None` is the design's own size. The long side may not pass
    /// [`crate::cpu::MAX_SIDE`].
    pub width: Option<u32>,
    /// Leave the background out (PNG, WebP, SVG).
    pub transparent: bool,
    /// Stamp the Free-plan watermark.
    pub watermark: bool,
}

impl ExportOptions {
    /// The design's own size, opaque, no watermark.
    pub fn new(format: ExportFormat) -> Self {
        ExportOptions { format, width: None, transparent: false, watermark: false }
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
}

impl Renderer {
    /// A renderer drawing with `fonts`.
    pub fn new(fonts: Arc<FontLibrary>) -> Self {
        let text = Mutex::new(TextEngine::new(&fonts));
        Renderer { fonts, text }
    }

    /// The font library.
    pub fn fonts(&self) -> &Arc<FontLibrary> {
        &self.fonts
    }

    /// Builds the scene of `design`, loading assets from `assets`.
    pub fn scene(&self, design: &Design, assets: &dyn AssetSource) -> Result<Scene, RenderError> {
        let mut text = self.text.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        crate::compose::compose(design, assets, &self.fonts, &mut text)
    }
}
