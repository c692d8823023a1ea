//! The bundled font library and text layout over it: catalogue sanity, fallback for other
//! scripts and emoji, bidi order, rich-text spans, alignment, auto-fit, warnings, decorations.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use editor_core::{Color, TextAlign, TextContent, TextSpan, TextStyle, VerticalAlign};
use render::fonts::{ALLOWED_LICENSES, DEFAULT_FAMILY, FontCategory, FontLibrary, SCRIPTS, script_code};
use render::scene::{Affine, Brush, GlyphRun, Item, RenderWarning, Rgba};
use render::text::TextEngine;
use skrifa::{FontRef, MetadataProvider};

fn library() -> &'static Arc<FontLibrary> {
    static LIB: OnceLock<Arc<FontLibrary>> = OnceLock::new();
    LIB.get_or_init(|| match FontLibrary::bundled() {
        Ok(lib) => Arc::new(lib),
        Err(e) => panic!("bundled fonts do not load: {e}"),
    })
}

/// Lays `content` out in a `w`×`h` box at the origin.
fn lay(content: &TextContent, w: f64, h: f64) -> (Vec<Item>, Vec<RenderWarning>) {
    let mut engine = TextEngine::new(library().clone());
    lay_with(&mut engine, content, w, h)
}

fn lay_with(engine: &mut TextEngine, content: &TextContent, w: f64, h: f64) -> (Vec<Item>, Vec<RenderWarning>) {
    let (mut items, mut warnings) = (Vec::new(), Vec::new());
    engine.layout("L1", content, w, h, Affine::IDENTITY, &mut items, &mut warnings);
    (items, warnings)
}

fn runs(items: &[Item]) -> Vec<&GlyphRun> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Glyphs(run) => Some(run),
            _ => None,
        })
        .collect()
}

fn text(s: &str) -> TextContent {
    TextContent::new(s)
}

/// The leftmost and rightmost edges of all visible (non-space) glyphs.
fn x_extent(items: &[Item]) -> (f32, f32) {
    let mut lo = f32::INFINITY;
    let mut hi = f32::NEG_INFINITY;
    for run in runs(items) {
        for g in &run.glyphs {
            if run.text[g.cluster.clone()].trim().is_empty() {
                continue;
            }
            lo = lo.min(g.x);
            hi = hi.max(g.x + g.advance);
        }
    }
    (lo, hi)
}

fn solid(run: &GlyphRun) -> Rgba {
    match &run.brush {
        Brush::Solid(c) => *c,
        other => panic!("expected a solid brush, got {other:?}"),
    }
}

/// Every glyph is real (no .notdef) and every cluster is a valid range of the text.
fn assert_clean(items: &[Item], warnings: &[RenderWarning], what: &str) {
    assert!(warnings.is_empty(), "{what}: unexpected warnings {warnings:?}");
    let runs = runs(items);
    assert!(!runs.is_empty(), "{what}: no glyph runs");
    for run in runs {
        for g in &run.glyphs {
            assert_ne!(g.id, 0, "{what}: .notdef glyph in {} for {:?}", run.family, run.text.get(g.cluster.clone()));
            assert!(run.text.get(g.cluster.clone()).is_some_and(|s| !s.is_empty()), "{what}: bad cluster {g:?}");
            assert!(g.x.is_finite() && g.y.is_finite() && g.advance.is_finite());
        }
    }
}

/// The families that drew any glyph of the characters in `needle`.
fn families_for(items: &[Item], needle: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for run in runs(items) {
        for g in &run.glyphs {
            if run.text[g.cluster.clone()].chars().any(|c| !c.is_whitespace() && needle.contains(c)) {
                out.insert(run.family.clone());
            }
        }
    }
    out
}

