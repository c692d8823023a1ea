//! Text layout with parley into glyph runs.
//!
//! [`TextEngine`] owns a parley [`FontContext`] whose fontique collection holds exactly the
//! faces of the [`FontLibrary`] (system fonts are never consulted), registered under their
//! catalogue family names, weights and styles, with per-script fallbacks from the catalogue's
//! `fallback_order`. [`TextEngine::layout`] shapes a text layer (bidi, complex scripts,
//! fallback), wraps it at the box width, aligns it, optionally shrinks it to fit, and appends
//! one [`Item::Glyphs`] per glyph run plus underline rectangles.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use editor_core::{TextAlign, TextContent, VerticalAlign};
use parley::fontique::{Collection, CollectionOptions, FallbackKey, FamilyId, FontInfoOverride, GenericFamily, Script};
use parley::{
    Alignment, AlignmentOptions, FontContext, FontFamily, FontStyle, FontWeight, FontWidth, Layout, LayoutContext,
    LineHeight, OverflowWrap, PositionedLayoutItem, StyleProperty,
};
use vello_cpu::kurbo::Shape as _;

use crate::fonts::{self, DEFAULT_FALLBACK_KEY, DEFAULT_FAMILY, FontLibrary};
use crate::scene::{Affine, Brush, FillRule, GlyphRun, Item, PositionedGlyph, Rect, RenderWarning, Rgba};

/// Faux bold strength, in em, when a family lacks the requested weight (about what browsers
/// use at display sizes).
pub const FAUX_BOLD_EM: f32 = 1.0 / 32.0;

/// Smallest auto-fit size, as a fraction of the requested size.
pub const MIN_AUTO_FIT_SCALE: f32 = 0.25;

/// Auto-fit search steps between [`MIN_AUTO_FIT_SCALE`] and 1 (precision about 0.6 %).
const AUTO_FIT_STEPS: u32 = 7;

/// At most this many characters are listed in a [`RenderWarning::MissingGlyphs`].
const MAX_MISSING_CHARS: usize = 8;

/// How a text layer lays out in its box (see [`TextEngine::measure`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextMeasure {
    /// The text fits the box (at `scale`).
    pub fits: bool,
    /// The font-size multiplier auto-fit chose (1 when the text fits as it is or auto-fit is off).
    pub scale: f32,
    /// The widest line's advance, in design pixels.
    pub width: f64,
    /// The block's height, in design pixels.
    pub height: f64,
    /// Number of lines.
    pub lines: usize,
}

/// Parley's brush: the text colour (straight RGBA).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Ink([u8; 4]);

impl From<Ink> for Rgba {
    fn from(Ink([r, g, b, a]): Ink) -> Rgba {
        Rgba { r, g, b, a }
    }
}

/// One resolved style override: a byte range of the text and what it changes.
#[derive(Clone, Debug)]
struct SpanStyle {
    range: Range<usize>,
    family: Option<usize>,
    weight: Option<u16>,
    italic: Option<bool>,
    size: Option<f32>,
    color: Option<Ink>,
    underline: bool,
}

/// The layer-wide style, sanitised.
#[derive(Clone, Debug)]
struct BaseStyle {
    family: usize,
    weight: u16,
    italic: bool,
    size: f32,
    color: Ink,
    line_height: f32,
    letter_spacing_em: f32,
    alignment: Alignment,
}

/// A visual atom of a parley run (a shaped cluster group such as a ligature): the source bytes
/// it covers and how many glyphs it has.
#[derive(Clone, Debug)]
struct VisualAtom {
    range: Range<usize>,
    glyphs: usize,
}

/// Shaping and layout state (parley contexts over the bundled fonts). Not `Sync`: the
/// renderer keeps one behind a mutex.
pub struct TextEngine {
    font_cx: FontContext,
    layout_cx: LayoutContext<Ink>,
    layout: Layout<Ink>,
    /// The catalogue: family indexes in this module are indexes into `fonts.families()`.
    fonts: Arc<FontLibrary>,
    default_family: usize,
    // Scratch buffers reused between layouts.
    spans: Vec<SpanStyle>,
    atoms: Vec<VisualAtom>,
}

impl std::fmt::Debug for TextEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextEngine").field("families", &self.fonts.families().len()).finish_non_exhaustive()
    }
}

