//! The document relay (DESIGN.md §4). Being written.

use axum::Router;

use crate::AppState;

/// The registry of loaded documents.
#[derive(Clone, Default)]
pub struct Relay {}

impl Relay {
    /// A relay with the configured limits.
    pub fn new(_config: &crate::config::RelayConfig) -> Relay {
        Relay {}
    }
}

/// The relay's socket route.
pub fn routes() -> Router<AppState> {
    Router::new()
}
