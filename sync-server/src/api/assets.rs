//! Uploaded assets (tag `assets`): raster images a team uses in its designs and brand kits.
//!
//! An upload is the raw bytes as the request body. The type is sniffed from the bytes (never
//! taken from the client's headers or the file name): PNG, JPEG, WebP or GIF; SVG and anything
//! else is refused. The size is capped by `storage.max_upload_bytes` while reading, and the image
//! is decoded on the blocking pool under `image::Limits` (16384 px a side, at most
//! `storage.max_image_pixels`), so a decompression bomb is refused from its header alone.
//! Assets are content-addressed: the bytes are stored once under their SHA-256, and uploading
//! the same bytes to the same team again returns the existing asset.

use std::io::Cursor;
use std::pin::Pin;

use axum::Json;
use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use image::{DynamicImage, ImageDecoder as _, ImageFormat, ImageReader, Limits};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::api::content::{into_page, page_bound};
use crate::api::{Page, PageQuery};
use crate::auth::Principal;
use crate::authz::{Action, authorize};
use crate::db::assets::{Asset, NewAsset, Stored};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::http::Problem;
use crate::storage::sha256_hex;

/// This family's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_assets, upload_asset))
        .routes(routes!(get_asset, delete_asset))
        .routes(routes!(asset_content))
}

/// Whether a request is an upload (`POST /api/v1/teams/{team_id}/assets`). Uploads are exempt
/// from the server-wide body limit: [`upload_asset`] enforces `storage.max_upload_bytes` itself
/// while it reads.
pub fn is_upload(method: &Method, path: &str) -> bool {
    method == Method::POST
        && path
            .strip_prefix("/api/v1/teams/")
            .and_then(|rest| rest.strip_suffix("/assets"))
            .is_some_and(|team| !team.is_empty() && !team.contains('/'))
}

/// Largest image side accepted, px.
pub const MAX_IMAGE_SIDE: u32 = 16_384;

/// The types accepted, as sniffed from the first bytes.
pub const ACCEPTED_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/webp", "image/gif"];

/// Decodes running at once: each may hold a large pixel buffer.
static DECODES: Semaphore = Semaphore::const_new(2);

/// An uploaded file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssetView {
    /// Id.
    pub id: Uuid,
    /// The owning team.
    pub team_id: Uuid,
    /// Lower-case hex SHA-256 of the bytes (also the asset id that designs use in image layers).
    pub sha256: String,
    /// The sniffed media type.
    pub content_type: String,
    /// Size, bytes.
    pub byte_size: i64,
    /// Width, px.
    pub width: Option<i64>,
    /// Height, px.
    pub height: Option<i64>,
    /// The name it was uploaded under.
    pub filename: String,
    /// Uploaded, ms since the Unix epoch (UTC).
    pub created_at: i64,
}

impl From<Asset> for AssetView {
    fn from(a: Asset) -> AssetView {
        AssetView {
            id: a.id,
            team_id: a.team_id,
            sha256: a.sha256,
            content_type: a.content_type,
            byte_size: a.byte_size,
            width: a.width,
            height: a.height,
            filename: a.filename,
            created_at: a.created_at,
        }
    }
}

/// `?filename=` on uploads.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name, for people (default `upload.<ext>`); any folder part is dropped.
    pub filename: Option<String>,
}

/// The media type and decoder for bytes, from their signature.
fn sniff(bytes: &[u8]) -> Option<(&'static str, ImageFormat)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", ImageFormat::Png))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", ImageFormat::Jpeg))
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(("image/gif", ImageFormat::Gif))
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some(("image/webp", ImageFormat::WebP))
    } else {
        None
    }
}

fn too_large(max: u64) -> ApiError {
    ApiError::PayloadTooLarge(format!("uploads may be at most {max} bytes"))
}

fn internal(e: impl Into<anyhow::Error>) -> ApiError {
    ApiError::Internal(e.into())
}

/// Reads the body, refusing it as soon as it passes `max` bytes.
async fn read_capped(headers: &HeaderMap, mut body: Body, max: u64) -> Result<Bytes, ApiError> {
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max) {
        return Err(too_large(max));
    }
    let mut buf = Vec::with_capacity(declared.map_or(0, |len| usize::try_from(len).unwrap_or(0)));
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| ApiError::BadRequest(format!("the upload was cut short: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if u64::try_from(buf.len() + data.len()).unwrap_or(u64::MAX) > max {
                return Err(too_large(max));
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(buf))
}

/// Decodes an image under limits; its (width, height). The header is checked before any pixel
/// buffer is allocated.
fn decode(bytes: &[u8], format: ImageFormat, max_pixels: u64) -> Result<(u32, u32), ApiError> {
    let bomb = || ApiError::invalid("body", "image too large to decode");
    let failed = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => bomb(),
        e => ApiError::invalid("body", format!("the image could not be decoded: {e}")),
    };
    // Room for the largest allowed image at 16-bit RGBA, the widest layout the decoders produce.
    let max_alloc = max_pixels.saturating_mul(8).min(1 << 30);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(max_alloc);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let decoder = reader.into_decoder().map_err(failed)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > max_pixels || decoder.total_bytes() > max_alloc {
        return Err(bomb());
    }
    DynamicImage::from_decoder(decoder).map_err(failed)?;
    Ok((width, height))
}

