-- The document relay's log, version history, comments and approvals, and per-user events.
-- Keep in step with the other dialect's folder (tests/storage.rs checks).

-- Every update the relay acknowledged since the creative's newest snapshot, in commit order.
-- A snapshot covers the log up to its upto_seq; compaction writes one and deletes what it covers,
-- in one transaction.
CREATE TABLE creative_updates (
    creative_id TEXT NOT NULL REFERENCES creatives (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    update_v1 BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (creative_id, seq)
);

-- The log position a snapshot includes (0: written before any logged update).
ALTER TABLE creative_snapshots ADD COLUMN upto_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX creative_snapshots_seq ON creative_snapshots (creative_id, upto_seq);

-- Comment threads on a creative: a thread is its first comment (thread_id NULL) and its replies.
-- A thread may be anchored to a layer and a point on the canvas (design px).
CREATE TABLE comments (
    id TEXT PRIMARY KEY NOT NULL,
    creative_id TEXT NOT NULL REFERENCES creatives (id) ON DELETE CASCADE,
    thread_id TEXT REFERENCES comments (id) ON DELETE CASCADE,
    author_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    layer_id TEXT,
    x REAL,
    y REAL,
    mentions TEXT NOT NULL DEFAULT '[]',
    resolved_at BIGINT,
    resolved_by TEXT,
    created_at BIGINT NOT NULL,
    edited_at BIGINT,
    deleted_at BIGINT
);
CREATE INDEX comments_creative ON comments (creative_id, id);
CREATE INDEX comments_thread ON comments (thread_id, id);

-- The approval trail of a creative: review requests and decisions (creatives.approval_status
-- holds the current state).
CREATE TABLE approval_events (
    id TEXT PRIMARY KEY NOT NULL,
    creative_id TEXT NOT NULL REFERENCES creatives (id) ON DELETE CASCADE,
    actor_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    reviewers TEXT NOT NULL DEFAULT '[]',
    message TEXT,
    comment_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX approval_events_creative ON approval_events (creative_id, id);

-- Per-user notifications, numbered per user. The number comes from users.notification_seq,
-- bumped in the same transaction, so numbers are committed in order and a reconnecting client
-- that asks for everything after its cursor misses nothing.
ALTER TABLE users ADD COLUMN notification_seq BIGINT NOT NULL DEFAULT 0;
CREATE TABLE notifications (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT,
    PRIMARY KEY (user_id, seq)
);
