//! Golden images: every case in `common::cases()` rendered on the CPU and compared with the
//! committed reference in `tests/golden/<name>.png`.
//!
//! Tolerance (see `tests/golden/README.md`): mean absolute difference ≤ 0.5 levels per channel
//! and no structural difference (no 8×8 block whose mean difference passes 24 levels). The CPU
//! renderer is deterministic, so on one machine the images are identical; the tolerance
//! absorbs SIMD-level rounding between CPUs.
//!
//! Re-create the references with `cargo xtask golden` (sets `UPDATE_GOLDENS=1`). On a mismatch
//! the actual image is written next to the reference as `<name>.actual.png` (gitignored).

mod common;

use std::path::PathBuf;

use render::OutputSize;

const MAX_MEAN: f64 = 0.5;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

#[test]
fn golden_images_match_their_references() {
    let update = std::env::var_os("UPDATE_GOLDENS").is_some();
    let cases = common::cases();
    assert!(cases.len() >= 25, "the golden set has {} designs, the issue asks for at least 25", cases.len());
    let renderer = common::renderer();
    let mut failures = Vec::new();
    for case in &cases {
        let (image, warnings) = renderer
            .raster(&case.design, &case.assets, OutputSize::LongSide(common::GOLDEN_SIDE), false, false)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        if case.name != "missing_assets_and_fonts" {
            assert!(warnings.is_empty(), "{}: unexpected warnings {warnings:?}", case.name);
        }
        let path = dir().join(format!("{}.png", case.name));
        if update {
            std::fs::write(&path, common::write_png(&image)).expect("write reference");
            continue;
        }
        let Ok(reference) = std::fs::read(&path) else {
            failures.push(format!("{}: no reference at {} (run `cargo xtask golden`)", case.name, path.display()));
            continue;
        };
        let reference = common::read_png(&reference);
        if (reference.width, reference.height) != (image.width, image.height) {
            failures.push(format!(
                "{}: size {}×{} vs reference {}×{}",
                case.name, image.width, image.height, reference.width, reference.height
            ));
            continue;
        }
        let d = common::diff(&image, &reference);
        if d.mean > MAX_MEAN || d.structural_blocks > 0 {
            let actual = dir().join(format!("{}.actual.png", case.name));
            let _ = std::fs::write(&actual, common::write_png(&image));
            failures.push(format!("{}: {d:?} (actual written to {})", case.name, actual.display()));
        }
    }
    assert!(failures.is_empty(), "golden mismatches:\n{}", failures.join("\n"));
}

#[test]
fn missing_fonts_and_assets_warn_and_draw_placeholders() {
    let case = common::cases().into_iter().find(|c| c.name == "missing_assets_and_fonts").expect("case");
    let (_, warnings) = common::renderer()
        .raster(&case.design, &case.assets, OutputSize::LongSide(200), false, false)
        .expect("renders");
    let text: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|w| w.contains("No Such Font Family") && w.contains("Inter")), "{text:?}");
    assert_eq!(
        warnings.iter().filter(|w| matches!(w, render::RenderWarning::MissingAsset { .. })).count(),
        2,
        "{text:?}"
    );
}
