//! Generations (REQ-007..009): ask for four designs, watch them arrive on the events socket,
//! pick one to open as a creative and/or render as a final at standard, HD or 4K size.
//!
//! Credits are held when a request is accepted (402 when the team's balance or plan falls
//! short), captured when the work succeeds and released when the system fails — a failed
//! generation costs nothing. The work runs on workers (`api::workers`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use editor_core::{BrandKit, Format, FormatPreset, design_file};
use gen_worker::copy::Tone;
use gen_worker::protocol::{LogoRef, SampleRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::content::{
    CreativeView, check_name, current_design_file, internal, into_page, page_bound, store_creative, writer,
};
use super::{Page, PageQuery};
use crate::AppState;
use crate::auth::Principal;
use crate::authz::{Action, Scope};
use crate::credits::{Charge, FinalSize};
use crate::db::jobs::{Final, Generation, NewFinal, NewGeneration};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::http::Problem;

/// The generation routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_generation, list_generations))
        .routes(routes!(get_generation))
        .routes(routes!(regenerate))
        .routes(routes!(cancel))
        .routes(routes!(sample_preview))
        .routes(routes!(sample_design))
        .routes(routes!(select_sample))
        .routes(routes!(get_final))
        .routes(routes!(download_final))
        .routes(routes!(export_creative))
}

/// Longest prompt, characters.
pub const MAX_PROMPT_CHARS: usize = gen_worker::copy::MAX_PROMPT_CHARS;
/// Most photos per request.
pub const MAX_PHOTOS: usize = 8;

/// `POST /generations`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGenerationBody {
    /// What the creative is about, in the creator's words (1–2000 characters).
    pub prompt: String,
    /// A format preset (`instagram_post`, `instagram_story`, `instagram_reel`, `facebook_post`,
    /// `facebook_ad`, `linkedin_post`, `linkedin_article_cover`, `x_post`, `tiktok`,
    /// `youtube_thumbnail`, `pinterest_pin`); default `instagram_post`.
    #[serde(default)]
    pub format: Option<String>,
    /// A custom canvas instead of a preset, px (both or neither).
    #[serde(default)]
    pub width: Option<u32>,
    /// A custom canvas instead of a preset, px.
    #[serde(default)]
    pub height: Option<u32>,
    /// The workbench whose brand kit to use (its team is charged); default: the caller's
    /// personal space.
    #[serde(default)]
    pub workbench_id: Option<Uuid>,
    /// `professional` (default), `friendly`, `playful`, `urgent`, `luxury`, `inspirational`.
    #[serde(default)]
    pub tone: Option<String>,
    /// Industry id, e.g. `fitness` (see `docs/palettes.md`).
    #[serde(default)]
    pub industry: Option<String>,
    /// Style: `minimal`, `bold`, `luxury`, `tech`, `lifestyle`, `playful`, `elegant`,
    /// `corporate`, `retro`.
    #[serde(default)]
    pub style: Option<String>,
    /// `en-US`, `es-ES`, `fr-FR`, `de-DE`; default: detected from the prompt.
    #[serde(default)]
    pub locale: Option<String>,
    /// Uploaded image assets of the same team to place in the designs (at most 8).
    #[serde(default)]
    pub photos: Vec<Uuid>,
    /// Same seed, same designs; default random.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Repeating a request with the same key returns the first one instead of a new one (the
    /// `Idempotency-Key` header works too).
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// One sample of a generation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SampleView {
    /// 0–3.
    pub index: i64,
    /// The 512 px PNG preview.
    pub preview_url: String,
    /// The design file.
    pub design_url: String,
    /// The template it was laid out from.
    pub template: String,
    /// The palette.
    pub palette: String,
    /// The font pairing.
    pub fonts: String,
}

