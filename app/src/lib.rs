//! app: the Dioxus UI shared by the web (wasm32) and desktop (Tauri) builds (DESIGN.md §8).
//!
//! Arrives with issue 8. It depends on editor-core and render.
