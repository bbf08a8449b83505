"""A lasting fault does not flood the owners: one alert per kind of error in ten minutes."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.fakeapi import Fault
from bot.handlers.errors import FLUSH
from bot.i18n import translator
from bot.storage.repository import Repository
from tests.harness import OWNER, Harness, Person

KAZAKH_OWNER = 900_002  # the second owner chose Kazakh in the bot
OWNERS = (OWNER, KAZAKH_OWNER)
SECRET = "Менің жеке пікірім 4821"  # what a respondent typed when the disk was full
APOLOGY = (
    "Sorry, something went wrong on our side. Your answers are safe: send /start to continue."
)
FIRST = "⚠️ {error} while handling an update; details in the bot's log."
AGAIN = (
    "⚠️ {error} while handling an update (and {count} more time since the last alert); "
    "details in the bot's log.",
    "⚠️ {error} while handling an update (and {count} more times since the last alert); "
    "details in the bot's log.",
)
STOPPED = (
    "⚠️ {error} occurred {count} more time since the last alert; details in the bot's log.",
    "⚠️ {error} occurred {count} more times since the last alert; details in the bot's log.",
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        db=tmp_path / "consultation.sqlite3",
        admins=list(OWNERS),
        export_dir=tmp_path / "exports",
    )


@pytest.fixture
async def owners(bot: Harness) -> Harness:
    """The bot, its second owner having chosen Kazakh, and errors expected from here on."""
    await bot.send(Person(KAZAKH_OWNER, "kk"), "/start")
    await bot.tap(Person(KAZAKH_OWNER, "kk"), "c:lang:kk")
    bot.expect_errors = True
    return bot


def disk_full(monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    """Make one repository write fail as on a full disk, its message quoting user data."""

    async def fail(self: Repository, *args: Any, **kwargs: Any) -> None:
        raise sqlite3.OperationalError(f"database or disk is full near {SECRET!r}: {kwargs!r}")

    monkeypatch.setattr(Repository, method, fail)


def alerts(bot: Harness, owner: int, since: int = 0) -> list[str]:
    """What the owner was sent after the first `since` messages."""
    return [call.text for call in bot.api.sent(owner)[since:]]


async def run_flush(bot: Harness) -> None:
    """Run the one planned flush job now, as the JobQueue does: it is unplanned as it runs."""
    assert bot.app is not None and bot.app.job_queue is not None
    (job,) = bot.app.job_queue.get_jobs_by_name(FLUSH)
    job.schedule_removal()
    await job.run(bot.app)


def marks(bot: Harness) -> dict[int, int]:
    """How many messages each owner has had so far."""
    return {owner: len(bot.api.sent(owner)) for owner in OWNERS}


def expected(owner: int, message: str | tuple[str, str], **fields: Any) -> str:
    """The alert in the owner's language: Kazakh for the second owner, English for the first."""
    catalog = translator("kk" if owner == KAZAKH_OWNER else "en")
    if isinstance(message, str):
        return catalog.gettext(message).format(**fields)
    return catalog.ngettext(*message, fields["count"]).format(**fields)


async def test_a_lasting_fault_alerts_each_owner_once_then_counts(
    owners: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """21 errors of one kind in 5 s: one alert per owner; the first error after ten minutes
    alerts again with the 20 in between; every respondent is still reassured."""
    bot = owners
    disk_full(monkeypatch, "add_user")
    before = marks(bot)
    people = [Person(7_404_100_000 + number) for number in range(21)]
    for person in people:
        await bot.send(person, SECRET)
        assert bot.last(person).text == APOLOGY
        bot.clock.advance(seconds=0.25)
    for owner in OWNERS:
        assert alerts(bot, owner, before[owner]) == [
            expected(owner, FIRST, error="OperationalError")
        ]
    assert alerts(bot, OWNER, before[OWNER]) == [
        "⚠️ OperationalError while handling an update; details in the bot's log."
    ]
    bot.clock.advance(minutes=10)
    before = marks(bot)
    await bot.send(Person(7_404_100_099), SECRET)
    for owner in OWNERS:
        assert alerts(bot, owner, before[owner]) == [
            expected(owner, AGAIN, error="OperationalError", count=20)
        ]
    assert "(and 20 more times since the last alert)" in alerts(bot, OWNER)[-1]
    for owner in OWNERS:
        for text in alerts(bot, owner):
            assert SECRET not in text and "4821" not in text
            assert not any(str(person.id) in text for person in people)
    assert len(bot.recorder.errors) == 22  # the log still has every one of them


async def test_a_kind_that_stops_has_its_count_told_at_the_end_of_the_window(
    owners: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Errors that stop within the window are told by a one-off job when the window ends,
    and not before."""
    bot = owners
    assert bot.app is not None and bot.app.job_queue is not None
    disk_full(monkeypatch, "add_user")
    before = marks(bot)
    for number in range(3):
        await bot.send(Person(7_404_200_000 + number), SECRET)
    assert [len(alerts(bot, owner, before[owner])) for owner in OWNERS] == [1, 1]
    bot.clock.advance(minutes=5)
    await run_flush(bot)  # early (the two clocks differ): nothing yet, the job is planned again
    assert [len(alerts(bot, owner, before[owner])) for owner in OWNERS] == [1, 1]
    bot.clock.advance(minutes=5)
    await run_flush(bot)
    for owner in OWNERS:
        assert alerts(bot, owner, before[owner])[1:] == [
            expected(owner, STOPPED, error="OperationalError", count=2)
        ]
    assert alerts(bot, OWNER)[-1] == (
        "⚠️ OperationalError occurred 2 more times since the last alert; details in the bot's log."
    )
    assert not bot.app.job_queue.get_jobs_by_name(FLUSH)
    before = marks(bot)
    await bot.send(Person(7_404_200_009), SECRET)  # within ten minutes of the job's alert
    assert [len(alerts(bot, owner, before[owner])) for owner in OWNERS] == [0, 0]


async def test_different_kinds_of_error_are_alerted_separately(
    owners: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One alert per kind: a type of error, and the place in the bot that raised it (the
    same type from two places is two kinds); no Telegram id and no user text in them."""
    bot = owners
    known, unlucky = Person(7_404_300_001), Person(7_404_300_002)
    for person in (known, unlucky):
        await bot.send(person, "/start")
    disk_full(monkeypatch, "add_user")
    disk_full(monkeypatch, "set_stopped")
    before = marks(bot)
    for number in range(3):
        await bot.send(Person(7_404_300_010 + number), SECRET)  # the newcomer is not stored
        await bot.send(known, "/stop")  # the stop is not stored
        bot.api.chat_faults[unlucky.id] = Fault(502, "Bad Gateway", times=1)
        await bot.send(unlucky, "/start")  # the reply is lost
    names = ["OperationalError", "OperationalError", "NetworkError"]
    for owner in OWNERS:
        assert alerts(bot, owner, before[owner]) == [
            expected(owner, FIRST, error=name) for name in names
        ]
        for text in alerts(bot, owner):
            assert SECRET not in text
            assert str(known.id) not in text and str(unlucky.id) not in text


async def test_owners_are_told_in_english_when_the_database_cannot_be_read(
    owners: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database that fails on reads too still leaves the user reassured and the owners told."""
    bot = owners
    disk_full(monkeypatch, "participant")
    before = marks(bot)
    person = Person(7_404_400_001)
    await bot.send(person, "/start")
    assert bot.last(person).text == APOLOGY
    for owner in OWNERS:
        assert alerts(bot, owner, before[owner]) == [FIRST.format(error="OperationalError")]
