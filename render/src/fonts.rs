//! The bundled font library: `assets/fonts/catalog.json` and the files it lists.
//!
//! Every renderer draws with these fonts and nothing else (never system fonts), so an export
//! looks the same on every machine. The catalogue format is documented in
//! `assets/fonts/README.md`; in short it lists families (design families the user picks from,
//! and fallback families for scripts and emoji the design families lack), each with its styles
//! (weight, italic, file, face index), category, mood tags, licence and covered scripts, plus
//! `fallback_order`: which families catch which scripts.
//!
//! [`FontLibrary::load`] reads the catalogue and every file it names once (one shared
//! [`Blob`] per file, so identical files share an id and backends can cache by it) and checks
//! that each face parses.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use skrifa::raw::FileRef;
use skrifa::string::StringId;
use skrifa::{FontRef, MetadataProvider};
use vello_cpu::peniko::Blob;

use crate::scene::FontData;

/// Family used when a design names nothing we have.
pub const DEFAULT_FAMILY: &str = "Inter";

/// The catalogue format version this code reads.
pub const CATALOG_VERSION: u32 = 1;

/// Environment variable naming the assets folder (the one that contains `fonts/`).
pub const ASSETS_ENV: &str = "CREATIVEFLOW_ASSETS";

/// Licences a bundled font may have (SPDX identifiers).
pub const ALLOWED_LICENSES: [&str; 2] = ["OFL-1.1", "Apache-2.0"];

/// Script names the catalogue may use (in a family's `scripts` and as `fallback_order` keys),
/// with their ISO 15924 codes. `emoji` is `Zsye`; `common` covers punctuation, digits and
/// symbols shared by scripts.
pub const SCRIPTS: [(&str, [u8; 4]); 14] = [
    ("latin", *b"Latn"),
    ("greek", *b"Grek"),
    ("cyrillic", *b"Cyrl"),
    ("common", *b"Zyyy"),
    ("inherited", *b"Zinh"),
    ("arabic", *b"Arab"),
    ("hebrew", *b"Hebr"),
    ("devanagari", *b"Deva"),
    ("hiragana", *b"Hira"),
    ("katakana", *b"Kana"),
    ("han", *b"Hani"),
    ("hangul", *b"Hang"),
    ("thai", *b"Thai"),
    ("emoji", *b"Zsye"),
];

/// The `fallback_order` key whose families follow every script's own list.
pub const DEFAULT_FALLBACK_KEY: &str = "default";

/// The ISO 15924 code of a catalogue script name (`"arabic"` → `Arab`).
pub fn script_code(name: &str) -> Option<[u8; 4]> {
    SCRIPTS.iter().find(|(n, _)| *n == name).map(|(_, code)| *code)
}

/// Why the font library could not load.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    /// The catalogue or a font file could not be read or parsed.
    #[error("font library at {path}: {reason}")]
    Load {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

fn load_error(path: impl Into<PathBuf>, reason: impl Into<String>) -> FontError {
    FontError::Load { path: path.into(), reason: reason.into() }
}

/// Broad style class of a family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FontCategory {
    /// Sans serif.
    Sans,
    /// Serif.
    Serif,
    /// Display / headline faces.
    Display,
    /// Script and handwriting.
    Script,
    /// Monospace.
    Mono,
}

impl FontCategory {
    /// Every category.
    pub const ALL: [FontCategory; 5] =
        [FontCategory::Sans, FontCategory::Serif, FontCategory::Display, FontCategory::Script, FontCategory::Mono];

    /// The catalogue key (`sans`, `serif`, `display`, `script`, `mono`).
    pub fn as_str(self) -> &'static str {
        match self {
            FontCategory::Sans => "sans",
            FontCategory::Serif => "serif",
            FontCategory::Display => "display",
            FontCategory::Script => "script",
            FontCategory::Mono => "mono",
        }
    }
}

/// One style (face) of a family in the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FontStyleInfo {
    /// CSS weight, 1..=1000 (what designs ask for; the file's own OS/2 value may differ).
    pub weight: u16,
    /// Italic.
    pub italic: bool,
    /// Font file, relative to the fonts folder, `/`-separated.
    pub file: String,
    /// Face index inside the file (non-zero only for collections such as `.ttc`).
    #[serde(default)]
    pub index: u32,
}

