//! Accounts and authentication: sign-up with email verification, login with optional TOTP,
//! rotating refresh tokens, logout, password reset and change, MFA enrolment with recovery
//! codes, the session (device) list, and the profile at `/me`.
//!
//! Secrets sent by email (verification and reset links) and recovery codes are stored only as
//! SHA-256 hashes; passwords as Argon2id. Sign-in attempts are rate limited per IP. Account
//! settings need a signed-in session: API keys may read `/me` but change nothing here.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::auth::{self, ClientInfo, Passwords, Principal, TokenPair, totp};
use crate::db::{User, now_ms};
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::http::Problem;

/// This family's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(verify_email))
        .routes(routes!(resend_verification))
        .routes(routes!(login))
        .routes(routes!(login_mfa))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
        .routes(routes!(change_password))
        .routes(routes!(totp_setup))
        .routes(routes!(totp_confirm))
        .routes(routes!(totp_disable))
        .routes(routes!(regenerate_recovery_codes))
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(get_me, update_me))
}

/// How long an email-verification link works.
const VERIFY_TTL_MS: i64 = 72 * 3_600_000;
/// How long a password-reset link works.
const RESET_TTL_MS: i64 = 3_600_000;
/// How long the step between password and code may take.
const MFA_TOKEN_TTL_SECS: u64 = 300;
/// Recovery codes issued at once.
const RECOVERY_CODES: usize = 10;
/// One answer for a wrong email and a wrong password, so neither is revealed.
const BAD_CREDENTIALS: &str = "the email or password is wrong";
const BAD_CODE: &str = "the code is wrong, expired or already used";
const MFA_EXPIRED: &str = "the sign-in step has expired; enter your password again";

/// An account, as its owner sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    /// The account id.
    pub id: Uuid,
    /// The sign-in email, lower-cased.
    pub email: String,
    /// The name shown to teammates.
    pub display_name: String,
    /// Whether the email address is verified.
    pub email_verified: bool,
    /// When it was verified, ms since the epoch.
    pub email_verified_at: Option<i64>,
    /// Preferred language, a BCP 47 tag such as `de-DE`.
    pub language: String,
    /// IANA time zone such as `Europe/Berlin`, or `UTC`.
    pub timezone: String,
    /// Whether sign-in needs a TOTP code.
    pub mfa_enabled: bool,
    /// The account's personal team.
    pub personal_team_id: Option<Uuid>,
    /// Created, ms since the epoch.
    pub created_at: i64,
    /// Until when (ms) an unverified account may still change content; `null` once verified.
    pub verification_required_by: Option<i64>,
}

impl UserView {
    fn new(state: &AppState, user: &User) -> UserView {
        let grace_ms =
            i64::try_from(state.config.auth.verification_grace_hours.saturating_mul(3_600_000)).unwrap_or(i64::MAX);
        UserView {
            id: user.id,
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            email_verified: user.email_verified_at.is_some(),
            email_verified_at: user.email_verified_at,
            language: user.language.clone(),
            timezone: user.timezone.clone(),
            mfa_enabled: user.totp_enabled_at.is_some(),
            personal_team_id: user.personal_team_id.as_deref().and_then(|s| Uuid::parse_str(s).ok()),
            created_at: user.created_at,
            verification_required_by: user
                .email_verified_at
                .is_none()
                .then(|| user.created_at.saturating_add(grace_ms)),
        }
    }
}

/// `POST /auth/signup` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// The sign-in email; a verification link is sent to it.
    #[schema(example = "ana@example.com")]
    pub email: String,
    /// 10 to 256 characters.
    pub password: String,
    /// 1 to 80 characters.
    #[schema(example = "Ana")]
    pub display_name: String,
}

/// A new account and its first session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignupResponse {
    /// The account.
    pub user: UserView,
    /// Tokens of the session that sign-up started.
    pub tokens: TokenPair,
}

/// A mailed single-use token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The `token` parameter of the emailed link.
    pub token: String,
}

/// An account.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    /// The account.
    pub user: UserView,
}

/// `POST /auth/login` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The sign-in email.
    pub email: String,
    /// The password.
    pub password: String,
}

/// The password was right; a TOTP or recovery code is needed next, at `/auth/login/mfa`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaChallenge {
    /// Always `true`.
    pub mfa_required: bool,
    /// Short-lived (5 minutes); send it with the code.
    pub mfa_token: String,
}

