//! The template library: archetype files from `assets/templates/` (see `docs/templates.md`),
//! each resized to every format preset, tagged and searchable.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use editor_core::{Design, FormatPreset, Layer, LayerContent, Role};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::copy::{Intent, Tone};
use crate::resize;

/// Resized text may shrink to this fraction of its scaled size to fit its new box.
pub const FIT_FLOOR: f64 = 0.6;

/// Style tags a template may carry (the typography styles).
pub use crate::typography::STYLES;

/// Copy slots a text layer may take.
pub const SLOTS: [&str; 12] =
    ["headline", "subline", "cta", "brand_name", "offer", "price", "date", "item1", "item2", "item3", "item4", "item5"];

/// Palette keys a binding may name.
pub const PAINT_KEYS: [&str; 10] =
    ["background", "surface", "primary", "secondary", "accent", "text", "text_on_primary", "white", "black", "scrim"];

/// Whether an archetype has a photo slot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoUse {
    /// No photo slot.
    #[default]
    None,
    /// A photo slot that shows a palette gradient when no photo is given.
    Optional,
    /// Only used when the creator gave a photo.
    Required,
}

/// What the generator does with one layer of an archetype.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    /// Copy slot for a text layer.
    #[serde(default)]
    pub slot: Option<String>,
    /// Palette key for the fill or text colour.
    #[serde(default)]
    pub paint: Option<String>,
    /// Palette keys for a gradient fill's two stops.
    #[serde(default)]
    pub gradient: Option<[String; 2]>,
    /// Palette key for the outline.
    #[serde(default)]
    pub stroke: Option<String>,
    /// `heading`, `body` or `accent`.
    #[serde(default)]
    pub font: Option<String>,
    /// The layer this one belongs to (removed together).
    #[serde(default)]
    pub with: Option<String>,
    /// A photo placeholder.
    #[serde(default)]
    pub photo: bool,
    /// A logo placeholder.
    #[serde(default)]
    pub logo: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArchetypeFile {
    id: String,
    name: String,
    layout: String,
    intents: Vec<String>,
    industries: Vec<String>,
    styles: Vec<String>,
    tones: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    photo: PhotoUse,
    designs: Vec<serde_json::Value>,
    #[serde(default)]
    layers: BTreeMap<String, Binding>,
    #[serde(default = "default_background")]
    background: String,
}

fn default_background() -> String {
    "background".into()
}

/// One layout archetype: designs at one or more presets plus bindings and tags.
#[derive(Clone, Debug)]
pub struct Archetype {
    /// Unique id (the file stem).
    pub id: String,
    /// Gallery name.
    pub name: String,
    /// Layout family.
    pub layout: String,
    /// Intents it suits.
    pub intents: Vec<Intent>,
    /// Industry ids.
    pub industries: Vec<String>,
    /// Style tags.
    pub styles: Vec<String>,
    /// Tones.
    pub tones: Vec<Tone>,
    /// Search words.
    pub keywords: Vec<String>,
    /// Photo slot.
    pub photo: PhotoUse,
    /// Source designs (at least one).
    pub designs: Vec<Design>,
    /// Bindings by layer id.
    pub layers: BTreeMap<String, Binding>,
    /// Palette key of the design background.
    pub background: String,
}

impl Archetype {
    /// The binding of layer `id` (an empty binding when it has none).
    pub fn binding(&self, id: &str) -> Binding {
        self.layers.get(id).cloned().unwrap_or_default()
    }

    /// The source design closest in aspect ratio to `preset`.
    pub fn source_for(&self, preset: FormatPreset) -> &Design {
        let f = preset.format();
        let target = (f64::from(f.width) / f64::from(f.height)).ln();
        let mut best = &self.designs[0];
        let mut best_d = f64::INFINITY;
        for d in &self.designs {
            let a = (f64::from(d.format.width) / f64::from(d.format.height)).ln();
            if (a - target).abs() < best_d - 1e-9 {
                best_d = (a - target).abs();
                best = d;
            }
        }
        best
    }

