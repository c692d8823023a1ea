//! Writes the committed seed frames in `seeds/frame_decoder/` with our own encoder: one file per
//! message type, the sync ones carrying real yrs payloads, so the fuzzer starts from inputs that
//! reach deep into `decode_checked`; and the scripts in `seeds/relay_room/` (see that target for
//! their format), built from real frames of real edits. Run with `cargo run --example write_seeds`
//! from `fuzz/`.

use std::path::Path;

use editor_core::protocol::{AuthMessage, AwarenessEntry, AwarenessUpdate, Message};
use editor_core::{Color, Command, Design, DesignPatch, Document, FormatPreset, Layer, LayerId, LayerPatch, Rect};
use yrs::updates::encoder::Encode;
use yrs::{Any, Array, Doc, Map, ReadTxn, StateVector, Text, Transact};

fn main() -> std::io::Result<()> {
    let doc = Doc::with_client_id(42);
    let title = doc.get_or_insert_text("title");
    let layers = doc.get_or_insert_map("layers");
    let order = doc.get_or_insert_array("order");
    let before = {
        let mut txn = doc.transact_mut();
        title.insert(&mut txn, 0, "héllo 👋");
        let layer = Any::from_json(r#"{"x":10,"y":2.5,"tags":["a",null,true],"deep":{"k":[1,[2]]}}"#)
            .map_err(std::io::Error::other)?;
        layers.insert(&mut txn, "l1", layer);
        order.push_back(&mut txn, "l1");
        txn.state_vector()
    };
    {
        let mut txn = doc.transact_mut();
        title.remove_range(&mut txn, 0, 1);
        title.insert(&mut txn, 2, "!");
    }
    let txn = doc.transact();
    let full = txn.encode_state_as_update_v1(&StateVector::default());
    let delta = txn.encode_state_as_update_v1(&before);

    let seeds = [
        ("sync_step1_empty", Message::SyncStep1(StateVector::default().encode_v1())),
        ("sync_step1", Message::SyncStep1(txn.state_vector().encode_v1())),
        ("sync_step2", Message::SyncStep2(full)),
        ("update", Message::Update(delta)),
        (
            "awareness",
            Message::Awareness(AwarenessUpdate {
                entries: vec![
                    AwarenessEntry {
                        client_id: 42,
                        clock: 3,
                        state: Some(r##"{"user":{"name":"Ada","color":"#ff8800"},"cursor":{"x":1}}"##.into()),
                    },
                    AwarenessEntry { client_id: (1 << 53) - 1, clock: 1 << 32, state: None },
                ],
            }),
        ),
        ("auth", Message::Auth(AuthMessage::PermissionDenied { reason: "read-only token".into() })),
        ("query_awareness", Message::QueryAwareness),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/frame_decoder");
    std::fs::create_dir_all(&dir)?;
    for (name, message) in seeds {
        std::fs::write(dir.join(format!("{name}.bin")), message.encode())?;
    }
    println!("wrote seeds to {}", dir.display());
    write_relay_room_seeds()
}

/// A `relay_room` script (the format is described in `fuzz_targets/relay_room.rs`).
struct Script(Vec<u8>);

impl Script {
    /// Room document (0 empty, 1 from the design, 2 loaded from its snapshot); `peers`: bit `i`
    /// joins peer `i + 1`, bit `i + 4` makes it a viewer.
    fn new(setup: u8, peers: u8) -> Script {
        Script(vec![setup, peers])
    }

    fn op(&mut self, kind: u8, peer: u8, flag: bool) -> &mut Self {
        self.0.push(kind | ((peer - 1) & 3) << 3 | u8::from(flag) << 5);
        self
    }

    fn send(&mut self, peer: u8, message: &Message) -> &mut Self {
        let frame = message.encode();
        self.op(u8::try_from(frame.len() % 5).unwrap_or(0), peer, false);
        let len = frame.len().min(0x7fff);
        if len < 0x80 {
            self.0.push(len as u8);
        } else {
            self.0.extend([0x80 | (len >> 8) as u8, (len & 0xff) as u8]);
        }
        self.0.extend_from_slice(&frame[..len]);
        self
    }

    fn join(&mut self, peer: u8, view: bool) -> &mut Self {
        self.op(5, peer, view)
    }

    fn leave(&mut self, peer: u8) -> &mut Self {
        self.op(6, peer, false)
    }

    /// Restores design A (`false`) or B (`true`).
    fn restore(&mut self, b: bool) -> &mut Self {
        self.op(7, 1, b)
    }
}

fn id(name: &str) -> std::io::Result<LayerId> {
    LayerId::parse(name).map_err(std::io::Error::other)
}

/// The design rooms start from in the target (`design_a` there).
fn design_a() -> std::io::Result<Design> {
    let mut design = Design::new("Fuzz", FormatPreset::InstagramPost.format());
    design.layers.push(Layer::text(id("title")?, "Hello", Rect::new(10.0, 10.0, 300.0, 80.0)));
    design.layers.push(Layer::rect(id("card")?, Rect::new(0.0, 0.0, 500.0, 500.0), Color::WHITE));
    design.assign_missing_z();
    design.normalize();
    Ok(design)
}

fn awareness(client_id: u64, clock: u64, state: Option<&str>) -> Message {
    Message::Awareness(AwarenessUpdate {
        entries: vec![AwarenessEntry { client_id, clock, state: state.map(Into::into) }],
    })
}

fn run(doc: &mut Document, command: Command) -> std::io::Result<Vec<u8>> {
    doc.apply(command).map(|change| change.update).map_err(std::io::Error::other)
}

fn opacity(layer: &str, value: f64) -> std::io::Result<Command> {
    Ok(Command::SetLayer { id: id(layer)?, patch: LayerPatch { opacity: Some(value), ..Default::default() } })
}

fn write_relay_room_seeds() -> std::io::Result<()> {
    let io = std::io::Error::other;
    let design = design_a()?;
    // The room's document in setup 1 (client 7) and setup 2 (loaded from client 1's state), as
    // the target builds them; peers start as replicas of it and edit under their own ids.
    let room_doc = Document::from_design_with_client_id(&design, 7).map_err(io)?;
    let snapshot_doc = Document::from_design_with_client_id(&design, 1).map_err(io)?;
    let replica = |of: &Document, client: u32| Document::load(Some(client), None, &[of.encode_state_v1()]);

    // An editor syncs, edits, shows presence; a viewer tries to edit and asks who is here; a
    // third peer joins late, speaks, and the room restores a design.
    let mut ana = replica(&room_doc, 100).map_err(io)?;
    let mut bo = replica(&room_doc, 101).map_err(io)?;
    let edit = run(&mut ana, opacity("card", 0.5)?)?;
    let title =
        run(&mut ana, Command::EditText { id: id("title")?, start: 5, delete: 0, insert: ", world 👋".into() })?;
    let rejected = run(&mut bo, Command::RemoveLayers { ids: vec![id("card")?] })?;
    let mut edit_and_sync = Script::new(1, 0b0010_0011);
    edit_and_sync
        .send(1, &Message::SyncStep1(ana.state_vector_v1()))
        .send(1, &Message::SyncStep2(ana.diff_v1(&room_doc.state_vector_v1()).map_err(io)?))
        .send(1, &awareness(100, 1, Some(r##"{"user":{"name":"Ana","color":"#ff8800"}}"##)))
        .send(1, &Message::Update(edit.clone()))
        .send(2, &Message::Update(rejected))
        .send(2, &Message::QueryAwareness)
        .send(1, &Message::Update(title))
        .send(1, &Message::Update(edit))
        .join(3, false)
        .send(3, &awareness(300, 4, Some(r#"{"user":{"name":"Cy"},"cursor":{"x":3,"y":9}}"#)))
        .restore(true)
        .send(3, &Message::SyncStep1(room_doc.state_vector_v1()))
        .leave(1)
        .send(3, &awareness(300, 5, None))
        .send(2, &Message::QueryAwareness);

    // An empty room filled by its first editor: the whole design, then edits, then a name.
    let mut author = Document::from_design_with_client_id(&design, 200).map_err(io)?;
    let full = author.encode_state_v1();
    let moved = run(&mut author, opacity("title", 0.25)?)?;
    let renamed =
        run(&mut author, Command::SetDesign { patch: DesignPatch { name: Some("Summer".into()), background: None } })?;
    let mut empty_room = Script::new(0, 0b0001_0001);
    empty_room
        .send(1, &Message::SyncStep1(Document::with_client_id(200).state_vector_v1()))
        .send(1, &Message::Update(full))
        .send(1, &Message::Update(moved))
        .join(2, true)
        .send(2, &Message::SyncStep1(Document::with_client_id(201).state_vector_v1()))
        .send(1, &Message::Update(renamed))
        .send(1, &awareness(200, 1, Some(r#"{"user":{"name":"Dee"}}"#)))
        .leave(1)
        .join(1, false)
        .send(1, &Message::Auth(AuthMessage::PermissionDenied { reason: "no".into() }));

    // Out of order: the later edit first (held back, answered with step 1), then the earlier,
    // then the peer's step 2; the room restores the original design at the end.
    let mut late = replica(&snapshot_doc, 300).map_err(io)?;
    let first = run(&mut late, opacity("card", 0.75)?)?;
    let second = run(&mut late, opacity("title", 0.3)?)?;
    let third = run(&mut late, Command::RemoveLayers { ids: vec![id("title")?] })?;
    let mut held_back = Script::new(2, 0b0000_0011);
    held_back
        .send(1, &Message::Update(second))
        .send(2, &Message::SyncStep1(snapshot_doc.state_vector_v1()))
        .send(1, &Message::Update(third))
        .send(1, &Message::Update(first))
        .send(1, &Message::SyncStep2(late.diff_v1(&snapshot_doc.state_vector_v1()).map_err(io)?))
        .restore(false)
        .send(2, &Message::QueryAwareness)
        .leave(2);

    // Restores back and forth with a peer resyncing in between.
    let mut restores = Script::new(1, 0b0000_0001);
    restores
        .restore(true)
        .send(1, &Message::SyncStep1(room_doc.state_vector_v1()))
        .restore(false)
        .restore(true)
        .send(1, &Message::Update(run(&mut replica(&room_doc, 400).map_err(io)?, opacity("card", 0.1)?)?));

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/relay_room");
    std::fs::create_dir_all(&dir)?;
    for (name, script) in
        [("edit_and_sync", edit_and_sync), ("empty_room", empty_room), ("held_back", held_back), ("restores", restores)]
    {
        std::fs::write(dir.join(format!("{name}.bin")), script.0)?;
    }
    println!("wrote seeds to {}", dir.display());
    Ok(())
}
