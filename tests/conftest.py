"""The offline harness: the real Application, the fake Bot API, a real SQLite file on tmp_path."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

# Opt in to python-telegram-bot's coming timedelta durations, as `python -m bot` does.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import Update
from telegram.ext import Application

from bot.app import build_application, running
from bot.config import Settings
from bot.content import Content, load_content
from bot.fakeapi import Call, FakeBotApi

OWNER = 900_001


@dataclass
class Person:
    """A Telegram user of the tests."""

    id: int
    language_code: str = "en"

    @property
    def user(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": False,
            "first_name": "Айгерім",
            "language_code": self.language_code,
        }

    @property
    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": "Айгерім"}


class Clock:
    """A controllable clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class _ErrorRecorder(logging.Handler):
    """Keeps what reached the bot's error handler, so no test passes over a hidden exception."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.errors: list[BaseException | None] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.errors.append(record.exc_info[1] if record.exc_info else None)


class Harness:
    """Talks to the bot as Telegram users would, and reads what they saw and what was stored.

    An exception that reaches the error handler fails the test, unless the test says it
    expects Telegram faults (`expect_errors`).
    """

    def __init__(self, settings: Settings, content: Content) -> None:
        self.settings = settings
        self.content = content
        self.api = FakeBotApi()
        self.clock = Clock()
        self.app: Application | None = None  # type: ignore[type-arg]
        self._running: Any = None
        self._ids = itertools.count(1)
        self.expect_errors = False
        self.rate_limited = False  # True: PTB's AIORateLimiter, as in production
        self.recorder = _ErrorRecorder()
        logging.getLogger("bot.handlers.errors").addHandler(self.recorder)

    async def start(self) -> None:
        self.app = build_application(
            self.settings,
            self.content,
            request=self.api,
            get_updates_request=FakeBotApi(),
            clock=self.clock,
            rate_limited=self.rate_limited,
        )
        self._running = running(self.app)
        await self._running.__aenter__()

    async def stop(self) -> None:
        await self._running.__aexit__(None, None, None)
        logging.getLogger("bot.handlers.errors").removeHandler(self.recorder)

    def team_chat(self, chat_id: int) -> None:
        """Name a team chat in BOT_TEAM_CHATS, as if it had been there at start-up."""
        self.settings.team_chats.append(chat_id)
        assert self.app is not None
        self.app.bot_data["services"].team_chats.append(chat_id)

    async def restart(self) -> None:
        """A new Application on the same database, as after a crash and a restart."""
        await self._running.__aexit__(None, None, None)
        await self.start()

    async def run_job(self, name: str) -> list[Call]:
        """Run a registered job once, as the JobQueue would; return the Bot API calls it made."""
        assert self.app is not None and self.app.job_queue is not None
        before = len(self.api.calls)
        (job,) = self.app.job_queue.get_jobs_by_name(name)
        await job.run(self.app)
        return self.api.calls[before:]

    # Sending -------------------------------------------------------------------------------

    async def feed(self, raw: dict[str, Any]) -> list[Call]:
        """Process one update; return the Bot API calls it caused."""
        assert self.app is not None
        before = len(self.api.calls)
        tasks = asyncio.all_tasks()
        await self.app.process_update(Update.de_json(raw, self.app.bot))
        # Handlers that do not block (/export, /stats) run as tasks: wait for what they say.
        await asyncio.gather(*(asyncio.all_tasks() - tasks - {asyncio.current_task()}))
        if self.recorder.errors and not self.expect_errors:
            raise AssertionError(f"the error handler was reached: {self.recorder.errors!r}")
        return self.api.calls[before:]

    def _message(self, person: Person, **fields: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        return {
            "update_id": message_id,
            "message": {
                "message_id": message_id,
                "date": 0,
                "chat": person.chat,
                "from": person.user,
                **fields,
            },
        }

    async def send(self, person: Person, text: str) -> list[Call]:
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            fields["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split(maxsplit=1)[0])}
            ]
        return await self.feed(self._message(person, **fields))

    async def send_other(self, person: Person, **fields: Any) -> list[Call]:
        return await self.feed(self._message(person, **fields))

    async def voice(self, person: Person, seconds: int = 9) -> list[Call]:
        uid = f"v{next(self._ids)}"
        return await self.feed(
            self._message(
                person, voice={"file_id": uid, "file_unique_id": uid, "duration": seconds}
            )
        )

    async def edit(self, person: Person, message_id: int, text: str) -> list[Call]:
        return await self.feed(
            {
                "update_id": next(self._ids),
                "edited_message": {
                    "message_id": message_id,
                    "date": 0,
                    "edit_date": 1,
                    "chat": person.chat,
                    "from": person.user,
                    "text": text,
                },
            }
        )

    async def tap(self, person: Person, data: str, *, message_id: int | None = None) -> list[Call]:
        """Press the button with `data` on the latest message that offered it."""
        if message_id is None:
            message_id = self.message_with(person, data)
        return await self.feed(
            {
                "update_id": next(self._ids),
                "callback_query": {
                    "id": str(next(self._ids)),
                    "from": person.user,
                    "chat_instance": "t",
                    "data": data,
                    "message": {
                        "message_id": message_id,
                        "date": 0,
                        "chat": person.chat,
                        "from": {"id": 777000111, "is_bot": True, "first_name": "Bot"},
                        "text": "…",
                        "reply_markup": {
                            "inline_keyboard": [[{"text": "✓", "callback_data": data}]]
                        },
                    },
                },
            }
        )

    # Reading -------------------------------------------------------------------------------

    def sent(self, person: Person) -> list[Call]:
        return self.api.sent(person.id)

    def last(self, person: Person) -> Call:
        return self.sent(person)[-1]

    def message_with(self, person: Person, data: str) -> int:
        for call in reversed(self.sent(person)):
            if any(d == data for _, d in call.buttons):
                return int(call.result["message_id"])
        raise AssertionError(f"the bot never offered {data!r} to {person.id}")

    def offered(self, person: Person) -> list[str]:
        """The callback data of the latest keyboard sent to the person."""
        for call in reversed(self.sent(person)):
            if call.buttons:
                return [d for _, d in call.buttons]
        return []

    def db_write(self, sql: str, *params: Any) -> None:
        """Change the database behind the bot's back (a crash, another process)."""
        with sqlite3.connect(self.settings.db) as connection:
            connection.execute(sql, params)
        connection.close()

    def db(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.settings.db) as connection:
            rows = connection.execute(sql, params).fetchall()
        connection.close()
        return rows


