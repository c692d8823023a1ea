//! Property tests of the CRDT document: convergence of replicas under any delivery order,
//! lossless round trips of designs, and per-user undo.

#![expect(clippy::unwrap_used, reason = "test helpers fail loudly on broken fixtures")]

use std::collections::BTreeSet;

use editor_core::{
    BrandColor, BrandFont, BrandKit, Color, Command, Crop, Design, DesignPatch, Document, Filters, Fit, FormatPreset,
    GradientStop, ImageContent, Layer, LayerContent, LayerId, LayerPatch, Paint, Point, Rect, Role, Shape,
    ShapeContent, Stroke, SvgContent, TextAlign, TextContent, TextSpan, TextStyle, TextStyleField, VerticalAlign,
    ZOrder, design_file, fractional_index,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

// ---------------------------------------------------------------- strategies: values

fn coord() -> impl Strategy<Value = f64> {
    prop_oneof![(-2000i32..4000).prop_map(f64::from), -5000.0..5000.0f64]
}

fn size() -> impl Strategy<Value = f64> {
    prop_oneof![(0i32..2000).prop_map(f64::from), 0.0..3000.0f64]
}

fn color() -> impl Strategy<Value = Color> {
    any::<[u8; 4]>().prop_map(|[r, g, b, a]| Color::rgba(r, g, b, a))
}

fn point() -> impl Strategy<Value = Point> {
    (-1.0..2.0f64, -1.0..2.0f64).prop_map(|(x, y)| Point { x, y })
}

fn stops() -> impl Strategy<Value = Vec<GradientStop>> {
    proptest::collection::vec((0.0..=1.0f64, color()).prop_map(|(offset, color)| GradientStop { offset, color }), 1..4)
}

fn paint() -> impl Strategy<Value = Paint> {
    prop_oneof![
        3 => color().prop_map(Paint::solid),
        1 => (point(), point(), stops()).prop_map(|(start, end, stops)| Paint::LinearGradient { start, end, stops }),
        1 => (point(), 0.0..2.0f64, stops()).prop_map(|(center, radius, stops)| Paint::RadialGradient { center, radius, stops }),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[a-zA-Z0-9 ]{0,24}", "\\PC{0,12}", Just("Émoji 😀👍🏽 مرحبا שלום 日本語".to_owned()),]
}

fn text_style() -> impl Strategy<Value = TextStyle> {
    (
        proptest::option::of(prop::sample::select(vec!["Inter", "Playfair Display"])),
        proptest::option::of(prop_oneof![Just(400u16), Just(700u16), 1u16..=1000]),
        proptest::option::of(any::<bool>()),
        proptest::option::of(prop_oneof![Just(24.0), Just(96.0), 1.0..300.0f64]),
        proptest::option::of(prop_oneof![Just(Color::rgb(255, 0, 0)), color()]),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(family, font_weight, italic, font_size, color, underline)| TextStyle {
            font_family: family.map(Into::into),
            font_weight,
            italic,
            font_size,
            color,
            underline,
        })
}

/// Ranges to style, as picks among a text's character boundaries.
type SpanPicks = Vec<(prop::sample::Index, prop::sample::Index, TextStyle)>;

fn span_picks() -> impl Strategy<Value = SpanPicks> {
    proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), text_style()), 1..4)
}

/// UTF-16 offsets of `text`'s character boundaries, 0 and the end included.
fn boundaries(text: &str) -> Vec<u32> {
    let mut out = vec![0u32];
    let mut at = 0u32;
    for c in text.chars() {
        at += c.len_utf16() as u32;
        out.push(at);
    }
    out
}

/// The UTF-16 range between two picked boundaries of `text`.
fn pick_range(text: &str, a: &prop::sample::Index, b: &prop::sample::Index) -> (u32, u32) {
    let bounds = boundaries(text);
    let (a, b) = (*a.get(&bounds), *b.get(&bounds));
    (a.min(b), a.max(b))
}

