"""Reminders, the outbox pump and the weekly export, run through the real JobQueue's jobs."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from bot import jobs
from bot.fakeapi import TIMEOUT, Fault
from bot.i18n import translator
from bot.jobs import packs, reminders
from bot.jobs.pump import MAX_ATTEMPTS
from bot.storage.records import timestamp
from tests.harness import Harness, Person, current, walk_to

TEAM = -100_777
ALMATY = ZoneInfo("Asia/Almaty")


async def run(bot: Harness, name: str) -> None:
    """Run a registered job once, as the JobQueue would."""
    assert bot.app is not None and bot.app.job_queue is not None
    (job,) = bot.app.job_queue.get_jobs_by_name(name)
    await job.run(bot.app)
    if name == jobs.PUMP:  # the sends run as tasks of their own: wait for their answers
        await job.data.drain()


def local(bot: Harness, hour: int, minute: int = 0, day: int = 0) -> datetime:
    """Set the clock to a local Almaty time, `day` days after Monday 2026-11-30."""
    moment = datetime(2026, 11, 30, hour, minute, tzinfo=ALMATY) + timedelta(days=day)
    bot.clock.now = moment.astimezone(UTC)
    return bot.clock.now


def reminders_sent(bot: Harness, person: Person) -> list[str]:
    return [
        c.text
        for c in bot.sent(person)
        if c.buttons
        == [(translator("en").gettext("▶️ Continue where I left off"), "c:resume:cont")]
    ]


# Reminders ---------------------------------------------------------------------------------


async def test_reminders_at_24_and_72_hours_then_never_again(bot: Harness) -> None:
    """One reminder a day after the last answer, one after three days, none after that."""
    person = Person(501)
    local(bot, 10)
    await walk_to(bot, person, "s2")
    for hours, expected in ((23, 0), (25, 1), (48, 1), (73, 2), (200, 2)):
        local(bot, 10)
        bot.clock.advance(hours=hours)
        if reminders.quiet(bot.settings, bot.clock.now):
            bot.clock.advance(hours=12)
        await run(bot, jobs.REMINDERS)
        await run(bot, jobs.PUMP)
        assert len(reminders_sent(bot, person)) == expected, hours
    assert (await bot.repo.stored_facts(person.id))["reminders_sent"] == 2


async def test_a_reminder_is_in_the_respondents_language_and_continues_where_they_were(
    bot: Harness,
) -> None:
    """The Continue button shows the very question the respondent stopped at."""
    person = Person(502)
    local(bot, 11)
    await walk_to(bot, person, "s3", language="kk")
    bot.clock.advance(hours=25)
    await run(bot, jobs.REMINDERS)
    await run(bot, jobs.PUMP)
    message = bot.last(person)
    assert message.text == reminders.reminder("kk")["text"]
    assert message.buttons == [
        (translator("kk").gettext("▶️ Continue where I left off"), "c:resume:cont")
    ]
    await bot.tap(person, "c:resume:cont")
    assert "3 / 6" in bot.last(person).text
    assert await current(bot, person) == "s3"


async def test_no_reminder_in_quiet_hours_until_nine(bot: Harness) -> None:
    """Due at 22:00 Almaty time, the reminder waits for 09:00."""
    person = Person(503)
    local(bot, 21, 30, day=-1)
    await walk_to(bot, person, "s1")
    local(bot, 22, 0)  # 24.5 h later, Monday 22:00
    await run(bot, jobs.REMINDERS)
    await run(bot, jobs.PUMP)
    assert reminders_sent(bot, person) == []
    local(bot, 8, 59, day=1)
    await run(bot, jobs.REMINDERS)
    assert reminders_sent(bot, person) == []
    assert await bot.repo.outbox_counts() == {}
    local(bot, 9, 1, day=1)
    await run(bot, jobs.REMINDERS)
    await run(bot, jobs.PUMP)
    assert len(reminders_sent(bot, person)) == 1


@pytest.mark.parametrize("who", ["submitted", "declined", "stopped", "deleted", "blocked"])
async def test_no_reminder_for_those_who_must_not_get_one(bot: Harness, who: str) -> None:
    """Never to those who submitted, declined, stopped, deleted their data or blocked the bot."""
    person = Person(504)
    local(bot, 10)
    if who == "submitted":
        await walk_to(bot, person, "rev")
        await bot.tap(person, "c:rev:_submit")
    elif who == "declined":
        await walk_to(bot, person, "cons")
        await bot.tap(person, "c:cons:n")
    else:
        await walk_to(bot, person, "s2")
        if who == "stopped":
            await bot.send(person, "/stop")
        elif who == "deleted":
            await bot.send(person, "/delete")
            await bot.tap(person, "c:del:y")
        else:
            bot.db_write("UPDATE users SET blocked = 1")
    bot.clock.advance(hours=30)
    await run(bot, jobs.REMINDERS)
    await run(bot, jobs.PUMP)
    assert reminders_sent(bot, person) == []
    assert await bot.repo.outbox_counts() == {}


async def test_a_user_who_blocked_the_bot_is_marked_and_never_written_to_again(
    bot: Harness,
) -> None:
    """A 403 marks the user blocked; the row is not retried; no later reminder is queued."""
    person = Person(505)
    local(bot, 10)
    await walk_to(bot, person, "s2")
    bot.clock.advance(hours=25)
    bot.expect_errors = False
    bot.api.chat_faults[person.id] = Fault(403, "Forbidden: bot was blocked by the user")
    await run(bot, jobs.REMINDERS)
    await run(bot, jobs.PUMP)
    assert (await bot.participant(person)).blocked is True
    assert await bot.repo.outbox_counts() == {"blocked": 1}
    bot.clock.advance(hours=72)
    await run(bot, jobs.REMINDERS)
    await run(bot, jobs.PUMP)
    assert await bot.repo.outbox_counts() == {"blocked": 1}


async def test_telegram_asking_to_wait_pauses_the_pump(bot: Harness) -> None:
    """A 429 puts the message back, uncounted, and the pump sends nothing until the wait ends."""
    person = Person(506)
    local(bot, 10)
    await walk_to(bot, person, "s2")
    bot.clock.advance(hours=25)
    await run(bot, jobs.REMINDERS)
    bot.api.method_faults["sendMessage"] = Fault(
        429, "Too Many Requests: retry after 30", retry_after=30, times=1
    )
    await run(bot, jobs.PUMP)
    assert bot.db("SELECT status, attempts FROM outbox") == [("pending", 0)]  # attempts: raw
    calls = len(bot.api.calls)
    await run(bot, jobs.PUMP)  # still paused
    assert bot.api.calls[calls:] == []
    (job,) = bot.app.job_queue.get_jobs_by_name(jobs.PUMP)  # type: ignore[union-attr]
    job.data.paused_until = job.data.next_slot = 0  # the wait is over
    bot.clock.advance(seconds=31)
    await run(bot, jobs.PUMP)
    assert len(reminders_sent(bot, person)) == 1


async def test_a_message_in_flight_at_a_crash_is_never_sent_twice(bot: Harness) -> None:
    """A row left 'sending' by a crash is marked 'unknown' at start and not sent again."""
    person = Person(507)
    local(bot, 10)
    await walk_to(bot, person, "s2")
    bot.clock.advance(hours=25)
    await run(bot, jobs.REMINDERS)
    bot.db_write("UPDATE outbox SET status = 'sending'")
    await bot.restart()
    await run(bot, jobs.PUMP)
    assert await bot.repo.outbox_counts() == {"unknown": 1}
    assert reminders_sent(bot, person) == []


def queue(bot: Harness, users: list[int], *, kind: str = "broadcast") -> None:
    """Queue one message per user (created if need be), due now, as a broadcast would."""
    moment = timestamp(bot.clock.now)
    with sqlite3.connect(bot.settings.db) as connection:
        connection.executemany(
            "INSERT OR IGNORE INTO users (user_id, chat_id, status, created_at, last_activity_at)"
            " VALUES (?, ?, 'in_progress', ?, ?)",
            [(user, user, moment, moment) for user in users],
        )
        connection.executemany(  # consented, and asked for news: broadcasts may reach them
            "INSERT OR IGNORE INTO respondents (user_id, consented_at, consent_version,"
            " started_at, wants_news) VALUES (?, ?, 1, ?, 1)",
            [(user, moment, moment) for user in users],
        )
        connection.executemany(
            "INSERT INTO outbox (kind, user_id, chat_id, payload, next_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(kind, user, user, json.dumps({"text": f"news {user}"}), moment, moment)
             for user in users],
        )  # fmt: skip
    connection.close()


def statuses(bot: Harness) -> dict[int, tuple[str, int]]:
    """Per recipient: their message's status and attempts (columns no record carries)."""
    return {u: (s, a) for u, s, a in bot.db("SELECT user_id, status, attempts FROM outbox")}