/// One family in the catalogue.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FontFamilyInfo {
    /// Family name as designs name it.
    pub family: String,
    /// Category.
    pub category: FontCategory,
    /// Mood tags for the generator and the font picker (`elegant`, `playful`, `technical`...).
    #[serde(default)]
    pub moods: Vec<String>,
    /// The styles shipped, at least one.
    pub styles: Vec<FontStyleInfo>,
    /// SPDX licence identifier, one of [`ALLOWED_LICENSES`].
    pub license: String,
    /// Licence text (with the copyright lines), relative to the fonts folder.
    pub license_file: String,
    /// Where the files came from (package and version).
    #[serde(default)]
    pub source: String,
    /// A fallback family (for scripts and emoji), not offered in the font picker.
    #[serde(default)]
    pub fallback: bool,
    /// Scripts the family covers (names from [`SCRIPTS`]).
    #[serde(default)]
    pub scripts: Vec<String>,
}

impl FontFamilyInfo {
    /// Whether the family has a true italic.
    pub fn has_italic(&self) -> bool {
        self.styles.iter().any(|s| s.italic)
    }

    /// The weights shipped, ascending, without repeats.
    pub fn weights(&self) -> Vec<u16> {
        let mut w: Vec<u16> = self.styles.iter().map(|s| s.weight).collect();
        w.sort_unstable();
        w.dedup();
        w
    }

    /// Whether the family is tagged with `mood` (case-insensitive).
    pub fn has_mood(&self, mood: &str) -> bool {
        self.moods.iter().any(|m| m.eq_ignore_ascii_case(mood))
    }

    /// Index into [`Self::styles`] of the style CSS font matching picks for `weight` and
    /// `italic`: italic (or upright) first, then the CSS weight rules (for 400–500 look up to
    /// 500 first, lighter weights look lighter first, heavier weights look heavier first).
    pub fn closest_style(&self, weight: u16, italic: bool) -> Option<usize> {
        let want_style = self.styles.iter().any(|s| s.italic == italic);
        let desired = i32::from(weight.clamp(1, 1000));
        self.styles
            .iter()
            .enumerate()
            .filter(|(_, s)| !want_style || s.italic == italic)
            .min_by_key(|(_, s)| weight_distance(desired, i32::from(s.weight)))
            .map(|(i, _)| i)
    }
}

/// CSS Fonts 4 §5.2 weight matching as a sort key (lower is better).
fn weight_distance(desired: i32, have: i32) -> (u8, i32) {
    if have == desired {
        return (0, 0);
    }
    if (400..=500).contains(&desired) {
        if have > desired && have <= 500 {
            (1, have - desired)
        } else if have < desired {
            (2, desired - have)
        } else {
            (3, have - desired)
        }
    } else if desired < 400 {
        if have < desired { (1, desired - have) } else { (2, have - desired) }
    } else if have > desired {
        (1, have - desired)
    } else {
        (2, desired - have)
    }
}

/// The catalogue file (`catalog.json`) as written on disk.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FontCatalog {
    /// Format version, [`CATALOG_VERSION`].
    pub version: u32,
    /// Families, design families first by convention, then fallbacks.
    pub families: Vec<FontFamilyInfo>,
    /// Script name (from [`SCRIPTS`], or [`DEFAULT_FALLBACK_KEY`]) → families to try, in order,
    /// for characters the requested family lacks. `emoji` feeds emoji presentation sequences.
    #[serde(default)]
    pub fallback_order: BTreeMap<String, Vec<String>>,
}

impl FontCatalog {
    /// Parses catalogue JSON (no file access, no validation of the files it names).
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

/// A face of the library: its family, its style and its data.
#[derive(Clone, Copy, Debug)]
pub struct FontFace<'a> {
    /// The family.
    pub family: &'a FontFamilyInfo,
    /// The style within the family.
    pub style: &'a FontStyleInfo,
    /// The font file (shared blob) and face index.
    pub data: &'a FontData,
}

/// The fonts every renderer draws with.
#[derive(Debug)]
pub struct FontLibrary {
    dir: PathBuf,
    families: Vec<FontFamilyInfo>,
    /// One per catalogue style, family by family, in catalogue order.
    faces: Vec<FontData>,
    /// `faces[family_start[i]..family_start[i + 1]]` are family `i`'s styles, in order.
    family_start: Vec<usize>,
    /// Lower-cased family name → family index.
    by_name: HashMap<String, usize>,
    /// (blob id, face index) → face index in `faces`.
    by_font: HashMap<(u64, u32), usize>,
    fallback_order: BTreeMap<String, Vec<String>>,
    total_bytes: u64,
}

