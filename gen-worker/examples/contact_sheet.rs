//! Contact sheets for people to look at.
//!
//! - `cargo run --release -p gen-worker --example contact_sheet -- samples OUT.png`: the four
//!   samples of every fixture request (one row per request, as in `tests/synthesis.rs`).
//! - `… -- templates OUT.png`: every template of the library (one row per archetype, one column
//!   per preset).
//!
//! `cargo xtask contact-sheet` writes both under `target/`. A text file next to each PNG names
//! every row.

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;

use gen_worker::synth::Engine;
use gen_worker::template::Library;
use render::scene::RasterImage;
use render::{MemoryAssets, OutputSize, Renderer};

const CELL: u32 = 300;
const GAP: u32 = 12;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, out) = match args.as_slice() {
        [mode, out] => (mode.as_str(), std::path::PathBuf::from(out)),
        _ => return Err("usage: contact_sheet samples|templates OUT.png".into()),
    };
    let fonts = Arc::new(render::FontLibrary::bundled()?);
    let renderer = Arc::new(Renderer::new(fonts));
    let library = Arc::new(Library::bundled()?);
    let mut rows: Vec<(String, Vec<RasterImage>)> = Vec::new();
    let mut problems = 0;
    match mode {
        "samples" => {
            let engine = Engine::builtin(library.clone(), renderer.clone());
            for (i, case) in support::CASES.iter().enumerate() {
                let mut assets = MemoryAssets::new();
                let request = support::request(case, i, &mut assets);
                let generation = engine.generate(&request)?;
                let mut images = Vec::new();
                let mut label = format!("{i:2} {:?} [{:?}]:", case.prompt, case.preset);
                for s in &generation.samples {
                    let (image, _) = renderer.raster(&s.design, &assets, OutputSize::LongSide(CELL), false, false)?;
                    images.push(image);
                    label.push_str(&format!(" {} ({}; {})", s.template, s.palette, s.fonts));
                    problems += s.findings.len();
                    for f in &s.findings {
                        println!("case {i} {}: {f}", s.template);
                    }
                }
                rows.push((label, images));
            }
        }
        "templates" => {
            let assets = MemoryAssets::new();
            for a in 0..library.archetypes().len() {
                let mut images = Vec::new();
                let mut label = library.archetypes()[a].id.clone();
                for t in library.templates().iter().filter(|t| t.archetype == a) {
                    let design = library.fitted_design(t, &renderer);
                    let findings = gen_worker::quality::check(&design, &renderer);
                    problems += findings.len();
                    for f in &findings {
                        println!("{}: {f}", t.id);
                    }
                    let (image, _) = renderer.raster(&design, &assets, OutputSize::LongSide(CELL), false, false)?;
                    images.push(image);
                    label.push_str(&format!(" {}", gen_worker::template::preset_key(t.preset)));
                }
                rows.push((label, images));
            }
        }
        other => return Err(format!("unknown mode {other:?}").into()),
    }
    let columns = rows.iter().map(|r| r.1.len()).max().unwrap_or(1) as u32;
    let width = columns * (CELL + GAP) + GAP;
    let height = rows.len() as u32 * (CELL + GAP) + GAP;
    let mut sheet = RasterImage { width, height, pixels: vec![0; (width * height * 4) as usize], opaque: true };
    for px in sheet.pixels.chunks_exact_mut(4) {
        px.copy_from_slice(&[226, 228, 232, 255]);
    }
    for (r, (_, images)) in rows.iter().enumerate() {
        for (c, image) in images.iter().enumerate() {
            let x0 = GAP + c as u32 * (CELL + GAP) + (CELL - image.width) / 2;
            let y0 = GAP + r as u32 * (CELL + GAP) + (CELL - image.height) / 2;
            for y in 0..image.height {
                let src = (y * image.width * 4) as usize;
                let dst = (((y0 + y) * width + x0) * 4) as usize;
                let len = (image.width * 4) as usize;
                sheet.pixels[dst..dst + len].copy_from_slice(&image.pixels[src..src + len]);
            }
        }
    }
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&out, render::encode::png(&sheet)?)?;
    let index: Vec<String> = rows.iter().enumerate().map(|(i, (label, _))| format!("row {i}: {label}")).collect();
    std::fs::write(out.with_extension("txt"), index.join("\n") + "\n")?;
    println!("wrote {} ({} rows, {problems} quality problems)", out.display(), rows.len());
    Ok(())
}
