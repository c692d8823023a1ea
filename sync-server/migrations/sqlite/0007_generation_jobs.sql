-- Generations (four samples per request), their finals, and the job queue workers lease.

CREATE TABLE generations (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    workbench_id TEXT,
    parent_id TEXT,
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    idempotency_key TEXT,
    via_api_key BIGINT NOT NULL DEFAULT 0,
    hold_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    completed_at BIGINT
);
CREATE UNIQUE INDEX generations_idempotency ON generations (user_id, idempotency_key);
CREATE INDEX generations_user ON generations (user_id, id);

CREATE TABLE generation_samples (
    generation_id TEXT NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
    idx BIGINT NOT NULL,
    design TEXT NOT NULL,
    preview_sha256 TEXT NOT NULL,
    template TEXT NOT NULL,
    palette TEXT NOT NULL,
    fonts TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (generation_id, idx)
);

CREATE TABLE finals (
    id TEXT PRIMARY KEY NOT NULL,
    generation_id TEXT NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
    sample_idx BIGINT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    size TEXT NOT NULL,
    format TEXT NOT NULL,
    watermark BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    error TEXT,
    output_sha256 TEXT,
    content_type TEXT,
    width BIGINT,
    height BIGINT,
    byte_size BIGINT,
    hold_id TEXT,
    created_at BIGINT NOT NULL,
    completed_at BIGINT
);
CREATE INDEX finals_generation ON finals (generation_id, id);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_after BIGINT NOT NULL,
    lease_token TEXT,
    leased_by TEXT,
    lease_expires_at BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_ready ON jobs (status, run_after);
CREATE INDEX jobs_subject ON jobs (subject_id);
