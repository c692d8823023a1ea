//! [`SyncClient`]: the transport-agnostic y-websocket state machine.
//!
//! It owns a [`Document`] and an outbox of local updates the server has not acknowledged. The
//! app feeds it what arrives ([`SyncClient::receive`]) and sends what it hands out
//! ([`SyncClient::take_outgoing`]); it never touches a socket, a clock or the disk.
//!
//! The exchange follows y-websocket: on connect the client sends sync step 1 (its state
//! vector), replays its outbox as update messages and announces its presence; the server
//! answers step 1 with step 2 (what the client lacks) and sends its own step 1, which the client
//! answers with step 2. Afterwards each local change travels as one update message.
//!
//! An outbox entry is acknowledged when the server echoes its exact bytes (our relay commits an
//! update before echoing it), or when the server's state vector (its sync step 1) shows that it
//! holds the entry's insertions. State vectors say nothing of deletions, but a peer never holds
//! an update's insertions without its deletions (yrs applies an update whole, and a sync step 2
//! carries the sender's entire delete set), and the outbox is replayed in order on one
//! connection; so every entry up to the last one whose insertions the server holds is
//! acknowledged, and trailing delete-only entries wait for their echo. Acknowledged ids are
//! reported as [`SyncEvent::Acknowledged`] so the app can drop them from its store.

use std::collections::{BTreeMap, VecDeque};

use thiserror::Error;
use yrs::updates::decoder::Decode;
use yrs::{ClientID, StateVector};

use crate::command::Command;
use crate::document::{CommandError, Document, DocumentError, LocalChange, MergeReport};
use crate::protocol::{self, AuthMessage, AwarenessEntry, AwarenessUpdate, Message, ProtocolError};

/// Where the connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionState {
    /// No transport; local edits queue in the outbox.
    Offline,
    /// Connected, waiting for the server's sync step 2.
    Syncing,
    /// Connected and caught up; updates flow both ways.
    Synced,
}

/// Something the app should react to.
#[derive(Clone, Debug, PartialEq)]
pub enum SyncEvent {
    /// The server's state has been merged: the document is up to date.
    Synced,
    /// Remote changes were merged into the document; re-render.
    RemoteChange,
    /// Some of this user's unacknowledged edits lost to concurrent ones: tell the user.
    Overridden(MergeReport),
    /// The server holds these outbox entries durably; delete them from the local store.
    Acknowledged(Vec<u64>),
    /// An update arrived before one it depends on; a resync was requested.
    ResyncRequested,
    /// Collaborators' presence changed.
    PresenceChanged,
    /// The server refused access (e.g. a Viewer sent an edit).
    PermissionDenied(String),
}

/// Why a frame was rejected. The transport should be closed with this reason.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The frame is not a valid y-websocket message.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// The message carried an update or state vector that could not be merged.
    #[error(transparent)]
    Document(#[from] DocumentError),
}

#[derive(Clone, Debug)]
struct Pending {
    id: u64,
    update: Vec<u8>,
    /// Our clock after this update's insertions (0 if it inserts nothing of ours).
    clock_end: u32,
}

/// A collaborator's presence as last announced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// Their document client id.
    pub client_id: u64,
    /// Their awareness state (JSON: name, colour, cursor, selection …).
    pub state: String,
}

/// Keeps one [`Document`] in step with a y-websocket server.
pub struct SyncClient {
    doc: Document,
    state: ConnectionState,
    outbox: VecDeque<Pending>,
    next_id: u64,
    outgoing: VecDeque<Vec<u8>>,
    /// Our presence as JSON, and its awareness clock.
    presence: Option<String>,
    presence_clock: u64,
    peers: BTreeMap<u64, (u64, String)>,
}

impl std::fmt::Debug for SyncClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncClient")
            .field("state", &self.state)
            .field("outbox", &self.outbox.len())
            .finish_non_exhaustive()
    }
}

