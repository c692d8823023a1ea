//! CSS in `style` attributes and `<style>` elements: checks and an allow-list filter.
//!
//! The checks run on the text as written and with CSS escapes decoded (what a browser would
//! see), so `\75 rl(` cannot smuggle a `url(`. The filter keeps only declarations of
//! allow-listed properties and only plain rules (`selector { declarations }`); at-rules are
//! dropped.

use super::SvgError;
use super::sanitize::{ALLOWED_PROPERTIES, truncate};

/// One `url(#id)` reference found in CSS: the property and the id.
pub(crate) type CssRef = (String, String);

/// A rule of a style sheet that references something: its selector and references.
#[derive(Debug)]
pub(crate) struct RuleRefs {
    pub selector: String,
    pub refs: Vec<CssRef>,
}

/// Lower-cased, with ASCII whitespace and control characters removed (how URL schemes are
/// compared: browsers ignore tabs and newlines inside them).
pub(crate) fn compact_lower(s: &str) -> String {
    s.chars().filter(|c| !c.is_ascii_whitespace() && !c.is_control()).map(|c| c.to_ascii_lowercase()).collect()
}

/// Refuses script URLs anywhere in `value`.
pub(crate) fn check_script_url(value: &str, context: &dyn Fn() -> String) -> Result<(), SvgError> {
    let compact = compact_lower(value);
    for scheme in ["javascript:", "vbscript:", "livescript:"] {
        if compact.contains(scheme) {
            return Err(SvgError::Rejected(format!("{scheme} URL in {} is not allowed", context())));
        }
    }
    Ok(())
}

/// Whether `id` can be the target of a local reference.
pub(crate) fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 1024
        && !id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '(' | ')' | '<' | '>' | '\\'))
}

/// The ids of every `url(...)` in `value`; anything but `url(#id)` is refused.
pub(crate) fn url_refs(value: &str, context: &dyn Fn() -> String) -> Result<Vec<String>, SvgError> {
    let lower = value.to_ascii_lowercase();
    let mut ids = Vec::new();
    let mut from = 0;
    while let Some(pos) = lower[from..].find("url(") {
        let start = from + pos + 4;
        let rest = &value[start..];
        let trimmed = rest.trim_start();
        let skipped = rest.len() - trimmed.len();
        let (target, end) = match trimmed.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let inner = &trimmed[1..];
                let Some(close) = inner.find(q) else {
                    return Err(SvgError::Rejected(format!("unterminated url( in {}", context())));
                };
                let after = &inner[close + 1..];
                let Some(paren) = after.find(')') else {
                    return Err(SvgError::Rejected(format!("unterminated url( in {}", context())));
                };
                if !after[..paren].trim().is_empty() {
                    return Err(SvgError::Rejected(format!("malformed url( in {}", context())));
                }
                (&inner[..close], start + skipped + 1 + close + 1 + paren + 1)
            }
            _ => {
                let Some(paren) = trimmed.find(')') else {
                    return Err(SvgError::Rejected(format!("unterminated url( in {}", context())));
                };
                (&trimmed[..paren], start + skipped + paren + 1)
            }
        };
        let target = target.trim();
        match target.strip_prefix('#') {
            Some(id) if is_plain_id(id) => ids.push(id.to_owned()),
            _ => {
                let what = if compact_lower(target).starts_with("data:") { "data URL" } else { "reference" };
                return Err(SvgError::Rejected(format!(
                    "{what} url({}) in {} is not allowed (only url(#id) references)",
                    truncate(target, 100),
                    context()
                )));
            }
        }
        from = end;
    }
    Ok(ids)
}

/// `s` with CSS escapes decoded (`\75` → `u`, `\(` → `(`, escaped newlines removed).
pub(crate) fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let mut hex = String::new();
        while hex.len() < 6
            && let Some(&h) = chars.peek()
            && h.is_ascii_hexdigit()
        {
            hex.push(h);
            chars.next();
        }
        if hex.is_empty() {
            match chars.next() {
                Some('\n' | '\r' | '\x0c') | None => {}
                Some(other) => out.push(other),
            }
        } else {
            let code = u32::from_str_radix(&hex, 16).unwrap_or(0xFFFD);
            out.push(char::from_u32(code).filter(|&c| c != '\0').unwrap_or('\u{FFFD}'));
            if chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                chars.next();
            }
        }
    }
    out
}

