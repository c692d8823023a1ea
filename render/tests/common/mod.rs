//! Shared by the golden, GPU and vector-export tests: the golden design set, test assets made
//! deterministically in code, one shared renderer, and image comparison.

#![allow(dead_code, reason = "each test binary uses a different part of this module")]
#![expect(clippy::expect_used, reason = "test setup that fails must fail loudly")]

use std::io::Cursor;
use std::sync::{Arc, OnceLock};

use editor_core::{
    Color, Crop, Design, Filters, Fit, Format, FormatPreset, GradientStop, ImageContent, Layer, LayerContent, LayerId,
    Paint, Point, Rect, Shape, ShapeContent, Stroke, SvgContent, TextAlign, TextContent, TextSpan, TextStyle,
    VerticalAlign,
};
use render::scene::RasterImage;
use render::{FontLibrary, MemoryAssets, Renderer};

/// One renderer (fonts load once per test binary).
pub fn renderer() -> &'static Renderer {
    static R: OnceLock<Renderer> = OnceLock::new();
    R.get_or_init(|| Renderer::new(Arc::new(FontLibrary::bundled().expect("bundled fonts load"))))
}

/// A golden case: a design and the assets it uses.
pub struct Case {
    /// File stem of the reference image.
    pub name: &'static str,
    /// The design.
    pub design: Design,
    /// Its assets.
    pub assets: MemoryAssets,
}

/// Long side of golden renders.
pub const GOLDEN_SIDE: u32 = 480;

fn id() -> LayerId {
    LayerId::generate()
}

fn hex(h: &str) -> Color {
    Color::from_hex(h).expect("test colour")
}

fn square() -> Format {
    Format::custom(1080, 1080).expect("format")
}

fn shape(shape: Shape, bounds: Rect, fill: Option<Paint>, stroke: Option<Stroke>) -> Layer {
    Layer::new(id(), LayerContent::Shape(ShapeContent { shape, fill, stroke }), bounds)
}

fn solid(h: &str) -> Option<Paint> {
    Some(Paint::solid(hex(h)))
}

fn stroke(h: &str, width: f64) -> Option<Stroke> {
    Some(Stroke { paint: Paint::solid(hex(h)), width, dash: Vec::new() })
}

fn linear(sx: f64, sy: f64, ex: f64, ey: f64, stops: &[(f64, &str)]) -> Paint {
    Paint::LinearGradient {
        start: Point { x: sx, y: sy },
        end: Point { x: ex, y: ey },
        stops: stops.iter().map(|(o, c)| GradientStop { offset: *o, color: hex(c) }).collect(),
    }
}

fn radial(cx: f64, cy: f64, r: f64, stops: &[(f64, &str)]) -> Paint {
    Paint::RadialGradient {
        center: Point { x: cx, y: cy },
        radius: r,
        stops: stops.iter().map(|(o, c)| GradientStop { offset: *o, color: hex(c) }).collect(),
    }
}

fn text(s: &str, bounds: Rect, size: f64, family: &str, weight: u16, color: &str) -> Layer {
    let mut content = TextContent::new(s);
    content.font_size = size;
    content.font_family = family.into();
    content.font_weight = weight;
    content.color = hex(color);
    Layer::new(id(), LayerContent::Text(content), bounds)
}

fn with_text(mut layer: Layer, f: impl FnOnce(&mut TextContent)) -> Layer {
    if let LayerContent::Text(t) = &mut layer.content {
        f(t);
    }
    layer
}

fn r(x: f64, y: f64, w: f64, h: f64) -> Rect {
    Rect::new(x, y, w, h)
}

fn design(name: &str, format: Format, background: Paint, layers: Vec<Layer>) -> Design {
    let mut d = Design::new(name, format);
    d.background = background;
    d.layers = layers;
    d
}

/// A deterministic "photo": sky gradient, sun, hills and a checker strip, as PNG bytes.
pub fn photo_png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (f64::from(x) / f64::from(w), f64::from(y) / f64::from(h));
        let (sx, sy) = (fx - 0.7, fy - 0.3);
        let hill = 0.65 + 0.1 * (fx * 9.0).sin();
        let px = if fy > 0.9 {
            if ((x / 16) + (y / 16)) % 2 == 0 { [30, 30, 30] } else { [235, 235, 235] }
        } else if fy > hill {
            [(40.0 + 60.0 * fx) as u8, (120.0 + 50.0 * fy) as u8, 60]
        } else if sx * sx + sy * sy < 0.012 {
            [255, 210, 80]
        } else {
            [(90.0 + 100.0 * fy) as u8, (150.0 + 60.0 * fy) as u8, 235]
        };
        image::Rgba([px[0], px[1], px[2], 255])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(img).write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).expect("png");
    out
}

