//! Debug: renders one fixture case's samples at 1080 px and dumps their layers.
#[path = "../tests/support/mod.rs"]
mod support;
use std::sync::Arc;
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let i: usize = std::env::args().nth(1).unwrap_or_default().parse()?;
    let fonts = Arc::new(render::FontLibrary::bundled()?);
    let renderer = Arc::new(render::Renderer::new(fonts));
    let library = Arc::new(gen_worker::template::Library::bundled()?);
    let engine = gen_worker::synth::Engine::builtin(library, renderer.clone());
    let mut assets = render::MemoryAssets::new();
    let request = support::request(&support::CASES[i], i, &mut assets);
    let g = engine.generate(&request)?;
    for (k, s) in g.samples.iter().enumerate() {
        let (img, w) = renderer.raster(&s.design, &assets, render::OutputSize::LongSide(800), false, false)?;
        std::fs::write(format!("/tmp/dbg/case{i}-{k}.png"), render::encode::png(&img)?)?;
        println!("sample {k} {} warnings {w:?}", s.template);
        for l in &s.design.layers {
            let extra = match &l.content { editor_core::LayerContent::Text(t) => format!("{:?} size {:.1} fit {}", t.text, t.font_size, t.auto_fit), c => c.kind().to_string() };
            println!("  {} {:?} {:.0},{:.0} {:.0}x{:.0} {}", l.id, l.role, l.x, l.y, l.w, l.h, extra);
        }
    }
    Ok(())
}
