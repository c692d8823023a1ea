//! gen-worker: design synthesis and the generation job loop (DESIGN.md §6).
//!
//! - [`palette`]: OKLCH colour, WCAG contrast, harmonies and palette suggestions by industry and
//!   emotion from a curated knowledge base;
//! - [`locale`]: locale-correct dates, numbers and prices for the copy writer (en, es, fr, de);
//! - [`copy`]: copy slots drawn from the prompt, phrased per tone, or written by a chat model;
//! - [`typography`]: font pairings by tone and style from the font catalogue;
//! - [`imaging`]: perceptual hashes and salient-region crops.

pub mod copy;
pub mod imaging;
pub mod locale;
pub mod palette;
pub mod protocol;
pub mod quality;
pub mod resize;
pub mod synth;
pub mod template;
pub mod typography;
pub mod worker;
