//! Social sign-in (OpenID Connect) against a local provider that the test runs
//! (`support/oidc_provider.rs`), with the real server binary: the browser's redirects are
//! followed by hand. The story runs on SQLite and, when `TEST_DATABASE_URL` is set, on
//! PostgreSQL.

#![expect(clippy::unwrap_used, reason = "test code fails loudly")]

#[path = "support/oidc_provider.rs"]
mod oidc_provider;
mod support;

use std::collections::HashMap;

use oidc_provider::{OidcProvider, TestUser};
use serde_json::{Value, json};
use support::{PgScratch, TestServer};

/// Where the server believes it is reached; its redirects point here and the test maps them
/// back to the server's loopback address.
const PUBLIC_URL: &str = "http://app.test";

struct Setup {
    server: TestServer,
    provider: OidcProvider,
    _config: tempfile::TempDir,
}

/// A provider with Alice as its default user, and a server configured with it as `local` and
/// with `down`, a provider that does not answer.
async fn setup(database_url: Option<&str>) -> Setup {
    let provider =
        OidcProvider::start("cf", "s3cret", TestUser::new("sub-alice", "Alice@Example.com", "Alice Liddell")).await;
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = tempfile::tempdir().unwrap();
    let file = config.path().join("server.toml");
    std::fs::write(
        &file,
        format!(
            "[[oidc]]\nname = \"local\"\nissuer = \"{}\"\nclient_id = \"cf\"\nclient_secret = \"s3cret\"\n\n\
             [[oidc]]\nname = \"down\"\nissuer = \"http://127.0.0.1:{closed_port}\"\nclient_id = \"cf\"\n\
             client_secret = \"x\"\n",
            provider.issuer
        ),
    )
    .unwrap();
    let server = TestServer::start_with_database(
        database_url,
        &[("CREATIVEFLOW_CONFIG", file.to_str().unwrap()), ("CREATIVEFLOW_PUBLIC_URL", PUBLIC_URL)],
    );
    Setup { server, provider, _config: config }
}

/// A sign-in between `start` and the callback.
struct Pending {
    /// The callback URL the provider sent the browser to, on the server's address.
    callback: String,
    /// `cf_oidc_state=…` for the `Cookie` header.
    cookie: String,
}

/// The answer to a callback.
struct Finished {
    status: u16,
    location: Option<String>,
    body: Value,
}

impl Finished {
    /// The parameters of a redirect to `{PUBLIC_URL}/#/{page}?…`.
    fn fragment(&self, page: &str) -> HashMap<String, String> {
        let location = self.location.as_deref().unwrap_or_else(|| panic!("no redirect: {} {}", self.status, self.body));
        let prefix = format!("{PUBLIC_URL}/#/{page}?");
        let query = location.strip_prefix(&prefix).unwrap_or_else(|| panic!("{location} is not {prefix}…"));
        reqwest::Url::parse(&format!("http://x/?{query}")).unwrap().query_pairs().into_owned().collect()
    }
}

/// `GET /api/v1/auth/oidc/{provider}/start`, then the provider's authorization endpoint as
/// `login_hint` (or its default user).
async fn begin(server: &TestServer, hint: Option<&str>) -> Pending {
    let res = server.http.get(format!("{}/api/v1/auth/oidc/local/start", server.base)).send().await.unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let mut authorize = reqwest::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    let params: HashMap<String, String> = authorize.query_pairs().into_owned().collect();
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["redirect_uri"], format!("{PUBLIC_URL}/api/v1/auth/oidc/local/callback"));
    assert_eq!(cookie, format!("cf_oidc_state={}", params["state"]));
    if let Some(hint) = hint {
        authorize.query_pairs_mut().append_pair("login_hint", hint);
    }
    let res = server.http.get(authorize).send().await.unwrap();
    assert_eq!(res.status(), 302, "{}", res.text().await.unwrap());
    let back = res.headers()["location"].to_str().unwrap();
    let callback = back.replacen(PUBLIC_URL, &server.base, 1);
    assert_ne!(callback, back, "the provider sends the browser to the public URL");
    Pending { callback, cookie }
}

/// The callback, with the given `Cookie` header.
async fn finish(server: &TestServer, callback: &str, cookie: Option<&str>) -> Finished {
    let mut req = server.http.get(callback);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
    let text = res.text().await.unwrap();
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
    Finished { status, location, body }
}

/// A whole sign-in as `hint`; the answer to the callback.
async fn sign_in(server: &TestServer, hint: Option<&str>) -> Finished {
    let pending = begin(server, hint).await;
    finish(server, &pending.callback, Some(&pending.cookie)).await
}

