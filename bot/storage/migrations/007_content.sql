-- 007: content revisions published from the bot. Each published file is kept as it was sent;
-- the bot runs the newest one (the bundled file or BOT_CONTENT only until one is published).
CREATE TABLE content_versions (
    version          INTEGER PRIMARY KEY,
    text             TEXT NOT NULL,             -- the TOML file itself
    published_at     TEXT NOT NULL,
    published_by     INTEGER NOT NULL
);

-- A file an admin sent, previewed and waiting for Publish or Cancel. `base_version` is the
-- version it was compared with: once another version is published, the preview is stale.
CREATE TABLE content_drafts (
    id               INTEGER PRIMARY KEY,
    admin_id         INTEGER NOT NULL,
    base_version     INTEGER NOT NULL,
    version          INTEGER NOT NULL,
    text             TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'draft'
                     CHECK (status IN ('draft', 'published', 'cancelled')),
    created_at       TEXT NOT NULL
);
