//! The job loop: lease a job from the server, do it, report it — the same loop whether it runs
//! inside the server process (the embedded worker) or as the `gen-worker` binary on another
//! host. See [`crate::protocol`] for the calls.
//!
//! While a job runs, a heartbeat thread renews the lease every third of its length; when the
//! server answers 409 (the lease lapsed and another worker took the job) the worker drops the
//! job. Errors talking to the server are retried with a capped backoff: a restarting server
//! costs a few seconds, never the worker.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine as _;
use editor_core::design_file;
use reqwest::StatusCode;
use reqwest::blocking::Client;
use thiserror::Error;

use crate::protocol::{Failure, JobInput, LeaseRequest, LeaseToken, LeasedJob, SampleRequest, SampleUpload};
use crate::synth::{Engine, GenError, GenerationRequest, Logo, Photo};
use crate::template::Library;

/// Where and how the worker connects.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// The server's base URL, e.g. `http://127.0.0.1:8080`.
    pub server: String,
    /// The worker token (`Authorization: Bearer`).
    pub token: String,
    /// The worker's name in the server's records.
    pub name: String,
    /// How long one lease call waits for a job.
    pub poll_wait: Duration,
    /// A pause after each uploaded sample (0 normally): throttles a worker sharing a busy host,
    /// and lets tests stop a worker in the middle of a job.
    pub pace: Duration,
}

/// Why the worker stopped.
#[derive(Debug, Error)]
pub enum WorkerError {
    /// Fonts or templates could not be loaded.
    #[error("could not start the generation engine: {0}")]
    Setup(String),
    /// The server refused the worker token.
    #[error("the server refused the worker token")]
    Unauthorized,
}

/// One job's failure: the message and whether another attempt may help.
struct JobFailure {
    message: String,
    retryable: bool,
}

impl JobFailure {
    fn retry(message: impl Into<String>) -> Self {
        JobFailure { message: message.into(), retryable: true }
    }
}

/// A worker: the engine, the renderer and an HTTP client.
pub struct Worker {
    config: WorkerConfig,
    http: Client,
    engine: Engine,
    renderer: Arc<render::Renderer>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("server", &self.config.server).field("name", &self.config.name).finish()
    }
}

impl Worker {
    /// Loads the fonts and templates and prepares the client.
    pub fn new(config: WorkerConfig) -> Result<Worker, WorkerError> {
        let fonts = render::FontLibrary::bundled().map_err(|e| WorkerError::Setup(e.to_string()))?;
        let renderer = Arc::new(render::Renderer::new(Arc::new(fonts)));
        let library = Arc::new(Library::bundled().map_err(|e| WorkerError::Setup(e.to_string()))?);
        let http = Client::builder()
            .timeout(config.poll_wait + Duration::from_secs(60))
            .build()
            .map_err(|e| WorkerError::Setup(e.to_string()))?;
        Ok(Worker { engine: Engine::builtin(library, renderer.clone()), renderer, http, config })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1/worker{path}", self.config.server.trim_end_matches('/'))
    }

