//! SVG and PDF export from hand-built scenes.
//!
//! The PDF checks use poppler-utils (`pdfinfo`, `pdftotext`, `pdffonts`, `pdftoppm`); CI
//! installs them (`apt-get install poppler-utils`) and these tests fail, rather than skip,
//! when they are missing.
//!
//! Raster comparisons (PDF through `pdftoppm`, SVG through resvg, both against
//! `render::cpu::rasterize`) allow a mean absolute difference of 3/255 per channel: the
//! rasterisers antialias edges and sample images differently, so exact equality is not
//! expected, but a misplaced shape, glyph or gradient moves the mean far past that.

#![expect(clippy::expect_used, reason = "test helpers fail loudly on broken fixtures")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use render::pdf::{PdfOptions, write_pdf, write_pdf_with};
use render::scene::{
    Affine, BezPath, Brush, Clip, Extend, FillRule, FontData, GlyphRun, Item, Point, PositionedGlyph, RasterImage,
    Rect, Rgba, Scene, Stop, StrokeStyle,
};
use render::svg_export::{SvgOptions, write_svg};
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider as _};
use vello_cpu::kurbo::{Circle, Shape as _};

const W: u32 = 400;
const H: u32 = 300;
const SENTENCE: &str = "Quick brown fox 2024";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_owned()
}

fn font(relative: &str) -> FontData {
    let path = workspace_root().join("assets/fonts").join(relative);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    FontData::new(bytes.into(), 0)
}

fn inter() -> FontData {
    font("inter/Inter-Regular.otf")
}

fn emoji_font() -> FontData {
    font("noto-color-emoji/NotoColorEmoji.ttf")
}

/// A run of `text` laid out naively (one glyph per character, no kerning or shaping) with its
/// baseline origin at `x`, `y`.
fn run(font: &FontData, family: &str, text: &str, size: f32, x: f32, y: f32, brush: Brush) -> GlyphRun {
    let font_ref = FontRef::from_index(font.data.data(), font.index).expect("font parses");
    let charmap = font_ref.charmap();
    let metrics = font_ref.glyph_metrics(Size::new(size), LocationRef::default());
    let mut pen = x;
    let glyphs = text
        .char_indices()
        .map(|(i, c)| {
            let id = charmap.map(c).expect("font has the character");
            let advance = metrics.advance_width(id).unwrap_or(0.0);
            let glyph = PositionedGlyph { id: id.to_u32(), x: pen, y, advance, cluster: i..i + c.len_utf8() };
            pen += advance;
            glyph
        })
        .collect();
    GlyphRun {
        font: font.clone(),
        family: family.into(),
        weight: 400,
        italic: false,
        font_size: size,
        normalized_coords: Vec::new(),
        synthetic_skew: 0.0,
        synthetic_embolden: 0.0,
        text: Arc::from(text),
        glyphs,
        brush,
        transform: Affine::IDENTITY,
    }
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> BezPath {
    Rect::new(x0, y0, x1, y1).to_path(0.1)
}

fn fill(path: BezPath, brush: Brush) -> Item {
    Item::Fill { path, transform: Affine::IDENTITY, brush, rule: FillRule::NonZero }
}

fn stops(a: Rgba, b: Rgba) -> Vec<Stop> {
    vec![Stop { offset: 0.0, color: a }, Stop { offset: 1.0, color: b }]
}

/// A 16×16 image: opaque red/blue quadrants with a half-transparent green band.
fn test_image() -> Arc<RasterImage> {
    let mut pixels = Vec::new();
    for y in 0..16u32 {
        for x in 0..16u32 {
            let px = if (4..6).contains(&y) {
                [0, 200, 0, 128]
            } else if (x < 8) == (y < 8) {
                [220, 30, 30, 255]
            } else {
                [30, 30, 220, 255]
            };
            pixels.extend_from_slice(&px);
        }
    }
    Arc::new(RasterImage::new(16, 16, pixels).expect("valid image"))
}

/// Everything the exporters must handle: solid, linear and radial paints, a dashed stroke, a
/// clipped half-transparent group, a scaled image with alpha, and a line of text.
fn sample_scene(with_text: bool, image_opacity: f32) -> Scene {
    let mut scene = Scene::new(f64::from(W), f64::from(H));
    scene.background = Some(Brush::Solid(Rgba::new(250, 248, 240, 255)));
    scene.items.push(fill(
        rect(20.0, 20.0, 180.0, 100.0),
        Brush::Linear {
            start: Point::new(0.0, 0.0),
            end: Point::new(160.0, 0.0),
            stops: stops(Rgba::new(255, 120, 0, 255), Rgba::new(40, 0, 160, 255)),
            extend: Extend::Pad,
            transform: Affine::translate((20.0, 0.0)),
        },
    ));
    scene.items.push(fill(
        Circle::new((290.0, 70.0), 55.0).to_path(0.1),
        Brush::Radial {
            start_center: Point::new(270.0, 55.0),
            start_radius: 5.0,
            end_center: Point::new(290.0, 70.0),
            end_radius: 55.0,
            stops: stops(Rgba::new(255, 255, 255, 255), Rgba::new(0, 120, 90, 255)),
            extend: Extend::Pad,
            transform: Affine::IDENTITY,
        },
    ));
    let mut dashed = StrokeStyle::new(6.0).with_dashes(0.0, [18.0, 8.0]);
    dashed.join = vello_cpu::kurbo::Join::Miter;
    scene.items.push(Item::Stroke {
        path: rect(30.0, 130.0, 190.0, 200.0),
        transform: Affine::IDENTITY,
        brush: Brush::Solid(Rgba::new(20, 20, 20, 255)),
        style: dashed.with_caps(vello_cpu::kurbo::Cap::Butt),
    });
    scene.items.push(Item::PushGroup {
        opacity: 0.5,
        clip: Some(Clip {
            path: Circle::new((0.0, 0.0), 45.0).to_path(0.1),
            transform: Affine::translate((290.0, 170.0)),
        }),
    });
    scene.items.push(fill(rect(230.0, 110.0, 350.0, 230.0), Brush::Solid(Rgba::new(200, 0, 60, 255))));
    scene.items.push(Item::PopGroup);
    scene.items.push(Item::Image {
        image: test_image(),
        transform: Affine::new([4.0, 0.0, 0.0, 4.0, 210.0, 140.0]) * Affine::rotate(0.0),
        opacity: image_opacity,
    });
    if with_text {
        scene.items.push(Item::Glyphs(run(
            &inter(),
            "Inter",
            SENTENCE,
            30.0,
            24.0,
            262.0,
            Brush::Solid(Rgba::new(10, 10, 40, 255)),
        )));
    }
    scene
}

// ---------------------------------------------------------------------------------------------
// SVG

fn parse(svg: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("SVG is not well-formed XML: {e}\n{svg}"))
}

