//! Any bytes given to the SVG importer must be refused with an error or imported into a document
//! that draws, without panicking. What the sanitiser accepts, it accepts again unchanged
//! (its output is well-formed and already clean).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use render::FontLibrary;
use render::scene::Affine;
use render::svg_import::{SvgLimits, draw, import_with_faces, sanitize};

/// The bundled fonts, loaded once per process (none when they cannot be loaded).
fn fonts() -> &'static Option<FontLibrary> {
    static FONTS: OnceLock<Option<FontLibrary>> = OnceLock::new();
    FONTS.get_or_init(|| FontLibrary::bundled().ok())
}

fuzz_target!(|data: &[u8]| {
    let limits = SvgLimits::default();
    if let Ok(clean) = sanitize(data, &limits) {
        match sanitize(clean.as_bytes(), &limits) {
            Ok(again) => assert_eq!(again, clean, "sanitising is not idempotent"),
            Err(e) => panic!("sanitised output was refused: {e}\n{clean}"),
        }
    }
    let faces = fonts().as_ref().map_or(&[][..], FontLibrary::faces);
    if let Ok(doc) = import_with_faces(data, faces, &limits) {
        assert!(doc.width() > 0.0 && doc.height() > 0.0);
        let mut items = Vec::new();
        draw(&doc, Affine::scale(0.5), &mut items);
    }
});
