//! Locale-correct numbers, percentages, prices, dates and times for the copy writer (REQ-007), in
//! en-US, es-ES, fr-FR and de-DE, plus conservative parsers that pull a date or a price out of a prompt.
//!
//! The rules are written by hand from CLDR (v44) data rather than pulled in through ICU, so the worker
//! stays small and deterministic. What follows CLDR and where it deliberately departs:
//!
//! - **Grouping**: en `1,234,567.89`; es `1.234.567,89` but `1234` (CLDR `minimumGroupingDigits` = 2 for
//!   Spanish, as the RAE recommends: four-digit numbers are not grouped); fr `1 234 567,89` with a narrow
//!   no-break space (U+202F) between groups; de `1.234.567,89`.
//! - **Minus sign**: the ASCII hyphen-minus for all four locales. CLDR also uses it for these four (U+2212
//!   is only used by locales such as sv or fi), and it is the glyph every font in the catalogue has.
//! - **Rounding**: on the exact binary value of the `f64`, halves to even on exact ties (ICU's default).
//!   So `0.005` (stored as 0.005000000000000000104…) rounds up to `0.01` while `1.005` (stored as
//!   1.00499999999999989…) rounds down to `1.00`. A result that rounds to zero is never written `-0`.
//! - **Percent**: en `25%`, es and de `25 %` with a no-break space (U+00A0), fr `25 %` with U+202F.
//! - **Prices** are integers in minor units, never floats. en-US puts the symbol first (`$1,234.50`,
//!   `-$5.00`); es, fr and de put it last after a no-break space (`1234,50 €`, `1 234,50 €`,
//!   `1.234,50 €`). Symbols are CLDR's per locale: the dollar is `US$` in es-ES and `$US` in fr-FR, the
//!   pound `GBP` in es-ES and `£GB` in fr-FR.
//! - **Dates**: CLDR's long, medium and short patterns; French writes the first day of a month `1er`
//!   (`1er mars 2026`) as French typography wants although CLDR does not. Weekdays are computed from the
//!   proleptic Gregorian calendar; years 1 to 9999 are accepted.
//! - **Times**: en `3:30 PM` (with CLDR's U+202F between the time and the day period, so a line never
//!   breaks there); es `15:30` and `9:05` (CLDR `H:mm`); fr and de `15:30` and `09:05` (`HH:mm`).

use std::fmt;

/// No-break space (U+00A0).
const NBSP: char = '\u{A0}';
/// Narrow no-break space (U+202F).
const NNBSP: char = '\u{202F}';

/// A locale the copy writer can write in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub enum Locale {
    /// English (United States).
    #[default]
    #[serde(rename = "en-US")]
    EnUs,
    /// Spanish (Spain).
    #[serde(rename = "es-ES")]
    EsEs,
    /// French (France).
    #[serde(rename = "fr-FR")]
    FrFr,
    /// German (Germany).
    #[serde(rename = "de-DE")]
    DeDe,
}

impl Locale {
    /// Every supported locale.
    pub const ALL: [Locale; 4] = [Locale::EnUs, Locale::EsEs, Locale::FrFr, Locale::DeDe];

    /// Parses a language or language-region tag: `en`, `en-US`, `es`, `es-ES`, `fr`, `fr-FR`, `de`,
    /// `de-DE`, case-insensitively and with `-` or `_` between the parts. Other regions of the four
    /// languages (`en-GB`, `de-AT` …) are not accepted: their formats differ.
    pub fn parse(tag: &str) -> Option<Locale> {
        let normalised = tag.trim().replace('_', "-").to_ascii_lowercase();
        match normalised.as_str() {
            "en" | "en-us" => Some(Locale::EnUs),
            "es" | "es-es" => Some(Locale::EsEs),
            "fr" | "fr-fr" => Some(Locale::FrFr),
            "de" | "de-de" => Some(Locale::DeDe),
            _ => None,
        }
    }

    /// The BCP 47 tag: `en-US`, `es-ES`, `fr-FR` or `de-DE`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::EnUs => "en-US",
            Locale::EsEs => "es-ES",
            Locale::FrFr => "fr-FR",
            Locale::DeDe => "de-DE",
        }
    }

    /// The language subtag: `en`, `es`, `fr` or `de`.
    pub fn language(self) -> &'static str {
        match self {
            Locale::EnUs => "en",
            Locale::EsEs => "es",
            Locale::FrFr => "fr",
            Locale::DeDe => "de",
        }
    }

    fn group_separator(self) -> char {
        match self {
            Locale::EnUs => ',',
            Locale::EsEs | Locale::DeDe => '.',
            Locale::FrFr => NNBSP,
        }
    }

    fn decimal_separator(self) -> char {
        match self {
            Locale::EnUs => '.',
            Locale::EsEs | Locale::FrFr | Locale::DeDe => ',',
        }
    }

    /// CLDR `minimumGroupingDigits`: grouping only happens when the integer part has at least
    /// `3 + this` digits.
    fn minimum_grouping_digits(self) -> usize {
        match self {
            Locale::EsEs => 2,
            Locale::EnUs | Locale::FrFr | Locale::DeDe => 1,
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

// ---------------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------------

/// Groups a string of ASCII digits with `sep` every three digits from the right, following the
/// locale's minimum grouping digits.
fn group_digits(digits: &str, locale: Locale) -> String {
    let len = digits.len();
    if len < 3 + locale.minimum_grouping_digits() {
        return digits.to_owned();
    }
    let sep = locale.group_separator();
    let mut out = String::with_capacity(len + len / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// Writes `value` with `decimals` fraction digits, the locale's grouping and decimal separators, and
/// a leading hyphen-minus when negative. NaN is written `NaN` and infinities `∞` / `-∞`.
pub fn format_number(locale: Locale, value: f64, decimals: u8) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value < 0.0 { "-∞".to_owned() } else { "∞".to_owned() };
    }
    let plain = format!("{:.*}", usize::from(decimals), value.abs());
    let (int_part, frac_part) = match plain.split_once('.') {
        Some((i, f)) => (i, f),
        None => (plain.as_str(), ""),
    };
    let is_zero = plain.bytes().all(|b| b == b'0' || b == b'.');
    let mut out = String::new();
    if value.is_sign_negative() && !is_zero {
        out.push('-');
    }
    out.push_str(&group_digits(int_part, locale));
    if !frac_part.is_empty() {
        out.push(locale.decimal_separator());
        out.push_str(frac_part);
    }
    out
}

/// Writes an integer with the locale's grouping.
pub fn format_integer(locale: Locale, value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let grouped = group_digits(&digits, locale);
    if value < 0 { format!("-{grouped}") } else { grouped }
}

/// Writes a fraction as a whole percentage: `0.25` is `25%` (en), `25 %` (es, de: U+00A0; fr: U+202F).
pub fn format_percent(locale: Locale, fraction: f64) -> String {
    format_percent_with_decimals(locale, fraction, 0)
}

/// Writes a fraction as a percentage with `decimals` fraction digits: `0.125` with one decimal is
/// `12.5%` (en) or `12,5 %` (de).
pub fn format_percent_with_decimals(locale: Locale, fraction: f64, decimals: u8) -> String {
    let number = format_number(locale, fraction * 100.0, decimals);
    match locale {
        Locale::EnUs => format!("{number}%"),
        Locale::EsEs | Locale::DeDe => format!("{number}{NBSP}%"),
        Locale::FrFr => format!("{number}{NNBSP}%"),
    }
}

// ---------------------------------------------------------------------------------------------------
// Currency
// ---------------------------------------------------------------------------------------------------

/// A currency prices can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Currency {
    /// US dollar.
    Usd,
    /// Euro.
    Eur,
    /// Pound sterling.
    Gbp,
}

impl Currency {
    /// Every supported currency.
    pub const ALL: [Currency; 3] = [Currency::Usd, Currency::Eur, Currency::Gbp];

    /// The ISO 4217 code: `USD`, `EUR` or `GBP`.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Usd => "USD",
            Currency::Eur => "EUR",
            Currency::Gbp => "GBP",
        }
    }

    /// Parses an ISO 4217 code, case-insensitively.
    pub fn from_code(code: &str) -> Option<Currency> {
        Currency::ALL.into_iter().find(|c| c.code().eq_ignore_ascii_case(code.trim()))
    }

    /// The number of minor-unit digits (ISO 4217): 2 for all three.
    pub fn minor_digits(self) -> u8 {
        match self {
            Currency::Usd | Currency::Eur | Currency::Gbp => 2,
        }
    }

    /// The symbol CLDR uses for this currency in `locale`.
    pub fn symbol(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (Currency::Eur, _) => "€",
            (Currency::Usd, Locale::EnUs | Locale::DeDe) => "$",
            (Currency::Usd, Locale::EsEs) => "US$",
            (Currency::Usd, Locale::FrFr) => "$US",
            (Currency::Gbp, Locale::EnUs | Locale::DeDe) => "£",
            (Currency::Gbp, Locale::EsEs) => "GBP",
            (Currency::Gbp, Locale::FrFr) => "£GB",
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

fn format_price_inner(locale: Locale, amount_minor: i64, currency: Currency, short: bool) -> String {
    let digits = u32::from(currency.minor_digits());
    let scale = 10u64.pow(digits);
    let abs = amount_minor.unsigned_abs();
    let (major, minor) = (abs / scale, abs % scale);
    let mut number = group_digits(&major.to_string(), locale);
    if digits > 0 && !(short && minor == 0) {
        number.push(locale.decimal_separator());
        number.push_str(&format!("{minor:0width$}", width = digits as usize));
    }
    let sign = if amount_minor < 0 { "-" } else { "" };
    let symbol = currency.symbol(locale);
    match locale {
        Locale::EnUs => format!("{sign}{symbol}{number}"),
        Locale::EsEs | Locale::FrFr | Locale::DeDe => format!("{sign}{number}{NBSP}{symbol}"),
    }
}

/// Writes a price given in minor units (cents): `format_price(EnUs, 123450, Usd)` is `$1,234.50`;
/// in es-ES `123450` euro cents are `1234,50 €`, in fr-FR `1 234,50 €`, in de-DE `1.234,50 €`.
pub fn format_price(locale: Locale, amount_minor: i64, currency: Currency) -> String {
    format_price_inner(locale, amount_minor, currency, false)
}

/// Like [`format_price`] but drops the minor units when the amount is whole, as marketing copy does:
/// `$20`, `20 €`; `$19.99` keeps its cents.
pub fn format_price_short(locale: Locale, amount_minor: i64, currency: Currency) -> String {
    format_price_inner(locale, amount_minor, currency, true)
}

// ---------------------------------------------------------------------------------------------------
// Dates and times
// ---------------------------------------------------------------------------------------------------

/// How much of a date to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateStyle {
    /// `March 5, 2026`, `5 de marzo de 2026`, `5 mars 2026`, `5. März 2026`.
    Long,
    /// `Mar 5, 2026`, `5 mar 2026`, `5 mars 2026`, `05.03.2026`.
    Medium,
    /// `3/5/26`, `5/3/26`, `05/03/2026`, `05.03.26`.
    Short,
    /// Day and month only: `March 5`, `5 de marzo`, `5 mars`, `5. März`.
    DayMonth,
}

