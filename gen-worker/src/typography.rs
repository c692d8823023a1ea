//! Font pairings by tone and style, ranked from the font catalogue's categories and moods.
//!
//! A [`FontPairing`] is a heading face, a body face and an accent face (for call-to-action
//! buttons and offer badges). [`pairings`] ranks every usable heading family of the catalogue
//! for a [`Tone`] and a style key (one of [`STYLES`]) and gives each one its best body
//! partner; [`pairing_for`] picks variation `i` of that list (wrapping), so successive
//! samples of a generation get different but still fitting type.
//!
//! Nothing here names a family: everything is scored from the catalogue's `category` and
//! `moods`, through a small curated table of preferred (and avoided) moods per tone and per
//! style. The rules:
//!
//! - **Fallback families are never used** (`fallback: true`: the Noto script fallbacks and
//!   the emoji font).
//! - **Headings** may be sans, serif or display; script only for the `playful`, `luxury`,
//!   `elegant` and `lifestyle` styles; mono only for `tech`. A heading's score is
//!   `10 × category preference of the style + 4 × style moods shared + 3 × tone moods shared
//!   − 4 × avoided moods`, plus a small bonus when the family has the heavy weight a bold
//!   style or an urgent tone asks for.
//! - **Body** faces must be sans or serif (never script, display or mono, whatever the style)
//!   with an upright regular (400) and an upright bold (≥ 600) weight, so long copy can be
//!   set and emphasised. They score by the style's sans/serif preference, readability moods
//!   (`clean`, `neutral`, `readable`, `classic`) and shared tone/style moods.
//! - **Pairs** earn a contrast bonus (serif heading over sans body and the like), a small
//!   harmony bonus for shared moods, and a family is **never paired with itself** unless it
//!   ships at least 4 weights; then the heading takes a heavier weight (≥ 600) than the
//!   400 body.
//! - **Capitals**: headings go uppercase (tracked out) for `bold`, `luxury` and `retro` and
//!   for the urgent tone, but never scripts or italic-only display faces.
//! - **Accent**: the heading family at the style's accent weight (usually bold, uppercase
//!   and tracked out); the body family in bold when the heading is a script (scripts read
//!   badly in small caps-like badges); for `tech` the best monospace family.
//! - Every weight is one the family ships (looked up with
//!   [`FontFamilyInfo::closest_style`]), and `italic` is the chosen face's own flag.
//!
//! The ranking is deterministic: integer scores, ties broken by family name. The list holds
//! one pairing per heading family (so heading families are distinct), best first, at most
//! [`MAX_PAIRINGS`].

use render::fonts::{DEFAULT_FAMILY, FontCategory, FontFamilyInfo};

use crate::copy::Tone;

/// The style keys [`pairings`] understands (unknown keys read as [`DEFAULT_STYLE`]):
///
/// - `minimal`: quiet geometric or neo-grotesque sans, tight headings, lots of air.
/// - `bold`: loud display and heavy sans headlines, uppercase, for sales and sports.
/// - `luxury`: refined serif (or delicate script) headings, uppercase accents with wide
///   tracking, light weights.
/// - `tech`: technical sans headings (monospace allowed), monospace accents.
/// - `lifestyle`: warm, casual, sometimes handwritten; friendly sans or serif body.
/// - `playful`: rounded, quirky and handwritten faces, heavy weights, no uppercase.
/// - `elegant`: editorial and literary serifs, calm; scripts allowed for headings.
/// - `corporate`: neutral, readable sans (or a sturdy serif), businesslike.
/// - `retro`: condensed display, slab and typewriter flavours.
pub const STYLES: [&str; 9] =
    ["minimal", "bold", "luxury", "tech", "lifestyle", "playful", "elegant", "corporate", "retro"];

/// The style used for keys not in [`STYLES`].
pub const DEFAULT_STYLE: &str = "minimal";

