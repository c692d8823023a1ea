//! Interop vectors: frames produced by the real npm packages, which our codec must read and
//! reproduce byte for byte.
//!
//! Generated once with Node v20, `yjs@13.6.33`, `y-protocols@1.0.7` and `lib0@0.2.120`
//! (`npm i yjs@13.6 y-protocols lib0` in a scratch directory) by running `node vectors.mjs`,
//! which prints `NAME hex` lines. To regenerate, save the script below as `vectors.mjs`:
//!
//! ```js
//! import * as Y from 'yjs'
//! import * as sync from 'y-protocols/sync'
//! import * as awarenessProtocol from 'y-protocols/awareness'
//! import * as auth from 'y-protocols/auth'
//! import * as encoding from 'lib0/encoding'
//!
//! const hex = (u8) => Buffer.from(u8).toString('hex')
//! const frame = (f) => { const e = encoding.createEncoder(); f(e); return hex(encoding.toUint8Array(e)) }
//! // y-websocket writes messageSync (0) before every y-protocols sync message.
//! const syncFrame = (f) => frame(e => { encoding.writeVarUint(e, 0); f(e) })
//!
//! // Empty document: sync step 1 carries an empty state vector.
//! const empty = new Y.Doc()
//! console.log('SYNC_STEP1_EMPTY', syncFrame(e => sync.writeSyncStep1(e, empty)))
//!
//! const doc = new Y.Doc()
//! doc.clientID = 42
//! doc.getText('title').insert(0, 'héllo 👋')
//! doc.getMap('layers').set('l1', { x: 10, y: 2.5, name: 'Logo', tags: ['a', null, true] })
//! console.log('SYNC_STEP1_DOC', syncFrame(e => sync.writeSyncStep1(e, doc)))
//! console.log('SYNC_STEP2_DOC', syncFrame(e => sync.writeSyncStep2(e, doc, new Uint8Array([0]))))
//!
//! let update = null
//! doc.once('update', (u) => { update = u })
//! doc.getText('title').delete(0, 1)
//! console.log('UPDATE_DELETE', syncFrame(e => sync.writeUpdate(e, update)))
//!
//! const awareness = new awarenessProtocol.Awareness(doc)
//! awareness.setLocalState({ user: { name: 'Ada', color: '#ff8800' }, cursor: null })
//! const aw = (clients) => frame(e => {
//!   encoding.writeVarUint(e, 1) // messageAwareness, as y-websocket writes it
//!   encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(awareness, clients))
//! })
//! console.log('AWARENESS_PRESENT', aw([42]))
//! awareness.setLocalState(null)
//! console.log('AWARENESS_LEFT', aw([42]))
//!
//! console.log('AUTH_DENIED', frame(e => { encoding.writeVarUint(e, 2); auth.writePermissionDenied(e, 'read-only token') }))
//! console.log('QUERY_AWARENESS', frame(e => encoding.writeVarUint(e, 3)))
//! // Awareness entry with the largest JS-safe client id and a clock above 2^32, via lib0 directly.
//! console.log('AWARENESS_LARGE_IDS', frame(e => {
//!   const inner = encoding.createEncoder()
//!   encoding.writeVarUint(inner, 1)
//!   encoding.writeVarUint(inner, Number.MAX_SAFE_INTEGER)
//!   encoding.writeVarUint(inner, 2 ** 32)
//!   encoding.writeVarString(inner, JSON.stringify({ x: 1 }))
//!   encoding.writeVarUint(e, 1)
//!   encoding.writeVarUint8Array(e, encoding.toUint8Array(inner))
//! }))
//! awareness.destroy()
//! doc.destroy()
//! ```

#![expect(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use editor_core::protocol::{AuthMessage, AwarenessEntry, AwarenessUpdate, Message, decode_checked};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Any, ClientID, Doc, GetString, Map, Out, StateVector, Transact, Update};

const SYNC_STEP1_EMPTY: &str = "00000100";
const SYNC_STEP1_DOC: &str = "000003012a09";
const SYNC_STEP2_DOC: &str = concat!(
    "00014a01022a000401057469746c650b68c3a96c6c6f20f09f918b2801066c6179657273026c3101",
    "760401787d0a01797c40200000046e616d6577044c6f676f047461677375037701617e7800",
);
const UPDATE_DELETE: &str = "00020600012a010001";
const AWARENESS_PRESENT: &str = concat!(
    "013b012a01377b2275736572223a7b226e616d65223a22416461222c22636f6c6f72223a22236666",
    "38383030227d2c22637572736f72223a6e756c6c7d",
);
const AWARENESS_LEFT: &str = "0108012a02046e756c6c";
const AUTH_DENIED: &str = "02000f726561642d6f6e6c7920746f6b656e";
const QUERY_AWARENESS: &str = "03";
const AWARENESS_LARGE_IDS: &str = "011601ffffffffffffff0f8080808010077b2278223a317d";

