//! Configuration: embedded defaults (`config/default.toml`), then a file, then
//! `CREATIVEFLOW_*` environment variables, then command-line flags — later wins.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The embedded defaults.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

/// How logs are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Server settings.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on (port 0 picks a free one).
    pub bind: SocketAddr,
    /// Local state: SQLite database, assets.
    pub data_dir: PathBuf,
    /// The web app bundle served at `/` (from `cargo xtask web`); empty: no app, only the API.
    pub web_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; empty means SQLite in `data_dir`.
    pub database_url: String,
    /// The URL users reach the server at.
    pub public_url: String,
    /// Log format.
    pub log_format: LogFormat,
    /// Origins allowed by CORS.
    pub cors_origins: Vec<String>,
    /// Accounts and tokens.
    pub auth: AuthConfig,
    /// Outgoing email.
    pub email: EmailConfig,
    /// Uploads.
    pub storage: StorageConfig,
    /// Rate limits.
    pub limits: LimitsConfig,
    /// The document relay.
    pub relay: RelayConfig,
    /// Generation jobs and workers.
    pub generation: GenerationConfig,
    /// Outgoing webhooks.
    pub webhooks: WebhooksConfig,
    /// Plans and credits.
    pub billing: BillingConfig,
    /// Social sign-in providers.
    #[serde(default)]
    pub oidc: Vec<OidcProvider>,
}

/// `[auth]`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// HS256 key; empty: generated and kept in `data_dir/jwt-secret`.
    pub jwt_secret: String,
    /// Access-token lifetime, seconds.
    pub access_ttl_secs: u64,
    /// Session lifetime, days.
    pub refresh_ttl_days: u64,
    /// Hours before an unverified account is restricted.
    pub verification_grace_hours: u64,
    /// Argon2id memory, KiB.
    pub argon2_memory_kib: u32,
    /// Argon2id passes.
    pub argon2_iterations: u32,
    /// Concurrent hashes; 0: one fewer than the CPUs (at least one).
    pub hash_concurrency: usize,
}

/// `[email]`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// SMTP URL; empty: log emails.
    pub smtp_url: String,
    /// The From header.
    pub from: String,
}

/// `[storage]`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// Largest upload, bytes.
    pub max_upload_bytes: u64,
    /// Largest decoded image, pixels.
    pub max_image_pixels: u64,
}

/// `[limits]`: requests per second and bursts; 0 turns a limit off.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Per client IP, sustained.
    pub per_ip_per_sec: u32,
    /// Per client IP, burst.
    pub per_ip_burst: u32,
    /// Per user, sustained.
    pub per_user_per_sec: u32,
    /// Per user, burst.
    pub per_user_burst: u32,
    /// Per API key, sustained.
    pub per_key_per_sec: u32,
    /// Per API key, burst.
    pub per_key_burst: u32,
    /// Sign-in attempts per IP per minute.
    pub auth_per_ip_per_min: u32,
    /// Second-factor codes tried per account per minute, from any address.
    pub mfa_per_account_per_min: u32,
}

/// `[generation]`: the job queue and its workers (see `docs/generation-service.md`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerationConfig {
    /// Run one worker inside the server process (so one machine generates with no other
    /// process).
    pub embedded_worker: bool,
    /// Tokens remote `gen-worker` processes authenticate with (`Authorization: Bearer`); at
    /// least 32 characters each. The embedded worker gets its own random token at start.
    pub worker_tokens: Vec<String>,
    /// A lease lasts this long unless the worker renews it, ms.
    pub lease_ms: u64,
    /// Leases a job may have before it is dead (a crashed or timed-out worker uses one).
    pub max_attempts: u32,
    /// Wait before retrying a failed attempt, ms; doubled for each later attempt.
    pub retry_base_ms: u64,
    /// The longest a lease call waits for a job, ms.
    pub poll_max_ms: u64,
    /// Failed generations within a minute that raise the alert log line.
    pub alert_failures_per_minute: u32,
}

/// `[relay]`: the document relay's limits and timings.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayConfig {
    /// Lifetime of a document token (the socket's credential), seconds.
    pub token_ttl_secs: u64,
    /// Largest frame a client may send, bytes.
    pub max_frame_bytes: usize,
    /// Frames queued for one client before it counts as too slow and is cut off.
    pub client_queue: usize,
    /// Seconds a document stays loaded after its last client leaves.
    pub idle_unload_secs: u64,
    /// Logged updates that trigger compaction into a snapshot.
    pub compact_after_updates: u64,
    /// Minutes between automatic history snapshots while a document is being edited.
    pub snapshot_every_mins: u64,
    /// Seconds between pings; a client that answers nothing for three intervals is closed.
    pub ping_secs: u64,
}