/// Tokens, or a request for the second factor.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginResponse {
    /// Signed in.
    Tokens(TokenPair),
    /// The account uses MFA.
    Mfa(MfaChallenge),
}

/// `POST /auth/login/mfa` body: the challenge token and one of `code` or `recovery_code`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaLoginRequest {
    /// From the login answer.
    pub mfa_token: String,
    /// The authenticator app's current 6-digit code.
    #[schema(example = "123456")]
    pub code: Option<String>,
    /// One of the recovery codes (each works once).
    #[schema(example = "abcd-efgh-ijkl")]
    pub recovery_code: Option<String>,
}

/// `POST /auth/refresh` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The newest refresh token of the session.
    pub refresh_token: String,
}

/// `POST /auth/password/forgot` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotPasswordRequest {
    /// The account's email.
    pub email: String,
}

/// `POST /auth/password/reset` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    /// The `token` parameter of the emailed link.
    pub token: String,
    /// 10 to 256 characters.
    pub new_password: String,
}

/// `POST /auth/password/change` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The password in use now.
    pub current_password: String,
    /// 10 to 256 characters.
    pub new_password: String,
}

/// A TOTP secret to enrol in an authenticator app.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpSetup {
    /// Base32 secret, for typing in.
    pub secret: String,
    /// `otpauth://` URL, for a QR code.
    pub otpauth_url: String,
}

/// A TOTP code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// The authenticator app's current 6-digit code.
    #[schema(example = "123456")]
    pub code: String,
}

/// Recovery codes, shown once: each signs in once when the authenticator is lost.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Ten codes like `abcd-efgh-ijkl`.
    pub recovery_codes: Vec<String>,
}

/// `POST /auth/mfa/totp/disable` body: a current code or the password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableTotpRequest {
    /// The authenticator app's current code.
    pub code: Option<String>,
    /// The account's password.
    pub password: Option<String>,
}

/// A signed-in device.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// The session id (revoke with `DELETE /auth/sessions/{id}`).
    pub id: Uuid,
    /// The browser or app that signed in.
    pub user_agent: String,
    /// The address it signed in from.
    pub ip: String,
    /// `password`, `password+mfa`, `password+recovery_code`, `signup`, `oidc:NAME`.
    pub method: String,
    /// Signed in, ms since the epoch.
    pub created_at: i64,
    /// Last token refresh, ms since the epoch.
    pub last_seen_at: i64,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// The account's live sessions, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    /// The sessions.
    pub items: Vec<SessionView>,
}

/// `PATCH /me` body; absent fields keep their value. Nothing else (email, role, credits) can be
/// set here.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    /// 1 to 80 characters.
    pub display_name: Option<String>,
    /// BCP 47 tag such as `en` or `de-DE`.
    #[schema(example = "de-DE")]
    pub language: Option<String>,
    /// `UTC` or an IANA zone such as `Europe/Berlin`.
    #[schema(example = "Europe/Berlin")]
    pub timezone: Option<String>,
}

// ---- validation -------------------------------------------------------------------------

