"""Opinion groups for 100,000 synthetic respondents who submitted: `python -m bot stats
--groups` (what /stats groups runs in a child process), timed from its start to its answer,
with its peak memory; and the grouping alone (PCA, k-means for k = 2–5, the silhouette)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.synthetic import build

RESPONDENTS = 100_000

# The grouping alone, in a child process of its own: its peak memory is the grouping's.
CHILD = """
import json, sys, time
from bench.memory import own_peak_mb
from pathlib import Path
from bot.content import load_content
from bot.opinion import opinion_groups
from bot.storage.reports import export_connection
connection = export_connection(Path(sys.argv[1]), lambda utc: utc)
started = time.perf_counter()
matrix, groups = opinion_groups(connection, load_content())
print(json.dumps({"seconds": time.perf_counter() - started,
                  "respondents": groups.respondents if groups else 0,
                  "k": groups.k if groups else 0,
                  "peak_mb": own_peak_mb()}))
"""


def run(respondents: int = RESPONDENTS) -> dict[str, Any]:
    """Build the database (everyone submitted), then time both."""
    with tempfile.TemporaryDirectory() as folder:
        database = build(Path(folder) / "groups.sqlite3", respondents)
        with sqlite3.connect(database) as db:
            db.execute("UPDATE respondents SET completed_at = started_at")
        db.close()
        alone = json.loads(
            subprocess.run(
                [sys.executable, "-c", CHILD, str(database)],
                capture_output=True, text=True, check=True,
            ).stdout.strip().splitlines()[-1]
        )  # fmt: skip
        started = time.perf_counter()
        command = subprocess.run(
            [sys.executable, "-m", "bot", "stats", "--groups", "--db", str(database)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        command_s = time.perf_counter() - started
    assert alone["respondents"] == respondents, alone
    return {
        "groups_respondents": alone["respondents"],
        "groups_k": alone["k"],
        "groups_s": round(alone["seconds"], 2),
        "groups_peak_mb": round(alone["peak_mb"], 1),
        "groups_command_s": round(command_s, 2),
        "groups_command_lines": len(command.stdout.splitlines()),
    }
