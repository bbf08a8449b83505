"""Updates per second and latency: simulated respondents walking the whole journey, interleaved,
through the real Application (process_update), the offline Bot API and a real SQLite file."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bench.memory import rss_mb
from bot.app import build_application, running
from bot.config import Settings
from bot.content import load_content
from bot.fakeapi import FakeBotApi
from bot.storage.repository import Repository

RESPONDENTS = 1_000
CONTENT = load_content()  # the bundled file: as many conclusions as it has
FIRST_USER = 900_000_000


def journey(user_id: int, rng: random.Random) -> list[tuple[str, str]]:
    """The updates one respondent sends: ("text" | "tap", value)."""
    steps: list[tuple[str, str]] = [
        ("text", "/start"),
        ("tap", "c:lang:" + rng.choice(["kk", "ru", "en"])),
    ]
    steps += [("tap", "c:age:y"), ("tap", "c:cons:y"), ("tap", "c:quote:y"), ("tap", "c:news:n")]
    steps += [("tap", "c:grp:student"), ("tap", "c:reg:almaty"), ("tap", "c:ageb:18-24")]
    steps.append(("tap", "c:gen:_pns"))
    for number in range(1, len(CONTENT.conclusions) + 1):
        steps.append(("tap", f"c:s{number}:{rng.randint(1, 5)}"))
        if rng.random() < 0.3:
            steps.append(("text", "Creative industries need more support in the regions."))
            steps.append(("tap", f"c:m{number}:_done"))
        else:
            steps.append(("tap", f"c:m{number}:_none"))
    steps += [("tap", "c:sec:music:1"), ("tap", "c:sec:design-fashion:1"), ("tap", "c:sec:_done")]
    steps += [("tap", "c:mkt:china:1"), ("tap", "c:mkt:_done"), ("tap", "c:idea:_none")]
    steps.append(("tap", "c:rev:_submit"))
    return steps


class Crowd:
    """Builds raw updates for many users."""

    def __init__(self) -> None:
        self.ids = itertools.count(1)

    def update(self, user_id: int, kind: str, value: str) -> dict[str, Any]:
        user = {"id": user_id, "is_bot": False, "first_name": "R", "language_code": "ru"}
        chat = {"id": user_id, "type": "private"}
        number = next(self.ids)
        if kind == "text":
            message: dict[str, Any] = {
                "message_id": number,
                "date": 0,
                "chat": chat,
                "from": user,
                "text": value,
            }
            if value.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(value)}]
            return {"update_id": number, "message": message}
        return {
            "update_id": number,
            "callback_query": {
                "id": str(number), "from": user, "chat_instance": "b", "data": value,
                "message": {"message_id": 1, "date": 0, "chat": chat, "text": "…"},
            },
        }  # fmt: skip


async def walk(
    database: Path,
    respondents: int,
    *,
    seed: int = 1,
    bare: bool = False,
    calls: bool = False,
    commit: bool = False,
) -> dict[str, float]:
    """Run the interleaved journeys; return throughput and latency figures.

    `bare`: a bare handler instead of the bot's; `calls`: it makes the three Bot API calls a tap
    makes; `commit`: before them it writes one row the repository's way (the user's step, in a
    transaction of its own, committed), the least a bot that keeps what it was told must do.
    """
    settings = Settings(_env_file=None, db=database)  # type: ignore[call-arg]
    application = build_application(
        settings, CONTENT, request=FakeBotApi(), get_updates_request=FakeBotApi(),
        rate_limited=False,
    )  # fmt: skip
    if bare:
        application.handlers.clear()

        services = application.bot_data["services"]
        seen: set[int] = set()

        async def reply(update: Update, context: Any) -> None:
            if commit:
                assert update.effective_user is not None
                await write_step(services.repo, update.effective_user.id, seen)
            query = update.callback_query
            if calls and query is not None:  # the three calls a tap of the journey makes
                await query.answer()
                await query.edit_message_reply_markup(None)
            await context.bot.send_message(update.effective_chat.id, "ok")

        application.add_handler(MessageHandler(filters.ALL, reply))
        application.add_handler(CallbackQueryHandler(reply))
    rng = random.Random(seed)
    crowd = Crowd()
    queues = {FIRST_USER + n: journey(FIRST_USER + n, rng) for n in range(respondents)}
    order: list[int] = []
    for user_id, steps in queues.items():
        order += [user_id] * len(steps)
    rng.shuffle(order)
    cursor = dict.fromkeys(queues, 0)
    latencies: list[float] = []
    async with running(application):
        started = time.perf_counter()
        for user_id in order:
            kind, value = queues[user_id][cursor[user_id]]
            cursor[user_id] += 1
            update = Update.de_json(crowd.update(user_id, kind, value), application.bot)
            begin = time.perf_counter()
            await application.process_update(update)
            latencies.append(time.perf_counter() - begin)
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "updates": len(latencies),
        "updates_per_s": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * len(latencies)) - 1],
        "max_ms": 1000 * latencies[-1],
    }


async def write_step(repo: Repository, user_id: int, seen: set[int]) -> None:
    """One statement and its commit: the user's row added, then their step moved."""
    now = datetime.now(UTC)
    async with repo.transaction():
        if user_id in seen:
            await repo.set_step(user_id, "lang", now=now)
        else:
            await repo.add_user(
                user_id=user_id, chat_id=user_id, language_code="ru", source="direct", now=now
            )
            seen.add(user_id)