/// `css` without `/* comments */` and without the HTML comment markers `<!--` and `-->`.
pub(crate) fn strip_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        out.push(' ');
        match rest[start + 2..].find("*/") {
            Some(end) => rest = &rest[start + 2 + end + 2..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    out.replace("<!--", " ").replace("-->", " ")
}

/// The checks every piece of CSS passes, as written and with escapes decoded.
pub(crate) fn check_css(text: &str, context: &dyn Fn() -> String) -> Result<(), SvgError> {
    let unescaped = unescape(text);
    for form in [text, unescaped.as_str()] {
        let compact = compact_lower(form);
        let refuse = |what: &str| Err(SvgError::Rejected(format!("{what} in {} is not allowed", context())));
        if compact.contains("@import") {
            return refuse("CSS @import");
        }
        if compact.contains("expression(") {
            return refuse("CSS expression()");
        }
        if compact.contains("behavior:") || compact.contains("-moz-binding") {
            return refuse("CSS behavior/-moz-binding");
        }
        for function in ["image-set(", "image(", "element(", "cross-fade(", "src("] {
            if compact.contains(function) {
                return refuse(&format!("CSS {function}) (it can load external content)"));
            }
        }
        check_script_url(form, context)?;
        url_refs(form, context)?;
    }
    Ok(())
}

/// Largest magnitude a number in a geometry attribute or property may have. usvg flattens arcs
/// (and circles, ellipses and rounded rectangles) into a number of curves that grows with the
/// radius, so a radius of 1e60 would need billions of them.
pub(crate) const MAX_NUMBER: f64 = 1e6;

/// Attributes and properties whose values hold colours, names or references rather than
/// geometry; [`check_numbers`] leaves them alone (`#1e9999` is a colour).
const NOT_GEOMETRY: &[&str] = &[
    "id",
    "class",
    "href",
    "style",
    "type",
    "fill",
    "stroke",
    "stop-color",
    "flood-color",
    "lighting-color",
    "color",
    "background-color",
    "text-decoration",
    "text-decoration-color",
    "text-decoration-fill",
    "text-decoration-stroke",
    "font",
    "font-family",
    "font-feature-settings",
    "clip-path",
    "mask",
    "filter",
    "marker",
    "marker-start",
    "marker-mid",
    "marker-end",
    "systemLanguage",
    "requiredFeatures",
    "requiredExtensions",
];

/// Refuses numbers of more than [`MAX_NUMBER`] in magnitude in the value of geometry attribute
/// or property `name`.
pub(crate) fn check_numbers(name: &str, value: &str, context: &dyn Fn() -> String) -> Result<(), SvgError> {
    if NOT_GEOMETRY.contains(&name) {
        return Ok(());
    }
    let b = value.as_bytes();
    let digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = 0;
    while i < b.len() {
        let starts = b[i].is_ascii_digit() || (b[i] == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit));
        if !starts {
            i += 1;
            continue;
        }
        let start = i;
        i = digits(i);
        if b.get(i) == Some(&b'.') && start < i {
            i = digits(i + 1);
        } else if b[start] == b'.' {
            i = digits(start + 1);
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            let mut j = i + 1;
            if matches!(b.get(j), Some(b'+' | b'-')) {
                j += 1;
            }
            if b.get(j).is_some_and(u8::is_ascii_digit) {
                i = digits(j);
            }
        }
        let token = &value[start..i];
        // A run of digits never parses to NaN; overflow gives infinity.
        let magnitude = token.parse::<f64>().unwrap_or(f64::INFINITY);
        if magnitude > MAX_NUMBER {
            return Err(SvgError::Rejected(format!(
                "number {} in {} is out of range (at most {MAX_NUMBER} in magnitude)",
                truncate(token, 40),
                context()
            )));
        }
    }
    Ok(())
}

/// Splits `s` at top-level occurrences of `sep` (outside quotes and parentheses).
fn split_top_level(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                c if c == sep && depth == 0 => {
                    parts.push(&s[start..i]);
                    start = i + c.len_utf8();
                }
                _ => {}
            },
        }
    }
    parts.push(&s[start..]);
    parts
}

/// The allow-listed declarations of a declaration block (a `style` attribute or a rule's
/// body), as `name:value;…`, plus the `url(#id)` references they make. `check_css` must have
/// passed on `block` (this only filters).
pub(crate) fn filter_declarations(
    block: &str,
    context: &dyn Fn() -> String,
    refs: &mut Vec<CssRef>,
) -> Result<String, SvgError> {
    let mut out = String::new();
    for declaration in split_top_level(block, ';') {
        let Some((name, value)) = declaration.split_once(':') else { continue };
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim();
        if value.is_empty() || !ALLOWED_PROPERTIES.contains(&name.as_str()) {
            continue;
        }
        if value.contains(['{', '}', '<', '>', '\\', ';']) {
            continue;
        }
        check_numbers(&name, value, &|| format!("{name} in {}", context()))?;
        for id in url_refs(value, context)? {
            refs.push((name.clone(), id));
        }
        if !out.is_empty() {
            out.push(';');
        }
        out.push_str(&name);
        out.push(':');
        out.push_str(value);
    }
    Ok(out)
}

/// A `style` attribute: checked, then filtered.
pub(crate) fn filter_style_attribute(
    value: &str,
    context: &dyn Fn() -> String,
    refs: &mut Vec<CssRef>,
) -> Result<String, SvgError> {
    let value = strip_comments(value);
    check_css(&value, context)?;
    filter_declarations(&value, context, refs)
}