@pytest.mark.parametrize(("rate", "count", "most"), [(10, 25, 10), (2.5, 6, 2)])
async def test_the_pump_never_sends_more_than_the_rate_in_any_second(
    bot: Harness, rate: float, count: int, most: int
) -> None:
    """Ticks four times a second (more often than the JobQueue's): still at most the rate in
    any one second (2.5/s: two, never three)."""
    bot.settings.broadcast_rate = rate
    users = list(range(9000, 9000 + count))
    queue(bot, users)
    assert bot.app is not None and bot.app.job_queue is not None
    (job,) = bot.app.job_queue.get_jobs_by_name(jobs.PUMP)
    for _ in range(40):
        await job.run(bot.app)
        if all(status == "sent" for status, _ in statuses(bot).values()):
            break
        await asyncio.sleep(0.25)
    await job.data.drain()
    sends = sorted(c.at for c in bot.api.calls if c.method == "sendMessage")
    assert sorted(c.params["chat_id"] for c in bot.api.calls if c.method == "sendMessage") == users
    busiest = max(sum(1 for t in sends if start <= t < start + 1) for start in sends)
    assert busiest <= most
    assert job.data.outcomes == {"sent": count}


async def test_one_chat_gets_at_most_one_message_a_second(bot: Harness) -> None:
    """Two queued messages for one person: the second waits a second of the bot's clock."""
    local(bot, 10)
    queue(bot, [9100, 9100])
    await run(bot, jobs.PUMP)
    # Row by row, with their attempts: columns no record carries.
    assert bot.db("SELECT status, attempts FROM outbox ORDER BY id") == [
        ("sent", 1),
        ("pending", 0),
    ]
    await run(bot, jobs.PUMP)
    assert len(bot.api.sent(9100)) == 1
    bot.clock.advance(seconds=1)
    await run(bot, jobs.PUMP)
    assert [c.text for c in bot.api.sent(9100)] == ["news 9100", "news 9100"]