/// The most pairings [`pairings`] returns.
pub const MAX_PAIRINGS: usize = 8;

/// One face choice for a text role.
#[derive(Clone, Debug, PartialEq)]
pub struct FontChoice {
    /// Family name, as the catalogue spells it.
    pub family: String,
    /// CSS weight; one the family ships.
    pub weight: u16,
    /// Italic (the shipped face's flag).
    pub italic: bool,
    /// Set the text in capitals.
    pub uppercase: bool,
    /// Letter spacing in em (0 is the font's own spacing).
    pub letter_spacing: f64,
}

/// Heading, body and accent faces that go together.
#[derive(Clone, Debug, PartialEq)]
pub struct FontPairing {
    /// Human-readable name, e.g. `"Yrsa + Lato"`.
    pub name: String,
    /// Headlines.
    pub heading: FontChoice,
    /// Body copy and small print.
    pub body: FontChoice,
    /// Call-to-action buttons and offer badges; may be the heading family.
    pub accent: FontChoice,
}

/// What a style wants from type.
struct StyleProfile {
    key: &'static str,
    /// Moods that fit the style.
    moods: &'static [&'static str],
    /// Heading category preference: sans, serif, display, script, mono (`None`: not allowed).
    heading: [Option<i32>; 5],
    /// Body preference: sans, serif.
    body: [i32; 2],
    /// Heading weight before the tone's shift.
    heading_weight: u16,
    /// Headings in capitals.
    heading_upper: bool,
    /// Tracking for capitals headings, in em.
    upper_spacing: f64,
    /// Accent weight.
    accent_weight: u16,
    /// Accent in capitals.
    accent_upper: bool,
    /// Whether a one-family pairing suits the style (bonus).
    one_family: bool,
}

const fn pref(sans: i32, serif: i32, display: i32, script: Option<i32>, mono: Option<i32>) -> [Option<i32>; 5] {
    [Some(sans), Some(serif), Some(display), script, mono]
}

const STYLE_PROFILES: [StyleProfile; 9] = [
    StyleProfile {
        key: "minimal",
        moods: &["minimal", "clean", "modern", "geometric", "neutral"],
        heading: pref(3, 1, 0, None, None),
        body: [4, 1],
        heading_weight: 600,
        heading_upper: false,
        upper_spacing: 0.04,
        accent_weight: 600,
        accent_upper: true,
        one_family: true,
    },
    StyleProfile {
        key: "bold",
        moods: &["bold", "headline", "confident", "condensed", "urban", "energetic"],
        heading: pref(2, 0, 3, None, None),
        body: [4, 1],
        heading_weight: 800,
        heading_upper: true,
        upper_spacing: 0.02,
        accent_weight: 800,
        accent_upper: true,
        one_family: false,
    },
    StyleProfile {
        key: "luxury",
        moods: &["luxury", "elegant", "classic", "delicate", "literary"],
        heading: pref(0, 3, 2, Some(1), None),
        body: [3, 3],
        heading_weight: 400,
        heading_upper: true,
        upper_spacing: 0.12,
        accent_weight: 500,
        accent_upper: true,
        one_family: false,
    },
    StyleProfile {
        key: "tech",
        moods: &["technical", "modern", "developer", "geometric", "clean"],
        heading: pref(3, 0, 1, None, Some(2)),
        body: [5, 0],
        heading_weight: 700,
        heading_upper: false,
        upper_spacing: 0.04,
        accent_weight: 600,
        accent_upper: true,
        one_family: true,
    },
    StyleProfile {
        key: "lifestyle",
        moods: &["warm", "friendly", "casual", "handwritten", "editorial", "romantic", "approachable"],
        heading: pref(2, 2, 1, Some(1), None),
        body: [3, 3],
        heading_weight: 600,
        heading_upper: false,
        upper_spacing: 0.06,
        accent_weight: 700,
        accent_upper: false,
        one_family: false,
    },
    StyleProfile {
        key: "playful",
        moods: &["playful", "rounded", "quirky", "handwritten", "casual", "energetic", "soft"],
        heading: pref(2, 0, 3, Some(2), None),
        body: [4, 1],
        heading_weight: 700,
        heading_upper: false,
        upper_spacing: 0.04,
        accent_weight: 700,
        accent_upper: false,
        one_family: false,
    },
    StyleProfile {
        key: "elegant",
        moods: &["elegant", "editorial", "literary", "calm", "delicate", "romantic", "classic"],
        heading: pref(1, 3, 0, Some(2), None),
        body: [3, 4],
        heading_weight: 400,
        heading_upper: false,
        upper_spacing: 0.1,
        accent_weight: 500,
        accent_upper: true,
        one_family: false,
    },
    StyleProfile {
        key: "corporate",
        moods: &["corporate", "clean", "neutral", "readable", "modern", "sturdy"],
        heading: pref(3, 2, 0, None, None),
        body: [4, 2],
        heading_weight: 700,
        heading_upper: false,
        upper_spacing: 0.04,
        accent_weight: 700,
        accent_upper: true,
        one_family: true,
    },
    StyleProfile {
        key: "retro",
        moods: &["retro", "typewriter", "condensed", "classic", "bookish", "sturdy"],
        heading: pref(1, 2, 3, None, None),
        body: [3, 3],
        heading_weight: 700,
        heading_upper: true,
        upper_spacing: 0.05,
        accent_weight: 700,
        accent_upper: true,
        one_family: false,
    },
];

