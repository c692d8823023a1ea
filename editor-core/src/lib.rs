//! editor-core: the CreativeFlow design model, its CRDT document, the offline store and the
//! sync client. It depends on nothing else in the workspace and builds for `wasm32`.
//!
//! - [`Design`] is the typed, validated picture of a creative: a [`Format`], a background
//!   [`Paint`] and a list of [`Layer`]s (text, image, shape, svg, group). [`design_file`] reads and
//!   writes its portable, versioned JSON form.
//! - [`Document`] holds a design as a yrs (`Y.Doc`) CRDT with one key per property. Change it only
//!   through [`Command`]s: each is one transaction with a local origin, so [`Document::undo`]
//!   reverts exactly this user's changes and never a collaborator's.
//! - [`store::Store`] persists documents (compacted snapshot, update log, outbox of unacknowledged
//!   updates) and a content-addressed asset cache; [`store::SqliteStore`] is the native one.
//! - [`protocol`] encodes and decodes y-websocket frames; [`SyncClient`] is the transport-agnostic
//!   state machine that keeps a document in step with the server and reports what a merge
//!   overrode ([`MergeReport`]).
//! - [`relay::Room`] is the server's side of the same protocol for one document: it merges,
//!   answers and relays, and leaves sockets and storage to the server.
//! - [`FormatPreset`] lists the platform formats and their safe zones; [`BrandKit`] carries a
//!   workbench's colours, fonts and logos.

mod brand;
mod color;
mod command;
mod design;
pub mod design_file;
mod document;
mod error;
pub mod format;
pub mod fractional_index;
mod ids;
pub mod protocol;
pub mod relay;
mod schema;
pub mod store;
mod sync_client;

pub use brand::{BrandColor, BrandFont, BrandKit};
pub use color::Color;
pub use command::{Command, DesignPatch, LayerPatch, ZOrder};
pub use design::{
    Crop, Design, Filters, Fit, GradientStop, ImageContent, Layer, LayerContent, Paint, Point, Role, Shape,
    ShapeContent, Stroke, SvgContent, TextAlign, TextContent, TextSpan, TextStyle, TextStyleField, VerticalAlign,
    limits,
};
pub use document::{CommandError, Document, DocumentError, LocalChange, MergeReport, Override, OverrideKind};
pub use error::ValidationError;
pub use format::{Format, FormatPreset, Rect, SafeZone};
pub use ids::{AssetId, LayerId};
pub use sync_client::{ConnectionState, Peer, SyncClient, SyncError, SyncEvent};
