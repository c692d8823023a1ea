//! The template gallery's pictures: `OUT_DIR/{archetype id}.png` for every archetype of the
//! bundled library, laid out at the square Instagram post preset (text fitted, as the gallery
//! shows it) and rendered SIZE px wide (default 320).
//!
//! `cargo run -p gen-worker --example template_thumbnails -- OUT_DIR [SIZE]`
//!
//! The web app serves these as `/templates/{id}.png` (the server's `GET /api/v1/templates`
//! points there). Archetypes are rendered in parallel, one thread per core.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use editor_core::FormatPreset;
use gen_worker::template::Library;
use render::{MemoryAssets, OutputSize, Renderer};

/// Default picture width, px.
const DEFAULT_SIZE: u32 = 320;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (out, size) = match args.as_slice() {
        [out] => (PathBuf::from(out), DEFAULT_SIZE),
        [out, size] => (PathBuf::from(out), size.parse::<u32>().map_err(|e| format!("SIZE {size:?}: {e}"))?),
        _ => return Err("usage: template_thumbnails OUT_DIR [SIZE=320]".into()),
    };
    if !(16..=2048).contains(&size) {
        return Err(format!("SIZE must be 16 to 2048 px, got {size}").into());
    }
    std::fs::create_dir_all(&out)?;
    let started = std::time::Instant::now();
    let renderer = Renderer::new(Arc::new(render::FontLibrary::bundled()?));
    let library = Library::bundled()?;
    let templates: Vec<_> = library.templates().iter().filter(|t| t.preset == FormatPreset::InstagramPost).collect();
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(2, usize::from).min(templates.len().max(1));
    let results: Vec<Result<u64, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(t) = templates.get(i) else { break };
                        let id = &library.archetype_of(t).id;
                        done.push(write_one(&library, &renderer, t, &out.join(format!("{id}.png")), size));
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|_| vec![Err("a thread panicked".into())])).collect()
    });
    let mut bytes = 0;
    for r in &results {
        match r {
            Ok(n) => bytes += n,
            Err(e) => return Err(e.clone().into()),
        }
    }
    println!(
        "wrote {} pictures ({size} px wide, {} KiB in all) to {} in {:.1} s",
        results.len(),
        bytes / 1024,
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Renders one template to `path`; its file size.
fn write_one(
    library: &Library,
    renderer: &Renderer,
    template: &gen_worker::template::TemplateInfo,
    path: &Path,
    size: u32,
) -> Result<u64, String> {
    let design = library.fitted_design(template, renderer);
    let (image, _) = renderer
        .raster(&design, &MemoryAssets::new(), OutputSize::Width(size), false, false)
        .map_err(|e| format!("{}: {e}", template.id))?;
    let png = render::encode::png(&image).map_err(|e| format!("{}: {e}", template.id))?;
    std::fs::write(path, &png).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(png.len() as u64)
}
