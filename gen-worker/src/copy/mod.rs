//! Copy: the words on a design (DESIGN.md §6, REQ-007).
//!
//! A [`CopyRequest`] (the creator's prompt, tone, locale, industry and brand name) becomes one
//! [`Copy`] per design variation: headline, subline, call to action, brand name, offer, price,
//! date and list items. The [`builtin`] writer draws the slots from the prompt and phrases them
//! per tone in en, es, fr and de; the [`chat`] writer asks an OpenAI-compatible chat model
//! instead. [`write_with_fallback`] runs a provider and falls back to the builtin writer on any
//! failure, saying so.

pub mod builtin;
pub mod chat;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::locale::Locale;

/// Longest prompt accepted, in characters.
pub const MAX_PROMPT_CHARS: usize = 2000;

/// The voice of the copy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    /// Clear, confident, businesslike.
    #[default]
    Professional,
    /// Warm and approachable.
    Friendly,
    /// Light, fun, exclamation marks allowed.
    Playful,
    /// Scarcity and deadlines: act now.
    Urgent,
    /// Understated, refined, exclusive.
    Luxury,
    /// Uplifting and motivational.
    Inspirational,
}

impl Tone {
    /// Every tone.
    pub const ALL: [Tone; 6] =
        [Tone::Professional, Tone::Friendly, Tone::Playful, Tone::Urgent, Tone::Luxury, Tone::Inspirational];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tone::Professional => "professional",
            Tone::Friendly => "friendly",
            Tone::Playful => "playful",
            Tone::Urgent => "urgent",
            Tone::Luxury => "luxury",
            Tone::Inspirational => "inspirational",
        }
    }

    /// Parses a wire name (case-insensitive).
    pub fn parse(name: &str) -> Option<Tone> {
        Tone::ALL.into_iter().find(|t| t.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

/// What the creative is for; drives phrasing and the choice of layout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// A sale, discount or offer.
    Sale,
    /// An event: concert, meetup, opening, party, conference.
    Event,
    /// A new product or collection.
    Launch,
    /// News or an update.
    Announcement,
    /// A job opening.
    Hiring,
    /// A quote or motto.
    Quote,
    /// A customer review.
    Testimonial,
    /// Tips or a numbered list.
    Tips,
    /// A property for sale or rent.
    Listing,
    /// A menu or price list.
    Menu,
    /// A giveaway or contest.
    Giveaway,
    /// A class, course or webinar.
    Course,
    /// Anything else: a general brand post.
    #[default]
    General,
}

impl Intent {
    /// Every intent.
    pub const ALL: [Intent; 13] = [
        Intent::Sale,
        Intent::Event,
        Intent::Launch,
        Intent::Announcement,
        Intent::Hiring,
        Intent::Quote,
        Intent::Testimonial,
        Intent::Tips,
        Intent::Listing,
        Intent::Menu,
        Intent::Giveaway,
        Intent::Course,
        Intent::General,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Sale => "sale",
            Intent::Event => "event",
            Intent::Launch => "launch",
            Intent::Announcement => "announcement",
            Intent::Hiring => "hiring",
            Intent::Quote => "quote",
            Intent::Testimonial => "testimonial",
            Intent::Tips => "tips",
            Intent::Listing => "listing",
            Intent::Menu => "menu",
            Intent::Giveaway => "giveaway",
            Intent::Course => "course",
            Intent::General => "general",
        }
    }

    /// Parses a wire name (case-insensitive).
    pub fn parse(name: &str) -> Option<Intent> {
        Intent::ALL.into_iter().find(|t| t.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

/// What the copy writer is asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct CopyRequest {
    /// The creator's description, as typed.
    pub prompt: String,
    /// The language to write in; `None` detects it from the prompt (English when unsure).
    pub locale: Option<Locale>,
    /// The voice.
    pub tone: Tone,
    /// Industry key (see [`crate::palette::industries`]), e.g. `fitness`; may be empty.
    pub industry: String,
    /// The brand's name from the brand kit, if any.
    pub brand_name: Option<String>,
    /// Today's date (year, month, day) for resolving "this Friday" and the like.
    pub today: (i32, u8, u8),
}

/// Where a [`Copy`] came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CopySource {
    /// The builtin writer.
    Builtin,
    /// An OpenAI-compatible chat model.
    Chat {
        /// The model name the server reported (or was asked for).
        model: String,
    },
}

/// The words for one design. Every string is plain text (no markup), trimmed, and short enough
/// for its slot (see the `MAX_*` constants in [`builtin`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Copy {
    /// The language written in.
    pub locale: Locale,
    /// The detected or given intent.
    pub intent: Intent,
    /// The main line, a few words.
    pub headline: String,
    /// One supporting sentence.
    pub subline: String,
    /// The call to action, two or three words ("Shop now").
    pub cta: String,
    /// The brand's name, when known.
    pub brand_name: Option<String>,
    /// The offer, locale-formatted ("30 % de réduction").
    pub offer: Option<String>,
    /// A price, locale-formatted ("19,99 €").
    pub price: Option<String>,
    /// A date, locale-formatted ("Saturday, 12 July" / "samedi 12 juillet").
    pub date: Option<String>,
    /// List items for tips, menus and listings (at most 5, each short).
    pub items: Vec<String>,
    /// Who wrote it.
    pub source: CopySource,
}

