//! The generation queue's server side: waking long-polling workers, worker tokens, and what
//! happens when a job ends — credits captured on success and released on failure (REQ-007.1:
//! nothing is charged when the system fails), the user told over the events socket, the
//! developer over webhooks, and an alert line when failures pile up.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::AppState;
use crate::db::jobs::{Final, Generation, Job};

/// Wakes workers waiting in a lease call and keeps the embedded worker's token.
#[derive(Clone, Debug)]
pub struct Queue {
    notify: Arc<Notify>,
    embedded_token: Arc<str>,
    failures: Arc<Mutex<VecDeque<Instant>>>,
    stopping: Arc<std::sync::atomic::AtomicBool>,
}

impl Default for Queue {
    fn default() -> Self {
        Queue::new()
    }
}

impl Queue {
    /// A queue with a fresh random token for the embedded worker.
    pub fn new() -> Queue {
        let mut bytes = [0u8; 32];
        // Without the OS's randomness the embedded worker cannot authenticate; the server
        // still runs and remote workers still work.
        let token = match getrandom::fill(&mut bytes) {
            Ok(()) => bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            Err(_) => String::new(),
        };
        Queue {
            notify: Arc::new(Notify::new()),
            embedded_token: token.into(),
            failures: Arc::default(),
            stopping: Arc::default(),
        }
    }

    /// Wakes every waiting lease call (new work, or work that became ready).
    pub fn wake(&self) {
        self.notify.notify_waiters();
    }