impl TextEngine {
    /// An engine that sees exactly the fonts in `fonts`.
    pub fn new(fonts: Arc<FontLibrary>) -> Self {
        let mut collection = Collection::new(CollectionOptions { shared: false, system_fonts: false });
        // Collections (.ttc) are registered once, under the faces' own names, keeping only the
        // faces the catalogue lists.
        let mut wanted_in_collection: HashMap<u64, Vec<u32>> = HashMap::new();
        let mut collection_blobs = Vec::new();

        for family in fonts.families() {
            for (style, face) in family.styles.iter().zip(fonts.family_faces(&family.family)) {
                if fonts::face_count(face.data.data()) > 1 {
                    let wanted = wanted_in_collection.entry(face.data.id()).or_default();
                    if wanted.is_empty() {
                        collection_blobs.push(face.data.clone());
                    }
                    wanted.push(face.index);
                } else {
                    let over = FontInfoOverride {
                        family_name: Some(&family.family),
                        width: Some(FontWidth::NORMAL),
                        style: Some(if style.italic { FontStyle::Italic } else { FontStyle::Normal }),
                        weight: Some(FontWeight::new(f32::from(style.weight))),
                        axes: None,
                    };
                    collection.register_fonts(face.data.clone(), Some(over));
                }
            }
        }
        for blob in collection_blobs {
            let wanted = wanted_in_collection.get(&blob.id()).cloned().unwrap_or_default();
            for (family, infos) in collection.register_fonts(blob, None) {
                for info in infos.iter().filter(|i| !wanted.contains(&i.index())) {
                    collection.unregister_font(family, info.width(), info.style(), info.weight());
                }
            }
        }

        // Fallbacks: every script gets its own list, then the default list.
        let ids = |collection: &mut Collection, names: &[&str]| -> Vec<FamilyId> {
            names.iter().filter_map(|n| collection.family_id(n)).collect()
        };
        for (name, code) in fonts::SCRIPTS {
            let list = ids(&mut collection, &fonts.fallbacks_for(name));
            if name == "emoji" {
                let emoji =
                    fonts.fallback_order().get("emoji").map(|l| l.iter().map(String::as_str).collect::<Vec<_>>());
                let emoji = ids(&mut collection, &emoji.unwrap_or_default());
                collection.set_generic_families(GenericFamily::Emoji, emoji.into_iter());
            }
            collection.set_fallbacks(FallbackKey::new(Script::from_bytes(code), None), list.into_iter());
        }
        let default_list = fonts.fallbacks_for(DEFAULT_FALLBACK_KEY);
        let mut sans = vec![DEFAULT_FAMILY];
        sans.extend(default_list.iter().copied());
        let sans = ids(&mut collection, &sans);
        for generic in [GenericFamily::SansSerif, GenericFamily::SystemUi, GenericFamily::UiSansSerif] {
            collection.set_generic_families(generic, sans.iter().copied());
        }

        let default_family = fonts.family_index(DEFAULT_FAMILY).unwrap_or(0);
        TextEngine {
            font_cx: FontContext { collection, source_cache: Default::default() },
            layout_cx: LayoutContext::new(),
            layout: Layout::new(),
            fonts,
            default_family,
            spans: Vec::new(),
            atoms: Vec::new(),
        }
    }

