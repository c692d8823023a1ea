//! The relay's WebSocket endpoint: `GET /sync/{creative_id}?token=…` (y-websocket clients put
//! the room name after the server URL and pass `params` as the query).
//!
//! The token is a document token from `POST /api/v1/creatives/{id}/sync-token`: short-lived,
//! bound to one creative, and either `edit` or `view`. It is checked before the upgrade, so a bad
//! one gets a plain 401 problem.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use editor_core::relay::Access;
use futures_util::{SinkExt as _, StreamExt as _};
use serde::Deserialize;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::{CloseReason, close};
use crate::AppState;
use crate::auth::Tokens;
use crate::error::{ApiError, ApiPath};

/// The JWT `typ` of an editing document token.
const EDIT: &str = "doc-edit";
/// The JWT `typ` of a view-only document token.
const VIEW: &str = "doc-view";

/// Most queued frames written to a client with one flush.
const WRITE_BATCH: usize = 64;

/// How long a write to a client may take before the client counts as gone.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The initial read buffer of a connection (tungstenite's default is 128 KiB per connection; larger frames grow it).
const READ_BUFFER: usize = 1024;

/// Issues a document token for `user` on `creative`.
pub fn issue_token(
    tokens: &Tokens,
    user: Uuid,
    creative: Uuid,
    access: Access,
    ttl_secs: u64,
) -> Result<String, ApiError> {
    let typ = if access == Access::Edit { EDIT } else { VIEW };
    tokens.issue(user, creative, typ, ttl_secs)
}

/// Checks a document token for `creative`: who, and with what access.
pub fn check_token(tokens: &Tokens, token: &str, creative: Uuid) -> Option<(Uuid, Access)> {
    let (claims, access) = match tokens.check(token, EDIT) {
        Some(c) => (c, Access::Edit),
        None => (tokens.check(token, VIEW)?, Access::View),
    };
    (claims.sid == creative).then_some((claims.sub, access))
}

/// `?token=`.
#[derive(Debug, Deserialize)]
pub struct SyncQuery {
    /// The document token.
    #[serde(default)]
    token: String,
}

/// The socket route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/sync/{id}", get(upgrade))
}

async fn upgrade(
    State(state): State<AppState>,
    ApiPath(creative): ApiPath<Uuid>,
    Query(query): Query<SyncQuery>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Some((user, access)) = check_token(&state.tokens, &query.token, creative) else {
        return ApiError::Unauthorized(
            "a valid document token (from POST /api/v1/creatives/{id}/sync-token) is required",
        )
        .into_response();
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => {
            return ApiError::BadRequest(format!("open this URL as a WebSocket: {rejection}")).into_response();
        }
    };
    let max = state.relay.config().max_frame_bytes;
    // A small read buffer keeps idle connections cheap; it grows for large frames.
    ws.max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| connection(state, socket, creative, user, access))
}

async fn connection(state: AppState, socket: WebSocket, creative: Uuid, user: Uuid, access: Access) {
    let relay = state.relay.clone();
    let config = relay.config().clone();
    let (frames_tx, mut frames) = mpsc::channel::<Bytes>(config.client_queue.max(1));
    let reason: CloseReason = Arc::new(Mutex::new(None));
    let (mut sink, mut stream) = socket.split();
    let joined = match relay.join(creative, access, frames_tx, reason.clone()).await {
        Ok(joined) => joined,
        Err(e) => {
            tracing::warn!(%creative, error = %e, "could not open a document for a client");
            let _ = sink.send(close_message(close::SERVER_ERROR, "the document could not be opened; try again")).await;
            return;
        }
    };
    state.metrics.relay_connections(1);
    tracing::debug!(%creative, %user, peer = joined.peer, ?access, "joined");
    let ping_every = Duration::from_secs(config.ping_secs.max(1));
    let mut ping = tokio::time::interval(ping_every);
    ping.tick().await;
    let mut last_heard = tokio::time::Instant::now();
    let closing: Option<(u16, String)> = loop {
        tokio::select! {
            incoming = stream.next() => {
                last_heard = tokio::time::Instant::now();
                match incoming {
                    Some(Ok(Message::Binary(frame))) => {
                        if !joined.frame(frame).await {
                            break Some((close::GOING_AWAY, "the document was unloaded; reconnect".into()));
                        }
                    }
                    Some(Ok(Message::Text(_))) => {
                        break Some((close::PROTOCOL, "y-websocket frames are binary".into()));
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_))) | None => break None,
                    Some(Err(e)) => {
                        let text = e.to_string();
                        if text.contains("too long") || text.contains("too big") || text.contains("Space limit") {
                            break Some((close::TOO_BIG, format!("frame over the {} byte limit", config.max_frame_bytes)));
                        }
                        break None;
                    }
                }
            }
            outgoing = frames.recv() => match outgoing {
                Some(frame) => {
                    // Whatever else is queued goes out with it, in one write.
                    let mut batch = vec![frame];
                    while batch.len() < WRITE_BATCH {
                        match frames.try_recv() {
                            Ok(frame) => batch.push(frame),
                            Err(_) => break,
                        }
                    }
                    let write = async {
                        for frame in batch {
                            sink.feed(Message::Binary(frame)).await?;
                        }
                        sink.flush().await
                    };
                    match tokio::time::timeout(SEND_TIMEOUT, write).await {
                        Ok(Ok(())) => {}
                        _ => break None,
                    }
                }
                None => {
                    let kicked = reason.lock().ok().and_then(|mut r| r.take());
                    break Some(kicked.unwrap_or((close::GOING_AWAY, "the document was unloaded; reconnect".into())));
                }
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > ping_every * 3 {
                    break Some((close::TIMEOUT, "no answer to pings".into()));
                }
                if tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Ping(Bytes::new()))).await.is_err() {
                    break None;
                }
            }
        }
    };
    joined.leave().await;
    state.metrics.relay_connections(-1);
    if let Some((code, text)) = closing {
        tracing::debug!(%creative, peer = joined.peer, code, reason = %text, "closing");
        let _ = tokio::time::timeout(SEND_TIMEOUT, sink.send(close_message(code, &text))).await;
    }
}

fn close_message(code: u16, reason: &str) -> Message {
    // A close reason may hold at most 123 bytes.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    Message::Close(Some(CloseFrame { code, reason: reason[..end].into() }))
}
