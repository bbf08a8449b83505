-- 008: rounds, as a Delphi study has them. Round 1 is the first publication; `/round start`
-- opens the next one. Answers are kept per round: round 2 never overwrites round 1.

CREATE TABLE rounds (
    number           INTEGER PRIMARY KEY,       -- 1, 2, ...
    content_version  INTEGER,                   -- the version it opened on (NULL: round 1)
    started_at       TEXT NOT NULL,
    started_by       INTEGER,                   -- NULL: round 1
    closed_at        TEXT,                      -- answers are no longer accepted
    closed_by        INTEGER
);

INSERT INTO rounds (number, started_at)
SELECT 1, coalesce((SELECT min(created_at) FROM users),
                   strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'));

-- The round a person's step belongs to: their answers are written to it. A newcomer joins the
-- current round; a returning respondent moves to it when they take up its invitation.
ALTER TABLE users ADD COLUMN round INTEGER NOT NULL DEFAULT 1;

-- A returning respondent's part in a round after the first: invited, started, submitted.
-- (A newcomer's is their respondents row, as in round 1.)
CREATE TABLE round_entries (
    respondent_id    INTEGER NOT NULL REFERENCES respondents (id) ON DELETE CASCADE,
    round            INTEGER NOT NULL,
    invited_at       TEXT,                      -- NULL: came back unasked (no news wanted)
    started_at       TEXT,
    completed_at     TEXT,                      -- the first submit of the round, set once
    revised_at       TEXT,                      -- the last change after that submit
    PRIMARY KEY (respondent_id, round)
) WITHOUT ROWID;

-- Answers gain their round: the key becomes (respondent, round, item).
CREATE TABLE answers_by_round (
    respondent_id    INTEGER NOT NULL REFERENCES respondents (id) ON DELETE CASCADE,
    round            INTEGER NOT NULL DEFAULT 1,
    item             TEXT NOT NULL,
    content_version  INTEGER NOT NULL,
    stance           INTEGER CHECK (stance BETWEEN 1 AND 5),
    choices          TEXT,
    comment          TEXT,
    comment_language TEXT,
    voice_duration   INTEGER,
    reached_at       TEXT NOT NULL,
    answered_at      TEXT,
    revised          INTEGER NOT NULL DEFAULT 0,
    voice_count      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (respondent_id, round, item)
) WITHOUT ROWID;

INSERT INTO answers_by_round (respondent_id, round, item, content_version, stance, choices,
                              comment, comment_language, voice_duration, reached_at,
                              answered_at, revised, voice_count)
SELECT respondent_id, 1, item, content_version, stance, choices, comment, comment_language,
       voice_duration, reached_at, answered_at, revised, voice_count
FROM answers;

DROP TABLE answers;
ALTER TABLE answers_by_round RENAME TO answers;

-- The feedback screen and rounds.csv count a round's stances per item.
CREATE INDEX answers_round ON answers (round, item, stance);

ALTER TABLE comment_parts ADD COLUMN round INTEGER NOT NULL DEFAULT 1;
DROP INDEX comment_parts_item;
CREATE INDEX comment_parts_item ON comment_parts (respondent_id, round, item);

ALTER TABLE voice_notes ADD COLUMN round INTEGER NOT NULL DEFAULT 1;
DROP INDEX voice_notes_item;
CREATE INDEX voice_notes_item ON voice_notes (respondent_id, round, item);

-- Invitations to a round go through the outbox too: a new kind, so the table is rebuilt with
-- the wider CHECK (SQLite cannot alter one).
CREATE TABLE outbox_kinds (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('reminder', 'broadcast', 'invitation')),
    batch           INTEGER,                    -- the broadcast, or the round invited to
    user_id         INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    chat_id         INTEGER NOT NULL,
    payload         TEXT NOT NULL,
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

INSERT INTO outbox_kinds SELECT id, kind, batch, user_id, chat_id, payload, status, attempts,
                                next_at, last_error, sent_message_id, created_at, sent_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_kinds RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, next_at);
CREATE INDEX outbox_batch ON outbox (kind, batch, status);
