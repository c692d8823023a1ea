//! The API the web app's screens use, against the real binary and its embedded worker: the
//! template gallery (search, filters, sorts; trending follows uses), making a creative from a
//! template at a preset, the font list, recent creatives across projects, the thumbnail of a
//! creative opened from a sample, and exports of a creative's current document (a standard PNG
//! of the right size; 4K refused on Free). Runs on SQLite and, when `TEST_DATABASE_URL` is set,
//! on PostgreSQL.

#![expect(clippy::unwrap_used, reason = "test code fails loudly")]

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Account, PgScratch, Socket, TestServer, account, events, next};

/// Notifications until one of `kind` for `id` (in `field`) arrives.
async fn until(ws: &mut Socket, kind: &str, field: &str, id: &str) {
    let mut seen = Vec::new();
    loop {
        let n = next(ws, Duration::from_secs(180)).await.unwrap_or_else(|| panic!("no {kind} within 180 s: {seen:?}"));
        if n["kind"] == kind && n["payload"][field] == id {
            return;
        }
        if n["kind"] == "generation_failed" || n["kind"] == "final_failed" {
            panic!("failed: {n}");
        }
        seen.push(n);
    }
}

async fn bytes(server: &TestServer, who: &Account, path: &str) -> (u16, String, String, Vec<u8>) {
    let r = server.http.get(format!("{}{path}", server.base)).bearer_auth(&who.token).send().await.unwrap();
    let status = r.status().as_u16();
    let header = |name: &str| r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let (ct, cache) = (header("content-type"), header("cache-control"));
    (status, ct, cache, r.bytes().await.unwrap().to_vec())
}

fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let w = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    let h = u32::from_be_bytes([png[20], png[21], png[22], png[23]]);
    (w, h)
}

async fn project(server: &TestServer, who: &Account, name: &str) -> String {
    let (status, w) = server
        .call("POST", &format!("/teams/{}/workbenches", who.team), Some(&who.token), Some(json!({"name": name})))
        .await;
    assert_eq!(status, 201, "{w}");
    let (status, p) = server
        .call(
            "POST",
            &format!("/workbenches/{}/projects", w["id"].as_str().unwrap()),
            Some(&who.token),
            Some(json!({"name": name})),
        )
        .await;
    assert_eq!(status, 201, "{p}");
    p["id"].as_str().unwrap().to_owned()
}

async fn templates(server: &TestServer, who: &Account, query: &str) -> Value {
    let (status, list) = server.call("GET", &format!("/templates{query}"), Some(&who.token), None).await;
    assert_eq!(status, 200, "{query}: {list}");
    list
}

