-- Template uses (for the gallery's "trending" order), creative thumbnails, and finals of a
-- creative's current document (creative exports) next to finals of generation samples.

CREATE TABLE template_uses (
    id TEXT PRIMARY KEY NOT NULL,
    template_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    creative_id TEXT REFERENCES creatives (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX template_uses_recent ON template_uses (created_at, template_id);
CREATE INDEX template_uses_template ON template_uses (template_id);

-- `sample:<sha256 of the preview PNG>` or `template:<archetype id>`; NULL: no thumbnail.
ALTER TABLE creatives ADD COLUMN thumbnail TEXT;

-- SQLite cannot drop a NOT NULL constraint: rebuild `finals` with a nullable generation and
-- the creative / design snapshot of an export.
CREATE TABLE finals_new (
    id TEXT PRIMARY KEY NOT NULL,
    generation_id TEXT REFERENCES generations (id) ON DELETE CASCADE,
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
    completed_at BIGINT,
    creative_id TEXT REFERENCES creatives (id) ON DELETE CASCADE,
    design TEXT
);
INSERT INTO finals_new (id, generation_id, sample_idx, user_id, team_id, size, format, watermark, status, error,
    output_sha256, content_type, width, height, byte_size, hold_id, created_at, completed_at)
    SELECT id, generation_id, sample_idx, user_id, team_id, size, format, watermark, status, error,
    output_sha256, content_type, width, height, byte_size, hold_id, created_at, completed_at FROM finals;
DROP TABLE finals;
ALTER TABLE finals_new RENAME TO finals;
CREATE INDEX finals_generation ON finals (generation_id, id);
CREATE INDEX finals_creative ON finals (creative_id, id);
