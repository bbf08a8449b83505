"""/broadcast, roles, the audit log, opening and closing: the admins' side, through the bot."""

from __future__ import annotations

import sqlite3

import pytest

from bot import jobs
from bot.fakeapi import Fault
from bot.i18n import translator
from bot.storage.records import timestamp
from tests.harness import OWNER, Harness, Person, walk_to
from tests.test_jobs import run

ADMIN = 900_002
REFUSAL = translator("en").gettext("Sorry, this is for the consultation's team.")


def people(bot: Harness, *rows: tuple[int, str, str, str, str, int]) -> None:
    """Respondents straight into the database: (id, language, status, group, source, news)."""
    moment = timestamp(bot.clock.now)
    with sqlite3.connect(bot.settings.db) as connection:
        for user, language, status, group, source, news in rows:
            connection.execute(
                "INSERT INTO users (user_id, chat_id, language, source, status, step, created_at,"
                " last_activity_at) VALUES (?, ?, ?, ?, ?, 's3', ?, ?)",
                (user, user, language, source, status, moment, moment),
            )
            connection.execute(
                "INSERT INTO respondents (user_id, consented_at, consent_version, wants_news,"
                " stakeholder_group, started_at, completed_at) VALUES (?, ?, 1, ?, ?, ?, ?)",
                (user, moment, news, group, moment, moment if status == "submitted" else None),
            )
    connection.close()


CROWD = (
    (1001, "kk", "submitted", "student", "direct", 1),
    (1002, "ru", "in_progress", "entrepreneur", "kaznu", 1),
    (1003, "en", "in_progress", "student", "kaznu", 1),
    (1004, "kk", "in_progress", "academic", "direct", 0),  # did not ask for news
    (1005, "ru", "submitted", "student", "direct", 1),
)


async def deliver(bot: Harness) -> None:
    """Run the pump until the queue is empty (the bot's clock moves a second each turn)."""
    for _ in range(20):
        await run(bot, jobs.PUMP)
        counts = await bot.repo.outbox_counts()
        if not counts.get("pending") and not counts.get("sending"):
            return
        bot.clock.advance(seconds=1)
    raise AssertionError("the outbox did not empty")


async def draft_id(bot: Harness, admin: Person) -> int:
    """The number of the admin's open draft."""
    draft = await bot.repo.draft(admin.id)
    assert draft is not None
    return draft.id


async def compose(bot: Harness, admin: Person, *texts: str, each: bool = False) -> int:
    """Start a broadcast and type its text(s); the draft then asks for a picture."""
    await bot.send(admin, "/broadcast")
    number = await draft_id(bot, admin)
    await bot.tap(admin, f"b:{number}:mode:{'each' if each else 'all'}")
    for text in texts:
        await bot.send(admin, text)
    return number


async def send_to_all(bot: Harness, admin: Person, text: str) -> int:
    """Compose one text for everyone, no picture, to all, and press Send."""
    number = await compose(bot, admin, text)
    await bot.tap(admin, f"b:{number}:skip")
    await bot.tap(admin, f"b:{number}:aud:all")
    await bot.tap(admin, f"b:{number}:send")
    return number


def photo(bot: Harness, admin: Person) -> dict:
    return {"photo": [{"file_id": "pic-1", "file_unique_id": "u1", "width": 90, "height": 90}]}


