//! The REST API under `/api/v1`, one module per endpoint family. Each module returns an
//! [`OpenApiRouter`], so a handler's route and its OpenAPI entry come from one annotation.

pub mod accounts;
pub mod assets;
pub mod billing;
pub mod comments;
pub mod content;
pub mod generations;
pub mod history;
pub mod keys;
pub mod oidc;
pub mod teams;
pub mod templates;
pub mod webhooks;
pub mod workers;

use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// Every `/api/v1` route.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(accounts::routes())
        .merge(oidc::routes())
        .merge(keys::routes())
        .merge(teams::routes())
        .merge(content::routes())
        .merge(assets::routes())
        .merge(history::routes())
        .merge(comments::routes())
        .merge(generations::routes())
        .merge(webhooks::routes())
        .merge(billing::routes())
        .merge(templates::routes())
}

/// `?limit=&cursor=` on list endpoints.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Items per page, 1–100 (default 20).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The limit, clamped to 1–100.
    pub fn limit(&self) -> i64 {
        i64::from(self.limit.unwrap_or(20).clamp(1, 100))
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The items, newest first.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