fn count(doc: &roxmltree::Document<'_>, tag: &str) -> usize {
    doc.descendants().filter(|n| n.has_tag_name(tag)).count()
}

/// Every number in attribute values: no `-0` and at most three decimals (transform
/// coefficients may carry more).
fn check_numbers(doc: &roxmltree::Document<'_>) {
    for node in doc.descendants() {
        for attr in node.attributes() {
            let v = attr.value();
            if v.starts_with("data:") || attr.name() == "id" || v.starts_with("url(") || v.starts_with('#') {
                continue;
            }
            let is_transform = matches!(attr.name(), "transform" | "gradientTransform");
            for token in v.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-')) {
                if token.is_empty() || token == "-" {
                    continue;
                }
                assert!(token != "-0" && !token.starts_with("-0.000"), "negative zero in {}={v:?}", attr.name());
                if let Some((_, decimals)) = token.split_once('.') {
                    let max = if is_transform { 6 } else { 3 };
                    assert!(decimals.len() <= max, "too many decimals in {}={v:?}", attr.name());
                    assert!(!decimals.ends_with('0'), "trailing zero in {}={v:?}", attr.name());
                }
            }
        }
    }
}

#[test]
fn svg_is_well_formed_and_complete() {
    let scene = sample_scene(true, 0.9);
    let svg = write_svg(&scene, &SvgOptions::default());
    let doc = parse(&svg);
    let root = doc.root_element();
    assert!(root.has_tag_name(("http://www.w3.org/2000/svg", "svg")));
    assert_eq!(root.attribute("width"), Some("400"));
    assert_eq!(root.attribute("height"), Some("300"));
    assert_eq!(root.attribute("viewBox"), Some("0 0 400 300"));
    check_numbers(&doc);

    // Background first, then the items.
    let first_path = doc.descendants().find(|n| n.has_tag_name("path") && n.parent().is_some_and(|p| p == root));
    assert_eq!(first_path.and_then(|n| n.attribute("fill")), Some("#faf8f0"));

    let linear = doc.descendants().find(|n| n.has_tag_name("linearGradient")).expect("linear gradient");
    assert_eq!(linear.attribute("gradientUnits"), Some("userSpaceOnUse"));
    assert_eq!(linear.attribute("gradientTransform"), Some("translate(20 0)"));
    assert_eq!(linear.children().filter(|n| n.has_tag_name("stop")).count(), 2);
    let radial = doc.descendants().find(|n| n.has_tag_name("radialGradient")).expect("radial gradient");
    assert_eq!(radial.attribute("fx"), Some("270"));
    assert_eq!(radial.attribute("fr"), Some("5"));
    assert_eq!(radial.attribute("r"), Some("55"));

    let dashed = doc.descendants().find(|n| n.attribute("stroke-dasharray").is_some()).expect("dashed stroke");
    assert_eq!(dashed.attribute("stroke-dasharray"), Some("18 8"));
    assert_eq!(dashed.attribute("stroke-width"), Some("6"));
    assert_eq!(dashed.attribute("fill"), Some("none"));

    let group = doc.descendants().find(|n| n.has_tag_name("g") && n.attribute("opacity").is_some()).expect("group");
    assert_eq!(group.attribute("opacity"), Some("0.5"));
    let clip_ref = group.attribute("clip-path").expect("clipped group");
    let clip_id = clip_ref.trim_start_matches("url(#").trim_end_matches(')');
    let clip = doc.descendants().find(|n| n.has_tag_name("clipPath")).expect("clip path");
    assert_eq!(clip.attribute("id"), Some(clip_id));

    let image = doc.descendants().find(|n| n.has_tag_name("image")).expect("image");
    let href = image.attribute(("http://www.w3.org/1999/xlink", "href")).expect("image href");
    assert!(href.starts_with("data:image/png;base64,"));
    assert_eq!(image.attribute("width"), Some("16"));
    assert_eq!(image.attribute("opacity"), Some("0.9"));
    assert_eq!(image.attribute("transform"), Some("matrix(4 0 0 4 210 140)"));

    // Outlined text: glyph outlines, no <text>.
    assert_eq!(count(&doc, "text"), 0);
    let glyph_uses = doc
        .descendants()
        .filter(|n| {
            n.has_tag_name("use")
                && n.attribute(("http://www.w3.org/1999/xlink", "href")).is_some_and(|h| h.starts_with("#o"))
        })
        .count();
    assert_eq!(glyph_uses, SENTENCE.chars().filter(|c| *c != ' ').count());
    // "o" and "2" repeat: each distinct outline is defined once.
    let distinct: std::collections::HashSet<char> = SENTENCE.chars().filter(|c| *c != ' ').collect();
    assert_eq!(
        doc.descendants().filter(|n| n.has_tag_name("path") && n.attribute("id").is_some()).count(),
        distinct.len()
    );

    eprintln!("sample SVG (outlined): {} bytes", svg.len());
}

