//! Colour palettes: OKLab/OKLCH conversions, WCAG contrast, colour harmonies and palette
//! suggestions by industry and emotion (REQ-006, DESIGN.md §6, `docs/palettes.md`).
//!
//! - [`Oklab`] and [`Oklch`] convert to and from [`Color`] (Björn Ottosson's OKLab); colours
//!   outside sRGB are brought in by lowering chroma at constant lightness and hue.
//! - [`contrast_ratio`] and [`ensure_contrast`] implement WCAG 2.x contrast; the latter moves a
//!   foreground's OKLCH lightness until it reaches the target.
//! - [`Harmony`] lays out hues around a base colour in OKLCH.
//! - [`suggest`] draws palettes from the curated knowledge base in
//!   `assets/palettes/knowledge.toml` (industry × emotion → hue families, see `SOURCES.md`);
//!   [`from_brand`] completes a brand kit's colours. Every [`Palette`] keeps text at
//!   [`MIN_TEXT_CONTRAST`] or more against the colours it sits on.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use editor_core::Color;
use serde::{Deserialize, Serialize};

/// WCAG 2.1 AA contrast for normal text (SC 1.4.3), guaranteed by every [`Palette`].
pub const MIN_TEXT_CONTRAST: f64 = 4.5;

// ---------------------------------------------------------------------------------------------
// OKLab / OKLCH
// ---------------------------------------------------------------------------------------------

/// A colour in OKLab: `l` lightness 0..=1, `a` green–red, `b` blue–yellow.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Oklab {
    /// Perceptual lightness, 0 (black) ..= 1 (white).
    pub l: f64,
    /// Green (negative) to red (positive).
    pub a: f64,
    /// Blue (negative) to yellow (positive).
    pub b: f64,
}

/// A colour in OKLCH, the polar form of [`Oklab`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Oklch {
    /// Perceptual lightness, 0 (black) ..= 1 (white).
    pub l: f64,
    /// Chroma, 0 (grey) up to about 0.37 at the edge of sRGB.
    pub c: f64,
    /// Hue angle in degrees, 0..360.
    pub h: f64,
}

fn srgb_to_linear(c: u8) -> f64 {
    let c = f64::from(c) / 255.0;
    if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
}

fn linear_to_srgb(c: f64) -> u8 {
    let c = c.clamp(0.0, 1.0);
    let v = if c <= 0.003_130_8 { 12.92 * c } else { 1.055 * c.powf(1.0 / 2.4) - 0.055 };
    // In 0..=255 after the clamp, so the cast cannot truncate.
    (v * 255.0).round().clamp(0.0, 255.0) as u8
}

impl Oklab {
    /// Converts an sRGB colour (alpha ignored).
    pub fn from_color(color: Color) -> Self {
        let (r, g, b) = (srgb_to_linear(color.r), srgb_to_linear(color.g), srgb_to_linear(color.b));
        let l = 0.412_221_470_8 * r + 0.536_332_536_3 * g + 0.051_445_992_9 * b;
        let m = 0.211_903_498_2 * r + 0.680_699_545_1 * g + 0.107_396_956_6 * b;
        let s = 0.088_302_461_9 * r + 0.281_718_837_6 * g + 0.629_978_700_5 * b;
        let (l, m, s) = (l.cbrt(), m.cbrt(), s.cbrt());
        Self {
            l: 0.210_454_255_3 * l + 0.793_617_785_0 * m - 0.004_072_046_8 * s,
            a: 1.977_998_495_1 * l - 2.428_592_205_0 * m + 0.450_593_709_9 * s,
            b: 0.025_904_037_1 * l + 0.782_771_766_2 * m - 0.808_675_766_0 * s,
        }
    }

    /// Linear-light sRGB channels; outside 0..=1 where the colour is out of gamut.
    pub fn to_linear_srgb(self) -> [f64; 3] {
        let l = self.l + 0.396_337_777_4 * self.a + 0.215_803_757_3 * self.b;
        let m = self.l - 0.105_561_345_8 * self.a - 0.063_854_172_8 * self.b;
        let s = self.l - 0.089_484_177_5 * self.a - 1.291_485_548_0 * self.b;
        let (l, m, s) = (l * l * l, m * m * m, s * s * s);
        [
            4.076_741_662_1 * l - 3.307_711_591_3 * m + 0.230_969_929_2 * s,
            -1.268_438_004_6 * l + 2.609_757_401_1 * m - 0.341_319_396_5 * s,
            -0.004_196_086_3 * l - 0.703_418_614_7 * m + 1.707_614_701_0 * s,
        ]
    }

    /// Whether the colour lies inside the sRGB gamut (with a tiny tolerance for rounding).
    pub fn in_gamut(self) -> bool {
        const EPS: f64 = 1e-4;
        self.to_linear_srgb().iter().all(|c| (-EPS..=1.0 + EPS).contains(c))
    }

    /// The nearest sRGB colour by clamping; use [`Oklch::to_color`] for hue-preserving mapping.
    pub fn to_color_clamped(self) -> Color {
        let [r, g, b] = self.to_linear_srgb();
        Color::rgb(linear_to_srgb(r), linear_to_srgb(g), linear_to_srgb(b))
    }