    /// Lays out `content` in a `w`×`h` box whose local space maps to design space by
    /// `transform` (origin at the box's top-left), appending glyph runs and decorations.
    ///
    /// Glyph positions are in box-local space (y down, baselines included); every emitted
    /// item carries `transform`. Families the catalogue lacks are drawn in
    /// [`DEFAULT_FAMILY`] with a [`RenderWarning::MissingFont`]; characters no font covers
    /// produce a [`RenderWarning::MissingGlyphs`]; auto-fit text that does not fit even at
    /// [`MIN_AUTO_FIT_SCALE`] produces a [`RenderWarning::TextOverflow`].
    #[expect(clippy::too_many_arguments, reason = "the signature is shared with compose and export")]
    pub fn layout(
        &mut self,
        layer: &str,
        content: &TextContent,
        w: f64,
        h: f64,
        transform: Affine,
        items: &mut Vec<Item>,
        warnings: &mut Vec<RenderWarning>,
    ) {
        let text = content.text.as_str();
        let mut missing_families: Vec<&str> = Vec::new();
        let Some((base, spans)) = self.prepare(content, w, h, &mut missing_families) else { return };
        for family in missing_families {
            warnings.push(RenderWarning::MissingFont {
                layer: layer.to_owned(),
                family: family.to_owned(),
                used: self.family_name(self.default_family).to_owned(),
            });
        }
        let (width, height) = (w as f32, h as f32);
        let (_, fits) = self.fit(text, &base, &spans, content.auto_fit, width, height);
        if content.auto_fit && !fits {
            warnings.push(RenderWarning::TextOverflow { layer: layer.to_owned() });
        }
        self.spans = spans;

        let block = self.layout.height();
        let dy = match content.vertical_align {
            VerticalAlign::Top => 0.0,
            VerticalAlign::Middle => 0.5 * (height - block),
            VerticalAlign::Bottom => height - block,
        };
        let missing = self.emit(text, dy, transform, items);
        if !missing.is_empty() {
            warnings.push(RenderWarning::MissingGlyphs { layer: layer.to_owned(), chars: missing });
        }
    }

    /// Measures how `content` lays out in a `w`×`h` box without drawing it: whether it fits
    /// (after auto-fit shrinking when the layer asks for it), the scale auto-fit chose, and the
    /// laid-out block's size. Empty text fits; a degenerate box or size does not.
    pub fn measure(&mut self, content: &TextContent, w: f64, h: f64) -> TextMeasure {
        if content.text.is_empty() {
            return TextMeasure { fits: true, scale: 1.0, width: 0.0, height: 0.0, lines: 0 };
        }
        let mut missing = Vec::new();
        let Some((base, spans)) = self.prepare(content, w, h, &mut missing) else {
            return TextMeasure { fits: false, scale: 1.0, width: 0.0, height: 0.0, lines: 0 };
        };
        let (scale, fits) = self.fit(&content.text, &base, &spans, content.auto_fit, w as f32, h as f32);
        self.spans = spans;
        let width =
            self.layout.lines().map(|l| l.metrics().advance - l.metrics().hanging_advance).fold(0.0f32, f32::max);
        TextMeasure {
            fits,
            scale,
            width: f64::from(width),
            height: f64::from(self.layout.height()),
            lines: self.layout.lines().count(),
        }
    }