impl FontLibrary {
    /// Loads the catalogue and fonts in `dir` (the folder holding `catalog.json`).
    ///
    /// Every file is read once; each listed face must parse, each licence file must exist,
    /// licences must be in [`ALLOWED_LICENSES`], names must be unique and
    /// [`DEFAULT_FAMILY`] must be present.
    pub fn load(dir: &Path) -> Result<Self, FontError> {
        let catalog_path = dir.join("catalog.json");
        let json = std::fs::read_to_string(&catalog_path).map_err(|e| load_error(&catalog_path, e.to_string()))?;
        let catalog = FontCatalog::from_json(&json).map_err(|e| load_error(&catalog_path, e.to_string()))?;
        Self::from_catalog(dir, catalog)
    }

    /// Loads a parsed catalogue whose files live in `dir`.
    pub fn from_catalog(dir: &Path, catalog: FontCatalog) -> Result<Self, FontError> {
        let catalog_path = dir.join("catalog.json");
        let bad = |reason: String| load_error(&catalog_path, reason);
        if catalog.version != CATALOG_VERSION {
            return Err(bad(format!(
                "catalogue version {} is not supported (expected {CATALOG_VERSION})",
                catalog.version
            )));
        }
        if catalog.families.is_empty() {
            return Err(bad("the catalogue lists no families".into()));
        }

        let mut by_name = HashMap::with_capacity(catalog.families.len());
        let mut blobs: HashMap<&str, Blob<u8>> = HashMap::new();
        let mut faces = Vec::new();
        let mut family_start = Vec::with_capacity(catalog.families.len() + 1);
        let mut by_font = HashMap::new();
        let mut total_bytes = 0u64;

        for (fi, fam) in catalog.families.iter().enumerate() {
            let name = fam.family.trim();
            if name.is_empty() || name != fam.family {
                return Err(bad(format!("family name {:?} must be non-empty and trimmed", fam.family)));
            }
            if by_name.insert(name.to_lowercase(), fi).is_some() {
                return Err(bad(format!("family {name:?} is listed twice")));
            }
            if !ALLOWED_LICENSES.contains(&fam.license.as_str()) {
                return Err(bad(format!(
                    "family {name:?} has licence {:?}; only {} are allowed",
                    fam.license,
                    ALLOWED_LICENSES.join(" and ")
                )));
            }
            let license_path = resolve(dir, &fam.license_file).map_err(|r| bad(format!("family {name:?}: {r}")))?;
            if !license_path.is_file() {
                return Err(load_error(license_path, format!("licence file of {name:?} is missing")));
            }
            if let Some(s) = fam.scripts.iter().find(|s| script_code(s).is_none()) {
                return Err(bad(format!("family {name:?} lists unknown script {s:?}")));
            }
            if fam.styles.is_empty() {
                return Err(bad(format!("family {name:?} has no styles")));
            }
            family_start.push(faces.len());
            for (si, style) in fam.styles.iter().enumerate() {
                if !(1..=1000).contains(&style.weight) {
                    return Err(bad(format!("family {name:?}: weight {} is outside 1..=1000", style.weight)));
                }
                if fam.styles[..si].iter().any(|s| s.weight == style.weight && s.italic == style.italic) {
                    return Err(bad(format!(
                        "family {name:?} lists weight {} {} twice",
                        style.weight,
                        if style.italic { "italic" } else { "upright" }
                    )));
                }
                let path = resolve(dir, &style.file).map_err(|r| bad(format!("family {name:?}: {r}")))?;
                let blob = match blobs.get(style.file.as_str()) {
                    Some(b) => b.clone(),
                    None => {
                        let bytes = std::fs::read(&path).map_err(|e| load_error(&path, e.to_string()))?;
                        total_bytes += bytes.len() as u64;
                        let blob = Blob::from(bytes);
                        blobs.insert(style.file.as_str(), blob.clone());
                        blob
                    }
                };
                check_face(blob.data(), style.index, name).map_err(|r| load_error(&path, r))?;
                by_font.insert((blob.id(), style.index), faces.len());
                faces.push(FontData::new(blob, style.index));
            }
        }
        family_start.push(faces.len());

        if by_name.get(&DEFAULT_FAMILY.to_lowercase()).is_none_or(|&i| catalog.families[i].fallback) {
            return Err(bad(format!("the default family {DEFAULT_FAMILY:?} must be a design family of the catalogue")));
        }
        for (key, list) in &catalog.fallback_order {
            if key != DEFAULT_FALLBACK_KEY && script_code(key).is_none() {
                return Err(bad(format!("fallback_order has unknown script {key:?}")));
            }
            if let Some(f) = list.iter().find(|f| !by_name.contains_key(&f.to_lowercase())) {
                return Err(bad(format!("fallback_order {key:?} names {f:?}, which the catalogue does not list")));
            }
        }

        Ok(FontLibrary {
            dir: dir.to_owned(),
            families: catalog.families,
            faces,
            family_start,
            by_name,
            by_font,
            fallback_order: catalog.fallback_order,
            total_bytes,
        })
    }