impl SyncClient {
    /// A client for `doc`, offline, with an empty outbox.
    pub fn new(doc: Document) -> Self {
        Self {
            doc,
            state: ConnectionState::Offline,
            outbox: VecDeque::new(),
            next_id: 1,
            outgoing: VecDeque::new(),
            presence: None,
            presence_clock: 0,
            peers: BTreeMap::new(),
        }
    }

    /// The document.
    pub fn document(&self) -> &Document {
        &self.doc
    }

    /// Where the connection stands.
    pub fn state(&self) -> ConnectionState {
        self.state
    }

    /// Ids of the unacknowledged updates, oldest first.
    pub fn outbox_ids(&self) -> Vec<u64> {
        self.outbox.iter().map(|p| p.id).collect()
    }

    /// Re-queues updates that a previous session stored but the server never acknowledged
    /// (e.g. from `Store::outbox`). They are already part of the document.
    pub fn restore_outbox(&mut self, entries: impl IntoIterator<Item = (u64, Vec<u8>)>) {
        for (id, update) in entries {
            self.queue(id, update);
        }
    }

    /// Runs a command on the document and queues its update under a fresh id, sending it at
    /// once when connected. Returns the id with the change: persist `change.update` under it.
    pub fn apply(&mut self, command: Command) -> Result<(u64, LocalChange), CommandError> {
        let change = self.doc.apply(command)?;
        Ok((self.queue_local(&change), change))
    }

    /// Undoes this user's last command (see [`Document::undo`]) and queues the result.
    pub fn undo(&mut self) -> Option<(u64, LocalChange)> {
        let change = self.doc.undo()?;
        Some((self.queue_local(&change), change))
    }

    /// Redoes the last undone command and queues the result.
    pub fn redo(&mut self) -> Option<(u64, LocalChange)> {
        let change = self.doc.redo()?;
        Some((self.queue_local(&change), change))
    }

    fn queue_local(&mut self, change: &LocalChange) -> u64 {
        let id = self.next_id;
        if !change.update.is_empty() {
            self.queue(id, change.update.clone());
        }
        id
    }

    /// Queues an update under `id` (ids must grow) and sends it if connected.
    pub fn queue(&mut self, id: u64, update: Vec<u8>) {
        let client = self.client();
        let clock_end = match protocol::decode_update_v1(&update) {
            // `Update::state_vector` only counts updates that start at clock 0: read the ranges.
            Ok(u) => u
                .insertions(true)
                .iter()
                .filter(|(c, _)| **c == client)
                .flat_map(|(_, ranges)| ranges.iter().map(|r| r.end).collect::<Vec<u32>>())
                .max()
                .unwrap_or(0),
            Err(_) => return,
        };
        self.next_id = self.next_id.max(id + 1);
        if self.state != ConnectionState::Offline {
            self.outgoing.push_back(Message::Update(update.clone()).encode());
        }
        self.outbox.push_back(Pending { id, update, clock_end });
    }

    fn client(&self) -> ClientID {
        ClientID::new(u64::from(self.doc.client_id()))
    }

    /// The transport is open: sends sync step 1, replays the outbox, announces presence.
    pub fn connected(&mut self) {
        self.state = ConnectionState::Syncing;
        self.outgoing.clear();
        self.outgoing.push_back(Message::SyncStep1(self.doc.state_vector_v1()).encode());
        for pending in &self.outbox {
            self.outgoing.push_back(Message::Update(pending.update.clone()).encode());
        }
        if self.presence.is_some() {
            self.outgoing.push_back(self.awareness_frame());
        }
    }

    /// The transport closed: edits queue until [`SyncClient::connected`]; peers are forgotten.
    pub fn disconnected(&mut self) {
        self.state = ConnectionState::Offline;
        self.outgoing.clear();
        self.peers.clear();
    }

    /// Frames to send, in order.
    pub fn take_outgoing(&mut self) -> Vec<Vec<u8>> {
        self.outgoing.drain(..).collect()
    }

    /// Sets this user's presence (JSON object: name, colour, cursor, selection…), or `None`
    /// when leaving; sent now if connected.
    pub fn set_presence(&mut self, state_json: Option<String>) {
        self.presence = state_json;
        self.presence_clock += 1;
        if self.state != ConnectionState::Offline {
            self.outgoing.push_back(self.awareness_frame());
        }
    }

