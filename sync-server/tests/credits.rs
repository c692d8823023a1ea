//! Plans and credits: the billing endpoints against the real binary, and the ledger (hold,
//! capture, release) through `sync_server::db::Database` on the same database the server uses.
//! Runs on SQLite and, when `TEST_DATABASE_URL` is set, on PostgreSQL.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "test code fails loudly")]

mod support;

use axum::response::IntoResponse;
use serde_json::{Value, json};
use support::{PgScratch, TestServer};
use sync_server::credits::{Charge, CreditsError, FinalSize, Plans, current_period};
use sync_server::db::Database;
use sync_server::error::ApiError;
use uuid::Uuid;

/// A signed-up account.
struct Account {
    id: Uuid,
    email: String,
    token: String,
    personal_team: Uuid,
}

async fn account(server: &TestServer, email: &str) -> Account {
    let body = support::sign_up(server, email).await;
    let id = |v: &Value| Uuid::parse_str(v.as_str().unwrap()).unwrap();
    Account {
        id: id(&body["user"]["id"]),
        email: email.to_owned(),
        token: body["tokens"]["access_token"].as_str().unwrap().to_owned(),
        personal_team: id(&body["user"]["personal_team_id"]),
    }
}

/// Invites `who` into `team` as `role` (by `owner`) and accepts.
async fn join(server: &TestServer, owner: &Account, team: Uuid, who: &Account, role: &str) {
    let (status, body) = server
        .call(
            "POST",
            &format!("/teams/{team}/invitations"),
            Some(&owner.token),
            Some(json!({ "email": who.email, "role": role })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (_, mail) = server.last_email(&who.email).await.unwrap();
    let token = support::token_from_email(&mail, "token");
    let (status, body) =
        server.call("POST", "/invitations/accept", Some(&who.token), Some(json!({ "token": token }))).await;
    assert_eq!(status, 200, "{body}");
}

async fn billing(server: &TestServer, who: &Account, team: Uuid) -> Value {
    let (status, body) = server.call("GET", &format!("/teams/{team}/billing"), Some(&who.token), None).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn put_plan(server: &TestServer, who: &Account, team: Uuid, plan: &str) -> (u16, Value) {
    server.call("PUT", &format!("/teams/{team}/billing/plan"), Some(&who.token), Some(json!({ "plan": plan }))).await
}

/// Every ledger entry of the team, newest first, read page by page.
async fn ledger(server: &TestServer, who: &Account, team: Uuid) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/teams/{team}/billing/usage?limit=3&cursor={c}"),
            None => format!("/teams/{team}/billing/usage?limit=3"),
        };
        let (status, page) = server.call("GET", &path, Some(&who.token), None).await;
        assert_eq!(status, 200, "{page}");
        let got = page["items"].as_array().unwrap();
        assert!(got.len() <= 3);
        items.extend(got.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}

async fn problem_of(err: CreditsError) -> (u16, Value) {
    let response = ApiError::from(err).into_response();
    let status = response.status().as_u16();
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

async fn story(server: &TestServer) {
    let plans = Plans::bundled();
    let db = Database::connect(&server.database_url).await.unwrap();
    let owner = account(server, "owner@example.com").await;
    let admin = account(server, "admin@example.com").await;
    let editor = account(server, "editor@example.com").await;
    let viewer = account(server, "viewer@example.com").await;
    let stranger = account(server, "stranger@example.com").await;
    let (status, team) = server.call("POST", "/teams", Some(&owner.token), Some(json!({ "name": "Studio" }))).await;
    assert_eq!(status, 201, "{team}");
    let team = Uuid::parse_str(team["id"].as_str().unwrap()).unwrap();
    join(server, &owner, team, &admin, "admin").await;
    join(server, &owner, team, &editor, "editor").await;
    join(server, &owner, team, &viewer, "viewer").await;

    // A new team is on Free: 25 credits = 100 quarters this month. Every member may read it.
    let b = billing(server, &owner, team).await;
    assert_eq!(b["plan"]["key"], "free", "{b}");
    assert_eq!(b["period"], current_period());
    assert_eq!(b["available_quarters"], 100);
    assert_eq!((b["granted_quarters"].as_i64(), b["spent_quarters"].as_i64()), (Some(100), Some(0)));
    assert_eq!(b["plan"]["costs"], json!({ "sample": 1, "standard": 4, "hd": 8, "uhd4k": 8 }));
    assert_eq!(b["plan"]["watermark"], true);
    assert_eq!(b["self_service_plans"], true);
    assert_eq!(b["plans"].as_array().unwrap().len(), 4);
    assert_eq!(billing(server, &viewer, team).await["available_quarters"], 100, "a second read grants nothing");
    let (status, got) = server.call("GET", &format!("/teams/{team}/billing"), Some(&stranger.token), None).await;
    assert_eq!(status, 404, "{got}");
    let (status, _) = server.call("GET", &format!("/teams/{team}/billing/summary"), Some(&stranger.token), None).await;
    assert_eq!(status, 404);
    let (status, _) = server.call("GET", &format!("/teams/{team}/billing"), None, None).await;
    assert_eq!(status, 401);

    // Holds reduce the balance; capture and release each settle a hold once.
    let hold = |user: Uuid, charge: Charge, api: bool| {
        let (db, plans) = (db.clone(), plans.clone());
        async move { db.hold_credits(team, user, charge, Uuid::now_v7(), api, &plans).await }
    };
    let h1 = hold(owner.id, Charge::Sample, false).await.unwrap().expect("Free pays for samples");
    let h2 = hold(editor.id, Charge::Sample, false).await.unwrap().unwrap();
    let h3 = hold(viewer.id, Charge::Sample, false).await.unwrap().unwrap();
    let b = billing(server, &viewer, team).await;
    assert_eq!((b["available_quarters"].as_i64(), b["held_quarters"].as_i64()), (Some(97), Some(3)), "{b}");
    assert!(db.capture_hold(h1).await.unwrap());
    assert!(!db.capture_hold(h1).await.unwrap(), "captured once");
    assert!(!db.release_hold(h1).await.unwrap(), "a captured hold is never released");
    assert!(db.release_hold(h2).await.unwrap());
    assert!(!db.release_hold(h2).await.unwrap(), "released once");
    assert!(!db.capture_hold(h2).await.unwrap(), "a released hold is never captured");
    assert!(!db.capture_hold(Uuid::now_v7()).await.unwrap(), "unknown holds change nothing");
    let b = billing(server, &owner, team).await;
    assert_eq!(
        (b["available_quarters"].as_i64(), b["spent_quarters"].as_i64(), b["held_quarters"].as_i64()),
        (Some(98), Some(1), Some(1)),
        "{b}"
    );
    // A generation made with an API key is metered when it succeeds.
    let h4 = hold(owner.id, Charge::Sample, true).await.unwrap().unwrap();
    assert!(db.capture_hold(h4).await.unwrap());
    let h5 = hold(owner.id, Charge::Final(FinalSize::Standard), false).await.unwrap().unwrap();
    assert!(db.capture_hold(h5).await.unwrap());
    // Free exports finals up to standard; the problem names the cheapest plan that allows HD.
    let err = hold(owner.id, Charge::Final(FinalSize::Hd), false).await.unwrap_err();
    let (status, p) = problem_of(err).await;
    assert_eq!(status, 402);
    assert_eq!(p["type"], "https://creativeflow.dev/problems/plan-upgrade-required", "{p}");
    assert_eq!((p["plan"].as_str(), p["upgrade_plan"].as_str()), (Some("free"), Some("pro")));
    assert_eq!((p["size"].as_str(), p["max_final"].as_str()), (Some("hd"), Some("standard")));
    let b = billing(server, &owner, team).await;
    assert_eq!(b["available_quarters"], 93, "{b}");
    assert_eq!(db.team_plan(team, &plans).await.unwrap().key, "free");

    // Only Owners and Admins change the plan; strangers learn nothing; bad plans are refused.
    for who in [&editor, &viewer] {
        let (status, got) = put_plan(server, who, team, "pro").await;
        assert_eq!(status, 403, "{got}");
        assert_eq!(got["type"], "https://creativeflow.dev/problems/forbidden");
    }
    let (status, _) = put_plan(server, &stranger, team, "pro").await;
    assert_eq!(status, 404);
    let (status, got) = put_plan(server, &owner, team, "platinum").await;
    assert_eq!(status, 422, "{got}");
    assert_eq!(got["errors"][0]["field"], "plan");
    let (status, got) = put_plan(server, &owner, team, "enterprise").await;
    assert_eq!(status, 403, "sales-only plans: {got}");
    let (status, got) = server
        .call(
            "PUT",
            &format!("/teams/{team}/billing/plan"),
            Some(&owner.token),
            Some(json!({ "plan": "pro", "credits": 9 })),
        )
        .await;
    assert_eq!(status, 422, "unknown fields are refused: {got}");

    // On Pro samples and standard finals cost nothing (no hold); the allowance is topped up.
    let (status, b) = put_plan(server, &owner, team, "pro").await;
    assert_eq!(status, 200, "{b}");
    assert_eq!((b["plan"]["key"].as_str(), b["granted_quarters"].as_i64()), (Some("pro"), Some(400)));
    assert_eq!(b["available_quarters"], 393);
    assert_eq!(b["plan"]["watermark"], false);
    assert_eq!(db.team_plan(team, &plans).await.unwrap().key, "pro");
    assert_eq!(hold(owner.id, Charge::Sample, false).await.unwrap(), None);
    assert_eq!(hold(editor.id, Charge::Final(FinalSize::Standard), false).await.unwrap(), None);
    // With an API key there is still a (zero) hold, so that success is metered.
    let h6 = hold(owner.id, Charge::Sample, true).await.unwrap().expect("API generations are metered");
    assert!(db.capture_hold(h6).await.unwrap());
    let h7 = hold(owner.id, Charge::Final(FinalSize::Uhd4k), false).await.unwrap().expect("4K costs 2 credits");
    assert!(db.capture_hold(h7).await.unwrap());
    // Admins may change the plan too; moving to Team tops the allowance up to 300 credits.
    let (status, b) = put_plan(server, &admin, team, "team").await;
    assert_eq!(status, 200, "{b}");
    assert_eq!((b["granted_quarters"].as_i64(), b["available_quarters"].as_i64()), (Some(1200), Some(1185)));
    assert_eq!(b["plan"]["collaboration"], true);

    // The ledger, newest first, page by page.
    let entries = ledger(server, &viewer, team).await;
    let kinds: Vec<&str> = entries.iter().rev().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "grant", "hold", "hold", "hold", "capture", "release", "hold", "capture", "hold", "capture", "grant",
            "hold", "capture", "hold", "capture", "grant"
        ]
    );
    let oldest = entries.last().unwrap();
    assert_eq!((oldest["quarters"].as_i64(), oldest["period"].as_str()), (Some(100), Some(current_period().as_str())));
    let h7_entry = entries.iter().find(|e| e["id"] == h7.to_string()).unwrap();
    assert_eq!((h7_entry["quarters"].as_i64(), h7_entry["note"].as_str()), (Some(8), Some("final_uhd4k")));
    assert_eq!(h7_entry["user_id"], owner.id.to_string());
    assert!(entries.iter().any(|e| e["id"] == h3.to_string() && e["kind"] == "hold"));
    assert!(!entries.iter().any(|e| e["hold_id"] == h3.to_string()), "h3 is still open");
    let capture4 = entries.iter().find(|e| e["hold_id"] == h4.to_string()).unwrap();
    assert_eq!((capture4["kind"].as_str(), capture4["via_api_key"].as_bool()), (Some("capture"), Some(true)));
    let (status, got) =
        server.call("GET", &format!("/teams/{team}/billing/usage?cursor=nope"), Some(&owner.token), None).await;
    assert_eq!(status, 422, "{got}");

    // The month's summary, exact; API generations are metered at 5 cents.
    let (status, s) = server.call("GET", &format!("/teams/{team}/billing/summary"), Some(&editor.token), None).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        s,
        json!({
            "period": current_period(),
            "granted_quarters": 1200, "adjusted_quarters": 0, "held_quarters": 16, "captured_quarters": 14,
            "released_quarters": 1, "open_quarters": 1, "available_quarters": 1185,
            "holds": 7, "captures": 5, "releases": 1, "api_generations": 2, "metered_cents": 10,
        })
    );
    let month = current_period();
    let (_, same) =
        server.call("GET", &format!("/teams/{team}/billing/summary?month={month}"), Some(&owner.token), None).await;
    assert_eq!(same, s);
    let (status, past) =
        server.call("GET", &format!("/teams/{team}/billing/summary?month=1999-01"), Some(&owner.token), None).await;
    assert_eq!(status, 200, "{past}");
    assert_eq!((past["granted_quarters"].as_i64(), past["metered_cents"].as_i64()), (Some(0), Some(0)));
    let (status, got) =
        server.call("GET", &format!("/teams/{team}/billing/summary?month=2026-13"), Some(&owner.token), None).await;
    assert_eq!(status, 422, "{got}");
    assert_eq!(got["errors"][0]["field"], "month");

    // 100 parallel sample holds with credits for 10: exactly 10 are held, 90 are short.
    let personal = owner.personal_team;
    assert_eq!(billing(server, &owner, personal).await["available_quarters"], 100);
    db.adjust_credits(personal, Some(owner.id), -90, "test: leave credits for 10 samples", &plans).await.unwrap();
    assert_eq!(billing(server, &owner, personal).await["available_quarters"], 10);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (db, plans) = (db.clone(), plans.clone());
            tokio::spawn(async move {
                db.hold_credits(personal, owner.id, Charge::Sample, Uuid::now_v7(), false, &plans).await
            })
        })
        .collect();
    let (mut held, mut short) = (Vec::new(), 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(Some(id)) => held.push(id),
            Err(CreditsError::Insufficient { needed: 1, available: 0, .. }) => short += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((held.len(), short), (10, 90));
    let b = billing(server, &owner, personal).await;
    assert_eq!((b["available_quarters"].as_i64(), b["held_quarters"].as_i64()), (Some(0), Some(10)), "{b}");
    // A released hold can be spent again; when short, the problem carries the numbers and a hint.
    assert!(db.release_hold(held[0]).await.unwrap());
    let again = db.hold_credits(personal, owner.id, Charge::Sample, Uuid::now_v7(), false, &plans).await;
    assert!(again.unwrap().is_some());
    let err = db.hold_credits(personal, owner.id, Charge::Sample, Uuid::now_v7(), false, &plans).await.unwrap_err();
    let (status, p) = problem_of(err).await;
    assert_eq!(status, 402);
    assert_eq!(p["type"], "https://creativeflow.dev/problems/insufficient-credits", "{p}");
    assert_eq!(p["title"], "Not enough credits");
    assert_eq!((p["needed"].as_f64(), p["available"].as_f64()), (Some(0.25), Some(0.0)));
    assert_eq!((p["needed_quarters"].as_i64(), p["available_quarters"].as_i64()), (Some(1), Some(0)));
    assert_eq!((p["plan"].as_str(), p["upgrade_plan"].as_str()), (Some("free"), Some("pro")));
    assert_eq!(p["upgrade_url"], format!("/api/v1/teams/{personal}/billing/plan"));
    assert!(p["detail"].as_str().unwrap().contains("pro plan"), "{p}");
    let (status, s) = server.call("GET", &format!("/teams/{personal}/billing/summary"), Some(&owner.token), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (s["adjusted_quarters"].as_i64(), s["holds"].as_i64(), s["releases"].as_i64()),
        (Some(-90), Some(11), Some(1))
    );
    match &db.pool {
        sync_server::db::Pool::Sqlite(p) => p.close().await,
        sync_server::db::Pool::Postgres(p) => p.close().await,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn credits_story_on_sqlite() {
    let server = TestServer::start(&[]);
    story(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn credits_story_on_postgres() {
    let Some(scratch) = PgScratch::new().await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set (CI sets it)");
        return;
    };
    let server = TestServer::start_with_database(Some(&scratch.url), &[]);
    story(&server).await;
    drop(server);
    scratch.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_changes_can_be_left_to_billing() {
    let server = TestServer::start(&[("CREATIVEFLOW_BILLING__SELF_SERVICE_PLANS", "false")]);
    let owner = account(&server, "owner@example.com").await;
    let b = billing(&server, &owner, owner.personal_team).await;
    assert_eq!(b["self_service_plans"], false);
    let (status, got) = put_plan(&server, &owner, owner.personal_team, "pro").await;
    assert_eq!(status, 403, "{got}");
    assert_eq!(got["type"], "https://creativeflow.dev/problems/forbidden");
    assert_eq!(billing(&server, &owner, owner.personal_team).await["plan"]["key"], "free");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plans_file_replaces_the_bundled_plans() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plans.toml");
    std::fs::write(
        &file,
        "default = \"starter\"\n[[plan]]\nkey = \"starter\"\nname = \"Starter\"\nprice_cents = 0\nmonthly_credits = 2.5\n\
         max_final = \"hd\"\nwatermark = false\nbrand_kit = false\ncollaboration = false\nself_service = true\n\
         [plan.costs]\nsample = 2\nstandard = 3\nhd = 5\nuhd4k = 9\n",
    )
    .unwrap();
    let server = TestServer::start(&[("CREATIVEFLOW_BILLING__PLANS_FILE", file.to_str().unwrap())]);
    let owner = account(&server, "owner@example.com").await;
    let b = billing(&server, &owner, owner.personal_team).await;
    // The stored default key `free` is not listed any more: the file's default applies.
    assert_eq!((b["plan"]["key"].as_str(), b["available_quarters"].as_i64()), (Some("starter"), Some(10)), "{b}");
    assert_eq!(b["plan"]["costs"]["hd"], 5);
    assert_eq!(b["plans"].as_array().unwrap().len(), 1);
}
