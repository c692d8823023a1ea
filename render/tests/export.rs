//! Raster exports end to end through `Renderer::export`: formats, sizes, transparency, the
//! watermark, thumbnails, and bad input that must give a clear error or a warning, never a
//! panic.

#![expect(clippy::unwrap_used, reason = "test helpers that fail must fail loudly")]

mod common;

use editor_core::{
    Color, Design, Fit, Format, ImageContent, Layer, LayerContent, LayerId, Paint, Rect, Shape, ShapeContent,
    TextContent,
};
use render::scene::RasterImage;
use render::{ExportFormat, ExportOptions, MemoryAssets, OutputSize, RenderError, RenderWarning};

fn simple() -> Design {
    let mut d = Design::new("Simple", Format::custom(800, 400).unwrap());
    d.background = Paint::solid(Color::rgb(30, 64, 175));
    d.layers.push(Layer::rect(LayerId::generate(), Rect::new(100.0, 100.0, 200.0, 200.0), Color::rgb(250, 204, 21)));
    d.layers.push(Layer::text(LayerId::generate(), "Hello", Rect::new(400.0, 100.0, 350.0, 200.0)));
    d
}

fn decode(bytes: &[u8]) -> RasterImage {
    common::read_png(bytes)
}

fn export(design: &Design, assets: &MemoryAssets, options: ExportOptions) -> Result<render::Exported, RenderError> {
    common::renderer().export(design, assets, &options)
}

#[test]
fn every_raster_format_decodes_at_the_requested_size() {
    let assets = MemoryAssets::new();
    let d = simple();
    for (format, mime) in [
        (ExportFormat::Png, "image/png"),
        (ExportFormat::Jpeg { quality: 85 }, "image/jpeg"),
        (ExportFormat::Webp, "image/webp"),
    ] {
        let out =
            export(&d, &assets, ExportOptions { size: OutputSize::Width(1600), ..ExportOptions::new(format) }).unwrap();
        assert_eq!(out.mime, mime);
        assert_eq!((out.width, out.height), (1600, 800));
        let img = decode(&out.bytes);
        assert_eq!((img.width, img.height), (1600, 800), "{mime}");
        // The yellow square is at 200..600 × 200..600 in output pixels.
        let i = ((400 * 1600 + 400) * 4) as usize;
        let px = &img.pixels[i..i + 3];
        assert!(px[0] > 230 && px[1] > 190 && px[2] < 60, "{mime}: {px:?}");
    }
}

#[test]
fn sizes_resolve_from_the_short_or_long_side() {
    assert_eq!(OutputSize::ShortSide(2160).resolve(1080, 1920), (2160, 3840));
    assert_eq!(OutputSize::LongSide(512).resolve(1920, 1080), (512, 288));
    assert_eq!(OutputSize::Design.resolve(1080, 1350), (1080, 1350));
    assert_eq!(OutputSize::Width(3840).resolve(1920, 1080), (3840, 2160));
}

#[test]
fn jpeg_quality_changes_the_file() {
    let assets = MemoryAssets::new();
    let d = simple();
    let low = export(&d, &assets, ExportOptions::new(ExportFormat::Jpeg { quality: 10 })).unwrap();
    let high = export(&d, &assets, ExportOptions::new(ExportFormat::Jpeg { quality: 100 })).unwrap();
    assert!(low.bytes.len() < high.bytes.len(), "{} vs {}", low.bytes.len(), high.bytes.len());
}

#[test]
fn transparent_background_leaves_alpha_zero_outside_layers() {
    let assets = MemoryAssets::new();
    let d = simple();
    for format in [ExportFormat::Png, ExportFormat::Webp] {
        let out = export(&d, &assets, ExportOptions { transparent: true, ..ExportOptions::new(format) }).unwrap();
        let img = decode(&out.bytes);
        assert_eq!(img.pixels[3], 0, "corner is transparent");
        let i = ((200 * 800 + 200) * 4) as usize;
        assert_eq!(img.pixels[i + 3], 255, "the square is opaque");
    }
    // JPEG has no alpha: transparency becomes the background as drawn (opaque).
    let jpeg = export(
        &d,
        &assets,
        ExportOptions { transparent: true, ..ExportOptions::new(ExportFormat::Jpeg { quality: 90 }) },
    )
    .unwrap();
    let img = decode(&jpeg.bytes);
    assert!(img.pixels[2] > 150, "blue background kept in JPEG: {:?}", &img.pixels[..4]);
}

