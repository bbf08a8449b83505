"""An online, consistent copy of the database, safe while the bot writes."""

from __future__ import annotations

import os
import sqlite3
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
