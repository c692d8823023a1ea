//! Relay benchmark (`cargo xtask bench relay`, or `cargo bench -p sync-server --bench relay`):
//! the real release binary over real WebSockets.
//!
//! - Fan-out: one writer sends 50 updates/s to one document watched by 100 and by 1,000
//!   observers; delivery latency p50/p95/p99 (writer send → observer receive) and the server's
//!   CPU time (from `/proc`) per delivered update.
//! - Durable acknowledgement: the time from sending an update to receiving its echo (which the
//!   relay sends only after the update is committed), p50/p95, on SQLite and on PostgreSQL.
//! - Cold sync: a new client receiving a 5 MB document, right after a restart (the server loads
//!   it from the database) and again while it is loaded.
//! - Memory per idle connection: the server's resident set before and after opening 1,000 idle
//!   connections.
//!
//! PostgreSQL: `BENCH_DATABASE_URL`, else `TEST_DATABASE_URL`, else the local
//! `postgres://postgres@127.0.0.1:5432/test` when it answers. `BENCH_SECS` sets each fan-out
//! run's length (default 10); `BENCH_LANES` picks lanes (`fanout,ack,cold,memory`). Results are
//! printed and written to `$CARGO_TARGET_DIR/bench/relay.json`.

#![expect(clippy::unwrap_used, reason = "a benchmark harness fails loudly")]

use std::collections::HashMap;
mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::Server;
use editor_core::protocol::Message;
use editor_core::{
    Color, Command as EditCommand, Design, Document, FormatPreset, Layer, LayerId, LayerPatch, Rect, SyncClient,
    design_file,
};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn start(database_url: Option<&str>) -> Server {
    // Fast password hashes: sign-ups are set-up here, not what is measured.
    common::start(
        database_url,
        &[("CREATIVEFLOW_AUTH__ARGON2_MEMORY_KIB", "1024"), ("CREATIVEFLOW_AUTH__ARGON2_ITERATIONS", "1")],
    )
}

/// What the relay bench reads off the server process.
trait ProcessStats {
    /// User and system CPU time of the server process so far.
    fn cpu(&self) -> (Duration, Duration);
    /// Resident set size, bytes.
    fn rss(&self) -> u64;
}

impl ProcessStats for Server {
    fn cpu(&self) -> (Duration, Duration) {
        process_cpu(&self.child.id().to_string())
    }

    fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
    }
}

/// User and system CPU time of process `pid` (or `self`) so far.
fn process_cpu(pid: &str) -> (Duration, Duration) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Linux reports 100 ticks per second (USER_HZ) on every architecture we run on.
    let ticks = |i: usize| Duration::from_millis(fields[i].parse::<u64>().unwrap() * 10);
    (ticks(11), ticks(12))
}

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

async fn post(base: &str, path: &str, token: Option<&str>, body: Value) -> Value {
    let mut req = http().post(format!("{base}/api/v1{path}")).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    assert!(res.status().is_success(), "POST {path}: {}", res.status());
    res.json().await.unwrap()
}

fn id(s: &str) -> LayerId {
    LayerId::parse(s).unwrap()
}

fn design() -> Design {
    let mut design = Design::new("Bench", FormatPreset::InstagramPost.format());
    design.layers.push(Layer::rect(id("box"), Rect::new(0.0, 0.0, 50.0, 50.0), Color::rgb(255, 0, 0)));
    design.assign_missing_z();
    design.normalize();
    design
}

/// Signs up and creates a creative; returns (access token, creative id).
async fn setup(base: &str) -> (String, String) {
    let email = format!("bench-{}@example.com", uuid::Uuid::now_v7().simple());
    let body = post(
        base,
        "/auth/signup",
        None,
        json!({ "email": email, "password": "correct horse battery", "display_name": "B" }),
    )
    .await;
    let token = body["tokens"]["access_token"].as_str().unwrap().to_owned();
    let team = body["user"]["personal_team_id"].as_str().unwrap();
    let w = post(base, &format!("/teams/{team}/workbenches"), Some(&token), json!({ "name": "W" })).await;
    let p = post(
        base,
        &format!("/workbenches/{}/projects", w["id"].as_str().unwrap()),
        Some(&token),
        json!({ "name": "P" }),
    )
    .await;
    let file: Value = serde_json::from_str(&design_file::to_string(&design())).unwrap();
    let c = post(
        base,
        &format!("/projects/{}/creatives", p["id"].as_str().unwrap()),
        Some(&token),
        json!({ "name": "C", "design": file }),
    )
    .await;
    (token, c["id"].as_str().unwrap().to_owned())
}

