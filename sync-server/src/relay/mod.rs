//! The document relay (DESIGN.md §4): a y-websocket endpoint per creative.
//!
//! Each loaded creative has one task ([`run_document`]) that owns an [`editor_core::relay::Room`]
//! and the senders of its connections; everything that touches the document goes through the
//! task's bounded command queue, so the room needs no lock. Each connection has its own task
//! ([`socket`]) that reads frames and forwards them, and writes what the document task queues
//! for it (bounded too: a client that does not keep up is cut off, never buffered without limit).
//!
//! The document task takes a batch of commands (whatever is queued, up to [`MAX_BATCH`]), lets
//! the room merge the updates, appends the new ones to the log in one transaction (group
//! commit), and only then echoes each update to its sender — the durable acknowledgement — and
//! sends it to the other peers. The log is compacted into a snapshot every
//! `compact_after_updates` updates, every `snapshot_every_mins` minutes of editing and when the
//! document unloads, `idle_unload_secs` after its last client left. A failed commit unloads the
//! document and closes its connections: the clients still hold their unacknowledged updates and
//! send them again when they reconnect. An update yrs refuses half-way
//! ([`RelayError::Inconsistent`]) closes its sender's connection and makes the task reload the
//! document from storage, which holds only updates that merged whole.

mod socket;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use editor_core::relay::{Accepted, Access, PeerId, RelayError, Room};
use editor_core::{Design, Document};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::config::RelayConfig;
use crate::db::Database;
use crate::db::relay::NewSnapshot;
use crate::metrics::Metrics;

pub use socket::{check_token, issue_token, routes};

/// Most commands one document task takes before it commits and delivers.
pub const MAX_BATCH: usize = 256;

/// Commands queued per document before senders wait.
const DOC_QUEUE: usize = 1024;

/// WebSocket close codes the relay uses.
pub mod close {
    /// The client sent something the protocol does not allow (malformed frame, text frame).
    pub const PROTOCOL: u16 = 1002;
    /// The client sent a frame over the size limit.
    pub const TOO_BIG: u16 = 1009;
    /// The server failed (storage); reconnect.
    pub const SERVER_ERROR: u16 = 1011;
    /// The server is going away or the document was unloaded; reconnect.
    pub const GOING_AWAY: u16 = 1001;
    /// The client did not keep up with the document's updates; reconnect.
    pub const TOO_SLOW: u16 = 4008;
    /// The client was silent for too long.
    pub const TIMEOUT: u16 = 4000;
}

/// Why a connection is being closed, set before its frame queue is dropped.
pub type CloseReason = Arc<Mutex<Option<(u16, String)>>>;

/// What the document task holds of one connection.
struct Conn {
    frames: mpsc::Sender<Bytes>,
    close: CloseReason,
}

impl Conn {
    fn kick(self, code: u16, reason: &str) {
        if let Ok(mut slot) = self.close.lock() {
            slot.get_or_insert((code, reason.to_owned()));
        }
        // Dropping `frames` ends the connection's writer, which then closes with the reason.
    }
}

enum Command {
    Join { peer: PeerId, access: Access, frames: mpsc::Sender<Bytes>, close: CloseReason, joined: oneshot::Sender<()> },
    Frame { peer: PeerId, frame: Bytes },
    Leave { peer: PeerId },
    Snapshot { name: String, by: Uuid, done: oneshot::Sender<Result<Uuid, RelayFailure>> },
    Restore { design: Box<Design>, name: String, by: Uuid, done: oneshot::Sender<Result<Uuid, RelayFailure>> },
}

/// Why the relay could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum RelayFailure {
    /// Storage failed.
    #[error("storage: {0}")]
    Storage(#[from] crate::db::DbError),
    /// The stored document does not load.
    #[error("the stored document is damaged: {0}")]
    Damaged(String),
    /// The design could not be applied.
    #[error("{0}")]
    Invalid(String),
    /// The document task stopped before answering (retry).
    #[error("the document was unloading; try again")]
    Busy,
}