async def test_a_reminder_queued_before_nine_pm_waits_until_nine_am(bot: Harness) -> None:
    """Quiet hours hold at sending time too, not only when reminders are queued."""
    person = Person(510)
    local(bot, 20, 0, day=-1)
    await walk_to(bot, person, "s1")
    local(bot, 20, 55)
    await run(bot, jobs.REMINDERS)
    assert await bot.repo.outbox_counts() == {"pending": 1}
    local(bot, 21, 5)
    await run(bot, jobs.PUMP)
    local(bot, 8, 59, day=1)
    await run(bot, jobs.PUMP)
    assert reminders_sent(bot, person) == []
    local(bot, 9, 0, day=1)
    await run(bot, jobs.PUMP)
    assert len(reminders_sent(bot, person)) == 1


async def test_a_queued_reminder_is_dropped_once_the_respondent_finished(bot: Harness) -> None:
    """Queued, then the respondent submits before the pump's turn: nothing is sent."""
    person = Person(511)
    local(bot, 10)
    await walk_to(bot, person, "rev")
    bot.clock.advance(hours=25)
    await run(bot, jobs.REMINDERS)
    await bot.tap(person, "c:rev:_submit")
    await run(bot, jobs.PUMP)
    assert reminders_sent(bot, person) == []
    assert await bot.repo.outbox_counts() == {"cancelled": 1}


