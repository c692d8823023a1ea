//! Fixtures shared by the synthesis tests, the benches and the contact-sheet example: a fixed
//! set of requests (several languages, tones, formats, with and without brand kits and photos),
//! procedurally drawn photos (no image files shipped), and a brand kit with an SVG logo.

#![allow(
    dead_code,
    missing_docs,
    clippy::allow_attributes,
    clippy::too_many_arguments,
    reason = "each user takes what it needs; the case table reads best positionally"
)]

use std::sync::Arc;

use editor_core::{BrandColor, BrandFont, BrandKit, Color, FormatPreset};
use gen_worker::copy::Tone;
use gen_worker::locale::Locale;
use gen_worker::synth::{GenerationRequest, Logo, Photo};
use render::MemoryAssets;
use render::scene::RasterImage;

/// One fixture request.
pub struct Case {
    pub prompt: &'static str,
    pub preset: FormatPreset,
    pub locale: Option<Locale>,
    pub tone: Tone,
    pub industry: &'static str,
    pub style: &'static str,
    pub brand: bool,
    pub photos: usize,
}

const fn case(
    prompt: &'static str,
    preset: FormatPreset,
    locale: Option<Locale>,
    tone: Tone,
    industry: &'static str,
    style: &'static str,
    brand: bool,
    photos: usize,
) -> Case {
    Case { prompt, preset, locale, tone, industry, style, brand, photos }
}

use FormatPreset as P;
use Tone as T;