#[derive(Clone)]
struct Handle {
    commands: mpsc::Sender<Command>,
    generation: u64,
}

struct Inner {
    db: Database,
    config: RelayConfig,
    metrics: Metrics,
    documents: Mutex<HashMap<Uuid, Handle>>,
    next_id: AtomicU64,
}

/// The registry of loaded documents.
#[derive(Clone)]
pub struct Relay {
    inner: Arc<Inner>,
}

impl Relay {
    /// A relay storing documents in `db`.
    pub fn new(db: Database, config: &RelayConfig, metrics: Metrics) -> Relay {
        Relay {
            inner: Arc::new(Inner {
                db,
                config: config.clone(),
                metrics,
                documents: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
            }),
        }
    }

    /// The relay's settings.
    pub fn config(&self) -> &RelayConfig {
        &self.inner.config
    }

    fn next_id(&self) -> u64 {
        self.inner.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// The task of `creative`, started (and loading) if it is not running.
    fn handle(&self, creative: Uuid) -> Handle {
        let mut documents = self.inner.documents.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(handle) = documents.get(&creative).filter(|h| !h.commands.is_closed()) {
            return handle.clone();
        }
        let (tx, rx) = mpsc::channel(DOC_QUEUE);
        let handle = Handle { commands: tx, generation: self.next_id() };
        documents.insert(creative, handle.clone());
        tokio::spawn(run_document(self.clone(), creative, handle.generation, rx));
        handle
    }

    fn forget(&self, creative: Uuid, generation: u64) {
        let mut documents = self.inner.documents.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if documents.get(&creative).is_some_and(|h| h.generation == generation) {
            documents.remove(&creative);
        }
    }

    /// Stores the current document as a named version; returns its id.
    pub async fn snapshot(&self, creative: Uuid, name: String, by: Uuid) -> Result<Uuid, RelayFailure> {
        self.ask(creative, |done| Command::Snapshot { name: name.clone(), by, done }).await?.1
    }

    /// Makes the document equal to `design` as a new edit every client receives, and stores
    /// the result as a `restore` version named `name`; returns that version's id.
    pub async fn restore(&self, creative: Uuid, design: Design, name: String, by: Uuid) -> Result<Uuid, RelayFailure> {
        self.ask(creative, |done| Command::Restore { design: Box::new(design.clone()), name: name.clone(), by, done })
            .await?
            .1
    }

    /// Sends `creative`'s task the command `make` builds around an answer channel and waits for
    /// the answer; a task that was unloading drops the command unanswered, so it is sent again
    /// (to a fresh task) up to three times. Returns the task that answered, and the answer.
    async fn ask<T>(
        &self,
        creative: Uuid,
        make: impl Fn(oneshot::Sender<T>) -> Command,
    ) -> Result<(Handle, T), RelayFailure> {
        for _ in 0..3 {
            let handle = self.handle(creative);
            let (tx, rx) = oneshot::channel();
            if handle.commands.send(make(tx)).await.is_err() {
                self.forget(creative, handle.generation);
                continue;
            }
            if let Ok(answer) = rx.await {
                return Ok((handle, answer));
            }
        }
        Err(RelayFailure::Busy)
    }
}

/// Loads a creative's stored document (snapshot and log), off the executor.
pub async fn load_stored(db: &Database, creative: Uuid) -> Result<(Document, i64, i64), RelayFailure> {
    let stored = db.stored_document(creative).await?;
    let (upto, last) = (stored.snapshot_upto, stored.last_seq);
    let doc = tokio::task::spawn_blocking(move || {
        Document::load(None, stored.snapshot_v2.as_deref(), &stored.updates)
            .map_err(|e| RelayFailure::Damaged(e.to_string()))
    })
    .await
    .map_err(|e| RelayFailure::Damaged(e.to_string()))??;
    Ok((doc, upto, last))
}

/// A version to write once the batch's updates are committed.
struct AfterCommit {
    kind: &'static str,
    name: String,
    by: Uuid,
    done: oneshot::Sender<Result<Uuid, RelayFailure>>,
}

/// The state of one running document task.
struct Task {
    relay: Relay,
    creative: Uuid,
    room: Room,
    conns: HashMap<PeerId, Conn>,
    /// The last logged position.
    seq: i64,
    /// The log position the newest snapshot covers.
    compacted: i64,
    /// When the first update after the newest snapshot was logged.
    dirty_since: Option<Instant>,
}

async fn run_document(relay: Relay, creative: Uuid, generation: u64, mut commands: mpsc::Receiver<Command>) {
    let (doc, compacted, seq) = match load_stored(&relay.inner.db, creative).await {
        Ok(loaded) => loaded,
        Err(e) => {
            tracing::error!(%creative, error = %e, "could not load a document for the relay");
            relay.forget(creative, generation);
            // Queued joins see their answer dropped and report the failure.
            return;
        }
    };
    relay.inner.metrics.relay_documents(1);
    let mut task = Task {
        relay: relay.clone(),
        creative,
        room: Room::new(doc),
        conns: HashMap::new(),
        seq,
        compacted,
        dirty_since: None,
    };
    let idle = Duration::from_secs(relay.inner.config.idle_unload_secs);
    let mut batch = VecDeque::with_capacity(MAX_BATCH);
    loop {
        let first = if task.conns.is_empty() {
            match tokio::time::timeout(idle, commands.recv()).await {
                Ok(command) => command,
                Err(_) => {
                    if task.try_unload(generation, &mut commands).await {
                        break;
                    }
                    continue;
                }
            }
        } else {
            commands.recv().await
        };
        let Some(first) = first else { break };
        batch.push_back(first);
        while batch.len() < MAX_BATCH {
            match commands.try_recv() {
                Ok(command) => batch.push_back(command),
                Err(_) => break,
            }
        }
        if let Err(e) = task.run_batch(&mut batch).await {
            tracing::error!(%creative, error = %e, "the relay could not store updates; unloading the document");
            relay.forget(creative, generation);
            commands.close();
            for (_, conn) in task.conns.drain() {
                conn.kick(close::SERVER_ERROR, "the server could not store your changes; reconnect to send them again");
            }
            break;
        }
        task.maybe_compact().await;
    }
    relay.inner.metrics.relay_documents(-1);
}

impl Task {
    /// Runs queued commands, commits what they accepted, then delivers. A half-merged update
    /// ends the round early: what came before it is committed and delivered, the document is
    /// reloaded from storage, and the remaining commands run on the reloaded document.
    async fn run_batch(&mut self, batch: &mut VecDeque<Command>) -> Result<(), RelayFailure> {
        loop {
            let reload = self.run_round(batch).await?;
            if reload {
                self.reload().await?;
            }
            if batch.is_empty() {
                return Ok(());
            }
        }
    }