/// A plausible address, lower-cased: `local@domain.tld`, no spaces, at most 254 characters.
fn normalize_email(raw: &str) -> Result<String, ApiError> {
    let email = raw.trim().to_lowercase();
    let bad = || ApiError::invalid("email", "enter an email address like name@example.com");
    if email.chars().count() > 254 {
        return Err(bad());
    }
    let (local, domain) = email.split_once('@').ok_or_else(bad)?;
    let local_ok = !local.is_empty()
        && local.chars().count() <= 64
        && local.chars().all(|c| !c.is_whitespace() && !c.is_control() && !"@<>()[]\\,;:\"".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.chars().count() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local_ok && domain_ok { Ok(email) } else { Err(bad()) }
}

/// 1–80 characters after trimming, no control characters.
fn validate_display_name(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    let chars = name.chars().count();
    if !(1..=80).contains(&chars) || name.chars().any(char::is_control) {
        return Err(ApiError::invalid("display_name", "use 1 to 80 characters"));
    }
    Ok(name.to_owned())
}

/// A BCP 47-ish tag: a 2–3 letter language, then subtags of 1–8 letters or digits (`de-DE`,
/// `zh-Hant-TW`, `es-419`).
fn validate_language(tag: &str) -> Result<(), ApiError> {
    let mut parts = tag.split('-');
    let primary_ok =
        parts.next().is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    let rest_ok = parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if primary_ok && rest_ok && tag.len() <= 35 {
        Ok(())
    } else {
        Err(ApiError::invalid("language", "use a language tag such as `en` or `de-DE`"))
    }
}

/// `UTC`, or `Area/City` with an optional third part, made of letters, digits, `_`, `-`, `+`.
fn validate_timezone(tz: &str) -> Result<(), ApiError> {
    if tz == "UTC" {
        return Ok(());
    }
    let parts: Vec<&str> = tz.split('/').collect();
    let ok = (2..=3).contains(&parts.len())
        && parts.first().is_some_and(|a| a.starts_with(|c: char| c.is_ascii_alphabetic()))
        && parts.iter().all(|p| {
            (1..=30).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-+".contains(&b))
        });
    if ok { Ok(()) } else { Err(ApiError::invalid("timezone", "use `UTC` or a zone such as `Europe/Berlin`")) }
}

/// The password rules, naming `field` in the error.
fn validate_password(field: &'static str, password: &str) -> Result<(), ApiError> {
    Passwords::validate(password).map_err(|e| match e {
        ApiError::Validation { message, .. } => ApiError::invalid(field, message),
        other => other,
    })
}

// ---- helpers ----------------------------------------------------------------------------

fn now_secs() -> u64 {
    u64::try_from(now_ms() / 1000).unwrap_or(0)
}

fn public_link(state: &AppState, page: &str, token: &str) -> String {
    format!("{}/{page}?token={token}", state.config.public_url.trim_end_matches('/'))
}

async fn current_user(state: &AppState, id: Uuid) -> Result<User, ApiError> {
    state.db.user_by_id(id).await?.ok_or(ApiError::Unauthorized("the account no longer exists"))
}

/// Queues the verification email with a fresh 72-hour link.
async fn send_verification(state: &AppState, user: &User) -> Result<(), ApiError> {
    let token = auth::random_token();
    let link = public_link(state, "verify-email", &token);
    let body = format!(
        "Hello {},\n\nplease confirm your email address for CreativeFlow by opening this link:\n\n{link}\n\n\
         The link works once and expires in 72 hours. If you did not create an account, ignore this email.\n",
        user.display_name
    );
    let expires = now_ms().saturating_add(VERIFY_TTL_MS);
    state
        .db
        .mail_one_time_token(
            user.id,
            "verify_email",
            &token,
            expires,
            (&user.email, "Confirm your email address", &body),
        )
        .await?;
    Ok(())
}

/// Ten fresh recovery codes and their hashes.
fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let raw = data_encoding::BASE32_NOPAD.encode(&auth::random_bytes(8)).to_lowercase();
            format!("{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..12])
        })
        .collect();
    let hashes = codes.iter().map(|c| recovery_code_hash(c)).collect();
    (codes, hashes)
}

/// Recovery codes are compared without dashes, spaces or case.
fn recovery_code_hash(code: &str) -> String {
    let normalized: String =
        code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    auth::token_hash(&normalized)
}

/// Whether `code` is a current TOTP code of `user` not used before; using it burns its step.
async fn accept_totp_code(state: &AppState, user: &User, code: &str) -> Result<bool, ApiError> {
    let Some(secret) = user.totp_secret.as_deref() else { return Ok(false) };
    let Some(step) = totp::matching_step(secret, code, now_secs()) else { return Ok(false) };
    let step = i64::try_from(step).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(state.db.claim_totp_step(user.id, step).await?)
}

// ---- sign-up and verification -----------------------------------------------------------

/// Create an account with email and password. A verification link is emailed; the account can
/// be used at once, and must be verified within the grace period to keep changing content.
#[utoipa::path(
    post,
    path = "/auth/signup",
    tag = "auth",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Account created and signed in", body = SignupResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email is already registered", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json")
    )
)]
async fn signup(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(req): ApiJson<SignupRequest>,
) -> Result<(StatusCode, Json<SignupResponse>), ApiError> {
    state.limits.check_auth_attempt(client.ip)?;
    let email = normalize_email(&req.email)?;
    validate_password("password", &req.password)?;
    let display_name = validate_display_name(&req.display_name)?;
    let hash = state.passwords.hash(req.password).await?;
    let user = state.db.create_user(&email, Some(&hash), &display_name).await?;
    send_verification(&state, &user).await?;
    let tokens = auth::start_session(&state, user.id, "signup", &client).await?;
    Ok((StatusCode::CREATED, Json(SignupResponse { user: UserView::new(&state, &user), tokens })))
}

