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

ALTER TABLE finals ALTER COLUMN generation_id DROP NOT NULL;
ALTER TABLE finals ADD COLUMN creative_id TEXT REFERENCES creatives (id) ON DELETE CASCADE;
ALTER TABLE finals ADD COLUMN design TEXT;
CREATE INDEX finals_creative ON finals (creative_id, id);
