//! Rich text in the CRDT: spans as `Y.Text` formatting attributes, `FormatText` and
//! `ClearTextFormat`, formatting inherited while typing, and text-box settings.

#![expect(clippy::unwrap_used, reason = "test helpers fail loudly on broken fixtures")]

use editor_core::{
    Color, Command, CommandError, Design, Document, FormatPreset, Layer, LayerContent, LayerId, LayerPatch, Rect,
    TextContent, TextSpan, TextStyle, TextStyleField, VerticalAlign, design_file, limits,
};
use yrs::types::Attrs;
use yrs::updates::decoder::Decode;
use yrs::{Any, ClientID, Doc, Map, OffsetKind, Options, Out, ReadTxn, Text, Transact, Update};

fn id(s: &str) -> LayerId {
    LayerId::parse(s).unwrap()
}

fn bold() -> TextStyle {
    TextStyle { font_weight: Some(700), ..TextStyle::default() }
}

fn italic() -> TextStyle {
    TextStyle { italic: Some(true), ..TextStyle::default() }
}

fn span(start: u32, end: u32, style: TextStyle) -> TextSpan {
    TextSpan { start, end, style }
}

/// "Hello brave world" (`t`, "brave" is 6..11) and a rectangle (`r`).
fn base(spans: Vec<TextSpan>) -> Design {
    let mut d = Design::new("Rich", FormatPreset::InstagramPost.format());
    let mut text = Layer::text(id("t"), "Hello brave world", Rect::new(10.0, 10.0, 600.0, 100.0));
    if let LayerContent::Text(t) = &mut text.content {
        t.spans = spans;
    }
    d.layers.push(text);
    d.layers.push(Layer::rect(id("r"), Rect::new(0.0, 0.0, 50.0, 50.0), Color::BLACK));
    d
}

fn text_of(doc: &Document, layer: &str) -> TextContent {
    match doc.layer(&id(layer)).unwrap().content {
        LayerContent::Text(t) => t,
        other => panic!("not a text layer: {other:?}"),
    }
}

fn normalized(design: &Design) -> Design {
    let mut d = design.clone();
    d.assign_missing_z();
    d.normalize();
    d
}

fn format(start: u32, len: u32, style: TextStyle) -> Command {
    Command::FormatText { id: id("t"), start, len, style }
}

#[test]
fn spans_and_box_settings_round_trip_through_document_bytes_and_file() {
    let mut design = Design::new("Rich", FormatPreset::InstagramPost.format());
    let mut layer = Layer::text(id("t"), "Big 😀 sale today", Rect::new(0.0, 0.0, 900.0, 300.0));
    let LayerContent::Text(t) = &mut layer.content else { unreachable!() };
    t.vertical_align = VerticalAlign::Middle;
    t.auto_fit = true;
    t.spans = vec![
        span(0, 3, TextStyle { font_weight: Some(800), color: Some(Color::rgba(200, 20, 20, 128)), ..bold() }),
        // The emoji: two UTF-16 units.
        span(4, 6, TextStyle { italic: Some(true), font_size: Some(96.5), ..TextStyle::default() }),
        span(
            7,
            11,
            TextStyle {
                underline: Some(true),
                font_family: Some("Playfair Display".into()),
                italic: Some(false),
                ..TextStyle::default()
            },
        ),
        // Touching and equal: read back merged with the previous span.
        span(
            11,
            12,
            TextStyle {
                underline: Some(true),
                font_family: Some("Playfair Display".into()),
                italic: Some(false),
                ..TextStyle::default()
            },
        ),
        // Overrides nothing: read back as no span.
        span(13, 15, TextStyle::default()),
    ];
    design.layers.push(layer);
    design.validate().unwrap();
    let expected = normalized(&design);
    let LayerContent::Text(t) = &expected.layers[0].content else { unreachable!() };
    assert_eq!(t.spans.len(), 3, "{:?}", t.spans);
    assert_eq!((t.spans[2].start, t.spans[2].end), (7, 12));

    let doc = Document::from_design(&design).unwrap();
    assert_eq!(doc.design(), expected);
    let other = Document::load(None, Some(&doc.encode_state_v2()), &[]).unwrap();
    assert_eq!(other.design(), expected);
    let file = design_file::to_string(&other.design());
    assert!(file.contains("\"vertical_align\": \"middle\"") && file.contains("\"auto_fit\": true"), "{file}");
    assert!(file.contains("\"spans\""), "{file}");
    assert_eq!(design_file::parse(file.as_bytes()).unwrap(), expected);
}

