//! Design synthesis: four distinct, editable, on-brand designs from a request (DESIGN.md §6).
//!
//! [`Engine::generate`] writes the copy (a [`Copywriter`], falling back to the builtin writer),
//! then asks a [`DesignProvider`] for the designs. The [`BuiltinProvider`] plans each variation
//! from the template library: an archetype that suits the intent, industry, style, tone, format
//! and photos (four different layout families where the library allows), a palette (the brand
//! kit's, or suggested for the industry and the tone's emotion), a font pairing for the tone and
//! style (or the brand fonts), and the copy. It lays the archetype out for the format (magic
//! resize), fills the slots, places the photo with a crop that keeps its salient region and the
//! logo with its aspect ratio, fits the text, repairs contrast, and runs the quality checks; a
//! variation that still fails moves on to the next archetype. Everything is deterministic per
//! seed.

use std::sync::Arc;

use editor_core::{
    AssetId, BrandKit, Color, Design, Fit, Format, FormatPreset, GradientStop, ImageContent, Layer, LayerContent,
    LayerId, Paint, Rect, Role, Shape, ShapeContent, SvgContent, TextContent,
};
use render::scene::RasterImage;
use serde::Serialize;
use thiserror::Error;

use crate::copy::{self, Copy, CopyError, CopyRequest, Copywriter, Intent, Tone};
use crate::locale::Locale;
use crate::palette::{self, Palette};
use crate::quality::{self, Finding};
use crate::resize;
use crate::template::{Archetype, Library, PhotoUse};
use crate::typography::{self, FontChoice, FontPairing};

/// Designs per request.
pub const VARIATIONS: usize = 4;
/// Text may shrink to this fraction of its template size to fit the copy.
const COPY_FIT_FLOOR: f64 = 0.45;
/// Layout families that only read right for the intents they list (a quote card for a sale
/// looks like a mistake); the others (hero photo, split, minimal type, announcement, product
/// spotlight, sale poster, event) adapt to most messages.
const SPECIFIC_LAYOUTS: [&str; 12] = [
    "testimonial",
    "quote-card",
    "hiring",
    "real-estate",
    "menu",
    "listicle",
    "stats",
    "countdown",
    "before-after",
    "giveaway",
    "collage",
    "course",
];

/// Archetypes tried per variation before keeping the best attempt.
const MAX_ATTEMPTS: usize = 6;

/// An uploaded photo, decoded.
#[derive(Clone, Debug)]
pub struct Photo {
    /// Its asset id (the design refers to it).
    pub asset: AssetId,
    /// The decoded pixels (for the salient crop).
    pub image: Arc<RasterImage>,
}

/// The brand logo and its size.
#[derive(Clone, Debug, PartialEq)]
pub struct Logo {
    /// Its asset id.
    pub asset: AssetId,
    /// Whether it is a sanitised SVG (else a raster image).
    pub svg: bool,
    /// Intrinsic width.
    pub width: f64,
    /// Intrinsic height.
    pub height: f64,
}

/// What the creator asked for.
#[derive(Clone, Debug)]
pub struct GenerationRequest {
    /// The description.
    pub prompt: String,
    /// The canvas (a preset's, or a custom size).
    pub format: Format,
    /// The language; `None` detects it from the prompt.
    pub locale: Option<Locale>,
    /// The voice.
    pub tone: Tone,
    /// Industry id (see [`palette::industries`]); empty for general.
    pub industry: String,
    /// Style tag (see [`crate::template::STYLES`]); empty for any.
    pub style: String,
    /// The brand kit, if any.
    pub brand: Option<BrandKit>,
    /// The brand logo, if any (usually the kit's first logo).
    pub logo: Option<Logo>,
    /// Uploaded photos.
    pub photos: Vec<Photo>,
    /// Same seed, same designs.
    pub seed: u64,
    /// Today's date, for dates in the prompt.
    pub today: (i32, u8, u8),
}