    /// The polar form.
    pub fn to_oklch(self) -> Oklch {
        let c = self.a.hypot(self.b);
        // Greys carry float noise in a and b; treat them as exactly achromatic.
        if c < 1e-6 {
            return Oklch { l: self.l, c: 0.0, h: 0.0 };
        }
        Oklch { l: self.l, c, h: self.b.atan2(self.a).to_degrees().rem_euclid(360.0) }
    }
}

impl Oklch {
    /// A colour from lightness, chroma and hue (degrees, any value; it is wrapped).
    pub fn new(l: f64, c: f64, h: f64) -> Self {
        Self { l, c, h: h.rem_euclid(360.0) }
    }

    /// Converts an sRGB colour (alpha ignored).
    pub fn from_color(color: Color) -> Self {
        Oklab::from_color(color).to_oklch()
    }

    /// The Cartesian form.
    pub fn to_oklab(self) -> Oklab {
        let h = self.h.to_radians();
        Oklab { l: self.l, a: self.c * h.cos(), b: self.c * h.sin() }
    }

    /// The same lightness and hue with the largest chroma (up to `self.c`) inside sRGB.
    pub fn gamut_mapped(self) -> Self {
        let l = if self.l.is_finite() { self.l.clamp(0.0, 1.0) } else { 0.0 };
        let c = if self.c.is_finite() { self.c.max(0.0) } else { 0.0 };
        let h = if self.h.is_finite() { self.h.rem_euclid(360.0) } else { 0.0 };
        let start = Self { l, c, h };
        if start.to_oklab().in_gamut() {
            return start;
        }
        let (mut lo, mut hi) = (0.0, c);
        for _ in 0..24 {
            let mid = 0.5 * (lo + hi);
            if (Self { l, c: mid, h }).to_oklab().in_gamut() {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Self { l, c: lo, h }
    }

    /// An opaque sRGB colour, gamut-mapped by lowering chroma at constant lightness and hue.
    pub fn to_color(self) -> Color {
        self.gamut_mapped().to_oklab().to_color_clamped()
    }
}

// ---------------------------------------------------------------------------------------------
// WCAG contrast
// ---------------------------------------------------------------------------------------------

/// WCAG 2.x relative luminance (0 = black, 1 = white), ignoring alpha.
pub fn relative_luminance(color: Color) -> f64 {
    color.relative_luminance()
}

/// WCAG 2.x contrast ratio between two opaque colours, 1..=21.
pub fn contrast_ratio(a: Color, b: Color) -> f64 {
    a.contrast_ratio(b)
}

/// The lowest contrast of `fg` against any of `bgs` (infinite when `bgs` is empty).
fn min_contrast(fg: Color, bgs: &[Color]) -> f64 {
    bgs.iter().map(|&bg| contrast_ratio(fg, bg)).fold(f64::INFINITY, f64::min)
}

/// `fg` if it already has contrast `min` against `bg`; otherwise `fg` with its OKLCH lightness
/// moved towards black or white, whichever reaches `min` with the smaller change. Falls back to
/// black or white (the better of the two) when neither direction reaches `min` — which only
/// happens for targets above √21 ≈ 4.58 on mid-tone backgrounds. Alpha is kept.
pub fn ensure_contrast(fg: Color, bg: Color, min: f64) -> Color {
    ensure_contrast_against(fg, &[bg], min)
}

/// Like [`ensure_contrast`] against several backgrounds at once (text that sits on both the
/// background and a surface, for instance).
pub fn ensure_contrast_against(fg: Color, bgs: &[Color], min: f64) -> Color {
    if min_contrast(fg, bgs) >= min {
        return fg;
    }
    let start = Oklch::from_color(fg);
    let with_alpha = |c: Color| Color { a: fg.a, ..c };
    let at = |l: f64| with_alpha(Oklch { l, ..start }.to_color());
    let meets = |c: Color| min_contrast(c, bgs) >= min;
    // Walk from the start towards `target` and refine the first step that meets the target.
    let search = |target: f64| -> Option<(f64, Color)> {
        const STEPS: u32 = 64;
        let lerp = |t: f64| start.l + (target - start.l) * t;
        let mut prev_t = 0.0;
        for k in 1..=STEPS {
            let t = f64::from(k) / f64::from(STEPS);
            let candidate = at(lerp(t));
            if meets(candidate) {
                let (mut lo, mut hi, mut best) = (prev_t, t, candidate);
                for _ in 0..20 {
                    let mid = 0.5 * (lo + hi);
                    let c = at(lerp(mid));
                    if meets(c) {
                        hi = mid;
                        best = c;
                    } else {
                        lo = mid;
                    }
                }
                return Some(((lerp(hi) - start.l).abs(), best));
            }
            prev_t = t;
        }
        None
    };
    let darker = search(0.0);
    let lighter = search(1.0);
    let best = match (darker, lighter) {
        (Some(d), Some(l)) => Some(if d.0 <= l.0 { d.1 } else { l.1 }),
        (d, l) => d.or(l).map(|x| x.1),
    };
    best.unwrap_or_else(|| {
        let (black, white) = (with_alpha(Color::BLACK), with_alpha(Color::WHITE));
        if min_contrast(black, bgs) >= min_contrast(white, bgs) { black } else { white }
    })
}

// ---------------------------------------------------------------------------------------------
// Harmonies
// ---------------------------------------------------------------------------------------------

/// A colour-wheel arrangement in OKLCH hue space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Harmony {
    /// The base hue and its opposite (+180°).
    Complementary,
    /// Neighbouring hues (±30°).
    Analogous,
    /// Three hues 120° apart.
    Triadic,
    /// The base and the two neighbours of its complement (+150°, +210°).
    SplitComplementary,
    /// One hue at different lightness and chroma.
    Monochromatic,
}

impl Harmony {
    /// All harmonies, in the order [`suggest`] cycles through them.
    pub const ALL: [Harmony; 5] = [
        Harmony::Complementary,
        Harmony::Analogous,
        Harmony::Triadic,
        Harmony::SplitComplementary,
        Harmony::Monochromatic,
    ];