async def test_chat_not_found_fails_the_row_and_5xx_is_retried_a_bounded_number_of_times(
    bot: Harness,
) -> None:
    """400 fails at once; 502 backs off 2, 4, 8, 16 s and gives up after MAX_ATTEMPTS."""
    local(bot, 10)
    bot.api.chat_faults[9201] = Fault(400, "Bad Request: chat not found")
    bot.api.chat_faults[9202] = Fault(502, "Bad Gateway")
    queue(bot, [9201, 9202])
    await run(bot, jobs.PUMP)
    assert statuses(bot) == {9201: ("failed", 1), 9202: ("pending", 1)}
    for attempt in range(1, MAX_ATTEMPTS):
        bot.clock.advance(seconds=2**attempt - 1)
        await run(bot, jobs.PUMP)
        assert statuses(bot)[9202] == ("pending", attempt)  # not yet due
        bot.clock.advance(seconds=1)
        await run(bot, jobs.PUMP)
    assert statuses(bot) == {9201: ("failed", 1), 9202: ("failed", MAX_ATTEMPTS)}
    tries = [c for c in bot.api.calls if c.params.get("chat_id") == 9202]
    assert len(tries) == MAX_ATTEMPTS
    bot.clock.advance(hours=1)
    await run(bot, jobs.PUMP)
    assert len([c for c in bot.api.calls if c.params.get("chat_id") in (9201, 9202)]) == 6


async def test_a_timeout_after_sending_is_never_retried_one_before_sending_is(
    bot: Harness,
) -> None:
    """A read timeout may mean delivered: 'unknown', not sent again. A connect timeout: retried."""
    local(bot, 10)
    bot.api.chat_faults[9301] = Fault(TIMEOUT, "read", times=1)
    bot.api.chat_faults[9302] = Fault(TIMEOUT, "connect", times=1)
    bot.api.chat_faults[9303] = Fault(TIMEOUT, "lost", times=1)
    queue(bot, [9301, 9302, 9303])
    await run(bot, jobs.PUMP)
    assert statuses(bot) == {9301: ("unknown", 1), 9302: ("pending", 1), 9303: ("unknown", 1)}
    bot.clock.advance(minutes=5)
    await run(bot, jobs.PUMP)
    assert statuses(bot) == {9301: ("unknown", 1), 9302: ("sent", 2), 9303: ("unknown", 1)}
    assert len([c for c in bot.api.calls if c.params.get("chat_id") == 9301]) == 1


async def test_a_429_reaches_the_pump_through_ptbs_rate_limiter(bot: Harness) -> None:
    """With AIORateLimiter, as in production: the limiter does not retry on its own, the pump
    pauses every send and puts the message back."""
    bot.rate_limited = True
    await bot.restart()
    local(bot, 10)
    bot.api.method_faults["sendMessage"] = Fault(
        429, "Too Many Requests: retry after 30", retry_after=30, times=1
    )
    queue(bot, [9401, 9402])
    await run(bot, jobs.PUMP)
    assert [c.params.get("_fault") for c in bot.api.calls if c.method == "sendMessage"] == [429]
    assert statuses(bot) == {9401: ("pending", 0), 9402: ("pending", 0)}
    assert bot.app is not None and bot.app.job_queue is not None
    (job,) = bot.app.job_queue.get_jobs_by_name(jobs.PUMP)
    assert job.data.paused_until > asyncio.get_running_loop().time() + 25


async def test_a_crash_after_the_pump_claimed_loses_no_message(bot: Harness) -> None:
    """Killed while a second's worth of claimed messages wait for their slots: after the
    restart they are all sent, once; only one already handed to Telegram would be unknown."""
    bot.settings.broadcast_rate = 10
    users = list(range(9500, 9510))
    queue(bot, users)
    assert bot.app is not None and bot.app.job_queue is not None
    (job,) = bot.app.job_queue.get_jobs_by_name(jobs.PUMP)
    await job.run(bot.app)
    for task in list(job.data.sending):  # the process dies: nothing of these runs on
        task.cancel()
    await job.data.drain()
    counts = await bot.repo.outbox_counts()
    in_flight = counts.get("sending", 0)  # handed to Telegram when the process died
    sent = counts.get("sent", 0)  # its slot came (and Telegram answered) before the kill
    assert counts.get("pending", 0) == 10 - in_flight - sent
    assert in_flight + sent <= 1
    await bot.restart()
    bot.clock.advance(seconds=11)  # the lease of the claimed ones runs out
    for _ in range(5):
        await run(bot, jobs.PUMP)
        bot.clock.advance(seconds=1)
    received = [c.params["chat_id"] for c in bot.api.calls if c.method == "sendMessage"]
    assert len(received) == len(set(received)) >= 9
    assert (await bot.repo.outbox_counts()).get("unknown", 0) == in_flight