/// A successful sign-in as `hint`: the access token and the account it opens.
async fn signed_in(server: &TestServer, hint: Option<&str>) -> (String, Value) {
    let done = sign_in(server, hint).await;
    assert_eq!(done.status, 302, "{}", done.body);
    let tokens = done.fragment("signed-in");
    assert!(!tokens["refresh_token"].is_empty());
    assert!(tokens["expires_in"].parse::<u64>().unwrap() > 0);
    let access = tokens["access_token"].clone();
    let (status, me) = server.call("GET", "/me", Some(&access), None).await;
    assert_eq!(status, 200, "{me}");
    (access, me)
}

/// Signs `email` up with a password; with `verify`, also follows the emailed verification link.
async fn password_account(server: &TestServer, email: &str, verify: bool) -> String {
    let body = support::sign_up(server, email).await;
    if verify {
        let (_, mail) = server.last_email(email).await.unwrap();
        let token = support::token_from_email(&mail, "token");
        let (status, body) = server.call("POST", "/auth/verify-email", None, Some(json!({ "token": token }))).await;
        assert_eq!(status, 200, "{body}");
    }
    body["user"]["id"].as_str().unwrap().to_owned()
}

fn assert_problem(done: &Finished, status: u16) {
    assert_eq!(done.status, status, "{}", done.body);
    assert_eq!(done.body["status"], status);
    assert!(done.location.is_none(), "no redirect, so no tokens");
}

/// Makes every pending sign-in look `ms` older.
async fn age_pending_sign_ins(server: &TestServer, ms: i64) {
    const SQL: &str = "UPDATE oidc_states SET created_at = created_at - $1";
    if server.database_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&server.database_url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(SQL.replace("$1", "?1"))).bind(ms).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&server.database_url).await.unwrap();
        sqlx::query(SQL).bind(ms).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