    /// Hue offsets in degrees of the secondary and accent colours from the base hue.
    pub fn offsets(self) -> [f64; 2] {
        match self {
            Harmony::Complementary => [0.0, 180.0],
            Harmony::Analogous => [-30.0, 30.0],
            Harmony::Triadic => [120.0, 240.0],
            Harmony::SplitComplementary => [150.0, 210.0],
            Harmony::Monochromatic => [0.0, 0.0],
        }
    }

    /// The name used in files and the UI (`split-complementary`, …).
    pub fn name(self) -> &'static str {
        match self {
            Harmony::Complementary => "complementary",
            Harmony::Analogous => "analogous",
            Harmony::Triadic => "triadic",
            Harmony::SplitComplementary => "split-complementary",
            Harmony::Monochromatic => "monochromatic",
        }
    }
}

impl fmt::Display for Harmony {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The base colour followed by its secondary and accent colours for `harmony`. Same-hue
/// members (complementary's secondary, monochromatic) differ in lightness and chroma instead.
pub fn harmony(base: Color, harmony: Harmony) -> [Color; 3] {
    let [secondary, accent] = harmony_members(Oklch::from_color(base), harmony, [0.0, 0.0]);
    [base, secondary.to_color(), accent.to_color()]
}

/// Secondary and accent in OKLCH for `base`, with `jitter` degrees added to the two hues.
fn harmony_members(base: Oklch, harmony: Harmony, jitter: [f64; 2]) -> [Oklch; 2] {
    let [o1, o2] = harmony.offsets();
    // Move lightness away from the base so same-hue members stay distinguishable.
    let shifted = |delta: f64| {
        let l = if base.l + delta <= 0.92 && base.l + delta >= 0.2 { base.l + delta } else { base.l - delta };
        l.clamp(0.05, 0.95)
    };
    let c = base.c.max(0.02);
    match harmony {
        Harmony::Monochromatic => [
            Oklch::new(shifted(-0.2), c * 0.7, base.h + jitter[0] * 0.25),
            Oklch::new(shifted(0.18), (c * 1.2).min(0.3), base.h + jitter[1] * 0.25),
        ],
        Harmony::Complementary => [
            Oklch::new(shifted(-0.18), c * 0.6, base.h + o1 + jitter[0] * 0.25),
            Oklch::new(base.l.clamp(0.5, 0.75), c, base.h + o2 + jitter[1]),
        ],
        _ => [
            Oklch::new(shifted(-0.08), c * 0.8, base.h + o1 + jitter[0]),
            Oklch::new(base.l.clamp(0.55, 0.78), (c * 1.1).min(0.3), base.h + o2 + jitter[1]),
        ],
    }
}

// ---------------------------------------------------------------------------------------------
// Knowledge base
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct Knowledge {
    defaults: Defaults,
    family: BTreeMap<String, Family>,
    emotion: Vec<Emotion>,
    industry: Vec<Industry>,
    #[serde(default)]
    combo: Vec<Combo>,
}

#[derive(Debug, Deserialize)]
struct Defaults {
    industry: String,
    emotion: String,
}

#[derive(Debug, Deserialize)]
struct Family {
    hue: [f64; 2],
    chroma: Option<[f64; 2]>,
}

#[derive(Debug, Deserialize)]
struct Emotion {
    id: String,
    #[serde(default)]
    synonyms: Vec<String>,
    families: Vec<String>,
    chroma: [f64; 2],
    lightness: [f64; 2],
    dark_background: f64,
    #[expect(dead_code, reason = "documentation for people; kept so the file is checked to have it")]
    rationale: String,
}

#[derive(Debug, Deserialize)]
struct Industry {
    id: String,
    #[serde(default)]
    synonyms: Vec<String>,
    families: Vec<String>,
    #[expect(dead_code, reason = "documentation for people; kept so the file is checked to have it")]
    rationale: String,
}

#[derive(Debug, Deserialize)]
struct Combo {
    industry: String,
    emotion: String,
    families: Vec<String>,
    #[expect(dead_code, reason = "documentation for people; kept so the file is checked to have it")]
    rationale: String,
}

const KNOWLEDGE_TOML: &str = include_str!("../../assets/palettes/knowledge.toml");

/// Parsed once; a broken embedded file (caught by the tests) degrades to one neutral profile
/// rather than panicking in production.
static KNOWLEDGE: LazyLock<Knowledge> =
    LazyLock::new(|| toml::from_str(KNOWLEDGE_TOML).unwrap_or_else(|_| Knowledge::fallback()));

impl Knowledge {
    fn fallback() -> Self {
        Knowledge {
            defaults: Defaults { industry: "general".into(), emotion: "trust".into() },
            family: BTreeMap::from([("blue".to_owned(), Family { hue: [240.0, 264.0], chroma: None })]),
            emotion: vec![Emotion {
                id: "trust".into(),
                synonyms: Vec::new(),
                families: vec!["blue".into()],
                chroma: [0.08, 0.15],
                lightness: [0.42, 0.58],
                dark_background: 0.25,
                rationale: String::new(),
            }],
            industry: vec![Industry {
                id: "general".into(),
                synonyms: Vec::new(),
                families: vec!["blue".into()],
                rationale: String::new(),
            }],
            combo: Vec::new(),
        }
    }