/// Valid spans of `text` from picks: empty ranges and ranges overlapping an earlier one dropped.
fn spans_for(text: &str, picks: &SpanPicks) -> Vec<TextSpan> {
    let mut spans: Vec<TextSpan> = picks
        .iter()
        .map(|(a, b, style)| {
            let (start, end) = pick_range(text, a, b);
            TextSpan { start, end, style: style.clone() }
        })
        .filter(|s| s.start < s.end)
        .collect();
    spans.sort_by_key(|s| s.start);
    let mut out: Vec<TextSpan> = Vec::new();
    for span in spans {
        if out.last().is_none_or(|last| last.end <= span.start) {
            out.push(span);
        }
    }
    out
}

fn asset() -> impl Strategy<Value = editor_core::AssetId> {
    any::<[u8; 8]>().prop_map(|b| editor_core::AssetId::for_bytes(&b))
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        proptest::array::uniform4(0.0..100.0f64).prop_map(|corner_radii| Shape::Rect { corner_radii }),
        Just(Shape::Ellipse),
        (3u32..12).prop_map(|sides| Shape::Polygon { sides }),
        (3u32..12, 0.1..0.9f64).prop_map(|(points, inner_ratio)| Shape::Star { points, inner_ratio }),
        Just(Shape::Line),
        Just(Shape::Path { d: "M0 0 L10 10 Z".into() }),
    ]
}

fn content() -> impl Strategy<Value = LayerContent> {
    let text_content = (
        text(),
        prop::sample::select(vec!["Inter", "Playfair Display", "Noto Sans"]),
        1u16..=1000,
        any::<bool>(),
        1.0..300.0f64,
        color(),
        prop::sample::select(TextAlign::ALL.to_vec()),
        0.5..3.0f64,
        -0.5..2.0f64,
        prop::sample::select(VerticalAlign::ALL.to_vec()),
        any::<bool>(),
        prop_oneof![2 => Just(None), 1 => span_picks().prop_map(Some)],
    )
        .prop_map(
            |(
                text,
                family,
                font_weight,
                italic,
                font_size,
                color,
                align,
                line_height,
                letter_spacing,
                vertical_align,
                auto_fit,
                picks,
            )| {
                let spans = picks.map(|p| spans_for(&text, &p)).unwrap_or_default();
                LayerContent::Text(TextContent {
                    text,
                    font_family: family.into(),
                    font_weight,
                    italic,
                    font_size,
                    color,
                    align,
                    line_height,
                    letter_spacing,
                    vertical_align,
                    auto_fit,
                    spans,
                })
            },
        );
    let image = (
        asset(),
        proptest::option::of((0.0..0.5f64, 0.0..0.5f64, 0.1..0.5f64, 0.1..0.5f64)),
        prop::sample::select(Fit::ALL.to_vec()),
        -1.0..=1.0f64,
        0.0..50.0f64,
    )
        .prop_map(|(asset, crop, fit, b, blur)| {
            LayerContent::Image(ImageContent {
                asset,
                crop: crop.map(|(x, y, w, h)| Crop { x, y, w, h }),
                fit,
                filters: Filters { brightness: b, contrast: -b, saturation: b / 2.0, blur },
            })
        });
    let shape_content = (
        shape(),
        proptest::option::of(paint()),
        proptest::option::of((paint(), 0.0..20.0f64, proptest::collection::vec(0.0..10.0f64, 0..3))),
    )
        .prop_map(|(shape, fill, stroke)| {
            LayerContent::Shape(ShapeContent {
                shape,
                fill,
                stroke: stroke.map(|(paint, width, dash)| Stroke { paint, width, dash }),
            })
        });
    prop_oneof![
        3 => text_content,
        1 => image,
        3 => shape_content,
        1 => asset().prop_map(|asset| LayerContent::Svg(SvgContent { asset })),
    ]
}

fn layer_props() -> impl Strategy<Value = (Rect, f64, f64, bool, bool, String, Role)> {
    (
        (coord(), coord(), size(), size()).prop_map(|(x, y, w, h)| Rect::new(x, y, w, h)),
        -720.0..720.0f64,
        0.0..=1.0f64,
        any::<bool>(),
        any::<bool>(),
        "[a-z ]{0,12}",
        prop::sample::select(Role::ALL.to_vec()),
    )
}

