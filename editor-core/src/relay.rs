//! [`Room`]: the server side of the y-websocket protocol for one document, transport-agnostic.
//!
//! The server keeps one room per loaded document. It feeds the room every frame a peer sends
//! ([`Room::receive`]) and does what the returned [`Outcome`] says; the room never touches a
//! socket, a clock or the disk, so the fuzz target and unit tests drive it directly.
//!
//! - Sync step 1 from a peer is answered at once with step 2 (what the peer lacks).
//! - Updates (and step 2, a peer's answer to our step 1) are merged into the room's document and
//!   handed back as an [`Accepted`] update. The transport appends [`Accepted::update_v1`] to the
//!   document's log, commits, and only then echoes the frame to its sender (for an update
//!   message: the echo is the durable acknowledgement the sync client waits for) and sends it
//!   to every other peer. Duplicates need no log entry and are not re-broadcast, but are still
//!   echoed, since the sender waits for the acknowledgement.
//! - An update whose predecessors have not arrived is held back by the document (see
//!   [`Document::apply_remote_update`]): it is neither logged nor acknowledged yet, and the
//!   sender is asked to resync with our sync step 1. When the missing updates arrive, the held
//!   ones merge too and come back as further [`Accepted`] updates to log and relay. So the log
//!   only ever holds updates that merged whole, in the order they merged, and always replays.
//! - yrs may refuse an update after merging part of it (a transaction cannot roll back). The
//!   room then reports [`RelayError::Inconsistent`]: the transport must stop using the room's
//!   document, commit what it accepted so far, and reload the document from storage
//!   ([`Room::reload`]); none of the half-merged update was logged or relayed.
//! - Update frames from view-only peers are dropped and counted; everything else they may send.
//! - Awareness (presence) is relayed to every peer, its sender included: y-websocket clients
//!   reconnect when they hear nothing for 30 s, and their periodic awareness renewal coming back
//!   is what keeps an idle client connected. The room remembers the latest state of each client
//!   for peers that join later and announces a departed peer's clients as gone; none of it is
//!   stored.
//! - A frame that does not decode, or an update the document refuses, is an error: the
//!   transport closes that peer's connection with the error as the reason. Nothing a peer sends
//!   can panic the room.

use std::collections::{BTreeMap, HashMap};

use thiserror::Error;

use crate::document::{Document, DocumentError};
use crate::protocol::{self, AwarenessEntry, AwarenessUpdate, Message, ProtocolError};
use crate::{Command, CommandError, Design};

/// The transport's name for one connection.
pub type PeerId = u64;

/// What a peer may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read and write.
    Edit,
    /// Read only: its update frames are dropped.
    View,
}

/// Most presence states one peer may announce (a tab normally has one client id).
pub const MAX_CLIENTS_PER_PEER: usize = 8;

/// An update the room merged, to be logged, then echoed and broadcast.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The v1 update to append to the document's log.
    pub update_v1: Vec<u8>,
    /// The update message carrying it (`Message::Update`), to echo and broadcast.
    pub frame: Vec<u8>,
    /// Whether it holds anything new (false for duplicates and empty updates): log it and send
    /// it to the other peers only then.
    pub new: bool,
    /// Whether the sender waits for it back (update messages; a step 2 is not echoed).
    pub echo: bool,
}

/// What the transport must do after [`Room::receive`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Frames for the sender, to send now.
    pub reply: Vec<Vec<u8>>,
    /// An awareness frame for every peer, the sender included, to send now.
    pub awareness: Option<Vec<u8>>,
    /// Updates to commit before they are echoed and broadcast, in order: the frame's own
    /// update, then held-back updates it let through.
    pub updates: Vec<Accepted>,
    /// Whether an update frame from a view-only peer was dropped.
    pub dropped: bool,
}