impl GenerationRequest {
    /// A request with defaults: Instagram post, professional tone, no brand, seed 0.
    pub fn new(prompt: &str) -> Self {
        GenerationRequest {
            prompt: prompt.to_owned(),
            format: FormatPreset::InstagramPost.format(),
            locale: None,
            tone: Tone::Professional,
            industry: String::new(),
            style: String::new(),
            brand: None,
            logo: None,
            photos: Vec::new(),
            seed: 0,
            today: (2026, 1, 1),
        }
    }
}

/// One generated design.
#[derive(Clone, Debug, Serialize)]
pub struct Sample {
    /// The editable design.
    pub design: Design,
    /// The template it was laid out from.
    pub template: String,
    /// The palette's name.
    pub palette: String,
    /// The font pairing's name.
    pub fonts: String,
    /// Its copy.
    pub copy: Copy,
    /// Quality checks it still fails (empty when it passes).
    pub findings: Vec<Finding>,
}

/// A request's designs.
#[derive(Clone, Debug, Serialize)]
pub struct Generation {
    /// One sample per variation.
    pub samples: Vec<Sample>,
    /// Plain-language notes for the user (e.g. the copy service fell back).
    pub notes: Vec<String>,
}

/// Why generation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum GenError {
    /// The request is unusable; the message says why.
    #[error("{0}")]
    BadRequest(String),
    /// Copy could not be written.
    #[error(transparent)]
    Copy(#[from] CopyError),
    /// The template library has nothing usable.
    #[error("no template fits this request")]
    NoTemplate,
    /// A provider failed.
    #[error("design provider {provider} failed: {message}")]
    Provider {
        /// Which.
        provider: String,
        /// Why.
        message: String,
    },
}

/// Makes designs from a request and its copy. Builtin now; burn models and HTTP image providers
/// implement it later.
pub trait DesignProvider: Send + Sync {
    /// A short name (`builtin`).
    fn name(&self) -> &str;
    /// One design per copy.
    fn generate(&self, request: &GenerationRequest, copies: &[Copy]) -> Result<Vec<Sample>, GenError>;
}

/// Copy, then designs.
pub struct Engine {
    copywriter: Box<dyn Copywriter>,
    provider: Box<dyn DesignProvider>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("provider", &self.provider.name()).finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine with the given copy writer and provider.
    pub fn new(copywriter: Box<dyn Copywriter>, provider: Box<dyn DesignProvider>) -> Self {
        Engine { copywriter, provider }
    }

    /// The builtin copy writer and designs.
    pub fn builtin(library: Arc<Library>, renderer: Arc<render::Renderer>) -> Self {
        Engine::new(
            Box::new(copy::builtin::BuiltinCopywriter::new()),
            Box::new(BuiltinProvider::new(library, renderer)),
        )
    }

    /// [`VARIATIONS`] designs for `request`.
    pub fn generate(&self, request: &GenerationRequest) -> Result<Generation, GenError> {
        request.format.validate().map_err(|e| GenError::BadRequest(e.to_string()))?;
        let copy_request = CopyRequest {
            prompt: request.prompt.clone(),
            locale: request.locale,
            tone: request.tone,
            industry: request.industry.clone(),
            brand_name: request.brand.as_ref().map(|b| b.name.trim().to_owned()).filter(|n| !n.is_empty()),
            today: request.today,
        };
        let (copies, note) = copy::write_with_fallback(self.copywriter.as_ref(), &copy_request, VARIATIONS)?;
        let samples = self.provider.generate(request, &copies)?;
        Ok(Generation { samples, notes: note.into_iter().collect() })
    }
}

/// The builtin, CPU-only, deterministic provider.
pub struct BuiltinProvider {
    library: Arc<Library>,
    renderer: Arc<render::Renderer>,
}

impl BuiltinProvider {
    /// A provider over `library`, measuring text with `renderer`.
    pub fn new(library: Arc<Library>, renderer: Arc<render::Renderer>) -> Self {
        BuiltinProvider { library, renderer }
    }
}

/// The palette emotion a tone suggests.
fn emotion_of(tone: Tone) -> &'static str {
    match tone {
        Tone::Professional => "trust",
        Tone::Friendly => "warmth",
        Tone::Playful => "playful",
        Tone::Urgent => "urgency",
        Tone::Luxury => "luxury",
        Tone::Inspirational => "optimism",
    }
}

