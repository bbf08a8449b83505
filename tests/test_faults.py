"""Telegram failing mid-journey loses no answer; the user is told and can carry on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.fakeapi import TIMEOUT, Fault
from bot.i18n import translator
from tests.harness import Harness, Person, current, walk_to


async def test_a_bad_gateway_on_the_next_question_loses_no_answer(bot: Harness) -> None:
    """A 502 while sending the next question: the answer is stored, /start shows the question."""
    person = Person(401)
    await walk_to(bot, person, "s1")
    bot.expect_errors = True
    bot.api.method_faults["sendMessage"] = Fault(502, "Bad Gateway", times=1)
    await bot.tap(person, "c:s1:5")
    assert (await bot.answer(person, "conclusion-1")).stance == 5
    assert await current(bot, person) == "m1"
    apology = translator("en").gettext(
        "Sorry, something went wrong on our side. Your answers are safe: send /start to continue."
    )
    assert bot.last(person).text == apology
    owner_notes = [c.text for c in bot.api.sent(900_001)]
    assert owner_notes == ["⚠️ NetworkError while handling an update; details in the bot's log."]
    assert len(bot.recorder.errors) == 1  # the harness sees what reaches the error handler
    await bot.send(person, "/start")
    await bot.tap(person, "c:resume:cont")
    assert "1 / 6" in bot.last(person).text


async def test_a_user_who_blocked_the_bot_does_not_break_it(bot: Harness) -> None:
    """A 403 on a reply is logged; the answer is stored and other users carry on."""
    person, other = Person(402), Person(403)
    await walk_to(bot, person, "s1")
    bot.expect_errors = True
    bot.api.chat_faults[person.id] = Fault(403, "Forbidden: bot was blocked by the user")
    await bot.tap(person, "c:s1:2")
    assert (await bot.answer(person, "conclusion-1")).stance == 2
    await walk_to(bot, other, "s1")
    assert "1 / 6" in bot.last(other).text


def test_the_demo_walks_in_the_terminal(tmp_path: Path) -> None:
    """`python -m bot demo` prints the bot's messages and numbered buttons, and takes numbers."""
    lines = "/start\n1\n1\n1\n1\n1\n:sticker\n/language\n3\n:quit\n"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "demo",
            "--db",
            str(tmp_path / "demo.sqlite3"),
            "--language-code",
            "kk",
        ],
        input=lines,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[1] Қазақша ✓" in out
    assert translator("kk").gettext("First, are you 18 or older?") in out
    assert translator("kk").gettext("Which group describes you best?") in out
    assert translator("kk").gettext("Please answer with the buttons below.") in out
    assert translator("en").gettext("Which group describes you best?") in out.split("English")[-1]


@pytest.mark.parametrize(
    "method", ["sendMessage", "answerCallbackQuery", "editMessageReplyMarkup"]
)
@pytest.mark.parametrize(
    "fault",
    [
        Fault(500, "Internal Server Error", times=1),
        Fault(502, "Bad Gateway", times=1),
        Fault(429, "Too Many Requests: retry after 1", retry_after=1, times=1),
        Fault(TIMEOUT, "read", times=1),
        Fault(TIMEOUT, "connect", times=1),
    ],
    ids=["500", "502", "429", "read-timeout", "connect-timeout"],
)
async def test_any_telegram_fault_on_any_call_of_a_tap_loses_no_answer(
    bot: Harness, method: str, fault: Fault
) -> None:
    """The stance is stored whatever Telegram does to the calls that follow; /start then
    shows the question the respondent is at; the owners' note carries no user data."""
    person = Person(7_404_000_001)
    await walk_to(bot, person, "s1")
    bot.expect_errors = True
    used = {c.method for c in await bot.tap(person, "c:s1:3", message_id=1)}
    assert (await bot.answer(person, "conclusion-1")).stance == 3
    bot.db_write("UPDATE answers SET stance = NULL, answered_at = NULL")
    bot.db_write("UPDATE users SET step = 's1'")
    bot.api.method_faults[method] = Fault(fault.status, fault.description, fault.retry_after, 1)
    await bot.tap(person, "c:s1:4", message_id=1)
    assert method in used  # the fault does hit a call the tap makes
    assert bot.api.method_faults[method].times == 0
    assert (await bot.answer(person, "conclusion-1")).stance == 4
    assert await current(bot, person) == "m1"
    for note in bot.api.sent(900_001):
        assert str(person.id) not in note.text and "c:s1" not in note.text
    bot.api.method_faults.clear()
    await bot.send(person, "/start")
    await bot.tap(person, "c:resume:cont")
    assert "1 / 6" in bot.last(person).text
    assert await current(bot, person) == "m1"


async def test_the_apology_follows_the_one_language_rule(bot: Harness) -> None:
    """Someone who has not chosen a language yet is told in their Telegram app's language, as
    the language screen suggests it; the owner, who never chose one, in theirs."""
    person = Person(404, "ru")
    await bot.send(person, "/start")  # the language screen: nothing chosen
    bot.expect_errors = True
    bot.api.method_faults["sendMessage"] = Fault(502, "Bad Gateway", times=1)
    await bot.send(person, "/help")
    apology = translator("ru").gettext(
        "Sorry, something went wrong on our side. Your answers are safe: send /start to continue."
    )
    assert bot.last(person).text == apology
