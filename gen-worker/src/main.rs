//! `gen-worker`: leases generation jobs from a CreativeFlow server and runs them.
//!
//! ```sh
//! gen-worker --server http://server:8080 --token "$CREATIVEFLOW_WORKER_TOKEN"
//! ```
//! Settings come from flags or `CREATIVEFLOW_SERVER`, `CREATIVEFLOW_WORKER_TOKEN` and
//! `CREATIVEFLOW_WORKER_NAME`; `CREATIVEFLOW_WORKER_PACE_MS` pauses after each sample (throttling). The worker needs no database access, only the server's HTTP API.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use gen_worker::worker::{WorkerConfig, run};

fn arg(args: &[String], flag: &str) -> Option<String> {
    args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("usage: gen-worker [--server URL] [--token TOKEN] [--name NAME]");
        return ExitCode::SUCCESS;
    }
    let server = arg(&args, "--server").or_else(|| std::env::var("CREATIVEFLOW_SERVER").ok());
    let token = arg(&args, "--token").or_else(|| std::env::var("CREATIVEFLOW_WORKER_TOKEN").ok());
    let (Some(server), Some(token)) = (server, token) else {
        eprintln!(
            "gen-worker: give --server URL and --token TOKEN (or CREATIVEFLOW_SERVER and CREATIVEFLOW_WORKER_TOKEN)"
        );
        return ExitCode::from(2);
    };
    let name = arg(&args, "--name")
        .or_else(|| std::env::var("CREATIVEFLOW_WORKER_NAME").ok())
        .unwrap_or_else(|| format!("gen-worker-{}", std::process::id()));
    let pace = std::env::var("CREATIVEFLOW_WORKER_PACE_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let config =
        WorkerConfig { server, token, name, poll_wait: Duration::from_secs(20), pace: Duration::from_millis(pace) };
    println!("gen-worker: leasing jobs from {}", config.server);
    match run(config, Arc::new(AtomicBool::new(false))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-worker: {e}");
            ExitCode::FAILURE
        }
    }
}