impl DesignProvider for BuiltinProvider {
    fn name(&self) -> &str {
        "builtin"
    }

    fn generate(&self, request: &GenerationRequest, copies: &[Copy]) -> Result<Vec<Sample>, GenError> {
        let Some(first) = copies.first() else { return Ok(Vec::new()) };
        let ranked = self.rank(request, first);
        if ranked.is_empty() {
            return Err(GenError::NoTemplate);
        }
        let palettes = self.palettes(request, copies.len());
        let catalog = self.renderer.fonts().families();
        let style = if request.style.is_empty() { "minimal" } else { request.style.as_str() };
        let mut used_archetypes: Vec<usize> = Vec::new();
        let mut used_layouts: Vec<&str> = Vec::new();
        let mut samples = Vec::with_capacity(copies.len());
        for (i, copy) in copies.iter().enumerate() {
            let palette = &palettes[i % palettes.len()];
            let pairing = match request.brand.as_ref().and_then(|b| brand_pairing(b, self.renderer.fonts())) {
                Some(p) => p,
                None => typography::pairing_for(catalog, request.tone, style, i),
            };
            // Candidates: fresh layout families first, then fresh archetypes, in rank order.
            let mut order: Vec<usize> = ranked
                .iter()
                .copied()
                .filter(|a| {
                    !used_archetypes.contains(a)
                        && !used_layouts.contains(&self.library.archetypes()[*a].layout.as_str())
                })
                .collect();
            for pass in 0..2 {
                for &a in &ranked {
                    if !order.contains(&a) && (pass == 1 || !used_archetypes.contains(&a)) {
                        order.push(a);
                    }
                }
            }
            let mut best: Option<Sample> = None;
            let mut best_index = order[0];
            for &a in order.iter().take(MAX_ATTEMPTS) {
                let archetype = &self.library.archetypes()[a];
                let sample = self.compose(request, archetype, copy, palette, &pairing, i);
                let better = best.as_ref().is_none_or(|b| sample.findings.len() < b.findings.len());
                if better {
                    best_index = a;
                    let done = sample.findings.is_empty();
                    best = Some(sample);
                    if done {
                        break;
                    }
                }
            }
            used_archetypes.push(best_index);
            used_layouts.push(self.library.archetypes()[best_index].layout.as_str());
            if let Some(sample) = best {
                samples.push(sample);
            }
        }
        Ok(samples)
    }
}

