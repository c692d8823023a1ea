//! [`Document`]: a design held as a yrs CRDT, changed through [`Command`]s.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use thiserror::Error;
use yrs::types::{Attrs, EntryChange, Event, PathSegment};
use yrs::undo::Options as UndoOptions;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{
    Any, ClientID, DeepObservable, Doc, Map, MapRef, OffsetKind, Options, Origin, Out, ReadTxn, StateVector, Text,
    Transact, TransactionMut, UndoManager, Update,
};

use crate::brand::BrandKit;
use crate::color::Color;
use crate::command::{Command, DesignPatch, LayerPatch, ZOrder};
use crate::design::{Design, Layer, LayerContent, Paint, Role, TextContent, TextSpan, TextStyleField, limits};
use crate::error::ValidationError;
use crate::format::Format;
use crate::fractional_index;
use crate::ids::LayerId;
use crate::protocol;
use crate::schema::{self, any_of, key};

const ORIGIN_LOCAL: &str = "creativeflow/local";
const ORIGIN_REMOTE: &str = "creativeflow/remote";
const ORIGIN_LOAD: &str = "creativeflow/load";
const OBSERVER: &str = "creativeflow/document";
/// Marks a [`LayerPatch::spans`] change among the writes a patch implies (not a document key).
const SPANS_WRITE: &str = "<spans>";

/// Why a command was refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The command would make the design invalid.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The layer is locked; unlock it first.
    #[error("layer {id:?} is locked")]
    Locked {
        /// The locked layer.
        id: String,
    },
    /// The property does not exist on this kind of layer.
    #[error("{property} does not apply to {kind} layer {id:?}")]
    WrongKind {
        /// The layer.
        id: String,
        /// Its kind.
        kind: &'static str,
        /// The property asked for.
        property: &'static str,
    },
    /// A text range is outside the text or splits a character.
    #[error("text range {start}..{end} is not valid in layer {id:?} (length {len} UTF-16 units)")]
    TextRange {
        /// The layer.
        id: String,
        /// Range start.
        start: u32,
        /// Range end.
        end: u32,
        /// Text length in UTF-16 units.
        len: u32,
    },
}

/// Why bytes could not be loaded into or merged with a document.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// The bytes are not a yrs update or state vector.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being decoded.
        what: &'static str,
        /// The decoder's message.
        reason: String,
    },
    /// The design to load is invalid.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// yrs refused an update after merging part of it (a transaction cannot be rolled back):
    /// the document no longer matches any peer. Reload it from storage.
    #[error("refused update left the document half-merged ({reason}); reload it")]
    Inconsistent {
        /// Why yrs refused the rest.
        reason: String,
    },
}

/// The result of a local change: what to persist and send.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocalChange {
    /// The transaction's update (yrs v1 encoding); empty when nothing changed.
    pub update: Vec<u8>,
    /// Layers the command created (new layers, duplicates, groups).
    pub created: Vec<LayerId>,
}

/// What happened to a local edit that a merge overrode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverrideKind {
    /// Another user's value for the same property won.
    ValueReplaced,
    /// Another user removed the layer this user had edited.
    LayerRemoved,
}

/// One local edit, not yet acknowledged by the server, that a merge overrode.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The layer, or `None` for a design property.
    pub layer: Option<LayerId>,
    /// The property key (as in the document schema), or `*` for the whole layer.
    pub property: String,
    /// This user's value, as JSON.
    pub local: String,
    /// The value that won, as JSON (`null` when removed).
    pub remote: String,
    /// What happened.
    pub kind: OverrideKind,
}

/// Which of this user's unacknowledged edits a merge overrode, for the UI to show.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MergeReport {
    /// Whether the merge changed the document at all (false for duplicates and echoes).
    pub changed: bool,
    /// Whether the update was held back because updates it follows have not arrived (ask the
    /// peer to resync; it is merged as soon as they do).
    pub held_back: bool,
    /// Updates held back earlier that this merge let through, in the order they were merged
    /// (a server logs and relays them like the update itself).
    pub released: Vec<Vec<u8>>,
    /// Overridden edits, in the order the merge met them.
    pub overrides: Vec<Override>,
}

impl MergeReport {
    /// Whether no local edit was overridden.
    pub fn is_empty(&self) -> bool {
        self.overrides.is_empty()
    }
}

type Touched = (Option<String>, String);

#[derive(Default)]
struct Shared {
    /// Updates of local transactions (commands, undo, redo) not yet handed out.
    captured: Vec<Vec<u8>>,
    /// Properties this user changed since the server last acknowledged everything.
    touched: HashSet<Touched>,
    /// Overrides found while applying remote updates.
    overrides: Vec<Override>,
    /// Whether a remote update changed anything since it was last asked.
    remote_changed: bool,
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // The observers never panic while holding the lock; a poisoned lock still holds valid data.
    shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A design as a yrs document (DESIGN.md §3), with per-user undo.
///
/// Every [`Command`] runs in one transaction whose origin is this document's local origin; the
/// [`UndoManager`] tracks only that origin, so undo never reverts a collaborator's edit. Remote
/// updates go through [`Document::apply_remote_update`], which reports overridden local edits.
pub struct Document {
    doc: Doc,
    design_map: MapRef,
    layers_map: MapRef,
    undo: UndoManager,
    shared: Arc<Mutex<Shared>>,
    /// Remote updates held back until the updates they follow arrive, oldest first.
    waiting: Vec<Held>,
}

/// A held-back update: the first clock it needs of each client, and its bytes.
struct Held {
    needs: StateVector,
    update_v1: Vec<u8>,
}

/// Most updates held back for missing predecessors; past this the oldest are dropped (the
/// sync client's resync request fetches them again).
const MAX_WAITING: usize = 4096;

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document").field("client_id", &self.client_id()).finish_non_exhaustive()
    }
}

impl Default for Document {
    fn default() -> Self {
        Self::new()
    }
}

/// A fresh random client id that fits Yjs 13's 32-bit ids.
pub fn random_client_id() -> u32 {
    let id = ClientID::random().get();
    // `small-client` ids are u32 already; the mask keeps it so if the feature is ever dropped.
    (id & 0xffff_ffff) as u32
}

impl Document {
    /// An empty document with a random client id.
    pub fn new() -> Self {
        Self::with_client_id(random_client_id())
    }

    /// An empty document with the given client id (unique per session and device).
    pub fn with_client_id(client_id: u32) -> Self {
        let mut options = Options::with_client_id(ClientID::new(u64::from(client_id)));
        options.offset_kind = OffsetKind::Utf16;
        // Deleted content is kept, not garbage-collected: the undo manager keeps what it may
        // restore anyway, version history needs it, and without GC every replica holding the
        // same updates encodes to the same bytes (see docs/crdt-structured-values.md).
        options.skip_gc = true;
        // yrs (like Yjs) deletes formatting markers made redundant by a remote update, inside
        // that remote transaction. Those deletions are this replica's own changes, but we never
        // forward remote transactions, so replicas would keep different delete sets for ever.
        // Redundant markers are harmless (the read merges equal runs): keep them (see
        // docs/rich-text.md).
        options.cleanup_formatting = false;
        let doc = Doc::with_options(options);
        let design_map = doc.get_or_insert_map(schema::ROOT_DESIGN);
        let layers_map = doc.get_or_insert_map(schema::ROOT_LAYERS);
        let mut tracked = HashSet::new();
        tracked.insert(Origin::from(ORIGIN_LOCAL));
        let undo_options = UndoOptions {
            // Each command is its own undo step: a clock stuck at 0 never merges two steps.
            capture_timeout_millis: 0,
            tracked_origins: tracked,
            capture_transaction: None,
            timestamp: Arc::new(|| 0u64),
            init_undo_stack: Vec::new(),
            init_redo_stack: Vec::new(),
        };
        let mut undo = UndoManager::with_options(undo_options);
        undo.expand_scope(&doc, &design_map);
        undo.expand_scope(&doc, &layers_map);
        let shared = Arc::new(Mutex::new(Shared::default()));
        let document = Self { doc, design_map, layers_map, undo, shared, waiting: Vec::new() };
        document.install_observers();
        document
    }

