//! Any byte string given to the y-websocket frame decoder must be rejected with an error or
//! decoded into a message that survives a round trip.
#![no_main]

use editor_core::protocol::{Message, decode_checked};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = decode_checked(data) else {
        return;
    };
    let frame = message.encode();
    assert_eq!(
        decode_checked(&frame).as_ref(),
        Ok(&message),
        "re-encoded frame decodes differently"
    );
    // The decoder accepts only canonical encodings, so re-encoding reproduces the input, except
    // that an awareness state which is JSON null with whitespace around it is written as `null`.
    if !matches!(message, Message::Awareness(_)) {
        assert_eq!(frame, data, "accepted a non-canonical frame");
    }
});