def run() -> dict[str, Any]:
    """Updates alone, the bare framework for comparison, and updates while a 100k export runs."""
    from bench.ratio import median_ratio, paired  # noqa: PLC0415 - it imports this module
    from bench.synthetic import build  # noqa: PLC0415 - pulls in the export's heavy libraries

    with tempfile.TemporaryDirectory() as folder:
        alone = asyncio.run(walk(Path(folder) / "alone.sqlite3", RESPONDENTS))
        after_run_mb = rss_mb(os.getpid())
        bare = asyncio.run(walk(Path(folder) / "bare.sqlite3", RESPONDENTS, bare=True))
        same_calls = asyncio.run(
            walk(Path(folder) / "calls.sqlite3", RESPONDENTS, bare=True, calls=True)
        )
        pairs = paired()
        database = build(Path(folder) / "busy.sqlite3", 100_000)
        export = subprocess.Popen(
            [sys.executable, "-m", "bot", "export", "--out", str(Path(folder) / "pack")],
            env={**os.environ, "BOT_DB": str(database)},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(1.5)  # let it start reading
        during = asyncio.run(walk(database, 300, seed=2))
        still_running = export.poll() is None
        export.wait()
    return {
        "updates_per_s": round(alone["updates_per_s"], 1),
        "p50_ms": round(alone["p50_ms"], 2),
        "p99_ms": round(alone["p99_ms"], 2),
        "max_ms": round(alone["max_ms"], 2),
        "updates_measured": alone["updates"],
        "rss_after_run_mb": round(after_run_mb, 1),
        "bare_updates_per_s": round(bare["updates_per_s"], 1),
        "cost_ratio": round(bare["updates_per_s"] / alone["updates_per_s"], 2),
        "bare_same_calls_per_s": round(same_calls["updates_per_s"], 1),
        # The median of alternating rounds (bench.ratio): one round swings with the machine.
        "updates_ratio": round(median_ratio(pairs), 3),
        "updates_ratio_pairs": [round(bot / bare, 3) for bot, bare, _ in pairs],
        # What one write and its commit alone leave of the bare figure: the ceiling of
        # `updates_ratio` for any bot that stores an answer before it replies (bench/NOTES.md).
        "one_commit_ratio": round(median_ratio(pairs, part=2, whole=1), 3),
        "one_commit_ratio_pairs": [round(floor / bare, 3) for _, bare, floor in pairs],
        "updates_ratio_to_one_commit": round(median_ratio(pairs, part=0, whole=2), 3),
        "p99_during_export_ms": round(during["p99_ms"], 2),
        "updates_during_export": during["updates"],
        "export_still_running_at_end": still_running,
    }
