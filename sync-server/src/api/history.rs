//! Being written.

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// The routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