/// Why a peer's frame was refused; the transport closes its connection with this reason.
#[derive(Debug, Error)]
pub enum RelayError {
    /// The frame does not decode or carries a payload yrs would refuse.
    #[error("malformed frame: {0}")]
    Protocol(#[from] ProtocolError),
    /// The document refused the update.
    #[error("refused update: {0}")]
    Document(#[from] DocumentError),
    /// The frame came from a peer that never joined (a transport bug).
    #[error("unknown peer {0}")]
    UnknownPeer(PeerId),
    /// The document refused an update half-way and must be reloaded from storage
    /// ([`Room::reload`]) before it serves anyone again.
    #[error("refused update: {0}")]
    Inconsistent(DocumentError),
}

struct PeerState {
    access: Access,
    /// Client ids this peer announced presence for.
    clients: Vec<u64>,
}

struct Presence {
    clock: u64,
    /// `None` once the client left (kept so a stale state with a lower clock cannot revive it).
    state: Option<String>,
    peer: PeerId,
}

/// One loaded document and the peers connected to it.
pub struct Room {
    doc: Document,
    peers: HashMap<PeerId, PeerState>,
    presence: BTreeMap<u64, Presence>,
}

impl std::fmt::Debug for Room {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Room").field("peers", &self.peers.len()).finish_non_exhaustive()
    }
}

impl Room {
    /// A room around a loaded document (see [`Document::load`]).
    pub fn new(doc: Document) -> Room {
        Room { doc, peers: HashMap::new(), presence: BTreeMap::new() }
    }

    /// The room's document.
    pub fn document(&self) -> &Document {
        &self.doc
    }

    /// How many peers are connected.
    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    /// The connected peers.
    pub fn peers(&self) -> impl Iterator<Item = PeerId> + '_ {
        self.peers.keys().copied()
    }

    /// Adds a peer; returns the frames to send it first: our sync step 1 (so it sends what we
    /// lack) and the presence of everyone already here.
    pub fn join(&mut self, peer: PeerId, access: Access) -> Vec<Vec<u8>> {
        self.peers.insert(peer, PeerState { access, clients: Vec::new() });
        let mut frames = vec![Message::SyncStep1(self.doc.state_vector_v1()).encode()];
        if let Some(states) = self.presence_frame() {
            frames.push(states);
        }
        frames
    }

    /// Removes a peer; returns an awareness frame announcing its clients as gone, for the
    /// peers that remain (if it had any presence).
    pub fn leave(&mut self, peer: PeerId) -> Option<Vec<u8>> {
        let state = self.peers.remove(&peer)?;
        let mut gone = Vec::new();
        for client in state.clients {
            if let Some(p) = self.presence.get_mut(&client).filter(|p| p.peer == peer) {
                p.clock = p.clock.saturating_add(1);
                if p.state.take().is_some() {
                    gone.push(AwarenessEntry { client_id: client, clock: p.clock, state: None });
                }
                self.presence.remove(&client);
            }
        }
        (!gone.is_empty()).then(|| Message::Awareness(AwarenessUpdate { entries: gone }).encode())
    }

    /// Takes one frame from `peer`.
    pub fn receive(&mut self, peer: PeerId, frame: &[u8]) -> Result<Outcome, RelayError> {
        let access = self.peers.get(&peer).ok_or(RelayError::UnknownPeer(peer))?.access;
        let message = protocol::decode_checked(frame)?;
        let mut out = Outcome::default();
        match message {
            Message::SyncStep1(state_vector) => {
                out.reply.push(Message::SyncStep2(self.doc.diff_v1(&state_vector)?).encode());
            }
            Message::SyncStep2(update) | Message::Update(update) if access == Access::View => {
                // A viewer's own step 2 is usually empty; only a real change counts as dropped.
                out.dropped = update.as_slice() != EMPTY_UPDATE;
            }
            Message::SyncStep2(update) => self.merge(update, false, &mut out)?,
            Message::Update(update) => self.merge(update, true, &mut out)?,
            Message::Awareness(awareness) => {
                if self.track_presence(peer, &awareness) {
                    out.awareness = Some(frame.to_vec());
                }
            }
            Message::QueryAwareness => out.reply.extend(self.presence_frame()),
            // Auth messages go from server to client; a client's is ignored.
            Message::Auth(_) => {}
        }
        Ok(out)
    }

