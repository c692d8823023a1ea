//! The release server binary as the benchmarks start it: a temporary data folder, rate limits
//! off, JSON logs to nowhere; killed on drop.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running server.
pub struct Server {
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    url: String,
    env: Vec<(String, String)>,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a server on `database_url` (SQLite in a temporary folder when `None`); `env` adds
/// `CREATIVEFLOW_*` settings.
pub fn start(database_url: Option<&str>, env: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url.map_or_else(|| format!("sqlite://{}", dir.path().join("cf.db").display()), str::to_owned);
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let (child, base) = spawn(dir.path(), &url, &env);
    Server { child, base, url, env, dir }
}

impl Server {
    /// Kills the server and starts it again on the same data.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, base) = spawn(self.dir.path(), &self.url, &self.env);
        self.child = child;
        self.base = base;
    }
}

fn spawn(dir: &Path, url: &str, env: &[(String, String)]) -> (Child, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sync-server"));
    cmd.args(["--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .args(["--database-url", url, "--log-format", "json"])
        .env_remove("CREATIVEFLOW_CONFIG")
        .env("CREATIVEFLOW_LIMITS__PER_IP_PER_SEC", "0")
        .env("CREATIVEFLOW_LIMITS__PER_USER_PER_SEC", "0")
        .env("CREATIVEFLOW_LIMITS__AUTH_PER_IP_PER_MIN", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("got {line:?}")).to_owned();
    (child, format!("http://{addr}"))
}