impl BuiltinProvider {
    /// Archetype indexes, best fit first (seeded jitter breaks ties differently per seed).
    fn rank(&self, request: &GenerationRequest, copy: &Copy) -> Vec<usize> {
        let mut rng = palette::SplitMix64(request.seed ^ 0x7465_6d70_6c61_7465);
        let has_photo = !request.photos.is_empty();
        let mut scored: Vec<(f64, usize)> = Vec::new();
        for (i, a) in self.library.archetypes().iter().enumerate() {
            if a.photo == PhotoUse::Required && !has_photo {
                continue;
            }
            let mut score = 0.0;
            if a.intents.contains(&copy.intent) {
                score += 6.0;
            } else if a.intents.contains(&Intent::General) {
                score += 2.0;
            }
            if !request.industry.is_empty() && a.industries.contains(&request.industry) {
                score += 3.0;
            }
            if !request.style.is_empty() && a.styles.contains(&request.style) {
                score += 2.0;
            }
            if a.tones.contains(&request.tone) {
                score += 1.5;
            }
            let photo_slots = a.layers.values().filter(|b| b.photo).count();
            if has_photo && photo_slots > 0 {
                score += 3.0;
            }
            if photo_slots > request.photos.len().max(1) {
                // A collage with one photo repeats it (or shows empty gradients).
                score -= 5.0;
            } else if !has_photo && photo_slots > 0 {
                score -= 1.0;
            }
            if !a.intents.contains(&copy.intent) && SPECIFIC_LAYOUTS.contains(&a.layout.as_str()) {
                // A testimonial card for a sale, stars for a job post: only for their own intents.
                score -= 4.0;
            }
            if (request.logo.is_some() || request.brand.is_some()) && a.layers.values().any(|b| b.logo) {
                score += 2.0;
            }
            score += slot_fit(a, copy);
            score += rng.unit() * 2.5;
            scored.push((score, i));
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().map(|(_, i)| i).collect()
    }

    fn palettes(&self, request: &GenerationRequest, count: usize) -> Vec<Palette> {
        let count = count.max(1);
        if let Some(brand) = request.brand.as_ref().filter(|b| !b.colors.is_empty()) {
            let mut colors: Vec<Color> = Vec::new();
            for usage in ["primary", "secondary", "accent", "background", "text"] {
                if let Some(c) = brand.color(usage) {
                    colors.push(c);
                }
            }
            for c in &brand.colors {
                if !colors.contains(&c.color) {
                    colors.push(c.color);
                }
            }
            return (0..count).map(|i| palette::from_brand(&colors, request.seed.wrapping_add(i as u64))).collect();
        }
        let mut out = palette::suggest(&request.industry, emotion_of(request.tone), None, request.seed, count);
        if out.is_empty() {
            out.push(palette::from_brand(&[], request.seed));
        }
        out
    }

    /// Lays `archetype` out with this copy, palette and pairing, and checks it.
    fn compose(
        &self,
        request: &GenerationRequest,
        archetype: &Archetype,
        copy: &Copy,
        palette: &Palette,
        pairing: &FontPairing,
        variation: usize,
    ) -> Sample {
        let preset = request.format.preset().unwrap_or_else(|| nearest_preset(&request.format));
        let source_format = archetype.source_for(preset).format.clone();
        let mut design = archetype.design_for(preset);
        if design.format != request.format {
            design = resize::resize(&design, &request.format);
        }
        design.name = truncate_name(&copy.headline);
        design.background = Paint::solid(paint_color(palette, &archetype.background, Color::WHITE));
        let mut removed: Vec<String> = Vec::new();
        for layer in &design.layers {
            let b = archetype.binding(layer.id.as_str());
            if let Some(slot) = &b.slot
                && copy.slot(slot).is_none()
            {
                removed.push(layer.id.to_string());
            }
            if b.logo && request.logo.is_none() && copy.brand_name.is_none() {
                removed.push(layer.id.to_string());
            }
        }
        // Layers `with` a removed layer go too (one level is what the format allows).
        for layer in &design.layers {
            let b = archetype.binding(layer.id.as_str());
            if b.with.as_ref().is_some_and(|w| removed.contains(w)) {
                removed.push(layer.id.to_string());
            }
        }
        design.layers.retain(|l| !removed.contains(&l.id.to_string()));

        let mut photo_slot = 0;
        for layer in &mut design.layers {
            let b = archetype.binding(layer.id.as_str());
            apply_paint(layer, &b, palette);
            if let LayerContent::Text(text) = &mut layer.content {
                if let Some(slot) = &b.slot
                    && let Some(words) = copy.slot(slot)
                {
                    text.text = words.to_owned();
                    text.spans.clear();
                    text.auto_fit = true;
                }
                let choice = match b.font.as_deref() {
                    Some("heading") => Some(&pairing.heading),
                    Some("body") => Some(&pairing.body),
                    Some("accent") => Some(&pairing.accent),
                    _ => None,
                };
                if let Some(choice) = choice {
                    apply_font(text, choice, self.renderer.fonts());
                }
            }
            if b.photo {
                // Each placeholder takes a different photo; extra placeholders keep their fill.
                if photo_slot < request.photos.len() {
                    place_photo(layer, &request.photos[(variation + photo_slot) % request.photos.len()]);
                }
                photo_slot += 1;
            }
            if b.logo {
                place_logo(layer, request.logo.as_ref(), copy.brand_name.as_deref(), palette, pairing);
            }
        }
        let has_logo_slot = archetype.layers.values().any(|b| b.logo);
        if !has_logo_slot && let Some(logo) = &request.logo {
            add_logo(&mut design, logo);
        }
        resize::fit_text(&mut design, &self.renderer, COPY_FIT_FLOOR);
        resize::grow_text(&mut design, &self.renderer, resize::headroom(&source_format, &request.format).min(1.3));
        repair_contrast(&mut design, palette);
        let findings = quality::check(&design, &self.renderer);
        Sample {
            design,
            template: format!("{}.{}", archetype.id, crate::template::preset_key(preset)),
            palette: palette.name.clone(),
            fonts: pairing.name.clone(),
            copy: copy.clone(),
            findings,
        }
    }
}

/// How well an archetype's slots match the copy: slots with copy count, empty slots cost.
fn slot_fit(archetype: &Archetype, copy: &Copy) -> f64 {
    let mut score = 0.0;
    for b in archetype.layers.values() {
        if let Some(slot) = &b.slot {
            match (slot.as_str(), copy.slot(slot).is_some()) {
                ("headline" | "subline" | "cta", _) => {}
                (_, true) => score += 1.0,
                ("brand_name", false) => score -= 0.3,
                (_, false) => score -= 1.0,
            }
        }
    }
    score
}

fn nearest_preset(format: &Format) -> FormatPreset {
    let target = (f64::from(format.width) / f64::from(format.height)).ln();
    let mut best = FormatPreset::InstagramPost;
    let mut best_d = f64::INFINITY;
    for p in FormatPreset::ALL {
        let f = p.format();
        let d = ((f64::from(f.width) / f64::from(f.height)).ln() - target).abs();
        if d < best_d {
            best_d = d;
            best = p;
        }
    }
    best
}

fn truncate_name(headline: &str) -> String {
    let name: String = headline.chars().take(80).collect();
    if name.trim().is_empty() { "Untitled design".into() } else { name }
}

/// A palette key's colour.
fn paint_color(palette: &Palette, key: &str, fallback: Color) -> Color {
    match key {
        "background" => palette.background,
        "surface" => palette.surface,
        "primary" => palette.primary,
        "secondary" => palette.secondary,
        "accent" => palette.accent,
        "text" => palette.text,
        "text_on_primary" => palette.text_on_primary,
        "white" => Color::WHITE,
        "black" | "scrim" => Color::rgb(0x0b, 0x0b, 0x0f),
        _ => fallback,
    }
}

fn with_alpha(c: Color, a: u8) -> Color {
    Color { a, ..c }
}

fn apply_paint(layer: &mut Layer, b: &crate::template::Binding, palette: &Palette) {
    match &mut layer.content {
        LayerContent::Text(text) => {
            if let Some(key) = &b.paint {
                text.color = with_alpha(paint_color(palette, key, text.color), text.color.a);
            }
        }
        LayerContent::Shape(shape) => {
            if let Some(key) = &b.paint {
                let alpha = match &shape.fill {
                    Some(Paint::Solid { color }) => color.a,
                    _ => 255,
                };
                shape.fill = Some(Paint::solid(with_alpha(paint_color(palette, key, Color::BLACK), alpha)));
            }
            if let Some([from, to]) = &b.gradient {
                let (c0, c1) = (paint_color(palette, from, Color::BLACK), paint_color(palette, to, Color::WHITE));
                shape.fill = Some(match shape.fill.take() {
                    Some(Paint::LinearGradient { start, end, stops }) => {
                        Paint::LinearGradient { start, end, stops: recolor(&stops, c0, c1) }
                    }
                    Some(Paint::RadialGradient { center, radius, stops }) => {
                        Paint::RadialGradient { center, radius, stops: recolor(&stops, c0, c1) }
                    }
                    _ => Paint::LinearGradient {
                        start: editor_core::Point { x: 0.0, y: 0.0 },
                        end: editor_core::Point { x: 1.0, y: 1.0 },
                        stops: vec![GradientStop { offset: 0.0, color: c0 }, GradientStop { offset: 1.0, color: c1 }],
                    },
                });
            }
            if let (Some(key), Some(stroke)) = (&b.stroke, &mut shape.stroke) {
                stroke.paint = Paint::solid(paint_color(palette, key, Color::BLACK));
            }
        }
        LayerContent::Image(_) | LayerContent::Svg(_) | LayerContent::Group => {}
    }
}

/// The first stop takes `c0`, the last `c1`, those between a mix, keeping each stop's alpha.
fn recolor(stops: &[GradientStop], c0: Color, c1: Color) -> Vec<GradientStop> {
    let n = stops.len().max(2) - 1;
    stops
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let t = i as f64 / n as f64;
            let mix = |a: u8, b: u8| (f64::from(a) * (1.0 - t) + f64::from(b) * t).round().clamp(0.0, 255.0) as u8;
            GradientStop {
                offset: s.offset,
                color: Color { r: mix(c0.r, c1.r), g: mix(c0.g, c1.g), b: mix(c0.b, c1.b), a: s.color.a },
            }
        })
        .collect()
}

