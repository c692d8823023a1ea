//! The web entry point: `cargo xtask web` builds this for wasm32 and runs wasm-bindgen on it.

fn main() {
    app::launch();
}
