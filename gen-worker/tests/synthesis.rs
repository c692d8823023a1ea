//! Four-variation synthesis over the fixed prompt set: distinct samples that pass the quality
//! checks, determinism per seed, photos and logos placed, and bad prompts handled.

mod support;

use std::sync::{Arc, OnceLock};

use editor_core::{FormatPreset, LayerContent, Role};
use gen_worker::copy::Tone;
use gen_worker::imaging::{hamming, phash};
use gen_worker::synth::{Engine, GenError, GenerationRequest};
use gen_worker::template::Library;
use render::{MemoryAssets, OutputSize, Renderer};

/// Smallest perceptual-hash distance (of 64 bits) between two samples of one request. Two
/// renders of the same design are at 0; a re-coloured copy of one layout lands around 4–8 (see
/// docs/generation.md for the measured spread).
const MIN_DISTANCE: u32 = 10;

fn shared() -> &'static (Arc<Library>, Arc<Renderer>) {
    static SHARED: OnceLock<(Arc<Library>, Arc<Renderer>)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let fonts = Arc::new(render::FontLibrary::bundled().unwrap_or_else(|e| panic!("bundled fonts: {e}")));
        (
            Arc::new(Library::bundled().unwrap_or_else(|e| panic!("template library: {e}"))),
            Arc::new(Renderer::new(fonts)),
        )
    })
}

fn engine() -> Engine {
    let (library, renderer) = shared();
    Engine::builtin(library.clone(), renderer.clone())
}

#[test]
fn every_fixture_gives_four_distinct_samples_that_pass_the_checks() {
    let engine = engine();
    let renderer = &shared().1;
    let mut failures = Vec::new();
    let mut distances = Vec::new();
    for (i, case) in support::CASES.iter().enumerate() {
        let mut assets = MemoryAssets::new();
        let request = support::request(case, i, &mut assets);
        let generation = match engine.generate(&request) {
            Ok(g) => g,
            Err(e) => {
                failures.push(format!("case {i} ({:?}): {e}", case.prompt));
                continue;
            }
        };
        assert_eq!(generation.samples.len(), 4, "case {i}");
        let mut hashes = Vec::new();
        for (s, sample) in generation.samples.iter().enumerate() {
            for f in &sample.findings {
                failures.push(format!("case {i} sample {s} ({}): {f}", sample.template));
            }
            assert_eq!(sample.design.format, case.preset.format(), "case {i}");
            sample.design.validate().expect("valid design");
            let (image, _) = renderer
                .raster(&sample.design, &assets, OutputSize::LongSide(512), false, false)
                .expect("sample renders");
            hashes.push((phash(&image), sample.template.clone()));
        }
        for a in 0..hashes.len() {
            for b in a + 1..hashes.len() {
                let d = hamming(hashes[a].0, hashes[b].0);
                distances.push(d);
                if d < MIN_DISTANCE {
                    failures.push(format!(
                        "case {i}: samples {a} ({}) and {b} ({}) are too alike: distance {d}",
                        hashes[a].1, hashes[b].1
                    ));
                }
            }
        }
        if case.photos > 0 {
            let with_photo = generation.samples.iter().filter(|s| has_photo(&s.design)).count();
            assert!(with_photo >= 2, "case {i}: only {with_photo} samples show the photo");
        }
        if case.brand {
            for s in &generation.samples {
                let logo = s.design.layers.iter().any(|l| {
                    l.role == Role::Logo && matches!(l.content, LayerContent::Svg(_) | LayerContent::Image(_))
                });
                let named = s.design.layers.iter().any(|l| match &l.content {
                    LayerContent::Text(t) => t.text.contains("Northwind"),
                    _ => false,
                });
                assert!(logo || named, "case {i} {}: neither the logo nor the brand name", s.template);
            }
        }
    }
    distances.sort_unstable();
    eprintln!(
        "pairwise phash distances over {} pairs: min {} median {} max {}",
        distances.len(),
        distances.first().copied().unwrap_or(0),
        distances.get(distances.len() / 2).copied().unwrap_or(0),
        distances.last().copied().unwrap_or(0)
    );
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}

fn has_photo(design: &editor_core::Design) -> bool {
    design.layers.iter().any(|l| matches!(l.content, LayerContent::Image(_)) && l.role == Role::Photo)
}

#[test]
fn the_same_seed_gives_the_same_designs_and_another_seed_other_ones() {
    let engine = engine();
    let mut assets = MemoryAssets::new();
    let request = support::request(&support::CASES[0], 0, &mut assets);
    let a = engine.generate(&request).expect("generates");
    let b = engine.generate(&request).expect("generates");
    let designs = |g: &gen_worker::synth::Generation| g.samples.iter().map(|s| s.design.clone()).collect::<Vec<_>>();
    assert_eq!(designs(&a), designs(&b));
    let mut other = request.clone();
    other.seed += 1;
    let c = engine.generate(&other).expect("generates");
    assert_ne!(designs(&a), designs(&c));
}

