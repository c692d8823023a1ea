//! The relay's [`Room`] driven by a script of joins, leaves, design restores and raw frames from
//! peers: it never panics, answers and relays only what the frame asked for, never takes an
//! update from a viewer, and the updates it hands out to log reproduce its document.
//!
//! The input is a script:
//!
//! - byte 0: the room's document: `% 3` = 0 empty, 1 [`Document::from_design`] of a small
//!   design, 2 [`Document::load`] of that design's state (the server's path).
//! - byte 1: who is connected at the start: bit `i` joins peer `i + 1`, bit `i + 4` makes it a
//!   viewer (four peers).
//! - then at most [`MAX_OPS`] operations, one byte each, peer `(op >> 3) & 3` (+ 1):
//!   - `op & 7` in 0..=4: that peer sends a frame. Its length follows (one byte below 0x80, else
//!     15 bits in two bytes), then the frame's bytes (cut short where the input ends). A frame
//!     the room refuses closes the connection, as in the server: the peer leaves.
//!   - 5: the peer joins (bit 5: as a viewer) unless connected already.
//!   - 6: the peer leaves.
//!   - 7: the room restores one of two fixed designs (bit 5 picks which).
//!
//! Checked: sending from a peer that is not connected is `UnknownPeer`; an awareness broadcast
//! only for an awareness frame, and then that frame as is; an update to commit only for an update
//! or sync step 2 from an editor (an update message echoed as sent), `dropped` only for a
//! viewer's; step 1 answered with one step 2; and, with nothing held back, the room's initial
//! state plus every new [`Accepted`] update, in order, gives the room's design, both merged one by
//! one into a replica and replayed as the server does on load (snapshot + log).
#![no_main]

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::sync::OnceLock;

use editor_core::protocol::{Message, decode_checked};
use editor_core::relay::{Accepted, Access, PeerId, RelayError, Room};
use editor_core::{Color, Design, Document, FormatPreset, Layer, LayerId, Rect};
use libfuzzer_sys::fuzz_target;

/// Most operations one input runs.
const MAX_OPS: usize = 64;
/// The room's own client id (replace_design edits under it).
const ROOM_CLIENT: u32 = 7;

fn layer_id(id: &str) -> LayerId {
    LayerId::parse(id).unwrap_or_else(|_| LayerId::generate())
}

/// The small design a room may start from, and the first design `replace_design` restores.
fn design_a() -> &'static Design {
    static DESIGN: OnceLock<Design> = OnceLock::new();
    DESIGN.get_or_init(|| {
        let mut design = Design::new("Fuzz", FormatPreset::InstagramPost.format());
        design.layers.push(Layer::text(layer_id("title"), "Hello", Rect::new(10.0, 10.0, 300.0, 80.0)));
        design.layers.push(Layer::rect(layer_id("card"), Rect::new(0.0, 0.0, 500.0, 500.0), Color::WHITE));
        design.assign_missing_z();
        design.normalize();
        design
    })
}

/// The second design `replace_design` restores: one layer changed, one gone, one new.
fn design_b() -> &'static Design {
    static DESIGN: OnceLock<Design> = OnceLock::new();
    DESIGN.get_or_init(|| {
        let mut design = Design::new("Restored", FormatPreset::InstagramPost.format());
        design.layers.push(Layer::rect(layer_id("card"), Rect::new(20.0, 20.0, 400.0, 300.0), Color::BLACK));
        design.layers.push(Layer::text(layer_id("note"), "Sale ✨", Rect::new(40.0, 400.0, 200.0, 60.0)));
        design.assign_missing_z();
        design.normalize();
        design
    })
}

/// The v2 state of [`design_a`] as the server would keep it in a snapshot.
fn design_a_snapshot() -> &'static [u8] {
    static STATE: OnceLock<Vec<u8>> = OnceLock::new();
    STATE.get_or_init(|| {
        Document::from_design_with_client_id(design_a(), 1).map(|d| d.encode_state_v2()).unwrap_or_default()
    })
}

struct Script<'a> {
    data: &'a [u8],
}

impl<'a> Script<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.data.split_first()?;
        self.data = rest;
        Some(first)
    }

    fn frame(&mut self) -> &'a [u8] {
        let len = match self.byte() {
            None => 0,
            Some(b) if b < 0x80 => usize::from(b),
            Some(b) => (usize::from(b & 0x7f) << 8) | usize::from(self.byte().unwrap_or(0)),
        };
        let (frame, rest) = self.data.split_at(len.min(self.data.len()));
        self.data = rest;
        frame
    }
}

