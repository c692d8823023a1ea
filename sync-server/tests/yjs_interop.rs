//! Yjs interop (issue 5 acceptance): stock npm `yjs` + `y-websocket` clients
//! (`tests/interop/yjs_interop.mjs`) and editor-core's Rust [`SyncClient`] edit one creative on the
//! real server at the same time; all of them, and what the server persisted, converge. The Node
//! scenario also covers an editor going offline and back, a late joiner, a Viewer whose edits never
//! reach anyone, and a client idle for 40 s that keeps its socket.
//!
//! Needs `node` and the pinned packages (`npm ci --prefix tests/interop`). Without them the test
//! is skipped, except under CI (`CI` set), where it fails. Runs on SQLite, and on PostgreSQL when
//! `TEST_DATABASE_URL` is set.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "test code fails loudly")]

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use editor_core::{
    Color, Command, Design, Document, FormatPreset, Layer, LayerContent, LayerId, LayerPatch, Rect, Role, SyncClient,
    SyncEvent, TextStyle, design_file,
};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::{PgScratch, TestServer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const TEXT: &str = "headline";
const SHAPE: &str = "box";
/// The Viewer's marks in the Node scenario; none may ever reach this client.
const VIEWER_NAME: &str = "renamed by a viewer";
const VIEWER_LAYER: &str = "viewer_layer";
/// Edits the Rust client makes while the Node clients edit.
const CONCURRENT_EDITS: usize = 16;

/// The repository root, when node and the pinned packages are there; `None` to skip.
fn node_ready() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let node = std::process::Command::new("node").arg("--version").output();
    let missing = match node {
        Err(e) => Some(format!("`node` cannot be run ({e})")),
        Ok(out) if !out.status.success() => Some("`node --version` failed".to_owned()),
        Ok(_) => ["yjs", "y-websocket", "ws"]
            .iter()
            .find(|p| !root.join("tests/interop/node_modules").join(p).join("package.json").is_file())
            .map(|p| format!("tests/interop/node_modules/{p} is missing (run `npm ci --prefix tests/interop`)")),
    };
    match missing {
        None => Some(root),
        Some(why) if std::env::var_os("CI").is_some() => panic!("Yjs interop test cannot run under CI: {why}"),
        Some(why) => {
            eprintln!("skipped: Yjs interop test: {why}");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn yjs_and_rust_clients_converge_on_sqlite() {
    let Some(root) = node_ready() else { return };
    let server = TestServer::start(&[]);
    interop(&server, &root).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn yjs_and_rust_clients_converge_on_postgres() {
    let Some(root) = node_ready() else { return };
    let Some(pg) = PgScratch::new().await else { return };
    {
        let server = TestServer::start_with_database(Some(&pg.url), &[]);
        interop(&server, &root).await;
    }
    pg.cleanup().await;
}

async fn access_token(server: &TestServer, email: &str) -> String {
    support::sign_up(server, email).await["tokens"]["access_token"].as_str().unwrap().to_owned()
}

async fn create(server: &TestServer, token: &str, path: &str, body: Value) -> String {
    let (status, answer) = server.call("POST", path, Some(token), Some(body)).await;
    assert_eq!(status, 201, "POST {path}: {answer}");
    answer["id"].as_str().unwrap().to_owned()
}

fn design() -> Design {
    let mut design = Design::new("Interop", FormatPreset::InstagramPost.format());
    let mut headline = Layer::text(LayerId::parse(TEXT).unwrap(), "Big sale", Rect::new(90.0, 200.0, 900.0, 240.0));
    headline.role = Role::Headline;
    design.layers.push(headline);
    design.layers.push(Layer::rect(
        LayerId::parse(SHAPE).unwrap(),
        Rect::new(10.0, 10.0, 200.0, 120.0),
        Color::rgb(255, 0, 0),
    ));
    design.assign_missing_z();
    design.normalize();
    design
}

/// An owner, and a Viewer of the owner's team; a creative in that team. (owner, viewer,
/// creative id).
async fn setup(server: &TestServer) -> (String, String, String) {
    let owner = access_token(server, "owner@example.com").await;
    let viewer = access_token(server, "viewer@example.com").await;
    let team = create(server, &owner, "/teams", json!({ "name": "Interop" })).await;
    let (status, body) = server
        .call(
            "POST",
            &format!("/teams/{team}/invitations"),
            Some(&owner),
            Some(json!({ "email": "viewer@example.com", "role": "viewer" })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (_, mail) = server.last_email("viewer@example.com").await.unwrap();
    let invitation = support::token_from_email(&mail, "token");
    let (status, body) =
        server.call("POST", "/invitations/accept", Some(&viewer), Some(json!({ "token": invitation }))).await;
    assert!(status == 200 || status == 201, "accept: {status} {body}");

    let workbench = create(server, &owner, &format!("/teams/{team}/workbenches"), json!({ "name": "W" })).await;
    let project = create(server, &owner, &format!("/workbenches/{workbench}/projects"), json!({ "name": "P" })).await;
    let file: Value = serde_json::from_str(&design_file::to_string(&design())).unwrap();
    let creative =
        create(server, &owner, &format!("/projects/{project}/creatives"), json!({ "name": "Interop", "design": file }))
            .await;
    (owner, viewer, creative)
}

/// Numbers as f64 (serde_json tells 5 from 5.0; Yjs does not), so replicas compare by value.
fn normalize(value: &Value) -> Value {
    match value {
        Value::Number(n) => n.as_f64().and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number),
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), normalize(v))).collect()),
        other => other.clone(),
    }
}

/// The first paths where two JSON values differ.
fn diff(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    if out.len() >= 12 {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                match (x.get(k), y.get(k)) {
                    (Some(a), Some(b)) => diff(a, b, &format!("{path}.{k}"), out),
                    (a, b) => out.push(format!("{path}.{k}: {a:?} vs {b:?} (missing on one side)")),
                }
            }
        }
        _ if a != b => out.push(format!("{path}: {a} vs {b}")),
        _ => {}
    }
}