/// A `<style>` element's text: checked, then re-written with only plain rules and
/// allow-listed declarations. Also returns the rules that reference something.
pub(crate) fn filter_style_sheet(css: &str) -> Result<(String, Vec<RuleRefs>), SvgError> {
    let context = || "<style>".to_owned();
    let css = strip_comments(css);
    check_css(&css, &context)?;

    let mut out = String::new();
    let mut rules = Vec::new();
    let mut rest = css.as_str();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        // The prelude runs to the first top-level `{` or `;`.
        let Some((prelude_end, opener)) = find_top_level(rest, &['{', ';']) else { break };
        let prelude = rest[..prelude_end].trim();
        if opener == ';' {
            // `@charset "…";` and other statements: dropped.
            rest = &rest[prelude_end + 1..];
            continue;
        }
        let body_start = prelude_end + 1;
        let Some(body_len) = block_length(&rest[body_start..]) else { break };
        let body = &rest[body_start..body_start + body_len];
        rest = &rest[(body_start + body_len + 1).min(rest.len())..];
        if prelude.starts_with('@') || prelude.is_empty() || body.contains('{') || prelude.contains(['<', '&']) {
            // At-rules (@media, @font-face, @keyframes…) and nested blocks are dropped.
            continue;
        }
        let mut refs = Vec::new();
        let declarations = filter_declarations(body, &context, &mut refs)?;
        if declarations.is_empty() {
            continue;
        }
        out.push_str(prelude);
        out.push('{');
        out.push_str(&declarations);
        out.push_str("}\n");
        if !refs.is_empty() {
            rules.push(RuleRefs { selector: prelude.to_owned(), refs });
        }
    }
    Ok((out, rules))
}

/// Byte offset and character of the first of `targets` outside quotes.
fn find_top_level(s: &str, targets: &[char]) -> Option<(usize, char)> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if targets.contains(&c) => return Some((i, c)),
            None => {}
        }
    }
    None
}

/// Length of a `{`-block's body (`s` starts just after the `{`), up to its matching `}`.
fn block_length(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '{' => depth += 1,
                '}' if depth == 0 => return Some(i),
                '}' => depth -= 1,
                _ => {}
            },
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> String {
        "test".into()
    }

    #[test]
    fn url_refs_accept_only_local_ids() {
        assert_eq!(url_refs("url(#a) url( '#b' ) URL(\"#c\")", &ctx).unwrap(), vec!["a", "b", "c"]);
        assert!(url_refs("url(http://x/y)", &ctx).unwrap_err().to_string().contains("url(http://x/y)"));
        assert!(url_refs("url('data:image/png;base64,AAAA')", &ctx).unwrap_err().to_string().contains("data URL"));
        assert!(url_refs("url(#a", &ctx).is_err());
        assert!(url_refs("url(x.svg#a)", &ctx).is_err());
    }

    #[test]
    fn escapes_cannot_hide_urls_or_imports() {
        assert!(check_css("fill: \\75 rl(http://evil/)", &ctx).is_err());
        assert!(check_css("@\\69mport 'x.css';", &ctx).is_err());
        assert!(check_css("fill: red; stroke: url(#g)", &ctx).is_ok());
    }

    #[test]
    fn style_sheet_keeps_plain_rules_only() {
        let (css, refs) = filter_style_sheet(
            "/* c */ .st0{fill:#FFF;-inkscape-x:1} @media print{.a{fill:red}} @font-face{font-family:x} \
             .st1, .st2 { clip-path: url(#c1); cursor: pointer }",
        )
        .unwrap();
        assert_eq!(css, ".st0{fill:#FFF}\n.st1, .st2{clip-path:url(#c1)}\n");
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].refs, vec![("clip-path".to_owned(), "c1".to_owned())]);
    }

    #[test]
    fn numbers_are_bounded_in_geometry_only() {
        assert!(check_numbers("d", "M0 0a4 4 0 0 0 1e5-4.5e2L.5.5", &ctx).is_ok());
        assert!(check_numbers("d", "M0 0a4 44444444444444444444 0 0 0 4-4", &ctx).is_err());
        assert!(check_numbers("r", "1e38", &ctx).unwrap_err().to_string().contains("number 1e38 in test"));
        assert!(check_numbers("transform", "scale(2e7)", &ctx).is_err());
        assert!(check_numbers("transform", "scale(2)", &ctx).is_ok());
        assert!(check_numbers("fill", "#1e9999", &ctx).is_ok());
        assert!(check_numbers("font-size", "12.5e", &ctx).is_ok());
    }

    #[test]
    fn declarations_are_filtered() {
        let mut refs = Vec::new();
        let out =
            filter_style_attribute("fill:red; position:absolute; STROKE : blue ;marker-end:url(#m)", &ctx, &mut refs)
                .unwrap();
        assert_eq!(out, "fill:red;stroke:blue;marker-end:url(#m)");
        assert_eq!(refs, vec![("marker-end".to_owned(), "m".to_owned())]);
        assert!(filter_style_attribute("background:url(http://x)", &ctx, &mut refs).is_err());
    }
}
