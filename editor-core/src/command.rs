//! Commands: the only way the UI and the generator change a [`crate::Document`].

use serde::{Deserialize, Serialize};

use crate::brand::BrandKit;
use crate::color::Color;
use crate::design::{
    Crop, Design, Filters, Fit, Layer, Paint, Role, Shape, Stroke, TextAlign, TextSpan, TextStyle, TextStyleField,
    VerticalAlign,
};
use crate::format::Format;
use crate::ids::{AssetId, LayerId};

/// Where to move a layer among its siblings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZOrder {
    /// Above every sibling.
    Front,
    /// Below every sibling.
    Back,
    /// One step up.
    Forward,
    /// One step down.
    Backward,
    /// Directly above this sibling.
    Above(LayerId),
    /// Directly below this sibling.
    Below(LayerId),
}

/// A change to some properties of one layer. `None` leaves a property as it is. Properties
/// that do not apply to the layer's kind are rejected.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[expect(missing_docs, reason = "each field is the layer property of the same name")]
pub struct LayerPatch {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub w: Option<f64>,
    pub h: Option<f64>,
    pub rotation: Option<f64>,
    pub opacity: Option<f64>,
    pub hidden: Option<bool>,
    pub locked: Option<bool>,
    /// Replaces the whole text (prefer [`Command::EditText`] for typing). The new text carries
    /// the formatting given in `spans`, or none when `spans` is `None`.
    pub text: Option<String>,
    pub font_family: Option<String>,
    pub font_weight: Option<u16>,
    pub italic: Option<bool>,
    pub font_size: Option<f64>,
    pub color: Option<Color>,
    pub align: Option<TextAlign>,
    pub line_height: Option<f64>,
    pub letter_spacing: Option<f64>,
    pub vertical_align: Option<VerticalAlign>,
    pub auto_fit: Option<bool>,
    /// Replaces every rich-text span (UTF-16 ranges of the text after `text` is applied). Only
    /// the characters whose style changes are reformatted (prefer [`Command::FormatText`] for
    /// one range).
    pub spans: Option<Vec<TextSpan>>,
    pub asset: Option<AssetId>,
    pub crop: Option<Option<Crop>>,
    pub fit: Option<Fit>,
    pub filters: Option<Filters>,
    pub shape: Option<Shape>,
    pub fill: Option<Option<Paint>>,
    pub stroke: Option<Option<Stroke>>,
}

impl LayerPatch {
    /// A patch that moves a layer.
    pub fn position(x: f64, y: f64) -> Self {
        Self { x: Some(x), y: Some(y), ..Self::default() }
    }

    /// Whether the patch only touches properties allowed on a locked layer (lock, visibility,
    /// name).
    pub fn allowed_when_locked(&self) -> bool {
        let unlocked_only = LayerPatch { name: None, hidden: None, locked: None, ..self.clone() };
        unlocked_only == LayerPatch::default()
    }
}

/// A change to the design's own properties.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DesignPatch {
    /// New title.
    pub name: Option<String>,
    /// New background.
    pub background: Option<Paint>,
}

/// One user action. [`crate::Document::apply`] runs each as one transaction, undone as one step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
#[expect(clippy::large_enum_variant, reason = "one command per user action; boxing would only burden callers")]
pub enum Command {
    /// Adds a layer. An empty `z` puts it above its siblings; its parent, if any, must be a group.
    AddLayer {
        /// The new layer; its id must be unused.
        layer: Layer,
    },
    /// Removes layers (and, for groups, everything inside them).
    RemoveLayers {
        /// Layers to remove.
        ids: Vec<LayerId>,
    },
    /// Copies layers (groups with their contents), offset by (`dx`, `dy`), each placed directly
    /// above its original. The new ids are reported in [`crate::LocalChange::created`].
    DuplicateLayers {
        /// Layers to copy.
        ids: Vec<LayerId>,
        /// Horizontal offset of the copies.
        dx: f64,
        /// Vertical offset of the copies.
        dy: f64,
    },
    /// Sets properties of one layer.
    SetLayer {
        /// The layer.
        id: LayerId,
        /// What to change.
        patch: LayerPatch,
    },
    /// Sets the design's name or background.
    SetDesign {
        /// What to change.
        patch: DesignPatch,
    },
    /// Puts sibling layers into a new group placed where the topmost of them was.
    Group {
        /// Layers to group; they must share a parent.
        ids: Vec<LayerId>,
        /// Id of the new group.
        group_id: LayerId,
    },
    /// Dissolves a group: its children move to its parent, keeping their look.
    Ungroup {
        /// The group.
        id: LayerId,
    },
    /// Moves a layer in z order among its siblings.
    Reorder {
        /// The layer.
        id: LayerId,
        /// Where to.
        to: ZOrder,
    },
    /// Replaces the UTF-16 range `start..start + delete` of a text layer with `insert`.
    /// Offsets count UTF-16 code units, as in Yjs and the browser. The inserted text takes the
    /// formatting ([`crate::TextSpan`]s) of the first character it replaces, else of the
    /// character before `start`, else (at the start of the text) of the character after it:
    /// typing inside or at the end of a bold word stays bold.
    EditText {
        /// The text layer.
        id: LayerId,
        /// First UTF-16 unit replaced.
        start: u32,
        /// UTF-16 units removed.
        delete: u32,
        /// Text inserted at `start`.
        insert: String,
    },
    /// Sets style overrides on the UTF-16 range `start..start + len` of a text layer. Fields of
    /// `style` that are `None` are left as they are on every character of the range. In the
    /// document these are `Y.Text` formatting attributes, so the range's formatting moves with
    /// concurrent edits of the text.
    FormatText {
        /// The text layer.
        id: LayerId,
        /// First UTF-16 unit formatted.
        start: u32,
        /// UTF-16 units formatted.
        len: u32,
        /// The overrides to set.
        style: TextStyle,
    },
    /// Removes style overrides from the UTF-16 range `start..start + len` of a text layer: those
    /// characters fall back to the layer's own value of each field named.
    ClearTextFormat {
        /// The text layer.
        id: LayerId,
        /// First UTF-16 unit cleared.
        start: u32,
        /// UTF-16 units cleared.
        len: u32,
        /// The fields to remove; all of them when left out of a serialised command. Attributes
        /// this build does not know (written by other clients) are always kept.
        #[serde(default = "all_style_fields")]
        fields: Vec<TextStyleField>,
    },
    /// Applies a brand kit's colours, fonts and logo by layer role (see [`BrandKit`]).
    ApplyBrandKit {
        /// The kit.
        kit: BrandKit,
    },
    /// Changes the canvas format, re-laying layers out proportionally (full-bleed background
    /// layers stretch; everything else keeps its relative position and scales uniformly).
    ChangeFormat {
        /// The new canvas.
        format: Format,
    },
    /// Makes the document equal to `design` (validated first) as one edit: restoring a version
    /// from history. Layers missing from `design` are removed, the others rewritten.
    ReplaceDesign {
        /// The design to restore.
        design: Box<Design>,
    },
}

fn all_style_fields() -> Vec<TextStyleField> {
    TextStyleField::ALL.to_vec()
}
