//! Two Rust sync clients talking y-websocket over an in-memory pipe.

#![expect(clippy::unwrap_used, reason = "test helpers fail loudly on broken fixtures")]

use editor_core::protocol::Message;
use editor_core::store::{SqliteStore, Store, open_document};
use editor_core::{
    Color, Command, ConnectionState, Design, Document, FormatPreset, Layer, LayerContent, LayerId, LayerPatch,
    OverrideKind, Rect, SyncClient, SyncEvent,
};

fn id(s: &str) -> LayerId {
    LayerId::parse(s).unwrap()
}

fn base() -> Document {
    let mut d = Design::new("Pipe", FormatPreset::InstagramPost.format());
    d.layers.push(Layer::text(id("title"), "Hello", Rect::new(10.0, 10.0, 300.0, 80.0)));
    d.layers.push(Layer::rect(id("card"), Rect::new(0.0, 0.0, 500.0, 500.0), Color::WHITE));
    Document::from_design_with_client_id(&d, 1).unwrap()
}

/// Two clients on copies of the same document, with client ids chosen so B wins ties.
fn pair() -> (SyncClient, SyncClient) {
    let state = base().encode_state_v1();
    let a = SyncClient::new(Document::load(Some(10), None, std::slice::from_ref(&state)).unwrap());
    let b = SyncClient::new(Document::load(Some(20), None, std::slice::from_ref(&state)).unwrap());
    (a, b)
}

/// Delivers frames both ways until both sides are quiet; returns every event seen.
fn pump(a: &mut SyncClient, b: &mut SyncClient) -> (Vec<SyncEvent>, Vec<SyncEvent>) {
    let (mut ea, mut eb) = (Vec::new(), Vec::new());
    for _ in 0..100 {
        let to_b = a.take_outgoing();
        let to_a = b.take_outgoing();
        if to_a.is_empty() && to_b.is_empty() {
            return (ea, eb);
        }
        for frame in to_b {
            eb.extend(b.receive(&frame).unwrap());
        }
        for frame in to_a {
            ea.extend(a.receive(&frame).unwrap());
        }
    }
    panic!("the clients never went quiet");
}

fn connect(a: &mut SyncClient, b: &mut SyncClient) -> (Vec<SyncEvent>, Vec<SyncEvent>) {
    a.connected();
    b.connected();
    pump(a, b)
}

fn assert_converged(a: &SyncClient, b: &SyncClient) {
    let (da, db) = (a.document().design(), b.document().design());
    assert_eq!(da, db);
    da.validate().unwrap();
    assert_eq!(a.document().canonical_state_v1(), b.document().canonical_state_v1());
}

fn text_of(c: &SyncClient, layer: &str) -> String {
    match c.document().layer(&id(layer)).unwrap().content {
        LayerContent::Text(t) => t.text,
        _ => panic!("not text"),
    }
}

#[test]
fn online_edits_reach_the_other_client() {
    let (mut a, mut b) = pair();
    let (ea, eb) = connect(&mut a, &mut b);
    assert!(ea.contains(&SyncEvent::Synced) && eb.contains(&SyncEvent::Synced));
    assert_eq!(a.state(), ConnectionState::Synced);

    a.apply(Command::EditText { id: id("title"), start: 5, delete: 0, insert: ", world".into() }).unwrap();
    b.apply(Command::SetLayer { id: id("card"), patch: LayerPatch::position(40.0, 50.0) }).unwrap();
    let (ea, eb) = pump(&mut a, &mut b);
    assert!(ea.contains(&SyncEvent::RemoteChange) && eb.contains(&SyncEvent::RemoteChange));
    assert_eq!(text_of(&b, "title"), "Hello, world");
    assert_eq!(a.document().layer(&id("card")).unwrap().x, 40.0);
    assert_converged(&a, &b);
}