/// `[webhooks]`: outgoing webhook deliveries (see `docs/webhooks.md`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksConfig {
    /// Whether endpoints may point at private, loopback and link-local addresses. Development
    /// and tests need it; production deployments should turn it off (SSRF).
    pub allow_private_targets: bool,
    /// How long one delivery attempt may take, ms.
    pub timeout_ms: u64,
    /// Wait before the first retry, ms; each later retry waits `retry_factor` times longer.
    pub retry_base_ms: u64,
    /// Growth of the wait between retries.
    pub retry_factor: u32,
    /// Longest wait between two attempts, ms.
    pub retry_max_delay_ms: u64,
    /// Attempts after which a delivery is marked failed.
    pub retry_max_attempts: u32,
    /// How often the sender looks for due deliveries queued elsewhere (another replica), ms.
    pub poll_ms: u64,
    /// Deliveries sent at once by one server.
    pub concurrency: usize,
    /// Days finished deliveries and their attempt log are kept.
    pub retention_days: u64,
}

/// `[billing]`: plans and credits (see `docs/billing.md`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillingConfig {
    /// Whether team Owners/Admins may change their plan themselves through
    /// `PUT /teams/{id}/billing/plan` (the stand-in for a payment provider).
    pub self_service_plans: bool,
    /// A plans file replacing the bundled `config/plans.toml`; empty: the bundled plans.
    pub plans_file: String,
}

impl BillingConfig {
    /// The configured plans: `plans_file` when set, otherwise the bundled ones.
    pub fn plans(&self) -> Result<crate::credits::Plans, ConfigError> {
        if self.plans_file.is_empty() {
            return Ok(crate::credits::Plans::bundled());
        }
        let path = PathBuf::from(&self.plans_file);
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read { path: path.clone(), source })?;
        crate::credits::Plans::load(&text)
            .map_err(|e| ConfigError::Invalid { origin: path.display().to_string(), message: e.to_string() })
    }
}

/// One `[[oidc]]` provider.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcProvider {
    /// Short name used in URLs.
    pub name: String,
    /// Issuer URL (discovery at `ISSUER/.well-known/openid-configuration`).
    pub issuer: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
    /// Extra scopes besides `openid`.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
}

fn default_scopes() -> Vec<String> {
    vec!["email".into(), "profile".into()]
}