/// The socket URL with a fresh document token (valid for minutes: reuse it for many sockets).
async fn sync_url(base: &str, token: &str, creative: &str) -> String {
    let t = post(base, &format!("/creatives/{creative}/sync-token"), Some(token), json!(null)).await;
    format!("{}{}?token={}", base.replacen("http", "ws", 1), t["path"].as_str().unwrap(), t["token"].as_str().unwrap())
}

async fn open(url: &str) -> Ws {
    tokio_tungstenite::connect_async_with_config(url, None, true).await.unwrap().0
}

async fn connect(base: &str, token: &str, creative: &str) -> Ws {
    open(&sync_url(base, token, creative).await).await
}

/// The creative's stored document, as a client that synced it would hold it.
async fn stored(base: &str, token: &str, creative: &str) -> Document {
    let res =
        http().get(format!("{base}/api/v1/creatives/{creative}/document")).bearer_auth(token).send().await.unwrap();
    assert!(res.status().is_success());
    Document::load(None, None, &[res.bytes().await.unwrap().to_vec()]).unwrap()
}

/// `n` update frames of a writer moving a box in `doc` (synced with the server), made in
/// advance.
fn updates(mut doc: Document, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let x = f64::from(u32::try_from(i).unwrap());
            let change = doc
                .apply(EditCommand::SetLayer { id: id("box"), patch: LayerPatch { x: Some(x), ..Default::default() } })
                .unwrap();
            Message::Update(change.update).encode()
        })
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn summary(mut samples: Vec<f64>) -> Value {
    samples.sort_by(f64::total_cmp);
    json!({
        "count": samples.len(),
        "p50_ms": percentile(&samples, 50.0),
        "p95_ms": percentile(&samples, 95.0),
        "p99_ms": percentile(&samples, 99.0),
        "max_ms": samples.last().copied().unwrap_or(f64::NAN),
    })
}

/// One writer at `rate` updates/s for `secs` to `observers` observers.
async fn fanout(server: &Server, observers: usize, rate: u32, secs: u64) -> Value {
    let (token, creative) = setup(&server.base).await;
    let total = usize::try_from(u64::from(rate) * secs).unwrap();
    let frames = updates(stored(&server.base, &token, &creative).await, total);
    let index: Arc<HashMap<Vec<u8>, usize>> =
        Arc::new(frames.iter().enumerate().map(|(i, f)| (f.clone(), i)).collect());
    let start = Instant::now();
    let sent_at: Arc<Vec<AtomicU64>> = Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());

    let mut watchers = Vec::new();
    let mut sockets = Vec::new();
    let url = sync_url(&server.base, &token, &creative).await;
    for _ in 0..observers {
        sockets.push(open(&url).await);
    }
    for mut ws in sockets {
        let (index, sent_at) = (index.clone(), sent_at.clone());
        watchers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(total);
            while latencies.len() < total {
                let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_secs(10), ws.next()).await else { break };
                if let WsMessage::Binary(bytes) = msg
                    && let Some(&i) = index.get(bytes.as_ref())
                {
                    let now = u64::try_from(start.elapsed().as_nanos()).unwrap();
                    let sent = sent_at[i].load(Ordering::Acquire);
                    latencies.push((now.saturating_sub(sent)) as f64 / 1e6);
                }
            }
            latencies
        }));
    }
    let writer = open(&url).await;
    // Let every observer's greeting settle before measuring.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu_before = server.cpu();
    let load_before = process_cpu("self");
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    let (reader_tx, mut reader_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let (mut sink, mut stream) = writer.split();
    let drain = tokio::spawn(async move {
        while let Some(Ok(_)) = stream.next().await {
            if reader_tx.is_closed() {
                break;
            }
        }
    });
    for (i, frame) in frames.iter().enumerate() {
        tick.tick().await;
        sent_at[i].store(u64::try_from(start.elapsed().as_nanos()).unwrap(), Ordering::Release);
        sink.send(WsMessage::Binary(frame.clone().into())).await.unwrap();
    }
    let mut all = Vec::new();
    let mut complete = 0;
    for w in watchers {
        let l = w.await.unwrap();
        if l.len() == total {
            complete += 1;
        }
        all.extend(l);
    }
    let cpu_after = server.cpu();
    let load_after = process_cpu("self");
    let load = (load_after.0 + load_after.1).saturating_sub(load_before.0 + load_before.1);
    let (user, system) = (cpu_after.0.saturating_sub(cpu_before.0), cpu_after.1.saturating_sub(cpu_before.1));
    let cpu = user + system;
    reader_rx.close();
    drain.abort();
    let delivered = all.len();
    let mut result = summary(all);
    result["observers"] = json!(observers);
    result["updates"] = json!(total);
    result["rate_per_s"] = json!(rate);
    result["observers_with_every_update"] = json!(complete);
    result["server_cpu_ms"] = json!(cpu.as_secs_f64() * 1e3);
    result["server_user_cpu_ms"] = json!(user.as_secs_f64() * 1e3);
    // The clients run on the same two cores: their CPU is what the server competed with.
    result["load_generator_cpu_ms"] = json!(load.as_secs_f64() * 1e3);
    result["server_system_cpu_ms"] = json!(system.as_secs_f64() * 1e3);
    result["server_cpu_us_per_delivery"] = json!(cpu.as_secs_f64() * 1e6 / delivered.max(1) as f64);
    drop(sink);
    result
}

