//! The worker protocol: what a worker and the server say to each other over HTTP (DESIGN.md
//! §5–§6). Workers hold no database credentials: they authenticate with a worker token,
//! lease jobs by long polling, heartbeat while they work, upload results and report failures.
//!
//! | call | body | answer |
//! |---|---|---|
//! | `POST /api/v1/worker/lease` | [`LeaseRequest`] | 200 [`LeasedJob`], or 204 when nothing came within `wait_ms` |
//! | `POST /api/v1/worker/jobs/{id}/heartbeat` | [`LeaseToken`] | 204, or 409 when the lease is no longer this worker's |
//! | `PUT /api/v1/worker/jobs/{id}/samples/{index}` | [`SampleUpload`] | 204 / 409 |
//! | `PUT /api/v1/worker/jobs/{id}/output?lease_token=&width=&height=` | the file, with its `Content-Type` | 204 / 409 |
//! | `POST /api/v1/worker/jobs/{id}/complete` | [`LeaseToken`] | 204 / 409 |
//! | `POST /api/v1/worker/jobs/{id}/fail` | [`Failure`] | 204 / 409 |
//! | `GET /api/v1/worker/assets/{sha256}` | — | the asset's bytes |

use editor_core::{BrandKit, Format};
use serde::{Deserialize, Serialize};

use crate::copy::Tone;

/// Asks for a job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseRequest {
    /// The worker's name (host and process), for logs and the job's `leased_by`.
    pub worker: String,
    /// How long to wait for a job, at most 30 000 ms.
    pub wait_ms: u64,
}

/// A leased job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeasedJob {
    /// The job.
    pub job_id: String,
    /// Proves the lease in every later call; a new lease (after this one lapsed) gets a new one.
    pub lease_token: String,
    /// The lease lasts this long unless renewed by a heartbeat.
    pub lease_ms: u64,
    /// This lease's attempt number (1 for the first).
    pub attempt: u32,
    /// What to do.
    pub input: JobInput,
}

/// The work of a job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobInput {
    /// Four samples for a generation request.
    Samples {
        /// The generation.
        generation_id: String,
        /// The request.
        request: Box<SampleRequest>,
    },
    /// A final render of a chosen design.
    Final {
        /// The final.
        final_id: String,
        /// The design file.
        design: serde_json::Value,
        /// Output pixel size.
        width: u32,
        /// Output pixel size.
        height: u32,
        /// `png`, `jpeg`, `webp`, `pdf` or `svg`.
        format: String,
        /// Stamp the Free plan's mark.
        watermark: bool,
    },
}

/// A generation request as a worker sees it: assets by content address.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleRequest {
    /// The creator's description.
    pub prompt: String,
    /// The canvas.
    pub format: Format,
    /// `en-US`, `es-ES`, `fr-FR`, `de-DE`; `None` detects it from the prompt.
    #[serde(default)]
    pub locale: Option<String>,
    /// The voice.
    #[serde(default)]
    pub tone: Tone,
    /// Industry id.
    #[serde(default)]
    pub industry: String,
    /// Style tag.
    #[serde(default)]
    pub style: String,
    /// Same seed, same designs.
    pub seed: u64,
    /// Today (year, month, day) where the creator is.
    pub today: (i32, u8, u8),
    /// The workbench's brand kit.
    #[serde(default)]
    pub brand: Option<BrandKit>,
    /// The brand logo.
    #[serde(default)]
    pub logo: Option<LogoRef>,
    /// Uploaded photos, by SHA-256.
    #[serde(default)]
    pub photos: Vec<String>,
}

/// A logo by content address, with its intrinsic size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogoRef {
    /// SHA-256 of the asset.
    pub asset: String,
    /// A sanitised SVG (else a raster image).
    pub svg: bool,
    /// Intrinsic width.
    pub width: f64,
    /// Intrinsic height.
    pub height: f64,
}

/// Proves a lease.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseToken {
    /// From [`LeasedJob::lease_token`].
    pub lease_token: String,
}

/// One finished sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleUpload {
    /// The lease.
    pub lease_token: String,
    /// The design file.
    pub design: serde_json::Value,
    /// The template it came from.
    pub template: String,
    /// Palette name.
    pub palette: String,
    /// Font pairing name.
    pub fonts: String,
    /// The 512 px preview, PNG, base64.
    pub preview_png: String,
    /// Notes for the user (e.g. the copy service fell back).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// A failed attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Failure {
    /// The lease.
    pub lease_token: String,
    /// What went wrong, in plain words (shown to the user when the job gives up).
    pub error: String,
    /// Whether another attempt may succeed (false for a request that can never work, such as
    /// an empty prompt).
    pub retryable: bool,
}

/// Short side of a standard final.
pub const STANDARD_SHORT_SIDE: u32 = 1080;
/// Short side of an HD final.
pub const HD_SHORT_SIDE: u32 = 2160;
/// Long side of a 4K final (never smaller than HD).
pub const UHD_LONG_SIDE: u32 = 3840;

/// The pixel size of a final of a `w`×`h` design: `standard` is 1080 px on the short side,
/// `hd` 2160 on the short side, `uhd4k` (4K) 3840 on the long side but at least HD. `None` for
/// an unknown size.
pub fn final_pixels(size: &str, w: u32, h: u32) -> Option<(u32, u32)> {
    let (wf, hf) = (f64::from(w.max(1)), f64::from(h.max(1)));
    let scale = match size {
        "standard" => f64::from(STANDARD_SHORT_SIDE) / wf.min(hf),
        "hd" => f64::from(HD_SHORT_SIDE) / wf.min(hf),
        "uhd4k" => (f64::from(UHD_LONG_SIDE) / wf.max(hf)).max(f64::from(HD_SHORT_SIDE) / wf.min(hf)),
        _ => return None,
    };
    let side = |v: f64| (v * scale).round().clamp(1.0, 8192.0) as u32;
    Some((side(wf), side(hf)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_sizes() {
        assert_eq!(final_pixels("standard", 1080, 1080), Some((1080, 1080)));
        assert_eq!(final_pixels("hd", 1080, 1920), Some((2160, 3840)));
        assert_eq!(final_pixels("uhd4k", 1080, 1080), Some((3840, 3840)));
        assert_eq!(final_pixels("uhd4k", 1280, 720), Some((3840, 2160)));
        assert_eq!(final_pixels("uhd4k", 1080, 1920), Some((2160, 3840)));
        assert_eq!(final_pixels("huge", 10, 10), None);
    }
}