    fn industry(&self, query: &str) -> &Industry {
        find(&self.industry, query, |i| (&i.id, &i.synonyms))
            .or_else(|| self.industry.iter().find(|i| i.id == self.defaults.industry))
            .or(self.industry.first())
            .unwrap_or(&FALLBACK_INDUSTRY)
    }

    fn emotion(&self, query: &str) -> &Emotion {
        find(&self.emotion, query, |e| (&e.id, &e.synonyms))
            .or_else(|| self.emotion.iter().find(|e| e.id == self.defaults.emotion))
            .or(self.emotion.first())
            .unwrap_or(&FALLBACK_EMOTION)
    }

    /// Hue families for the pair, most fitting first (see the header of knowledge.toml).
    fn families(&self, industry: &Industry, emotion: &Emotion) -> Vec<&Family> {
        let names: Vec<&String> = match self.combo.iter().find(|c| c.industry == industry.id && c.emotion == emotion.id)
        {
            Some(combo) => combo.families.iter().collect(),
            None => {
                let shared = emotion.families.iter().filter(|f| industry.families.contains(f));
                let mut names: Vec<&String> = Vec::new();
                for name in shared.chain(&emotion.families).chain(&industry.families) {
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                names.truncate(4);
                names
            }
        };
        let families: Vec<&Family> = names.iter().filter_map(|n| self.family.get(n.as_str())).collect();
        if families.is_empty() { vec![&FALLBACK_FAMILY] } else { families }
    }
}

static FALLBACK_FAMILY: Family = Family { hue: [240.0, 264.0], chroma: None };
static FALLBACK_INDUSTRY: Industry =
    Industry { id: String::new(), synonyms: Vec::new(), families: Vec::new(), rationale: String::new() };
static FALLBACK_EMOTION: Emotion = Emotion {
    id: String::new(),
    synonyms: Vec::new(),
    families: Vec::new(),
    chroma: [0.08, 0.15],
    lightness: [0.42, 0.58],
    dark_background: 0.25,
    rationale: String::new(),
};

/// Lower-case alphanumeric words with "and" dropped: "Food & Drink" and "food-and-drink" agree.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| w != "and")
        .collect()
}

/// An entry whose id or synonym equals the query (ignoring case and punctuation); failing that,
/// the first entry whose id or synonym appears as words of the query ("coffee shop" → food-and-drink).
fn find<'a, T>(items: &'a [T], query: &str, names: impl Fn(&T) -> (&String, &Vec<String>)) -> Option<&'a T> {
    let q = words(query);
    if q.is_empty() {
        return None;
    }
    let joined = q.concat();
    let matches_exact = |item: &T| {
        let (id, syn) = names(item);
        std::iter::once(id).chain(syn).any(|n| words(n).concat() == joined)
    };
    if let Some(item) = items.iter().find(|i| matches_exact(i)) {
        return Some(item);
    }
    // The earliest matching word wins: in "coffee shop" the modifier is the more specific word.
    (0..q.len()).find_map(|start| {
        items.iter().find(|item| {
            let (id, syn) = names(item);
            std::iter::once(id).chain(syn).any(|n| {
                let w = words(n);
                !w.is_empty() && q[start..].starts_with(&w)
            })
        })
    })
}

/// Industries known to the knowledge base, for the editor's picker.
pub fn industries() -> Vec<&'static str> {
    KNOWLEDGE.industry.iter().map(|i| i.id.as_str()).collect()
}

/// Emotions known to the knowledge base, for the editor's picker.
pub fn emotions() -> Vec<&'static str> {
    KNOWLEDGE.emotion.iter().map(|e| e.id.as_str()).collect()
}

// ---------------------------------------------------------------------------------------------
// Palettes
// ---------------------------------------------------------------------------------------------

/// A design palette. `text` has contrast ≥ [`MIN_TEXT_CONTRAST`] on `background` and `surface`,
/// and `text_on_primary` on `primary`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Palette {
    /// A short label for the UI, e.g. `finance · trust · triadic`.
    pub name: String,
    /// How secondary and accent relate to primary.
    pub harmony: Harmony,
    /// Whether the background is dark (light text).
    pub dark: bool,
    /// The page colour.
    pub background: Color,
    /// Cards and panels on the background.
    pub surface: Color,
    /// The main brand or theme colour (buttons, shapes, headline highlights).
    pub primary: Color,
    /// A supporting colour.
    pub secondary: Color,
    /// A small-area highlight colour.
    pub accent: Color,
    /// Body and headline text on background and surface.
    pub text: Color,
    /// Text on primary-coloured shapes (buttons, badges).
    pub text_on_primary: Color,
}

