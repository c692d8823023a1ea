//! The CRDT schema of DESIGN.md §3: how a [`Design`] is laid out in a `Y.Doc`, and the typed
//! read that turns whatever a document holds — including data from other clients and versions —
//! back into a design that validates.
//!
//! Root map `design`: `v`, `name`, `format` ({platform, kind, width, height}), `background`
//! (paint). Root map `layers`: layer id → layer map, one key per property so concurrent edits
//! of different properties never conflict. Text is a `Y.Text` under `text`; structured values
//! (format, paints, strokes, shapes, crops, filters) are canonical JSON strings, replaced as a
//! whole (see `docs/crdt-structured-values.md`).
//!
//! A text layer's rich-text spans are formatting attributes of its `Y.Text` (`fontFamily`,
//! `fontWeight`, `italic`, `fontSize`, `color` as hex, `underline`: the layer keys' names), so
//! they move with concurrent edits of the text, as in Yjs rich text; `valign` and `autoFit` are
//! plain layer keys. See `docs/rich-text.md`.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde::de::DeserializeOwned;
use yrs::types::Attrs;
use yrs::types::text::YChange;
use yrs::{Any, Map, MapPrelim, MapRef, Out, ReadTxn, Text, TextPrelim, TextRef, TransactionMut};

use crate::color::Color;
use crate::design::{
    Crop, Design, Filters, Fit, ImageContent, Layer, LayerContent, Paint, Role, Shape, ShapeContent, Stroke,
    SvgContent, TextAlign, TextContent, TextSpan, TextStyle, TextStyleField, VerticalAlign, limits,
};
use crate::format::{Format, MAX_SIDE, MIN_SIDE};
use crate::fractional_index;
use crate::ids::{AssetId, LayerId};

/// Schema version written to `design.v`.
pub const SCHEMA_VERSION: u32 = 1;

pub(crate) const ROOT_DESIGN: &str = "design";
pub(crate) const ROOT_LAYERS: &str = "layers";

pub(crate) mod key {
    pub const V: &str = "v";
    pub const NAME: &str = "name";
    pub const FORMAT: &str = "format";
    pub const BACKGROUND: &str = "background";

    pub const KIND: &str = "kind";
    pub const PARENT: &str = "parent";
    pub const Z: &str = "z";
    pub const ROLE: &str = "role";
    pub const X: &str = "x";
    pub const Y: &str = "y";
    pub const W: &str = "w";
    pub const H: &str = "h";
    pub const ROT: &str = "rot";
    pub const OPACITY: &str = "opacity";
    pub const HIDDEN: &str = "hidden";
    pub const LOCKED: &str = "locked";

    pub const TEXT: &str = "text";
    pub const FONT_FAMILY: &str = "fontFamily";
    pub const FONT_WEIGHT: &str = "fontWeight";
    pub const ITALIC: &str = "italic";
    pub const FONT_SIZE: &str = "fontSize";
    pub const COLOR: &str = "color";
    pub const ALIGN: &str = "align";
    pub const LINE_HEIGHT: &str = "lineHeight";
    pub const LETTER_SPACING: &str = "letterSpacing";
    pub const VALIGN: &str = "valign";
    pub const AUTO_FIT: &str = "autoFit";
    /// A `Y.Text` formatting attribute only (spans); the other span attributes share the layer
    /// keys' names.
    pub const UNDERLINE: &str = "underline";

    pub const ASSET: &str = "asset";
    pub const CROP: &str = "crop";
    pub const FIT: &str = "fit";
    pub const FILTERS: &str = "filters";

    pub const SHAPE: &str = "shape";
    pub const FILL: &str = "fill";
    pub const STROKE: &str = "stroke";
}