/// A random valid design: some groups (each may sit in an earlier group), then leaves in any group.
fn design() -> impl Strategy<Value = Design> {
    let groups = proptest::collection::vec((layer_props(), any::<prop::sample::Index>(), any::<bool>()), 0..4);
    let leaves = proptest::collection::vec(
        (layer_props(), content(), any::<prop::sample::Index>(), any::<bool>(), any::<bool>()),
        0..12,
    );
    (prop::sample::select(FormatPreset::ALL.to_vec()), "[A-Za-z ]{0,20}", paint(), groups, leaves).prop_map(
        |(preset, name, background, groups, leaves)| {
            let mut d = Design::new(&name, preset.format());
            d.background = background;
            let mut group_ids: Vec<LayerId> = Vec::new();
            let mut n = 0;
            let mut make = |props: (Rect, f64, f64, bool, bool, String, Role), content: LayerContent| {
                n += 1;
                let (bounds, rotation, opacity, hidden, locked, name, role) = props;
                let mut l = Layer::new(LayerId::parse(&format!("l{n}")).unwrap(), content, bounds);
                (l.rotation, l.opacity, l.hidden, l.locked, l.name, l.role) =
                    (rotation, opacity, hidden, locked, name, role);
                l
            };
            for (props, parent, nested) in groups {
                let mut g = make(props, LayerContent::Group);
                if nested && !group_ids.is_empty() {
                    g.parent = Some(parent.get(&group_ids).clone());
                }
                group_ids.push(g.id.clone());
                d.layers.push(g);
            }
            for (props, content, parent, nested, explicit_z) in leaves {
                let mut l = make(props, content);
                if nested && !group_ids.is_empty() {
                    l.parent = Some(parent.get(&group_ids).clone());
                }
                if explicit_z {
                    l.z = fractional_index::key_between(None, None).unwrap();
                }
                d.layers.push(l);
            }
            d
        },
    )
}

// ---------------------------------------------------------------- round trip

proptest! {
    #![proptest_config(Config::with_cases(cases(256)))]

    #[test]
    fn design_round_trips_through_ydoc_and_file(design in design()) {
        design.validate().unwrap();
        let mut expected = design.clone();
        expected.assign_missing_z();
        expected.normalize();

        let doc = Document::from_design(&design).unwrap();
        let read = doc.design();
        prop_assert_eq!(&read, &expected);

        // Through bytes (another device) and the design file.
        let other = Document::load(None, Some(&doc.encode_state_v2()), &[]).unwrap();
        let file = design_file::to_string(&other.design());
        let parsed = design_file::parse(file.as_bytes()).unwrap();
        prop_assert_eq!(&parsed, &expected);
    }
}

// ---------------------------------------------------------------- convergence

/// A command with its targets given as picks into whatever the replica holds at that moment.
#[derive(Clone, Debug)]
enum Op {
    AddText(String, Rect),
    AddRect(Rect, Color),
    AddGroupChild(prop::sample::Index, Rect),
    Remove(prop::sample::Index),
    Duplicate(prop::sample::Index),
    Move(prop::sample::Index, f64, f64),
    Resize(prop::sample::Index, f64, f64),
    Style(prop::sample::Index, f64, bool, String),
    Recolor(prop::sample::Index, Color),
    FormatText(prop::sample::Index, prop::sample::Index, prop::sample::Index, TextStyle),
    ClearFormat(prop::sample::Index, prop::sample::Index, prop::sample::Index, Vec<TextStyleField>),
    SetSpans(prop::sample::Index, SpanPicks),
    TextBox(prop::sample::Index, VerticalAlign, bool),
    Text(prop::sample::Index, prop::sample::Index, u8, String),
    Lock(prop::sample::Index, bool),
    Group(prop::sample::Index, prop::sample::Index),
    Ungroup(prop::sample::Index),
    Reorder(prop::sample::Index, u8, prop::sample::Index),
    Background(Paint),
    Rename(String),
    Brand(Color, Color),
    Format(prop::sample::Index),
    Undo,
    Redo,
}