/// A generation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GenerationView {
    /// Its id.
    pub id: Uuid,
    /// `queued`, `running`, `succeeded`, `failed` or `canceled`.
    pub status: String,
    /// What went wrong, in plain words, when failed; nothing was charged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The prompt.
    pub prompt: String,
    /// Canvas width, px.
    pub width: u32,
    /// Canvas height, px.
    pub height: u32,
    /// The seed (regenerate uses the next one).
    pub seed: u64,
    /// The samples that are ready so far (four when succeeded).
    pub samples: Vec<SampleView>,
    /// The generation this one regenerates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// Asked, ms since the epoch.
    pub created_at: i64,
    /// Ended, ms since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<i64>,
}

/// A final render.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FinalView {
    /// Its id.
    pub id: Uuid,
    /// The generation, for a final of a sample; `null` for a creative export.
    pub generation_id: Option<Uuid>,
    /// The sample rendered (0 for a creative export).
    pub sample_index: i64,
    /// The creative, for a creative export; `null` for a final of a sample.
    pub creative_id: Option<Uuid>,
    /// `standard`, `hd` or `uhd4k`.
    pub size: String,
    /// `png`, `jpeg`, `webp`, `pdf` or `svg`.
    pub format: String,
    /// Whether the Free plan's mark is stamped on it.
    pub watermark: bool,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub status: String,
    /// What went wrong, when failed; nothing was charged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The file, once succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
    /// Pixel width, once succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<i64>,
    /// Pixel height, once succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<i64>,
    /// File size, once succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byte_size: Option<i64>,
}

impl From<Final> for FinalView {
    fn from(f: Final) -> Self {
        let done = f.status == "succeeded";
        FinalView {
            id: f.id,
            generation_id: f.generation_id.as_deref().and_then(|g| Uuid::parse_str(g).ok()),
            sample_index: f.sample_idx,
            creative_id: f.creative_id.as_deref().and_then(|c| Uuid::parse_str(c).ok()),
            download_url: done.then(|| format!("/api/v1/finals/{}/download", f.id)),
            size: f.size,
            format: f.format,
            watermark: f.watermark != 0,
            status: f.status,
            error: f.error,
            width: if done { f.width } else { None },
            height: if done { f.height } else { None },
            byte_size: if done { f.byte_size } else { None },
        }
    }
}

/// `POST /generations/{id}/samples/{index}/select`: open it as a creative and/or render a
/// final.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectBody {
    /// Create an editable creative in this project.
    #[serde(default)]
    pub project_id: Option<Uuid>,
    /// The creative's name (default: the headline).
    #[serde(default)]
    pub name: Option<String>,
    /// Queue a final render.
    #[serde(default, rename = "final")]
    pub final_render: Option<FinalRequest>,
}

/// A final's size and format.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinalRequest {
    /// `standard` (1080 px on the short side), `hd` (2160 on the short side) or `uhd4k`
    /// (3840 on the long side, at least HD).
    pub size: FinalSize,
    /// `png`, `jpeg`, `webp`, `pdf` or `svg`.
    pub format: String,
}

/// What a selection made.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SelectView {
    /// The new creative.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creative: Option<CreativeView>,
    /// The queued final.
    #[serde(rename = "final", skip_serializing_if = "Option::is_none")]
    pub final_render: Option<FinalView>,
}

/// The request as stored and handed to workers.
fn stored_request(g: &Generation) -> Result<SampleRequest, ApiError> {
    serde_json::from_str(&g.request).map_err(internal)
}

fn view(g: Generation, samples: Vec<crate::db::jobs::Sample>) -> Result<GenerationView, ApiError> {
    let request = stored_request(&g)?;
    let id = g.id;
    Ok(GenerationView {
        id,
        status: g.status,
        error: g.error,
        prompt: request.prompt,
        width: request.format.width,
        height: request.format.height,
        seed: request.seed,
        samples: samples
            .into_iter()
            .map(|s| SampleView {
                index: s.idx,
                preview_url: format!("/api/v1/generations/{id}/samples/{}/preview", s.idx),
                design_url: format!("/api/v1/generations/{id}/samples/{}/design", s.idx),
                template: s.template,
                palette: s.palette,
                fonts: s.fonts,
            })
            .collect(),
        parent_id: g.parent_id,
        created_at: g.created_at,
        completed_at: g.completed_at,
    })
}

