//! render: turns an editor-core `Design` into pixels and vector files (DESIGN.md §7).
//!
//! Arrives with issue 3 (fonts, scene, CPU raster, SVG/PDF export, SVG import, GPU canvas).
//! It depends on editor-core only and never touches the network.