#[test]
fn format_text_sets_only_the_given_fields_and_undoes() {
    let mut doc = Document::from_design(&base(Vec::new())).unwrap();
    doc.apply(format(6, 5, bold())).unwrap();
    assert_eq!(text_of(&doc, "t").spans, vec![span(6, 11, bold())]);
    doc.apply(format(0, 8, italic())).unwrap();
    let both = TextStyle { italic: Some(true), ..bold() };
    let three = vec![span(0, 6, italic()), span(6, 8, both.clone()), span(8, 11, bold())];
    assert_eq!(text_of(&doc, "t").spans, three);
    // `None` fields are left alone: recolouring keeps bold and italic.
    let red = Color::rgb(255, 0, 0);
    doc.apply(format(6, 2, TextStyle { color: Some(red), ..TextStyle::default() })).unwrap();
    assert_eq!(
        text_of(&doc, "t").spans,
        vec![span(0, 6, italic()), span(6, 8, TextStyle { color: Some(red), ..both.clone() }), span(8, 11, bold())]
    );

    doc.undo().unwrap();
    assert_eq!(text_of(&doc, "t").spans, three);
    doc.undo().unwrap();
    assert_eq!(text_of(&doc, "t").spans, vec![span(6, 11, bold())]);
    doc.undo().unwrap();
    assert_eq!(text_of(&doc, "t").spans, Vec::new());
    assert!(!doc.can_undo());
    doc.redo().unwrap();
    doc.redo().unwrap();
    assert_eq!(text_of(&doc, "t").spans, three);
    assert_eq!(text_of(&doc, "t").text, "Hello brave world");
    doc.design().validate().unwrap();
}

#[test]
fn clear_text_format_removes_named_fields_or_all() {
    let mut doc = Document::from_design(&base(Vec::new())).unwrap();
    let style = TextStyle { underline: Some(true), color: Some(Color::rgb(0, 0, 255)), ..bold() };
    doc.apply(format(0, 11, style.clone())).unwrap();
    doc.apply(Command::ClearTextFormat { id: id("t"), start: 6, len: 5, fields: vec![TextStyleField::FontWeight] })
        .unwrap();
    let no_bold = TextStyle { font_weight: None, ..style.clone() };
    assert_eq!(text_of(&doc, "t").spans, vec![span(0, 6, style.clone()), span(6, 11, no_bold)]);
    // A serialised command without `fields` clears every field.
    let json = r#"{"command": "clear_text_format", "id": "t", "start": 2, "len": 7}"#;
    let command: Command = serde_json::from_str(json).unwrap();
    assert_eq!(
        command,
        Command::ClearTextFormat { id: id("t"), start: 2, len: 7, fields: TextStyleField::ALL.to_vec() }
    );
    doc.apply(command).unwrap();
    let spans = text_of(&doc, "t").spans;
    assert_eq!(spans, vec![span(0, 2, style.clone()), span(9, 11, TextStyle { font_weight: None, ..style })]);
    doc.undo().unwrap();
    doc.undo().unwrap();
    assert_eq!(text_of(&doc, "t").spans.len(), 1);
}