/// The caller's own generation (others' are 404).
async fn own(state: &AppState, principal: &Principal, id: Uuid) -> Result<Generation, ApiError> {
    state.db.generation(id).await?.filter(|g| g.user_id == principal.user_id).ok_or(ApiError::NotFound)
}

fn parse_format(body: &NewGenerationBody) -> Result<Format, ApiError> {
    match (body.width, body.height) {
        (Some(w), Some(h)) => {
            if body.format.is_some() {
                return Err(ApiError::invalid("format", "give a preset or a width and height, not both"));
            }
            Format::custom(w, h).map_err(|e| ApiError::invalid("width", e.to_string()))
        }
        (None, None) => {
            let key = body.format.as_deref().unwrap_or("instagram_post");
            FormatPreset::ALL
                .into_iter()
                .find(|p| serde_json::to_value(p).ok().and_then(|v| v.as_str().map(|s| s == key)).unwrap_or(false))
                .map(FormatPreset::format)
                .ok_or_else(|| ApiError::invalid("format", format!("{key:?} is not a format preset")))
        }
        _ => Err(ApiError::invalid("width", "give both width and height")),
    }
}

fn today() -> (i32, u8, u8) {
    let (y, m, d) = crate::db::civil_date(crate::db::now_ms());
    (i32::try_from(y).unwrap_or(2026), u8::try_from(m).unwrap_or(1), u8::try_from(d).unwrap_or(1))
}

/// Checks a request and works out its team and stored form.
async fn prepare(
    state: &AppState,
    principal: &Principal,
    body: &NewGenerationBody,
) -> Result<(Uuid, Option<Uuid>, SampleRequest), ApiError> {
    let prompt = body.prompt.trim();
    if prompt.is_empty() {
        return Err(ApiError::invalid("prompt", "describe the creative in a few words"));
    }
    if prompt.chars().count() > MAX_PROMPT_CHARS {
        return Err(ApiError::invalid("prompt", format!("at most {MAX_PROMPT_CHARS} characters")));
    }
    let format = parse_format(body)?;
    let tone = match body.tone.as_deref() {
        None => Tone::default(),
        Some(t) => Tone::parse(t).ok_or_else(|| ApiError::invalid("tone", format!("unknown tone {t:?}")))?,
    };
    let industry = body.industry.clone().unwrap_or_default();
    if !industry.is_empty() && !gen_worker::palette::industries().contains(&industry.as_str()) {
        return Err(ApiError::invalid("industry", format!("unknown industry {industry:?}")));
    }
    let style = body.style.clone().unwrap_or_default();
    if !style.is_empty() && !gen_worker::typography::STYLES.contains(&style.as_str()) {
        return Err(ApiError::invalid("style", format!("unknown style {style:?}")));
    }
    if let Some(l) = &body.locale
        && gen_worker::locale::Locale::parse(l).is_none()
    {
        return Err(ApiError::invalid("locale", "one of en-US, es-ES, fr-FR, de-DE"));
    }
    if body.photos.len() > MAX_PHOTOS {
        return Err(ApiError::invalid("photos", format!("at most {MAX_PHOTOS}")));
    }
    let (team, workbench, brand) = match body.workbench_id {
        Some(w) => {
            let access = state.db.workbench_access(w, principal.user_id).await?;
            let access = writer(state, access, |w| w.deleted_at, principal, Action::Edit)?;
            let brand: Option<BrandKit> = serde_json::from_str(&access.item.brand_kit).ok();
            (access.team_id, Some(w), brand)
        }
        None => {
            principal.require_verified_or_grace(state.config.auth.verification_grace_hours)?;
            let user = state.db.user_by_id(principal.user_id).await?.ok_or(ApiError::Unauthorized("no account"))?;
            let team = user.personal_team_id.as_deref().and_then(|t| Uuid::parse_str(t).ok()).ok_or_else(|| {
                ApiError::invalid("workbench_id", "this account has no personal space; name a workbench")
            })?;
            (team, None, None)
        }
    };
    let mut photos = Vec::new();
    for id in &body.photos {
        let asset = state
            .db
            .asset_access(*id, principal.user_id)
            .await?
            .filter(|a| a.team_id == team)
            .ok_or_else(|| ApiError::invalid("photos", format!("{id} is not an asset of this team")))?;
        if !asset.item.content_type.starts_with("image/") || asset.item.content_type == "image/svg+xml" {
            return Err(ApiError::invalid("photos", format!("{id} is not a photo")));
        }
        photos.push(asset.item.sha256);
    }
    let mut logo = None;
    if let Some(kit) = &brand
        && let Some(first) = kit.logos.first()
        && let Some(asset) = state.db.asset_by_hash(team, first.as_str()).await?
    {
        let svg = asset.content_type == "image/svg+xml";
        let (w, h) = (asset.width.unwrap_or(0) as f64, asset.height.unwrap_or(0) as f64);
        let (w, h) = if w > 0.0 && h > 0.0 { (w, h) } else { (200.0, 80.0) };
        logo = Some(LogoRef { asset: asset.sha256, svg, width: w, height: h });
    }
    let seed = body.seed.unwrap_or_else(|| {
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).map_or_else(|_| crate::db::now_ms() as u64, |()| u64::from_le_bytes(b) >> 11)
    });
    let request = SampleRequest {
        prompt: prompt.to_owned(),
        format,
        locale: body.locale.clone(),
        tone,
        industry,
        style,
        seed,
        today: today(),
        brand,
        logo,
        photos,
    };
    Ok((team, workbench, request))
}

