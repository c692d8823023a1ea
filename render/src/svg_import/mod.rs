//! SVG import: an allow-list sanitiser in front of usvg, and the conversion of the parsed tree
//! into scene items.
//!
//! Uploaded SVG is untrusted. [`import`] runs it through three gates:
//!
//! 1. [`sanitize`] checks the raw bytes (size, gzip, UTF-8, no DOCTYPE with entities, no
//!    processing instructions), parses them with roxmltree and re-serialises only allow-listed
//!    elements and attributes. Anything that could run code or load something from outside
//!    (scripts, event handlers, `foreignObject`, animation, `javascript:`, external `href`s,
//!    `url(...)` that is not `url(#id)`, CSS `@import`, non-image data URLs, `xml:base`) is
//!    refused with an [`SvgError`] that names the reason. Harmless things real editors write
//!    (metadata, `title`/`desc`, Inkscape/Sodipodi/Illustrator namespaces, comments) are dropped
//!    silently. It also caps the element count, the nesting depth, the magnitude of numbers in
//!    geometry (usvg flattens arcs into more curves the bigger the radius) and an estimate of
//!    the rendered size (`<use>` copies, markers, clip paths), so "use bombs" are refused before
//!    usvg expands them.
//! 2. usvg parses the sanitised text with no resource directory, an image resolver that loads
//!    nothing by name and accepts only PNG/JPEG/WebP/GIF data within the pixel cap, and a font
//!    database holding only the bundled fonts (never system fonts).
//! 3. The document size must be positive and at most [`SvgLimits::max_side`], and usvg's tree
//!    may not hold more than [`SvgLimits::max_rendered_elements`] paths and images or
//!    [`SvgLimits::max_path_segments`] segments (a backstop for the estimate).
//!
//! [`draw`] turns the usvg tree into [`Item`]s. What the scene cannot express is approximated
//! and documented there (masks, filters, blend modes and patterns).

mod convert;
mod css;
mod images;
mod sanitize;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::fonts::{DEFAULT_FAMILY, FontLibrary};
use crate::scene::{Affine, FontData, Item, RasterImage};

pub use sanitize::sanitize;

/// Why an SVG was refused. The `Display` text names the reason and is meant for the user.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SvgError {
    /// The file is bigger than [`SvgLimits::max_bytes`].
    #[error("SVG is {bytes} bytes; the limit is {max} bytes")]
    TooLarge {
        /// Size of the upload.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// Something the sanitiser does not allow (the text says what and where).
    #[error("SVG rejected: {0}")]
    Rejected(String),
    /// Not well-formed XML, or not an SVG document usvg can read.
    #[error("SVG could not be parsed: {0}")]
    Parse(String),
    /// The document's width or height is zero, negative, missing or too big.
    #[error("SVG size is not usable ({detail}); each side must be more than 0 and at most {max} px")]
    BadSize {
        /// What was wrong.
        detail: String,
        /// [`SvgLimits::max_side`].
        max: f64,
    },
    /// Too many elements, in the file or once `<use>` copies, markers and clip paths are
    /// counted, or too many path segments once usvg built the tree.
    #[error("SVG is too complex: {elements} {what}; the limit is {max}")]
    TooComplex {
        /// How many were counted (at least).
        elements: u64,
        /// The limit.
        max: u64,
        /// What was counted, e.g. "elements after expanding <use>, markers and references".
        what: &'static str,
    },
    /// Elements nest too deeply (counting `<use>` targets).
    #[error("SVG nests {depth} levels deep; the limit is {max}")]
    TooDeep {
        /// The depth reached.
        depth: usize,
        /// The limit.
        max: usize,
    },
    /// An embedded raster image is bigger than [`SvgLimits::max_image_pixels`], or all of them
    /// together are bigger than [`SvgLimits::max_total_image_pixels`].
    #[error("SVG embeds {what} of {pixels} pixels; the limit is {max}")]
    ImageTooLarge {
        /// "an image" or "images".
        what: &'static str,
        /// Decoded pixels.
        pixels: u64,
        /// The limit.
        max: u64,
    },
}

