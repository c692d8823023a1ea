-- TOTP replay protection and email retry backoff. Keep in step with the other dialect's folder
-- (tests/storage.rs checks).

-- The last TOTP time step accepted for the account: a code is accepted only for a later step,
-- so each code works once.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

-- When a failed email may be tried again (ms); NULL: as soon as possible.
ALTER TABLE email_outbox ADD COLUMN next_attempt_at BIGINT;
