//! The allow-list sanitiser: raw checks, roxmltree parse, walk, re-serialisation, and an
//! estimate of how big usvg's tree will get.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::css::{self, CssRef, RuleRefs};
use super::images::{self, Format};
use super::{SvgError, SvgLimits};

const SVG_NS: &str = "http://www.w3.org/2000/svg";
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// Elements that are kept (SVG namespace or no namespace; names are case-sensitive).
const ALLOWED_ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "defs",
    "symbol",
    "use",
    "switch",
    "a",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "textPath",
    "linearGradient",
    "radialGradient",
    "stop",
    "pattern",
    "clipPath",
    "mask",
    "marker",
    "image",
    "style",
    "filter",
    "feBlend",
    "feColorMatrix",
    "feComponentTransfer",
    "feComposite",
    "feConvolveMatrix",
    "feDiffuseLighting",
    "feDisplacementMap",
    "feDistantLight",
    "feDropShadow",
    "feFlood",
    "feFuncA",
    "feFuncB",
    "feFuncG",
    "feFuncR",
    "feGaussianBlur",
    "feImage",
    "feMerge",
    "feMergeNode",
    "feMorphology",
    "feOffset",
    "fePointLight",
    "feSpecularLighting",
    "feSpotLight",
    "feTile",
    "feTurbulence",
];

/// Elements that are refused wherever they appear (compared lower-cased), with the reason.
const DANGEROUS_ELEMENTS: &[(&str, &str)] = &[
    ("script", "script"),
    ("foreignobject", "foreign content"),
    ("iframe", "embedded content"),
    ("embed", "embedded content"),
    ("object", "embedded content"),
    ("applet", "embedded content"),
    ("frame", "embedded content"),
    ("frameset", "embedded content"),
    ("portal", "embedded content"),
    ("animate", "animation"),
    ("animatecolor", "animation"),
    ("animatemotion", "animation"),
    ("animatetransform", "animation"),
    ("set", "animation"),
    ("mpath", "animation"),
    ("discard", "animation"),
    ("handler", "event handler"),
    ("listener", "event handler"),
    ("font-face-uri", "external font"),
    ("html", "HTML"),
    ("body", "HTML"),
    ("head", "HTML"),
    ("meta", "HTML"),
    ("link", "HTML"),
    ("base", "HTML"),
    ("form", "HTML"),
    ("input", "HTML"),
    ("button", "HTML"),
    ("textarea", "HTML"),
    ("audio", "media"),
    ("video", "media"),
    ("source", "media"),
    ("track", "media"),
    ("canvas", "HTML"),
    ("template", "HTML"),
    ("noscript", "HTML"),
];

/// Presentation attributes, also accepted as CSS properties in `style` and `<style>`.
pub(crate) const ALLOWED_PROPERTIES: &[&str] = &[
    "alignment-baseline",
    "baseline-shift",
    "clip",
    "clip-path",
    "clip-rule",
    "color",
    "color-interpolation",
    "color-interpolation-filters",
    "color-rendering",
    "direction",
    "display",
    "dominant-baseline",
    "fill",
    "fill-opacity",
    "fill-rule",
    "filter",
    "flood-color",
    "flood-opacity",
    "font",
    "font-family",
    "font-feature-settings",
    "font-kerning",
    "font-optical-sizing",
    "font-size",
    "font-size-adjust",
    "font-stretch",
    "font-style",
    "font-synthesis",
    "font-variant",
    "font-variant-caps",
    "font-variant-east-asian",
    "font-variant-ligatures",
    "font-variant-numeric",
    "font-variant-position",
    "font-variation-settings",
    "font-weight",
    "glyph-orientation-horizontal",
    "glyph-orientation-vertical",
    "image-rendering",
    "inline-size",
    "isolation",
    "kerning",
    "letter-spacing",
    "lighting-color",
    "line-height",
    "marker",
    "marker-end",
    "marker-mid",
    "marker-start",
    "mask",
    "mask-type",
    "mix-blend-mode",
    "opacity",
    "overflow",
    "paint-order",
    "shape-rendering",
    "stop-color",
    "stop-opacity",
    "stroke",
    "stroke-dasharray",
    "stroke-dashoffset",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-opacity",
    "stroke-width",
    "text-anchor",
    "text-decoration",
    "text-decoration-color",
    "text-decoration-fill",
    "text-decoration-line",
    "text-decoration-stroke",
    "text-decoration-style",
    "text-orientation",
    "text-rendering",
    "transform",
    "transform-box",
    "transform-origin",
    "unicode-bidi",
    "vector-effect",
    "visibility",
    "white-space",
    "word-spacing",
    "writing-mode",
];