/// Puts a file's `key = value` over the defaults; sections merge key by key.
fn merge(table: &mut toml::Table, key: String, value: toml::Value) {
    match (table.get_mut(&key), value) {
        (Some(toml::Value::Table(base)), toml::Value::Table(layer)) => {
            for (k, v) in layer {
                base.insert(k, v);
            }
        }
        (_, value) => {
            table.insert(key, value);
        }
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A layer does not parse or has an unknown or mistyped key.
    #[error("invalid configuration in {origin}: {message}")]
    Invalid {
        /// Where the value came from.
        origin: String,
        /// What is wrong.
        message: String,
    },
}

/// Overrides from flags (each `None` keeps the value from the layers below).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--bind`.
    pub bind: Option<String>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--database-url`.
    pub database_url: Option<String>,
    /// `--public-url`.
    pub public_url: Option<String>,
    /// `--log-format`.
    pub log_format: Option<String>,
    /// `--web-dir`.
    pub web_dir: Option<PathBuf>,
}

const KEYS: &[&str] = &[
    "bind",
    "data_dir",
    "web_dir",
    "database_url",
    "public_url",
    "log_format",
    "cors_origins",
    "auth",
    "email",
    "storage",
    "limits",
    "oidc",
    "billing",
    "webhooks",
    "relay",
    "generation",
];

/// An environment value: TOML when it parses as a TOML value (numbers, arrays, booleans),
/// otherwise the raw string.
fn env_value(raw: &str) -> toml::Value {
    match format!("v = {raw}").parse::<toml::Table>() {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| toml::Value::String(raw.to_owned())),
        Err(_) => toml::Value::String(raw.to_owned()),
    }
}

impl Config {
    /// Loads defaults, then `file` (if any), then the environment (`env` gives variables by
    /// name, e.g. `std::env::var`), then `flags`.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
        flags: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut table: toml::Table = DEFAULTS
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Invalid { origin: "defaults".into(), message: e.to_string() })?;
        if let Some(path) = file {
            let text =
                std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
            let layer: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError::Invalid {
                origin: path.display().to_string(),
                message: e.to_string(),
            })?;
            for (key, value) in layer {
                if !KEYS.contains(&key.as_str()) {
                    return Err(ConfigError::Invalid {
                        origin: path.display().to_string(),
                        message: format!("unknown key `{key}` (known: {})", KEYS.join(", ")),
                    });
                }
                merge(&mut table, key, value);
            }
        }
        let flag_values = [
            ("bind", flags.bind.clone()),
            ("data_dir", flags.data_dir.as_ref().map(|p| p.display().to_string())),
            ("database_url", flags.database_url.clone()),
            ("public_url", flags.public_url.clone()),
            ("log_format", flags.log_format.clone()),
            ("web_dir", flags.web_dir.as_ref().map(|p| p.display().to_string())),
        ];
        // Top-level keys as CREATIVEFLOW_KEY; keys of sections as CREATIVEFLOW_SECTION__KEY.
        let scalars: Vec<(String, Option<String>)> = table
            .iter()
            .flat_map(|(key, value)| match value {
                toml::Value::Table(section) => section.keys().map(|k| (format!("{key}.{k}"), None)).collect::<Vec<_>>(),
                _ => vec![(key.clone(), None)],
            })
            .collect();
        for (path, _) in scalars {
            let var = format!("CREATIVEFLOW_{}", path.replace('.', "__").to_uppercase());
            let Some(raw) = env(&var) else { continue };
            let value = match path.as_str() {
                // Strings stay strings even when they look like TOML.
                "bind" | "data_dir" | "web_dir" | "database_url" | "public_url" | "log_format" => {
                    toml::Value::String(raw)
                }
                _ => env_value(&raw),
            };
            match path.split_once('.') {
                Some((section, key)) => {
                    if let Some(toml::Value::Table(t)) = table.get_mut(section) {
                        t.insert(key.into(), value);
                    }
                }
                None => {
                    table.insert(path, value);
                }
            }
        }
        for (key, value) in flag_values {
            if let Some(value) = value {
                table.insert(key.into(), toml::Value::String(value));
            }
        }
        let config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid { origin: "settings".into(), message: e.to_string() })?;
        Ok(config)
    }

    /// Where uploaded files live on local disk.
    pub fn asset_dir(&self) -> PathBuf {
        self.data_dir.join("assets")
    }

    /// The database URL to connect to: the configured one, or SQLite in `data_dir`.
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("creativeflow.db").display())
        } else {
            self.database_url.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_then_file_then_env_then_flags() {
        let none = |_: &str| None;
        let c = Config::load(None, none, &Overrides::default()).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url(), "sqlite://./data/creativeflow.db");

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "bind = \"127.0.0.1:9000\"\ndata_dir = \"/srv/cf\"\n").unwrap();
        let env = |k: &str| (k == "CREATIVEFLOW_DATA_DIR").then(|| "/env/dir".to_owned());
        let c = Config::load(Some(&file), env, &Overrides::default()).unwrap();
        assert_eq!(c.bind.port(), 9000);
        assert_eq!(c.data_dir, PathBuf::from("/env/dir"));

        let flags =
            Overrides { bind: Some("127.0.0.1:0".into()), log_format: Some("json".into()), ..Default::default() };
        let c = Config::load(Some(&file), env, &flags).unwrap();
        assert_eq!(c.bind.port(), 0);
        assert_eq!(c.log_format, LogFormat::Json);
    }

    #[test]
    fn the_defaults_file_itself_is_a_valid_config_file() {
        // Every section of default.toml must be a key a config file may set.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("copy.toml");
        std::fs::write(&file, include_str!("../config/default.toml")).unwrap();
        let c = Config::load(Some(&file), |_: &str| None, &Overrides::default()).unwrap();
        assert!(c.generation.embedded_worker);
        assert_eq!(c.relay.ping_secs, 20);
    }

    #[test]
    fn sections_merge_and_take_env_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "[limits]\nper_ip_burst = 7\n[[oidc]]\nname = \"local\"\nissuer = \"http://127.0.0.1:1\"\n\
             client_id = \"a\"\nclient_secret = \"b\"\n",
        )
        .unwrap();
        let env = |k: &str| match k {
            "CREATIVEFLOW_LIMITS__PER_IP_PER_SEC" => Some("0".to_owned()),
            "CREATIVEFLOW_CORS_ORIGINS" => Some("[\"http://app.test\"]".to_owned()),
            "CREATIVEFLOW_AUTH__JWT_SECRET" => Some("s3cret".to_owned()),
            _ => None,
        };
        let c = Config::load(Some(&file), env, &Overrides::default()).unwrap();
        assert_eq!(c.limits.per_ip_burst, 7);
        assert_eq!(c.limits.per_ip_per_sec, 0);
        assert_eq!(c.limits.per_user_per_sec, 30, "untouched keys keep their defaults");
        assert_eq!(c.cors_origins, vec!["http://app.test".to_owned()]);
        assert_eq!(c.auth.jwt_secret, "s3cret");
        assert_eq!(c.oidc[0].scopes, vec!["email".to_owned(), "profile".to_owned()]);
    }

    #[test]
    fn oidc_providers_come_from_the_environment() {
        let env = |k: &str| {
            (k == "CREATIVEFLOW_OIDC").then(|| {
                r#"[{name="local", issuer="http://127.0.0.1:9", client_id="cf", client_secret="s"}]"#.to_owned()
            })
        };
        let c = Config::load(None, env, &Overrides::default()).unwrap();
        assert_eq!(c.oidc.len(), 1);
        assert_eq!(c.oidc[0].name, "local");
        assert!(Config::load(None, |_| None, &Overrides::default()).unwrap().oidc.is_empty());
    }

    #[test]
    fn mistakes_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "bnid = \"x\"\n").unwrap();
        let err = Config::load(Some(&file), |_| None, &Overrides::default()).unwrap_err().to_string();
        assert!(err.contains("unknown key `bnid`"), "{err}");
        let err = Config::load(None, |_| None, &Overrides { bind: Some("nope".into()), ..Default::default() })
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid"), "{err}");
        let err = Config::load(Some(Path::new("/no/such/file.toml")), |_| None, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("/no/such/file.toml"), "{err}");
    }
}
