//! A small OpenID Connect provider inside the test process: discovery, JWKS, an authorization
//! endpoint that approves at once (no UI), a token endpoint that checks the client, the code,
//! the redirect URI and PKCE (S256), and a userinfo endpoint. ID tokens are RS256, signed with
//! the TEST-ONLY key in `tests/fixtures/oidc/`.
//!
//! Who signs in is chosen by the `login_hint` query parameter of `/authorize` (the tests append
//! it to the URL the server redirects to), else the provider's default user. The hint
//! [`DENY`] makes the provider answer `error=access_denied`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Digest as _;

/// The provider's signing key (PKCS#8 PEM) and its public JWK.
const KEY_PEM: &str = include_str!("../fixtures/oidc/test-key.pem");
const KEY_JWK: &str = include_str!("../fixtures/oidc/test-key.jwk.json");
/// A key the server has never seen, for forged ID tokens.
const OTHER_KEY_PEM: &str = include_str!("../fixtures/oidc/other-key.pem");
const KID: &str = "test-key-1";

/// The `login_hint` that makes the person decline.
pub const DENY: &str = "deny";

/// A person at the provider.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// The stable subject identifier.
    pub sub: String,
    /// Their email address.
    pub email: String,
    /// Whether the provider vouches for the address.
    pub email_verified: bool,
    /// Their name.
    pub name: String,
}

impl TestUser {
    /// A person with a verified address.
    pub fn new(sub: &str, email: &str, name: &str) -> TestUser {
        TestUser { sub: sub.into(), email: email.into(), email_verified: true, name: name.into() }
    }

    /// The same person, with the address not vouched for.
    pub fn unverified(mut self) -> TestUser {
        self.email_verified = false;
        self
    }
}

/// A code handed out by `/authorize`, waiting for `/token`.
struct Grant {
    user: TestUser,
    redirect_uri: String,
    nonce: Option<String>,
    code_challenge: String,
}

struct Inner {
    issuer: String,
    client_id: String,
    client_secret: String,
    users: HashMap<String, TestUser>,
    default_user: TestUser,
    codes: HashMap<String, Grant>,
    access_tokens: HashMap<String, TestUser>,
    sign_with_other_key: bool,
    token_requests: usize,
}

type Shared = Arc<Mutex<Inner>>;

/// A running provider; it stops with the test's runtime.
pub struct OidcProvider {
    /// `http://127.0.0.1:PORT`, also its issuer identifier.
    pub issuer: String,
    inner: Shared,
}

impl OidcProvider {
    /// Starts a provider for the client (`client_id`, `client_secret`) on a free loopback port;
    /// `default_user` signs in when no `login_hint` is given.
    pub async fn start(client_id: &str, client_secret: &str, default_user: TestUser) -> OidcProvider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let inner = Arc::new(Mutex::new(Inner {
            issuer: issuer.clone(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            users: HashMap::new(),
            default_user,
            codes: HashMap::new(),
            access_tokens: HashMap::new(),
            sign_with_other_key: false,
            token_requests: 0,
        }));
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .with_state(inner.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        OidcProvider { issuer, inner }
    }

    /// Adds a person who signs in with `login_hint=hint`.
    pub fn add_user(&self, hint: &str, user: TestUser) {
        self.inner.lock().unwrap().users.insert(hint.into(), user);
    }

    /// From now on, signs ID tokens with a key that is not in the JWKS (same `kid`).
    pub fn sign_with_other_key(&self, on: bool) {
        self.inner.lock().unwrap().sign_with_other_key = on;
    }

    /// How many token requests succeeded so far.
    pub fn token_requests(&self) -> usize {
        self.inner.lock().unwrap().token_requests
    }
}

fn random() -> String {
    URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes())
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, axum::Json(json!({ "error": error, "error_description": description }))).into_response()
}

async fn discovery(State(inner): State<Shared>) -> axum::Json<Value> {
    let issuer = inner.lock().unwrap().issuer.clone();
    axum::Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name"],
    }))
}

async fn jwks() -> axum::Json<Value> {
    let key: Value = serde_json::from_str(KEY_JWK).unwrap();
    axum::Json(json!({ "keys": [key] }))
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    response_type: String,
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    login_hint: Option<String>,
}