#[test]
fn format_text_is_validated_and_refusals_change_nothing() {
    let mut design = base(Vec::new());
    let mut emoji = Layer::text(id("e"), "a😀b", Rect::new(0.0, 0.0, 10.0, 10.0));
    emoji.locked = false;
    design.layers.push(emoji);
    let mut locked = Layer::text(id("l"), "locked", Rect::new(0.0, 0.0, 10.0, 10.0));
    locked.locked = true;
    design.layers.push(locked);
    let mut doc = Document::from_design(&design).unwrap();
    let before = doc.encode_state_v1();
    let cases: Vec<(Command, &str)> = vec![
        (format(10, 8, bold()), "TextRange"),
        (format(u32::MAX, 2, bold()), "TextRange"),
        (Command::FormatText { id: id("e"), start: 2, len: 1, style: bold() }, "TextRange"),
        (Command::FormatText { id: id("e"), start: 0, len: 2, style: bold() }, "TextRange"),
        (format(0, 2, TextStyle { font_size: Some(0.0), ..TextStyle::default() }), "font size"),
        (format(0, 2, TextStyle { font_weight: Some(0), ..TextStyle::default() }), "font weight"),
        (format(0, 2, TextStyle { font_family: Some(String::new()), ..TextStyle::default() }), "font family"),
        (format(0, 2, TextStyle { font_family: Some("x".repeat(200)), ..TextStyle::default() }), "font family"),
        (Command::FormatText { id: id("r"), start: 0, len: 0, style: bold() }, "WrongKind"),
        (Command::FormatText { id: id("l"), start: 0, len: 2, style: bold() }, "Locked"),
        (Command::FormatText { id: id("nope"), start: 0, len: 2, style: bold() }, "no layer"),
        (Command::ClearTextFormat { id: id("t"), start: 17, len: 1, fields: vec![] }, "TextRange"),
        (Command::ClearTextFormat { id: id("l"), start: 0, len: 1, fields: vec![] }, "Locked"),
    ];
    for (command, expected) in cases {
        let err = doc.apply(command.clone()).expect_err(expected);
        let text = format!("{err:?} {err}");
        assert!(text.contains(expected), "{command:?}: {text}");
    }
    assert_eq!(doc.encode_state_v1(), before);
    // The emoji as a whole is fine.
    doc.apply(Command::FormatText { id: id("e"), start: 1, len: 2, style: bold() }).unwrap();
    assert_eq!(text_of(&doc, "e").spans, vec![span(1, 3, bold())]);
}

#[test]
fn typing_inside_a_bold_run_stays_bold() {
    // "Hello brave world", "brave" bold.
    let mut doc = Document::from_design(&base(vec![span(6, 11, bold())])).unwrap();
    let edit = |doc: &mut Document, start: u32, delete: u32, insert: &str| {
        doc.apply(Command::EditText { id: id("t"), start, delete, insert: insert.into() }).unwrap();
        let t = text_of(doc, "t");
        (t.text, t.spans)
    };
    // Inside the run.
    let (text, spans) = edit(&mut doc, 8, 0, "XX");
    assert_eq!((text.as_str(), spans), ("Hello brXXave world", vec![span(6, 13, bold())]));
    // At its end: the character before is bold.
    let (text, spans) = edit(&mut doc, 13, 0, "!");
    assert_eq!((text.as_str(), spans), ("Hello brXXave! world", vec![span(6, 14, bold())]));
    // At its start: the character before (a space) is not.
    let (text, spans) = edit(&mut doc, 6, 0, "_");
    assert_eq!((text.as_str(), spans), ("Hello _brXXave! world", vec![span(7, 15, bold())]));
    // Replacing a selection that starts in the run takes the run's style.
    let (text, spans) = edit(&mut doc, 13, 4, "😀😀");
    assert_eq!((text.as_str(), spans), ("Hello _brXXav😀😀orld", vec![span(7, 17, bold())]));
    // Replacing a selection that starts before the run does not.
    let (text, spans) = edit(&mut doc, 6, 3, "a");
    assert_eq!((text.as_str(), spans), ("Hello aXXav😀😀orld", vec![span(7, 15, bold())]));
    // Deleting the whole run and typing there: the character before is plain.
    let (text, spans) = edit(&mut doc, 7, 8, "");
    assert_eq!((text.as_str(), spans), ("Hello aorld", vec![]));
    let (text, spans) = edit(&mut doc, 7, 0, "-");
    assert_eq!((text.as_str(), spans), ("Hello a-orld", vec![]));
    // Undo restores text and formatting.
    while doc.undo().is_some() {}
    assert_eq!(text_of(&doc, "t").spans, vec![span(6, 11, bold())]);
    assert_eq!(text_of(&doc, "t").text, "Hello brave world");

    // At the very start, the first character's formatting is taken.
    let mut design = base(Vec::new());
    let mut headline = Layer::text(id("h"), "Sale", Rect::new(0.0, 0.0, 10.0, 10.0));
    if let LayerContent::Text(t) = &mut headline.content {
        t.spans = vec![span(0, 4, italic())];
    }
    design.layers.push(headline);
    let mut doc = Document::from_design(&design).unwrap();
    doc.apply(Command::EditText { id: id("h"), start: 0, delete: 0, insert: "Big ".into() }).unwrap();
    assert_eq!(text_of(&doc, "h").spans, vec![span(0, 8, italic())]);
    // Into an empty text: nothing to inherit.
    doc.apply(Command::EditText { id: id("h"), start: 0, delete: 8, insert: String::new() }).unwrap();
    doc.apply(Command::EditText { id: id("h"), start: 0, delete: 0, insert: "New".into() }).unwrap();
    assert_eq!(text_of(&doc, "h").spans, vec![]);
}

