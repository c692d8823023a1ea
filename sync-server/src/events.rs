//! Per-user notifications and the events socket (`GET /api/v1/events`).
//!
//! Notifications are rows numbered per user ([`crate::db::notifications`]), written in the same
//! transaction as the change that causes them. [`EventHub`] only carries wake-ups: after a
//! commit the handler calls [`EventHub::wake`], and each of the user's sockets reads whatever is
//! numbered above what it last sent, from the database, in order. The wake-up never carries
//! content, so a lost or duplicated one costs nothing, and several replicas only need to forward
//! wake-ups to each other.
//!
//! The socket authenticates before the upgrade (`?token=` with an access token, since browsers
//! cannot set headers on a WebSocket, or the usual `Authorization` header; API keys work too)
//! and then sends JSON text frames: first `{"type":"hello","cursor":N}`, then
//! `{"type":"notification","seq","kind","payload","created_at"}` for every notification numbered
//! above N. A client that reconnects with `?after=<last seq it saw>` misses nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::watch;
use tokio::time::Instant;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Principal;
use crate::authz::Scope;
use crate::db::notifications::Notification;
use crate::error::{ApiError, ApiQuery};

/// How often the server pings an idle socket.
pub const PING_INTERVAL: Duration = Duration::from_secs(20);
/// A socket that sends nothing (not even a pong) for this long is closed.
pub const SILENCE_LIMIT: Duration = Duration::from_secs(50);
/// Notifications read from the database per query.
const BATCH: i64 = 100;
/// Clients only send pongs and closes; anything larger is refused.
const MAX_CLIENT_MESSAGE: usize = 4096;

/// Wakes the events sockets of users who have new notifications: one watch channel per user
/// with a socket open, dropped when the user's last socket closes.
#[derive(Clone, Default)]
pub struct EventHub {
    users: Arc<Mutex<HashMap<Uuid, watch::Sender<u64>>>>,
}

/// One socket's wake-ups; unsubscribes when dropped.
pub struct Subscription {
    hub: EventHub,
    user: Uuid,
    rx: watch::Receiver<u64>,
}

impl EventHub {
    /// Starts listening for `user`'s wake-ups.
    pub fn subscribe(&self, user: Uuid) -> Subscription {
        let mut users = self.users.lock().unwrap_or_else(PoisonError::into_inner);
        let rx = users.entry(user).or_insert_with(|| watch::channel(0).0).subscribe();
        Subscription { hub: self.clone(), user, rx }
    }

    /// Tells the sockets of `users` that they have new notifications. Call after the
    /// transaction that added them has committed.
    pub fn wake(&self, users: impl IntoIterator<Item = Uuid>) {
        let mut map = self.users.lock().unwrap_or_else(PoisonError::into_inner);
        for user in users {
            if let Some(tx) = map.get(&user) {
                if tx.receiver_count() == 0 {
                    map.remove(&user);
                } else {
                    tx.send_modify(|n| *n = n.wrapping_add(1));
                }
            }
        }
    }

    /// How many users have a socket open.
    pub fn listening_users(&self) -> usize {
        self.users.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut users = self.hub.users.lock().unwrap_or_else(PoisonError::into_inner);
        // Our own receiver is still alive here, so 1 means no other socket listens.
        if users.get(&self.user).is_some_and(|tx| tx.receiver_count() <= 1) {
            users.remove(&self.user);
        }
    }
}

/// Notifies the invitee of a new invitation if an account with that email exists. The email is
/// the invitation's real channel, so a failure here is logged, not returned.
pub async fn notify_invitee(
    state: &AppState,
    invitation: &crate::db::teams::Invitation,
    team_name: &str,
    inviter_name: &str,
) {
    let outcome = async {
        let Some(user) = state.db.user_by_email(&invitation.email).await? else { return Ok(()) };
        let payload = json!({
            "invitation_id": invitation.id,
            "team_id": invitation.team_id,
            "team_name": team_name,
            "role": invitation.role.as_str(),
            "inviter_id": invitation.invited_by,
            "inviter_name": inviter_name,
            "text": format!(
                "{inviter_name} invited you to join \u{201c}{team_name}\u{201d} as {}; the link is in your email",
                invitation.role.as_str()
            ),
        });
        if state.db.notify(user.id, "invitation", &payload).await?.is_some() {
            state.events.wake([user.id]);
        }
        Ok::<(), crate::db::DbError>(())
    }
    .await;
    if let Err(e) = outcome {
        tracing::warn!(error = %e, invitation = %invitation.id, "could not notify the invitee");
    }
}

/// A notification as the socket and `GET /me/notifications` send it.
pub fn notification_json(n: &Notification) -> serde_json::Value {
    let payload: serde_json::Value = serde_json::from_str(&n.payload).unwrap_or_else(|_| json!({}));
    json!({
        "type": "notification",
        "seq": n.seq,
        "kind": n.kind,
        "payload": payload,
        "created_at": n.created_at,
        "read_at": n.read_at,
    })
}

/// The events socket route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/events", get(events_socket))
}

/// `?token=&after=` on the events socket.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    /// An access token or API key (instead of the `Authorization` header).
    token: Option<String>,
    /// The last notification number the client has; absent: start from now.
    after: Option<i64>,
}

/// How a socket re-checks, every ping, that its credential still holds.
enum Credential {
    /// A signed-in session: still live (logout or revocation closes the socket). The access
    /// token's own expiry is not re-checked; it only guards opening the socket.
    Session { user: Uuid, session: Uuid },
    /// An API key: not revoked (the request headers that carried it).
    Key(HeaderMap),
}

