//! Any bytes merged into a document as a peer's update are refused with an error or merged into
//! a document whose typed design still validates, and the merge never panics.
#![no_main]

use std::sync::OnceLock;

use editor_core::{Color, Design, Document, FormatPreset, Layer, LayerId, Rect};
use libfuzzer_sys::fuzz_target;

/// The state of a small design, built once: every input is merged into a fresh copy of it.
fn base_state() -> &'static [u8] {
    static STATE: OnceLock<Vec<u8>> = OnceLock::new();
    STATE.get_or_init(|| {
        let mut design = Design::new("Fuzz", FormatPreset::InstagramPost.format());
        let ids = ["title", "card"].map(|id| LayerId::parse(id).unwrap_or_else(|_| LayerId::generate()));
        design.layers.push(Layer::text(ids[0].clone(), "Hello", Rect::new(10.0, 10.0, 300.0, 80.0)));
        design.layers.push(Layer::rect(ids[1].clone(), Rect::new(0.0, 0.0, 500.0, 500.0), Color::WHITE));
        Document::from_design_with_client_id(&design, 1).map(|d| d.encode_state_v1()).unwrap_or_default()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(mut doc) = Document::load(Some(7), None, &[base_state().to_vec()]) else {
        return;
    };
    if doc.apply_remote_update(data).is_ok() {
        let design = doc.design();
        if let Err(e) = design.validate() {
            panic!("merged document reads as an invalid design: {e}");
        }
        let _ = doc.diff_v1(&doc.state_vector_v1());
    }
});