/// Limits on what [`import`] accepts.
#[derive(Clone, Debug, PartialEq)]
pub struct SvgLimits {
    /// Largest file in bytes (default 4 MiB).
    pub max_bytes: usize,
    /// Most elements in the file, kept or not (default 20,000).
    pub max_elements: u64,
    /// Deepest element nesting, also counting the nesting `<use>` adds (default 64).
    pub max_depth: usize,
    /// Most elements once `<use>` copies, markers (one copy per vertex), clip-path references and
    /// text characters are counted (default 100,000).
    pub max_rendered_elements: u64,
    /// Most path segments in usvg's tree, counting arcs flattened into curves, text outlines
    /// and copies (default 4,000,000).
    pub max_path_segments: u64,
    /// Largest width or height of the document in px (default 16,384).
    pub max_side: f64,
    /// Most decoded pixels of one embedded raster image (default 40 MP).
    pub max_image_pixels: u64,
    /// Most decoded pixels of all embedded raster images together (default 80 MP).
    pub max_total_image_pixels: u64,
}

impl Default for SvgLimits {
    fn default() -> Self {
        SvgLimits {
            max_bytes: 4 * 1024 * 1024,
            max_elements: 20_000,
            max_depth: 64,
            max_rendered_elements: 100_000,
            max_path_segments: 4_000_000,
            max_side: 16_384.0,
            max_image_pixels: 40_000_000,
            max_total_image_pixels: 80_000_000,
        }
    }
}

/// A sanitised, parsed SVG, ready to [`draw`].
pub struct SvgDocument {
    tree: usvg::Tree,
    /// Decoded embedded raster images, keyed by the address of their encoded bytes in `tree`.
    images: HashMap<usize, Arc<RasterImage>>,
}

impl std::fmt::Debug for SvgDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SvgDocument")
            .field("width", &self.width())
            .field("height", &self.height())
            .field("images", &self.images.len())
            .finish_non_exhaustive()
    }
}

impl SvgDocument {
    /// Intrinsic width in px (after `width`/`viewBox` resolution).
    pub fn width(&self) -> f64 {
        f64::from(self.tree.size().width())
    }

    /// Intrinsic height in px.
    pub fn height(&self) -> f64 {
        f64::from(self.tree.size().height())
    }

    /// The usvg tree (for comparisons with resvg in tests and tools).
    pub fn tree(&self) -> &usvg::Tree {
        &self.tree
    }

    /// Number of distinct embedded raster images that decoded.
    pub fn raster_image_count(&self) -> usize {
        self.images.len()
    }
}

/// Sanitises and parses `bytes` with the default [`SvgLimits`], drawing text with the bundled
/// fonts of `fonts`.
pub fn import(bytes: &[u8], fonts: &FontLibrary) -> Result<SvgDocument, SvgError> {
    import_with_limits(bytes, fonts, &SvgLimits::default())
}

/// [`import`] with explicit limits.
pub fn import_with_limits(bytes: &[u8], fonts: &FontLibrary, limits: &SvgLimits) -> Result<SvgDocument, SvgError> {
    import_with_faces(bytes, fonts.faces(), limits)
}