/// Two replicas of `design` (client ids 5 and 9) and a function syncing them both ways.
fn replicas(design: &Design) -> (Document, Document) {
    let state = Document::from_design_with_client_id(design, 1).unwrap().encode_state_v1();
    let a = Document::load(Some(5), None, std::slice::from_ref(&state)).unwrap();
    let b = Document::load(Some(9), None, std::slice::from_ref(&state)).unwrap();
    (a, b)
}

fn sync(a: &mut Document, b: &mut Document) {
    let (to_b, to_a) = (a.diff_v1(&b.state_vector_v1()).unwrap(), b.diff_v1(&a.state_vector_v1()).unwrap());
    b.apply_remote_update(&to_b).unwrap();
    a.apply_remote_update(&to_a).unwrap();
    assert_eq!(a.design(), b.design());
    assert!(a.canonical_state_v1() == b.canonical_state_v1(), "replica states differ");
    a.design().validate().unwrap();
}

#[test]
fn formatting_moves_with_concurrent_edits_of_the_text() {
    let (mut a, mut b) = replicas(&base(Vec::new()));
    // A bolds "brave" while B types in front of it.
    a.apply(format(6, 5, bold())).unwrap();
    b.apply(Command::EditText { id: id("t"), start: 0, delete: 0, insert: "Oh! ".into() }).unwrap();
    sync(&mut a, &mut b);
    let t = text_of(&a, "t");
    assert_eq!(t.text, "Oh! Hello brave world");
    assert_eq!(t.spans, vec![span(10, 15, bold())]);

    // B types inside the word while A makes it italic too; B's letters take both.
    a.apply(format(10, 5, italic())).unwrap();
    b.apply(Command::EditText { id: id("t"), start: 12, delete: 0, insert: "AA".into() }).unwrap();
    sync(&mut a, &mut b);
    let t = text_of(&b, "t");
    assert_eq!(t.text, "Oh! Hello brAAave world");
    assert_eq!(t.spans, vec![span(10, 17, TextStyle { italic: Some(true), ..bold() })]);

    // A clears the range while B deletes part of it and types after it.
    a.apply(Command::ClearTextFormat { id: id("t"), start: 10, len: 3, fields: vec![TextStyleField::Italic] }).unwrap();
    b.apply(Command::EditText { id: id("t"), start: 4, delete: 6, insert: String::new() }).unwrap();
    b.apply(Command::EditText { id: id("t"), start: 17, delete: 0, insert: "!".into() }).unwrap();
    sync(&mut a, &mut b);
    let t = text_of(&a, "t");
    assert_eq!(t.text, "Oh! brAAave world!");
    assert_eq!(t.spans, vec![span(4, 7, bold()), span(7, 11, TextStyle { italic: Some(true), ..bold() })]);

    // Each user's undo reverts their own formatting only.
    while a.undo().is_some() {}
    sync(&mut a, &mut b);
    let t = text_of(&a, "t");
    assert_eq!(t.text, "Oh! brAAave world!");
    assert_eq!(t.spans, vec![]);
}

/// A Yjs-like peer: a raw yrs document holding `doc`'s state, changed by `change`, whose update
/// is then merged into `doc`.
fn peer_writes(doc: &mut Document, change: impl FnOnce(&mut yrs::TransactionMut, &yrs::MapRef)) {
    let mut options = Options::with_client_id(ClientID::new(77));
    options.offset_kind = OffsetKind::Utf16;
    let peer = Doc::with_options(options);
    let layers = peer.get_or_insert_map("layers");
    {
        let mut txn = peer.transact_mut();
        txn.apply_update(Update::decode_v1(&doc.encode_state_v1()).unwrap()).unwrap();
    }
    let before = peer.transact().state_vector();
    {
        let mut txn = peer.transact_mut();
        change(&mut txn, &layers);
    }
    let update = peer.transact().encode_diff_v1(&before);
    doc.apply_remote_update(&update).unwrap();
}