    /// Loads the bundled fonts: `$CREATIVEFLOW_ASSETS/fonts` when that variable is set,
    /// otherwise the repository's `assets/fonts`.
    pub fn bundled() -> Result<Self, FontError> {
        Self::load(&Self::bundled_dir())
    }

    /// Where [`Self::bundled`] looks.
    pub fn bundled_dir() -> PathBuf {
        match std::env::var_os(ASSETS_ENV) {
            Some(assets) if !assets.is_empty() => PathBuf::from(assets).join("fonts"),
            _ => Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../assets")).join("fonts"),
        }
    }

    /// The folder the library was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every family, in catalogue order.
    pub fn families(&self) -> &[FontFamilyInfo] {
        &self.families
    }

    /// The families a design may pick (not the fallbacks), in catalogue order.
    pub fn design_families(&self) -> impl Iterator<Item = &FontFamilyInfo> + '_ {
        self.families.iter().filter(|f| !f.fallback)
    }

    /// The fallback families (scripts and emoji), in catalogue order.
    pub fn fallback_families(&self) -> impl Iterator<Item = &FontFamilyInfo> + '_ {
        self.families.iter().filter(|f| f.fallback)
    }

    /// The family called `name`, ignoring case.
    pub fn family(&self, name: &str) -> Option<&FontFamilyInfo> {
        self.family_index(name).map(|i| &self.families[i])
    }

    /// Index into [`FontLibrary::families`] of the family called `name` (any case).
    pub fn family_index(&self, name: &str) -> Option<usize> {
        self.by_name.get(&name.trim().to_lowercase()).copied()
    }

    /// Every face registered, one per catalogue style (for usvg's font database and for
    /// shaping). Faces from the same file share one blob.
    pub fn faces(&self) -> &[FontData] {
        &self.faces
    }

    /// The faces of the family called `name` (ignoring case), parallel to its
    /// [`FontFamilyInfo::styles`]; empty when there is no such family.
    pub fn family_faces(&self, name: &str) -> &[FontData] {
        match self.family_index(name) {
            Some(i) => &self.faces[self.family_start[i]..self.family_start[i + 1]],
            None => &[],
        }
    }

    /// The face CSS matching picks in family `name` for `weight` and `italic`.
    pub fn face(&self, name: &str, weight: u16, italic: bool) -> Option<FontFace<'_>> {
        let fi = self.family_index(name)?;
        let family = &self.families[fi];
        let si = family.closest_style(weight, italic)?;
        Some(FontFace { family, style: &family.styles[si], data: &self.faces[self.family_start[fi] + si] })
    }

    /// Which family and style a font (as returned by shaping) is, matched by blob id and face
    /// index.
    pub fn face_of(&self, font: &FontData) -> Option<FontFace<'_>> {
        let &i = self.by_font.get(&(font.data.id(), font.index))?;
        let fi = self.family_start.partition_point(|&start| start <= i).checked_sub(1)?;
        let family = self.families.get(fi)?;
        let style = family.styles.get(i - self.family_start[fi])?;
        Some(FontFace { family, style, data: &self.faces[i] })
    }

    /// Script → fallback families, as in the catalogue.
    pub fn fallback_order(&self) -> &BTreeMap<String, Vec<String>> {
        &self.fallback_order
    }

    /// The fallback families for `script` (a name from [`SCRIPTS`]): its own list, then the
    /// default list, without repeats.
    pub fn fallbacks_for(&self, script: &str) -> Vec<&str> {
        let own = self.fallback_order.get(script).into_iter().flatten();
        let default = self.fallback_order.get(DEFAULT_FALLBACK_KEY).into_iter().flatten();
        let mut out: Vec<&str> = Vec::new();
        for f in own.chain(default) {
            if !out.contains(&f.as_str()) {
                out.push(f);
            }
        }
        out
    }

    /// Bytes of font data loaded (each file counted once).
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }
}

