//! The `sync-server` binary: `sync-server [--config FILE] [--bind ADDR] …`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// mimalloc: glibc's allocator spent a tenth of the server's time in lock contention and
/// consolidation under load (perf, `cargo xtask bench server`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use sync_server::config::{Config, LogFormat, Overrides};

/// CreativeFlow server. Settings: embedded defaults, then --config FILE, then CREATIVEFLOW_*
/// environment variables, then these flags.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// A TOML config file.
    #[arg(long, env = "CREATIVEFLOW_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free one).
    #[arg(long)]
    bind: Option<String>,
    /// Folder for the SQLite database and local files.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://USER@HOST/DB.
    #[arg(long)]
    database_url: Option<String>,
    /// The URL users reach the server at.
    #[arg(long)]
    public_url: Option<String>,
    /// pretty or json.
    #[arg(long)]
    log_format: Option<String>,
    /// The web app bundle to serve at / (built by `cargo xtask web`).
    #[arg(long)]
    web_dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let flags = Overrides {
        bind: args.bind,
        data_dir: args.data_dir,
        database_url: args.database_url,
        public_url: args.public_url,
        log_format: args.log_format,
        web_dir: args.web_dir,
    };
    let config = match Config::load(args.config.as_deref(), |k| std::env::var(k).ok(), &flags) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sync-server: {e}");
            return ExitCode::from(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    match config.log_format {
        LogFormat::Json => tracing_subscriber::fmt().json().with_env_filter(filter).with_writer(std::io::stderr).init(),
        LogFormat::Pretty => tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init(),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sync-server: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(sync_server::serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sync-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}