/// Holds the credits and stores the generation; releases the hold if storing fails.
async fn enqueue(
    state: &AppState,
    principal: &Principal,
    team: Uuid,
    workbench: Option<Uuid>,
    parent: Option<Uuid>,
    request: &SampleRequest,
    key: Option<&str>,
) -> Result<Generation, ApiError> {
    let id = Uuid::now_v7();
    let via_api = principal.api_key_id.is_some();
    let hold = state.db.hold_credits(team, principal.user_id, Charge::Sample, id, via_api, &state.plans).await?;
    let text = serde_json::to_string(request).map_err(internal)?;
    let new = NewGeneration {
        id,
        user_id: principal.user_id,
        team_id: team,
        workbench_id: workbench,
        parent_id: parent,
        request: &text,
        idempotency_key: key,
        via_api_key: via_api,
        hold_id: hold,
        max_attempts: i64::from(state.config.generation.max_attempts.max(1)),
    };
    match state.db.create_generation(&new).await {
        Ok(g) => {
            state.queue.wake();
            Ok(g)
        }
        Err(e) => {
            if let Some(h) = hold {
                let _ = state.db.release_hold(h).await;
            }
            Err(e.into())
        }
    }
}

fn accepted(view: GenerationView) -> Response {
    let location = format!("/api/v1/generations/{}", view.id);
    (StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(view)).into_response()
}

/// Asks for four designs. Answers 202 at once; `sample_ready` events arrive on the events
/// socket as each preview is ready, then `generation_completed` (or `generation_failed`, with
/// nothing charged).
#[utoipa::path(
    post,
    path = "/generations",
    tag = "generations",
    request_body = NewGenerationBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses(
        (status = 202, body = GenerationView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 402, body = Problem, content_type = "application/problem+json", description = "Not enough credits, with an upgrade hint"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn create_generation(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewGenerationBody>,
) -> Result<Response, ApiError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| body.idempotency_key.clone())
        .filter(|k| !k.trim().is_empty());
    if let Some(k) = &key {
        if k.chars().count() > 200 {
            return Err(ApiError::invalid("idempotency_key", "at most 200 characters"));
        }
        if let Some(g) = state.db.generation_by_key(principal.user_id, k).await? {
            let samples = state.db.samples(g.id).await?;
            return Ok(accepted(view(g, samples)?));
        }
    }
    principal.require_scope(Scope::Write)?;
    let (team, workbench, request) = prepare(&state, &principal, &body).await?;
    let g = match enqueue(&state, &principal, team, workbench, None, &request, key.as_deref()).await {
        // Two requests with one key raced: the other one won.
        Err(ApiError::Conflict(_)) if key.is_some() => {
            let k = key.as_deref().unwrap_or_default();
            state.db.generation_by_key(principal.user_id, k).await?.ok_or(ApiError::NotFound)?
        }
        other => other?,
    };
    Ok(accepted(view(g, Vec::new())?))
}