impl Palette {
    /// Whether the contrast guarantees hold.
    pub fn meets_contrast(&self) -> bool {
        min_contrast(self.text, &[self.background, self.surface]) >= MIN_TEXT_CONTRAST
            && contrast_ratio(self.text_on_primary, self.primary) >= MIN_TEXT_CONTRAST
    }
}

/// splitmix64: small, fast and enough for choosing among design variants (the generator's one
/// source of seeded choices).
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        // 53 random bits, exactly representable.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, [lo, hi]: [f64; 2]) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    fn index(&mut self, len: usize) -> usize {
        if len == 0 { 0 } else { (self.next_u64() % len as u64) as usize }
    }
}

/// FNV-1a, to mix names into the seed deterministically on every platform.
pub(crate) fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Background, surface and a preferred text colour around `hue`.
fn grounds(rng: &mut SplitMix64, hue: f64, dark: bool) -> (Color, Color, Color) {
    if dark {
        let l = rng.range([0.16, 0.23]);
        let c = rng.range([0.01, 0.03]);
        let bg = Oklch::new(l, c, hue).to_color();
        let surface = Oklch::new(l + rng.range([0.05, 0.08]), c, hue).to_color();
        (bg, surface, Oklch::new(0.97, 0.01, hue).to_color())
    } else {
        let l = rng.range([0.975, 0.995]);
        let bg = Oklch::new(l, rng.range([0.004, 0.014]), hue).to_color();
        let surface = if rng.unit() < 0.5 {
            Color::WHITE
        } else {
            Oklch::new(l - rng.range([0.03, 0.05]), rng.range([0.008, 0.02]), hue).to_color()
        };
        (bg, surface, Oklch::new(0.24, 0.025, hue).to_color())
    }
}

/// Text colours that meet the guarantees, adjusting only text (never the other colours).
fn finish(
    name: String,
    harmony: Harmony,
    dark: bool,
    [background, surface, primary, secondary, accent]: [Color; 5],
    text: Color,
) -> Palette {
    let text = ensure_contrast_against(text, &[background, surface], MIN_TEXT_CONTRAST);
    // On the primary, prefer the page's own text or background colour, whichever contrasts more.
    let on_primary = [text, background, Color::WHITE]
        .into_iter()
        .max_by(|a, b| contrast_ratio(*a, primary).total_cmp(&contrast_ratio(*b, primary)))
        .unwrap_or(Color::WHITE);
    let text_on_primary = ensure_contrast(on_primary, primary, MIN_TEXT_CONTRAST);
    Palette { name, harmony, dark, background, surface, primary, secondary, accent, text, text_on_primary }
}

/// One palette variant; `attempt` re-rolls a variant that came out equal to an earlier one.
fn variant(
    industry: &Industry,
    emotion: &Emotion,
    families: &[&Family],
    base: Option<Color>,
    rng: &mut SplitMix64,
    index: usize,
    harmony_start: usize,
) -> Palette {
    let harmony = Harmony::ALL[(harmony_start + index) % Harmony::ALL.len()];
    let family = families[index % families.len()];
    let primary_lch = match base {
        Some(color) => Oklch::from_color(color),
        None => {
            let mut chroma = rng.range(emotion.chroma);
            if let Some([lo, hi]) = family.chroma {
                chroma = chroma.clamp(lo, hi);
            }
            Oklch::new(rng.range(emotion.lightness), chroma, rng.range(family.hue)).gamut_mapped()
        }
    };
    let primary = base.map_or_else(|| primary_lch.to_color(), |c| Color { a: 255, ..c });
    let jitter = [rng.range([-8.0, 8.0]), rng.range([-8.0, 8.0])];
    let [secondary, accent] = harmony_members(primary_lch, harmony, jitter).map(Oklch::to_color);
    // Alternate light and dark grounds between neighbouring variants, biased by the emotion.
    let dark = (rng.unit() < emotion.dark_background) != (index % 2 == 1 && emotion.dark_background < 0.5);
    let (background, surface, text) = grounds(rng, primary_lch.h, dark);
    let name = format!("{} · {} · {}", industry.id, emotion.id, harmony);
    finish(name, harmony, dark, [background, surface, primary, secondary, accent], text)
}

/// Up to `count` distinct palettes for an industry and emotion (matched case-insensitively,
/// with synonyms; unknown values fall back to the knowledge base's defaults), cycling through
/// hue families and [`Harmony`]s. With `base`, every palette keeps it as its primary colour.
/// The same arguments always give the same palettes.
pub fn suggest(industry: &str, emotion: &str, base: Option<Color>, seed: u64, count: usize) -> Vec<Palette> {
    let kb = &*KNOWLEDGE;
    let (industry, emotion) = (kb.industry(industry), kb.emotion(emotion));
    let families = kb.families(industry, emotion);
    let mut rng = SplitMix64(seed ^ fnv1a(&industry.id) ^ fnv1a(&emotion.id).rotate_left(17));
    let harmony_start = rng.index(Harmony::ALL.len());
    let family_start = rng.index(families.len());
    let families: Vec<&Family> = families.iter().cycle().skip(family_start).take(families.len()).copied().collect();
    let mut out: Vec<Palette> = Vec::with_capacity(count);
    for index in 0..count {
        let mut palette = variant(industry, emotion, &families, base, &mut rng, index, harmony_start);
        // Re-roll the rare variant equal to an earlier one; the rng has moved on, so it differs.
        for _ in 0..16 {
            if !out.contains(&palette) {
                break;
            }
            palette = variant(industry, emotion, &families, base, &mut rng, index, harmony_start);
        }
        if !out.contains(&palette) {
            out.push(palette);
        }
    }
    out
}

