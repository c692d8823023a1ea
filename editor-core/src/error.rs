//! Errors of the design model and the design file.

use thiserror::Error;

/// Why a design, layer or value was rejected. Every variant names what was wrong so the user
/// (or API client) can fix it.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// An id is empty, too long or has characters outside `[A-Za-z0-9_-]`.
    #[error("invalid id {id:?}: ids are 1 to 64 characters of letters, digits, '_' or '-'")]
    InvalidId {
        /// The offending id (truncated).
        id: String,
    },
    /// An asset id is not a lowercase hex SHA-256.
    #[error("invalid asset id {id:?}: expected 64 lowercase hex digits (SHA-256 of the bytes)")]
    InvalidAssetId {
        /// The offending id (truncated).
        id: String,
    },
    /// A colour string could not be parsed.
    #[error("invalid colour {value:?}: expected #RGB, #RGBA, #RRGGBB or #RRGGBBAA")]
    InvalidColor {
        /// The offending text (truncated).
        value: String,
    },
    /// A number is NaN or infinite.
    #[error("{field} must be a finite number")]
    NotFinite {
        /// Where the number sits, e.g. `layer "a" x`.
        field: String,
    },
    /// A number is outside its allowed range.
    #[error("{field} is {value}, outside {min}..={max}")]
    OutOfRange {
        /// Where the number sits.
        field: String,
        /// The value found.
        value: f64,
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
    },
    /// A text or list is longer than allowed.
    #[error("{field} has {len} {unit}, more than the limit of {max}")]
    TooLong {
        /// Where it sits.
        field: String,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
        /// What `len` counts (characters, layers, stops …).
        unit: &'static str,
    },
    /// Two layers share an id.
    #[error("duplicate layer id {id:?}")]
    DuplicateLayer {
        /// The id used twice.
        id: String,
    },
    /// A layer's parent does not exist or is not a group.
    #[error("layer {id:?} has parent {parent:?}, which is not a group in this design")]
    BadParent {
        /// The child.
        id: String,
        /// The parent it names.
        parent: String,
    },
    /// Parents form a cycle.
    #[error("layer {id:?} is its own ancestor")]
    ParentCycle {
        /// A layer on the cycle.
        id: String,
    },
    /// A z-order key is not a valid fractional index.
    #[error("layer {id:?} has invalid z-order key {z:?}")]
    InvalidZ {
        /// The layer.
        id: String,
        /// The key (truncated).
        z: String,
    },
    /// A layer id was referenced that the design does not contain.
    #[error("no layer with id {id:?}")]
    UnknownLayer {
        /// The id asked for.
        id: String,
    },
    /// Anything else, with a message.
    #[error("{0}")]
    Invalid(String),
}
