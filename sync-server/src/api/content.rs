//! Workbenches → projects → creatives (tags `workbenches`, `projects`, `creatives`).
//!
//! Every workbench belongs to a team (a personal or a shared one) and carries a [`BrandKit`].
//! Each level is paginated newest first, and deleting is soft: a deleted item and everything
//! under it disappear, `?deleted=true` lists the trash, and restore works for 30 days.
//! A creative's document is built here from a design file (or a blank canvas) with editor-core
//! and stored as its `initial` snapshot, which the relay later serves and extends.

use std::sync::LazyLock;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use editor_core::{Design, Document, Format, design_file};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::api::{Page, PageQuery};
use crate::auth::Principal;
use crate::authz::{Action, authorize};
use crate::db::content::{Access, FIRST_PAGE, Listing, NewCreative, RESTORE_WINDOW_MS};
use crate::db::content::{Creative, Project, Workbench};
use crate::db::now_ms;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::http::Problem;

/// This family's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_workbenches, create_workbench))
        .routes(routes!(get_workbench, update_workbench, delete_workbench))
        .routes(routes!(restore_workbench))
        .routes(routes!(list_projects, create_project))
        .routes(routes!(get_project, update_project, delete_project))
        .routes(routes!(restore_project))
        .routes(routes!(list_creatives, create_creative))
        .routes(routes!(get_creative, update_creative, delete_creative))
        .routes(routes!(restore_creative))
        .routes(routes!(creative_design))
        .routes(routes!(creative_thumbnail))
        .routes(routes!(recent_creatives))
}

// ---------------------------------------------------------------------- shared pieces

/// `?limit=&cursor=&deleted=` on the content lists.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Items per page, 1–100 (default 20).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `true` lists the trash instead: items deleted in the last 30 days, which can be restored.
    pub deleted: Option<bool>,
}

impl ListQuery {
    fn page(&self) -> PageQuery {
        PageQuery { limit: self.limit, cursor: self.cursor.clone() }
    }

    fn listing(&self) -> Listing {
        if self.deleted == Some(true) { Listing::Trash } else { Listing::Live }
    }
}

/// The exclusive id bound for a page: the cursor (an id of the previous page) or, for the first
/// page, a bound above every id.
pub(crate) fn page_bound(query: &PageQuery) -> Result<String, ApiError> {
    match &query.cursor {
        None => Ok(FIRST_PAGE.to_owned()),
        Some(c) => Uuid::parse_str(c)
            .map(|id| id.to_string())
            .map_err(|_| ApiError::invalid("cursor", "not a cursor from this list; pass `next_cursor` as given")),
    }
}

/// Turns `limit + 1` fetched rows into a page: the extra row only says there is a next page.
pub(crate) fn into_page<T, V>(mut rows: Vec<T>, limit: i64, id: impl Fn(&T) -> Uuid, view: impl Fn(T) -> V) -> Page<V> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| id(r).to_string())
    } else {
        None
    };
    Page { items: rows.into_iter().map(view).collect(), next_cursor }
}

/// A 404 that says why: the item was deleted longer ago than it can be restored.
fn restore_window_passed() -> Response {
    crate::http::problem(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        "this item was deleted more than 30 days ago and can no longer be restored",
    )
}

/// Whether a deletion at `deleted_at` can still be undone.
fn restorable(deleted_at: i64) -> bool {
    deleted_at >= now_ms() - RESTORE_WINDOW_MS
}

/// A live item the caller may act on: 404 if deleted or invisible, 403 if not allowed.
pub(crate) fn live<T>(
    access: Option<Access<T>>,
    deleted_at: impl Fn(&T) -> Option<i64>,
    principal: &Principal,
    action: Action,
) -> Result<Access<T>, ApiError> {
    let access = access.filter(|a| deleted_at(&a.item).is_none()).ok_or(ApiError::NotFound)?;
    authorize(access.role, &principal.scopes, action)?;
    Ok(access)
}

/// Checks a write by the caller: the role allows `action` and the account may write.
pub(crate) fn writer<T>(
    state: &AppState,
    access: Option<Access<T>>,
    deleted_at: impl Fn(&T) -> Option<i64>,
    principal: &Principal,
    action: Action,
) -> Result<Access<T>, ApiError> {
    let access = live(access, deleted_at, principal, action)?;
    principal.require_verified_or_grace(state.config.auth.verification_grace_hours)?;
    Ok(access)
}

const NAME_CHARS: usize = 200;
const DESCRIPTION_CHARS: usize = 2000;

pub(crate) fn check_name(field: &'static str, name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > NAME_CHARS {
        return Err(ApiError::invalid(field, format!("use 1 to {NAME_CHARS} characters")));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::invalid(field, "control characters are not allowed"));
    }
    Ok(name.to_owned())
}

