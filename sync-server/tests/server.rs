//! The real `sync-server` binary on a loopback port: start page, health, readiness, problem
//! responses, bad configuration, and graceful shutdown on SIGTERM.

#![expect(clippy::unwrap_used, reason = "test helpers that fail must fail loudly")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Server {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_sync-server"))
            .args(["--bind", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .args(extra)
            .env_remove("CREATIVEFLOW_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr =
            line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("got {line:?}")).to_owned();
        Server { child, addr, _dir: dir }
    }

    /// One HTTP/1.1 request; returns (status, headers, body).
    fn request(&self, method: &str, path: &str) -> (u16, String, String) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(stream, "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.addr).unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        (status, head.to_ascii_lowercase(), body.to_owned())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn start_page_health_and_problems() {
    let server = Server::start(&[]);
    let (status, head, body) = server.request("GET", "/");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(body.contains("href=\"/api/docs\""), "{body}");

    let (status, _, body) = server.request("GET", "/healthz");
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
    let (status, _, body) = server.request("GET", "/readyz");
    assert_eq!(status, 200);
    assert!(body.contains("\"database\":\"sqlite\""), "{body}");

    let (status, head, body) = server.request("GET", "/no/such/thing");
    assert_eq!(status, 404);
    assert!(head.contains("content-type: application/problem+json"), "{head}");
    let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["status"], 404);
    assert!(problem["type"].as_str().unwrap().ends_with("/not-found"));
}

#[test]
fn openapi_spec_docs_ui_and_hygiene_headers() {
    let server = Server::start(&[]);
    let (status, head, body) = server.request("GET", "/api/openapi.json");
    assert_eq!(status, 200);
    assert!(head.contains("application/json"), "{head}");
    let spec: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"), "{}", spec["openapi"]);
    for path in ["/healthz", "/readyz"] {
        assert!(spec["paths"][path]["get"].is_object(), "{path} missing from the spec");
    }

    // The docs UI is vendored: served from the binary, nothing fetched from elsewhere.
    let (status, _, body) = server.request("GET", "/api/docs/");
    assert_eq!(status, 200);
    assert!(body.contains("swagger"), "docs page: {}", &body[..body.len().min(200)]);

    let (_, head, _) = server.request("GET", "/healthz");
    for header in
        ["x-request-id: ", "x-content-type-options: nosniff", "x-frame-options: deny", "content-security-policy: "]
    {
        assert!(head.contains(header), "{header} missing in {head}");
    }
}

#[test]
fn oversized_bodies_are_refused() {
    let server = Server::start(&[]);
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let len = sync_server::http::MAX_BODY_BYTES + 1;
    write!(stream, "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = String::new();
    let _ = stream.read_to_string(&mut raw);
    assert!(raw.starts_with("HTTP/1.1 413"), "{raw}");
    assert!(raw.to_ascii_lowercase().contains("content-type: application/problem+json"), "{raw}");
    assert!(raw.contains("payload-too-large"), "{raw}");
    assert!(raw.to_ascii_lowercase().contains("x-content-type-options: nosniff"), "{raw}");
}

#[test]
fn wrong_methods_get_a_problem_with_allow() {
    let server = Server::start(&[]);
    let (status, head, body) = server.request("DELETE", "/healthz");
    assert_eq!(status, 405);
    assert!(head.contains("content-type: application/problem+json"), "{head}");
    assert!(head.contains("allow: get"), "{head}");
    assert!(body.contains("method-not-allowed"), "{body}");
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let mut server = Server::start(&[]);
    assert_eq!(server.request("GET", "/healthz").0, 200);
    // Let the embedded worker settle into its long-polling lease call (up to 25 s): shutdown
    // must end that call instead of waiting it out.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "the server still runs 15 s after SIGTERM: a long poll holds the shutdown"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
}

#[test]
fn bad_configuration_is_reported_before_starting() {
    let out = Command::new(env!("CARGO_BIN_EXE_sync-server"))
        .args(["--bind", "not-an-address"])
        .env_remove("CREATIVEFLOW_CONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid configuration"), "{err}");

    let out = Command::new(env!("CARGO_BIN_EXE_sync-server"))
        .args(["--bind", "127.0.0.1:0", "--database-url", "mysql://nowhere/db"])
        .env_remove("CREATIVEFLOW_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unsupported database URL"), "{err}");
}
