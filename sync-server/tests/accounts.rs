//! The account lifecycle against the real binary: sign-up and email verification from the
//! outbox, login, refresh-token rotation and reuse detection, logout, password reset and change,
//! TOTP enrolment and MFA login with replay protection and recovery codes, the session list,
//! the profile, bad input, and delivery over SMTP. The story runs on SQLite and, when
//! `TEST_DATABASE_URL` is set, on PostgreSQL.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "test code fails loudly")]

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{PgScratch, TestServer, token_from_email};
use sync_server::auth::totp;

const EMAIL: &str = "ana@example.com";
const PASSWORD: &str = "correct horse battery";
const RESET_PASSWORD: &str = "staple of the reset link";
const CHANGED_PASSWORD: &str = "third time lucky, surely";

/// `METHOD /api/v1{path}` from a client announcing `user_agent`.
async fn call_as(
    server: &TestServer,
    user_agent: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = server
        .http
        .request(method.parse().unwrap(), format!("{}/api/v1{path}", server.base))
        .header("user-agent", user_agent);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
}

/// Signs in without MFA from `user_agent`; returns the token pair.
async fn login(server: &TestServer, password: &str, user_agent: &str) -> Value {
    let (status, body) =
        call_as(server, user_agent, "POST", "/auth/login", None, Some(json!({ "email": EMAIL, "password": password })))
            .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string() && body["refresh_token"].is_string(), "{body}");
    body
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

