//! The worker protocol's server side (`/api/v1/worker/…`, see `gen_worker::protocol`): lease
//! by long polling, heartbeats, sample and output uploads, completion and failure reports, and
//! asset downloads. Workers authenticate with a worker token (`[generation] worker_tokens`, or
//! the embedded worker's own); they never see the database.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine as _;
use gen_worker::protocol::{Failure, JobInput, LeaseRequest, LeaseToken, LeasedJob, SampleRequest, SampleUpload};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::db::jobs::{FailOutcome, Job, Sample};
use crate::error::ApiError;
use crate::jobs;

/// Largest upload a worker may send (a 4K PNG final), bytes.
pub const MAX_WORKER_UPLOAD: usize = 96 * 1024 * 1024;

/// The worker routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/worker/lease", post(lease))
        .route("/api/v1/worker/jobs/{id}/heartbeat", post(heartbeat))
        .route("/api/v1/worker/jobs/{id}/samples/{index}", put(put_sample))
        .route("/api/v1/worker/jobs/{id}/output", put(put_output))
        .route("/api/v1/worker/jobs/{id}/complete", post(complete))
        .route("/api/v1/worker/jobs/{id}/fail", post(fail))
        .route("/api/v1/worker/assets/{sha256}", get(asset))
}

/// Whether a request path is a worker call (exempt from per-IP limits and the JSON body cap:
/// workers are authenticated and upload large files).
pub fn is_worker_path(path: &str) -> bool {
    path.starts_with("/api/v1/worker/")
}

/// A request carrying a valid worker token.
pub struct WorkerAuth;

impl FromRequestParts<AppState> for WorkerAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized("a worker token is required"))?;
        if state.queue.accepts(token, &state.config.generation.worker_tokens) {
            Ok(WorkerAuth)
        } else {
            Err(ApiError::Unauthorized("unknown worker token"))
        }
    }
}

fn lost_lease() -> Response {
    (StatusCode::CONFLICT, "the lease is no longer yours").into_response()
}

async fn lease(
    State(state): State<AppState>,
    _: WorkerAuth,
    Json(request): Json<LeaseRequest>,
) -> Result<Response, ApiError> {
    let cfg = &state.config.generation;
    let wait = Duration::from_millis(request.wait_ms.min(cfg.poll_max_ms).min(30_000));
    let deadline = tokio::time::Instant::now() + wait;
    let worker: String = request.worker.chars().take(100).collect();
    let notify = state.queue.notifier();
    loop {
        // Listen before looking, so work queued in between still wakes this call.
        let woken = notify.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let (job, dead) = state.db.lease_job(&worker, cfg.lease_ms as i64).await?;
        for d in &dead {
            jobs::job_died(&state, d, jobs::GAVE_UP).await;
        }
        if let Some(job) = job {
            match input_for(&state, &job).await? {
                Some(input) => {
                    let attempt = u32::try_from(job.attempts).unwrap_or(u32::MAX);
                    let leased = LeasedJob {
                        job_id: job.id.to_string(),
                        lease_token: job.lease_token.clone().unwrap_or_default(),
                        lease_ms: cfg.lease_ms,
                        attempt,
                        input,
                    };
                    return Ok(Json(leased).into_response());
                }
                None => {
                    // Its subject is gone or already ended: nothing to do.
                    if let Some(token) = &job.lease_token {
                        state.db.finish_job(job.id, token).await?;
                    }
                    continue;
                }
            }
        }
        let now = tokio::time::Instant::now();
        if now >= deadline || state.queue.is_stopping() {
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        // Woken by new work; otherwise look again now and then for lapsed leases and backoffs.
        let _ = tokio::time::timeout((deadline - now).min(Duration::from_millis(500)), woken).await;
    }
}

/// The worker's view of a leased job; `None` when its subject no longer needs work.
async fn input_for(state: &AppState, job: &Job) -> Result<Option<JobInput>, ApiError> {
    match job.kind.as_str() {
        "samples" => {
            let Some(g) = state.db.generation(job.subject_id).await? else { return Ok(None) };
            if !matches!(g.status.as_str(), "queued" | "running") {
                return Ok(None);
            }
            state.db.set_generation_status(g.id, &["queued"], "running", None).await?;
            let request: SampleRequest = serde_json::from_str(&g.request)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored request {}: {e}", g.id)))?;
            if job.attempts == 1 {
                let payload = serde_json::json!({"generation_id": g.id, "status": "running"});
                if state.db.notify(g.user_id, "generation_started", &payload).await.is_ok() {
                    state.events.wake([g.user_id]);
                }
            }
            Ok(Some(JobInput::Samples { generation_id: g.id.to_string(), request: Box::new(request) }))
        }
        "final" => {
            let Some(f) = state.db.final_render(job.subject_id).await? else { return Ok(None) };
            if !matches!(f.status.as_str(), "queued" | "running") {
                return Ok(None);
            }
            state.db.set_final_status(f.id, &["queued"], "running", None).await?;
            let Some(design) = state.db.final_design(&f).await? else { return Ok(None) };
            let design: serde_json::Value =
                serde_json::from_str(&design).map_err(|e| ApiError::Internal(anyhow::anyhow!("stored design: {e}")))?;
            let (w, h) = (
                design.pointer("/format/width").and_then(serde_json::Value::as_u64).unwrap_or(1080) as u32,
                design.pointer("/format/height").and_then(serde_json::Value::as_u64).unwrap_or(1080) as u32,
            );
            let (width, height) = gen_worker::protocol::final_pixels(&f.size, w, h)
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("unknown final size {}", f.size)))?;
            Ok(Some(JobInput::Final {
                final_id: f.id.to_string(),
                design,
                width,
                height,
                format: f.format.clone(),
                watermark: f.watermark != 0,
            }))
        }
        other => Err(ApiError::Internal(anyhow::anyhow!("unknown job kind {other}"))),
    }
}