/// A structured value as its canonical JSON text (the same shape as in design files).
///
/// Not a yrs `Any::Map`: those are hash maps, encoded in a different key order by every
/// process, so replicas holding the same data would not encode to the same bytes. JSON text
/// written by serde has a fixed field order; Yjs clients read it with `JSON.parse`.
pub(crate) fn any_of<T: Serialize>(value: &T) -> Any {
    serde_json::to_string(value).map(Any::from).unwrap_or(Any::Null)
}

/// Writes every property of `layer` into a new layer map. `layer.z` must already be set.
pub(crate) fn write_layer(txn: &mut TransactionMut, layers: &MapRef, layer: &Layer) -> MapRef {
    let map = layers.insert(txn, layer.id.as_str(), MapPrelim::default());
    map.insert(txn, key::KIND, layer.content.kind());
    map.insert(txn, key::PARENT, layer.parent.as_ref().map(LayerId::as_str).unwrap_or(""));
    map.insert(txn, key::Z, layer.z.as_str());
    map.insert(txn, key::NAME, layer.name.as_str());
    map.insert(txn, key::ROLE, layer.role.as_str());
    map.insert(txn, key::X, layer.x);
    map.insert(txn, key::Y, layer.y);
    map.insert(txn, key::W, layer.w);
    map.insert(txn, key::H, layer.h);
    map.insert(txn, key::ROT, layer.rotation);
    map.insert(txn, key::OPACITY, layer.opacity);
    map.insert(txn, key::HIDDEN, layer.hidden);
    map.insert(txn, key::LOCKED, layer.locked);
    match &layer.content {
        LayerContent::Text(t) => {
            let text = map.insert(txn, key::TEXT, TextPrelim::new(t.text.as_str()));
            let index = TextIndex::plain(&t.text);
            write_spans(txn, &text, &index, &[], &t.spans);
            map.insert(txn, key::FONT_FAMILY, t.font_family.as_str());
            map.insert(txn, key::FONT_WEIGHT, f64::from(t.font_weight));
            map.insert(txn, key::ITALIC, t.italic);
            map.insert(txn, key::FONT_SIZE, t.font_size);
            map.insert(txn, key::COLOR, t.color.to_hex());
            map.insert(txn, key::ALIGN, t.align.as_str());
            map.insert(txn, key::LINE_HEIGHT, t.line_height);
            map.insert(txn, key::LETTER_SPACING, t.letter_spacing);
            map.insert(txn, key::VALIGN, t.vertical_align.as_str());
            map.insert(txn, key::AUTO_FIT, t.auto_fit);
        }
        LayerContent::Image(img) => {
            map.insert(txn, key::ASSET, img.asset.as_str());
            map.insert(txn, key::CROP, img.crop.as_ref().map(any_of).unwrap_or(Any::Null));
            map.insert(txn, key::FIT, img.fit.as_str());
            map.insert(txn, key::FILTERS, any_of(&img.filters));
        }
        LayerContent::Shape(s) => {
            map.insert(txn, key::SHAPE, any_of(&s.shape));
            map.insert(txn, key::FILL, s.fill.as_ref().map(any_of).unwrap_or(Any::Null));
            map.insert(txn, key::STROKE, s.stroke.as_ref().map(any_of).unwrap_or(Any::Null));
        }
        LayerContent::Svg(svg) => {
            map.insert(txn, key::ASSET, svg.asset.as_str());
        }
        LayerContent::Group => {}
    }
    map
}

/// Writes the design-level properties.
pub(crate) fn write_design_props(txn: &mut TransactionMut, design_map: &MapRef, design: &Design) {
    design_map.insert(txn, key::V, f64::from(SCHEMA_VERSION));
    design_map.insert(txn, key::NAME, design.name.as_str());
    design_map.insert(txn, key::FORMAT, any_of(&design.format));
    design_map.insert(txn, key::BACKGROUND, any_of(&design.background));
}