/// What a tone wants from type.
struct ToneProfile {
    moods: &'static [&'static str],
    avoid: &'static [&'static str],
    /// Added to the style's heading weight.
    weight_shift: i32,
    /// Forces capitals headings (never for scripts).
    upper: bool,
}

fn tone_profile(tone: Tone) -> ToneProfile {
    match tone {
        Tone::Professional => ToneProfile {
            moods: &["corporate", "clean", "neutral", "modern", "readable"],
            avoid: &["playful", "quirky", "handwritten", "casual", "rounded"],
            weight_shift: 0,
            upper: false,
        },
        Tone::Friendly => ToneProfile {
            moods: &["friendly", "approachable", "warm", "rounded", "soft"],
            avoid: &["technical", "developer", "scholarly"],
            weight_shift: 0,
            upper: false,
        },
        Tone::Playful => ToneProfile {
            moods: &["playful", "rounded", "quirky", "casual", "handwritten", "energetic"],
            avoid: &["corporate", "scholarly", "neutral"],
            weight_shift: 100,
            upper: false,
        },
        Tone::Urgent => ToneProfile {
            moods: &["bold", "headline", "confident", "energetic", "condensed"],
            avoid: &["delicate", "calm", "romantic", "soft"],
            weight_shift: 200,
            upper: true,
        },
        Tone::Luxury => ToneProfile {
            moods: &["elegant", "luxury", "classic", "delicate", "romantic", "literary"],
            avoid: &["playful", "rounded", "quirky", "casual", "typewriter", "developer"],
            weight_shift: -100,
            upper: false,
        },
        Tone::Inspirational => ToneProfile {
            moods: &["elegant", "calm", "editorial", "confident", "romantic", "warm"],
            avoid: &["typewriter", "developer", "quirky"],
            weight_shift: 0,
            upper: false,
        },
    }
}

fn style_profile(style: &str) -> &'static StyleProfile {
    let key = style.trim();
    STYLE_PROFILES
        .iter()
        .find(|p| p.key.eq_ignore_ascii_case(key))
        .or_else(|| STYLE_PROFILES.iter().find(|p| p.key == DEFAULT_STYLE))
        .unwrap_or(&STYLE_PROFILES[0])
}

fn category_index(c: FontCategory) -> usize {
    match c {
        FontCategory::Sans => 0,
        FontCategory::Serif => 1,
        FontCategory::Display => 2,
        FontCategory::Script => 3,
        FontCategory::Mono => 4,
    }
}