    /// Swaps in a freshly loaded document (after [`RelayError::Inconsistent`]); peers and
    /// presence stay. Peers may hold updates the new document lacks: it asks them to resync.
    pub fn reload(&mut self, doc: Document) -> Vec<Vec<u8>> {
        self.doc = doc;
        vec![Message::SyncStep1(self.doc.state_vector_v1()).encode()]
    }

    /// Makes the document equal to `design` as one edit of the room's own (restoring a
    /// version). The result is logged and sent to every peer like a peer's update.
    pub fn replace_design(&mut self, design: Design) -> Result<Accepted, CommandError> {
        let change = self.doc.apply(Command::ReplaceDesign { design: Box::new(design) })?;
        // Nothing to undo on the server; keep the undo stack from growing.
        self.doc.acknowledge_all();
        let frame = Message::Update(change.update.clone()).encode();
        Ok(Accepted { new: change.update.as_slice() != EMPTY_UPDATE, update_v1: change.update, frame, echo: false })
    }

    fn merge(&mut self, update: Vec<u8>, echo: bool, out: &mut Outcome) -> Result<(), RelayError> {
        let report = match self.doc.apply_remote_update(&update) {
            Ok(report) => report,
            Err(e @ DocumentError::Inconsistent { .. }) => return Err(RelayError::Inconsistent(e)),
            Err(e) => return Err(e.into()),
        };
        if report.held_back {
            // Something before this update is missing: ask the peer for everything we lack.
            // The update itself waits, unacknowledged, until it can merge.
            out.reply.push(Message::SyncStep1(self.doc.state_vector_v1()).encode());
            return Ok(());
        }
        if report.changed || echo {
            let frame = Message::Update(update.clone()).encode();
            out.updates.push(Accepted { update_v1: update, frame, new: report.changed, echo });
        }
        for released in report.released {
            let frame = Message::Update(released.clone()).encode();
            out.updates.push(Accepted { update_v1: released, frame, new: true, echo: false });
        }
        Ok(())
    }

    /// Records presence entries; false when the frame must not be relayed (it speaks for
    /// clients another peer owns, or this peer announces too many).
    fn track_presence(&mut self, peer: PeerId, awareness: &AwarenessUpdate) -> bool {
        for entry in &awareness.entries {
            if self.presence.get(&entry.client_id).is_some_and(|p| p.peer != peer) {
                return false;
            }
        }
        let Some(state) = self.peers.get_mut(&peer) else { return false };
        let new_clients = awareness.entries.iter().filter(|e| !state.clients.contains(&e.client_id)).count();
        if state.clients.len() + new_clients > MAX_CLIENTS_PER_PEER {
            return false;
        }
        for entry in &awareness.entries {
            if !state.clients.contains(&entry.client_id) {
                state.clients.push(entry.client_id);
            }
            let presence = self.presence.entry(entry.client_id).or_insert(Presence { clock: 0, state: None, peer });
            if entry.clock >= presence.clock {
                presence.clock = entry.clock;
                presence.state.clone_from(&entry.state);
            }
        }
        true
    }

    /// Every live presence state as one awareness frame.
    fn presence_frame(&self) -> Option<Vec<u8>> {
        let entries: Vec<AwarenessEntry> = self
            .presence
            .iter()
            .filter_map(|(&client_id, p)| {
                p.state.as_ref().map(|s| AwarenessEntry { client_id, clock: p.clock, state: Some(s.clone()) })
            })
            .collect();
        (!entries.is_empty()).then(|| Message::Awareness(AwarenessUpdate { entries }).encode())
    }
}

/// A v1 update with no structs and no deletions.
const EMPTY_UPDATE: &[u8] = &[0, 0];

#[cfg(test)]
mod tests {

    use super::*;
    use crate::{Color, FormatPreset, Layer, LayerId, Rect};