/// Other attributes that are kept (no namespace; `href`, `style` and `xml:space` are handled
/// separately).
const ALLOWED_ATTRIBUTES: &[&str] = &[
    "id",
    "class",
    "x",
    "y",
    "z",
    "width",
    "height",
    "rx",
    "ry",
    "cx",
    "cy",
    "r",
    "fx",
    "fy",
    "fr",
    "x1",
    "y1",
    "x2",
    "y2",
    "d",
    "points",
    "pathLength",
    "viewBox",
    "preserveAspectRatio",
    "gradientUnits",
    "gradientTransform",
    "spreadMethod",
    "offset",
    "patternUnits",
    "patternContentUnits",
    "patternTransform",
    "clipPathUnits",
    "maskUnits",
    "maskContentUnits",
    "markerWidth",
    "markerHeight",
    "markerUnits",
    "refX",
    "refY",
    "orient",
    "dx",
    "dy",
    "rotate",
    "textLength",
    "lengthAdjust",
    "startOffset",
    "method",
    "spacing",
    "side",
    "path",
    "filterUnits",
    "primitiveUnits",
    "in",
    "in2",
    "result",
    "mode",
    "type",
    "values",
    "tableValues",
    "slope",
    "intercept",
    "amplitude",
    "exponent",
    "k1",
    "k2",
    "k3",
    "k4",
    "operator",
    "order",
    "kernelMatrix",
    "divisor",
    "bias",
    "targetX",
    "targetY",
    "edgeMode",
    "kernelUnitLength",
    "preserveAlpha",
    "surfaceScale",
    "diffuseConstant",
    "specularConstant",
    "specularExponent",
    "azimuth",
    "elevation",
    "pointsAtX",
    "pointsAtY",
    "pointsAtZ",
    "limitingConeAngle",
    "specularExponent",
    "scale",
    "xChannelSelector",
    "yChannelSelector",
    "stdDeviation",
    "radius",
    "baseFrequency",
    "numOctaves",
    "seed",
    "stitchTiles",
    "requiredFeatures",
    "requiredExtensions",
    "systemLanguage",
    "background-color",
];

/// Shapes: the elements markers attach to.
const SHAPES: &[&str] = &["path", "rect", "circle", "ellipse", "line", "polyline", "polygon"];

/// `s` cut to at most `max` bytes on a character boundary, with "…" when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Checks `bytes`, parses them and returns an SVG document holding only allow-listed
/// elements and attributes, or the reason it was refused.
///
/// The output is well-formed XML in the SVG namespace with no DOCTYPE, comments, processing
/// instructions, foreign namespaces or external references. `href`s are `#id` or (on
/// `<image>`/`<feImage>`) a `data:image/(png|jpeg|webp|gif);base64,` URL whose bytes really are
/// that image within the pixel caps.
pub fn sanitize(bytes: &[u8], limits: &SvgLimits) -> Result<String, SvgError> {
    if bytes.len() > limits.max_bytes {
        return Err(SvgError::TooLarge { bytes: bytes.len(), max: limits.max_bytes });
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(SvgError::Rejected(
            "gzip-compressed data (.svgz) is not accepted; upload the uncompressed SVG".into(),
        ));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(SvgError::Rejected("UTF-16 text is not accepted; SVG must be UTF-8".into()));
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        SvgError::Rejected(format!("not UTF-8 text (invalid byte at offset {}); SVG must be UTF-8", e.valid_up_to()))
    })?;
    if text.contains('\0') {
        return Err(SvgError::Rejected("NUL characters are not allowed".into()));
    }
    prescan(text)?;

    let options = roxmltree::ParsingOptions { allow_dtd: true, ..roxmltree::ParsingOptions::default() };
    let doc = roxmltree::Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::EntityReferenceLoop(_) | roxmltree::Error::DtdDetected => {
            SvgError::Rejected("DOCTYPE/entities are not allowed".into())
        }
        other => SvgError::Parse(other.to_string()),
    })?;

    let root = doc.root_element();
    let root_ns = root.tag_name().namespace();
    if root.tag_name().name() != "svg" || !(root_ns.is_none() || root_ns == Some(SVG_NS)) {
        return Err(SvgError::Rejected(format!(
            "the root element is <{}>, not <svg>",
            truncate(root.tag_name().name(), 40)
        )));
    }

    let elements = doc.descendants().filter(roxmltree::Node::is_element).count() as u64;
    if elements > limits.max_elements {
        return Err(SvgError::TooComplex { elements, max: limits.max_elements, what: "elements" });
    }

    let mut s = Sanitizer {
        limits,
        out: String::with_capacity(text.len().min(1 << 20)),
        nodes: Vec::new(),
        ids: HashMap::new(),
        css_rules: Vec::new(),
        image_pixels: 0,
    };
    s.element(root, 1, None, &Rc::new(Vec::new()), false)?;
    s.check_expansion()?;
    Ok(s.out)
}

