-- 006: recruitment sources are retired, never deleted: people already recorded keep their
-- source, and a retired code is no longer accepted from a new deep link.
ALTER TABLE sources ADD COLUMN retired_at TEXT;