/// For right-to-left text: each cluster's glyphs sit left of the previous (logical) cluster's.
fn assert_right_to_left(items: &[Item], what: &str) {
    let mut clusters: Vec<(usize, f32)> = Vec::new();
    for run in runs(items) {
        for g in &run.glyphs {
            if run.text[g.cluster.clone()].trim().is_empty() {
                continue;
            }
            match clusters.iter_mut().find(|(start, _)| *start == g.cluster.start) {
                Some((_, x)) => *x = x.max(g.x),
                None => clusters.push((g.cluster.start, g.x)),
            }
        }
    }
    clusters.sort_by_key(|c| c.0);
    assert!(clusters.len() >= 3, "{what}: too few clusters");
    for pair in clusters.windows(2) {
        assert!(
            pair[1].1 < pair[0].1,
            "{what}: cluster at byte {} is not left of the one before: {clusters:?}",
            pair[1].0
        );
    }
}

#[test]
fn catalogue_has_enough_honest_families() {
    let lib = library();
    let design: Vec<_> = lib.design_families().collect();
    assert!(design.len() >= 16, "only {} design families", design.len());
    for cat in FontCategory::ALL {
        assert!(design.iter().any(|f| f.category == cat), "no design family in category {}", cat.as_str());
    }
    assert!(lib.family(DEFAULT_FAMILY).is_some_and(|f| !f.fallback));
    assert_eq!(lib.family("inter").map(|f| f.family.as_str()), Some("Inter"), "lookup ignores case");
    assert!(lib.family("No Such Family").is_none());

    let mut total = 0u64;
    let mut seen = BTreeSet::new();
    for fam in lib.families() {
        assert!((2..=5).contains(&fam.moods.len()), "{} has {} mood tags", fam.family, fam.moods.len());
        assert!(ALLOWED_LICENSES.contains(&fam.license.as_str()), "{}: licence {}", fam.family, fam.license);
        let licence = lib.dir().join(&fam.license_file);
        let licence_text = std::fs::read_to_string(&licence).unwrap_or_default();
        assert!(licence_text.contains("Copyright") || licence_text.contains("copyright"), "{licence:?}");
        match fam.license.as_str() {
            "OFL-1.1" => assert!(licence_text.contains("SIL OPEN FONT LICENSE Version 1.1"), "{licence:?}"),
            _ => {
                assert!(licence_text.contains("Apache License") && licence_text.contains("END OF TERMS"), "{licence:?}")
            }
        }
        assert!(!fam.source.is_empty(), "{} has no source", fam.family);
        assert!(!fam.styles.is_empty());
        for style in &fam.styles {
            let path = lib.dir().join(&style.file);
            assert!(path.is_file(), "{path:?} is missing");
            if seen.insert(path.clone()) {
                total += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            }
        }
        for s in &fam.scripts {
            assert!(script_code(s).is_some(), "{}: unknown script {s}", fam.family);
        }
    }
    assert!(total < 60_000_000, "fonts take {total} bytes");
    assert_eq!(lib.total_bytes(), total);
    // Faces from one file share one blob; the library has one face per style.
    assert_eq!(lib.faces().len(), lib.families().iter().map(|f| f.styles.len()).sum::<usize>());
}

