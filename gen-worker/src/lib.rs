//! gen-worker: design synthesis and the generation job loop (DESIGN.md §6).
//!
//! Arrives with issues 6 and 7. It depends on editor-core and render.
