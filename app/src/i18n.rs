//! Interface strings in en-US, es-ES, fr-FR and de-DE from one catalogue (`app/i18n/*.json`,
//! one file per area of the app, one key space), with dates and numbers formatted by the
//! browser's `Intl` for the chosen locale.
//!
//! A catalogue entry is `"key": ["English", "Español", "Français", "Deutsch"]`; `{name}` marks a
//! value filled in by [`tf`]. Tests check that every key the code uses exists, that every entry
//! has all four languages, and that the placeholders agree across languages.

use std::collections::HashMap;
use std::sync::OnceLock;

use dioxus::prelude::*;

use crate::state::LOCALE;

/// The catalogue files, in one key space.
pub const FILES: &[(&str, &str)] = &[
    ("common", include_str!("../i18n/common.json")),
    ("auth", include_str!("../i18n/auth.json")),
    ("dashboard", include_str!("../i18n/dashboard.json")),
    ("workbenches", include_str!("../i18n/workbenches.json")),
    ("templates", include_str!("../i18n/templates.json")),
    ("generate", include_str!("../i18n/generate.json")),
    ("creative", include_str!("../i18n/creative.json")),
    ("account", include_str!("../i18n/account.json")),
    ("team", include_str!("../i18n/team.json")),
    ("billing", include_str!("../i18n/billing.json")),
];

/// A supported interface language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locale {
    /// English (United States).
    EnUs,
    /// Spanish (Spain).
    EsEs,
    /// French (France).
    FrFr,
    /// German (Germany).
    DeDe,
}

impl Locale {
    /// Every locale, in catalogue column order.
    pub const ALL: [Locale; 4] = [Locale::EnUs, Locale::EsEs, Locale::FrFr, Locale::DeDe];

    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::EnUs => "en-US",
            Locale::EsEs => "es-ES",
            Locale::FrFr => "fr-FR",
            Locale::DeDe => "de-DE",
        }
    }

    /// The language's own name, for the picker.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::EnUs => "English (US)",
            Locale::EsEs => "Español (España)",
            Locale::FrFr => "Français (France)",
            Locale::DeDe => "Deutsch (Deutschland)",
        }
    }

    /// The locale for a tag; a bare language (`de`) or another region (`es-MX`) maps to ours.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let lang = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        match lang.as_str() {
            "en" => Some(Locale::EnUs),
            "es" => Some(Locale::EsEs),
            "fr" => Some(Locale::FrFr),
            "de" => Some(Locale::DeDe),
            _ => None,
        }
    }

    fn column(self) -> usize {
        match self {
            Locale::EnUs => 0,
            Locale::EsEs => 1,
            Locale::FrFr => 2,
            Locale::DeDe => 3,
        }
    }

    /// The stored choice, else the browser's language, else English.
    pub fn initial() -> Locale {
        if let Some(l) = crate::api::storage_get("cf.locale").and_then(|t| Locale::from_tag(&t)) {
            return l;
        }
        #[cfg(target_arch = "wasm32")]
        if let Some(l) = web_sys::window().and_then(|w| w.navigator().language()).and_then(|t| Locale::from_tag(&t)) {
            return l;
        }
        Locale::EnUs
    }
}

/// Switches the interface language (kept on this browser; the account's `language` is saved by
/// the account screen).
pub fn set_locale(locale: Locale) {
    crate::api::storage_set("cf.locale", locale.tag());
    #[cfg(target_arch = "wasm32")]
    if let Some(html) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = html.set_attribute("lang", locale.tag());
    }
    if *LOCALE.peek() != locale {
        *LOCALE.write() = locale;
    }
}

type Catalogue = HashMap<String, [String; 4]>;

/// The parsed catalogue. A malformed file is a build-time bug that the tests catch; at run time
/// its keys are simply missing (and show as the key).
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let mut all = Catalogue::new();
        for (_, text) in FILES {
            if let Ok(part) = serde_json::from_str::<Catalogue>(text) {
                all.extend(part);
            }
        }
        all
    })
}

/// The string for `key` in the current language (subscribes the component to language changes).
pub fn t(key: &str) -> String {
    lookup(LOCALE(), key)
}

/// The string for `key` in `locale`; the English one when a translation is empty, the key itself
/// when it is unknown.
pub fn lookup(locale: Locale, key: &str) -> String {
    match catalogue().get(key) {
        Some(row) => {
            let s = &row[locale.column()];
            if s.is_empty() { row[0].clone() } else { s.clone() }
        }
        None => key.to_owned(),
    }
}