fn op() -> impl Strategy<Value = Op> {
    let idx = any::<prop::sample::Index>;
    let rect = || (coord(), coord(), size(), size()).prop_map(|(x, y, w, h)| Rect::new(x, y, w, h));
    prop_oneof![
        3 => (text(), rect()).prop_map(|(t, r)| Op::AddText(t, r)),
        2 => (rect(), color()).prop_map(|(r, c)| Op::AddRect(r, c)),
        1 => (idx(), rect()).prop_map(|(i, r)| Op::AddGroupChild(i, r)),
        1 => idx().prop_map(Op::Remove),
        1 => idx().prop_map(Op::Duplicate),
        4 => (idx(), coord(), coord()).prop_map(|(i, x, y)| Op::Move(i, x, y)),
        2 => (idx(), size(), size()).prop_map(|(i, w, h)| Op::Resize(i, w, h)),
        2 => (idx(), 0.0..=1.0f64, any::<bool>(), "[a-z]{0,6}").prop_map(|(i, o, h, n)| Op::Style(i, o, h, n)),
        2 => (idx(), color()).prop_map(|(i, c)| Op::Recolor(i, c)),
        4 => (idx(), idx(), any::<u8>(), text()).prop_map(|(i, at, del, s)| Op::Text(i, at, del, s)),
        3 => (idx(), idx(), idx(), text_style()).prop_map(|(i, a, b, s)| Op::FormatText(i, a, b, s)),
        1 => (idx(), idx(), idx(), proptest::sample::subsequence(TextStyleField::ALL.to_vec(), 0..=6))
            .prop_map(|(i, a, b, f)| Op::ClearFormat(i, a, b, f)),
        1 => (idx(), span_picks()).prop_map(|(i, p)| Op::SetSpans(i, p)),
        1 => (idx(), prop::sample::select(VerticalAlign::ALL.to_vec()), any::<bool>())
            .prop_map(|(i, v, a)| Op::TextBox(i, v, a)),
        1 => (idx(), any::<bool>()).prop_map(|(i, l)| Op::Lock(i, l)),
        1 => (idx(), idx()).prop_map(|(a, b)| Op::Group(a, b)),
        1 => idx().prop_map(Op::Ungroup),
        2 => (idx(), any::<u8>(), idx()).prop_map(|(i, how, t)| Op::Reorder(i, how, t)),
        1 => paint().prop_map(Op::Background),
        1 => "[A-Za-z]{0,10}".prop_map(Op::Rename),
        1 => (color(), color()).prop_map(|(a, b)| Op::Brand(a, b)),
        1 => idx().prop_map(Op::Format),
        2 => Just(Op::Undo),
        1 => Just(Op::Redo),
    ]
}