/// Time from sending an update to its echo (the durable acknowledgement), at `rate`/s.
async fn ack_latency(server: &Server, rate: u32, count: usize) -> Value {
    let (token, creative) = setup(&server.base).await;
    let frames = updates(stored(&server.base, &token, &creative).await, count);
    let ws = connect(&server.base, &token, &creative).await;
    let (mut sink, mut stream) = ws.split();
    let index: HashMap<Vec<u8>, usize> = frames.iter().enumerate().map(|(i, f)| (f.clone(), i)).collect();
    let sent_at: Arc<Vec<AtomicU64>> = Arc::new((0..count).map(|_| AtomicU64::new(0)).collect());
    let start = Instant::now();
    let reader = {
        let sent_at = sent_at.clone();
        tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(count);
            while latencies.len() < count {
                let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_secs(10), stream.next()).await else {
                    break;
                };
                if let WsMessage::Binary(bytes) = msg
                    && let Some(&i) = index.get(bytes.as_ref())
                {
                    let now = u64::try_from(start.elapsed().as_nanos()).unwrap();
                    latencies.push(now.saturating_sub(sent_at[i].load(Ordering::Acquire)) as f64 / 1e6);
                }
            }
            latencies
        })
    };
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    for (i, frame) in frames.iter().enumerate() {
        tick.tick().await;
        sent_at[i].store(u64::try_from(start.elapsed().as_nanos()).unwrap(), Ordering::Release);
        sink.send(WsMessage::Binary(frame.clone().into())).await.unwrap();
    }
    let mut result = summary(reader.await.unwrap());
    result["rate_per_s"] = json!(rate);
    result
}

/// Connects a fresh sync client and waits until it holds the whole document; returns ms.
async fn sync_time(base: &str, token: &str, creative: &str) -> (f64, usize) {
    let started = Instant::now();
    let mut ws = connect(base, token, creative).await;
    let mut client = SyncClient::new(Document::new());
    client.connected();
    for frame in client.take_outgoing() {
        ws.send(WsMessage::Binary(frame.into())).await.unwrap();
    }
    let mut bytes = 0;
    while client.state() != editor_core::ConnectionState::Synced {
        let msg = ws.next().await.unwrap().unwrap();
        if let WsMessage::Binary(frame) = msg {
            bytes += frame.len();
            client.receive(&frame).unwrap();
        }
    }
    (started.elapsed().as_secs_f64() * 1e3, bytes)
}