async fn me_status(server: &TestServer, access: &str) -> u16 {
    server.call("GET", "/me", Some(access), None).await.0
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// The detail of a problem answer, after checking its shape.
fn detail(status: u16, body: &Value) -> String {
    assert_eq!(body["status"], status, "{body}");
    assert!(s(&body["type"]).starts_with("https://creativeflow.dev/problems/"), "{body}");
    s(&body["detail"]).to_owned()
}

fn field(body: &Value) -> &str {
    s(&body["errors"][0]["field"])
}

async fn story(server: &TestServer) {
    // ---- sign up: the account exists, unverified, with a grace deadline and a session.
    let (status, body) = server
        .call(
            "POST",
            "/auth/signup",
            None,
            Some(json!({ "email": "Ana@Example.com", "password": PASSWORD, "display_name": "Ana" })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let user = &body["user"];
    assert_eq!(user["email"], EMAIL);
    assert_eq!(user["email_verified"], false);
    assert_eq!(user["mfa_enabled"], false);
    assert!(user["personal_team_id"].is_string(), "{user}");
    assert_eq!(
        user["verification_required_by"].as_i64().unwrap(),
        user["created_at"].as_i64().unwrap() + 72 * 3_600_000
    );
    let signup_access = s(&body["tokens"]["access_token"]).to_owned();
    assert_eq!(me_status(server, &signup_access).await, 200);

    let (status, body) = server
        .call(
            "POST",
            "/auth/signup",
            None,
            Some(json!({ "email": "ANA@example.com", "password": PASSWORD, "display_name": "Twin" })),
        )
        .await;
    assert_eq!(status, 409, "{body}");

    // ---- verify the email through the link in the outbox; the link works once.
    let (subject, mail) = server.last_email(EMAIL).await.expect("a verification email is queued");
    assert!(subject.contains("Confirm"), "{subject}");
    assert!(mail.contains("/verify-email?token="), "{mail}");
    let token = token_from_email(&mail, "token");
    let (status, body) = server.call("POST", "/auth/verify-email", None, Some(json!({ "token": "made-up" }))).await;
    assert_eq!(status, 400);
    assert!(detail(400, &body).contains("not valid"), "{body}");
    let (status, body) = server.call("POST", "/auth/verify-email", None, Some(json!({ "token": token }))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["email_verified"], true);
    assert!(body["user"]["verification_required_by"].is_null());
    let (status, body) = server.call("POST", "/auth/verify-email", None, Some(json!({ "token": token }))).await;
    assert_eq!(status, 400);
    assert!(detail(400, &body).contains("already been used"), "{body}");
    let (status, me) = server.call("GET", "/me", Some(&signup_access), None).await;
    assert_eq!(status, 200);
    assert_eq!(me["email_verified"], true);
    assert!(me["email_verified_at"].is_i64());
    let (status, _) = server.call("POST", "/auth/verify-email/resend", Some(&signup_access), None).await;
    assert_eq!(status, 409, "a verified address needs no new link");

    // ---- login: a wrong password and an unknown email look the same.
    let (status, wrong) =
        server.call("POST", "/auth/login", None, Some(json!({ "email": EMAIL, "password": "not the password" }))).await;
    assert_eq!(status, 401);
    let (status, unknown) = server
        .call("POST", "/auth/login", None, Some(json!({ "email": "nobody@example.com", "password": PASSWORD })))
        .await;
    assert_eq!(status, 401);
    assert_eq!(detail(401, &wrong), detail(401, &unknown));

    // ---- refresh rotates; reusing a spent token kills the whole family.
    let first = login(server, PASSWORD, "Laptop").await;
    let (status, second) =
        server.call("POST", "/auth/refresh", None, Some(json!({ "refresh_token": first["refresh_token"] }))).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["session_id"], first["session_id"]);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(me_status(server, s(&second["access_token"])).await, 200);
    let (status, body) =
        server.call("POST", "/auth/refresh", None, Some(json!({ "refresh_token": first["refresh_token"] }))).await;
    assert_eq!(status, 401);
    assert!(detail(401, &body).contains("already used"), "{body}");
    let (status, _) =
        server.call("POST", "/auth/refresh", None, Some(json!({ "refresh_token": second["refresh_token"] }))).await;
    assert_eq!(status, 401, "the newest token of a reused family is dead too");
    assert_eq!(me_status(server, s(&second["access_token"])).await, 401, "and so is the session's access token");
    assert_eq!(me_status(server, &signup_access).await, 200, "other sessions live on");
    let (status, _) = server.call("POST", "/auth/refresh", None, Some(json!({ "refresh_token": "junk" }))).await;
    assert_eq!(status, 401);

    // ---- logout ends the session: its access and refresh tokens stop working.
    let tokens = login(server, PASSWORD, "Laptop").await;
    let (status, _) = server.call("POST", "/auth/logout", Some(s(&tokens["access_token"])), None).await;
    assert_eq!(status, 204);
    assert_eq!(me_status(server, s(&tokens["access_token"])).await, 401);
    let (status, _) =
        server.call("POST", "/auth/refresh", None, Some(json!({ "refresh_token": tokens["refresh_token"] }))).await;
    assert_eq!(status, 401);

    // ---- sessions: two devices listed; revoking one signs it out; others' ids are 404.
    let one = login(server, PASSWORD, "Device-One").await;
    let two = login(server, PASSWORD, "Device-Two").await;
    let (status, list) =
        call_as(server, "Device-One", "GET", "/auth/sessions", Some(s(&one["access_token"])), None).await;
    assert_eq!(status, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    let find = |id: &Value| items.iter().find(|i| i["id"] == *id).unwrap_or_else(|| panic!("{id} in {list}"));
    assert_eq!(find(&one["session_id"])["user_agent"], "Device-One");
    assert_eq!(find(&one["session_id"])["current"], true);
    assert_eq!(find(&one["session_id"])["method"], "password");
    assert_eq!(find(&two["session_id"])["user_agent"], "Device-Two");
    assert_eq!(find(&two["session_id"])["current"], false);
    assert!(find(&two["session_id"])["ip"].as_str().unwrap().contains("127.0.0.1"));
    assert!(!items.iter().any(|i| i["id"] == tokens["session_id"]), "ended sessions are not listed");
    let path = format!("/auth/sessions/{}", s(&two["session_id"]));
    let (status, _) = server.call("DELETE", &path, Some(s(&one["access_token"])), None).await;
    assert_eq!(status, 204);
    assert_eq!(me_status(server, s(&two["access_token"])).await, 401);
    assert_eq!(me_status(server, s(&one["access_token"])).await, 200);
    let (status, _) = server.call("DELETE", &path, Some(s(&one["access_token"])), None).await;
    assert_eq!(status, 404);
    let bob = support::sign_up(server, "bob@example.com").await;
    let bobs = format!("/auth/sessions/{}", s(&bob["tokens"]["session_id"]));
    let (status, _) = server.call("DELETE", &bobs, Some(s(&one["access_token"])), None).await;
    assert_eq!(status, 404, "another account's session is not found");
    assert_eq!(me_status(server, s(&bob["tokens"]["access_token"])).await, 200);
    let (status, _) = server.call("DELETE", "/auth/sessions/not-an-id", Some(s(&one["access_token"])), None).await;
    assert_eq!(status, 404);

    // ---- profile: mass assignment is refused and changes nothing; valid fields change.
    let access = s(&one["access_token"]).to_owned();
    let (_, before) = server.call("GET", "/me", Some(&access), None).await;
    for body in [json!({ "role": "owner" }), json!({ "email": "mallory@example.com" }), json!({ "credits": 1000 })] {
        let (status, problem) = server.call("PATCH", "/me", Some(&access), Some(body.clone())).await;
        assert_eq!(status, 422, "{body} → {problem}");
    }
    let (status, problem) =
        server.call("PATCH", "/me", Some(&access), Some(json!({ "display_name": "Eve", "role": "owner" }))).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(server.call("GET", "/me", Some(&access), None).await.1, before, "nothing changed");
    let (status, me) = server
        .call(
            "PATCH",
            "/me",
            Some(&access),
            Some(json!({ "display_name": "  Ana B.  ", "language": "de-DE", "timezone": "Europe/Berlin" })),
        )
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!((me["display_name"].as_str(), me["language"].as_str()), (Some("Ana B."), Some("de-DE")));
    assert_eq!(me["timezone"], "Europe/Berlin");
    assert_eq!(me["email"], EMAIL);
    for (body, name) in [
        (json!({ "language": "german please" }), "language"),
        (json!({ "timezone": "Mars/Olympus Mons" }), "timezone"),
        (json!({ "display_name": "" }), "display_name"),
        (json!({ "display_name": "x".repeat(81) }), "display_name"),
    ] {
        let (status, problem) = server.call("PATCH", "/me", Some(&access), Some(body)).await;
        assert_eq!((status, field(&problem)), (422, name), "{problem}");
    }
    let (_, me) = server.call("GET", "/me", Some(&access), None).await;
    assert_eq!(me["timezone"], "Europe/Berlin", "a refused update changes nothing");

    // ---- bad input: malformed JSON, missing content type, rule-breaking fields.
    let url = format!("{}/api/v1/auth/login", server.base);
    let res =
        server.http.post(&url).header("content-type", "application/json").body("{\"email\": ").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let res =
        server.http.post(&url).body(json!({ "email": EMAIL, "password": PASSWORD }).to_string()).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 415);
    let res =
        server.http.post(&url).json(&json!({ "email": EMAIL, "password": "wrong password" })).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    for (body, name) in [
        (json!({ "email": "c@example.com", "password": "short", "display_name": "C" }), "password"),
        (json!({ "email": "not an email", "password": PASSWORD, "display_name": "C" }), "email"),
        (json!({ "email": "c@example.com", "password": PASSWORD, "display_name": " " }), "display_name"),
    ] {
        let (status, problem) = server.call("POST", "/auth/signup", None, Some(body)).await;
        assert_eq!((status, field(&problem)), (422, name), "{problem}");
    }
    let (status, _) = server.call("POST", "/auth/signup", None, Some(json!({ "email": "c@example.com" }))).await;
    assert_eq!(status, 422, "missing fields");

    // ---- forgotten password: same answer for unknown accounts; the link resets once and
    // signs every device out.
    let (status, _) =
        server.call("POST", "/auth/password/forgot", None, Some(json!({ "email": "nobody@example.com" }))).await;
    assert_eq!(status, 202);
    assert!(server.last_email("nobody@example.com").await.is_none());
    let (status, _) =
        server.call("POST", "/auth/password/forgot", None, Some(json!({ "email": "ANA@example.com" }))).await;
    assert_eq!(status, 202);
    let (subject, mail) = server.last_email(EMAIL).await.unwrap();
    assert!(subject.contains("Reset"), "{subject}");
    assert!(mail.contains("/reset-password?token="), "{mail}");
    let token = token_from_email(&mail, "token");
    let (status, problem) = server
        .call("POST", "/auth/password/reset", None, Some(json!({ "token": token, "new_password": "short" })))
        .await;
    assert_eq!((status, field(&problem)), (422, "new_password"));
    let (status, _) = server
        .call("POST", "/auth/password/reset", None, Some(json!({ "token": "made-up", "new_password": RESET_PASSWORD })))
        .await;
    assert_eq!(status, 400);
    let (status, body) = server
        .call("POST", "/auth/password/reset", None, Some(json!({ "token": token, "new_password": RESET_PASSWORD })))
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = server
        .call("POST", "/auth/password/reset", None, Some(json!({ "token": token, "new_password": RESET_PASSWORD })))
        .await;
    assert_eq!(status, 400);
    assert!(detail(400, &body).contains("already been used"));
    let (status, _) =
        server.call("POST", "/auth/login", None, Some(json!({ "email": EMAIL, "password": PASSWORD }))).await;
    assert_eq!(status, 401, "the old password is gone");
    assert_eq!(me_status(server, &access).await, 401, "sessions from before the reset are dead");
    assert_eq!(me_status(server, &signup_access).await, 401);
    let (status, _) =
        server.call("POST", "/auth/refresh", None, Some(json!({ "refresh_token": one["refresh_token"] }))).await;
    assert_eq!(status, 401);

    // ---- an unverified account gets a new link on request, and a reset verifies it too (the
    // person proved they read the mailbox).
    let bob_email = "bob@example.com";
    let bob_access = s(&bob["tokens"]["access_token"]).to_owned();
    let (_, first_link) = server.last_email(bob_email).await.unwrap();
    let (status, _) = server.call("POST", "/auth/verify-email/resend", Some(&bob_access), None).await;
    assert_eq!(status, 202);
    let (_, second_link) = server.last_email(bob_email).await.unwrap();
    assert_ne!(token_from_email(&first_link, "token"), token_from_email(&second_link, "token"));
    let (status, _) = server.call("POST", "/auth/password/forgot", None, Some(json!({ "email": bob_email }))).await;
    assert_eq!(status, 202);
    let (_, mail) = server.last_email(bob_email).await.unwrap();
    let body = json!({ "token": token_from_email(&mail, "token"), "new_password": RESET_PASSWORD });
    assert_eq!(server.call("POST", "/auth/password/reset", None, Some(body)).await.0, 204);
    let (status, tokens) =
        server.call("POST", "/auth/login", None, Some(json!({ "email": bob_email, "password": RESET_PASSWORD }))).await;
    assert_eq!(status, 200, "{tokens}");
    let (_, me) = server.call("GET", "/me", Some(s(&tokens["access_token"])), None).await;
    assert_eq!(me["email_verified"], true);
    assert_eq!(me_status(server, &bob_access).await, 401);

    // ---- changing the password keeps this session and ends the others.
    let here = login(server, RESET_PASSWORD, "Device-One").await;
    let there = login(server, RESET_PASSWORD, "Device-Two").await;
    let here_access = s(&here["access_token"]).to_owned();
    let (status, problem) = server
        .call(
            "POST",
            "/auth/password/change",
            Some(&here_access),
            Some(json!({ "current_password": "not it at all", "new_password": CHANGED_PASSWORD })),
        )
        .await;
    assert_eq!((status, field(&problem)), (422, "current_password"));
    let (status, _) = server
        .call(
            "POST",
            "/auth/password/change",
            Some(&here_access),
            Some(json!({ "current_password": RESET_PASSWORD, "new_password": CHANGED_PASSWORD })),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(me_status(server, &here_access).await, 200);
    assert_eq!(me_status(server, s(&there["access_token"])).await, 401);
    login(server, CHANGED_PASSWORD, "Device-One").await;

    mfa(server, &here_access).await;
}

/// Enrols TOTP, signs in with a code (once only), with recovery codes (each once), replaces the
/// recovery codes and switches MFA off.
async fn mfa(server: &TestServer, access: &str) {
    let (status, setup) = server.call("POST", "/auth/mfa/totp/setup", Some(access), None).await;
    assert_eq!(status, 200, "{setup}");
    let secret = s(&setup["secret"]).to_owned();
    assert!(s(&setup["otpauth_url"]).contains(&format!("secret={secret}")));
    let code = |step: u64| totp::code_at(&secret, step).unwrap();

    // Three consecutive steps are accepted at once (one of drift either way): confirm with the
    // previous one, sign in with the current one, renew recovery codes with the next one. Start
    // early in a step so all three stay valid while this runs.
    let into_step = now_secs() % totp::STEP_SECS;
    if into_step > 15 {
        tokio::time::sleep(Duration::from_secs(totp::STEP_SECS - into_step + 1)).await;
    }
    let step = totp::step(now_secs());
    let valid = [code(step - 1), code(step), code(step + 1)];
    let wrong = (0..).map(|n| format!("{n:06}")).find(|c| !valid.contains(c)).unwrap();

    let (status, problem) =
        server.call("POST", "/auth/mfa/totp/confirm", Some(access), Some(json!({ "code": wrong }))).await;
    assert_eq!((status, field(&problem)), (422, "code"));
    let (_, me) = server.call("GET", "/me", Some(access), None).await;
    assert_eq!(me["mfa_enabled"], false, "not on until confirmed");
    let (status, body) =
        server.call("POST", "/auth/mfa/totp/confirm", Some(access), Some(json!({ "code": code(step - 1) }))).await;
    assert_eq!(status, 200, "{body}");
    let recovery: Vec<String> = body["recovery_codes"].as_array().unwrap().iter().map(|c| s(c).to_owned()).collect();
    assert_eq!(recovery.len(), 10);
    assert!(recovery.iter().all(|c| c.len() == 14 && c.split('-').count() == 3), "{recovery:?}");
    let (_, me) = server.call("GET", "/me", Some(access), None).await;
    assert_eq!(me["mfa_enabled"], true);
    let (status, _) = server.call("POST", "/auth/mfa/totp/setup", Some(access), None).await;
    assert_eq!(status, 409, "already on");

    let challenge = || async {
        let (status, body) = server
            .call("POST", "/auth/login", None, Some(json!({ "email": EMAIL, "password": CHANGED_PASSWORD })))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["mfa_required"], true, "{body}");
        assert!(body["access_token"].is_null(), "no tokens before the second factor: {body}");
        s(&body["mfa_token"]).to_owned()
    };
    let mfa_login = |token: String, body: Value| async move {
        let mut body = body;
        body["mfa_token"] = json!(token);
        server.call("POST", "/auth/login/mfa", None, Some(body)).await
    };

    let (status, _) = mfa_login(challenge().await, json!({ "code": code(step - 1) })).await;
    assert_eq!(status, 401, "the code used to confirm enrolment is spent");
    let (status, tokens) = mfa_login(challenge().await, json!({ "code": code(step) })).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(me_status(server, s(&tokens["access_token"])).await, 200);
    let (_, list) = server.call("GET", "/auth/sessions", Some(s(&tokens["access_token"])), None).await;
    let current = list["items"].as_array().unwrap().iter().find(|i| i["current"] == true).unwrap();
    assert_eq!(current["method"], "password+mfa");
    let (status, problem) = mfa_login(challenge().await, json!({ "code": code(step) })).await;
    assert_eq!(status, 401, "a replayed code is refused: {problem}");
    let (status, _) = mfa_login(challenge().await, json!({ "code": wrong })).await;
    assert_eq!(status, 401);
    let (status, _) = mfa_login("not-a-token".into(), json!({ "code": code(step + 1) })).await;
    assert_eq!(status, 401);
    let (status, _) = mfa_login(s(&tokens["access_token"]).to_owned(), json!({ "code": code(step + 1) })).await;
    assert_eq!(status, 401, "an access token is no MFA challenge");
    let (status, _) = mfa_login(challenge().await, json!({})).await;
    assert_eq!(status, 422);

    // Recovery codes: any case and spacing, each once.
    let spaced = recovery[0].to_uppercase().replace('-', " ");
    let (status, tokens) = mfa_login(challenge().await, json!({ "recovery_code": spaced })).await;
    assert_eq!(status, 200, "{tokens}");
    let (status, _) = mfa_login(challenge().await, json!({ "recovery_code": recovery[0] })).await;
    assert_eq!(status, 401, "a recovery code works once");

    // New recovery codes replace the old ones.
    let (status, body) =
        server.call("POST", "/auth/mfa/recovery-codes", Some(access), Some(json!({ "code": code(step) }))).await;
    assert_eq!(status, 422, "spent code");
    let (status, body2) =
        server.call("POST", "/auth/mfa/recovery-codes", Some(access), Some(json!({ "code": code(step + 1) }))).await;
    assert_eq!(status, 200, "{body} {body2}");
    let renewed: Vec<String> = body2["recovery_codes"].as_array().unwrap().iter().map(|c| s(c).to_owned()).collect();
    assert_eq!(renewed.len(), 10);
    let (status, _) = mfa_login(challenge().await, json!({ "recovery_code": recovery[1] })).await;
    assert_eq!(status, 401, "old recovery codes are void");
    let (status, _) = mfa_login(challenge().await, json!({ "recovery_code": renewed[1] })).await;
    assert_eq!(status, 200);

    // Switching off needs the password (or a code).
    let (status, problem) =
        server.call("POST", "/auth/mfa/totp/disable", Some(access), Some(json!({ "password": "guess guess" }))).await;
    assert_eq!((status, field(&problem)), (422, "password"));
    let (status, _) = server.call("POST", "/auth/mfa/totp/disable", Some(access), Some(json!({}))).await;
    assert_eq!(status, 422);
    let (status, _) = server
        .call("POST", "/auth/mfa/totp/disable", Some(access), Some(json!({ "password": CHANGED_PASSWORD })))
        .await;
    assert_eq!(status, 204);
    let (_, me) = server.call("GET", "/me", Some(access), None).await;
    assert_eq!(me["mfa_enabled"], false);
    login(server, CHANGED_PASSWORD, "Device-One").await;

    let metrics = server.http.get(format!("{}/metrics", server.base)).send().await.unwrap().text().await.unwrap();
    for outcome in ["ok", "bad_credentials", "mfa_required", "mfa_failed"] {
        let line = format!("creativeflow_logins_total{{outcome=\"{outcome}\"}}");
        assert!(metrics.contains(&line), "{line} in {metrics}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn account_lifecycle_sqlite() {
    let server = TestServer::start(&[]);
    story(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn account_lifecycle_postgres() {
    let Some(scratch) = PgScratch::new().await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set (CI sets it)");
        return;
    };
    let server = TestServer::start_with_database(Some(&scratch.url), &[]);
    story(&server).await;
    drop(server);
    scratch.cleanup().await;
}

/// A one-message SMTP server: greets, accepts any envelope, and hands back (RCPT line, DATA).
fn smtp_sink(listener: std::net::TcpListener) -> std::sync::mpsc::Receiver<(String, String)> {
    use std::io::{BufRead as _, BufReader, Write as _};
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut out = stream.try_clone().unwrap();
        let mut lines = BufReader::new(stream).lines();
        out.write_all(b"220 sink ESMTP\r\n").unwrap();
        let (mut rcpt, mut data) = (String::new(), String::new());
        while let Some(Ok(line)) = lines.next() {
            let command = line.to_ascii_uppercase();
            if command.starts_with("RCPT TO") {
                rcpt = line.clone();
            }
            if command == "DATA" {
                out.write_all(b"354 go ahead\r\n").unwrap();
                for line in lines.by_ref() {
                    let line = line.unwrap();
                    if line == "." {
                        break;
                    }
                    data.push_str(&line);
                    data.push('\n');
                }
                out.write_all(b"250 queued\r\n").unwrap();
            } else if command == "QUIT" {
                out.write_all(b"221 bye\r\n").unwrap();
                break;
            } else {
                out.write_all(b"250 ok\r\n").unwrap();
            }
        }
        tx.send((rcpt, data)).unwrap();
    });
    rx
}

/// Undoes quoted-printable: soft line breaks and `=XX` escapes.
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'=')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn verification_email_is_delivered_over_smtp() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let smtp_url = format!("smtp://{}", listener.local_addr().unwrap());
    let received = smtp_sink(listener);
    let server = TestServer::start(&[("CREATIVEFLOW_EMAIL__SMTP_URL", &smtp_url)]);
    support::sign_up(&server, "smtp@example.com").await;

    let (rcpt, data) =
        tokio::task::spawn_blocking(move || received.recv_timeout(Duration::from_secs(30)).expect("an SMTP delivery"))
            .await
            .unwrap();
    assert!(rcpt.contains("<smtp@example.com>"), "{rcpt}");
    assert!(data.contains("Subject: Confirm your email address"), "{data}");
    assert!(data.contains("From: CreativeFlow <no-reply@creativeflow.local>"), "{data}");
    let body = decode_quoted_printable(&data);
    let token = token_from_email(&body, "token");
    let (status, verified) = server.call("POST", "/auth/verify-email", None, Some(json!({ "token": token }))).await;
    assert_eq!(status, 200, "the link that went over SMTP works: {verified}");

    // The outbox row is marked sent after one attempt.
    let pool = sqlx::SqlitePool::connect(&server.database_url).await.unwrap();
    let mut row: (Option<i64>, i64) = (None, 0);
    for _ in 0..50 {
        row = sqlx::query_as("SELECT sent_at, attempts FROM email_outbox WHERE recipient = ?1")
            .bind("smtp@example.com")
            .fetch_one(&pool)
            .await
            .unwrap();
        if row.0.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(row.0.is_some(), "the email is marked sent");
    assert_eq!(row.1, 1);
    pool.close().await;
}
