"""A round's invitations, queued for sixty people, the bot process killed with SIGKILL while it
sends them: after the restart everyone is invited, and nobody twice."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.handlers.rounds import invitation
from bot.storage.repository import Repository
from tests.test_run import Emulator, emulator, start_bot  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow  # a real bot process, killed and started again

INVITED = 60
FIRST = 8_100


async def _prepare(db: Path) -> None:
    """Sixty who submitted round 1 and want news; round 2 opened, its invitations queued."""
    repo = await Repository.open(db)
    now = datetime.now(UTC)
    try:
        async with repo.transaction():
            for user in range(FIRST, FIRST + INVITED):
                await repo.add_user(
                    user_id=user, chat_id=user, language_code="en", source="direct", now=now
                )
                await repo.set_language(user, ("kk", "ru", "en")[user % 3])
                number = await repo.consent(user, version=1, now=now)
                await repo.set_consent_choice(number, "wants_news", True)
                await repo.submit(user, number, round=1, returning=False, now=now)
            payloads = {
                language: json.dumps(invitation(language, 2), ensure_ascii=False)
                for language in ("kk", "ru", "en")
            }
            queued = await repo.open_round(2, version=3, by=1, payloads=payloads, now=now)
        assert queued == INVITED
    finally:
        await repo.close()


def _daytime_zone() -> str:
    """A time zone in which it is about noon now: quiet hours hold invitations back."""
    offset = (12 - datetime.now(UTC).hour) % 24
    offset = offset - 24 if offset > 12 else offset
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-5 is UTC+5


def _start(url: str, db: Path, log: Path) -> subprocess.Popen[bytes]:
    return start_bot(url, db, log, BOT_TIMEZONE=_daytime_zone(), BOT_BROADCAST_RATE="20")


def _invitations(state: Emulator) -> dict[int, int]:
    """How many invitations each chat received."""
    with state.lock:
        sent = list(state.sent)
    counts: dict[int, int] = {}
    for message in sent:
        markup = message.get("reply_markup") or "{}"
        if "c:round:2" in (markup if isinstance(markup, str) else json.dumps(markup)):
            chat = int(message["chat_id"])
            counts[chat] = counts.get(chat, 0) + 1
    return counts


def _statuses(db: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT status, count(*) FROM outbox WHERE kind = 'invitation' GROUP BY status"
        ).fetchall()
    connection.close()
    return {str(status): int(count) for status, count in rows}


def _wait(condition: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the bot did not get there"
        time.sleep(0.05)


def test_sigkill_while_inviting_invites_everyone_once(
    emulator: tuple[Emulator, str],  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    state, url = emulator
    db, log = tmp_path / "bot.sqlite3", tmp_path / "bot.log"
    asyncio.run(_prepare(db))
    process = _start(url, db, log)
    try:
        _wait(lambda: sum(_invitations(state).values()) >= 15)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        sent_before = sum(_invitations(state).values())
        assert sent_before < INVITED, "the kill came too late to interrupt anything"
        process = _start(url, db, log)
        _wait(lambda: _statuses(db).get("pending", 0) + _statuses(db).get("sending", 0) == 0)
    finally:
        process.terminate()
        process.wait(timeout=10)
    received = _invitations(state)
    statuses = _statuses(db)
    assert set(received.values()) == {1}, "someone was invited twice"
    # In flight at the kill: marked unknown, never sent again (the request may have arrived).
    assert statuses.get("sent", 0) + statuses.get("unknown", 0) == INVITED
    assert statuses.get("sent", 0) <= len(received) <= INVITED
    assert len(received) >= INVITED - statuses.get("unknown", 0)
    print(
        f"invitations: {sent_before} sent before the kill, {len(received)} received in all, "
        f"{statuses.get('unknown', 0)} in flight at the kill"
    )
