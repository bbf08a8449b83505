"""The anchors `updates_ratio` and `one_commit_ratio` are measured against do what they say.

The one-commit handler (`walk(..., commit=True)`) is the floor of a bot that stores what it is
told: it writes one row per update and commits it, no more and no less, leaves it in the file,
and makes the same Bot API calls as the bare same-calls handler, which writes nothing.
"""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

import bench.updates
from bench.ratio import median_ratio
from bench.scale import recording
from bench.updates import FIRST_USER, journey, walk
from bot.fakeapi import FakeBotApi

RESPONDENTS = 3


def _journeys() -> list[list[tuple[str, str]]]:
    """The updates `walk` sends for RESPONDENTS, per respondent (seed 1, drawn as walk does)."""
    rng = random.Random(1)
    return [journey(FIRST_USER + n, rng) for n in range(RESPONDENTS)]


UPDATES = sum(len(steps) for steps in _journeys())
TAPS = sum(kind == "tap" for steps in _journeys() for kind, _ in steps)


def _users(path: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT user_id, step FROM users ORDER BY user_id").fetchall()


def _user_writes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.startswith(("INSERT INTO users", "UPDATE users"))]


async def _walked(
    path: Path, monkeypatch: pytest.MonkeyPatch, **handler: bool
) -> tuple[list[str], Counter[str]]:
    """The statements one walk sent to SQLite and the Bot API methods it called, by count."""
    apis: list[FakeBotApi] = []

    def recorded() -> FakeBotApi:
        api = FakeBotApi()
        apis.append(api)
        return api

    monkeypatch.setattr(bench.updates, "FakeBotApi", recorded)
    with recording() as statements:
        figures = await walk(path, RESPONDENTS, **handler)
    assert figures["updates"] == UPDATES
    return statements, Counter(call.method for api in apis for call in api.calls)


async def test_the_one_commit_handler_writes_one_row_per_update_and_makes_the_same_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare, bare_calls = await _walked(tmp_path / "bare.sqlite3", monkeypatch, bare=True, calls=True)
    floor, floor_calls = await _walked(
        tmp_path / "floor.sqlite3", monkeypatch, bare=True, calls=True, commit=True
    )

    assert _user_writes(bare) == []
    assert _users(tmp_path / "bare.sqlite3") == []
    written = _user_writes(floor)
    assert len(written) == UPDATES
    assert sum(s.startswith("INSERT INTO users") for s in written) == RESPONDENTS
    assert floor.count("COMMIT") - bare.count("COMMIT") == UPDATES  # start-up's the same
    assert _users(tmp_path / "floor.sqlite3") == [
        (FIRST_USER + n, "lang") for n in range(RESPONDENTS)
    ]
    assert floor_calls == bare_calls
    assert bare_calls["answerCallbackQuery"] == TAPS
    assert bare_calls["editMessageReplyMarkup"] == TAPS
    assert bare_calls["sendMessage"] == UPDATES


def test_the_ratios_take_the_figures_they_name() -> None:
    """(bot, bare, one commit) per round: each ratio is the median of its rounds' quotients."""
    rounds = [(1.0, 4.0, 2.0), (3.0, 4.0, 4.0), (2.0, 5.0, 4.0)]
    assert median_ratio(rounds) == 0.4  # bot ÷ bare: 0.25, 0.75, 0.4
    assert median_ratio(rounds, part=2, whole=1) == 0.8  # one commit ÷ bare: 0.5, 1.0, 0.8
    assert median_ratio(rounds, part=0, whole=2) == 0.5  # bot ÷ one commit: 0.5, 0.75, 0.5
