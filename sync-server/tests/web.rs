//! The web app bundle on the real binary: `index.html` for `/` and every app path (email links
//! included) with `no-cache`, hashed assets cached for a year with gzip twins, thumbnails,
//! path traversal refused, API paths keeping their JSON 404, and a CSP that lets wasm run.

#![expect(clippy::unwrap_used, reason = "the bundle helper fails loudly, like the tests")]

mod support;

use support::TestServer;

fn bundle() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("assets/b-01234/snippets/x")).unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(dir.path().join("index.html"), "<!doctype html><div id=\"main\"></div>").unwrap();
    std::fs::write(dir.path().join("assets/b-01234/app.js"), "export default 1;").unwrap();
    std::fs::write(dir.path().join("assets/b-01234/app.js.gz"), b"\x1f\x8bnot really gzip").unwrap();
    std::fs::write(dir.path().join("assets/b-01234/app_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.path().join("assets/b-01234/snippets/x/inline0.js"), "export {};").unwrap();
    std::fs::write(dir.path().join("templates/quote-card.png"), b"\x89PNG\r\n\x1a\n").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "outside assets").unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_is_served_at_root_and_app_paths_with_the_right_caching() {
    let web = bundle();
    let server = TestServer::start(&[("CREATIVEFLOW_WEB_DIR", web.path().to_str().unwrap())]);
    let get = |path: &str, gzip: bool| {
        let mut req = server.http.get(format!("{}{path}", server.base));
        req = req.header("accept-encoding", if gzip { "gzip, br" } else { "identity" });
        req.send()
    };

    for path in ["/", "/generate", "/verify-email?token=abc", "/invitations/accept?token=x", "/creatives/123"] {
        let res = get(path, false).await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["cache-control"], "no-cache", "{path}");
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("'wasm-unsafe-eval'") && csp.contains("default-src 'self'"), "{csp}");
        assert!(res.text().await.unwrap().contains("id=\"main\""), "{path}");
    }

    let res = get("/assets/b-01234/app.js", false).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(res.headers()["content-type"], "text/javascript; charset=utf-8");
    assert!(res.headers().get("content-encoding").is_none());
    assert_eq!(res.text().await.unwrap(), "export default 1;");

    // reqwest is built without gzip decoding here, so the raw twin comes through.
    let res = get("/assets/b-01234/app.js", true).await.unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
    assert_eq!(res.headers()["vary"], "accept-encoding");
    assert!(res.bytes().await.unwrap().starts_with(b"\x1f\x8b"));

    let res = get("/assets/b-01234/app_bg.wasm", true).await.unwrap();
    assert_eq!(res.headers()["content-type"], "application/wasm");
    assert!(res.headers().get("content-encoding").is_none(), "no twin, no encoding");

    let res = get("/assets/b-01234/snippets/x/inline0.js", false).await.unwrap();
    assert_eq!(res.status(), 200, "nested snippet files are served");

    let res = get("/templates/quote-card.png", false).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["cache-control"], "public, max-age=86400");

    for bad in [
        "/assets/..%2Fsecret.txt",
        "/assets/%2e%2e%2fsecret.txt",
        "/assets/b-01234/../../secret.txt",
        "/assets/b-01234/..%2F..%2Fsecret.txt",
        "/assets/.hidden",
        "/assets/b-01234//app.js",
        "/assets/missing.js",
    ] {
        let res = get(bad, false).await.unwrap();
        assert_eq!(res.status(), 404, "{bad}");
        assert_eq!(res.headers()["content-type"], "application/problem+json", "{bad}");
    }
    // API paths and file-like paths keep their JSON 404; only page paths get the app.
    for path in ["/api/v1/nope", "/secret.txt", "/favicon.ico"] {
        let res = get(path, false).await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(res.headers()["content-type"], "application/problem+json", "{path}");
    }
    let res = server.http.post(format!("{}/generate", server.base)).send().await.unwrap();
    assert_eq!(res.status(), 404, "only GET and HEAD get the page");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_bundle_the_root_says_how_to_get_the_app() {
    let server = TestServer::start(&[]);
    let res = server.http.get(format!("{}/", server.base)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(text.contains("cargo xtask serve") && text.contains("/api/docs"), "{text}");
    let res = server.http.get(format!("{}/generate", server.base)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = server.http.get(format!("{}/assets/app.js", server.base)).send().await.unwrap();
    assert_eq!(res.status(), 404);
}
