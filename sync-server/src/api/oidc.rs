//! Social sign-in with OpenID Connect: the authorization-code flow with PKCE (S256), a nonce and
//! a single-use state, for each `[[oidc]]` provider in the configuration.
//!
//! `start` saves the state's PKCE verifier and nonce, binds the state to the browser with a
//! short-lived cookie and sends the browser to the provider. `callback` takes the state back
//! (once), trades the code for tokens, verifies the ID token (signature against the provider's
//! JWKS, issuer, audience, nonce, expiry) and signs the person in: to the account linked to the
//! provider's subject, else to the account whose verified email the provider vouches for, else
//! to a new account. The tokens go to the web app in the URL fragment, which browsers never send
//! to a server.
//!
//! Provider metadata (discovery and JWKS) is cached in memory for an hour per issuer, and
//! dropped early when an ID token's signature does not verify (the provider may have rotated its
//! keys).

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::url::form_urlencoded;
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse as _, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, TokenResponse as _, reqwest,
};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::auth::{ClientInfo, constant_time_eq};
use crate::config::OidcProvider;
use crate::db::oidc::OidcState;
use crate::db::{DbError, now_ms};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::http::problem;

/// How long a started sign-in may take before its state expires.
const STATE_TTL_MS: i64 = 10 * 60 * 1000;
/// How long discovered provider metadata is trusted.
const METADATA_TTL: Duration = Duration::from_secs(3600);
/// Lifetime of the token that carries a sign-in to `/auth/login/mfa` (as for password sign-ins).
const MFA_TOKEN_TTL_SECS: u64 = 300;
/// The cookie that ties a state to the browser that started the sign-in.
const STATE_COOKIE: &str = "cf_oidc_state";
/// The path the state cookie is sent to.
const COOKIE_PATH: &str = "/api/v1/auth/oidc/";

/// This family's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(providers)).routes(routes!(start)).routes(routes!(callback))
}

/// A social sign-in provider the server is configured for.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OidcProviderInfo {
    /// The name used in `/auth/oidc/{provider}/start`.
    pub name: String,
}

/// What the provider sends back to the callback.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The authorization code.
    pub code: Option<String>,
    /// The state given to the provider by `start`.
    pub state: Option<String>,
    /// An OAuth error code (`access_denied` when the person declined).
    pub error: Option<String>,
}

/// A failure of the sign-in flow: an API error, or a provider that did not answer or answered
/// something we cannot trust (502).
#[derive(Debug)]
enum OidcError {
    Api(ApiError),
    Upstream(&'static str),
}

impl From<ApiError> for OidcError {
    fn from(e: ApiError) -> OidcError {
        OidcError::Api(e)
    }
}

impl From<DbError> for OidcError {
    fn from(e: DbError) -> OidcError {
        OidcError::Api(e.into())
    }
}

impl IntoResponse for OidcError {
    fn into_response(self) -> Response {
        match self {
            OidcError::Api(e) => e.into_response(),
            OidcError::Upstream(detail) => problem(StatusCode::BAD_GATEWAY, "bad-gateway", "Bad gateway", detail),
        }
    }
}

const NO_ANSWER: &str = "the sign-in provider did not answer";
const UNTRUSTED_ANSWER: &str = "the sign-in provider's answer could not be verified";

/// The configured social sign-in providers, for the sign-in screen.
#[utoipa::path(
    get,
    path = "/auth/oidc/providers",
    tag = "auth",
    responses((status = 200, description = "The configured providers", body = Vec<OidcProviderInfo>))
)]
async fn providers(State(state): State<AppState>) -> axum::Json<Vec<OidcProviderInfo>> {
    axum::Json(state.config.oidc.iter().map(|p| OidcProviderInfo { name: p.name.clone() }).collect())
}