#[test]
fn clients_converge_after_both_edited_offline() {
    let (mut a, mut b) = pair();
    connect(&mut a, &mut b);
    a.disconnected();
    b.disconnected();

    // Offline on both sides: one conflicting property, concurrent text, a new layer each.
    a.apply(Command::SetLayer { id: id("card"), patch: LayerPatch::position(1.0, 1.0) }).unwrap();
    b.apply(Command::SetLayer { id: id("card"), patch: LayerPatch::position(2.0, 2.0) }).unwrap();
    a.apply(Command::EditText { id: id("title"), start: 0, delete: 0, insert: "A:".into() }).unwrap();
    b.apply(Command::EditText { id: id("title"), start: 5, delete: 0, insert: ":B".into() }).unwrap();
    a.apply(Command::AddLayer { layer: Layer::rect(id("from_a"), Rect::new(0.0, 0.0, 5.0, 5.0), Color::BLACK) })
        .unwrap();
    b.apply(Command::AddLayer { layer: Layer::rect(id("from_b"), Rect::new(0.0, 0.0, 5.0, 5.0), Color::BLACK) })
        .unwrap();
    assert!(a.take_outgoing().is_empty(), "nothing is sent while offline");
    assert_eq!(a.outbox_ids().len(), 3);

    let (ea, eb) = connect(&mut a, &mut b);
    assert_converged(&a, &b);
    assert_eq!(text_of(&a, "title"), "A:Hello:B", "both text edits survive");
    let d = a.document().design();
    assert!(d.layer(&id("from_a")).is_some() && d.layer(&id("from_b")).is_some());

    // B's client id is higher, so B's position wins; A is told which of its edits lost.
    assert_eq!(d.layer(&id("card")).unwrap().x, 2.0);
    let overridden: Vec<_> = ea
        .iter()
        .filter_map(|e| match e {
            SyncEvent::Overridden(report) => Some(report.overrides.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let props: Vec<&str> = overridden.iter().map(|o| o.property.as_str()).collect();
    assert!(props.contains(&"x") && props.contains(&"y"), "{overridden:?}");
    assert!(overridden.iter().all(|o| o.kind == OverrideKind::ValueReplaced && o.layer == Some(id("card"))));
    assert!(!eb.iter().any(|e| matches!(e, SyncEvent::Overridden(_))), "B lost nothing");
}

#[test]
fn outbox_is_acknowledged_by_echo_or_by_the_peers_state_vector() {
    let (mut a, mut b) = pair();
    connect(&mut a, &mut b);
    let (first, change) = a.apply(Command::SetLayer { id: id("card"), patch: LayerPatch::position(7.0, 7.0) }).unwrap();
    let frames = a.take_outgoing();
    assert_eq!(frames, vec![Message::Update(change.update.clone()).encode()]);
    // A relay echoes the committed update to its sender: that is the acknowledgement.
    let events = a.receive(&frames[0]).unwrap();
    assert_eq!(events, vec![SyncEvent::Acknowledged(vec![first])]);
    assert!(a.outbox_ids().is_empty());

    // Without an echo, an insert-only update is acknowledged once the peer's state vector
    // (its sync step 1 at the next connection) shows it holds it.
    a.disconnected();
    b.disconnected();
    let (second, _) = a.apply(Command::SetLayer { id: id("card"), patch: LayerPatch::position(8.0, 8.0) }).unwrap();
    connect(&mut a, &mut b);
    assert_eq!(a.outbox_ids(), vec![second], "B's step 1 predates the replay");
    a.disconnected();
    b.disconnected();
    let (ea, _) = connect(&mut a, &mut b);
    assert!(ea.contains(&SyncEvent::Acknowledged(vec![second])), "{ea:?}");
    assert!(a.outbox_ids().is_empty());
}

#[test]
fn out_of_order_update_triggers_a_resync() {
    let (mut a, mut b) = pair();
    connect(&mut a, &mut b);
    a.disconnected();
    let (_, first) = a.apply(Command::SetLayer { id: id("card"), patch: LayerPatch::position(3.0, 3.0) }).unwrap();
    let (_, second) = a.apply(Command::SetLayer { id: id("card"), patch: LayerPatch::position(4.0, 4.0) }).unwrap();
    assert!(!first.update.is_empty());
    // The second update reaches B alone: B keeps it pending and asks for the rest.
    let events = b.receive(&Message::Update(second.update).encode()).unwrap();
    assert!(events.contains(&SyncEvent::ResyncRequested), "{events:?}");
    let request = b.take_outgoing();
    assert!(matches!(Message::decode(&request[0]).unwrap(), Message::SyncStep1(_)));
    // A answers the request as a server would: B catches up and its pending update applies.
    a.connected();
    a.take_outgoing();
    for frame in request {
        a.receive(&frame).unwrap();
    }
    for frame in a.take_outgoing() {
        b.receive(&frame).unwrap();
    }
    assert!(!b.document().has_pending_updates());
    assert_eq!(b.document().layer(&id("card")).unwrap().x, 4.0);
}

#[test]
fn presence_is_shared_and_cleared() {
    let (mut a, mut b) = pair();
    connect(&mut a, &mut b);
    a.set_presence(Some(r##"{"name":"Ada","color":"#ff0066","selection":["card"]}"##.into()));
    let (_, eb) = pump(&mut a, &mut b);
    assert!(eb.contains(&SyncEvent::PresenceChanged));
    let peers = b.peers();
    assert_eq!(peers.len(), 1);
    assert_eq!(peers[0].client_id, 10);
    assert!(peers[0].state.contains("Ada"));
    a.set_presence(None);
    pump(&mut a, &mut b);
    assert!(b.peers().is_empty());
}

#[test]
fn malformed_frames_are_errors_and_change_nothing() {
    let (mut a, _) = pair();
    let before = a.document().encode_state_v1();
    let bad: Vec<Vec<u8>> = vec![
        vec![],
        vec![0],
        vec![0, 2],
        vec![0, 2, 200, 1],
        vec![0, 9, 0],
        vec![7],
        vec![0, 1, 3, 1, 2, 3],
        vec![0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        Message::Update(vec![1, 2, 3, 4, 5]).encode(),
        Message::SyncStep1(vec![5, 1]).encode(),
    ];
    for frame in bad {
        assert!(a.receive(&frame).is_err(), "{frame:?} should be rejected");
    }
    assert_eq!(a.document().encode_state_v1(), before);
}

#[test]
fn offline_edits_survive_a_restart_through_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("offline.db");
    let (mut a, mut b) = pair();
    connect(&mut a, &mut b);
    a.disconnected();
    {
        let store = SqliteStore::open(&path).unwrap();
        store.compact("doc", &a.document().encode_state_v2(), &a.document().state_vector_v1(), 0).unwrap();
        for x in [11.0, 12.0, 13.0] {
            let (_, change) = a.apply(Command::SetLayer { id: id("card"), patch: LayerPatch::position(x, x) }).unwrap();
            store.append_update("doc", &change.update, true).unwrap();
        }
    } // the app quits before reconnecting

    let store = SqliteStore::open(&path).unwrap();
    let doc = open_document(&store, "doc", Some(10)).unwrap().unwrap();
    assert_eq!(doc.layer(&id("card")).unwrap().x, 13.0);
    let mut a = SyncClient::new(doc);
    a.restore_outbox(store.outbox("doc").unwrap().into_iter().map(|e| (e.seq, e.update_v1)));
    assert_eq!(a.outbox_ids().len(), 3);
    connect(&mut a, &mut b);
    assert_converged(&a, &b);
    assert_eq!(b.document().layer(&id("card")).unwrap().x, 13.0);
}

#[test]
fn documents_and_clients_can_move_between_threads() {
    // Desktop shells keep them in shared state and servers hand them to blocking pools.
    fn assert_send<T: Send + 'static>() {}
    assert_send::<Document>();
    assert_send::<SyncClient>();
}

#[test]
fn fuzzer_found_updates_are_refused_not_panicking() {
    // Found by fuzz/document_update: one client's blocks listed twice, which made yrs 0.28
    // integrate an item over its own skip and overflow a clock subtraction.
    let bytes = include_bytes!("data/fuzz-document-update-duplicate-client.bin");
    let mut doc = base();
    let before = doc.encode_state_v1();
    let err = doc.apply_remote_update(bytes).unwrap_err();
    assert!(err.to_string().contains("client appears twice"), "{err}");
    assert_eq!(doc.encode_state_v1(), before);
    // Also found by it: a GC block at clock 0xdfffffff, which yrs 0.28's i32 clock arithmetic
    // turned into a failed lookup.
    let bytes = include_bytes!("data/fuzz-document-update-huge-clock.bin");
    let err = doc.apply_remote_update(bytes).unwrap_err();
    assert!(err.to_string().contains("exceed 2^31"), "{err}");
    assert_eq!(doc.encode_state_v1(), before);
}

#[test]
fn updates_that_skip_ahead_wait_for_their_predecessors() {
    // A peer's second update arrives before its first: it is held back, reported as pending,
    // and merged once the first arrives — in either order, with duplicates.
    let mut source = base();
    let first = source.apply(Command::SetLayer { id: id("card"), patch: LayerPatch::position(1.0, 1.0) }).unwrap();
    let second = source.apply(Command::EditText { id: id("title"), start: 0, delete: 5, insert: "Hi".into() }).unwrap();
    let mut doc = Document::load(Some(3), None, &[base().encode_state_v1()]).unwrap();
    let report = doc.apply_remote_update(&second.update).unwrap();
    assert!(!report.changed && doc.has_pending_updates());
    assert_eq!(doc.layer(&id("card")).unwrap().x, 0.0);
    doc.apply_remote_update(&second.update).unwrap();
    assert!(doc.apply_remote_update(&first.update).unwrap().changed);
    assert!(!doc.has_pending_updates());
    assert_eq!(doc.design(), source.design());
}