/// Verify the email address with the emailed link's token (single use).
#[utoipa::path(
    post,
    path = "/auth/verify-email",
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "Verified", body = UserResponse),
        (status = 400, description = "The link is unknown, used or expired", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong body shape", body = Problem, content_type = "application/problem+json")
    )
)]
async fn verify_email(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<Json<UserResponse>, ApiError> {
    let user_id =
        state.db.verify_email_with_token(req.token.trim()).await?.map_err(|why| ApiError::BadRequest(why.into()))?;
    let user = state.db.user_by_id(user_id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(UserResponse { user: UserView::new(&state, &user) }))
}

/// Email a new verification link.
#[utoipa::path(
    post,
    path = "/auth/verify-email/resend",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "A new link is on its way"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already verified", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json")
    )
)]
async fn resend_verification(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
) -> Result<StatusCode, ApiError> {
    state.limits.check_auth_attempt(client.ip)?;
    let user = current_user(&state, principal.user_id).await?;
    if user.email_verified_at.is_some() {
        return Err(ApiError::Conflict("the email address is already verified".into()));
    }
    send_verification(&state, &user).await?;
    Ok(StatusCode::ACCEPTED)
}

// ---- sign-in ----------------------------------------------------------------------------

/// Sign in with email and password. Accounts with MFA get a challenge to answer at
/// `/auth/login/mfa` instead of tokens.
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Tokens, or an MFA challenge", body = LoginResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong body shape", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json")
    )
)]
async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    state.limits.check_auth_attempt(client.ip)?;
    let user = state.db.user_by_email(&req.email).await?;
    // Unknown emails (and accounts without a password) still pay for a hash: same timing.
    let phc = user.as_ref().and_then(|u| u.password_hash.clone());
    let matches = state.passwords.verify(req.password, phc).await?;
    let Some(user) = user.filter(|_| matches) else {
        state.metrics.login("bad_credentials");
        return Err(ApiError::Unauthorized(BAD_CREDENTIALS));
    };
    if user.totp_enabled_at.is_some() {
        state.metrics.login("mfa_required");
        let mfa_token = state.tokens.issue(user.id, Uuid::nil(), "mfa", MFA_TOKEN_TTL_SECS)?;
        return Ok(Json(LoginResponse::Mfa(MfaChallenge { mfa_required: true, mfa_token })));
    }
    state.metrics.login("ok");
    Ok(Json(LoginResponse::Tokens(auth::start_session(&state, user.id, "password", &client).await?)))
}

/// Finish signing in with a TOTP code or a recovery code. Each code works once.
#[utoipa::path(
    post,
    path = "/auth/login/mfa",
    tag = "auth",
    request_body = MfaLoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong or used code, or the challenge expired", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither or both of `code` and `recovery_code`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json")
    )
)]
async fn login_mfa(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(req): ApiJson<MfaLoginRequest>,
) -> Result<Json<TokenPair>, ApiError> {
    state.limits.check_auth_attempt(client.ip)?;
    let claims = state.tokens.check(&req.mfa_token, "mfa").ok_or(ApiError::Unauthorized(MFA_EXPIRED))?;
    let user = state
        .db
        .user_by_id(claims.sub)
        .await?
        .filter(|u| u.totp_enabled_at.is_some())
        .ok_or(ApiError::Unauthorized(MFA_EXPIRED))?;
    state.limits.check_second_factor(user.id)?;
    let (accepted, method) = match (req.code.as_deref(), req.recovery_code.as_deref()) {
        (Some(code), None) => (accept_totp_code(&state, &user, code).await?, "password+mfa"),
        (None, Some(code)) => {
            (state.db.use_recovery_code(user.id, &recovery_code_hash(code)).await?, "password+recovery_code")
        }
        _ => return Err(ApiError::invalid("code", "send either `code` or `recovery_code`")),
    };
    if !accepted {
        state.metrics.login("mfa_failed");
        return Err(ApiError::Unauthorized(BAD_CODE));
    }
    state.metrics.login("ok");
    Ok(Json(auth::start_session(&state, user.id, method, &client).await?))
}