/// Starts a social sign-in: redirects the browser to the provider's authorization page.
#[utoipa::path(
    get,
    path = "/auth/oidc/{provider}/start",
    tag = "auth",
    params(("provider" = String, Path, description = "A configured provider's name")),
    responses(
        (status = 302, description = "To the provider's authorization page",
            headers(("location" = String), ("set-cookie" = String, description = "Binds the sign-in to this browser"))),
        (status = 404, description = "No such provider", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many sign-in attempts", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The provider did not answer", body = crate::http::Problem, content_type = "application/problem+json")
    )
)]
async fn start(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    client: ClientInfo,
) -> Result<Response, OidcError> {
    let provider = provider(&state, &name)?;
    state.limits.check_auth_attempt(client.ip)?;
    let oidc = oidc_client(&state, provider).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = oidc
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .set_pkce_challenge(challenge);
    for scope in provider.scopes.iter().filter(|s| s.as_str() != "openid") {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, csrf, nonce) = request.url();
    let pending = OidcState {
        provider: provider.name.clone(),
        pkce_verifier: verifier.secret().clone(),
        nonce: nonce.secret().clone(),
        created_at: now_ms(),
    };
    state.db.save_oidc_state(csrf.secret(), &pending, STATE_TTL_MS).await?;
    let cookie = state_cookie(&state, csrf.secret(), STATE_TTL_MS / 1000);
    Ok(found(url.as_str(), Some(&cookie)))
}

/// Completes a social sign-in: checks the state, trades the code for tokens, verifies the ID
/// token, finds, links or creates the account, and redirects to the web app with the session's
/// tokens in the URL fragment (`/#/signed-in?access_token=…&refresh_token=…&expires_in=…`). An
/// account with two-factor sign-in gets `/#/sign-in?mfa_token=…` instead, for
/// `/auth/login/mfa`. A declined consent redirects to `/#/sign-in?error=access_denied`.
#[utoipa::path(
    get,
    path = "/auth/oidc/{provider}/callback",
    tag = "auth",
    params(("provider" = String, Path, description = "A configured provider's name"), CallbackQuery),
    responses(
        (status = 302, description = "To the web app, with the tokens in the fragment or an error",
            headers(("location" = String))),
        (status = 400, description = "Unknown, used or expired state, or a sign-in started in another browser",
            body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such provider", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email belongs to an account the provider cannot vouch for",
            body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed query", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many sign-in attempts", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The provider did not answer, or its answer did not verify",
            body = crate::http::Problem, content_type = "application/problem+json")
    )
)]
async fn callback(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    client: ClientInfo,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<CallbackQuery>,
) -> Result<Response, OidcError> {
    let provider = provider(&state, &name)?;
    state.limits.check_auth_attempt(client.ip)?;
    let clear_cookie = state_cookie(&state, "", 0);
    if let Some(error) = query.error {
        if let Some(st) = &query.state {
            state.db.take_oidc_state(st).await?;
        }
        // Only known codes are passed on: the web app shows its own words, never the provider's.
        let code = if error == "access_denied" { "access_denied" } else { "sign_in_failed" };
        return Ok(found(&format!("{}/#/sign-in?error={code}", public_url(&state)), Some(&clear_cookie)));
    }
    let (Some(code), Some(st)) = (query.code, query.state) else {
        return Err(ApiError::BadRequest("the callback needs `code` and `state`".into()).into());
    };
    // Checked before the state is spent, so a link replayed elsewhere cannot spoil the real sign-in.
    if !cookie(&headers, STATE_COOKIE).is_some_and(|c| constant_time_eq(c.as_bytes(), st.as_bytes())) {
        return Err(ApiError::BadRequest("this sign-in was started in another browser; start again".into()).into());
    }
    let pending = state
        .db
        .take_oidc_state(&st)
        .await?
        .filter(|p| p.provider == provider.name && now_ms().saturating_sub(p.created_at) <= STATE_TTL_MS)
        .ok_or_else(|| ApiError::BadRequest("this sign-in is unknown, used or expired; start again".into()))?;

    let oidc = oidc_client(&state, provider).await?;
    let http = http_client()?;
    let exchange = oidc
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| {
            tracing::warn!(provider = %provider.name, error = %e, "the provider's metadata has no token endpoint");
            OidcError::Upstream(UNTRUSTED_ANSWER)
        })?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier));
    let tokens = match exchange.request_async(http).await {
        Ok(tokens) => tokens,
        Err(RequestTokenError::ServerResponse(e)) => {
            tracing::warn!(provider = %provider.name, error = %e, "the provider refused the authorization code");
            return Err(ApiError::BadRequest("the sign-in provider refused this sign-in; start again".into()).into());
        }
        Err(RequestTokenError::Request(e)) => {
            tracing::warn!(provider = %provider.name, error = %chain(&e), "token request failed");
            return Err(OidcError::Upstream(NO_ANSWER));
        }
        Err(e) => {
            tracing::warn!(provider = %provider.name, error = %chain(&e), "unusable token response");
            return Err(OidcError::Upstream(UNTRUSTED_ANSWER));
        }
    };
    let id_token = tokens.id_token().ok_or(OidcError::Upstream(UNTRUSTED_ANSWER))?;
    let verifier = oidc.id_token_verifier();
    let claims = id_token.claims(&verifier, &Nonce::new(pending.nonce)).map_err(|e| {
        tracing::warn!(provider = %provider.name, error = %chain(&e), "ID token rejected");
        if matches!(e, openidconnect::ClaimsVerificationError::SignatureVerification(_)) {
            forget_metadata(&provider.issuer);
        }
        OidcError::Upstream(UNTRUSTED_ANSWER)
    })?;
    if let Some(expected) = claims.access_token_hash() {
        let alg = id_token.signing_alg().map_err(|_| OidcError::Upstream(UNTRUSTED_ANSWER))?;
        let key = id_token.signing_key(&verifier).map_err(|_| OidcError::Upstream(UNTRUSTED_ANSWER))?;
        let actual = AccessTokenHash::from_token(tokens.access_token(), alg, key)
            .map_err(|_| OidcError::Upstream(UNTRUSTED_ANSWER))?;
        if actual != *expected {
            tracing::warn!(provider = %provider.name, "ID token's at_hash does not match the access token");
            return Err(OidcError::Upstream(UNTRUSTED_ANSWER));
        }
    }
    let person = Person {
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|e| e.as_str().trim().to_lowercase()).filter(|e| !e.is_empty()),
        email_verified: claims.email_verified().unwrap_or(false),
        name: claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().trim().to_owned()).filter(|n| !n.is_empty()),
    };
    let user = account_for(&state, &provider.name, &person).await?;
    // Two-factor sign-in, when the account has it on, is not skipped by signing in elsewhere: the
    // web app asks for the code and finishes at `/auth/login/mfa`.
    if state.db.user_by_id(user).await?.is_some_and(|u| u.totp_enabled_at.is_some()) {
        let mfa_token = state.tokens.issue(user, Uuid::nil(), "mfa", MFA_TOKEN_TTL_SECS)?;
        let fragment = form_urlencoded::Serializer::new(String::new()).append_pair("mfa_token", &mfa_token).finish();
        return Ok(found(&format!("{}/#/sign-in?{fragment}", public_url(&state)), Some(&clear_cookie)));
    }
    let pair = crate::auth::start_session(&state, user, &format!("oidc:{}", provider.name), &client).await?;
    let fragment = form_urlencoded::Serializer::new(String::new())
        .append_pair("access_token", &pair.access_token)
        .append_pair("refresh_token", &pair.refresh_token)
        .append_pair("expires_in", &pair.expires_in.to_string())
        .finish();
    Ok(found(&format!("{}/#/signed-in?{fragment}", public_url(&state)), Some(&clear_cookie)))
}