    fn design() -> Design {
        let mut design = Design::new("t", FormatPreset::InstagramPost.format());
        design.layers.push(Layer::rect(LayerId::parse("box").unwrap(), Rect::new(0.0, 0.0, 10.0, 10.0), Color::BLACK));
        design.assign_missing_z();
        design.normalize();
        design
    }

    fn update_of(frame: &[u8]) -> Vec<u8> {
        match Message::decode(frame).unwrap() {
            Message::Update(u) | Message::SyncStep2(u) => u,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn updates_are_accepted_echoed_and_dropped_for_viewers() {
        let mut room = Room::new(Document::new());
        let first = room.join(1, Access::Edit);
        assert!(matches!(Message::decode(&first[0]).unwrap(), Message::SyncStep1(_)));
        room.join(2, Access::View);
        let source = Document::from_design(&design()).unwrap();
        let frame = Message::Update(source.encode_state_v1()).encode();
        let out = room.receive(1, &frame).unwrap();
        let accepted = out.updates.into_iter().next().unwrap();
        assert!(accepted.new && accepted.echo);
        assert_eq!(accepted.frame, frame);
        assert_eq!(room.document().design(), source.design());
        // The same update again: echoed (acknowledged) but nothing new to log or broadcast.
        let again = room.receive(1, &frame).unwrap().updates.into_iter().next().unwrap();
        assert!(!again.new && again.echo);
        // A viewer's update is dropped.
        let mut other = Document::from_design(&design()).unwrap();
        let change = other.apply(Command::RemoveLayers { ids: vec![LayerId::parse("box").unwrap()] }).unwrap();
        let out = room.receive(2, &Message::Update(change.update).encode()).unwrap();
        assert!(out.dropped && out.updates.is_empty());
        // Sync step 1 from a viewer is answered with what it lacks.
        let out = room.receive(2, &Message::SyncStep1(Document::new().state_vector_v1()).encode()).unwrap();
        let mut fresh = Document::new();
        fresh.apply_remote_update(&update_of(&out.reply[0])).unwrap();
        assert_eq!(fresh.design(), source.design());
    }

    #[test]
    fn out_of_order_updates_ask_for_a_resync() {
        let mut author = Document::from_design(&design()).unwrap();
        let base = author.encode_state_v1();
        let later = author
            .apply(Command::SetLayer {
                id: LayerId::parse("box").unwrap(),
                patch: crate::LayerPatch { opacity: Some(0.5), ..Default::default() },
            })
            .unwrap()
            .update;
        let mut room = Room::new(Document::new());
        room.join(1, Access::Edit);
        let out = room.receive(1, &Message::Update(later.clone()).encode()).unwrap();
        assert!(out.updates.is_empty(), "held back: neither logged nor acknowledged yet");
        assert!(matches!(Message::decode(&out.reply[0]).unwrap(), Message::SyncStep1(_)));
        let out = room.receive(1, &Message::SyncStep2(base.clone()).encode()).unwrap();
        assert_eq!(room.document().design(), author.design());
        // The step 2 and the update it let through are both to be logged, in merge order.
        let logged: Vec<&[u8]> = out.updates.iter().map(|a| a.update_v1.as_slice()).collect();
        assert_eq!(logged, [base.as_slice(), later.as_slice()]);
        assert!(out.updates.iter().all(|a| a.new && !a.echo));
        let replayed = Document::load(None, None, &[base, later]).unwrap();
        assert_eq!(replayed.design(), author.design());
    }

    /// Found by the `relay_room` fuzz target: yrs merges client 9's block, then refuses client
    /// 5's (its parent is a string, not a type) and cannot roll back.
    #[test]
    fn a_half_merged_update_is_reported_and_the_room_reloads() {
        use yrs::{ClientID, Doc, Map, MapPrelim, Options, ReadTxn, StateVector, Transact};
        fn doc(client: u64) -> Doc {
            let mut options = Options::with_client_id(ClientID::new(client));
            options.skip_gc = true;
            Doc::with_options(options)
        }
        // Client 5 writes design.name = "x": item (5,0) holds a string.
        let x = doc(5);
        x.get_or_insert_map("design").insert(&mut x.transact_mut(), "name", "x");
        let u0 = x.transact().encode_state_as_update_v1(&StateVector::default());
        // Client 5 again at clock 1, an entry whose parent is (5,0) (a map where it was made).
        let y = doc(5);
        let nested = y.get_or_insert_map("layers").insert(&mut y.transact_mut(), "L", MapPrelim::default());
        let sv = y.transact().state_vector();
        nested.insert(&mut y.transact_mut(), "k", 1);
        let u1 = y.transact().encode_state_as_update_v1(&sv);
        // Client 9 renames the design; merged with the above into one update.
        let z = doc(9);
        z.get_or_insert_map("design").insert(&mut z.transact_mut(), "name", "from client 9");
        let u2 = z.transact().encode_state_as_update_v1(&StateVector::default());
        let combined = yrs::merge_updates_v1([u1.as_slice(), u2.as_slice()]).unwrap();

        let mut room = Room::new(Document::with_client_id(7));
        room.join(1, Access::Edit);
        let logged = room.receive(1, &Message::Update(u0.clone()).encode()).unwrap().updates;
        assert_eq!(logged.len(), 1);
        let err = room.receive(1, &Message::Update(combined).encode()).unwrap_err();
        assert!(matches!(err, RelayError::Inconsistent(_)), "{err}");
        // The transport reloads what it logged; the room serves that again.
        let reloaded = Document::load(None, None, &[logged[0].update_v1.clone()]).unwrap();
        let frames = room.reload(reloaded);
        assert!(matches!(Message::decode(&frames[0]).unwrap(), Message::SyncStep1(_)));
        assert_eq!(room.document().to_json()["design"]["name"], "x");
    }

    #[test]
    fn malformed_frames_are_errors() {
        let mut room = Room::new(Document::new());
        room.join(1, Access::Edit);
        for frame in [&[][..], &[0, 2, 5, 1][..], &[9][..], &[0, 0, 200][..]] {
            assert!(room.receive(1, frame).is_err(), "{frame:?}");
        }
        assert!(matches!(room.receive(7, &[3]), Err(RelayError::UnknownPeer(7))));
    }

    #[test]
    fn presence_is_relayed_remembered_and_cleared() {
        let mut room = Room::new(Document::new());
        room.join(1, Access::Edit);
        let hello = Message::Awareness(AwarenessUpdate {
            entries: vec![AwarenessEntry { client_id: 42, clock: 1, state: Some("{\"name\":\"Ana\"}".into()) }],
        })
        .encode();
        assert_eq!(room.receive(1, &hello).unwrap().awareness.unwrap(), hello);
        // Another peer may not speak for client 42.
        room.join(2, Access::View);
        assert!(room.receive(2, &hello).unwrap().awareness.is_none());
        // A late joiner hears about Ana.
        let frames = room.join(3, Access::Edit);
        assert_eq!(frames.len(), 2);
        let gone = room.leave(1).unwrap();
        let Message::Awareness(update) = Message::decode(&gone).unwrap() else { panic!() };
        assert_eq!(update.entries[0].state, None);
        assert_eq!(update.entries[0].clock, 2);
        assert_eq!(room.receive(3, &[3]).unwrap().reply.len(), 0, "nobody left to announce");
    }

    #[test]
    fn restoring_a_design_is_an_edit() {
        let mut room = Room::new(Document::from_design(&design()).unwrap());
        room.join(1, Access::Edit);
        let mut target = design();
        target.layers.clear();
        let accepted = room.replace_design(target.clone()).unwrap();
        assert!(accepted.new && !accepted.echo);
        assert_eq!(room.document().design().layers.len(), 0);
        let mut replica = Document::new();
        replica.apply_remote_update(&room.document().encode_state_v1()).unwrap();
        assert_eq!(replica.design(), room.document().design());
    }
}