fn peer_of(op: u8) -> PeerId {
    PeerId::from((op >> 3) & 3) + 1
}

/// Checks what `join` returns: our step 1 with the room's state vector, then maybe presence.
fn check_join(room: &Room, frames: &[Vec<u8>]) {
    assert!(matches!(frames.len(), 1 | 2), "join sent {} frames", frames.len());
    match decode_checked(&frames[0]) {
        Ok(Message::SyncStep1(sv)) => assert_eq!(sv, room.document().state_vector_v1(), "stale step 1"),
        other => panic!("join's first frame is not step 1: {other:?}"),
    }
    if let Some(presence) = frames.get(1) {
        assert!(matches!(decode_checked(presence), Ok(Message::Awareness(_))), "join's presence frame");
    }
}

/// What one frame did: the updates to log, or that the room must be reloaded from the log.
enum Sent {
    Updates(Vec<Accepted>),
    Reload,
}

/// Runs one frame from `peer`.
fn send(room: &mut Room, peers: &mut BTreeMap<PeerId, Access>, peer: PeerId, frame: &[u8]) -> Sent {
    let result = room.receive(peer, frame);
    let Some(&access) = peers.get(&peer) else {
        assert!(matches!(result, Err(RelayError::UnknownPeer(p)) if p == peer), "unknown peer: {result:?}");
        return Sent::Updates(Vec::new());
    };
    let out = match result {
        Ok(out) => out,
        Err(RelayError::UnknownPeer(p)) => panic!("connected peer {p} reported unknown"),
        Err(e) => {
            // The transport closes the connection (and reloads a half-merged document).
            peers.remove(&peer);
            if let Some(gone) = room.leave(peer) {
                assert!(matches!(decode_checked(&gone), Ok(Message::Awareness(_))), "leave's frame");
            }
            return if matches!(e, RelayError::Inconsistent(_)) { Sent::Reload } else { Sent::Updates(Vec::new()) };
        }
    };
    let message = decode_checked(frame);
    let Ok(message) = message else { panic!("room accepted a frame that does not decode: {message:?}") };
    if let Some(awareness) = &out.awareness {
        assert!(matches!(message, Message::Awareness(_)), "awareness relayed for {message:?}");
        assert_eq!(awareness.as_slice(), frame, "relayed awareness differs from the frame");
    }
    assert!(!out.dropped || access == Access::View, "an editor's update was dropped");
    match (&message, access) {
        (Message::SyncStep1(_), _) => {
            assert_eq!(out.reply.len(), 1, "step 1 answered with {} frames", out.reply.len());
            assert!(
                matches!(decode_checked(&out.reply[0]), Ok(Message::SyncStep2(_))),
                "step 1 not answered by step 2"
            );
            assert!(out.updates.is_empty() && !out.dropped);
        }
        (Message::Update(update) | Message::SyncStep2(update), Access::Edit) => {
            let is_update = matches!(message, Message::Update(_));
            let own = out.updates.first().filter(|a| &a.update_v1 == update);
            if let Some(accepted) = own {
                assert_eq!(decode_checked(&accepted.frame), Ok(Message::Update(update.clone())), "accepted frame");
                assert_eq!(accepted.echo, is_update, "echo only for update messages");
                if is_update {
                    assert_eq!(accepted.frame, frame, "the echo differs from the update sent");
                } else {
                    assert!(accepted.new, "an old step 2 handed out to log");
                }
            } else if is_update {
                // Held back: no acknowledgement yet, and a resync request instead.
                assert!(out.updates.is_empty(), "a held-back update let others through");
                let asked = out.reply.iter().any(|r| matches!(decode_checked(r), Ok(Message::SyncStep1(_))));
                assert!(asked, "an update message left unacknowledged without a resync request");
            }
            let released = &out.updates[usize::from(own.is_some())..];
            assert!(released.iter().all(|a| a.new && !a.echo), "released updates are new and not echoed");
        }
        (Message::Update(_) | Message::SyncStep2(_), Access::View) => {
            assert!(out.updates.is_empty(), "a viewer's update was taken");
            assert!(out.reply.is_empty(), "a viewer's update was answered");
        }
        (Message::Awareness(_), _) | (Message::Auth(_), _) => {
            assert!(out.updates.is_empty() && out.reply.is_empty() && !out.dropped, "{message:?}: {out:?}");
        }
        (Message::QueryAwareness, _) => {
            assert!(out.updates.is_empty() && out.awareness.is_none() && !out.dropped);
            assert!(out.reply.len() <= 1, "query answered with {} frames", out.reply.len());
        }
    }
    Sent::Updates(out.updates)
}

