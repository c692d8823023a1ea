//! REST API load benchmark (`cargo xtask bench server`, or `cargo bench -p sync-server --bench
//! api`): the real release binary, driven by oha at fixed request rates.
//!
//! - Authenticated project-list reads (`GET /api/v1/workbenches/{id}/projects?limit=20`) at fixed
//!   rates and flat out, on SQLite and on PostgreSQL: requests/s and p50/p95/p99 latency.
//! - Login throughput with the production Argon2id cost.
//! - Read latency while a login flood runs.
//!
//! oha comes from `OHA`, `PATH`, or `$CARGO_TARGET_DIR/tools/bin/oha` (`cargo xtask bench server`
//! installs it there). PostgreSQL: `BENCH_DATABASE_URL`, else `TEST_DATABASE_URL`, else the local
//! `postgres://postgres@127.0.0.1:5432/test` when it answers. `BENCH_SECS` sets each run's length
//! (default 10). Results are printed and written to `$CARGO_TARGET_DIR/bench/server.json`.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark harness fails loudly")]

#[expect(dead_code, reason = "the API bench never restarts its server")]
mod common;

use std::path::PathBuf;
use std::process::Command;

use common::Server;

use serde_json::{Value, json};

fn start(database_url: Option<&str>) -> Server {
    // Production Argon2id cost: the login lanes measure it.
    common::start(database_url, &[])
}

fn post(client: &reqwest::blocking::Client, url: &str, token: Option<&str>, body: Value) -> Value {
    let mut req = client.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().unwrap();
    assert!(res.status().is_success(), "{url}: {}", res.status());
    res.json().unwrap()
}

/// Signs up, creates a workbench with 50 projects; returns (token, projects URL).
fn seed(server: &Server) -> (String, String) {
    let client = reqwest::blocking::Client::new();
    let api = format!("{}/api/v1", server.base);
    let signup = post(
        &client,
        &format!("{api}/auth/signup"),
        None,
        json!({"email": "bench@example.com", "password": "correct horse battery", "display_name": "Bench"}),
    );
    let token = signup["tokens"]["access_token"].as_str().unwrap().to_owned();
    let me: Value = client.get(format!("{api}/me")).bearer_auth(&token).send().unwrap().json().unwrap();
    let team = me["personal_team_id"].as_str().unwrap();
    let wb = post(&client, &format!("{api}/teams/{team}/workbenches"), Some(&token), json!({"name": "Bench"}));
    let wb = wb["id"].as_str().unwrap();
    for i in 0..50 {
        post(&client, &format!("{api}/workbenches/{wb}/projects"), Some(&token), json!({"name": format!("P{i}")}));
    }
    (token, format!("{api}/workbenches/{wb}/projects?limit=20"))
}

