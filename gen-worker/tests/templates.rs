//! The template library: every template renders at 512 px and passes the quality checks, the
//! tags cover what the gallery filters on, search works, and magic resize to any preset and
//! back keeps every template passing.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use editor_core::FormatPreset;
use gen_worker::copy::{Intent, Tone};
use gen_worker::quality;
use gen_worker::resize;
use gen_worker::template::{FIT_FLOOR, Library, Query};
use proptest::prelude::*;
use render::{MemoryAssets, OutputSize, Renderer};

fn shared() -> &'static (Library, Arc<Renderer>) {
    static SHARED: OnceLock<(Library, Arc<Renderer>)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let fonts = Arc::new(render::FontLibrary::bundled().unwrap_or_else(|e| panic!("bundled fonts: {e}")));
        (Library::bundled().unwrap_or_else(|e| panic!("template library: {e}")), Arc::new(Renderer::new(fonts)))
    })
}

#[test]
fn the_library_is_big_and_tagged_enough() {
    let (library, _) = shared();
    assert!(library.archetypes().len() >= 60, "{} archetypes", library.archetypes().len());
    assert!(library.templates().len() >= 500, "{} templates", library.templates().len());
    let industries: BTreeSet<&str> =
        library.archetypes().iter().flat_map(|a| a.industries.iter().map(String::as_str)).collect();
    for needed in [
        "retail",
        "food-and-drink",
        "tech",
        "fitness",
        "beauty",
        "real-estate",
        "education",
        "events",
        "finance",
        "travel",
    ] {
        assert!(industries.contains(needed), "no template for {needed}");
    }
    let styles: BTreeSet<&str> =
        library.archetypes().iter().flat_map(|a| a.styles.iter().map(String::as_str)).collect();
    for needed in ["luxury", "tech", "lifestyle", "minimal", "bold", "playful"] {
        assert!(styles.contains(needed), "no template in style {needed}");
    }
    for tone in Tone::ALL {
        assert!(library.archetypes().iter().any(|a| a.tones.contains(&tone)), "no template for tone {tone:?}");
    }
    let layouts: BTreeSet<&str> = library.archetypes().iter().map(|a| a.layout.as_str()).collect();
    for needed in [
        "hero-photo",
        "split",
        "quote-card",
        "sale-poster",
        "event",
        "product-spotlight",
        "testimonial",
        "listicle",
        "before-after",
        "countdown",
        "hiring",
        "real-estate",
        "menu",
    ] {
        assert!(layouts.contains(needed), "no {needed} layout");
    }
    for preset in FormatPreset::ALL {
        let n = library.templates().iter().filter(|t| t.preset == preset).count();
        assert_eq!(n, library.archetypes().len(), "{preset:?}");
    }
}

