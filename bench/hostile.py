"""The comment path under hostile text: the worst time of one update through the real Application
(process_update, the offline Bot API, a real SQLite file) when a respondent sends texts built to
be slow as comment parts, edits an earlier part into them, or floods one comment with parts.

Everything runs three times, each text with new respondents; an update's time is the median of
its three, and the worst and median are taken over those."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import sqlite3
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application

from bench.updates import Crowd, journey
from bot.app import build_application, running
from bot.config import Settings
from bot.content import load_content
from bot.fakeapi import FakeBotApi

FIRST_USER = 950_000_000
PARTS = 100  # consecutive parts sent to one comment
ROUNDS = 3  # of everything, each update timed once a round
MIXED = "Бұл good идея, ok қазақ 你好 Жок@www.kz "  # Cyrillic, Latin, Han, an address
# A Russian comment part: both the keyboard-Kazakh model and langdetect read it.
PART = ("Нужно больше поддержки молодым предпринимателям в регионах. " * 70)[:4000]


def hostile_texts() -> dict[str, str]:
    """The adversarial texts by name: runs without a space, floods of short words, mixed
    scripts, emoji; a Telegram message holds 4,096 characters, a joined comment more."""
    return {
        '"@" × 4,096': "@" * 4096,
        '"a@" × 2,048': "a@" * 2048,
        '"x" × 4,096': "x" * 4096,
        '"ab.c@" × 820': "ab.c@" * 820,
        '"http://" and 4,090 "a"': "http://" + "a" * 4090,
        '"www." × 1,024': "www." * 1024,
        '"/" × 4,096': "/" * 4096,
        '"қ" × 4,096': "қ" * 4096,
        '"a@b." × 1,024': "a@b." * 1024,
        "4,096 characters of short words": ("a и ә " * 683)[:4096],
        "4,096 characters mixing scripts": (MIXED * 110)[:4096],
        "4,096 emoji": "👍" * 4096,
        '40,000 characters, "@" × 40,000': "@" * 40_000,
        "40,000 characters of Kazakh typed on a Russian keyboard": (
            "Бул жаксы идея, бирак каржы жок. " * 1300
        )[:40_000],
    }


class _Errors(logging.Handler):
    """Counts what reached an error log: an update that failed is no measurement."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _edited(raw: dict[str, Any], message_id: int) -> dict[str, Any]:
    """The message update `raw` turned into an edit of the earlier message `message_id`."""
    message = {**raw["message"], "message_id": message_id, "edit_date": 1}
    return {"update_id": raw["update_id"], "edited_message": message}


class _Respondent:
    """One respondent of the run, walked to a step and then timed update by update."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        crowd: Crowd,
        user_id: int,
    ) -> None:
        self.application = application
        self.crowd = crowd
        self.user_id = user_id

    async def feed(self, raw: dict[str, Any]) -> float:
        """Process one raw update; return how long process_update took (ms)."""
        update = Update.de_json(raw, self.application.bot)
        begin = time.perf_counter()
        await self.application.process_update(update)
        return 1000 * (time.perf_counter() - begin)

    async def walk_to(self, step: str, database: Path) -> None:
        """Take the journey of bench/updates.py up to "s1" (the first stance) or "m1" (its
        comment), and check the bot is there."""
        steps = journey(self.user_id, random.Random(self.user_id))
        stance = next(n for n, (_, value) in enumerate(steps) if value.startswith("c:s1:"))
        for kind, value in steps[: stance + (step == "m1")]:
            await self.feed(self.crowd.update(self.user_id, kind, value))
        with sqlite3.connect(database) as connection:
            row = connection.execute(
                "SELECT step FROM users WHERE user_id = ?", (self.user_id,)
            ).fetchone()
        connection.close()
        if row is None or row[0] != step:
            raise RuntimeError(f"the respondent reached {row}, not {step}")

    async def send(self, text: str) -> tuple[int, float]:
        """Send `text` as a message; return its message id and the time it took (ms)."""
        raw = self.crowd.update(self.user_id, "text", text)
        return raw["message"]["message_id"], await self.feed(raw)

    async def edit(self, message_id: int, text: str) -> float:
        """Edit the earlier message `message_id` into `text`; return the time it took (ms)."""
        return await self.feed(_edited(self.crowd.update(self.user_id, "text", text), message_id))


async def measure(database: Path) -> dict[str, Any]:
    """Time every hostile text on every comment path, and a flood of parts on one comment."""
    settings = Settings(_env_file=None, db=database)  # type: ignore[call-arg]
    application = build_application(
        settings, load_content(), request=FakeBotApi(), get_updates_request=FakeBotApi(),
        rate_limited=False,
    )  # fmt: skip
    crowd = Crowd()
    users = itertools.count(FIRST_USER)
    rounds: dict[str, list[float]] = defaultdict(list)
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    try:
        async with running(application):
            for _ in range(ROUNDS):
                for name, text in hostile_texts().items():
                    early = _Respondent(application, crowd, next(users))
                    await early.walk_to("s1", database)
                    rounds[f"{name}, sent before the stance (s1)"].append(
                        (await early.send(text))[1]
                    )
                    person = _Respondent(application, crowd, next(users))
                    await person.walk_to("m1", database)
                    first, _ = await person.send("A first remark, to be edited.")
                    rounds[f"{name}, sent as a comment part (m1)"].append(
                        (await person.send(text))[1]
                    )
                    rounds[f"{name}, an earlier part edited into it (m1)"].append(
                        await person.edit(first, text)
                    )
                flooder = _Respondent(application, crowd, next(users))
                await flooder.walk_to("m1", database)
                for number in range(1, PARTS + 1):
                    rounds[f"part {number} of {PARTS} of 4,000 characters"].append(
                        (await flooder.send(PART))[1]
                    )
    finally:
        logging.getLogger().removeHandler(errors)
    # One update's time is the median of its rounds: what the input costs, not a hiccup of
    # the machine (a garbage collection, another process) that happened to fall on it.
    timings = {label: statistics.median(times) for label, times in rounds.items()}
    parts = [took for label, took in timings.items() if label.startswith("part ")]
    worst = max(timings, key=timings.__getitem__)
    return {
        "hostile_worst_ms": round(timings[worst], 2),
        "hostile_median_ms": round(statistics.median(timings.values()), 2),
        "hostile_worst_input": worst,
        "hostile_updates": sum(map(len, rounds.values())),
        "hostile_parts_worst_ms": round(max(parts), 2),
        "hostile_last_parts_ms": round(max(parts[-10:]), 2),
        "hostile_slowest_call_ms": round(max(map(max, rounds.values())), 2),
        "hostile_errors": errors.count,
    }


def run() -> dict[str, Any]:
    """Measure the comment path under hostile text on a fresh database."""
    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(measure(Path(folder) / "hostile.sqlite3"))
