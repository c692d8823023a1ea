//! The CRDT schema of DESIGN.md §3: how a [`Design`] is laid out in a `Y.Doc`, and the typed
//! read that turns whatever a document holds — including data from other clients and versions —
//! back into a design that validates.
//!
//! Root map `design`: `v`, `name`, `format` ({platform, kind, width, height}), `background`
//! (paint). Root map `layers`: layer id → layer map, one key per property so concurrent edits
//! of different properties never conflict. Text is a `Y.Text` under `text`; structured values
//! (format, paints, strokes, shapes, crops, filters) are canonical JSON strings, replaced as a
//! whole (see `docs/crdt-structured-values.md`).

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde::de::DeserializeOwned;
use yrs::{Any, GetString, Map, MapPrelim, MapRef, Out, ReadTxn, TextPrelim, TransactionMut};

use crate::color::Color;
use crate::design::{
    Crop, Design, Filters, Fit, ImageContent, Layer, LayerContent, Paint, Role, Shape, ShapeContent, Stroke,
    SvgContent, TextAlign, TextContent, VerticalAlign, limits,
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
            map.insert(txn, key::TEXT, TextPrelim::new(t.text.as_str()));
            map.insert(txn, key::FONT_FAMILY, t.font_family.as_str());
            map.insert(txn, key::FONT_WEIGHT, f64::from(t.font_weight));
            map.insert(txn, key::ITALIC, t.italic);
            map.insert(txn, key::FONT_SIZE, t.font_size);
            map.insert(txn, key::COLOR, t.color.to_hex());
            map.insert(txn, key::ALIGN, t.align.as_str());
            map.insert(txn, key::LINE_HEIGHT, t.line_height);
            map.insert(txn, key::LETTER_SPACING, t.letter_spacing);
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
            let mut text = match map.get(txn, key::TEXT) {
                Some(Out::YText(t)) => t.get_string(txn),
                _ => String::new(),
            };
            if text.chars().count() > limits::MAX_TEXT_CHARS {
                text = text.chars().take(limits::MAX_TEXT_CHARS).collect();
            }
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
                vertical_align: VerticalAlign::Top,
                auto_fit: false,
                spans: Vec::new(),
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