#[test]
fn svg_transparent_leaves_the_background_out() {
    let scene = sample_scene(false, 0.9);
    let opaque = write_svg(&scene, &SvgOptions::default());
    let transparent = write_svg(&scene, &SvgOptions { transparent: true, ..SvgOptions::default() });
    assert!(opaque.contains("fill=\"#faf8f0\""));
    assert!(!transparent.contains("fill=\"#faf8f0\""));
    parse(&transparent);
}

#[test]
fn svg_repeated_images_are_embedded_once() {
    let mut scene = Scene::new(100.0, 100.0);
    let image = test_image();
    for i in 0..3 {
        let transform = Affine::translate((f64::from(i) * 20.0, 0.0));
        scene.items.push(Item::Image { image: image.clone(), transform, opacity: 1.0 });
    }
    let svg = write_svg(&scene, &SvgOptions::default());
    let doc = parse(&svg);
    assert_eq!(count(&doc, "image"), 1);
    assert_eq!(count(&doc, "use"), 3);
    assert_eq!(svg.matches("data:image/png").count(), 1);
}

#[test]
fn svg_live_text_keeps_the_string_and_positions() {
    let mut scene = sample_scene(true, 0.9);
    let tricky = "a < b & \"c\" > 'd'";
    scene.items.push(Item::Glyphs(run(&inter(), "Inter", tricky, 20.0, 10.0, 290.0, Brush::Solid(Rgba::BLACK))));
    let svg = write_svg(&scene, &SvgOptions { live_text: true, ..SvgOptions::default() });
    let doc = parse(&svg);
    check_numbers(&doc);
    let texts: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("text")).collect();
    assert_eq!(texts.len(), 2);
    let first = texts[0];
    assert_eq!(first.text(), Some(SENTENCE));
    assert_eq!(first.attribute(("http://www.w3.org/XML/1998/namespace", "space")), Some("preserve"));
    assert_eq!(first.attribute("font-family"), Some("'Inter'"));
    assert_eq!(first.attribute("font-size"), Some("30"));
    assert_eq!(first.attribute("y"), Some("262"));
    let xs: Vec<f64> = first.attribute("x").expect("x list").split(' ').map(|v| v.parse().expect("number")).collect();
    assert_eq!(xs.len(), SENTENCE.chars().count());
    assert_eq!(xs[0], 24.0);
    assert!(xs.windows(2).all(|w| w[1] > w[0]), "x positions advance: {xs:?}");
    assert_eq!(texts[1].text(), Some(tricky), "escaped text round-trips");
    // No outlines for live text.
    assert!(!doc.descendants().any(|n| n.has_tag_name("path") && n.attribute("id").is_some()));
}

