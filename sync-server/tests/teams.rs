//! Teams, roles, invitations and API keys against the real binary: the story runs on SQLite and,
//! when `TEST_DATABASE_URL` is set, on PostgreSQL.

#![expect(clippy::unwrap_used, reason = "test code fails loudly")]

mod support;

use serde_json::{Value, json};
use support::{PgScratch, TestServer};

/// A signed-up account.
struct Account {
    id: String,
    email: String,
    token: String,
    personal_team: String,
}

async fn account(server: &TestServer, email: &str) -> Account {
    let body = support::sign_up(server, email).await;
    Account {
        id: body["user"]["id"].as_str().unwrap().to_owned(),
        email: email.to_owned(),
        token: body["tokens"]["access_token"].as_str().unwrap().to_owned(),
        personal_team: body["user"]["personal_team_id"].as_str().unwrap().to_owned(),
    }
}

/// Invites `email` into `team` as `role` (by `by`) and returns the token mailed to them.
async fn invite(server: &TestServer, by: &Account, team: &str, email: &str, role: &str) -> String {
    let (status, body) = server
        .call(
            "POST",
            &format!("/teams/{team}/invitations"),
            Some(&by.token),
            Some(json!({ "email": email, "role": role })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (_, mail) = server.last_email(&email.to_lowercase()).await.unwrap();
    assert!(mail.contains("/invitations/accept?token="), "{mail}");
    support::token_from_email(&mail, "token")
}

async fn accept(server: &TestServer, who: &Account, token: &str) -> (u16, Value) {
    server.call("POST", "/invitations/accept", Some(&who.token), Some(json!({ "token": token }))).await
}

/// (user id, role) of every member, in joining order.
async fn members(server: &TestServer, who: &Account, team: &str) -> Vec<(String, String)> {
    let (status, body) = server.call("GET", &format!("/teams/{team}/members"), Some(&who.token), None).await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|m| (m["user_id"].as_str().unwrap().to_owned(), m["role"].as_str().unwrap().to_owned()))
        .collect()
}

async fn set_role(server: &TestServer, who: &Account, team: &str, member: &Account, role: &str) -> (u16, Value) {
    server
        .call("PATCH", &format!("/teams/{team}/members/{}", member.id), Some(&who.token), Some(json!({ "role": role })))
        .await
}

async fn story(server: &TestServer) {
    let alice = account(server, "alice@example.com").await;
    let bob = account(server, "bob@example.com").await;
    let carol = account(server, "carol@example.com").await;
    let dave = account(server, "dave@example.com").await;

    // Create a team; the creator owns it.
    let (status, team) = server.call("POST", "/teams", Some(&alice.token), Some(json!({ "name": " Studio " }))).await;
    assert_eq!(status, 201, "{team}");
    assert_eq!((team["name"].as_str(), team["kind"].as_str()), (Some("Studio"), Some("team")));
    assert_eq!((team["role"].as_str(), team["member_count"].as_i64()), (Some("owner"), Some(1)));
    let t = team["id"].as_str().unwrap().to_owned();
    for bad in [json!({ "name": "" }), json!({ "name": "x".repeat(81) }), json!({ "name": "a", "kind": "personal" })] {
        let (status, body) = server.call("POST", "/teams", Some(&alice.token), Some(bad)).await;
        assert_eq!(status, 422, "{body}");
    }

    // The list holds the new team and the personal space, newest first, in pages.
    let (status, list) = server.call("GET", "/teams", Some(&alice.token), None).await;
    assert_eq!(status, 200, "{list}");
    let ids: Vec<&str> = list["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [t.as_str(), alice.personal_team.as_str()]);
    assert_eq!(list["items"][1]["kind"], "personal");
    let (_, first) = server.call("GET", "/teams?limit=1", Some(&alice.token), None).await;
    assert_eq!(first["items"][0]["id"], t.as_str());
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = server.call("GET", &format!("/teams?limit=1&cursor={cursor}"), Some(&alice.token), None).await;
    assert_eq!(second["items"][0]["id"], alice.personal_team.as_str());
    assert!(second.get("next_cursor").is_none(), "{second}");

    // Invite bob by email; the address is matched without regard to case.
    let (status, invitation) = server
        .call(
            "POST",
            &format!("/teams/{t}/invitations"),
            Some(&alice.token),
            Some(json!({ "email": "Bob@Example.com", "role": "admin" })),
        )
        .await;
    assert_eq!(status, 201, "{invitation}");
    assert_eq!((invitation["email"].as_str(), invitation["role"].as_str()), (Some("bob@example.com"), Some("admin")));
    let week = invitation["expires_at"].as_i64().unwrap() - invitation["created_at"].as_i64().unwrap();
    assert_eq!(week, 7 * 24 * 3_600_000);
    let (_, mail) = server.last_email("bob@example.com").await.unwrap();
    let bob_token = support::token_from_email(&mail, "token");
    let (status, pending) = server.call("GET", &format!("/teams/{t}/invitations"), Some(&alice.token), None).await;
    assert_eq!((status, pending.as_array().unwrap().len()), (200, 1), "{pending}");

    // Inviting a member is a conflict; the personal space takes no invitations.
    let (status, body) = server
        .call(
            "POST",
            &format!("/teams/{t}/invitations"),
            Some(&alice.token),
            Some(json!({ "email": alice.email, "role": "viewer" })),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let personal = &alice.personal_team;
    let (status, body) = server
        .call(
            "POST",
            &format!("/teams/{personal}/invitations"),
            Some(&alice.token),
            Some(json!({ "email": "x@example.com", "role": "viewer" })),
        )
        .await;
    assert_eq!(status, 409, "{body}");

    // Carol cannot use bob's invitation, and learns nothing about it; bob can, once.
    let (status, body) = accept(server, &carol, &bob_token).await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = server.call("GET", &format!("/teams/{t}"), Some(&bob.token), None).await;
    assert_eq!(status, 404);
    let (status, joined) = accept(server, &bob, &bob_token).await;
    assert_eq!(status, 200, "{joined}");
    assert_eq!((joined["id"].as_str(), joined["role"].as_str()), (Some(t.as_str()), Some("admin")));
    assert_eq!(joined["member_count"], 2);
    let (status, body) = accept(server, &bob, &bob_token).await;
    assert_eq!(status, 410, "{body}");
    let (status, _) = accept(server, &bob, "not-a-token").await;
    assert_eq!(status, 404);
    let (_, pending) = server.call("GET", &format!("/teams/{t}/invitations"), Some(&alice.token), None).await;
    assert_eq!(pending, json!([]));

    // A revoked invitation no longer works.
    let stale = invite(server, &bob, &t, &carol.email, "editor").await;
    let (_, pending) = server.call("GET", &format!("/teams/{t}/invitations"), Some(&bob.token), None).await;
    let invitation_id = pending[0]["id"].as_str().unwrap().to_owned();
    let (status, _) =
        server.call("DELETE", &format!("/teams/{t}/invitations/{invitation_id}"), Some(&bob.token), None).await;
    assert_eq!(status, 204);
    let (status, body) = accept(server, &carol, &stale).await;
    assert_eq!(status, 410, "{body}");

    // An admin invites editors, not owners; carol joins as editor.
    let (status, _) = server
        .call(
            "POST",
            &format!("/teams/{t}/invitations"),
            Some(&bob.token),
            Some(json!({ "email": carol.email, "role": "owner" })),
        )
        .await;
    assert_eq!(status, 403);
    let carol_token = invite(server, &bob, &t, &carol.email, "editor").await;
    let (status, joined) = accept(server, &carol, &carol_token).await;
    assert_eq!((status, joined["role"].as_str()), (200, Some("editor")), "{joined}");

    // An admin cannot make an owner, change an owner's role, or remove an owner.
    let (status, _) = set_role(server, &bob, &t, &carol, "owner").await;
    assert_eq!(status, 403);
    let (status, _) = set_role(server, &bob, &t, &alice, "editor").await;
    assert_eq!(status, 403);
    let (status, _) = server.call("DELETE", &format!("/teams/{t}/members/{}", alice.id), Some(&bob.token), None).await;
    assert_eq!(status, 403);
    let (status, body) = set_role(server, &alice, &t, &dave, "viewer").await;
    assert_eq!(status, 404, "{body}");

    // Bob: admin → editor → viewer.
    for role in ["editor", "viewer"] {
        let (status, member) = set_role(server, &alice, &t, &bob, role).await;
        assert_eq!((status, member["role"].as_str()), (200, Some(role)), "{member}");
    }
    assert_eq!(
        members(server, &alice, &t).await,
        [(alice.id.clone(), "owner".into()), (bob.id.clone(), "viewer".into()), (carol.id.clone(), "editor".into())]
    );

    // A viewer reads the team and its members but cannot invite, see invitations or rename.
    assert_eq!(members(server, &bob, &t).await.len(), 3);
    let (status, body) = server
        .call(
            "POST",
            &format!("/teams/{t}/invitations"),
            Some(&bob.token),
            Some(json!({ "email": "x@example.com", "role": "viewer" })),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = server.call("GET", &format!("/teams/{t}/invitations"), Some(&bob.token), None).await;
    assert_eq!(status, 403);
    let (status, _) =
        server.call("PATCH", &format!("/teams/{t}"), Some(&bob.token), Some(json!({ "name": "Mine" }))).await;
    assert_eq!(status, 403);

    // The last owner can neither leave nor be demoted.
    let (status, body) =
        server.call("DELETE", &format!("/teams/{t}/members/{}", alice.id), Some(&alice.token), None).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("last owner cannot leave"), "{body}");
    let (status, body) = set_role(server, &alice, &t, &alice, "admin").await;
    assert_eq!(status, 409, "{body}");

    // Mass assignment through the team update is refused and changes nothing.
    for body in [
        json!({ "name": "x", "owner_id": dave.id }),
        json!({ "role": "owner" }),
        json!({ "name": "x", "kind": "personal" }),
    ] {
        let (status, problem) = server.call("PATCH", &format!("/teams/{t}"), Some(&alice.token), Some(body)).await;
        assert_eq!(status, 422, "{problem}");
    }
    let (_, view) = server.call("GET", &format!("/teams/{t}"), Some(&alice.token), None).await;
    assert_eq!((view["name"].as_str(), view["kind"].as_str()), (Some("Studio"), Some("team")));
    let (status, view) =
        server.call("PATCH", &format!("/teams/{t}"), Some(&alice.token), Some(json!({ "name": "Studio 2" }))).await;
    assert_eq!((status, view["name"].as_str()), (200, Some("Studio 2")), "{view}");

    // Strangers get 404 from every team endpoint, for a shared team and for a personal space.
    for team in [t.as_str(), alice.personal_team.as_str()] {
        for (method, path, body) in [
            ("GET", format!("/teams/{team}"), None),
            ("PATCH", format!("/teams/{team}"), Some(json!({ "name": "Taken" }))),
            ("DELETE", format!("/teams/{team}"), None),
            ("GET", format!("/teams/{team}/members"), None),
            ("PATCH", format!("/teams/{team}/members/{}", alice.id), Some(json!({ "role": "viewer" }))),
            ("DELETE", format!("/teams/{team}/members/{}", alice.id), None),
            ("DELETE", format!("/teams/{team}/members/{}", dave.id), None),
            ("POST", format!("/teams/{team}/invitations"), Some(json!({ "email": dave.email, "role": "owner" }))),
            ("GET", format!("/teams/{team}/invitations"), None),
            ("DELETE", format!("/teams/{team}/invitations/{invitation_id}"), None),
        ] {
            let (status, problem) = server.call(method, &path, Some(&dave.token), body).await;
            assert_eq!(status, 404, "{method} {path}: {problem}");
        }
    }
    let (status, _) = server.call("GET", "/teams/not-a-uuid", Some(&dave.token), None).await;
    assert_eq!(status, 404);
    let (_, view) = server.call("GET", &format!("/teams/{t}"), Some(&alice.token), None).await;
    assert_eq!((view["name"].as_str(), view["member_count"].as_i64()), (Some("Studio 2"), Some(3)));

    // After making bob owner, alice can leave.
    let (status, _) = set_role(server, &alice, &t, &bob, "owner").await;
    assert_eq!(status, 200);
    let (status, _) =
        server.call("DELETE", &format!("/teams/{t}/members/{}", alice.id), Some(&alice.token), None).await;
    assert_eq!(status, 204);
    let (status, _) = server.call("GET", &format!("/teams/{t}"), Some(&alice.token), None).await;
    assert_eq!(status, 404);

    // Removal: bob removes carol.
    let (status, _) = server.call("DELETE", &format!("/teams/{t}/members/{}", carol.id), Some(&bob.token), None).await;
    assert_eq!(status, 204);
    assert_eq!(members(server, &bob, &t).await, [(bob.id.clone(), "owner".into())]);
    let (status, _) = server.call("DELETE", &format!("/teams/{t}/members/{}", carol.id), Some(&bob.token), None).await;
    assert_eq!(status, 404);

    // The personal space cannot be deleted; a shared team can, by its owner.
    let personal = &bob.personal_team;
    let (status, body) = server.call("DELETE", &format!("/teams/{personal}"), Some(&bob.token), None).await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = server.call("DELETE", &format!("/teams/{t}"), Some(&bob.token), None).await;
    assert_eq!(status, 204);
    let (status, _) = server.call("GET", &format!("/teams/{t}"), Some(&bob.token), None).await;
    assert_eq!(status, 404);
    let (_, list) = server.call("GET", "/teams", Some(&bob.token), None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");

    two_owners_demoting_each_other_leave_one(server, &alice, &bob).await;
    api_keys(server, &alice, &bob).await;
}

/// Two owners demoting each other at the same moment: one wins, the team keeps an owner.
async fn two_owners_demoting_each_other_leave_one(server: &TestServer, alice: &Account, bob: &Account) {
    for round in 0..5 {
        let (_, team) =
            server.call("POST", "/teams", Some(&alice.token), Some(json!({ "name": format!("Race {round}") }))).await;
        let t = team["id"].as_str().unwrap().to_owned();
        let token = invite(server, alice, &t, &bob.email, "owner").await;
        assert_eq!(accept(server, bob, &token).await.0, 200);
        let (a, b) = tokio::join!(set_role(server, alice, &t, bob, "admin"), set_role(server, bob, &t, alice, "admin"));
        // The loser either saw the winner's change before it was authorized (403) or inside its
        // transaction (409).
        let mut statuses = [a.0, b.0];
        statuses.sort_unstable();
        assert!(statuses[0] == 200 && [403, 409].contains(&statuses[1]), "{a:?} {b:?}");
        let owners = members(server, alice, &t).await.into_iter().filter(|(_, r)| r == "owner").count();
        assert_eq!(owners, 1);
    }
}

async fn api_keys(server: &TestServer, alice: &Account, bob: &Account) {
    let (_, team) = server.call("POST", "/teams", Some(&alice.token), Some(json!({ "name": "Keys" }))).await;
    let t = team["id"].as_str().unwrap().to_owned();

    // Create: the full key is in this answer only.
    let (status, created) =
        server.call("POST", "/api-keys", Some(&alice.token), Some(json!({ "name": "ci", "scopes": ["read"] }))).await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().unwrap().to_owned();
    let prefix = created["prefix"].as_str().unwrap();
    assert_eq!(prefix.len(), 12);
    assert!(key.starts_with(&format!("cf_{prefix}_")), "{key}");
    assert_eq!(created["scopes"], json!(["read"]));
    let key_id = created["id"].as_str().unwrap().to_owned();
    for bad in [
        json!({ "name": "ci", "scopes": [] }),
        json!({ "name": "ci", "scopes": ["admin"] }),
        json!({ "name": "", "scopes": ["read"] }),
        json!({ "name": "ci", "scopes": ["read"], "user_id": bob.id }),
    ] {
        let (status, body) = server.call("POST", "/api-keys", Some(&alice.token), Some(bad)).await;
        assert_eq!(status, 422, "{body}");
    }

    let (status, list) = server.call("GET", "/api-keys", Some(&alice.token), None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0].get("key").is_none() && !list.to_string().contains(&key), "{list}");
    assert_eq!(list[0]["last_used_at"], Value::Null);

    // The key acts as alice, within its scopes.
    let (status, teams) = server.call("GET", "/teams", Some(&key), None).await;
    assert_eq!(status, 200, "{teams}");
    assert!(teams["items"].as_array().unwrap().iter().any(|i| i["id"] == t.as_str()), "{teams}");
    let (_, list) = server.call("GET", "/api-keys", Some(&alice.token), None).await;
    assert!(list[0]["last_used_at"].is_i64(), "{list}");
    let (status, body) = server
        .call(
            "POST",
            &format!("/teams/{t}/invitations"),
            Some(&key),
            Some(json!({ "email": "x@example.com", "role": "viewer" })),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = server.call("PATCH", &format!("/teams/{t}"), Some(&key), Some(json!({ "name": "By key" }))).await;
    assert_eq!(status, 403);
    let (status, _) = server.call("POST", "/teams", Some(&key), Some(json!({ "name": "By key" }))).await;
    assert_eq!(status, 403);
    let (_, view) = server.call("GET", &format!("/teams/{t}"), Some(&key), None).await;
    assert_eq!(view["name"], "Keys");

    // A key with the manage scope administers the team as alice would.
    let (_, manager) = server
        .call("POST", "/api-keys", Some(&alice.token), Some(json!({ "name": "admin", "scopes": ["manage", "read"] })))
        .await;
    let manager_prefix = manager["prefix"].as_str().unwrap().to_owned();
    let manager = manager["key"].as_str().unwrap().to_owned();
    let (status, view) =
        server.call("PATCH", &format!("/teams/{t}"), Some(&manager), Some(json!({ "name": "By key" }))).await;
    assert_eq!((status, view["name"].as_str()), (200, Some("By key")), "{view}");

    // Keys cannot manage keys.
    for key in [&key, &manager] {
        let (status, body) =
            server.call("POST", "/api-keys", Some(key), Some(json!({ "name": "more", "scopes": ["read"] }))).await;
        assert_eq!(status, 403, "{body}");
        let (status, _) = server.call("GET", "/api-keys", Some(key), None).await;
        assert_eq!(status, 403);
        let (status, _) = server.call("DELETE", &format!("/api-keys/{key_id}"), Some(key), None).await;
        assert_eq!(status, 403);
    }

    // Another user's key is not there for bob; alice revokes hers and it stops working.
    let (status, _) = server.call("DELETE", &format!("/api-keys/{key_id}"), Some(&bob.token), None).await;
    assert_eq!(status, 404);
    let (status, _) = server.call("GET", "/teams", Some(&key), None).await;
    assert_eq!(status, 200);
    let (status, _) = server.call("DELETE", &format!("/api-keys/{key_id}"), Some(&alice.token), None).await;
    assert_eq!(status, 204);
    let (status, body) = server.call("GET", "/teams", Some(&key), None).await;
    assert_eq!(status, 401, "{body}");
    let (_, list) = server.call("GET", "/api-keys", Some(&alice.token), None).await;
    let revoked = list.as_array().unwrap().iter().find(|k| k["id"] == key_id.as_str()).unwrap();
    assert!(revoked["revoked_at"].is_i64(), "{list}");
    let (status, _) = server.call("GET", &format!("/teams/{t}"), Some(&manager), None).await;
    assert_eq!(status, 200);

    // A wrong secret with a real prefix is refused.
    let forged = format!("cf_{manager_prefix}_{}", "A".repeat(43));
    let (status, _) = server.call("GET", "/teams", Some(&forged), None).await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn teams_and_keys_sqlite() {
    let server = TestServer::start(&[]);
    story(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn teams_and_keys_postgres() {
    let Some(pg) = PgScratch::new().await else { return };
    let server = TestServer::start_with_database(Some(&pg.url), &[]);
    story(&server).await;
    drop(server);
    pg.cleanup().await;
}
