//! gen-worker: design synthesis and the generation job loop (DESIGN.md §6).
//!
//! Being built with issue 6 (the engine) and issue 7 (the service). So far:
//!
//! - [`palette`]: OKLCH colour, WCAG contrast, harmonies and palette suggestions by industry and
//!   emotion from a curated knowledge base;
//! - [`locale`]: locale-correct dates, numbers and prices for the copy writer (en, es, fr, de).

pub mod locale;
pub mod palette;