#[test]
fn watermark_marks_the_bottom_right_corner_only() {
    let assets = MemoryAssets::new();
    let d = simple();
    let plain = decode(&export(&d, &assets, ExportOptions::new(ExportFormat::Png)).unwrap().bytes);
    let marked = decode(
        &export(&d, &assets, ExportOptions { watermark: true, ..ExportOptions::new(ExportFormat::Png) }).unwrap().bytes,
    );
    let diff_in = |x0: u32, y0: u32, x1: u32, y1: u32| {
        let mut n = 0;
        for y in y0..y1 {
            for x in x0..x1 {
                let i = ((y * 800 + x) * 4) as usize;
                if plain.pixels[i..i + 3] != marked.pixels[i..i + 3] {
                    n += 1;
                }
            }
        }
        n
    };
    assert!(diff_in(500, 300, 800, 400) > 1000, "the mark is drawn bottom right");
    assert_eq!(diff_in(0, 0, 400, 300), 0, "nothing else changes");
    // Vector exports carry it too.
    let svg = export(
        &d,
        &assets,
        ExportOptions { watermark: true, ..ExportOptions::new(ExportFormat::Svg { live_text: true }) },
    )
    .unwrap();
    assert!(String::from_utf8(svg.bytes).unwrap().contains("CreativeFlow"));
}

#[test]
fn thumbnails_are_512_on_the_long_side() {
    let assets = MemoryAssets::new();
    for (w, h, expect) in [(1080, 1920, (288, 512)), (1920, 1080, (512, 288)), (1080, 1080, (512, 512))] {
        let mut d = simple();
        d.format = Format::custom(w, h).unwrap();
        let thumb = common::renderer().thumbnail(&d, &assets).unwrap();
        let img = decode(&thumb.bytes);
        assert_eq!((img.width, img.height), expect);
    }
}

#[test]
fn the_long_side_may_reach_8192_but_not_pass_it() {
    let assets = MemoryAssets::new();
    let mut d = Design::new("Banner", Format::custom(2048, 256).unwrap());
    d.layers.push(Layer::rect(LayerId::generate(), Rect::new(0.0, 0.0, 1024.0, 256.0), Color::rgb(255, 0, 0)));
    let ok = export(
        &d,
        &assets,
        ExportOptions { size: OutputSize::LongSide(8192), ..ExportOptions::new(ExportFormat::Png) },
    )
    .unwrap();
    assert_eq!((ok.width, ok.height), (8192, 1024));
    let err = export(
        &d,
        &assets,
        ExportOptions { size: OutputSize::LongSide(8193), ..ExportOptions::new(ExportFormat::Png) },
    )
    .unwrap_err();
    assert!(err.to_string().contains("8192"), "{err}");
    let err =
        export(&d, &assets, ExportOptions { size: OutputSize::Width(0), ..ExportOptions::new(ExportFormat::Png) });
    // Width 0 resolves to the 1 px minimum: a valid, tiny image.
    assert_eq!(err.unwrap().width, 1);
}

#[test]
fn invalid_designs_are_refused_with_the_reason() {
    let assets = MemoryAssets::new();
    let mut d = simple();
    d.layers[0].x = f64::NAN;
    let err = export(&d, &assets, ExportOptions::new(ExportFormat::Png)).unwrap_err();
    assert!(matches!(err, RenderError::InvalidDesign(_)), "{err}");
    let mut d = simple();
    d.layers[0].w = -5.0;
    assert!(export(&d, &assets, ExportOptions::new(ExportFormat::Pdf)).is_err());
}

