//! Remote workers and failures against the real binaries: a `gen-worker` process killed with
//! SIGKILL in the middle of a job loses its lease and another worker finishes the job, with the
//! credits captured once; a job whose workers keep dying is given up, its credits released and
//! the user told in plain words; 100 parallel requests with credits for 10 give exactly 10
//! accepted and 90 × 402.

#![expect(clippy::unwrap_used, reason = "test code fails loudly")]

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use support::TestServer;
use tokio_tungstenite::tungstenite::Message;

const TOKEN: &str = "remote-worker-token-0123456789abcdef0123456789";

/// The `gen-worker` binary next to the server's (built when missing).
fn worker_binary() -> PathBuf {
    let server = PathBuf::from(env!("CARGO_BIN_EXE_sync-server"));
    let path = server.with_file_name(format!("gen-worker{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo).args(["build", "-p", "gen-worker", "--bin", "gen-worker"]).status().unwrap();
        assert!(status.success(), "could not build gen-worker");
    }
    assert!(path.exists(), "no gen-worker binary at {}", path.display());
    path
}

fn start_worker(server: &TestServer, pace_ms: u64) -> Child {
    Command::new(worker_binary())
        .args(["--server", &server.base, "--token", TOKEN, "--name", "remote-test"])
        .env("CREATIVEFLOW_WORKER_PACE_MS", pace_ms.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn remote_only_server() -> TestServer {
    TestServer::start(&[
        ("CREATIVEFLOW_GENERATION__EMBEDDED_WORKER", "false"),
        ("CREATIVEFLOW_GENERATION__WORKER_TOKENS", &format!("[\"{TOKEN}\"]")),
        ("CREATIVEFLOW_GENERATION__LEASE_MS", "1500"),
        ("CREATIVEFLOW_GENERATION__MAX_ATTEMPTS", "2"),
        ("CREATIVEFLOW_GENERATION__RETRY_BASE_MS", "100"),
    ])
}

struct Who {
    token: String,
    team: String,
}

async fn account(server: &TestServer, email: &str) -> Who {
    let body = support::sign_up(server, email).await;
    let token = body["tokens"]["access_token"].as_str().unwrap().to_owned();
    let (_, me) = server.call("GET", "/me", Some(&token), None).await;
    Who { token, team: me["personal_team_id"].as_str().unwrap().to_owned() }
}

async fn balance(server: &TestServer, who: &Who) -> i64 {
    let (_, b) = server.call("GET", &format!("/teams/{}/billing", who.team), Some(&who.token), None).await;
    b["available_quarters"].as_i64().unwrap()
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn events(server: &TestServer, who: &Who) -> Socket {
    let url = format!("{}/api/v1/events?token={}", server.ws_base(), who.token);
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// The next notification of one of `kinds`, skipping others.
async fn wait_for(ws: &mut Socket, kinds: &[&str]) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let frame = tokio::time::timeout_at(deadline, ws.next()).await.unwrap_or_else(|_| panic!("no {kinds:?}"));
        if let Message::Text(t) = frame.unwrap().unwrap() {
            let v: Value = serde_json::from_str(&t).unwrap();
            if kinds.iter().any(|k| v["kind"] == *k) {
                return v;
            }
        }
    }
}

async fn generate(server: &TestServer, who: &Who) -> String {
    let (status, g) = server
        .call(
            "POST",
            "/generations",
            Some(&who.token),
            Some(json!({"prompt": "Spring plant sale, 20% off perennials"})),
        )
        .await;
    assert_eq!(status, 202, "{g}");
    g["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_job_loses_its_lease_and_another_finishes_it() {
    let server = remote_only_server();
    let who = account(&server, "remote@example.com").await;
    let mut ws = events(&server, &who).await;
    let id = generate(&server, &who).await;

    // A slow worker: one sample every 2 s. Kill it once it has delivered the first.
    let mut first = start_worker(&server, 2000);
    let n = wait_for(&mut ws, &["sample_ready"]).await;
    assert_eq!(n["payload"]["generation_id"], id.as_str());
    first.kill().unwrap();
    first.wait().unwrap();

    // Its lease lapses (1.5 s); a fresh worker leases the job again and completes it.
    let mut second = start_worker(&server, 0);
    let done = wait_for(&mut ws, &["generation_completed", "generation_failed"]).await;
    assert_eq!(done["kind"], "generation_completed", "{done}");
    let (_, g) = server.call("GET", &format!("/generations/{id}"), Some(&who.token), None).await;
    assert_eq!(g["status"], "succeeded");
    assert_eq!(g["samples"].as_array().unwrap().len(), 4);
    assert_eq!(balance(&server, &who).await, 99, "captured exactly once");
    let (_, usage) = server.call("GET", &format!("/teams/{}/billing/usage", who.team), Some(&who.token), None).await;
    let captures = usage["items"].as_array().unwrap().iter().filter(|e| e["kind"] == "capture").count();
    assert_eq!(captures, 1, "{usage}");
    second.kill().unwrap();
    second.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_whose_workers_keep_dying_fails_plainly_and_costs_nothing() {
    let server = remote_only_server();
    let who = account(&server, "unlucky@example.com").await;
    let mut ws = events(&server, &who).await;
    let id = generate(&server, &who).await;
    assert_eq!(balance(&server, &who).await, 99, "held while it runs");

    // Two attempts allowed; both workers die mid-job.
    for _ in 0..2 {
        let mut w = start_worker(&server, 3000);
        wait_for(&mut ws, &["sample_ready"]).await;
        w.kill().unwrap();
        w.wait().unwrap();
    }
    // No worker is left: the server's reaper finds the lapsed job out of attempts and fails it.
    let failed = wait_for(&mut ws, &["generation_failed", "generation_completed"]).await;
    assert_eq!(failed["kind"], "generation_failed", "{failed}");
    let message = failed["payload"]["message"].as_str().unwrap();
    assert!(message.contains("not been charged"), "{message}");
    assert_eq!(failed["payload"]["charged"], false);
    let (_, g) = server.call("GET", &format!("/generations/{id}"), Some(&who.token), None).await;
    assert_eq!(g["status"], "failed");
    assert_eq!(g["error"].as_str(), Some(message));
    assert_eq!(balance(&server, &who).await, 100, "the hold was released");
    let (_, metrics) = {
        let r = server.http.get(format!("{}/metrics", server.base)).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    };
    assert!(metrics.contains("generation_jobs_total{outcome=\"failed\"} 1"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_parallel_requests_with_credits_for_ten_accept_exactly_ten() {
    let server = remote_only_server();
    let who = account(&server, "busy@example.com").await;
    // Spend 90 of the 100 quarter-credits so exactly ten samples remain.
    let db = sync_server::db::Database::connect(&server.database_url).await.unwrap();
    let team = uuid::Uuid::parse_str(&who.team).unwrap();
    db.adjust_credits(team, None, -90, "test: leave credits for ten", &sync_server::credits::Plans::bundled())
        .await
        .unwrap();
    assert_eq!(balance(&server, &who).await, 10);
    let mut calls = Vec::new();
    for i in 0..100 {
        let (http, url, token) =
            (server.http.clone(), format!("{}/api/v1/generations", server.base), who.token.clone());
        calls.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .bearer_auth(token)
                .json(&json!({"prompt": format!("Flash sale number {i}")}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            (status, body)
        }));
    }
    let mut accepted = 0;
    let mut refused = 0;
    for c in calls {
        let (status, body) = c.await.unwrap();
        match status {
            202 => accepted += 1,
            402 => {
                refused += 1;
                assert_eq!(body["type"], "https://creativeflow.dev/problems/insufficient-credits", "{body}");
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((accepted, refused), (10, 90));
    assert_eq!(balance(&server, &who).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_queued_generation_can_be_canceled_and_costs_nothing() {
    // No worker runs: the generation waits in the queue.
    let server = remote_only_server();
    let who = account(&server, "patient@example.com").await;
    let id = generate(&server, &who).await;
    assert_eq!(balance(&server, &who).await, 99);
    let (status, g) = server.call("POST", &format!("/generations/{id}/cancel"), Some(&who.token), None).await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(g["status"], "canceled");
    assert_eq!(balance(&server, &who).await, 100, "the hold was released");
    let (status, _) = server.call("POST", &format!("/generations/{id}/cancel"), Some(&who.token), None).await;
    assert_eq!(status, 409, "it already ended");
    // A worker that starts now finds nothing to do for it.
    let mut w = start_worker(&server, 0);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, g) = server.call("GET", &format!("/generations/{id}"), Some(&who.token), None).await;
    assert_eq!((g["status"].as_str(), g["samples"].as_array().map(Vec::len)), (Some("canceled"), Some(0)));
    w.kill().unwrap();
    w.wait().unwrap();
}
