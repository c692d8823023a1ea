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
    /// `sqlite://…` or `postgres://…`; empty means SQLite in `data_dir`.
    pub database_url: String,
    /// The URL users reach the server at.
    pub public_url: String,
    /// Log format.
    pub log_format: LogFormat,
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
}

const KEYS: [&str; 5] = ["bind", "data_dir", "database_url", "public_url", "log_format"];

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
                table.insert(key, value);
            }
        }
        let flag_values = [
            ("bind", flags.bind.clone()),
            ("data_dir", flags.data_dir.as_ref().map(|p| p.display().to_string())),
            ("database_url", flags.database_url.clone()),
            ("public_url", flags.public_url.clone()),
            ("log_format", flags.log_format.clone()),
        ];
        for key in KEYS {
            if let Some(value) = env(&format!("CREATIVEFLOW_{}", key.to_uppercase())) {
                table.insert(key.into(), toml::Value::String(value));
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
