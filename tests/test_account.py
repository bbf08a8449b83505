"""/mydata, /delete and /stop: the respondent's control of their data."""

from __future__ import annotations

from bot.i18n import translator
from tests.conftest import Harness, Person, walk_to

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
    ((number,),) = bot.db("SELECT id FROM respondents WHERE user_id = ?", person.id)
    await bot.send(person, "/delete")
    assert bot.offered(person) == ["c:del:y", "c:del:n"]
    assert bot.db("SELECT count(*) FROM users") == [(2,)]
    await bot.tap(person, "c:del:y")
    for table in ("users", "respondents"):
        assert bot.db(f"SELECT count(*) FROM {table} WHERE user_id = ?", person.id) == [(0,)]  # noqa: S608
    for table in ("answers", "comment_parts"):
        assert bot.db(f"SELECT count(*) FROM {table} WHERE respondent_id = ?", number) == [(0,)]  # noqa: S608
    ((other_number,),) = bot.db("SELECT id FROM respondents WHERE user_id = ?", other.id)
    assert bot.db("SELECT DISTINCT respondent_id FROM answers") == [(other_number,)]
    (notice,) = bot.api.sent(TEAM_CHAT)
    assert f"Respondent {number} withdrew" in notice.text
    assert str(person.id) not in notice.text
    await bot.send(person, "/start")
    await bot.tap(person, "c:lang:en")
    await bot.tap(person, "c:age:y")
    await bot.tap(person, "c:cons:y")
    ((new_number,),) = bot.db("SELECT id FROM respondents WHERE user_id = ?", person.id)
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
    assert bot.db("SELECT count(*) FROM answers WHERE answered_at IS NOT NULL") == [(1,)]


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
    ((number,),) = bot.db("SELECT id FROM respondents")
    assert f": {number}" in body
    assert "Менің пікірім." in body
    assert "2026-11-30T06:00:00+00:00" in body
    assert str(person.id) not in body


async def test_stop_is_stored_and_start_lifts_it(bot: Harness) -> None:
    """/stop marks the user; /start undoes it and says so."""
    person = Person(305)
    await walk_to(bot, person, "s1")
    await bot.send(person, "/stop")
    assert bot.db("SELECT stopped FROM users") == [(1,)]
    calls = await bot.send(person, "/start")
    assert bot.db("SELECT stopped FROM users") == [(0,)]
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
    assert bot.db("SELECT count(*) FROM users") == [(0,)]
    assert [c.text for c in calls if c.method == "sendMessage"] == [
        translator("en").gettext("Nothing is stored about you.")
    ]
