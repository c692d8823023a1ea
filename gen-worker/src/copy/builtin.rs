//! The builtin copy writer: slots drawn from the prompt, phrased per tone, intent and locale from the
//! phrase bank in `assets/copy/phrases.toml` (REQ-007).
//!
//! The prompt is cleaned of markup first (tags, `<script>` bodies, markdown emphasis, control and
//! zero-width characters). The locale is the request's or is detected by counting stopwords; the
//! intent comes from keywords in English, Spanish, French and German. The offer, price and date are
//! read from the prompt and rewritten with [`crate::locale`]'s formatters; the brand name is the
//! brand kit's, a quoted name or a capitalised name after "for"/"para"/"pour"/"für".
//!
//! Variation 0 is the most literal reading (its headline is the prompt's own subject); the others
//! rotate through the bank's headline templates, sublines and calls to action, starting from a hash
//! of the prompt, so the same request always gives the same copy.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::{Copy, CopyError, CopyRequest, CopySource, Copywriter, Intent, MAX_PROMPT_CHARS, Tone};
use crate::locale::{
    DateStyle, Locale, format_date_with_weekday, format_percent, format_price_short, parse_date_in_text,
    parse_price_in_text, validate_date,
};
use crate::palette::fnv1a;

/// Longest headline, in characters.
pub const MAX_HEADLINE_CHARS: usize = 48;
/// Longest subline, in characters.
pub const MAX_SUBLINE_CHARS: usize = 90;
/// Longest call to action, in characters.
pub const MAX_CTA_CHARS: usize = 22;
/// Longest list item, in characters.
pub const MAX_ITEM_CHARS: usize = 40;
/// Longest brand name kept, in characters.
const MAX_BRAND_CHARS: usize = 40;
/// Most list items.
const MAX_ITEMS: usize = 5;

const PHRASES_TOML: &str = include_str!("../../../assets/copy/phrases.toml");

/// The phrases for one intent in one language.
#[derive(Debug, Default, Deserialize)]
struct IntentPhrases {
    /// What the sublines talk about when the prompt names no product.
    #[serde(default)]
    subject: String,
    /// Headline templates (`{offer}`, `{product}`, `{role}`, `{brand}`, `{date}`, `{price}`).
    #[serde(default)]
    headline: Vec<String>,
    /// Calls to action per tone.
    #[serde(default)]
    cta: HashMap<String, Vec<String>>,
    /// Sublines per tone (`{subject}`).
    #[serde(default)]
    subline: HashMap<String, Vec<String>>,
}

/// Language → intent → phrases.
type Bank = HashMap<String, HashMap<String, IntentPhrases>>;

fn bank() -> &'static Bank {
    static BANK: OnceLock<Bank> = OnceLock::new();
    BANK.get_or_init(|| toml::from_str(PHRASES_TOML).unwrap_or_default())
}

/// The phrases for `intent` in `locale`, falling back to `general`, then to English.
fn phrases(locale: Locale, intent: Intent) -> Option<&'static IntentPhrases> {
    let bank = bank();
    let lang = bank.get(locale.language()).or_else(|| bank.get("en"))?;
    lang.get(intent.as_str()).or_else(|| lang.get(Intent::General.as_str()))
}

/// The list for `tone` in `map`, falling back to professional.
fn for_tone(map: &HashMap<String, Vec<String>>, tone: Tone) -> &[String] {
    match map.get(tone.as_str()) {
        Some(list) if !list.is_empty() => list,
        _ => map.get(Tone::Professional.as_str()).map(Vec::as_slice).unwrap_or(&[]),
    }
}

/// Calls to action for a tone, intent and locale, with the fallbacks applied.
fn cta_phrases(locale: Locale, intent: Intent, tone: Tone) -> Vec<String> {
    let mut list = phrases(locale, intent).map(|p| for_tone(&p.cta, tone).to_vec()).unwrap_or_default();
    if list.is_empty() {
        list = phrases(locale, Intent::General).map(|p| for_tone(&p.cta, tone).to_vec()).unwrap_or_default();
    }
    list
}

/// Sublines for a tone, intent and locale, with the fallbacks applied.
fn subline_phrases(locale: Locale, intent: Intent, tone: Tone) -> Vec<String> {
    let mut list = phrases(locale, intent).map(|p| for_tone(&p.subline, tone).to_vec()).unwrap_or_default();
    if list.is_empty() {
        list = phrases(locale, Intent::General).map(|p| for_tone(&p.subline, tone).to_vec()).unwrap_or_default();
    }
    list
}

/// The builtin writer: deterministic, offline, never panics.
#[derive(Debug, Default, Clone, Copy)]
pub struct BuiltinCopywriter;

impl BuiltinCopywriter {
    /// A writer (the phrase bank is parsed once, on first use).
    pub fn new() -> Self {
        Self
    }
}

impl Copywriter for BuiltinCopywriter {
    fn write(&self, request: &CopyRequest, variations: usize) -> Result<Vec<Copy>, CopyError> {
        let chars = request.prompt.chars().count();
        if chars > MAX_PROMPT_CHARS {
            return Err(CopyError::PromptTooLong { chars });
        }
        let cleaned = clean_prompt(&request.prompt);
        if !cleaned.chars().any(|c| c.is_alphanumeric() || is_emoji(c)) {
            return Err(CopyError::EmptyPrompt);
        }
        let locale = request.locale.unwrap_or_else(|| detect_locale(&cleaned));
        let intent = detect_intent(&cleaned);
        let slots = Slots::read(&cleaned, locale, intent, request);
        let hash = fnv1a(&cleaned) ^ fnv1a(request.tone.as_str()).rotate_left(7);
        Ok((0..variations).map(|i| compose(&slots, request.tone, hash, i)).collect())
    }
}

// ---------------------------------------------------------------------------------------------------
// Cleaning
// ---------------------------------------------------------------------------------------------------

fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}' | '\u{00AD}' | '\u{180E}')
}

/// Whether `c` is an emoji or pictograph (the common blocks).
fn is_emoji(c: char) -> bool {
    matches!(c, '\u{1F000}'..='\u{1FAFF}' | '\u{2600}'..='\u{27BF}' | '\u{2300}'..='\u{23FF}' | '\u{2B00}'..='\u{2BFF}')
}

/// Drops HTML/XML tags (and the bodies of `<script>` and `<style>`), decodes the common entities,
/// removes markdown emphasis, control and zero-width characters, and collapses whitespace. Line
/// breaks are kept (as single `\n`) because they separate list items.
fn clean_prompt(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '<' {
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            if next.is_ascii_alphabetic() || matches!(next, '/' | '!' | '?') {
                let close = chars[i..].iter().position(|&x| x == '>').map(|p| i + p);
                let Some(end) = close else {
                    i += 1;
                    continue;
                };
                let name: String =
                    chars[i + 1..end].iter().take_while(|c| c.is_ascii_alphabetic()).collect::<String>().to_lowercase();
                i = end + 1;
                if name == "script" || name == "style" {
                    let closing = format!("</{name}");
                    i = find_ci(&chars, i, &closing).map_or(chars.len(), |p| {
                        chars[p..].iter().position(|&x| x == '>').map_or(chars.len(), |q| p + q + 1)
                    });
                }
                out.push(' ');
                continue;
            }
            i += 1;
            continue;
        }
        if c == '&' {
            let rest: String = chars[i..chars.len().min(i + 8)].iter().collect();
            let entity = [
                ("&amp;", '&'),
                ("&nbsp;", ' '),
                ("&quot;", '"'),
                ("&#39;", '\''),
                ("&apos;", '\''),
                ("&lt;", ' '),
                ("&gt;", ' '),
            ]
            .into_iter()
            .find(|(e, _)| rest.starts_with(e));
            if let Some((e, r)) = entity {
                out.push(r);
                i += e.chars().count();
                continue;
            }
        }
        match c {
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => out.push('\n'),
            '*' | '_' | '#' | '`' | '~' | '<' | '>' => out.push(' '),
            c if c.is_control() || is_zero_width(c) => out.push(' '),
            c if c.is_whitespace() => out.push(' '),
            c => out.push(c),
        }
        i += 1;
    }
    // Collapse spaces; keep single line breaks.
    let mut collapsed = String::with_capacity(out.len());
    for line in out.split('\n') {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() {
            continue;
        }
        if !collapsed.is_empty() {
            collapsed.push('\n');
        }
        collapsed.push_str(&line);
    }
    collapsed
}