/// A palette around a brand kit's colours. The first colour is the primary, unchanged; light
/// neutrals become the background, dark neutrals the preferred text colour, and the other
/// colours secondary and accent, in order. What the kit lacks is filled from a harmony of the
/// primary chosen by `seed`. Only text colours are adjusted to meet the contrast guarantees.
/// An empty kit gives the default suggestion.
pub fn from_brand(colors: &[Color], seed: u64) -> Palette {
    let Some((&first, rest)) = colors.split_first() else {
        return suggest("", "", None, seed, 1).into_iter().next().unwrap_or_else(|| {
            finish(
                "default".into(),
                Harmony::Complementary,
                false,
                [Color::WHITE, Color::WHITE, Color::rgb(0x25, 0x63, 0xeb), Color::BLACK, Color::BLACK],
                Color::BLACK,
            )
        });
    };
    let primary = Color { a: 255, ..first };
    let mut rng = SplitMix64(seed ^ 0x6272_616e_642d_6b69);
    let mut light = None;
    let mut dark_text = None;
    let mut chromatic = Vec::new();
    for &c in rest {
        let c = Color { a: 255, ..c };
        let lch = Oklch::from_color(c);
        if lch.c < 0.03 && lch.l > 0.9 && light.is_none() {
            light = Some(c);
        } else if lch.c < 0.03 && lch.l < 0.35 && dark_text.is_none() {
            dark_text = Some(c);
        } else {
            chromatic.push(c);
        }
    }
    let primary_lch = Oklch::from_color(primary);
    let harmony = Harmony::ALL[rng.index(Harmony::ALL.len())];
    let jitter = [rng.range([-6.0, 6.0]), rng.range([-6.0, 6.0])];
    let [fill_secondary, fill_accent] = harmony_members(primary_lch, harmony, jitter).map(Oklch::to_color);
    let secondary = chromatic.first().copied().unwrap_or(fill_secondary);
    let accent = chromatic.get(1).copied().unwrap_or(fill_accent);
    let (background, surface, text) = match light {
        Some(bg) => {
            let bg_lch = Oklch::from_color(bg);
            // A surface just off the brand background: darker on white, lighter on off-white.
            let l = if bg_lch.l > 0.985 { bg_lch.l - 0.035 } else { (bg_lch.l + 0.03).min(1.0) };
            let surface = Oklch::new(l, bg_lch.c.max(0.008), primary_lch.h).to_color();
            (bg, surface, dark_text.unwrap_or_else(|| Oklch::new(0.24, 0.025, primary_lch.h).to_color()))
        }
        None => {
            let (bg, surface, text) = grounds(&mut rng, primary_lch.h, false);
            (bg, surface, dark_text.unwrap_or(text))
        }
    };
    finish("brand kit".into(), harmony, false, [background, surface, primary, secondary, accent], text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Color {
        Color::from_hex(text).unwrap()
    }

    #[test]
    fn knowledge_base_parses_and_is_complete() {
        let kb: Knowledge = toml::from_str(KNOWLEDGE_TOML).expect("knowledge.toml parses");
        assert!(kb.industry.len() >= 12, "at least 12 industries");
        assert!(kb.emotion.len() >= 8, "at least 8 emotions");
        for name in kb
            .emotion
            .iter()
            .flat_map(|e| &e.families)
            .chain(kb.industry.iter().flat_map(|i| &i.families))
            .chain(kb.combo.iter().flat_map(|c| &c.families))
        {
            assert!(kb.family.contains_key(name), "unknown hue family {name}");
        }
        for combo in &kb.combo {
            assert!(kb.industry.iter().any(|i| i.id == combo.industry), "combo industry {}", combo.industry);
            assert!(kb.emotion.iter().any(|e| e.id == combo.emotion), "combo emotion {}", combo.emotion);
        }
        for (name, f) in &kb.family {
            assert!(f.hue[0] < f.hue[1] && f.hue[0] >= 0.0 && f.hue[1] <= 400.0, "family {name} hue range");
        }
        assert_eq!(industries().len(), kb.industry.len());
        for expected in ["retail", "food-and-drink", "tech", "fitness", "beauty", "real-estate", "finance", "travel"] {
            assert!(industries().contains(&expected), "{expected}");
        }
        for expected in ["trust", "energy", "calm", "luxury", "playful", "warmth", "freshness", "urgency"] {
            assert!(emotions().contains(&expected), "{expected}");
        }
    }

    #[test]
    fn srgb_oklch_round_trip() {
        for r in (0..=255).step_by(15) {
            for g in (0..=255).step_by(15) {
                for b in (0..=255).step_by(15) {
                    let c = Color::rgb(r as u8, g as u8, b as u8);
                    let back = Oklch::from_color(c).to_color();
                    let diff = [(c.r, back.r), (c.g, back.g), (c.b, back.b)]
                        .iter()
                        .map(|&(x, y)| x.abs_diff(y))
                        .max()
                        .unwrap();
                    assert!(diff <= 1, "{c} -> {back}");
                }
            }
        }
    }

    #[test]
    fn reference_values() {
        let white = Oklab::from_color(Color::WHITE);
        assert!((white.l - 1.0).abs() < 1e-4 && white.a.abs() < 1e-4 && white.b.abs() < 1e-4, "{white:?}");
        let black = Oklab::from_color(Color::BLACK);
        assert!(black.l.abs() < 1e-9);
        // Ottosson's published value for sRGB red.
        let red = Oklab::from_color(hex("#ff0000"));
        assert!((red.l - 0.6279).abs() < 1e-3 && (red.a - 0.2249).abs() < 1e-3 && (red.b - 0.1258).abs() < 1e-3);
        let red = Oklch::from_color(hex("#ff0000"));
        assert!((red.h - 29.23).abs() < 0.1, "{red:?}");
        let blue = Oklch::from_color(hex("#0000ff"));
        assert!((blue.l - 0.452).abs() < 1e-3 && (blue.h - 264.05).abs() < 0.1, "{blue:?}");
    }

    #[test]
    fn gamut_mapping_keeps_lightness_and_hue() {
        let wild = Oklch::new(0.7, 0.4, 150.0);
        assert!(!wild.to_oklab().in_gamut());
        let mapped = wild.gamut_mapped();
        assert!(mapped.to_oklab().in_gamut());
        assert!(mapped.c < 0.4 && mapped.c > 0.1);
        let back = Oklch::from_color(wild.to_color());
        assert!((back.l - 0.7).abs() < 0.01 && (back.h - 150.0).abs() < 2.0, "{back:?}");
        // Nonsense in, a colour out.
        let _ = Oklch { l: f64::NAN, c: f64::INFINITY, h: -1.0 }.to_color();
        assert_eq!(Oklch::new(1.5, 0.2, 10.0).to_color(), Color::WHITE);
    }

    #[test]
    fn contrast_reference_values() {
        assert!((contrast_ratio(Color::BLACK, Color::WHITE) - 21.0).abs() < 1e-9);
        assert!((contrast_ratio(Color::WHITE, Color::BLACK) - 21.0).abs() < 1e-9);
        let grey = contrast_ratio(hex("#777777"), Color::WHITE);
        assert!((grey - 4.48).abs() < 0.01, "{grey}");
        assert!((relative_luminance(Color::WHITE) - 1.0).abs() < 1e-12);
        assert!((contrast_ratio(hex("#336699"), hex("#336699")) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn ensure_contrast_moves_lightness_minimally() {
        // #777 on white fails AA by a hair; the fix is a slightly darker grey, not black.
        let fixed = ensure_contrast(hex("#777777"), Color::WHITE, 4.5);
        assert!(contrast_ratio(fixed, Color::WHITE) >= 4.5);
        assert!(
            fixed != hex("#777777") && [fixed.r, fixed.g, fixed.b].iter().all(|c| (0x70..=0x77).contains(c)),
            "{fixed}"
        );
        assert!(fixed.r == fixed.g && fixed.g == fixed.b, "a grey stays grey: {fixed}");
        // Already fine: unchanged.
        assert_eq!(ensure_contrast(hex("#222222"), Color::WHITE, 4.5), hex("#222222"));
        // A mid blue on dark navy goes lighter, keeping its hue.
        let navy = hex("#10163a");
        let blue = hex("#3050c0");
        let fixed = ensure_contrast(blue, navy, 4.5);
        assert!(contrast_ratio(fixed, navy) >= 4.5);
        assert!(Oklch::from_color(fixed).l > Oklch::from_color(blue).l);
        assert!((Oklch::from_color(fixed).h - Oklch::from_color(blue).h).abs() < 15.0);
        // Unreachable target: the better of black and white.
        assert_eq!(ensure_contrast(hex("#808080"), hex("#808080"), 21.0), Color::BLACK);
        // Every background admits AA text.
        for v in (0..=255).step_by(5) {
            for bg in [Color::rgb(v as u8, v as u8, v as u8), Color::rgb(v as u8, 255 - v as u8, 128)] {
                let fg = ensure_contrast(bg, bg, 4.5);
                assert!(contrast_ratio(fg, bg) >= 4.5, "{fg} on {bg}");
            }
        }
    }

    #[test]
    fn harmonies_place_hues() {
        let base = hex("#2563eb");
        let h = Oklch::from_color(base).h;
        let hue = |c: Color| Oklch::from_color(c).h;
        let angle = |a: f64, b: f64| {
            let d = (a - b).rem_euclid(360.0);
            d.min(360.0 - d)
        };
        let [b, _, accent] = harmony(base, Harmony::Complementary);
        assert_eq!(b, base);
        assert!((angle(hue(accent), h) - 180.0).abs() < 6.0);
        let [_, s, a] = harmony(base, Harmony::Triadic);
        assert!((angle(hue(s), h) - 120.0).abs() < 6.0 && (angle(hue(a), h) - 120.0).abs() < 6.0);
        let [_, s, a] = harmony(base, Harmony::SplitComplementary);
        assert!((angle(hue(s), h) - 150.0).abs() < 6.0 && (angle(hue(a), h) - 150.0).abs() < 6.0);
        let [_, s, a] = harmony(base, Harmony::Analogous);
        assert!((angle(hue(s), h) - 30.0).abs() < 6.0 && (angle(hue(a), h) - 30.0).abs() < 6.0);
        let [_, s, a] = harmony(base, Harmony::Monochromatic);
        assert!(angle(hue(s), h) < 6.0 && angle(hue(a), h) < 6.0);
        assert!(s != base && a != base && s != a);
    }

    #[test]
    fn suggestions_meet_contrast_and_are_distinct_everywhere() {
        let bases = [None, Some(hex("#e11d48")), Some(hex("#fde047")), Some(hex("#1e293b"))];
        for industry in industries() {
            for emotion in emotions() {
                for seed in [0, 1, 42, u64::MAX] {
                    for base in bases {
                        let palettes = suggest(industry, emotion, base, seed, 6);
                        assert_eq!(palettes.len(), 6, "{industry}/{emotion}/{seed}");
                        for (i, p) in palettes.iter().enumerate() {
                            assert!(p.meets_contrast(), "{industry}/{emotion}/{seed}/{base:?}: {p:?}");
                            if let Some(base) = base {
                                assert_eq!(p.primary, base, "base colour kept");
                            }
                            for q in &palettes[..i] {
                                assert_ne!(p, q, "{industry}/{emotion}/{seed}");
                            }
                        }
                        let harmonies: std::collections::HashSet<_> = palettes.iter().map(|p| p.harmony).collect();
                        assert_eq!(harmonies.len(), 5, "all harmonies offered");
                    }
                }
            }
        }
    }

    #[test]
    fn suggestions_are_deterministic_and_seed_dependent() {
        let a = suggest("finance", "trust", None, 7, 4);
        assert_eq!(a, suggest("finance", "trust", None, 7, 4));
        assert_ne!(a, suggest("finance", "trust", None, 8, 4));
        assert_ne!(a, suggest("beauty", "trust", None, 7, 4));
        assert_eq!(suggest("finance", "trust", None, 7, 0), Vec::new());
        assert_eq!(suggest("finance", "trust", None, 7, 40).len(), 40);
    }

    #[test]
    fn names_match_loosely_and_unknowns_fall_back() {
        let kb = &*KNOWLEDGE;
        assert_eq!(kb.industry("Food & Drink").id, "food-and-drink");
        assert_eq!(kb.industry("food_and_drink").id, "food-and-drink");
        assert_eq!(kb.industry("  RESTAURANT ").id, "food-and-drink");
        assert_eq!(kb.industry("my little coffee shop").id, "food-and-drink");
        assert_eq!(kb.industry("Real Estate").id, "real-estate");
        assert_eq!(kb.industry("qwerty").id, "general");
        assert_eq!(kb.industry("").id, "general");
        assert_eq!(kb.emotion("Premium").id, "luxury");
        assert_eq!(kb.emotion("flash SALE").id, "urgency");
        assert_eq!(kb.emotion("🙂").id, "trust");
        for p in suggest("🙂 \u{202e}", "<b>", None, 3, 4) {
            assert!(p.meets_contrast());
        }
        // Hue families follow the knowledge base: finance × trust is blue-ish.
        for p in suggest("bank", "trustworthy", None, 11, 3) {
            let h = Oklch::from_color(p.primary).h;
            assert!((170.0..=290.0).contains(&h), "{h} {p:?}");
        }
        // Energy in food is warm.
        for p in suggest("food", "energy", None, 11, 3) {
            let h = Oklch::from_color(p.primary).h;
            assert!(!(130.0..=350.0).contains(&h), "{h} {p:?}");
        }
    }

    #[test]
    fn from_brand_keeps_brand_colours() {
        let kits: [&[Color]; 6] = [
            &[hex("#ff5a1f")],
            &[hex("#0f766e"), hex("#f59e0b")],
            &[hex("#7c3aed"), hex("#f472b6"), hex("#22d3ee")],
            &[hex("#111111"), hex("#ffffff"), hex("#e11d48")],
            &[hex("#fde047"), hex("#faf7f0"), hex("#1f2937"), hex("#2563eb")],
            &[hex("#777777"), hex("#888888"), hex("#999999")],
        ];
        for kit in kits {
            for seed in 0..8 {
                let p = from_brand(kit, seed);
                assert!(p.meets_contrast(), "{kit:?}: {p:?}");
                assert_eq!(p.primary, kit[0]);
                assert_eq!(p, from_brand(kit, seed), "deterministic");
            }
        }
        let p = from_brand(&[hex("#7c3aed"), hex("#f472b6"), hex("#22d3ee")], 1);
        assert_eq!((p.secondary, p.accent), (hex("#f472b6"), hex("#22d3ee")));
        let p = from_brand(&[hex("#fde047"), hex("#faf7f0"), hex("#1f2937"), hex("#2563eb")], 1);
        assert_eq!(p.background, hex("#faf7f0"), "light neutral becomes the background");
        assert_eq!(p.text, hex("#1f2937"), "dark neutral is the text colour when it passes");
        assert_eq!(p.secondary, hex("#2563eb"));
        assert!(from_brand(&[], 5).meets_contrast());
    }
}
