//! Writes the committed seed frames in `seeds/frame_decoder/` with our own encoder: one file per
//! message type, the sync ones carrying real yrs payloads, so the fuzzer starts from inputs that
//! reach deep into `decode_checked`. Run with `cargo run --example write_seeds` from `fuzz/`.

use std::path::Path;

use editor_core::protocol::{AuthMessage, AwarenessEntry, AwarenessUpdate, Message};
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
        let layer =
            Any::from_json(r#"{"x":10,"y":2.5,"tags":["a",null,true],"deep":{"k":[1,[2]]}}"#)
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
        (
            "sync_step1_empty",
            Message::SyncStep1(StateVector::default().encode_v1()),
        ),
        (
            "sync_step1",
            Message::SyncStep1(txn.state_vector().encode_v1()),
        ),
        ("sync_step2", Message::SyncStep2(full)),
        ("update", Message::Update(delta)),
        (
            "awareness",
            Message::Awareness(AwarenessUpdate {
                entries: vec![
                    AwarenessEntry {
                        client_id: 42,
                        clock: 3,
                        state: Some(
                            r##"{"user":{"name":"Ada","color":"#ff8800"},"cursor":{"x":1}}"##
                                .into(),
                        ),
                    },
                    AwarenessEntry {
                        client_id: (1 << 53) - 1,
                        clock: 1 << 32,
                        state: None,
                    },
                ],
            }),
        ),
        (
            "auth",
            Message::Auth(AuthMessage::PermissionDenied {
                reason: "read-only token".into(),
            }),
        ),
        ("query_awareness", Message::QueryAwareness),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/frame_decoder");
    std::fs::create_dir_all(&dir)?;
    for (name, message) in seeds {
        std::fs::write(dir.join(format!("{name}.bin")), message.encode())?;
    }
    println!("wrote seeds to {}", dir.display());
    Ok(())
}