/// The caller's generations, newest first.
#[utoipa::path(
    get,
    path = "/generations",
    tag = "generations",
    params(PageQuery),
    responses(
        (status = 200, body = Page<GenerationView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn list_generations(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<GenerationView>>, ApiError> {
    let before = page_bound(&page)?;
    let rows = state.db.list_generations(principal.user_id, &before, page.limit() + 1).await?;
    let mut views = Vec::new();
    let page_rows = into_page(rows, page.limit(), |g| g.id, |g| g);
    for g in page_rows.items {
        let samples = state.db.samples(g.id).await?;
        views.push(view(g, samples)?);
    }
    Ok(Json(Page { items: views, next_cursor: page_rows.next_cursor }))
}

/// A generation with the samples ready so far.
#[utoipa::path(
    get,
    path = "/generations/{id}",
    tag = "generations",
    params(("id" = Uuid, Path, description = "The generation")),
    responses(
        (status = 200, body = GenerationView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn get_generation(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<GenerationView>, ApiError> {
    let g = own(&state, &principal, id).await?;
    let samples = state.db.samples(g.id).await?;
    Ok(Json(view(g, samples)?))
}

/// Four new designs for the same request (the next seed); charged like a new request.
#[utoipa::path(
    post,
    path = "/generations/{id}/regenerate",
    tag = "generations",
    params(("id" = Uuid, Path, description = "The generation")),
    responses(
        (status = 202, body = GenerationView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 402, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn regenerate(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    principal.require_scope(Scope::Write)?;
    let g = own(&state, &principal, id).await?;
    let mut request = stored_request(&g)?;
    request.seed = request.seed.wrapping_add(1);
    request.today = today();
    let workbench = g.workbench_id.as_deref().and_then(|w| Uuid::parse_str(w).ok());
    let new = enqueue(&state, &principal, g.team_id, workbench, Some(g.id), &request, None).await?;
    Ok(accepted(view(new, Vec::new())?))
}

/// Stops a generation that has not finished; its credits are released.
#[utoipa::path(
    post,
    path = "/generations/{id}/cancel",
    tag = "generations",
    params(("id" = Uuid, Path, description = "The generation")),
    responses(
        (status = 200, body = GenerationView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "It already ended")
    ),
    security(("bearer" = []))
)]
async fn cancel(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<GenerationView>, ApiError> {
    let g = own(&state, &principal, id).await?;
    if !state.db.set_generation_status(g.id, &["queued", "running"], "canceled", None).await? {
        return Err(ApiError::Conflict(format!("the generation already {}", g.status)));
    }
    state.db.cancel_jobs(g.id).await?;
    if let Some(hold) = g.hold_id.as_deref().and_then(|h| Uuid::parse_str(h).ok()) {
        state.db.release_hold(hold).await?;
    }
    let g = own(&state, &principal, id).await?;
    let samples = state.db.samples(g.id).await?;
    Ok(Json(view(g, samples)?))
}

async fn sample_of(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    index: i64,
) -> Result<(Generation, crate::db::jobs::Sample), ApiError> {
    let g = own(state, principal, id).await?;
    let sample = state.db.samples(g.id).await?.into_iter().find(|s| s.idx == index).ok_or(ApiError::NotFound)?;
    Ok((g, sample))
}

/// A sample's 512 px PNG preview.
#[utoipa::path(
    get,
    path = "/generations/{id}/samples/{index}/preview",
    tag = "generations",
    params(("id" = Uuid, Path, description = "The generation"), ("index" = i64, Path, description = "0–3")),
    responses(
        (status = 200, content_type = "image/png", description = "The preview"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn sample_preview(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((id, index)): ApiPath<(Uuid, i64)>,
) -> Result<Response, ApiError> {
    let (_, sample) = sample_of(&state, &principal, id, index).await?;
    let bytes = state.assets.get(&sample.preview_sha256).await.map_err(internal)?;
    Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "private, max-age=31536000, immutable")], bytes)
        .into_response())
}

/// A sample's design file.
#[utoipa::path(
    get,
    path = "/generations/{id}/samples/{index}/design",
    tag = "generations",
    params(("id" = Uuid, Path, description = "The generation"), ("index" = i64, Path, description = "0–3")),
    responses(
        (status = 200, content_type = "application/json", description = "The design file"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn sample_design(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((id, index)): ApiPath<(Uuid, i64)>,
) -> Result<Response, ApiError> {
    let (_, sample) = sample_of(&state, &principal, id, index).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], sample.design).into_response())
}

/// Picks a sample: opens it as an editable creative in a project and/or queues a final render
/// (charged by size and plan; 402 when the plan does not export that size or credits are short).
#[utoipa::path(
    post,
    path = "/generations/{id}/samples/{index}/select",
    tag = "generations",
    params(("id" = Uuid, Path, description = "The generation"), ("index" = i64, Path, description = "0–3")),
    request_body = SelectBody,
    responses(
        (status = 200, body = SelectView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 402, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn select_sample(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((id, index)): ApiPath<(Uuid, i64)>,
    ApiJson(body): ApiJson<SelectBody>,
) -> Result<Json<SelectView>, ApiError> {
    principal.require_scope(Scope::Write)?;
    let (g, sample) = sample_of(&state, &principal, id, index).await?;
    if body.project_id.is_none() && body.final_render.is_none() {
        return Err(ApiError::invalid("project_id", "name a project, a final, or both"));
    }
    let format = body.final_render.as_ref().map(|f| f.format.to_ascii_lowercase());
    if let Some(f) = &format
        && !FINAL_FORMATS.contains(&f.as_str())
    {
        return Err(ApiError::invalid("final", "format is png, jpeg, webp, pdf or svg"));
    }
    let mut creative = None;
    if let Some(project) = body.project_id {
        let access = state.db.project_access(project, principal.user_id).await?;
        writer(&state, access, |p| p.deleted_at, &principal, Action::Edit)?;
        let design_text = sample.design.clone();
        let given = body.name.clone();
        let make = move || -> Result<_, ApiError> {
            let design = design_file::parse(design_text.as_bytes()).map_err(internal)?;
            let name = check_name("name", given.as_deref().unwrap_or(&design.name))?;
            Ok((design, name))
        };
        let thumbnail = Some(format!("sample:{}", sample.preview_sha256));
        let c = store_creative(&state, project, principal.user_id, thumbnail, make, internal).await?;
        creative = Some(CreativeView::from(c));
    }
    let mut final_view = None;
    if let (Some(req), Some(format)) = (&body.final_render, format) {
        let what = FinalOf { generation_id: Some(g.id), sample_idx: sample.idx, creative_id: None, design: None };
        final_view = Some(FinalView::from(queue_final(&state, &principal, g.team_id, what, req.size, &format).await?));
    }
    Ok(Json(SelectView { creative, final_render: final_view }))
}

/// What a final renders: a generation's sample, or a creative's document.
struct FinalOf<'a> {
    generation_id: Option<Uuid>,
    sample_idx: i64,
    creative_id: Option<Uuid>,
    design: Option<&'a str>,
}

/// The output formats of finals.
const FINAL_FORMATS: [&str; 5] = ["png", "jpeg", "webp", "pdf", "svg"];

/// Holds the credits of a final for `team` (402 when the plan does not export that size or
/// credits are short), stores it and queues its job; the hold is released if storing fails.
async fn queue_final(
    state: &AppState,
    principal: &Principal,
    team: Uuid,
    what: FinalOf<'_>,
    size: FinalSize,
    format: &str,
) -> Result<Final, ApiError> {
    let plan = state.db.team_plan(team, &state.plans).await?;
    let final_id = Uuid::now_v7();
    let via_api = principal.api_key_id.is_some();
    let hold =
        state.db.hold_credits(team, principal.user_id, Charge::Final(size), final_id, via_api, &state.plans).await?;
    let new = NewFinal {
        id: final_id,
        generation_id: what.generation_id,
        sample_idx: what.sample_idx,
        creative_id: what.creative_id,
        design: what.design,
        user_id: principal.user_id,
        team_id: team,
        size: size.as_str(),
        format,
        watermark: plan.watermark,
        hold_id: hold,
        max_attempts: i64::from(state.config.generation.max_attempts.max(1)),
    };
    match state.db.create_final(&new).await {
        Ok(f) => {
            state.queue.wake();
            Ok(f)
        }
        Err(e) => {
            if let Some(h) = hold {
                let _ = state.db.release_hold(h).await;
            }
            Err(e.into())
        }
    }
}

/// Renders a creative's current document (what the editor shows now: the newest snapshot and
/// every edit since) as a final, through the same queue, credits and workers as finals of
/// samples: charged by size and plan (402 when the plan does not export that size or credits
/// are short; the Free plan's mark is stamped). Answers 202; `final_ready` (or `final_failed`,
/// with nothing charged) arrives on the events socket.
#[utoipa::path(
    post,
    path = "/creatives/{id}/exports",
    tag = "creatives",
    params(("id" = Uuid, Path, description = "The creative")),
    request_body = FinalRequest,
    responses(
        (status = 202, body = FinalView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 402, body = Problem, content_type = "application/problem+json", description = "The plan does not export that size, or credits are short"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn export_creative(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<FinalRequest>,
) -> Result<Response, ApiError> {
    principal.require_scope(Scope::Write)?;
    let format = body.format.to_ascii_lowercase();
    if !FINAL_FORMATS.contains(&format.as_str()) {
        return Err(ApiError::invalid("format", "format is png, jpeg, webp, pdf or svg"));
    }
    let access = state.db.creative_access(id, principal.user_id).await?;
    let access = writer(&state, access, |c| c.deleted_at, &principal, Action::Edit)?;
    let design = current_design_file(&state, id).await?;
    let what = FinalOf { generation_id: None, sample_idx: 0, creative_id: Some(id), design: Some(&design) };
    let f = queue_final(&state, &principal, access.team_id, what, body.size, &format).await?;
    let location = format!("/api/v1/finals/{}", f.id);
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(FinalView::from(f))).into_response())
}

async fn own_final(state: &AppState, principal: &Principal, id: Uuid) -> Result<Final, ApiError> {
    state.db.final_render(id).await?.filter(|f| f.user_id == principal.user_id).ok_or(ApiError::NotFound)
}

/// A final render.
#[utoipa::path(
    get,
    path = "/finals/{id}",
    tag = "generations",
    params(("id" = Uuid, Path, description = "The final")),
    responses(
        (status = 200, body = FinalView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn get_final(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<FinalView>, ApiError> {
    Ok(Json(own_final(&state, &principal, id).await?.into()))
}

/// A final's file (404 until it succeeded).
#[utoipa::path(
    get,
    path = "/finals/{id}/download",
    tag = "generations",
    params(("id" = Uuid, Path, description = "The final")),
    responses(
        (status = 200, description = "The file (PNG, JPEG, WebP, PDF or SVG)"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn download_final(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let f = own_final(&state, &principal, id).await?;
    let (Some(sha), Some(content_type)) = (f.output_sha256.as_deref(), f.content_type.clone()) else {
        return Err(ApiError::NotFound);
    };
    let bytes = state.assets.get(sha).await.map_err(internal)?;
    let disposition = format!(
        "attachment; filename=\"creativeflow-{}.{}\"",
        f.id,
        if f.format == "jpeg" { "jpg" } else { &f.format }
    );
    Ok(([(header::CONTENT_TYPE, content_type), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}
