//! sRGB colours with alpha, written as hex in files and documents.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// An 8-bit-per-channel sRGB colour with straight (not premultiplied) alpha.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Color {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
    /// Alpha, 255 = opaque.
    pub a: u8,
}

impl Color {
    /// Opaque black.
    pub const BLACK: Color = Color::rgb(0, 0, 0);
    /// Opaque white.
    pub const WHITE: Color = Color::rgb(255, 255, 255);
    /// Fully transparent black.
    pub const TRANSPARENT: Color = Color::rgba(0, 0, 0, 0);

    /// An opaque colour.
    pub const fn rgb(r: u8, g: u8, b: u8) -> Self {
        Self { r, g, b, a: 255 }
    }

    /// A colour with alpha.
    pub const fn rgba(r: u8, g: u8, b: u8, a: u8) -> Self {
        Self { r, g, b, a }
    }

    /// Parses `#RGB`, `#RGBA`, `#RRGGBB` or `#RRGGBBAA` (the `#` is optional, case-insensitive).
    pub fn from_hex(text: &str) -> Result<Self, ValidationError> {
        let err = || ValidationError::InvalidColor { value: text.chars().take(16).collect() };
        let hex = text.trim().strip_prefix('#').unwrap_or(text.trim());
        if !hex.is_ascii() {
            return Err(err());
        }
        let digit = |c: u8| -> Result<u8, ValidationError> {
            match c {
                b'0'..=b'9' => Ok(c - b'0'),
                b'a'..=b'f' => Ok(c - b'a' + 10),
                b'A'..=b'F' => Ok(c - b'A' + 10),
                _ => Err(err()),
            }
        };
        let bytes = hex.as_bytes();
        let short = |i: usize| -> Result<u8, ValidationError> { Ok(digit(bytes[i])? * 17) };
        let long = |i: usize| -> Result<u8, ValidationError> { Ok(digit(bytes[i])? * 16 + digit(bytes[i + 1])?) };
        match bytes.len() {
            3 => Ok(Self::rgb(short(0)?, short(1)?, short(2)?)),
            4 => Ok(Self::rgba(short(0)?, short(1)?, short(2)?, short(3)?)),
            6 => Ok(Self::rgb(long(0)?, long(2)?, long(4)?)),
            8 => Ok(Self::rgba(long(0)?, long(2)?, long(4)?, long(6)?)),
            _ => Err(err()),
        }
    }

    /// `#rrggbb` for opaque colours, `#rrggbbaa` otherwise.
    pub fn to_hex(self) -> String {
        if self.a == 255 {
            format!("#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
        } else {
            format!("#{:02x}{:02x}{:02x}{:02x}", self.r, self.g, self.b, self.a)
        }
    }

    /// WCAG 2.x relative luminance (0 = black, 1 = white), ignoring alpha.
    pub fn relative_luminance(self) -> f64 {
        fn channel(c: u8) -> f64 {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        }
        0.2126 * channel(self.r) + 0.7152 * channel(self.g) + 0.0722 * channel(self.b)
    }

    /// WCAG contrast ratio between two opaque colours (1..=21).
    pub fn contrast_ratio(self, other: Color) -> f64 {
        let (a, b) = (self.relative_luminance(), other.relative_luminance());
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        (hi + 0.05) / (lo + 0.05)
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl FromStr for Color {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_hex(s)
    }
}

impl TryFrom<String> for Color {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::from_hex(&value)
    }
}

impl From<Color> for String {
    fn from(value: Color) -> Self {
        value.to_hex()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_hex_form() {
        assert_eq!(Color::from_hex("#fff"), Ok(Color::WHITE));
        assert_eq!(Color::from_hex("#0008"), Ok(Color::rgba(0, 0, 0, 0x88)));
        assert_eq!(Color::from_hex("FF8000"), Ok(Color::rgb(255, 128, 0)));
        assert_eq!(Color::from_hex("#ff800080"), Ok(Color::rgba(255, 128, 0, 128)));
        for bad in ["", "#", "#ff", "#ggg", "#12345", "#ÿÿÿ", "#123456789"] {
            assert!(Color::from_hex(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn hex_round_trips() {
        for c in [Color::rgb(1, 2, 3), Color::rgba(250, 128, 7, 9)] {
            assert_eq!(Color::from_hex(&c.to_hex()), Ok(c));
        }
    }

    #[test]
    fn contrast_matches_wcag() {
        let ratio = Color::BLACK.contrast_ratio(Color::WHITE);
        assert!((ratio - 21.0).abs() < 1e-9);
        assert!((Color::WHITE.contrast_ratio(Color::WHITE) - 1.0).abs() < 1e-9);
    }
}