async def test_a_closed_consultation_sends_no_reminder_and_holds_queued_ones(
    bot: Harness,
) -> None:
    """Closed: none queued, a queued one waits; reopened: it goes."""
    person = Person(512)
    local(bot, 10)
    await walk_to(bot, person, "s2")
    bot.clock.advance(hours=25)
    await run(bot, jobs.REMINDERS)  # queued while still open
    await bot.send(Person(900_001), "/consultation close")
    await run(bot, jobs.REMINDERS)
    await run(bot, jobs.PUMP)
    assert reminders_sent(bot, person) == []
    assert await bot.repo.outbox_counts() == {"pending": 1}
    await bot.send(Person(900_001), "/consultation open")
    await run(bot, jobs.PUMP)
    assert len(reminders_sent(bot, person)) == 1


async def test_a_failed_commit_leaves_nothing_behind(bot: Harness) -> None:
    """A write that fails in the commit's trip rolls back the writes before it as well."""
    assert bot.app is not None
    repo = bot.app.bot_data["services"].repo
    with pytest.raises(sqlite3.IntegrityError):
        async with repo.transaction():
            await repo.set_switch("consultation", "closed")
            await repo.enqueue(
                kind="reminder", user_id=404_404, chat_id=1, payload={}, now=bot.clock.now
            )
    async with repo.transaction():
        pass
    # The table itself: the rolled-back switch left no row, not even one saying "open".
    assert bot.db("SELECT count(*) FROM switches") == [(0,)]


# The weekly export -------------------------------------------------------------------------


def test_the_weekly_export_is_scheduled_in_almaty_time(bot: Harness) -> None:
    """`mon 09:00` in Asia/Almaty: the next run is a Monday at 09:00 +05:00."""
    assert bot.app is not None and bot.app.job_queue is not None
    (job,) = bot.app.job_queue.get_jobs_by_name(jobs.WEEKLY_EXPORT)
    trigger = job.job.trigger
    assert isinstance(trigger, CronTrigger)
    after = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
    upcoming = trigger.get_next_fire_time(None, after)
    assert upcoming.isoformat() == "2026-11-30T09:00:00+05:00"
    monday = datetime(2026, 11, 30, 9, 30, tzinfo=ALMATY)
    assert packs.last_occurrence(bot.settings, monday).isoformat() == "2026-11-30T09:00:00+05:00"
    assert packs.last_occurrence(bot.settings, monday - timedelta(hours=1)).isoformat() == (
        "2026-11-23T09:00:00+05:00"
    )


async def test_the_weekly_pack_goes_to_every_team_chat_once(bot: Harness) -> None:
    """At the scheduled time the pack is written and sent; running again sends nothing."""
    bot.team_chat(TEAM)
    bot.db_write("DELETE FROM job_runs")  # as if the bot had first started on Sunday
    local(bot, 8, day=-1)
    await bot.restart()
    local(bot, 8)
    person = Person(508)
    await walk_to(bot, person, "m1")
    await bot.voice(person, seconds=5)
    await bot.tap(person, "c:m1:_done")
    local(bot, 9, 0)
    await run(bot, jobs.WEEKLY_EXPORT)
    to_team = [c for c in bot.api.calls if c.params.get("chat_id") == TEAM]
    assert [c.method for c in to_team] == ["sendMessage"] + ["sendDocument"] * 5
    assert "Creative Spark" in to_team[0].text
    assert "voice comment" not in to_team[0].text  # the bot added them: none is missing
    folder = bot.settings.export_dir / "2026-11-30"
    assert (folder / "answers.csv").exists() and (folder / "voice").is_dir()
    assert len(list((folder / "voice").glob("*.ogg"))) == 1
    assert not list(folder.glob(".*"))  # neither the voice list nor the snapshot is left
    sent_names = [c.file_names["document"] for c in to_team[1:]]
    # The stance chart, the sectors' and the markets', then the workbook and the whole pack.
    assert sent_names == [
        "chart-en.png", "chart-sectors-en.png", "chart-markets-en.png", "consultation.xlsx",
        "creative-spark-2026-11-30.zip",
    ]  # fmt: skip
    await run(bot, jobs.WEEKLY_EXPORT)
    assert len([c for c in bot.api.calls if c.params.get("chat_id") == TEAM]) == 6
    await bot.restart()
    assert bot.app.job_queue.get_jobs_by_name(jobs.CATCH_UP) == ()  # type: ignore[union-attr]


