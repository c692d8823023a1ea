//! Export benchmark (`cargo xtask bench`, or `cargo bench -p render --bench export`).
//!
//! A 1920×1080 design of 200 layers (text, photos, shapes with gradients and strokes) exported
//! as a 3840×2160 PNG: scene build, raster and PNG encode times and the process's peak memory;
//! the same design's SVG export rendered by resvg (tiny-skia) at the same size for comparison;
//! and a 512 px thumbnail. Prints the median of several runs. Goals (issue 3): 4K total
//! ≤ 250 ms on 2 cores, ≥ 3× faster than resvg, thumbnail ≤ 15 ms.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark with a broken setup must fail loudly")]

use std::io::Cursor;
use std::sync::Arc;
use std::time::{Duration, Instant};

use editor_core::{
    Color, Design, Filters, Fit, Format, GradientStop, ImageContent, Layer, LayerContent, LayerId, Paint, Point, Rect,
    Shape, ShapeContent, Stroke, TextAlign, TextContent,
};
use render::{ExportFormat, ExportOptions, FontLibrary, MemoryAssets, OutputSize, Renderer, cpu, encode};

fn photo(w: u32, h: u32, seed: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, y| {
        let v = (x.wrapping_mul(7 + seed) ^ y.wrapping_mul(13 + seed)) % 255;
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        image::Rgba([(fx * 255.0) as u8, (fy * 200.0) as u8 ^ (v as u8 / 8), (128 + seed * 40 % 127) as u8, 255])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(img).write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg).unwrap();
    out
}

/// 200 layers: 40 photos, 60 text layers, 100 shapes.
fn design(assets: &mut MemoryAssets) -> Design {
    let photos: Vec<_> = (0..4).map(|i| assets.insert(photo(1200, 800, i))).collect();
    let mut d = Design::new("bench", Format::custom(1920, 1080).unwrap());
    d.background = Paint::LinearGradient {
        start: Point { x: 0.0, y: 0.0 },
        end: Point { x: 1.0, y: 1.0 },
        stops: vec![
            GradientStop { offset: 0.0, color: Color::rgb(240, 249, 255) },
            GradientStop { offset: 1.0, color: Color::rgb(224, 231, 255) },
        ],
    };
    for i in 0..200u32 {
        let (col, row) = (i % 20, i / 20);
        let bounds = Rect::new(f64::from(col) * 95.0 + 5.0, f64::from(row) * 107.0 + 5.0, 120.0, 90.0);
        let content = match i % 5 {
            0 => LayerContent::Image(ImageContent {
                asset: photos[(i as usize / 5) % 4].clone(),
                crop: None,
                fit: Fit::Cover,
                filters: Filters::default(),
            }),
            1 | 3 => {
                let mut t = TextContent::new(
                    ["Summer sale", "New arrivals 2026", "Shop now →", "Free shipping"][i as usize % 4],
                );
                t.font_size = 18.0 + f64::from(i % 7) * 3.0;
                t.font_weight = [400, 700, 800][i as usize % 3];
                t.font_family = ["Inter", "Lato", "EB Garamond", "Bebas Neue"][i as usize % 4].into();
                t.align = TextAlign::Center;
                LayerContent::Text(t)
            }
            2 => LayerContent::Shape(ShapeContent {
                shape: Shape::Rect { corner_radii: [12.0; 4] },
                fill: Some(Paint::LinearGradient {
                    start: Point { x: 0.0, y: 0.0 },
                    end: Point { x: 1.0, y: 0.0 },
                    stops: vec![
                        GradientStop { offset: 0.0, color: Color::rgba(244, 63, 94, 200) },
                        GradientStop { offset: 1.0, color: Color::rgba(245, 158, 11, 200) },
                    ],
                }),
                stroke: Some(Stroke { paint: Paint::solid(Color::rgb(17, 24, 39)), width: 3.0, dash: Vec::new() }),
            }),
            _ => LayerContent::Shape(ShapeContent {
                shape: if i % 2 == 0 { Shape::Ellipse } else { Shape::Star { points: 5, inner_ratio: 0.5 } },
                fill: Some(Paint::solid(Color::rgba(59, 130, 246, 180))),
                stroke: None,
            }),
        };
        let mut layer = Layer::new(LayerId::generate(), content, bounds);
        layer.rotation = f64::from(i % 9) * 5.0 - 20.0;
        d.layers.push(layer);
    }
    d
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut out = f();
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        out = f();
        times.push(t.elapsed());
    }
    (median(times), out)
}

