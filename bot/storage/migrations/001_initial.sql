-- 001: people, their consent and profile, their answers.
-- Telegram ids live in `users` only; everything research-facing is keyed by the pseudonymous
-- `respondents.id`, which AUTOINCREMENT never hands out twice, even after a deletion.

CREATE TABLE users (
    user_id          INTEGER PRIMARY KEY,       -- Telegram user id; never leaves the database
    chat_id          INTEGER NOT NULL,
    language         TEXT CHECK (language IN ('kk', 'ru', 'en')),
    language_code    TEXT,                      -- Telegram's suggestion at first contact
    source           TEXT NOT NULL DEFAULT 'direct',
    status           TEXT NOT NULL DEFAULT 'new'
                     CHECK (status IN ('new', 'declined', 'in_progress', 'submitted')),
    step             TEXT NOT NULL DEFAULT 'lang',
    editing          INTEGER NOT NULL DEFAULT 0,  -- 1 while changing an answer from the review
    stopped          INTEGER NOT NULL DEFAULT 0,  -- /stop: no reminders, no news
    blocked          INTEGER NOT NULL DEFAULT 0,  -- Telegram answered 403: never write again
    created_at       TEXT NOT NULL,
    last_activity_at TEXT NOT NULL
);

CREATE TABLE respondents (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          INTEGER NOT NULL UNIQUE REFERENCES users (user_id) ON DELETE CASCADE,
    consented_at     TEXT NOT NULL,
    consent_version  INTEGER NOT NULL,
    may_quote        INTEGER,
    wants_news       INTEGER,
    stakeholder_group TEXT,
    region           TEXT,
    age_band         TEXT,
    gender           TEXT,
    started_at       TEXT NOT NULL,
    completed_at     TEXT,                      -- the first submit, set once
    revised_at       TEXT                       -- the last change after the first submit
);

-- One row per item the respondent reached; answered_at stays NULL until it is answered or skipped.
CREATE TABLE answers (
    respondent_id    INTEGER NOT NULL REFERENCES respondents (id) ON DELETE CASCADE,
    item             TEXT NOT NULL,             -- conclusion-3, sectors, markets, idea
    content_version  INTEGER NOT NULL,
    stance           INTEGER CHECK (stance BETWEEN 1 AND 5),
    choices          TEXT,                      -- option ids, ';'-separated
    comment          TEXT,                      -- the comment parts joined, verbatim
    comment_language TEXT,
    voice_file_id    TEXT,
    voice_unique_id  TEXT,
    voice_duration   INTEGER,
    reached_at       TEXT NOT NULL,
    answered_at      TEXT,
    revised          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (respondent_id, item)
) WITHOUT ROWID;

-- A comment typed in several messages; an edited message updates its part.
CREATE TABLE comment_parts (
    respondent_id    INTEGER NOT NULL REFERENCES respondents (id) ON DELETE CASCADE,
    item             TEXT NOT NULL,
    message_id       INTEGER NOT NULL,
    text             TEXT NOT NULL,
    PRIMARY KEY (respondent_id, message_id)
) WITHOUT ROWID;

CREATE INDEX comment_parts_item ON comment_parts (respondent_id, item);

-- Recruitment sources that deep links may name (t.me/<bot>?start=<code>).
CREATE TABLE sources (
    code             TEXT PRIMARY KEY,
    label            TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL
);