/// Every template at its preset, rendered at 512 px and checked. Failures name the template and
/// the check. Runs on every core.
#[test]
fn every_template_renders_and_passes_the_quality_checks() {
    let (library, renderer) = shared();
    let templates = library.templates();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
    let chunk = templates.len().div_ceil(threads);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = templates
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let assets = MemoryAssets::new();
                    let mut failures = Vec::new();
                    for t in part {
                        let design = library.fitted_design(t, renderer);
                        if let Err(e) = design.validate() {
                            failures.push(format!("{}: invalid design: {e}", t.id));
                        }
                        match renderer.raster(&design, &assets, OutputSize::LongSide(512), false, false) {
                            Ok((image, warnings)) => {
                                assert_eq!(image.width.max(image.height), 512, "{}", t.id);
                                for w in warnings {
                                    failures.push(format!("{}: render warning: {w}", t.id));
                                }
                            }
                            Err(e) => failures.push(format!("{}: does not render: {e}", t.id)),
                        }
                        for f in quality::check(&design, renderer) {
                            failures.push(format!("{}: {f}", t.id));
                        }
                    }
                    failures
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|_| vec!["a checker thread panicked".into()]))
            .collect()
    });
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn search_filters_by_keyword_tags_and_platform() {
    let (library, _) = shared();
    let all = library.search(&Query::default());
    assert_eq!(all.len(), library.templates().len());

    let stories = library.search(&Query { platform: Some("tiktok".into()), ..Query::default() });
    assert_eq!(stories.len(), library.archetypes().len());
    assert!(stories.iter().all(|t| t.preset == FormatPreset::Tiktok));

    let sale = library.search(&Query { text: "sale".into(), ..Query::default() });
    assert!(!sale.is_empty());
    assert!(sale[0].intents.contains(&Intent::Sale) || sale[0].layout == "sale-poster", "{:?}", sale[0].id);

    let food = library.search(&Query {
        industry: Some("food-and-drink".into()),
        preset: Some(FormatPreset::InstagramStory),
        ..Query::default()
    });
    assert!(!food.is_empty());
    assert!(food.iter().all(|t| t.industries.iter().any(|i| i == "food-and-drink")));

    let hiring =
        library.search(&Query { intent: Some(Intent::Hiring), text: "engineer jobs".into(), ..Query::default() });
    assert!(hiring.iter().all(|t| t.intents.contains(&Intent::Hiring)));

    let none = library.search(&Query { text: "zzzzqqq".into(), ..Query::default() });
    assert!(none.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, .. ProptestConfig::default() })]

    /// Any template resized to any preset, and back to its own, still passes every check.
    #[test]
    fn magic_resize_there_and_back_keeps_templates_passing(t in 0usize..10_000, p in 0usize..FormatPreset::ALL.len()) {
        let (library, renderer) = shared();
        let template = &library.templates()[t % library.templates().len()];
        let design = library.fitted_design(template, renderer);
        let target = FormatPreset::ALL[p];
        let mut there = resize::resize_to(&design, target);
        resize::fit_text(&mut there, renderer, FIT_FLOOR);
        let findings = quality::check(&there, renderer);
        prop_assert!(findings.is_empty(), "{} → {:?}: {:?}", template.id, target, findings);
        let mut back = resize::resize_to(&there, template.preset);
        resize::fit_text(&mut back, renderer, FIT_FLOOR);
        let findings = quality::check(&back, renderer);
        prop_assert!(findings.is_empty(), "{} → {:?} → back: {:?}", template.id, target, findings);
    }
}

#[test]
fn a_bad_archetype_file_is_refused_with_its_name_and_reason() {
    let bad = br#"{"id":"x","name":"x","layout":"split","intents":["nope"],"industries":["retail"],
        "styles":["bold"],"tones":["urgent"],"designs":[]}"#;
    let err = gen_worker::template::parse_archetype(bad, "x.json").expect_err("refused").to_string();
    assert!(err.contains("x.json") && err.contains("nope"), "{err}");
    let err = gen_worker::template::parse_archetype(b"{", "y.json").expect_err("refused").to_string();
    assert!(err.contains("y.json"), "{err}");
}

/// The property above over every template and preset, exhaustively (a few seconds).
#[test]
fn magic_resize_there_and_back_for_every_template_and_preset() {
    let (library, renderer) = shared();
    let mut failures = Vec::new();
    for template in library.templates() {
        let design = library.fitted_design(template, renderer);
        for target in FormatPreset::ALL {
            let mut there = resize::resize_to(&design, target);
            resize::fit_text(&mut there, renderer, FIT_FLOOR);
            for f in quality::check(&there, renderer) {
                failures.push(format!("{} → {target:?}: {f}", template.id));
            }
            let mut back = resize::resize_to(&there, template.preset);
            resize::fit_text(&mut back, renderer, FIT_FLOOR);
            for f in quality::check(&back, renderer) {
                failures.push(format!("{} → {target:?} → back: {f}", template.id));
            }
        }
    }
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}
