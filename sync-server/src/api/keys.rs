//! (being written)

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// This family's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