fn shared(family: &FontFamilyInfo, moods: &[&str]) -> i32 {
    moods.iter().filter(|m| family.has_mood(m)).count() as i32
}

fn upright_weights(family: &FontFamilyInfo) -> Vec<u16> {
    let mut w: Vec<u16> = family.styles.iter().filter(|s| !s.italic).map(|s| s.weight).collect();
    w.sort_unstable();
    w.dedup();
    w
}

/// Heading score, `None` when the family may not head this style.
fn heading_score(f: &FontFamilyInfo, tone: &ToneProfile, style: &StyleProfile) -> Option<i32> {
    if f.fallback || f.styles.is_empty() {
        return None;
    }
    let cat = style.heading[category_index(f.category)]?;
    let mut score = 10 * cat + 4 * shared(f, style.moods) + 3 * shared(f, tone.moods) - 4 * shared(f, tone.avoid);
    let wants_heavy = style.heading_weight >= 700 || tone.weight_shift >= 200;
    if wants_heavy && f.weights().last().is_some_and(|&w| w >= 800) {
        score += 2;
    }
    Some(score)
}

/// Whether the family can set body copy: sans or serif, upright 400 and upright ≥ 600.
fn body_eligible(f: &FontFamilyInfo) -> bool {
    if f.fallback || !matches!(f.category, FontCategory::Sans | FontCategory::Serif) {
        return false;
    }
    let w = upright_weights(f);
    w.contains(&400) && w.iter().any(|&w| w >= 600)
}

fn body_score(f: &FontFamilyInfo, tone: &ToneProfile, style: &StyleProfile) -> i32 {
    let cat = if f.category == FontCategory::Serif { style.body[1] } else { style.body[0] };
    3 * cat
        + 2 * shared(f, &["clean", "neutral", "readable", "classic"])
        + shared(f, tone.moods)
        + shared(f, style.moods)
        - 3 * shared(f, tone.avoid)
        + i32::from(f.has_italic())
}

fn pair_bonus(heading: &FontFamilyInfo, body: &FontFamilyInfo, style: &StyleProfile) -> i32 {
    if heading.family == body.family {
        return if style.one_family { 3 } else { 0 };
    }
    use FontCategory::{Display, Mono, Sans, Script, Serif};
    let contrast = match (heading.category, body.category) {
        (Serif, Sans) => 4,
        (Sans, Serif) => 3,
        (Display | Script, Sans) => 3,
        (Display | Script, Serif) => 2,
        (Mono, Sans) => 3,
        // Two different sans faces rarely contrast enough: prefer one family or a change of class.
        (Sans, Sans) if !style.one_family => -2,
        _ => 0,
    };
    let harmony = heading.moods.iter().filter(|m| body.has_mood(m)).count().min(2) as i32;
    contrast + harmony
}

/// The face of `family` nearest to `weight`/`italic`, as a choice.
fn choice(family: &FontFamilyInfo, weight: u16, italic: bool, uppercase: bool, letter_spacing: f64) -> FontChoice {
    let style = family.closest_style(weight, italic).and_then(|i| family.styles.get(i));
    FontChoice {
        family: family.family.clone(),
        weight: style.map_or(weight, |s| s.weight),
        italic: style.is_some_and(|s| s.italic),
        uppercase,
        letter_spacing,
    }
}