    fn install_observers(&self) {
        let shared = Arc::clone(&self.shared);
        // Subscribing only fails while a transaction is open; none is at construction.
        let _ = self.doc.observe_update_v1(OBSERVER, move |txn, event| {
            if is_origin(txn, ORIGIN_REMOTE) {
                lock(&shared).remote_changed = true;
            } else if !is_origin(txn, ORIGIN_LOAD) {
                lock(&shared).captured.push(event.update.clone());
            }
        });
        let shared = Arc::clone(&self.shared);
        self.layers_map.observe_deep(OBSERVER, move |txn, events| track_changes(&shared, txn, events, true));
        let shared = Arc::clone(&self.shared);
        self.design_map.observe_deep(OBSERVER, move |txn, events| track_changes(&shared, txn, events, false));
    }

    /// A document holding `design` (validated first), written as one non-undoable load.
    pub fn from_design(design: &Design) -> Result<Self, DocumentError> {
        Self::from_design_with_client_id(design, random_client_id())
    }

    /// Like [`Document::from_design`] with a chosen client id.
    pub fn from_design_with_client_id(design: &Design, client_id: u32) -> Result<Self, DocumentError> {
        design.validate()?;
        let mut design = design.clone();
        design.assign_missing_z();
        let document = Self::with_client_id(client_id);
        {
            let mut txn = document.doc.transact_mut_with(ORIGIN_LOAD);
            schema::write_design_props(&mut txn, &document.design_map, &design);
            for layer in &design.layers {
                schema::write_layer(&mut txn, &document.layers_map, layer);
            }
        }
        Ok(document)
    }

    /// Restores a document from a stored snapshot (v2) and the updates (v1) logged after it.
    ///
    /// Updates are checked like frames from the network; the snapshot is trusted as our own
    /// store's output (v2 has no scanner yet), so never pass a snapshot from a peer here.
    pub fn load(
        client_id: Option<u32>,
        snapshot_v2: Option<&[u8]>,
        updates_v1: &[Vec<u8>],
    ) -> Result<Self, DocumentError> {
        let mut document = Self::with_client_id(client_id.unwrap_or_else(random_client_id));
        {
            let mut txn = document.doc.transact_mut_with(ORIGIN_LOAD);
            if let Some(snapshot) = snapshot_v2 {
                let update = Update::decode_v2(snapshot).map_err(|e| malformed("snapshot", e))?;
                txn.apply_update(update).map_err(|e| malformed("snapshot", e))?;
            }
            for bytes in updates_v1 {
                let update = protocol::decode_update_v1(bytes).map_err(|e| malformed("update", e))?;
                integrate_in_order(&mut txn, &mut document.waiting, update, bytes)?;
            }
        }
        Ok(document)
    }

    /// This session's client id.
    pub fn client_id(&self) -> u32 {
        (self.doc.client_id().get() & 0xffff_ffff) as u32
    }

    /// The typed design. Whatever peers wrote, the result validates.
    pub fn design(&self) -> Design {
        let txn = self.doc.transact();
        schema::read_design(&txn, &self.design_map, &self.layers_map)
    }

    /// One layer, read without reading the whole design.
    pub fn layer(&self, id: &LayerId) -> Option<Layer> {
        let txn = self.doc.transact();
        match self.layers_map.get(&txn, id.as_str()) {
            Some(Out::YMap(map)) => schema::read_layer(&txn, id.as_str(), &map),
            _ => None,
        }
    }

    /// The document's raw content as JSON, `{"design": {…}, "layers": {…}}`, the way Yjs's
    /// `toJSON()` shows the two root maps (texts as plain strings). For comparing replicas with
    /// other Yjs clients; [`Document::design`] is the typed view.
    pub fn to_json(&self) -> serde_json::Value {
        use yrs::types::ToJson as _;
        let txn = self.doc.transact();
        let root = |map: &MapRef| {
            let mut s = String::new();
            map.to_json(&txn).to_json(&mut s);
            serde_json::from_str(&s).unwrap_or(serde_json::Value::Null)
        };
        serde_json::json!({ "design": root(&self.design_map), "layers": root(&self.layers_map) })
    }

    /// The state vector (v1), for sync step 1.
    pub fn state_vector_v1(&self) -> Vec<u8> {
        self.doc.transact().state_vector().encode_v1()
    }

    /// The whole state as one update, v1 encoding.
    pub fn encode_state_v1(&self) -> Vec<u8> {
        self.doc.transact().encode_state_as_update_v1(&StateVector::default())
    }

    /// The whole state as one update, v2 encoding (smaller; used for snapshots).
    pub fn encode_state_v2(&self) -> Vec<u8> {
        self.doc.transact().encode_state_as_update_v2(&StateVector::default())
    }

    /// The state in canonical form (v1): re-integrated into a fresh document, then encoded.
    ///
    /// Two replicas that hold the same updates hold the same CRDT state, but yrs may keep it in
    /// differently fragmented blocks (a local undo splits what a remote merge squashes), so
    /// their plain encodings can differ. The canonical encoding is byte-identical for equal
    /// states: use it to compare replicas and to fingerprint snapshots.
    pub fn canonical_state_v1(&self) -> Vec<u8> {
        let state = self.encode_state_v1();
        match Self::load(Some(self.client_id()), None, std::slice::from_ref(&state)) {
            Ok(fresh) => fresh.encode_state_v1(),
            Err(_) => state,
        }
    }

    /// What a peer with state vector `state_vector_v1` lacks, as a v1 update (sync step 2).
    pub fn diff_v1(&self, state_vector_v1: &[u8]) -> Result<Vec<u8>, DocumentError> {
        let sv = protocol::decode_state_vector_v1(state_vector_v1).map_err(|e| malformed("state vector", e))?;
        Ok(self.doc.transact().encode_diff_v1(&sv))
    }

    /// Whether updates arrived whose predecessors are still missing (ask the peer to resync).
    pub fn has_pending_updates(&self) -> bool {
        if !self.waiting.is_empty() {
            return true;
        }
        let txn = self.doc.transact();
        txn.store().pending_update().is_some() || txn.store().pending_ds().is_some()
    }

    /// Merges a peer's update (v1). Edits of this user that the merge overrode are reported.
    ///
    /// An update whose predecessors (earlier clocks of one of its clients) have not arrived is
    /// held back, not integrated, and merged as soon as they do: yrs 0.28 would otherwise fill
    /// the gap with skip blocks, which peers' later updates can make it corrupt (found by
    /// fuzzing; see docs/untrusted-updates.md). [`Document::has_pending_updates`] says when
    /// something is held back, so the sync client asks for a resync.
    pub fn apply_remote_update(&mut self, update_v1: &[u8]) -> Result<MergeReport, DocumentError> {
        lock(&self.shared).remote_changed = false;
        let update = protocol::decode_update_v1(update_v1).map_err(|e| malformed("update", e))?;
        let before = self.doc.transact().state_vector();
        let merged = {
            let mut txn = self.doc.transact_mut_with(ORIGIN_REMOTE);
            integrate_in_order(&mut txn, &mut self.waiting, update, update_v1)
        };
        let (held_back, released) = match merged {
            Ok(merged) => merged,
            Err(e) => {
                lock(&self.shared).remote_changed = false;
                // yrs integrates block by block and cannot roll back: if anything went in
                // before the refusal, this replica now holds half an update.
                if self.doc.transact().state_vector() != before {
                    return Err(DocumentError::Inconsistent { reason: e.to_string() });
                }
                return Err(e);
            }
        };
        let mut shared = lock(&self.shared);
        let changed = std::mem::take(&mut shared.remote_changed);
        Ok(MergeReport { changed, held_back, released, overrides: std::mem::take(&mut shared.overrides) })
    }