/// The char index of `needle` (ASCII, lowercase) in `chars` at or after `from`, case-insensitively.
fn find_ci(chars: &[char], from: usize, needle: &str) -> Option<usize> {
    let needle: Vec<char> = needle.chars().collect();
    (from..chars.len().saturating_sub(needle.len() - 1)).find(|&p| {
        needle.iter().enumerate().all(|(k, n)| chars.get(p + k).is_some_and(|c| c.to_ascii_lowercase() == *n))
    })
}

/// Plain text for a slot: no control characters or markup brackets, whitespace collapsed, trimmed
/// and cut to `max` characters at a word boundary.
fn finish(text: &str, max: usize) -> String {
    let plain: String = text
        .chars()
        .map(|c| if c.is_control() || is_zero_width(c) || c == '<' || c == '>' { ' ' } else { c })
        .collect();
    // Keep no-break spaces (typography) but collapse runs of ordinary whitespace.
    let mut collapsed = String::with_capacity(plain.len());
    let mut last_space = true;
    for c in plain.chars() {
        if c == ' ' || (c.is_whitespace() && c != '\u{A0}' && c != '\u{202F}') {
            if !last_space {
                collapsed.push(' ');
            }
            last_space = true;
        } else {
            collapsed.push(c);
            last_space = false;
        }
    }
    truncate_words(collapsed.trim(), max)
}

/// Cuts `text` to at most `max` characters at a word boundary, ending with "…" when cut.
pub fn truncate_words(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let budget = max - 1; // room for "…"
    let mut cut = 0; // byte index of the last word end that fits
    for (idx, c) in text.char_indices() {
        if text[..idx].chars().count() > budget {
            break;
        }
        if c == ' ' {
            cut = idx;
        }
    }
    let head = if cut > 0 {
        &text[..cut]
    } else {
        let end = text.char_indices().nth(budget).map_or(text.len(), |(i, _)| i);
        &text[..end]
    };
    let head =
        head.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-' | '–' | '—' | '.'));
    format!("{head}…")
}

// ---------------------------------------------------------------------------------------------------
// Locale and intent detection
// ---------------------------------------------------------------------------------------------------

