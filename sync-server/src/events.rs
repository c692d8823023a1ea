//! Per-user notifications and the events socket. Being written.

use axum::Router;

use crate::AppState;

/// Wakes the events sockets of users who have new notifications.
#[derive(Clone, Default)]
pub struct EventHub {}

/// The events socket route.
pub fn routes() -> Router<AppState> {
    Router::new()
}
