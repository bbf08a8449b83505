"""Rounds: the feedback screen a returning respondent sees (the shares of 100,000 earlier answers
and their own), and the invitations of a round queued for 10,000 people.

A synthetic database of 16,667 respondents who answered the six conclusions (100,002 stances)
in round 1, 10,000 of them submitted and asked for news. `open_round` is timed as /round start
runs it (one transaction: the round, the carried-over, the entries, the outbox rows). Then
1,000 of the invited take up the round, and each one's first screen is built as the bot builds
it: their record read, the feedback (the round's shares, counted once per round, and their own
earlier answers), the screen rendered. Last, the same taps through the real Application, for
the whole update's cost.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from telegram import Update

from bench import synthetic
from bot.app import build_application, running
from bot.config import Settings
from bot.content import LANGUAGES, load_content
from bot.fakeapi import FakeBotApi
from bot.handlers.rounds import invitation
from bot.handlers.steps import screen
from bot.handlers.views import Views
from bot.services import Services

RESPONDENTS = 16_667  # × 6 conclusions: 100,002 stances in round 1
INVITEES = 10_000
SCREENS = 1_000
FIRST_USER = 10_000_001  # bench.synthetic's first user id


def run() -> dict[str, Any]:
    """Build the database, measure, report."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rounds.sqlite3"
        synthetic.build(path, RESPONDENTS)
        with sqlite3.connect(path) as db:
            db.execute(
                "UPDATE respondents SET wants_news = (id <= ?),"
                " completed_at = CASE WHEN id <= ? THEN started_at ELSE completed_at END",
                (INVITEES, INVITEES),
            )
            (stances,) = db.execute(
                "SELECT count(*) FROM answers WHERE round = 1 AND stance IS NOT NULL"
            ).fetchone()
        db.close()
        return asyncio.run(_measure(path, int(stances)))


async def _measure(path: Path, stances: int) -> dict[str, Any]:
    settings = Settings(_env_file=None, db=path, admins=[1])  # type: ignore[call-arg]
    content = load_content()
    # Without PTB's rate limiter, as the updates benchmark: its 30 messages/s for the whole bot
    # would time Telegram's limit, not the bot.
    application = build_application(
        settings, content, request=FakeBotApi(), get_updates_request=FakeBotApi(),
        rate_limited=False,
    )  # fmt: skip
    async with running(application):
        services: Services = application.bot_data["services"]
        repo = services.repo
        payloads = {
            language: json.dumps(invitation(language, 2), ensure_ascii=False)
            for language in LANGUAGES
        }
        started = time.perf_counter()
        async with repo.transaction():
            invited = await repo.open_round(
                2, version=content.version, by=1, payloads=payloads, now=services.clock()
            )
        invite_s = time.perf_counter() - started
        services.round = await repo.current_round()
        users = [FIRST_USER + i for i in range(SCREENS)]
        async with repo.transaction():
            for user in users:
                participant = await repo.participant(user)
                assert participant is not None and participant.respondent_id is not None
                await repo.join_round(
                    user, participant.respondent_id, 2, step="s1", now=services.clock()
                )
        first_ms, times = 0.0, []
        for index, user in enumerate(users):
            started = time.perf_counter()
            participant = await repo.participant(user)
            assert participant is not None and participant.returning
            views = Views(services.content, services.journey_for(participant), participant)
            views.feedback = await services.feedback(participant)
            shown = screen(views, "s1", {})
            elapsed = (time.perf_counter() - started) * 1000
            assert "(n = " in shown.blocks[0]
            if index == 0:
                first_ms = elapsed  # the round's shares counted: the cache was empty
            else:
                times.append(elapsed)
        taps = await _taps(application, users)
    times.sort()
    taps.sort()
    return {
        "rounds_earlier_stances": stances,
        "rounds_invited": invited,
        "rounds_invite_s": round(invite_s, 3),
        "rounds_screen_ms": round(times[int(len(times) * 0.99)], 3),
        "rounds_screen_median_ms": round(statistics.median(times), 3),
        "rounds_shares_first_ms": round(first_ms, 2),
        "rounds_tap_median_ms": round(statistics.median(taps), 2),
        "rounds_tap_p99_ms": round(taps[int(len(taps) * 0.99)], 2),
    }


async def _taps(application: Any, users: list[int]) -> list[float]:
    """A stance tapped on the first conclusion by each, through `process_update`: stored, then
    the comment step sent (it compares with their round-1 answer)."""
    times = []
    for number, user in enumerate(users, start=1):
        person = {"id": user, "is_bot": False, "first_name": "B", "language_code": "ru"}
        chat = {"id": user, "type": "private", "first_name": "B"}
        raw = {
            "update_id": number,
            "callback_query": {
                "id": str(number),
                "from": person,
                "chat_instance": "b",
                "data": "c:s1:4",
                "message": {"message_id": 1, "date": 0, "chat": chat, "text": "…"},
            },
        }
        update = Update.de_json(raw, application.bot)
        started = time.perf_counter()
        await application.process_update(update)
        times.append((time.perf_counter() - started) * 1000)
    return times