/// Reads the whole design, repairing anything out of bounds so the result always validates.
pub(crate) fn read_design<T: ReadTxn>(txn: &T, design_map: &MapRef, layers: &MapRef) -> Design {
    let name = read_string(txn, design_map, key::NAME, limits::MAX_NAME_CHARS);
    let format = read_format(txn, design_map);
    let background = read_json::<Paint, _>(txn, design_map, key::BACKGROUND)
        .filter(valid_paint)
        .unwrap_or(Paint::Solid { color: Color::WHITE });
    let mut list: Vec<Layer> = layers
        .iter(txn)
        .filter_map(|(id, value)| match value {
            Out::YMap(map) => read_layer(txn, id, &map),
            _ => None,
        })
        .collect();
    repair_parents(&mut list);
    let mut design = Design { name, format, background, layers: list };
    design.normalize();
    design.layers.truncate(limits::MAX_LAYERS);
    design
}

/// The ids of the layers in the document, each with its parent and z key, cheaply.
pub(crate) fn read_layer_order<T: ReadTxn>(txn: &T, layers: &MapRef) -> Vec<(LayerId, Option<LayerId>, String, bool)> {
    layers
        .iter(txn)
        .filter_map(|(id, value)| {
            let Out::YMap(map) = value else { return None };
            let id = LayerId::parse(id).ok()?;
            let kind = read_str(txn, &map, key::KIND)?;
            let parent = read_str(txn, &map, key::PARENT).and_then(|p| LayerId::parse(&p).ok());
            let z = read_str(txn, &map, key::Z).filter(|z| fractional_index::is_valid_key(z)).unwrap_or_default();
            Some((id, parent, z, kind == "group"))
        })
        .collect()
}

fn repair_parents(layers: &mut [Layer]) {
    let groups: HashSet<LayerId> = layers.iter().filter(|l| l.is_group()).map(|l| l.id.clone()).collect();
    for layer in layers.iter_mut() {
        if layer.parent.as_ref().is_some_and(|p| !groups.contains(p) || p == &layer.id) {
            layer.parent = None;
        }
    }
    // Concurrent grouping can build a cycle (A into B on one device, B into A on another).
    // Cut it deterministically at the smallest id on the cycle so every replica agrees.
    loop {
        let parents: HashMap<LayerId, LayerId> =
            layers.iter().filter_map(|l| l.parent.clone().map(|p| (l.id.clone(), p))).collect();
        let mut cut = None;
        let mut starts: Vec<&LayerId> = parents.keys().collect();
        starts.sort();
        'outer: for start in starts {
            let mut path = vec![start.clone()];
            let mut at = start;
            while let Some(p) = parents.get(at) {
                if let Some(pos) = path.iter().position(|x| x == p) {
                    cut = path[pos..].iter().min().cloned();
                    break 'outer;
                }
                path.push(p.clone());
                at = p;
            }
        }
        match cut {
            Some(id) => {
                if let Some(l) = layers.iter_mut().find(|l| l.id == id) {
                    l.parent = None;
                }
            }
            None => break,
        }
    }
}