fn bytes(hex: &str) -> Vec<u8> {
    assert!(hex.len().is_multiple_of(2), "odd-length hex");
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

/// Decodes an npm-made frame with the checked decoder and checks that re-encoding it gives the
/// same bytes.
fn decode_vector(hex: &str) -> Message {
    let frame = bytes(hex);
    let message = decode_checked(&frame).unwrap();
    assert_eq!(message.encode(), frame, "re-encoding changed the bytes of {message:?}");
    message
}

fn apply(doc: &Doc, update: &[u8]) {
    doc.transact_mut().apply_update(Update::decode_v1(update).unwrap()).unwrap();
}

#[test]
fn empty_sync_step1_matches_yrs_and_our_encoder() {
    let empty = StateVector::default().encode_v1();
    assert_eq!(decode_vector(SYNC_STEP1_EMPTY), Message::SyncStep1(empty.clone()));
    assert_eq!(Message::SyncStep1(empty).encode(), bytes(SYNC_STEP1_EMPTY));
}

#[test]
fn sync_step1_carries_the_yjs_state_vector() {
    let Message::SyncStep1(payload) = decode_vector(SYNC_STEP1_DOC) else {
        panic!("expected sync step 1");
    };
    let state_vector = StateVector::decode_v1(&payload).unwrap();
    // Client 42 wrote 8 UTF-16 units of text and one map entry.
    assert_eq!(state_vector.get(&ClientID::new(42)), 9);
    assert_eq!(state_vector.len(), 1);
}

#[test]
fn sync_step2_and_update_from_yjs_apply_to_a_yrs_document() {
    let Message::SyncStep2(step2) = decode_vector(SYNC_STEP2_DOC) else {
        panic!("expected sync step 2");
    };
    let Message::Update(update) = decode_vector(UPDATE_DELETE) else {
        panic!("expected update");
    };
    let doc = Doc::with_client_id(7);
    let title = doc.get_or_insert_text("title");
    let layers = doc.get_or_insert_map("layers");
    apply(&doc, &step2);
    assert_eq!(title.get_string(&doc.transact()), "héllo 👋");
    let layer = layers.get(&doc.transact(), "l1").unwrap();
    let expected = Any::from_json(r#"{"x":10,"y":2.5,"name":"Logo","tags":["a",null,true]}"#);
    assert_eq!(layer, Out::Any(expected.unwrap()));
    apply(&doc, &update);
    assert_eq!(title.get_string(&doc.transact()), "éllo 👋");
}

#[test]
fn awareness_frames_from_y_protocols_round_trip() {
    let present = AwarenessEntry {
        client_id: 42,
        clock: 1,
        state: Some(r##"{"user":{"name":"Ada","color":"#ff8800"},"cursor":null}"##.to_owned()),
    };
    let left = AwarenessEntry { client_id: 42, clock: 2, state: None };
    let large = AwarenessEntry { client_id: (1 << 53) - 1, clock: 1 << 32, state: Some(r#"{"x":1}"#.to_owned()) };
    for (hex, entry) in [(AWARENESS_PRESENT, present), (AWARENESS_LEFT, left), (AWARENESS_LARGE_IDS, large)] {
        let expected = Message::Awareness(AwarenessUpdate { entries: vec![entry] });
        assert_eq!(decode_vector(hex), expected);
        assert_eq!(expected.encode(), bytes(hex));
    }
}

#[test]
fn auth_and_query_awareness_frames_match_y_protocols() {
    let denied = Message::Auth(AuthMessage::PermissionDenied { reason: "read-only token".to_owned() });
    assert_eq!(decode_vector(AUTH_DENIED), denied);
    assert_eq!(denied.encode(), bytes(AUTH_DENIED));
    assert_eq!(decode_vector(QUERY_AWARENESS), Message::QueryAwareness);
    assert_eq!(Message::QueryAwareness.encode(), bytes(QUERY_AWARENESS));
}