fn attrs(pairs: Vec<(&str, Any)>) -> Attrs {
    pairs.into_iter().map(|(k, v)| (k.into(), v)).collect()
}

#[test]
fn garbage_attributes_from_peers_still_read_as_a_valid_design() {
    let mut doc = Document::from_design(&base(Vec::new())).unwrap();
    peer_writes(&mut doc, |txn, layers| {
        let Some(Out::YMap(layer)) = layers.get(txn, "t") else { panic!("no layer") };
        let Some(Out::YText(text)) = layer.get(txn, "text") else { panic!("no text") };
        layer.insert(txn, "valign", 5.0);
        layer.insert(txn, "autoFit", "yes");
        // "Hello brave world"
        text.format(
            txn,
            0,
            2,
            attrs(vec![
                ("fontSize", Any::from(1e300)),
                ("fontWeight", Any::from("bold")),
                ("color", Any::from("red")),
                ("italic", Any::from("yes")),
                ("fontFamily", Any::from("")),
            ]),
        );
        text.format(
            txn,
            2,
            2,
            attrs(vec![
                ("fontSize", Any::from(-5.0)),
                ("fontWeight", Any::from(99_999.0)),
                ("fontFamily", Any::from("x".repeat(1000))),
                ("underline", Any::from(1.0)),
                ("link", Any::from(vec![Any::from("https://example.com"), Any::Null])),
            ]),
        );
        text.format(txn, 4, 1, attrs(vec![("bold", Any::from(true)), ("fontSize", Any::from(f64::NAN))]));
        text.format(
            txn,
            6,
            5,
            attrs(vec![
                ("color", Any::from("#ff000080")),
                ("fontSize", Any::from(f64::INFINITY)),
                ("italic", true.into()),
            ]),
        );
        // Embeds are not part of the typed text.
        text.insert_embed(txn, 11, Any::from(42.0));
        text.insert_embed(txn, 0, Any::from(vec![Any::from(1.0)]));
    });
    let design = doc.design();
    design.validate().unwrap();
    let t = text_of(&doc, "t");
    assert_eq!(t.text, "Hello brave world");
    assert_eq!((t.vertical_align, t.auto_fit), (VerticalAlign::Top, false));
    assert_eq!(
        t.spans,
        vec![
            span(0, 2, TextStyle { font_size: Some(limits::MAX_FONT_SIZE), ..TextStyle::default() }),
            span(
                2,
                4,
                TextStyle {
                    font_size: Some(0.5),
                    font_weight: Some(1000),
                    font_family: Some("x".repeat(limits::MAX_FAMILY_CHARS)),
                    ..TextStyle::default()
                },
            ),
            span(
                6,
                11,
                TextStyle { color: Some(Color::rgba(255, 0, 0, 128)), italic: Some(true), ..TextStyle::default() }
            ),
        ]
    );

    // Offsets still address the typed text, embeds or not.
    doc.apply(Command::EditText { id: id("t"), start: 11, delete: 0, insert: "st".into() }).unwrap();
    doc.apply(Command::EditText { id: id("t"), start: 0, delete: 1, insert: "J".into() }).unwrap();
    doc.apply(format(0, 19, bold())).unwrap();
    doc.apply(Command::ClearTextFormat { id: id("t"), start: 0, len: 19, fields: TextStyleField::ALL.to_vec() })
        .unwrap();
    let t = text_of(&doc, "t");
    assert_eq!(t.text, "Jello bravest world");
    assert_eq!(t.spans, vec![]);
    doc.design().validate().unwrap();
}