/// Why a date or time could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateError {
    /// The year is outside 1..=9999.
    YearOutOfRange(i32),
    /// The month is outside 1..=12.
    InvalidMonth(u8),
    /// The day does not exist in that month of that year (such as 29 February 2025).
    InvalidDay {
        /// The year.
        year: i32,
        /// The month, 1..=12.
        month: u8,
        /// The offending day.
        day: u8,
    },
    /// The hour is above 23 or the minute above 59.
    InvalidTime {
        /// The hour.
        hour: u8,
        /// The minute.
        minute: u8,
    },
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DateError::YearOutOfRange(y) => write!(f, "year {y} is outside 1..=9999"),
            DateError::InvalidMonth(m) => write!(f, "month {m} is outside 1..=12"),
            DateError::InvalidDay { year, month, day } => {
                write!(f, "{year:04}-{month:02} has {} days, so day {day} does not exist", days_in_month(year, month))
            }
            DateError::InvalidTime { hour, minute } => {
                write!(f, "{hour:02}:{minute:02} is not a time of day (hour 0..=23, minute 0..=59)")
            }
        }
    }
}

impl std::error::Error for DateError {}

/// Whether `year` is a leap year in the proleptic Gregorian calendar.
pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The number of days in `month` (1..=12) of `year`; 0 for an invalid month.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Checks that `year-month-day` is a real date with a year in 1..=9999.
pub fn validate_date(year: i32, month: u8, day: u8) -> Result<(), DateError> {
    if !(1..=9999).contains(&year) {
        return Err(DateError::YearOutOfRange(year));
    }
    if !(1..=12).contains(&month) {
        return Err(DateError::InvalidMonth(month));
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(DateError::InvalidDay { year, month, day });
    }
    Ok(())
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The weekday of a date, 0 = Monday … 6 = Sunday. The date is not validated.
pub fn weekday(year: i32, month: u8, day: u8) -> u8 {
    // 1970-01-01 was a Thursday (index 3).
    let index = (days_from_civil(year, month, day) + 3).rem_euclid(7);
    // rem_euclid(7) is in 0..7, so the cast cannot truncate.
    index as u8
}

const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const EN_MONTHS_ABBR: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const ES_MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];
const ES_MONTHS_ABBR: [&str; 12] =
    ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"];
const FR_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const FR_MONTHS_ABBR: [&str; 12] =
    ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."];
const DE_MONTHS: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

const EN_WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const EN_WEEKDAYS_ABBR: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const ES_WEEKDAYS: [&str; 7] = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"];
const ES_WEEKDAYS_ABBR: [&str; 7] = ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"];
const FR_WEEKDAYS: [&str; 7] = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];
const FR_WEEKDAYS_ABBR: [&str; 7] = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."];
const DE_WEEKDAYS: [&str; 7] = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"];
const DE_WEEKDAYS_ABBR: [&str; 7] = ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."];

/// The full name of `month` (1..=12) in `locale`, capitalised as the language writes it mid-sentence.
pub fn month_name(locale: Locale, month: u8) -> Option<&'static str> {
    let table = match locale {
        Locale::EnUs => &EN_MONTHS,
        Locale::EsEs => &ES_MONTHS,
        Locale::FrFr => &FR_MONTHS,
        Locale::DeDe => &DE_MONTHS,
    };
    table.get(usize::from(month).checked_sub(1)?).copied()
}

/// The full name of a weekday (0 = Monday … 6 = Sunday) in `locale`.
pub fn weekday_name(locale: Locale, weekday: u8) -> Option<&'static str> {
    let table = match locale {
        Locale::EnUs => &EN_WEEKDAYS,
        Locale::EsEs => &ES_WEEKDAYS,
        Locale::FrFr => &FR_WEEKDAYS,
        Locale::DeDe => &DE_WEEKDAYS,
    };
    table.get(usize::from(weekday)).copied()
}

fn weekday_abbr(locale: Locale, weekday: usize) -> &'static str {
    let table = match locale {
        Locale::EnUs => &EN_WEEKDAYS_ABBR,
        Locale::EsEs => &ES_WEEKDAYS_ABBR,
        Locale::FrFr => &FR_WEEKDAYS_ABBR,
        Locale::DeDe => &DE_WEEKDAYS_ABBR,
    };
    table[weekday % 7]
}

/// The day as written in text: `1er` for the first of the month in French, the number otherwise.
fn text_day(locale: Locale, day: u8) -> String {
    if locale == Locale::FrFr && day == 1 { "1er".to_owned() } else { day.to_string() }
}

fn format_date_inner(
    locale: Locale,
    year: i32,
    month: u8,
    day: u8,
    style: DateStyle,
    with_weekday: bool,
) -> Result<String, DateError> {
    validate_date(year, month, day)?;
    let m = usize::from(month - 1);
    let yy = year % 100;
    let date = match (style, locale) {
        (DateStyle::Long, Locale::EnUs) => format!("{} {day}, {year}", EN_MONTHS[m]),
        (DateStyle::Long, Locale::EsEs) => format!("{day} de {} de {year}", ES_MONTHS[m]),
        (DateStyle::Long, Locale::FrFr) => format!("{} {} {year}", text_day(locale, day), FR_MONTHS[m]),
        (DateStyle::Long, Locale::DeDe) => format!("{day}. {} {year}", DE_MONTHS[m]),
        (DateStyle::Medium, Locale::EnUs) => format!("{} {day}, {year}", EN_MONTHS_ABBR[m]),
        (DateStyle::Medium, Locale::EsEs) => format!("{day} {} {year}", ES_MONTHS_ABBR[m]),
        (DateStyle::Medium, Locale::FrFr) => format!("{} {} {year}", text_day(locale, day), FR_MONTHS_ABBR[m]),
        (DateStyle::Medium, Locale::DeDe) => format!("{day:02}.{month:02}.{year}"),
        (DateStyle::Short, Locale::EnUs) => format!("{month}/{day}/{yy:02}"),
        (DateStyle::Short, Locale::EsEs) => format!("{day}/{month}/{yy:02}"),
        (DateStyle::Short, Locale::FrFr) => format!("{day:02}/{month:02}/{year:04}"),
        (DateStyle::Short, Locale::DeDe) => format!("{day:02}.{month:02}.{yy:02}"),
        (DateStyle::DayMonth, Locale::EnUs) => format!("{} {day}", EN_MONTHS[m]),
        (DateStyle::DayMonth, Locale::EsEs) => format!("{day} de {}", ES_MONTHS[m]),
        (DateStyle::DayMonth, Locale::FrFr) => format!("{} {}", text_day(locale, day), FR_MONTHS[m]),
        (DateStyle::DayMonth, Locale::DeDe) => format!("{day}. {}", DE_MONTHS[m]),
    };
    if !with_weekday {
        return Ok(date);
    }
    let wd = usize::from(weekday(year, month, day));
    let name = match style {
        DateStyle::Long | DateStyle::DayMonth => match locale {
            Locale::EnUs => EN_WEEKDAYS[wd],
            Locale::EsEs => ES_WEEKDAYS[wd],
            Locale::FrFr => FR_WEEKDAYS[wd],
            Locale::DeDe => DE_WEEKDAYS[wd],
        },
        DateStyle::Medium | DateStyle::Short => weekday_abbr(locale, wd),
    };
    // French writes the weekday without a comma: "jeudi 5 mars 2026".
    Ok(match locale {
        Locale::FrFr => format!("{name} {date}"),
        Locale::EnUs | Locale::EsEs | Locale::DeDe => format!("{name}, {date}"),
    })
}