fn apply_font(text: &mut TextContent, choice: &FontChoice, fonts: &render::FontLibrary) {
    text.font_family = choice.family.clone();
    let weights = fonts.families().iter().find(|f| f.family == choice.family).map(|f| f.weights()).unwrap_or_default();
    text.font_weight = if weights.contains(&text.font_weight) { text.font_weight } else { choice.weight };
    text.italic = choice.italic;
    if choice.uppercase {
        text.text = text.text.to_uppercase();
    }
    if choice.letter_spacing != 0.0 {
        text.letter_spacing = choice.letter_spacing;
    }
}

/// The brand kit's fonts as a pairing, when the catalogue has them.
fn brand_pairing(brand: &BrandKit, fonts: &render::FontLibrary) -> Option<FontPairing> {
    let known = |family: &str| fonts.families().iter().any(|f| f.family == family);
    let heading = brand.font("heading").filter(|f| known(&f.family))?;
    let body = brand.font("body").filter(|f| known(&f.family)).unwrap_or(heading);
    let choice = |f: &editor_core::BrandFont| FontChoice {
        family: f.family.clone(),
        weight: f.weight,
        italic: false,
        uppercase: false,
        letter_spacing: 0.0,
    };
    Some(FontPairing {
        name: format!("{} / {} (brand)", heading.family, body.family),
        heading: choice(heading),
        body: choice(body),
        accent: choice(heading),
    })
}

