-- Plans and the credit ledger (REQ-014..016). Keep in step with the other dialect's folder
-- (tests/storage.rs checks). Amounts are integer quarter-credits; periods are UTC calendar
-- months 'YYYY-MM'; money is integer US cents.

-- The team's plan: a key of config/plans.toml (unknown keys fall back to the default plan).
ALTER TABLE teams ADD COLUMN plan TEXT NOT NULL DEFAULT 'free';

-- One row per team that has used credits: the row every credit write locks first (PostgreSQL
-- row lock; SQLite's BEGIN IMMEDIATE already serializes writers), and the last month whose
-- grant was made, so the lazy monthly grant is made once.
CREATE TABLE credit_accounts (
    team_id TEXT PRIMARY KEY NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    granted_period TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);

-- The ledger, append-only. quarters is the amount, positive, except for 'adjust' (signed).
-- A month's balance = grants + adjustments - holds + releases of that month (a captured hold
-- stays spent). Captures and releases name their hold in hold_id; the unique index lets each
-- hold be settled once: never captured twice, never released after a capture.
CREATE TABLE credit_ledger (
    id TEXT PRIMARY KEY NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id TEXT,
    kind TEXT NOT NULL,
    quarters BIGINT NOT NULL,
    period TEXT NOT NULL,
    reference TEXT,
    hold_id TEXT,
    via_api_key BIGINT NOT NULL DEFAULT 0,
    note TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX credit_ledger_team ON credit_ledger (team_id, period, kind);
CREATE INDEX credit_ledger_history ON credit_ledger (team_id, id);
CREATE UNIQUE INDEX credit_ledger_settles ON credit_ledger (hold_id);

-- Metered API usage: one row per generation made with an API key and captured (nothing is
-- metered for a failure), on the account (user) that owns the key and the team charged.
CREATE TABLE api_usage (
    id TEXT PRIMARY KEY NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id TEXT,
    reference TEXT,
    hold_id TEXT NOT NULL UNIQUE,
    period TEXT NOT NULL,
    cents BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX api_usage_team ON api_usage (team_id, period);
CREATE INDEX api_usage_user ON api_usage (user_id, period);