fn heading_choice(
    f: &FontFamilyInfo,
    tone: &ToneProfile,
    style: &StyleProfile,
    tone_key: Tone,
    same_family: bool,
) -> FontChoice {
    let shifted = (i32::from(style.heading_weight) + tone.weight_shift).clamp(100, 900);
    let mut target = u16::try_from(shifted).unwrap_or(400);
    if same_family {
        target = target.max(700);
    }
    // Scripts and italic-only (connected) display faces never go in capitals.
    let script = f.category == FontCategory::Script || !f.styles.iter().any(|s| !s.italic);
    let uppercase = !script && (style.heading_upper || tone.upper);
    let mut c = choice(f, target, false, uppercase, 0.0);
    if same_family && c.weight < 600 {
        // Same family: the heading must be heavier than the 400 body.
        if let Some(&w) = upright_weights(f).last() {
            c = choice(f, w, false, uppercase, 0.0);
        }
    }
    c.letter_spacing = if uppercase {
        if tone_key == Tone::Luxury { style.upper_spacing.max(0.1) } else { style.upper_spacing }
    } else if matches!(f.category, FontCategory::Sans | FontCategory::Display) && c.weight >= 600 {
        -0.01
    } else {
        0.0
    };
    c
}

fn accent_choice(
    heading: &FontFamilyInfo,
    body: &FontFamilyInfo,
    style: &StyleProfile,
    tone: &ToneProfile,
    catalog: &[FontFamilyInfo],
) -> FontChoice {
    let weight = if tone.weight_shift >= 200 { style.accent_weight.max(800) } else { style.accent_weight };
    let spacing = if style.accent_upper { style.upper_spacing.max(0.06) } else { 0.0 };
    if style.key == "tech" {
        let mono = catalog
            .iter()
            .filter(|f| !f.fallback && f.category == FontCategory::Mono && !f.styles.is_empty())
            .map(|f| (shared(f, style.moods) + shared(f, tone.moods) - shared(f, tone.avoid), f))
            .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.family.cmp(&a.1.family)));
        if let Some((_, f)) = mono {
            return choice(f, weight, false, style.accent_upper, spacing);
        }
    }
    if heading.category == FontCategory::Script {
        return choice(body, weight.max(700), false, style.accent_upper, spacing);
    }
    let upright = heading.styles.iter().any(|s| !s.italic);
    let upper = style.accent_upper && upright;
    choice(heading, weight, false, upper, if upper { spacing } else { 0.0 })
}

/// Font pairings for `tone` and `style` (a key of [`STYLES`]; unknown keys read as
/// [`DEFAULT_STYLE`]) from `catalog` (e.g. `FontLibrary::families()`), best first.
///
/// One pairing per usable heading family, so heading families are distinct; at most
/// [`MAX_PAIRINGS`]. Empty only when the catalogue has no usable heading or body family. See
/// the module docs for the rules.
pub fn pairings(catalog: &[FontFamilyInfo], tone: Tone, style: &str) -> Vec<FontPairing> {
    let tp = tone_profile(tone);
    let sp = style_profile(style);
    let bodies: Vec<(&FontFamilyInfo, i32)> =
        catalog.iter().filter(|f| body_eligible(f)).map(|f| (f, body_score(f, &tp, sp))).collect();

    let mut ranked: Vec<(i32, FontPairing)> = Vec::new();
    for heading in catalog {
        let Some(hs) = heading_score(heading, &tp, sp) else { continue };
        let best = bodies
            .iter()
            .filter(|(b, _)| b.family != heading.family || heading.weights().len() >= 4)
            .map(|&(b, bs)| (bs + pair_bonus(heading, b, sp), b))
            .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.family.cmp(&a.1.family)));
        let Some((body_total, body)) = best else { continue };
        let same = body.family == heading.family;
        let heading_face = heading_choice(heading, &tp, sp, tone, same);
        let body_face = choice(body, 400, false, false, 0.0);
        let accent = accent_choice(heading, body, sp, &tp, catalog);
        let name = if same {
            format!("{} {}/{}", heading.family, heading_face.weight, body_face.weight)
        } else {
            format!("{} + {}", heading.family, body.family)
        };
        ranked.push((2 * hs + body_total, FontPairing { name, heading: heading_face, body: body_face, accent }));
    }
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.heading.family.cmp(&b.1.heading.family)));
    ranked.truncate(MAX_PAIRINGS);
    ranked.into_iter().map(|(_, p)| p).collect()
}

