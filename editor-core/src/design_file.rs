//! The versioned JSON design file: the portable form of a design (templates, generator output,
//! import and export). Loading a file into a [`crate::Document`] and reading it back is lossless.
//!
//! ```json
//! { "version": 1, "name": "…", "format": {…}, "background": {…}, "layers": [ … ] }
//! ```
//! Layers are listed in paint order; a layer's `z` may be left out, and is then assigned from
//! its position in the list.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::design::{Design, Layer, Paint};
use crate::error::ValidationError;
use crate::format::Format;

/// The version this build writes and reads.
pub const VERSION: u32 = 1;
/// Largest design file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// Why a design file was rejected.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DesignFileError {
    /// Not JSON, or not the shape of a design file; the message names the field and position.
    #[error("not a valid design file: {0}")]
    Syntax(String),
    /// Written by a newer or unknown version.
    #[error("design file version {found} is not supported (this build reads version {VERSION})")]
    Version {
        /// The version in the file.
        found: u64,
    },
    /// Larger than [`MAX_FILE_BYTES`].
    #[error("design file is {len} bytes, more than the limit of {MAX_FILE_BYTES}")]
    TooLarge {
        /// Its size.
        len: usize,
    },
    /// Well-formed, but the design breaks a rule.
    #[error("invalid design: {0}")]
    Invalid(#[from] ValidationError),
}

#[derive(Serialize)]
struct FileRef<'a> {
    version: u32,
    name: &'a str,
    format: &'a Format,
    background: &'a Paint,
    layers: &'a [Layer],
}

#[derive(Deserialize)]
struct FileOwned {
    name: String,
    format: Format,
    background: Paint,
    layers: Vec<Layer>,
}

#[derive(Deserialize)]
struct VersionOnly {
    version: Option<serde_json::Value>,
}

/// Parses, upgrades and validates a design file. The result is normalised (paint order) and
/// every layer has a z key.
pub fn parse(bytes: &[u8]) -> Result<Design, DesignFileError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(DesignFileError::TooLarge { len: bytes.len() });
    }
    let syntax = |e: serde_json::Error| DesignFileError::Syntax(e.to_string());
    let head: VersionOnly = serde_json::from_slice(bytes).map_err(syntax)?;
    match head.version {
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(u64::from(VERSION)) => {}
        Some(serde_json::Value::Number(n)) => {
            return Err(DesignFileError::Version { found: n.as_u64().unwrap_or(u64::MAX) });
        }
        Some(_) => return Err(DesignFileError::Syntax("version must be a number".into())),
        None => return Err(DesignFileError::Syntax("missing field `version`".into())),
    }
    let file: FileOwned = serde_json::from_slice(bytes).map_err(syntax)?;
    let mut design = Design { name: file.name, format: file.format, background: file.background, layers: file.layers };
    design.validate()?;
    design.assign_missing_z();
    design.normalize();
    Ok(design)
}

