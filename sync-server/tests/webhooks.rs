//! Webhooks against the real binary: a receiver inside the test (hand-written HTTP/1.1 on a
//! loopback port) records what the server sends. A test delivery arrives signed (checked here
//! with an independent Standard Webhooks verifier), failing answers are retried with backoff
//! and logged, an endpoint that keeps failing is given up, events reach only subscribed
//! endpoints, and URLs and other users' endpoints are refused. Every story runs on SQLite and,
//! when `TEST_DATABASE_URL` is set, on PostgreSQL.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "test code fails loudly")]

mod support;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit as _, Mac as _};
use serde_json::{Value, json};
use support::{PgScratch, TestServer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

// ---------------------------------------------------------------------- the receiver

/// A request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    /// Lower-cased header names.
    headers: HashMap<String, String>,
    body: String,
}

/// What the receiver answers: a status, or silence for `Hang` (the sender must time out).
#[derive(Clone, Copy, Debug)]
enum Answer {
    Status(u16),
    Hang,
}

/// An HTTP/1.1 server on 127.0.0.1 that records requests and answers from a script (then 200,
/// or `fallback`).
#[derive(Clone)]
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(script: Vec<Answer>, fallback: Answer) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/cf", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let log = received.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else { return };
                let (log, script) = (log.clone(), script.clone());
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut socket).await else { return };
                    log.lock().unwrap().push(request);
                    let answer = script.lock().unwrap().pop_front().unwrap_or(fallback);
                    match answer {
                        Answer::Hang => tokio::time::sleep(Duration::from_secs(3)).await,
                        Answer::Status(code) => {
                            let response =
                                format!("HTTP/1.1 {code} Whatever\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
                            let _ = socket.write_all(response.as_bytes()).await;
                            let _ = socket.shutdown().await;
                        }
                    }
                });
            }
        });
        Receiver { url, received }
    }

    fn requests(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..400 {
            let got = self.requests();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the receiver got {} requests, expected {n}", self.requests().len());
    }
}

/// Reads one request: the head up to the blank line, then `Content-Length` bytes of body.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next()?;
    assert!(request_line.starts_with("POST /hooks/cf HTTP/1.1"), "{request_line}");
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers.get("content-length")?.parse().ok()?;
    while buf.len() < head_end + length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8(buf[head_end..head_end + length].to_vec()).ok()?;
    Some(Received { headers, body })
}

/// An independent Standard Webhooks verifier: the base64-decoded `whsec_` secret, HMAC-SHA256
/// over `id.timestamp.body`, compared with each `v1,` entry of the signature header.
fn verify(secret: &str, request: &Received, body: &str) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").expect("a whsec_ secret")).unwrap();
    let (id, timestamp) = (&request.headers["webhook-id"], &request.headers["webhook-timestamp"]);
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    request.headers["webhook-signature"]
        .split(' ')
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .any(|sig| sig == expected)
}

// ---------------------------------------------------------------------- helpers

/// Fast retries, so that the stories take well under a second of backoff.
const FAST: [(&str, &str); 4] = [
    ("CREATIVEFLOW_WEBHOOKS__RETRY_BASE_MS", "50"),
    ("CREATIVEFLOW_WEBHOOKS__POLL_MS", "50"),
    ("CREATIVEFLOW_WEBHOOKS__TIMEOUT_MS", "400"),
    ("CREATIVEFLOW_WEBHOOKS__RETRY_MAX_ATTEMPTS", "3"),
];

/// Runs `story` on SQLite, then on PostgreSQL when `TEST_DATABASE_URL` is set.
async fn on_both<F, Fut>(env: &[(&str, &str)], story: F)
where
    F: Fn(TestServer) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    story(TestServer::start(env)).await;
    match PgScratch::new().await {
        Some(scratch) => {
            story(TestServer::start_with_database(Some(&scratch.url), env)).await;
            scratch.cleanup().await;
        }
        None => eprintln!("PostgreSQL part skipped: TEST_DATABASE_URL is not set (CI sets it)"),
    }
}

struct Account {
    id: String,
    token: String,
}

