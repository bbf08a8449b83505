-- 004: running the consultation from Telegram: roles, team chats, broadcasts, the audit log,
-- and whether the consultation is open.

-- Admins added by an owner (owners are BOT_ADMINS, from the environment).
CREATE TABLE admins (
    user_id          INTEGER PRIMARY KEY,
    added_by         INTEGER NOT NULL,
    added_at         TEXT NOT NULL
);

-- Chats that receive raw data. BOT_TEAM_CHATS seed it once; a removed chat stays removed
-- (active = 0) even though the environment still names it.
CREATE TABLE team_chats (
    chat_id          INTEGER PRIMARY KEY,
    active           INTEGER NOT NULL DEFAULT 1,
    added_by         INTEGER,                   -- NULL: from BOT_TEAM_CHATS
    added_at         TEXT NOT NULL
);

-- One broadcast: the admin's draft, then its sending. Its recipients are outbox rows with
-- batch = id; their payload names only their language, the texts live here.
CREATE TABLE broadcasts (
    id               INTEGER PRIMARY KEY,
    admin_id         INTEGER NOT NULL,
    admin_chat       INTEGER NOT NULL,
    step             TEXT NOT NULL,             -- where the draft is: mode, text-kk, media, ...
    draft            TEXT NOT NULL,             -- JSON: texts per language or "all", media
    audience         TEXT,                      -- all, language:kk, group:<id>, submitted, ...
    status           TEXT NOT NULL DEFAULT 'draft'
                     CHECK (status IN ('draft', 'sending', 'done', 'cancelled')),
    total            INTEGER NOT NULL DEFAULT 0,
    progress_message INTEGER,                   -- the admin's message edited as it goes
    progress_text    TEXT,
    created_at       TEXT NOT NULL,
    started_at       TEXT,
    finished_at      TEXT
);

CREATE INDEX outbox_batch ON outbox (batch, status);

-- Every admin action: broadcasts, role changes, exports, opening and closing.
CREATE TABLE audit (
    id               INTEGER PRIMARY KEY,
    at               TEXT NOT NULL,
    actor            INTEGER NOT NULL,
    action           TEXT NOT NULL,
    detail           TEXT NOT NULL DEFAULT ''
);

-- Switches the admins set from Telegram: consultation = open | closed.
CREATE TABLE switches (
    name             TEXT PRIMARY KEY,
    value            TEXT NOT NULL
);