#[test]
fn families_cover_the_scripts_they_claim() {
    let samples: &[(&str, &str)] = &[
        ("latin", "AZaz09áéíóúñçßàèâêôüÿ"),
        ("greek", "ΑΩαωλ"),
        ("cyrillic", "АЯаяЖж"),
        ("common", "!?.,;:0123456789"),
        ("arabic", "مرحبا"),
        ("hebrew", "שלום"),
        ("devanagari", "नमस्ते"),
        ("hiragana", "こんにちは"),
        ("katakana", "カタカナ"),
        ("han", "漢字世界"),
        ("hangul", "한국어"),
        ("emoji", "😀🎉👍"),
    ];
    let lib = library();
    let mut problems = Vec::new();
    for fam in lib.families() {
        for (style, face) in fam.styles.iter().zip(lib.family_faces(&fam.family)) {
            let font = match FontRef::from_index(face.data.data(), face.index) {
                Ok(f) => f,
                Err(e) => panic!("{}: {e}", style.file),
            };
            let cmap = font.charmap();
            for script in &fam.scripts {
                let chars = samples.iter().find(|(s, _)| s == script).map_or("", |(_, c)| c);
                let missing: String = chars.chars().filter(|&c| cmap.map(c).is_none()).collect();
                if !missing.is_empty() {
                    problems.push(format!("{} claims {script} but lacks {missing:?}", style.file));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    // The Japanese fallback is the JP face of the CJK collection.
    let cjk = lib.face("Noto Sans CJK JP", 400, false).map(|f| f.data);
    let Some(cjk) = cjk else { panic!("no Noto Sans CJK JP") };
    let font = FontRef::from_index(cjk.data.data(), cjk.index).ok();
    let name = font.and_then(|f| {
        f.localized_strings(skrifa::string::StringId::FAMILY_NAME).english_or_first().map(|s| s.to_string())
    });
    assert_eq!(name.as_deref(), Some("Noto Sans CJK JP"));
    // Every script name the catalogue may use maps to a code.
    assert!(SCRIPTS.iter().all(|(n, _)| script_code(n).is_some()));
}

#[test]
fn accented_latin_in_the_design_font() {
    let (items, warnings) = lay(&text("Olá, niño, Straße, garçon"), 2000.0, 200.0);
    assert_clean(&items, &warnings, "latin");
    let families: BTreeSet<_> = runs(&items).iter().map(|r| r.family.clone()).collect();
    assert_eq!(families, BTreeSet::from(["Inter".to_owned()]));
    let run = runs(&items)[0];
    assert_eq!((run.weight, run.italic, run.font_size), (400, false, 48.0));
    // The run's font is the library's own blob (backends cache by id).
    let face = library().face("Inter", 400, false).map(|f| f.data.clone());
    assert_eq!(face.map(|f| (f.data.id(), f.index)), Some((run.font.data.id(), run.font.index)));
    // Clusters cover the text in order.
    let covered: String = run.glyphs.iter().map(|g| &run.text[g.cluster.clone()]).collect();
    assert_eq!(covered, "Olá, niño, Straße, garçon");
}

#[test]
fn accented_latin_falls_back_for_fonts_without_it() {
    // Kristi's character set is small: what it lacks comes from a fallback, not tofu.
    let mut content = text("Olá, niño, Straße, garçon");
    content.font_family = "Kristi".into();
    let (items, warnings) = lay(&content, 2000.0, 200.0);
    assert_clean(&items, &warnings, "kristi");
}

#[test]
fn arabic_is_shaped_right_to_left_in_noto_sans_arabic() {
    let s = "مرحبا بالعالم";
    let (items, warnings) = lay(&text(s), 2000.0, 200.0);
    assert_clean(&items, &warnings, "arabic");
    assert_eq!(families_for(&items, s), BTreeSet::from(["Noto Sans Arabic".to_owned()]));
    assert_right_to_left(&items, "arabic");
    // Shaped: contextual forms differ from the isolated forms of the same letters.
    let isolated = lay(&text("م ر ح ب ا"), 2000.0, 200.0).0;
    let ids =
        |items: &[Item]| -> BTreeSet<u32> { runs(items).iter().flat_map(|r| r.glyphs.iter().map(|g| g.id)).collect() };
    assert_ne!(ids(&items), ids(&isolated));
}

#[test]
fn arabic_ligatures_keep_their_clusters() {
    // "لا" in سلام is one lam-alef ligature glyph covering both letters.
    let s = "سلام عليكم";
    let (items, warnings) = lay(&text(s), 2000.0, 200.0);
    assert_clean(&items, &warnings, "lam-alef");
    let clusters: Vec<&str> =
        runs(&items).iter().flat_map(|r| r.glyphs.iter().map(move |g| &r.text[g.cluster.clone()])).collect();
    assert!(clusters.iter().any(|c| c.contains("لا")), "{clusters:?}");
    // Every character is covered by some glyph's cluster.
    for (i, c) in s.char_indices().filter(|(_, c)| !c.is_whitespace()) {
        let covered = runs(&items).iter().any(|r| r.glyphs.iter().any(|g| g.cluster.contains(&i)));
        assert!(covered, "{c:?} at {i} has no glyph");
    }
    assert_right_to_left(&items, "lam-alef");
}

#[test]
fn hebrew_runs_right_to_left_in_noto_sans_hebrew() {
    let s = "שלום עולם";
    let (items, warnings) = lay(&text(s), 2000.0, 200.0);
    assert_clean(&items, &warnings, "hebrew");
    assert_eq!(families_for(&items, s), BTreeSet::from(["Noto Sans Hebrew".to_owned()]));
    assert_right_to_left(&items, "hebrew");
    // The paragraph is RTL but the layer is left-aligned: the text starts at the left edge.
    let (lo, _) = x_extent(&items);
    assert!(lo.abs() < 1.0, "starts at {lo}");
}

#[test]
fn mixed_direction_keeps_latin_left_to_right() {
    let (items, warnings) = lay(&text("Hello שלום world"), 2000.0, 200.0);
    assert_clean(&items, &warnings, "bidi");
    let x_of = |needle: char| -> f32 {
        runs(&items)
            .iter()
            .flat_map(|r| r.glyphs.iter().map(move |g| (r, g)))
            .find(|(r, g)| r.text[g.cluster.clone()].contains(needle))
            .map_or(f32::NAN, |(_, g)| g.x)
    };
    assert!(x_of('H') < x_of('o'));
    assert!(x_of('o') < x_of('ם') && x_of('ם') < x_of('ש'), "Hebrew word reversed inside LTR text");
    assert!(x_of('ש') < x_of('w'));
}

#[test]
fn hindi_is_shaped_in_noto_sans_devanagari() {
    let s = "नमस्ते दुनिया";
    let (items, warnings) = lay(&text(s), 2000.0, 200.0);
    assert_clean(&items, &warnings, "hindi");
    assert_eq!(families_for(&items, s), BTreeSet::from(["Noto Sans Devanagari".to_owned()]));
    // The conjunct स्ते forms fewer glyphs than characters.
    let glyphs: usize = runs(&items).iter().map(|r| r.glyphs.len()).sum();
    assert!(glyphs < s.chars().count(), "{glyphs} glyphs for {} chars", s.chars().count());
}

#[test]
fn japanese_uses_the_cjk_fallback() {
    let s = "こんにちは、世界。カタカナと漢字";
    let (items, warnings) = lay(&text(s), 4000.0, 200.0);
    assert_clean(&items, &warnings, "japanese");
    assert_eq!(families_for(&items, "こんにちは世界カタカナ漢字"), BTreeSet::from(["Noto Sans CJK JP".to_owned()]));
}

#[test]
fn japanese_wraps_between_characters() {
    let s = "こんにちは世界こんにちは世界こんにちは世界";
    let (items, _) = lay(&text(s), 300.0, 1000.0);
    let baselines: BTreeSet<i32> =
        runs(&items).iter().flat_map(|r| r.glyphs.iter().map(|g| g.y.round() as i32)).collect();
    assert!(baselines.len() >= 3, "no wrapping: {baselines:?}");
    let (_, hi) = x_extent(&items);
    assert!(hi <= 300.5, "line overflows to {hi}");
}

#[test]
fn emoji_use_noto_color_emoji() {
    let s = "Party 🎉👍🏽 👨‍👩‍👧";
    let (items, warnings) = lay(&text(s), 2000.0, 200.0);
    assert_clean(&items, &warnings, "emoji");
    assert_eq!(families_for(&items, "🎉👍👨"), BTreeSet::from(["Noto Color Emoji".to_owned()]));
    assert_eq!(families_for(&items, "Party"), BTreeSet::from(["Inter".to_owned()]));
    // The family sequence is one glyph whose cluster is the whole ZWJ sequence.
    let family = runs(&items)
        .iter()
        .flat_map(|r| r.glyphs.iter().map(move |g| &r.text[g.cluster.clone()]))
        .filter(|c| c.contains('👨'))
        .count();
    assert_eq!(family, 1);
}

#[test]
fn spans_set_size_colour_and_family() {
    let mut content = text("Hello big red world");
    // UTF-16 offsets 6..13 = "big red".
    content.spans.push(TextSpan {
        start: 6,
        end: 13,
        style: TextStyle {
            font_size: Some(96.0),
            color: Some(Color::rgb(255, 0, 0)),
            font_family: Some("Roboto Slab".into()),
            font_weight: Some(700),
            ..TextStyle::default()
        },
    });
    let (items, warnings) = lay(&content, 4000.0, 300.0);
    assert_clean(&items, &warnings, "spans");
    let runs = runs(&items);
    let big: Vec<_> = runs.iter().filter(|r| r.font_size == 96.0).collect();
    assert!(!big.is_empty(), "no 96 px run");
    for r in &big {
        assert_eq!(solid(r), Rgba::new(255, 0, 0, 255));
        assert_eq!((r.family.as_str(), r.weight), ("Roboto Slab", 700));
        let covered: String = r.glyphs.iter().map(|g| &r.text[g.cluster.clone()]).collect();
        assert!("big red".contains(covered.as_str()), "{covered:?}");
    }
    let small: Vec<_> = runs.iter().filter(|r| r.font_size == 48.0).collect();
    assert!(small.iter().all(|r| solid(r) == Rgba::BLACK && r.family == "Inter"));
    // One baseline for the whole line, with mixed sizes.
    let baselines: BTreeSet<i32> = runs.iter().flat_map(|r| r.glyphs.iter().map(|g| g.y.round() as i32)).collect();
    assert_eq!(baselines.len(), 1);
}

#[test]
fn spans_with_utf16_offsets_past_astral_characters() {
    // "😀" is two UTF-16 units: the span 3..5 is "ab" (bytes 5..7).
    let mut content = text("😀 abc");
    content.spans.push(TextSpan {
        start: 3,
        end: 5,
        style: TextStyle { color: Some(Color::rgb(0, 0, 255)), ..TextStyle::default() },
    });
    let (items, _) = lay(&content, 2000.0, 200.0);
    let blue: String = runs(&items)
        .iter()
        .filter(|r| solid(r) == Rgba::new(0, 0, 255, 255))
        .flat_map(|r| r.glyphs.iter().map(move |g| &r.text[g.cluster.clone()]))
        .collect();
    assert_eq!(blue, "ab");
}

#[test]
fn alignment_shifts_lines() {
    let at = |align| {
        let mut content = text("Centre me");
        content.align = align;
        x_extent(&lay(&content, 1000.0, 200.0).0)
    };
    let (l0, _) = at(TextAlign::Left);
    let (c0, c1) = at(TextAlign::Center);
    let (r0, r1) = at(TextAlign::Right);
    assert!(l0.abs() < 1.0);
    assert!(((c0 + c1) / 2.0 - 500.0).abs() < 2.0, "centre {c0}..{c1}");
    assert!((r1 - 1000.0).abs() < 2.0, "right {r0}..{r1}");
    assert!(l0 < c0 && c0 < r0);
}

#[test]
fn justify_fills_all_but_the_last_line() {
    let mut content = text("The quick brown fox jumps over the lazy dog and keeps running far away");
    content.align = TextAlign::Justify;
    content.font_size = 32.0;
    let (items, _) = lay(&content, 500.0, 1000.0);
    let mut lines: std::collections::BTreeMap<i32, (f32, f32)> = Default::default();
    for r in runs(&items) {
        for g in &r.glyphs {
            if r.text[g.cluster.clone()].trim().is_empty() {
                continue;
            }
            let e = lines.entry(g.y.round() as i32).or_insert((f32::INFINITY, f32::NEG_INFINITY));
            e.0 = e.0.min(g.x);
            e.1 = e.1.max(g.x + g.advance);
        }
    }
    assert!(lines.len() >= 3);
    let last = lines.len() - 1;
    for (i, (_, (lo, hi))) in lines.iter().enumerate() {
        assert!(lo.abs() < 1.0);
        if i < last {
            assert!((hi - 500.0).abs() < 1.5, "line {i} ends at {hi}");
        } else {
            assert!(*hi < 480.0, "last line is justified too: {hi}");
        }
    }
}

#[test]
fn vertical_alignment_moves_the_block() {
    let at = |va| {
        let mut content = text("Bottom");
        content.vertical_align = va;
        let (items, _) = lay(&content, 1000.0, 500.0);
        runs(&items)[0].glyphs[0].y
    };
    let (top, middle, bottom) = (at(VerticalAlign::Top), at(VerticalAlign::Middle), at(VerticalAlign::Bottom));
    // One 48 px line, 1.2 line height: the block is 57.6 px tall.
    assert!((middle - top - (500.0 - 57.6) / 2.0).abs() < 0.5, "{top} {middle}");
    assert!((bottom - top - (500.0 - 57.6)).abs() < 0.5, "{top} {bottom}");
}

#[test]
fn line_height_spaces_lines() {
    let baselines = |lh| {
        let mut content = text("one\ntwo\nthree");
        content.line_height = lh;
        let (items, _) = lay(&content, 1000.0, 1000.0);
        let ys: BTreeSet<i32> =
            runs(&items).iter().flat_map(|r| r.glyphs.iter().map(|g| (g.y * 10.0) as i32)).collect();
        ys.into_iter().map(|y| y as f32 / 10.0).collect::<Vec<_>>()
    };
    let tight = baselines(1.0);
    let loose = baselines(2.0);
    assert_eq!((tight.len(), loose.len()), (3, 3));
    assert!((tight[1] - tight[0] - 48.0).abs() < 0.2, "{tight:?}");
    assert!((loose[1] - loose[0] - 96.0).abs() < 0.2, "{loose:?}");
}

#[test]
fn auto_fit_shrinks_until_the_block_fits() {
    let mut content =
        text("Summer sale: everything must go, including this very long headline about unbelievable discounts");
    content.font_size = 96.0;
    content.auto_fit = true;
    let (w, h) = (400.0, 150.0);
    let (items, warnings) = lay(&content, w, h);
    assert_clean(&items, &warnings, "auto-fit");
    let size = runs(&items)[0].font_size;
    assert!((24.0..96.0).contains(&size), "size {size}");
    let bottom = runs(&items).iter().flat_map(|r| r.glyphs.iter().map(|g| g.y)).fold(0.0f32, f32::max);
    // The last baseline plus the descent (about 0.25 em) stays inside the box.
    assert!(bottom + 0.25 * size <= h as f32 + 0.5, "baseline {bottom} at size {size}");
    let (lo, hi) = x_extent(&items);
    assert!(lo >= -0.5 && hi <= w as f32 + 0.5, "{lo}..{hi}");
    // Not shrunk more than needed: 10 % larger no longer fits in the same engine's judgement.
    let mut bigger = content.clone();
    bigger.auto_fit = false;
    bigger.font_size = f64::from(size) * 1.1;
    let (items, _) = lay(&bigger, w, h);
    let bottom_bigger = runs(&items).iter().flat_map(|r| r.glyphs.iter().map(|g| g.y)).fold(0.0f32, f32::max);
    let (_, hi) = x_extent(&items);
    assert!(bottom_bigger + 0.2 * size * 1.1 > h as f32 || hi > w as f32, "could have been larger");
}

#[test]
fn auto_fit_never_grows_and_scales_spans() {
    let mut content = text("Tiny");
    content.font_size = 20.0;
    content.auto_fit = true;
    let (items, _) = lay(&content, 1000.0, 1000.0);
    assert_eq!(runs(&items)[0].font_size, 20.0);

    // A word wider than the box shrinks even if the height fits.
    let mut content = text("Extraordinarily");
    content.font_size = 100.0;
    content.auto_fit = true;
    content.spans.push(TextSpan {
        start: 0,
        end: 5,
        style: TextStyle { font_size: Some(50.0), ..TextStyle::default() },
    });
    let (items, warnings) = lay(&content, 300.0, 1000.0);
    assert!(warnings.is_empty(), "{warnings:?}");
    let sizes: Vec<f32> = runs(&items).iter().map(|r| r.font_size).collect();
    assert!(sizes.iter().all(|&s| s < 100.0));
    let (big, small) = (sizes.iter().copied().fold(0.0, f32::max), sizes.iter().copied().fold(f32::MAX, f32::min));
    assert!((big / small - 2.0).abs() < 0.01, "span scaled with the rest: {sizes:?}");
    let (_, hi) = x_extent(&items);
    assert!(hi <= 300.5);
}

#[test]
fn auto_fit_that_cannot_fit_warns() {
    let mut content = text("Pneumonoultramicroscopicsilicovolcanoconiosis");
    content.font_size = 200.0;
    content.auto_fit = true;
    let (items, warnings) = lay(&content, 50.0, 10.0);
    assert!(warnings.contains(&RenderWarning::TextOverflow { layer: "L1".into() }), "{warnings:?}");
    assert_eq!(runs(&items)[0].font_size, 50.0);
}

#[test]
fn missing_family_warns_and_uses_inter() {
    let mut content = text("Fallback");
    content.font_family = "Comic Sans MS".into();
    content.spans.push(TextSpan {
        start: 0,
        end: 4,
        style: TextStyle { font_family: Some("Papyrus".into()), ..TextStyle::default() },
    });
    let (items, warnings) = lay(&content, 1000.0, 200.0);
    assert_eq!(
        warnings,
        vec![
            RenderWarning::MissingFont { layer: "L1".into(), family: "Comic Sans MS".into(), used: "Inter".into() },
            RenderWarning::MissingFont { layer: "L1".into(), family: "Papyrus".into(), used: "Inter".into() },
        ]
    );
    assert!(runs(&items).iter().all(|r| r.family == "Inter"));

    // Case does not matter.
    let mut content = text("Fine");
    content.font_family = "eb garamond".into();
    let (items, warnings) = lay(&content, 1000.0, 200.0);
    assert!(warnings.is_empty());
    assert_eq!(runs(&items)[0].family, "EB Garamond");
}

#[test]
fn characters_no_font_has_are_reported() {
    // Tibetan and Cherokee are not bundled.
    let (items, warnings) = lay(&text("Om ༀ Ꭰ"), 1000.0, 200.0);
    let [RenderWarning::MissingGlyphs { layer, chars }] = warnings.as_slice() else {
        panic!("expected one MissingGlyphs warning, got {warnings:?}");
    };
    assert_eq!(layer, "L1");
    assert!(chars.contains('ༀ') && chars.contains('Ꭰ') && !chars.contains(' '), "{chars:?}");
    assert!(!runs(&items).is_empty());
}

#[test]
fn letter_spacing_widens_the_run() {
    let width = |spacing| {
        let mut content = text("Spacing");
        content.letter_spacing = spacing;
        let (items, _) = lay(&content, 2000.0, 200.0);
        let (lo, hi) = x_extent(&items);
        hi - lo
    };
    let (plain, wide) = (width(0.0), width(0.2));
    // Seven letters, 0.2 em × 48 px each.
    assert!((wide - plain - 7.0 * 9.6).abs() < 1.0, "{plain} → {wide}");
    assert!(width(-0.05) < plain);
}

#[test]
fn underline_adds_a_fill_under_the_span() {
    let mut content = text("Read the terms");
    content.spans.push(TextSpan {
        start: 9,
        end: 14,
        style: TextStyle { underline: Some(true), color: Some(Color::rgb(0, 128, 0)), ..TextStyle::default() },
    });
    let (items, warnings) = lay(&content, 2000.0, 200.0);
    assert!(warnings.is_empty());
    let fills: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            Item::Fill { path, brush, transform, .. } => Some((path, brush, transform)),
            _ => None,
        })
        .collect();
    assert_eq!(fills.len(), 1);
    let (path, brush, transform) = fills[0];
    assert_eq!(*brush, Brush::Solid(Rgba::new(0, 128, 0, 255)));
    assert_eq!(*transform, Affine::IDENTITY);
    let bbox = vello_cpu::kurbo::Shape::bounding_box(path);
    let terms = runs(&items).into_iter().find(|r| r.text[r.glyphs[0].cluster.clone()].starts_with('t'));
    let Some(terms) = terms else { panic!("no run for 'terms'") };
    let baseline = f64::from(terms.glyphs[0].y);
    assert!(bbox.y0 > baseline && bbox.y1 < baseline + 12.0, "underline {bbox:?} vs baseline {baseline}");
    assert!(bbox.height() > 1.0 && bbox.height() < 6.0);
    assert!((bbox.x0 - f64::from(terms.glyphs[0].x)).abs() < 0.5);
}

#[test]
fn weights_italics_and_synthesis() {
    let run_of = |family: &str, weight, italic| {
        let mut content = text("Style");
        content.font_family = family.into();
        content.font_weight = weight;
        content.italic = italic;
        let (items, warnings) = lay(&content, 1000.0, 200.0);
        assert!(warnings.is_empty());
        runs(&items)[0].clone()
    };
    let r = run_of("Inter", 700, true);
    assert_eq!((r.weight, r.italic, r.synthetic_skew, r.synthetic_embolden), (700, true, 0.0, 0.0));
    let r = run_of("Inter", 650, false);
    assert_eq!(r.weight, 700, "CSS matching rounds 650 up");
    let r = run_of("League Spartan", 400, false);
    assert_eq!(r.weight, 400, "catalogue weight, not the file's OS/2 350");
    // EB Garamond ships no bold and Kristi no italic: faux bold and faux italic.
    let r = run_of("EB Garamond", 700, false);
    assert_eq!(r.weight, 400);
    assert!(r.synthetic_embolden > 0.0);
    let r = run_of("Kristi", 400, true);
    assert!(!r.italic && r.synthetic_skew > 0.1 && r.synthetic_skew < 0.4, "{}", r.synthetic_skew);
}

#[test]
fn transform_is_passed_through() {
    let t = Affine::translate((100.0, 50.0)) * Affine::rotate(0.3);
    let mut content = text("Moved");
    content.spans.push(TextSpan {
        start: 0,
        end: 2,
        style: TextStyle { underline: Some(true), ..TextStyle::default() },
    });
    let mut engine = TextEngine::new(library().clone());
    let (mut items, mut warnings) = (Vec::new(), Vec::new());
    engine.layout("L1", &content, 500.0, 100.0, t, &mut items, &mut warnings);
    assert!(items.len() >= 2);
    for item in &items {
        match item {
            Item::Glyphs(r) => assert_eq!(r.transform, t),
            Item::Fill { transform, .. } => assert_eq!(*transform, t),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn degenerate_input_draws_nothing_and_does_not_panic() {
    let mut engine = TextEngine::new(library().clone());
    let (items, warnings) = lay_with(&mut engine, &text(""), 100.0, 100.0);
    assert!(items.is_empty() && warnings.is_empty());
    for (w, h) in [(f64::NAN, 100.0), (100.0, f64::NAN), (0.0, 0.0), (-5.0, 10.0), (f64::INFINITY, 10.0)] {
        let (items, _) = lay_with(&mut engine, &text("Hello"), w, h);
        assert!(items.is_empty(), "{w}×{h}");
    }
    let mut content = text("Hello");
    content.font_size = f64::NAN;
    assert!(lay_with(&mut engine, &content, 100.0, 100.0).0.is_empty());
    // Bad numbers elsewhere are clamped, spans out of range are ignored.
    let mut content = text("Hello");
    content.line_height = f64::NAN;
    content.letter_spacing = f64::INFINITY;
    content.auto_fit = true;
    content.spans.push(TextSpan { start: 3, end: 99, style: TextStyle::default() });
    content.spans.push(TextSpan { start: 4, end: 2, style: TextStyle::default() });
    let (items, _) = lay_with(&mut engine, &content, 100.0, 0.0);
    assert!(!runs(&items).is_empty());
    // Only whitespace and newlines: no missing-glyph warnings.
    let (_, warnings) = lay_with(&mut engine, &text(" \n\t\n "), 100.0, 100.0);
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn engine_is_send_and_fast_enough() {
    fn assert_send<T: Send>() {}
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send::<TextEngine>();
    assert_send_sync::<FontLibrary>();

    let mut engine = TextEngine::new(library().clone());
    let mut content = text("Fresh roasted coffee, every morning. Olá! 50% off ☕");
    content.auto_fit = true;
    content.font_size = 64.0;
    let start = Instant::now();
    let mut n = 0;
    for i in 0..200 {
        content.align = TextAlign::ALL[i % 4];
        let (items, _) = lay_with(&mut engine, &content, 300.0 + i as f64, 200.0);
        n += items.len();
    }
    let elapsed = start.elapsed();
    assert!(n > 0);
    eprintln!("200 auto-fit layouts: {elapsed:?}");
}