    /// Forgets which properties this user edited: call when the server has acknowledged every
    /// local update, so later merges report only edits made since.
    pub fn acknowledge_all(&mut self) {
        lock(&self.shared).touched.clear();
    }

    /// Whether there is something to undo.
    pub fn can_undo(&self) -> bool {
        self.undo.can_undo()
    }

    /// Whether there is something to redo.
    pub fn can_redo(&self) -> bool {
        self.undo.can_redo()
    }

    /// Reverts this user's last command (never a collaborator's). `None` if nothing to undo.
    pub fn undo(&mut self) -> Option<LocalChange> {
        self.take_captured();
        if !self.undo.undo_blocking() {
            return None;
        }
        Some(LocalChange { update: self.take_captured(), created: Vec::new() })
    }

    /// Re-applies the last undone command. `None` if nothing to redo.
    pub fn redo(&mut self) -> Option<LocalChange> {
        self.take_captured();
        if !self.undo.redo_blocking() {
            return None;
        }
        Some(LocalChange { update: self.take_captured(), created: Vec::new() })
    }

    fn take_captured(&self) -> Vec<u8> {
        let mut updates = std::mem::take(&mut lock(&self.shared).captured);
        match updates.len() {
            0 => Vec::new(),
            1 => updates.pop().unwrap_or_default(),
            _ => yrs::merge_updates_v1(&updates).unwrap_or_default(),
        }
    }

    /// Runs one command as one undoable transaction. On error nothing changes.
    pub fn apply(&mut self, command: Command) -> Result<LocalChange, CommandError> {
        self.take_captured();
        let created = {
            let mut txn = self.doc.transact_mut_with(ORIGIN_LOCAL);
            let mut ctx = Ctx { txn: &mut txn, design_map: &self.design_map, layers_map: &self.layers_map };
            ctx.run(command)?
        };
        Ok(LocalChange { update: self.take_captured(), created })
    }
}

/// Whether the document holds every clock that comes before blocks starting at `needs`.
fn follows_state(txn: &TransactionMut, needs: &StateVector) -> bool {
    let local = txn.state_vector();
    needs.iter().all(|(client, clock)| local.get(client) >= *clock)
}

/// Integrates `update` if nothing before it is missing, else holds it back (and says so); then
/// integrates whatever held-back updates have become ready and returns them.
fn integrate_in_order(
    txn: &mut TransactionMut,
    waiting: &mut Vec<Held>,
    update: Update,
    bytes: &[u8],
) -> Result<(bool, Vec<Vec<u8>>), DocumentError> {
    let needs = update.state_vector_lower();
    if !follows_state(txn, &needs) {
        if waiting.len() >= MAX_WAITING {
            waiting.remove(0);
        }
        waiting.push(Held { needs, update_v1: bytes.to_vec() });
        return Ok((true, Vec::new()));
    }
    txn.apply_update(update).map_err(|e| malformed("update", e))?;
    let mut released = Vec::new();
    while let Some(i) = waiting.iter().position(|held| follows_state(txn, &held.needs)) {
        let held = waiting.remove(i);
        // The held bytes passed the same checks when they arrived.
        let update = protocol::decode_update_v1(&held.update_v1).map_err(|e| malformed("update", e))?;
        txn.apply_update(update).map_err(|e| malformed("update", e))?;
        released.push(held.update_v1);
    }
    Ok((false, released))
}

fn malformed(what: &'static str, e: impl std::fmt::Display) -> DocumentError {
    DocumentError::Malformed { what, reason: e.to_string() }
}

fn is_origin(txn: &TransactionMut, origin: &str) -> bool {
    txn.origin().is_some_and(|o| o.as_ref() == origin.as_bytes())
}

fn out_json(value: &Out) -> String {
    match value {
        Out::Any(a) => {
            let mut s = String::new();
            a.to_json(&mut s);
            s
        }
        Out::YText(_) => "\"<text>\"".into(),
        Out::YMap(_) => "\"<layer>\"".into(),
        _ => "null".into(),
    }
}

fn track_changes(shared: &Mutex<Shared>, txn: &TransactionMut, events: &yrs::types::Events, layers_root: bool) {
    if is_origin(txn, ORIGIN_LOAD) {
        return;
    }
    let remote = is_origin(txn, ORIGIN_REMOTE);
    let mut shared = lock(shared);
    for event in events.iter() {
        let path = event.path();
        let segments: Vec<&str> = path
            .iter()
            .filter_map(|s| match s {
                PathSegment::Key(k) => Some(k.as_ref()),
                PathSegment::Index(_) => None,
            })
            .collect();
        match (layers_root, segments.as_slice(), event) {
            // The layers map itself: layers added or removed.
            (true, [], Event::Map(e)) => {
                for (id, change) in e.keys(txn) {
                    if remote {
                        if let EntryChange::Removed(_) = change {
                            let edited: Vec<String> = shared
                                .touched
                                .iter()
                                .filter(|(l, _)| l.as_deref() == Some(id.as_ref()))
                                .map(|(_, p)| p.clone())
                                .collect();
                            if !edited.is_empty() {
                                shared.overrides.push(Override {
                                    layer: LayerId::parse(id).ok(),
                                    property: "*".into(),
                                    local: format!("{edited:?}"),
                                    remote: "null".into(),
                                    kind: OverrideKind::LayerRemoved,
                                });
                            }
                        }
                    } else {
                        shared.touched.insert((Some(id.to_string()), "*".into()));
                    }
                }
            }
            // A layer's properties, or the design's.
            (true, [_], Event::Map(e)) | (false, [], Event::Map(e)) => {
                let layer: Option<String> = segments.first().map(|l| (*l).to_string());
                for (prop, change) in e.keys(txn) {
                    let touched = (layer.clone(), prop.to_string());
                    if remote {
                        if let EntryChange::Updated(old, new) = change
                            && shared.touched.contains(&touched)
                        {
                            shared.overrides.push(Override {
                                layer: layer.as_deref().and_then(|l| LayerId::parse(l).ok()),
                                property: prop.to_string(),
                                local: out_json(old),
                                remote: out_json(new),
                                kind: OverrideKind::ValueReplaced,
                            });
                        }
                    } else {
                        shared.touched.insert(touched);
                    }
                }
            }
            // Text edits merge character by character: nothing is overridden.
            (true, [layer, ..], Event::Text(_)) if !remote => {
                shared.touched.insert((Some((*layer).to_string()), key::TEXT.into()));
            }
            _ => {}
        }
    }
}

/// A command being run inside one transaction.
struct Ctx<'a, 'doc> {
    txn: &'a mut TransactionMut<'doc>,
    design_map: &'a MapRef,
    layers_map: &'a MapRef,
}