/// `rel` inside `dir`, refusing absolute paths and `..`.
fn resolve(dir: &Path, rel: &str) -> Result<PathBuf, String> {
    let ok = !rel.is_empty()
        && !rel.starts_with('/')
        && !rel.contains('\\')
        && rel.split('/').all(|part| !part.is_empty() && part != "." && part != "..");
    if ok { Ok(dir.join(rel)) } else { Err(format!("file path {rel:?} must be relative to the fonts folder")) }
}

/// Checks that face `index` of `data` parses; in a collection the face's own family name must
/// be the catalogue's (the text engine registers collection faces under their own names).
fn check_face(data: &[u8], index: u32, family: &str) -> Result<(), String> {
    let font = FontRef::from_index(data, index).map_err(|e| format!("face {index} does not parse: {e}"))?;
    let face_count = match FileRef::new(data) {
        Ok(FileRef::Collection(c)) => c.len(),
        _ => 1,
    };
    if face_count > 1 {
        let own = face_family_name(&font).unwrap_or_default();
        if !own.eq_ignore_ascii_case(family) {
            return Err(format!(
                "face {index} of this collection is family {own:?}, not {family:?}; \
                 collection faces must keep their own family name"
            ));
        }
    }
    if font.charmap().mappings().next().is_none() {
        return Err(format!("face {index} maps no characters"));
    }
    Ok(())
}

/// The typographic family name of a face, or its legacy family name.
pub(crate) fn face_family_name(font: &FontRef<'_>) -> Option<String> {
    [StringId::TYPOGRAPHIC_FAMILY_NAME, StringId::FAMILY_NAME]
        .into_iter()
        .find_map(|id| font.localized_strings(id).english_or_first().map(|s| s.to_string()))
        .filter(|s| !s.is_empty())
}

/// How many faces a font file holds (1 for a plain font, n for a collection, 0 if unreadable).
pub(crate) fn face_count(data: &[u8]) -> u32 {
    match FileRef::new(data) {
        Ok(FileRef::Collection(c)) => c.len(),
        Ok(FileRef::Font(_)) => 1,
        Err(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_weight_matching() {
        let fam = FontFamilyInfo {
            family: "X".into(),
            category: FontCategory::Sans,
            moods: vec![],
            styles: [300, 400, 700, 900]
                .into_iter()
                .map(|weight| FontStyleInfo { weight, italic: false, file: String::new(), index: 0 })
                .chain(std::iter::once(FontStyleInfo { weight: 400, italic: true, file: String::new(), index: 0 }))
                .collect(),
            license: "OFL-1.1".into(),
            license_file: String::new(),
            source: String::new(),
            fallback: false,
            scripts: vec![],
        };
        let w = |weight, italic| fam.styles[fam.closest_style(weight, italic).unwrap()].weight;
        assert_eq!(w(400, false), 400);
        assert_eq!(w(500, false), 400);
        assert_eq!(w(600, false), 700);
        assert_eq!(w(800, false), 900);
        assert_eq!(w(200, false), 300);
        assert_eq!(w(350, false), 300);
        assert_eq!(w(700, true), 400);
        assert!(fam.styles[fam.closest_style(700, true).unwrap()].italic);
    }

    #[test]
    fn paths_stay_inside() {
        let d = Path::new("/x");
        assert!(resolve(d, "inter/Inter-Regular.otf").is_ok());
        for bad in ["", "/etc/passwd", "../x.ttf", "a/../../b", "a//b", "a\\b", "./a"] {
            assert!(resolve(d, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn script_codes() {
        assert_eq!(script_code("arabic"), Some(*b"Arab"));
        assert_eq!(script_code("klingon"), None);
    }
}
