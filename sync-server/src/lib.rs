//! sync-server: the HTTP API, auth, document relay, queue and credits (DESIGN.md §5).
//!
//! Issue 4 in progress: configuration ([`config`]), persistence on SQLite or PostgreSQL
//! ([`db`]), the HTTP surface with health checks ([`http`]), and graceful shutdown. It depends
//! on editor-core (and later gen-worker for the embedded worker); the server never draws.

pub mod config;
pub mod db;
pub mod http;

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
    let state = AppState { db, config: Arc::new(config) };
    axum::serve(listener, http::router(state)).with_graceful_shutdown(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
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