/// Trade a refresh token for a new pair in the same session. Each refresh token works once;
/// presenting one again ends the session (all its tokens stop working).
#[utoipa::path(
    post,
    path = "/auth/refresh",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenPair),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown, reused or expired token, or the session ended", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong body shape", body = Problem, content_type = "application/problem+json")
    )
)]
async fn refresh(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<Json<TokenPair>, ApiError> {
    let new = auth::random_token();
    let (user, session) =
        state.db.rotate_refresh_token(req.refresh_token.trim(), &new).await?.map_err(ApiError::Unauthorized)?;
    Ok(Json(auth::token_pair(&state, user, session, new)?))
}

/// Sign out: ends the current session.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "API keys cannot sign out", body = Problem, content_type = "application/problem+json")
    )
)]
async fn logout(State(state): State<AppState>, principal: Principal) -> Result<StatusCode, ApiError> {
    let session = principal.require_session()?;
    state.db.revoke_session(principal.user_id, session, "logout").await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- passwords --------------------------------------------------------------------------

/// Email a password-reset link (valid for an hour) if the account exists. The answer is the
/// same either way.
#[utoipa::path(
    post,
    path = "/auth/password/forgot",
    tag = "auth",
    request_body = ForgotPasswordRequest,
    responses(
        (status = 202, description = "If the account exists, a link is on its way"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong body shape", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json")
    )
)]
async fn forgot_password(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(req): ApiJson<ForgotPasswordRequest>,
) -> Result<StatusCode, ApiError> {
    state.limits.check_auth_attempt(client.ip)?;
    if let Some(user) = state.db.user_by_email(&req.email).await? {
        let token = auth::random_token();
        let link = public_link(&state, "reset-password", &token);
        let body = format!(
            "Hello {},\n\nsomeone asked to reset the password of your CreativeFlow account. To choose a new \
             password, open this link:\n\n{link}\n\nThe link works once and expires in one hour. If it was not \
             you, ignore this email; your password stays as it is.\n",
            user.display_name
        );
        let expires = now_ms().saturating_add(RESET_TTL_MS);
        state
            .db
            .mail_one_time_token(
                user.id,
                "reset_password",
                &token,
                expires,
                (&user.email, "Reset your password", &body),
            )
            .await?;
    }
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with the emailed link's token (single use). Every session of the account
/// ends; the email counts as verified.
#[utoipa::path(
    post,
    path = "/auth/password/reset",
    tag = "auth",
    request_body = ResetPasswordRequest,
    responses(
        (status = 204, description = "Password changed; sign in again"),
        (status = 400, description = "The link is unknown, used or expired", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The new password breaks the rules", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json")
    )
)]
async fn reset_password(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(req): ApiJson<ResetPasswordRequest>,
) -> Result<StatusCode, ApiError> {
    state.limits.check_auth_attempt(client.ip)?;
    validate_password("new_password", &req.new_password)?;
    let hash = state.passwords.hash(req.new_password).await?;
    state
        .db
        .reset_password_with_token(req.token.trim(), &hash)
        .await?
        .map_err(|why| ApiError::BadRequest(why.into()))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change the password; the account's other sessions end.
#[utoipa::path(
    post,
    path = "/auth/password/change",
    tag = "auth",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "API keys cannot change the password", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong current password, or the new one breaks the rules", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json")
    )
)]
async fn change_password(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    let session = principal.require_session()?;
    state.limits.check_auth_attempt(client.ip)?;
    validate_password("new_password", &req.new_password)?;
    let user = current_user(&state, principal.user_id).await?;
    if !state.passwords.verify(req.current_password, user.password_hash.clone()).await? {
        return Err(ApiError::invalid("current_password", "this is not the current password"));
    }
    let hash = state.passwords.hash(req.new_password).await?;
    state.db.change_password(user.id, &hash, session).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- MFA --------------------------------------------------------------------------------

/// Start TOTP enrolment: a new secret for the authenticator app. MFA stays off until
/// `/auth/mfa/totp/confirm` receives a code.
#[utoipa::path(
    post,
    path = "/auth/mfa/totp/setup",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The secret to enrol", body = TotpSetup),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "API keys cannot manage MFA", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "MFA is already on", body = Problem, content_type = "application/problem+json")
    )
)]
async fn totp_setup(State(state): State<AppState>, principal: Principal) -> Result<Json<TotpSetup>, ApiError> {
    principal.require_session()?;
    let user = current_user(&state, principal.user_id).await?;
    let secret = totp::new_secret();
    if user.totp_enabled_at.is_some() || !state.db.begin_totp(user.id, &secret).await? {
        return Err(ApiError::Conflict("two-factor sign-in is already on; disable it first".into()));
    }
    let otpauth_url = totp::otpauth_url(&secret, &user.email);
    Ok(Json(TotpSetup { secret, otpauth_url }))
}