/// Who the provider says signed in.
struct Person {
    subject: String,
    email: Option<String>,
    email_verified: bool,
    name: Option<String>,
}

/// The account `person` signs in to: the one linked to the subject; else the one with the same
/// email when the provider vouches for the address and so did the account; else a new one. An
/// address that belongs to an account is never taken over on a provider's word alone: the
/// provider must vouch for it, and the account must have verified it (otherwise whoever signed
/// up with someone else's address beforehand would share the account).
async fn account_for(state: &AppState, provider: &str, person: &Person) -> Result<Uuid, ApiError> {
    // Two first sign-ins of the same person at once: the loser of the race finds the winner's
    // account on the second pass.
    for _ in 0..2 {
        if let Some(user) = state.db.oidc_identity_user(provider, &person.subject).await? {
            if person.email_verified
                && let Some(email) = &person.email
            {
                state.db.verify_email_by_oidc(user, email).await?;
            }
            return Ok(user);
        }
        let email = person.email.as_deref().ok_or_else(|| {
            ApiError::BadRequest("the sign-in provider did not share your email address; allow it and try again".into())
        })?;
        let user = match state.db.user_by_email(email).await? {
            Some(existing) if !person.email_verified => {
                tracing::info!(provider, user = %existing.id, "social sign-in refused: unverified email of an existing account");
                return Err(ApiError::Conflict(
                    "an account with this email address already exists and the sign-in provider does not confirm \
                     the address is yours; sign in with your password instead"
                        .into(),
                ));
            }
            Some(existing) if existing.email_verified_at.is_none() => {
                return Err(ApiError::Conflict(
                    "an account with this email address already exists but has not verified it; sign in with \
                     your password and verify the address first"
                        .into(),
                ));
            }
            Some(existing) => existing.id,
            None => {
                let name = person.name.as_deref().unwrap_or_else(|| email.split('@').next().unwrap_or(email));
                let display_name: String = name.chars().take(80).collect();
                match state.db.create_user(email, None, &display_name).await {
                    Ok(user) => user.id,
                    Err(DbError::Conflict(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
        };
        match state.db.link_oidc_identity(provider, &person.subject, user, Some(email)).await {
            Ok(()) => {}
            Err(DbError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
        if person.email_verified {
            state.db.verify_email_by_oidc(user, email).await?;
        }
        return Ok(user);
    }
    Err(ApiError::Conflict("this sign-in is already being completed; try again".into()))
}

/// An error with its causes, for the log.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// The configured provider called `name`, else 404.
fn provider<'a>(state: &'a AppState, name: &str) -> Result<&'a OidcProvider, ApiError> {
    state.config.oidc.iter().find(|p| p.name == name).ok_or(ApiError::NotFound)
}

fn public_url(state: &AppState) -> &str {
    state.config.public_url.trim_end_matches('/')
}

/// The HTTP client for provider requests. Redirects are off: following them would let a
/// provider's answer steer the server to other addresses (SSRF).
fn http_client() -> Result<&'static reqwest::Client, ApiError> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client);
    }
    let client = reqwest::ClientBuilder::new()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("building the OIDC HTTP client: {e}")))?;
    Ok(CLIENT.get_or_init(|| client))
}