    /// The sanitised layer style and its spans, or `None` when there is nothing to lay out.
    /// Families the catalogue lacks are pushed to `missing`.
    fn prepare<'a>(
        &mut self,
        content: &'a TextContent,
        w: f64,
        h: f64,
        missing_families: &mut Vec<&'a str>,
    ) -> Option<(BaseStyle, Vec<SpanStyle>)> {
        let text = content.text.as_str();
        if text.is_empty() || !(w.is_finite() && h.is_finite() && w > 0.0 && h >= 0.0) {
            return None;
        }
        if !(content.font_size.is_finite() && content.font_size > 0.0) {
            return None;
        }
        let base = BaseStyle {
            family: self.resolve_family(&content.font_family, missing_families),
            weight: content.font_weight.clamp(1, 1000),
            italic: content.italic,
            size: clamp_size(content.font_size),
            color: ink(content.color),
            line_height: finite_or(content.line_height, 1.2).clamp(0.1, 10.0) as f32,
            letter_spacing_em: finite_or(content.letter_spacing, 0.0).clamp(-1.0, 10.0) as f32,
            alignment: match content.align {
                TextAlign::Left => Alignment::Left,
                TextAlign::Center => Alignment::Center,
                TextAlign::Right => Alignment::Right,
                TextAlign::Justify => Alignment::Justify,
            },
        };
        let mut spans = std::mem::take(&mut self.spans);
        spans.clear();
        let mut cursor = Utf16Cursor::new(text);
        for span in &content.spans {
            let (Some(start), Some(end)) = (cursor.byte_at(span.start), cursor.byte_at(span.end)) else { continue };
            if start >= end {
                continue;
            }
            let s = &span.style;
            spans.push(SpanStyle {
                range: start..end,
                family: s.font_family.as_deref().map(|f| self.resolve_family(f, missing_families)),
                weight: s.font_weight.map(|w| w.clamp(1, 1000)),
                italic: s.italic,
                size: s.font_size.filter(|v| v.is_finite() && *v > 0.0).map(clamp_size),
                color: s.color.map(ink),
                underline: s.underline.unwrap_or(false),
            });
        }
        Some((base, spans))
    }

    /// Builds the layout at full size and, for auto-fit text that does not fit, at the largest
    /// scale in [MIN_AUTO_FIT_SCALE, 1) that fits (by bisection; the minimum when none does).
    /// Returns the scale left in `self.layout` and whether it fits.
    fn fit(
        &mut self,
        text: &str,
        base: &BaseStyle,
        spans: &[SpanStyle],
        auto_fit: bool,
        width: f32,
        height: f32,
    ) -> (f32, bool) {
        self.build(text, base, spans, 1.0, width);
        if self.fits(width, height) {
            return (1.0, true);
        }
        if !auto_fit {
            return (1.0, false);
        }
        // `hi` never fits, `lo` fits once `lo_fits` is set.
        let (mut lo, mut hi, mut lo_fits) = (MIN_AUTO_FIT_SCALE, 1.0f32, false);
        let mut built = 1.0f32;
        for _ in 0..AUTO_FIT_STEPS {
            let mid = 0.5 * (lo + hi);
            self.build(text, base, spans, mid, width);
            built = mid;
            if self.fits(width, height) {
                (lo, lo_fits) = (mid, true);
            } else {
                hi = mid;
            }
        }
        if !lo_fits {
            self.build(text, base, spans, MIN_AUTO_FIT_SCALE, width);
            let fits = self.fits(width, height);
            return (MIN_AUTO_FIT_SCALE, fits);
        }
        if built != lo {
            self.build(text, base, spans, lo, width);
        }
        (lo, true)
    }

    /// The index of the family called `name`, or the default family (noting `name` as missing).
    fn resolve_family<'a>(&self, name: &'a str, missing: &mut Vec<&'a str>) -> usize {
        if let Some(i) = self.fonts.family_index(name) {
            return i;
        }
        if !missing.contains(&name) {
            missing.push(name);
        }
        self.default_family
    }

    /// The catalogue name of family `index`.
    fn family_name(&self, index: usize) -> &str {
        self.fonts.families().get(index).map_or(DEFAULT_FAMILY, |f| f.family.as_str())
    }

    /// Shapes `text` into `self.layout` at `scale` × the requested sizes, broken at `width`
    /// and aligned.
    fn build(&mut self, text: &str, base: &BaseStyle, spans: &[SpanStyle], scale: f32, width: f32) {
        let names = self.fonts.families();
        let mut b = self.layout_cx.ranged_builder(&mut self.font_cx, text, scale, false);
        b.push_default(StyleProperty::FontFamily(FontFamily::named(&names[base.family].family)));
        b.push_default(StyleProperty::FontSize(base.size));
        b.push_default(StyleProperty::FontWeight(FontWeight::new(f32::from(base.weight))));
        b.push_default(StyleProperty::FontStyle(font_style(base.italic)));
        b.push_default(StyleProperty::Brush(base.color));
        b.push_default(StyleProperty::LineHeight(LineHeight::FontSizeRelative(base.line_height)));
        b.push_default(StyleProperty::LetterSpacing(base.letter_spacing_em * base.size));
        b.push_default(StyleProperty::OverflowWrap(OverflowWrap::Normal));
        for span in spans {
            let r = span.range.clone();
            if let Some(f) = span.family {
                b.push(StyleProperty::FontFamily(FontFamily::named(&names[f].family)), r.clone());
            }
            if let Some(wt) = span.weight {
                b.push(StyleProperty::FontWeight(FontWeight::new(f32::from(wt))), r.clone());
            }
            if let Some(it) = span.italic {
                b.push(StyleProperty::FontStyle(font_style(it)), r.clone());
            }
            if let Some(size) = span.size {
                b.push(StyleProperty::FontSize(size), r.clone());
                b.push(StyleProperty::LetterSpacing(base.letter_spacing_em * size), r.clone());
            }
            if let Some(c) = span.color {
                b.push(StyleProperty::Brush(c), r.clone());
            }
            if span.underline {
                b.push(StyleProperty::Underline(true), r);
            }
        }
        b.build_into(&mut self.layout, text);
        self.layout.break_all_lines(Some(width));
        self.layout.align(base.alignment, AlignmentOptions { align_when_overflowing: true, last_line_alignment: None });
    }

    /// Whether the current layout fits: its block is no taller than `height` and no line is
    /// wider than `width` (lines only overflow when a single word is wider than the box).
    fn fits(&self, width: f32, height: f32) -> bool {
        const EPS: f32 = 0.01;
        self.layout.height() <= height + EPS
            && self.layout.lines().all(|line| {
                let m = line.metrics();
                m.advance - m.hanging_advance <= width + EPS
            })
    }

    /// Appends the current layout's glyph runs (shifted down by `dy`) and underlines; returns
    /// the characters drawn with a missing glyph.
    fn emit(&mut self, text: &str, dy: f32, transform: Affine, items: &mut Vec<Item>) -> String {
        let source: Arc<str> = Arc::from(text);
        let mut missing = String::new();
        let mut atoms = std::mem::take(&mut self.atoms);
        for line in self.layout.lines() {
            // The run whose atoms are in `atoms`, and how many of them glyph runs used up.
            let mut atoms_of: Option<usize> = None;
            let mut next_atom = 0;
            for item in line.items() {
                let PositionedLayoutItem::GlyphRun(glyph_run) = item else { continue };
                let run = glyph_run.run();
                if atoms_of != Some(run.index()) {
                    visual_atoms(run, &mut atoms);
                    atoms_of = Some(run.index());
                    next_atom = 0;
                }
                let font = run.font();
                let meta = self.fonts.face_of(font);
                let synthesis = run.synthesis();
                let style = glyph_run.style();
                let mut glyphs = Vec::new();
                let (mut atom_left, mut cluster) = (0usize, run.text_range());
                for g in glyph_run.positioned_glyphs() {
                    while atom_left == 0 {
                        match atoms.get(next_atom) {
                            Some(a) => {
                                atom_left = a.glyphs;
                                cluster = a.range.clone();
                                next_atom += 1;
                            }
                            None => {
                                // Out of step with parley (should not happen): fall back to the
                                // whole run's text.
                                atom_left = usize::MAX;
                                cluster = run.text_range();
                            }
                        }
                    }
                    atom_left -= 1;
                    if g.id == 0 {
                        note_missing(text.get(cluster.clone()).unwrap_or(""), &mut missing);
                    }
                    glyphs.push(PositionedGlyph {
                        id: g.id,
                        x: g.x,
                        y: g.y + dy,
                        advance: g.advance,
                        cluster: cluster.clone(),
                    });
                }
                if glyphs.is_empty() {
                    continue;
                }
                if let Some(deco) = &style.underline {
                    let metrics = run.font_metrics();
                    let offset = deco.offset.unwrap_or(metrics.underline_offset);
                    let size = deco.size.unwrap_or(metrics.underline_size).max(run.font_size() / 64.0);
                    let top = f64::from(glyph_run.baseline() + dy - offset);
                    let x0 = f64::from(glyph_run.offset());
                    let x1 = x0 + f64::from(glyph_run.advance());
                    items.push(Item::Fill {
                        path: Rect::new(x0, top, x1, top + f64::from(size)).to_path(0.1),
                        transform,
                        brush: Brush::Solid(deco.brush.into()),
                        rule: FillRule::NonZero,
                    });
                }
                let font_size = run.font_size();
                items.push(Item::Glyphs(GlyphRun {
                    font: font.clone(),
                    family: meta.as_ref().map(|m| m.family.family.clone()).unwrap_or_default(),
                    weight: meta.as_ref().map_or(run.font_attrs().weight.value().round() as u16, |m| m.style.weight),
                    italic: meta.as_ref().is_some_and(|m| m.style.italic),
                    font_size,
                    normalized_coords: run.normalized_coords().iter().map(|c| c.to_bits()).collect(),
                    synthetic_skew: synthesis.skew().map_or(0.0, |deg| deg.to_radians().tan()),
                    synthetic_embolden: if synthesis.embolden() { FAUX_BOLD_EM } else { 0.0 },
                    text: source.clone(),
                    glyphs,
                    brush: Brush::Solid(style.brush.into()),
                    transform,
                }));
            }
        }
        self.atoms = atoms;
        missing
    }
}