impl Ctx<'_, '_> {
    fn run(&mut self, command: Command) -> Result<Vec<LayerId>, CommandError> {
        match command {
            Command::AddLayer { layer } => self.add_layer(layer).map(|id| vec![id]),
            Command::RemoveLayers { ids } => self.remove_layers(&ids).map(|()| Vec::new()),
            Command::DuplicateLayers { ids, dx, dy } => self.duplicate(&ids, dx, dy),
            Command::SetLayer { id, patch } => self.set_layer(&id, &patch).map(|()| Vec::new()),
            Command::SetDesign { patch } => self.set_design(&patch).map(|()| Vec::new()),
            Command::Group { ids, group_id } => self.group(&ids, group_id).map(|id| vec![id]),
            Command::Ungroup { id } => self.ungroup(&id).map(|()| Vec::new()),
            Command::Reorder { id, to } => self.reorder(&id, &to).map(|()| Vec::new()),
            Command::EditText { id, start, delete, insert } => {
                self.edit_text(&id, start, delete, &insert).map(|()| Vec::new())
            }
            Command::FormatText { id, start, len, style } => {
                style.validate(&format!("layer {:?} text style", id.as_str()))?;
                let values = TextStyleField::ALL
                    .into_iter()
                    .filter_map(|f| schema::style_value(&style, f).map(|v| (f, v)))
                    .collect();
                self.format_text(&id, start, len, values).map(|()| Vec::new())
            }
            Command::ClearTextFormat { id, start, len, fields } => {
                let values = TextStyleField::ALL.into_iter().filter(|f| fields.contains(f)).map(|f| (f, Any::Null));
                self.format_text(&id, start, len, values.collect()).map(|()| Vec::new())
            }
            Command::ApplyBrandKit { kit } => self.apply_brand_kit(&kit).map(|()| Vec::new()),
            Command::ChangeFormat { format } => self.change_format(&format).map(|()| Vec::new()),
            Command::ReplaceDesign { design } => self.replace_design(*design).map(|()| Vec::new()),
        }
    }

    fn replace_design(&mut self, mut design: Design) -> Result<(), CommandError> {
        design.validate()?;
        design.assign_missing_z();
        let keep: HashSet<&str> = design.layers.iter().map(|l| l.id.as_str()).collect();
        let existing: Vec<String> = self.layers_map.keys(&*self.txn).map(str::to_owned).collect();
        for id in existing.iter().filter(|id| !keep.contains(id.as_str())) {
            self.layers_map.remove(self.txn, id);
        }
        schema::write_design_props(self.txn, self.design_map, &design);
        for layer in &design.layers {
            schema::write_layer(self.txn, self.layers_map, layer);
        }
        Ok(())
    }

    fn design(&self) -> Design {
        schema::read_design(&*self.txn, self.design_map, self.layers_map)
    }

    fn layer_map(&self, id: &LayerId) -> Option<MapRef> {
        match self.layers_map.get(&*self.txn, id.as_str()) {
            Some(Out::YMap(map)) => Some(map),
            _ => None,
        }
    }

    fn layer(&self, id: &LayerId) -> Result<(Layer, MapRef), CommandError> {
        let unknown = || CommandError::Invalid(ValidationError::UnknownLayer { id: id.to_string() });
        let map = self.layer_map(id).ok_or_else(unknown)?;
        let layer = schema::read_layer(&*self.txn, id.as_str(), &map).ok_or_else(unknown)?;
        Ok((layer, map))
    }

    /// Siblings under `parent` in paint order, as (z, id).
    fn siblings(&self, parent: Option<&LayerId>) -> Vec<(String, LayerId)> {
        let mut list: Vec<(String, LayerId)> = schema::read_layer_order(&*self.txn, self.layers_map)
            .into_iter()
            .filter(|(_, p, _, _)| p.as_ref() == parent)
            .map(|(id, _, z, _)| (z, id))
            .collect();
        list.sort();
        list
    }

    fn top_key(&self, parent: Option<&LayerId>) -> String {
        let top = self.siblings(parent).into_iter().map(|(z, _)| z).filter(|z| !z.is_empty()).max();
        fractional_index::key_between(top.as_deref(), None).unwrap_or_else(|_| fractional_index::FIRST_KEY.into())
    }

    fn layer_count(&self) -> usize {
        self.layers_map.len(&*self.txn) as usize
    }

    fn check_room(&self, adding: usize) -> Result<(), CommandError> {
        let len = self.layer_count() + adding;
        if len > limits::MAX_LAYERS {
            return Err(ValidationError::TooLong {
                field: "design".into(),
                len,
                max: limits::MAX_LAYERS,
                unit: "layers",
            }
            .into());
        }
        Ok(())
    }

    fn check_parent(&self, parent: Option<&LayerId>, child: &LayerId) -> Result<(), CommandError> {
        if let Some(p) = parent {
            match self.layer(p) {
                Ok((l, _)) if l.is_group() && p != child => {}
                _ => return Err(ValidationError::BadParent { id: child.to_string(), parent: p.to_string() }.into()),
            }
        }
        Ok(())
    }

    fn add_layer(&mut self, mut layer: Layer) -> Result<LayerId, CommandError> {
        layer.validate()?;
        if self.layer_map(&layer.id).is_some() {
            return Err(ValidationError::DuplicateLayer { id: layer.id.to_string() }.into());
        }
        self.check_room(1)?;
        self.check_parent(layer.parent.as_ref(), &layer.id)?;
        if layer.z.is_empty() {
            layer.z = self.top_key(layer.parent.as_ref());
        }
        schema::write_layer(self.txn, self.layers_map, &layer);
        Ok(layer.id)
    }

    /// `ids` and all their descendants.
    fn with_descendants(&self, ids: &[LayerId]) -> Result<Vec<LayerId>, CommandError> {
        let order = schema::read_layer_order(&*self.txn, self.layers_map);
        let mut children: HashMap<LayerId, Vec<LayerId>> = HashMap::new();
        for (id, parent, _, _) in &order {
            if let Some(p) = parent {
                children.entry(p.clone()).or_default().push(id.clone());
            }
        }
        let known: HashSet<&LayerId> = order.iter().map(|(id, ..)| id).collect();
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut stack: Vec<LayerId> = Vec::new();
        for id in ids {
            if !known.contains(id) {
                return Err(ValidationError::UnknownLayer { id: id.to_string() }.into());
            }
            stack.push(id.clone());
        }
        while let Some(id) = stack.pop() {
            if seen.insert(id.clone()) {
                if let Some(kids) = children.get(&id) {
                    stack.extend(kids.iter().cloned());
                }
                out.push(id);
            }
        }
        Ok(out)
    }

    fn remove_layers(&mut self, ids: &[LayerId]) -> Result<(), CommandError> {
        for id in self.with_descendants(ids)? {
            self.layers_map.remove(self.txn, id.as_str());
        }
        Ok(())
    }

    fn duplicate(&mut self, ids: &[LayerId], dx: f64, dy: f64) -> Result<Vec<LayerId>, CommandError> {
        let design = self.design();
        let all = self.with_descendants(ids)?;
        self.check_room(all.len())?;
        let mut new_ids: HashMap<LayerId, LayerId> = all.iter().map(|id| (id.clone(), LayerId::generate())).collect();
        let mut created = Vec::new();
        let mut copies = Vec::new();
        for layer in design.layers.iter().filter(|l| new_ids.contains_key(&l.id)) {
            let mut copy = layer.clone();
            copy.x += dx;
            copy.y += dy;
            let is_top = ids.contains(&layer.id);
            copy.id = new_ids.get(&layer.id).cloned().unwrap_or_else(LayerId::generate);
            if !copy.name.is_empty() && is_top {
                copy.name = truncate_chars(&format!("{} copy", copy.name), limits::MAX_NAME_CHARS);
            }
            if is_top {
                // Directly above the original, below whatever sits above it.
                let above = self
                    .siblings(layer.parent.as_ref())
                    .into_iter()
                    .map(|(z, _)| z)
                    .find(|z| z.as_str() > layer.z.as_str());
                copy.z = fractional_index::key_between(non_empty(&layer.z), above.as_deref())
                    .unwrap_or_else(|_| self.top_key(layer.parent.as_ref()));
                created.push(copy.id.clone());
            } else {
                copy.parent = copy.parent.as_ref().and_then(|p| new_ids.get(p).cloned());
            }
            copy.validate()?;
            copies.push(copy);
        }
        new_ids.clear();
        for copy in &copies {
            schema::write_layer(self.txn, self.layers_map, copy);
        }
        Ok(created)
    }

