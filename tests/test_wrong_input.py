"""Odd input at any step gets a translated hint and the current question; nothing changes."""

from __future__ import annotations

from typing import Any

import pytest

from bot.i18n import translator
from bot.journey import callback
from bot.storage.reports import people_counts
from tests.harness import Harness, Person, current, walk_to

STICKER = {
    "sticker": {
        "file_id": "s",
        "file_unique_id": "s",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
}
PHOTO = {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]}
DOCUMENT = {"document": {"file_id": "d", "file_unique_id": "d", "file_name": "cv.pdf"}}
LOCATION = {"location": {"latitude": 51.13, "longitude": 71.43}}
CONTACT = {"contact": {"phone_number": "+77010000000", "first_name": "A"}}


def snapshot(bot: Harness) -> list[Any]:
    """Everything stored, for before/after comparison: whole rows of the tables themselves, so
    that a change to any column shows, not only to those the records carry."""
    return [
        bot.db("SELECT * FROM users ORDER BY user_id"),
        bot.db("SELECT * FROM respondents ORDER BY id"),
        bot.db("SELECT * FROM answers ORDER BY respondent_id, item"),
        bot.db("SELECT * FROM comment_parts ORDER BY respondent_id, message_id"),
    ]


def hint(language: str, msgid: str) -> str:
    return f"<i>{translator(language).gettext(msgid)}</i>"


@pytest.mark.parametrize("kind", [STICKER, PHOTO, DOCUMENT, LOCATION, CONTACT, {"text": "hello?"}])
@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_unexpected_input_at_a_button_step_gets_a_hint_and_the_question(
    bot: Harness, kind: dict[str, Any], language: str
) -> None:
    """Where a button is expected, anything else is answered with a hint and the question."""
    person = Person(201)
    await walk_to(bot, person, "reg", language=language)
    question = bot.last(person)
    before = snapshot(bot)
    calls = await bot.send_other(person, **kind)
    texts = [c.text for c in calls if c.method == "sendMessage"]
    assert texts == [hint(language, "Please answer with the buttons below."), question.text]
    assert calls[-1].buttons == question.buttons
    assert snapshot(bot)[1:] == before[1:]


@pytest.mark.parametrize("kind", [STICKER, PHOTO, DOCUMENT, LOCATION])
async def test_unexpected_input_at_a_comment_step_says_text_or_voice(
    bot: Harness, kind: dict[str, Any]
) -> None:
    """Where a comment is asked, a sticker or a photo is told that text or voice is wanted."""
    person = Person(202)
    await walk_to(bot, person, "m1", language="ru")
    before = snapshot(bot)
    calls = await bot.send_other(person, **kind)
    texts = [c.text for c in calls if c.method == "sendMessage"]
    assert texts[0] == hint("ru", "I can take your comment as text or as a voice message.")
    assert "1 / 6" in texts[1]
    assert snapshot(bot)[1:] == before[1:]


async def test_an_unknown_command_gets_a_hint(bot: Harness) -> None:
    """A command the bot does not know is answered with a hint, then the current question."""
    person = Person(203)
    await walk_to(bot, person, "reg", language="kk")
    before = snapshot(bot)
    calls = await bot.send(person, "/admin_secret")
    texts = [c.text for c in calls if c.method == "sendMessage"]
    assert texts[0] == hint("kk", "I don't know that command. Send /help to see what I can do.")
    assert translator("kk").gettext("Where do you live?") in texts[1]
    assert snapshot(bot)[1:] == before[1:]


async def test_a_tap_on_an_old_keyboard_is_stale_and_changes_nothing(bot: Harness) -> None:
    """A different answer from an earlier question's keyboard is refused with a hint."""
    person = Person(204)
    await walk_to(bot, person, "s3")
    old = bot.message_with(person, "c:s1:4")
    before = snapshot(bot)
    calls = await bot.tap(person, "c:s1:1", message_id=old)
    toast = next(c for c in calls if c.method == "answerCallbackQuery")
    assert toast.params["text"] == translator("en").gettext(
        "That button belongs to an earlier question. Here is the current one."
    )
    assert "3 / 6" in calls[-1].text
    assert snapshot(bot)[2:] == before[2:]
    assert (await bot.answer(person, "conclusion-1")).stance == 4


async def test_a_double_tap_is_acknowledged_once(bot: Harness) -> None:
    """The second of two quick taps on the same button sends nothing and stores nothing."""
    person = Person(205)
    await walk_to(bot, person, "s1")
    await bot.tap(person, "c:s1:5")
    before = snapshot(bot)
    calls = await bot.tap(person, "c:s1:5")
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert snapshot(bot) == before
    sectors = Person(206)
    await walk_to(bot, sectors, "sec")
    await bot.tap(sectors, "c:sec:music:1")
    await bot.tap(sectors, "c:sec:music:1")  # same tap twice: still selected, not toggled off
    assert (await bot.answer(sectors, "sectors")).choices == ("music",)