    /// The archetype laid out for `preset` (magic resize from the closest source; text is
    /// scaled but not yet fitted).
    pub fn design_for(&self, preset: FormatPreset) -> Design {
        let source = self.source_for(preset);
        if source.format == preset.format() { source.clone() } else { resize::resize_to(source, preset) }
    }
}

/// Why the library could not be loaded.
#[derive(Debug, Error)]
pub enum TemplateError {
    /// The folder or a file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A file is not a valid archetype; the message names the file and the problem.
    #[error("{file}: {message}")]
    Invalid {
        /// The file name.
        file: String,
        /// What is wrong.
        message: String,
    },
}

/// A template: one archetype at one preset.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TemplateInfo {
    /// `<archetype id>.<platform>_<kind>`, e.g. `sale-poster-burst.instagram_story`.
    pub id: String,
    /// Index into [`Library::archetypes`].
    #[serde(skip)]
    pub archetype: usize,
    /// The preset.
    pub preset: FormatPreset,
    /// Gallery name.
    pub name: String,
    /// Platform key (`instagram`, `tiktok` …).
    pub platform: String,
    /// Layout family.
    pub layout: String,
    /// Industry ids.
    pub industries: Vec<String>,
    /// Styles.
    pub styles: Vec<String>,
    /// Tones.
    pub tones: Vec<Tone>,
    /// Intents.
    pub intents: Vec<Intent>,
    /// Whether it has a photo slot.
    pub photo: PhotoUse,
}

/// A search over the library; empty fields match everything.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Query {
    /// Free words, matched against names, layouts, tags and keywords.
    #[serde(default)]
    pub text: String,
    /// Platform key.
    #[serde(default)]
    pub platform: Option<String>,
    /// Preset.
    #[serde(default)]
    pub preset: Option<FormatPreset>,
    /// Industry id.
    #[serde(default)]
    pub industry: Option<String>,
    /// Style.
    #[serde(default)]
    pub style: Option<String>,
    /// Tone.
    #[serde(default)]
    pub tone: Option<Tone>,
    /// Intent.
    #[serde(default)]
    pub intent: Option<Intent>,
}

/// The archetypes and every (archetype, preset) template.
#[derive(Clone, Debug)]
pub struct Library {
    archetypes: Vec<Archetype>,
    templates: Vec<TemplateInfo>,
}

/// The `<platform>_<kind>` key of a preset.
pub fn preset_key(preset: FormatPreset) -> String {
    format!("{}_{}", preset.platform(), preset.kind())
}

impl Library {
    /// `assets/templates` (or `$CREATIVEFLOW_ASSETS/templates`).
    pub fn bundled_dir() -> PathBuf {
        match std::env::var_os(render::fonts::ASSETS_ENV) {
            Some(assets) if !assets.is_empty() => PathBuf::from(assets).join("templates"),
            _ => Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../assets")).join("templates"),
        }
    }

    /// The bundled library.
    pub fn bundled() -> Result<Self, TemplateError> {
        Self::load(&Self::bundled_dir())
    }

