//! PDF export with krilla. (Being written: see issue 3.)

use crate::scene::Scene;

/// Why a PDF could not be written.
#[derive(Debug, thiserror::Error)]
#[error("PDF export failed: {0}")]
pub struct PdfError(pub String);

/// Writes `scene` as a one-page PDF (1 design pixel = 0.75 pt, i.e. 96 dpi).
pub fn write_pdf(_scene: &Scene) -> Result<Vec<u8>, PdfError> {
    Err(PdfError("not yet implemented".into()))
}