/// The name to keep: the last path segment, trimmed, 1–255 characters without control
/// characters; `upload.<ext>` when none is given.
fn check_filename(given: Option<&str>, content_type: &str) -> Result<String, ApiError> {
    let Some(given) = given else {
        let ext = content_type.strip_prefix("image/").unwrap_or("bin");
        return Ok(format!("upload.{ext}"));
    };
    let name = given.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let chars = name.chars().count();
    if chars == 0 || chars > 255 || name.chars().any(char::is_control) || name == "." || name == ".." {
        return Err(ApiError::invalid("filename", "use 1 to 255 characters, without control characters"));
    }
    Ok(name.to_owned())
}

/// Uploads an image: the raw bytes are the body. Returns the existing asset (200) when the
/// team already has these bytes, a new one (201) otherwise.
#[utoipa::path(
    post,
    path = "/teams/{id}/assets",
    tag = "assets",
    params(("id" = Uuid, Path, description = "The team"), UploadQuery),
    request_body(
        description = "The file's bytes (PNG, JPEG, WebP or GIF; the type is read from the bytes)",
        content(("application/octet-stream"), ("image/png"), ("image/jpeg"), ("image/webp"), ("image/gif"))
    ),
    responses(
        (status = 200, description = "The team already had these bytes", body = AssetView),
        (status = 201, description = "Stored", body = AssetView),
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
async fn upload_asset(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(team_id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let role = state.db.role_in_team(team_id, principal.user_id).await?;
    authorize(role, &principal.scopes, Action::Edit)?;
    principal.require_verified_or_grace(state.config.auth.verification_grace_hours)?;
    let bytes = read_capped(&headers, body, state.config.storage.max_upload_bytes).await?;
    if bytes.is_empty() {
        return Err(ApiError::invalid("body", "the upload is empty"));
    }
    let (content_type, format) = sniff(&bytes).ok_or_else(|| {
        ApiError::UnsupportedMediaType(format!(
            "uploads must be images of one of these types (read from the bytes): {}",
            ACCEPTED_TYPES.join(", ")
        ))
    })?;
    let filename = check_filename(query.filename.as_deref(), content_type)?;
    let hashed = bytes.clone();
    let sha256 = tokio::task::spawn_blocking(move || sha256_hex(&hashed)).await.map_err(internal)?;
    // The team already has these bytes: they were checked when first uploaded.
    if let Some(existing) = state.db.asset_by_hash(team_id, &sha256).await?
        && existing.deleted_at.is_none()
    {
        return Ok((StatusCode::OK, Json(AssetView::from(existing))).into_response());
    }
    let max_pixels = state.config.storage.max_image_pixels;
    let permit = DECODES.acquire().await.map_err(internal)?;
    let decoded = bytes.clone();
    let (width, height) =
        tokio::task::spawn_blocking(move || decode(&decoded, format, max_pixels)).await.map_err(internal)??;
    drop(permit);
    let byte_size = i64::try_from(bytes.len()).map_err(internal)?;
    state.assets.put(&sha256, bytes).await.map_err(internal)?;
    let new = NewAsset {
        team_id,
        sha256: &sha256,
        content_type,
        byte_size,
        width: Some(i64::from(width)),
        height: Some(i64::from(height)),
        filename: &filename,
        created_by: principal.user_id,
    };
    Ok(match state.db.store_asset(&new).await? {
        Stored::Created(a) => (StatusCode::CREATED, Json(AssetView::from(a))).into_response(),
        Stored::Existing(a) => (StatusCode::OK, Json(AssetView::from(a))).into_response(),
    })
}

/// Lists a team's assets, newest first.
#[utoipa::path(
    get,
    path = "/teams/{id}/assets",
    tag = "assets",
    params(("id" = Uuid, Path, description = "The team"), PageQuery),
    responses(
        (status = 200, body = Page<AssetView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn list_assets(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(team_id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<AssetView>>, ApiError> {
    let before = page_bound(&page)?;
    let role = state.db.role_in_team(team_id, principal.user_id).await?;
    authorize(role, &principal.scopes, Action::Read)?;
    let rows = state.db.list_assets(team_id, &before, page.limit() + 1).await?;
    Ok(Json(into_page(rows, page.limit(), |a| a.id, AssetView::from)))
}

/// An asset's metadata.
#[utoipa::path(
    get,
    path = "/assets/{id}",
    tag = "assets",
    params(("id" = Uuid, Path, description = "The asset")),
    responses(
        (status = 200, body = AssetView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn get_asset(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<AssetView>, ApiError> {
    let access = state.db.asset_access(id, principal.user_id).await?.ok_or(ApiError::NotFound)?;
    authorize(access.role, &principal.scopes, Action::Read)?;
    Ok(Json(access.item.into()))
}

/// The asset's bytes, with its stored type; cacheable for ever (the ETag is the SHA-256).
#[utoipa::path(
    get,
    path = "/assets/{id}/content",
    tag = "assets",
    params(("id" = Uuid, Path, description = "The asset")),
    responses(
        (status = 200, description = "The bytes as uploaded",
         content(("image/png"), ("image/jpeg"), ("image/webp"), ("image/gif"))),
        (status = 304, description = "The client's copy (`If-None-Match`) is current"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn asset_content(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let access = state.db.asset_access(id, principal.user_id).await?.ok_or(ApiError::NotFound)?;
    authorize(access.role, &principal.scopes, Action::Read)?;
    let asset = access.item;
    let etag = HeaderValue::from_str(&format!("\"{}\"", asset.sha256)).map_err(internal)?;
    let content_type = HeaderValue::from_str(&asset.content_type).map_err(internal)?;
    let cache = HeaderValue::from_static("private, max-age=31536000, immutable");
    let nosniff = HeaderValue::from_static("nosniff");
    let current = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag.to_str().unwrap_or("") || tag.trim() == "*"));
    if current {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag), (header::CACHE_CONTROL, cache)]).into_response());
    }
    let bytes = state.assets.get(&asset.sha256).await.map_err(internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
            (header::X_CONTENT_TYPE_OPTIONS, nosniff),
        ],
        bytes,
    )
        .into_response())
}

/// Deletes an asset (soft: designs that show it keep working until it is purged).
#[utoipa::path(
    delete,
    path = "/assets/{id}",
    tag = "assets",
    params(("id" = Uuid, Path, description = "The asset")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn delete_asset(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let access = state.db.asset_access(id, principal.user_id).await?.ok_or(ApiError::NotFound)?;
    authorize(access.role, &principal.scopes, Action::Delete)?;
    principal.require_verified_or_grace(state.config.auth.verification_grace_hours)?;
    if !state.db.delete_asset(id).await? {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image::RgbaImage::new(width, height).write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(&png(2, 2)).map(|s| s.0), Some("image/png"));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest").map(|s| s.0), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a....").map(|s| s.0), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ").map(|s| s.0), Some("image/webp"));
        for other in [&b"<svg xmlns='http://www.w3.org/2000/svg'/>"[..], b"%PDF-1.7", b"hello", b"RIFF\0\0\0\0WAVE"] {
            assert_eq!(sniff(other), None);
        }
    }

    #[test]
    fn every_accepted_type_is_sniffed_and_decoded() {
        let image = DynamicImage::ImageRgb8(image::RgbImage::from_fn(3, 2, |x, y| {
            image::Rgb([x as u8 * 80, y as u8 * 120, 9])
        }));
        for (format, content_type) in [
            (ImageFormat::Png, "image/png"),
            (ImageFormat::Jpeg, "image/jpeg"),
            (ImageFormat::Gif, "image/gif"),
            (ImageFormat::WebP, "image/webp"),
        ] {
            let mut out = Cursor::new(Vec::new());
            image.write_to(&mut out, format).unwrap();
            let bytes = out.into_inner();
            assert_eq!(sniff(&bytes), Some((content_type, format)));
            assert_eq!(decode(&bytes, format, 100).unwrap(), (3, 2), "{content_type}");
        }
    }

    #[test]
    fn decoding_respects_the_pixel_budget() {
        assert_eq!(decode(&png(3, 2), ImageFormat::Png, 100).unwrap(), (3, 2));
        let err = decode(&png(20, 20), ImageFormat::Png, 100).unwrap_err().to_string();
        assert!(err.contains("image too large to decode"), "{err}");
        let err = decode(&png(3, 2)[..40], ImageFormat::Png, 100).unwrap_err().to_string();
        assert!(err.contains("could not be decoded"), "{err}");
    }

    #[test]
    fn upload_paths_are_recognised() {
        assert!(is_upload(&Method::POST, "/api/v1/teams/0190c4a0-0000-7000-8000-000000000000/assets"));
        assert!(!is_upload(&Method::GET, "/api/v1/teams/x/assets"));
        assert!(!is_upload(&Method::POST, "/api/v1/teams//assets"));
        assert!(!is_upload(&Method::POST, "/api/v1/teams/x/y/assets"));
        assert!(!is_upload(&Method::POST, "/api/v1/teams/x/workbenches"));
    }

    #[test]
    fn file_names_lose_their_folders() {
        assert_eq!(check_filename(Some("../../etc/logo.png"), "image/png").unwrap(), "logo.png");
        assert_eq!(check_filename(Some("C:\\x\\a b.gif"), "image/gif").unwrap(), "a b.gif");
        assert_eq!(check_filename(None, "image/webp").unwrap(), "upload.webp");
        assert!(check_filename(Some("dir/"), "image/png").is_err());
        assert!(check_filename(Some("a\u{0}b"), "image/png").is_err());
    }
}
