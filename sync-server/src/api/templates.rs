//! The template gallery (one item per layout archetype of gen-worker's bundled library), making
//! a creative from a template, and the font catalogue for the editor's font picker.
//!
//! The server never draws: template pictures are static files of the web app
//! (`/templates/{id}.png`, written by `cargo run -p gen-worker --example template_thumbnails`),
//! and fonts are listed from `assets/fonts/catalog.json` as data.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use editor_core::FormatPreset;
use gen_worker::template::{Archetype, Library, Query};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::content::{CreativeView, check_name, internal, store_creative, writer};
use crate::AppState;
use crate::auth::Principal;
use crate::authz::{Action, Scope};
use crate::db::now_ms;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::http::Problem;

/// This family's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_templates)).routes(routes!(use_template)).routes(routes!(list_fonts))
}

/// The bundled template library, loaded once (`$CREATIVEFLOW_ASSETS/templates` or the
/// repository's `assets/templates`).
static LIBRARY: LazyLock<Result<Library, String>> = LazyLock::new(|| {
    Library::bundled().map_err(|e| {
        tracing::error!(error = %e, "the template library does not load");
        e.to_string()
    })
});

fn library() -> Result<&'static Library, ApiError> {
    LIBRARY.as_ref().map_err(|e| ApiError::Internal(anyhow::anyhow!("template library: {e}")))
}

/// How far a preset's aspect ratio may be from one of an archetype's source designs for the
/// archetype to "fit it well" (a factor of 1.3: a square layout fits 4:5, a 9:16 one fits 2:3).
const FIT_FACTOR: f64 = 1.3;

/// Trending counts uses over this many days.
pub const TRENDING_DAYS: i64 = 14;

/// Most templates listed at once.
pub const MAX_TEMPLATES: u32 = 200;

/// The API's key of a preset: its serde name with dashes (`instagram-post`, `tiktok`).
pub fn preset_key(preset: FormatPreset) -> String {
    serde_json::to_value(preset).ok().and_then(|v| v.as_str().map(|s| s.replace('_', "-"))).unwrap_or_default()
}

/// The preset of an API key (dashes or underscores).
pub fn parse_preset(key: &str) -> Option<FormatPreset> {
    FormatPreset::ALL.into_iter().find(|p| preset_key(*p) == key.trim().to_ascii_lowercase().replace('_', "-"))
}

/// The presets an archetype fits well, in preset order.
fn platforms(a: &Archetype) -> Vec<String> {
    let ratio = |w: u32, h: u32| (f64::from(w) / f64::from(h)).ln();
    FormatPreset::ALL
        .into_iter()
        .filter(|p| {
            let f = p.format();
            let target = ratio(f.width, f.height);
            a.designs.iter().any(|d| (ratio(d.format.width, d.format.height) - target).abs() <= FIT_FACTOR.ln() + 1e-9)
        })
        .map(preset_key)
        .collect()
}

/// `GET /templates` query.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TemplateQuery {
    /// Free words, matched against names, layouts, tags and keywords.
    pub q: Option<String>,
    /// A preset key the template fits well, e.g. `instagram-story` (exact).
    pub platform: Option<String>,
    /// An industry tag, e.g. `fitness` (exact).
    pub industry: Option<String>,
    /// A style tag, e.g. `minimal` (exact).
    pub style: Option<String>,
    /// `relevance` (default), `trending` or `new`.
    pub sort: Option<TemplateSort>,
    /// How many, 1–200 (default: all).
    pub limit: Option<u32>,
}

/// The gallery's orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TemplateSort {
    /// The library's search ranking when `q` is given, else library order.
    #[default]
    Relevance,
    /// Most uses in the last 14 days first (ties in library order).
    Trending,
    /// Newest first (the library has no dates: reverse library order).
    New,
}

/// One template of the gallery: a layout archetype, usable at every preset.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateItem {
    /// The archetype id, e.g. `sale-poster-burst`.
    pub id: String,
    /// Gallery name.
    pub name: String,
    /// Layout family.
    pub layout: String,
    /// Industry tags.
    pub industries: Vec<String>,
    /// Style tags.
    pub styles: Vec<String>,
    /// Tones.
    pub tones: Vec<String>,
    /// Intents (`promote`, `announce` …).
    pub intents: Vec<String>,
    /// Preset keys it fits well (`instagram-post`, `instagram-story` …); it can be used at any
    /// preset.
    pub platforms: Vec<String>,
    /// Its picture at the square preset, a static file of the web app.
    pub thumbnail_url: String,
    /// Creatives made from it, all time.
    pub uses: i64,
    /// When it was added, ms since the epoch; 0 when unknown (the bundled library is undated).
    pub added: i64,
}