/// Turns a photo placeholder into the photo, cropped around its salient region.
fn place_photo(layer: &mut Layer, photo: &Photo) {
    let aspect = if layer.h > 0.0 { layer.w / layer.h } else { 1.0 };
    let crop = crate::imaging::salient_crop(&photo.image, aspect);
    layer.content = LayerContent::Image(ImageContent {
        asset: photo.asset.clone(),
        crop: Some(crop),
        fit: Fit::Cover,
        filters: editor_core::Filters::default(),
    });
}

/// A layer showing the logo: the sanitised SVG, or the raster image contained in its box.
fn logo_content(logo: &Logo) -> LayerContent {
    if logo.svg {
        LayerContent::Svg(SvgContent { asset: logo.asset.clone() })
    } else {
        LayerContent::Image(ImageContent {
            asset: logo.asset.clone(),
            crop: None,
            fit: Fit::Contain,
            filters: editor_core::Filters::default(),
        })
    }
}

/// Puts the logo (aspect kept, centred in the placeholder) or the brand name in its place.
fn place_logo(layer: &mut Layer, logo: Option<&Logo>, brand: Option<&str>, palette: &Palette, pairing: &FontPairing) {
    if let Some(logo) = logo.filter(|l| l.width > 0.0 && l.height > 0.0) {
        let aspect = logo.width / logo.height;
        let w = layer.w.min(layer.h * aspect);
        let h = w / aspect;
        layer.x += (layer.w - w) / 2.0;
        layer.y += (layer.h - h) / 2.0;
        layer.w = w;
        layer.h = h;
        layer.content = logo_content(logo);
        return;
    }
    if let Some(name) = brand {
        let mut text = TextContent::new(name);
        text.font_family = pairing.heading.family.clone();
        text.font_weight = pairing.heading.weight;
        text.font_size = layer.h * 0.42;
        text.color = palette.text;
        text.align = editor_core::TextAlign::Left;
        text.vertical_align = editor_core::VerticalAlign::Middle;
        text.auto_fit = true;
        text.line_height = 1.1;
        layer.content = LayerContent::Text(text);
        layer.role = Role::BrandName;
    }
}