@pytest.mark.parametrize(
    "data",
    [
        "c:s3:9",
        "c:s3:<script>",
        "zzz",
        "",
        "c:rev:_submit",
        "c:grp:../../etc",
        "c:sec:music:1",
        "x" * 64,
        "c:lang:de",
        "c:resume:cont:1",
    ],
)
async def test_forged_callback_data_changes_nothing(bot: Harness, data: str) -> None:
    """Callback data the bot never offered at this step gets a hint and changes nothing."""
    person = Person(207)
    await walk_to(bot, person, "s3")
    before = snapshot(bot)
    calls = await bot.tap(person, data, message_id=bot.message_with(person, "c:s3:4"))
    toast = next(c for c in calls if c.method == "answerCallbackQuery")
    assert toast.params.get("text")
    assert "3 / 6" in calls[-1].text
    assert snapshot(bot)[1:] == before[1:]
    assert await current(bot, person) == "s3"


async def test_choosing_more_than_three_sectors_is_refused(bot: Harness) -> None:
    """A fourth sector is refused with an alert; the three stay chosen."""
    person = Person(208)
    await walk_to(bot, person, "sec")
    for sector in ("music", "architecture", "publishing"):
        await bot.tap(person, callback("sec", sector, True))
    calls = await bot.tap(person, callback("sec", "design-fashion", True))
    alert = next(c for c in calls if c.method == "answerCallbackQuery")
    assert alert.params["text"] == "You can choose up to 3 options."
    assert (await bot.answer(person, "sectors")).choices == ("music", "architecture", "publishing")
    await bot.tap(person, callback("sec", "dont-know", True))  # exclusive: replaces the others
    assert (await bot.answer(person, "sectors")).choices == ("dont-know",)


async def test_a_comment_over_4000_characters_is_stored_whole_and_shown_split(
    bot: Harness,
) -> None:
    """A long comment is kept verbatim; the review splits it across messages, never cuts it."""
    person = Person(209)
    await walk_to(bot, person, "m1")
    long_text = ("Креативті индустриялар <b>&amp; ") * 130  # 4,160 characters, HTML specials
    long_text = long_text[:4096]
    await bot.send(person, long_text)
    await bot.send(person, long_text)
    stored = (await bot.answer(person, "conclusion-1")).comment
    assert stored == long_text + "\n" + long_text
    await bot.tap(person, "c:back:m1")
    await bot.tap(person, "c:s1:4")
    shown = [c.text for c in bot.sent(person)[-4:]]
    assert all(len(text) <= 4096 for text in shown)
    assert "&lt;b&gt;&amp;amp;" in "".join(shown)
    assert "<b>&amp;" not in "".join(shown).replace("<b>1 / 6", "")


async def test_a_message_in_a_group_points_to_a_private_chat(bot: Harness) -> None:
    """In a group, the bot answers with a hint and a link to a private chat, storing nothing."""
    person = Person(210, language_code="ru")
    group = {"id": -100123, "type": "supergroup", "title": "Creative Astana"}
    calls = await bot.feed(
        {
            "update_id": 9001,
            "message": {
                "message_id": 5,
                "date": 0,
                "chat": group,
                "from": person.user,
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
    )
    (reply,) = [c for c in calls if c.method == "sendMessage"]
    assert reply.params["chat_id"] == -100123
    assert reply.text == translator("ru").gettext(
        "I answer in private chats only: please write to me directly."
    )
    assert reply.buttons == [
        (translator("ru").gettext("Open a private chat"), "https://t.me/creative_spark_bot")
    ]
    assert bot.report(people_counts)["contacts"] == 0


async def test_a_stranger_who_never_pressed_start_is_greeted(bot: Harness) -> None:
    """Text or a button from someone the bot has never seen starts the journey."""
    person = Person(211, language_code="kk")
    calls = await bot.send(person, "Сәлем")
    assert calls[-1].buttons[0][0] == "Қазақша ✓"
    stranger = Person(212)
    calls = await bot.tap(stranger, "c:s3:4", message_id=1)
    assert [c.method for c in calls if c.method == "sendMessage"] == ["sendMessage"]
    assert await current(bot, stranger) == "lang"


@pytest.mark.parametrize("data", ["c:done:x", "c:declined:x", "c:rev:_submit"])
async def test_forged_end_state_data_is_refused_without_an_error(bot: Harness, data: str) -> None:
    """Data naming an end state is refused with a hint; nothing reaches the error handler."""
    person = Person(213)
    await walk_to(bot, person, "rev")
    await bot.tap(person, "c:rev:_submit")
    bot.api.clear()
    await bot.tap(person, data, message_id=1)
    toast = next(c for c in bot.api.calls if c.method == "answerCallbackQuery")
    assert toast.params.get("text")
    assert bot.api.sent(900_001) == []  # the owners were not told of any error


async def test_a_service_message_is_ignored(bot: Harness) -> None:
    """A pinned message or a timer change is not input: no hint, nothing stored."""
    person = Person(214)
    await walk_to(bot, person, "s1")
    before = snapshot(bot)
    calls = await bot.send_other(
        person, pinned_message={"message_id": 1, "date": 0, "chat": person.chat}
    )
    assert [c for c in calls if c.method == "sendMessage"] == []
    assert snapshot(bot) == before
