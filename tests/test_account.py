"""/mydata, /delete and /stop: the respondent's control of their data."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading

from bot import jobs
from bot.i18n import translator
from bot.storage.reports import people_counts
from tests.harness import Harness, Person, walk_to

TEAM_CHAT = -1001


async def test_delete_after_confirmation_erases_every_row_and_tells_the_team(
    bot: Harness,
) -> None:
    """/delete asks first; Yes erases the user everywhere and names the number to the team."""
    bot.team_chat(TEAM_CHAT)
    person, other = Person(301), Person(302)
    await walk_to(bot, other, "s2")
    await walk_to(bot, person, "m1")
    await bot.send(person, "A comment to be erased.")
    number = await bot.number(person)
    await bot.send(person, "/delete")
    assert bot.offered(person) == ["c:del:y", "c:del:n"]
    assert bot.report(people_counts)["contacts"] == 2
    await bot.tap(person, "c:del:y")
    # Erased from each table itself, not only from what the repository shows.
    for table in ("users", "respondents"):
        assert bot.db(f"SELECT count(*) FROM {table} WHERE user_id = ?", person.id) == [(0,)]
    for table in ("answers", "comment_parts"):
        assert bot.db(f"SELECT count(*) FROM {table} WHERE respondent_id = ?", number) == [(0,)]
    other_number = await bot.number(other)
    assert bot.db("SELECT DISTINCT respondent_id FROM answers") == [(other_number,)]
    assert bot.api.sent(TEAM_CHAT) == []  # the team hears of it in the hourly digest
    (notice,) = [c for c in await bot.run_job(jobs.WITHDRAWALS) if c.method == "sendMessage"]
    assert notice.params["chat_id"] == TEAM_CHAT
    assert f"(1 respondent): {number}." in notice.text
    assert str(person.id) not in notice.text
    await bot.send(person, "/start")
    await bot.tap(person, "c:lang:en")
    await bot.tap(person, "c:age:y")
    await bot.tap(person, "c:cons:y")
    new_number = await bot.number(person)
    assert new_number > number  # a number is never handed out twice


async def test_delete_declined_keeps_everything(bot: Harness) -> None:
    """No at the confirmation keeps every answer and repeats the current question."""
    person = Person(303)
    await walk_to(bot, person, "s2", language="ru")
    await bot.send(person, "/delete")
    calls = await bot.tap(person, "c:del:n")
    texts = [c.text for c in calls if c.method == "sendMessage"]
    assert texts[0] == translator("ru").gettext("Nothing was deleted.")
    assert "2 / 6" in texts[1]
    answered = [a for a in (await bot.answers(person)).values() if a.answered_at is not None]
    assert len(answered) == 1


async def test_mydata_sends_a_file_with_everything_stored(bot: Harness) -> None:
    """/mydata sends a text file with the number, the consent and every answer."""
    person = Person(304)
    await walk_to(bot, person, "m1", language="kk")
    await bot.send(person, "Менің пікірім.")
    calls = await bot.send(person, "/mydata")
    (document,) = [c for c in calls if c.method == "sendDocument"]
    assert document.params["caption"] == translator("kk").gettext(
        "Everything this bot holds about you."
    )
    body = document.files["document"].decode("utf-8")
    number = await bot.number(person)
    assert f": {number}" in body
    assert "Менің пікірім." in body
    assert str(person.id) not in body
    _ = translator("kk").gettext
    # 06:00 UTC is 11:00 in Asia/Almaty, the bot's zone; as Kazakh writes a date, not ISO.
    moment = _("{day} November {year}").format(day=30, year=2026) + ", 11:00"
    assert "2026-11-30T06:00:00+00:00" not in body
    stance = bot.content.stance_label(4)
    assert stance is not None and stance("kk") in body  # the stance, though m1 is still open
    for line in (
        _("First contact: {moment}").format(moment=moment),
        _("Consent given: {moment}").format(moment=moment),
        _("Consent text version: {version}").format(version=bot.content.version),
        _("Reminders sent: {count}").format(count=0),
        _("Reminders and news stopped (/stop): {answer}").format(answer=_("no")),
        _("Detected language of your comments: {labels}").format(labels="1 / 6: Қазақша"),
        _("Telegram's language setting: {code}").format(code="English"),
        _("Recruitment source: {source}").format(
            source=_("none (you opened the bot without an invitation link)")
        ),
    ):
        assert line in body, line


async def test_delete_leaves_no_row_about_the_person_in_any_table(bot: Harness) -> None:
    """Every table, every column: no value that is the person's id or pseudonymous number."""

    bot.team_chat(TEAM_CHAT)
    person = Person(7_777_777_301)
    await walk_to(bot, person, "m1")
    await bot.send(person, "A comment in two parts.")
    await bot.send(person, "The second part.")
    await bot.voice(person)
    bot.clock.advance(hours=30)
    assert bot.app is not None and bot.app.job_queue is not None
    (reminders,) = bot.app.job_queue.get_jobs_by_name(jobs.REMINDERS)
    await reminders.run(bot.app)  # a queued reminder, in the outbox
    number = await bot.number(person)
    # Raw SQL here and below: what each table itself still holds of the person.
    assert bot.db("SELECT count(*) FROM outbox WHERE user_id = ?", person.id) == [(1,)]
    await bot.send(person, "/delete")
    await bot.tap(person, "c:del:y")
    # Only the number waits, for the team's digest and the purge of the server's copies...
    assert bot.db("SELECT respondent_id FROM withdrawals") == [(number,)]
    await bot.run_job(jobs.WITHDRAWALS)  # ...which, done, forget it too
    assert len(bot.api.sent(TEAM_CHAT)) == 1
    leftovers = []
    with sqlite3.connect(bot.settings.db) as connection:
        tables = [
            t for (t,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        for table in tables:
            for column in [c[1] for c in connection.execute(f"PRAGMA table_info({table})")]:
                found = connection.execute(
                    f"SELECT count(*) FROM {table} WHERE {column} = ?",
                    (person.id,),
                ).fetchone()[0]
                if column in ("respondent_id",) or (table, column) == ("respondents", "id"):
                    found += connection.execute(
                        f"SELECT count(*) FROM {table} WHERE {column} = ?",
                        (number,),
                    ).fetchone()[0]
                if found:
                    leftovers.append((table, column, found))
    connection.close()
    assert leftovers == []
    print(f"deletion leftovers: {len(leftovers)} rows in {len(tables)} tables")


async def test_stop_is_stored_and_start_lifts_it(bot: Harness) -> None:
    """/stop marks the user; /start undoes it and says so."""
    person = Person(305)
    await walk_to(bot, person, "s1")
    await bot.send(person, "/stop")
    assert (await bot.participant(person)).stopped is True
    calls = await bot.send(person, "/start")
    assert (await bot.participant(person)).stopped is False
    assert calls[0].text == translator("en").gettext(
        "Welcome back: reminders and news are on again."
    )


async def test_a_second_tap_on_erase_creates_nobody(bot: Harness) -> None:
    """A double tap on 'Yes, erase' erases once and does not greet a new user."""
    person = Person(306)
    await walk_to(bot, person, "s1")
    await bot.send(person, "/delete")
    await bot.tap(person, "c:del:y")
    calls = await bot.tap(person, "c:del:y")
    assert bot.report(people_counts)["contacts"] == 0
    assert [c.text for c in calls if c.method == "sendMessage"] == [
        translator("en").gettext("Nothing is stored about you.")
    ]


async def test_an_online_backup_is_consistent_while_writes_go_on(bot: Harness) -> None:
    """`python -m bot backup FILE` during a stream of two-row transactions: every copy is
    intact and holds whole transactions only, owner-readable."""

    stop = threading.Event()
    written = [0]

    def writer() -> None:
        with sqlite3.connect(bot.settings.db, timeout=10) as connection:
            while not stop.is_set():
                n = written[0]
                with connection:  # one transaction, two rows
                    connection.execute(
                        "INSERT INTO sources (code, created_at) VALUES (?, 'x'), (?, 'x')",
                        (f"a{n}", f"b{n}"),
                    )
                written[0] += 1
        connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    copies = []
    try:
        for number in range(3):
            target = bot.settings.db.parent / f"copy-{number}.sqlite3"
            env = {**os.environ, "BOT_DB": str(bot.settings.db)}
            subprocess.run(
                [sys.executable, "-m", "bot", "backup", str(target)], env=env, check=True,
                capture_output=True, timeout=60,
            )  # fmt: skip
            copies.append(target)
    finally:
        stop.set()
        thread.join()
    assert written[0] > 10  # the writes did go on
    for copy in copies:
        assert oct(copy.stat().st_mode & 0o777) == "0o600"
        with sqlite3.connect(copy) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            a = connection.execute("SELECT count(*) FROM sources WHERE code LIKE 'a%'").fetchone()
            b = connection.execute("SELECT count(*) FROM sources WHERE code LIKE 'b%'").fetchone()
        connection.close()
        assert a == b