/// The fixed prompt set: 32 requests.
pub const CASES: &[Case] = &[
    case(
        "Summer sale on running shoes, 30% off this weekend",
        P::InstagramPost,
        None,
        T::Urgent,
        "retail",
        "bold",
        false,
        0,
    ),
    case(
        "Grand opening of our new bakery on Saturday, free croissants",
        P::InstagramStory,
        None,
        T::Friendly,
        "food-and-drink",
        "lifestyle",
        false,
        1,
    ),
    case(
        "Launch of our AI analytics dashboard for small teams",
        P::LinkedinPost,
        None,
        T::Professional,
        "tech",
        "tech",
        true,
        0,
    ),
    case(
        "We're hiring a senior backend engineer, remote friendly",
        P::LinkedinPost,
        None,
        T::Professional,
        "tech",
        "corporate",
        true,
        0,
    ),
    case("New spring collection of linen dresses", P::InstagramPost, None, T::Luxury, "fashion", "luxury", false, 1),
    case("5 tips for better sleep", P::PinterestPin, None, T::Friendly, "health", "minimal", false, 0),
    case(
        "HIIT bootcamp every Monday at 7am, first class free",
        P::Tiktok,
        None,
        T::Urgent,
        "fitness",
        "bold",
        false,
        1,
    ),
    case(
        "Luxury villa for sale with sea view, 4 bedrooms, $2,450,000",
        P::FacebookPost,
        None,
        T::Luxury,
        "real-estate",
        "elegant",
        false,
        1,
    ),
    case(
        "Free online workshop: intro to watercolor painting on June 14",
        P::YoutubeThumbnail,
        None,
        T::Inspirational,
        "education",
        "playful",
        false,
        0,
    ),
    case(
        "Giveaway! Win a year of coffee from Bean There",
        P::InstagramPost,
        None,
        T::Playful,
        "food-and-drink",
        "playful",
        false,
        0,
    ),
    case(
        "\"Design is intelligence made visible\" – quote of the week",
        P::XPost,
        None,
        T::Inspirational,
        "general",
        "minimal",
        false,
        0,
    ),
    case(
        "Our clients say: the best financial advice we ever had",
        P::FacebookAd,
        None,
        T::Professional,
        "finance",
        "corporate",
        true,
        0,
    ),
    case("Weekend getaway to Lisbon from $299", P::InstagramStory, None, T::Playful, "travel", "lifestyle", false, 1),
    case(
        "Skincare routine essentials: serum, moisturizer and sunscreen",
        P::InstagramPost,
        None,
        T::Friendly,
        "beauty",
        "minimal",
        true,
        1,
    ),
    case(
        "Annual charity run for clean water, join us on September 21",
        P::FacebookPost,
        None,
        T::Inspirational,
        "nonprofit",
        "bold",
        false,
        0,
    ),
    case(
        "Garden center spring plant sale, 20% off all perennials",
        P::PinterestPin,
        None,
        T::Friendly,
        "home-and-garden",
        "lifestyle",
        false,
        1,
    ),
    case(
        "Rebajas de verano: 30 % de descuento en zapatillas hasta el domingo",
        P::InstagramPost,
        Some(Locale::EsEs),
        T::Urgent,
        "retail",
        "bold",
        false,
        0,
    ),
    case(
        "Inauguración de nuestra cafetería el sábado 12 de julio",
        P::InstagramStory,
        Some(Locale::EsEs),
        T::Friendly,
        "food-and-drink",
        "lifestyle",
        true,
        1,
    ),
    case(
        "Estamos contratando diseñadores gráficos en Madrid",
        P::LinkedinPost,
        Some(Locale::EsEs),
        T::Professional,
        "general",
        "corporate",
        false,
        0,
    ),
    case(
        "Curso de yoga para principiantes, primera clase gratis",
        P::Tiktok,
        Some(Locale::EsEs),
        T::Inspirational,
        "fitness",
        "minimal",
        false,
        1,
    ),
    case(
        "Soldes d'été : -40 % sur toute la collection",
        P::InstagramPost,
        Some(Locale::FrFr),
        T::Urgent,
        "fashion",
        "bold",
        false,
        1,
    ),
    case(
        "Lancement de notre nouvelle application de budget",
        P::LinkedinArticleCover,
        Some(Locale::FrFr),
        T::Professional,
        "finance",
        "tech",
        true,
        0,
    ),
    case(
        "Appartement à vendre à Lyon, 3 pièces, 450 000 €",
        P::FacebookPost,
        Some(Locale::FrFr),
        T::Luxury,
        "real-estate",
        "elegant",
        false,
        1,
    ),
    case(
        "Atelier cuisine italienne samedi 5 octobre",
        P::InstagramStory,
        Some(Locale::FrFr),
        T::Playful,
        "food-and-drink",
        "playful",
        false,
        0,
    ),
    case(
        "Sommerschlussverkauf: 50 % Rabatt auf alle Fahrräder",
        P::InstagramPost,
        Some(Locale::DeDe),
        T::Urgent,
        "retail",
        "bold",
        true,
        0,
    ),
    case(
        "Wir suchen eine Projektmanagerin in Berlin",
        P::LinkedinPost,
        Some(Locale::DeDe),
        T::Professional,
        "tech",
        "corporate",
        false,
        0,
    ),
    case(
        "Neue Wellness-Kurse im Studio ab dem 3. März",
        P::PinterestPin,
        Some(Locale::DeDe),
        T::Friendly,
        "health",
        "minimal",
        false,
        1,
    ),
    case(
        "Gewinnspiel: Gewinne eine Reise nach Wien",
        P::YoutubeThumbnail,
        Some(Locale::DeDe),
        T::Playful,
        "travel",
        "playful",
        false,
        1,
    ),
    case("Black Friday deals on headphones, up to 60% off", P::XPost, None, T::Urgent, "tech", "bold", false, 1),
    case(
        "Open house this Sunday 1-4pm at 22 Maple Street",
        P::InstagramReel,
        None,
        T::Friendly,
        "real-estate",
        "lifestyle",
        false,
        1,
    ),
    case(
        "Menu: margherita $12, diavola $14, quattro formaggi $15",
        P::InstagramPost,
        None,
        T::Friendly,
        "food-and-drink",
        "retro",
        false,
        0,
    ),
    case(
        "Q3 results: revenue up 42% year over year",
        P::LinkedinArticleCover,
        None,
        T::Professional,
        "finance",
        "corporate",
        true,
        0,
    ),
];