/// A small transparent PNG: a soft-edged badge.
pub fn badge_png(size: u32) -> Vec<u8> {
    let c = f64::from(size) / 2.0;
    let img = image::RgbaImage::from_fn(size, size, |x, y| {
        let d = ((f64::from(x) + 0.5 - c).powi(2) + (f64::from(y) + 0.5 - c).powi(2)).sqrt() / c;
        let a = ((1.0 - d) * 4.0).clamp(0.0, 1.0);
        image::Rgba([220, 38, 38, (a * 255.0) as u8])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(img).write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).expect("png");
    out
}

/// A benign logo SVG with a gradient, a clip and a path.
pub const LOGO_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 120" width="200" height="120">
  <defs>
    <linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#7c3aed"/><stop offset="1" stop-color="#06b6d4"/>
    </linearGradient>
    <clipPath id="c"><circle cx="60" cy="60" r="50"/></clipPath>
  </defs>
  <rect x="10" y="10" width="100" height="100" fill="url(#g)" clip-path="url(#c)"/>
  <path d="M130 20 L190 60 L130 100 Z" fill="#f59e0b" stroke="#111827" stroke-width="6" stroke-linejoin="round"/>
  <g opacity="0.6"><rect x="120" y="50" width="70" height="20" rx="10" fill="#111827"/></g>
</svg>"##;

fn image_layer(asset: &editor_core::AssetId, bounds: Rect, fit: Fit, crop: Option<Crop>, filters: Filters) -> Layer {
    Layer::new(id(), LayerContent::Image(ImageContent { asset: asset.clone(), crop, fit, filters }), bounds)
}

/// Every golden case.
pub fn cases() -> Vec<Case> {
    let mut assets = MemoryAssets::new();
    let photo = assets.insert(photo_png(640, 427));
    let badge = assets.insert(badge_png(96));
    let logo = assets.insert(LOGO_SVG.as_bytes().to_vec());
    let white = Paint::solid(Color::WHITE);
    let mut out = Vec::new();
    let mut add = |name: &'static str, design: Design| out.push(Case { name, design, assets: assets.clone() });

    add(
        "shapes_basic",
        design(
            "Shapes",
            square(),
            white.clone(),
            vec![
                shape(Shape::Rect { corner_radii: [0.0; 4] }, r(60.0, 60.0, 280.0, 200.0), solid("#ef4444"), None),
                shape(
                    Shape::Rect { corner_radii: [80.0, 10.0, 40.0, 0.0] },
                    r(400.0, 60.0, 280.0, 200.0),
                    solid("#3b82f6"),
                    None,
                ),
                shape(Shape::Ellipse, r(740.0, 60.0, 280.0, 200.0), solid("#10b981"), None),
                shape(Shape::Polygon { sides: 6 }, r(60.0, 360.0, 280.0, 280.0), solid("#f59e0b"), None),
                shape(
                    Shape::Star { points: 5, inner_ratio: 0.45 },
                    r(400.0, 360.0, 280.0, 280.0),
                    solid("#8b5cf6"),
                    None,
                ),
                shape(Shape::Polygon { sides: 3 }, r(740.0, 360.0, 280.0, 280.0), solid("#ec4899"), None),
                shape(Shape::Line, r(60.0, 760.0, 960.0, 200.0), None, stroke("#111827", 14.0)),
            ],
        ),
    );
    add(
        "paths",
        design(
            "Paths",
            square(),
            Paint::solid(hex("#fef3c7")),
            vec![
                shape(
                    Shape::Path {
                        d: "M200 360 C200 200 0 200 0 120 C0 40 100 0 200 100 C300 0 400 40 400 120 C400 200 200 200 \
                            200 360 Z"
                            .into(),
                    },
                    r(80.0, 80.0, 400.0, 360.0),
                    solid("#e11d48"),
                    stroke("#881337", 10.0),
                ),
                shape(
                    Shape::Path { d: "M0 100 Q100 0 200 100 T400 100 L400 200 L0 200 Z".into() },
                    r(560.0, 160.0, 400.0, 200.0),
                    solid("#0ea5e9"),
                    None,
                ),
                shape(
                    Shape::Path { d: "M0 0 L300 0 L300 300 L0 300 Z M75 75 L75 225 L225 225 L225 75 Z".into() },
                    r(380.0, 620.0, 300.0, 300.0),
                    solid("#14b8a6"),
                    stroke("#134e4a", 6.0),
                ),
            ],
        ),
    );
    add(
        "gradients_linear",
        design(
            "Linear",
            square(),
            white.clone(),
            vec![
                shape(
                    Shape::Rect { corner_radii: [24.0; 4] },
                    r(60.0, 60.0, 960.0, 280.0),
                    Some(linear(0.0, 0.0, 1.0, 0.0, &[(0.0, "#f43f5e"), (0.5, "#f59e0b"), (1.0, "#84cc16")])),
                    None,
                ),
                shape(
                    Shape::Ellipse,
                    r(60.0, 400.0, 440.0, 560.0),
                    Some(linear(0.0, 0.0, 1.0, 1.0, &[(0.0, "#1e3a8a"), (1.0, "#93c5fd")])),
                    None,
                ),
                shape(
                    Shape::Star { points: 8, inner_ratio: 0.6 },
                    r(560.0, 400.0, 460.0, 560.0),
                    Some(linear(0.5, 0.0, 0.5, 1.0, &[(0.0, "#fde047"), (0.3, "#fb923c"), (1.0, "#7f1d1d80")])),
                    None,
                ),
            ],
        ),
    );
    add(
        "gradients_radial_background",
        design(
            "Radial",
            Format::custom(1200, 800).expect("format"),
            linear(0.0, 0.0, 1.0, 1.0, &[(0.0, "#0f172a"), (1.0, "#334155")]),
            vec![
                shape(
                    Shape::Ellipse,
                    r(100.0, 100.0, 500.0, 500.0),
                    Some(radial(0.5, 0.5, 0.5, &[(0.0, "#fef08a"), (0.6, "#f97316"), (1.0, "#f9731600")])),
                    None,
                ),
                shape(
                    Shape::Rect { corner_radii: [40.0; 4] },
                    r(650.0, 150.0, 450.0, 500.0),
                    Some(radial(0.3, 0.3, 0.9, &[(0.0, "#a5f3fc"), (1.0, "#0e7490")])),
                    None,
                ),
            ],
        ),
    );
    add(
        "strokes_dashes",
        design(
            "Strokes",
            square(),
            white.clone(),
            vec![
                shape(
                    Shape::Rect { corner_radii: [30.0; 4] },
                    r(80.0, 80.0, 400.0, 300.0),
                    None,
                    Some(Stroke { paint: Paint::solid(hex("#2563eb")), width: 12.0, dash: vec![40.0, 20.0] }),
                ),
                shape(
                    Shape::Ellipse,
                    r(580.0, 80.0, 400.0, 300.0),
                    solid("#dbeafe"),
                    Some(Stroke {
                        paint: linear(0.0, 0.0, 1.0, 0.0, &[(0.0, "#db2777"), (1.0, "#7c3aed")]),
                        width: 24.0,
                        dash: Vec::new(),
                    }),
                ),
                shape(
                    Shape::Line,
                    r(80.0, 480.0, 900.0, 0.0),
                    None,
                    Some(Stroke { paint: Paint::solid(hex("#111827")), width: 6.0, dash: vec![4.0, 12.0] }),
                ),
                shape(
                    Shape::Star { points: 6, inner_ratio: 0.5 },
                    r(340.0, 560.0, 400.0, 400.0),
                    None,
                    stroke("#16a34a", 3.0),
                ),
            ],
        ),
    );
    let mut faded = shape(Shape::Ellipse, r(300.0, 300.0, 480.0, 480.0), solid("#22c55e"), stroke("#14532d", 60.0));
    faded.opacity = 0.5;
    let mut faint =
        shape(Shape::Rect { corner_radii: [0.0; 4] }, r(540.0, 100.0, 440.0, 440.0), solid("#3b82f6"), None);
    faint.opacity = 0.3;
    add(
        "opacity",
        design(
            "Opacity",
            square(),
            white.clone(),
            vec![
                shape(Shape::Rect { corner_radii: [0.0; 4] }, r(100.0, 100.0, 500.0, 500.0), solid("#ef4444"), None),
                faded,
                faint,
                shape(
                    Shape::Rect { corner_radii: [0.0; 4] },
                    r(100.0, 800.0, 880.0, 150.0),
                    Some(Paint::solid(hex("#0000ff80"))),
                    None,
                ),
            ],
        ),
    );
    let rotated: Vec<Layer> = [15.0, 45.0, 90.0, -30.0]
        .iter()
        .enumerate()
        .map(|(i, deg)| {
            let mut l = shape(
                Shape::Rect { corner_radii: [16.0; 4] },
                r(100.0 + 240.0 * i as f64, 200.0, 180.0, 300.0),
                solid(["#f97316", "#06b6d4", "#a855f7", "#84cc16"][i]),
                stroke("#111827", 4.0),
            );
            l.rotation = *deg;
            l
        })
        .collect();
    let mut rotated_text = text("Rotated headline", r(140.0, 700.0, 800.0, 140.0), 96.0, "Inter", 800, "#111827");
    rotated_text.rotation = -8.0;
    let mut rot_layers = rotated;
    rot_layers.push(rotated_text);
    add("rotation", design("Rotation", square(), white.clone(), rot_layers));

    let g1 = Layer::group(id(), r(200.0, 200.0, 680.0, 680.0));
    let mut g1 = g1;
    g1.rotation = 20.0;
    g1.opacity = 0.8;
    let mut child_a =
        shape(Shape::Rect { corner_radii: [0.0; 4] }, r(200.0, 200.0, 400.0, 400.0), solid("#0ea5e9"), None);
    child_a.parent = Some(g1.id.clone());
    let mut child_b = shape(Shape::Ellipse, r(480.0, 480.0, 400.0, 400.0), solid("#f43f5e"), None);
    child_b.parent = Some(g1.id.clone());
    let mut g2 = Layer::group(id(), r(420.0, 420.0, 240.0, 240.0));
    g2.parent = Some(g1.id.clone());
    g2.rotation = 45.0;
    let mut child_c =
        shape(Shape::Rect { corner_radii: [0.0; 4] }, r(420.0, 420.0, 240.0, 240.0), solid("#facc15"), None);
    child_c.parent = Some(g2.id.clone());
    let mut hidden = shape(Shape::Ellipse, r(0.0, 0.0, 1080.0, 1080.0), solid("#000000"), None);
    hidden.hidden = true;
    add(
        "groups_nested",
        design("Groups", square(), Paint::solid(hex("#f1f5f9")), vec![g1, child_a, child_b, g2, child_c, hidden]),
    );

    let none = Filters::default();
    add(
        "image_cover",
        design(
            "Cover",
            square(),
            white.clone(),
            vec![
                image_layer(&photo, r(60.0, 60.0, 440.0, 960.0), Fit::Cover, None, none),
                image_layer(&photo, r(580.0, 60.0, 440.0, 440.0), Fit::Cover, None, none),
            ],
        ),
    );
    add(
        "image_contain_fill",
        design(
            "Contain and fill",
            square(),
            Paint::solid(hex("#e2e8f0")),
            vec![
                image_layer(&photo, r(60.0, 60.0, 440.0, 960.0), Fit::Contain, None, none),
                image_layer(&photo, r(580.0, 60.0, 440.0, 960.0), Fit::Fill, None, none),
            ],
        ),
    );
    let mut rotated_photo = image_layer(
        &photo,
        r(300.0, 560.0, 480.0, 360.0),
        Fit::Cover,
        Some(Crop { x: 0.5, y: 0.1, w: 0.4, h: 0.5 }),
        none,
    );
    rotated_photo.rotation = 12.0;
    rotated_photo.opacity = 0.85;
    add(
        "image_crop_rotate",
        design(
            "Crop",
            square(),
            white.clone(),
            vec![
                image_layer(
                    &photo,
                    r(60.0, 60.0, 960.0, 420.0),
                    Fit::Cover,
                    Some(Crop { x: 0.25, y: 0.25, w: 0.5, h: 0.5 }),
                    none,
                ),
                rotated_photo,
            ],
        ),
    );
    add(
        "image_filters",
        design(
            "Filters",
            square(),
            white.clone(),
            vec![
                image_layer(
                    &photo,
                    r(40.0, 40.0, 480.0, 480.0),
                    Fit::Cover,
                    None,
                    Filters { brightness: 0.25, ..Filters::default() },
                ),
                image_layer(
                    &photo,
                    r(560.0, 40.0, 480.0, 480.0),
                    Fit::Cover,
                    None,
                    Filters { contrast: 0.6, ..Filters::default() },
                ),
                image_layer(
                    &photo,
                    r(40.0, 560.0, 480.0, 480.0),
                    Fit::Cover,
                    None,
                    Filters { saturation: -1.0, ..Filters::default() },
                ),
                image_layer(
                    &photo,
                    r(560.0, 560.0, 480.0, 480.0),
                    Fit::Cover,
                    None,
                    Filters { blur: 12.0, ..Filters::default() },
                ),
            ],
        ),
    );
    add(
        "image_transparent_png",
        design(
            "Alpha image",
            square(),
            linear(0.0, 0.0, 0.0, 1.0, &[(0.0, "#ecfeff"), (1.0, "#164e63")]),
            vec![
                image_layer(&badge, r(140.0, 140.0, 800.0, 800.0), Fit::Contain, None, none),
                image_layer(&badge, r(60.0, 60.0, 120.0, 120.0), Fit::Contain, None, none),
            ],
        ),
    );
    add(
        "svg_layer",
        design(
            "SVG",
            square(),
            Paint::solid(hex("#f8fafc")),
            vec![
                Layer::new(id(), LayerContent::Svg(SvgContent { asset: logo.clone() }), r(90.0, 90.0, 900.0, 540.0)),
                {
                    let mut l = Layer::new(
                        id(),
                        LayerContent::Svg(SvgContent { asset: logo.clone() }),
                        r(340.0, 700.0, 400.0, 240.0),
                    );
                    l.rotation = 180.0;
                    l.opacity = 0.5;
                    l
                },
            ],
        ),
    );
    add(
        "text_basic",
        design(
            "Text",
            square(),
            white.clone(),
            vec![
                text("Summer Sale", r(80.0, 80.0, 920.0, 160.0), 128.0, "Inter", 800, "#111827"),
                text("Up to 50% off everything in store", r(80.0, 260.0, 920.0, 80.0), 56.0, "Inter", 400, "#4b5563"),
                text(
                    "Light 300, regular 400, medium 500, semibold 600",
                    r(80.0, 400.0, 920.0, 200.0),
                    48.0,
                    "Inter",
                    500,
                    "#1f2937",
                ),
                with_text(text("Italic text", r(80.0, 640.0, 920.0, 100.0), 72.0, "Inter", 400, "#7c3aed"), |t| {
                    t.italic = true;
                }),
                text("Shop now →", r(80.0, 820.0, 500.0, 100.0), 64.0, "Inter", 700, "#dc2626"),
            ],
        ),
    );
    let para = "Align me left, centre, right or justified across several lines of text in a box.";
    add(
        "text_alignment",
        design(
            "Alignment",
            square(),
            white.clone(),
            [TextAlign::Left, TextAlign::Center, TextAlign::Right, TextAlign::Justify]
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let mut l = with_text(
                        text(
                            para,
                            r(60.0 + 500.0 * (i % 2) as f64, 60.0 + 500.0 * (i / 2) as f64, 460.0, 460.0),
                            40.0,
                            "Lato",
                            400,
                            "#0f172a",
                        ),
                        |t| {
                            t.align = *a;
                            t.vertical_align = [
                                VerticalAlign::Top,
                                VerticalAlign::Middle,
                                VerticalAlign::Bottom,
                                VerticalAlign::Middle,
                            ][i];
                        },
                    );
                    l.name = format!("{a:?}");
                    l
                })
                .chain((0..4).map(|i| {
                    shape(
                        Shape::Rect { corner_radii: [0.0; 4] },
                        r(60.0 + 500.0 * (i % 2) as f64, 60.0 + 500.0 * (i / 2) as f64, 460.0, 460.0),
                        None,
                        stroke("#cbd5e1", 2.0),
                    )
                }))
                .collect(),
        ),
    );
    add(
        "text_families",
        design(
            "Families",
            Format::custom(1200, 1500).expect("format"),
            white.clone(),
            [
                ("Inter", "Inter — clean sans"),
                ("EB Garamond", "EB Garamond — classic serif"),
                ("Bebas Neue", "BEBAS NEUE DISPLAY"),
                ("Lobster Two", "Lobster Two display script"),
                ("Dancing Script", "Dancing Script handwriting"),
                ("JetBrains Mono", "fn main() { mono(); }"),
                ("Roboto Slab", "Roboto Slab serif"),
                ("Quicksand", "Quicksand rounded sans"),
            ]
            .iter()
            .enumerate()
            .map(|(i, (family, s))| {
                text(s, r(60.0, 40.0 + 180.0 * i as f64, 1080.0, 170.0), 80.0, family, 400, "#111827")
            })
            .collect(),
        ),
    );
    add(
        "text_rich_spans",
        design(
            "Spans",
            square(),
            Paint::solid(hex("#fffbeb")),
            vec![with_text(
                text(
                    "Big bold savings on every colour this weekend only",
                    r(80.0, 80.0, 920.0, 920.0),
                    72.0,
                    "Inter",
                    400,
                    "#1f2937",
                ),
                |t| {
                    let span = |start: u32, end: u32, style: TextStyle| TextSpan { start, end, style };
                    t.spans = vec![
                        span(
                            0,
                            3,
                            TextStyle { font_size: Some(140.0), font_weight: Some(800), ..TextStyle::default() },
                        ),
                        span(
                            4,
                            8,
                            TextStyle { font_weight: Some(700), color: Some(hex("#dc2626")), ..TextStyle::default() },
                        ),
                        span(9, 16, TextStyle { italic: Some(true), underline: Some(true), ..TextStyle::default() }),
                        span(
                            26,
                            32,
                            TextStyle {
                                font_family: Some("Lobster Two".into()),
                                color: Some(hex("#7c3aed")),
                                ..TextStyle::default()
                            },
                        ),
                    ];
                },
            )],
        ),
    );
    add(
        "text_spacing",
        design(
            "Spacing",
            square(),
            white.clone(),
            vec![
                with_text(
                    text("WIDE TRACKING", r(80.0, 80.0, 920.0, 120.0), 72.0, "Montserrat", 700, "#111827"),
                    |t| {
                        t.letter_spacing = 0.3;
                        t.font_family = "League Spartan".into();
                    },
                ),
                with_text(text("Tight tracking", r(80.0, 240.0, 920.0, 120.0), 72.0, "Inter", 700, "#111827"), |t| {
                    t.letter_spacing = -0.05;
                }),
                with_text(
                    text(
                        "Loose line height makes airy paragraphs that breathe across the box",
                        r(80.0, 400.0, 440.0, 600.0),
                        40.0,
                        "Open Sans",
                        400,
                        "#334155",
                    ),
                    |t| t.line_height = 2.0,
                ),
                with_text(
                    text(
                        "Tight line height packs lines close together in the box",
                        r(560.0, 400.0, 440.0, 600.0),
                        40.0,
                        "Open Sans",
                        400,
                        "#334155",
                    ),
                    |t| t.line_height = 0.9,
                ),
            ],
        ),
    );
    add(
        "text_european",
        design(
            "European",
            square(),
            white.clone(),
            vec![
                text("¡Oferta! Niño, año, corazón", r(60.0, 80.0, 960.0, 120.0), 64.0, "Inter", 600, "#111827"),
                text(
                    "Français : garçon, œuvre, à bientôt",
                    r(60.0, 260.0, 960.0, 120.0),
                    64.0,
                    "EB Garamond",
                    400,
                    "#111827",
                ),
                text("Deutsch: Straße, Größe, Übermaß", r(60.0, 440.0, 960.0, 120.0), 64.0, "Lato", 700, "#111827"),
                text(
                    "Ærø · Łódź · Čeština · Ελληνικά · Кириллица",
                    r(60.0, 620.0, 960.0, 240.0),
                    56.0,
                    "Inter",
                    400,
                    "#111827",
                ),
            ],
        ),
    );
    add(
        "text_bidi",
        design(
            "Bidi",
            square(),
            white.clone(),
            vec![
                with_text(
                    text("שלום עולם — Hello 2026", r(60.0, 80.0, 960.0, 140.0), 72.0, "Inter", 400, "#111827"),
                    |t| {
                        t.align = TextAlign::Right;
                    },
                ),
                with_text(
                    text("مرحبا بالعالم: تخفيضات 50%", r(60.0, 300.0, 960.0, 160.0), 72.0, "Inter", 400, "#0f766e"),
                    |t| {
                        t.align = TextAlign::Right;
                    },
                ),
                text("Mixed: English עברית العربية end.", r(60.0, 560.0, 960.0, 300.0), 64.0, "Inter", 400, "#1e3a8a"),
            ],
        ),
    );
    add(
        "text_cjk_hindi",
        design(
            "CJK and Hindi",
            square(),
            white.clone(),
            vec![
                text("こんにちは世界、セール開催中！", r(60.0, 80.0, 960.0, 260.0), 72.0, "Inter", 400, "#111827"),
                text("東京の夏祭り 2026年8月", r(60.0, 360.0, 960.0, 160.0), 64.0, "Inter", 700, "#b91c1c"),
                text("नमस्ते दुनिया — बड़ी सेल", r(60.0, 600.0, 960.0, 200.0), 72.0, "Inter", 400, "#1d4ed8"),
            ],
        ),
    );
    add(
        "text_emoji",
        design(
            "Emoji",
            square(),
            white.clone(),
            vec![
                text("Party time 🎉🥳🍕", r(60.0, 80.0, 960.0, 160.0), 80.0, "Inter", 700, "#111827"),
                text("❤️ 👍 🚀 ☀️ 🌊", r(60.0, 360.0, 960.0, 200.0), 120.0, "Inter", 400, "#111827"),
                text("Sale ends soon ⏰ — 50% off 🛍️", r(60.0, 680.0, 960.0, 200.0), 64.0, "Lato", 400, "#111827"),
            ],
        ),
    );
    add(
        "text_autofit",
        design(
            "Auto-fit",
            square(),
            white.clone(),
            vec![
                shape(
                    Shape::Rect { corner_radii: [0.0; 4] },
                    r(100.0, 100.0, 400.0, 300.0),
                    None,
                    stroke("#94a3b8", 2.0),
                ),
                with_text(
                    text(
                        "This long headline shrinks until it fits inside its small box without overflowing",
                        r(100.0, 100.0, 400.0, 300.0),
                        120.0,
                        "Inter",
                        700,
                        "#0f172a",
                    ),
                    |t| t.auto_fit = true,
                ),
                shape(
                    Shape::Rect { corner_radii: [0.0; 4] },
                    r(580.0, 100.0, 400.0, 800.0),
                    None,
                    stroke("#94a3b8", 2.0),
                ),
                with_text(text("Short fits", r(580.0, 100.0, 400.0, 800.0), 72.0, "Inter", 700, "#0f172a"), |t| {
                    t.auto_fit = true;
                    t.vertical_align = VerticalAlign::Middle;
                    t.align = TextAlign::Center;
                }),
            ],
        ),
    );
    let mut tg = Layer::group(id(), r(140.0, 340.0, 800.0, 400.0));
    tg.rotation = -10.0;
    tg.opacity = 0.9;
    let mut pill =
        shape(Shape::Rect { corner_radii: [200.0; 4] }, r(140.0, 340.0, 800.0, 400.0), solid("#111827"), None);
    pill.parent = Some(tg.id.clone());
    let mut label =
        with_text(text("Grouped text", r(140.0, 340.0, 800.0, 400.0), 96.0, "Inter", 800, "#fbbf24"), |t| {
            t.align = TextAlign::Center;
            t.vertical_align = VerticalAlign::Middle;
        });
    label.parent = Some(tg.id.clone());
    add("text_in_rotated_group", design("Text group", square(), Paint::solid(hex("#e0f2fe")), vec![tg, pill, label]));
    let missing = editor_core::AssetId::for_bytes(b"not in the asset store");
    add(
        "missing_assets_and_fonts",
        design(
            "Missing",
            square(),
            white.clone(),
            vec![
                image_layer(&missing, r(60.0, 60.0, 460.0, 460.0), Fit::Cover, None, none),
                Layer::new(
                    id(),
                    LayerContent::Svg(SvgContent { asset: missing.clone() }),
                    r(560.0, 60.0, 460.0, 460.0),
                ),
                text(
                    "Font that does not exist",
                    r(60.0, 600.0, 960.0, 200.0),
                    72.0,
                    "No Such Font Family",
                    400,
                    "#111827",
                ),
            ],
        ),
    );
    let mut story_layers = vec![
        image_layer(&photo, r(0.0, 0.0, 1080.0, 1920.0), Fit::Cover, None, none),
        shape(
            Shape::Rect { corner_radii: [0.0; 4] },
            r(0.0, 960.0, 1080.0, 960.0),
            Some(linear(0.5, 0.0, 0.5, 1.0, &[(0.0, "#00000000"), (1.0, "#000000cc")])),
            None,
        ),
        with_text(text("WEEKEND MARKET", r(80.0, 1220.0, 920.0, 200.0), 120.0, "Bebas Neue", 400, "#ffffff"), |t| {
            t.letter_spacing = 0.05;
        }),
        text(
            "Fresh food, live music and 40+ local makers",
            r(80.0, 1420.0, 920.0, 160.0),
            52.0,
            "Inter",
            500,
            "#e5e7eb",
        ),
        shape(Shape::Rect { corner_radii: [48.0; 4] }, r(80.0, 1640.0, 440.0, 96.0), solid("#facc15"), None),
        with_text(text("Get tickets", r(80.0, 1640.0, 440.0, 96.0), 44.0, "Inter", 700, "#111827"), |t| {
            t.align = TextAlign::Center;
            t.vertical_align = VerticalAlign::Middle;
        }),
    ];
    story_layers.push(Layer::new(
        id(),
        LayerContent::Svg(SvgContent { asset: logo.clone() }),
        r(80.0, 120.0, 240.0, 144.0),
    ));
    add("social_story", design("Story", FormatPreset::InstagramStory.format(), white.clone(), story_layers));
    add(
        "zero_and_tiny_layers",
        design(
            "Degenerate",
            Format::custom(400, 300).expect("format"),
            white.clone(),
            vec![
                shape(Shape::Rect { corner_radii: [0.0; 4] }, r(10.0, 10.0, 0.0, 100.0), solid("#ff0000"), None),
                shape(Shape::Ellipse, r(10.0, 10.0, 0.001, 0.001), solid("#ff0000"), None),
                text("", r(10.0, 10.0, 100.0, 100.0), 40.0, "Inter", 400, "#000000"),
                text("Tiny box", r(200.0, 100.0, 1.0, 1.0), 40.0, "Inter", 400, "#000000"),
                shape(Shape::Rect { corner_radii: [500.0; 4] }, r(100.0, 150.0, 200.0, 100.0), solid("#2563eb"), None),
            ],
        ),
    );
    out
}