/// Writes a design file (pretty-printed JSON).
pub fn to_string(design: &Design) -> String {
    let file = FileRef {
        version: VERSION,
        name: &design.name,
        format: &design.format,
        background: &design.background,
        layers: &design.layers,
    };
    // Serialising plain data with string keys cannot fail.
    serde_json::to_string_pretty(&file).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r##"{
      "version": 1,
      "name": "Spring sale",
      "format": { "platform": "instagram", "kind": "post", "width": 1080, "height": 1080 },
      "background": { "type": "linear_gradient", "start": {"x": 0, "y": 0}, "end": {"x": 1, "y": 1},
                      "stops": [{"offset": 0, "color": "#ffeecc"}, {"offset": 1, "color": "#ffaa88"}] },
      "layers": [
        { "id": "bg", "kind": "shape", "role": "background", "x": 0, "y": 0, "w": 1080, "h": 1080,
          "shape": {"type": "rect", "corner_radii": [0,0,0,0]}, "fill": {"type": "solid", "color": "#fff8"} },
        { "id": "title", "kind": "text", "role": "headline", "x": 90, "y": 120, "w": 900, "h": 240,
          "text": "Spring sale", "font_family": "Inter", "font_weight": 800, "font_size": 120,
          "color": "#222222", "align": "center", "line_height": 1.1 }
      ]
    }"##;

    #[test]
    fn parses_and_round_trips() {
        let design = parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(design.layers.len(), 2);
        assert_eq!(design.layers[0].id.as_str(), "bg", "file order becomes paint order");
        assert!(design.layers[0].z < design.layers[1].z);
        let again = parse(to_string(&design).as_bytes()).unwrap();
        assert_eq!(again, design);
    }

    #[test]
    fn rich_text_round_trips() {
        let rich = SAMPLE.replace(
            "\"line_height\": 1.1 }",
            r##""line_height": 1.1, "vertical_align": "bottom", "auto_fit": true,
                "spans": [{"start": 0, "end": 6, "font_weight": 900, "color": "#ff0000"},
                          {"start": 7, "end": 11, "italic": true, "underline": true, "font_family": "Lora",
                           "font_size": 96.5}] }"##,
        );
        let design = parse(rich.as_bytes()).unwrap();
        let crate::LayerContent::Text(t) = &design.layers[1].content else { panic!("not text") };
        assert_eq!((t.vertical_align, t.auto_fit), (crate::VerticalAlign::Bottom, true));
        assert_eq!(t.spans.len(), 2);
        assert_eq!(t.spans[0].style.font_weight, Some(900));
        assert_eq!(t.spans[1].style.font_family.as_deref(), Some("Lora"));
        let again = parse(to_string(&design).as_bytes()).unwrap();
        assert_eq!(again, design);
        // Defaults stay out of the file, except the vertical alignment.
        let plain = to_string(&parse(SAMPLE.as_bytes()).unwrap());
        assert!(
            plain.contains("\"vertical_align\": \"top\"") && !plain.contains("auto_fit") && !plain.contains("spans")
        );

        let bad_span = |spans: &str| {
            SAMPLE.replace("\"line_height\": 1.1 }", &format!("\"line_height\": 1.1, \"spans\": {spans} }}"))
        };
        for (spans, expected) in [
            (r#"[{"start": 0, "end": 12, "italic": true}]"#, "span 0..12 must be a non-empty range"),
            (r#"[{"start": 0, "end": 5, "italic": true}, {"start": 4, "end": 6, "italic": true}]"#, "span 4..6"),
            (r#"[{"start": 3, "end": 3, "italic": true}]"#, "span 3..3"),
            (r#"[{"start": 0, "end": 3, "font_size": 0}]"#, "span font size is 0"),
            (r#"[{"start": 0, "end": 3, "font_family": ""}]"#, "span font family must not be empty"),
        ] {
            let err = parse(bad_span(spans).as_bytes()).expect_err(expected).to_string();
            assert!(err.contains(expected), "{err:?} should contain {expected:?}");
        }
    }

    #[test]
    fn errors_name_the_problem() {
        let cases: &[(&str, &str)] = &[
            ("{", "not a valid design file"),
            (r#"{"version": 2}"#, "version 2 is not supported"),
            (r#"{"name": "x"}"#, "missing field `version`"),
            (&SAMPLE.replace("\"kind\": \"text\"", "\"kind\": \"video\""), "unknown variant `video`"),
            (&SAMPLE.replace("\"w\": 900", "\"w\": -900"), "layer \"title\" w is -900"),
            (&SAMPLE.replace("\"width\": 1080", "\"width\": 9000"), "format width is 9000"),
            (&SAMPLE.replace("#222222", "#22"), "invalid colour"),
            (&SAMPLE.replace("\"id\": \"bg\"", "\"id\": \"title\""), "duplicate layer id"),
            (&SAMPLE.replace("\"y\": 120", "\"y\": 1e999"), "not a valid design file"),
        ];
        for (input, expected) in cases {
            let err = parse(input.as_bytes()).expect_err(expected).to_string();
            assert!(err.contains(expected), "{err:?} should contain {expected:?}");
        }
    }

    #[test]
    fn too_many_layers_or_too_much_text_is_rejected() {
        let mut design = parse(SAMPLE.as_bytes()).unwrap();
        let template = design.layers[1].clone();
        if let crate::LayerContent::Text(t) = &mut design.layers[1].content {
            t.text = "x".repeat(crate::limits::MAX_TEXT_CHARS + 1);
        }
        let err = parse(to_string(&design).as_bytes()).unwrap_err().to_string();
        assert!(err.contains("text has 100001 characters"), "{err}");
        design.layers.truncate(1);
        for i in 0..=crate::limits::MAX_LAYERS {
            let mut l = template.clone();
            l.id = crate::LayerId::parse(&format!("l{i}")).unwrap();
            design.layers.push(l);
        }
        let err = parse(to_string(&design).as_bytes()).unwrap_err().to_string();
        assert!(err.contains("10002 layers"), "{err}");
    }
}