fuzz_target!(|data: &[u8]| {
    let mut script = Script { data };
    let (Some(setup), Some(initial_peers)) = (script.byte(), script.byte()) else {
        return;
    };
    let doc = match setup % 3 {
        0 => Some(Document::with_client_id(ROOM_CLIENT)),
        1 => Document::from_design_with_client_id(design_a(), ROOM_CLIENT).ok(),
        _ => Document::load(Some(ROOM_CLIENT), Some(design_a_snapshot()), &[]).ok(),
    };
    let Some(doc) = doc else { return };
    // What the server would hold before this session's log: the initial state as a snapshot.
    let initial_v2 = doc.encode_state_v2();
    let Ok(mut replica) = Document::load(Some(ROOM_CLIENT + 1), Some(&initial_v2), &[]) else {
        panic!("the initial state does not load");
    };
    let mut room = Room::new(doc);
    let mut peers = BTreeMap::new();
    for i in 0..4u8 {
        if initial_peers & (1 << i) != 0 {
            let access = if initial_peers & (0x10 << i) != 0 { Access::View } else { Access::Edit };
            let peer = PeerId::from(i) + 1;
            peers.insert(peer, access);
            let frames = room.join(peer, access);
            check_join(&room, &frames);
        }
    }

    let mut log: Vec<Vec<u8>> = Vec::new();
    for _ in 0..MAX_OPS {
        let Some(op) = script.byte() else { break };
        let peer = peer_of(op);
        let accepted = match op & 7 {
            0..=4 => {
                let frame = script.frame();
                match send(&mut room, &mut peers, peer, frame) {
                    Sent::Updates(updates) => updates,
                    Sent::Reload => {
                        // What the server does: reload the committed log and carry on.
                        let reloaded = Document::load(Some(ROOM_CLIENT + 3), Some(&initial_v2), &log);
                        let Ok(reloaded) = reloaded else { panic!("the log does not reload") };
                        room.reload(reloaded);
                        Vec::new()
                    }
                }
            }
            5 => {
                if let Entry::Vacant(slot) = peers.entry(peer) {
                    let access = if op & 0x20 != 0 { Access::View } else { Access::Edit };
                    slot.insert(access);
                    let frames = room.join(peer, access);
                    check_join(&room, &frames);
                }
                Vec::new()
            }
            6 => {
                let gone = room.leave(peer);
                if peers.remove(&peer).is_none() {
                    assert!(gone.is_none(), "a peer that never joined left presence behind");
                }
                if let Some(gone) = gone {
                    let decoded = decode_checked(&gone);
                    let Ok(Message::Awareness(update)) = decoded else { panic!("leave's frame: {decoded:?}") };
                    assert!(update.entries.iter().all(|e| e.state.is_none()), "leave announced a live state");
                }
                Vec::new()
            }
            _ => {
                let design = if op & 0x20 != 0 { design_b() } else { design_a() };
                match room.replace_design(design.clone()) {
                    Ok(accepted) => {
                        assert!(!accepted.echo, "nobody waits for a restore's echo");
                        vec![accepted]
                    }
                    // Refused designs change nothing; the replica check below catches it if not.
                    Err(_) => Vec::new(),
                }
            }
        };
        assert_eq!(room.peer_count(), peers.len(), "room and transport disagree on who is connected");
        for accepted in accepted.into_iter().filter(|a| a.new) {
            if let Err(e) = replica.apply_remote_update(&accepted.update_v1) {
                panic!("the replica refuses an update the room accepted: {e}");
            }
            log.push(accepted.update_v1);
        }
    }
    let mut connected: Vec<PeerId> = room.peers().collect();
    connected.sort_unstable();
    assert_eq!(connected, peers.keys().copied().collect::<Vec<_>>(), "connected peers");

    if room.document().has_pending_updates() {
        return;
    }
    let expected = room.document().design();
    assert!(!replica.has_pending_updates(), "the replica holds back what the room merged");
    assert_eq!(replica.design(), expected, "the accepted updates, merged in order, give another design");
    assert_eq!(replica.to_json(), room.document().to_json(), "the accepted updates give other content");
    match Document::load(Some(ROOM_CLIENT + 2), Some(&initial_v2), &log) {
        Ok(reloaded) => {
            assert!(!reloaded.has_pending_updates(), "the replayed log holds back updates");
            assert_eq!(reloaded.design(), expected, "the replayed log gives another design");
        }
        Err(e) => panic!("the log does not load: {e}"),
    }
});