/// Refuses DOCTYPEs with an internal subset or a non-W3C identifier, entity and other markup
/// declarations, and processing instructions other than the XML declaration (and Adobe's
/// harmless `<?xpacket?>`), before the XML parser sees them.
fn prescan(text: &str) -> Result<(), SvgError> {
    let mut i = 0;
    while let Some(offset) = text[i..].find('<') {
        let p = i + offset;
        let rest = &text[p..];
        if let Some(after) = rest.strip_prefix("<!--") {
            match after.find("-->") {
                Some(end) => i = p + 4 + end + 3,
                None => return Ok(()),
            }
        } else if let Some(after) = rest.strip_prefix("<![CDATA[") {
            match after.find("]]>") {
                Some(end) => i = p + 9 + end + 3,
                None => return Ok(()),
            }
        } else if let Some(after) = rest.strip_prefix("<!") {
            let word: String = after.chars().take_while(|c| c.is_ascii_alphanumeric()).take(20).collect();
            if !word.eq_ignore_ascii_case("DOCTYPE") {
                return Err(SvgError::Rejected(format!("DOCTYPE/entities are not allowed (<!{word} declaration)")));
            }
            i = p + 2 + check_doctype(after)?;
        } else if let Some(after) = rest.strip_prefix("<?") {
            let name: String =
                after.chars().take_while(|c| !c.is_whitespace() && *c != '?' && *c != '>').take(40).collect();
            if !(name == "xml" || name == "xpacket") {
                let why = if name.eq_ignore_ascii_case("xml-stylesheet") { " (external style sheet)" } else { "" };
                return Err(SvgError::Rejected(format!("processing instruction <?{name}?> is not allowed{why}")));
            }
            match after.find("?>") {
                Some(end) => i = p + 2 + end + 2,
                None => return Ok(()),
            }
        } else {
            i = p + 1;
        }
    }
    Ok(())
}

/// Checks a DOCTYPE (`after` starts just after `<!`); returns its length.
fn check_doctype(after: &str) -> Result<usize, SvgError> {
    let mut quote: Option<char> = None;
    let mut literal = String::new();
    for (i, c) in after.char_indices() {
        match quote {
            Some(q) if c == q => {
                let ok = literal.starts_with("-//W3C//DTD SVG") || literal.starts_with("http://www.w3.org/");
                if !ok {
                    return Err(SvgError::Rejected(format!(
                        "DOCTYPE/entities are not allowed (DOCTYPE referencing {})",
                        truncate(&literal, 100)
                    )));
                }
                literal.clear();
                quote = None;
            }
            Some(_) => literal.push(c),
            None => match c {
                '"' | '\'' => quote = Some(c),
                '[' => {
                    return Err(SvgError::Rejected(
                        "DOCTYPE/entities are not allowed (DOCTYPE with an internal subset)".into(),
                    ));
                }
                '>' => return Ok(i + 1),
                _ => {}
            },
        }
    }
    Ok(after.len())
}

/// What the walk records of a kept element for the expansion estimate.
struct GraphNode {
    /// 1, plus the characters of text it holds.
    base: u64,
    children: Vec<u32>,
    /// Ids referenced by `href="#id"` and `url(#id)` (attributes and `style`).
    refs: Vec<String>,
    /// For shapes: an upper bound on the vertex count, and the markers in effect.
    shape: Option<(u64, Rc<Vec<String>>)>,
    /// Class names, for `<style>` rules that reference something.
    classes: Vec<String>,
}

struct Sanitizer<'l> {
    limits: &'l SvgLimits,
    out: String,
    nodes: Vec<GraphNode>,
    ids: HashMap<String, u32>,
    css_rules: Vec<RuleRefs>,
    image_pixels: u64,
}

/// Edges of the expansion graph: (target node, copies).
type Edges = Vec<(usize, u64)>;

/// Where an `href` may point, by element.
enum HrefOutcome {
    Keep(String),
    Drop,
}

fn is_marker_property(name: &str) -> bool {
    matches!(name, "marker" | "marker-start" | "marker-mid" | "marker-end")
}

fn dangerous(local: &str) -> Option<&'static str> {
    let lower = local.to_ascii_lowercase();
    DANGEROUS_ELEMENTS.iter().find(|(name, _)| *name == lower).map(|(_, why)| *why)
}

