//! Renders archetype files at every preset and runs the quality checks.
//!
//! `cargo run -p gen-worker --example template_check -- assets/templates/<id>.json …`
//! writes 512 px PNGs under `/tmp/tplcheck/<id>/` and prints every failed check.

use std::path::Path;
use std::sync::Arc;

use gen_worker::template::{Library, parse_archetype, preset_key};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fonts = Arc::new(render::FontLibrary::bundled()?);
    let renderer = render::Renderer::new(fonts);
    let assets = render::MemoryAssets::new();
    let mut failures = 0;
    let mut archetypes = Vec::new();
    for arg in std::env::args().skip(1) {
        let path = Path::new(&arg);
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match parse_archetype(&std::fs::read(path)?, &name) {
            Ok(a) => archetypes.push(a),
            Err(e) => {
                failures += 1;
                println!("INVALID {e}");
            }
        }
    }
    let library = Library::from_archetypes(archetypes);
    for t in library.templates() {
        let design = library.fitted_design(t, &renderer);
        let out = Path::new("/tmp/tplcheck").join(&library.archetype_of(t).id);
        std::fs::create_dir_all(&out)?;
        let exported = renderer.thumbnail(&design, &assets)?;
        std::fs::write(out.join(format!("{}.png", preset_key(t.preset))), &exported.bytes)?;
        for w in &exported.warnings {
            println!("{}: render warning: {w}", t.id);
        }
        for f in gen_worker::quality::check(&design, &renderer) {
            failures += 1;
            println!("{}: {f}", t.id);
        }
    }
    println!("{} templates, {failures} problems; PNGs under /tmp/tplcheck/<id>/", library.templates().len());
    if failures > 0 {
        std::process::exit(1);
    }
    Ok(())
}