/// Finish enrolment with a code from the app: MFA is on, and ten recovery codes are shown once.
#[utoipa::path(
    post,
    path = "/auth/mfa/totp/confirm",
    tag = "auth",
    security(("bearer" = [])),
    request_body = CodeRequest,
    responses(
        (status = 200, description = "MFA is on", body = RecoveryCodes),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "API keys cannot manage MFA", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already on, or setup not started", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong code", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json")
    )
)]
async fn totp_confirm(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    ApiJson(req): ApiJson<CodeRequest>,
) -> Result<Json<RecoveryCodes>, ApiError> {
    principal.require_session()?;
    state.limits.check_auth_attempt(client.ip)?;
    let user = current_user(&state, principal.user_id).await?;
    if user.totp_enabled_at.is_some() {
        return Err(ApiError::Conflict("two-factor sign-in is already on".into()));
    }
    let Some(secret) = user.totp_secret.as_deref() else {
        return Err(ApiError::Conflict("start with POST /api/v1/auth/mfa/totp/setup".into()));
    };
    let step = totp::matching_step(secret, &req.code, now_secs())
        .ok_or_else(|| ApiError::invalid("code", "the code does not match; check the app's clock and try again"))?;
    let step = i64::try_from(step).map_err(|e| ApiError::Internal(e.into()))?;
    let (codes, hashes) = new_recovery_codes();
    if !state.db.enable_totp(user.id, secret, step, &hashes).await? {
        return Err(ApiError::Conflict("the enrolment changed meanwhile; start again".into()));
    }
    Ok(Json(RecoveryCodes { recovery_codes: codes }))
}

/// Switch MFA off, with a current code or the password.
#[utoipa::path(
    post,
    path = "/auth/mfa/totp/disable",
    tag = "auth",
    security(("bearer" = [])),
    request_body = DisableTotpRequest,
    responses(
        (status = 204, description = "MFA is off"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "API keys cannot manage MFA", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "MFA is not on", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong or missing code or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json")
    )
)]
async fn totp_disable(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    ApiJson(req): ApiJson<DisableTotpRequest>,
) -> Result<StatusCode, ApiError> {
    principal.require_session()?;
    state.limits.check_auth_attempt(client.ip)?;
    let user = current_user(&state, principal.user_id).await?;
    if user.totp_enabled_at.is_none() {
        return Err(ApiError::Conflict("two-factor sign-in is not on".into()));
    }
    match (req.code, req.password) {
        (Some(code), _) => {
            if !accept_totp_code(&state, &user, &code).await? {
                return Err(ApiError::invalid("code", BAD_CODE));
            }
        }
        (None, Some(password)) => {
            if !state.passwords.verify(password, user.password_hash.clone()).await? {
                return Err(ApiError::invalid("password", "this is not the current password"));
            }
        }
        (None, None) => return Err(ApiError::invalid("code", "send a current `code` or the `password`")),
    }
    state.db.disable_totp(user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the recovery codes with ten new ones (the old ones stop working), given a current
/// code.
#[utoipa::path(
    post,
    path = "/auth/mfa/recovery-codes",
    tag = "auth",
    security(("bearer" = [])),
    request_body = CodeRequest,
    responses(
        (status = 200, description = "The new codes, shown once", body = RecoveryCodes),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "API keys cannot manage MFA", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "MFA is not on", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong code", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json")
    )
)]
async fn regenerate_recovery_codes(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    ApiJson(req): ApiJson<CodeRequest>,
) -> Result<Json<RecoveryCodes>, ApiError> {
    principal.require_session()?;
    state.limits.check_auth_attempt(client.ip)?;
    let user = current_user(&state, principal.user_id).await?;
    if user.totp_enabled_at.is_none() {
        return Err(ApiError::Conflict("two-factor sign-in is not on".into()));
    }
    if !accept_totp_code(&state, &user, &req.code).await? {
        return Err(ApiError::invalid("code", BAD_CODE));
    }
    let (codes, hashes) = new_recovery_codes();
    state.db.replace_recovery_codes(user.id, &hashes).await?;
    Ok(Json(RecoveryCodes { recovery_codes: codes }))
}