/// editor-core's client on a real socket.
struct RustPeer {
    client: SyncClient,
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Ids of this client's edits that changed something and await their acknowledgement.
    unacked: BTreeSet<u64>,
    edits: usize,
}

impl RustPeer {
    async fn connect(server: &TestServer, owner: &str, creative: &str) -> RustPeer {
        let (status, grant) =
            server.call("POST", &format!("/creatives/{creative}/sync-token"), Some(owner), None).await;
        assert_eq!(status, 200, "sync-token: {grant}");
        assert_eq!(grant["access"], "edit", "{grant}");
        let url = format!(
            "{}{}?token={}",
            server.base.replacen("http", "ws", 1),
            grant["path"].as_str().unwrap(),
            grant["token"].as_str().unwrap()
        );
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("the Rust client's socket opens");
        let mut peer = RustPeer { client: SyncClient::new(Document::new()), ws, unacked: BTreeSet::new(), edits: 0 };
        peer.client.set_presence(Some(r#"{"user":{"name":"rust"}}"#.to_owned()));
        peer.client.connected();
        peer.flush().await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while peer.client.state() != editor_core::ConnectionState::Synced {
            assert!(Instant::now() < deadline, "the Rust client did not sync within 10 s");
            let frame = timeout(Duration::from_secs(10), peer.ws.next()).await.expect("a frame within 10 s");
            peer.on_frame(frame).await;
        }
        peer
    }

    async fn flush(&mut self) {
        for frame in self.client.take_outgoing() {
            self.ws.send(Message::binary(frame)).await.expect("the Rust client's frame is sent");
        }
    }

    async fn on_frame(&mut self, frame: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>) {
        let bytes = match frame {
            Some(Ok(Message::Binary(bytes))) => bytes,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => return,
            Some(Ok(Message::Close(reason))) => panic!("the relay closed the Rust client's socket: {reason:?}"),
            Some(Ok(other)) => panic!("the relay sent a non-binary frame: {other:?}"),
            Some(Err(e)) => panic!("the Rust client's socket failed: {e}"),
            None => panic!("the Rust client's socket ended"),
        };
        let events = self.client.receive(&bytes).unwrap_or_else(|e| panic!("frame {:02x?} rejected: {e}", &bytes[..]));
        for event in events {
            match event {
                SyncEvent::Acknowledged(ids) => {
                    for id in ids {
                        assert!(self.unacked.remove(&id), "edit {id} acknowledged twice, or never sent");
                    }
                }
                SyncEvent::PermissionDenied(reason) => panic!("the relay refused an editor's edit: {reason}"),
                SyncEvent::RemoteChange => {
                    let json = self.client.document().to_json();
                    assert_ne!(json["design"]["name"], VIEWER_NAME, "a Viewer's edit reached the Rust client");
                    assert!(json["layers"].get(VIEWER_LAYER).is_none(), "a Viewer's layer reached the Rust client");
                }
                _ => {}
            }
        }
        self.flush().await;
    }

    fn text_len(&self) -> u32 {
        match self.client.document().layer(&LayerId::parse(TEXT).unwrap()).map(|l| l.content) {
            Some(LayerContent::Text(t)) => u32::try_from(t.text.encode_utf16().count()).unwrap(),
            other => panic!("the text layer is gone: {other:?}"),
        }
    }

    /// The `n`th edit of a fixed rotation: text inserts, moves, opacity, formatting, a new layer.
    async fn edit(&mut self, n: usize) {
        let text = LayerId::parse(TEXT).unwrap();
        let shape = LayerId::parse(SHAPE).unwrap();
        let step = u32::try_from(n).unwrap();
        let command = match n % 6 {
            0 | 3 => Command::EditText {
                id: text,
                start: (step * 7) % (self.text_len() + 1),
                delete: 0,
                insert: format!("r{n}"),
            },
            1 => Command::SetLayer { id: shape, patch: LayerPatch::position(f64::from(step) * 11.5, 40.0) },
            2 => Command::SetLayer {
                id: text,
                patch: LayerPatch { opacity: Some(f64::from(step % 10) / 10.0), ..LayerPatch::default() },
            },
            4 => Command::FormatText {
                id: text,
                start: 0,
                len: self.text_len().min(3),
                style: TextStyle { font_weight: Some(700), ..TextStyle::default() },
            },
            _ if n == 5 => Command::AddLayer {
                layer: Layer::rect(
                    LayerId::parse("rust_box").unwrap(),
                    Rect::new(300.0, 300.0, 80.0, 80.0),
                    Color::rgb(0, 0, 255),
                ),
            },
            _ => Command::SetLayer {
                id: LayerId::parse("rust_box").unwrap(),
                patch: LayerPatch { rotation: Some(f64::from(step)), ..LayerPatch::default() },
            },
        };
        let (id, change) = self.client.apply(command).unwrap_or_else(|e| panic!("Rust edit {n}: {e}"));
        if !change.update.is_empty() {
            self.unacked.insert(id);
        }
        self.edits += 1;
        self.flush().await;
    }

    fn json(&self) -> Value {
        normalize(&self.client.document().to_json())
    }
}

/// The stored document, read back with editor-core.
async fn persisted(server: &TestServer, owner: &str, creative: &str) -> Value {
    let res = server
        .http
        .get(format!("{}/api/v1/creatives/{creative}/document", server.base))
        .bearer_auth(owner)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    let bytes = res.bytes().await.unwrap().to_vec();
    let doc = Document::load(None, None, &[bytes]).expect("the stored state is a valid update");
    normalize(&doc.to_json())
}

async fn interop(server: &TestServer, root: &Path) {
    let (owner, viewer, creative) = setup(server).await;
    let mut peer = RustPeer::connect(server, &owner, &creative).await;
    // Two edits before anyone else is there, acknowledged (echoed after the commit).
    for n in 0..2 {
        peer.edit(n).await;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !peer.unacked.is_empty() || !peer.client.outbox_ids().is_empty() {
        assert!(Instant::now() < deadline, "the Rust client's first edits were not acknowledged within 10 s");
        let frame = timeout(Duration::from_secs(10), peer.ws.next()).await.expect("an ack within 10 s");
        peer.on_frame(frame).await;
    }

    let started = std::time::Instant::now();
    let mut node = tokio::process::Command::new("node")
        .arg("tests/interop/yjs_interop.mjs")
        .current_dir(root)
        .env("BASE", &server.base)
        .env("OWNER_ACCESS", &owner)
        .env("VIEWER_ACCESS", &viewer)
        .env("CREATIVE_ID", &creative)
        .env("RUST_PEER", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node starts");
    let mut stdin = node.stdin.take().unwrap();
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();

    // Edit while the Node clients edit; tell the script once every edit is acknowledged.
    let mut next_edit: Option<usize> = None;
    let mut ticker = tokio::time::interval(Duration::from_millis(150));
    let mut told = false;
    let deadline = Instant::now() + Duration::from_secs(170);
    let final_json = loop {
        tokio::select! {
            frame = peer.ws.next() => peer.on_frame(frame).await,
            line = lines.next_line() => match line.expect("node's stdout reads") {
                Some(line) if line.starts_with("FINAL ") => {
                    break serde_json::from_str::<Value>(&line["FINAL ".len()..]).expect("FINAL is JSON");
                }
                Some(line) if line == "PHASE concurrent" => next_edit = Some(2),
                Some(line) => eprintln!("[interop stdout] {line}"),
                None => {
                    let status = node.wait().await.unwrap();
                    panic!("the Node scenario ended without FINAL ({status}); see its stderr above");
                }
            },
            _ = ticker.tick() => {
                match next_edit {
                    Some(n) if n < 2 + CONCURRENT_EDITS => {
                        peer.edit(n).await;
                        next_edit = Some(n + 1);
                    }
                    Some(_) if !told && peer.unacked.is_empty() && peer.client.outbox_ids().is_empty() => {
                        stdin.write_all(b"rust-done\n").await.expect("node reads stdin");
                        stdin.flush().await.unwrap();
                        told = true;
                    }
                    _ => {}
                }
            }
            () = sleep_until(deadline) => panic!("the Node scenario did not finish within 170 s"),
        }
    };
    let status = timeout(Duration::from_secs(10), node.wait()).await.expect("node exits").unwrap();
    assert!(status.success(), "the Node scenario failed ({status}); see its stderr above");
    eprintln!("Node scenario took {:.1} s", started.elapsed().as_secs_f64());
    assert!(told, "the Node scenario finished before the Rust client's edits were acknowledged");
    assert_eq!(peer.edits, 2 + CONCURRENT_EDITS);
    assert!(peer.unacked.is_empty(), "Rust edits {:?} were never acknowledged", peer.unacked);

    // The Rust client converges to what the Node clients agreed on…
    let expected = normalize(&final_json);
    let deadline = Instant::now() + Duration::from_secs(15);
    while peer.json() != expected {
        if Instant::now() >= deadline {
            let mut out = Vec::new();
            diff(&expected, &peer.json(), "", &mut out);
            panic!("the Rust client did not converge with the Yjs clients (FINAL vs Rust):\n  {}", out.join("\n  "));
        }
        if let Ok(frame) = timeout(Duration::from_millis(200), peer.ws.next()).await {
            peer.on_frame(frame).await;
        }
    }
    // …which holds the Rust client's own edits (the Node scenario adds no `rust_box`)…
    assert!(expected["layers"].get("rust_box").is_some(), "the Rust client's layer is there");
    // …and so does the stored document, decoded by editor-core.
    let stored = persisted(server, &owner, &creative).await;
    if stored != expected {
        let mut out = Vec::new();
        diff(&expected, &stored, "", &mut out);
        panic!("the persisted document differs from the clients' (FINAL vs stored):\n  {}", out.join("\n  "));
    }
    // editor-core reads the layers the Yjs clients created as valid layers, and the design
    // still validates after all those foreign edits.
    let design = peer.client.document().design();
    design.validate().expect("the merged design validates");
    for id in ["node_a", "node_b", "offline_c", "late_d", "rust_box", TEXT, SHAPE] {
        let layer = design.layers.iter().find(|l| l.id.as_str() == id);
        let layer = layer.unwrap_or_else(|| panic!("layer {id} is not in the typed design"));
        if let LayerContent::Text(t) = &layer.content {
            assert_eq!(Some(t.text.as_str()), expected["layers"][id]["text"].as_str(), "text of {id}");
        }
    }
    let _ = peer.ws.close(None).await;
}
