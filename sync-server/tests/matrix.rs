//! The authorization matrix on the real binary: every endpoint family × every role (Owner,
//! Admin, Editor, Viewer) × own or foreign team. Expected answers come from the documented
//! permission table (`authz::role_allows`, itself checked against docs/permissions.md): allowed →
//! 2xx, a member without the permission → 403, anyone outside the team → 404 (IDOR attempts learn
//! nothing). Mass assignment through update bodies is refused and changes nothing.

#![expect(clippy::unwrap_used, reason = "test code fails loudly")]

mod support;

use serde_json::{Value, json};
use support::TestServer;
use sync_server::authz::{Action, Role, role_allows};

struct Who {
    name: &'static str,
    role: Option<Role>,
    token: String,
}

fn tiny_png() -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(4, 3, image::Rgba([200, 40, 40, 255]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn upload(server: &TestServer, team: &str, token: &str, bytes: Vec<u8>) -> (u16, Value) {
    let res = server
        .http
        .post(format!("{}/api/v1/teams/{team}/assets?filename=a.png", server.base))
        .bearer_auth(token)
        .header("content-type", "image/png")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Seeds a team owned by `owner` with one workbench, project, creative and asset.
async fn seed(server: &TestServer, owner: &str, team_name: &str) -> Value {
    let (s, team) = server.call("POST", "/teams", Some(owner), Some(json!({ "name": team_name }))).await;
    assert_eq!(s, 201, "{team}");
    let t = team["id"].as_str().unwrap();
    let (s, wb) =
        server.call("POST", &format!("/teams/{t}/workbenches"), Some(owner), Some(json!({"name": "W"}))).await;
    assert_eq!(s, 201, "{wb}");
    let w = wb["id"].as_str().unwrap();
    let (s, p) =
        server.call("POST", &format!("/workbenches/{w}/projects"), Some(owner), Some(json!({"name": "P"}))).await;
    assert_eq!(s, 201, "{p}");
    let pid = p["id"].as_str().unwrap();
    let (s, c) =
        server.call("POST", &format!("/projects/{pid}/creatives"), Some(owner), Some(json!({"name": "C"}))).await;
    assert_eq!(s, 201, "{c}");
    let (s, a) = upload(server, t, owner, tiny_png()).await;
    assert_eq!(s, 201, "{a}");
    json!({ "team": t, "workbench": w, "project": pid, "creative": c["id"], "asset": a["id"] })
}

async fn invite(server: &TestServer, team: &str, owner: &str, email: &str, token: &str, role: &str) {
    let (s, inv) = server
        .call("POST", &format!("/teams/{team}/invitations"), Some(owner), Some(json!({"email": email, "role": role})))
        .await;
    assert_eq!(s, 201, "{inv}");
    let (_, body) = server.last_email(email).await.unwrap();
    let code = support::token_from_email(&body, "token");
    let (s, accepted) = server.call("POST", "/invitations/accept", Some(token), Some(json!({ "token": code }))).await;
    assert_eq!(s, 200, "{accepted}");
}

fn expected(who: &Who, action: Action) -> &'static str {
    match who.role {
        None => "404",
        Some(role) if role_allows(role, action) => "2xx",
        Some(_) => "403",
    }
}

fn class(status: u16) -> &'static str {
    match status {
        200..=299 => "2xx",
        403 => "403",
        404 => "404",
        _ => "other",
    }
}

async fn story(server: &TestServer) {
    let mut people = Vec::new();
    for (name, email) in [
        ("owner", "olga@example.com"),
        ("admin", "adam@example.com"),
        ("editor", "eddie@example.com"),
        ("viewer", "vera@example.com"),
        ("outsider", "otto@example.com"),
    ] {
        let signup = support::sign_up(server, email).await;
        people.push((name, email, signup["tokens"]["access_token"].as_str().unwrap().to_owned()));
    }
    let owner_token = people[0].2.clone();
    let ours = seed(server, &owner_token, "Acme").await;
    let team = ours["team"].as_str().unwrap().to_owned();
    for (i, role) in [(1, "admin"), (2, "editor"), (3, "viewer")] {
        invite(server, &team, &owner_token, people[i].1, &people[i].2, role).await;
    }
    // The outsider has a team of their own, with the same kinds of things in it.
    let theirs = seed(server, &people[4].2, "Other").await;

    let who: Vec<Who> = vec![
        Who { name: "owner", role: Some(Role::Owner), token: people[0].2.clone() },
        Who { name: "admin", role: Some(Role::Admin), token: people[1].2.clone() },
        Who { name: "editor", role: Some(Role::Editor), token: people[2].2.clone() },
        Who { name: "viewer", role: Some(Role::Viewer), token: people[3].2.clone() },
        Who { name: "outsider", role: None, token: people[4].2.clone() },
    ];

    let mut failures = Vec::new();
    let mut checked = 0;
    for w in &who {
        // Fresh things to delete, so that each caller's delete attempt has a live target.
        let (_, wb) = server
            .call("POST", &format!("/teams/{team}/workbenches"), Some(&owner_token), Some(json!({"name": "tmp"})))
            .await;
        let wb_del = wb["id"].as_str().unwrap().to_owned();
        let project = ours["project"].as_str().unwrap();
        let (_, p) = server
            .call(
                "POST",
                &format!("/workbenches/{}/projects", ours["workbench"].as_str().unwrap()),
                Some(&owner_token),
                Some(json!({"name": "tmp"})),
            )
            .await;
        let p_del = p["id"].as_str().unwrap().to_owned();
        let (_, c) = server
            .call("POST", &format!("/projects/{project}/creatives"), Some(&owner_token), Some(json!({"name": "tmp"})))
            .await;
        let c_del = c["id"].as_str().unwrap().to_owned();
        let mut png = tiny_png();
        png.extend_from_slice(w.name.as_bytes()); // distinct bytes → a distinct asset
        let (_, a) = upload(server, &team, &owner_token, png).await;
        let a_del = a["id"].as_str().unwrap().to_owned();

        let wbid = ours["workbench"].as_str().unwrap();
        let cid = ours["creative"].as_str().unwrap();
        let aid = ours["asset"].as_str().unwrap();
        let cases: Vec<(Action, &str, String, Option<Value>)> = vec![
            (Action::Read, "GET", format!("/teams/{team}"), None),
            (Action::Read, "GET", format!("/teams/{team}/members"), None),
            (Action::UpdateTeam, "PATCH", format!("/teams/{team}"), Some(json!({"name": "Acme"}))),
            (Action::ManageMembers, "GET", format!("/teams/{team}/invitations"), None),
            (
                Action::ManageMembers,
                "POST",
                format!("/teams/{team}/invitations"),
                Some(json!({"email": format!("new-{}@example.com", w.name), "role": "viewer"})),
            ),
            (Action::Read, "GET", format!("/teams/{team}/workbenches"), None),
            (Action::ManageWorkbenches, "POST", format!("/teams/{team}/workbenches"), Some(json!({"name": "X"}))),
            (Action::Read, "GET", format!("/workbenches/{wbid}"), None),
            (Action::ManageWorkbenches, "PATCH", format!("/workbenches/{wbid}"), Some(json!({"name": "W"}))),
            (Action::ManageWorkbenches, "DELETE", format!("/workbenches/{wb_del}"), None),
            (Action::Read, "GET", format!("/workbenches/{wbid}/projects"), None),
            (Action::Edit, "POST", format!("/workbenches/{wbid}/projects"), Some(json!({"name": "Q"}))),
            (Action::Read, "GET", format!("/projects/{project}"), None),
            (Action::Edit, "PATCH", format!("/projects/{project}"), Some(json!({"name": "P"}))),
            (Action::Delete, "DELETE", format!("/projects/{p_del}"), None),
            (Action::Read, "GET", format!("/projects/{project}/creatives"), None),
            (Action::Edit, "POST", format!("/projects/{project}/creatives"), Some(json!({"name": "D"}))),
            (Action::Read, "GET", format!("/creatives/{cid}"), None),
            (Action::Read, "GET", format!("/creatives/{cid}/design"), None),
            (Action::Edit, "PATCH", format!("/creatives/{cid}"), Some(json!({"name": "C"}))),
            (Action::Delete, "DELETE", format!("/creatives/{c_del}"), None),
            (Action::Read, "GET", format!("/teams/{team}/assets"), None),
            (Action::Read, "GET", format!("/assets/{aid}"), None),
            (Action::Read, "GET", format!("/assets/{aid}/content"), None),
            (Action::Delete, "DELETE", format!("/assets/{a_del}"), None),
            (Action::ViewBilling, "GET", format!("/teams/{team}/billing"), None),
            (Action::ViewBilling, "GET", format!("/teams/{team}/billing/usage"), None),
            (Action::ManageBilling, "PUT", format!("/teams/{team}/billing/plan"), Some(json!({"plan": "free"}))),
            // Generating with a workbench's brand kit charges its team: an editing action.
            (
                Action::Edit,
                "POST",
                "/generations".to_owned(),
                Some(json!({"prompt": "Spring sale", "workbench_id": wbid})),
            ),
        ];
        for (action, method, path, body) in cases {
            let (status, answer) = server.call(method, &path, Some(&w.token), body).await;
            checked += 1;
            let want = expected(w, action);
            if class(status) != want {
                failures.push(format!("{} {method} {path} ({action:?}): want {want}, got {status} {answer}", w.name));
            }
        }
        // The upload endpoint takes raw bytes.
        let mut png = tiny_png();
        png.extend_from_slice(b"upload");
        png.extend_from_slice(w.name.as_bytes());
        let (status, answer) = upload(server, &team, &w.token, png).await;
        checked += 1;
        if class(status) != expected(w, Action::Edit) {
            failures.push(format!("{} upload: want {}, got {status} {answer}", w.name, expected(w, Action::Edit)));
        }
    }

    // IDOR: a member of our team reaching into the outsider's team by id sees nothing.
    let owner = &who[0];
    for path in [
        format!("/teams/{}", theirs["team"].as_str().unwrap()),
        format!("/teams/{}/members", theirs["team"].as_str().unwrap()),
        format!("/teams/{}/workbenches", theirs["team"].as_str().unwrap()),
        format!("/workbenches/{}", theirs["workbench"].as_str().unwrap()),
        format!("/workbenches/{}/projects", theirs["workbench"].as_str().unwrap()),
        format!("/projects/{}", theirs["project"].as_str().unwrap()),
        format!("/projects/{}/creatives", theirs["project"].as_str().unwrap()),
        format!("/creatives/{}", theirs["creative"].as_str().unwrap()),
        format!("/creatives/{}/design", theirs["creative"].as_str().unwrap()),
        format!("/assets/{}", theirs["asset"].as_str().unwrap()),
        format!("/assets/{}/content", theirs["asset"].as_str().unwrap()),
    ] {
        for method in ["GET", "PATCH", "DELETE"] {
            if method != "GET"
                && (path.ends_with("/members") || path.ends_with("/content") || path.ends_with("/design"))
            {
                continue;
            }
            let body = (method == "PATCH").then(|| json!({"name": "pwned"}));
            let (status, answer) = server.call(method, &path, Some(&owner.token), body).await;
            checked += 1;
            if status != 404 && status != 405 {
                failures.push(format!("IDOR {method} {path}: want 404, got {status} {answer}"));
            }
        }
    }
    // Nothing of theirs changed.
    let (_, wb) = server
        .call("GET", &format!("/workbenches/{}", theirs["workbench"].as_str().unwrap()), Some(&who[4].token), None)
        .await;
    assert_eq!(wb["name"], "W");

    // Mass assignment: privileged fields in update bodies are refused and change nothing.
    let viewer = &who[3];
    for (path, body) in [
        (format!("/teams/{team}"), json!({"name": "Acme", "role": "owner"})),
        (format!("/teams/{team}"), json!({"name": "Acme", "owner_id": viewer.name})),
        (
            format!("/workbenches/{}", ours["workbench"].as_str().unwrap()),
            json!({"name": "W", "team_id": theirs["team"]}),
        ),
        (format!("/projects/{}", ours["project"].as_str().unwrap()), json!({"name": "P", "created_by": "x"})),
        ("/me".to_owned(), json!({"display_name": "Olga", "credits": 1_000_000})),
        ("/me".to_owned(), json!({"role": "owner"})),
    ] {
        let (status, answer) = server.call("PATCH", &path, Some(&owner.token), Some(body.clone())).await;
        checked += 1;
        if status != 422 {
            failures.push(format!("mass assignment PATCH {path} {body}: want 422, got {status} {answer}"));
        }
    }
    let (_, members) = server.call("GET", &format!("/teams/{team}/members"), Some(&owner.token), None).await;
    let vera = members.as_array().unwrap().iter().find(|m| m["email"] == "vera@example.com").unwrap();
    assert_eq!(vera["role"], "viewer");

    assert!(failures.is_empty(), "{} of {checked} checks failed:\n{}", failures.len(), failures.join("\n"));
    eprintln!("authorization matrix: {checked} checks passed");
}

#[tokio::test(flavor = "multi_thread")]
async fn role_action_matrix_on_sqlite() {
    let server = TestServer::start(&[]);
    story(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn role_action_matrix_on_postgres() {
    let Some(scratch) = support::PgScratch::new().await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set (CI sets it)");
        return;
    };
    {
        let server = TestServer::start_with_database(Some(&scratch.url), &[]);
        story(&server).await;
    }
    scratch.cleanup().await;
}
