//! Comments, approvals and the events socket against the real binary: a shared team with an
//! owner, an editor and a viewer comments on a creative, asks for review and decides, and each
//! notification reaches the right person's socket. The story runs on SQLite and, when
//! `TEST_DATABASE_URL` is set, on PostgreSQL.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "test code fails loudly")]

mod support;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::{PgScratch, TestServer};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A signed-up account.
struct Account {
    id: String,
    email: String,
    token: String,
}

async fn account(server: &TestServer, email: &str) -> Account {
    let body = support::sign_up(server, email).await;
    Account {
        id: body["user"]["id"].as_str().unwrap().to_owned(),
        email: email.to_owned(),
        token: body["tokens"]["access_token"].as_str().unwrap().to_owned(),
    }
}

async fn create(server: &TestServer, who: &Account, path: &str, body: Value) -> Value {
    let (status, answer) = server.call("POST", path, Some(&who.token), Some(body)).await;
    assert_eq!(status, 201, "POST {path}: {answer}");
    answer
}

/// Invites `who` into `team` as `role` (by `owner`) and accepts.
async fn join(server: &TestServer, owner: &Account, team: &str, who: &Account, role: &str) {
    create(server, owner, &format!("/teams/{team}/invitations"), json!({ "email": who.email, "role": role })).await;
    let (_, mail) = server.last_email(&who.email).await.unwrap();
    let token = support::token_from_email(&mail, "token");
    let (status, body) =
        server.call("POST", "/invitations/accept", Some(&who.token), Some(json!({ "token": token }))).await;
    assert_eq!(status, 200, "{body}");
}

fn events_url(server: &TestServer, token: &str, after: Option<i64>) -> String {
    let ws = server.base.replacen("http://", "ws://", 1);
    match after {
        Some(a) => format!("{ws}/api/v1/events?token={token}&after={a}"),
        None => format!("{ws}/api/v1/events?token={token}"),
    }
}

/// Opens `who`'s events socket; returns it and the `hello` cursor.
async fn connect(server: &TestServer, who: &Account, after: Option<i64>) -> (Socket, i64) {
    let (mut ws, _) = tokio_tungstenite::connect_async(events_url(server, &who.token, after)).await.unwrap();
    let hello = next_message(&mut ws).await.expect("a hello");
    assert_eq!(hello["type"], "hello", "{hello}");
    (ws, hello["cursor"].as_i64().unwrap())
}

/// The next JSON text frame, or `None` if none comes within `wait`.
async fn message_within(ws: &mut Socket, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let frame = tokio::time::timeout_at(deadline, ws.next()).await.ok()?;
        match frame.expect("the socket stays open").unwrap() {
            Message::Text(text) => return Some(serde_json::from_str(&text).unwrap()),
            Message::Close(frame) => panic!("closed: {frame:?}"),
            _ => {}
        }
    }
}

async fn next_message(ws: &mut Socket) -> Option<Value> {
    message_within(ws, Duration::from_secs(10)).await
}

/// The next notification on the socket, which must be of `kind`.
async fn expect_notification(ws: &mut Socket, kind: &str) -> Value {
    let n = next_message(ws).await.unwrap_or_else(|| panic!("no {kind} notification arrived"));
    assert_eq!((n["type"].as_str(), n["kind"].as_str()), (Some("notification"), Some(kind)), "{n}");
    n
}

async fn assert_quiet(ws: &mut Socket) {
    if let Some(extra) = message_within(ws, Duration::from_millis(300)).await {
        panic!("unexpected message {extra}");
    }
}

fn field(problem: &Value) -> &str {
    problem["errors"][0]["field"].as_str().unwrap_or("")
}

struct Setup {
    owner: Account,
    editor: Account,
    viewer: Account,
    stranger: Account,
    creative: String,
}