    /// Loads every `*.json` archetype in `dir` (sorted by file name).
    pub fn load(dir: &Path) -> Result<Self, TemplateError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| TemplateError::Io { path, source }
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        let mut archetypes = Vec::new();
        for path in files {
            let bytes = std::fs::read(&path).map_err(io(&path))?;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            archetypes.push(parse_archetype(&bytes, &name)?);
        }
        let mut seen = HashSet::new();
        for a in &archetypes {
            if !seen.insert(a.id.clone()) {
                return Err(TemplateError::Invalid { file: a.id.clone(), message: "duplicate id".into() });
            }
        }
        Ok(Self::from_archetypes(archetypes))
    }

    /// A library of the given archetypes.
    pub fn from_archetypes(archetypes: Vec<Archetype>) -> Self {
        let mut templates = Vec::new();
        for (i, a) in archetypes.iter().enumerate() {
            for preset in FormatPreset::ALL {
                templates.push(TemplateInfo {
                    id: format!("{}.{}", a.id, preset_key(preset)),
                    archetype: i,
                    preset,
                    name: a.name.clone(),
                    platform: preset.platform().to_owned(),
                    layout: a.layout.clone(),
                    industries: a.industries.clone(),
                    styles: a.styles.clone(),
                    tones: a.tones.clone(),
                    intents: a.intents.clone(),
                    photo: a.photo,
                });
            }
        }
        Library { archetypes, templates }
    }

    /// Every archetype.
    pub fn archetypes(&self) -> &[Archetype] {
        &self.archetypes
    }

    /// Every template (archetype × preset).
    pub fn templates(&self) -> &[TemplateInfo] {
        &self.templates
    }

    /// The template with `id`.
    pub fn get(&self, id: &str) -> Option<&TemplateInfo> {
        self.templates.iter().find(|t| t.id == id)
    }

    /// The archetype of a template.
    pub fn archetype_of(&self, template: &TemplateInfo) -> &Archetype {
        &self.archetypes[template.archetype]
    }

    /// A template's design: its archetype laid out for its preset, with the preview copy.
    pub fn design(&self, template: &TemplateInfo) -> Design {
        let mut d = self.archetype_of(template).design_for(template.preset);
        d.name = template.name.clone();
        d
    }

    /// A template's design with its text fitted to the resized boxes (what the gallery shows
    /// and the quality checks judge).
    pub fn fitted_design(&self, template: &TemplateInfo, renderer: &render::Renderer) -> Design {
        let mut d = self.design(template);
        resize::fit_text(&mut d, renderer, FIT_FLOOR);
        d
    }

    /// Templates matching `query`, best first (ties keep library order).
    pub fn search(&self, query: &Query) -> Vec<&TemplateInfo> {
        let words: Vec<String> =
            query.text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 1).map(str::to_lowercase).collect();
        let mut scored: Vec<(usize, usize, &TemplateInfo)> = Vec::new();
        for (order, t) in self.templates.iter().enumerate() {
            let a = &self.archetypes[t.archetype];
            if query.platform.as_deref().is_some_and(|p| !p.eq_ignore_ascii_case(&t.platform))
                || query.preset.is_some_and(|p| p != t.preset)
                || query.industry.as_deref().is_some_and(|i| !t.industries.iter().any(|x| x == i))
                || query.style.as_deref().is_some_and(|s| !t.styles.iter().any(|x| x == s))
                || query.tone.is_some_and(|tone| !t.tones.contains(&tone))
                || query.intent.is_some_and(|intent| !t.intents.contains(&intent))
            {
                continue;
            }
            let mut score = 0;
            if !words.is_empty() {
                let hay: Vec<String> = std::iter::once(a.name.to_lowercase())
                    .chain(std::iter::once(a.layout.clone()))
                    .chain(a.keywords.iter().map(|k| k.to_lowercase()))
                    .chain(a.industries.iter().cloned())
                    .chain(a.styles.iter().cloned())
                    .chain(a.intents.iter().map(|i| i.as_str().to_owned()))
                    .chain(a.tones.iter().map(|t| t.as_str().to_owned()))
                    .chain(std::iter::once(t.platform.clone()))
                    .collect();
                for w in &words {
                    let stem = w.trim_end_matches('s');
                    if hay.iter().any(|h| h.split(|c: char| !c.is_alphanumeric()).any(|x| x == w || x == stem)) {
                        score += 2;
                    } else if hay.iter().any(|h| h.contains(stem)) {
                        score += 1;
                    }
                }
                if score == 0 {
                    continue;
                }
            }
            scored.push((score, order, t));
        }
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().map(|(_, _, t)| t).collect()
    }
}