/// How two images differ.
#[derive(Clone, Copy, Debug)]
pub struct Diff {
    /// Mean absolute difference per channel, in 0..=255 levels.
    pub mean: f64,
    /// Largest channel difference.
    pub max: u8,
    /// 8×8 blocks whose mean difference passes [`STRUCTURAL_BLOCK_MEAN`] (a missing or moved
    /// shape, glyph or image, rather than antialiasing).
    pub structural_blocks: usize,
}

/// Block mean (levels) past which a block counts as a structural difference.
pub const STRUCTURAL_BLOCK_MEAN: f64 = 24.0;

/// Compares two images of the same size.
pub fn diff(a: &RasterImage, b: &RasterImage) -> Diff {
    assert_eq!((a.width, a.height), (b.width, b.height), "image sizes differ");
    let (w, h) = (a.width as usize, a.height as usize);
    let mut total = 0u64;
    let mut max = 0u8;
    let mut blocks = vec![0u64; w.div_ceil(8) * h.div_ceil(8)];
    for y in 0..h {
        for x in 0..w {
            let i = (y * w + x) * 4;
            let mut px = 0u64;
            for c in 0..4 {
                let d = a.pixels[i + c].abs_diff(b.pixels[i + c]);
                max = max.max(d);
                px += u64::from(d);
            }
            total += px;
            blocks[(y / 8) * w.div_ceil(8) + x / 8] += px;
        }
    }
    let structural_blocks = blocks.iter().filter(|&&s| s as f64 / (64.0 * 4.0) > STRUCTURAL_BLOCK_MEAN).count();
    Diff { mean: total as f64 / (w * h * 4) as f64, max, structural_blocks }
}

/// Decodes a PNG into straight RGBA.
pub fn read_png(bytes: &[u8]) -> RasterImage {
    let img = image::load_from_memory(bytes).expect("png decodes").into_rgba8();
    let (w, h) = img.dimensions();
    RasterImage::new(w, h, img.into_raw()).expect("pixels")
}

/// Encodes straight RGBA as PNG.
pub fn write_png(img: &RasterImage) -> Vec<u8> {
    render::encode::png(img).expect("png encodes")
}