    /// The server is shutting down: waiting lease calls answer "no work" at once, so the
    /// graceful shutdown does not wait out their long polls.
    pub fn stop(&self) {
        self.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Whether [`Queue::stop`] was called.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The wake-up source: create and `enable` a `notified()` future *before* looking for
    /// work, then await it, so a wake between the look and the wait is not lost.
    pub fn notifier(&self) -> Arc<Notify> {
        self.notify.clone()
    }

    /// The embedded worker's token.
    pub fn embedded_token(&self) -> &str {
        &self.embedded_token
    }

    /// Whether `token` is a worker token: the embedded worker's or one from the configuration.
    pub fn accepts(&self, token: &str, configured: &[String]) -> bool {
        let eq = |a: &[u8], b: &[u8]| a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0;
        (!self.embedded_token.is_empty() && eq(token.as_bytes(), self.embedded_token.as_bytes()))
            || configured.iter().any(|t| t.len() >= 32 && eq(token.as_bytes(), t.as_bytes()))
    }

    /// Counts a failure; true when the last minute holds `threshold` or more (raise the alert).
    fn count_failure(&self, threshold: u32) -> bool {
        let mut f = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        f.push_back(now);
        while f.front().is_some_and(|t| now.duration_since(*t) > Duration::from_secs(60)) {
            f.pop_front();
        }
        f.len() >= threshold.max(1) as usize
    }
}

/// Notifies `user` and wakes their sockets.
async fn tell(state: &AppState, user: Uuid, kind: &str, payload: serde_json::Value) {
    match state.db.notify(user, kind, &payload).await {
        Ok(_) => state.events.wake([user]),
        Err(e) => tracing::warn!(error = %e, kind, "could not record a generation event"),
    }
}

async fn webhook(state: &AppState, user: Uuid, kind: &str, payload: serde_json::Value) {
    if let Err(e) = state.db.emit_webhook(user, kind, payload).await {
        tracing::warn!(error = %e, kind, "could not queue a webhook");
    } else {
        crate::webhooks::wake_sender();
    }
}

fn hold_of(id: &Option<String>) -> Option<Uuid> {
    id.as_deref().and_then(|h| Uuid::parse_str(h).ok())
}

/// A generation ended well: capture its credits, tell the user and their webhooks.
pub async fn generation_succeeded(state: &AppState, g: &Generation) {
    if let Some(hold) = hold_of(&g.hold_id)
        && let Err(e) = state.db.capture_hold(hold).await
    {
        tracing::error!(error = %e, generation = %g.id, "could not capture a generation's credits");
    }
    state.metrics.generation_outcome("succeeded");
    let payload = json!({"generation_id": g.id, "status": "succeeded"});
    tell(state, g.user_id, "generation_completed", payload.clone()).await;
    webhook(state, g.user_id, "generation.completed", payload).await;
}

/// A generation failed (a system failure or a request that cannot work): release its
/// credits, tell the user in plain words with what they can do.
pub async fn generation_failed(state: &AppState, g: &Generation, message: &str) {
    if let Some(hold) = hold_of(&g.hold_id)
        && let Err(e) = state.db.release_hold(hold).await
    {
        tracing::error!(error = %e, generation = %g.id, "could not release a failed generation's credits");
    }
    failed_metric(state, "generation", g.id, message);
    let payload = json!({
        "generation_id": g.id,
        "status": "failed",
        "message": message,
        "retry": format!("/api/v1/generations/{}/regenerate", g.id),
        "charged": false,
    });
    tell(state, g.user_id, "generation_failed", payload.clone()).await;
    webhook(state, g.user_id, "generation.failed", payload).await;
}

/// A final is ready: capture, tell.
pub async fn final_succeeded(state: &AppState, f: &Final) {
    if let Some(hold) = hold_of(&f.hold_id)
        && let Err(e) = state.db.capture_hold(hold).await
    {
        tracing::error!(error = %e, final_id = %f.id, "could not capture a final's credits");
    }
    state.metrics.generation_outcome("final_succeeded");
    let payload = json!({
        "final_id": f.id,
        "generation_id": f.generation_id,
        "creative_id": f.creative_id,
        "status": "succeeded",
        "download": format!("/api/v1/finals/{}/download", f.id),
    });
    tell(state, f.user_id, "final_ready", payload.clone()).await;
    webhook(state, f.user_id, "final.completed", payload).await;
}

/// A final failed: release, tell.
pub async fn final_failed(state: &AppState, f: &Final, message: &str) {
    if let Some(hold) = hold_of(&f.hold_id)
        && let Err(e) = state.db.release_hold(hold).await
    {
        tracing::error!(error = %e, final_id = %f.id, "could not release a failed final's credits");
    }
    failed_metric(state, "final", f.id, message);
    let payload = json!({
        "final_id": f.id,
        "generation_id": f.generation_id,
        "creative_id": f.creative_id,
        "status": "failed",
        "message": message,
        "charged": false,
    });
    tell(state, f.user_id, "final_failed", payload.clone()).await;
    webhook(state, f.user_id, "final.failed", payload).await;
}

fn failed_metric(state: &AppState, what: &str, id: Uuid, message: &str) {
    state.metrics.generation_outcome(if what == "final" { "final_failed" } else { "failed" });
    if state.queue.count_failure(state.config.generation.alert_failures_per_minute) {
        tracing::error!(
            alert = "generation_failures",
            what,
            %id,
            message,
            "ALERT: generation jobs keep failing ({}+ in the last minute)",
            state.config.generation.alert_failures_per_minute
        );
    } else {
        tracing::warn!(what, %id, message, "generation job failed");
    }
}

/// Every lease length: fails the jobs whose last worker died (see
/// [`crate::db::Database::reap_dead_jobs`]), so a generation never waits for a worker that will
/// not come back.
pub async fn reaper(state: AppState) {
    let every = Duration::from_millis(state.config.generation.lease_ms.clamp(200, 60_000));
    loop {
        tokio::time::sleep(every).await;
        match state.db.reap_dead_jobs().await {
            Ok(dead) => {
                for job in &dead {
                    job_died(&state, job, GAVE_UP).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not reap dead generation jobs"),
        }
    }
}

/// The plain message for a job that ran out of attempts.
pub const GAVE_UP: &str =
    "Something went wrong on our side while making your designs. You have not been charged; try again.";

/// Fails the subject of a job that died (out of attempts, or not retryable).
pub async fn job_died(state: &AppState, job: &Job, message: &str) {
    match job.kind.as_str() {
        "samples" => {
            if let Ok(Some(g)) = state.db.generation(job.subject_id).await
                && state
                    .db
                    .set_generation_status(g.id, &["queued", "running"], "failed", Some(message))
                    .await
                    .unwrap_or(false)
            {
                generation_failed(state, &g, message).await;
            }
        }
        _ => {
            if let Ok(Some(f)) = state.db.final_render(job.subject_id).await
                && state
                    .db
                    .set_final_status(f.id, &["queued", "running"], "failed", Some(message))
                    .await
                    .unwrap_or(false)
            {
                final_failed(state, &f, message).await;
            }
        }
    }
}