#[test]
fn photos_are_cropped_around_their_subject() {
    let engine = engine();
    let mut assets = MemoryAssets::new();
    let mut request = GenerationRequest::new("New spring collection of linen dresses");
    request.format = FormatPreset::InstagramStory.format();
    request.photos = vec![support::photo(&mut assets, 0)];
    let generation = engine.generate(&request).expect("generates");
    let mut seen = 0;
    for s in &generation.samples {
        for l in &s.design.layers {
            if let LayerContent::Image(img) = &l.content
                && l.role == Role::Photo
            {
                let crop = img.crop.expect("a crop");
                // The subject (red block) spans u 0.55..0.75 of the photo: a crop wider than it
                // holds all of it; a narrower one stays on it.
                let (left, right) = (crop.x, crop.x + crop.w);
                let holds = left <= 0.55 && right >= 0.75;
                let on_it = crop.w < 0.2 && (0.55..=0.75).contains(&((left + right) / 2.0));
                assert!(holds || on_it, "{crop:?} cuts the subject");
                seen += 1;
            }
        }
    }
    assert!(seen > 0, "no sample placed the photo");
}

#[test]
fn bad_prompts_give_valid_designs_or_a_clear_error() {
    let engine = engine();
    let huge = "sale ".repeat(2000);
    let cases: [(&str, bool); 9] = [
        ("", false),
        ("   \n\t ", false),
        ("<b></b><script>alert(1)</script>", false),
        (&huge, false),
        ("🔥🔥🎉💯", true),
        ("تخفيضات الصيف على الأحذية", true),
        ("מבצע קיץ על נעליים", true),
        ("<h1>Big <i>sale</i></h1> <img src=x onerror=alert(1)> today only", true),
        ("ÀÉÎÕÜ ñ ß ø 日本語のテキスト 😀 \u{202E}reversed\u{202C} text", true),
    ];
    for (prompt, ok) in cases {
        let mut request = GenerationRequest::new(prompt);
        request.tone = Tone::Playful;
        match engine.generate(&request) {
            Ok(g) => {
                assert!(ok, "{prompt:?} should be refused");
                assert_eq!(g.samples.len(), 4);
                for s in &g.samples {
                    s.design.validate().expect("valid design");
                    for l in &s.design.layers {
                        if let LayerContent::Text(t) = &l.content {
                            assert!(!t.text.contains('<'), "markup leaked: {:?}", t.text);
                        }
                    }
                }
            }
            Err(GenError::Copy(e)) => {
                assert!(!ok, "{prompt:?} was refused: {e}");
                assert!(!e.to_string().is_empty());
            }
            Err(e) => panic!("{prompt:?}: unexpected error {e}"),
        }
    }
}

#[test]
fn custom_sizes_and_every_preset_work() {
    let engine = engine();
    for format in FormatPreset::ALL.iter().map(|p| p.format()).chain([
        editor_core::Format::custom(800, 800).expect("format"),
        editor_core::Format::custom(2000, 500).expect("format"),
    ]) {
        let mut request = GenerationRequest::new("Autumn menu tasting night, Friday 7pm");
        request.format = format.clone();
        let g = engine.generate(&request).expect("generates");
        assert_eq!(g.samples.len(), 4);
        for s in &g.samples {
            assert_eq!(s.design.format, format);
            assert!(s.findings.is_empty(), "{} {}: {:?}", format.width, s.template, s.findings);
        }
    }
}

#[test]
fn a_failing_chat_copy_service_falls_back_to_the_builtin_writer_and_says_so() {
    use gen_worker::copy::chat::{ChatConfig, ChatCopywriter};
    use gen_worker::synth::BuiltinProvider;
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(9);
    let mut config = ChatConfig::new(format!("http://127.0.0.1:{port}/v1"), "local-model");
    config.timeout = std::time::Duration::from_millis(500);
    let chat = ChatCopywriter::new(config).unwrap_or_else(|e| panic!("config: {e}"));
    let (library, renderer) = shared();
    let engine = Engine::new(Box::new(chat), Box::new(BuiltinProvider::new(library.clone(), renderer.clone())));
    let g = engine.generate(&GenerationRequest::new("Autumn sale on wool scarves, 25% off")).unwrap();
    assert_eq!(g.samples.len(), 4);
    assert!(g.samples.iter().all(|s| s.copy.source == gen_worker::copy::CopySource::Builtin));
    assert_eq!(g.notes.len(), 1, "{:?}", g.notes);
    assert!(g.notes[0].contains("built-in"), "{}", g.notes[0]);
}