/// Peak resident memory of this process (VmHWM), in MiB.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn reset_peak_rss() {
    // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let fonts = Arc::new(FontLibrary::bundled().expect("bundled fonts"));
    let renderer = Renderer::new(fonts);
    let mut assets = MemoryAssets::new();
    let design = design(&mut assets);
    let runs = 7;
    let (w, h) = (3840, 2160);

    let rss_before = peak_rss_mib();
    reset_peak_rss();
    let (scene_t, scene) = time(runs, || renderer.scene(&design, &assets).unwrap());
    let (raster_t, image) = time(runs, || cpu::rasterize(&scene, w, h, false).unwrap());
    let (encode_t, png) = time(runs, || encode::png(&image).unwrap());
    let options = ExportOptions { size: OutputSize::Width(w), ..ExportOptions::new(ExportFormat::Png) };
    let (total_t, _) = time(runs, || renderer.export(&design, &assets, &options).unwrap());
    let peak = peak_rss_mib();
    drop(image);

    let svg = renderer
        .export(&design, &assets, &ExportOptions::new(ExportFormat::Svg { live_text: false }))
        .expect("svg export")
        .bytes;
    let (parse_t, tree) = time(3, || resvg::usvg::Tree::from_data(&svg, &resvg::usvg::Options::default()).unwrap());
    let scale = f64::from(w) / 1920.0;
    let (resvg_t, _) = time(3, || {
        let mut pixmap = resvg::tiny_skia::Pixmap::new(w, h).unwrap();
        resvg::render(&tree, resvg::tiny_skia::Transform::from_scale(scale as f32, scale as f32), &mut pixmap.as_mut());
        pixmap
    });

    let (thumb_t, thumb) = time(runs * 3, || renderer.thumbnail(&design, &assets).unwrap());
    let (thumb_raster_t, _) = time(runs * 3, || {
        let (tw, th) = OutputSize::LongSide(512).resolve(1920, 1080);
        cpu::rasterize(&scene, tw, th, false).unwrap()
    });

    if let Some(dir) = std::env::var_os("BENCH_DUMP") {
        // For looking at what was measured.
        std::fs::write(std::path::Path::new(&dir).join("bench-4k.png"), &png).unwrap();
        std::fs::write(std::path::Path::new(&dir).join("bench-thumbnail.png"), &thumb.bytes).unwrap();
    }
    println!("render export benchmark: 200-layer 1920×1080 design → 3840×2160, median of {runs} runs");
    println!("  threads available           {}", std::thread::available_parallelism().map_or(1, |n| n.get()));
    println!("  scene build (design→scene)  {:8.1} ms", ms(scene_t));
    println!("  raster (vello_cpu)          {:8.1} ms", ms(raster_t));
    println!("  PNG encode                  {:8.1} ms  ({:.1} MiB)", ms(encode_t), png.len() as f64 / 1048576.0);
    println!("  export total (scene+raster+encode) {:8.1} ms   goal ≤ 250 ms", ms(total_t));
    println!("  peak RSS during 4K export   {peak:8.1} MiB (process before: {rss_before:.1} MiB)");
    println!("  resvg: usvg parse of our SVG export {:8.1} ms, render {:8.1} ms", ms(parse_t), ms(resvg_t));
    println!("  raster speed-up vs resvg    {:8.2}×   goal ≥ 3×", resvg_t.as_secs_f64() / raster_t.as_secs_f64());
    println!(
        "  thumbnail 512 px PNG        {:8.1} ms (raster only {:.1} ms, {} KiB)   goal ≤ 15 ms",
        ms(thumb_t),
        ms(thumb_raster_t),
        thumb.bytes.len() / 1024
    );
}