#[test]
fn peers_cannot_make_spans_split_characters_or_exceed_the_text() {
    let mut design = base(Vec::new());
    design.layers.push(Layer::text(id("e"), "😀😀", Rect::new(0.0, 0.0, 10.0, 10.0)));
    let mut doc = Document::from_design(&design).unwrap();
    peer_writes(&mut doc, |txn, layers| {
        let Some(Out::YMap(layer)) = layers.get(txn, "e") else { panic!("no layer") };
        let Some(Out::YText(text)) = layer.get(txn, "text") else { panic!("no text") };
        text.format(txn, 0, 4, attrs(vec![("fontWeight", Any::from(700.0))]));
        // A string embed reads as text; whatever it does to offsets, the design stays valid.
        text.insert_embed(txn, 2, Any::from("[embed]"));
    });
    doc.design().validate().unwrap();
    for start in 0..12 {
        let _ = doc.apply(Command::EditText { id: id("e"), start, delete: 1, insert: "é".into() });
        let _ = doc.apply(Command::FormatText { id: id("e"), start, len: 3, style: italic() });
        doc.design().validate().unwrap();
    }
}

#[test]
fn set_layer_rewrites_text_spans_and_box_settings() {
    let mut doc = Document::from_design(&base(vec![span(6, 11, bold())])).unwrap();
    // A new text without spans is unformatted.
    doc.apply(Command::SetLayer {
        id: id("t"),
        patch: LayerPatch { text: Some("Brand new copy".into()), ..LayerPatch::default() },
    })
    .unwrap();
    let t = text_of(&doc, "t");
    assert_eq!((t.text.as_str(), t.spans), ("Brand new copy", vec![]));
    // Typing where the old bold run was does not bring it back.
    doc.apply(Command::EditText { id: id("t"), start: 8, delete: 0, insert: "!".into() }).unwrap();
    assert_eq!(text_of(&doc, "t").spans, vec![]);
    // Text and spans together.
    doc.apply(Command::SetLayer {
        id: id("t"),
        patch: LayerPatch {
            text: Some("Only today".into()),
            spans: Some(vec![span(0, 4, italic()), span(5, 10, bold())]),
            ..LayerPatch::default()
        },
    })
    .unwrap();
    let t = text_of(&doc, "t");
    assert_eq!((t.text.as_str(), t.spans), ("Only today", vec![span(0, 4, italic()), span(5, 10, bold())]));
    // Spans alone.
    let spans = vec![span(0, 2, bold()), span(2, 7, TextStyle { underline: Some(true), ..bold() })];
    doc.apply(Command::SetLayer {
        id: id("t"),
        patch: LayerPatch { spans: Some(spans.clone()), ..LayerPatch::default() },
    })
    .unwrap();
    assert_eq!(text_of(&doc, "t").spans, spans);
    // Box settings.
    doc.apply(Command::SetLayer {
        id: id("t"),
        patch: LayerPatch {
            vertical_align: Some(VerticalAlign::Bottom),
            auto_fit: Some(true),
            ..LayerPatch::default()
        },
    })
    .unwrap();
    let t = text_of(&doc, "t");
    assert_eq!((t.vertical_align, t.auto_fit), (VerticalAlign::Bottom, true));
    doc.undo().unwrap();
    let t = text_of(&doc, "t");
    assert_eq!((t.vertical_align, t.auto_fit), (VerticalAlign::Top, false));
    doc.undo().unwrap();
    assert_eq!(text_of(&doc, "t").spans, vec![span(0, 4, italic()), span(5, 10, bold())]);
    doc.undo().unwrap();
    doc.undo().unwrap();
    doc.undo().unwrap();
    let t = text_of(&doc, "t");
    assert_eq!((t.text.as_str(), t.spans), ("Hello brave world", vec![span(6, 11, bold())]));

    // Refusals: spans outside the text, overlapping, or on another kind of layer.
    let before = doc.encode_state_v1();
    let bad = [
        LayerPatch { spans: Some(vec![span(0, 18, bold())]), ..LayerPatch::default() },
        LayerPatch { spans: Some(vec![span(0, 5, bold()), span(4, 6, italic())]), ..LayerPatch::default() },
        LayerPatch { spans: Some(vec![span(3, 3, bold())]), ..LayerPatch::default() },
        LayerPatch { text: Some("short".into()), spans: Some(vec![span(0, 6, bold())]), ..LayerPatch::default() },
        LayerPatch {
            spans: Some(vec![span(0, 2, TextStyle { font_size: Some(1e9), ..TextStyle::default() })]),
            ..LayerPatch::default()
        },
    ];
    for patch in bad {
        assert!(doc.apply(Command::SetLayer { id: id("t"), patch: patch.clone() }).is_err(), "{patch:?}");
    }
    let err = doc
        .apply(Command::SetLayer { id: id("r"), patch: LayerPatch { auto_fit: Some(true), ..LayerPatch::default() } })
        .unwrap_err();
    assert!(matches!(err, CommandError::WrongKind { .. }), "{err:?}");
    assert_eq!(doc.encode_state_v1(), before);
}