    fn set_layer(&mut self, id: &LayerId, patch: &LayerPatch) -> Result<(), CommandError> {
        let (mut layer, map) = self.layer(id)?;
        if layer.locked && !patch.allowed_when_locked() {
            return Err(CommandError::Locked { id: id.to_string() });
        }
        let old_spans = match &layer.content {
            LayerContent::Text(t) => t.spans.clone(),
            _ => Vec::new(),
        };
        let writes = apply_patch(&mut layer, patch)?;
        layer.validate()?;
        let (mut new_text, mut new_spans) = (false, false);
        for (k, value) in writes {
            match k {
                key::TEXT => new_text = true,
                SPANS_WRITE => new_spans = true,
                _ => {
                    map.insert(self.txn, k, value);
                }
            }
        }
        if let (true, LayerContent::Text(t)) = (new_text || new_spans, &layer.content) {
            let plain = schema::TextIndex::plain(&t.text);
            match map.get(&*self.txn, key::TEXT) {
                Some(Out::YText(text)) if new_text => {
                    // Removed and inserted rather than replaced, so a collaborator's concurrent
                    // typing is kept. The new text goes in front of whatever formatting markers
                    // are left of the old one, so it starts unformatted; then it gets its spans.
                    let len = text.len(&*self.txn);
                    text.remove_range(self.txn, 0, len);
                    text.insert(self.txn, 0, &t.text);
                    schema::write_spans(self.txn, &text, &plain, &[], &t.spans);
                }
                Some(Out::YText(text)) => {
                    let (_, index) = schema::read_text(&*self.txn, &text);
                    schema::write_spans(self.txn, &text, &index, &old_spans, &t.spans);
                }
                // A peer left no `Y.Text` (the read saw an empty text): write a fresh one.
                _ => {
                    let text = map.insert(self.txn, key::TEXT, yrs::TextPrelim::new(t.text.as_str()));
                    schema::write_spans(self.txn, &text, &plain, &[], &t.spans);
                }
            }
        }
        Ok(())
    }

    fn set_design(&mut self, patch: &DesignPatch) -> Result<(), CommandError> {
        if let Some(name) = &patch.name {
            crate::design::check_len("design name", name.chars().count(), limits::MAX_NAME_CHARS, "characters")?;
        }
        if let Some(background) = &patch.background {
            let mut probe =
                Design::new("", Format { platform: "custom".into(), kind: "custom".into(), width: 16, height: 16 });
            probe.background = background.clone();
            probe.validate()?;
        }
        if let Some(name) = &patch.name {
            self.design_map.insert(self.txn, key::NAME, name.as_str());
        }
        if let Some(background) = &patch.background {
            self.design_map.insert(self.txn, key::BACKGROUND, any_of(background));
        }
        Ok(())
    }

    fn group(&mut self, ids: &[LayerId], group_id: LayerId) -> Result<LayerId, CommandError> {
        if ids.is_empty() {
            return Err(ValidationError::Invalid("group needs at least one layer".into()).into());
        }
        if self.layer_map(&group_id).is_some() {
            return Err(ValidationError::DuplicateLayer { id: group_id.to_string() }.into());
        }
        self.check_room(1)?;
        let mut members = Vec::new();
        for id in ids {
            let (layer, map) = self.layer(id)?;
            if layer.locked {
                return Err(CommandError::Locked { id: id.to_string() });
            }
            members.push((layer, map));
        }
        let parent = members[0].0.parent.clone();
        if members.iter().any(|(l, _)| l.parent != parent) {
            return Err(ValidationError::Invalid("grouped layers must share a parent".into()).into());
        }
        let bounds = members.iter().map(|(l, _)| l.bounds()).reduce(|a, b| a.union(&b)).unwrap_or_default();
        let z = members
            .iter()
            .map(|(l, _)| l.z.clone())
            .max()
            .filter(|z| !z.is_empty())
            .unwrap_or_else(|| self.top_key(parent.as_ref()));
        let mut group = Layer::group(group_id.clone(), bounds);
        group.parent = parent;
        group.z = z;
        group.validate()?;
        schema::write_layer(self.txn, self.layers_map, &group);
        for (_, map) in members {
            map.insert(self.txn, key::PARENT, group_id.as_str());
        }
        Ok(group_id)
    }

    fn ungroup(&mut self, id: &LayerId) -> Result<(), CommandError> {
        let (group, _) = self.layer(id)?;
        if !group.is_group() {
            return Err(CommandError::WrongKind {
                id: id.to_string(),
                kind: group.content.kind(),
                property: "ungroup",
            });
        }
        if group.locked {
            return Err(CommandError::Locked { id: id.to_string() });
        }
        let children = self.siblings(Some(id));
        let above =
            self.siblings(group.parent.as_ref()).into_iter().map(|(z, _)| z).find(|z| z.as_str() > group.z.as_str());
        let keys = fractional_index::keys_between(non_empty(&group.z), above.as_deref(), children.len())
            .or_else(|_| {
                fractional_index::keys_between(Some(&self.top_key(group.parent.as_ref())), None, children.len())
            })
            .map_err(|e| ValidationError::Invalid(e.to_string()))?;
        let (gcx, gcy) = (group.x + group.w / 2.0, group.y + group.h / 2.0);
        let (sin, cos) = group.rotation.to_radians().sin_cos();
        for ((_, child_id), z) in children.iter().zip(keys) {
            let (child, map) = self.layer(child_id)?;
            map.insert(self.txn, key::PARENT, group.parent.as_ref().map(LayerId::as_str).unwrap_or(""));
            map.insert(self.txn, key::Z, z);
            if group.rotation != 0.0 {
                // Bake the group's rotation into the child so it looks the same.
                let (cx, cy) = (child.x + child.w / 2.0 - gcx, child.y + child.h / 2.0 - gcy);
                let (rx, ry) = (cx * cos - cy * sin + gcx, cx * sin + cy * cos + gcy);
                let max = limits::MAX_COORD;
                map.insert(self.txn, key::X, (rx - child.w / 2.0).clamp(-max, max));
                map.insert(self.txn, key::Y, (ry - child.h / 2.0).clamp(-max, max));
                map.insert(self.txn, key::ROT, normalize_degrees(child.rotation + group.rotation));
            }
            if group.opacity < 1.0 {
                map.insert(self.txn, key::OPACITY, child.opacity * group.opacity);
            }
        }
        self.layers_map.remove(self.txn, id.as_str());
        Ok(())
    }

    fn reorder(&mut self, id: &LayerId, to: &ZOrder) -> Result<(), CommandError> {
        let (layer, map) = self.layer(id)?;
        let siblings = self.siblings(layer.parent.as_ref());
        let current = siblings.iter().position(|(_, s)| s == id).unwrap_or(0);
        let others: Vec<&(String, LayerId)> = siblings.iter().filter(|(_, s)| s != id).collect();
        let sibling_index = |target: &LayerId| -> Result<usize, CommandError> {
            others.iter().position(|(_, s)| s == target).ok_or_else(|| {
                ValidationError::Invalid(format!("layer {target:?} is not a sibling of layer {id:?}")).into()
            })
        };
        // Index in `others` before which the layer goes.
        let slot = match to {
            ZOrder::Front => others.len(),
            ZOrder::Back => 0,
            ZOrder::Forward => (current + 1).min(others.len()),
            ZOrder::Backward => current.saturating_sub(1),
            ZOrder::Above(target) => sibling_index(target)? + 1,
            ZOrder::Below(target) => sibling_index(target)?,
        };
        if slot == current {
            return Ok(());
        }
        let lo = slot.checked_sub(1).and_then(|i| others.get(i)).map(|(z, _)| z.as_str()).and_then(non_empty);
        let hi = others.get(slot).map(|(z, _)| z.as_str()).and_then(non_empty);
        match fractional_index::key_between(lo, hi) {
            Ok(z) => {
                map.insert(self.txn, key::Z, z);
            }
            Err(_) => {
                // Neighbours share a key (concurrent inserts) or are unkeyed: renumber siblings.
                let mut order: Vec<LayerId> = others.iter().map(|(_, s)| s.clone()).collect();
                order.insert(slot, id.clone());
                let keys = fractional_index::keys_between(None, None, order.len())
                    .map_err(|e| ValidationError::Invalid(e.to_string()))?;
                for (sid, z) in order.iter().zip(keys) {
                    if let Some(m) = self.layer_map(sid) {
                        m.insert(self.txn, key::Z, z);
                    }
                }
            }
        }
        Ok(())
    }