/// Approves at once and redirects back with a code (or `access_denied` for [`DENY`]).
async fn authorize(State(inner): State<Shared>, Query(q): Query<AuthorizeQuery>) -> Response {
    let mut inner = inner.lock().unwrap();
    if q.client_id != inner.client_id {
        return (StatusCode::BAD_REQUEST, "unknown client").into_response();
    }
    if q.response_type != "code" || !q.scope.split(' ').any(|s| s == "openid") {
        return (StatusCode::BAD_REQUEST, "only the OpenID Connect code flow").into_response();
    }
    let (Some(code_challenge), Some("S256")) = (q.code_challenge, q.code_challenge_method.as_deref()) else {
        return (StatusCode::BAD_REQUEST, "PKCE with S256 is required").into_response();
    };
    let mut back = reqwest::Url::parse(&q.redirect_uri).unwrap();
    let user = match q.login_hint.as_deref() {
        Some(DENY) => {
            back.query_pairs_mut().append_pair("error", "access_denied");
            if let Some(state) = &q.state {
                back.query_pairs_mut().append_pair("state", state);
            }
            return (StatusCode::FOUND, [(header::LOCATION, back.to_string())]).into_response();
        }
        Some(hint) => match inner.users.get(hint) {
            Some(user) => user.clone(),
            None => return (StatusCode::BAD_REQUEST, "no such test user").into_response(),
        },
        None => inner.default_user.clone(),
    };
    let code = random();
    inner
        .codes
        .insert(code.clone(), Grant { user, redirect_uri: q.redirect_uri.clone(), nonce: q.nonce, code_challenge });
    back.query_pairs_mut().append_pair("code", &code);
    if let Some(state) = &q.state {
        back.query_pairs_mut().append_pair("state", state);
    }
    (StatusCode::FOUND, [(header::LOCATION, back.to_string())]).into_response()
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: String,
    code: String,
    redirect_uri: String,
    code_verifier: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// `application/x-www-form-urlencoded` decoding of one client credential (RFC 6749 §2.3.1).
fn form_decode(s: &str) -> String {
    reqwest::Url::parse(&format!("http://x/?v={s}"))
        .unwrap()
        .query_pairs()
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The client's (id, secret) from `client_secret_basic` or `client_secret_post`.
fn client_credentials(headers: &HeaderMap, form: &TokenForm) -> Option<(String, String)> {
    if let Some(basic) =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = String::from_utf8(STANDARD.decode(basic.trim()).ok()?).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        return Some((form_decode(id), form_decode(secret)));
    }
    Some((form.client_id.clone()?, form.client_secret.clone()?))
}

async fn token(State(inner): State<Shared>, headers: HeaderMap, Form(form): Form<TokenForm>) -> Response {
    let mut inner = inner.lock().unwrap();
    match client_credentials(&headers, &form) {
        Some((id, secret)) if id == inner.client_id && secret == inner.client_secret => {}
        _ => return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "bad client credentials"),
    }
    if form.grant_type != "authorization_code" {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "only authorization_code");
    }
    // Codes are single-use whatever happens next.
    let Some(grant) = inner.codes.remove(&form.code) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown or used code");
    };
    if grant.redirect_uri != form.redirect_uri {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "redirect_uri differs");
    }
    let challenge = form.code_verifier.as_deref().map(|v| URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(v.as_bytes())));
    if challenge.as_deref() != Some(grant.code_challenge.as_str()) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "PKCE verification failed");
    }
    let access_token = random();
    let now = now_secs();
    let mut claims = json!({
        "iss": inner.issuer,
        "aud": inner.client_id,
        "sub": grant.user.sub,
        "email": grant.user.email,
        "email_verified": grant.user.email_verified,
        "name": grant.user.name,
        "iat": now,
        "exp": now + 300,
    });
    if let Some(nonce) = &grant.nonce {
        claims["nonce"] = json!(nonce);
    }
    let pem = if inner.sign_with_other_key { OTHER_KEY_PEM } else { KEY_PEM };
    let mut jwt_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    jwt_header.kid = Some(KID.into());
    let key = jsonwebtoken::EncodingKey::from_rsa_der(&pkcs1_from_pkcs8_pem(pem));
    let id_token = jsonwebtoken::encode(&jwt_header, &claims, &key).unwrap();
    inner.access_tokens.insert(access_token.clone(), grant.user);
    inner.token_requests += 1;
    axum::Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
    }))
    .into_response()
}

async fn userinfo(State(inner): State<Shared>, headers: HeaderMap) -> Response {
    let inner = inner.lock().unwrap();
    let user = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| inner.access_tokens.get(t));
    match user {
        Some(u) => axum::Json(json!({
            "sub": u.sub, "email": u.email, "email_verified": u.email_verified, "name": u.name,
        }))
        .into_response(),
        None => oauth_error(StatusCode::UNAUTHORIZED, "invalid_token", "unknown access token"),
    }
}

/// The PKCS#1 `RSAPrivateKey` inside a PKCS#8 PEM (`openssl genpkey` writes PKCS#8; the
/// jsonwebtoken build here has no PEM support and takes PKCS#1 DER).
fn pkcs1_from_pkcs8_pem(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = STANDARD.decode(body).unwrap();
    // PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm SEQUENCE, privateKey OCTET STRING }
    let (tag, info, _) = der_tlv(&der);
    assert_eq!(tag, 0x30, "PKCS#8 starts with a SEQUENCE");
    let (_, _, rest) = der_tlv(info);
    let (_, _, rest) = der_tlv(rest);
    let (tag, key, _) = der_tlv(rest);
    assert_eq!(tag, 0x04, "the key is an OCTET STRING");
    key.to_vec()
}

/// One DER element: (tag, contents, what follows).
fn der_tlv(bytes: &[u8]) -> (u8, &[u8], &[u8]) {
    let tag = bytes[0];
    let (len, header) = match bytes[1] {
        short if short < 0x80 => (usize::from(short), 2),
        long => {
            let n = usize::from(long & 0x7f);
            (bytes[2..2 + n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b)), 2 + n)
        }
    };
    (tag, &bytes[header..header + len], &bytes[header + len..])
}
