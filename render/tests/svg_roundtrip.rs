//! SVG export → our SVG importer → CPU raster, compared with the CPU raster of the design
//! itself, for every golden design. Text is outlined by default, so the round trip exercises
//! outlines, gradients, clips, group opacity and embedded images.
//!
//! Tolerance: mean absolute difference ≤ 2 levels per channel and no structural difference
//! (no 8×8 block whose mean difference passes 24 levels), as for the GPU canvas.

mod common;

use render::scene::Scene;
use render::svg_export::{SvgOptions, write_svg};
use render::{OutputSize, cpu, svg_import};

#[test]
fn exported_svg_reimports_and_renders_like_the_original() {
    let renderer = common::renderer();
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for case in common::cases() {
        let scene = renderer.scene(&case.design, &case.assets).expect("scene");
        let (w, h) =
            OutputSize::LongSide(common::GOLDEN_SIDE).resolve(case.design.format.width, case.design.format.height);
        let original = cpu::rasterize(&scene, w, h, false).expect("raster");

        let svg = write_svg(&scene, &SvgOptions::default());
        let doc = match svg_import::import(svg.as_bytes(), renderer.fonts()) {
            Ok(doc) => doc,
            Err(e) => {
                failures.push(format!("{}: our own SVG export was rejected: {e}", case.name));
                continue;
            }
        };
        let mut back = Scene::new(scene.width, scene.height);
        let (sx, sy) = (scene.width / doc.width(), scene.height / doc.height());
        svg_import::draw(&doc, render::scene::Affine::scale_non_uniform(sx, sy), &mut back.items);
        let again = cpu::rasterize(&back, w, h, false).expect("raster");
        let d = common::diff(&original, &again);
        report
            .push(format!("{:32} mean {:5.2}  max {:3}  structural {}", case.name, d.mean, d.max, d.structural_blocks));
        if d.mean > 2.0 || d.structural_blocks > 0 {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
            let _ =
                std::fs::write(dir.join(format!("{}.svg-roundtrip.actual.png", case.name)), common::write_png(&again));
            failures.push(format!("{}: {d:?}", case.name));
        }
    }
    println!("{}", report.join("\n"));
    assert!(failures.is_empty(), "SVG round trip differs:\n{}", failures.join("\n"));
}