/// Writes a date in `style`. Fails with a clear [`DateError`] on a date that does not exist (29
/// February outside leap years, month 13, day 0 …) or a year outside 1..=9999.
pub fn format_date(locale: Locale, year: i32, month: u8, day: u8, style: DateStyle) -> Result<String, DateError> {
    format_date_inner(locale, year, month, day, style, false)
}

/// Writes a date in `style` preceded by its weekday: the full name for [`DateStyle::Long`] and
/// [`DateStyle::DayMonth`] (`Thursday, March 5, 2026`, `jeudi 5 mars 2026`), the abbreviation for
/// [`DateStyle::Medium`] and [`DateStyle::Short`] (`Thu, 3/5/26`, `Do., 05.03.26`).
pub fn format_date_with_weekday(
    locale: Locale,
    year: i32,
    month: u8,
    day: u8,
    style: DateStyle,
) -> Result<String, DateError> {
    format_date_inner(locale, year, month, day, style, true)
}

/// Writes a time of day: en `3:30 PM` (U+202F before the day period), es `15:30` / `9:05`, fr and de
/// `15:30` / `09:05`.
pub fn format_time(locale: Locale, hour: u8, minute: u8) -> Result<String, DateError> {
    if hour > 23 || minute > 59 {
        return Err(DateError::InvalidTime { hour, minute });
    }
    Ok(match locale {
        Locale::EnUs => {
            let period = if hour < 12 { "AM" } else { "PM" };
            let h12 = match hour % 12 {
                0 => 12,
                h => h,
            };
            format!("{h12}:{minute:02}{NNBSP}{period}")
        }
        Locale::EsEs => format!("{hour}:{minute:02}"),
        Locale::FrFr | Locale::DeDe => format!("{hour:02}:{minute:02}"),
    })
}

// ---------------------------------------------------------------------------------------------------
// Parsing dates out of text
// ---------------------------------------------------------------------------------------------------

/// Folds a lowercase letter to its unaccented ASCII form (`é` → `e`, `ä` → `a`); others unchanged.
fn fold_char(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        _ => c,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum TokKind {
    /// A run of ASCII digits: its value (saturating) and its length.
    Num(u32, usize),
    /// A run of letters, lowercased and accent-folded; `capital` if the first letter was uppercase.
    Word { folded: String, capital: bool },
    /// Any other non-space character.
    Punct(char),
}

#[derive(Debug, Clone)]
struct Tok {
    kind: TokKind,
    /// Whether whitespace separates this token from the previous one.
    space_before: bool,
}

fn tokenize(text: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut chars = text.chars().peekable();
    let mut space_before = true;
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            space_before = true;
            chars.next();
        } else if c.is_ascii_digit() {
            let (mut value, mut len) = (0u32, 0usize);
            while let Some(&d) = chars.peek() {
                let Some(digit) = d.to_digit(10) else { break };
                value = value.saturating_mul(10).saturating_add(digit);
                len += 1;
                chars.next();
            }
            toks.push(Tok { kind: TokKind::Num(value, len), space_before });
            space_before = false;
        } else if c.is_alphabetic() {
            let capital = c.is_uppercase();
            let mut folded = String::new();
            while let Some(&l) = chars.peek() {
                if !l.is_alphabetic() {
                    break;
                }
                for lower in l.to_lowercase() {
                    if lower == 'ß' {
                        folded.push_str("ss");
                    } else {
                        folded.push(fold_char(lower));
                    }
                }
                chars.next();
            }
            toks.push(Tok { kind: TokKind::Word { folded, capital }, space_before });
            space_before = false;
        } else {
            toks.push(Tok { kind: TokKind::Punct(c), space_before });
            space_before = false;
            chars.next();
        }
    }
    toks
}