@pytest.fixture
def content() -> Content:
    return load_content()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        db=tmp_path / "consultation.sqlite3",
        admins=[OWNER],
        export_dir=tmp_path / "exports",
    )


@pytest.fixture
async def bot(settings: Settings, content: Content) -> AsyncIterator[Harness]:
    harness = Harness(settings, content)
    await harness.start()
    yield harness
    await harness.stop()


async def walk_to(bot: Harness, person: Person, step: str, language: str = "en") -> None:
    """Walk a respondent to `step` with plain answers: a newcomer from /start, anyone else on
    from where they stand (in the bot's current content)."""
    if _current(bot, person) is None:
        await bot.send(person, "/start")
        await bot.tap(person, f"c:lang:{language}")
    path = [
        ("cons", "c:age:y"),
        ("quote", "c:cons:y"),
        ("news", "c:quote:y"),
        ("grp", "c:news:n"),
        ("reg", "c:grp:student"),
        ("ageb", "c:reg:almaty"),
        ("gen", "c:ageb:18-24"),
        ("s1", "c:gen:_pns"),
    ]
    conclusions = len(bot.content.conclusions)
    for number in range(1, conclusions + 1):
        path += [(f"m{number}", f"c:s{number}:4"), (f"s{number + 1}", f"c:m{number}:_none")]
    path[-1] = ("sec", f"c:m{conclusions}:_none")
    path += [("mkt", "c:sec:_done"), ("idea", "c:mkt:_done"), ("rev", "c:idea:_none")]
    for reached, data in path:
        current = _current(bot, person)
        if step == current:
            return
        if data.split(":")[1] != current:  # a step already behind them
            continue
        await bot.tap(person, data)
        assert _current(bot, person) == reached, (reached, _current(bot, person))
    assert _current(bot, person) == step


def _current(bot: Harness, person: Person) -> str | None:
    rows = bot.db("SELECT step FROM users WHERE user_id = ?", person.id)
    return rows[0][0] if rows else None