/// Variation `index` of [`pairings`] (wrapping around the list). With a catalogue that has
/// nothing usable, a plain [`DEFAULT_FAMILY`] pairing (bold heading, regular body).
pub fn pairing_for(catalog: &[FontFamilyInfo], tone: Tone, style: &str, index: usize) -> FontPairing {
    let mut list = pairings(catalog, tone, style);
    if list.is_empty() {
        let face = |weight: u16, uppercase: bool, letter_spacing: f64| FontChoice {
            family: DEFAULT_FAMILY.to_owned(),
            weight,
            italic: false,
            uppercase,
            letter_spacing,
        };
        return FontPairing {
            name: DEFAULT_FAMILY.to_owned(),
            heading: face(700, false, 0.0),
            body: face(400, false, 0.0),
            accent: face(700, true, 0.06),
        };
    }
    let i = index % list.len();
    list.swap_remove(i)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use render::FontLibrary;

    use super::*;

    fn library() -> FontLibrary {
        FontLibrary::bundled().unwrap()
    }

    fn family<'a>(lib: &'a FontLibrary, name: &str) -> &'a FontFamilyInfo {
        lib.family(name).unwrap()
    }

    fn check_choice(lib: &FontLibrary, c: &FontChoice) {
        let f = family(lib, &c.family);
        assert!(!f.fallback, "{} is a fallback family", c.family);
        assert!(
            f.styles.iter().any(|s| s.weight == c.weight && s.italic == c.italic),
            "{} has no {} (italic {}) face",
            c.family,
            c.weight,
            c.italic
        );
        assert!(c.letter_spacing.is_finite() && c.letter_spacing.abs() < 0.5);
    }

    #[test]
    fn every_tone_and_style_has_four_distinct_valid_pairings() {
        let lib = library();
        for tone in Tone::ALL {
            for style in STYLES {
                let list = pairings(lib.families(), tone, style);
                let headings: BTreeSet<&str> = list.iter().map(|p| p.heading.family.as_str()).collect();
                assert!(headings.len() >= 4, "{tone:?}/{style}: {headings:?}");
                assert_eq!(headings.len(), list.len(), "{tone:?}/{style}: heading families repeat");
                for p in &list {
                    check_choice(&lib, &p.heading);
                    check_choice(&lib, &p.body);
                    check_choice(&lib, &p.accent);
                    let body = family(&lib, &p.body.family);
                    assert!(
                        matches!(body.category, FontCategory::Sans | FontCategory::Serif),
                        "{tone:?}/{style}: body {} is {}",
                        body.family,
                        body.category.as_str()
                    );
                    assert!(!p.body.italic && !p.body.uppercase);
                    let upright = upright_weights(body);
                    assert!(upright.contains(&400) && upright.iter().any(|&w| w >= 600), "{}", body.family);
                    let heading = family(&lib, &p.heading.family);
                    if heading.category == FontCategory::Script {
                        assert!(["playful", "luxury", "elegant", "lifestyle"].contains(&style), "{style}");
                        assert!(!p.heading.uppercase);
                    }
                    if !heading.styles.iter().any(|s| !s.italic) {
                        assert!(!p.heading.uppercase, "{}", p.name);
                    }
                    if heading.category == FontCategory::Mono {
                        assert_eq!(style, "tech");
                    }
                    if family(&lib, &p.accent.family).category == FontCategory::Mono {
                        assert_eq!(style, "tech");
                    }
                    if p.heading.family == p.body.family {
                        assert!(heading.weights().len() >= 4, "{}", heading.family);
                        assert!(p.heading.weight > p.body.weight, "{}", p.name);
                    }
                }
            }
        }
    }

    #[test]
    fn pairings_are_deterministic() {
        let lib = library();
        for tone in Tone::ALL {
            for style in STYLES {
                assert_eq!(pairings(lib.families(), tone, style), pairings(lib.families(), tone, style));
            }
        }
    }

    #[test]
    fn luxury_prefers_serif_or_display_headings() {
        let lib = library();
        for tone in Tone::ALL {
            let list = pairings(lib.families(), tone, "luxury");
            let top = family(&lib, &list[0].heading.family);
            assert!(matches!(top.category, FontCategory::Serif | FontCategory::Display), "{tone:?}: {}", top.family);
            let good = list
                .iter()
                .take(4)
                .filter(|p| {
                    matches!(family(&lib, &p.heading.family).category, FontCategory::Serif | FontCategory::Display)
                })
                .count();
            assert!(good >= 3, "{tone:?}: {list:?}");
        }
    }

    #[test]
    fn tech_prefers_sans_or_mono_headings() {
        let lib = library();
        for tone in Tone::ALL {
            let list = pairings(lib.families(), tone, "tech");
            let good = list
                .iter()
                .take(4)
                .filter(|p| matches!(family(&lib, &p.heading.family).category, FontCategory::Sans | FontCategory::Mono))
                .count();
            let top = family(&lib, &list[0].heading.family);
            assert!(matches!(top.category, FontCategory::Sans | FontCategory::Mono), "{tone:?}: {}", top.family);
            assert!(good >= 3, "{tone:?}: {list:?}");
            assert_eq!(family(&lib, &list[0].accent.family).category, FontCategory::Mono);
        }
    }

    #[test]
    fn minimal_and_corporate_never_use_script() {
        let lib = library();
        for tone in Tone::ALL {
            for style in ["minimal", "corporate", "tech", "bold", "retro"] {
                for p in pairings(lib.families(), tone, style) {
                    for c in [&p.heading, &p.body, &p.accent] {
                        assert_ne!(family(&lib, &c.family).category, FontCategory::Script, "{style}: {}", p.name);
                    }
                }
            }
        }
    }

    #[test]
    fn pairing_for_wraps_and_unknown_style_reads_as_default() {
        let lib = library();
        let list = pairings(lib.families(), Tone::Friendly, "playful");
        for i in 0..list.len() * 2 {
            assert_eq!(pairing_for(lib.families(), Tone::Friendly, "playful", i), list[i % list.len()]);
        }
        assert_eq!(
            pairings(lib.families(), Tone::Urgent, "no-such-style"),
            pairings(lib.families(), Tone::Urgent, DEFAULT_STYLE)
        );
        assert_eq!(pairings(lib.families(), Tone::Urgent, " BOLD "), pairings(lib.families(), Tone::Urgent, "bold"));
    }

    #[test]
    fn empty_or_fallback_only_catalogue_gives_the_default() {
        let lib = library();
        assert!(pairings(&[], Tone::Professional, "minimal").is_empty());
        let p = pairing_for(&[], Tone::Professional, "minimal", 3);
        assert_eq!(p.heading.family, DEFAULT_FAMILY);
        let fallbacks: Vec<FontFamilyInfo> = lib.fallback_families().cloned().collect();
        assert!(pairings(&fallbacks, Tone::Playful, "playful").is_empty());
    }

    #[test]
    fn urgent_headings_are_heavier_than_luxury_ones() {
        let lib = library();
        let heavy = pairings(lib.families(), Tone::Urgent, "bold");
        let light = pairings(lib.families(), Tone::Luxury, "luxury");
        let avg = |l: &[FontPairing]| l.iter().map(|p| f64::from(p.heading.weight)).sum::<f64>() / l.len() as f64;
        assert!(avg(&heavy) > avg(&light) + 150.0, "{} vs {}", avg(&heavy), avg(&light));
        // Capitals everywhere but italic-only faces.
        assert!(heavy.iter().all(|p| p.heading.uppercase || p.heading.italic), "{heavy:?}");
    }
}