fn check_description(description: &str) -> Result<String, ApiError> {
    let description = description.trim();
    if description.chars().count() > DESCRIPTION_CHARS {
        return Err(ApiError::invalid("description", format!("use at most {DESCRIPTION_CHARS} characters")));
    }
    if description.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(ApiError::invalid(
            "description",
            "control characters other than line breaks and tabs are not allowed",
        ));
    }
    Ok(description.to_owned())
}

pub(crate) fn internal(e: impl Into<anyhow::Error>) -> ApiError {
    ApiError::Internal(e.into())
}

// ---------------------------------------------------------------------- brand kits

/// A named brand colour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandColor {
    /// Name shown to people, e.g. "Ocean".
    pub name: String,
    /// `#RRGGBB` (stored upper-case).
    #[schema(example = "#1A73E8")]
    pub hex: String,
}

/// The brand's fonts: family names from the bundled font catalogue (`assets/fonts`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandFonts {
    /// Headline font family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading: Option<String>,
    /// Body text font family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// A workbench's brand kit: colours, fonts and logos.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandKit {
    /// Up to 24 colours.
    #[serde(default)]
    pub colors: Vec<BrandColor>,
    /// Heading and body fonts.
    #[serde(default)]
    pub fonts: BrandFonts,
    /// Up to 5 logo assets of the workbench's team, preferred first.
    #[serde(default)]
    pub logo_asset_ids: Vec<Uuid>,
}

/// Most colours in a brand kit.
pub const MAX_BRAND_COLORS: usize = 24;
/// Most logos in a brand kit.
pub const MAX_BRAND_LOGOS: usize = 5;

#[derive(Deserialize)]
struct FontCatalog {
    families: Vec<CatalogFamily>,
}

#[derive(Deserialize)]
struct CatalogFamily {
    family: String,
    #[serde(default)]
    fallback: bool,
}

/// The design families of the bundled font catalogue (fallback families, which fill in other
/// scripts and emoji, are not offered for brands).
static FONT_FAMILIES: LazyLock<Vec<String>> =
    LazyLock::new(|| match serde_json::from_str::<FontCatalog>(include_str!("../../../assets/fonts/catalog.json")) {
        Ok(catalog) => catalog.families.into_iter().filter(|f| !f.fallback).map(|f| f.family).collect(),
        Err(e) => {
            tracing::error!(error = %e, "the bundled font catalogue does not parse");
            Vec::new()
        }
    });

/// The catalogue's spelling of `family` (matched case-insensitively), if it is a design family.
fn catalog_family(family: &str) -> Option<&'static str> {
    let family = family.trim();
    FONT_FAMILIES.iter().find(|f| f.eq_ignore_ascii_case(family)).map(String::as_str)
}

fn is_hex_color(hex: &str) -> bool {
    hex.len() == 7 && hex.starts_with('#') && hex[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks a brand kit for `team_id` and returns it in canonical form (upper-case hex, the
/// catalogue's spelling of font names). Logos must be live assets of the same team.
async fn check_brand_kit(state: &AppState, team_id: Uuid, kit: BrandKit) -> Result<BrandKit, ApiError> {
    if kit.colors.len() > MAX_BRAND_COLORS {
        return Err(ApiError::invalid("brand_kit.colors", format!("at most {MAX_BRAND_COLORS} colours")));
    }
    let mut colors = Vec::with_capacity(kit.colors.len());
    for (i, c) in kit.colors.into_iter().enumerate() {
        let name = c.name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(ApiError::invalid("brand_kit.colors", format!("colour {i}: name must be 1 to 64 characters")));
        }
        if !is_hex_color(&c.hex) {
            return Err(ApiError::invalid(
                "brand_kit.colors",
                format!(
                    "colour {i} ({name:?}): hex must be #RRGGBB, got {:?}",
                    c.hex.chars().take(16).collect::<String>()
                ),
            ));
        }
        colors.push(BrandColor { name: name.to_owned(), hex: c.hex.to_ascii_uppercase() });
    }
    let font = |field: &'static str, family: Option<String>| -> Result<Option<String>, ApiError> {
        family
            .map(|f| {
                catalog_family(&f).map(str::to_owned).ok_or_else(|| {
                    ApiError::invalid(
                        field,
                        format!(
                            "{:?} is not a bundled font family (see assets/fonts/README.md)",
                            f.chars().take(64).collect::<String>()
                        ),
                    )
                })
            })
            .transpose()
    };
    let fonts = BrandFonts {
        heading: font("brand_kit.fonts.heading", kit.fonts.heading)?,
        body: font("brand_kit.fonts.body", kit.fonts.body)?,
    };
    if kit.logo_asset_ids.len() > MAX_BRAND_LOGOS {
        return Err(ApiError::invalid("brand_kit.logo_asset_ids", format!("at most {MAX_BRAND_LOGOS} logos")));
    }
    let mut logos: Vec<Uuid> = Vec::with_capacity(kit.logo_asset_ids.len());
    for id in kit.logo_asset_ids {
        if logos.contains(&id) {
            return Err(ApiError::invalid("brand_kit.logo_asset_ids", format!("{id} is listed twice")));
        }
        if !state.db.team_has_asset(team_id, id).await? {
            return Err(ApiError::invalid("brand_kit.logo_asset_ids", format!("{id} is not an asset of this team")));
        }
        logos.push(id);
    }
    Ok(BrandKit { colors, fonts, logo_asset_ids: logos })
}

// ---------------------------------------------------------------------- workbenches

/// A workbench: a team's space for projects, with its brand kit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkbenchView {
    /// Id.
    pub id: Uuid,
    /// The owning team.
    pub team_id: Uuid,
    /// Name.
    pub name: String,
    /// Description (may be empty).
    pub description: String,
    /// The brand kit.
    pub brand_kit: BrandKit,
    /// Created, ms since the Unix epoch (UTC).
    pub created_at: i64,
    /// Last changed, ms since the Unix epoch (UTC).
    pub updated_at: i64,
    /// When it was deleted (trash listings only), ms since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
}

