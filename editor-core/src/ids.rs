//! Identifiers shared by every crate: layers, assets and documents.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ValidationError;

/// Longest identifier we accept from outside (design files, updates, the network).
pub const MAX_ID_LEN: usize = 64;

/// The identifier of a layer inside one design.
///
/// New layers get a UUIDv7 string; ids that arrive from design files or remote peers are
/// accepted when they are 1..=64 characters of `[A-Za-z0-9_-]`, so templates can use readable
/// ids such as `headline`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LayerId(String);

impl LayerId {
    /// A fresh, globally unique id (UUIDv7, so ids sort roughly by creation time).
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().simple().to_string())
    }

    /// Checks `value` and wraps it.
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        if is_valid_id(value) {
            Ok(Self(value.to_owned()))
        } else {
            Err(ValidationError::InvalidId { id: truncate_for_message(value) })
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LayerId {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        if is_valid_id(&value) {
            Ok(Self(value))
        } else {
            Err(ValidationError::InvalidId { id: truncate_for_message(&value) })
        }
    }
}

impl From<LayerId> for String {
    fn from(value: LayerId) -> Self {
        value.0
    }
}

impl fmt::Display for LayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A content-addressed asset (photo, logo, font, sanitised SVG): the lowercase hex SHA-256 of
/// its bytes. Binary data never enters the CRDT; layers refer to assets by this id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AssetId(String);

impl AssetId {
    /// The id of `bytes`.
    pub fn for_bytes(bytes: &[u8]) -> Self {
        let digest = Sha256::digest(bytes);
        let mut hex = String::with_capacity(64);
        for byte in digest {
            hex.push(char::from(HEX[usize::from(byte >> 4)]));
            hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        Self(hex)
    }

    /// Checks that `value` is 64 lowercase hex digits and wraps it.
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        if value.len() == 64 && value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            Ok(Self(value.to_owned()))
        } else {
            Err(ValidationError::InvalidAssetId { id: truncate_for_message(value) })
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl TryFrom<String> for AssetId {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<AssetId> for String {
    fn from(value: AssetId) -> Self {
        value.0
    }
}

impl fmt::Display for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_valid_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_ID_LEN
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Error messages quote ids from untrusted input; keep them short.
pub(crate) fn truncate_for_message(value: &str) -> String {
    value.chars().take(MAX_ID_LEN + 8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_id_is_sha256_hex() {
        let id = AssetId::for_bytes(b"abc");
        assert_eq!(id.as_str(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(AssetId::parse(id.as_str()).is_ok());
        assert!(AssetId::parse("BA7816").is_err());
    }

    #[test]
    fn layer_ids_are_checked() {
        assert!(LayerId::parse("headline_1").is_ok());
        assert!(LayerId::parse("").is_err());
        assert!(LayerId::parse("a b").is_err());
        assert!(LayerId::parse(&"x".repeat(65)).is_err());
        let a = LayerId::generate();
        let b = LayerId::generate();
        assert_ne!(a, b);
        assert!(LayerId::parse(a.as_str()).is_ok());
    }
}
