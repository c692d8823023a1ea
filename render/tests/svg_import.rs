//! SVG import: hostile files are refused with their reason, real-world files import and draw,
//! and our drawing matches resvg's.

#![expect(clippy::expect_used, reason = "test helpers fail loudly on broken fixtures")]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use render::FontLibrary;
use render::scene::{Affine, Brush, Extend, Item, Scene};
use render::svg_import::{self, SvgError, SvgLimits};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/svg")
}

fn fonts() -> &'static FontLibrary {
    static FONTS: OnceLock<FontLibrary> = OnceLock::new();
    FONTS.get_or_init(|| FontLibrary::bundled().expect("bundled fonts load"))
}

fn import(bytes: &[u8]) -> Result<svg_import::SvgDocument, SvgError> {
    svg_import::import(bytes, fonts())
}

fn items_of(doc: &svg_import::SvgDocument) -> Vec<Item> {
    let mut items = Vec::new();
    svg_import::draw(doc, Affine::IDENTITY, &mut items);
    items
}

fn benign_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("benign dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "svg") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&data_dir().join("benign"), &mut out);
    out.sort();
    out
}

fn benign(name: &str) -> svg_import::SvgDocument {
    let path = data_dir().join("benign").join(name);
    import(&std::fs::read(&path).expect("read")).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_hostile_sample_is_refused_with_its_reason() {
    let dir = data_dir().join("hostile");
    let manifest = std::fs::read_to_string(dir.join("expected.tsv")).expect("manifest");
    let mut listed = Vec::new();
    let mut failures = Vec::new();
    for line in manifest.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let (file, expected) = line.split_once('\t').expect("file<TAB>substring");
        listed.push(file.to_owned());
        let bytes = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        match import(&bytes) {
            Ok(doc) => failures.push(format!("{file}: accepted ({}×{})", doc.width(), doc.height())),
            Err(e) if !e.to_string().contains(expected) => {
                failures.push(format!("{file}: error {:?} does not contain {expected:?}", e.to_string()))
            }
            Err(_) => {}
        }
    }
    // Every sample in the folder is in the manifest.
    for entry in std::fs::read_dir(&dir).expect("hostile dir") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        if name != "expected.tsv" && !listed.contains(&name) {
            failures.push(format!("{name}: not listed in expected.tsv"));
        }
    }
    assert!(listed.len() >= 60, "only {} hostile samples", listed.len());
    assert!(failures.is_empty(), "{} of {} hostile samples:\n{}", failures.len(), listed.len(), failures.join("\n"));
}