/// A team with an owner, an editor and a viewer, and a creative the owner made.
async fn setup(server: &TestServer) -> Setup {
    let owner = account(server, "owner@example.com").await;
    let editor = account(server, "editor@example.com").await;
    let viewer = account(server, "viewer@example.com").await;
    let stranger = account(server, "stranger@example.com").await;
    let team = create(server, &owner, "/teams", json!({ "name": "Studio" })).await;
    let team = team["id"].as_str().unwrap();
    join(server, &owner, team, &editor, "editor").await;
    join(server, &owner, team, &viewer, "viewer").await;
    let w = create(server, &owner, &format!("/teams/{team}/workbenches"), json!({ "name": "Brand" })).await;
    let p =
        create(server, &owner, &format!("/workbenches/{}/projects", w["id"].as_str().unwrap()), json!({ "name": "P" }))
            .await;
    let c = create(
        server,
        &owner,
        &format!("/projects/{}/creatives", p["id"].as_str().unwrap()),
        json!({ "name": "Summer banner" }),
    )
    .await;
    assert_eq!(c["approval_status"], "draft");
    Setup { owner, editor, viewer, stranger, creative: c["id"].as_str().unwrap().to_owned() }
}

async fn story(server: &TestServer) {
    let Setup { owner, editor, viewer, stranger, creative } = setup(server).await;

    // Invitations to existing accounts arrive as notifications too.
    let (status, feed) = server.call("GET", "/me/notifications", Some(&editor.token), None).await;
    assert_eq!(status, 200, "{feed}");
    assert_eq!(feed["items"][0]["kind"], "invitation", "{feed}");
    assert_eq!(feed["items"][0]["payload"]["team_name"], "Studio", "{feed}");

    let (mut owner_ws, _) = connect(server, &owner, None).await;
    let (mut editor_ws, editor_cursor) = connect(server, &editor, None).await;
    assert_eq!(editor_cursor, 1, "the invitation is the editor's first notification");
    let (mut viewer_ws, _) = connect(server, &viewer, None).await;
    assert_quiet(&mut editor_ws).await;

    // The viewer may comment; the creative's creator hears of it.
    let (status, thread) = server
        .call(
            "POST",
            &format!("/creatives/{creative}/comments"),
            Some(&viewer.token),
            Some(json!({ "body": "  Logo too small?  ", "layer_id": "logo", "x": 120.5, "y": 40.0 })),
        )
        .await;
    assert_eq!(status, 201, "{thread}");
    assert_eq!((thread["body"].as_str(), thread["layer_id"].as_str()), (Some("Logo too small?"), Some("logo")));
    assert_eq!((thread["x"].as_f64(), thread["y"].as_f64()), (Some(120.5), Some(40.0)));
    assert_eq!(thread["author_id"], viewer.id.as_str());
    assert!(thread["thread_id"].is_null() && thread["replies"] == json!([]), "{thread}");
    let tid = thread["id"].as_str().unwrap().to_owned();
    let n = expect_notification(&mut owner_ws, "comment").await;
    assert_eq!(
        (n["payload"]["thread_id"].as_str(), n["payload"]["creative_name"].as_str()),
        (Some(tid.as_str()), Some("Summer banner"))
    );
    assert_eq!(n["payload"]["author_name"], "viewer@example.com");
    assert_quiet(&mut viewer_ws).await;

    // The owner replies mentioning the editor: the editor gets a mention, the viewer (who wrote in
    // the thread) a comment; the author nothing.
    let (status, reply) = server
        .call(
            "POST",
            &format!("/comments/{tid}/replies"),
            Some(&owner.token),
            Some(json!({ "body": "Agreed, can you fix it?", "mentions": [editor.id] })),
        )
        .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(
        (reply["thread_id"].as_str(), reply["mentions"][0].as_str()),
        (Some(tid.as_str()), Some(editor.id.as_str()))
    );
    let mention = expect_notification(&mut editor_ws, "mention").await;
    assert_eq!(mention["seq"], 2);
    assert_eq!(mention["payload"]["comment_id"], reply["id"]);
    assert!(mention["payload"]["text"].as_str().unwrap().contains("mentioned you"), "{mention}");
    expect_notification(&mut viewer_ws, "comment").await;
    assert_quiet(&mut owner_ws).await;

    // Mentions must be team members; bodies are checked.
    let (status, got) = server
        .call(
            "POST",
            &format!("/comments/{tid}/replies"),
            Some(&owner.token),
            Some(json!({ "body": "hi", "mentions": [stranger.id] })),
        )
        .await;
    assert_eq!((status, field(&got)), (422, "mentions"), "{got}");
    for (bad, name) in [
        (json!({ "body": "   " }), "body"),
        (json!({ "body": "x".repeat(5001) }), "body"),
        (json!({ "body": "nul\u{0}" }), "body"),
        (json!({ "body": "a", "x": 1.0 }), "y"),
        (json!({ "body": "a", "x": 1e9, "y": 0 }), "x"),
        (json!({ "body": "a", "layer_id": "" }), "layer_id"),
        (json!({ "body": "a", "author_id": owner.id }), "body"),
        (json!({ "body": 5 }), "body"),
        (json!({ "body": "a", "mentions": ["not-a-uuid"] }), "body"),
    ] {
        let (status, got) =
            server.call("POST", &format!("/creatives/{creative}/comments"), Some(&viewer.token), Some(bad)).await;
        assert_eq!((status, field(&got)), (422, name), "{got}");
    }

    // Only the author edits; the author or an owner/admin deletes.
    let rid = reply["id"].as_str().unwrap();
    let (status, _) =
        server.call("PATCH", &format!("/comments/{rid}"), Some(&editor.token), Some(json!({ "body": "x" }))).await;
    assert_eq!(status, 403);
    let (status, edited) = server
        .call("PATCH", &format!("/comments/{rid}"), Some(&owner.token), Some(json!({ "body": "Agreed — please fix" })))
        .await;
    assert_eq!((status, edited["body"].as_str()), (200, Some("Agreed — please fix")), "{edited}");
    assert!(edited["edited_at"].is_i64(), "{edited}");

    // Resolve and reopen (threads only; anyone who may comment).
    let (status, resolved) = server.call("POST", &format!("/comments/{tid}/resolve"), Some(&viewer.token), None).await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(resolved["resolved_by"], viewer.id.as_str());
    assert_eq!(resolved["replies"][0]["id"].as_str(), Some(rid));
    let (status, _) = server.call("POST", &format!("/comments/{rid}/resolve"), Some(&viewer.token), None).await;
    assert_eq!(status, 409);
    let list = |filter: &'static str| {
        let path = format!("/creatives/{creative}/comments{filter}");
        let token = viewer.token.clone();
        async move {
            let (status, body) = server.call("GET", &path, Some(&token), None).await;
            assert_eq!(status, 200, "{body}");
            body["items"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(list("?resolved=true").await, [tid.as_str()]);
    assert!(list("?resolved=false").await.is_empty());
    let (status, reopened) = server.call("POST", &format!("/comments/{tid}/reopen"), Some(&editor.token), None).await;
    assert_eq!(status, 200, "{reopened}");
    assert!(reopened["resolved_at"].is_null(), "{reopened}");
    assert_eq!(list("?resolved=false").await, [tid.as_str()]);

    // Review: the editor asks the owner; viewers cannot ask, and only approvers can be asked.
    let path = format!("/creatives/{creative}/review-requests");
    let (status, _) = server.call("POST", &path, Some(&viewer.token), Some(json!({ "reviewers": [owner.id] }))).await;
    assert_eq!(status, 403);
    for (bad, name) in [
        (json!({ "reviewers": [] }), "reviewers"),
        (json!({ "reviewers": [viewer.id] }), "reviewers"),
        (json!({ "reviewers": [stranger.id] }), "reviewers"),
        (json!({ "reviewers": [owner.id], "message": "" }), "message"),
    ] {
        let (status, got) = server.call("POST", &path, Some(&editor.token), Some(bad)).await;
        assert_eq!((status, field(&got)), (422, name), "{got}");
    }
    let (status, review) = server
        .call("POST", &path, Some(&editor.token), Some(json!({ "reviewers": [owner.id], "message": "Ready for you" })))
        .await;
    assert_eq!(status, 201, "{review}");
    assert_eq!(review["approval_status"], "in_review");
    assert_eq!(review["events"][0]["action"], "requested");
    let n = expect_notification(&mut owner_ws, "review_requested").await;
    assert_eq!(
        (n["payload"]["requester_id"].as_str(), n["payload"]["message"].as_str()),
        (Some(editor.id.as_str()), Some("Ready for you"))
    );

    // Viewers and editors may not approve; the owner approves with a comment.
    let path = format!("/creatives/{creative}/approval");
    for who in [&viewer, &editor] {
        let (status, got) = server.call("POST", &path, Some(&who.token), Some(json!({ "decision": "approve" }))).await;
        assert_eq!(status, 403, "{got}");
    }
    let (status, got) = server.call("POST", &path, Some(&owner.token), Some(json!({ "decision": "maybe" }))).await;
    assert_eq!((status, field(&got)), (422, "body"), "{got}");
    let (status, approved) = server
        .call("POST", &path, Some(&owner.token), Some(json!({ "decision": "approve", "comment": "Looks great" })))
        .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["approval_status"], "approved");
    let actions: Vec<&str> =
        approved["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["requested", "approved"]);
    let n = expect_notification(&mut editor_ws, "approval_changed").await;
    assert_eq!(
        (n["payload"]["status"].as_str(), n["payload"]["actor_id"].as_str()),
        (Some("approved"), Some(owner.id.as_str()))
    );
    assert_quiet(&mut owner_ws).await;
    let (status, c) = server.call("GET", &format!("/creatives/{creative}"), Some(&viewer.token), None).await;
    assert_eq!((status, c["approval_status"].as_str()), (200, Some("approved")), "{c}");
    let (status, trail) =
        server.call("GET", &format!("/creatives/{creative}/approvals"), Some(&viewer.token), None).await;
    assert_eq!((status, trail["approval_status"].as_str()), (200, Some("approved")), "{trail}");
    // The decision's comment is a thread of its own, newest first.
    let (_, threads) = server.call("GET", &format!("/creatives/{creative}/comments"), Some(&viewer.token), None).await;
    assert_eq!(threads["items"][0]["body"], "Looks great", "{threads}");
    assert_eq!(threads["items"][0]["id"], approved["events"][1]["comment_id"]);
    assert_eq!(threads["items"][1]["replies"].as_array().unwrap().len(), 1);

    // Strangers see nothing.
    for (method, path, body) in [
        ("GET", format!("/creatives/{creative}/comments"), None),
        ("POST", format!("/creatives/{creative}/comments"), Some(json!({ "body": "hi" }))),
        ("POST", format!("/comments/{tid}/replies"), Some(json!({ "body": "hi" }))),
        ("POST", format!("/comments/{tid}/resolve"), None),
        ("GET", format!("/creatives/{creative}/approvals"), None),
        ("POST", format!("/creatives/{creative}/approval"), Some(json!({ "decision": "reject" }))),
    ] {
        let (status, got) = server.call(method, &path, Some(&stranger.token), body).await;
        assert_eq!(status, 404, "{method} {path}: {got}");
    }

    // The editor may not delete the owner's reply; the owner deletes the viewer's thread.
    let (status, _) = server.call("DELETE", &format!("/comments/{rid}"), Some(&editor.token), None).await;
    assert_eq!(status, 403);
    let (status, _) = server.call("DELETE", &format!("/comments/{tid}"), Some(&owner.token), None).await;
    assert_eq!(status, 204);
    assert!(!list("").await.contains(&tid));
    let (status, _) = server
        .call("POST", &format!("/comments/{tid}/replies"), Some(&owner.token), Some(json!({ "body": "x" })))
        .await;
    assert_eq!(status, 404);

    // The REST feed holds the same notifications, and marks them read.
    let (_, feed) = server.call("GET", "/me/notifications?after=1", Some(&editor.token), None).await;
    let kinds: Vec<&str> = feed["items"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["mention", "approval_changed"], "{feed}");
    assert_eq!((feed["cursor"].as_i64(), feed["unread"].as_i64()), (Some(3), Some(3)), "{feed}");
    let (status, _) =
        server.call("POST", "/me/notifications/read", Some(&editor.token), Some(json!({ "upto": 2 }))).await;
    assert_eq!(status, 204);
    let (_, feed) = server.call("GET", "/me/notifications?limit=1", Some(&editor.token), None).await;
    assert_eq!((feed["unread"].as_i64(), feed["has_more"].as_bool()), (Some(1), Some(true)), "{feed}");
    assert!(feed["items"][0]["read_at"].is_i64(), "{feed}");
    for bad in ["?after=-1", "?limit=x", "?bogus=1"] {
        let (status, _) = server.call("GET", &format!("/me/notifications{bad}"), Some(&editor.token), None).await;
        assert_eq!(status, 422, "{bad}");
    }

    for ws in [&mut owner_ws, &mut editor_ws, &mut viewer_ws] {
        ws.close(None).await.unwrap();
    }
    reconnect(server, &owner, &editor, &creative).await;
}

/// A client that reconnects with its cursor gets exactly what it missed, in order.
async fn reconnect(server: &TestServer, owner: &Account, editor: &Account, creative: &str) {
    let (mut ws, cursor) = connect(server, editor, None).await;
    ws.close(None).await.unwrap();
    drop(ws);
    for i in 0..3 {
        create(
            server,
            owner,
            &format!("/creatives/{creative}/comments"),
            json!({ "body": format!("note {i}"), "mentions": [editor.id] }),
        )
        .await;
    }
    let (mut ws, hello) = connect(server, editor, Some(cursor)).await;
    assert_eq!(hello, cursor);
    for i in 0..3 {
        let n = expect_notification(&mut ws, "mention").await;
        assert_eq!(n["seq"].as_i64(), Some(cursor + 1 + i), "{n}");
        assert_eq!(n["payload"]["excerpt"], format!("note {i}"), "{n}");
    }
    assert_quiet(&mut ws).await;
    // Live ones follow on the same socket.
    create(
        server,
        owner,
        &format!("/creatives/{creative}/comments"),
        json!({ "body": "live", "mentions": [editor.id] }),
    )
    .await;
    let n = expect_notification(&mut ws, "mention").await;
    assert_eq!(n["seq"].as_i64(), Some(cursor + 4));
    // Without a cursor: from now, nothing replayed; a cursor from the future restarts from now.
    let (mut fresh, now) = connect(server, editor, None).await;
    assert_eq!(now, cursor + 4);
    assert_quiet(&mut fresh).await;
    let (mut future, now) = connect(server, editor, Some(cursor + 100)).await;
    assert_eq!(now, cursor + 4);
    assert_quiet(&mut future).await;
    // From zero: everything, in order.
    let (mut all, zero) = connect(server, editor, Some(0)).await;
    assert_eq!(zero, 0);
    for seq in 1..=cursor + 4 {
        let n = next_message(&mut all).await.unwrap();
        assert_eq!(n["seq"].as_i64(), Some(seq), "{n}");
    }
    assert_quiet(&mut all).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn comments_story_on_sqlite() {
    let server = TestServer::start(&[]);
    story(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn comments_story_on_postgres() {
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
async fn the_events_socket_wants_a_valid_credential() {
    let server = TestServer::start(&[]);
    let ana = account(&server, "ana@example.com").await;
    // Bad or missing tokens are refused before the upgrade, as problems.
    for url in
        [events_url(&server, "not-a-token", None), format!("{}/api/v1/events", server.base.replacen("http", "ws", 1))]
    {
        match tokio_tungstenite::connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 401),
            other => panic!("expected a 401, got {other:?}"),
        }
    }
    // The Authorization header works too.
    let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
        "{}/api/v1/events",
        server.base.replacen("http", "ws", 1)
    ))
    .unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {}", ana.token).parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let hello = next_message(&mut ws).await.unwrap();
    assert_eq!(hello, json!({ "type": "hello", "cursor": 0 }));
    // A plain GET is told to upgrade; a bad cursor is refused.
    let (status, got) = server.call("GET", "/events", Some(&ana.token), None).await;
    assert_eq!(status, 426, "{got}");
    let (status, got) = server.call("GET", "/events?after=-1", Some(&ana.token), None).await;
    assert_eq!(status, 422, "{got}");
    ws.send(Message::Close(None)).await.unwrap();
}