#[test]
fn svg_colour_emoji_becomes_an_image() {
    let mut scene = Scene::new(200.0, 100.0);
    let emoji = emoji_font();
    let glyph_run = run(&emoji, "Noto Color Emoji", "😀🎉", 48.0, 10.0, 70.0, Brush::Solid(Rgba::BLACK));
    scene.items.push(Item::Glyphs(glyph_run));
    let svg = write_svg(&scene, &SvgOptions::default());
    let doc = parse(&svg);
    let images: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("image")).collect();
    assert_eq!(images.len(), 2, "one bitmap per emoji");
    for image in &images {
        let href = image.attribute(("http://www.w3.org/1999/xlink", "href")).expect("href");
        assert!(href.starts_with("data:image/png;base64,iVBOR"), "embedded PNG");
    }
    // Drawn at about the font size: the strike is scaled from its ppem to 48 px per em.
    let pixmap = rasterize_svg(&svg, 200, 100);
    let coloured = pixmap.pixels().iter().filter(|p| p.alpha() > 128).count();
    assert!(coloured > 2 * 30 * 30, "emoji are drawn ({coloured} px)");
}

#[test]
fn svg_faux_bold_and_italic() {
    let mut scene = Scene::new(300.0, 80.0);
    let mut glyph_run = run(&inter(), "Inter", "Slant", 40.0, 10.0, 60.0, Brush::Solid(Rgba::BLACK));
    glyph_run.synthetic_skew = 0.25;
    glyph_run.synthetic_embolden = 0.02;
    scene.items.push(Item::Glyphs(glyph_run.clone()));
    let svg = write_svg(&scene, &SvgOptions::default());
    let doc = parse(&svg);
    let group = doc.descendants().find(|n| n.has_tag_name("g") && n.attribute("fill").is_some()).expect("run group");
    assert_eq!(group.attribute("stroke"), Some("#000000"));
    assert_eq!(group.attribute("stroke-width"), Some("1.6"));
    let first = group.children().find(|n| n.has_tag_name("use")).expect("glyph");
    assert_eq!(first.attribute("transform"), Some("matrix(1 0 -0.25 1 10 60)"));

    let live = write_svg(&scene, &SvgOptions { live_text: true, ..SvgOptions::default() });
    assert!(live.contains("font-style=\"italic\""));
    assert!(live.contains("font-weight=\"700\""));
}

#[test]
fn svg_gradient_text_is_one_path() {
    let mut scene = Scene::new(300.0, 80.0);
    let brush = Brush::Linear {
        start: Point::new(0.0, 0.0),
        end: Point::new(200.0, 0.0),
        stops: stops(Rgba::new(255, 0, 0, 255), Rgba::new(0, 0, 255, 128)),
        extend: Extend::Reflect,
        transform: Affine::IDENTITY,
    };
    scene.items.push(Item::Glyphs(run(&inter(), "Inter", "Gradient", 40.0, 10.0, 60.0, brush)));
    let svg = write_svg(&scene, &SvgOptions::default());
    let doc = parse(&svg);
    let gradient = doc.descendants().find(|n| n.has_tag_name("linearGradient")).expect("gradient");
    assert_eq!(gradient.attribute("spreadMethod"), Some("reflect"));
    assert!(svg.contains("stop-opacity=\"0.502\""));
    assert_eq!(count(&doc, "use"), 0);
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("path")).count(), 1);
}

fn rasterize_svg(svg: &str, width: u32, height: u32) -> resvg::tiny_skia::Pixmap {
    let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default()).expect("usvg parses our SVG");
    let mut pixmap = resvg::tiny_skia::Pixmap::new(width, height).expect("pixmap");
    resvg::render(&tree, resvg::tiny_skia::Transform::identity(), &mut pixmap.as_mut());
    pixmap
}

/// Mean absolute difference per channel, in 0..=255, of two straight-RGBA images.
fn mean_difference(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let sum: u64 = a.iter().zip(b).map(|(x, y)| u64::from(x.abs_diff(*y))).sum();
    sum as f64 / a.len() as f64
}

fn cpu_reference(scene: &Scene) -> RasterImage {
    render::cpu::rasterize(scene, W, H, false).expect("CPU raster")
}

fn cpu_reference_sized(scene: &Scene) -> Vec<u8> {
    render::cpu::rasterize(scene, scene.width as u32, scene.height as u32, false).expect("CPU raster").pixels
}