/// Number of numbers in `s` (runs of digits and dots), an upper bound on path vertices.
fn count_numbers(s: &str) -> u64 {
    let mut count = 0u64;
    let mut in_number = false;
    for b in s.bytes() {
        let numeric = b.is_ascii_digit() || b == b'.';
        if numeric && !in_number {
            count += 1;
        }
        in_number = numeric;
    }
    count
}

fn escape_attribute(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
}

fn escape_text(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

impl Sanitizer<'_> {
    /// Checks that apply to every attribute of every element, kept or dropped.
    fn check_any_attribute(element: &str, attr: &roxmltree::Attribute) -> Result<(), SvgError> {
        let name = attr.name();
        if name.len() > 2 && name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("on")) {
            return Err(SvgError::Rejected(format!(
                "attribute {} on <{element}> is not allowed (event handler)",
                truncate(name, 60)
            )));
        }
        if attr.namespace() == Some(XML_NS) && name == "base" {
            return Err(SvgError::Rejected(format!("attribute xml:base on <{element}> is not allowed")));
        }
        css::check_script_url(attr.value(), &|| format!("attribute {} of <{element}>", truncate(name, 60)))
    }

    /// Checks for an `href` (on SVG elements, kept or not).
    fn check_href(&mut self, element: &str, attr_name: &str, value: &str) -> Result<HrefOutcome, SvgError> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(HrefOutcome::Drop);
        }
        if let Some(id) = value.strip_prefix('#') {
            if css::is_plain_id(id) {
                return Ok(HrefOutcome::Keep(value.to_owned()));
            }
            return Err(SvgError::Rejected(format!(
                "reference {} in {attr_name} of <{element}> is not allowed (only #id)",
                truncate(value, 100)
            )));
        }
        if css::compact_lower(value).starts_with("data:") {
            return self.check_data_href(element, attr_name, value).map(HrefOutcome::Keep);
        }
        if element == "a" {
            // A hyperlink loads nothing while drawing; the link itself is dropped.
            let lower = css::compact_lower(value);
            if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("mailto:") {
                return Ok(HrefOutcome::Drop);
            }
        }
        Err(SvgError::Rejected(format!("external reference {} in {attr_name} of <{element}>", truncate(value, 100))))
    }

    /// A `data:` URL in an `href`: only base64 PNG/JPEG/WebP/GIF on `<image>` and `<feImage>`,
    /// whose bytes really are such an image within the pixel caps. Returns the normalised URL.
    fn check_data_href(&mut self, element: &str, attr_name: &str, value: &str) -> Result<String, SvgError> {
        let Some(url) = images::parse_data_url(value) else {
            return Err(SvgError::Rejected(format!("malformed data URL in {attr_name} of <{element}>")));
        };
        if url.mime == "image/svg+xml" {
            return Err(SvgError::Rejected(format!(
                "data URL of type image/svg+xml in {attr_name} of <{element}> is not allowed (embedded SVG)"
            )));
        }
        if !matches!(url.mime.as_str(), "image/png" | "image/jpeg" | "image/jpg" | "image/webp" | "image/gif") {
            let mime = if url.mime.is_empty() { "text/plain" } else { url.mime.as_str() };
            return Err(SvgError::Rejected(format!(
                "data URL of type {} in {attr_name} of <{element}> is not allowed (only PNG, JPEG, WebP and GIF images)",
                truncate(mime, 60)
            )));
        }
        if !(element == "image" || element == "feImage") {
            return Err(SvgError::Rejected(format!("data URL in {attr_name} of <{element}> is not allowed")));
        }
        if !url.base64 {
            return Err(SvgError::Rejected(format!(
                "data URL in {attr_name} of <{element}> is not allowed unless base64-encoded"
            )));
        }
        let Some(data) = images::decode_base64(&url.payload) else {
            return Err(SvgError::Rejected(format!("embedded image in <{element}> is not valid base64")));
        };
        let Some(format) = Format::sniff(&data) else {
            return Err(SvgError::Rejected(format!(
                "embedded data in <{element}> is not a PNG, JPEG, WebP or GIF image"
            )));
        };
        let Some((w, h)) = images::dimensions(format, &data) else {
            return Err(SvgError::Rejected(format!("embedded {} in <{element}> cannot be read", format.mime())));
        };
        let pixels = u64::from(w) * u64::from(h);
        if pixels > self.limits.max_image_pixels {
            return Err(SvgError::ImageTooLarge { what: "an image", pixels, max: self.limits.max_image_pixels });
        }
        self.image_pixels = self.image_pixels.saturating_add(pixels);
        if self.image_pixels > self.limits.max_total_image_pixels {
            return Err(SvgError::ImageTooLarge {
                what: "images",
                pixels: self.image_pixels,
                max: self.limits.max_total_image_pixels,
            });
        }
        Ok(format!("data:{};base64,{}", format.mime(), images::encode_base64(&data)))
    }

    /// Checks a subtree that is not kept: refused things are still refused (a script inside
    /// `<metadata>` is still a script), everything else is dropped.
    fn check_dropped(&mut self, node: roxmltree::Node, depth: usize) -> Result<(), SvgError> {
        if depth > self.limits.max_depth {
            return Err(SvgError::TooDeep { depth, max: self.limits.max_depth });
        }
        let ns = node.tag_name().namespace();
        let local = node.tag_name().name();
        let svgish = ns.is_none() || ns == Some(SVG_NS);
        if svgish || ns == Some(XHTML_NS) {
            if let Some(why) = dangerous(local) {
                return Err(SvgError::Rejected(format!("element <{}> is not allowed ({why})", truncate(local, 60))));
            }
            if ns == Some(XHTML_NS) {
                return Err(SvgError::Rejected(format!("HTML element <{}> is not allowed", truncate(local, 60))));
            }
        }
        let element = truncate(local, 60);
        for attr in node.attributes() {
            Self::check_any_attribute(&element, &attr)?;
            if svgish && attr.name() == "href" && matches!(attr.namespace(), None | Some(XLINK_NS)) {
                let name = if attr.namespace().is_some() { "xlink:href" } else { "href" };
                self.check_href(&element, name, attr.value())?;
            }
        }
        for child in node.children().filter(roxmltree::Node::is_element) {
            self.check_dropped(child, depth + 1)?;
        }
        Ok(())
    }

    /// Walks an element: refuses, drops or re-serialises it.
    fn element(
        &mut self,
        node: roxmltree::Node,
        depth: usize,
        parent: Option<u32>,
        markers: &Rc<Vec<String>>,
        in_text: bool,
    ) -> Result<(), SvgError> {
        if depth > self.limits.max_depth {
            return Err(SvgError::TooDeep { depth, max: self.limits.max_depth });
        }
        let ns = node.tag_name().namespace();
        let local = node.tag_name().name();
        let kept = (ns.is_none() || ns == Some(SVG_NS)) && ALLOWED_ELEMENTS.contains(&local);
        if !kept {
            return self.check_dropped(node, depth);
        }
        let context_element = local;

        // Attributes.
        let mut attrs: Vec<(&str, String)> = Vec::new();
        let mut refs: Vec<String> = Vec::new();
        let mut own_markers: Vec<String> = Vec::new();
        let mut classes = Vec::new();
        let mut id = None;
        let mut href: Option<(&str, &str)> = None;
        let mut xlink_href: Option<(&str, &str)> = None;
        let mut style_type_ok = true;
        let mut vertices = 0u64;
        for attr in node.attributes() {
            Self::check_any_attribute(context_element, &attr)?;
            let name = attr.name();
            let value = attr.value();
            match attr.namespace() {
                None => {
                    if name == "href" {
                        href = Some(("href", value));
                        continue;
                    }
                    let context = || format!("attribute {} of <{context_element}>", truncate(name, 60));
                    if name == "style" {
                        let mut css_refs: Vec<CssRef> = Vec::new();
                        let filtered = css::filter_style_attribute(value, &context, &mut css_refs)?;
                        for (property, target) in css_refs {
                            if is_marker_property(&property) {
                                own_markers.push(target);
                            } else {
                                refs.push(target);
                            }
                        }
                        if !filtered.is_empty() {
                            attrs.push(("style", filtered));
                        }
                        continue;
                    }
                    if css::compact_lower(value).starts_with("data:") {
                        return Err(SvgError::Rejected(format!("data URL in {} is not allowed", context())));
                    }
                    let targets = css::url_refs(value, &context)?;
                    if is_marker_property(name) {
                        own_markers.extend(targets);
                    } else {
                        refs.extend(targets);
                    }
                    match name {
                        "class" => classes = value.split_whitespace().map(str::to_owned).collect(),
                        "id" => id = Some(value),
                        "type" if local == "style" => style_type_ok = value.trim().eq_ignore_ascii_case("text/css"),
                        "d" if local == "path" => vertices = count_numbers(value),
                        "points" => vertices = count_numbers(value) / 2 + 1,
                        _ => {}
                    }
                    if ALLOWED_ATTRIBUTES.contains(&name) || ALLOWED_PROPERTIES.contains(&name) {
                        css::check_numbers(name, value, &context)?;
                        attrs.push((name, value.to_owned()));
                    }
                }
                Some(XLINK_NS) if name == "href" => xlink_href = Some(("xlink:href", value)),
                Some(XML_NS) if name == "space" => attrs.push(("xml:space", value.to_owned())),
                _ => {}
            }
        }
        // Both are checked; the plain `href` wins, as in SVG 2.
        let mut kept_href = None;
        for (attr_name, value) in [xlink_href, href].into_iter().flatten() {
            if let HrefOutcome::Keep(v) = self.check_href(local, attr_name, value)? {
                kept_href = Some(v);
            } else if attr_name == "href" {
                kept_href = None;
            }
        }
        if let Some(v) = kept_href {
            if let Some(target) = v.strip_prefix('#') {
                refs.push(target.to_owned());
            }
            attrs.push(("href", v));
        }
        if local == "style" && !style_type_ok {
            // usvg ignores style sheets that are not CSS; so do we.
            return Ok(());
        }

        // The graph node.
        let index = self.nodes.len() as u32;
        let markers = if own_markers.is_empty() {
            markers.clone()
        } else {
            let mut all = (**markers).clone();
            for m in own_markers {
                if !all.contains(&m) {
                    all.push(m);
                }
            }
            Rc::new(all)
        };
        let shape = SHAPES.contains(&local).then(|| {
            let v = match local {
                "path" | "polyline" | "polygon" => vertices,
                _ => 8,
            };
            (v, markers.clone())
        });
        self.nodes.push(GraphNode { base: 1, children: Vec::new(), refs, shape, classes });
        if let Some(id) = id {
            self.ids.entry(id.to_owned()).or_insert(index);
        }
        if let Some(parent) = parent {
            self.nodes[parent as usize].children.push(index);
        }

        // Start tag.
        self.out.push('<');
        self.out.push_str(local);
        if parent.is_none() {
            self.out.push_str(" xmlns=\"");
            self.out.push_str(SVG_NS);
            self.out.push('"');
        }
        for (name, value) in &attrs {
            self.out.push(' ');
            self.out.push_str(name);
            self.out.push_str("=\"");
            escape_attribute(value, &mut self.out);
            self.out.push('"');
        }
        let start_len = self.out.len();
        self.out.push('>');

        // Content. Character data is kept only in text content elements (and in `<style>`,
        // filtered, below).
        let in_text = in_text || local == "text";
        let keeps_text = in_text && matches!(local, "text" | "tspan" | "textPath" | "a");
        if local == "style" {
            let css_text: String = node.children().filter(roxmltree::Node::is_text).filter_map(|n| n.text()).collect();
            let (filtered, rules) = css::filter_style_sheet(&css_text)?;
            escape_text(&filtered, &mut self.out);
            self.css_rules.extend(rules);
        }
        for child in node.children() {
            if child.is_element() {
                self.element(child, depth + 1, Some(index), &markers, in_text)?;
            } else if child.is_text() && keeps_text {
                let text = child.text().unwrap_or_default();
                let chars = text.chars().filter(|c| !c.is_whitespace()).count() as u64;
                let node = &mut self.nodes[index as usize];
                node.base = node.base.saturating_add(chars);
                escape_text(text, &mut self.out);
            }
        }

        // End tag (or an empty-element tag when nothing was written inside).
        if self.out.len() == start_len + 1 {
            self.out.truncate(start_len);
            self.out.push_str("/>");
        } else {
            self.out.push_str("</");
            self.out.push_str(local);
            self.out.push('>');
        }
        Ok(())
    }

    /// Estimates the size and depth of usvg's tree once `<use>` copies, markers (one copy per
    /// vertex), clip paths, masks, patterns and other references are expanded, and refuses
    /// documents past the limits.
    fn check_expansion(&self) -> Result<(), SvgError> {
        let n = self.nodes.len();
        if n == 0 {
            return Ok(());
        }
        let resolve = |id: &str| self.ids.get(id).map(|&i| i as usize);

        // Rules of <style> that reference something: by class, or (other selectors) for all.
        let mut by_class: HashMap<&str, Vec<(bool, usize)>> = HashMap::new();
        let mut for_all: HashSet<(bool, usize)> = HashSet::new();
        for rule in &self.css_rules {
            for selector in rule.selector.split(',') {
                let selector = selector.trim();
                let class = selector
                    .strip_prefix('.')
                    .filter(|c| !c.is_empty() && c.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_'));
                for (property, id) in &rule.refs {
                    let Some(target) = resolve(id) else { continue };
                    let entry = (is_marker_property(property), target);
                    match class {
                        Some(class) => by_class.entry(class).or_default().push(entry),
                        None => {
                            for_all.insert(entry);
                        }
                    }
                }
            }
        }
        const MAX_GLOBAL_CSS_REFS: usize = 256;
        if for_all.len() > MAX_GLOBAL_CSS_REFS {
            return Err(SvgError::TooComplex {
                elements: for_all.len() as u64,
                max: MAX_GLOBAL_CSS_REFS as u64,
                what: "elements referenced by <style> rules that are not plain class selectors",
            });
        }

        // Edges: (target, multiplier).
        let edges = |v: usize| -> Edges {
            let node = &self.nodes[v];
            let mut e: Vec<(usize, u64)> = node.children.iter().map(|&c| (c as usize, 1)).collect();
            e.extend(node.refs.iter().filter_map(|id| resolve(id)).map(|t| (t, 1)));
            let marker_copies = node.shape.as_ref().map_or(0, |(vertices, _)| vertices.saturating_add(2));
            if let Some((_, markers)) = &node.shape {
                e.extend(markers.iter().filter_map(|id| resolve(id)).map(|t| (t, marker_copies)));
            }
            let mut css_edge = |(is_marker, target): (bool, usize)| {
                if !is_marker {
                    e.push((target, 1));
                } else if node.shape.is_some() {
                    e.push((target, marker_copies));
                }
            };
            for class in &node.classes {
                if let Some(list) = by_class.get(class.as_str()) {
                    list.iter().copied().for_each(&mut css_edge);
                }
            }
            for_all.iter().copied().for_each(&mut css_edge);
            e
        };

        // Iterative post-order DFS; an edge back into the current path (a cycle, which usvg
        // skips) counts nothing.
        const NEW: u8 = 0;
        const OPEN: u8 = 1;
        const DONE: u8 = 2;
        let mut state = vec![NEW; n];
        let mut cost = vec![0u64; n];
        let mut depth = vec![0usize; n];
        // (node, its edges, the next edge to visit)
        let mut stack: Vec<(usize, Edges, usize)> = Vec::new();
        state[0] = OPEN;
        stack.push((0, edges(0), 0));
        while let Some((v, e, next)) = stack.last_mut() {
            if *next < e.len() {
                let (t, _) = e[*next];
                *next += 1;
                if state[t] == NEW {
                    state[t] = OPEN;
                    let te = edges(t);
                    stack.push((t, te, 0));
                }
                continue;
            }
            let v = *v;
            let mut c = self.nodes[v].base;
            let mut d = 0usize;
            for &(t, m) in e.iter() {
                if state[t] == DONE {
                    c = c.saturating_add(cost[t].saturating_mul(m));
                    d = d.max(depth[t]);
                }
            }
            cost[v] = c;
            depth[v] = d + 1;
            state[v] = DONE;
            stack.pop();
            if c > self.limits.max_rendered_elements {
                return Err(SvgError::TooComplex {
                    elements: c,
                    max: self.limits.max_rendered_elements,
                    what: "elements after expanding <use>, markers and references",
                });
            }
            if depth[v] > self.limits.max_depth {
                return Err(SvgError::TooDeep { depth: depth[v], max: self.limits.max_depth });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(svg: &str) -> String {
        sanitize(svg.as_bytes(), &SvgLimits::default()).unwrap()
    }

    fn reason(svg: &str) -> String {
        sanitize(svg.as_bytes(), &SvgLimits::default()).unwrap_err().to_string()
    }

    #[test]
    fn keeps_allowed_attributes_and_drops_the_rest() {
        let out = clean(
            r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
                 width="10" height="10" data-name="x" inkscape:version="1.3" version="1.1">
                 <rect x="1" y="2" width="3" height="4" fill="#f00" inkscape:label="r" data-foo="bar" cursor="pointer"/>
               </svg>"##,
        );
        assert_eq!(
            out,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect x="1" y="2" width="3" height="4" fill="#f00"/></svg>"##
        );
    }

    #[test]
    fn drops_metadata_title_desc_comments_and_foreign_elements() {
        let out = clean(
            r#"<?xml version="1.0" encoding="UTF-8"?>
               <!-- Generator: Adobe Illustrator -->
               <svg xmlns="http://www.w3.org/2000/svg" xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
                    xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:cc="http://creativecommons.org/ns#">
                 <title>Logo</title><desc>A logo</desc>
                 <metadata><rdf:RDF><cc:Work rdf:about=""><cc:license rdf:resource="http://creativecommons.org/licenses/by/4.0/"/></cc:Work></rdf:RDF></metadata>
                 <sodipodi:namedview pagecolor="white"/>
                 <g><circle r="1"/></g>
               </svg>"#,
        );
        assert_eq!(out, r#"<svg xmlns="http://www.w3.org/2000/svg"><g><circle r="1"/></g></svg>"#);
    }

    #[test]
    fn escapes_text_and_attribute_values() {
        let out = clean(
            r#"<svg xmlns="http://www.w3.org/2000/svg"><text x="0" id="a&amp;&quot;&lt;b">1 &lt; 2 &amp;&amp; 3 &gt; 2 <![CDATA[<tag>]]></text></svg>"#,
        );
        assert_eq!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><text x="0" id="a&amp;&quot;&lt;b">1 &lt; 2 &amp;&amp; 3 &gt; 2 &lt;tag&gt;</text></svg>"#
        );
        // And the result parses back to the same text.
        let doc = roxmltree::Document::parse(&out).unwrap();
        let text = doc.descendants().find(|n| n.has_tag_name("text")).unwrap();
        assert_eq!(text.text(), Some("1 < 2 && 3 > 2 <tag>"));
        assert_eq!(text.attribute("id"), Some("a&\"<b"));
    }

    #[test]
    fn a_style_inside_text_is_written_once_filtered() {
        // Found by fuzzing: the raw CSS used to be written after the filtered one.
        let out = clean(
            r#"<svg xmlns="http://www.w3.org/2000/svg"><text>A<style>.a{fill:red;x-y:1}</style>B<rect>C</rect></text></svg>"#,
        );
        assert_eq!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><text>A<style>.a{fill:red}
</style>B<rect/></text></svg>"#
        );
        assert_eq!(clean(&out), out);
    }

    #[test]
    fn text_outside_text_elements_is_dropped() {
        let out = clean(r#"<svg xmlns="http://www.w3.org/2000/svg"><g>stray<rect/></g></svg>"#);
        assert_eq!(out, r#"<svg xmlns="http://www.w3.org/2000/svg"><g><rect/></g></svg>"#);
    }

    #[test]
    fn hrefs_are_normalised() {
        let out = clean(
            r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
                 <defs><path id="p" d="M0 0L1 1"/></defs><use xlink:href="#p"/><a href="https://example.com/"><rect/></a>
               </svg>"##,
        );
        assert!(out.contains(r##"<use href="#p"/>"##), "{out}");
        assert!(out.contains("<a><rect/></a>"), "{out}");
    }

    #[test]
    fn style_attribute_and_sheet_are_filtered() {
        let out = clean(
            r#"<svg xmlns="http://www.w3.org/2000/svg"><style type="text/css"><![CDATA[ .a > .b {fill:red;-x-y:1} ]]></style>
               <rect style="fill:blue;-inkscape-font-specification:Inter;stroke:none"/></svg>"#,
        );
        assert!(out.contains("<style type=\"text/css\">.a &gt; .b{fill:red}\n</style>"), "{out}");
        assert!(out.contains(r#"<rect style="fill:blue;stroke:none"/>"#), "{out}");
    }

    #[test]
    fn plain_svg_doctype_is_tolerated_but_subsets_are_not() {
        let ok = r#"<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg xmlns="http://www.w3.org/2000/svg"/>"#;
        assert_eq!(clean(ok), r#"<svg xmlns="http://www.w3.org/2000/svg"/>"#);
        assert!(reason(r#"<!DOCTYPE svg [<!ENTITY a "b">]><svg/>"#).contains("DOCTYPE/entities"));
        assert!(reason(r#"<!DOCTYPE svg SYSTEM "http://evil.example/x.dtd"><svg/>"#).contains("DOCTYPE/entities"));
    }

    #[test]
    fn a_use_bomb_is_refused_before_usvg_sees_it() {
        let mut svg = String::from(r#"<svg xmlns="http://www.w3.org/2000/svg"><defs><path id="l0" d="M0 0h1v1z"/>"#);
        for i in 1..8 {
            svg.push_str(&format!(r#"<g id="l{i}">"#));
            for _ in 0..10 {
                svg.push_str(&format!(r##"<use href="#l{}"/>"##, i - 1));
            }
            svg.push_str("</g>");
        }
        svg.push_str(r##"</defs><use href="#l7"/></svg>"##);
        assert!(reason(&svg).contains("too complex"));
    }

    #[test]
    fn marker_copies_are_counted() {
        let mut d = String::from("M0 0");
        for i in 0..2000 {
            d.push_str(&format!(" L{i} {i}"));
        }
        let mut marker = String::new();
        for _ in 0..100 {
            marker.push_str("<circle r=\"1\"/>");
        }
        let svg = format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg"><marker id="m">{marker}</marker><path d="{d}" marker-mid="url(#m)"/></svg>"##
        );
        assert!(reason(&svg).contains("too complex"));
    }

    #[test]
    fn reference_cycles_do_not_hang() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg"><g id="a"><use href="#b"/></g><g id="b"><use href="#a"/></g></svg>"##;
        assert!(sanitize(svg.as_bytes(), &SvgLimits::default()).is_ok());
    }
}
