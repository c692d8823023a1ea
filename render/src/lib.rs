//! render: turns an editor-core `Design` into pixels and vector files (DESIGN.md §7).
//!
//! - [`fonts`]: the bundled font library (`assets/fonts`, never system fonts) and its catalogue.
//! - [`compose`]: `Design` → [`Scene`], a backend-neutral display list; [`text`] lays text out
//!   with parley.
//! - [`cpu`]: rasterises a scene with vello_cpu; [`encode`] writes PNG, JPEG and WebP.
//! - [`svg_export`] and [`pdf`]: vector exports from the same scene.
//! - [`svg_import`]: sanitises and parses uploaded SVG (usvg, no file or network access).
//! - `gpu` (cargo feature `gpu`): the interactive canvas on vello_hybrid/wgpu.
//!
//! It depends on editor-core only and never touches the network.

pub mod assets;
pub mod compose;
pub mod cpu;
pub mod encode;
pub mod export;
pub mod fonts;
#[cfg(feature = "gpu")]
pub mod gpu;
pub mod images;
pub mod pdf;
pub mod scene;
pub mod svg_export;
pub mod svg_import;
pub mod text;

pub use assets::{AssetSource, DirAssets, MemoryAssets};
pub use export::{ExportFormat, ExportOptions, Exported, OutputSize, RenderError, Renderer, THUMBNAIL_SIDE};
pub use fonts::FontLibrary;
pub use scene::{Item, RenderWarning, Scene};
