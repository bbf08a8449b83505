-- 003: reminders, the outbox every bulk message goes through, and scheduled runs.

ALTER TABLE users ADD COLUMN reminders_sent INTEGER NOT NULL DEFAULT 0;

-- One row per message to one person (a reminder, or one recipient of a broadcast). The pump
-- claims due rows ('sending'), sends, and records what Telegram said. A row still 'sending'
-- at start-up was in flight at a crash: it is marked 'unknown' and never sent again, so
-- nobody gets the same message twice.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('reminder', 'broadcast')),
    batch           INTEGER,                    -- the broadcast, for broadcasts
    user_id         INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    chat_id         INTEGER NOT NULL,
    payload         TEXT NOT NULL,              -- JSON: text, buttons
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'blocked', 'failed',
                                      'cancelled', 'unknown')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_at         TEXT NOT NULL,
    last_error      TEXT,
    sent_message_id INTEGER,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);

CREATE INDEX outbox_due ON outbox (status, next_at);

-- The last run of each scheduled job that must run once per occurrence (the weekly export).
CREATE TABLE job_runs (
    name            TEXT PRIMARY KEY,
    last_run_at     TEXT NOT NULL
);