/// A 5 MB document: 55 text layers of 95,000 characters.
async fn cold_sync(server: &mut Server) -> Value {
    let (token, creative) = setup(&server.base).await;
    let mut ws = connect(&server.base, &token, &creative).await;
    let mut client = SyncClient::new(Document::new());
    client.connected();
    let text: String = "lorem ipsum dolor sit amet ".chars().cycle().take(95_000).collect();
    let mut last = 0;
    for i in 0..55 {
        let mut layer = Layer::text(id(&format!("t{i}")), &text, Rect::new(0.0, f64::from(i) * 10.0, 500.0, 10.0));
        layer.name = format!("Text {i}");
        last = client.apply(EditCommand::AddLayer { layer }).unwrap().0;
    }
    let mut acked = false;
    for frame in client.take_outgoing() {
        ws.send(WsMessage::Binary(frame.into())).await.unwrap();
    }
    while !acked {
        if let WsMessage::Binary(frame) = ws.next().await.unwrap().unwrap() {
            for event in client.receive(&frame).unwrap() {
                if let editor_core::SyncEvent::Acknowledged(ids) = event {
                    acked |= ids.contains(&last);
                }
            }
            for frame in client.take_outgoing() {
                ws.send(WsMessage::Binary(frame.into())).await.unwrap();
            }
        }
    }
    drop(ws);
    let size = client.document().encode_state_v1().len();
    server.restart();
    let (cold_ms, bytes) = sync_time(&server.base, &token, &creative).await;
    let (warm_ms, _) = sync_time(&server.base, &token, &creative).await;
    json!({ "document_bytes_v1": size, "received_bytes": bytes, "cold_ms": cold_ms, "loaded_ms": warm_ms })
}

/// Server memory per idle connection.
async fn idle_memory(server: &Server, connections: usize) -> Value {
    let (token, creative) = setup(&server.base).await;
    // Load the document and warm the allocator with one connection first.
    let first = connect(&server.base, &token, &creative).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = server.rss();
    let mut sockets = Vec::with_capacity(connections);
    let url = sync_url(&server.base, &token, &creative).await;
    for _ in 0..connections {
        sockets.push(open(&url).await);
    }
    // Read the greetings so nothing is queued, then let the server settle.
    for ws in &mut sockets {
        while let Ok(Some(Ok(_))) = tokio::time::timeout(Duration::from_millis(20), ws.next()).await {}
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = server.rss();
    drop(first);
    json!({
        "connections": connections,
        "rss_before_bytes": before,
        "rss_after_bytes": after,
        "bytes_per_connection": (after.saturating_sub(before)) as f64 / connections as f64,
    })
}

async fn postgres_url() -> Option<String> {
    let url = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let pool = sqlx::PgPool::connect(&url).await.ok()?;
    let schema = format!("bench_relay_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {schema}"))).execute(&pool).await.ok()?;
    pool.close().await;
    let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
    Some(format!("{base}/{schema}"))
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(run());
}

async fn run() {
    let lanes = std::env::var("BENCH_LANES").unwrap_or_else(|_| "fanout,ack,cold,memory".into());
    let secs: u64 = std::env::var("BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let mut report = serde_json::Map::new();
    if lanes.contains("fanout") {
        let server = start(None);
        for observers in [100, 1000] {
            let r = fanout(&server, observers, 50, secs).await;
            println!("fan-out to {observers} observers: {r}");
            report.insert(format!("fanout_{observers}"), r);
        }
    }
    if lanes.contains("ack") {
        let server = start(None);
        let r = ack_latency(&server, 50, 500).await;
        println!("durable ack on SQLite: {r}");
        report.insert("ack_sqlite".into(), r);
        drop(server);
        match postgres_url().await {
            Some(url) => {
                let server = start(Some(&url));
                let r = ack_latency(&server, 50, 500).await;
                println!("durable ack on PostgreSQL: {r}");
                report.insert("ack_postgres".into(), r);
            }
            None => println!("durable ack on PostgreSQL: skipped (no database)"),
        }
    }
    if lanes.contains("cold") {
        let mut server = start(None);
        let r = cold_sync(&mut server).await;
        println!("sync of a 5 MB document: {r}");
        report.insert("cold_sync".into(), r);
    }
    if lanes.contains("memory") {
        let server = start(None);
        let r = idle_memory(&server, 1000).await;
        println!("idle connections: {r}");
        report.insert("idle_memory".into(), r);
    }
    let dir = PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into())).join("bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("relay.json"), serde_json::to_string_pretty(&Value::Object(report)).unwrap()).unwrap();
}