    /// Leases and runs jobs until `stop` is set.
    pub fn run(&self, stop: &AtomicBool) -> Result<(), WorkerError> {
        let mut backoff = Duration::from_millis(200);
        while !stop.load(Ordering::Relaxed) {
            let request =
                LeaseRequest { worker: self.config.name.clone(), wait_ms: self.config.poll_wait.as_millis() as u64 };
            let answer = self.http.post(self.url("/lease")).bearer_auth(&self.config.token).json(&request).send();
            match answer {
                Ok(r) if r.status() == StatusCode::NO_CONTENT => backoff = Duration::from_millis(200),
                Ok(r) if r.status() == StatusCode::UNAUTHORIZED || r.status() == StatusCode::FORBIDDEN => {
                    return Err(WorkerError::Unauthorized);
                }
                Ok(r) if r.status().is_success() => {
                    backoff = Duration::from_millis(200);
                    match r.json::<LeasedJob>() {
                        Ok(job) => self.work(job),
                        Err(e) => eprintln!("gen-worker: unreadable lease answer: {e}"),
                    }
                }
                Ok(r) => {
                    eprintln!("gen-worker: lease answered {}", r.status());
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
                Err(e) => {
                    if !stop.load(Ordering::Relaxed) {
                        eprintln!("gen-worker: server unreachable ({e}); retrying in {backoff:?}");
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
        Ok(())
    }

    /// Runs one leased job with a heartbeat beside it, then reports the outcome.
    fn work(&self, job: LeasedJob) {
        let done = Arc::new(AtomicBool::new(false));
        let lost = Arc::new(AtomicBool::new(false));
        let beat = {
            let (http, url, token, lease) = (
                self.http.clone(),
                self.url(&format!("/jobs/{}/heartbeat", job.job_id)),
                self.config.token.clone(),
                LeaseToken { lease_token: job.lease_token.clone() },
            );
            let (done, lost) = (done.clone(), lost.clone());
            let every = Duration::from_millis((job.lease_ms / 3).max(100));
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    std::thread::park_timeout(every);
                    if done.load(Ordering::Relaxed) {
                        break;
                    }
                    if let Ok(r) = http.post(&url).bearer_auth(&token).json(&lease).send()
                        && r.status() == StatusCode::CONFLICT
                    {
                        lost.store(true, Ordering::Relaxed);
                        break;
                    }
                }
            })
        };
        let outcome = match &job.input {
            JobInput::Samples { request, .. } => self.samples(&job, request, &lost),
            JobInput::Final { design, width, height, format, watermark, .. } => {
                self.final_render(&job, design, *width, *height, format, *watermark)
            }
        };
        done.store(true, Ordering::Relaxed);
        beat.thread().unpark();
        let _ = beat.join();
        if lost.load(Ordering::Relaxed) {
            return;
        }
        let token = job.lease_token.clone();
        let report = match outcome {
            Ok(()) => self
                .http
                .post(self.url(&format!("/jobs/{}/complete", job.job_id)))
                .bearer_auth(&self.config.token)
                .json(&LeaseToken { lease_token: token })
                .send(),
            Err(f) => self
                .http
                .post(self.url(&format!("/jobs/{}/fail", job.job_id)))
                .bearer_auth(&self.config.token)
                .json(&Failure { lease_token: token, error: f.message, retryable: f.retryable })
                .send(),
        };
        if let Err(e) = report {
            // The lease will lapse and the job will be leased again.
            eprintln!("gen-worker: could not report job {}: {e}", job.job_id);
        }
    }

    fn asset(&self, sha256: &str) -> Result<Vec<u8>, JobFailure> {
        let r = self
            .http
            .get(self.url(&format!("/assets/{sha256}")))
            .bearer_auth(&self.config.token)
            .send()
            .map_err(|e| JobFailure::retry(format!("could not fetch an asset: {e}")))?;
        if r.status() == StatusCode::NOT_FOUND {
            return Err(JobFailure { message: "an uploaded photo or logo is missing".into(), retryable: false });
        }
        if !r.status().is_success() {
            return Err(JobFailure::retry(format!("fetching an asset answered {}", r.status())));
        }
        r.bytes().map(|b| b.to_vec()).map_err(|e| JobFailure::retry(format!("could not read an asset: {e}")))
    }

    fn samples(&self, job: &LeasedJob, request: &SampleRequest, lost: &AtomicBool) -> Result<(), JobFailure> {
        let mut assets = render::MemoryAssets::new();
        let mut photos = Vec::new();
        for sha in &request.photos {
            let bytes = self.asset(sha)?;
            let image = render::images::decode_image(&bytes).map_err(|e| JobFailure {
                message: match e {
                    render::images::DecodeError::TooLarge(m) | render::images::DecodeError::Bad(m) => {
                        format!("an uploaded photo could not be read: {m}")
                    }
                },
                retryable: false,
            })?;
            let asset = assets.insert(bytes);
            photos.push(Photo { asset, image: Arc::new(image) });
        }
        let logo = match &request.logo {
            Some(l) => {
                let bytes = self.asset(&l.asset)?;
                Some(Logo { asset: assets.insert(bytes), svg: l.svg, width: l.width, height: l.height })
            }
            None => None,
        };
        let generation = GenerationRequest {
            prompt: request.prompt.clone(),
            format: request.format.clone(),
            locale: request.locale.as_deref().and_then(crate::locale::Locale::parse),
            tone: request.tone,
            industry: request.industry.clone(),
            style: request.style.clone(),
            brand: request.brand.clone(),
            logo,
            photos,
            seed: request.seed,
            today: request.today,
        };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.engine.generate(&generation)));
        let generation = match result {
            Ok(Ok(g)) => g,
            Ok(Err(GenError::Copy(e))) => return Err(JobFailure { message: e.to_string(), retryable: false }),
            Ok(Err(GenError::BadRequest(m))) => return Err(JobFailure { message: m, retryable: false }),
            Ok(Err(e)) => return Err(JobFailure::retry(e.to_string())),
            Err(_) => return Err(JobFailure::retry("the generation engine crashed")),
        };
        for (i, sample) in generation.samples.iter().enumerate() {
            if lost.load(Ordering::Relaxed) {
                return Err(JobFailure::retry("the lease was lost"));
            }
            let preview = self
                .renderer
                .thumbnail(&sample.design, &assets)
                .map_err(|e| JobFailure::retry(format!("a preview could not be rendered: {e}")))?;
            let design: serde_json::Value = serde_json::from_str(&design_file::to_string(&sample.design))
                .map_err(|e| JobFailure::retry(format!("a design could not be written: {e}")))?;
            let upload = SampleUpload {
                lease_token: job.lease_token.clone(),
                design,
                template: sample.template.clone(),
                palette: sample.palette.clone(),
                fonts: sample.fonts.clone(),
                preview_png: base64::engine::general_purpose::STANDARD.encode(&preview.bytes),
                notes: generation.notes.clone(),
            };
            let r = self
                .http
                .put(self.url(&format!("/jobs/{}/samples/{i}", job.job_id)))
                .bearer_auth(&self.config.token)
                .json(&upload)
                .send()
                .map_err(|e| JobFailure::retry(format!("could not upload a sample: {e}")))?;
            if !r.status().is_success() {
                return Err(JobFailure::retry(format!("uploading a sample answered {}", r.status())));
            }
            if !self.config.pace.is_zero() {
                std::thread::sleep(self.config.pace);
            }
        }
        Ok(())
    }