fn ids(list: &Value) -> Vec<String> {
    list["items"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect()
}

async fn gallery(server: &TestServer, who: &Account) {
    let all = templates(server, who, "").await;
    let every = ids(&all);
    assert!(every.len() >= 20, "one item per archetype: {every:?}");
    let first = &all["items"][0];
    for field in ["name", "layout", "industries", "styles", "tones", "intents", "platforms", "uses", "added"] {
        assert!(!first[field].is_null(), "{field} in {first}");
    }
    assert_eq!(first["thumbnail_url"], format!("/templates/{}.png", every[0]));
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["platforms"].as_array().unwrap().contains(&json!("instagram-post"))),
        "every archetype fits the square post"
    );
    let facets = &all["facets"];
    assert!(facets["platforms"].as_array().unwrap().contains(&json!("instagram-story")), "{facets}");
    // Filters are exact tags; unknown values match nothing.
    let industry = facets["industries"][0].as_str().unwrap();
    let by_industry = templates(server, who, &format!("?industry={industry}")).await;
    assert!(!ids(&by_industry).is_empty());
    assert!(
        by_industry["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["industries"].as_array().unwrap().contains(&json!(industry)))
    );
    let style = facets["styles"][0].as_str().unwrap();
    let by_style = templates(server, who, &format!("?style={style}")).await;
    assert!(
        by_style["items"].as_array().unwrap().iter().all(|t| t["styles"].as_array().unwrap().contains(&json!(style)))
    );
    let stories = templates(server, who, "?platform=instagram-story").await;
    assert!(!ids(&stories).is_empty() && ids(&stories).len() < every.len(), "{:?}", ids(&stories));
    assert!(
        stories["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["platforms"].as_array().unwrap().contains(&json!("instagram-story")))
    );
    for unknown in ["?industry=underwater-basket-weaving", "?style=nope", "?platform=myspace-banner"] {
        assert!(ids(&templates(server, who, unknown).await).is_empty(), "{unknown}");
    }
    // Search ranks matching templates first; limits; bad parameters are 422.
    let hiring = templates(server, who, "?q=hiring&limit=3").await;
    assert_eq!(ids(&hiring).len(), 3);
    assert!(ids(&hiring).iter().any(|id| id.starts_with("hiring-")), "{:?}", ids(&hiring));
    let all_hiring = ids(&templates(server, who, "?q=hiring").await);
    assert!(all_hiring.len() < every.len(), "search filters: {all_hiring:?}");
    for bad in ["?limit=0", "?limit=abc", "?limit=1000", "?sort=random", "?colour=red"] {
        let (status, p) = server.call("GET", &format!("/templates{bad}"), Some(&who.token), None).await;
        assert_eq!(status, 422, "{bad}: {p}");
    }
    // New: reverse library order (the bundled library is undated).
    let newest = ids(&templates(server, who, "?sort=new").await);
    assert_eq!(newest.first(), every.last());
    // Trending follows uses: before any, library order.
    assert_eq!(ids(&templates(server, who, "?sort=trending").await), every);
    let (status, _) = server.call("GET", "/templates", None, None).await;
    assert_eq!(status, 401);
}

async fn story(server: &TestServer) {
    let a = account(server, "ana@example.com").await;
    let b = account(server, "ben@example.com").await;
    gallery(server, &a).await;
    let every = ids(&templates(server, &a, "").await);
    let last = every.last().unwrap().clone();

    // Use a template at the story preset: a creative of that size, pictured by the template.
    let p1 = project(server, &a, "Launch").await;
    let (status, c) = server
        .call(
            "POST",
            &format!("/templates/{last}/use"),
            Some(&a.token),
            Some(json!({"project_id": p1, "preset": "instagram-story", "name": "Story"})),
        )
        .await;
    assert_eq!(status, 201, "{c}");
    assert_eq!((c["width"].as_i64(), c["height"].as_i64()), (Some(1080), Some(1920)));
    assert_eq!(c["name"], "Story");
    assert_eq!(c["thumbnail_url"], format!("/templates/{last}.png"));
    let templated = c["id"].as_str().unwrap().to_owned();
    let (status, _, _, design) = bytes(server, &a, &format!("/api/v1/creatives/{templated}/design")).await;
    assert_eq!(status, 200);
    let design = editor_core::design_file::parse(&design).unwrap();
    assert_eq!((design.format.width, design.format.height), (1080, 1920));
    assert!(!design.layers.is_empty());
    // Default preset: the square post.
    let (status, square) = server
        .call("POST", &format!("/templates/{}/use", every[0]), Some(&a.token), Some(json!({"project_id": p1})))
        .await;
    assert_eq!(status, 201, "{square}");
    assert_eq!((square["width"].as_i64(), square["height"].as_i64()), (Some(1080), Some(1080)));
    // Underscored preset keys work too.
    let (status, reel) = server
        .call(
            "POST",
            &format!("/templates/{last}/use"),
            Some(&a.token),
            Some(json!({"project_id": p1, "preset": "instagram_reel"})),
        )
        .await;
    assert_eq!(status, 201, "{reel}");
    assert_eq!((reel["width"].as_i64(), reel["height"].as_i64()), (Some(1080), Some(1920)));
    // Errors: unknown template, unknown preset, someone else's project.
    let (status, _) =
        server.call("POST", "/templates/no-such-template/use", Some(&a.token), Some(json!({"project_id": p1}))).await;
    assert_eq!(status, 404);
    let (status, p) = server
        .call(
            "POST",
            &format!("/templates/{last}/use"),
            Some(&a.token),
            Some(json!({"project_id": p1, "preset": "myspace"})),
        )
        .await;
    assert_eq!(status, 422, "{p}");
    let (status, _) =
        server.call("POST", &format!("/templates/{last}/use"), Some(&b.token), Some(json!({"project_id": p1}))).await;
    assert_eq!(status, 404, "another team's project is invisible");
    // Trending: the used templates come first, most used first.
    let trending = templates(server, &a, "?sort=trending").await;
    assert_eq!(ids(&trending)[0], last, "{}", &trending["items"]);
    assert_eq!(trending["items"][0]["uses"], 2);
    assert_eq!(ids(&trending)[1], every[0]);
    assert_eq!(trending["items"][1]["uses"], 1);
    assert_eq!(ids(&trending)[2..], every[1..every.len() - 1], "then library order");

    // Fonts.
    let (status, fonts) = server.call("GET", "/fonts", Some(&a.token), None).await;
    assert_eq!(status, 200);
    let fonts = fonts["items"].as_array().unwrap();
    assert!(fonts.len() >= 10);
    assert!(fonts.iter().any(|f| f["family"] == "Inter"
        && f["category"] == "sans"
        && f["weights"].as_array().unwrap().contains(&json!(700))));

    // Recent creatives across the team's projects, newest first; not another user's.
    let p2 = project(server, &a, "Second").await;
    let (status, blank) =
        server.call("POST", &format!("/projects/{p2}/creatives"), Some(&a.token), Some(json!({"name": "Blank"}))).await;
    assert_eq!(status, 201, "{blank}");
    assert!(blank["thumbnail_url"].is_null());
    let pb = project(server, &b, "Ben's").await;
    let (status, _) =
        server.call("POST", &format!("/projects/{pb}/creatives"), Some(&b.token), Some(json!({"name": "Ben"}))).await;
    assert_eq!(status, 201);
    let (status, recent) = server.call("GET", "/creatives", Some(&a.token), None).await;
    assert_eq!(status, 200, "{recent}");
    let recent_ids = ids(&recent);
    assert_eq!(
        recent_ids,
        vec![blank["id"].as_str().unwrap(), reel["id"].as_str().unwrap(), square["id"].as_str().unwrap(), &templated]
    );
    let (status, same) =
        server.call("GET", &format!("/creatives?team_id={}&limit=2", a.team), Some(&a.token), None).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&same), recent_ids[..2]);
    let (status, _) = server.call("GET", &format!("/creatives?team_id={}", a.team), Some(&b.token), None).await;
    assert_eq!(status, 404, "not a member");
    for bad in ["?limit=0", "?limit=51", "?team_id=nope"] {
        let (status, _) = server.call("GET", &format!("/creatives{bad}"), Some(&a.token), None).await;
        assert_eq!(status, 422, "{bad}");
    }
    let (status, ben) = server.call("GET", "/creatives", Some(&b.token), None).await;
    assert_eq!((status, ids(&ben).len()), (200, 1));

    // A creative opened from a sample is pictured by the sample's preview.
    let mut ws = events(server, &a).await;
    let (status, g) = server
        .call("POST", "/generations", Some(&a.token), Some(json!({"prompt": "Yoga class every Monday", "seed": 5})))
        .await;
    assert_eq!(status, 202, "{g}");
    let gid = g["id"].as_str().unwrap().to_owned();
    until(&mut ws, "generation_completed", "generation_id", &gid).await;
    let (status, sel) = server
        .call("POST", &format!("/generations/{gid}/samples/1/select"), Some(&a.token), Some(json!({"project_id": p2})))
        .await;
    assert_eq!(status, 200, "{sel}");
    let from_sample = sel["creative"]["id"].as_str().unwrap();
    let url = sel["creative"]["thumbnail_url"].as_str().unwrap();
    assert_eq!(url, format!("/api/v1/creatives/{from_sample}/thumbnail"));
    let (status, ct, cache, png) = bytes(server, &a, url).await;
    assert_eq!((status, ct.as_str(), cache.as_str()), (200, "image/png", "private, max-age=300"));
    assert_eq!(png_size(&png).0.max(png_size(&png).1), 512);
    let (status, _, _, _) = bytes(server, &b, url).await;
    assert_eq!(status, 404, "same access as the creative");
    let (status, _, _, _) = bytes(server, &a, &format!("/api/v1/creatives/{templated}/thumbnail")).await;
    assert_eq!(status, 404, "a template's picture is a static file");

    // Export the templated creative's current document: a standard PNG of the story's size.
    let (status, f) = server
        .call(
            "POST",
            &format!("/creatives/{templated}/exports"),
            Some(&a.token),
            Some(json!({"size": "standard", "format": "png"})),
        )
        .await;
    assert_eq!(status, 202, "{f}");
    assert!(f["generation_id"].is_null());
    assert_eq!(f["creative_id"], templated.as_str());
    assert_eq!(f["status"], "queued");
    let fid = f["id"].as_str().unwrap().to_owned();
    until(&mut ws, "final_ready", "final_id", &fid).await;
    let (status, f) = server.call("GET", &format!("/finals/{fid}"), Some(&a.token), None).await;
    assert_eq!(status, 200);
    assert_eq!(f["status"], "succeeded", "{f}");
    assert_eq!(
        (f["width"].as_i64(), f["height"].as_i64(), f["watermark"].as_bool()),
        (Some(1080), Some(1920), Some(true))
    );
    let (status, ct, _, png) = bytes(server, &a, f["download_url"].as_str().unwrap()).await;
    assert_eq!((status, ct.as_str()), (200, "image/png"));
    assert_eq!(png_size(&png), (1080, 1920));
    let (status, _) = server.call("GET", &format!("/finals/{fid}"), Some(&b.token), None).await;
    assert_eq!(status, 404);
    // Free: no 4K (402); bad formats and sizes are 422; others' creatives 404.
    let (status, p) = server
        .call(
            "POST",
            &format!("/creatives/{templated}/exports"),
            Some(&a.token),
            Some(json!({"size": "uhd4k", "format": "png"})),
        )
        .await;
    assert_eq!(status, 402, "{p}");
    for body in [json!({"size": "standard", "format": "gif"}), json!({"size": "huge", "format": "png"})] {
        let (status, p) =
            server.call("POST", &format!("/creatives/{templated}/exports"), Some(&a.token), Some(body)).await;
        assert_eq!(status, 422, "{p}");
    }
    let (status, _) = server
        .call(
            "POST",
            &format!("/creatives/{templated}/exports"),
            Some(&b.token),
            Some(json!({"size": "standard", "format": "png"})),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn app_api_on_sqlite() {
    let server = TestServer::start(&[]);
    story(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn app_api_on_postgres() {
    let Some(scratch) = PgScratch::new().await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set (CI sets it)");
        return;
    };
    let server = TestServer::start_with_database(Some(&scratch.url), &[]);
    story(&server).await;
    drop(server);
    scratch.cleanup().await;
}