/// The SVG rasterised by resvg, as straight RGBA (the scenes compared have an opaque
/// background, so premultiplied and straight agree).
fn svg_pixels(scene: &Scene) -> Vec<u8> {
    let svg = write_svg(scene, &SvgOptions::default());
    let pixmap = rasterize_svg(&svg, scene.width as u32, scene.height as u32);
    pixmap.pixels().iter().flat_map(|p| [p.red(), p.green(), p.blue(), p.alpha()]).collect()
}

/// The PDF rasterised by `pdftoppm` at 96 dpi, as RGBA.
fn pdf_pixels(scene: &Scene) -> Vec<u8> {
    let pdf = write_pdf(scene).expect("PDF");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_temp(&dir, "raster.pdf", &pdf);
    let prefix = dir.path().join("page");
    poppler("pdftoppm", &["-r", "96", "-png", "-singlefile", &file, prefix.to_str().expect("utf-8")]);
    let page = image::open(dir.path().join("page.png")).expect("pdftoppm output").to_rgba8();
    assert_eq!(page.dimensions(), (scene.width as u32, scene.height as u32), "96 dpi rasterises to the design size");
    page.into_raw()
}

fn assert_close(what: &str, a: &[u8], b: &[u8]) {
    let diff = mean_difference(a, b);
    eprintln!("{what}: mean absolute difference {diff:.3}/255");
    assert!(diff <= 3.0, "{what}: the renderings differ by {diff:.3}/255 on average");
}

#[test]
fn svg_rasterises_like_the_cpu_renderer() {
    // Image opacity 1: the CPU rasteriser cannot draw images with opacity yet.
    let scene = sample_scene(true, 1.0);
    assert_close("SVG (resvg) vs CPU", &svg_pixels(&scene), &cpu_reference(&scene).pixels);
}

// ---------------------------------------------------------------------------------------------
// PDF

/// Runs a poppler tool; panics with installation advice when it is missing.
fn poppler(tool: &str, args: &[&str]) -> String {
    let output = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!(
            "could not run `{tool}` ({e}): the PDF export tests need poppler-utils \
             (`apt-get install poppler-utils`, or `brew install poppler` on macOS)"
        )
    });
    assert!(output.status.success(), "{tool} {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A `Key: value` line of `pdfinfo` output.
fn field<'a>(info: &'a str, key: &str) -> &'a str {
    info.lines()
        .find_map(|line| line.split_once(':').filter(|(k, _)| k.trim() == key).map(|(_, v)| v.trim()))
        .unwrap_or_else(|| panic!("pdfinfo has no {key:?}:\n{info}"))
}

fn write_temp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write temp file");
    path.to_str().expect("utf-8 temp path").to_owned()
}

#[test]
fn pdf_page_text_and_fonts() {
    let mut scene = sample_scene(true, 0.9);
    scene.items.push(Item::Glyphs(run(
        &emoji_font(),
        "Noto Color Emoji",
        "😀",
        24.0,
        340.0,
        290.0,
        Brush::Solid(Rgba::BLACK),
    )));
    let pdf = write_pdf(&scene).expect("PDF");
    eprintln!("sample PDF: {} bytes", pdf.len());
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_temp(&dir, "sample.pdf", &pdf);

    let info = poppler("pdfinfo", &[&file]);
    assert_eq!(field(&info, "Page size"), "300 x 225 pts", "page is 400×300 px at 0.75 pt/px");
    assert_eq!(field(&info, "Pages"), "1");
    assert_eq!(field(&info, "Title"), "CreativeFlow design");
    assert_eq!(field(&info, "Creator"), "CreativeFlow");

    let text = poppler("pdftotext", &[&file, "-"]);
    assert!(text.contains(SENTENCE), "text is extractable: {text:?}");
    assert!(text.contains('😀'), "emoji text is extractable: {text:?}");

    // name  type  encoding  emb sub uni  object ID
    let fonts = poppler("pdffonts", &[&file]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    let inter_row = rows.iter().find(|r| r.contains("Inter")).unwrap_or_else(|| panic!("Inter is listed:\n{fonts}"));
    let cols: Vec<&str> = inter_row.split_whitespace().collect();
    let name = cols[0];
    assert!(name.len() > 7 && name.as_bytes()[6] == b'+', "subset name prefix (ABCDEF+): {name}");
    let flags = &cols[cols.len() - 5..cols.len() - 2];
    assert_eq!(flags, ["yes", "yes", "yes"], "Inter is embedded, subset, with a ToUnicode map:\n{fonts}");
    for row in &rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols[cols.len() - 5], "yes", "every font is embedded:\n{fonts}");
    }
    assert!(rows.iter().any(|r| r.contains("Type 3")), "the colour emoji is a Type 3 font:\n{fonts}");
    assert_eq!(rows.iter().filter(|r| r.contains("Inter")).count(), 1, "Inter is embedded once:\n{fonts}");
}