/// Runs `op` on `doc`; returns the update it produced (empty if refused or a no-op).
fn run(doc: &mut Document, op: &Op, replica: usize, counter: &mut u32) -> Vec<u8> {
    let design = doc.design();
    let ids: Vec<LayerId> = design.layers.iter().map(|l| l.id.clone()).collect();
    let groups: Vec<LayerId> = design.layers.iter().filter(|l| l.is_group()).map(|l| l.id.clone()).collect();
    let texts: Vec<&Layer> = design.layers.iter().filter(|l| matches!(l.content, LayerContent::Text(_))).collect();
    let mut fresh = || {
        *counter += 1;
        LayerId::parse(&format!("r{replica}n{counter}")).unwrap()
    };
    let pick = |i: &prop::sample::Index| if ids.is_empty() { None } else { Some(i.get(&ids).clone()) };
    let patch = |i: &prop::sample::Index, patch: LayerPatch| pick(i).map(|id| Command::SetLayer { id, patch });
    let command = match op {
        Op::AddText(t, r) => Some(Command::AddLayer { layer: Layer::text(fresh(), t, *r) }),
        Op::AddRect(r, c) => Some(Command::AddLayer { layer: Layer::rect(fresh(), *r, *c) }),
        Op::AddGroupChild(g, r) => {
            let mut layer = Layer::rect(fresh(), *r, Color::BLACK);
            if !groups.is_empty() {
                layer.parent = Some(g.get(&groups).clone());
            }
            Some(Command::AddLayer { layer })
        }
        Op::Remove(i) => pick(i).map(|id| Command::RemoveLayers { ids: vec![id] }),
        Op::Duplicate(i) => pick(i).map(|id| Command::DuplicateLayers { ids: vec![id], dx: 10.0, dy: 10.0 }),
        Op::Move(i, x, y) => patch(i, LayerPatch::position(*x, *y)),
        Op::Resize(i, w, h) => patch(i, LayerPatch { w: Some(*w), h: Some(*h), ..Default::default() }),
        Op::Style(i, o, hidden, name) => patch(
            i,
            LayerPatch { opacity: Some(*o), hidden: Some(*hidden), name: Some(name.clone()), ..Default::default() },
        ),
        Op::Recolor(i, c) => {
            if texts.is_empty() {
                None
            } else {
                let l = i.get(&texts);
                Some(Command::SetLayer {
                    id: l.id.clone(),
                    patch: LayerPatch { color: Some(*c), ..Default::default() },
                })
            }
        }
        Op::Text(i, at, del, s) => {
            if texts.is_empty() {
                None
            } else {
                let l = i.get(&texts);
                let LayerContent::Text(t) = &l.content else { unreachable!() };
                let units: Vec<u16> = t.text.encode_utf16().collect();
                let start = if units.is_empty() { 0 } else { at.index(units.len() + 1) };
                let delete = (usize::from(*del) % 4).min(units.len() - start);
                Some(Command::EditText {
                    id: l.id.clone(),
                    start: start as u32,
                    delete: delete as u32,
                    insert: s.clone(),
                })
            }
        }
        Op::FormatText(i, a, b, _) | Op::ClearFormat(i, a, b, _) if !texts.is_empty() => {
            let l = i.get(&texts);
            let LayerContent::Text(t) = &l.content else { unreachable!() };
            let (start, end) = pick_range(&t.text, a, b);
            let (id, len) = (l.id.clone(), end - start);
            match op {
                Op::ClearFormat(.., fields) => {
                    Some(Command::ClearTextFormat { id, start, len, fields: fields.clone() })
                }
                Op::FormatText(.., style) => Some(Command::FormatText { id, start, len, style: style.clone() }),
                _ => None,
            }
        }
        Op::SetSpans(i, picks) if !texts.is_empty() => {
            let l = i.get(&texts);
            let LayerContent::Text(t) = &l.content else { unreachable!() };
            Some(Command::SetLayer {
                id: l.id.clone(),
                patch: LayerPatch { spans: Some(spans_for(&t.text, picks)), ..Default::default() },
            })
        }
        Op::TextBox(i, valign, auto_fit) if !texts.is_empty() => Some(Command::SetLayer {
            id: i.get(&texts).id.clone(),
            patch: LayerPatch { vertical_align: Some(*valign), auto_fit: Some(*auto_fit), ..Default::default() },
        }),
        Op::FormatText(..) | Op::ClearFormat(..) | Op::SetSpans(..) | Op::TextBox(..) => None,
        Op::Lock(i, l) => patch(i, LayerPatch { locked: Some(*l), ..Default::default() }),
        Op::Group(a, b) => match (pick(a), pick(b)) {
            (Some(a), Some(b)) => {
                Some(Command::Group { ids: if a == b { vec![a] } else { vec![a, b] }, group_id: fresh() })
            }
            _ => None,
        },
        Op::Ungroup(g) => (!groups.is_empty()).then(|| Command::Ungroup { id: g.get(&groups).clone() }),
        Op::Reorder(i, how, t) => pick(i).map(|id| {
            let target = t.get(&ids).clone();
            let to = match how % 6 {
                0 => ZOrder::Front,
                1 => ZOrder::Back,
                2 => ZOrder::Forward,
                3 => ZOrder::Backward,
                4 => ZOrder::Above(target),
                _ => ZOrder::Below(target),
            };
            Command::Reorder { id, to }
        }),
        Op::Background(p) => {
            Some(Command::SetDesign { patch: DesignPatch { background: Some(p.clone()), name: None } })
        }
        Op::Rename(n) => Some(Command::SetDesign { patch: DesignPatch { name: Some(n.clone()), background: None } }),
        Op::Brand(a, b) => Some(Command::ApplyBrandKit {
            kit: BrandKit {
                name: "Kit".into(),
                colors: vec![
                    BrandColor { name: "A".into(), color: *a, usage: "primary".into() },
                    BrandColor { name: "B".into(), color: *b, usage: "background".into() },
                ],
                fonts: vec![BrandFont { family: "Inter".into(), weight: 700, usage: "heading".into() }],
                logos: vec![],
            },
        }),
        Op::Format(i) => Some(Command::ChangeFormat { format: i.get(&FormatPreset::ALL).format() }),
        Op::Undo => return doc.undo().map(|c| c.update).unwrap_or_default(),
        Op::Redo => return doc.redo().map(|c| c.update).unwrap_or_default(),
    };
    match command {
        // Refusals (locked layer, bad range, not siblings …) are legitimate outcomes.
        Some(command) => doc.apply(command).map(|c| c.update).unwrap_or_default(),
        None => Vec::new(),
    }
}