/// A PNG whose header claims `w`×`h` (valid CRCs), with no image data.
fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 6, 0, 0, 0]);
    // An empty IDAT (the header parser stops at the first one) and the end marker.
    for chunk in [ihdr, b"IDAT".to_vec(), b"IEND".to_vec()] {
        out.extend(u32::try_from(chunk.len() - 4).unwrap().to_be_bytes());
        out.extend(&chunk);
        out.extend(crc32(&chunk).to_be_bytes());
    }
    out
}

fn image_design(assets: &mut MemoryAssets, bytes: Vec<u8>) -> Design {
    let asset = assets.insert(bytes);
    let mut d = Design::new("Image", Format::custom(400, 400).unwrap());
    d.layers.push(Layer::new(
        LayerId::generate(),
        LayerContent::Image(ImageContent { asset, crop: None, fit: Fit::Cover, filters: Default::default() }),
        Rect::new(0.0, 0.0, 400.0, 400.0),
    ));
    d
}

#[test]
fn huge_images_fail_with_a_clear_error_before_decoding() {
    for (w, h) in [(20_000, 10), (9_000, 9_000)] {
        let mut assets = MemoryAssets::new();
        let d = image_design(&mut assets, png_header_only(w, h));
        let err = match export(&d, &assets, ExportOptions::new(ExportFormat::Png)) {
            Ok(out) => panic!("a {w}×{h} image exported ({:?})", out.warnings),
            Err(e) => e,
        };
        assert!(matches!(err, RenderError::ImageTooLarge { .. }), "{err}");
        assert!(err.to_string().contains(&format!("{w}×{h}")), "{err}");
    }
}

#[test]
fn broken_images_draw_a_placeholder_and_say_so() {
    for bytes in [b"definitely not an image".to_vec(), png_header_only(100, 100), Vec::new()] {
        let mut assets = MemoryAssets::new();
        let d = image_design(&mut assets, bytes);
        let out = export(&d, &assets, ExportOptions::new(ExportFormat::Png)).unwrap();
        assert!(out.warnings.iter().any(|w| matches!(w, RenderWarning::BadAsset { .. })), "{:?}", out.warnings);
    }
}

#[test]
fn extreme_but_valid_values_render_without_panicking() {
    let assets = MemoryAssets::new();
    let mut d = Design::new("Extreme", Format::custom(300, 300).unwrap());
    let big = 999_999.0;
    let mut l = Layer::rect(LayerId::generate(), Rect::new(-big, -big, big, big), Color::rgb(1, 2, 3));
    l.rotation = 359_999.0;
    d.layers.push(l);
    let mut huge_text = TextContent::new(&"W".repeat(5000));
    huge_text.font_size = 4096.0;
    huge_text.letter_spacing = 10.0;
    huge_text.auto_fit = true;
    d.layers.push(Layer::new(LayerId::generate(), LayerContent::Text(huge_text), Rect::new(0.0, 0.0, 1.0, 1.0)));
    d.layers.push(Layer::new(
        LayerId::generate(),
        LayerContent::Shape(ShapeContent {
            shape: Shape::Path { d: "M 0 0 L 1e300 1e300 Z".into() },
            fill: Some(Paint::solid(Color::BLACK)),
            stroke: None,
        }),
        Rect::new(0.0, 0.0, 10.0, 10.0),
    ));
    d.layers.push(Layer::new(
        LayerId::generate(),
        LayerContent::Shape(ShapeContent { shape: Shape::Path { d: "M 0 0 Q".into() }, fill: None, stroke: None }),
        Rect::new(0.0, 0.0, 10.0, 10.0),
    ));
    for format in [ExportFormat::Png, ExportFormat::Svg { live_text: false }, ExportFormat::Pdf] {
        let out = export(&d, &assets, ExportOptions::new(format)).unwrap();
        assert!(!out.bytes.is_empty());
    }
}