/// The visual atoms of `run` (left to right), with the source bytes each covers.
fn visual_atoms(run: &parley::Run<'_, Ink>, atoms: &mut Vec<VisualAtom>) {
    atoms.clear();
    let rtl = run.is_rtl();
    // In RTL runs clusters come in reverse logical order, so an atom's continuations come
    // before its start.
    let mut pending: Option<Range<usize>> = None;
    for cluster in run.visual_clusters() {
        let r = cluster.text_range();
        let continuation = cluster.is_ligature_continuation();
        if rtl {
            let merged = match pending.take() {
                Some(p) => p.start.min(r.start)..p.end.max(r.end),
                None => r,
            };
            if continuation {
                pending = Some(merged);
            } else {
                atoms.push(VisualAtom { range: merged, glyphs: cluster.glyphs().count() });
            }
        } else if continuation && let Some(last) = atoms.last_mut() {
            last.range = last.range.start.min(r.start)..last.range.end.max(r.end);
        } else {
            atoms.push(VisualAtom { range: r, glyphs: cluster.glyphs().count() });
        }
    }
    if let Some(p) = pending {
        atoms.push(VisualAtom { range: p, glyphs: 0 });
    }
    atoms.retain(|a| a.glyphs > 0);
}

/// Adds the visible characters of `s` to `missing` (at most [`MAX_MISSING_CHARS`], no repeats).
fn note_missing(s: &str, missing: &mut String) {
    for c in s.chars().filter(|&c| !is_invisible(c)) {
        if missing.chars().count() >= MAX_MISSING_CHARS {
            return;
        }
        if !missing.contains(c) {
            missing.push(c);
        }
    }
}

