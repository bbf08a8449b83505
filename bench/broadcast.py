"""The broadcast pipeline: the real Application with its JobQueue ticking the outbox pump, a
fake Bot API answering after 40 ms, 1% of recipients who blocked the bot and one 429."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.app import build_application, running
from bot.config import Settings
from bot.content import load_content
from bot.fakeapi import FakeBotApi, Fault

LATENCY = 0.040
FAST = (10_000, 200.0)  # recipients, configured rate: the ratio, quickly
PRODUCTION = (1_000, 25.0)  # the windows at 25/s, through PTB's AIORateLimiter as in production
RETRY_AFTER = 2
FIRST_USER = 800_000_000


def _people(database: Path, count: int) -> None:
    """Respondents who asked for news; every hundredth one blocked the bot (Telegram knows)."""
    moment = "2026-11-01T10:00:00+00:00"
    with sqlite3.connect(database) as connection:
        connection.executemany(
            "INSERT INTO users (user_id, chat_id, language, status, created_at, last_activity_at)"
            " VALUES (?, ?, 'ru', 'submitted', ?, ?)",
            [(FIRST_USER + i, FIRST_USER + i, moment, moment) for i in range(count)],
        )
        connection.executemany(
            "INSERT INTO respondents (user_id, consented_at, consent_version, wants_news,"
            " started_at) VALUES (?, ?, 1, 1, ?)",
            [(FIRST_USER + i, moment, moment) for i in range(count)],
        )
    connection.close()


async def _queued(repo: Any, number: int) -> int:
    counts = await repo.batch_counts(number)
    return int(counts.get("pending", 0) + counts.get("sending", 0))


async def _run(count: int, rate: float, *, limited: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(db=Path(folder) / "bench.sqlite3", export_dir=Path(folder) / "x")
        settings.broadcast_rate = rate  # above the 30/s a deployment may set: a bench figure
        api = FakeBotApi(latency=LATENCY)
        for i in range(0, count, 100):
            api.chat_faults[FIRST_USER + i] = Fault(403, "Forbidden: bot was blocked by the user")
        app = build_application(
            settings, load_content(None), request=api, get_updates_request=FakeBotApi(),
            rate_limited=limited,
        )  # fmt: skip
        async with running(app):
            services = app.bot_data["services"]
            _people(settings.db, count)
            repo = services.repo
            async with repo.transaction():
                number = await repo.open_draft(1, 1, now=services.clock())
                await repo.update_draft(
                    number, step="preview", draft={"mode": "all", "texts": {"all": "News"}},
                    audience="all",
                )  # fmt: skip
                await repo.start_broadcast(number, "all", now=services.clock())
            await app.start()  # the JobQueue ticks the pump every second from here

            async def one_429() -> None:
                await asyncio.sleep(count / rate / 3)
                api.method_faults["sendMessage"] = Fault(
                    429, f"Too Many Requests: retry after {RETRY_AFTER}",
                    retry_after=RETRY_AFTER, times=1,
                )  # fmt: skip

            started = time.perf_counter()
            injector = asyncio.create_task(one_429())
            while await _queued(repo, number):  # noqa: ASYNC110 - polling the database
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - started
            started = time.monotonic() - elapsed  # FakeBotApi stamps calls with time.monotonic
            await injector
            await app.stop()
            counts = await repo.batch_counts(number)
    to_people = [
        c for c in api.calls if c.method == "sendMessage" and c.params["chat_id"] >= FIRST_USER
    ]  # not the admin's progress messages
    sends = sorted(c.at for c in to_people)
    delivered = [c.params["chat_id"] for c in to_people if "_fault" not in c.params]
    span = sends[-1] - sends[0]
    busiest = 0
    right = 0
    for left, moment in enumerate(sends):  # the most sends in any one-second window
        while right < len(sends) and sends[right] < moment + 1.0:
            right += 1
        busiest = max(busiest, right - left)
    blocked = count // 100
    return {
        "elapsed": elapsed,
        "attempts": len(sends),
        "delivered": len(delivered),
        "unique": len(set(delivered)),
        "expected": count - blocked,
        "counts": counts,
        "busiest": busiest,
        "first_send": sends[0] - started,
        "ratio": (len(sends) - 1) / span / rate,
        "ratio_without_pause": (len(sends) - 1) / (span - RETRY_AFTER) / rate,
    }


def run() -> dict[str, Any]:
    """Both runs; return the figures."""
    fast = asyncio.run(_run(*FAST, limited=False))
    production = asyncio.run(_run(*PRODUCTION, limited=True))
    return {
        "broadcast_rate_ratio": round(fast["ratio"], 3),
        "broadcast_rate_ratio_without_pause": round(fast["ratio_without_pause"], 3),
        "broadcast_recipients": FAST[0],
        "broadcast_configured_rate": FAST[1],
        "broadcast_seconds": round(fast["elapsed"], 1),
        "broadcast_delivered_once": fast["delivered"] == fast["unique"] == fast["expected"],
        "broadcast_blocked": fast["counts"].get("blocked", 0),
        "broadcast_busiest_second": fast["busiest"],
        "broadcast_25_recipients": PRODUCTION[0],
        "broadcast_25_busiest_second": production["busiest"],
        "broadcast_25_ratio": round(production["ratio"], 3),
        "broadcast_25_ratio_without_pause": round(production["ratio_without_pause"], 3),
        "broadcast_25_delivered_once": (
            production["delivered"] == production["unique"] == production["expected"]
        ),
    }