/// Puts the brand logo in the first corner of the safe area that no text or other important
/// layer uses (top-left, top-right, bottom-right, bottom-left), about a ninth of the short side
/// tall; leaves the design alone when every corner is taken.
fn add_logo(design: &mut Design, logo: &Logo) {
    if !(logo.width > 0.0 && logo.height > 0.0) {
        return;
    }
    let safe = resize::safe_rect(&design.format);
    let short = safe.w.min(safe.h);
    let h = (short * 0.11).max(24.0);
    let w = (h * logo.width / logo.height).min(safe.w * 0.4);
    let h = w * logo.height / logo.width;
    let taken: Vec<Rect> = design
        .layers
        .iter()
        .filter(|l| resize::is_important(l.role) || matches!(l.content, LayerContent::Text(_)))
        .map(quality::outer_box)
        .collect();
    let zone = design.format.safe_zone();
    let (fw, fh) = (f64::from(design.format.width), f64::from(design.format.height));
    let corners = [
        (safe.x, safe.y),
        (safe.right() - w, safe.y),
        (safe.right() - w, safe.bottom() - h),
        (safe.x, safe.bottom() - h),
    ];
    for (x, y) in corners {
        let r = Rect::new(x, y, w, h);
        let gap = Rect::new(x - h * 0.2, y - h * 0.2, w + h * 0.4, h + h * 0.4);
        if taken.iter().any(|t| t.intersects(&gap)) || !zone.allows(fw, fh, &r) {
            continue;
        }
        let Ok(id) = LayerId::parse("brand-logo") else { return };
        let mut layer = Layer::new(id, logo_content(logo), r);
        layer.role = Role::Logo;
        layer.name = "Logo".into();
        design.layers.push(layer);
        return;
    }
}

/// Gives every text layer a colour with AA contrast over what lies beneath it: the palette's
/// text colours first, then white or near-black; when none reads (text over a busy photo with
/// no scrim), a scrim goes under the text.
fn repair_contrast(design: &mut Design, palette: &Palette) {
    let candidates =
        [palette.text, palette.text_on_primary, Color::WHITE, Color::rgb(0x11, 0x11, 0x14), palette.background];
    let mut scrims: Vec<(usize, Layer)> = Vec::new();
    for i in 0..design.layers.len() {
        let layer = &design.layers[i];
        let LayerContent::Text(text) = &layer.content else { continue };
        if text.text.trim().is_empty() {
            continue;
        }
        let current = Color { a: 255, ..text.color };
        if quality::contrast_of(design, layer, current) >= quality::MIN_CONTRAST {
            continue;
        }
        let fixed = quality::readable_color(design, layer, &candidates);
        let layer = &mut design.layers[i];
        let LayerContent::Text(text) = &mut layer.content else { continue };
        match fixed {
            Some(c) => text.color = Color { a: 255, ..c },
            None => {
                text.color = Color::WHITE;
                let pad = (text.font_size * 0.25).max(4.0);
                let id = LayerId::parse(&format!("{}-scrim", layer.id.as_str()).chars().take(60).collect::<String>())
                    .unwrap_or_else(|_| layer.id.clone());
                let mut scrim = Layer::new(
                    id,
                    LayerContent::Shape(ShapeContent {
                        shape: Shape::Rect { corner_radii: [pad; 4] },
                        fill: Some(Paint::solid(Color::rgb(0x0b, 0x0b, 0x0f))),
                        stroke: None,
                    }),
                    Rect::new(layer.x - pad, layer.y - pad, layer.w + 2.0 * pad, layer.h + 2.0 * pad),
                );
                scrim.opacity = 0.72;
                scrim.role = Role::Decoration;
                scrim.parent = layer.parent.clone();
                scrim.name = "Scrim".into();
                scrims.push((i, scrim));
            }
        }
    }
    // Insert scrims just below their text (from the back so indexes stay valid), then give
    // every layer a z key in list order.
    for (i, scrim) in scrims.into_iter().rev() {
        design.layers.insert(i, scrim);
    }
    if !design.layers.is_empty() {
        for l in &mut design.layers {
            l.z.clear();
        }
        design.assign_missing_z();
        design.normalize();
    }
}
