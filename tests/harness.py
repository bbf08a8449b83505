"""The offline harness: the real Application, the fake Bot API, a real SQLite file on tmp_path.

`tests/conftest.py` builds it as fixtures; the tests import the helpers from here.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

# Opt in to python-telegram-bot's coming timedelta durations, as `python -m bot` does.
os.environ.setdefault("PTB_TIMEDELTA", "1")

import pytest
from telegram import Update
from telegram.ext import Application

from bot.app import build_application, running
from bot.config import Settings
from bot.content import Content
from bot.fakeapi import Call, FakeBotApi
from bot.handlers.turn import Turn
from bot.journey import comment_step, stance_step
from bot.storage.records import Answer, Participant
from bot.storage.reports import export_connection
from bot.storage.repository import Repository

T = TypeVar("T")

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

    def message(self, person: Person, **fields: Any) -> dict[str, Any]:
        """A private message update from the person, with a fresh message id."""
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
        return await self.feed(self.message(person, **fields))

    async def send_other(self, person: Person, **fields: Any) -> list[Call]:
        return await self.feed(self.message(person, **fields))

    async def voice(self, person: Person, seconds: int = 9) -> list[Call]:
        uid = f"v{next(self._ids)}"
        return await self.feed(
            self.message(
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
        keyboard = [
            [{"text": label, "callback_data": value}]
            for label, value in self.keyboard(person, message_id, data)
        ]
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
                        "reply_markup": {"inline_keyboard": keyboard},
                    },
                },
            }
        )

    # Reading -------------------------------------------------------------------------------

    def sent(self, person: Person) -> list[Call]:
        return self.api.sent(person.id)

    def last(self, person: Person) -> Call:
        return self.sent(person)[-1]

    def keyboard(self, person: Person, message_id: int, data: str) -> list[tuple[str, str]]:
        """The buttons message `message_id` shows now, as Telegram sends them with a tap: as
        sent, or as last edited; as sent when `data` is no longer there (a tap of a stale
        keyboard that a test makes up)."""
        sent: list[tuple[str, str]] = []
        shown: list[tuple[str, str]] = []
        for call in self.api.calls:
            if str(call.params.get("chat_id")) != str(person.id) or "_fault" in call.params:
                continue
            if (
                call.method == "sendMessage"
                and (call.result or {}).get("message_id") == message_id
            ):
                sent = shown = call.buttons
            elif call.method.startswith("editMessage") and call.params.get("message_id") in (
                message_id,
                str(message_id),
            ):
                shown = call.buttons
        keys = shown if any(value == data for _, value in shown) else sent
        return [(label, value) for label, value in keys if not value.startswith("http")] or [
            ("✓", data)
        ]

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

    @property
    def repo(self) -> Repository:
        """The running bot's repository: what the tests read stored state through."""
        assert self.app is not None
        repository: Repository = self.app.bot_data["services"].repo
        return repository

    async def participant(self, person: Person) -> Participant:
        """The person as the bot has them stored (it holds something about them)."""
        participant = await self.repo.participant(person.id)
        assert participant is not None, person
        return participant

    async def number(self, person: Person) -> int:
        """The person's pseudonymous respondent number (they consented)."""
        number = (await self.participant(person)).respondent_id
        assert number is not None, person
        return number

    async def answers(self, person: Person) -> dict[str, Answer]:
        """The person's stored answers by item."""
        stored = await self.participant(person)
        assert stored.respondent_id is not None, person
        return await self.repo.answers(stored.respondent_id, round=stored.round)

    async def answer(self, person: Person, item: str) -> Answer:
        """The person's stored answer to `item` (they reached it)."""
        stored = await self.participant(person)
        assert stored.respondent_id is not None, person
        answer = await self.repo.answer(stored.respondent_id, item, round=stored.round)
        assert answer is not None, (person, item)
        return answer

    def report(self, query: Callable[[sqlite3.Connection], T]) -> T:
        """Run one of `bot.storage.reports`' queries on a read-only connection, as exports do."""
        connection = export_connection(self.settings.db, lambda utc: utc)
        try:
            return query(connection)
        finally:
            connection.close()

    def db_write(self, sql: str, *params: Any) -> None:
        """Change the database behind the bot's back (a crash, another process)."""
        with sqlite3.connect(self.settings.db) as connection:
            connection.execute(sql, params)
        connection.close()

    def db(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Raw SQL, for what the repository and the reports do not read: the stored tables
        themselves (a whole table is empty or unchanged, no row of someone is left) and columns
        no record carries (message ids, attempts, revision times). Anything else is read
        through `repo`, `participant`, `answer` or `report`."""
        with sqlite3.connect(self.settings.db) as connection:
            rows = connection.execute(sql, params).fetchall()
        connection.close()
        return rows


async def walk_to(bot: Harness, person: Person, step: str, language: str = "en") -> None:
    """Walk a respondent to `step` with plain answers: a newcomer from /start, anyone else on
    from where they stand (in the bot's current content, however many conclusions it has)."""
    if await current(bot, person) is None:
        await bot.send(person, "/start")
        await bot.tap(person, f"c:lang:{language}")
    numbers = [conclusion.number for conclusion in bot.content.conclusions]
    path = [
        ("cons", "c:age:y"),
        ("quote", "c:cons:y"),
        ("news", "c:quote:y"),
        ("grp", "c:news:n"),
        ("reg", "c:grp:student"),
        ("ageb", "c:reg:almaty"),
        ("gen", "c:ageb:18-24"),
        (stance_step(numbers[0]), "c:gen:_pns"),
    ]
    after_each = [*(stance_step(number) for number in numbers[1:]), "sec"]
    for number, after in zip(numbers, after_each, strict=True):
        path += [
            (comment_step(number), f"c:{stance_step(number)}:4"),
            (after, f"c:{comment_step(number)}:_none"),
        ]
    path += [("mkt", "c:sec:_done"), ("idea", "c:mkt:_done"), ("rev", "c:idea:_none")]
    for reached, data in path:
        standing = await current(bot, person)
        if step == standing:
            return
        if data.split(":")[1] != standing:  # a step already behind them
            continue
        await bot.tap(person, data)
        assert await current(bot, person) == reached, (reached, await current(bot, person))
    assert await current(bot, person) == step


async def current(bot: Harness, person: Person) -> str | None:
    """The step the person is stored at, or None for someone the bot holds nothing about."""
    participant = await bot.repo.participant(person.id)
    return participant.step if participant else None


@dataclass
class Reloads:
    """What `Turn.reload` did while watched (`watch_reloads`): how often it built the
    participant from their step's move and how often it read them, and every participant it
    gave that differs from the one stored at that moment."""

    built: int = 0
    read: int = 0
    wrong: list[str] = field(default_factory=list)


def watch_reloads(monkeypatch: pytest.MonkeyPatch) -> Reloads:
    """Check every participant `Turn.reload` gives against the one stored, as it gives it."""
    seen = Reloads()
    original = Turn.reload
    read = Repository.participant
    reads = itertools.count()

    async def counted(repo: Repository, user_id: int) -> Participant | None:
        next(reads)
        return await read(repo, user_id)

    async def checked(turn: Turn) -> Participant:
        before = next(reads)
        given = await original(turn)
        if next(reads) == before + 1:  # no read in between
            seen.built += 1
        else:
            seen.read += 1
        stored = await read(turn.repo, given.user_id)  # not counted
        if given != stored:
            seen.wrong.append(f"gave {given}, stored {stored}")
        return given

    monkeypatch.setattr(Repository, "participant", counted)
    monkeypatch.setattr(Turn, "reload", checked)
    return seen
