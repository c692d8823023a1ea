//! Shared by the integration tests: the real `sync-server` binary on a loopback port, a small
//! JSON client, scratch PostgreSQL databases, and reading the email outbox.

#![allow(dead_code, reason = "each test file uses a different part of the support module")]
#![expect(clippy::unwrap_used, clippy::expect_used, reason = "test helpers that fail must fail loudly")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use sqlx::Row;

/// A fresh PostgreSQL database for one test (when `TEST_DATABASE_URL` is set), dropped on
/// `cleanup`.
pub struct PgScratch {
    admin: sqlx::PgPool,
    name: String,
    /// The scratch database's URL.
    pub url: String,
}

impl PgScratch {
    /// `None` when `TEST_DATABASE_URL` is not set.
    pub async fn new() -> Option<PgScratch> {
        let base = std::env::var("TEST_DATABASE_URL").ok()?;
        let admin = sqlx::PgPool::connect(&base).await.expect("TEST_DATABASE_URL connects");
        let name = format!("cf_test_{}", uuid::Uuid::now_v7().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await.expect("create db");
        let (prefix, _) = base.rsplit_once('/').expect("URL has a database");
        let url = format!("{prefix}/{name}");
        Some(PgScratch { admin, name, url })
    }

    /// Drops the database.
    pub async fn cleanup(self) {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)))
            .execute(&self.admin)
            .await;
    }
}

/// The real server binary, killed on drop.
pub struct TestServer {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The database the server uses.
    pub database_url: String,
    /// The data directory.
    pub dir: tempfile::TempDir,
    /// The JSON client.
    pub http: reqwest::Client,
    env: Vec<(String, String)>,
}

/// Starts the binary; returns it and its base URL once it listens.
fn spawn(dir: &std::path::Path, database_url: &str, env: &[(String, String)]) -> (Child, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sync-server"));
    cmd.args(["--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .args(["--database-url", database_url])
        .env_remove("CREATIVEFLOW_CONFIG")
        // Fast hashes keep the suite quick; the cost is measured by the bench.
        .env("CREATIVEFLOW_AUTH__ARGON2_MEMORY_KIB", "1024")
        .env("CREATIVEFLOW_AUTH__ARGON2_ITERATIONS", "1")
        .env("CREATIVEFLOW_LIMITS__PER_IP_PER_SEC", "0")
        .env("CREATIVEFLOW_LIMITS__PER_USER_PER_SEC", "0")
        .env("CREATIVEFLOW_LIMITS__PER_KEY_PER_SEC", "0")
        .env("CREATIVEFLOW_LIMITS__AUTH_PER_IP_PER_MIN", "0")
        .env("CREATIVEFLOW_LIMITS__MFA_PER_ACCOUNT_PER_MIN", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("got {line:?}")).to_owned();
    (child, format!("http://{addr}"))
}

impl TestServer {
    /// A server on SQLite in a temporary folder with rate limits off; `env` adds or overrides
    /// `CREATIVEFLOW_*` settings.
    pub fn start(env: &[(&str, &str)]) -> TestServer {
        TestServer::start_with_database(None, env)
    }

    /// A server on `database_url` (SQLite in a temporary folder when `None`).
    pub fn start_with_database(database_url: Option<&str>, env: &[(&str, &str)]) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let database_url =
            database_url.map_or_else(|| format!("sqlite://{}", dir.path().join("cf.db").display()), str::to_owned);
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let (child, base) = spawn(dir.path(), &database_url, &env);
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        TestServer { child, base, database_url, dir, http, env }
    }

    /// Kills the server with SIGKILL (no shutdown of any kind) and starts it again on the same
    /// data folder and database; `base` changes to the new address.
    pub fn kill_and_restart(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let (child, base) = spawn(self.dir.path(), &self.database_url, &self.env);
        self.child = child;
        self.base = base;
    }

    /// `ws://127.0.0.1:PORT`.
    pub fn ws_base(&self) -> String {
        self.base.replacen("http://", "ws://", 1)
    }

    /// `METHOD /api/v1{path}` with an optional bearer token and JSON body; (status, JSON body
    /// or `null`).
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}/api/v1{path}", self.base);
        let mut req = self.http.request(method.parse().unwrap(), url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        let value =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, value)
    }

    /// The newest email to `recipient` in the outbox: (subject, body).
    pub async fn last_email(&self, recipient: &str) -> Option<(String, String)> {
        const SQL_PG: &str =
            "SELECT subject, body FROM email_outbox WHERE recipient = $1 ORDER BY created_at DESC, id DESC LIMIT 1";
        if self.database_url.starts_with("sqlite:") {
            let pool = sqlx::SqlitePool::connect(&self.database_url).await.unwrap();
            let row = sqlx::query(sqlx::AssertSqlSafe(SQL_PG.replace("$1", "?1")))
                .bind(recipient)
                .fetch_optional(&pool)
                .await
                .unwrap();
            pool.close().await;
            row.map(|r| (r.get(0), r.get(1)))
        } else {
            let pool = sqlx::PgPool::connect(&self.database_url).await.unwrap();
            let row = sqlx::query(SQL_PG).bind(recipient).fetch_optional(&pool).await.unwrap();
            pool.close().await;
            row.map(|r| (r.get(0), r.get(1)))
        }
    }
}

/// The value of `name=` in the first link of an email body.
pub fn token_from_email(body: &str, name: &str) -> String {
    let start = body.find(&format!("{name}=")).unwrap_or_else(|| panic!("no {name}= in {body}")) + name.len() + 1;
    body[start..].split(|c: char| c.is_whitespace() || c == '&').next().unwrap().to_owned()
}

/// Signs up `email` with a standard password; returns the sign-up answer.
pub async fn sign_up(server: &TestServer, email: &str) -> Value {
    let (status, body) = server
        .call(
            "POST",
            "/auth/signup",
            None,
            Some(json!({ "email": email, "password": "correct horse battery", "display_name": email })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client's events socket.
pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A signed-up account: its access token and personal team.
pub struct Account {
    /// Access token.
    pub token: String,
    /// Personal team id.
    pub team: String,
}

/// Signs up `email` and reads its personal team.
pub async fn account(server: &TestServer, email: &str) -> Account {
    let body = sign_up(server, email).await;
    let token = body["tokens"]["access_token"].as_str().unwrap().to_owned();
    let (_, me) = server.call("GET", "/me", Some(&token), None).await;
    let team = me["personal_team_id"].as_str().unwrap_or_else(|| panic!("no personal team in {me}")).to_owned();
    Account { token, team }
}

/// Opens the events socket and reads its hello.
pub async fn events(server: &TestServer, who: &Account) -> Socket {
    let url = format!("{}/api/v1/events?token={}", server.ws_base(), who.token);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let hello = next(&mut ws, std::time::Duration::from_secs(10)).await.expect("hello");
    assert_eq!(hello["type"], "hello");
    ws
}

/// The next JSON event within `wait`, or `None`.
pub async fn next(ws: &mut Socket, wait: std::time::Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let frame = tokio::time::timeout_at(deadline, futures_util::StreamExt::next(ws)).await.ok()?;
        match frame.expect("open").unwrap() {
            tokio_tungstenite::tungstenite::Message::Text(t) => return Some(serde_json::from_str(&t).unwrap()),
            tokio_tungstenite::tungstenite::Message::Close(f) => panic!("closed: {f:?}"),
            _ => {}
        }
    }
}