#[derive(Clone, Debug)]
enum Step {
    /// Replica runs an operation.
    Edit(prop::sample::Index, Op),
    /// An update already produced reaches a replica (possibly again, possibly early).
    Deliver(prop::sample::Index, prop::sample::Index),
    /// A replica goes offline or comes back.
    Toggle(prop::sample::Index),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (any::<prop::sample::Index>(), op()).prop_map(|(r, o)| Step::Edit(r, o)),
        4 => (any::<prop::sample::Index>(), any::<prop::sample::Index>()).prop_map(|(u, r)| Step::Deliver(u, r)),
        1 => any::<prop::sample::Index>().prop_map(Step::Toggle),
    ]
}

#[test]
fn replicas_converge_under_any_delivery_order() {
    let mut runner = TestRunner::new(Config::with_cases(cases(500)));
    let strategy = (3usize..=5, design(), proptest::collection::vec(step(), 1..60), any::<u64>());
    runner
        .run(&strategy, |(n, base, steps, seed)| {
            let origin = Document::from_design(&base).unwrap();
            let state = origin.encode_state_v1();
            let mut replicas: Vec<Document> = (0..n)
                .map(|i| Document::load(Some(100 + i as u32), None, std::slice::from_ref(&state)).unwrap())
                .collect();
            let mut online = vec![true; n];
            let mut log: Vec<(usize, Vec<u8>)> = Vec::new();
            let mut counter = 0;
            let all: Vec<usize> = (0..n).collect();
            for step in &steps {
                match step {
                    Step::Edit(r, op) => {
                        let r = *r.get(&all);
                        let update = run(&mut replicas[r], op, r, &mut counter);
                        if !update.is_empty() {
                            log.push((r, update));
                        }
                    }
                    Step::Deliver(u, r) => {
                        let r = *r.get(&all);
                        if log.is_empty() || !online[r] {
                            continue;
                        }
                        let (from, update) = u.get(&log);
                        if online[*from] {
                            replicas[r].apply_remote_update(update).unwrap();
                        }
                    }
                    Step::Toggle(r) => {
                        let r = *r.get(&all);
                        online[r] = !online[r];
                    }
                }
                for doc in &replicas {
                    let design = doc.design();
                    prop_assert!(design.validate().is_ok(), "{:?}", design.validate());
                }
            }
            // Everyone comes back; every update reaches every replica in a shuffled order, twice.
            let mut order: Vec<usize> = (0..log.len()).chain(0..log.len()).collect();
            let mut x = seed | 1;
            for i in (1..order.len()).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                order.swap(i, (x % (i as u64 + 1)) as usize);
            }
            for doc in replicas.iter_mut() {
                for &i in &order {
                    doc.apply_remote_update(&log[i].1).unwrap();
                }
                prop_assert!(!doc.has_pending_updates());
            }
            let first = replicas[0].canonical_state_v1();
            let first_design = replicas[0].design();
            first_design.validate().unwrap();
            for doc in &replicas[1..] {
                prop_assert_eq!(&doc.design(), &first_design);
                prop_assert!(doc.canonical_state_v1() == first, "replica states differ byte-wise");
            }
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------- undo

#[derive(Clone, Debug)]
enum UserEdit {
    A(u8, f64, String),
    B(u8, f64),
    BAdd(Rect),
}

#[test]
fn each_users_undo_reverts_only_their_own_edits() {
    let mut runner = TestRunner::new(Config::with_cases(cases(128)));
    let edit = prop_oneof![
        (any::<u8>(), coord(), "[a-z]{1,5}").prop_map(|(i, v, s)| UserEdit::A(i, v, s)),
        (any::<u8>(), 0.0..=1.0f64).prop_map(|(i, v)| UserEdit::B(i, v)),
        (coord(), coord()).prop_map(|(x, y)| UserEdit::BAdd(Rect::new(x, y, 10.0, 10.0))),
    ];
    runner
        .run(&proptest::collection::vec(edit, 1..30), |edits| {
            let mut base = Design::new("Undo", FormatPreset::InstagramPost.format());
            for i in 0..3 {
                base.layers.push(Layer::text(
                    LayerId::parse(&format!("t{i}")).unwrap(),
                    "hello",
                    Rect::new(0.0, 0.0, 100.0, 40.0),
                ));
            }
            let origin = Document::from_design(&base).unwrap();
            let state = origin.encode_state_v1();
            let mut a = Document::load(Some(1), None, std::slice::from_ref(&state)).unwrap();
            let mut b = Document::load(Some(2), None, std::slice::from_ref(&state)).unwrap();
            let ids: Vec<LayerId> = base.layers.iter().map(|l| l.id.clone()).collect();
            let mut added = BTreeSet::new();
            let mut n = 0;
            // A owns x, name and text; B owns opacity and the layers it adds. Each update reaches
            // the other user at once, as when both are online.
            for e in &edits {
                let (from_a, change) = match e {
                    UserEdit::A(i, x, s) => {
                        let id = ids[usize::from(*i) % ids.len()].clone();
                        let patch = LayerPatch { x: Some(*x), name: Some(s.clone()), ..Default::default() };
                        a.apply(Command::SetLayer { id: id.clone(), patch }).unwrap();
                        (true, a.apply(Command::EditText { id, start: 0, delete: 1, insert: s.clone() }).unwrap())
                    }
                    UserEdit::B(i, o) => {
                        let id = ids[usize::from(*i) % ids.len()].clone();
                        (
                            false,
                            b.apply(Command::SetLayer {
                                id,
                                patch: LayerPatch { opacity: Some(*o), ..Default::default() },
                            })
                            .unwrap(),
                        )
                    }
                    UserEdit::BAdd(r) => {
                        n += 1;
                        let id = LayerId::parse(&format!("b{n}")).unwrap();
                        added.insert(id.clone());
                        (false, b.apply(Command::AddLayer { layer: Layer::rect(id, *r, Color::BLACK) }).unwrap())
                    }
                };
                // `EditText` after `SetLayer` is two local updates for A; sync the whole state.
                let _ = change;
                if from_a {
                    b.apply_remote_update(&a.encode_state_v1()).unwrap();
                } else {
                    a.apply_remote_update(&b.encode_state_v1()).unwrap();
                }
            }
            let before_undo = b.design();
            while a.undo().is_some() {}
            b.apply_remote_update(&a.encode_state_v1()).unwrap();
            let after = a.design();
            prop_assert_eq!(&after, &b.design());
            for id in &ids {
                let now = after.layer(id).unwrap();
                let orig = base.layer(id).unwrap();
                let theirs = before_undo.layer(id).unwrap();
                // A's properties are back to the base; B's are untouched.
                prop_assert_eq!(now.x, orig.x);
                prop_assert_eq!(&now.name, &orig.name);
                prop_assert_eq!(&now.content, &orig.content);
                prop_assert_eq!(now.opacity, theirs.opacity);
            }
            let now_ids: BTreeSet<LayerId> =
                after.layers.iter().map(|l| l.id.clone()).filter(|id| added.contains(id)).collect();
            prop_assert_eq!(&now_ids, &added, "B's layers survive A's undo");
            // B undoes everything too: back to the base design.
            while b.undo().is_some() {}
            a.apply_remote_update(&b.encode_state_v1()).unwrap();
            let mut expected = base.clone();
            expected.assign_missing_z();
            expected.normalize();
            prop_assert_eq!(&a.design(), &expected);
            Ok(())
        })
        .unwrap();
}