    /// Reloads the room's document from storage (after a half-merged update) and asks every
    /// peer to resync, so whatever they hold that the store lacks comes back.
    async fn reload(&mut self) -> Result<(), RelayFailure> {
        let (doc, compacted, seq) = load_stored(&self.relay.inner.db, self.creative).await?;
        (self.compacted, self.seq) = (compacted, seq);
        let frames = self.room.reload(doc);
        for frame in frames {
            self.broadcast(None, &Bytes::from(frame));
        }
        Ok(())
    }

    /// One round of [`Task::run_batch`]; true when the document must be reloaded.
    async fn run_round(&mut self, batch: &mut VecDeque<Command>) -> Result<bool, RelayFailure> {
        // (sender, update) in arrival order; the sender is None for the server's own edits.
        let mut accepted: Vec<(Option<PeerId>, Accepted)> = Vec::new();
        let mut after_commit: Vec<AfterCommit> = Vec::new();
        let mut reload = false;
        while let Some(command) = batch.pop_front() {
            match command {
                Command::Join { peer, access, frames, close, joined } => {
                    let conn = Conn { frames, close };
                    for frame in self.room.join(peer, access) {
                        let _ = conn.frames.try_send(Bytes::from(frame));
                    }
                    self.conns.insert(peer, conn);
                    let _ = joined.send(());
                }
                Command::Frame { peer, frame } => {
                    if !self.conns.contains_key(&peer) {
                        continue;
                    }
                    match self.room.receive(peer, &frame) {
                        Ok(out) => {
                            for reply in out.reply {
                                self.send_to(peer, Bytes::from(reply));
                            }
                            if let Some(awareness) = out.awareness {
                                self.broadcast(None, &Bytes::from(awareness));
                            }
                            if out.dropped {
                                self.relay.inner.metrics.relay_event("viewer_update_dropped");
                            }
                            accepted.extend(out.updates.into_iter().map(|u| (Some(peer), u)));
                        }
                        Err(e @ RelayError::Inconsistent(_)) => {
                            self.relay.inner.metrics.relay_event("half_merged_update");
                            tracing::warn!(creative = %self.creative, peer, error = %e, "reloading the document");
                            self.drop_peer(peer, close::PROTOCOL, &e.to_string());
                            reload = true;
                            break;
                        }
                        Err(e) => {
                            self.relay.inner.metrics.relay_event("malformed_frame");
                            tracing::info!(creative = %self.creative, peer, error = %e, "closing a connection");
                            self.drop_peer(peer, close::PROTOCOL, &e.to_string());
                        }
                    }
                }
                Command::Leave { peer } => {
                    if let Some(conn) = self.conns.remove(&peer) {
                        drop(conn);
                        if let Some(gone) = self.room.leave(peer) {
                            self.broadcast(None, &Bytes::from(gone));
                        }
                    }
                }
                Command::Restore { design, name, by, done } => match self.room.replace_design(*design) {
                    Ok(update) => {
                        accepted.push((None, update));
                        after_commit.push(AfterCommit { kind: "restore", name, by, done });
                    }
                    Err(e) => {
                        let _ = done.send(Err(RelayFailure::Invalid(e.to_string())));
                    }
                },
                Command::Snapshot { name, by, done } => {
                    after_commit.push(AfterCommit { kind: "named", name, by, done })
                }
            }
        }
        self.commit(&accepted).await?;
        for (sender, update) in accepted {
            let frame = Bytes::from(update.frame);
            if update.echo
                && let Some(peer) = sender
            {
                self.send_to(peer, frame.clone());
            }
            if update.new {
                self.broadcast(sender, &frame);
            }
        }
        for AfterCommit { kind, name, by, done } in after_commit {
            let _ = done.send(self.write_snapshot(kind, Some(&name), Some(by)).await);
        }
        Ok(reload)
    }