#[test]
fn pdf_rasterises_like_the_cpu_renderer() {
    // Image opacity 1: the CPU rasteriser cannot draw images with opacity yet (vello_cpu 0.2
    // panics on an image sampler alpha); `image_opacity_agrees_between_svg_and_pdf` covers it.
    let scene = sample_scene(true, 1.0);
    assert_close("PDF (pdftoppm) vs CPU", &pdf_pixels(&scene), &cpu_reference(&scene).pixels);
}

#[test]
fn image_opacity_agrees_between_svg_and_pdf() {
    let scene = sample_scene(false, 0.6);
    assert_close("SVG vs PDF, image at 60 %", &svg_pixels(&scene), &pdf_pixels(&scene));
}

/// Faux italic and bold, gradient-filled and rotated text, and colour emoji land in the same
/// places in all three renderings.
#[test]
fn text_effects_rasterise_alike() {
    let mut scene = Scene::new(400.0, 200.0);
    scene.background = Some(Brush::Solid(Rgba::WHITE));
    let mut faux = run(&inter(), "Inter", "Faux bold italic", 30.0, 10.0, 40.0, Brush::Solid(Rgba::new(0, 0, 80, 255)));
    faux.synthetic_skew = 0.2;
    faux.synthetic_embolden = 0.02;
    faux.weight = 700;
    faux.italic = true;
    scene.items.push(Item::Glyphs(faux));
    let gradient = Brush::Linear {
        start: Point::new(10.0, 0.0),
        end: Point::new(250.0, 0.0),
        stops: stops(Rgba::new(230, 0, 0, 255), Rgba::new(0, 0, 230, 255)),
        extend: Extend::Pad,
        transform: Affine::IDENTITY,
    };
    scene.items.push(Item::Glyphs(run(&inter(), "Inter", "Gradient text", 36.0, 10.0, 90.0, gradient)));
    let mut rotated = run(&inter(), "Inter", "Rotated", 28.0, 0.0, 0.0, Brush::Solid(Rgba::new(0, 110, 0, 255)));
    rotated.transform = Affine::translate((260.0, 60.0)) * Affine::rotate(0.3);
    scene.items.push(Item::Glyphs(rotated));
    scene.items.push(Item::Glyphs(run(
        &emoji_font(),
        "Noto Color Emoji",
        "😀🎉",
        40.0,
        20.0,
        170.0,
        Brush::Solid(Rgba::BLACK),
    )));
    scene.items.push(Item::Glyphs(run(
        &font("noto-sans-cjk-jp/NotoSansCJK-Regular.ttc"),
        "Noto Sans CJK JP",
        "日本語",
        32.0,
        200.0,
        170.0,
        Brush::Solid(Rgba::BLACK),
    )));
    let (svg, pdf, cpu) = (svg_pixels(&scene), pdf_pixels(&scene), cpu_reference_sized(&scene));
    assert_close("text: SVG vs CPU", &svg, &cpu);
    assert_close("text: PDF vs CPU", &pdf, &cpu);
    assert_close("text: SVG vs PDF", &svg, &pdf);
}

#[test]
fn pdf_options_and_transparency() {
    let scene = sample_scene(false, 0.9);
    let options = PdfOptions { title: "Poster <draft> & more".into(), transparent: true };
    let pdf = write_pdf_with(&scene, &options).expect("PDF");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_temp(&dir, "options.pdf", &pdf);
    let info = poppler("pdfinfo", &[&file]);
    assert_eq!(field(&info, "Title"), "Poster <draft> & more");
    // No text, no fonts.
    let fonts = poppler("pdffonts", &[&file]);
    assert_eq!(fonts.lines().count(), 2, "{fonts}");
}

/// Right-to-left text (glyphs in visual order, clusters decreasing): the PDF extracts in
/// logical order and live SVG text keeps the logical string, spanning the run.
#[test]
fn right_to_left_text() {
    let text = "مرحبا بالعالم";
    let arabic = font("noto-sans-arabic/NotoSansArabic-Regular.ttf");
    // Unshaped (isolated forms) but in visual order, as a shaper would hand them over.
    let mut glyph_run = run(&arabic, "Noto Sans Arabic", text, 30.0, 0.0, 50.0, Brush::Solid(Rgba::BLACK));
    glyph_run.glyphs.reverse();
    let mut pen = 10.0;
    for glyph in &mut glyph_run.glyphs {
        glyph.x = pen;
        pen += glyph.advance;
    }
    let mut scene = Scene::new(300.0, 80.0);
    scene.items.push(Item::Glyphs(glyph_run));

    let svg = write_svg(&scene, &SvgOptions { live_text: true, ..SvgOptions::default() });
    let doc = parse(&svg);
    let element = doc.descendants().find(|n| n.has_tag_name("text")).expect("text");
    assert_eq!(element.text(), Some(text));
    assert_eq!(element.attribute("x"), Some("10"), "starts at the run's left edge");
    let length: f64 = element.attribute("textLength").expect("textLength").parse().expect("number");
    assert!((length - f64::from(pen - 10.0)).abs() < 0.01, "spans the run: {length} vs {}", pen - 10.0);

    let pdf = write_pdf(&scene).expect("PDF");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_temp(&dir, "rtl.pdf", &pdf);
    let extracted = poppler("pdftotext", &[&file, "-"]);
    let letters: String =
        extracted.chars().filter(|c| !c.is_control() && !('\u{202a}'..='\u{202e}').contains(c)).collect();
    assert_eq!(letters.trim(), text, "logical order: {extracted:?}");
    let fonts = poppler("pdffonts", &[&file]);
    assert!(fonts.contains("NotoSansArabic"), "{fonts}");
}

