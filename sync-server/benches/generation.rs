//! Generation service benchmark (`cargo xtask bench generation`, or `cargo bench -p sync-server
//! --bench generation`): the release server with its embedded worker, over HTTP and the events
//! socket, as a creator sees it.
//!
//! - Four previews end to end: `POST /generations` → the `generation_completed` event, one
//!   request at a time (p50/p95 over `BENCH_RUNS`, default 40).
//! - 4K PNG final: select → `final_ready` (p50 over 5), on the Pro plan.
//! - Throughput: 30 requests at once; preview sets per minute for the one embedded worker, and
//!   per worker core (the worker runs one job at a time on one core).

#![expect(clippy::unwrap_used, reason = "a benchmark harness fails loudly")]

#[expect(dead_code, reason = "this bench never restarts the server")]
mod common;

use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const PROMPTS: [&str; 6] = [
    "Summer sale on running shoes, 30% off this weekend",
    "Grand opening of our new bakery on Saturday",
    "We're hiring a senior backend engineer",
    "5 tips for better sleep",
    "Luxury villa for sale with sea view",
    "Free online workshop: intro to watercolor painting",
];

async fn call(http: &reqwest::Client, base: &str, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    let r = http
        .request(method.parse().unwrap(), format!("{base}/api/v1{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn until(ws: &mut Socket, kind: &str, field: &str, id: &str) {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(120), ws.next()).await.unwrap().unwrap().unwrap();
        if let Message::Text(t) = frame {
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["kind"] == "generation_failed" || v["kind"] == "final_failed" {
                panic!("failed: {v}");
            }
            if v["kind"] == kind && v["payload"][field] == id {
                return;
            }
        }
    }
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::var("BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(40);
    let server = common::start(None, &[]);
    let http = reqwest::Client::new();
    let base = server.base.clone();
    let (_, signup) = {
        let r = http
            .post(format!("{base}/api/v1/auth/signup"))
            .json(&json!({"email": "bench@example.com", "password": "correct horse battery", "display_name": "Bench"}))
            .send()
            .await
            .unwrap();
        (r.status(), r.json::<Value>().await.unwrap())
    };
    let token = signup["tokens"]["access_token"].as_str().unwrap().to_owned();
    let (_, me) = call(&http, &base, "GET", "/me", &token, Value::Null).await;
    let team = me["personal_team_id"].as_str().unwrap().to_owned();
    // Pro: samples free (the Free plan's 100 samples would run out) and 4K exports allowed.
    let (status, _) =
        call(&http, &base, "PUT", &format!("/teams/{team}/billing/plan"), &token, json!({"plan": "pro"})).await;
    assert_eq!(status, 200);
    let url = format!("{}/api/v1/events?token={token}", base.replacen("http://", "ws://", 1));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();

    // Warm-up: fonts, templates and the worker's first lease.
    let (_, g) = call(&http, &base, "POST", "/generations", &token, json!({"prompt": PROMPTS[0]})).await;
    until(&mut ws, "generation_completed", "generation_id", g["id"].as_str().unwrap()).await;

    let mut times = Vec::with_capacity(runs);
    let mut last = String::new();
    for i in 0..runs {
        let started = Instant::now();
        let body = json!({"prompt": PROMPTS[i % PROMPTS.len()], "seed": i});
        let (status, g) = call(&http, &base, "POST", "/generations", &token, body).await;
        assert_eq!(status, 202, "{g}");
        last = g["id"].as_str().unwrap().to_owned();
        until(&mut ws, "generation_completed", "generation_id", &last).await;
        times.push(started.elapsed());
    }
    times.sort_unstable();
    println!(
        "four previews end to end (embedded worker): n={runs} p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        percentile(&times, 1.0)
    );

    let mut finals = Vec::new();
    for i in 0..5 {
        let started = Instant::now();
        let (status, sel) = call(
            &http,
            &base,
            "POST",
            &format!("/generations/{last}/samples/{}/select", i % 4),
            &token,
            json!({"final": {"size": "uhd4k", "format": "png"}}),
        )
        .await;
        assert_eq!(status, 200, "{sel}");
        until(&mut ws, "final_ready", "final_id", sel["final"]["id"].as_str().unwrap()).await;
        finals.push(started.elapsed());
    }
    finals.sort_unstable();
    println!(
        "4K PNG final (3840 × 3840): n=5 p50 {:.0} ms, max {:.0} ms",
        percentile(&finals, 0.5),
        percentile(&finals, 1.0)
    );

    let burst = 30;
    let started = Instant::now();
    let mut ids = Vec::new();
    for i in 0..burst {
        let body = json!({"prompt": PROMPTS[i % PROMPTS.len()], "seed": 1000 + i});
        let (status, g) = call(&http, &base, "POST", "/generations", &token, body).await;
        assert_eq!(status, 202);
        ids.push(g["id"].as_str().unwrap().to_owned());
    }
    let mut remaining: std::collections::HashSet<String> = ids.into_iter().collect();
    while !remaining.is_empty() {
        let frame = tokio::time::timeout(Duration::from_secs(300), ws.next()).await.unwrap().unwrap().unwrap();
        if let Message::Text(t) = frame {
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["kind"] == "generation_completed"
                && let Some(id) = v["payload"]["generation_id"].as_str()
            {
                remaining.remove(id);
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let per_minute = burst as f64 / secs * 60.0;
    println!(
        "throughput: {burst} preview sets in {secs:.1} s = {per_minute:.0} sets/min with one embedded worker (one job at a time, one core)"
    );
}