/// Whitespace, controls and default-ignorable characters (joiners, variation selectors...),
/// which legitimately have no visible glyph.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}')
        || matches!(c, '\u{E0000}'..='\u{E0FFF}')
}

fn font_style(italic: bool) -> FontStyle {
    if italic { FontStyle::Italic } else { FontStyle::Normal }
}

fn ink(c: editor_core::Color) -> Ink {
    Ink([c.r, c.g, c.b, c.a])
}

fn finite_or(v: f64, default: f64) -> f64 {
    if v.is_finite() { v } else { default }
}

fn clamp_size(size: f64) -> f32 {
    size.clamp(0.5, editor_core::limits::MAX_FONT_SIZE) as f32
}

/// Converts UTF-16 offsets (ascending, as spans are sorted) to byte offsets of a string.
struct Utf16Cursor<'a> {
    text: &'a str,
    chars: std::str::CharIndices<'a>,
    /// UTF-16 offset and byte offset of the next character.
    units: u32,
    byte: usize,
}

impl<'a> Utf16Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Utf16Cursor { text, chars: text.char_indices(), units: 0, byte: 0 }
    }

    /// The byte offset of UTF-16 offset `target`: the start of the character at or after it
    /// (an offset inside a surrogate pair moves to the next character); `None` past the end.
    fn byte_at(&mut self, target: u32) -> Option<usize> {
        if target < self.units {
            *self = Utf16Cursor::new(self.text);
        }
        while self.units < target {
            let (_, c) = self.chars.next()?;
            self.units += c.len_utf16() as u32;
            self.byte += c.len_utf8();
        }
        Some(self.byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_to_bytes() {
        let text = "aé😀b";
        let mut c = Utf16Cursor::new(text);
        assert_eq!(c.byte_at(0), Some(0));
        assert_eq!(c.byte_at(1), Some(1));
        assert_eq!(c.byte_at(2), Some(3));
        assert_eq!(c.byte_at(3), Some(7)); // inside the surrogate pair → next char
        assert_eq!(c.byte_at(4), Some(7));
        assert_eq!(c.byte_at(5), Some(8));
        assert_eq!(c.byte_at(6), None);
        assert_eq!(c.byte_at(2), Some(3)); // going back restarts
    }

    #[test]
    fn invisible_chars() {
        assert!(is_invisible('\n'));
        assert!(is_invisible('\u{200D}'));
        assert!(is_invisible('\u{FE0F}'));
        assert!(!is_invisible('a'));
        assert!(!is_invisible('😀'));
    }
}