async fn heartbeat(
    State(state): State<AppState>,
    _: WorkerAuth,
    Path(id): Path<Uuid>,
    Json(body): Json<LeaseToken>,
) -> Result<Response, ApiError> {
    if state.db.heartbeat_job(id, &body.lease_token, state.config.generation.lease_ms as i64).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Ok(lost_lease())
    }
}

async fn put_sample(
    State(state): State<AppState>,
    _: WorkerAuth,
    Path((id, index)): Path<(Uuid, i64)>,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_WORKER_UPLOAD)
        .await
        .map_err(|_| ApiError::PayloadTooLarge("the sample is too large".into()))?;
    let upload: SampleUpload =
        serde_json::from_slice(&bytes).map_err(|e| ApiError::BadRequest(format!("not a sample upload: {e}")))?;
    let Some(job) = state.db.leased_job(id, &upload.lease_token).await? else { return Ok(lost_lease()) };
    if job.kind != "samples" || !(0..4).contains(&index) {
        return Err(ApiError::invalid("index", "samples are numbered 0 to 3"));
    }
    let design = serde_json::to_vec(&upload.design).map_err(|e| ApiError::Internal(e.into()))?;
    editor_core::design_file::parse(&design).map_err(|e| ApiError::invalid("design", e.to_string()))?;
    let png = base64::engine::general_purpose::STANDARD
        .decode(upload.preview_png.as_bytes())
        .map_err(|_| ApiError::invalid("preview_png", "not base64"))?;
    if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(ApiError::invalid("preview_png", "not a PNG"));
    }
    let sha = crate::storage::sha256_hex(&png);
    state.assets.put(&sha, Bytes::from(png)).await.map_err(|e| ApiError::Internal(e.into()))?;
    let sample = Sample {
        idx: index,
        design: String::from_utf8_lossy(&design).into_owned(),
        preview_sha256: sha,
        template: upload.template.chars().take(200).collect(),
        palette: upload.palette.chars().take(200).collect(),
        fonts: upload.fonts.chars().take(200).collect(),
        created_at: 0,
    };
    if !state.db.put_sample(job.subject_id, &sample).await? {
        return Ok(lost_lease());
    }
    if let Some(g) = state.db.generation(job.subject_id).await? {
        let payload = serde_json::json!({
            "generation_id": g.id,
            "index": index,
            "preview": format!("/api/v1/generations/{}/samples/{index}/preview", g.id),
            "notes": upload.notes,
        });
        if state.db.notify(g.user_id, "sample_ready", &payload).await.is_ok() {
            state.events.wake([g.user_id]);
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `?lease_token=&width=&height=` of an output upload.
#[derive(Debug, Deserialize)]
struct OutputQuery {
    lease_token: String,
    width: u32,
    height: u32,
}

async fn put_output(
    State(state): State<AppState>,
    _: WorkerAuth,
    Path(id): Path<Uuid>,
    Query(q): Query<OutputQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let Some(job) = state.db.leased_job(id, &q.lease_token).await? else { return Ok(lost_lease()) };
    if job.kind != "final" {
        return Err(ApiError::BadRequest("this job makes samples, not a final".into()));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|t| ["image/png", "image/jpeg", "image/webp", "application/pdf", "image/svg+xml"].contains(t))
        .ok_or_else(|| ApiError::UnsupportedMediaType("finals are PNG, JPEG, WebP, PDF or SVG".into()))?
        .to_owned();
    let bytes = axum::body::to_bytes(body, MAX_WORKER_UPLOAD)
        .await
        .map_err(|_| ApiError::PayloadTooLarge("the final is too large".into()))?;
    let sha = crate::storage::sha256_hex(&bytes);
    let len = bytes.len() as i64;
    state.assets.put(&sha, bytes).await.map_err(|e| ApiError::Internal(e.into()))?;
    state.db.complete_final(job.subject_id, &sha, &content_type, i64::from(q.width), i64::from(q.height), len).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn complete(
    State(state): State<AppState>,
    _: WorkerAuth,
    Path(id): Path<Uuid>,
    Json(body): Json<LeaseToken>,
) -> Result<Response, ApiError> {
    let Some(job) = state.db.leased_job(id, &body.lease_token).await? else { return Ok(lost_lease()) };
    match job.kind.as_str() {
        "samples" => {
            let samples = state.db.samples(job.subject_id).await?;
            if samples.len() < gen_worker::synth::VARIATIONS {
                return Err(ApiError::Conflict(format!("{} of 4 samples were uploaded", samples.len())));
            }
            if !state.db.finish_job(id, &body.lease_token).await? {
                return Ok(lost_lease());
            }
            if state.db.set_generation_status(job.subject_id, &["queued", "running"], "succeeded", None).await?
                && let Some(g) = state.db.generation(job.subject_id).await?
            {
                jobs::generation_succeeded(&state, &g).await;
            }
        }
        _ => {
            let Some(f) = state.db.final_render(job.subject_id).await? else { return Err(ApiError::NotFound) };
            if f.status != "succeeded" {
                return Err(ApiError::Conflict("the final's file was not uploaded".into()));
            }
            if !state.db.finish_job(id, &body.lease_token).await? {
                return Ok(lost_lease());
            }
            jobs::final_succeeded(&state, &f).await;
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn fail(
    State(state): State<AppState>,
    _: WorkerAuth,
    Path(id): Path<Uuid>,
    Json(body): Json<Failure>,
) -> Result<Response, ApiError> {
    let Some(job) = state.db.leased_job(id, &body.lease_token).await? else { return Ok(lost_lease()) };
    let cfg = &state.config.generation;
    let backoff = (cfg.retry_base_ms as i64).saturating_mul(1 << (job.attempts.clamp(1, 10) - 1));
    let error: String = body.error.chars().take(500).collect();
    match state.db.fail_job(id, &body.lease_token, &error, body.retryable, backoff).await? {
        FailOutcome::NotYours => return Ok(lost_lease()),
        FailOutcome::Retrying => {
            tracing::warn!(job = %id, attempt = job.attempts, error, "generation job failed; retrying");
            state.queue.wake();
        }
        FailOutcome::Dead => {
            // A request that can never work is the user's to fix (say what is wrong); anything
            // else is ours.
            let message = if body.retryable { jobs::GAVE_UP.to_owned() } else { error };
            jobs::job_died(&state, &job, &message).await;
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn asset(State(state): State<AppState>, _: WorkerAuth, Path(sha): Path<String>) -> Result<Response, ApiError> {
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::NotFound);
    }
    match state.assets.get(&sha.to_ascii_lowercase()).await {
        Ok(bytes) => Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()),
        Err(object_store::Error::NotFound { .. }) => Err(ApiError::NotFound),
        Err(e) => Err(ApiError::Internal(e.into())),
    }
}