impl TryFrom<Workbench> for WorkbenchView {
    type Error = ApiError;

    fn try_from(w: Workbench) -> Result<WorkbenchView, ApiError> {
        let brand_kit = serde_json::from_str(&w.brand_kit).map_err(internal)?;
        Ok(WorkbenchView {
            id: w.id,
            team_id: w.team_id,
            name: w.name,
            description: w.description,
            brand_kit,
            created_at: w.created_at,
            updated_at: w.updated_at,
            deleted_at: w.deleted_at,
        })
    }
}

/// `POST /teams/{team_id}/workbenches`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWorkbench {
    /// Name, 1–200 characters.
    pub name: String,
    /// Description, up to 2000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// The brand kit (empty if left out).
    #[serde(default)]
    pub brand_kit: Option<BrandKit>,
}

/// `PATCH /workbenches/{id}`: the fields to change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkbenchPatch {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New description.
    #[serde(default)]
    pub description: Option<String>,
    /// New brand kit (replaces the whole kit).
    #[serde(default)]
    pub brand_kit: Option<BrandKit>,
}

/// Lists a team's workbenches, or its trash with `?deleted=true`.
#[utoipa::path(
    get,
    path = "/teams/{id}/workbenches",
    tag = "workbenches",
    params(("id" = Uuid, Path, description = "The team"), ListQuery),
    responses(
        (status = 200, body = Page<WorkbenchView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn list_workbenches(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(team_id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Page<WorkbenchView>>, ApiError> {
    let page = query.page();
    let before = page_bound(&page)?;
    let role = state.db.role_in_team(team_id, principal.user_id).await?;
    authorize(role, &principal.scopes, Action::Read)?;
    let rows = state.db.list_workbenches(team_id, query.listing(), &before, page.limit() + 1).await?;
    let page = into_page(rows, page.limit(), |w| w.id, WorkbenchView::try_from);
    Ok(Json(Page { items: page.items.into_iter().collect::<Result<_, _>>()?, next_cursor: page.next_cursor }))
}

/// Creates a workbench in a team (needs the ManageWorkbenches permission).
#[utoipa::path(
    post,
    path = "/teams/{id}/workbenches",
    tag = "workbenches",
    params(("id" = Uuid, Path, description = "The team")),
    request_body = NewWorkbench,
    responses(
        (status = 201, body = WorkbenchView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn create_workbench(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(team_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewWorkbench>,
) -> Result<(StatusCode, Json<WorkbenchView>), ApiError> {
    let role = state.db.role_in_team(team_id, principal.user_id).await?;
    authorize(role, &principal.scopes, Action::ManageWorkbenches)?;
    principal.require_verified_or_grace(state.config.auth.verification_grace_hours)?;
    let name = check_name("name", &body.name)?;
    let description = check_description(body.description.as_deref().unwrap_or(""))?;
    let kit = check_brand_kit(&state, team_id, body.brand_kit.unwrap_or_default()).await?;
    let kit = serde_json::to_string(&kit).map_err(internal)?;
    let w = state.db.create_workbench(team_id, &name, &description, &kit, principal.user_id).await?;
    Ok((StatusCode::CREATED, Json(w.try_into()?)))
}

/// A workbench.
#[utoipa::path(
    get,
    path = "/workbenches/{id}",
    tag = "workbenches",
    params(("id" = Uuid, Path, description = "The workbench")),
    responses(
        (status = 200, body = WorkbenchView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn get_workbench(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<WorkbenchView>, ApiError> {
    let access = state.db.workbench_access(id, principal.user_id).await?;
    let access = live(access, |w| w.deleted_at, &principal, Action::Read)?;
    Ok(Json(access.item.try_into()?))
}

/// Renames a workbench or replaces its description or brand kit (needs ManageWorkbenches).
#[utoipa::path(
    patch,
    path = "/workbenches/{id}",
    tag = "workbenches",
    params(("id" = Uuid, Path, description = "The workbench")),
    request_body = WorkbenchPatch,
    responses(
        (status = 200, body = WorkbenchView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn update_workbench(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<WorkbenchPatch>,
) -> Result<Json<WorkbenchView>, ApiError> {
    let access = state.db.workbench_access(id, principal.user_id).await?;
    let access = writer(&state, access, |w| w.deleted_at, &principal, Action::ManageWorkbenches)?;
    let name = body.name.as_deref().map(|n| check_name("name", n)).transpose()?;
    let description = body.description.as_deref().map(check_description).transpose()?;
    let kit = match body.brand_kit {
        Some(kit) => {
            let kit = check_brand_kit(&state, access.team_id, kit).await?;
            Some(serde_json::to_string(&kit).map_err(internal)?)
        }
        None => None,
    };
    if name.is_none() && description.is_none() && kit.is_none() {
        return Ok(Json(access.item.try_into()?));
    }
    let w = state
        .db
        .update_workbench(id, name.as_deref(), description.as_deref(), kit.as_deref())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(w.try_into()?))
}

/// Moves a workbench, with its projects and creatives, to the trash (needs ManageWorkbenches).
#[utoipa::path(
    delete,
    path = "/workbenches/{id}",
    tag = "workbenches",
    params(("id" = Uuid, Path, description = "The workbench")),
    responses(
        (status = 204, description = "In the trash; restorable for 30 days"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn delete_workbench(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let access = state.db.workbench_access(id, principal.user_id).await?;
    writer(&state, access, |w| w.deleted_at, &principal, Action::ManageWorkbenches)?;
    if !state.db.set_workbench_deleted(id, true).await? {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Brings a workbench back from the trash (within 30 days of its deletion).
#[utoipa::path(
    post,
    path = "/workbenches/{id}/restore",
    tag = "workbenches",
    params(("id" = Uuid, Path, description = "The workbench")),
    responses(
        (status = 200, body = WorkbenchView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn restore_workbench(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let access = state.db.workbench_access(id, principal.user_id).await?.ok_or(ApiError::NotFound)?;
    authorize(access.role, &principal.scopes, Action::ManageWorkbenches)?;
    principal.require_verified_or_grace(state.config.auth.verification_grace_hours)?;
    match access.item.deleted_at {
        Some(at) if !restorable(at) => return Ok(restore_window_passed()),
        Some(_) if !state.db.set_workbench_deleted(id, false).await? => return Ok(restore_window_passed()),
        _ => {}
    }
    let access = state.db.workbench_access(id, principal.user_id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(WorkbenchView::try_from(access.item)?).into_response())
}

// ---------------------------------------------------------------------- projects

/// A project: a set of creatives in a workbench.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectView {
    /// Id.
    pub id: Uuid,
    /// The workbench it belongs to.
    pub workbench_id: Uuid,
    /// Name.
    pub name: String,
    /// Description (may be empty).
    pub description: String,
    /// Created, ms since the Unix epoch (UTC).
    pub created_at: i64,
    /// Last changed, ms since the Unix epoch (UTC).
    pub updated_at: i64,
    /// When it was deleted (trash listings only), ms since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
}

impl From<Project> for ProjectView {
    fn from(p: Project) -> ProjectView {
        ProjectView {
            id: p.id,
            workbench_id: p.workbench_id,
            name: p.name,
            description: p.description,
            created_at: p.created_at,
            updated_at: p.updated_at,
            deleted_at: p.deleted_at,
        }
    }
}

/// `POST /workbenches/{id}/projects`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    /// Name, 1–200 characters.
    pub name: String,
    /// Description, up to 2000 characters.
    #[serde(default)]
    pub description: Option<String>,
}

/// `PATCH /projects/{id}`: the fields to change. (A project cannot move between workbenches.)
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectPatch {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New description.
    #[serde(default)]
    pub description: Option<String>,
}

/// Lists a workbench's projects, or its trash with `?deleted=true`.
#[utoipa::path(
    get,
    path = "/workbenches/{id}/projects",
    tag = "projects",
    params(("id" = Uuid, Path, description = "The workbench"), ListQuery),
    responses(
        (status = 200, body = Page<ProjectView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn list_projects(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Page<ProjectView>>, ApiError> {
    let page = query.page();
    let before = page_bound(&page)?;
    let (role, rows) = state
        .db
        .list_projects_as(id, principal.user_id, query.listing(), &before, page.limit() + 1)
        .await?
        .ok_or(ApiError::NotFound)?;
    authorize(role, &principal.scopes, Action::Read)?;
    Ok(Json(into_page(rows, page.limit(), |p| p.id, ProjectView::from)))
}

/// Creates a project in a workbench.
#[utoipa::path(
    post,
    path = "/workbenches/{id}/projects",
    tag = "projects",
    params(("id" = Uuid, Path, description = "The workbench")),
    request_body = NewProject,
    responses(
        (status = 201, body = ProjectView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn create_project(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewProject>,
) -> Result<(StatusCode, Json<ProjectView>), ApiError> {
    let access = state.db.workbench_access(id, principal.user_id).await?;
    writer(&state, access, |w| w.deleted_at, &principal, Action::Edit)?;
    let name = check_name("name", &body.name)?;
    let description = check_description(body.description.as_deref().unwrap_or(""))?;
    let p = state.db.create_project(id, &name, &description, principal.user_id).await?;
    Ok((StatusCode::CREATED, Json(p.into())))
}

/// A project.
#[utoipa::path(
    get,
    path = "/projects/{id}",
    tag = "projects",
    params(("id" = Uuid, Path, description = "The project")),
    responses(
        (status = 200, body = ProjectView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn get_project(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ProjectView>, ApiError> {
    let access = state.db.project_access(id, principal.user_id).await?;
    let access = live(access, |p| p.deleted_at, &principal, Action::Read)?;
    Ok(Json(access.item.into()))
}

/// Renames a project or changes its description.
#[utoipa::path(
    patch,
    path = "/projects/{id}",
    tag = "projects",
    params(("id" = Uuid, Path, description = "The project")),
    request_body = ProjectPatch,
    responses(
        (status = 200, body = ProjectView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn update_project(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ProjectPatch>,
) -> Result<Json<ProjectView>, ApiError> {
    let access = state.db.project_access(id, principal.user_id).await?;
    let access = writer(&state, access, |p| p.deleted_at, &principal, Action::Edit)?;
    let name = body.name.as_deref().map(|n| check_name("name", n)).transpose()?;
    let description = body.description.as_deref().map(check_description).transpose()?;
    if name.is_none() && description.is_none() {
        return Ok(Json(access.item.into()));
    }
    let p = state.db.update_project(id, name.as_deref(), description.as_deref()).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(p.into()))
}

/// Moves a project, with its creatives, to the trash.
#[utoipa::path(
    delete,
    path = "/projects/{id}",
    tag = "projects",
    params(("id" = Uuid, Path, description = "The project")),
    responses(
        (status = 204, description = "In the trash; restorable for 30 days"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn delete_project(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let access = state.db.project_access(id, principal.user_id).await?;
    writer(&state, access, |p| p.deleted_at, &principal, Action::Delete)?;
    if !state.db.set_project_deleted(id, true).await? {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Brings a project back from the trash (within 30 days of its deletion).
#[utoipa::path(
    post,
    path = "/projects/{id}/restore",
    tag = "projects",
    params(("id" = Uuid, Path, description = "The project")),
    responses(
        (status = 200, body = ProjectView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn restore_project(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let access = state.db.project_access(id, principal.user_id).await?.ok_or(ApiError::NotFound)?;
    authorize(access.role, &principal.scopes, Action::Delete)?;
    principal.require_verified_or_grace(state.config.auth.verification_grace_hours)?;
    match access.item.deleted_at {
        Some(at) if !restorable(at) => return Ok(restore_window_passed()),
        Some(_) if !state.db.set_project_deleted(id, false).await? => return Ok(restore_window_passed()),
        _ => {}
    }
    let access = state.db.project_access(id, principal.user_id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(ProjectView::from(access.item)).into_response())
}

// ---------------------------------------------------------------------- creatives

/// A creative: one design, whose document the relay serves.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreativeView {
    /// Id.
    pub id: Uuid,
    /// The project it belongs to.
    pub project_id: Uuid,
    /// Name.
    pub name: String,
    /// Canvas width, px.
    pub width: i64,
    /// Canvas height, px.
    pub height: i64,
    /// `draft` until it is sent for approval.
    pub approval_status: String,
    /// Created, ms since the Unix epoch (UTC).
    pub created_at: i64,
    /// Last changed, ms since the Unix epoch (UTC).
    pub updated_at: i64,
    /// When it was deleted (trash listings only), ms since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
    /// A picture of it, when there is one: `/api/v1/creatives/{id}/thumbnail` (the preview of
    /// the generation sample it was opened from; signed-in request) or `/templates/{id}.png`
    /// (the template it was made from; a static file of the web app). `null` otherwise.
    pub thumbnail_url: Option<String>,
}

/// The URL of a creative's thumbnail reference (see [`Creative::thumbnail`]).
fn thumbnail_url(id: Uuid, thumbnail: Option<&str>) -> Option<String> {
    let thumbnail = thumbnail?;
    if thumbnail.starts_with("sample:") {
        Some(format!("/api/v1/creatives/{id}/thumbnail"))
    } else {
        thumbnail.strip_prefix("template:").map(|t| format!("/templates/{t}.png"))
    }
}

impl From<Creative> for CreativeView {
    fn from(c: Creative) -> CreativeView {
        CreativeView {
            thumbnail_url: thumbnail_url(c.id, c.thumbnail.as_deref()),
            id: c.id,
            project_id: c.project_id,
            name: c.name,
            width: c.width,
            height: c.height,
            approval_status: c.approval_status,
            created_at: c.created_at,
            updated_at: c.updated_at,
            deleted_at: c.deleted_at,
        }
    }
}

/// `POST /projects/{id}/creatives`: from a design file, or a blank canvas of `width`×`height`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCreativeBody {
    /// Name, 1–200 characters.
    pub name: String,
    /// A design file (editor-core's versioned JSON: `{"version": 1, "name", "format",
    /// "background", "layers"}`); validated, and its format gives the size.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub design: Option<serde_json::Value>,
    /// Width of a blank canvas, 16–8192 px (default 1080); must match the design's if both given.
    #[serde(default)]
    pub width: Option<u32>,
    /// Height of a blank canvas, 16–8192 px (default 1080); must match the design's if both given.
    #[serde(default)]
    pub height: Option<u32>,
}

/// `PATCH /creatives/{id}`: the fields to change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreativePatch {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
}

/// Default side of a blank canvas, px.
pub const DEFAULT_SIDE: u32 = 1080;

/// The design a new creative starts from: the validated file, or a blank white canvas.
fn initial_design(name: &str, body: &NewCreativeBody) -> Result<Design, ApiError> {
    let side = |field: &'static str, v: Option<u32>| -> Result<u32, ApiError> {
        let v = v.unwrap_or(DEFAULT_SIDE);
        if (editor_core::format::MIN_SIDE..=editor_core::format::MAX_SIDE).contains(&v) {
            Ok(v)
        } else {
            Err(ApiError::invalid(
                field,
                format!("{v} is outside {}..={} px", editor_core::format::MIN_SIDE, editor_core::format::MAX_SIDE),
            ))
        }
    };
    match &body.design {
        Some(file) => {
            let bytes = serde_json::to_vec(file).map_err(internal)?;
            let design = design_file::parse(&bytes).map_err(|e| ApiError::invalid("design", e.to_string()))?;
            for (field, given, actual) in
                [("width", body.width, design.format.width), ("height", body.height, design.format.height)]
            {
                if given.is_some_and(|g| g != actual) {
                    return Err(ApiError::invalid(field, format!("the design file's format says {actual}")));
                }
            }
            Ok(design)
        }
        None => {
            let (w, h) = (side("width", body.width)?, side("height", body.height)?);
            let format = Format::custom(w, h).map_err(|e| ApiError::invalid("width", e.to_string()))?;
            Ok(Design::new(name, format))
        }
    }
}

/// Lists a project's creatives, or its trash with `?deleted=true`.
#[utoipa::path(
    get,
    path = "/projects/{id}/creatives",
    tag = "creatives",
    params(("id" = Uuid, Path, description = "The project"), ListQuery),
    responses(
        (status = 200, body = Page<CreativeView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn list_creatives(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Page<CreativeView>>, ApiError> {
    let page = query.page();
    let before = page_bound(&page)?;
    let access = state.db.project_access(id, principal.user_id).await?;
    live(access, |p| p.deleted_at, &principal, Action::Read)?;
    let rows = state.db.list_creatives(id, query.listing(), &before, page.limit() + 1).await?;
    Ok(Json(into_page(rows, page.limit(), |c| c.id, CreativeView::from)))
}

/// Creates a creative; its document is built from the design file (or a blank canvas) and
/// stored as the first snapshot.
#[utoipa::path(
    post,
    path = "/projects/{id}/creatives",
    tag = "creatives",
    params(("id" = Uuid, Path, description = "The project")),
    request_body = NewCreativeBody,
    responses(
        (status = 201, body = CreativeView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn create_creative(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewCreativeBody>,
) -> Result<(StatusCode, Json<CreativeView>), ApiError> {
    let access = state.db.project_access(id, principal.user_id).await?;
    writer(&state, access, |p| p.deleted_at, &principal, Action::Edit)?;
    let name = check_name("name", &body.name)?;
    let bad_design = |e: editor_core::DocumentError| ApiError::invalid("design", e.to_string());
    let make = move || Ok((initial_design(&name, &body)?, name));
    let c = store_creative(&state, id, principal.user_id, None, make, bad_design).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// Stores a new creative in `project_id` whose document is the design `make` builds, under the
/// name `make` gives. Building, parsing and encoding a large design is CPU
/// work, so it runs on the blocking pool. A design the document model refuses becomes `bad_design`'s error
/// (a 422 for a user's file, a 500 for one the server made).
pub(crate) async fn store_creative(
    state: &AppState,
    project_id: Uuid,
    created_by: Uuid,
    thumbnail: Option<String>,
    make: impl FnOnce() -> Result<(Design, String), ApiError> + Send + 'static,
    bad_design: fn(editor_core::DocumentError) -> ApiError,
) -> Result<Creative, ApiError> {
    let (name, width, height, doc_v2, state_vector) = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let (design, name) = make()?;
        let doc = Document::from_design(&design).map_err(bad_design)?;
        Ok((name, design.format.width, design.format.height, doc.encode_state_v2(), doc.state_vector_v1()))
    })
    .await
    .map_err(internal)??;
    let new = NewCreative { project_id, name: &name, width, height, created_by, doc_v2, state_vector, thumbnail };
    Ok(state.db.create_creative(new).await?)
}

/// A creative's current document (the stored snapshot and logged updates) as design-file text.
pub(crate) async fn current_design_file(state: &AppState, id: Uuid) -> Result<String, ApiError> {
    let (doc, _, _) = crate::relay::load_stored(&state.db, id).await.map_err(internal)?;
    tokio::task::spawn_blocking(move || design_file::to_string(&doc.design())).await.map_err(internal)
}

/// A creative.
#[utoipa::path(
    get,
    path = "/creatives/{id}",
    tag = "creatives",
    params(("id" = Uuid, Path, description = "The creative")),
    responses(
        (status = 200, body = CreativeView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn get_creative(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<CreativeView>, ApiError> {
    let access = state.db.creative_access(id, principal.user_id).await?;
    let access = live(access, |c| c.deleted_at, &principal, Action::Read)?;
    Ok(Json(access.item.into()))
}

/// Renames a creative.
#[utoipa::path(
    patch,
    path = "/creatives/{id}",
    tag = "creatives",
    params(("id" = Uuid, Path, description = "The creative")),
    request_body = CreativePatch,
    responses(
        (status = 200, body = CreativeView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn update_creative(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CreativePatch>,
) -> Result<Json<CreativeView>, ApiError> {
    let access = state.db.creative_access(id, principal.user_id).await?;
    let access = writer(&state, access, |c| c.deleted_at, &principal, Action::Edit)?;
    let Some(name) = body.name.as_deref().map(|n| check_name("name", n)).transpose()? else {
        return Ok(Json(access.item.into()));
    };
    let c = state.db.update_creative(id, Some(&name)).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(c.into()))
}

/// Moves a creative to the trash.
#[utoipa::path(
    delete,
    path = "/creatives/{id}",
    tag = "creatives",
    params(("id" = Uuid, Path, description = "The creative")),
    responses(
        (status = 204, description = "In the trash; restorable for 30 days"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn delete_creative(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let access = state.db.creative_access(id, principal.user_id).await?;
    writer(&state, access, |c| c.deleted_at, &principal, Action::Delete)?;
    if !state.db.set_creative_deleted(id, true).await? {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Brings a creative back from the trash (within 30 days of its deletion).
#[utoipa::path(
    post,
    path = "/creatives/{id}/restore",
    tag = "creatives",
    params(("id" = Uuid, Path, description = "The creative")),
    responses(
        (status = 200, body = CreativeView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn restore_creative(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let access = state.db.creative_access(id, principal.user_id).await?.ok_or(ApiError::NotFound)?;
    authorize(access.role, &principal.scopes, Action::Delete)?;
    principal.require_verified_or_grace(state.config.auth.verification_grace_hours)?;
    match access.item.deleted_at {
        Some(at) if !restorable(at) => return Ok(restore_window_passed()),
        Some(_) if !state.db.set_creative_deleted(id, false).await? => return Ok(restore_window_passed()),
        _ => {}
    }
    let access = state.db.creative_access(id, principal.user_id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(CreativeView::from(access.item)).into_response())
}

/// The creative's design as a design file, rebuilt from its stored document (the newest
/// snapshot and every update the relay logged since).
#[utoipa::path(
    get,
    path = "/creatives/{id}/design",
    tag = "creatives",
    params(("id" = Uuid, Path, description = "The creative")),
    responses(
        (status = 200, description = "The design file (editor-core's versioned JSON)", body = Object, content_type = "application/json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn creative_design(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let access = state.db.creative_access(id, principal.user_id).await?;
    live(access, |c| c.deleted_at, &principal, Action::Read)?;
    let file = current_design_file(&state, id).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], file).into_response())
}

/// A creative's thumbnail: the preview PNG of the generation sample it was opened from (404
/// when it has none of its own; a template's picture is a static file, see `thumbnail_url`).
#[utoipa::path(
    get,
    path = "/creatives/{id}/thumbnail",
    tag = "creatives",
    params(("id" = Uuid, Path, description = "The creative")),
    responses(
        (status = 200, content_type = "image/png", description = "The thumbnail"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn creative_thumbnail(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let access = state.db.creative_access(id, principal.user_id).await?;
    let access = live(access, |c| c.deleted_at, &principal, Action::Read)?;
    let sha = access.item.thumbnail.as_deref().and_then(|t| t.strip_prefix("sample:")).ok_or(ApiError::NotFound)?;
    let bytes = state.assets.get(sha).await.map_err(internal)?;
    Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "private, max-age=300")], bytes).into_response())
}

/// `?team_id=&limit=` on the recent creatives.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecentQuery {
    /// The team (default: the caller's personal team).
    pub team_id: Option<Uuid>,
    /// How many, 1–50 (default 12).
    pub limit: Option<u32>,
}

/// Most recent creatives listed at once.
pub const MAX_RECENT: u32 = 50;

/// Recently changed creatives.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecentCreatives {
    /// Most recently changed first.
    pub items: Vec<CreativeView>,
}

/// The most recently changed creatives across every project of a team (live ones only),
/// newest first; `updated_at` also counts the last edit made in the editor.
#[utoipa::path(
    get,
    path = "/creatives",
    tag = "creatives",
    params(RecentQuery),
    responses(
        (status = 200, body = RecentCreatives),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn recent_creatives(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<RecentQuery>,
) -> Result<Json<RecentCreatives>, ApiError> {
    let limit = query.limit.unwrap_or(12);
    if !(1..=MAX_RECENT).contains(&limit) {
        return Err(ApiError::invalid("limit", format!("use 1 to {MAX_RECENT}")));
    }
    let team = match query.team_id {
        Some(t) => t,
        None => {
            let user = state.db.user_by_id(principal.user_id).await?.ok_or(ApiError::Unauthorized("no account"))?;
            let Some(team) = user.personal_team_id.as_deref().and_then(|t| Uuid::parse_str(t).ok()) else {
                return Ok(Json(RecentCreatives { items: Vec::new() }));
            };
            team
        }
    };
    let role = state.db.role_in_team(team, principal.user_id).await?;
    authorize(role, &principal.scopes, Action::Read)?;
    let rows = state.db.recent_creatives(team, i64::from(limit)).await?;
    Ok(Json(RecentCreatives { items: rows.into_iter().map(CreativeView::from).collect() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_font_catalogue_is_read() {
        assert!(FONT_FAMILIES.len() >= 20, "{:?}", *FONT_FAMILIES);
        assert_eq!(catalog_family("inter"), Some("Inter"));
        assert_eq!(catalog_family(" EB garamond "), Some("EB Garamond"));
        assert_eq!(catalog_family("Noto Color Emoji"), None, "fallback families are not brand fonts");
        assert_eq!(catalog_family("Comic Sans MS"), None);
    }

    #[test]
    fn hex_colours_are_six_digits() {
        assert!(is_hex_color("#1a73E8"));
        for bad in ["1A73E8", "#1A73E", "#1A73E8FF", "#GGGGGG", "#12345é"] {
            assert!(!is_hex_color(bad), "{bad}");
        }
    }

    #[test]
    fn pages_know_whether_more_follow() {
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        let page = into_page(ids.clone(), 4, |id| *id, |id| id);
        assert_eq!(page.items, ids[..4]);
        assert_eq!(page.next_cursor, Some(ids[3].to_string()));
        let page = into_page(ids[..4].to_vec(), 4, |id| *id, |id| id);
        assert_eq!(page.next_cursor, None);
    }
}