    /// Appends the new updates to the log (one transaction).
    async fn commit(&mut self, accepted: &[(Option<PeerId>, Accepted)]) -> Result<(), RelayFailure> {
        let new: Vec<&[u8]> = accepted.iter().filter(|(_, a)| a.new).map(|(_, a)| a.update_v1.as_slice()).collect();
        if new.is_empty() {
            return Ok(());
        }
        self.relay.inner.db.append_updates(self.creative, self.seq + 1, &new).await?;
        self.seq += i64::try_from(new.len()).unwrap_or(i64::MAX);
        self.dirty_since.get_or_insert_with(Instant::now);
        self.relay.inner.metrics.relay_updates(new.len() as u64);
        Ok(())
    }

    /// Writes the current document as a snapshot of `kind` and compacts the log it covers (the
    /// log only holds updates the document merged whole, so the snapshot covers all of it).
    async fn write_snapshot(&mut self, kind: &str, name: Option<&str>, by: Option<Uuid>) -> Result<Uuid, RelayFailure> {
        let doc = self.room.document();
        let upto = self.seq;
        let (doc_v2, state_vector) = (doc.encode_state_v2(), doc.state_vector_v1());
        let snapshot =
            NewSnapshot { kind, name, doc_v2: &doc_v2, state_vector: &state_vector, upto_seq: upto, created_by: by };
        let id = self.relay.inner.db.write_snapshot(self.creative, snapshot).await?;
        self.compacted = upto;
        self.dirty_since = None;
        Ok(id)
    }