pub(crate) fn read_layer<T: ReadTxn>(txn: &T, id: &str, map: &MapRef) -> Option<Layer> {
    let id = LayerId::parse(id).ok()?;
    let kind = read_str(txn, map, key::KIND)?;
    let content = match kind.as_str() {
        "text" => {
            let (mut text, index) = match map.get(txn, key::TEXT) {
                Some(Out::YText(t)) => read_text(txn, &t),
                _ => (String::new(), TextIndex::default()),
            };
            if text.chars().count() > limits::MAX_TEXT_CHARS {
                text = text.chars().take(limits::MAX_TEXT_CHARS).collect();
            }
            let spans = index.spans(utf16_len(&text));
            let mut font_family = read_string(txn, map, key::FONT_FAMILY, limits::MAX_FAMILY_CHARS);
            if font_family.is_empty() {
                font_family = "Inter".into();
            }
            LayerContent::Text(TextContent {
                text,
                font_family,
                // Clamped to 1..=1000 first, so the cast cannot truncate.
                font_weight: read_num(txn, map, key::FONT_WEIGHT, 400.0, 1.0, 1000.0).round() as u16,
                italic: read_bool(txn, map, key::ITALIC),
                font_size: read_num(txn, map, key::FONT_SIZE, 48.0, 0.5, limits::MAX_FONT_SIZE),
                color: read_str(txn, map, key::COLOR).and_then(|c| Color::from_hex(&c).ok()).unwrap_or(Color::BLACK),
                align: read_str(txn, map, key::ALIGN).map(|a| TextAlign::from_key(&a)).unwrap_or_default(),
                line_height: read_num(txn, map, key::LINE_HEIGHT, 1.2, 0.1, 10.0),
                letter_spacing: read_num(txn, map, key::LETTER_SPACING, 0.0, -1.0, 10.0),
                vertical_align: read_str(txn, map, key::VALIGN)
                    .map(|v| VerticalAlign::from_key(&v))
                    .unwrap_or_default(),
                auto_fit: read_bool(txn, map, key::AUTO_FIT),
                spans,
            })
        }
        "image" => {
            let asset = read_str(txn, map, key::ASSET).and_then(|a| AssetId::parse(&a).ok())?;
            let crop = read_json::<Crop, _>(txn, map, key::CROP).filter(|c| {
                [c.x, c.y].iter().all(|v| (0.0..=1.0).contains(v))
                    && [c.w, c.h].iter().all(|v| (0.0001..=1.0).contains(v))
            });
            let filters = read_json::<Filters, _>(txn, map, key::FILTERS)
                .filter(|f| {
                    [f.brightness, f.contrast, f.saturation].iter().all(|v| (-1.0..=1.0).contains(v))
                        && (0.0..=100.0).contains(&f.blur)
                })
                .unwrap_or_default();
            LayerContent::Image(ImageContent {
                asset,
                crop,
                fit: read_str(txn, map, key::FIT).map(|f| Fit::from_key(&f)).unwrap_or_default(),
                filters,
            })
        }
        "shape" => {
            let shape = read_json::<Shape, _>(txn, map, key::SHAPE)
                .filter(|s| probe(LayerContent::Shape(ShapeContent { shape: s.clone(), fill: None, stroke: None })))
                .unwrap_or(Shape::Rect { corner_radii: [0.0; 4] });
            let fill = read_json::<Paint, _>(txn, map, key::FILL).filter(valid_paint);
            let stroke = read_json::<Stroke, _>(txn, map, key::STROKE).filter(|s| {
                probe(LayerContent::Shape(ShapeContent { shape: Shape::Ellipse, fill: None, stroke: Some(s.clone()) }))
            });
            LayerContent::Shape(ShapeContent { shape, fill, stroke })
        }
        "svg" => LayerContent::Svg(SvgContent {
            asset: read_str(txn, map, key::ASSET).and_then(|a| AssetId::parse(&a).ok())?,
        }),
        "group" => LayerContent::Group,
        _ => return None,
    };
    let max = limits::MAX_COORD;
    Some(Layer {
        id,
        parent: read_str(txn, map, key::PARENT).and_then(|p| LayerId::parse(&p).ok()),
        z: read_str(txn, map, key::Z).filter(|z| fractional_index::is_valid_key(z)).unwrap_or_default(),
        name: read_string(txn, map, key::NAME, limits::MAX_NAME_CHARS),
        role: read_str(txn, map, key::ROLE).map(|r| Role::from_key(&r)).unwrap_or_default(),
        x: read_num(txn, map, key::X, 0.0, -max, max),
        y: read_num(txn, map, key::Y, 0.0, -max, max),
        w: read_num(txn, map, key::W, 0.0, 0.0, max),
        h: read_num(txn, map, key::H, 0.0, 0.0, max),
        rotation: read_num(txn, map, key::ROT, 0.0, -360_000.0, 360_000.0),
        opacity: read_num(txn, map, key::OPACITY, 1.0, 0.0, 1.0),
        hidden: read_bool(txn, map, key::HIDDEN),
        locked: read_bool(txn, map, key::LOCKED),
        content,
    })
}

