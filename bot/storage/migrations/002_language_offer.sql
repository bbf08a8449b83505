-- 002: whether the respondent was already asked about switching to the language they write in.
ALTER TABLE users ADD COLUMN language_checked INTEGER NOT NULL DEFAULT 0;