#[test]
fn format_change_scales_span_sizes_and_duplicates_keep_spans() {
    let big = TextStyle { font_size: Some(96.0), ..bold() };
    let mut doc = Document::from_design(&base(vec![span(0, 5, big), span(6, 11, italic())])).unwrap();
    doc.apply(Command::ChangeFormat { format: FormatPreset::InstagramStory.format() }).unwrap();
    // 1080x1080 to 1080x1920: uniform scale 1.
    assert_eq!(text_of(&doc, "t").spans[0].style.font_size, Some(96.0));
    let mut half = FormatPreset::InstagramPost.format();
    (half.platform, half.kind, half.width, half.height) = ("custom".into(), "custom".into(), 540, 960);
    doc.apply(Command::ChangeFormat { format: half }).unwrap();
    let t = text_of(&doc, "t");
    assert_eq!(t.font_size, 24.0);
    assert_eq!(t.spans, vec![span(0, 5, TextStyle { font_size: Some(48.0), ..bold() }), span(6, 11, italic())]);

    let change = doc.apply(Command::DuplicateLayers { ids: vec![id("t")], dx: 5.0, dy: 5.0 }).unwrap();
    let copy = doc.layer(&change.created[0]).unwrap();
    let LayerContent::Text(c) = copy.content else { panic!() };
    assert_eq!(c.spans, t.spans);
}

#[test]
fn formatting_of_concurrently_deleted_text_converges_byte_for_byte() {
    // B deletes the word A formats: B's merge makes A's markers redundant. yrs would delete them
    // in B's remote transaction, which is never forwarded; documents keep them instead.
    let (mut a, mut b) = replicas(&base(Vec::new()));
    a.apply(format(6, 5, bold())).unwrap();
    a.apply(format(0, 17, TextStyle { underline: Some(true), ..TextStyle::default() })).unwrap();
    b.apply(Command::EditText { id: id("t"), start: 5, delete: 7, insert: String::new() }).unwrap();
    b.apply(Command::EditText { id: id("t"), start: 0, delete: 0, insert: "Hey ".into() }).unwrap();
    sync(&mut a, &mut b);
    let t = text_of(&a, "t");
    assert_eq!(t.text, "Hey Helloworld");
    // B's "Hey " and A's opening marker were inserted concurrently at the same place; the
    // CRDT orders them by client id (A's marker first), so the greeting is underlined too.
    assert_eq!(t.spans, vec![span(0, 14, TextStyle { underline: Some(true), ..TextStyle::default() })]);
}

#[test]
fn a_text_layer_without_its_y_text_can_be_given_text_again() {
    let mut doc = Document::from_design(&base(vec![span(6, 11, bold())])).unwrap();
    peer_writes(&mut doc, |txn, layers| {
        let Some(Out::YMap(layer)) = layers.get(txn, "t") else { panic!("no layer") };
        layer.insert(txn, "text", "not a Y.Text");
    });
    let t = text_of(&doc, "t");
    assert_eq!((t.text.as_str(), t.spans), ("", vec![]));
    doc.apply(Command::SetLayer {
        id: id("t"),
        patch: LayerPatch {
            text: Some("Back".into()),
            spans: Some(vec![span(0, 4, italic())]),
            ..LayerPatch::default()
        },
    })
    .unwrap();
    let t = text_of(&doc, "t");
    assert_eq!((t.text.as_str(), t.spans), ("Back", vec![span(0, 4, italic())]));
    doc.apply(Command::EditText { id: id("t"), start: 4, delete: 0, insert: "!".into() }).unwrap();
    assert_eq!(text_of(&doc, "t").spans, vec![span(0, 5, italic())]);
}