/// Whether `content` passes layer validation (used to vet structured values read from peers).
fn probe(content: LayerContent) -> bool {
    let id = LayerId::parse("probe").ok();
    id.is_some_and(|id| Layer::new(id, content, crate::format::Rect::default()).validate().is_ok())
}

fn valid_paint(paint: &Paint) -> bool {
    probe(LayerContent::Shape(ShapeContent { shape: Shape::Ellipse, fill: Some(paint.clone()), stroke: None }))
}

fn read_format<T: ReadTxn>(txn: &T, design_map: &MapRef) -> Format {
    let fallback = Format { platform: "custom".into(), kind: "custom".into(), width: 1080, height: 1080 };
    let Some(mut f) = read_json::<Format, _>(txn, design_map, key::FORMAT) else { return fallback };
    f.width = f.width.clamp(MIN_SIDE, MAX_SIDE);
    f.height = f.height.clamp(MIN_SIDE, MAX_SIDE);
    if f.validate().is_err() {
        f.platform = "custom".into();
        f.kind = "custom".into();
    }
    f
}

pub(crate) fn read_str<T: ReadTxn>(txn: &T, map: &MapRef, k: &str) -> Option<String> {
    match map.get(txn, k) {
        Some(Out::Any(Any::String(s))) => Some(s.to_string()),
        _ => None,
    }
}

fn read_string<T: ReadTxn>(txn: &T, map: &MapRef, k: &str, max_chars: usize) -> String {
    let s = read_str(txn, map, k).unwrap_or_default();
    if s.chars().count() > max_chars { s.chars().take(max_chars).collect() } else { s }
}

pub(crate) fn number(value: &Any) -> Option<f64> {
    match value {
        Any::Number(n) => n.as_f64(),
        _ => None,
    }
}

fn read_num<T: ReadTxn>(txn: &T, map: &MapRef, k: &str, default: f64, min: f64, max: f64) -> f64 {
    match map.get(txn, k) {
        Some(Out::Any(a)) => number(&a).filter(|v| v.is_finite()).map_or(default, |v| v.clamp(min, max)),
        _ => default,
    }
}

fn read_bool<T: ReadTxn>(txn: &T, map: &MapRef, k: &str) -> bool {
    matches!(map.get(txn, k), Some(Out::Any(Any::Bool(true))))
}

fn read_json<V: DeserializeOwned, T: ReadTxn>(txn: &T, map: &MapRef, k: &str) -> Option<V> {
    match map.get(txn, k) {
        Some(Out::Any(Any::String(s))) => serde_json::from_str(&s).ok(),
        _ => None,
    }
}

// ---------------------------------------------------------------- rich text

/// UTF-16 length of `s`, as `Y.Text` counts it (saturating; texts are far shorter).
pub(crate) fn utf16_len(s: &str) -> u32 {
    u32::try_from(s.encode_utf16().count()).unwrap_or(u32::MAX)
}

/// A piece of a `Y.Text`'s string content with one set of formatting attributes.
#[derive(Debug, Clone)]
pub(crate) struct TextRun {
    /// First UTF-16 unit, in the string the typed layer holds.
    pub start: u32,
    /// One past the last UTF-16 unit.
    pub end: u32,
    /// Index of `start` in the `Y.Text`, which also counts embeds (one unit each).
    pub y_start: u32,
    /// The raw attributes in effect, as peers wrote them.
    pub attrs: Option<Box<Attrs>>,
}