// ---- sessions ---------------------------------------------------------------------------

/// The devices signed in to the account.
#[utoipa::path(
    get,
    path = "/auth/sessions",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Live sessions, newest first", body = SessionList),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "API keys cannot list sessions", body = Problem, content_type = "application/problem+json")
    )
)]
async fn list_sessions(State(state): State<AppState>, principal: Principal) -> Result<Json<SessionList>, ApiError> {
    let current = principal.require_session()?;
    let items = state
        .db
        .live_sessions(principal.user_id)
        .await?
        .into_iter()
        .map(|s| SessionView {
            current: s.id == current,
            id: s.id,
            user_agent: s.user_agent,
            ip: s.ip,
            method: s.method,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
        })
        .collect();
    Ok(Json(SessionList { items }))
}

/// Sign a device out (its tokens stop working at once).
#[utoipa::path(
    delete,
    path = "/auth/sessions/{id}",
    tag = "auth",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The session id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "API keys cannot revoke sessions", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such live session of this account", body = Problem, content_type = "application/problem+json")
    )
)]
async fn revoke_session(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    principal.require_session()?;
    if state.db.revoke_session(principal.user_id, id, "revoked").await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

// ---- profile ----------------------------------------------------------------------------

/// The signed-in account.
#[utoipa::path(
    get,
    path = "/me",
    tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = UserView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json")
    )
)]
async fn get_me(State(state): State<AppState>, principal: Principal) -> Result<Json<UserView>, ApiError> {
    let user = current_user(&state, principal.user_id).await?;
    Ok(Json(UserView::new(&state, &user)))
}

/// Change the display name, language or time zone.
#[utoipa::path(
    patch,
    path = "/me",
    tag = "account",
    security(("bearer" = [])),
    request_body = ProfileUpdate,
    responses(
        (status = 200, description = "The updated account", body = UserView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "API keys cannot change the profile", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid or unknown field", body = Problem, content_type = "application/problem+json")
    )
)]
async fn update_me(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(req): ApiJson<ProfileUpdate>,
) -> Result<Json<UserView>, ApiError> {
    principal.require_session()?;
    let display_name = req.display_name.as_deref().map(validate_display_name).transpose()?;
    if let Some(language) = &req.language {
        validate_language(language)?;
    }
    if let Some(timezone) = &req.timezone {
        validate_timezone(timezone)?;
    }
    state
        .db
        .update_profile(principal.user_id, display_name.as_deref(), req.language.as_deref(), req.timezone.as_deref())
        .await?;
    let user = current_user(&state, principal.user_id).await?;
    Ok(Json(UserView::new(&state, &user)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_lower_cased() {
        assert_eq!(normalize_email("  Ana@Example.COM ").unwrap(), "ana@example.com");
        assert!(normalize_email("ana.b+tag@mail.example.co.uk").is_ok());
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a na@example.com",
            "ana@ex..com",
            "ana@-x.com",
            "a@b@c.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn languages_and_time_zones() {
        for ok in ["en", "de-DE", "zh-Hant-TW", "es-419"] {
            assert!(validate_language(ok).is_ok(), "{ok}");
        }
        for bad in ["", "e", "english-language-tag-x", "de_DE", "de-", "12"] {
            assert!(validate_language(bad).is_err(), "{bad}");
        }
        for ok in ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "America/Port-au-Prince"] {
            assert!(validate_timezone(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Berlin", "Europe/", "/Berlin", "Europe/Ber lin", "a/b/c/d", "Europe/Berlin;DROP"] {
            assert!(validate_timezone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn recovery_codes_look_alike_and_compare_loosely() {
        let (codes, hashes) = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        for (code, hash) in codes.iter().zip(&hashes) {
            assert_eq!(code.len(), 14, "{code}");
            assert_eq!(code.matches('-').count(), 2, "{code}");
            assert_eq!(&recovery_code_hash(&code.to_uppercase().replace('-', " ")), hash);
        }
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
    }
}