    fn final_render(
        &self,
        job: &LeasedJob,
        design: &serde_json::Value,
        width: u32,
        height: u32,
        format: &str,
        watermark: bool,
    ) -> Result<(), JobFailure> {
        let design = design_file::parse(design.to_string().as_bytes())
            .map_err(|e| JobFailure { message: format!("the design cannot be rendered: {e}"), retryable: false })?;
        let mut assets = render::MemoryAssets::new();
        let mut ids: Vec<String> = Vec::new();
        for layer in &design.layers {
            match &layer.content {
                editor_core::LayerContent::Image(i) => ids.push(i.asset.as_str().to_owned()),
                editor_core::LayerContent::Svg(s) => ids.push(s.asset.as_str().to_owned()),
                _ => {}
            }
        }
        ids.sort();
        ids.dedup();
        for id in ids {
            assets.insert(self.asset(&id)?);
        }
        let export = match format {
            "png" => render::ExportFormat::Png,
            "jpeg" => render::ExportFormat::Jpeg { quality: 90 },
            "webp" => render::ExportFormat::Webp,
            "pdf" => render::ExportFormat::Pdf,
            "svg" => render::ExportFormat::Svg { live_text: false },
            other => return Err(JobFailure { message: format!("unknown format {other}"), retryable: false }),
        };
        let options = render::ExportOptions {
            size: render::OutputSize::Width(width),
            watermark,
            ..render::ExportOptions::new(export)
        };
        let exported =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.renderer.export(&design, &assets, &options)))
                .map_err(|_| JobFailure::retry("the renderer crashed"))?
                .map_err(|e| JobFailure {
                    message: format!("the final could not be rendered: {e}"),
                    retryable: false,
                })?;
        let (w, h) = if matches!(format, "pdf" | "svg") { (width, height) } else { (exported.width, exported.height) };
        let r = self
            .http
            .put(self.url(&format!("/jobs/{}/output", job.job_id)))
            .bearer_auth(&self.config.token)
            .query(&[("lease_token", job.lease_token.as_str()), ("width", &w.to_string()), ("height", &h.to_string())])
            .header(reqwest::header::CONTENT_TYPE, exported.mime)
            .body(exported.bytes)
            .send()
            .map_err(|e| JobFailure::retry(format!("could not upload the final: {e}")))?;
        if !r.status().is_success() {
            return Err(JobFailure::retry(format!("uploading the final answered {}", r.status())));
        }
        Ok(())
    }
}

/// Runs a worker until `stop` is set (a thread's body for the embedded worker).
pub fn run(config: WorkerConfig, stop: Arc<AtomicBool>) -> Result<(), WorkerError> {
    Worker::new(config)?.run(&stop)
}