    /// The text layer `id` (unlocked), its `Y.Text`, and the end of the UTF-16 range
    /// `start..start + len`, which must lie in the text and not split a character.
    fn text_range(
        &self,
        id: &LayerId,
        property: &'static str,
        start: u32,
        len: u32,
    ) -> Result<(TextContent, yrs::TextRef, u32), CommandError> {
        let (layer, map) = self.layer(id)?;
        let LayerContent::Text(content) = layer.content else {
            return Err(CommandError::WrongKind { id: id.to_string(), kind: layer.content.kind(), property });
        };
        if layer.locked {
            return Err(CommandError::Locked { id: id.to_string() });
        }
        let units: Vec<u16> = content.text.encode_utf16().collect();
        let text_len = u32::try_from(units.len()).unwrap_or(u32::MAX);
        let end = start.saturating_add(len);
        let splits = |i: u32| units.get(i as usize).is_some_and(|u| (0xDC00..=0xDFFF).contains(u));
        if end > text_len || splits(start) || splits(end) {
            return Err(CommandError::TextRange { id: id.to_string(), start, end, len: text_len });
        }
        let Some(Out::YText(text)) = map.get(&*self.txn, key::TEXT) else {
            return Err(CommandError::WrongKind { id: id.to_string(), kind: "text", property });
        };
        Ok((content, text, end))
    }

    /// Replaces a range of a text. The inserted text takes the formatting of the first character
    /// it replaces, else of the character before it, else (at the very start) of the one after
    /// it: typing inside or at the end of a bold word stays bold.
    fn edit_text(&mut self, id: &LayerId, start: u32, delete: u32, insert: &str) -> Result<(), CommandError> {
        let (content, text, end) = self.text_range(id, "text", start, delete)?;
        let units: Vec<u16> = content.text.encode_utf16().collect();
        let removed = String::from_utf16_lossy(&units[start as usize..end as usize]).chars().count();
        let new_len = content.text.chars().count() - removed + insert.chars().count();
        crate::design::check_len(
            &format!("layer {:?} text", id.as_str()),
            new_len,
            limits::MAX_TEXT_CHARS,
            "characters",
        )?;
        let (_, index) = schema::read_text(&*self.txn, &text);
        let inherit_from = if delete > 0 {
            Some(start)
        } else if start > 0 {
            Some(start - 1)
        } else if !units.is_empty() {
            Some(0)
        } else {
            None
        };
        let attrs = inherit_from.map(|at| index.attrs_at(at)).unwrap_or_default();
        let (y, y_len) = index.y_range(start, end);
        if y_len > 0 {
            text.remove_range(self.txn, y, y_len);
        }
        if !insert.is_empty() {
            text.insert_with_attributes(self.txn, y, insert, attrs);
        }
        Ok(())
    }

    /// Sets (or, with `Any::Null`, removes) formatting attributes on a range of a text.
    fn format_text(
        &mut self,
        id: &LayerId,
        start: u32,
        len: u32,
        values: Vec<(TextStyleField, Any)>,
    ) -> Result<(), CommandError> {
        let (_, text, end) = self.text_range(id, "text format", start, len)?;
        let (_, index) = schema::read_text(&*self.txn, &text);
        let (y, y_len) = index.y_range(start, end);
        if y_len == 0 {
            return Ok(());
        }
        // One attribute per call, in a fixed order, so the same command writes the same items.
        for (field, value) in values {
            text.format(self.txn, y, y_len, Attrs::from([(schema::style_key(field).into(), value)]));
        }
        Ok(())
    }