fn oha() -> PathBuf {
    if let Ok(p) = std::env::var("OHA") {
        return p.into();
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"), PathBuf::from);
    let local = target.join("tools/bin/oha");
    if local.is_file() {
        return local;
    }
    "oha".into()
}

#[derive(Debug, Clone)]
struct Run {
    label: String,
    rps: f64,
    p50: f64,
    p95: f64,
    p99: f64,
    ok: f64,
}

fn oha_run(label: &str, args: &[&str]) -> Run {
    let secs = std::env::var("BENCH_SECS").unwrap_or_else(|_| "10".into());
    oha_run_for(label, &format!("{secs}s"), args)
}

fn oha_run_for(label: &str, duration: &str, args: &[&str]) -> Run {
    let out = Command::new(oha())
        .args(["--no-tui", "--output-format", "json", "-z", duration])
        .args(args)
        .output()
        .expect("oha runs (cargo xtask bench server installs it)");
    assert!(out.status.success(), "oha failed: {}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ms = |k: &str| v["latencyPercentiles"][k].as_f64().unwrap_or(f64::NAN) * 1000.0;
    Run {
        label: label.to_owned(),
        rps: v["summary"]["requestsPerSec"].as_f64().unwrap_or(0.0),
        p50: ms("p50"),
        p95: ms("p95"),
        p99: ms("p99"),
        ok: v["summary"]["successRate"].as_f64().unwrap_or(0.0),
    }
}

fn reads(server_label: &str, token: &str, url: &str, rate: Option<u32>) -> Run {
    let auth = format!("Authorization: Bearer {token}");
    let rate_s = rate.map(|r| r.to_string());
    let mut args = vec!["-c", "64", "-H", &auth, "--latency-correction"];
    if let Some(r) = &rate_s {
        args.extend(["-q", r]);
    }
    args.push(url);
    let label = format!("{server_label} reads @ {}", rate.map_or("max".to_owned(), |r| format!("{r}/s")));
    oha_run(&label, &args)
}

fn postgres_url() -> Option<String> {
    let url = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let admin = sqlx::PgPool::connect(&url).await.ok()?;
        let name = format!("cf_bench_{}", uuid::Uuid::now_v7().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await.ok()?;
        let (prefix, _) = url.rsplit_once('/')?;
        Some(format!("{prefix}/{name}"))
    })
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let mut runs: Vec<Run> = Vec::new();
    // BENCH_LANES=sqlite (or postgres) runs one lane; BENCH_RATES=4000,max picks the read rates.
    let wanted = std::env::var("BENCH_LANES").unwrap_or_else(|_| "sqlite,postgres".into());
    let mut lanes: Vec<(&str, Option<String>)> = Vec::new();
    if wanted.contains("sqlite") {
        lanes.push(("sqlite", None));
    }
    if wanted.contains("postgres") {
        match postgres_url() {
            Some(url) => lanes.push(("postgres", Some(url))),
            None => eprintln!("PostgreSQL not reachable: its lane is left out"),
        }
    }
    let rates: Vec<Option<u32>> = std::env::var("BENCH_RATES")
        .unwrap_or_else(|_| "1000,2000,4000,max".into())
        .split(',')
        .map(|r| r.trim().parse().ok())
        .collect();
    let with_login = std::env::var("BENCH_LOGIN").map_or(true, |v| v != "0");
    for (name, url) in &lanes {
        let server = start(url.as_deref());
        let (token, list) = seed(&server);
        // Warm-up: connections, statement caches and the page cache, not measured.
        let _ = oha_run_for("warm-up", "3s", &["-c", "64", "-H", &format!("Authorization: Bearer {token}"), &list]);
        for rate in &rates {
            let run = reads(name, &token, &list, *rate);
            eprintln!("{run:?}");
            runs.push(run);
        }
        if !with_login {
            continue;
        }
        let login_body = r#"{"email":"bench@example.com","password":"correct horse battery"}"#;
        let login_url = format!("{}/api/v1/auth/login", server.base);
        let login = oha_run(
            &format!("{name} login (Argon2id 19 MiB, t=2)"),
            &["-c", "8", "-m", "POST", "-T", "application/json", "-d", login_body, &login_url],
        );
        eprintln!("{login:?}");
        runs.push(login);
        // Reads at 1000/s while 16 clients hammer the login endpoint.
        let flood_url = login_url.clone();
        let flood = std::thread::spawn(move || {
            oha_run("flood", &["-c", "16", "-m", "POST", "-T", "application/json", "-d", login_body, &flood_url])
        });
        std::thread::sleep(std::time::Duration::from_millis(500));
        let mut during = reads(name, &token, &list, Some(1000));
        during.label = format!("{name} reads @ 1000/s during a login flood");
        let flood = flood.join().unwrap();
        eprintln!("{during:?} (flood {:.0} logins/s)", flood.rps);
        runs.push(during);
        let mut flood = flood;
        flood.label = format!("{name} login flood (16 clients) alongside");
        runs.push(flood);
    }
    println!("\n| run | req/s | p50 ms | p95 ms | p99 ms | success |\n|---|---|---|---|---|---|");
    for r in &runs {
        println!("| {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} % |", r.label, r.rps, r.p50, r.p95, r.p99, r.ok * 100.0);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"), PathBuf::from);
    let out = target.join("bench");
    let _ = std::fs::create_dir_all(&out);
    let json: Vec<Value> = runs
        .iter()
        .map(|r| json!({"run": r.label, "rps": r.rps, "p50_ms": r.p50, "p95_ms": r.p95, "p99_ms": r.p99, "success": r.ok}))
        .collect();
    let _ = std::fs::write(out.join("server.json"), serde_json::to_string_pretty(&json).unwrap_or_default());
}