    /// Collaborators currently present, by client id.
    pub fn peers(&self) -> Vec<Peer> {
        self.peers.iter().map(|(id, (_, state))| Peer { client_id: *id, state: state.clone() }).collect()
    }

    fn awareness_frame(&self) -> Vec<u8> {
        Message::Awareness(AwarenessUpdate {
            entries: vec![AwarenessEntry {
                client_id: u64::from(self.doc.client_id()),
                clock: self.presence_clock,
                state: self.presence.clone(),
            }],
        })
        .encode()
    }

    /// Handles one frame from the server. An error means the frame was malformed: close the
    /// connection with the error's message; the document is unchanged.
    pub fn receive(&mut self, frame: &[u8]) -> Result<Vec<SyncEvent>, SyncError> {
        let message = protocol::decode_checked(frame)?;
        let mut events = Vec::new();
        match message {
            Message::SyncStep1(sv) => {
                let diff = self.doc.diff_v1(&sv)?;
                self.outgoing.push_back(Message::SyncStep2(diff).encode());
                if let Ok(sv) = StateVector::decode_v1(&sv) {
                    let held = sv.get(&self.client());
                    let last = self.outbox.iter().rposition(|p| p.clock_end > 0 && p.clock_end <= held);
                    if let Some(last) = last {
                        let through = self.outbox[last].id;
                        self.acknowledge(|p| p.id <= through, &mut events);
                    }
                }
            }
            Message::SyncStep2(update) => {
                self.merge(&update, &mut events)?;
                if self.state == ConnectionState::Syncing {
                    self.state = ConnectionState::Synced;
                    events.push(SyncEvent::Synced);
                }
            }
            Message::Update(update) => {
                self.acknowledge(|p| p.update == update, &mut events);
                self.merge(&update, &mut events)?;
            }
            Message::Awareness(update) => {
                let own = u64::from(self.doc.client_id());
                let mut changed = false;
                for entry in update.entries.into_iter().filter(|e| e.client_id != own) {
                    let newer = self.peers.get(&entry.client_id).is_none_or(|(clock, _)| entry.clock >= *clock);
                    if !newer {
                        continue;
                    }
                    changed = true;
                    match entry.state {
                        Some(state) => {
                            self.peers.insert(entry.client_id, (entry.clock, state));
                        }
                        None => {
                            self.peers.remove(&entry.client_id);
                        }
                    }
                }
                if changed {
                    events.push(SyncEvent::PresenceChanged);
                }
            }
            Message::QueryAwareness => {
                if self.presence.is_some() {
                    self.outgoing.push_back(self.awareness_frame());
                }
            }
            Message::Auth(AuthMessage::PermissionDenied { reason }) => {
                events.push(SyncEvent::PermissionDenied(reason));
            }
        }
        Ok(events)
    }

    fn merge(&mut self, update: &[u8], events: &mut Vec<SyncEvent>) -> Result<(), SyncError> {
        let report = self.doc.apply_remote_update(update)?;
        if report.changed {
            events.push(SyncEvent::RemoteChange);
        }
        if !report.is_empty() {
            events.push(SyncEvent::Overridden(report));
        }
        if self.doc.has_pending_updates() {
            self.outgoing.push_back(Message::SyncStep1(self.doc.state_vector_v1()).encode());
            events.push(SyncEvent::ResyncRequested);
        }
        Ok(())
    }

    fn acknowledge(&mut self, held: impl Fn(&Pending) -> bool, events: &mut Vec<SyncEvent>) {
        let acked: Vec<u64> = self.outbox.iter().filter(|p| held(p)).map(|p| p.id).collect();
        if acked.is_empty() {
            return;
        }
        self.outbox.retain(|p| !acked.contains(&p.id));
        if self.outbox.is_empty() {
            self.doc.acknowledge_all();
        }
        events.push(SyncEvent::Acknowledged(acked));
    }
}