    fn apply_brand_kit(&mut self, kit: &BrandKit) -> Result<(), CommandError> {
        let design = self.design();
        let background = kit.color("background");
        if let Some(bg) = background {
            self.design_map.insert(self.txn, key::BACKGROUND, any_of(&Paint::solid(bg)));
        }
        let bg = background.or(match &design.background {
            Paint::Solid { color } => Some(*color),
            _ => None,
        });
        let text_color = kit.color("text");
        let readable = |c: Color| bg.is_none_or(|bg| c.contrast_ratio(bg) >= 4.5);
        let heading_color = kit.color("primary").filter(|c| readable(*c)).or(text_color);
        let accent = kit.color("accent").or(kit.color("primary"));
        for layer in design.layers.iter().filter(|l| !l.locked) {
            let Some(map) = self.layer_map(&layer.id) else { continue };
            match (&layer.content, layer.role) {
                (LayerContent::Text(_), role) => {
                    let heading = matches!(role, Role::Headline | Role::BrandName | Role::Offer);
                    let font = kit.font(if heading { "heading" } else { "body" });
                    if let Some(font) = font {
                        map.insert(self.txn, key::FONT_FAMILY, truncate_chars(&font.family, limits::MAX_FAMILY_CHARS));
                        map.insert(self.txn, key::FONT_WEIGHT, f64::from(font.weight.clamp(1, 1000)));
                    }
                    let color = match role {
                        Role::Cta => accent.map(|a| {
                            best_contrast(a, &[text_color.unwrap_or(Color::BLACK), Color::WHITE, Color::BLACK])
                        }),
                        _ if heading => heading_color,
                        _ => text_color,
                    };
                    if let Some(color) = color {
                        map.insert(self.txn, key::COLOR, color.to_hex());
                    }
                }
                (LayerContent::Shape(_), Role::Cta) => {
                    if let Some(accent) = accent {
                        map.insert(self.txn, key::FILL, any_of(&Paint::solid(accent)));
                    }
                }
                (LayerContent::Image(_) | LayerContent::Svg(_), Role::Logo) => {
                    if let Some(logo) = kit.logos.first() {
                        map.insert(self.txn, key::ASSET, logo.as_str());
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn change_format(&mut self, format: &Format) -> Result<(), CommandError> {
        format.validate()?;
        let design = self.design();
        let sx = f64::from(format.width) / f64::from(design.format.width);
        let sy = f64::from(format.height) / f64::from(design.format.height);
        let s = sx.min(sy);
        let max = limits::MAX_COORD;
        for layer in &design.layers {
            let Some(map) = self.layer_map(&layer.id) else { continue };
            let (x, y, w, h) = if layer.role == Role::Background {
                (layer.x * sx, layer.y * sy, layer.w * sx, layer.h * sy)
            } else {
                let (cx, cy) = ((layer.x + layer.w / 2.0) * sx, (layer.y + layer.h / 2.0) * sy);
                let (w, h) = (layer.w * s, layer.h * s);
                (cx - w / 2.0, cy - h / 2.0, w, h)
            };
            map.insert(self.txn, key::X, x.clamp(-max, max));
            map.insert(self.txn, key::Y, y.clamp(-max, max));
            map.insert(self.txn, key::W, w.clamp(0.0, max));
            map.insert(self.txn, key::H, h.clamp(0.0, max));
            if let LayerContent::Text(t) = &layer.content {
                map.insert(self.txn, key::FONT_SIZE, (t.font_size * s).clamp(0.5, limits::MAX_FONT_SIZE));
                // Spans that set a size scale with the layer, so emphasis keeps its proportions.
                if t.spans.iter().any(|span| span.style.font_size.is_some())
                    && let Some(Out::YText(text)) = map.get(&*self.txn, key::TEXT)
                {
                    let scaled: Vec<TextSpan> = t
                        .spans
                        .iter()
                        .map(|span| {
                            let mut span = span.clone();
                            span.style.font_size =
                                span.style.font_size.map(|f| (f * s).clamp(0.5, limits::MAX_FONT_SIZE));
                            span
                        })
                        .collect();
                    let (_, index) = schema::read_text(&*self.txn, &text);
                    schema::write_spans(self.txn, &text, &index, &t.spans, &scaled);
                }
            }
        }
        self.design_map.insert(self.txn, key::FORMAT, any_of(format));
        Ok(())
    }
}

fn non_empty(s: &str) -> Option<&str> {
    if s.is_empty() { None } else { Some(s) }
}

fn truncate_chars(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn normalize_degrees(d: f64) -> f64 {
    let r = d % 360.0;
    if r > 180.0 {
        r - 360.0
    } else if r <= -180.0 {
        r + 360.0
    } else {
        r
    }
}

fn best_contrast(on: Color, candidates: &[Color]) -> Color {
    candidates
        .iter()
        .copied()
        .max_by(|a, b| a.contrast_ratio(on).total_cmp(&b.contrast_ratio(on)))
        .unwrap_or(Color::BLACK)
}

/// Applies `patch` to the typed `layer`, returning the document writes it implies.
fn apply_patch(layer: &mut Layer, patch: &LayerPatch) -> Result<Vec<(&'static str, Any)>, CommandError> {
    let mut writes: Vec<(&'static str, Any)> = Vec::new();
    let id = layer.id.to_string();
    let kind = layer.content.kind();
    let wrong = |property: &'static str| CommandError::WrongKind { id: id.clone(), kind, property };
    macro_rules! common {
        ($field:ident, $key:expr, $conv:expr) => {
            if let Some(v) = &patch.$field {
                layer.$field = v.clone();
                writes.push(($key, $conv(v)));
            }
        };
    }
    common!(name, key::NAME, |v: &String| Any::from(v.as_str()));
    if let Some(role) = patch.role {
        layer.role = role;
        writes.push((key::ROLE, Any::from(role.as_str())));
    }
    common!(x, key::X, |v: &f64| Any::from(*v));
    common!(y, key::Y, |v: &f64| Any::from(*v));
    common!(w, key::W, |v: &f64| Any::from(*v));
    common!(h, key::H, |v: &f64| Any::from(*v));
    common!(rotation, key::ROT, |v: &f64| Any::from(*v));
    common!(opacity, key::OPACITY, |v: &f64| Any::from(*v));
    common!(hidden, key::HIDDEN, |v: &bool| Any::from(*v));
    common!(locked, key::LOCKED, |v: &bool| Any::from(*v));

    let text_props = patch.text.is_some()
        || patch.font_family.is_some()
        || patch.font_weight.is_some()
        || patch.italic.is_some()
        || patch.font_size.is_some()
        || patch.color.is_some()
        || patch.align.is_some()
        || patch.line_height.is_some()
        || patch.letter_spacing.is_some()
        || patch.vertical_align.is_some()
        || patch.auto_fit.is_some()
        || patch.spans.is_some();
    if text_props {
        let LayerContent::Text(t) = &mut layer.content else { return Err(wrong("text style")) };
        if let Some(v) = &patch.text {
            t.text = v.clone();
            // Old spans' offsets mean nothing in a new text: it is unformatted unless the patch
            // gives spans too.
            t.spans.clear();
            writes.push((key::TEXT, Any::Null));
        }
        if let Some(v) = &patch.spans {
            t.spans = v.clone();
            writes.push((SPANS_WRITE, Any::Null));
        }
        if let Some(v) = &patch.font_family {
            t.font_family = v.clone();
            writes.push((key::FONT_FAMILY, Any::from(v.as_str())));
        }
        if let Some(v) = patch.font_weight {
            t.font_weight = v;
            writes.push((key::FONT_WEIGHT, Any::from(f64::from(v))));
        }
        if let Some(v) = patch.italic {
            t.italic = v;
            writes.push((key::ITALIC, Any::from(v)));
        }
        if let Some(v) = patch.font_size {
            t.font_size = v;
            writes.push((key::FONT_SIZE, Any::from(v)));
        }
        if let Some(v) = patch.color {
            t.color = v;
            writes.push((key::COLOR, Any::from(v.to_hex())));
        }
        if let Some(v) = patch.align {
            t.align = v;
            writes.push((key::ALIGN, Any::from(v.as_str())));
        }
        if let Some(v) = patch.line_height {
            t.line_height = v;
            writes.push((key::LINE_HEIGHT, Any::from(v)));
        }
        if let Some(v) = patch.letter_spacing {
            t.letter_spacing = v;
            writes.push((key::LETTER_SPACING, Any::from(v)));
        }
        if let Some(v) = patch.vertical_align {
            t.vertical_align = v;
            writes.push((key::VALIGN, Any::from(v.as_str())));
        }
        if let Some(v) = patch.auto_fit {
            t.auto_fit = v;
            writes.push((key::AUTO_FIT, Any::from(v)));
        }
    }
    if let Some(asset) = &patch.asset {
        match &mut layer.content {
            LayerContent::Image(img) => img.asset = asset.clone(),
            LayerContent::Svg(svg) => svg.asset = asset.clone(),
            _ => return Err(wrong("asset")),
        }
        writes.push((key::ASSET, Any::from(asset.as_str())));
    }
    if patch.crop.is_some() || patch.fit.is_some() || patch.filters.is_some() {
        let LayerContent::Image(img) = &mut layer.content else { return Err(wrong("image settings")) };
        if let Some(crop) = &patch.crop {
            img.crop = *crop;
            writes.push((key::CROP, crop.as_ref().map(any_of).unwrap_or(Any::Null)));
        }
        if let Some(fit) = patch.fit {
            img.fit = fit;
            writes.push((key::FIT, Any::from(fit.as_str())));
        }
        if let Some(filters) = &patch.filters {
            img.filters = *filters;
            writes.push((key::FILTERS, any_of(filters)));
        }
    }
    if patch.shape.is_some() || patch.fill.is_some() || patch.stroke.is_some() {
        let LayerContent::Shape(s) = &mut layer.content else { return Err(wrong("shape settings")) };
        if let Some(shape) = &patch.shape {
            s.shape = shape.clone();
            writes.push((key::SHAPE, any_of(shape)));
        }
        if let Some(fill) = &patch.fill {
            s.fill = fill.clone();
            writes.push((key::FILL, fill.as_ref().map(any_of).unwrap_or(Any::Null)));
        }
        if let Some(stroke) = &patch.stroke {
            s.stroke = stroke.clone();
            writes.push((key::STROKE, stroke.as_ref().map(any_of).unwrap_or(Any::Null)));
        }
    }
    Ok(writes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{FormatPreset, Rect};

    fn id(s: &str) -> LayerId {
        LayerId::parse(s).unwrap()
    }

    fn sample() -> Design {
        let mut d = Design::new("Launch", FormatPreset::InstagramPost.format());
        let mut headline = Layer::text(id("headline"), "Big sale", Rect::new(100.0, 100.0, 800.0, 200.0));
        headline.role = Role::Headline;
        d.layers.push(headline);
        d.layers.push(Layer::rect(id("box"), Rect::new(0.0, 0.0, 50.0, 50.0), Color::rgb(255, 0, 0)));
        d.assign_missing_z();
        d.normalize();
        d
    }

    #[test]
    fn design_round_trips_through_the_document() {
        let design = sample();
        let doc = Document::from_design(&design).unwrap();
        assert_eq!(doc.design(), design);
        let copy = Document::load(None, Some(&doc.encode_state_v2()), &[]).unwrap();
        assert_eq!(copy.design(), design);
    }

    #[test]
    fn set_layer_changes_only_that_property_and_undo_reverts_it() {
        let mut doc = Document::from_design(&sample()).unwrap();
        let change = doc.apply(Command::SetLayer { id: id("box"), patch: LayerPatch::position(5.0, 6.0) }).unwrap();
        assert!(!change.update.is_empty());
        let layer = doc.layer(&id("box")).unwrap();
        assert_eq!((layer.x, layer.y), (5.0, 6.0));
        assert!(doc.undo().is_some());
        let layer = doc.layer(&id("box")).unwrap();
        assert_eq!((layer.x, layer.y), (0.0, 0.0));
        assert!(doc.redo().is_some());
        assert_eq!(doc.layer(&id("box")).unwrap().x, 5.0);
    }

    #[test]
    fn bad_commands_are_refused_without_changes() {
        let mut doc = Document::from_design(&sample()).unwrap();
        let before = doc.encode_state_v1();
        let bad = [
            Command::SetLayer { id: id("box"), patch: LayerPatch { w: Some(-1.0), ..Default::default() } },
            Command::SetLayer { id: id("box"), patch: LayerPatch { x: Some(f64::NAN), ..Default::default() } },
            Command::SetLayer { id: id("box"), patch: LayerPatch { font_size: Some(10.0), ..Default::default() } },
            Command::SetLayer { id: id("nope"), patch: LayerPatch::position(1.0, 1.0) },
            Command::EditText { id: id("headline"), start: 7, delete: 5, insert: String::new() },
            Command::AddLayer { layer: Layer::rect(id("box"), Rect::new(0.0, 0.0, 1.0, 1.0), Color::BLACK) },
            Command::Ungroup { id: id("box") },
            Command::EditText { id: id("headline"), start: 0, delete: 0, insert: "x".repeat(limits::MAX_TEXT_CHARS) },
        ];
        for command in bad {
            assert!(doc.apply(command.clone()).is_err(), "{command:?} should fail");
        }
        assert_eq!(doc.encode_state_v1(), before);
    }

    #[test]
    fn text_edits_use_utf16_offsets() {
        let mut doc = Document::from_design(&sample()).unwrap();
        doc.apply(Command::SetLayer {
            id: id("headline"),
            patch: LayerPatch { text: Some("a😀b".into()), ..Default::default() },
        })
        .unwrap();
        // 😀 is two UTF-16 units: offset 3 is just after it.
        doc.apply(Command::EditText { id: id("headline"), start: 3, delete: 1, insert: "é!".into() }).unwrap();
        let LayerContent::Text(t) = doc.layer(&id("headline")).unwrap().content else { panic!() };
        assert_eq!(t.text, "a😀é!");
        let split = doc.apply(Command::EditText { id: id("headline"), start: 2, delete: 0, insert: "x".into() });
        assert!(matches!(split, Err(CommandError::TextRange { .. })));
    }

    #[test]
    fn group_ungroup_and_reorder() {
        let mut doc = Document::from_design(&sample()).unwrap();
        let ids: Vec<LayerId> = doc.design().layers.iter().map(|l| l.id.clone()).collect();
        assert_eq!(ids, vec![id("headline"), id("box")]);
        doc.apply(Command::Reorder { id: id("box"), to: ZOrder::Back }).unwrap();
        let ids: Vec<LayerId> = doc.design().layers.iter().map(|l| l.id.clone()).collect();
        assert_eq!(ids, vec![id("box"), id("headline")]);
        doc.apply(Command::Group { ids: vec![id("box"), id("headline")], group_id: id("g") }).unwrap();
        let d = doc.design();
        assert_eq!(d.layers.len(), 3);
        assert_eq!(d.layers[0].id, id("g"));
        assert_eq!(d.layer(&id("g")).unwrap().bounds(), Rect::new(0.0, 0.0, 900.0, 300.0));
        doc.apply(Command::SetLayer { id: id("g"), patch: LayerPatch { rotation: Some(90.0), ..Default::default() } })
            .unwrap();
        doc.apply(Command::Ungroup { id: id("g") }).unwrap();
        let d = doc.design();
        d.validate().unwrap();
        assert_eq!(d.layers.len(), 2);
        assert!(d.layers.iter().all(|l| l.parent.is_none() && l.rotation == 90.0));
        assert_eq!(d.layers.iter().map(|l| l.id.clone()).collect::<Vec<_>>(), vec![id("box"), id("headline")]);
    }

    #[test]
    fn duplicate_places_copy_above_original() {
        let mut doc = Document::from_design(&sample()).unwrap();
        let change = doc.apply(Command::DuplicateLayers { ids: vec![id("headline")], dx: 10.0, dy: 10.0 }).unwrap();
        assert_eq!(change.created.len(), 1);
        let d = doc.design();
        let order: Vec<&LayerId> = d.layers.iter().map(|l| &l.id).collect();
        assert_eq!(order, vec![&id("headline"), &change.created[0], &id("box")]);
        assert_eq!(d.layer(&change.created[0]).unwrap().x, 110.0);
    }

    #[test]
    fn brand_kit_and_format_change() {
        let mut doc = Document::from_design(&sample()).unwrap();
        let kit = BrandKit {
            name: "Acme".into(),
            colors: vec![
                crate::BrandColor { name: "Navy".into(), color: Color::rgb(10, 20, 80), usage: "primary".into() },
                crate::BrandColor {
                    name: "Cream".into(),
                    color: Color::rgb(250, 245, 230),
                    usage: "background".into(),
                },
            ],
            fonts: vec![crate::BrandFont { family: "Playfair Display".into(), weight: 700, usage: "heading".into() }],
            logos: vec![],
        };
        doc.apply(Command::ApplyBrandKit { kit }).unwrap();
        let d = doc.design();
        assert_eq!(d.background, Paint::solid(Color::rgb(250, 245, 230)));
        let LayerContent::Text(t) = &d.layer(&id("headline")).unwrap().content else { panic!() };
        assert_eq!((t.font_family.as_str(), t.font_weight, t.color), ("Playfair Display", 700, Color::rgb(10, 20, 80)));
        doc.apply(Command::ChangeFormat { format: FormatPreset::InstagramStory.format() }).unwrap();
        let d = doc.design();
        assert_eq!((d.format.width, d.format.height), (1080, 1920));
        let h = d.layer(&id("headline")).unwrap();
        assert_eq!(h.w, 800.0);
        assert!((h.y + h.h / 2.0 - 200.0 * 1920.0 / 1080.0).abs() < 1e-9);
    }

    #[test]
    fn merge_reports_overridden_local_edits() {
        let design = sample();
        let base = Document::from_design_with_client_id(&design, 1).unwrap();
        let state = base.encode_state_v1();
        // Higher client id wins concurrent map writes in Yjs: make the remote win.
        let mut mine = Document::load(Some(5), None, std::slice::from_ref(&state)).unwrap();
        let mut theirs = Document::load(Some(9), None, std::slice::from_ref(&state)).unwrap();
        mine.apply(Command::SetLayer { id: id("box"), patch: LayerPatch::position(1.0, 1.0) }).unwrap();
        let remote = theirs.apply(Command::SetLayer { id: id("box"), patch: LayerPatch::position(2.0, 2.0) }).unwrap();
        let report = mine.apply_remote_update(&remote.update).unwrap();
        let props: Vec<&str> = report.overrides.iter().map(|o| o.property.as_str()).collect();
        assert_eq!(report.overrides.len(), 2, "{report:?}");
        assert!(props.contains(&"x") && props.contains(&"y"));
        assert_eq!(report.overrides[0].kind, OverrideKind::ValueReplaced);
        assert_eq!(mine.layer(&id("box")).unwrap().x, theirs.layer(&id("box")).unwrap().x);
        // Once acknowledged, later merges report nothing for the old edit.
        mine.acknowledge_all();
        let remote = theirs.apply(Command::RemoveLayers { ids: vec![id("box")] }).unwrap();
        assert!(mine.apply_remote_update(&remote.update).unwrap().is_empty());
    }
}