async def test_a_broadcast_per_language_with_a_picture_reaches_its_audience(
    bot: Harness,
) -> None:
    """Texts in kk, ru, en, a picture, the Kazakh speakers: preview, count, send, report."""
    people(bot, *CROWD)
    owner = Person(OWNER)
    number = await compose(bot, owner, "Жаңалық", "Новость", "News <3", each=True)
    await bot.send_other(owner, **photo(bot, owner))
    await bot.tap(owner, f"b:{number}:aud:language")
    assert [label for label, _ in bot.last(owner).buttons][:3] == ["Қазақша", "Русский", "English"]
    preview = await bot.tap(owner, f"b:{number}:to:language:kk")
    photos = [c for c in preview if c.method == "sendPhoto"]
    assert [c.params["caption"] for c in photos] == ["Жаңалық", "Новость", "News &lt;3"]
    assert "Recipients: 1 (" in bot.last(owner).text  # 1004 asked for no news
    assert await bot.repo.outbox_counts() == {}  # nothing before the confirmation
    await bot.tap(owner, f"b:{number}:send")
    await bot.tap(owner, f"b:{number}:send", message_id=1)  # a double tap queues nothing more
    assert bot.db("SELECT user_id FROM outbox") == [(1001,)]  # whom: no record carries it
    await deliver(bot)
    (received,) = [c for c in bot.api.calls if c.params.get("chat_id") == 1001]
    assert received.method == "sendPhoto"
    assert received.params["caption"] == "Жаңалық"
    assert received.params["photo"] == "pic-1"
    await run(bot, jobs.PROGRESS)
    report = bot.api.sent(OWNER)[-1].text
    assert report.startswith(f"Broadcast #{number} finished: 1 delivered · 0 blocked · 0 failed")
    assert [action for _, _, action, _ in await bot.repo.audit_log()] == ["broadcast"]


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        ("all", [1001, 1002, 1003, 1005]),
        ("language:ru", [1002, 1005]),
        ("group:student", [1001, 1003, 1005]),
        ("submitted", [1001, 1005]),
        ("unfinished", [1002, 1003]),
        ("source:kaznu", [1002, 1003]),
    ],
)
async def test_the_audience_filters(bot: Harness, audience: str, expected: list[int]) -> None:
    """Each audience, and never someone who did not ask for news, stopped or blocked the bot."""
    people(bot, *CROWD, (1006, "ru", "submitted", "student", "kaznu", 1))
    bot.db_write("UPDATE users SET stopped = 1 WHERE user_id = 1006")
    people(bot, (1007, "ru", "in_progress", "student", "kaznu", 1))
    bot.db_write("UPDATE users SET blocked = 1 WHERE user_id = 1007")
    owner = Person(OWNER)
    number = await compose(bot, owner, "Hello")
    await bot.tap(owner, f"b:{number}:skip")
    kind, _, value = audience.partition(":")
    if value:
        await bot.tap(owner, f"b:{number}:aud:{kind}")
        await bot.tap(owner, f"b:{number}:to:{audience}")
    else:
        await bot.tap(owner, f"b:{number}:aud:{kind}")
    assert f"Recipients: {len(expected)} (" in bot.last(owner).text
    await bot.tap(owner, f"b:{number}:send")
    await deliver(bot)
    got = sorted(c.params["chat_id"] for c in bot.api.calls if c.text == "Hello")
    got.remove(OWNER)  # the preview
    assert got == expected


@pytest.mark.parametrize("step", ["mode", "text", "media", "audience", "preview"])
async def test_cancel_at_every_step(bot: Harness, step: str) -> None:
    """Cancel leaves nothing queued, and the draft's buttons do nothing afterwards."""
    people(bot, *CROWD)
    owner = Person(OWNER)
    await bot.send(owner, "/broadcast")
    number = await draft_id(bot, owner)
    steps = [f"b:{number}:mode:all", "Hello", f"b:{number}:skip", f"b:{number}:aud:all"]
    for action in steps[: ["mode", "text", "media", "audience", "preview"].index(step)]:
        if action.startswith("b:"):
            await bot.tap(owner, action)
        else:
            await bot.send(owner, action)
    await bot.tap(owner, f"b:{number}:cancel")
    assert bot.last(owner).text.startswith("Cancelled.")
    assert (await bot.repo.broadcast(number)).status == "cancelled"  # type: ignore[union-attr]
    late = await bot.tap(owner, f"b:{number}:send", message_id=1)
    assert late[-1].params.get("text") == "This broadcast is no longer a draft."
    assert await bot.repo.outbox_counts() == {}
    # The admin's next text goes to the journey again, not to a dead draft.
    assert await bot.repo.draft(owner.id) is None


async def test_status_and_cancel_while_sending(bot: Harness) -> None:
    """/broadcast status shows the progress; /broadcast cancel stops what is not yet sent."""
    people(bot, *CROWD)
    bot.settings.broadcast_rate = 2
    owner = Person(OWNER)
    number = await send_to_all(bot, owner, "Hello")
    await run(bot, jobs.PUMP)  # two a second: two of four sent
    status = await bot.send(owner, "/broadcast status")
    assert status[-1].text == f"Broadcast #{number}: 2 / 4 · 0 blocked · 0 failed"
    cancel = await bot.send(owner, "/broadcast cancel")
    assert cancel[-1].text == "Cancelled. Messages not yet sent: 2."
    bot.clock.advance(seconds=5)
    await deliver(bot)
    assert len([c for c in bot.api.calls if c.text == "Hello"]) == 2 + 1  # and the preview
    assert [action for _, _, action, _ in reversed(await bot.repo.audit_log())] == [
        "broadcast",
        "broadcast cancelled",
    ]