/// Where the characters of a text layer's string sit in its `Y.Text`, with their formatting.
///
/// Embeds (non-string content a Yjs peer may put into a `Y.Text`) are not part of the typed
/// text; they take one index each in the `Y.Text`, which [`TextIndex::y_index`] accounts for.
#[derive(Debug, Clone, Default)]
pub(crate) struct TextIndex {
    /// String runs in order, contiguous from offset 0.
    pub runs: Vec<TextRun>,
    /// Length of the `Y.Text` (UTF-16 units plus embeds).
    pub y_len: u32,
}

/// Reads a `Y.Text`'s string and where its runs sit. Embeds are left out of the string, except
/// those whose value is a string: `diff` cannot tell them from text (docs/rich-text.md).
pub(crate) fn read_text<T: ReadTxn>(txn: &T, text: &TextRef) -> (String, TextIndex) {
    let mut string = String::new();
    let mut runs = Vec::new();
    let (mut at, mut y) = (0u32, 0u32);
    for chunk in text.diff(txn, YChange::identity) {
        match chunk.insert {
            Out::Any(Any::String(s)) => {
                let n = utf16_len(&s);
                runs.push(TextRun { start: at, end: at.saturating_add(n), y_start: y, attrs: chunk.attributes });
                string.push_str(&s);
                at = at.saturating_add(n);
                y = y.saturating_add(n);
            }
            _ => y = y.saturating_add(1),
        }
    }
    (string, TextIndex { runs, y_len: text.len(txn) })
}

impl TextIndex {
    /// The index of an unformatted text just written from `text`.
    pub fn plain(text: &str) -> Self {
        let len = utf16_len(text);
        let runs = if len == 0 { Vec::new() } else { vec![TextRun { start: 0, end: len, y_start: 0, attrs: None }] };
        Self { runs, y_len: len }
    }

    /// The `Y.Text` index of UTF-16 offset `offset` of the string, never past the end.
    pub fn y_index(&self, offset: u32) -> u32 {
        let y = match self.runs.iter().find(|r| offset < r.end) {
            Some(r) => r.y_start.saturating_add(offset.saturating_sub(r.start)),
            None => self.y_len,
        };
        y.min(self.y_len)
    }

    /// The `Y.Text` range `(index, len)` of the string's UTF-16 range `start..end`.
    pub fn y_range(&self, start: u32, end: u32) -> (u32, u32) {
        let (a, b) = (self.y_index(start), self.y_index(end));
        (a, b.saturating_sub(a))
    }

    /// The raw formatting attributes of the character at UTF-16 offset `offset`.
    pub fn attrs_at(&self, offset: u32) -> Attrs {
        self.runs
            .iter()
            .find(|r| r.start <= offset && offset < r.end)
            .and_then(|r| r.attrs.as_deref().cloned())
            .unwrap_or_default()
    }

    /// The typed spans of the first `limit` UTF-16 units: each run's known attributes, values
    /// out of bounds clamped or dropped, touching runs of equal style merged.
    pub fn spans(&self, limit: u32) -> Vec<TextSpan> {
        let mut spans: Vec<TextSpan> = Vec::new();
        for run in &self.runs {
            let end = run.end.min(limit);
            if run.start >= end {
                break;
            }
            let Some(attrs) = &run.attrs else { continue };
            let style = read_style(attrs);
            if style.is_empty() {
                continue;
            }
            match spans.last_mut() {
                Some(last) if last.end == run.start && last.style == style => last.end = end,
                _ => spans.push(TextSpan { start: run.start, end, style }),
            }
        }
        spans
    }
}

/// The `Y.Text` attribute that stores `field`.
pub(crate) fn style_key(field: TextStyleField) -> &'static str {
    match field {
        TextStyleField::FontFamily => key::FONT_FAMILY,
        TextStyleField::FontWeight => key::FONT_WEIGHT,
        TextStyleField::Italic => key::ITALIC,
        TextStyleField::FontSize => key::FONT_SIZE,
        TextStyleField::Color => key::COLOR,
        TextStyleField::Underline => key::UNDERLINE,
    }
}

