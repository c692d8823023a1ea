//! Credentials: Argon2id password hashing on a bounded blocking pool, JWT access tokens, random
//! opaque secrets (refresh tokens, API keys, mailed tokens) stored only as SHA-256 hashes, and
//! the [`Principal`] extractor that turns a request's `Authorization` header into a caller.

pub mod totp;

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::AppState;
use crate::authz::Scope;
use crate::config::AuthConfig;
use crate::db::now_ms;
use crate::error::ApiError;

/// `len` random bytes from the OS.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    // The OS generator failing is unrecoverable for a server that issues secrets.
    #[expect(clippy::expect_used, reason = "no safe way to continue without randomness")]
    getrandom::fill(&mut buf).expect("the OS random number generator works");
    buf
}

/// A random URL-safe token with 256 bits of entropy.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(32))
}

/// SHA-256 of a high-entropy secret, hex. (Passwords use Argon2id; random tokens do not need
/// a slow hash because they cannot be guessed.)
pub fn token_hash(token: &str) -> String {
    crate::storage::sha256_hex(token.as_bytes())
}

/// Constant-time equality for secrets.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Argon2id hashing and verification on tokio's blocking pool, at most `limit` at once (by
/// default one fewer than the CPUs) so a login flood queues instead of starving the runtime.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    params: argon2::Params,
}

/// Shortest and longest accepted password, in characters.
pub const PASSWORD_LEN: std::ops::RangeInclusive<usize> = 10..=256;

impl Passwords {
    /// From `[auth]`.
    pub fn new(config: &AuthConfig) -> anyhow::Result<Passwords> {
        let limit = if config.hash_concurrency == 0 {
            // One core is left for everything else, so a login flood cannot starve reads.
            std::thread::available_parallelism().map(usize::from).unwrap_or(2).saturating_sub(1).max(1)
        } else {
            config.hash_concurrency
        };
        let params = argon2::Params::new(config.argon2_memory_kib, config.argon2_iterations, 1, None)
            .map_err(|e| anyhow::anyhow!("invalid Argon2 settings: {e}"))?;
        Ok(Passwords { permits: Arc::new(Semaphore::new(limit)), params })
    }

    fn argon2(&self) -> argon2::Argon2<'static> {
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, self.params.clone())
    }

    /// Checks the password rules; the error names what is wrong.
    pub fn validate(password: &str) -> Result<(), ApiError> {
        let chars = password.chars().count();
        if !PASSWORD_LEN.contains(&chars) {
            return Err(ApiError::invalid(
                "password",
                format!("use {} to {} characters", PASSWORD_LEN.start(), PASSWORD_LEN.end()),
            ));
        }
        Ok(())
    }

    /// A PHC string for `password`.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let _permit = self.permits.acquire().await.map_err(|e| ApiError::Internal(e.into()))?;
        let argon2 = self.argon2();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::encode_b64(&random_bytes(16)).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
            argon2
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| anyhow::anyhow!("hashing: {e}"))
        })
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(ApiError::Internal)
    }

    /// Whether `password` matches `phc`. With `phc` `None` a dummy hash is still computed so
    /// that unknown emails take as long as wrong passwords.
    pub async fn verify(&self, password: String, phc: Option<String>) -> Result<bool, ApiError> {
        let _permit = self.permits.acquire().await.map_err(|e| ApiError::Internal(e.into()))?;
        let argon2 = self.argon2();
        tokio::task::spawn_blocking(move || match phc {
            Some(phc) => match PasswordHash::new(&phc) {
                Ok(parsed) => argon2.verify_password(password.as_bytes(), &parsed).is_ok(),
                Err(_) => false,
            },
            None => {
                let salt = SaltString::encode_b64(&[0u8; 16]);
                if let Ok(salt) = salt {
                    let _ = argon2.hash_password(password.as_bytes(), &salt);
                }
                false
            }
        })
        .await
        .map_err(|e| ApiError::Internal(e.into()))
    }
}

/// What an access token says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: Uuid,
    /// The session id.
    pub sid: Uuid,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// `access` (or `mfa` for the short-lived token between password and code).
    pub typ: String,
}

/// Signs and checks access tokens (HS256).
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Access-token lifetime, seconds.
    pub access_ttl_secs: u64,
}

impl Tokens {
    /// From a secret of at least 32 bytes.
    pub fn new(secret: &[u8], access_ttl_secs: u64) -> Tokens {
        Tokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            access_ttl_secs,
        }
    }

    /// Loads the configured secret, or the one kept in `data_dir/jwt-secret` (created on first
    /// start with owner-only permissions).
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Tokens> {
        let secret = if config.auth.jwt_secret.is_empty() {
            let path = config.data_dir.join("jwt-secret");
            match std::fs::read_to_string(&path) {
                Ok(s) if s.trim().len() >= 43 => s.trim().to_owned(),
                _ => {
                    std::fs::create_dir_all(&config.data_dir)?;
                    let s = random_token();
                    write_private(&path, &s)?;
                    s
                }
            }
        } else {
            anyhow::ensure!(config.auth.jwt_secret.len() >= 32, "auth.jwt_secret must be at least 32 bytes");
            config.auth.jwt_secret.clone()
        };
        Ok(Tokens::new(secret.as_bytes(), config.auth.access_ttl_secs))
    }

    /// A token of type `typ` for (user, session), valid for `ttl_secs`.
    pub fn issue(&self, user: Uuid, session: Uuid, typ: &str, ttl_secs: u64) -> Result<String, ApiError> {
        let now = u64::try_from(now_ms() / 1000).unwrap_or(0);
        let claims = Claims { sub: user, sid: session, iat: now, exp: now + ttl_secs, typ: typ.to_owned() };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(e.into()))
    }

    /// The claims of a valid, unexpired token of type `typ`.
    pub fn check(&self, token: &str, typ: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok()?;
        (data.claims.typ == typ).then_some(data.claims)
    }
}

fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user acting (an API key acts as its owner).
    pub user_id: Uuid,
    /// The session, for session tokens.
    pub session_id: Option<Uuid>,
    /// The key, for API-key requests.
    pub api_key_id: Option<Uuid>,
    /// What the credential may do; sessions have every scope.
    pub scopes: Vec<Scope>,
    /// Whether the account's email is verified.
    pub email_verified: bool,
    /// When the account was created, ms.
    pub account_created_at: i64,
}

impl Principal {
    /// Refuses an API key that lacks `scope` (sessions have every scope).
    pub fn require_scope(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ApiError::Forbidden("this API key lacks the scope for that action"))
        }
    }

    /// Refuses writes by accounts whose verification grace period has run out.
    pub fn require_verified_or_grace(&self, grace_hours: u64) -> Result<(), ApiError> {
        let grace_ms = i64::try_from(grace_hours.saturating_mul(3_600_000)).unwrap_or(i64::MAX);
        if self.email_verified || now_ms() < self.account_created_at.saturating_add(grace_ms) {
            Ok(())
        } else {
            Err(ApiError::EmailUnverified)
        }
    }

    /// Account settings (password, MFA, sessions, API keys) need a signed-in session, not a key.
    pub fn require_session(&self) -> Result<Uuid, ApiError> {
        self.session_id.ok_or(ApiError::Forbidden("API keys cannot manage the account; sign in instead"))
    }
}

/// The prefix of every API key secret: `cf_<prefix>_<secret>`.
pub const API_KEY_PREFIX: &str = "cf_";

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(p) = parts.extensions.get::<Principal>() {
            return Ok(p.clone());
        }
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .or_else(|| parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim))
            .ok_or(ApiError::Unauthorized("sign in: send `Authorization: Bearer <token>`"))?;
        let principal = if bearer.starts_with(API_KEY_PREFIX) {
            let principal = state
                .db
                .principal_for_api_key(bearer)
                .await?
                .ok_or(ApiError::Unauthorized("the API key is unknown or revoked"))?;
            state.limits.check_key(principal.api_key_id.unwrap_or_default())?;
            principal
        } else {
            let claims = state
                .tokens
                .check(bearer, "access")
                .ok_or(ApiError::Unauthorized("the access token is invalid or expired"))?;
            let principal = state
                .db
                .principal_for_session(claims.sub, claims.sid)
                .await?
                .ok_or(ApiError::Unauthorized("the session has ended; sign in again"))?;
            state.limits.check_user(principal.user_id)?;
            principal
        };
        parts.extensions.insert(principal.clone());
        Ok(principal)
    }
}

/// Tokens handed to a client that signed in.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenPair {
    /// Short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Opaque, single-use: trade it at `/api/v1/auth/refresh` for a new pair. Reusing an old one
    /// ends the session.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// The session these tokens belong to.
    pub session_id: Uuid,
    /// The signed-in account.
    pub user_id: Uuid,
}

/// Where a request came from, for the session list.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    /// User-Agent.
    pub user_agent: String,
    /// Peer IP.
    pub ip: std::net::IpAddr,
}

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let user_agent =
            parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("unknown").to_owned();
        let ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or(std::net::IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
        Ok(ClientInfo { user_agent, ip })
    }
}

/// Starts a session for `user` signed in by `method` and returns its tokens.
pub async fn start_session(
    state: &AppState,
    user: Uuid,
    method: &str,
    client: &ClientInfo,
) -> Result<TokenPair, ApiError> {
    let refresh_token = random_token();
    let ttl_ms = i64::try_from(state.config.auth.refresh_ttl_days.saturating_mul(86_400_000)).unwrap_or(i64::MAX);
    let ip = client.ip.to_string();
    let new = crate::db::NewSession { user_id: user, method, user_agent: &client.user_agent, ip: &ip, ttl_ms };
    let session = state.db.create_session(&new, &refresh_token).await?;
    token_pair(state, user, session, refresh_token)
}

/// Access token for (user, session) paired with `refresh_token`.
pub fn token_pair(state: &AppState, user: Uuid, session: Uuid, refresh_token: String) -> Result<TokenPair, ApiError> {
    Ok(TokenPair {
        access_token: state.tokens.issue(user, session, "access", state.tokens.access_ttl_secs)?,
        expires_in: state.tokens.access_ttl_secs,
        refresh_token,
        token_type: "Bearer".into(),
        session_id: session,
        user_id: user,
    })
}