async def test_a_broadcast_resumes_after_a_restart_and_nobody_gets_it_twice(
    bot: Harness,
) -> None:
    """Rebuilt mid-send: the rest goes out, the sent ones are not repeated, the one in flight
    at the crash is marked unknown and not resent."""
    people(bot, *[(2000 + i, "en", "in_progress", "student", "direct", 1) for i in range(12)])
    bot.settings.broadcast_rate = 5
    owner = Person(OWNER)
    number = await send_to_all(bot, owner, "Hello again")
    await run(bot, jobs.PUMP)  # five sent
    bot.db_write(
        "UPDATE outbox SET status = 'sending' WHERE id = (SELECT min(id) FROM outbox"
        " WHERE status = 'pending')"
    )  # as if the process died during that send
    await bot.restart()
    bot.clock.advance(seconds=1)
    await deliver(bot)
    received = sorted(
        c.params["chat_id"]
        for c in bot.api.calls
        if c.text == "Hello again" and c.params["chat_id"] != OWNER
    )
    assert len(received) == len(set(received)) == 11
    assert (await bot.repo.outbox_counts()).get("unknown") == 1
    await run(bot, jobs.PROGRESS)
    # The one in flight at the crash may well have been delivered: it is reported apart.
    assert bot.api.sent(OWNER)[-1].text == (
        f"Broadcast #{number} finished: 11 delivered · 0 blocked · 0 failed · 0 not sent"
        " · 1 unknown (the request went out; Telegram did not answer)"
    )


async def test_blocked_and_vanished_recipients_are_counted_and_never_written_to_again(
    bot: Harness,
) -> None:
    """403 marks the person blocked, 400 chat not found fails the row; the report says so."""
    people(bot, *CROWD)
    bot.expect_errors = True

    bot.api.chat_faults[1002] = Fault(403, "Forbidden: bot was blocked by the user")
    bot.api.chat_faults[1003] = Fault(400, "Bad Request: chat not found")
    owner = Person(OWNER)
    number = await send_to_all(bot, owner, "Hi")
    await deliver(bot)
    await run(bot, jobs.PROGRESS)
    assert bot.api.sent(OWNER)[-1].text.startswith(
        f"Broadcast #{number} finished: 2 delivered · 1 blocked · 1 failed"
    )
    assert (await bot.participant(Person(1002))).blocked is True
    second = await compose(bot, owner, "Again")
    await bot.tap(owner, f"b:{second}:skip")
    await bot.tap(owner, f"b:{second}:aud:all")
    assert "Recipients: 3 (" in bot.last(owner).text


# Who may do what ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    ["/broadcast", "/admins add 5", "/teamchats add -100", "/audit", "/consultation close"],
)
async def test_a_respondent_is_refused_every_admin_command(bot: Harness, command: str) -> None:
    """Politely, and nothing changes."""
    person = Person(3001)
    await walk_to(bot, person, "s1")
    calls = await bot.send(person, command)
    assert [c.text for c in calls] == [REFUSAL]
    # Nothing written: each table itself is empty, inactive team chats included.
    for table in ("broadcasts", "admins", "audit"):
        assert bot.db(f"SELECT count(*) FROM {table}") == [(0,)]
    assert bot.db("SELECT count(*) FROM team_chats") == [(0,)]


@pytest.mark.parametrize("data", ["b:1:send", "b:1:mode:all", "b:1:cancel", "b:x", "b:1:to:all"])
async def test_forged_buttons_are_refused_and_change_nothing(bot: Harness, data: str) -> None:
    """A respondent pressing made-up broadcast buttons, even for a real draft."""
    people(bot, *CROWD)
    owner = Person(OWNER)
    number = await compose(bot, owner, "Real draft")
    await bot.tap(owner, f"b:{number}:skip")
    await bot.tap(owner, f"b:{number}:aud:all")
    person = Person(3002)
    calls = await bot.tap(person, data.replace(":1:", f":{number}:"), message_id=1)
    assert [c.params.get("text") for c in calls] == [REFUSAL]
    draft = await bot.repo.broadcast(number)
    assert draft is not None and (draft.status, draft.step) == ("draft", "preview")
    assert await bot.repo.outbox_counts() == {}


