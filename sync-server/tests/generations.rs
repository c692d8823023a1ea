//! The generation service end to end against the real binary and its embedded worker: generate
//! → four samples (events on the socket) → select → the new creative is the chosen design → a
//! standard PNG on Free, 4K PNG and PDF on Pro with the right sizes; the ledger is exact on both
//! plans. Runs on SQLite and, when `TEST_DATABASE_URL` is set, on PostgreSQL.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "test code fails loudly")]

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Account, PgScratch, Socket, TestServer, account, events, next};

/// Notifications until one of `kind` for `id` (in `field`) arrives; returns all seen.
async fn until(ws: &mut Socket, kind: &str, field: &str, id: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let n = next(ws, Duration::from_secs(180)).await.unwrap_or_else(|| panic!("no {kind} within 180 s: {seen:?}"));
        let done = n["kind"] == kind && n["payload"][field] == id;
        seen.push(n);
        if done {
            return seen;
        }
        if seen.last().is_some_and(|n| n["kind"] == "generation_failed" || n["kind"] == "final_failed") {
            panic!("failed: {seen:?}");
        }
    }
}

async fn balance(server: &TestServer, who: &Account) -> i64 {
    let (status, b) = server.call("GET", &format!("/teams/{}/billing", who.team), Some(&who.token), None).await;
    assert_eq!(status, 200, "{b}");
    b["available_quarters"].as_i64().unwrap()
}

async fn bytes(server: &TestServer, who: &Account, path: &str) -> (u16, String, Vec<u8>) {
    let r = server.http.get(format!("{}{path}", server.base)).bearer_auth(&who.token).send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    (status, ct, r.bytes().await.unwrap().to_vec())
}

/// The first page's size from `pdfinfo` (poppler-utils, installed by `cargo xtask test`).
fn pdf_page_size(pdf: &[u8]) -> Option<(f64, f64)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("final.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdfinfo").arg(&path).output().expect("pdfinfo (poppler-utils) is installed");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("Page size:"))?;
    let mut nums = line.split_whitespace().filter_map(|w| w.parse::<f64>().ok());
    Some((nums.next()?, nums.next()?))
}

fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let w = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    let h = u32::from_be_bytes([png[20], png[21], png[22], png[23]]);
    (w, h)
}