impl Credential {
    async fn still_valid(&self, state: &AppState) -> bool {
        match self {
            Credential::Session { user, session } => {
                matches!(state.db.principal_for_session(*user, *session).await, Ok(Some(_)))
            }
            Credential::Key(headers) => authenticate(state, headers.clone()).await.is_ok(),
        }
    }
}

async fn authenticate(state: &AppState, headers: HeaderMap) -> Result<Principal, ApiError> {
    let mut request = Request::new(());
    *request.headers_mut() = headers;
    let (mut parts, ()) = request.into_parts();
    Principal::from_request_parts(&mut parts, state).await
}

async fn events_socket(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<EventsQuery>,
    mut headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    if let Some(token) = &query.token {
        let value = HeaderValue::from_str(&format!("Bearer {}", token.trim()))
            .map_err(|_| ApiError::Unauthorized("the access token is invalid or expired"))?;
        headers.insert(header::AUTHORIZATION, value);
    }
    let principal = authenticate(&state, headers.clone()).await?;
    if !principal.scopes.contains(&Scope::Read) {
        return Err(ApiError::Forbidden("this API key lacks the read scope"));
    }
    if query.after.is_some_and(|a| a < 0) {
        return Err(ApiError::invalid("after", "a notification number: 0 or more"));
    }
    let credential = match (principal.session_id, principal.api_key_id) {
        (Some(session), _) => Credential::Session { user: principal.user_id, session },
        _ => Credential::Key(headers),
    };
    let Ok(upgrade) = upgrade else {
        return Ok(crate::http::problem(
            StatusCode::UPGRADE_REQUIRED,
            "upgrade-required",
            "Upgrade required",
            "this endpoint is a WebSocket: connect with `Upgrade: websocket`",
        ));
    };
    let user = principal.user_id;
    Ok(upgrade
        .max_message_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| run(state, user, credential, query.after, socket))
        .into_response())
}

/// Why a socket is being closed by the server.
struct Closing {
    code: u16,
    reason: &'static str,
}

async fn run(state: AppState, user: Uuid, credential: Credential, after: Option<i64>, mut socket: WebSocket) {
    // Subscribe before reading the cursor: a notification committed after the read then wakes us.
    let mut subscription = state.events.subscribe(user);
    match serve(&state, user, &credential, after, &mut subscription, &mut socket).await {
        Ok(()) => {}
        Err(Some(closing)) => {
            let frame = CloseFrame { code: closing.code, reason: closing.reason.into() };
            let _ = socket.send(Message::Close(Some(frame))).await;
        }
        Err(None) => {}
    }
}

/// Sends one JSON text frame; `Err(None)` if the client is gone.
async fn send_json(socket: &mut WebSocket, value: &serde_json::Value) -> Result<(), Option<Closing>> {
    socket.send(Message::Text(value.to_string().into())).await.map_err(|_| None)
}

fn internal(e: &crate::db::DbError) -> Option<Closing> {
    tracing::error!(error = %e, "events socket: database error");
    Some(Closing { code: 1011, reason: "internal error; reconnect with your cursor" })
}

/// The socket's life: hello, then notifications as they come, pings while idle. `Ok` when the
/// client closed; `Err(Some)` to close with a reason; `Err(None)` when the connection broke.
async fn serve(
    state: &AppState,
    user: Uuid,
    credential: &Credential,
    after: Option<i64>,
    subscription: &mut Subscription,
    socket: &mut WebSocket,
) -> Result<(), Option<Closing>> {
    let latest = state.db.notification_cursor(user).await.map_err(|e| internal(&e))?;
    // A cursor from the future (another database, a reset account) restarts from now.
    let mut cursor = after.map_or(latest, |a| a.min(latest));
    send_json(socket, &json!({ "type": "hello", "cursor": cursor })).await?;
    let mut ping = tokio::time::interval_at(Instant::now() + PING_INTERVAL, PING_INTERVAL);
    let mut last_heard = Instant::now();
    let mut pending = after.is_some();
    loop {
        if pending {
            subscription.rx.borrow_and_update();
            loop {
                let batch = state.db.notifications_after(user, cursor, BATCH).await.map_err(|e| internal(&e))?;
                for n in &batch {
                    send_json(socket, &notification_json(n)).await?;
                    cursor = n.seq;
                }
                if batch.len() < BATCH as usize {
                    break;
                }
            }
            pending = false;
        }
        tokio::select! {
            changed = subscription.rx.changed() => {
                if changed.is_err() {
                    return Err(Some(Closing { code: 1001, reason: "server going away" }));
                }
                pending = true;
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    return Err(Some(Closing { code: 1001, reason: "no answer to pings" }));
                }
                if !credential.still_valid(state).await {
                    return Err(Some(Closing { code: 4401, reason: "the session has ended; sign in again" }));
                }
                socket.send(Message::Ping(Default::default())).await.map_err(|_| None)?;
            }
            message = socket.recv() => match message {
                None | Some(Err(_)) => return Err(None),
                Some(Ok(Message::Close(_))) => return Ok(()),
                Some(Ok(_)) => last_heard = Instant::now(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wake_ups_reach_subscribers_and_entries_go_with_the_last_socket() {
        let hub = EventHub::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let mut first = hub.subscribe(a);
        let second = hub.subscribe(a);
        assert_eq!(hub.listening_users(), 1);
        hub.wake([a, b]);
        assert!(first.rx.has_changed().unwrap_or(false));
        first.rx.borrow_and_update();
        drop(second);
        assert_eq!(hub.listening_users(), 1, "one socket of a still listens");
        hub.wake([a]);
        assert!(first.rx.has_changed().unwrap_or(false));
        drop(first);
        assert_eq!(hub.listening_users(), 0);
        hub.wake([a]);
        assert_eq!(hub.listening_users(), 0);
    }
}