async def test_an_admin_cannot_use_another_admins_draft_or_out_of_step_buttons(
    bot: Harness,
) -> None:
    """Buttons of another admin's draft, unknown drafts and choices not offered: refused."""
    bot.db_write(
        "INSERT INTO admins (user_id, added_by, added_at) VALUES (?, ?, '2026-01-01')",
        ADMIN,
        OWNER,
    )
    await bot.restart()
    people(bot, *CROWD)
    owner, admin = Person(OWNER), Person(ADMIN)
    number = await compose(bot, owner, "Owner's text")
    invalid = "This button is not valid."
    for data in (f"b:{number}:skip", f"b:{number + 5}:skip"):
        calls = await bot.tap(admin, data, message_id=1)
        assert calls[-1].params.get("text") == invalid
    for data in (f"b:{number}:send", f"b:{number}:to:language:xx", f"b:{number}:mode:all"):
        calls = await bot.tap(owner, data, message_id=1)
        assert calls[-1].params.get("text") == invalid
    assert (await bot.repo.broadcast(number)).step == "media"  # type: ignore[union-attr]


async def test_owners_manage_admins_and_team_chats_and_the_audit_log_shows_it(
    bot: Harness,
) -> None:
    """An added admin may broadcast; a removed one may not; admins may not add admins;
    a team chat removed stays removed after a restart, though BOT_TEAM_CHATS names it."""
    owner, admin = Person(OWNER), Person(ADMIN)
    assert (await bot.send(admin, "/broadcast"))[-1].text == REFUSAL
    assert (await bot.send(owner, f"/admins add {ADMIN}"))[-1].text == "Done."
    assert (await bot.send(admin, "/broadcast"))[-1].text.startswith("New broadcast.")
    only_owners = (await bot.send(admin, "/admins add 42"))[-1].text
    assert only_owners == "Only the owners (BOT_ADMINS) may do this."
    assert (await bot.send(admin, "/teamchats add -100"))[-1].text == only_owners
    bot.team_chat(-100_555)
    await bot.restart()
    assert (await bot.send(owner, "/teamchats remove -100555"))[-1].text == "Done."
    assert (await bot.send(owner, "/teamchats add -100777"))[-1].text == "Done."
    await bot.restart()
    assert (await bot.send(owner, "/teamchats"))[-1].text == "Team chats: -100777"
    assert (await bot.send(owner, f"/admins remove {ADMIN}"))[-1].text == "Done."
    assert (await bot.send(admin, "/audit"))[-1].text == REFUSAL
    log = (await bot.send(owner, "/audit"))[-1].text.splitlines()
    assert [line.split(" · ", 2)[2] for line in log] == [
        f"admin remove · {ADMIN}",
        "team chat add · -100777",
        "team chat remove · -100555",
        f"admin add · {ADMIN}",
    ]


# Open and closed ------------------------------------------------------------------------------


async def test_closing_thanks_everyone_stores_nothing_and_reopening_restores(
    bot: Harness,
) -> None:
    """Closed: mid-journey taps and texts are thanked and not stored, newcomers too; data
    rights stay. Reopened: the respondent continues exactly where they were."""
    person, newcomer, owner = Person(3101), Person(3102), Person(OWNER)
    await walk_to(bot, person, "s2")
    closed = await bot.send(owner, "/consultation close")
    assert "closed" in closed[-1].text and "/broadcast" in closed[-1].text
    thanks = translator("en").gettext(
        "The Creative Spark consultation is closed now. Thank you for your interest and your "
        "time! What you told us is kept safely; /mydata shows it and /delete erases it."
    )
    before = await bot.answers(person)
    assert (await bot.tap(person, "c:s2:5"))[-1].text == thanks
    assert (await bot.send(person, "A comment"))[-1].text == thanks
    assert (await bot.send(newcomer, "/start"))[-1].text == thanks
    assert await bot.answers(person) == before
    assert (await bot.send(newcomer, "/help"))[-1].text == thanks
    assert (await bot.send(newcomer, "/language"))[-1].text == thanks
    assert await bot.repo.participant(newcomer.id) is None
    assert any(c.method == "sendDocument" for c in await bot.send(person, "/mydata"))
    assert (await bot.send(owner, "/consultation status"))[-1].text == (
        "The consultation is closed."
    )
    await bot.restart()
    assert (await bot.tap(person, "c:s2:5"))[-1].text == thanks  # still closed after a restart
    await bot.send(owner, "/consultation open")
    await bot.tap(person, "c:s2:5")
    assert (await bot.answer(person, "conclusion-2")).stance == 5
    assert [action for _, _, action, _ in reversed(await bot.repo.audit_log())] == [
        "consultation close",
        "consultation open",
    ]