/// `t` with `{name}` placeholders filled in.
pub fn tf(key: &str, args: &[(&str, &str)]) -> String {
    let mut s = t(key);
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

/// A date and time (milliseconds since the epoch) in the current locale, e.g. "Nov 26, 2026, 11:02 AM".
pub fn datetime(ms: i64) -> String {
    format_date(ms, true)
}

/// A date (milliseconds since the epoch) in the current locale, e.g. "26.11.2026".
pub fn date(ms: i64) -> String {
    format_date(ms, false)
}

fn format_date(ms: i64, with_time: bool) -> String {
    let locale = LOCALE();
    #[cfg(target_arch = "wasm32")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        let opts = js_sys::Object::new();
        let set = |k: &str, v: &str| {
            let _ = js_sys::Reflect::set(&opts, &k.into(), &v.into());
        };
        set("dateStyle", "medium");
        if with_time {
            set("timeStyle", "short");
        }
        let f = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::of1(&locale.tag().into()), &opts);
        f.format().call1(&f, &d).ok().and_then(|s| s.as_string()).unwrap_or_default()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (locale, with_time);
        let days = ms.div_euclid(86_400_000);
        format!("day {days}")
    }
}

/// A number in the current locale ("1,234.5", "1.234,5", "1 234,5").
pub fn number(value: f64) -> String {
    let locale = LOCALE();
    #[cfg(target_arch = "wasm32")]
    {
        let opts = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&opts, &"maximumFractionDigits".into(), &2.into());
        let f = js_sys::Intl::NumberFormat::new(&js_sys::Array::of1(&locale.tag().into()), &opts);
        f.format().call1(&f, &value.into()).ok().and_then(|s| s.as_string()).unwrap_or_default()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = locale;
        let s = format!("{value:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// Credits from the server's quarter-credit integers ("24.75").
pub fn credits(quarters: i64) -> String {
    number(quarters as f64 / 4.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn placeholders(s: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut rest = s;
        while let Some(start) = rest.find('{') {
            let Some(end) = rest[start..].find('}') else { break };
            out.insert(rest[start + 1..start + end].to_owned());
            rest = &rest[start + end + 1..];
        }
        out
    }

    #[test]
    fn every_catalogue_entry_has_four_languages_with_the_same_placeholders() {
        let mut seen: HashMap<String, &str> = HashMap::new();
        for (file, text) in FILES {
            let part: Catalogue = serde_json::from_str(text).unwrap_or_else(|e| panic!("i18n/{file}.json: {e}"));
            for (key, row) in &part {
                if let Some(other) = seen.insert(key.clone(), file) {
                    panic!("key {key:?} is in both i18n/{other}.json and i18n/{file}.json");
                }
                for (i, s) in row.iter().enumerate() {
                    assert!(!s.trim().is_empty(), "i18n/{file}.json: {key:?} has no {} text", Locale::ALL[i].tag());
                    assert_eq!(
                        placeholders(s),
                        placeholders(&row[0]),
                        "i18n/{file}.json: {key:?} in {} has other placeholders than in English",
                        Locale::ALL[i].tag()
                    );
                }
            }
        }
    }

    /// Every key given to `t` or `tf` in the sources is in the catalogue.
    #[test]
    fn every_key_the_code_uses_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut missing = Vec::new();
        let mut files = vec![std::path::PathBuf::from(dir)];
        while let Some(path) = files.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).unwrap() {
                    files.push(entry.unwrap().path());
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for pattern in ["t(\"", "tf(\""] {
                let mut rest = text.as_str();
                while let Some(at) = rest.find(pattern) {
                    let preceded_by_ident =
                        rest[..at].chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.');
                    rest = &rest[at + pattern.len()..];
                    if preceded_by_ident {
                        continue;
                    }
                    let key = &rest[..rest.find('"').unwrap_or(0)];
                    if !key.is_empty() && !catalogue().contains_key(key) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys missing from app/i18n: {missing:#?}");
    }

    #[test]
    fn tags_map_to_locales() {
        assert_eq!(Locale::from_tag("de"), Some(Locale::DeDe));
        assert_eq!(Locale::from_tag("es-MX"), Some(Locale::EsEs));
        assert_eq!(Locale::from_tag("fr_CA"), Some(Locale::FrFr));
        assert_eq!(Locale::from_tag("ja-JP"), None);
        for l in Locale::ALL {
            assert_eq!(Locale::from_tag(l.tag()), Some(l));
        }
        assert_eq!(lookup(Locale::DeDe, "no.such.key"), "no.such.key");
    }
}