/// The values the filters take.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateFacets {
    /// Preset keys some template fits well.
    pub platforms: Vec<String>,
    /// Industry tags, sorted.
    pub industries: Vec<String>,
    /// Style tags, sorted.
    pub styles: Vec<String>,
}

/// `GET /templates`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateList {
    /// The matching templates in the asked order.
    pub items: Vec<TemplateItem>,
    /// Every filter value of the whole library.
    pub facets: TemplateFacets,
}

fn item(a: &Archetype, uses: &HashMap<String, i64>) -> TemplateItem {
    TemplateItem {
        id: a.id.clone(),
        name: a.name.clone(),
        layout: a.layout.clone(),
        industries: a.industries.clone(),
        styles: a.styles.clone(),
        tones: a.tones.iter().map(|t| t.as_str().to_owned()).collect(),
        intents: a.intents.iter().map(|i| i.as_str().to_owned()).collect(),
        platforms: platforms(a),
        thumbnail_url: format!("/templates/{}.png", a.id),
        uses: uses.get(&a.id).copied().unwrap_or(0),
        added: 0,
    }
}

fn facets(library: &Library) -> TemplateFacets {
    let fits: BTreeSet<String> = library.archetypes().iter().flat_map(platforms).collect();
    let platforms = FormatPreset::ALL.into_iter().map(preset_key).filter(|k| fits.contains(k)).collect();
    let industries: BTreeSet<&String> = library.archetypes().iter().flat_map(|a| &a.industries).collect();
    let styles: BTreeSet<&String> = library.archetypes().iter().flat_map(|a| &a.styles).collect();
    TemplateFacets {
        platforms,
        industries: industries.into_iter().cloned().collect(),
        styles: styles.into_iter().cloned().collect(),
    }
}

/// Archetype indexes matching the query, in relevance order.
fn matching(library: &Library, query: &TemplateQuery) -> Vec<usize> {
    let search = Query {
        text: query.q.clone().unwrap_or_default(),
        industry: query.industry.clone().filter(|s| !s.is_empty()),
        style: query.style.clone().filter(|s| !s.is_empty()),
        ..Query::default()
    };
    let platform = query.platform.as_deref().filter(|p| !p.is_empty());
    let mut seen = vec![false; library.archetypes().len()];
    let mut out = Vec::new();
    for t in library.search(&search) {
        if seen.get(t.archetype).copied().unwrap_or(true) {
            continue;
        }
        seen[t.archetype] = true;
        if platform.is_some_and(|p| !platforms(&library.archetypes()[t.archetype]).iter().any(|k| k == p)) {
            continue;
        }
        out.push(t.archetype);
    }
    out
}

/// The template gallery: one item per layout archetype, filtered (exact tags; an unknown value
/// matches nothing) and sorted.
#[utoipa::path(
    get,
    path = "/templates",
    tag = "templates",
    params(TemplateQuery),
    responses(
        (status = 200, body = TemplateList),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn list_templates(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<TemplateQuery>,
) -> Result<Json<TemplateList>, ApiError> {
    principal.require_scope(Scope::Read)?;
    let limit = query.limit.unwrap_or(MAX_TEMPLATES);
    if !(1..=MAX_TEMPLATES).contains(&limit) {
        return Err(ApiError::invalid("limit", format!("use 1 to {MAX_TEMPLATES}")));
    }
    if query.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::invalid("q", "at most 200 characters"));
    }
    let library = library()?;
    let uses = state.db.template_uses(0).await?;
    let mut found = matching(library, &query);
    match query.sort.unwrap_or_default() {
        TemplateSort::Relevance => {}
        TemplateSort::Trending => {
            let recent = state.db.template_uses(now_ms() - TRENDING_DAYS * 86_400_000).await?;
            let count = |i: &usize| recent.get(&library.archetypes()[*i].id).copied().unwrap_or(0);
            found.sort_by(|a, b| count(b).cmp(&count(a)).then(a.cmp(b)));
        }
        TemplateSort::New => found.sort_by(|a, b| b.cmp(a)),
    }
    let items = found
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(|i| item(&library.archetypes()[i], &uses))
        .collect();
    Ok(Json(TemplateList { items, facets: facets(library) }))
}

/// `POST /templates/{id}/use`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UseTemplateBody {
    /// The project to create the creative in.
    pub project_id: Uuid,
    /// The preset to lay it out for (`instagram-post` default, `instagram-story`, `tiktok` …).
    #[serde(default)]
    pub preset: Option<String>,
    /// The creative's name (default: the template's).
    #[serde(default)]
    pub name: Option<String>,
}