/// [`import`] with an explicit list of font faces (e.g. none, for tools and fuzzing that run
/// without the font library). Text whose family is not among `faces` is drawn in
/// [`DEFAULT_FAMILY`] when present, else in the first face.
pub fn import_with_faces(bytes: &[u8], faces: &[FontData], limits: &SvgLimits) -> Result<SvgDocument, SvgError> {
    let clean = sanitize(bytes, limits)?;
    let max_pixels = limits.max_image_pixels;
    let options = usvg::Options {
        resources_dir: None,
        font_family: DEFAULT_FAMILY.to_owned(),
        fontdb: font_database(faces),
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: Box::new(move |mime, data, _| images::resolve_data(mime, data, max_pixels)),
            // Never load anything by name: no files, no network.
            resolve_string: Box::new(|_, _| None),
        },
        style_sheet: None,
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(&clean, &options).map_err(|e| match e {
        usvg::Error::InvalidSize => {
            SvgError::BadSize { detail: "width or height is zero, negative or missing".into(), max: limits.max_side }
        }
        usvg::Error::ElementsLimitReached => SvgError::TooComplex {
            elements: 1_000_000,
            max: limits.max_rendered_elements,
            what: "elements after expanding <use>",
        },
        other => SvgError::Parse(other.to_string()),
    })?;

    let size = tree.size();
    let (w, h) = (f64::from(size.width()), f64::from(size.height()));
    if !(w > 0.0 && h > 0.0 && w <= limits.max_side && h <= limits.max_side) {
        return Err(SvgError::BadSize { detail: format!("{w}×{h} px"), max: limits.max_side });
    }

    // Backstop for the sanitiser's estimate: count what usvg actually built.
    let count = convert::count(tree.root(), limits.max_rendered_elements, limits.max_path_segments);
    if count.nodes > limits.max_rendered_elements {
        return Err(SvgError::TooComplex {
            elements: count.nodes,
            max: limits.max_rendered_elements,
            what: "paths and images after expanding <use>, markers and references",
        });
    }
    if count.segments > limits.max_path_segments {
        return Err(SvgError::TooComplex {
            elements: count.segments,
            max: limits.max_path_segments,
            what: "path segments",
        });
    }

    let images = images::decode_all(&tree, limits.max_image_pixels);
    Ok(SvgDocument { tree, images })
}

/// Appends the drawing of `doc` to `items`: the SVG's own space (`0,0..width,height`, after
/// its viewBox) mapped by `transform` into design space.
///
/// What the scene cannot express is approximated: masks, filters and blend modes are left out
/// (the content is drawn plain), a pattern paint becomes the first solid colour found in the
/// pattern, a clip path is the union of its children's outlines (a clip path on a clip path,
/// or on one of its children, is ignored), dashes that would cut a path into more than 100,000
/// pieces are drawn solid, and GIF images are drawn only when the `image` crate is built with
/// its `gif` feature (it is not at the moment: they are left out).
pub fn draw(doc: &SvgDocument, transform: Affine, items: &mut Vec<Item>) {
    convert::draw_tree(doc, transform, items);
}

/// One font database per distinct face list, built once; usvg shares it by `Arc`.
fn font_database(faces: &[FontData]) -> Arc<usvg::fontdb::Database> {
    type Key = Vec<(u64, u32)>;
    static CACHE: Mutex<Option<(Key, Arc<usvg::fontdb::Database>)>> = Mutex::new(None);

    let key: Key = faces.iter().map(|f| (f.data.id(), f.index)).collect();
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((cached_key, db)) = cache.as_ref()
        && *cached_key == key
    {
        return db.clone();
    }

    let mut db = usvg::fontdb::Database::new();
    let mut loaded = Vec::new();
    for face in faces {
        let id = face.data.id();
        if loaded.contains(&id) {
            continue;
        }
        loaded.push(id);
        db.load_font_source(usvg::fontdb::Source::Binary(Arc::new(face.data.clone())));
    }
    // Generic families (and usvg's own last resort, `serif`) all mean the default family, or
    // whatever we have if it is missing.
    let has_default = db.faces().any(|f| f.families.iter().any(|(name, _)| name.eq_ignore_ascii_case(DEFAULT_FAMILY)));
    let fallback = if has_default {
        Some(DEFAULT_FAMILY.to_owned())
    } else {
        db.faces().next().and_then(|f| f.families.first().map(|(name, _)| name.clone()))
    };
    if let Some(family) = fallback {
        db.set_serif_family(family.clone());
        db.set_sans_serif_family(family.clone());
        db.set_cursive_family(family.clone());
        db.set_fantasy_family(family.clone());
        db.set_monospace_family(family);
    }
    let db = Arc::new(db);
    *cache = Some((key, db.clone()));
    db
}