    /// Compacts when the log is long or has been growing for a while.
    async fn maybe_compact(&mut self) {
        let config = &self.relay.inner.config;
        let long = u64::try_from(self.seq - self.compacted).unwrap_or(0) >= config.compact_after_updates;
        let old = self.dirty_since.is_some_and(|t| t.elapsed() >= Duration::from_secs(config.snapshot_every_mins * 60));
        if (long || old)
            && let Err(e) = self.write_snapshot("auto", None, None).await
        {
            tracing::warn!(creative = %self.creative, error = %e, "compaction failed; the log is kept");
        }
    }

    /// Unloads if nothing arrived meanwhile: compacts, leaves the registry, and refuses what
    /// raced in (its senders retry on a fresh task). Returns whether the task should stop.
    async fn try_unload(&mut self, generation: u64, commands: &mut mpsc::Receiver<Command>) -> bool {
        if self.seq > self.compacted
            && let Err(e) = self.write_snapshot("auto", None, None).await
        {
            tracing::warn!(creative = %self.creative, error = %e, "compaction on unload failed; the log is kept");
        }
        {
            let mut documents = self.relay.inner.documents.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if !commands.is_empty() {
                return false;
            }
            if documents.get(&self.creative).is_some_and(|h| h.generation == generation) {
                documents.remove(&self.creative);
            }
            commands.close();
        }
        // Whatever slipped in before the close is dropped: joins and requests see their answer
        // channel closed and retry on a new task, which loads everything stored.
        while commands.try_recv().is_ok() {}
        true
    }

    fn send_to(&mut self, peer: PeerId, frame: Bytes) {
        let Some(conn) = self.conns.get(&peer) else { return };
        if conn.frames.try_send(frame).is_err() {
            self.relay.inner.metrics.relay_event("slow_client_cut_off");
            self.drop_peer(peer, close::TOO_SLOW, "too slow: the document moved on faster than you read; reconnect");
        }
    }

    /// Sends `frame` to every peer except `except`.
    fn broadcast(&mut self, except: Option<PeerId>, frame: &Bytes) {
        let mut slow = Vec::new();
        for (&peer, conn) in &self.conns {
            if Some(peer) != except && conn.frames.try_send(frame.clone()).is_err() {
                slow.push(peer);
            }
        }
        for peer in slow {
            self.relay.inner.metrics.relay_event("slow_client_cut_off");
            self.drop_peer(peer, close::TOO_SLOW, "too slow: the document moved on faster than you read; reconnect");
        }
    }

    fn drop_peer(&mut self, peer: PeerId, code: u16, reason: &str) {
        if let Some(conn) = self.conns.remove(&peer) {
            conn.kick(code, reason);
        }
        if let Some(gone) = self.room.leave(peer) {
            self.broadcast(None, &Bytes::from(gone));
        }
    }
}

/// The relay's handle for one connection, from [`Relay::join`].
pub struct Joined {
    /// The peer id.
    pub peer: PeerId,
    commands: mpsc::Sender<Command>,
}

impl Joined {
    /// Forwards a frame to the document task (waits while its queue is full).
    pub async fn frame(&self, frame: Bytes) -> bool {
        self.commands.send(Command::Frame { peer: self.peer, frame }).await.is_ok()
    }

    /// Tells the document task the connection is gone.
    pub async fn leave(&self) {
        let _ = self.commands.send(Command::Leave { peer: self.peer }).await;
    }
}

impl Relay {
    /// Joins a connection to `creative`: frames for it arrive on `frames`; `close` holds the
    /// reason when the relay drops it.
    pub async fn join(
        &self,
        creative: Uuid,
        access: Access,
        frames: mpsc::Sender<Bytes>,
        close: CloseReason,
    ) -> Result<Joined, RelayFailure> {
        let peer = self.next_id();
        let (handle, ()) = self
            .ask(creative, |joined| Command::Join {
                peer,
                access,
                frames: frames.clone(),
                close: close.clone(),
                joined,
            })
            .await?;
        Ok(Joined { peer, commands: handle.commands })
    }
}