/// Makes a creative from a template: the archetype laid out for the preset (magic resize from
/// its closest source design), with its sample copy, ready to edit.
#[utoipa::path(
    post,
    path = "/templates/{id}/use",
    tag = "templates",
    params(("id" = String, Path, description = "The template (archetype id)")),
    request_body = UseTemplateBody,
    responses(
        (status = 201, body = CreativeView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn use_template(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UseTemplateBody>,
) -> Result<Response, ApiError> {
    principal.require_scope(Scope::Write)?;
    let library = library()?;
    let archetype = library.archetypes().iter().position(|a| a.id == id).ok_or(ApiError::NotFound)?;
    let preset = match body.preset.as_deref() {
        None => FormatPreset::InstagramPost,
        Some(p) => parse_preset(p).ok_or_else(|| {
            ApiError::invalid("preset", format!("{:?} is not a preset key", p.chars().take(40).collect::<String>()))
        })?,
    };
    let access = state.db.project_access(body.project_id, principal.user_id).await?;
    writer(&state, access, |p| p.deleted_at, &principal, Action::Edit)?;
    let template = library
        .templates()
        .iter()
        .find(|t| t.archetype == archetype && t.preset == preset)
        .ok_or(ApiError::NotFound)?;
    let name = check_name("name", body.name.as_deref().unwrap_or(&template.name))?;
    let archetype_id = library.archetypes()[archetype].id.clone();
    let thumbnail = Some(format!("template:{archetype_id}"));
    let make = move || {
        let mut design = library.design(template);
        design.name = name.clone();
        Ok((design, name))
    };
    let c = store_creative(&state, body.project_id, principal.user_id, thumbnail, make, internal).await?;
    state.db.record_template_use(&archetype_id, principal.user_id, c.id).await?;
    let location = format!("/api/v1/creatives/{}", c.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(CreativeView::from(c))).into_response())
}

/// One family of the font catalogue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FontItem {
    /// Family name as designs name it, e.g. `Inter`.
    pub family: String,
    /// `sans`, `serif`, `display`, `script` or `mono`.
    pub category: String,
    /// CSS weights shipped, ascending.
    pub weights: Vec<u16>,
}

/// `GET /fonts`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FontList {
    /// The design families, in catalogue order (fallback families for other scripts and emoji
    /// are not offered).
    pub items: Vec<FontItem>,
}

#[derive(Deserialize)]
struct Catalog {
    families: Vec<CatalogFamily>,
}

#[derive(Deserialize)]
struct CatalogFamily {
    family: String,
    category: String,
    styles: Vec<CatalogStyle>,
    #[serde(default)]
    fallback: bool,
}

#[derive(Deserialize)]
struct CatalogStyle {
    weight: u16,
}

/// The bundled catalogue's design families (the same file the renderer loads).
static FONTS: LazyLock<Vec<FontItem>> =
    LazyLock::new(|| match serde_json::from_str::<Catalog>(include_str!("../../../assets/fonts/catalog.json")) {
        Ok(catalog) => catalog
            .families
            .into_iter()
            .filter(|f| !f.fallback)
            .map(|f| {
                let mut weights: Vec<u16> = f.styles.iter().map(|s| s.weight).collect();
                weights.sort_unstable();
                weights.dedup();
                FontItem { family: f.family, category: f.category, weights }
            })
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "the bundled font catalogue does not parse");
            Vec::new()
        }
    });

/// The fonts the editor offers (data only; the browser loads the files).
#[utoipa::path(
    get,
    path = "/fonts",
    tag = "templates",
    responses(
        (status = 200, body = FontList),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn list_fonts(principal: Principal) -> Result<Json<FontList>, ApiError> {
    principal.require_scope(Scope::Read)?;
    Ok(Json(FontList { items: FONTS.clone() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preset_keys_round_trip() {
        assert_eq!(preset_key(FormatPreset::InstagramPost), "instagram-post");
        assert_eq!(preset_key(FormatPreset::LinkedinArticleCover), "linkedin-article-cover");
        for p in FormatPreset::ALL {
            assert_eq!(parse_preset(&preset_key(p)), Some(p));
        }
        assert_eq!(parse_preset("instagram_story"), Some(FormatPreset::InstagramStory));
        assert_eq!(parse_preset("myspace-banner"), None);
    }

    #[test]
    fn every_archetype_fits_the_square_post() {
        let library = library().unwrap();
        assert!(!library.archetypes().is_empty());
        for a in library.archetypes() {
            assert!(platforms(a).contains(&"instagram-post".to_owned()), "{}", a.id);
        }
    }

    #[test]
    fn fonts_are_listed_without_fallbacks() {
        assert!(FONTS.len() >= 20);
        assert!(FONTS.iter().any(|f| f.family == "Inter" && f.weights.contains(&700)));
        assert!(!FONTS.iter().any(|f| f.family.contains("Emoji")));
    }
}
