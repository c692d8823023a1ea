//! sync-server: the HTTP API, auth, document relay, queue and credits (DESIGN.md §5).
//!
//! Configuration ([`config`]), persistence on SQLite or PostgreSQL ([`db`]), credentials
//! ([`auth`]), the one authorization function ([`authz`]), rate limits ([`limits`]), the REST
//! API ([`api`]) and the HTTP surface around it ([`http`]), the document relay ([`relay`]:
//! y-websocket per creative, durable acknowledgements, history) and per-user notifications
//! over the events socket ([`events`]). It depends on editor-core (and later
//! gen-worker for the embedded worker); the server never draws.

pub mod api;
pub mod auth;
pub mod authz;
pub mod config;
pub mod credits;
pub mod db;
pub mod error;
pub mod events;
pub mod http;
pub mod jobs;
pub mod limits;
pub mod mail;
pub mod metrics;
pub mod relay;
pub mod storage;
pub mod web;
pub mod webhooks;

use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::db::Database;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Database,
    /// The configuration.
    pub config: Arc<Config>,
    /// Access-token signing.
    pub tokens: auth::Tokens,
    /// Password hashing.
    pub passwords: auth::Passwords,
    /// Rate limits.
    pub limits: limits::Limits,
    /// Prometheus metrics.
    pub metrics: metrics::Metrics,
    /// Uploaded files.
    pub assets: storage::AssetStore,
    /// The document relay: one task per loaded creative.
    pub relay: relay::Relay,
    /// Per-user notifications (the events socket's wake-ups).
    pub events: events::EventHub,
    /// Plans and what generations cost on them (`[billing] plans_file` or the bundled file).
    pub plans: Arc<credits::Plans>,
    /// The generation queue's wake-ups and worker tokens.
    pub queue: jobs::Queue,
}

impl AppState {
    /// Builds the state for `config` on an open database.
    pub fn new(db: Database, config: Config) -> anyhow::Result<AppState> {
        let metrics = metrics::Metrics::default();
        let plans = Arc::new(config.billing.plans()?);
        Ok(AppState {
            queue: jobs::Queue::new(),
            plans,
            relay: relay::Relay::new(db.clone(), &config.relay, metrics.clone()),
            tokens: auth::Tokens::from_config(&config)?,
            passwords: auth::Passwords::new(&config.auth)?,
            limits: limits::Limits::new(&config.limits),
            metrics,
            assets: storage::AssetStore::local(&config.asset_dir())?,
            events: events::EventHub::default(),
            db,
            config: Arc::new(config),
        })
    }
}

/// Connects, migrates, binds and serves until Ctrl-C or SIGTERM, then drains in-flight
/// requests. Prints `listening on http://ADDR` once the socket is bound (the test harness and
/// `cargo xtask serve` read it).
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let url = config.database_url();
    let db = Database::connect(&url).await.with_context(|| format!("opening the database {}", redact(&url)))?;
    let listener = TcpListener::bind(config.bind).await.with_context(|| format!("binding {}", config.bind))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, database = %redact(&url), "listening");
    println!("listening on http://{addr}");
    let state = AppState::new(db, config)?;
    let background = mail::spawn_sender(state.clone());
    let sweeper = tokio::spawn(housekeeping(state.clone()));
    let embedded = spawn_embedded_worker(&state, addr);
    let reaper = tokio::spawn(jobs::reaper(state.clone()));
    let webhook_sender = webhooks::spawn_sender(state.clone())?;
    // Nagle's algorithm would hold small frames (relay echoes, presence) until the peer's
    // delayed ACK: tens of milliseconds per acknowledgement.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    let queue = state.queue.clone();
    let stop_worker = embedded;
    let shutdown = async move {
        shutdown_signal().await;
        // Drain quickly: the embedded worker stops taking jobs and long-polling lease calls
        // return now instead of at the end of their wait.
        if let Some(stop) = stop_worker {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        queue.stop();
    };
    axum::serve(listener, http::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await?;
    background.abort();
    sweeper.abort();
    reaper.abort();
    webhook_sender.abort();
    tracing::info!("stopped");
    Ok(())
}

/// Starts the in-process generation worker (`[generation] embedded_worker`): the same job loop
/// as the `gen-worker` binary, talking to this server over loopback HTTP with its own token.
/// Returns the flag that stops it.
fn spawn_embedded_worker(state: &AppState, addr: std::net::SocketAddr) -> Option<Arc<std::sync::atomic::AtomicBool>> {
    let cfg = &state.config.generation;
    if !cfg.embedded_worker || state.queue.embedded_token().is_empty() {
        return None;
    }
    let host = if addr.ip().is_unspecified() {
        std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
    } else {
        addr
    };
    let config = gen_worker::worker::WorkerConfig {
        server: format!("http://{host}"),
        token: state.queue.embedded_token().to_owned(),
        name: "embedded".into(),
        poll_wait: std::time::Duration::from_millis(cfg.poll_max_ms.min(25_000)),
        pace: std::time::Duration::ZERO,
    };
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let started = std::thread::Builder::new().name("gen-worker".into()).spawn(move || {
        if let Err(e) = gen_worker::worker::run(config, flag) {
            tracing::error!(error = %e, "the embedded generation worker stopped");
        }
    });
    match started {
        Ok(_) => Some(stop),
        Err(e) => {
            tracing::error!(error = %e, "could not start the embedded generation worker");
            None
        }
    }
}

/// Every minute: forget idle rate-limit buckets. Every hour (and at start): purge the trash
/// past its restore window, delete the bytes no asset uses any more, drop spent credentials.
async fn housekeeping(state: AppState) {
    let mut minutes = 0u64;
    loop {
        if minutes.is_multiple_of(60) {
            match state.db.sweep_now().await {
                Ok(swept) => {
                    for hash in &swept.orphaned_blobs {
                        if let Err(e) = state.assets.remove(hash).await {
                            tracing::warn!(%hash, error = %e, "could not delete purged asset bytes");
                        }
                    }
                    if swept.purged > 0 || swept.expired_credentials > 0 {
                        tracing::info!(
                            purged = swept.purged,
                            blobs = swept.orphaned_blobs.len(),
                            credentials = swept.expired_credentials,
                            "housekeeping"
                        );
                    }
                }
                Err(e) => tracing::warn!(error = %e, "housekeeping failed; retrying in an hour"),
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        state.limits.forget_idle();
        minutes += 1;
    }
}

/// A database URL without its password, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_stay_out_of_logs() {
        assert_eq!(super::redact("postgres://cf:secret@db:5432/cf"), "postgres://cf:***@db:5432/cf");
        assert_eq!(super::redact("sqlite://./data/x.db"), "sqlite://./data/x.db");
    }
}