/// Odd input must neither panic nor produce broken files.
#[test]
fn odd_scenes_do_not_break_the_writers() {
    let mut scene = Scene::new(120.0, 80.0);
    let nan = Affine::new([f64::NAN, 0.0, 0.0, 1.0, 0.0, 0.0]);
    let mut bad_run = run(&inter(), "Inter", "Oops", 12.0, 5.0, 40.0, Brush::Solid(Rgba::BLACK));
    bad_run.glyphs[0].cluster = 3..99; // out of range
    bad_run.glyphs[1].cluster = std::ops::Range { start: 2, end: 1 }; // reversed
    bad_run.glyphs[2].id = 1_000_000; // no such glyph
    bad_run.glyphs[3].x = f32::NAN;
    let mut zero_size = bad_run.clone();
    zero_size.font_size = 0.0;
    let mut broken_font = bad_run.clone();
    broken_font.font = FontData::new(vec![0u8; 64].into(), 0);
    let empty_image = Arc::new(RasterImage { width: 0, height: 0, pixels: Vec::new(), opaque: true });
    let bad_style = StrokeStyle::new(f64::NAN).with_dashes(f64::NAN, [-1.0, 2.0]);
    let items = vec![
        Item::PopGroup,
        fill(BezPath::new(), Brush::Solid(Rgba::BLACK)),
        Item::Fill {
            path: rect(0.0, 0.0, 10.0, 10.0),
            transform: nan,
            brush: Brush::Solid(Rgba::BLACK),
            rule: FillRule::EvenOdd,
        },
        fill(rect(f64::NAN, 0.0, 10.0, 10.0), Brush::Solid(Rgba::BLACK)),
        fill(
            rect(0.0, 0.0, 10.0, 10.0),
            Brush::Linear {
                start: Point::new(0.0, 0.0),
                end: Point::new(0.0, 0.0),
                stops: Vec::new(),
                extend: Extend::Repeat,
                transform: Affine::scale(0.0),
            },
        ),
        fill(
            rect(0.0, 0.0, 10.0, 10.0),
            Brush::Radial {
                start_center: Point::new(0.0, 0.0),
                start_radius: f32::NAN,
                end_center: Point::new(0.0, 0.0),
                end_radius: -3.0,
                stops: vec![Stop { offset: f32::NAN, color: Rgba::WHITE }, Stop { offset: 2.0, color: Rgba::BLACK }],
                extend: Extend::Pad,
                transform: Affine::IDENTITY,
            },
        ),
        Item::Stroke {
            path: rect(0.0, 0.0, 10.0, 10.0),
            transform: Affine::IDENTITY,
            brush: Brush::Solid(Rgba::BLACK),
            style: bad_style,
        },
        Item::Image { image: empty_image, transform: Affine::IDENTITY, opacity: 1.0 },
        Item::Image { image: test_image(), transform: Affine::scale(0.0), opacity: f32::NAN },
        Item::PushGroup { opacity: f32::NAN, clip: Some(Clip { path: BezPath::new(), transform: Affine::IDENTITY }) },
        Item::Glyphs(bad_run),
        Item::Glyphs(zero_size),
        Item::Glyphs(broken_font),
        Item::PushGroup { opacity: 2.0, clip: None },
    ];
    scene.items = items;
    for live_text in [false, true] {
        let svg = write_svg(&scene, &SvgOptions { live_text, transparent: false });
        check_numbers(&parse(&svg));
    }
    let pdf = write_pdf(&scene).expect("odd scene still makes a PDF");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_temp(&dir, "odd.pdf", &pdf);
    poppler("pdfinfo", &[&file]);

    // An empty scene is a blank page; a zero-sized one is an error, not a panic.
    assert!(write_pdf(&Scene::new(10.0, 10.0)).is_ok());
    let error = write_pdf(&Scene::new(0.0, 10.0)).expect_err("zero width");
    assert!(error.to_string().contains("page size"), "{error}");
    parse(&write_svg(&Scene::new(0.0, 0.0), &SvgOptions::default()));
}

