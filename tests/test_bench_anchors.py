"""The anchors `updates_ratio` and `one_commit_ratio` are measured against do what they say.

The one-commit handler (`walk(..., commit=True)`) is the floor of a bot that stores what it is
told: it writes one row per update and commits it, no more and no less, and leaves it in the
file; the bare same-calls handler writes nothing.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from bench.scale import recording
from bench.updates import FIRST_USER, journey, walk

RESPONDENTS = 3


def _updates(respondents: int) -> int:
    """How many updates `walk` sends for that many respondents (seed 1, drawn as walk does)."""
    rng = random.Random(1)
    return sum(len(journey(FIRST_USER + n, rng)) for n in range(respondents))


def _users(path: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT user_id, step FROM users ORDER BY user_id").fetchall()


def _user_writes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.startswith(("INSERT INTO users", "UPDATE users"))]


async def test_the_one_commit_handler_writes_and_commits_one_row_per_update_the_bare_none(
    tmp_path: Path,
) -> None:
    with recording() as bare:
        await walk(tmp_path / "bare.sqlite3", RESPONDENTS, bare=True, calls=True)
    with recording() as floor:
        figures = await walk(
            tmp_path / "floor.sqlite3", RESPONDENTS, bare=True, calls=True, commit=True
        )

    updates = _updates(RESPONDENTS)
    assert figures["updates"] == updates
    assert _user_writes(bare) == []
    assert _users(tmp_path / "bare.sqlite3") == []
    written = _user_writes(floor)
    assert len(written) == updates
    assert sum(s.startswith("INSERT INTO users") for s in written) == RESPONDENTS
    assert floor.count("COMMIT") - bare.count("COMMIT") == updates  # start-up's the same
    assert _users(tmp_path / "floor.sqlite3") == [
        (FIRST_USER + n, "lang") for n in range(RESPONDENTS)
    ]
