//! Any byte string given to the design-file parser must be rejected with an error or parsed into
//! a design that is written and read back unchanged.
#![no_main]

use editor_core::design_file::{parse, to_string};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(design) = parse(data) else {
        return;
    };
    let written = to_string(&design);
    match parse(written.as_bytes()) {
        Ok(again) => assert_eq!(again, design, "design changed across write and re-parse"),
        Err(e) => panic!("a written design file failed to parse: {e}\n{written}"),
    }
});