/// resvg, with the bundled fonts available for live text.
fn resvg_options() -> resvg::usvg::Options<'static> {
    let mut options = resvg::usvg::Options::default();
    let mut seen = std::collections::HashSet::new();
    for face in common::renderer().fonts().faces() {
        if seen.insert(face.data.id()) {
            options.fontdb_mut().load_font_data(face.data.data().to_vec());
        }
    }
    options
}

/// `svg` rasterised by resvg to `w`×`h`, as straight RGBA.
fn resvg_raster(svg: &str, options: &resvg::usvg::Options<'_>, scene: &Scene, w: u32, h: u32) -> RasterImage {
    let tree = resvg::usvg::Tree::from_str(svg, options).expect("usvg parses our SVG");
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w, h).expect("pixmap");
    let fit = resvg::tiny_skia::Transform::from_scale(w as f32 / scene.width as f32, h as f32 / scene.height as f32);
    resvg::render(&tree, fit, &mut pixmap.as_mut());
    RasterImage::new(w, h, pixmap.take_demultiplied()).expect("pixels")
}

/// Every golden design exports to an SVG (outlined and live text) and a PDF that rasterise
/// like the CPU renderer (resvg with the bundled fonts for the SVGs, `pdftoppm` for the PDF).
#[test]
fn golden_designs_export_faithfully() {
    let renderer = common::renderer();
    let options = resvg_options();
    let mut failures = Vec::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut svg_total, mut pdf_total) = (0, 0);
    for case in common::cases() {
        let scene = renderer.scene(&case.design, &case.assets).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        // At the design's own size (96 dpi for the PDF), where antialiasing differences weigh
        // least.
        let (w, h) = (scene.width.round() as u32, scene.height.round() as u32);
        let cpu = render::cpu::rasterize(&scene, w, h, false).expect("CPU raster");

        let svg = write_svg(&scene, &SvgOptions::default());
        check_numbers(&parse(&svg));
        let svg_raster = resvg_raster(&svg, &options, &scene, w, h);
        let live = write_svg(&scene, &SvgOptions { live_text: true, ..SvgOptions::default() });
        check_numbers(&parse(&live));
        let live_raster = resvg_raster(&live, &options, &scene, w, h);

        let pdf = write_pdf(&scene).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let file = write_temp(&dir, &format!("{}.pdf", case.name), &pdf);
        let prefix = dir.path().join(case.name);
        let out = prefix.to_str().expect("utf-8");
        poppler("pdftoppm", &["-png", "-singlefile", "-r", "96", &file, out]);
        let page = image::open(format!("{out}.png")).expect("pdftoppm output").to_rgba8();
        assert_eq!(page.dimensions(), (w, h), "{}: 96 dpi rasterises to the design size", case.name);
        let pdf_raster = RasterImage::new(w, h, page.into_raw()).expect("pixels");

        if let Some(dump) = std::env::var_os("VECTOR_DUMP") {
            let dump = PathBuf::from(dump);
            let rasters = [("cpu", &cpu), ("svg", &svg_raster), ("live", &live_raster), ("pdf", &pdf_raster)];
            for (kind, raster) in rasters {
                std::fs::write(dump.join(format!("{}.{kind}.png", case.name)), common::write_png(raster))
                    .expect("dump");
            }
            std::fs::write(dump.join(format!("{}.svg", case.name)), &svg).expect("dump");
            std::fs::write(dump.join(format!("{}.live.svg", case.name)), &live).expect("dump");
            std::fs::write(dump.join(format!("{}.pdf", case.name)), &pdf).expect("dump");
        }
        let diffs = [
            ("SVG", common::diff(&svg_raster, &cpu)),
            ("live SVG", common::diff(&live_raster, &cpu)),
            ("PDF", common::diff(&pdf_raster, &cpu)),
        ];
        eprintln!(
            "{:<28} SVG {:>7} B, mean {:.2} | live mean {:.2} | PDF {:>7} B, mean {:.2}",
            case.name,
            svg.len(),
            diffs[0].1.mean,
            diffs[1].1.mean,
            pdf.len(),
            diffs[2].1.mean
        );
        svg_total += svg.len();
        pdf_total += pdf.len();
        for (format, d) in diffs {
            if d.mean > 3.0 {
                failures.push(format!("{}: {format} differs from the CPU raster: {d:?}", case.name));
            }
        }
    }
    eprintln!("total: SVG {svg_total} B, PDF {pdf_total} B");
    assert!(failures.is_empty(), "vector exports differ:\n{}", failures.join("\n"));
}