async def test_a_run_missed_while_down_happens_once_when_the_bot_is_back(bot: Harness) -> None:
    """Down over Monday 09:00: at the next start the pack is sent once, and only once."""
    bot.team_chat(TEAM)
    bot.db_write("DELETE FROM job_runs")
    local(bot, 8, day=-1)  # Sunday: the first start remembers there is nothing to catch up
    await bot.restart()
    assert bot.app.job_queue.get_jobs_by_name(jobs.CATCH_UP) == ()  # type: ignore[union-attr]
    local(bot, 15, day=0)  # Monday afternoon: 09:00 passed while the bot was down
    await bot.restart()
    await run(bot, jobs.CATCH_UP)
    assert (
        next(c.method for c in bot.api.calls if c.params.get("chat_id") == TEAM) == "sendMessage"
    )
    count = len([c for c in bot.api.calls if c.params.get("chat_id") == TEAM])
    await bot.restart()
    assert bot.app.job_queue.get_jobs_by_name(jobs.CATCH_UP) == ()  # type: ignore[union-attr]
    await run(bot, jobs.WEEKLY_EXPORT)
    assert len([c for c in bot.api.calls if c.params.get("chat_id") == TEAM]) == count


async def test_a_weekly_export_that_fails_is_retried_and_the_team_told(bot: Harness) -> None:
    """The pack cannot be built: the claim is given back, the team hears of it, a retry waits."""
    bot.team_chat(TEAM)
    bot.db_write("DELETE FROM job_runs")
    local(bot, 8, day=-1)
    await bot.restart()
    local(bot, 9, 0)
    good = bot.settings.content
    bot.settings.content = bot.settings.db.parent / "missing.toml"  # the child process fails
    bot.expect_errors = True
    await run(bot, jobs.WEEKLY_EXPORT)
    (told,) = [c for c in bot.api.calls if c.params.get("chat_id") == TEAM]
    assert told.text.startswith("The weekly export failed")
    occurrence = packs.last_occurrence(bot.settings, bot.clock.now)
    assert await bot.repo.last_run(jobs.WEEKLY_EXPORT) != timestamp(occurrence)
    assert bot.app is not None and bot.app.job_queue is not None
    (retry,) = bot.app.job_queue.get_jobs_by_name(jobs.CATCH_UP)
    bot.settings.content = good
    await retry.run(bot.app)
    to_team = [c.method for c in bot.api.calls if c.params.get("chat_id") == TEAM]
    assert to_team == ["sendMessage", "sendMessage"] + ["sendDocument"] * 5  # 3 charts, 2 files
    await run(bot, jobs.WEEKLY_EXPORT)  # the occurrence is done now
    assert len([c for c in bot.api.calls if c.params.get("chat_id") == TEAM]) == 7


async def test_the_daily_backup_keeps_the_last_seven(bot: Harness) -> None:
    """A consistent copy a day into data/backups/, the oldest dropped after seven."""

    person = Person(509)
    await walk_to(bot, person, "s2")
    for day in range(9):
        local(bot, 3, 30, day=day)
        await run(bot, jobs.BACKUP)
    copies = sorted((bot.settings.db.parent / "backups").glob("*.sqlite3"))
    assert len(copies) == 7
    assert copies[0].name.endswith("2026-12-02.sqlite3")  # the first two days are gone
    assert copies[-1].name.endswith("2026-12-08.sqlite3")
    with sqlite3.connect(copies[-1]) as copy:  # the copy's own tables, beside the bot's file
        assert copy.execute(
            "SELECT count(*) FROM answers WHERE answered_at IS NOT NULL"
        ).fetchone() == (1,)
    copy.close()
