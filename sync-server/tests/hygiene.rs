//! API hygiene on the real binary: Prometheus metrics, the CORS allow-list, per-IP and per-user
//! rate limits answering 429 with `Retry-After`, and the OpenAPI document covering every route.

mod support;

use serde_json::Value;
use support::TestServer;

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_requests_by_route_and_status() {
    let server = TestServer::start(&[]);
    for _ in 0..3 {
        server.http.get(format!("{}/healthz", server.base)).send().await.unwrap();
    }
    server.http.get(format!("{}/nope", server.base)).send().await.unwrap();
    let res = server.http.get(format!("{}/metrics", server.base)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let text = res.text().await.unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("creativeflow_http_requests_total{") && l.contains("route=\"/healthz\""))
        .unwrap_or_else(|| panic!("no healthz counter in\n{text}"));
    assert!(line.contains("status=\"200\"") && line.ends_with(" 3"), "{line}");
    assert!(text.contains("route=\"unmatched\""), "404s are counted without inventing routes");
    assert!(text.contains("creativeflow_http_request_duration_seconds_bucket"));
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_allows_only_listed_origins() {
    let server = TestServer::start(&[("CREATIVEFLOW_CORS_ORIGINS", r#"["https://app.example.com"]"#)]);
    let preflight = server
        .http
        .request(reqwest::Method::OPTIONS, format!("{}/api/v1/me", server.base))
        .header("Origin", "https://app.example.com")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "https://app.example.com");
    let allowed_headers = preflight.headers()["access-control-allow-headers"].to_str().unwrap().to_lowercase();
    assert!(allowed_headers.contains("authorization"), "{allowed_headers}");

    let other = server
        .http
        .get(format!("{}/healthz", server.base))
        .header("Origin", "https://evil.example.net")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none(), "unlisted origins get no CORS grant");
}

#[tokio::test(flavor = "multi_thread")]
async fn per_ip_limit_answers_429_with_retry_after_and_spares_probes() {
    let server =
        TestServer::start(&[("CREATIVEFLOW_LIMITS__PER_IP_PER_SEC", "1"), ("CREATIVEFLOW_LIMITS__PER_IP_BURST", "5")]);
    let mut statuses = Vec::new();
    let mut refused = None;
    for _ in 0..12 {
        let res = server.http.get(format!("{}/api/openapi.json", server.base)).send().await.unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 429 && refused.is_none() {
            refused = Some(res);
        }
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 5, "{statuses:?}");
    let refused = refused.unwrap();
    let retry: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    assert_eq!(refused.headers()["content-type"], "application/problem+json");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["type"], "https://creativeflow.dev/problems/rate-limited");
    // Health probes are never limited.
    for _ in 0..10 {
        let res = server.http.get(format!("{}/healthz", server.base)).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    let metrics = server.http.get(format!("{}/metrics", server.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.lines().any(|l| l.starts_with("creativeflow_rate_limited_total") && !l.ends_with(" 0")));
}

#[tokio::test(flavor = "multi_thread")]
async fn per_user_limit_applies_across_addresses() {
    let server = TestServer::start(&[
        ("CREATIVEFLOW_LIMITS__PER_USER_PER_SEC", "1"),
        ("CREATIVEFLOW_LIMITS__PER_USER_BURST", "4"),
    ]);
    let signup = support::sign_up(&server, "limited@example.com").await;
    let token = signup["tokens"]["access_token"].as_str().unwrap().to_owned();
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(server.call("GET", "/me", Some(&token), None).await.0);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 4, "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn openapi_documents_every_api_route_with_problems() {
    let server = TestServer::start(&[]);
    let spec: Value =
        server.http.get(format!("{}/api/openapi.json", server.base)).send().await.unwrap().json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = spec["paths"].as_object().unwrap();
    for must in [
        "/api/v1/auth/signup",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/me",
        "/api/v1/api-keys",
        "/api/v1/teams",
        "/api/v1/teams/{id}/members",
        "/api/v1/teams/{id}/workbenches",
        "/api/v1/workbenches/{id}/projects",
        "/api/v1/projects/{id}/creatives",
        "/api/v1/teams/{id}/assets",
        "/api/v1/generations",
        "/api/v1/generations/{id}/samples/{index}/select",
        "/api/v1/finals/{id}/download",
        "/api/v1/teams/{id}/billing",
        "/api/v1/webhooks",
        "/metrics",
    ] {
        assert!(paths.contains_key(must), "{must} is missing from the spec; it has {:?}", paths.keys());
    }
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test(flavor = "multi_thread")]
async fn second_factor_attempts_are_limited_per_account() {
    use sync_server::auth::totp;
    let server = TestServer::start(&[("CREATIVEFLOW_LIMITS__MFA_PER_ACCOUNT_PER_MIN", "3")]);
    let email = "mfa-limit@example.com";
    let signup = support::sign_up(&server, email).await;
    let token = signup["tokens"]["access_token"].as_str().unwrap().to_owned();
    let (status, setup) = server.call("POST", "/auth/mfa/totp/setup", Some(&token), None).await;
    assert_eq!(status, 200, "{setup}");
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let now = || sync_server::db::now_ms().unsigned_abs() / 1000;
    let code = totp::code_at(&secret, totp::step(now())).unwrap();
    let (status, confirmed) =
        server.call("POST", "/auth/mfa/totp/confirm", Some(&token), Some(serde_json::json!({ "code": code }))).await;
    assert_eq!(status, 200, "{confirmed}");

    let login = serde_json::json!({ "email": email, "password": "correct horse battery" });
    let (status, challenge) = server.call("POST", "/auth/login", None, Some(login)).await;
    assert_eq!(status, 200, "{challenge}");
    let mfa_token = challenge["mfa_token"].as_str().unwrap().to_owned();
    // A code that is valid at no step near now.
    let wrong =
        (0..1_000_000).map(|n| format!("{n:06}")).find(|c| totp::matching_step(&secret, c, now()).is_none()).unwrap();
    let attempt = serde_json::json!({ "mfa_token": mfa_token, "code": wrong });
    for _ in 0..3 {
        let (status, body) = server.call("POST", "/auth/login/mfa", None, Some(attempt.clone())).await;
        assert_eq!(status, 401, "{body}");
    }
    let res = server.http.post(format!("{}/api/v1/auth/login/mfa", server.base)).json(&attempt).send().await.unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
}