/// The attribute value `style` sets for `field`, if any.
pub(crate) fn style_value(style: &TextStyle, field: TextStyleField) -> Option<Any> {
    match field {
        TextStyleField::FontFamily => style.font_family.as_deref().map(Any::from),
        TextStyleField::FontWeight => style.font_weight.map(|w| Any::from(f64::from(w))),
        TextStyleField::Italic => style.italic.map(Any::from),
        TextStyleField::FontSize => style.font_size.map(Any::from),
        TextStyleField::Color => style.color.map(|c| Any::from(c.to_hex())),
        TextStyleField::Underline => style.underline.map(Any::from),
    }
}

/// The typed style of a run's attributes. Unknown attributes are ignored; values of the wrong
/// type are dropped and numbers are clamped, as for the layer keys.
pub(crate) fn read_style(attrs: &Attrs) -> TextStyle {
    let get = |field| attrs.get(style_key(field));
    let num = |field, min: f64, max: f64| {
        get(field).and_then(number).filter(|v| v.is_finite()).map(|v: f64| v.clamp(min, max))
    };
    let string = |field| match get(field) {
        Some(Any::String(s)) => Some(s.clone()),
        _ => None,
    };
    let boolean = |field| match get(field) {
        Some(Any::Bool(b)) => Some(*b),
        _ => None,
    };
    TextStyle {
        font_family: string(TextStyleField::FontFamily)
            .map(|f| f.chars().take(limits::MAX_FAMILY_CHARS).collect::<String>())
            .filter(|f| !f.is_empty()),
        // Clamped to 1..=1000 first, so the cast cannot truncate.
        font_weight: num(TextStyleField::FontWeight, 1.0, 1000.0).map(|w| w.round() as u16),
        italic: boolean(TextStyleField::Italic),
        font_size: num(TextStyleField::FontSize, 0.5, limits::MAX_FONT_SIZE),
        color: string(TextStyleField::Color).and_then(|c| Color::from_hex(&c).ok()),
        underline: boolean(TextStyleField::Underline),
    }
}

/// Changes the formatting of `text` from `current` spans to `desired` ones (both valid for the
/// text `index` describes), touching only the characters whose value of a field changes. One
/// `format` call per field and changed range, in a fixed field order, so the same change
/// always writes the same items.
pub(crate) fn write_spans(
    txn: &mut TransactionMut,
    text: &TextRef,
    index: &TextIndex,
    current: &[TextSpan],
    desired: &[TextSpan],
) {
    let mut bounds: Vec<u32> = current.iter().chain(desired).flat_map(|s| [s.start, s.end]).collect();
    bounds.sort_unstable();
    bounds.dedup();
    for field in TextStyleField::ALL {
        let value_at = |spans: &[TextSpan], i: &mut usize, at: u32| {
            while spans.get(*i).is_some_and(|s| s.end <= at) {
                *i += 1;
            }
            spans.get(*i).filter(|s| s.start <= at).and_then(|s| style_value(&s.style, field))
        };
        let (mut ic, mut id) = (0, 0);
        let mut pending: Option<(u32, u32, Option<Any>)> = None;
        let mut changes = Vec::new();
        for w in bounds.windows(2) {
            let (a, b) = (w[0], w[1]);
            let (now, want) = (value_at(current, &mut ic, a), value_at(desired, &mut id, a));
            if now == want {
                continue;
            }
            match &mut pending {
                Some((_, end, v)) if *end == a && *v == want => *end = b,
                _ => changes.extend(pending.replace((a, b, want))),
            }
        }
        changes.extend(pending);
        for (a, b, value) in changes {
            let (y, len) = index.y_range(a, b);
            if len > 0 {
                let attrs = Attrs::from([(style_key(field).into(), value.unwrap_or(Any::Null))]);
                text.format(txn, y, len, attrs);
            }
        }
    }
}