/// The prompt lowercased, with every char that is not a letter, digit, `%` or `'` made a space,
/// padded with spaces so keywords can be matched as ` word `.
fn normalise(text: &str) -> String {
    let mut out = String::from(" ");
    for c in text.chars() {
        let c = if c == '’' { '\'' } else { c };
        if c.is_alphanumeric() || c == '%' || c == '\'' {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// Whether `norm` (from [`normalise`]) has `keyword`: a word or phrase, or a word prefix when it
/// ends with `*`.
fn has_keyword(norm: &str, keyword: &str) -> bool {
    match keyword.strip_suffix('*') {
        Some(prefix) => norm.contains(&format!(" {prefix}")),
        None => norm.contains(&format!(" {keyword} ")),
    }
}

fn count_keywords(norm: &str, keywords: &[&str]) -> usize {
    keywords.iter().filter(|k| has_keyword(norm, k)).count()
}

const EN_STOPWORDS: &[&str] = &[
    "the", "and", "for", "with", "our", "your", "on", "this", "of", "to", "new", "off", "is", "we", "get", "now",
    "all", "at", "it", "you", "from", "today", "weekend", "we're", "sale",
];
const ES_STOPWORDS: &[&str] = &[
    "el",
    "los",
    "las",
    "del",
    "y",
    "para",
    "con",
    "por",
    "que",
    "una",
    "nuestro",
    "nuestra",
    "nuevo",
    "nueva",
    "hasta",
    "descuento",
    "rebajas",
    "este",
    "esta",
    "tu",
    "más",
    "oferta",
    "al",
    "sobre",
    "todo",
    "hoy",
    "verano",
];
const FR_STOPWORDS: &[&str] = &[
    "le",
    "les",
    "des",
    "du",
    "et",
    "pour",
    "avec",
    "sur",
    "notre",
    "nos",
    "votre",
    "vos",
    "une",
    "nouveau",
    "nouvelle",
    "est",
    "au",
    "aux",
    "jusqu'au",
    "ce",
    "cette",
    "soldes",
    "réduction",
    "été",
    "aujourd'hui",
    "nous",
];
const DE_STOPWORDS: &[&str] = &[
    "der", "die", "das", "und", "für", "mit", "auf", "unser", "unsere", "ihr", "ein", "eine", "neu", "neue", "bis",
    "zum", "zur", "jetzt", "im", "ist", "rabatt", "wir", "dem", "den", "sommer", "heute", "nicht",
];

/// The locale whose stopwords (and telltale letters) are most frequent; en-US when unsure.
fn detect_locale(text: &str) -> Locale {
    let norm = normalise(text);
    let mut scores = [
        (Locale::EnUs, count_keywords(&norm, EN_STOPWORDS) * 2),
        (Locale::EsEs, count_keywords(&norm, ES_STOPWORDS) * 2),
        (Locale::FrFr, count_keywords(&norm, FR_STOPWORDS) * 2),
        (Locale::DeDe, count_keywords(&norm, DE_STOPWORDS) * 2),
    ];
    for c in norm.chars() {
        match c {
            'ñ' | '¿' | '¡' | 'á' | 'í' | 'ó' | 'ú' => scores[1].1 += 1,
            'ç' | 'è' | 'ê' | 'à' | 'â' | 'î' | 'ô' | 'û' | 'œ' => scores[2].1 += 1,
            'ß' | 'ä' | 'ö' | 'ü' => scores[3].1 += 1,
            _ => {}
        }
    }
    if text.contains('¿') || text.contains('¡') {
        scores[1].1 += 2;
    }
    let best = scores.iter().map(|s| s.1).max().unwrap_or(0);
    if best == 0 || scores[0].1 == best {
        return Locale::EnUs;
    }
    scores.iter().find(|s| s.1 == best).map_or(Locale::EnUs, |s| s.0)
}

/// Keywords per intent, checked in this order (the more specific intents first).
const INTENT_KEYWORDS: &[(Intent, &[&str])] = &[
    (
        Intent::Hiring,
        &[
            "hiring",
            "we're hiring",
            "we are hiring",
            "job",
            "jobs",
            "vacancy",
            "vacancies",
            "join our team",
            "careers",
            "recruiting",
            "contratando",
            "contratamos",
            "empleo",
            "vacante*",
            "buscamos",
            "únete al equipo",
            "recrute*",
            "recrutement",
            "embauche",
            "offre d'emploi",
            "rejoignez",
            "wir suchen",
            "stellenangebot*",
            "job*",
            "karriere",
            "verstärkung",
            "bewerb*",
        ],
    ),
    (
        Intent::Giveaway,
        &[
            "giveaway",
            "contest",
            "win",
            "sweepstake*",
            "raffle",
            "sorteo",
            "concurso",
            "gana",
            "concours",
            "jeu concours",
            "gagner",
            "à gagner",
            "gewinnspiel",
            "gewinnen",
            "verlosung",
        ],
    ),
    (
        Intent::Listing,
        &[
            "for sale",
            "for rent",
            "apartment*",
            "house",
            "condo",
            "flat",
            "bedroom*",
            "real estate",
            "listing",
            "piso",
            "apartamento",
            "se vende",
            "se alquila",
            "alquiler",
            "inmobiliaria",
            "habitaciones",
            "appartement*",
            "maison",
            "à vendre",
            "à louer",
            "immobilier",
            "wohnung",
            "haus",
            "zu verkaufen",
            "zu vermieten",
            "immobilie*",
            "zimmer",
        ],
    ),
    (
        Intent::Course,
        &[
            "course",
            "courses",
            "class",
            "classes",
            "workshop*",
            "masterclass",
            "lesson*",
            "training",
            "bootcamp",
            "curso*",
            "clase*",
            "taller*",
            "formación",
            "cours",
            "atelier*",
            "formation*",
            "kurs*",
            "seminar*",
            "schulung*",
            "unterricht",
        ],
    ),
    (
        Intent::Menu,
        &[
            "menu",
            "menus",
            "menú",
            "menús",
            "carta",
            "brunch",
            "dishes",
            "platos",
            "plats",
            "speisekarte",
            "menü*",
            "gerichte",
            "tagesgericht*",
        ],
    ),
    (
        Intent::Testimonial,
        &[
            "testimonial*",
            "review",
            "reviews",
            "customer says",
            "customers say",
            "clients say",
            "client says",
            "said about us",
            "dicen nuestros clientes",
            "nos clients disent",
            "kunden sagen",
            "testimonio*",
            "reseña*",
            "opinión",
            "témoignage*",
            "avis client*",
            "kundenstimme*",
            "bewertung*",
            "erfahrungsbericht*",
        ],
    ),
    (Intent::Quote, &["quote", "quotes", "motto", "saying", "cita", "frase", "citation", "zitat*", "spruch"]),
    (
        Intent::Tips,
        &[
            "tips",
            "tip",
            "ways",
            "steps",
            "how to",
            "guide",
            "hacks",
            "ideas",
            "consejos",
            "trucos",
            "pasos",
            "ideas para",
            "astuces",
            "conseils",
            "étapes",
            "façons",
            "tipps",
            "tricks",
            "schritte",
            "ideen",
        ],
    ),
    (
        Intent::Event,
        &[
            "event",
            "events",
            "concert",
            "meetup",
            "meet-up",
            "webinar",
            "conference",
            "party",
            "festival",
            "opening",
            "grand opening",
            "gig",
            "live",
            "evento",
            "concierto",
            "fiesta",
            "inauguración",
            "conferencia",
            "événement",
            "soirée",
            "fête",
            "inauguration",
            "conférence",
            "veranstaltung",
            "konzert",
            "feier",
            "eröffnung",
            "konferenz",
            "party",
        ],
    ),
    (
        Intent::Sale,
        &[
            "sale",
            "sales",
            "discount*",
            "% off",
            "offer",
            "deal",
            "deals",
            "promo*",
            "clearance",
            "black friday",
            "cyber monday",
            "bogo",
            "2 for 1",
            "2x1",
            "save",
            "rebaja*",
            "descuento*",
            "oferta*",
            "promoción",
            "liquidación",
            "soldes",
            "réduction*",
            "remise",
            "offre",
            "offres",
            "bon plan",
            "rabatt*",
            "angebot*",
            "schnäppchen",
            "reduziert",
            "ausverkauf",
            "sonderangebot*",
            "aktion",
        ],
    ),
    (
        Intent::Launch,
        &[
            "launch*",
            "new",
            "introducing",
            "meet the",
            "just dropped",
            "now available",
            "lanzamiento",
            "nuevo",
            "nueva",
            "nuevos",
            "nuevas",
            "novedad*",
            "lancement",
            "nouveau",
            "nouvelle",
            "nouveauté*",
            "neu",
            "neue",
            "neuer",
            "neues",
            "neuheit*",
            "jetzt erhältlich",
        ],
    ),
    (
        Intent::Announcement,
        &[
            "announce*",
            "announcement",
            "news",
            "update",
            "we're moving",
            "closed",
            "opening hours",
            "anuncio",
            "noticia*",
            "novedades",
            "cerrado",
            "annonce*",
            "nouvelles",
            "fermé",
            "ankündigung",
            "neuigkeit*",
            "geschlossen",
            "wichtig",
        ],
    ),
];

/// The intent whose keywords the prompt has, in [`INTENT_KEYWORDS`] order; a percentage or a
/// quoted sentence also count (sale, quote).
fn detect_intent(text: &str) -> Intent {
    let norm = normalise(text);
    let has_percent = percent_in(text).is_some();
    for (intent, keywords) in INTENT_KEYWORDS {
        if *intent == Intent::Quote && quoted_text(text).is_some_and(|q| q.split_whitespace().count() >= 4) {
            return Intent::Quote;
        }
        if *intent == Intent::Sale && has_percent {
            return Intent::Sale;
        }
        if keywords.iter().any(|k| has_keyword(&norm, k)) {
            return *intent;
        }
    }
    Intent::General
}

// ---------------------------------------------------------------------------------------------------
// Slots
// ---------------------------------------------------------------------------------------------------

/// What was read from the prompt.
#[derive(Debug, Clone)]
struct Slots {
    locale: Locale,
    intent: Intent,
    /// The prompt's own subject (first clause without filler words), as typed.
    clause: Option<String>,
    /// The product or topic after the intent's keyword ("running shoes").
    product: Option<String>,
    /// The role for hiring posts.
    role: Option<String>,
    /// A quoted sentence (quotes and testimonials).
    quote: Option<String>,
    brand: Option<String>,
    offer: Option<String>,
    price: Option<String>,
    date: Option<String>,
    items: Vec<String>,
    /// Up to three emoji from the prompt (used when it has no words).
    emoji: String,
}

impl Slots {
    fn read(cleaned: &str, locale: Locale, intent: Intent, request: &CopyRequest) -> Slots {
        let flat = cleaned.replace('\n', " ");
        let brand = request
            .brand_name
            .as_deref()
            .map(|b| finish(&clean_prompt(b).replace('\n', " "), MAX_BRAND_CHARS))
            .filter(|b| !b.is_empty())
            .or_else(|| brand_in(&flat));
        let offer = offer_in(&flat, locale);
        let price = parse_price_in_text(&flat).map(|(amount, currency)| format_price_short(locale, amount, currency));
        let date = date_in(&flat, locale, request.today).and_then(|(y, m, d)| {
            let style = if (y, m, d) < (request.today.0.saturating_add(1), request.today.1, request.today.2) {
                DateStyle::DayMonth
            } else {
                DateStyle::Long
            };
            format_date_with_weekday(locale, y, m, d, style).ok()
        });
        let clause = subject_clause(cleaned);
        let product = product_in(clause.as_deref().unwrap_or(""), intent);
        let role = if intent == Intent::Hiring { role_in(&flat) } else { None };
        let quote = if matches!(intent, Intent::Quote | Intent::Testimonial) {
            quoted_text(&flat).or_else(|| after_colon(&flat))
        } else {
            None
        };
        let items = if matches!(intent, Intent::Tips | Intent::Menu | Intent::Listing) {
            items_in(cleaned, locale)
        } else {
            Vec::new()
        };
        let emoji: String = cleaned.chars().filter(|&c| is_emoji(c)).take(3).collect();
        Slots { locale, intent, clause, product, role, quote, brand, offer, price, date, items, emoji }
    }

    fn value(&self, name: &str) -> Option<String> {
        match name {
            "offer" => self.offer.clone(),
            "product" => self.product.clone(),
            "role" => self.role.clone(),
            "brand" => self.brand.clone(),
            "date" => self.date.clone(),
            "price" => self.price.clone(),
            _ => None,
        }
    }
}

/// `template` with its `{name}` placeholders filled by `value`; `None` when one has no value.
fn fill(template: &str, value: impl Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}')?;
        out.push_str(&value(&after[..close])?);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// A percentage in the text: the value (1..=100) and whether "up to" came before it.
fn percent_in(text: &str) -> Option<(f64, bool)> {
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c != '%' {
            continue;
        }
        let mut j = i;
        while j > 0 && matches!(chars[j - 1], ' ' | '\u{A0}' | '\u{202F}') && i - j < 2 {
            j -= 1;
        }
        let end = j;
        while j > 0
            && (chars[j - 1].is_ascii_digit()
                || (matches!(chars[j - 1], '.' | ',') && j > 1 && chars[j - 2].is_ascii_digit()))
        {
            j -= 1;
        }
        if j == end || (j > 0 && chars[j - 1].is_alphabetic()) {
            continue;
        }
        let number: String = chars[j..end].iter().map(|&c| if c == ',' { '.' } else { c }).collect();
        let Ok(value) = number.parse::<f64>() else { continue };
        if !(value > 0.0 && value <= 100.0) {
            continue;
        }
        let before: String = chars[j.saturating_sub(16)..j].iter().collect::<String>().to_lowercase();
        let after: String =
            chars[(i + 1).min(chars.len())..(i + 22).min(chars.len())].iter().collect::<String>().to_lowercase();
        let up_to = ["up to", "hasta un", "hasta el", "hasta", "jusqu'à", "jusqu’à", "bis zu"]
            .iter()
            .any(|p| before.trim_end().trim_end_matches('-').trim_end().ends_with(p));
        // A percentage is an offer only in a discount's words ("30% off", "-40 %", "50 % Rabatt",
        // "save 20%"); "revenue up 42%" is a figure, not a sale.
        let minus = before.trim_end().ends_with(['-', '−']);
        let saving = ["save", "ahorra", "économise", "economise", "spare", "spar"].iter().any(|w| before.contains(w));
        let discount = [
            "off",
            "descuento",
            "dto",
            "réduction",
            "reduction",
            "remise",
            "rabatt",
            "discount",
            "sale",
            "rebaja",
            "nachlass",
        ]
        .iter()
        .any(|w| after.split(|c: char| !c.is_alphabetic()).any(|x| x == *w));
        if !(up_to || minus || saving || discount) {
            continue;
        }
        return Some((value, up_to));
    }
    None
}

/// The offer, locale-formatted: a percentage off, or a "buy N get M" deal.
fn offer_in(text: &str, locale: Locale) -> Option<String> {
    if let Some((value, up_to)) = percent_in(text) {
        let pct = format_percent(locale, value / 100.0);
        return Some(match (locale, up_to) {
            (Locale::EnUs, false) => format!("{pct} off"),
            (Locale::EnUs, true) => format!("up to {pct} off"),
            (Locale::EsEs, false) => format!("{pct} de descuento"),
            (Locale::EsEs, true) => format!("hasta un {pct} de descuento"),
            (Locale::FrFr, false) => format!("-{pct}"),
            (Locale::FrFr, true) => format!("jusqu'à -{pct}"),
            (Locale::DeDe, false) => format!("{pct} Rabatt"),
            (Locale::DeDe, true) => format!("bis zu {pct} Rabatt"),
        });
    }
    let norm = normalise(text);
    if has_keyword(&norm, "bogo") || has_keyword(&norm, "buy one get one") {
        return Some(n_for_m(locale, 2, 1));
    }
    // "2 for 1", "3x2", "2 pour 1", "2 für 1".
    let words: Vec<&str> = norm.split_whitespace().collect();
    for (k, w) in words.iter().enumerate() {
        if let Some((a, b)) = w.split_once('x')
            && let (Ok(n), Ok(m)) = (a.parse::<u8>(), b.parse::<u8>())
            && n > m
            && m > 0
            && n < 10
        {
            return Some(n_for_m(locale, n, m));
        }
        if let (Ok(n), Some(link), Some(Ok(m))) =
            (w.parse::<u8>(), words.get(k + 1), words.get(k + 2).map(|m| m.parse::<u8>()))
            && ["for", "por", "pour", "für"].contains(link)
            && n > m
            && m > 0
            && n < 10
        {
            return Some(n_for_m(locale, n, m));
        }
    }
    None
}

fn n_for_m(locale: Locale, n: u8, m: u8) -> String {
    match locale {
        Locale::EnUs if n == 2 && m == 1 => "Buy one, get one free".to_owned(),
        Locale::EnUs => format!("{n} for {m}"),
        Locale::EsEs => format!("{n}x{m}"),
        Locale::FrFr if n == 2 && m == 1 => "1 acheté = 1 offert".to_owned(),
        Locale::FrFr => format!("{n} pour le prix de {m}"),
        Locale::DeDe => format!("{n} für {m}"),
    }
}

/// A date in the text: what [`parse_date_in_text`] finds, else a day and month without a year
/// ("hasta el 12/07", "on 7/12") right after a word that introduces a date.
fn date_in(text: &str, locale: Locale, today: (i32, u8, u8)) -> Option<(i32, u8, u8)> {
    if let Some(date) = parse_date_in_text(text, locale, today) {
        return Some(date);
    }
    const CUES: &[&str] = &[
        "on", "until", "till", "by", "through", "thru", "from", "el", "hasta", "del", "al", "desde", "le", "au",
        "jusqu'au", "du", "dès", "am", "bis", "vom", "zum", "ab",
    ];
    let words: Vec<&str> = text.split_whitespace().collect();
    for pair in words.windows(2) {
        let cue = pair[0].to_lowercase().replace('’', "'");
        if !CUES.contains(&cue.as_str()) {
            continue;
        }
        let token = pair[1].trim_end_matches([',', ';', ':', '!', '?', ')']);
        let token = token.strip_suffix('.').unwrap_or(token);
        let Some((a, b)) = token.split_once(['/', '.']) else { continue };
        if a.is_empty() || b.is_empty() || a.len() > 2 || b.len() > 2 {
            continue;
        }
        let (Ok(a), Ok(b)) = (a.parse::<u8>(), b.parse::<u8>()) else { continue };
        let (month, day) = if locale == Locale::EnUs { (a, b) } else { (b, a) };
        let found = (today.0..today.0.saturating_add(2))
            .find(|&y| validate_date(y, month, day).is_ok() && (y, month, day) >= today)
            .map(|y| (y, month, day));
        if found.is_some() {
            return found;
        }
    }
    None
}

const QUOTE_PAIRS: &[(char, char)] = &[('"', '"'), ('“', '”'), ('«', '»'), ('„', '“'), ('‘', '’'), ('”', '”')];

/// The first quoted passage (straight or typographic quotes), trimmed, if it has a letter.
fn quoted_text(text: &str) -> Option<String> {
    for &(open, close) in QUOTE_PAIRS {
        let Some(start) = text.find(open) else { continue };
        let after = &text[start + open.len_utf8()..];
        let Some(end) = after.find(close) else { continue };
        let inner = after[..end].trim();
        if inner.chars().any(char::is_alphabetic) {
            return Some(inner.to_owned());
        }
    }
    None
}

/// The words after the first colon when they make a sentence of three or more words ("Our
/// clients say: the best advice we ever had").
fn after_colon(text: &str) -> Option<String> {
    let (_, rest) = text.split_once(':')?;
    let rest = rest.trim();
    (rest.split_whitespace().count() >= 3 && rest.chars().any(char::is_alphabetic)).then(|| capitalise_first(rest))
}

/// Words that are capitalised but are not brand names.
const NOT_BRANDS: &[&str] = &[
    "Black",
    "Friday",
    "Cyber",
    "Monday",
    "Christmas",
    "Navidad",
    "Noël",
    "Weihnachten",
    "Easter",
    "Halloween",
    "Valentine's",
    "Mother's",
    "Father's",
    "Day",
    "New",
    "Year",
    "Summer",
    "Winter",
    "Spring",
    "Fall",
    "Autumn",
    "I",
    "We",
    "Our",
    "The",
    "A",
    "An",
    "This",
    "Instagram",
    "Facebook",
    "TikTok",
    "LinkedIn",
    "Twitter",
    "Pinterest",
];

/// A brand name in the prompt: a short quoted name, or capitalised words after for/by/at/para/pour/für.
fn brand_in(text: &str) -> Option<String> {
    if let Some(q) = quoted_text(text) {
        let words = q.split_whitespace().count();
        if (1..=3).contains(&words) && q.chars().next().is_some_and(char::is_uppercase) {
            return Some(truncate_words(&q, MAX_BRAND_CHARS));
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    for (k, w) in words.iter().enumerate() {
        let lower = w.to_lowercase();
        if !["for", "by", "at", "para", "pour", "für", "chez"].contains(&lower.as_str()) {
            continue;
        }
        let mut name = Vec::new();
        for next in words.iter().skip(k + 1).take(3) {
            let bare = next.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’');
            let first = bare.chars().next();
            if !first.is_some_and(char::is_uppercase) || NOT_BRANDS.contains(&bare) || is_calendar_word(bare) {
                break;
            }
            // German capitalises every noun: only take names that do not look like one.
            let german_noun = lower == "für" && bare.chars().skip(1).all(|c| c.is_lowercase());
            if german_noun {
                break;
            }
            name.push(bare.trim_end_matches(['\'', '’']).trim_end_matches("'s").trim_end_matches("’s"));
            if bare.len() != next.len() {
                break; // punctuation ends the name
            }
        }
        if !name.is_empty() {
            let name = name.join(" ");
            if name.chars().any(char::is_alphabetic) {
                return Some(truncate_words(&name, MAX_BRAND_CHARS));
            }
        }
    }
    None
}

fn is_calendar_word(word: &str) -> bool {
    Locale::ALL.into_iter().any(|l| {
        (1..=12).any(|m| crate::locale::month_name(l, m).is_some_and(|n| n.eq_ignore_ascii_case(word)))
            || (0..7).any(|d| crate::locale::weekday_name(l, d).is_some_and(|n| n.eq_ignore_ascii_case(word)))
    })
}

/// Leading words that ask for a design rather than describe it.
const FILLER: &[&str] = &[
    "create",
    "make",
    "design",
    "generate",
    "write",
    "need",
    "i",
    "we",
    "want",
    "please",
    "a",
    "an",
    "some",
    "post",
    "poster",
    "flyer",
    "banner",
    "ad",
    "story",
    "instagram",
    "facebook",
    "social",
    "image",
    "graphic",
    "about",
    "announcing",
    "promoting",
    "for",
    "of",
    "crea",
    "haz",
    "diseña",
    "un",
    "una",
    "publicación",
    "cartel",
    "anuncio",
    "sobre",
    "para",
    "crée",
    "créer",
    "fais",
    "une",
    "affiche",
    "visuel",
    "pour",
    "annonçant",
    "erstelle",
    "mach",
    "ein",
    "einen",
    "eine",
    "beitrag",
    "plakat",
    "über",
];

/// The prompt's first clause without leading filler words, at most six words, as typed.
fn subject_clause(cleaned: &str) -> Option<String> {
    let clause = cleaned
        .split(['\n', ',', ':', ';', '.', '!', '?', '|', '–', '—', '(', ')', '¡', '¿'])
        .map(str::trim)
        .find(|c| c.chars().any(char::is_alphanumeric))?;
    let words: Vec<&str> = clause.split_whitespace().collect();
    let mut start = 0;
    while start + 1 < words.len() && FILLER.contains(&words[start].to_lowercase().as_str()) {
        start += 1;
    }
    let mut end = words.len().min(start + 6);
    while end > start + 1 && is_dangling(words[end - 1]) {
        end -= 1;
    }
    let text = words[start..end].join(" ");
    text.chars().any(char::is_alphanumeric).then_some(text)
}

/// Words a headline should not end with.
fn is_dangling(word: &str) -> bool {
    const DANGLING: &[&str] = &[
        "on", "for", "the", "a", "an", "and", "of", "to", "in", "at", "with", "de", "del", "la", "el", "los", "las",
        "en", "y", "para", "con", "le", "les", "des", "du", "et", "sur", "pour", "avec", "au", "der", "die", "das",
        "und", "für", "mit", "auf", "im", "zum", "zur", "bis", "this", "este", "esta", "ce", "cette", "ab", "am",
        "dem", "den", "vom", "from", "until", "desde", "hasta", "dès", "jusqu'au",
    ];
    DANGLING.contains(&word.to_lowercase().as_str())
}

/// The product after the intent's keyword and a preposition: "sale on running shoes" →
/// "running shoes", "new iPhone case" → "iPhone case".
fn product_in(clause: &str, intent: Intent) -> Option<String> {
    let words: Vec<&str> = clause.split_whitespace().collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    const PREPOSITIONS: &[&str] = &["on", "for", "en", "sur", "auf", "für", "in", "de"];
    const NEW: &[&str] = &[
        "new", "nuevo", "nueva", "nuevos", "nuevas", "nouveau", "nouvelle", "nouvel", "neu", "neue", "neuer", "neues",
        "neuen",
    ];
    const STOP: &[&str] = &[
        "this",
        "today",
        "tonight",
        "now",
        "until",
        "from",
        "with",
        "este",
        "esta",
        "hoy",
        "hasta",
        "desde",
        "con",
        "ce",
        "cette",
        "aujourd'hui",
        "jusqu'au",
        "avec",
        "dès",
        "dieses",
        "diese",
        "heute",
        "bis",
        "ab",
        "mit",
    ];
    let start = match intent {
        Intent::Launch => lower.iter().position(|w| NEW.contains(&w.as_str())).map(|p| p + 1),
        Intent::Sale | Intent::Course | Intent::Giveaway | Intent::Tips => {
            lower.iter().position(|w| PREPOSITIONS.contains(&w.as_str())).map(|p| p + 1).filter(|&p| p > 1)
        }
        _ => None,
    }?;
    let mut end = start;
    while end < words.len()
        && end - start < 5
        && !STOP.contains(&lower[end].as_str())
        && !words[end].contains('%')
        && !words[end].chars().any(|c| c.is_ascii_digit())
    {
        end += 1;
    }
    while end > start && is_dangling(words[end - 1]) {
        end -= 1;
    }
    (end > start).then(|| words[start..end].join(" "))
}

/// The role in a hiring post: what follows "hiring", "looking for", "buscamos", "recrute", "suchen".
fn role_in(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let lower: Vec<String> = words.iter().map(|w| normalise(w).trim().to_owned()).collect();
    const CUES: &[&str] = &[
        "hiring",
        "for",
        "buscamos",
        "contratando",
        "contratamos",
        "busca",
        "recrute",
        "recherche",
        "recherchons",
        "suchen",
        "sucht",
    ];
    const ARTICLES: &[&str] = &["a", "an", "un", "una", "une", "des", "einen", "eine", "ein", "new", "nuevo", "nueva"];
    let cue = lower.iter().position(|w| CUES.contains(&w.as_str()))?;
    let mut start = cue + 1;
    while start < words.len() && ARTICLES.contains(&lower[start].as_str()) {
        start += 1;
    }
    let mut end = start;
    while end < words.len() && end - start < 4 {
        let w = words[end];
        end += 1;
        if w.ends_with([',', '.', ';', ':', '!', '?']) {
            break;
        }
    }
    let role: String = words.get(start..end)?.join(" ");
    let role = role.trim_end_matches([',', '.', ';', ':', '!', '?']).trim().to_owned();
    role.chars().any(char::is_alphabetic).then_some(role)
}

/// List items: the enumeration after a colon (or the whole prompt), split at line breaks, commas,
/// semicolons, "and"/"y"/"et"/"und" and list markers.
fn items_in(cleaned: &str, locale: Locale) -> Vec<String> {
    let body = match cleaned.split_once(':') {
        Some((_, rest)) if rest.chars().any(char::is_alphanumeric) => rest,
        _ => cleaned,
    };
    let mut pieces: Vec<String> = Vec::new();
    for part in body.split(['\n', ',', ';', '•', '·']) {
        let mut part = part.to_owned();
        for joiner in [" and ", " y ", " e ", " et ", " und ", " & "] {
            part = part.replace(joiner, "\u{1}");
        }
        pieces.extend(part.split('\u{1}').map(str::to_owned));
    }
    let mut items = Vec::new();
    for piece in pieces {
        let piece = piece.trim();
        // Drop list markers: "1.", "2)", "-", "–".
        let digits_end = piece.char_indices().find(|(_, c)| !c.is_ascii_digit()).map_or(piece.len(), |(i, _)| i);
        let piece = match piece[digits_end..].strip_prefix(['.', ')']) {
            Some(rest) if digits_end > 0 => rest,
            _ => piece,
        };
        let piece = piece.trim_start_matches(['-', '–', '—', '+']).trim().trim_end_matches(['.', '!', '?']).trim();
        if !piece.chars().any(char::is_alphabetic) {
            continue;
        }
        let mut chars = piece.chars();
        let capitalised: String = match chars.next() {
            Some(first) if locale != Locale::DeDe || first.is_lowercase() => {
                first.to_uppercase().chain(chars).collect()
            }
            _ => piece.to_owned(),
        };
        items.push(finish(&capitalised, MAX_ITEM_CHARS));
        if items.len() == MAX_ITEMS {
            break;
        }
    }
    if items.len() < 2 { Vec::new() } else { items }
}

// ---------------------------------------------------------------------------------------------------
// Composition
// ---------------------------------------------------------------------------------------------------

fn pick(list: &[String], hash: u64, index: usize) -> Option<&String> {
    if list.is_empty() {
        return None;
    }
    let n = list.len() as u64;
    list.get(((hash % n + index as u64) % n) as usize)
}

/// English title case: every word capitalised except short function words inside the line.
fn title_case(text: &str) -> String {
    const SMALL: &[&str] = &[
        "a", "an", "the", "and", "or", "but", "nor", "for", "on", "at", "to", "by", "of", "in", "with", "from", "as",
        "vs",
    ];
    let words: Vec<&str> = text.split(' ').collect();
    let last = words.len().saturating_sub(1);
    words
        .iter()
        .enumerate()
        .map(|(k, w)| {
            if k != 0 && k != last && SMALL.contains(&w.to_lowercase().as_str()) {
                return w.to_lowercase();
            }
            capitalise_first(w)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` with its first letter upper-cased (leading emoji, digits and punctuation skipped).
fn capitalise_first(text: &str) -> String {
    match text.char_indices().find(|(_, c)| c.is_alphabetic()) {
        Some((i, c)) if c.is_lowercase() => {
            let mut out = String::with_capacity(text.len() + 2);
            out.push_str(&text[..i]);
            out.extend(c.to_uppercase());
            out.push_str(&text[i + c.len_utf8()..]);
            out
        }
        _ => text.to_owned(),
    }
}

/// Headline casing per locale: title case for English, sentence case (the user's own casing
/// after the first letter) for Spanish, French and German.
fn headline_case(text: &str, locale: Locale) -> String {
    match locale {
        Locale::EnUs => title_case(text),
        Locale::EsEs | Locale::FrFr | Locale::DeDe => capitalise_first(text),
    }
}

/// A product or subject as it reads mid-sentence: the first letter lowered unless the word is an
/// acronym or a name (or German, where nouns keep their capitals).
fn mid_sentence(text: &str, locale: Locale) -> String {
    let mut chars = text.chars();
    let (Some(first), second) = (chars.next(), chars.next()) else { return text.to_owned() };
    if locale == Locale::DeDe || !first.is_uppercase() || second.is_some_and(char::is_uppercase) {
        return text.to_owned();
    }
    if text.split_whitespace().skip(1).any(|w| w.chars().next().is_some_and(char::is_uppercase)) {
        return text.to_owned(); // "New York", "Luna Café": a name
    }
    first.to_lowercase().chain(chars_from(text, 1)).collect()
}

fn chars_from(text: &str, n: usize) -> std::str::Chars<'_> {
    let start = text.char_indices().nth(n).map_or(text.len(), |(i, _)| i);
    text[start..].chars()
}

/// A quotation in the locale's quotation marks.
fn in_quotes(text: &str, locale: Locale) -> String {
    match locale {
        Locale::EnUs => format!("“{text}”"),
        Locale::EsEs => format!("«{text}»"),
        Locale::FrFr => format!("«\u{202F}{text}\u{202F}»"),
        Locale::DeDe => format!("„{text}“"),
    }
}

fn compose(slots: &Slots, tone: Tone, hash: u64, index: usize) -> Copy {
    let locale = slots.locale;
    let intent = slots.intent;
    let bank = phrases(locale, intent);
    let value = |name: &str| slots.value(name);

    // Headline: the prompt's own message in every variation — its literal reading, then the
    // bank's templates that quote it ({product}, {offer} …). Templates with no placeholder
    // ("Something special") only when the prompt gives nothing to say. A quote or testimonial
    // keeps its quote in every variation.
    let literal = match (&slots.quote, &slots.clause) {
        (Some(q), _) if intent == Intent::Quote || q.split_whitespace().count() >= 3 => {
            Some(in_quotes(&truncate_words(q, MAX_HEADLINE_CHARS - 4), locale))
        }
        (_, Some(clause)) => Some(headline_case(clause, locale)),
        (_, None) => None,
    };
    let quoting = literal.is_some() && slots.quote.is_some();
    let mut specific: Vec<String> = literal.iter().cloned().collect();
    let mut generic: Vec<String> = Vec::new();
    for t in bank.map(|p| p.headline.as_slice()).unwrap_or_default() {
        match fill(t, value) {
            // A template that only names the brand says nothing the logo does not.
            Some(filled) if t.contains('{') && t.trim() != "{brand}" => {
                let filled = headline_case(&filled, locale);
                if !quoting && !specific.iter().any(|s| s.to_lowercase() == filled.to_lowercase()) {
                    specific.push(filled);
                }
            }
            Some(filled) => generic.push(headline_case(&filled, locale)),
            None => {}
        }
    }
    let heads = if specific.is_empty() { generic } else { specific };
    let h = heads.len().max(1);
    let headline = heads.get(index % h).cloned().unwrap_or_default();
    let headline = if slots.clause.is_none() && !slots.emoji.is_empty() && !headline.contains(&slots.emoji) {
        format!("{} {headline}", slots.emoji)
    } else {
        headline
    };

    let subject = slots
        .product
        .as_deref()
        .map(|p| mid_sentence(p, locale))
        .or_else(|| bank.map(|p| p.subject.clone()).filter(|s| !s.is_empty()))
        .unwrap_or_default();
    // Sublines and calls to action vary where headlines repeat, so no two variations match.
    let sublines = subline_phrases(locale, intent, tone);
    let sub_n = sublines.len().max(1);
    let subline = pick(&sublines, hash.rotate_left(17), index / h)
        .and_then(|t| fill(t, |name| if name == "subject" { Some(subject.clone()) } else { slots.value(name) }))
        .unwrap_or_default();
    let ctas = cta_phrases(locale, intent, tone);
    let cta = pick(&ctas, hash.rotate_left(31), index / (h * sub_n) + index).cloned().unwrap_or_default();

    Copy {
        locale,
        intent,
        headline: finish(&headline, MAX_HEADLINE_CHARS),
        subline: finish(&capitalise_first(&subline), MAX_SUBLINE_CHARS),
        cta: finish(&cta, MAX_CTA_CHARS),
        brand_name: slots.brand.clone(),
        offer: slots.offer.as_deref().map(|o| finish(o, MAX_HEADLINE_CHARS)),
        price: slots.price.clone(),
        date: slots.date.clone(),
        items: slots.items.clone(),
        source: CopySource::Builtin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(prompt: &str, locale: Option<Locale>, tone: Tone) -> CopyRequest {
        CopyRequest {
            prompt: prompt.to_owned(),
            locale,
            tone,
            industry: String::new(),
            brand_name: None,
            today: (2026, 6, 1),
        }
    }

    fn write(prompt: &str, locale: Option<Locale>) -> Vec<Copy> {
        BuiltinCopywriter::new().write(&request(prompt, locale, Tone::Professional), 4).unwrap()
    }

    fn assert_within_limits(copy: &Copy) {
        assert!(copy.headline.chars().count() <= MAX_HEADLINE_CHARS, "{:?}", copy.headline);
        assert!(copy.subline.chars().count() <= MAX_SUBLINE_CHARS, "{:?}", copy.subline);
        assert!(copy.cta.chars().count() <= MAX_CTA_CHARS, "{:?}", copy.cta);
        assert!(copy.items.len() <= MAX_ITEMS);
        for item in &copy.items {
            assert!(item.chars().count() <= MAX_ITEM_CHARS, "{item:?}");
        }
        let mut all = vec![&copy.headline, &copy.subline, &copy.cta];
        all.extend(copy.items.iter());
        all.extend(copy.brand_name.iter().chain(&copy.offer).chain(&copy.price).chain(&copy.date));
        for s in all {
            assert_eq!(s.trim(), s, "untrimmed {s:?}");
            assert!(!s.chars().any(|c| c.is_control() || c == '<' || c == '>'), "{s:?}");
        }
    }

    #[test]
    fn bank_is_complete_for_cta_and_subline() {
        let bank = bank();
        for locale in Locale::ALL {
            let lang = bank.get(locale.language()).unwrap();
            for intent in Intent::ALL {
                let p = lang.get(intent.as_str()).unwrap_or_else(|| panic!("{locale} {intent:?}"));
                assert!(!p.subject.is_empty(), "{locale} {intent:?} subject");
                assert!(p.headline.len() >= 4, "{locale} {intent:?} headlines");
                for tone in Tone::ALL {
                    let ctas = p.cta.get(tone.as_str()).unwrap_or_else(|| panic!("{locale} {intent:?} {tone:?} cta"));
                    let subs =
                        p.subline.get(tone.as_str()).unwrap_or_else(|| panic!("{locale} {intent:?} {tone:?} subline"));
                    assert!(ctas.len() >= 2 && subs.len() >= 2, "{locale} {intent:?} {tone:?}");
                    for c in ctas {
                        assert!(c.chars().count() <= MAX_CTA_CHARS, "{locale} cta too long: {c:?}");
                    }
                    for s in subs {
                        let filled = s.replace("{subject}", &p.subject);
                        assert!(filled.chars().count() <= MAX_SUBLINE_CHARS, "{locale} subline too long: {s:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn french_typography_in_bank() {
        for p in bank().get("fr").unwrap().values() {
            let all = p.headline.iter().chain(p.cta.values().flatten()).chain(p.subline.values().flatten());
            for s in all {
                for (i, c) in s.char_indices() {
                    if matches!(c, '!' | '?' | ':' | ';') && i > 0 {
                        assert!(s[..i].ends_with('\u{202F}'), "missing narrow no-break space in {s:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn detects_every_locale() {
        assert_eq!(detect_locale("Summer sale on running shoes, 30% off this weekend"), Locale::EnUs);
        assert_eq!(detect_locale("Rebajas de verano: 30 % de descuento en zapatillas hasta el domingo"), Locale::EsEs);
        assert_eq!(detect_locale("Soldes d'été sur les baskets, -30 % jusqu'au dimanche"), Locale::FrFr);
        assert_eq!(detect_locale("Sommerschlussverkauf: 30 % Rabatt auf alle Laufschuhe bis Sonntag"), Locale::DeDe);
        assert_eq!(detect_locale("🔥🔥"), Locale::EnUs);
        let copies = write("Nouvelle collection de sacs pour l'été", None);
        assert_eq!(copies[0].locale, Locale::FrFr);
    }

    #[test]
    fn detects_intents() {
        let cases = [
            ("Summer sale on running shoes, 30% off", Intent::Sale),
            ("Rebajas de verano en toda la tienda", Intent::Sale),
            ("Jazz concert this Saturday at the park", Intent::Event),
            ("Webinar on remote work", Intent::Event),
            ("Meet the new Aurora headphones", Intent::Launch),
            ("Nouveau parfum pour l'été", Intent::Launch),
            ("We're hiring baristas in Madrid", Intent::Hiring),
            ("Wir suchen einen Koch", Intent::Hiring),
            ("Quote: \"The best way out is always through\"", Intent::Quote),
            ("Customer review from Anna", Intent::Testimonial),
            ("5 tips for better sleep", Intent::Tips),
            ("Consejos para ahorrar energía", Intent::Tips),
            ("3 bedroom apartment for sale in Lisbon", Intent::Listing),
            ("Wohnung zu vermieten in Berlin", Intent::Listing),
            ("Our lunch menu: soup, salad and pie", Intent::Menu),
            ("Giveaway: win a year of coffee", Intent::Giveaway),
            ("Gewinnspiel zum Jubiläum", Intent::Giveaway),
            ("Yoga workshop for beginners", Intent::Course),
            ("Cours de poterie le samedi", Intent::Course),
            ("Our bakery in the old town", Intent::General),
        ];
        for (prompt, intent) in cases {
            assert_eq!(detect_intent(&clean_prompt(prompt)), intent, "{prompt}");
        }
    }

    #[test]
    fn spanish_offer_and_date() {
        let copies = write("Rebajas de verano: 30 % de descuento hasta el 12/07", Some(Locale::EsEs));
        let c = &copies[0];
        assert_eq!(c.intent, Intent::Sale);
        assert!(c.offer.as_deref().unwrap().contains("30\u{A0}%"), "{:?}", c.offer);
        assert!(c.date.as_deref().unwrap().contains("julio"), "{:?}", c.date);
        assert_eq!(c.headline, "Rebajas de verano");
    }

    #[test]
    fn offers_prices_and_dates_per_locale() {
        let en = &write("Summer sale on running shoes, 30% off until July 12, now $49.99", None)[0];
        assert_eq!(en.offer.as_deref(), Some("30% off"));
        assert_eq!(en.price.as_deref(), Some("$49.99"));
        assert_eq!(en.date.as_deref(), Some("Sunday, July 12"));
        assert_eq!(en.headline, "Summer Sale on Running Shoes");
        let fr = &write("Soldes d'été : -30 % sur les baskets jusqu'au 12 juillet, 49,99 €", Some(Locale::FrFr))[0];
        assert_eq!(fr.offer.as_deref(), Some("-30\u{202F}%"));
        assert_eq!(fr.price.as_deref(), Some("49,99\u{A0}€"));
        assert_eq!(fr.date.as_deref(), Some("dimanche 12 juillet"));
        let de = &write("Sommer-Sale: 30 % Rabatt auf Laufschuhe bis 12. Juli, nur 49,99 €", Some(Locale::DeDe))[0];
        assert_eq!(de.offer.as_deref(), Some("30\u{A0}% Rabatt"));
        assert_eq!(de.date.as_deref(), Some("Sonntag, 12. Juli"));
        assert_eq!(de.price.as_deref(), Some("49,99\u{A0}€"));
        let bogo = &write("BOGO on all tacos today", None)[0];
        assert_eq!(bogo.offer.as_deref(), Some("Buy one, get one free"));
        let es = &write("Pizzas 2x1 los martes", Some(Locale::EsEs))[0];
        assert_eq!(es.offer.as_deref(), Some("2x1"));
        let up_to = &write("Up to 50% off winter coats", None)[0];
        assert_eq!(up_to.offer.as_deref(), Some("up to 50% off"));
    }

    #[test]
    fn slots_brand_role_items() {
        let c = &write("Grand opening party for Luna Café on Friday", None)[0];
        assert_eq!(c.brand_name.as_deref(), Some("Luna Café"));
        let mut req = request("Spring sale", None, Tone::Friendly);
        req.brand_name = Some("  <b>Acme</b> ".to_owned());
        assert_eq!(BuiltinCopywriter::new().write(&req, 1).unwrap()[0].brand_name.as_deref(), Some("Acme"));
        let hiring = write("We're hiring a barista, full time", None);
        assert!(hiring.iter().any(|c| c.headline.contains("Barista")), "{hiring:?}");
        let tips = &write("5 tips for better sleep: no screens, a cool room, fixed bedtime and less coffee", None)[0];
        assert_eq!(tips.items, ["No screens", "A cool room", "Fixed bedtime", "Less coffee"]);
        let menu = &write("Menu:\n1. Tomato soup\n2. Caesar salad\n3. Apple pie", None)[0];
        assert_eq!(menu.items, ["Tomato soup", "Caesar salad", "Apple pie"]);
        assert!(write("Summer sale on shoes", None)[0].items.is_empty());
    }

    #[test]
    fn deterministic_and_variations_differ() {
        let prompts = [
            ("Summer sale on running shoes, 30% off this weekend", Locale::EnUs),
            ("Rebajas de verano en zapatillas", Locale::EsEs),
            ("Concert de jazz samedi soir", Locale::FrFr),
            ("Neue Kollektion für den Herbst", Locale::DeDe),
            ("🔥🔥🎉", Locale::EnUs),
        ];
        for (prompt, locale) in prompts {
            for tone in Tone::ALL {
                let req = request(prompt, Some(locale), tone);
                let a = BuiltinCopywriter::new().write(&req, 4).unwrap();
                let b = BuiltinCopywriter::new().write(&req, 4).unwrap();
                assert_eq!(a, b);
                assert_eq!(a.len(), 4);
                for i in 0..4 {
                    for j in i + 1..4 {
                        assert!(
                            a[i].headline != a[j].headline || a[i].subline != a[j].subline || a[i].cta != a[j].cta,
                            "{prompt} {tone:?}: {i} and {j} are the same: {:?}",
                            a[i]
                        );
                    }
                }
                a.iter().for_each(assert_within_limits);
            }
        }
        assert!(BuiltinCopywriter::new().write(&request("Sale", None, Tone::Urgent), 0).unwrap().is_empty());
        assert_eq!(BuiltinCopywriter::new().write(&request("Sale", None, Tone::Urgent), 8).unwrap().len(), 8);
    }

    #[test]
    fn figures_are_not_offers_and_clauses_do_not_dangle() {
        let c = &write("Q3 results: revenue up 42% year over year", None)[0];
        assert_ne!(c.intent, Intent::Sale);
        assert_eq!(c.offer, None);
        let c = &write("Neue Wellness-Kurse im Studio ab dem 3. März", Some(Locale::DeDe))[0];
        assert!(!c.headline.ends_with("ab dem") && !c.headline.ends_with(" dem"), "{}", c.headline);
        let c = &write("Save 20% on all plants", None)[0];
        assert_eq!(c.offer.as_deref(), Some("20% off"));
        let quotes = write("Our clients say: the best financial advice we ever had", None);
        assert_eq!(quotes[0].intent, Intent::Testimonial);
        for q in &quotes {
            assert!(q.headline.contains("best financial advice"), "{}", q.headline);
        }
    }

    #[test]
    fn ctas_per_locale() {
        let sale = |l| BuiltinCopywriter::new().write(&request("sale", Some(l), Tone::Professional), 2).unwrap();
        assert!(sale(Locale::EnUs).iter().any(|c| c.cta == "Shop now"));
        assert!(sale(Locale::EsEs).iter().any(|c| c.cta == "Compra ya"));
        assert!(sale(Locale::FrFr).iter().any(|c| c.cta == "J'en profite"));
        assert!(sale(Locale::DeDe).iter().any(|c| c.cta == "Jetzt shoppen"));
    }

    #[test]
    fn bad_inputs() {
        let w = BuiltinCopywriter::new();
        for empty in ["", "   ", "<b></b>", "\u{200B}\u{200B}", "** __ ##", "<script>alert(1)</script>"] {
            assert_eq!(w.write(&request(empty, None, Tone::Playful), 2), Err(CopyError::EmptyPrompt), "{empty:?}");
        }
        let long = "a".repeat(5000);
        assert_eq!(w.write(&request(&long, None, Tone::Playful), 2), Err(CopyError::PromptTooLong { chars: 5000 }));
        let emoji = w.write(&request("🔥🔥🎉", None, Tone::Playful), 4).unwrap();
        assert!(emoji[0].headline.contains('🔥'), "{:?}", emoji[0]);
        for rtl in ["تخفيضات الصيف على الأحذية", "מבצע קיץ על נעליים"] {
            let copies = w.write(&request(rtl, None, Tone::Professional), 4).unwrap();
            assert!(!copies[0].headline.is_empty());
            copies.iter().for_each(assert_within_limits);
        }
        let markup =
            w.write(&request("<script>alert(1)</script>Big <b>sale</b> today", None, Tone::Urgent), 4).unwrap();
        for c in &markup {
            assert_within_limits(c);
            assert!(!format!("{c:?}").contains("alert"), "{c:?}");
        }
        assert_eq!(markup[0].headline, "Big Sale Today");
    }

    #[test]
    fn truncates_at_word_boundaries() {
        assert_eq!(truncate_words("Summer sale on running shoes", 14), "Summer sale…");
        assert_eq!(truncate_words("Supercalifragilistic", 6), "Super…");
        assert_eq!(truncate_words("ÉÉÉÉÉ ÉÉÉ", 4), "ÉÉÉ…");
        assert_eq!(truncate_words("short", 10), "short");
        let long = write(&"wonderful ".repeat(40), None);
        long.iter().for_each(assert_within_limits);
    }

    /// A deterministic generator of strings over many Unicode ranges.
    struct Gen(u64);

    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn string(&mut self) -> String {
            const RANGES: &[(u32, u32)] = &[
                (0x20, 0x7E),
                (0x00, 0x1F),
                (0xA0, 0x17F),
                (0x300, 0x36F),
                (0x590, 0x5FF),
                (0x600, 0x6FF),
                (0x900, 0x97F),
                (0x2000, 0x206F),
                (0x20A0, 0x20BF),
                (0x3040, 0x30FF),
                (0x4E00, 0x4E80),
                (0xAC00, 0xAC80),
                (0xFE00, 0xFE0F),
                (0x1F300, 0x1F6FF),
                (0x1F900, 0x1F9FF),
            ];
            const WORDS: &[&str] = &[
                "sale",
                "30%",
                " off ",
                "<b>",
                "</script>",
                "\"",
                "«",
                "for ",
                "Acme",
                ": ",
                ", ",
                " and ",
                "\n",
                "12/07",
                "€",
            ];
            let len = (self.next() % 60) as usize;
            let mut s = String::new();
            for _ in 0..len {
                if self.next().is_multiple_of(5) {
                    s.push_str(WORDS[(self.next() % WORDS.len() as u64) as usize]);
                    continue;
                }
                let (lo, hi) = RANGES[(self.next() % RANGES.len() as u64) as usize];
                let c = char::from_u32(lo + (self.next() % u64::from(hi - lo + 1)) as u32).unwrap_or('x');
                s.push(c);
            }
            s
        }
    }

    #[test]
    fn fuzz_never_panics_and_respects_limits() {
        let w = BuiltinCopywriter::new();
        let mut g = Gen(0x9E37_79B9_7F4A_7C15);
        for i in 0..2000 {
            let prompt = g.string();
            let tone = Tone::ALL[i % 6];
            let locale = if i % 3 == 0 { None } else { Some(Locale::ALL[i % 4]) };
            match w.write(&request(&prompt, locale, tone), 3) {
                Ok(copies) => {
                    assert_eq!(copies.len(), 3);
                    copies.iter().for_each(assert_within_limits);
                }
                Err(CopyError::EmptyPrompt) => {}
                Err(e) => panic!("{prompt:?}: {e}"),
            }
        }
    }
}