/// Today, fixed so dates resolve the same way on every run.
pub const TODAY: (i32, u8, u8) = (2026, 5, 20);

/// A procedurally drawn "photo": sky gradient, sun, hills and a subject block, varied by
/// `variant`, `width`×`height` px.
pub fn photo_image(variant: u32, width: u32, height: u32) -> RasterImage {
    let mut pixels = Vec::with_capacity((width * height * 4) as usize);
    let hue = f64::from(variant % 6) / 6.0;
    let (sun_x, sun_y) = (0.25 + 0.5 * f64::from(variant % 3) / 2.0, 0.3);
    for y in 0..height {
        for x in 0..width {
            let (u, v) = (f64::from(x) / f64::from(width), f64::from(y) / f64::from(height));
            let hill = 0.62 + 0.08 * (u * 9.0 + f64::from(variant)).sin();
            let mut rgb = if v > hill {
                [0.15 + 0.2 * hue, 0.45 - 0.1 * v, 0.2]
            } else {
                [0.35 + 0.4 * hue * (1.0 - v), 0.55 + 0.3 * (1.0 - v), 0.85 - 0.2 * hue]
            };
            let d = ((u - sun_x).powi(2) + (v - sun_y).powi(2)).sqrt();
            if d < 0.09 {
                rgb = [1.0, 0.85, 0.35];
            }
            // A subject: a red block right of centre.
            if (0.55..0.75).contains(&u) && (0.5..0.85).contains(&v) {
                rgb = [0.85, 0.15, 0.2];
            }
            for c in rgb {
                pixels.push((c.clamp(0.0, 1.0) * 255.0) as u8);
            }
            pixels.push(255);
        }
    }
    RasterImage { width, height, pixels, opaque: true }
}

/// A photo added to `assets`.
pub fn photo(assets: &mut MemoryAssets, variant: u32) -> Photo {
    let image = photo_image(variant, 640, 480 + 40 * (variant % 4));
    let bytes = render::encode::png(&image).unwrap_or_default();
    let asset = assets.insert(bytes);
    Photo { asset, image: Arc::new(image) }
}

const LOGO_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 80" width="200" height="80">
<circle cx="40" cy="40" r="30" fill="#0f766e"/><rect x="80" y="25" width="110" height="30" rx="8" fill="#f59e0b"/></svg>"##;

/// The fixture brand kit and its logo.
pub fn brand(assets: &mut MemoryAssets) -> (BrandKit, Logo) {
    let asset = assets.insert(LOGO_SVG.as_bytes().to_vec());
    let color = |name: &str, hex: &str, usage: &str| BrandColor {
        name: name.into(),
        color: Color::from_hex(hex).unwrap_or(Color::BLACK),
        usage: usage.into(),
    };
    let kit = BrandKit {
        name: "Northwind".into(),
        colors: vec![color("Teal", "#0f766e", "primary"), color("Amber", "#f59e0b", "accent")],
        fonts: vec![
            BrandFont { family: "Manrope".into(), weight: 800, usage: "heading".into() },
            BrandFont { family: "Inter".into(), weight: 400, usage: "body".into() },
        ],
        logos: vec![asset.clone()],
    };
    (kit, Logo { asset, svg: true, width: 200.0, height: 80.0 })
}

/// The request for `case`, with photos and brand assets added to `assets`.
pub fn request(case: &Case, index: usize, assets: &mut MemoryAssets) -> GenerationRequest {
    let mut r = GenerationRequest::new(case.prompt);
    r.format = case.preset.format();
    r.locale = case.locale;
    r.tone = case.tone;
    r.industry = case.industry.into();
    r.style = case.style.into();
    r.seed = 1000 + index as u64;
    r.today = TODAY;
    if case.brand {
        let (kit, logo) = brand(assets);
        r.brand = Some(kit);
        r.logo = Some(logo);
    }
    r.photos = (0..case.photos).map(|i| photo(assets, (index + i) as u32)).collect();
    r
}