/// A 480×360 PNG: sky, ground and a red subject.
fn photo_png() -> Vec<u8> {
    let img = image::RgbaImage::from_fn(480, 360, |x, y| {
        if (260..340).contains(&x) && (150..320).contains(&y) {
            image::Rgba([200, 30, 40, 255])
        } else if y > 220 {
            image::Rgba([40, 110, 50, 255])
        } else {
            image::Rgba([120, 180, 230, 255])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Generates and waits for the four samples; returns the generation id.
async fn generate(server: &TestServer, who: &Account, ws: &mut Socket, prompt: &str) -> String {
    generate_with(server, who, ws, json!({"prompt": prompt, "format": "instagram_post", "seed": 7})).await
}

async fn generate_with(server: &TestServer, who: &Account, ws: &mut Socket, body: Value) -> String {
    let (status, g) = server.call("POST", "/generations", Some(&who.token), Some(body)).await;
    assert_eq!(status, 202, "{g}");
    assert_eq!(g["status"], "queued");
    let id = g["id"].as_str().unwrap().to_owned();
    let seen = until(ws, "generation_completed", "generation_id", &id).await;
    let ready: Vec<i64> = seen
        .iter()
        .filter(|n| n["kind"] == "sample_ready" && n["payload"]["generation_id"] == id.as_str())
        .map(|n| n["payload"]["index"].as_i64().unwrap())
        .collect();
    assert_eq!(ready, vec![0, 1, 2, 3], "{seen:?}");
    id
}

async fn final_of(
    server: &TestServer,
    who: &Account,
    ws: &mut Socket,
    generation: &str,
    index: u32,
    size: &str,
    format: &str,
) -> Value {
    let (status, sel) = server
        .call(
            "POST",
            &format!("/generations/{generation}/samples/{index}/select"),
            Some(&who.token),
            Some(json!({"final": {"size": size, "format": format}})),
        )
        .await;
    assert_eq!(status, 200, "{sel}");
    let id = sel["final"]["id"].as_str().unwrap().to_owned();
    until(ws, "final_ready", "final_id", &id).await;
    let (status, f) = server.call("GET", &format!("/finals/{id}"), Some(&who.token), None).await;
    assert_eq!(status, 200);
    assert_eq!(f["status"], "succeeded", "{f}");
    f
}

async fn story(server: &TestServer) {
    let who = account(server, "maker@example.com").await;
    let mut ws = events(server, &who).await;
    assert_eq!(balance(server, &who).await, 100, "Free: 25 credits a month");

    // Four samples; the ledger holds and then captures a quarter credit.
    let id = generate(server, &who, &mut ws, "Summer sale on running shoes, 30% off this weekend").await;
    let (status, g) = server.call("GET", &format!("/generations/{id}"), Some(&who.token), None).await;
    assert_eq!(status, 200);
    assert_eq!(g["status"], "succeeded");
    assert_eq!(g["samples"].as_array().unwrap().len(), 4);
    let (status, ct, preview) = bytes(server, &who, g["samples"][0]["preview_url"].as_str().unwrap()).await;
    assert_eq!((status, ct.as_str()), (200, "image/png"));
    assert_eq!(png_size(&preview).0.max(png_size(&preview).1), 512);
    assert_eq!(balance(server, &who).await, 99, "a sample set costs 0.25 credits");

    // Select sample 2 into a project: the creative is that design.
    let (_, w) = server
        .call("POST", &format!("/teams/{}/workbenches", who.team), Some(&who.token), Some(json!({"name": "Shoes"})))
        .await;
    let (_, p) = server
        .call(
            "POST",
            &format!("/workbenches/{}/projects", w["id"].as_str().unwrap()),
            Some(&who.token),
            Some(json!({"name": "Sale"})),
        )
        .await;
    let (status, sel) = server
        .call(
            "POST",
            &format!("/generations/{id}/samples/2/select"),
            Some(&who.token),
            Some(json!({"project_id": p["id"], "name": "Chosen"})),
        )
        .await;
    assert_eq!(status, 200, "{sel}");
    let creative = sel["creative"]["id"].as_str().unwrap();
    let (_, _, chosen) = bytes(server, &who, g["samples"][2]["design_url"].as_str().unwrap()).await;
    let (status, _, stored) = bytes(server, &who, &format!("/api/v1/creatives/{creative}/design")).await;
    assert_eq!(status, 200);
    let chosen = editor_core::design_file::parse(&chosen).unwrap();
    let stored = editor_core::design_file::parse(&stored).unwrap();
    assert_eq!(stored.layers, chosen.layers, "the creative is the chosen design");
    assert_eq!(stored.format, chosen.format);

    // Free: 4K is not in the plan (402 with an upgrade hint); a standard PNG costs one credit.
    let (status, problem) = server
        .call(
            "POST",
            &format!("/generations/{id}/samples/2/select"),
            Some(&who.token),
            Some(json!({"final": {"size": "uhd4k", "format": "png"}})),
        )
        .await;
    assert_eq!(status, 402, "{problem}");
    assert_eq!(balance(server, &who).await, 99, "a refused final holds nothing");
    let f = final_of(server, &who, &mut ws, &id, 2, "standard", "png").await;
    assert_eq!(
        (f["width"].as_i64(), f["height"].as_i64(), f["watermark"].as_bool()),
        (Some(1080), Some(1080), Some(true))
    );
    let (_, ct, png) = bytes(server, &who, f["download_url"].as_str().unwrap()).await;
    assert_eq!(ct, "image/png");
    assert_eq!(png_size(&png), (1080, 1080));
    assert_eq!(balance(server, &who).await, 95, "0.25 + 1 credit spent");

    // Pro: 4K PNG and PDF.
    let (status, b) = server
        .call("PUT", &format!("/teams/{}/billing/plan", who.team), Some(&who.token), Some(json!({"plan": "pro"})))
        .await;
    assert_eq!(status, 200, "{b}");
    let before = balance(server, &who).await;
    // With an uploaded photo: the worker fetches it and places it in the designs.
    let photo = photo_png();
    let r = server
        .http
        .post(format!("{}/api/v1/teams/{}/assets?filename=bakery.png", server.base, who.team))
        .bearer_auth(&who.token)
        .header("content-type", "application/octet-stream")
        .body(photo)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let asset: Value = r.json().await.unwrap();
    let id2 = generate_with(
        server,
        &who,
        &mut ws,
        json!({"prompt": "Grand opening of our new bakery on Saturday", "photos": [asset["id"]], "seed": 3}),
    )
    .await;
    let mut placed = 0;
    for i in 0..4 {
        let (_, _, design) = bytes(server, &who, &format!("/api/v1/generations/{id2}/samples/{i}/design")).await;
        let design = editor_core::design_file::parse(&design).unwrap();
        placed += design
            .layers
            .iter()
            .filter(|l| matches!(&l.content, editor_core::LayerContent::Image(img) if img.asset.as_str() == asset["sha256"].as_str().unwrap()))
            .count();
    }
    assert!(placed >= 2, "the photo is in the designs ({placed} layers)");
    let uhd = final_of(server, &who, &mut ws, &id2, 0, "uhd4k", "png").await;
    assert_eq!(
        (uhd["width"].as_i64(), uhd["height"].as_i64(), uhd["watermark"].as_bool()),
        (Some(3840), Some(3840), Some(false))
    );
    let (_, _, png) = bytes(server, &who, uhd["download_url"].as_str().unwrap()).await;
    assert_eq!(png_size(&png), (3840, 3840));
    let pdf = final_of(server, &who, &mut ws, &id2, 1, "standard", "pdf").await;
    let (_, ct, doc) = bytes(server, &who, pdf["download_url"].as_str().unwrap()).await;
    assert_eq!(ct, "application/pdf");
    assert!(doc.starts_with(b"%PDF-"), "a PDF");
    // Vector pages are the design's size at 96 dpi: 1080 px = 810 pt.
    assert_eq!(pdf_page_size(&doc), Some((810.0, 810.0)), "the page is the design's size");
    assert_eq!((pdf["width"].as_i64(), pdf["height"].as_i64()), (Some(1080), Some(1080)));
    // Pro: samples and standard finals are free; HD/4K exports are in the plan at 2 credits
    // each from its monthly credits (docs/billing.md).
    assert_eq!(balance(server, &who).await, before - 8, "Pro: only the 4K export is charged");

    // Regenerate: the same request with the next seed, linked to its parent.
    let (status, again) = server.call("POST", &format!("/generations/{id2}/regenerate"), Some(&who.token), None).await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(again["parent_id"], id2.as_str());
    let (_, parent) = server.call("GET", &format!("/generations/{id2}"), Some(&who.token), None).await;
    assert_eq!(again["seed"].as_u64(), parent["seed"].as_u64().map(|s| s + 1));
    let id3 = again["id"].as_str().unwrap().to_owned();
    until(&mut ws, "generation_completed", "generation_id", &id3).await;

    // History lists them all, newest first.
    let (_, list) = server.call("GET", "/generations", Some(&who.token), None).await;
    let ids: Vec<&str> = list["items"].as_array().unwrap().iter().map(|g| g["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![id3.as_str(), id2.as_str(), id.as_str()]);

    // Bad input is refused before anything is charged; another user sees nothing.
    let (status, problem) = server.call("POST", "/generations", Some(&who.token), Some(json!({"prompt": "   "}))).await;
    assert_eq!(status, 422, "{problem}");
    let (status, _) = server
        .call("POST", "/generations", Some(&who.token), Some(json!({"prompt": "x", "format": "billboard"})))
        .await;
    assert_eq!(status, 422);
    let stranger = account(server, "stranger@example.com").await;
    let (status, _) = server.call("GET", &format!("/generations/{id}"), Some(&stranger.token), None).await;
    assert_eq!(status, 404);

    // The same idempotency key gives the same generation.
    let body = json!({"prompt": "Autumn menu tasting night", "idempotency_key": "k-1"});
    let (s1, a) = server.call("POST", "/generations", Some(&who.token), Some(body.clone())).await;
    let (s2, b) = server.call("POST", "/generations", Some(&who.token), Some(body)).await;
    assert_eq!((s1, s2), (202, 202));
    assert_eq!(a["id"], b["id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn generation_story_on_sqlite() {
    let server = TestServer::start(&[]);
    story(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn generation_story_on_postgres() {
    let Some(scratch) = PgScratch::new().await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set (CI sets it)");
        return;
    };
    let server = TestServer::start_with_database(Some(&scratch.url), &[]);
    story(&server).await;
    drop(server);
    scratch.cleanup().await;
}