/// Discovered metadata (with the JWKS) by issuer, and when it was fetched.
static METADATA: LazyLock<RwLock<HashMap<String, (Instant, CoreProviderMetadata)>>> = LazyLock::new(Default::default);

fn forget_metadata(issuer: &str) {
    METADATA.write().unwrap_or_else(PoisonError::into_inner).remove(issuer);
}

/// The provider's metadata, from the cache or discovered now.
async fn metadata(provider: &OidcProvider) -> Result<CoreProviderMetadata, OidcError> {
    let cached = METADATA
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&provider.issuer)
        .filter(|(at, _)| at.elapsed() < METADATA_TTL)
        .map(|(_, m)| m.clone());
    if let Some(m) = cached {
        return Ok(m);
    }
    let issuer = IssuerUrl::new(provider.issuer.clone())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("provider {}: bad issuer URL: {e}", provider.name)))?;
    let discovered = CoreProviderMetadata::discover_async(issuer, http_client()?).await.map_err(|e| {
        tracing::warn!(provider = %provider.name, error = %chain(&e), "OIDC discovery failed");
        OidcError::Upstream(NO_ANSWER)
    })?;
    METADATA
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(provider.issuer.clone(), (Instant::now(), discovered.clone()));
    Ok(discovered)
}

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// A client for `provider` whose redirect URI is this server's callback.
async fn oidc_client(state: &AppState, provider: &OidcProvider) -> Result<Client, OidcError> {
    let redirect = RedirectUrl::new(format!("{}/api/v1/auth/oidc/{}/callback", public_url(state), provider.name))
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("public_url does not make a redirect URI: {e}")))?;
    Ok(CoreClient::from_provider_metadata(
        metadata(provider).await?,
        ClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(provider.client_secret.clone())),
    )
    .set_redirect_uri(redirect))
}

/// The state cookie: HttpOnly, SameSite=Lax (sent on the provider's top-level redirect back),
/// Secure when the server is reached over HTTPS, and only sent to the OIDC routes.
fn state_cookie(state: &AppState, value: &str, max_age_secs: i64) -> String {
    let secure = if state.config.public_url.starts_with("https://") { "; Secure" } else { "" };
    format!("{STATE_COOKIE}={value}; Path={COOKIE_PATH}; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}")
}

/// The value of cookie `name` in the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A 302 to `location` that no cache keeps.
fn found(location: &str, cookie: Option<&str>) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, v);
    }
    if let Some(v) = cookie.and_then(|c| HeaderValue::from_str(c).ok()) {
        headers.insert(header::SET_COOKIE, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