/// Parses and validates one archetype file (`file` names it in errors).
pub fn parse_archetype(bytes: &[u8], file: &str) -> Result<Archetype, TemplateError> {
    let invalid = |message: String| TemplateError::Invalid { file: file.to_owned(), message };
    let raw: ArchetypeFile = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
    let stem = file.strip_suffix(".json").unwrap_or(file);
    if raw.id != stem {
        return Err(invalid(format!("id {:?} differs from the file name", raw.id)));
    }
    if !raw.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(invalid("id must be kebab-case".into()));
    }
    let intents = raw
        .intents
        .iter()
        .map(|i| Intent::parse(i).ok_or_else(|| invalid(format!("unknown intent {i:?}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let tones = raw
        .tones
        .iter()
        .map(|t| Tone::parse(t).ok_or_else(|| invalid(format!("unknown tone {t:?}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let known_industries = crate::palette::industries();
    for i in &raw.industries {
        if !known_industries.contains(&i.as_str()) {
            return Err(invalid(format!("unknown industry {i:?}")));
        }
    }
    for s in &raw.styles {
        if !STYLES.contains(&s.as_str()) {
            return Err(invalid(format!("unknown style {s:?}")));
        }
    }
    if intents.is_empty() || raw.industries.is_empty() || raw.styles.is_empty() || tones.is_empty() {
        return Err(invalid("intents, industries, styles and tones must not be empty".into()));
    }
    if raw.designs.is_empty() {
        return Err(invalid("no designs".into()));
    }
    let mut designs = Vec::new();
    for (i, d) in raw.designs.iter().enumerate() {
        let design = editor_core::design_file::parse(d.to_string().as_bytes())
            .map_err(|e| invalid(format!("design {i}: {e}")))?;
        if design.format.preset().is_none() {
            return Err(invalid(format!("design {i}: the format must be a preset")));
        }
        designs.push(design);
    }
    let ids: HashSet<String> = designs[0].layers.iter().map(|l| l.id.to_string()).collect();
    for (i, d) in designs.iter().enumerate().skip(1) {
        let other: HashSet<String> = d.layers.iter().map(|l| l.id.to_string()).collect();
        if other != ids {
            return Err(invalid(format!("design {i} has different layer ids from design 0")));
        }
    }
    check_paint(&raw.background).map_err(&invalid)?;
    for (id, b) in &raw.layers {
        let Some(layer) = designs[0].layers.iter().find(|l| l.id.as_str() == id) else {
            return Err(invalid(format!("binding for missing layer {id:?}")));
        };
        validate_binding(layer, b).map_err(|m| invalid(format!("layer {id}: {m}")))?;
        if let Some(w) = &b.with
            && !ids.contains(w)
        {
            return Err(invalid(format!("layer {id}: `with` names missing layer {w:?}")));
        }
    }
    Ok(Archetype {
        id: raw.id,
        name: raw.name,
        layout: raw.layout,
        intents,
        industries: raw.industries,
        styles: raw.styles,
        tones,
        keywords: raw.keywords,
        photo: raw.photo,
        designs,
        layers: raw.layers,
        background: raw.background,
    })
}

fn check_paint(key: &str) -> Result<(), String> {
    if PAINT_KEYS.contains(&key) { Ok(()) } else { Err(format!("unknown palette key {key:?}")) }
}

fn validate_binding(layer: &Layer, b: &Binding) -> Result<(), String> {
    if let Some(slot) = &b.slot {
        if !SLOTS.contains(&slot.as_str()) {
            return Err(format!("unknown slot {slot:?}"));
        }
        if !matches!(layer.content, LayerContent::Text(_)) {
            return Err("only text layers take a slot".into());
        }
    }
    for key in [&b.paint, &b.stroke].into_iter().flatten() {
        check_paint(key)?;
    }
    for key in b.gradient.iter().flatten() {
        check_paint(key)?;
    }
    if let Some(font) = &b.font
        && !["heading", "body", "accent"].contains(&font.as_str())
    {
        return Err(format!("unknown font usage {font:?}"));
    }
    if b.photo && layer.role != Role::Photo {
        return Err("a photo placeholder needs role photo".into());
    }
    if b.logo && layer.role != Role::Logo {
        return Err("a logo placeholder needs role logo".into());
    }
    Ok(())
}