async fn story(setup: Setup) {
    let Setup { server, provider, .. } = &setup;

    // The sign-in screen lists the providers; the flow is in the API description.
    let (status, list) = server.call("GET", "/auth/oidc/providers", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(list, json!([{ "name": "local" }, { "name": "down" }]));
    let spec: Value =
        server.http.get(format!("{}/api/openapi.json", server.base)).send().await.unwrap().json().await.unwrap();
    for path in
        ["/api/v1/auth/oidc/providers", "/api/v1/auth/oidc/{provider}/start", "/api/v1/auth/oidc/{provider}/callback"]
    {
        assert!(spec["paths"][path]["get"].is_object(), "{path} is documented");
    }

    // Unknown providers are 404s; a provider that does not answer is a 502 in plain words.
    let (status, body) = server.call("GET", "/auth/oidc/nope/start", None, None).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = server.call("GET", "/auth/oidc/nope/callback?code=c&state=s", None, None).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = server.call("GET", "/auth/oidc/down/start", None, None).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["detail"], "the sign-in provider did not answer");

    // First sign-in creates the account, verified because the provider vouches for the address.
    let done = sign_in(server, None).await;
    assert_eq!(done.status, 302, "{}", done.body);
    let tokens = done.fragment("signed-in");
    let (status, alice) = server.call("GET", "/me", Some(&tokens["access_token"]), None).await;
    assert_eq!(status, 200, "{alice}");
    assert_eq!(alice["email"], "alice@example.com");
    assert_eq!(alice["email_verified"], true);
    assert_eq!(alice["display_name"], "Alice Liddell");
    // The session is an ordinary one: its refresh token works.
    let (status, body) =
        server.call("POST", "/auth/refresh", None, Some(json!({ "refresh_token": tokens["refresh_token"] }))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user_id"], alice["id"]);

    // The same subject signs in to the same account.
    let (_, again) = signed_in(server, None).await;
    assert_eq!(again["id"], alice["id"]);

    // A person whose address the provider does not vouch for gets an unverified account.
    provider.add_user("carol", TestUser::new("sub-carol", "carol@example.com", "Carol").unverified());
    let (_, carol) = signed_in(server, Some("carol")).await;
    assert_eq!(carol["email_verified"], false);
    assert_ne!(carol["id"], alice["id"]);

    // A verified password account is linked when the provider vouches for its address, and
    // stays linked by subject.
    let bob = password_account(server, "bob@example.com", true).await;
    provider.add_user("bob", TestUser::new("sub-bob", "bob@example.com", "Bob"));
    let (_, me) = signed_in(server, Some("bob")).await;
    assert_eq!(me["id"], bob.as_str());
    let (_, me) = signed_in(server, Some("bob")).await;
    assert_eq!(me["id"], bob.as_str());

    // No takeover on the provider's word alone: an address it does not vouch for…
    let dave = password_account(server, "dave@example.com", true).await;
    provider.add_user("dave", TestUser::new("sub-dave", "dave@example.com", "Not Dave").unverified());
    let done = sign_in(server, Some("dave")).await;
    assert_problem(&done, 409);
    // …nor an account that never proved the address (someone may have signed up with it first).
    password_account(server, "erin@example.com", false).await;
    provider.add_user("erin", TestUser::new("sub-erin", "erin@example.com", "Erin"));
    assert_problem(&sign_in(server, Some("erin")).await, 409);
    // Dave's own account is untouched and still signs in with its password.
    let (status, body) = server
        .call(
            "POST",
            "/auth/login",
            None,
            Some(json!({ "email": "dave@example.com", "password": "correct horse battery" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user_id"], dave.as_str());

    // A state is good for one callback.
    let pending = begin(server, None).await;
    let first = finish(server, &pending.callback, Some(&pending.cookie)).await;
    assert_eq!(first.status, 302, "{}", first.body);
    assert_problem(&finish(server, &pending.callback, Some(&pending.cookie)).await, 400);

    // A tampered state is refused, whether or not the cookie was tampered with too.
    let pending = begin(server, None).await;
    let state_param = pending.cookie.strip_prefix("cf_oidc_state=").unwrap();
    let tampered = pending.callback.replace(&format!("state={state_param}"), &format!("state={state_param}x"));
    assert_ne!(tampered, pending.callback);
    assert_problem(&finish(server, &tampered, Some(&pending.cookie)).await, 400);
    assert_problem(&finish(server, &tampered, Some(&format!("{}x", pending.cookie))).await, 400);

    // A callback from another browser (no state cookie) is refused without spoiling the real one.
    let pending = begin(server, None).await;
    assert_problem(&finish(server, &pending.callback, None).await, 400);
    let done = finish(server, &pending.callback, Some(&pending.cookie)).await;
    assert_eq!(done.status, 302, "{}", done.body);
    done.fragment("signed-in");

    // States expire after ten minutes.
    let pending = begin(server, None).await;
    age_pending_sign_ins(server, 11 * 60 * 1000).await;
    assert_problem(&finish(server, &pending.callback, Some(&pending.cookie)).await, 400);

    // An ID token signed with a key outside the provider's JWKS starts no session…
    provider.sign_with_other_key(true);
    let issued = provider.token_requests();
    let done = sign_in(server, None).await;
    assert_problem(&done, 502);
    assert_eq!(provider.token_requests(), issued + 1, "the provider did issue the forged token");
    provider.sign_with_other_key(false);
    // …and the provider's real tokens work again right after.
    let (_, me) = signed_in(server, None).await;
    assert_eq!(me["id"], alice["id"]);

    // Declining at the provider goes back to the sign-in page with the reason.
    let done = sign_in(server, Some(oidc_provider::DENY)).await;
    assert_eq!(done.status, 302);
    assert_eq!(done.fragment("sign-in")["error"], "access_denied");

    // With two-factor sign-in on, the provider's word is not enough: the web app gets a token
    // for `/auth/login/mfa` instead of a session.
    let (alice_token, _) = signed_in(server, None).await;
    let (status, setup) = server.call("POST", "/auth/mfa/totp/setup", Some(&alice_token), None).await;
    assert_eq!(status, 200, "{setup}");
    let secret = setup["secret"].as_str().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let code = sync_server::auth::totp::code_at(secret, sync_server::auth::totp::step(now)).unwrap();
    let (status, codes) =
        server.call("POST", "/auth/mfa/totp/confirm", Some(&alice_token), Some(json!({ "code": code }))).await;
    assert_eq!(status, 200, "{codes}");
    let done = sign_in(server, None).await;
    assert_eq!(done.status, 302, "{}", done.body);
    let challenge = done.fragment("sign-in");
    assert!(!challenge.contains_key("access_token"));
    let (status, body) = server
        .call(
            "POST",
            "/auth/login/mfa",
            None,
            Some(json!({ "mfa_token": challenge["mfa_token"], "recovery_code": codes["recovery_codes"][0] })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user_id"], alice["id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn social_sign_in_sqlite() {
    story(setup(None).await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn social_sign_in_postgres() {
    let Some(pg) = PgScratch::new().await else { return };
    let s = setup(Some(&pg.url)).await;
    story(s).await;
    pg.cleanup().await;
}
