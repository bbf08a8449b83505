"""Copies of the database: an online, consistent one made while the bot writes, and the
erasure of withdrawn respondents from one, as /delete erases them from the database."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path


def backup(source: Path, target: Path) -> None:
    """Copy `source` to `target` with SQLite's backup API; the copy is owner-readable only."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_CREAT | os.O_WRONLY, 0o600))
    with (
        sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src,
        sqlite3.connect(partial) as dst,
    ):
        src.backup(dst)
    dst.close()
    src.close()
    partial.replace(target)


def erase_from_copy(path: Path, numbers: Iterable[int]) -> int:
    """Delete the respondents `numbers` from a copy of the database (a backup) as /delete does
    from the database; return how many it held.

    secure_delete overwrites the freed space with zeros, and the checkpoint brings that into
    the file itself: the person's bytes are gone from it, not only unreachable.
    """
    chosen = sorted(set(numbers))
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA secure_delete = ON")
        connection.execute("PRAGMA foreign_keys = ON")
        removed = 0
        for start in range(0, len(chosen), 500):  # SQLite's bound on parameters
            chunk = chosen[start : start + 500]
            marks = ",".join("?" * len(chunk))
            with connection:
                removed += connection.execute(
                    f"SELECT count(*) FROM respondents WHERE id IN ({marks})", chunk
                ).fetchone()[0]
                # The user's row takes the respondent's and every answer with it (cascade).
                connection.execute(
                    "DELETE FROM users WHERE user_id IN"
                    f" (SELECT user_id FROM respondents WHERE id IN ({marks}))",
                    chunk,
                )
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return removed