/// The big hostile inputs, built here rather than committed.
#[test]
fn generated_hostile_inputs_are_refused() {
    let head = r#"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">"#;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("100k elements", format!("{head}{}</svg>", "<g/>".repeat(100_000)).into_bytes(), "20000"),
        (
            "depth 1000",
            format!("{head}{}{}</svg>", "<g>".repeat(1000), "</g>".repeat(1000)).into_bytes(),
            "nests 65 levels deep; the limit is 64",
        ),
        (
            "more than 4 MiB",
            format!("{head}<!--{}--></svg>", "x".repeat(4 << 20)).into_bytes(),
            "limit is 4194304 bytes",
        ),
        (
            "marker bomb",
            {
                let d: String = (0..3000).map(|i| format!(" L{i} {}", i % 7)).collect();
                let marker = r#"<circle r="1"/>"#.repeat(200);
                format!(r##"{head}<marker id="m">{marker}</marker><path d="M0 0{d}" marker-mid="url(#m)"/></svg>"##)
                    .into_bytes()
            },
            "too complex",
        ),
        (
            "marker bomb through CSS",
            {
                let d: String = (0..3000).map(|i| format!(" L{i} {}", i % 7)).collect();
                let marker = r#"<circle r="1"/>"#.repeat(200);
                format!(
                r##"{head}<style>path{{marker-mid:url(#m)}}</style><marker id="m">{marker}</marker><path d="M0 0{d}"/></svg>"##
            )
            .into_bytes()
            },
            "too complex",
        ),
        (
            "use chain deeper than the limit",
            {
                let mut s = format!(r#"{head}<defs><rect id="u0" width="1" height="1"/>"#);
                for i in 1..100 {
                    s.push_str(&format!(r##"<g id="u{i}"><use href="#u{}"/></g>"##, i - 1));
                }
                s.push_str(r##"</defs><use href="#u99"/></svg>"##);
                s.into_bytes()
            },
            "levels deep",
        ),
        (
            "text bomb through use",
            {
                let text = "A".repeat(2000);
                let uses = r##"<use href="#t"/>"##.repeat(100);
                format!(r#"{head}<defs><text id="t">{text}</text></defs>{uses}</svg>"#).into_bytes()
            },
            "too complex",
        ),
        (
            "clip-path bomb",
            {
                let clip = r#"<rect width="1" height="1"/>"#.repeat(1000);
                let rects = r#"<rect width="5" height="5" clip-path="url(#c)"/>"#.repeat(500);
                format!(r#"{head}<clipPath id="c">{clip}</clipPath>{rects}</svg>"#).into_bytes()
            },
            "too complex",
        ),
        (
            "many CSS rules for all elements",
            {
                let rules: String = (0..300).map(|i| format!("rect{{fill:url(#g{i})}}")).collect();
                let gradients: String = (0..300).map(|i| format!(r#"<linearGradient id="g{i}"/>"#)).collect();
                format!(r#"{head}<style>{rules}</style>{gradients}<rect width="1" height="1"/></svg>"#).into_bytes()
            },
            "too complex",
        ),
    ];
    for (what, bytes, expected) in cases {
        let err = import(&bytes).expect_err(what).to_string();
        assert!(err.contains(expected), "{what}: {err:?} does not contain {expected:?}");
    }
}

/// What the sanitiser accepts it accepts again unchanged (benign files and fuzz regressions),
/// and fuzz regressions never panic.
#[test]
fn sanitising_is_idempotent() {
    let mut files = benign_files();
    for entry in std::fs::read_dir(data_dir().join("fuzz-regressions")).expect("fuzz-regressions dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "svg") {
            files.push(path);
        }
    }
    let limits = SvgLimits::default();
    for path in files {
        let bytes = std::fs::read(&path).expect("read");
        if let Ok(clean) = svg_import::sanitize(&bytes, &limits) {
            let again = svg_import::sanitize(clean.as_bytes(), &limits);
            assert_eq!(again.as_ref(), Ok(&clean), "{}", path.display());
        }
        if let Ok(doc) = import(&bytes) {
            items_of(&doc);
        }
    }
}

#[test]
fn limits_are_configurable() {
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="300" height="10"><rect width="1" height="1"/></svg>"#;
    let limits = SvgLimits { max_side: 200.0, ..SvgLimits::default() };
    let err = svg_import::import_with_limits(svg, fonts(), &limits).unwrap_err();
    assert!(matches!(err, SvgError::BadSize { .. }), "{err}");
    let limits = SvgLimits { max_bytes: 50, ..SvgLimits::default() };
    assert_eq!(
        svg_import::import_with_limits(svg, fonts(), &limits).unwrap_err(),
        SvgError::TooLarge { bytes: svg.len(), max: 50 }
    );
    assert!(svg_import::import_with_limits(svg, fonts(), &SvgLimits::default()).is_ok());
}

#[test]
fn every_benign_file_imports_and_draws() {
    let files = benign_files();
    assert!(files.len() >= 25, "only {} benign files", files.len());
    for path in files {
        let bytes = std::fs::read(&path).expect("read");
        let doc = import(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(doc.width() > 0.0 && doc.height() > 0.0, "{}", path.display());
        let items = items_of(&doc);
        let drawn = items.iter().filter(|i| !matches!(i, Item::PushGroup { .. } | Item::PopGroup)).count();
        assert!(drawn > 0, "{}: nothing drawn", path.display());
        let pushes = items.iter().filter(|i| matches!(i, Item::PushGroup { .. })).count();
        let pops = items.iter().filter(|i| matches!(i, Item::PopGroup)).count();
        assert_eq!(pushes, pops, "{}", path.display());
    }
}

#[test]
fn documents_are_shareable_across_threads() {
    fn check<T: Send + Sync>() {}
    check::<svg_import::SvgDocument>();
}

#[test]
fn sizes_follow_width_height_and_viewbox() {
    let doc = benign("handmade/inkscape-logo.svg");
    // 210 mm × 148 mm at 96 dpi.
    assert!((doc.width() - 793.7).abs() < 0.1 && (doc.height() - 559.4).abs() < 0.1, "{doc:?}");
    let doc = benign("simple-icons/rust.svg");
    assert_eq!((doc.width(), doc.height()), (24.0, 24.0));
}

#[test]
fn gradients_keep_their_geometry_and_spread() {
    let items = items_of(&benign("handmade/inkscape-logo.svg"));
    let brushes: Vec<&Brush> = items
        .iter()
        .filter_map(|i| match i {
            Item::Fill { brush, .. } => Some(brush),
            _ => None,
        })
        .collect();
    let linear = brushes.iter().find(|b| matches!(b, Brush::Linear { .. })).expect("linear gradient");
    let Brush::Linear { start, end, stops, .. } = linear else { unreachable!() };
    assert_eq!((start.x, start.y, end.x, end.y), (30.0, 20.0, 180.0, 128.0));
    assert_eq!(stops.len(), 2);
    assert_eq!((stops[0].color.r, stops[0].color.g, stops[0].color.b), (0xff, 0x6a, 0x00));
    let radial = brushes.iter().find(|b| matches!(b, Brush::Radial { .. })).expect("radial gradient");
    let Brush::Radial { start_center, end_center, end_radius, extend, stops, .. } = radial else { unreachable!() };
    assert_eq!((start_center.x, start_center.y), (95.0, 64.0));
    assert_eq!((end_center.x, end_center.y, *end_radius), (105.0, 74.0, 40.0));
    assert_eq!(*extend, Extend::Reflect);
    // fill-opacity 0.9 is folded into the stops.
    assert_eq!(stops[0].color.a, 230);
}

#[test]
fn strokes_keep_dashes_caps_and_paint_order() {
    let items = items_of(&benign("handmade/text-and-markers.svg"));
    let dashed = items.iter().find_map(|i| match i {
        Item::Stroke { style, .. } if !style.dash_pattern.is_empty() => Some(style),
        _ => None,
    });
    let dashed = dashed.expect("a dashed stroke");
    assert_eq!(dashed.dash_pattern.as_slice(), &[4.0, 2.0, 1.0, 2.0]);
    // Markers became fills (arrows and dots).
    let fills = items.iter().filter(|i| matches!(i, Item::Fill { .. })).count();
    assert!(fills >= 5, "{fills} fills");
}

#[test]
fn clips_opacity_and_images_become_groups_and_image_items() {
    let items = items_of(&benign("handmade/illustrator-badge.svg"));
    assert!(items.iter().any(|i| matches!(i, Item::PushGroup { clip: Some(_), .. })), "clip group");

    let doc = benign("handmade/embedded-png.svg");
    assert_eq!(doc.raster_image_count(), 1);
    let items = items_of(&doc);
    let (image, transform) = items
        .iter()
        .find_map(|i| match i {
            Item::Image { image, transform, .. } => Some((image, transform)),
            _ => None,
        })
        .expect("image item");
    assert_eq!((image.width, image.height), (8, 8));
    assert_eq!(&image.pixels[..4], &[255, 0, 0, 255]);
    // 8 px mapped onto 48 px at (8, 8).
    let c = transform.as_coeffs();
    assert_eq!(c, [6.0, 0.0, 0.0, 6.0, 8.0, 8.0]);

    let items = items_of(&benign("handmade/pattern-and-mask.svg"));
    assert!(
        items.iter().any(|i| matches!(i, Item::PushGroup { opacity, clip: Some(_) } if (*opacity - 0.8).abs() < 1e-6))
    );
    // The pattern fell back to its colour.
    assert!(
        items
            .iter()
            .any(|i| matches!(i, Item::Fill { brush: Brush::Solid(c), .. } if (c.r, c.g, c.b) == (0x34, 0x98, 0xdb)))
    );
}

#[test]
fn the_outer_transform_maps_the_svg_into_design_space() {
    let doc = benign("feather-icons/activity.svg");
    let t = Affine::translate((100.0, 50.0)) * Affine::scale(2.0);
    let mut items = Vec::new();
    svg_import::draw(&doc, t, &mut items);
    let Some(Item::Stroke { transform, .. }) = items.first() else { panic!("{items:?}") };
    assert_eq!(transform.as_coeffs(), t.as_coeffs());
}

#[test]
fn text_is_drawn_with_the_bundled_fonts() {
    let bytes = std::fs::read(data_dir().join("benign/handmade/text-and-markers.svg")).expect("read");
    let with_fonts = items_of(&import(&bytes).expect("import")).len();
    let without = items_of(&svg_import::import_with_faces(&bytes, &[], &SvgLimits::default()).expect("import")).len();
    // usvg merges a span's glyphs into one path: two spans, each filled and stroked.
    assert!(with_fonts >= without + 4, "with fonts {with_fonts}, without {without}");
}

/// Mean absolute difference per channel (0..=255) of two images composited over white.
fn mean_difference(a: &[u8], b: &[u8]) -> f64 {
    let over_white = |p: &[u8], i: usize| {
        let alpha = f64::from(p[3]) / 255.0;
        f64::from(p[i]) * alpha + 255.0 * (1.0 - alpha)
    };
    let mut sum = 0.0;
    let mut n = 0usize;
    for (pa, pb) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
        for i in 0..3 {
            sum += (over_white(pa, i) - over_white(pb, i)).abs();
            n += 1;
        }
    }
    sum / n as f64
}

/// Our conversion, rasterised by the CPU renderer, against resvg on the same usvg tree. Files
/// with masks, filters, blend modes or patterns are left out: we draw those approximately, on
/// purpose.
#[test]
fn our_drawing_matches_resvg() {
    const SIDE: u32 = 160;
    let skip = ["figma-card.svg", "pattern-and-mask.svg"];
    let mut worst = (0.0, String::new());
    for path in benign_files() {
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        if skip.contains(&name.as_str()) {
            continue;
        }
        let doc = import(&std::fs::read(&path).expect("read")).expect("import");
        let scale = f64::from(SIDE) / doc.width().max(doc.height());
        let (w, h) = ((doc.width() * scale).round().max(1.0) as u32, (doc.height() * scale).round().max(1.0) as u32);

        let mut scene = Scene::new(doc.width(), doc.height());
        svg_import::draw(&doc, Affine::IDENTITY, &mut scene.items);
        let ours = render::cpu::rasterize(&scene, w, h, true).expect("rasterize");

        let mut pixmap = resvg::tiny_skia::Pixmap::new(w, h).expect("pixmap");
        let sx = w as f32 / doc.width() as f32;
        let sy = h as f32 / doc.height() as f32;
        resvg::render(doc.tree(), resvg::tiny_skia::Transform::from_scale(sx, sy), &mut pixmap.as_mut());
        let theirs: Vec<u8> = pixmap
            .pixels()
            .iter()
            .flat_map(|p| {
                let c = p.demultiply();
                [c.red(), c.green(), c.blue(), c.alpha()]
            })
            .collect();

        let diff = mean_difference(&ours.pixels, &theirs);
        if diff > worst.0 {
            worst = (diff, name.clone());
        }
        assert!(diff < 3.0, "{}: mean difference {diff:.2} levels", path.display());
    }
    eprintln!("worst mean difference: {:.2} levels ({})", worst.0, worst.1);
}

/// Imports every `.svg` under `$SVG_IMPORT_SWEEP` (e.g. an unpacked icon set) and lists the
/// refusals: `SVG_IMPORT_SWEEP=/path cargo test -p render --test svg_import -- --ignored sweep`.
#[test]
#[ignore = "needs SVG_IMPORT_SWEEP pointing at a folder of SVG files"]
fn sweep() {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("sweep dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "svg") {
                out.push(path);
            }
        }
    }
    let dir = std::env::var_os("SVG_IMPORT_SWEEP").expect("SVG_IMPORT_SWEEP");
    let mut files = Vec::new();
    walk(Path::new(&dir), &mut files);
    let mut refused = 0;
    for path in &files {
        let bytes = std::fs::read(path).expect("read");
        match import(&bytes) {
            Ok(doc) => {
                let mut items = Vec::new();
                svg_import::draw(&doc, Affine::IDENTITY, &mut items);
            }
            Err(e) => {
                refused += 1;
                eprintln!("{}: {e}", path.display());
            }
        }
    }
    eprintln!("{refused} of {} refused", files.len());
}