/// Month names and abbreviations in the four languages, accent-folded.
const MONTH_WORDS: &[(&str, u8)] = &[
    // English
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("sept", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
    // Spanish
    ("enero", 1),
    ("febrero", 2),
    ("marzo", 3),
    ("abril", 4),
    ("mayo", 5),
    ("junio", 6),
    ("julio", 7),
    ("agosto", 8),
    ("septiembre", 9),
    ("setiembre", 9),
    ("octubre", 10),
    ("noviembre", 11),
    ("diciembre", 12),
    ("ene", 1),
    ("abr", 4),
    ("ago", 8),
    ("dic", 12),
    // French
    ("janvier", 1),
    ("fevrier", 2),
    ("mars", 3),
    ("avril", 4),
    ("mai", 5),
    ("juin", 6),
    ("juillet", 7),
    ("aout", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("decembre", 12),
    ("janv", 1),
    ("fevr", 2),
    ("avr", 4),
    ("juil", 7),
    // German
    ("januar", 1),
    ("janner", 1),
    ("februar", 2),
    ("marz", 3),
    ("maerz", 3),
    ("juni", 6),
    ("juli", 7),
    ("oktober", 10),
    ("dezember", 12),
    ("okt", 10),
    ("dez", 12),
];

/// Month words that are also ordinary words ("you may", Spanish "mar" = sea, "dec" …) and only count
/// when capitalised or right next to a day number. `may` additionally needs its capital.
fn month_of_word(tok: &Tok) -> Option<u8> {
    let TokKind::Word { folded, capital } = &tok.kind else { return None };
    if folded == "may" && !capital {
        return None;
    }
    MONTH_WORDS.iter().find(|(name, _)| name == folded).map(|&(_, m)| m)
}

fn num(tok: Option<&Tok>) -> Option<(u32, usize)> {
    match tok?.kind {
        TokKind::Num(v, len) => Some((v, len)),
        _ => None,
    }
}

fn is_punct(tok: Option<&Tok>, c: char) -> bool {
    matches!(tok, Some(Tok { kind: TokKind::Punct(p), .. }) if *p == c)
}

fn is_word(tok: Option<&Tok>, words: &[&str]) -> bool {
    matches!(tok, Some(Tok { kind: TokKind::Word { folded, .. }, .. }) if words.contains(&folded.as_str()))
}

fn checked_date(year: u32, month: u32, day: u32) -> Option<(i32, u8, u8)> {
    let (y, m, d) = (i32::try_from(year).ok()?, u8::try_from(month).ok()?, u8::try_from(day).ok()?);
    validate_date(y, m, d).ok().map(|()| (y, m, d))
}

/// The next occurrence of `month`/`day` on or after `today` (within eight years, for 29 February).
fn next_occurrence(month: u8, day: u8, today: (i32, u8, u8)) -> Option<(i32, u8, u8)> {
    (today.0..today.0.saturating_add(9))
        .find(|&y| validate_date(y, month, day).is_ok() && (y, month, day) >= today)
        .map(|y| (y, month, day))
}

/// A four-digit year at `i` (optionally after `,` or `de`), and the index after it.
fn year_at(toks: &[Tok], mut i: usize) -> Option<(u32, usize)> {
    if is_punct(toks.get(i), ',') || is_word(toks.get(i), &["de", "del"]) {
        i += 1;
    }
    match num(toks.get(i)) {
        Some((y, 4)) if !is_punct(toks.get(i + 1), ':') => Some((y, i + 1)),
        _ => None,
    }
}

/// Whether a number token at `i` stands alone: not glued to a preceding number by `.`, `,`, `/`, `-`
/// or `:` (as in `1.5`, `12:30`, `3/5`), nor preceded by a letter or a currency sign.
fn number_starts_cleanly(toks: &[Tok], i: usize) -> bool {
    if i == 0 || toks[i].space_before {
        return !(i >= 1 && matches!(toks[i - 1].kind, TokKind::Punct('$' | '€' | '£' | '#')));
    }
    match &toks[i - 1].kind {
        TokKind::Punct(c) => !matches!(c, '.' | ',' | '/' | '-' | ':' | '$' | '€' | '£' | '#' | '+'),
        TokKind::Word { .. } | TokKind::Num(..) => false,
    }
}

/// Whether the token at `i` continues a numeric expression (`.5`, `/3`, `:30`, `%`) glued to what came
/// before, which means the previous match was part of something larger.
fn glued_continuation(toks: &[Tok], i: usize) -> bool {
    let Some(tok) = toks.get(i) else { return false };
    if tok.space_before {
        return false;
    }
    match tok.kind {
        TokKind::Punct('%' | ':') => true,
        TokKind::Punct('.' | ',' | '/' | '-') => {
            matches!(toks.get(i + 1), Some(t) if !t.space_before && matches!(t.kind, TokKind::Num(..)))
        }
        TokKind::Num(..) => true,
        _ => false,
    }
}

fn date_at(toks: &[Tok], i: usize, hint: Locale, today: (i32, u8, u8)) -> Option<(i32, u8, u8)> {
    let tok = &toks[i];
    // Month first (English): "March 5", "Mar. 5th, 2026".
    if let Some(month) = month_of_word(tok) {
        let mut j = i + 1;
        if is_punct(toks.get(j), '.') {
            j += 1;
        }
        let (day, len) = num(toks.get(j))?;
        if len > 2 || !toks.get(j).is_some_and(|t| t.space_before || j > i + 1) {
            return None;
        }
        j += 1;
        if is_word(toks.get(j), &["st", "nd", "rd", "th"]) && toks.get(j).is_some_and(|t| !t.space_before) {
            j += 1;
        }
        if let Some((year, k)) = year_at(toks, j) {
            if !glued_continuation(toks, k) {
                return checked_date(year, u32::from(month), day);
            }
            return None;
        }
        if glued_continuation(toks, j) || is_punct(toks.get(j), '%') {
            return None;
        }
        let day = u8::try_from(day).ok()?;
        return next_occurrence(month, day, today);
    }

    let (first, first_len) = num(Some(tok))?;
    if !number_starts_cleanly(toks, i) {
        return None;
    }

    // ISO 8601: 2026-03-05.
    if first_len == 4 && is_punct(toks.get(i + 1), '-') && is_punct(toks.get(i + 3), '-') {
        let glued = (i + 1..=i + 4).all(|k| toks.get(k).is_some_and(|t| !t.space_before));
        if let (true, Some((m, 1..=2)), Some((d, 1..=2))) = (glued, num(toks.get(i + 2)), num(toks.get(i + 4))) {
            if glued_continuation(toks, i + 5) {
                return None;
            }
            return checked_date(first, m, d);
        }
        return None;
    }

    // Numeric: 05/03/2026, 5.3.26, 05-03-2026; day/month order by locale.
    if first_len <= 2
        && let Some(Tok { kind: TokKind::Punct(sep @ ('/' | '.' | '-')), space_before: false }) = toks.get(i + 1)
    {
        let glued = (i + 2..=i + 4).all(|k| toks.get(k).is_some_and(|t| !t.space_before));
        if let (true, Some((b, 1..=2)), true, Some((y, ylen @ (2 | 4)))) =
            (glued, num(toks.get(i + 2)), is_punct(toks.get(i + 3), *sep), num(toks.get(i + 4)))
        {
            if glued_continuation(toks, i + 5) {
                return None;
            }
            let year = if ylen == 2 { 2000 + y } else { y };
            let (month, day) = if hint == Locale::EnUs { (first, b) } else { (b, first) };
            return checked_date(year, month, day);
        }
    }

    // Day first: "5 March 2026", "5th March", "5. März", "5 de marzo de 2026", "1er mars".
    if first_len > 2 {
        return None;
    }
    let mut j = i + 1;
    if is_word(toks.get(j), &["st", "nd", "rd", "th", "er", "re", "e", "o"])
        && toks.get(j).is_some_and(|t| !t.space_before)
    {
        j += 1;
    }
    if is_punct(toks.get(j), '.') {
        j += 1;
    }
    if is_word(toks.get(j), &["de", "of"]) {
        j += 1;
    }
    let month_tok = toks.get(j)?;
    let month = match &month_tok.kind {
        // After a day number, "may" needs no capital: "5 may" is a date in English and Spanish.
        TokKind::Word { folded, .. } if folded == "may" => 5,
        _ => month_of_word(month_tok)?,
    };
    j += 1;
    if is_punct(toks.get(j), '.') {
        j += 1;
    }
    if let Some((year, k)) = year_at(toks, j) {
        if !glued_continuation(toks, k) {
            return checked_date(year, u32::from(month), first);
        }
        return None;
    }
    let day = u8::try_from(first).ok()?;
    next_occurrence(month, day, today)
}

/// Finds the first date in free text: ISO `2026-03-05`; numeric `05/03/2026`, `5.3.26` (day/month
/// order from `locale_hint`: month first for en-US, day first otherwise; a year is required so
/// fractions and ratios are not read as dates); and dates with month names in English, Spanish,
/// French or German, with or without accents: `March 5`, `5 March 2026`, `5th of March`,
/// `5. März`, `5 de marzo de 2026`, `1er mars`. A date without a year is the next occurrence on or
/// after `today`. Invalid dates (31 April, 29 February 2025) are skipped; a plain number is never a
/// date.
pub fn parse_date_in_text(text: &str, locale_hint: Locale, today: (i32, u8, u8)) -> Option<(i32, u8, u8)> {
    let toks = tokenize(text);
    (0..toks.len()).find_map(|i| date_at(&toks, i, locale_hint, today))
}

// ---------------------------------------------------------------------------------------------------
// Parsing prices out of text
// ---------------------------------------------------------------------------------------------------

fn is_group_space(c: char) -> bool {
    matches!(c, ' ' | NBSP | NNBSP | '\u{2009}')
}

/// A run of digits with separators, as `chars[start..end]`.
struct NumberRun {
    start: usize,
    end: usize,
    /// The amount in hundredths, or `None` if the run is not a well-formed amount.
    hundredths: Option<i64>,
}

/// Counts the ASCII digits at `chars[i..]`.
fn digit_run(chars: &[char], i: usize) -> usize {
    chars[i..].iter().take_while(|c| c.is_ascii_digit()).count()
}

/// Scans a number starting at `start` (a digit not preceded by a digit).
fn scan_number(chars: &[char], start: usize) -> NumberRun {
    let mut end = start + digit_run(chars, start);
    while let Some(&sep) = chars.get(end) {
        let next_digits = if end + 1 < chars.len() { digit_run(chars, end + 1) } else { 0 };
        if next_digits == 0 {
            break;
        }
        if is_group_space(sep) || sep == '\'' {
            // A space only groups when exactly three digits follow it.
            if next_digits != 3 {
                break;
            }
        } else if sep != '.' && sep != ',' {
            break;
        }
        end += 1 + next_digits;
    }
    let mut hundredths = amount_hundredths(&chars[start..end]);
    // German and Austrian "20,-" / "20,–" means a whole amount.
    if chars.get(end) == Some(&',') && matches!(chars.get(end + 1), Some('-' | '–')) {
        if !chars[start..end].iter().any(|c| matches!(c, '.' | ',')) || hundredths.is_some_and(|h| h % 100 == 0) {
            end += 2;
        } else {
            hundredths = None;
        }
    }
    NumberRun { start, end, hundredths }
}

/// Reads `1.234,50`, `1,234.50`, `1 234,50`, `19.99`, `20` as hundredths. A `.` or `,` followed by one
/// or two digits at the end is the decimal separator; followed by three digits it groups thousands.
fn amount_hundredths(run: &[char]) -> Option<i64> {
    let seps: Vec<(usize, char)> =
        run.iter().enumerate().filter(|(_, c)| !c.is_ascii_digit()).map(|(i, &c)| (i, c)).collect();
    let (int_chars, frac): (&[char], &[char]) = match seps.last() {
        Some(&(pos, c @ ('.' | ','))) if (1..=2).contains(&(run.len() - pos - 1)) => {
            // Decimal separator: it must be the only one of its kind.
            if seps.iter().filter(|(_, s)| *s == c).count() > 1 {
                return None;
            }
            (&run[..pos], &run[pos + 1..])
        }
        _ => (run, &[]),
    };
    // The integer part: groups of exactly three after the first (1 to 3 digits), one kind of separator.
    let groups: Vec<&[char]> = int_chars.split(|c| !c.is_ascii_digit()).collect();
    if groups.len() > 1 {
        let group_seps: Vec<char> = int_chars.iter().copied().filter(|c| !c.is_ascii_digit()).collect();
        let mixed =
            group_seps.iter().any(|&c| c != group_seps[0] && !(is_group_space(c) && is_group_space(group_seps[0])));
        if mixed || !(1..=3).contains(&groups[0].len()) || groups[1..].iter().any(|g| g.len() != 3) {
            return None;
        }
        // "1.234" followed by a ",5" decimal is fine; "1,234,5" was rejected above.
        if let Some(&(_, dec)) = seps.last().filter(|_| !frac.is_empty())
            && group_seps.contains(&dec)
        {
            return None;
        }
    }
    let mut major: i64 = 0;
    for c in int_chars.iter().filter(|c| c.is_ascii_digit()) {
        major = major.checked_mul(10)?.checked_add(i64::from(c.to_digit(10)?))?;
    }
    let mut minor: i64 = 0;
    for k in 0..2 {
        let digit = frac.get(k).and_then(|c| c.to_digit(10)).unwrap_or(0);
        minor = minor * 10 + i64::from(digit);
    }
    major.checked_mul(100)?.checked_add(minor)
}

/// The currency sign or code ending at `chars[..end]` (so the text before a number), skipping one
/// space; `None` if there is none.
fn currency_before(chars: &[char], start: usize) -> Option<Currency> {
    let mut end = start;
    if end > 0 && is_group_space(chars[end - 1]) {
        end -= 1;
    }
    let last = *chars.get(end.checked_sub(1)?)?;
    let letters_before = |k: usize| -> String {
        let from = chars[..k].iter().rposition(|c| !c.is_alphabetic()).map_or(0, |p| p + 1);
        chars[from..k].iter().collect()
    };
    match last {
        '€' => Some(Currency::Eur),
        '£' => Some(Currency::Gbp),
        '$' => {
            // "C$", "AU$", "MX$" are other dollars; only a bare "$" or "US$" is the US dollar.
            let prefix = letters_before(end - 1);
            (prefix.is_empty() || prefix == "US").then_some(Currency::Usd)
        }
        c if c.is_alphabetic() => {
            let word = letters_before(end);
            if end == start {
                return None; // "EUR20" is not written; require the space.
            }
            Currency::from_code(&word).filter(|_| word.len() == 3)
        }
        _ => None,
    }
}

/// The currency sign or code right after a number ending at `end`, skipping one space.
fn currency_after(chars: &[char], end: usize) -> Option<Currency> {
    let mut i = end;
    if chars.get(i).is_some_and(|&c| is_group_space(c)) {
        i += 1;
    }
    let first = *chars.get(i)?;
    // A sign glued to the next number ("5 $19.99") belongs to that number.
    if matches!(first, '€' | '£' | '$') && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
        return None;
    }
    match first {
        '€' => Some(Currency::Eur),
        '£' => Some(Currency::Gbp),
        '$' => {
            // "20 $US" (fr) is fine; "20 $CA" is not.
            let rest: String = chars[i + 1..].iter().take_while(|c| c.is_alphabetic()).collect();
            (rest.is_empty() || rest == "US").then_some(Currency::Usd)
        }
        c if c.is_alphabetic() => {
            let word: String = chars[i..].iter().take_while(|c| c.is_alphabetic()).collect();
            // es-ES writes the US dollar "US$".
            if word == "US" && chars.get(i + 2) == Some(&'$') {
                return Some(Currency::Usd);
            }
            if word.len() != 3 {
                return None;
            }
            Currency::from_code(&word)
        }
        _ => None,
    }
}

/// Finds the first price in free text: a number with a currency sign or ISO code right before or after
/// it (one space allowed): `$19.99`, `US$ 5`, `€20`, `£5`, `19,99 €`, `1.234,50 €`, `1 234,50 €`,
/// `20 EUR`, `EUR 20`, `20,- €`. Returns the amount in minor units. A number without a currency is
/// never a price, and neither are other dollars (`C$10`, `AU$5`).
pub fn parse_price_in_text(text: &str) -> Option<(i64, Currency)> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && (chars[i - 1].is_ascii_digit() || chars[i - 1].is_alphabetic())) {
            i += 1;
            continue;
        }
        // A number glued to a preceding number by a separator (e.g. "1.5" seen from "5") is skipped
        // because the scan always starts at the first digit of a run.
        let run = scan_number(&chars, i);
        // "20EUR" is accepted as a code; "20th" or "5x" is not a price.
        let glued_after =
            chars.get(run.end).is_some_and(|c| c.is_alphabetic()) && currency_after(&chars, run.end).is_none();
        if let (Some(hundredths), false) = (run.hundredths, glued_after) {
            let currency = currency_before(&chars, run.start).or_else(|| currency_after(&chars, run.end));
            if let Some(currency) = currency {
                return Some((hundredths, currency));
            }
        }
        i = run.end.max(i + 1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_STYLES: [DateStyle; 4] = [DateStyle::Long, DateStyle::Medium, DateStyle::Short, DateStyle::DayMonth];

    // ---- Locale ----

    #[test]
    fn locale_parse_accepts_tags_in_any_case_and_separator() {
        for (tag, want) in [
            ("en", Locale::EnUs),
            ("en-US", Locale::EnUs),
            ("EN_us", Locale::EnUs),
            ("es", Locale::EsEs),
            ("es-ES", Locale::EsEs),
            ("es_es", Locale::EsEs),
            ("fr", Locale::FrFr),
            ("FR-fr", Locale::FrFr),
            ("de", Locale::DeDe),
            ("de_DE", Locale::DeDe),
            (" de-de ", Locale::DeDe),
        ] {
            assert_eq!(Locale::parse(tag), Some(want), "{tag}");
        }
        for bad in ["", "en-GB", "de-AT", "it", "english", "e", "en-", "es-MX"] {
            assert_eq!(Locale::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn locale_tag_and_language_round_trip() {
        for locale in Locale::ALL {
            assert_eq!(Locale::parse(locale.tag()), Some(locale));
            assert_eq!(Locale::parse(locale.language()), Some(locale));
            assert_eq!(locale.to_string(), locale.tag());
        }
        assert_eq!(Locale::EsEs.tag(), "es-ES");
        assert_eq!(Locale::FrFr.language(), "fr");
    }

    // ---- Numbers ----

    #[test]
    fn numbers_group_and_separate_per_locale() {
        assert_eq!(format_number(Locale::EnUs, 1_234_567.891, 2), "1,234,567.89");
        assert_eq!(format_number(Locale::EsEs, 1_234_567.891, 2), "1.234.567,89");
        assert_eq!(format_number(Locale::FrFr, 1_234_567.891, 2), "1\u{202F}234\u{202F}567,89");
        assert_eq!(format_number(Locale::DeDe, 1_234_567.891, 2), "1.234.567,89");
    }

    #[test]
    fn spanish_does_not_group_four_digits() {
        assert_eq!(format_number(Locale::EsEs, 1234.0, 0), "1234");
        assert_eq!(format_number(Locale::EsEs, 9999.5, 1), "9999,5");
        assert_eq!(format_number(Locale::EsEs, 12_345.0, 0), "12.345");
        assert_eq!(format_number(Locale::EsEs, 123_456.0, 0), "123.456");
        assert_eq!(format_number(Locale::EsEs, -1234.0, 0), "-1234");
        assert_eq!(format_number(Locale::EsEs, -12_345.0, 0), "-12.345");
        // The other three group from four digits.
        assert_eq!(format_number(Locale::EnUs, 1234.0, 0), "1,234");
        assert_eq!(format_number(Locale::FrFr, 1234.0, 0), "1\u{202F}234");
        assert_eq!(format_number(Locale::DeDe, 1234.0, 0), "1.234");
    }

    #[test]
    fn small_numbers_and_zero() {
        for locale in Locale::ALL {
            assert_eq!(format_number(locale, 0.0, 0), "0");
            assert_eq!(format_number(locale, 999.0, 0), "999");
            assert_eq!(format_number(locale, 7.0, 0), "7");
        }
        assert_eq!(format_number(Locale::EnUs, 0.0, 2), "0.00");
        assert_eq!(format_number(Locale::DeDe, 0.0, 2), "0,00");
        assert_eq!(format_number(Locale::FrFr, 0.5, 1), "0,5");
    }

    #[test]
    fn negative_numbers_use_hyphen_minus_and_never_minus_zero() {
        assert_eq!(format_number(Locale::EnUs, -1234.5, 1), "-1,234.5");
        assert_eq!(format_number(Locale::DeDe, -1234.5, 1), "-1.234,5");
        assert_eq!(format_number(Locale::FrFr, -1234.5, 1), "-1\u{202F}234,5");
        for locale in Locale::ALL {
            assert_eq!(format_number(locale, -0.0, 0), "0");
            assert!(!format_number(locale, -0.001, 2).starts_with('-'), "{locale}");
        }
        assert_eq!(format_number(Locale::EnUs, -0.004, 2), "0.00");
    }

    #[test]
    fn rounding_follows_the_exact_binary_value() {
        // 0.005 is stored slightly above one half-cent, 1.005 slightly below.
        assert_eq!(format_number(Locale::EnUs, 0.005, 2), "0.01");
        assert_eq!(format_number(Locale::EnUs, 1.005, 2), "1.00");
        assert_eq!(format_number(Locale::EnUs, 0.994, 2), "0.99");
        assert_eq!(format_number(Locale::EnUs, 0.996, 2), "1.00");
        assert_eq!(format_number(Locale::EnUs, 999.996, 2), "1,000.00");
        assert_eq!(format_number(Locale::EsEs, 9999.996, 2), "10.000,00");
        // Exact ties go to even.
        assert_eq!(format_number(Locale::EnUs, 2.5, 0), "2");
        assert_eq!(format_number(Locale::EnUs, 3.5, 0), "4");
        assert_eq!(format_number(Locale::EnUs, 0.125, 2), "0.12");
    }

    #[test]
    fn large_numbers_and_non_finite_values() {
        assert_eq!(format_number(Locale::EnUs, 1e15, 0), "1,000,000,000,000,000");
        assert_eq!(format_number(Locale::DeDe, 1e20, 0), "100.000.000.000.000.000.000");
        assert_eq!(format_number(Locale::EnUs, f64::NAN, 2), "NaN");
        assert_eq!(format_number(Locale::EnUs, f64::INFINITY, 2), "∞");
        assert_eq!(format_number(Locale::EnUs, f64::NEG_INFINITY, 2), "-∞");
        assert_eq!(format_integer(Locale::EnUs, i64::MIN), "-9,223,372,036,854,775,808");
        assert_eq!(format_integer(Locale::EsEs, 1234), "1234");
        assert_eq!(format_integer(Locale::FrFr, 1_000_000), "1\u{202F}000\u{202F}000");
        assert_eq!(format_integer(Locale::DeDe, -12_345), "-12.345");
    }

    #[test]
    fn percentages() {
        assert_eq!(format_percent(Locale::EnUs, 0.25), "25%");
        assert_eq!(format_percent(Locale::EsEs, 0.25), "25\u{A0}%");
        assert_eq!(format_percent(Locale::FrFr, 0.25), "25\u{202F}%");
        assert_eq!(format_percent(Locale::DeDe, 0.25), "25\u{A0}%");
        assert_eq!(format_percent(Locale::EnUs, 0.0), "0%");
        assert_eq!(format_percent(Locale::EnUs, 1.0), "100%");
        assert_eq!(format_percent(Locale::DeDe, -0.1), "-10\u{A0}%");
        assert_eq!(format_percent(Locale::EsEs, 12.34), "1234\u{A0}%");
        assert_eq!(format_percent(Locale::FrFr, 123.45), "12\u{202F}345\u{202F}%");
        assert_eq!(format_percent_with_decimals(Locale::EnUs, 0.125, 1), "12.5%");
        assert_eq!(format_percent_with_decimals(Locale::DeDe, 0.125, 1), "12,5\u{A0}%");
    }

    // ---- Prices ----

    #[test]
    fn prices_in_every_locale() {
        assert_eq!(format_price(Locale::EnUs, 123_450, Currency::Usd), "$1,234.50");
        assert_eq!(format_price(Locale::EnUs, 123_450, Currency::Eur), "€1,234.50");
        assert_eq!(format_price(Locale::EnUs, 123_450, Currency::Gbp), "£1,234.50");
        assert_eq!(format_price(Locale::EsEs, 123_450, Currency::Eur), "1234,50\u{A0}€");
        assert_eq!(format_price(Locale::EsEs, 1_234_550, Currency::Eur), "12.345,50\u{A0}€");
        assert_eq!(format_price(Locale::EsEs, 1999, Currency::Usd), "19,99\u{A0}US$");
        assert_eq!(format_price(Locale::FrFr, 123_450, Currency::Eur), "1\u{202F}234,50\u{A0}€");
        assert_eq!(format_price(Locale::FrFr, 1999, Currency::Usd), "19,99\u{A0}$US");
        assert_eq!(format_price(Locale::FrFr, 1999, Currency::Gbp), "19,99\u{A0}£GB");
        assert_eq!(format_price(Locale::DeDe, 123_450, Currency::Eur), "1.234,50\u{A0}€");
        assert_eq!(format_price(Locale::DeDe, 1999, Currency::Usd), "19,99\u{A0}$");
        assert_eq!(format_price(Locale::DeDe, 500, Currency::Gbp), "5,00\u{A0}£");
    }

    #[test]
    fn prices_zero_small_negative_and_extreme() {
        assert_eq!(format_price(Locale::EnUs, 0, Currency::Usd), "$0.00");
        assert_eq!(format_price(Locale::EnUs, 5, Currency::Usd), "$0.05");
        assert_eq!(format_price(Locale::DeDe, 5, Currency::Eur), "0,05\u{A0}€");
        assert_eq!(format_price(Locale::EnUs, -500, Currency::Usd), "-$5.00");
        assert_eq!(format_price(Locale::FrFr, -123_456, Currency::Eur), "-1\u{202F}234,56\u{A0}€");
        assert_eq!(format_price(Locale::EnUs, i64::MIN, Currency::Usd), "-$92,233,720,368,547,758.08");
        assert_eq!(format_price(Locale::EnUs, i64::MAX, Currency::Usd), "$92,233,720,368,547,758.07");
    }

    #[test]
    fn short_prices_drop_whole_cents_only() {
        assert_eq!(format_price_short(Locale::EnUs, 2000, Currency::Usd), "$20");
        assert_eq!(format_price_short(Locale::EsEs, 2000, Currency::Eur), "20\u{A0}€");
        assert_eq!(format_price_short(Locale::FrFr, 200_000, Currency::Eur), "2\u{202F}000\u{A0}€");
        assert_eq!(format_price_short(Locale::DeDe, 2000, Currency::Eur), "20\u{A0}€");
        assert_eq!(format_price_short(Locale::EnUs, 1999, Currency::Usd), "$19.99");
        assert_eq!(format_price_short(Locale::DeDe, 1950, Currency::Eur), "19,50\u{A0}€");
        assert_eq!(format_price_short(Locale::EnUs, 0, Currency::Gbp), "£0");
        assert_eq!(format_price_short(Locale::EnUs, -2000, Currency::Usd), "-$20");
    }

    #[test]
    fn currency_codes() {
        for c in Currency::ALL {
            assert_eq!(Currency::from_code(c.code()), Some(c));
            assert_eq!(Currency::from_code(&c.code().to_lowercase()), Some(c));
            assert_eq!(c.minor_digits(), 2);
            assert_eq!(c.to_string(), c.code());
        }
        assert_eq!(Currency::from_code("JPY"), None);
    }

    // ---- Dates ----

    #[test]
    fn long_dates_with_and_without_weekday() {
        let d = (2026, 3, 5);
        let long = |l| format_date(l, d.0, d.1, d.2, DateStyle::Long).unwrap();
        let long_wd = |l| format_date_with_weekday(l, d.0, d.1, d.2, DateStyle::Long).unwrap();
        assert_eq!(long(Locale::EnUs), "March 5, 2026");
        assert_eq!(long_wd(Locale::EnUs), "Thursday, March 5, 2026");
        assert_eq!(long(Locale::EsEs), "5 de marzo de 2026");
        assert_eq!(long_wd(Locale::EsEs), "jueves, 5 de marzo de 2026");
        assert_eq!(long(Locale::FrFr), "5 mars 2026");
        assert_eq!(long_wd(Locale::FrFr), "jeudi 5 mars 2026");
        assert_eq!(long(Locale::DeDe), "5. März 2026");
        assert_eq!(long_wd(Locale::DeDe), "Donnerstag, 5. März 2026");
    }

    #[test]
    fn day_month_dates() {
        let dm = |l| format_date(l, 2026, 3, 5, DateStyle::DayMonth).unwrap();
        assert_eq!(dm(Locale::EnUs), "March 5");
        assert_eq!(dm(Locale::EsEs), "5 de marzo");
        assert_eq!(dm(Locale::FrFr), "5 mars");
        assert_eq!(dm(Locale::DeDe), "5. März");
        let dm_wd = |l| format_date_with_weekday(l, 2026, 3, 5, DateStyle::DayMonth).unwrap();
        assert_eq!(dm_wd(Locale::EnUs), "Thursday, March 5");
        assert_eq!(dm_wd(Locale::EsEs), "jueves, 5 de marzo");
        assert_eq!(dm_wd(Locale::FrFr), "jeudi 5 mars");
        assert_eq!(dm_wd(Locale::DeDe), "Donnerstag, 5. März");
    }

    #[test]
    fn short_and_medium_dates() {
        let short = |l| format_date(l, 2026, 3, 5, DateStyle::Short).unwrap();
        assert_eq!(short(Locale::EnUs), "3/5/26");
        assert_eq!(short(Locale::EsEs), "5/3/26");
        assert_eq!(short(Locale::FrFr), "05/03/2026");
        assert_eq!(short(Locale::DeDe), "05.03.26");
        let medium = |l| format_date(l, 2026, 3, 5, DateStyle::Medium).unwrap();
        assert_eq!(medium(Locale::EnUs), "Mar 5, 2026");
        assert_eq!(medium(Locale::EsEs), "5 mar 2026");
        assert_eq!(medium(Locale::FrFr), "5 mars 2026");
        assert_eq!(medium(Locale::DeDe), "05.03.2026");
        assert_eq!(format_date(Locale::FrFr, 2026, 2, 14, DateStyle::Medium).unwrap(), "14 févr. 2026");
        assert_eq!(format_date_with_weekday(Locale::EnUs, 2026, 3, 5, DateStyle::Short).unwrap(), "Thu, 3/5/26");
        assert_eq!(format_date_with_weekday(Locale::DeDe, 2026, 3, 5, DateStyle::Short).unwrap(), "Do., 05.03.26");
        assert_eq!(format_date_with_weekday(Locale::EsEs, 2026, 3, 5, DateStyle::Medium).unwrap(), "jue, 5 mar 2026");
        assert_eq!(format_date_with_weekday(Locale::FrFr, 2026, 3, 5, DateStyle::Medium).unwrap(), "jeu. 5 mars 2026");
        // Two-digit years keep their leading zero.
        assert_eq!(format_date(Locale::EnUs, 2005, 12, 31, DateStyle::Short).unwrap(), "12/31/05");
        assert_eq!(format_date(Locale::DeDe, 2000, 1, 1, DateStyle::Short).unwrap(), "01.01.00");
    }

    #[test]
    fn french_writes_the_first_of_the_month_1er() {
        assert_eq!(format_date(Locale::FrFr, 2026, 3, 1, DateStyle::Long).unwrap(), "1er mars 2026");
        assert_eq!(format_date(Locale::FrFr, 2026, 3, 1, DateStyle::DayMonth).unwrap(), "1er mars");
        assert_eq!(
            format_date_with_weekday(Locale::FrFr, 2026, 3, 1, DateStyle::Long).unwrap(),
            "dimanche 1er mars 2026"
        );
        assert_eq!(format_date(Locale::FrFr, 2026, 3, 1, DateStyle::Short).unwrap(), "01/03/2026");
        assert_eq!(format_date(Locale::FrFr, 2026, 3, 2, DateStyle::Long).unwrap(), "2 mars 2026");
        // Only French.
        assert_eq!(format_date(Locale::EnUs, 2026, 3, 1, DateStyle::Long).unwrap(), "March 1, 2026");
        assert_eq!(format_date(Locale::DeDe, 2026, 3, 1, DateStyle::DayMonth).unwrap(), "1. März");
    }

    #[test]
    fn weekdays_are_computed_correctly() {
        assert_eq!(weekday(1970, 1, 1), 3); // Thursday
        assert_eq!(weekday(2026, 3, 5), 3); // Thursday
        assert_eq!(weekday(2000, 1, 1), 5); // Saturday
        assert_eq!(weekday(2024, 2, 29), 3); // Thursday
        assert_eq!(weekday(1, 1, 1), 0); // Monday, proleptic Gregorian
        assert_eq!(weekday(9999, 12, 31), 4); // Friday
        assert_eq!(weekday(1969, 12, 31), 2); // Wednesday
        assert_eq!(
            format_date_with_weekday(Locale::EnUs, 2026, 11, 26, DateStyle::Long).unwrap(),
            "Thursday, November 26, 2026"
        );
        assert_eq!(
            format_date_with_weekday(Locale::EsEs, 2026, 8, 15, DateStyle::Long).unwrap(),
            "sábado, 15 de agosto de 2026"
        );
        assert_eq!(
            format_date_with_weekday(Locale::DeDe, 2026, 12, 20, DateStyle::Long).unwrap(),
            "Sonntag, 20. Dezember 2026"
        );
        assert_eq!(
            format_date_with_weekday(Locale::FrFr, 2026, 8, 12, DateStyle::Long).unwrap(),
            "mercredi 12 août 2026"
        );
        // Seven consecutive days cover the seven names exactly once in every locale.
        for locale in Locale::ALL {
            let names: std::collections::HashSet<String> = (2..=8)
                .map(|d| format_date_with_weekday(locale, 2026, 3, d, DateStyle::DayMonth).unwrap())
                .map(|s| s.split([',', ' ']).next().unwrap().to_owned())
                .collect();
            assert_eq!(names.len(), 7, "{locale}");
        }
        assert_eq!(weekday_name(Locale::DeDe, 0), Some("Montag"));
        assert_eq!(weekday_name(Locale::DeDe, 7), None);
        assert_eq!(month_name(Locale::FrFr, 8), Some("août"));
        assert_eq!(month_name(Locale::EnUs, 0), None);
        assert_eq!(month_name(Locale::EnUs, 13), None);
    }

    #[test]
    fn leap_years_and_invalid_dates() {
        assert!(is_leap_year(2024));
        assert!(is_leap_year(2000));
        assert!(!is_leap_year(1900));
        assert!(!is_leap_year(2026));
        assert_eq!(format_date(Locale::EnUs, 2024, 2, 29, DateStyle::Long).unwrap(), "February 29, 2024");
        assert_eq!(format_date(Locale::DeDe, 2000, 2, 29, DateStyle::Short).unwrap(), "29.02.00");
        for style in ALL_STYLES {
            for locale in Locale::ALL {
                assert_eq!(
                    format_date(locale, 2026, 2, 29, style),
                    Err(DateError::InvalidDay { year: 2026, month: 2, day: 29 })
                );
                assert!(format_date(locale, 1900, 2, 29, style).is_err());
                assert!(format_date_with_weekday(locale, 2026, 4, 31, style).is_err());
            }
        }
        assert_eq!(format_date(Locale::EnUs, 2026, 13, 1, DateStyle::Long), Err(DateError::InvalidMonth(13)));
        assert_eq!(format_date(Locale::EnUs, 2026, 0, 1, DateStyle::Long), Err(DateError::InvalidMonth(0)));
        assert!(format_date(Locale::EnUs, 2026, 1, 0, DateStyle::Long).is_err());
        assert!(format_date(Locale::EnUs, 2026, 1, 32, DateStyle::Long).is_err());
        assert_eq!(format_date(Locale::EnUs, 0, 1, 1, DateStyle::Long), Err(DateError::YearOutOfRange(0)));
        assert_eq!(format_date(Locale::EnUs, 10_000, 1, 1, DateStyle::Long), Err(DateError::YearOutOfRange(10_000)));
        let message = format_date(Locale::EnUs, 2026, 2, 29, DateStyle::Long).unwrap_err().to_string();
        assert_eq!(message, "2026-02 has 28 days, so day 29 does not exist");
        assert_eq!(DateError::InvalidMonth(13).to_string(), "month 13 is outside 1..=12");
    }

    #[test]
    fn every_valid_day_of_a_leap_year_formats_in_every_style() {
        for month in 1..=12 {
            for day in 1..=days_in_month(2028, month) {
                for locale in Locale::ALL {
                    for style in ALL_STYLES {
                        let s = format_date_with_weekday(locale, 2028, month, day, style).unwrap();
                        assert!(!s.is_empty());
                    }
                }
            }
        }
    }

    // ---- Times ----

    #[test]
    fn times_per_locale() {
        assert_eq!(format_time(Locale::EnUs, 15, 30).unwrap(), "3:30\u{202F}PM");
        assert_eq!(format_time(Locale::EnUs, 0, 0).unwrap(), "12:00\u{202F}AM");
        assert_eq!(format_time(Locale::EnUs, 12, 0).unwrap(), "12:00\u{202F}PM");
        assert_eq!(format_time(Locale::EnUs, 9, 5).unwrap(), "9:05\u{202F}AM");
        assert_eq!(format_time(Locale::EnUs, 23, 59).unwrap(), "11:59\u{202F}PM");
        assert_eq!(format_time(Locale::EsEs, 15, 30).unwrap(), "15:30");
        assert_eq!(format_time(Locale::EsEs, 9, 5).unwrap(), "9:05");
        assert_eq!(format_time(Locale::FrFr, 15, 30).unwrap(), "15:30");
        assert_eq!(format_time(Locale::FrFr, 9, 5).unwrap(), "09:05");
        assert_eq!(format_time(Locale::DeDe, 0, 0).unwrap(), "00:00");
        assert_eq!(format_time(Locale::DeDe, 15, 30).unwrap(), "15:30");
        assert_eq!(format_time(Locale::DeDe, 24, 0), Err(DateError::InvalidTime { hour: 24, minute: 0 }));
        assert!(format_time(Locale::EnUs, 10, 60).is_err());
        assert_eq!(
            DateError::InvalidTime { hour: 24, minute: 0 }.to_string(),
            "24:00 is not a time of day (hour 0..=23, minute 0..=59)"
        );
    }

    // ---- Parsing dates ----

    const TODAY: (i32, u8, u8) = (2026, 1, 15);

    fn date(text: &str, hint: Locale) -> Option<(i32, u8, u8)> {
        parse_date_in_text(text, hint, TODAY)
    }

    #[test]
    fn parses_iso_dates() {
        assert_eq!(date("Launch on 2026-03-05!", Locale::EnUs), Some((2026, 3, 5)));
        assert_eq!(date("2027-12-31", Locale::DeDe), Some((2027, 12, 31)));
        assert_eq!(date("on 2026-02-30", Locale::EnUs), None);
        assert_eq!(date("2026-13-01", Locale::EnUs), None);
    }

    #[test]
    fn parses_numeric_dates_in_locale_order() {
        assert_eq!(date("Opening 05/03/2026", Locale::FrFr), Some((2026, 3, 5)));
        assert_eq!(date("Opening 05/03/2026", Locale::EsEs), Some((2026, 3, 5)));
        assert_eq!(date("Opening 05/03/2026", Locale::EnUs), Some((2026, 5, 3)));
        assert_eq!(date("am 05.03.26", Locale::DeDe), Some((2026, 3, 5)));
        assert_eq!(date("am 5.3.2026.", Locale::DeDe), Some((2026, 3, 5)));
        assert_eq!(date("3/5/26", Locale::EnUs), Some((2026, 3, 5)));
        assert_eq!(date("12/31/2026", Locale::EnUs), Some((2026, 12, 31)));
        // Invalid in the locale's order.
        assert_eq!(date("12/31/2026", Locale::FrFr), None);
        assert_eq!(date("29/02/2027", Locale::FrFr), None);
        assert_eq!(date("29/02/2028", Locale::FrFr), Some((2028, 2, 29)));
    }

    #[test]
    fn parses_month_names_in_four_languages() {
        assert_eq!(date("Sale ends March 5", Locale::EnUs), Some((2026, 3, 5)));
        assert_eq!(date("Sale ends March 5th, 2027", Locale::EnUs), Some((2027, 3, 5)));
        assert_eq!(date("on Mar. 5", Locale::EnUs), Some((2026, 3, 5)));
        assert_eq!(date("Thursday, March 5, 2026", Locale::EnUs), Some((2026, 3, 5)));
        assert_eq!(date("5 March 2026", Locale::EnUs), Some((2026, 3, 5)));
        assert_eq!(date("the 5th of March", Locale::EnUs), Some((2026, 3, 5)));
        assert_eq!(date("am 5. März", Locale::DeDe), Some((2026, 3, 5)));
        assert_eq!(date("am 5. Marz 2026", Locale::DeDe), Some((2026, 3, 5)));
        assert_eq!(date("am 5. Maerz", Locale::DeDe), Some((2026, 3, 5)));
        assert_eq!(date("bis 24. Dezember", Locale::DeDe), Some((2026, 12, 24)));
        assert_eq!(date("el 5 de marzo", Locale::EsEs), Some((2026, 3, 5)));
        assert_eq!(date("jueves, 5 de marzo de 2026", Locale::EsEs), Some((2026, 3, 5)));
        assert_eq!(date("el 12 de septiembre", Locale::EsEs), Some((2026, 9, 12)));
        assert_eq!(date("le 5 mars", Locale::FrFr), Some((2026, 3, 5)));
        assert_eq!(date("le 1er mars 2026", Locale::FrFr), Some((2026, 3, 1)));
        assert_eq!(date("le 15 août", Locale::FrFr), Some((2026, 8, 15)));
        assert_eq!(date("le 15 aout", Locale::FrFr), Some((2026, 8, 15)));
        assert_eq!(date("le 3 février", Locale::FrFr), Some((2026, 2, 3)));
        assert_eq!(date("le 3 FEVRIER", Locale::FrFr), Some((2026, 2, 3)));
        assert_eq!(date("le 25 décembre", Locale::FrFr), Some((2026, 12, 25)));
        assert_eq!(date("20 mai", Locale::FrFr), Some((2026, 5, 20)));
        assert_eq!(date("20 de mayo", Locale::EsEs), Some((2026, 5, 20)));
        assert_eq!(date("May 20", Locale::EnUs), Some((2026, 5, 20)));
    }

    #[test]
    fn dates_without_a_year_are_the_next_occurrence() {
        // Today is 15 January 2026: 10 January has passed, so it is next year's.
        assert_eq!(date("January 10", Locale::EnUs), Some((2027, 1, 10)));
        assert_eq!(date("January 15", Locale::EnUs), Some((2026, 1, 15)));
        assert_eq!(date("January 16", Locale::EnUs), Some((2026, 1, 16)));
        // 29 February without a year: the next leap year.
        assert_eq!(date("29 février", Locale::FrFr), Some((2028, 2, 29)));
        assert_eq!(parse_date_in_text("Feb 29", Locale::EnUs, (2024, 2, 1)), Some((2024, 2, 29)));
        assert_eq!(date("31 April", Locale::EnUs), None);
        assert_eq!(date("March 32", Locale::EnUs), None);
    }

    #[test]
    fn plain_numbers_and_ordinary_words_are_not_dates() {
        for text in [
            "",
            "Buy 3 get 1 free",
            "Save 50% on everything",
            "Only 1,234 left",
            "Prices from 19.99",
            "Open 24/7",
            "Mix 1/2 cup of sugar",
            "Call 555-1234",
            "Version 1.2.3",
            "at 15:30",
            "You may win 5 prizes",
            "we march on",
            "2026",
            "Top 10 tips for March",
            "room 12 in the mall",
            "1.5.2.2026",
            "IP 10.0.0.1",
            "March 5:30",
            "🎉🎉🎉",
            "שלום 5",
            "March 123",
        ] {
            assert_eq!(date(text, Locale::EnUs), None, "{text:?}");
            assert_eq!(date(text, Locale::DeDe), None, "{text:?}");
        }
    }

    // ---- Parsing prices ----

    #[test]
    fn parses_prices_with_signs_and_codes() {
        let eur = Currency::Eur;
        let usd = Currency::Usd;
        let gbp = Currency::Gbp;
        for (text, want) in [
            ("Only $19.99 today", (1999, usd)),
            ("$19.99", (1999, usd)),
            ("19,99 €", (1999, eur)),
            ("19,99€", (1999, eur)),
            ("nur 19,99\u{A0}€", (1999, eur)),
            ("€20", (2000, eur)),
            ("€ 20", (2000, eur)),
            ("20 EUR", (2000, eur)),
            ("20EUR", (2000, eur)),
            ("EUR 20", (2000, eur)),
            ("20 eur", (2000, eur)),
            ("£5", (500, gbp)),
            ("£5.5", (550, gbp)),
            ("5 GBP", (500, gbp)),
            ("US$ 5", (500, usd)),
            ("US$5", (500, usd)),
            ("19,99 $US", (1999, usd)),
            ("99.50 USD", (9950, usd)),
            ("$1,234.50", (123_450, usd)),
            ("$1,234", (123_400, usd)),
            ("$1,234,567", (123_456_700, usd)),
            ("1.234,50 €", (123_450, eur)),
            ("1.234 €", (123_400, eur)),
            ("1234,50 €", (123_450, eur)),
            ("1 234,50 €", (123_450, eur)),
            ("1\u{202F}234,50\u{A0}€", (123_450, eur)),
            ("12.345,50 €", (1_234_550, eur)),
            ("20,- €", (2000, eur)),
            ("$0.99", (99, usd)),
            ("$0", (0, usd)),
            ("Buy 2 for $30", (3000, usd)),
            ("Pack of 5 $19.99", (1999, usd)),
            ("20th anniversary: 15 € off", (1500, eur)),
            ("Ends 2026-03-05, now 9,99 €.", (999, eur)),
        ] {
            assert_eq!(parse_price_in_text(text), Some(want), "{text:?}");
        }
    }

    #[test]
    fn plain_numbers_and_other_currencies_are_not_prices() {
        for text in [
            "",
            "19.99",
            "Buy 3 get 1 free",
            "50% off",
            "C$10",
            "AU$5",
            "20 $CA",
            "20 euros",
            "Top 10 tips",
            "2026-03-05",
            "$",
            "€",
            "EUR",
            "1.2.3 €",
            "$1,23,4",
            "12.3456 €",
            "1,234.5.6 USD",
            "$99999999999999999999999",
            "ABC123",
            "🎉 $ 🎉",
        ] {
            assert_eq!(parse_price_in_text(text), None, "{text:?}");
        }
    }

    #[test]
    fn parsers_never_panic_on_noisy_text() {
        // A deterministic stream of strings built from the characters the parsers care about.
        const ALPHABET: &[&str] = &[
            "0", "1", "2", "9", "12", "31", "2026", ".", ",", "/", "-", ":", "%", "'", " ", "\u{A0}", "\u{202F}", "$",
            "€", "£", "US", "EUR", "C", "March", "may", "de", "mars", "März", "1er", "th", "é", "🎉", "ש", "\n",
        ];
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..20_000 {
            let mut text = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            for k in 0..(state % 12) {
                let pick = (state >> (k * 5)) as usize % ALPHABET.len();
                text.push_str(ALPHABET[pick]);
            }
            if let Some((y, m, d)) = parse_date_in_text(&text, Locale::EnUs, TODAY) {
                assert!(validate_date(y, m, d).is_ok(), "{text:?}");
            }
            let _ = parse_date_in_text(&text, Locale::DeDe, TODAY);
            if let Some((amount, _)) = parse_price_in_text(&text) {
                assert!(amount >= 0, "{text:?}");
            }
        }
    }

    #[test]
    fn parsed_prices_round_trip_through_the_formatter() {
        for locale in Locale::ALL {
            for currency in Currency::ALL {
                for amount in [0, 1, 99, 100, 1999, 2000, 123_450, 1_234_550, 123_456_789] {
                    let text = format!("Now only {}!", format_price(locale, amount, currency));
                    // Including the locale-specific symbols "US$", "$US", "GBP" and "£GB".
                    assert_eq!(parse_price_in_text(&text), Some((amount, currency)), "{text:?}");
                    let short = format!("{} only", format_price_short(locale, amount, currency));
                    assert_eq!(parse_price_in_text(&short), Some((amount, currency)), "{short:?}");
                }
            }
        }
    }
}
