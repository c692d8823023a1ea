//! Generation benchmarks (issue 6), reported as percentiles:
//!
//! - synthesis plus 512 px rendering of the four samples of a request, over the fixture
//!   requests of `tests/synthesis.rs` (goal p95 ≤ 400 ms on one core; `cargo xtask bench gen`
//!   pins the process to one CPU);
//! - magic resize of a 50-layer design to every preset, geometry alone and with text fitting
//!   (goal ≤ 5 ms).
//!
//! `cargo bench -p gen-worker --bench generate`

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use editor_core::{Color, Design, FormatPreset, Layer, LayerId, Rect, Role};
use gen_worker::resize;
use gen_worker::synth::Engine;
use gen_worker::template::Library;
use render::{MemoryAssets, OutputSize, Renderer};

fn percentiles(label: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label}: n={} p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        samples.len(),
        ms(at(0.5)),
        ms(at(0.95)),
        ms(at(0.99)),
        ms(at(1.0))
    );
}

fn fifty_layers() -> Design {
    let mut d = Design::new("fifty", FormatPreset::InstagramPost.format());
    for i in 0..50u32 {
        let (col, row) = (f64::from(i % 5), f64::from(i / 5));
        let r = Rect::new(60.0 + col * 196.0, 60.0 + row * 96.0, 180.0, 84.0);
        let id = LayerId::parse(&format!("l{i}")).unwrap_or_else(|_| unreachable!("valid id"));
        let mut layer = if i % 2 == 0 {
            let mut l = Layer::text(id, &format!("Layer {i} text"), r);
            l.role = if i == 0 { Role::Headline } else { Role::Body };
            l
        } else {
            let mut l = Layer::rect(id, r, Color::rgb(200, 100, (i * 5) as u8));
            l.role = Role::Decoration;
            l
        };
        layer.name = format!("layer {i}");
        d.layers.push(layer);
    }
    d.assign_missing_z();
    d
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fonts = Arc::new(render::FontLibrary::bundled()?);
    let renderer = Arc::new(Renderer::new(fonts));
    let library = Arc::new(Library::bundled()?);
    let engine = Engine::builtin(library, renderer.clone());

    // Warm-up: fonts, glyph caches, the phrase bank.
    let mut assets = MemoryAssets::new();
    let warm = support::request(&support::CASES[0], 0, &mut assets);
    engine.generate(&warm)?;

    let mut synth = Vec::new();
    let mut total = Vec::new();
    for round in 0..3u64 {
        for (i, case) in support::CASES.iter().enumerate() {
            let mut assets = MemoryAssets::new();
            let mut request = support::request(case, i, &mut assets);
            request.seed += round * 7919;
            let started = Instant::now();
            let generation = engine.generate(&request)?;
            let planned = started.elapsed();
            for s in &generation.samples {
                let _ = renderer.raster(&s.design, &assets, OutputSize::LongSide(512), false, false)?;
            }
            synth.push(planned);
            total.push(started.elapsed());
        }
    }
    percentiles("synthesis of 4 samples (copy, layout, checks)", synth);
    percentiles("synthesis + 512 px render of 4 samples", total);

    let design = fifty_layers();
    let mut geometry = Vec::new();
    let mut fitted = Vec::new();
    for _ in 0..20 {
        for preset in FormatPreset::ALL {
            let started = Instant::now();
            let out = resize::resize_to(&design, preset);
            geometry.push(started.elapsed());
            std::hint::black_box(&out);
            let started = Instant::now();
            let mut out = resize::resize_to(&design, preset);
            resize::fit_text(&mut out, &renderer, gen_worker::template::FIT_FLOOR);
            fitted.push(started.elapsed());
        }
    }
    percentiles("magic resize, 50 layers (geometry)", geometry);
    percentiles("magic resize, 50 layers (geometry + text fitting)", fitted);
    Ok(())
}
