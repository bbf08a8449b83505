-- 005: every voice message of a comment kept, the language of each typed part, and the
-- withdrawals the team and the server-side packs have still to hear of.

-- Voice messages of a comment, in the order sent (message ids grow); several are common.
CREATE TABLE voice_notes (
    respondent_id    INTEGER NOT NULL REFERENCES respondents (id) ON DELETE CASCADE,
    item             TEXT NOT NULL,
    message_id       INTEGER NOT NULL,
    file_id          TEXT NOT NULL,
    unique_id        TEXT NOT NULL,
    duration         INTEGER NOT NULL DEFAULT 0,   -- seconds
    PRIMARY KEY (respondent_id, message_id)
) WITHOUT ROWID;

CREATE INDEX voice_notes_item ON voice_notes (respondent_id, item);

-- The one voice comment an answer could hold until now becomes the first of its list. Its
-- message is not known: a negative number of its own, before every real message id.
INSERT INTO voice_notes (respondent_id, item, message_id, file_id, unique_id, duration)
SELECT respondent_id, item, -row_number() OVER (PARTITION BY respondent_id ORDER BY item),
       voice_file_id, coalesce(voice_unique_id, ''), coalesce(voice_duration, 0)
FROM answers WHERE voice_file_id IS NOT NULL;

-- The answer keeps how many voice messages it has and their length in all (the screens show
-- them without a second query); the files themselves are listed in voice_notes.
ALTER TABLE answers ADD COLUMN voice_count INTEGER NOT NULL DEFAULT 0;
UPDATE answers SET voice_count = 1 WHERE voice_file_id IS NOT NULL;
ALTER TABLE answers DROP COLUMN voice_file_id;
ALTER TABLE answers DROP COLUMN voice_unique_id;

-- The language of each typed part, detected once, when it arrives or is edited: a new part
-- costs the detector that part only, and the comment's language is the one most of it is in.
ALTER TABLE comment_parts ADD COLUMN language TEXT;

-- A respondent who used /delete: only the pseudonymous number, until the team has been told
-- (one digest an hour) and the bot's own packs and backups on the server no longer hold them.
-- The row is removed once both are done.
CREATE TABLE withdrawals (
    respondent_id    INTEGER PRIMARY KEY,
    withdrawn_at     TEXT NOT NULL,
    told_at          TEXT,
    purged_at        TEXT
);