impl Copy {
    /// The text for a template slot key: `headline`, `subline`, `cta`, `brand_name`, `offer`,
    /// `price`, `date`, `item1` … `item5`. `None` when the slot has nothing to say.
    pub fn slot(&self, key: &str) -> Option<&str> {
        fn some(s: &str) -> Option<&str> {
            if s.trim().is_empty() { None } else { Some(s) }
        }
        match key {
            "headline" => some(&self.headline),
            "subline" => some(&self.subline),
            "cta" => some(&self.cta),
            "brand_name" => self.brand_name.as_deref().and_then(some),
            "offer" => self.offer.as_deref().and_then(some),
            "price" => self.price.as_deref().and_then(some),
            "date" => self.date.as_deref().and_then(some),
            _ => {
                let n: usize = key.strip_prefix("item")?.parse().ok()?;
                self.items.get(n.checked_sub(1)?).map(String::as_str).and_then(some)
            }
        }
    }
}

/// Why copy could not be written.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum CopyError {
    /// The prompt has no words to work from (empty, only whitespace or only markup).
    #[error("the prompt is empty: describe the creative in a few words")]
    EmptyPrompt,
    /// The prompt is longer than [`MAX_PROMPT_CHARS`].
    #[error("the prompt is {chars} characters long; the limit is {MAX_PROMPT_CHARS}")]
    PromptTooLong {
        /// Its length in characters.
        chars: usize,
    },
    /// A provider failed (network, HTTP status, bad JSON, unusable answer).
    #[error("copy provider failed: {0}")]
    Provider(String),
}

/// Writes copy. Implementations must be deterministic for the builtin writer (same request,
/// same variations) and must never panic on any prompt.
pub trait Copywriter: Send + Sync {
    /// `variations` copies for `request` (distinct where the prompt allows; index 0 is the
    /// most literal reading of the prompt).
    fn write(&self, request: &CopyRequest, variations: usize) -> Result<Vec<Copy>, CopyError>;
}

/// Copy from `provider`, or from the builtin writer when the provider fails. The second value
/// is a plain-language note for the user when the fallback was used. Request errors (empty or
/// too-long prompts) are returned as they are: the builtin writer would refuse them too.
pub fn write_with_fallback(
    provider: &dyn Copywriter,
    request: &CopyRequest,
    variations: usize,
) -> Result<(Vec<Copy>, Option<String>), CopyError> {
    match provider.write(request, variations) {
        Ok(copies) if copies.len() == variations => Ok((copies, None)),
        Ok(copies) => {
            let copies_len = copies.len();
            let builtin = builtin::BuiltinCopywriter::new().write(request, variations)?;
            Ok((
                builtin,
                Some(format!(
                    "The copy service returned {copies_len} of {variations} variations; the built-in copy writer wrote them instead."
                )),
            ))
        }
        Err(e @ (CopyError::EmptyPrompt | CopyError::PromptTooLong { .. })) => Err(e),
        Err(e) => {
            let builtin = builtin::BuiltinCopywriter::new().write(request, variations)?;
            Ok((
                builtin,
                Some(format!("The copy service was unavailable ({e}); the built-in copy writer wrote it instead.")),
            ))
        }
    }
}
