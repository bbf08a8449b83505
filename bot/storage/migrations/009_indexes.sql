-- 009: the indexes a million respondents need (issue 17). Without them two queries that run
-- while respondents answer read a whole table on the bot's own connection, and every update
-- waits behind them. tests/test_indexes.py checks the plans, so neither can be lost unseen.

-- The reminder job (every 600 s) looks for those unfinished and idle, per reminder already
-- sent: one range per (status, reminders_sent), instead of every user. Counting people by
-- status (/stats) reads it too.
CREATE INDEX users_reminders ON users (status, reminders_sent, last_activity_at);

-- /delete erases the user, and the foreign key takes their outbox rows with them: without
-- this, each /delete reads the whole outbox (a broadcast to everyone adds a row per person).
CREATE INDEX outbox_user ON outbox (user_id);