async fn account(server: &TestServer, email: &str) -> Account {
    let body = support::sign_up(server, email).await;
    Account {
        id: body["user"]["id"].as_str().unwrap().to_owned(),
        token: body["tokens"]["access_token"].as_str().unwrap().to_owned(),
    }
}

/// Creates an endpoint; (its id, its secret).
async fn endpoint(server: &TestServer, who: &Account, body: Value) -> (String, String) {
    let (status, created) = server.call("POST", "/webhooks", Some(&who.token), Some(body)).await;
    assert_eq!(status, 201, "{created}");
    (created["id"].as_str().unwrap().to_owned(), created["secret"].as_str().unwrap().to_owned())
}

async fn deliveries(server: &TestServer, who: &Account, endpoint: &str) -> Vec<Value> {
    let (status, page) = server.call("GET", &format!("/webhooks/{endpoint}/deliveries"), Some(&who.token), None).await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// Waits until the endpoint's newest delivery has `status`; returns it.
async fn wait_for_status(server: &TestServer, who: &Account, endpoint: &str, status: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..400 {
        if let Some(newest) = deliveries(server, who, endpoint).await.first() {
            if newest["status"] == status {
                return newest.clone();
            }
            last = newest.clone();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the delivery never became {status}: {last}");
}

fn codes(delivery: &Value) -> Vec<Value> {
    delivery["attempt_log"].as_array().unwrap().iter().map(|a| a["status_code"].clone()).collect()
}

// ---------------------------------------------------------------------- stories

/// Create → test button → the receiver gets a signed `webhook.test`; the log shows it delivered.
async fn test_delivery_story(server: TestServer) {
    let receiver = Receiver::start(Vec::new(), Answer::Status(200)).await;
    let ana = account(&server, "ana@example.com").await;
    let (status, created) = server
        .call(
            "POST",
            "/webhooks",
            Some(&ana.token),
            Some(json!({ "url": receiver.url, "description": "CI", "event_types": ["final.completed"] })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(created["event_types"], json!(["final.completed"]));
    assert_eq!(created["enabled"], true);
    // The secret is shown once.
    let (status, shown) = server.call("GET", &format!("/webhooks/{id}"), Some(&ana.token), None).await;
    assert_eq!(status, 200, "{shown}");
    assert!(shown.get("secret").is_none(), "{shown}");
    let (_, list) = server.call("GET", "/webhooks", Some(&ana.token), None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["items"][0].get("secret").is_none());

    let (status, queued) = server.call("POST", &format!("/webhooks/{id}/test"), Some(&ana.token), None).await;
    assert_eq!(status, 202, "{queued}");
    assert_eq!(queued["event_type"], "webhook.test");
    let got = receiver.wait_for(1).await;
    let request = &got[0];
    assert_eq!(request.headers["webhook-id"], queued["id"].as_str().unwrap());
    assert_eq!(request.headers["content-type"], "application/json");
    let timestamp: i64 = request.headers["webhook-timestamp"].parse().unwrap();
    let now =
        i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()).unwrap();
    assert!((now - timestamp).abs() < 60, "timestamp {timestamp} vs now {now}");
    assert!(verify(&secret, request, &request.body), "the signature does not verify: {:?}", request.headers);
    let tampered = request.body.replace("webhook.test", "final.completed");
    assert_ne!(tampered, request.body);
    assert!(!verify(&secret, request, &tampered), "a tampered body must not verify");
    let body: Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(body["type"], "webhook.test");
    assert_eq!(body["data"]["endpoint_id"], id.as_str());
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'), "{body}");

    let delivered = wait_for_status(&server, &ana, &id, "delivered").await;
    assert_eq!(delivered["attempts"], 1);
    assert_eq!(codes(&delivered), vec![json!(200)]);
    assert!(delivered["delivered_at"].is_i64());
    assert!(delivered["attempt_log"][0]["error"].is_null());

    // Rotating gives a new secret that signs the next delivery; the old one no longer verifies.
    let (status, rotated) = server.call("POST", &format!("/webhooks/{id}/rotate-secret"), Some(&ana.token), None).await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    server.call("POST", &format!("/webhooks/{id}/test"), Some(&ana.token), None).await;
    let got = receiver.wait_for(2).await;
    assert!(verify(new_secret, &got[1], &got[1].body));
    assert!(!verify(&secret, &got[1], &got[1].body));

    // A disabled endpoint takes no test; deleting it removes it and its log.
    let (status, patched) =
        server.call("PATCH", &format!("/webhooks/{id}"), Some(&ana.token), Some(json!({ "enabled": false }))).await;
    assert_eq!((status, &patched["enabled"]), (200, &json!(false)), "{patched}");
    let (status, _) = server.call("POST", &format!("/webhooks/{id}/test"), Some(&ana.token), None).await;
    assert_eq!(status, 409);
    let (status, _) = server.call("DELETE", &format!("/webhooks/{id}"), Some(&ana.token), None).await;
    assert_eq!(status, 204);
    let (status, _) = server.call("GET", &format!("/webhooks/{id}/deliveries"), Some(&ana.token), None).await;
    assert_eq!(status, 404);
}

/// 500, 500, then 200: three attempts logged with those codes, one webhook-id, delivered.
async fn retry_story(server: TestServer) {
    let receiver = Receiver::start(vec![Answer::Status(500), Answer::Status(500)], Answer::Status(200)).await;
    let ana = account(&server, "ana@example.com").await;
    let (id, secret) = endpoint(&server, &ana, json!({ "url": receiver.url })).await;
    server.call("POST", &format!("/webhooks/{id}/test"), Some(&ana.token), None).await;
    let delivered = wait_for_status(&server, &ana, &id, "delivered").await;
    assert_eq!(delivered["attempts"], 3, "{delivered}");
    assert_eq!(codes(&delivered), vec![json!(500), json!(500), json!(200)]);
    let log = delivered["attempt_log"].as_array().unwrap();
    assert_eq!(log.iter().map(|a| a["attempt"].as_i64().unwrap()).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert!(log[0]["error"].as_str().unwrap().contains("500"), "{delivered}");
    // Backoff: the second retry waited longer than the first (50 ms, then 100 ms).
    let at: Vec<i64> = log.iter().map(|a| a["attempted_at"].as_i64().unwrap()).collect();
    assert!(at[1] - at[0] >= 50 && at[2] - at[1] >= 100, "attempts at {at:?}");
    let got = receiver.requests();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|r| r.headers["webhook-id"] == delivered["id"].as_str().unwrap()));
    assert!(got.iter().all(|r| verify(&secret, r, &r.body)));
}

/// A timeout, then 503s: failed after the third attempt; the metrics count it.
async fn give_up_story(server: TestServer) {
    let receiver = Receiver::start(vec![Answer::Hang], Answer::Status(503)).await;
    let ana = account(&server, "ana@example.com").await;
    let (id, _) = endpoint(&server, &ana, json!({ "url": receiver.url })).await;
    server.call("POST", &format!("/webhooks/{id}/test"), Some(&ana.token), None).await;
    let failed = wait_for_status(&server, &ana, &id, "failed").await;
    assert_eq!(failed["attempts"], 3, "{failed}");
    assert_eq!(codes(&failed), vec![Value::Null, json!(503), json!(503)]);
    assert!(failed["attempt_log"][0]["error"].as_str().unwrap().contains("timed out"), "{failed}");
    assert!(failed["next_attempt_at"].is_null());
    assert!(failed["delivered_at"].is_null());
    // Nothing more is tried.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(receiver.requests().len(), 3);
    let metrics = server.http.get(format!("{}/metrics", server.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("webhook_attempts_total{outcome=\"failed\"} 1"), "{metrics}");
    assert!(metrics.contains("webhook_attempts_total{outcome=\"retry\"} 2"), "{metrics}");
}

/// Events queued through `Database::emit_webhook` (as the generation service does) reach the
/// enabled endpoints of that user that subscribe to the type, and only those. The server's
/// poll picks them up (the emitting process here is not the server, as with another replica).
async fn emit_story(server: TestServer) {
    let all = Receiver::start(Vec::new(), Answer::Status(200)).await;
    let finals = Receiver::start(Vec::new(), Answer::Status(200)).await;
    let off = Receiver::start(Vec::new(), Answer::Status(200)).await;
    let ana = account(&server, "ana@example.com").await;
    let bob = account(&server, "bob@example.com").await;
    let (all_id, all_secret) = endpoint(&server, &ana, json!({ "url": all.url, "event_types": [] })).await;
    endpoint(&server, &ana, json!({ "url": finals.url, "event_types": ["final.completed", "final.failed"] })).await;
    endpoint(&server, &ana, json!({ "url": off.url, "enabled": false })).await;
    endpoint(&server, &bob, json!({ "url": off.url })).await;

    let db = sync_server::db::Database::connect(&server.database_url).await.unwrap();
    let ana_id = uuid::Uuid::parse_str(&ana.id).unwrap();
    let data = json!({ "generation_id": "g1", "status": "succeeded" });
    assert_eq!(db.emit_webhook(ana_id, "generation.completed", data.clone()).await.unwrap(), 1);
    assert_eq!(db.emit_webhook(ana_id, "final.completed", json!({ "final_id": "f1" })).await.unwrap(), 2);
    assert_eq!(db.emit_webhook(uuid::Uuid::now_v7(), "final.completed", json!({})).await.unwrap(), 0);

    let got = all.wait_for(2).await;
    let mut types: Vec<String> = got
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["type"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    assert_eq!(types, vec!["final.completed", "generation.completed"]);
    let generation = got.iter().find(|r| r.body.contains("generation.completed")).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&generation.body).unwrap()["data"], data);
    assert!(verify(&all_secret, generation, &generation.body));
    let got = finals.wait_for(1).await;
    assert!(got[0].body.contains("\"final_id\":\"f1\""), "{}", got[0].body);
    wait_for_status(&server, &ana, &all_id, "delivered").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(all.requests().len(), 2);
    assert_eq!(finals.requests().len(), 1);
    assert!(off.requests().is_empty(), "disabled endpoints and other users get nothing");
    if let sync_server::db::Pool::Postgres(pool) = &db.pool {
        pool.close().await;
    }
}

/// URLs are checked, another user's endpoints answer 404, API keys need the right scope.
async fn policy_story(server: TestServer) {
    let ana = account(&server, "ana@example.com").await;
    let bob = account(&server, "bob@example.com").await;
    for bad in [
        "ftp://example.com/hook",
        "not a url",
        "http://127.0.0.1:9000/hook",
        "http://10.0.0.7/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://localhost:3000/hook",
    ] {
        let (status, problem) = server.call("POST", "/webhooks", Some(&ana.token), Some(json!({ "url": bad }))).await;
        assert_eq!(status, 422, "{bad}: {problem}");
        assert_eq!(problem["errors"][0]["field"], "url", "{problem}");
    }
    let (status, problem) = server
        .call(
            "POST",
            "/webhooks",
            Some(&ana.token),
            Some(json!({ "url": "https://hooks.example.com/cf", "event_types": ["generation.started"] })),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    let (id, _) = endpoint(&server, &ana, json!({ "url": "https://hooks.example.com/cf" })).await;
    let (status, problem) = server
        .call("PATCH", &format!("/webhooks/{id}"), Some(&ana.token), Some(json!({ "url": "http://192.168.0.1/" })))
        .await;
    assert_eq!(status, 422, "{problem}");

    // Bob cannot see or touch Ana's endpoint.
    for (method, path, body) in [
        ("GET", format!("/webhooks/{id}"), None),
        ("PATCH", format!("/webhooks/{id}"), Some(json!({ "enabled": false }))),
        ("DELETE", format!("/webhooks/{id}"), None),
        ("GET", format!("/webhooks/{id}/deliveries"), None),
        ("POST", format!("/webhooks/{id}/test"), None),
        ("POST", format!("/webhooks/{id}/rotate-secret"), None),
    ] {
        let (status, answer) = server.call(method, &path, Some(&bob.token), body).await;
        assert_eq!(status, 404, "{method} {path}: {answer}");
    }
    let (_, list) = server.call("GET", "/webhooks", Some(&bob.token), None).await;
    assert_eq!(list["items"], json!([]));
    let (status, _) = server.call("GET", "/webhooks", None, None).await;
    assert_eq!(status, 401);

    // API keys: `read` lists, `write` manages.
    let key = |scopes: Value| {
        let server = &server;
        let token = ana.token.clone();
        async move {
            let (status, key) = server
                .call("POST", "/api-keys", Some(&token), Some(json!({ "name": "hooks", "scopes": scopes })))
                .await;
            assert_eq!(status, 201, "{key}");
            key["key"].as_str().unwrap().to_owned()
        }
    };
    let reader = key(json!(["read"])).await;
    let writer = key(json!(["write"])).await;
    let (status, list) = server.call("GET", "/webhooks", Some(&reader), None).await;
    assert_eq!((status, list["items"].as_array().unwrap().len()), (200, 1), "{list}");
    let (status, _) =
        server.call("POST", "/webhooks", Some(&reader), Some(json!({ "url": "https://a.example.com/" }))).await;
    assert_eq!(status, 403);
    let (status, _) = server.call("DELETE", &format!("/webhooks/{id}"), Some(&reader), None).await;
    assert_eq!(status, 403);
    let (status, created) =
        server.call("POST", "/webhooks", Some(&writer), Some(json!({ "url": "https://b.example.com/" }))).await;
    assert_eq!(status, 201, "{created}");
    let (status, _) = server.call("DELETE", &format!("/webhooks/{id}"), Some(&writer), None).await;
    assert_eq!(status, 204);
}

/// Two servers on one database (replicas) share the outbox: each delivery is sent exactly once.
async fn replicas_story(server: TestServer) {
    let other = TestServer::start_with_database(Some(&server.database_url), &FAST);
    let receiver = Receiver::start(Vec::new(), Answer::Status(200)).await;
    let ana = account(&server, "ana@example.com").await;
    let (id, _) = endpoint(&server, &ana, json!({ "url": receiver.url })).await;
    let db = sync_server::db::Database::connect(&server.database_url).await.unwrap();
    let ana_id = uuid::Uuid::parse_str(&ana.id).unwrap();
    const EVENTS: usize = 40;
    for n in 0..EVENTS {
        assert_eq!(db.emit_webhook(ana_id, "generation.completed", json!({ "n": n })).await.unwrap(), 1);
    }
    let got = receiver.wait_for(EVENTS).await;
    for _ in 0..400 {
        if deliveries(&server, &ana, &id).await.iter().all(|d| d["status"] == "delivered") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = if receiver.requests().len() > got.len() { receiver.requests() } else { got };
    let ids: std::collections::BTreeSet<&String> = got.iter().map(|r| &r.headers["webhook-id"]).collect();
    assert_eq!((got.len(), ids.len()), (EVENTS, EVENTS), "every delivery once");
    let (_, page) = server.call("GET", &format!("/webhooks/{id}/deliveries?limit=100"), Some(&ana.token), None).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), EVENTS);
    assert!(items.iter().all(|d| d["status"] == "delivered" && d["attempts"] == 1), "{page}");
    drop(other);
    if let sync_server::db::Pool::Postgres(pool) = &db.pool {
        pool.close().await;
    }
}

// ---------------------------------------------------------------------- tests

#[tokio::test(flavor = "multi_thread")]
async fn test_delivery_arrives_signed() {
    on_both(&FAST, test_delivery_story).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_attempts_are_retried_with_backoff_and_logged() {
    on_both(&FAST, retry_story).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deliveries_are_given_up_after_the_last_attempt() {
    on_both(&FAST, give_up_story).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn events_reach_subscribed_endpoints_only() {
    on_both(&FAST, emit_story).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn private_targets_and_other_users_are_refused() {
    let env = [("CREATIVEFLOW_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "false")];
    on_both(&env, policy_story).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn replicas_never_send_a_delivery_twice() {
    on_both(&FAST, replicas_story).await;
}
