"""/export and /stats: the team's, refused politely to everyone else."""

from __future__ import annotations

import pytest

from bot.i18n import translator
from tests.harness import OWNER, Harness, Person, walk_to

TEAM = -100_888


@pytest.mark.parametrize("command", ["/stats", "/export", "/stats chart"])
async def test_a_respondent_is_refused_politely(bot: Harness, command: str) -> None:
    """Someone who is neither an admin nor in a team chat gets a translated refusal, no data."""
    person = Person(601, language_code="ru")
    await walk_to(bot, person, "s1", language="ru")
    calls = await bot.send(person, command)
    texts = [c.text for c in calls if c.method == "sendMessage"]
    assert texts == [translator("ru").gettext("Sorry, this is for the consultation's team.")]
    assert not [c for c in calls if c.method == "sendDocument"]


async def test_the_owner_sees_the_statistics(bot: Harness) -> None:
    """/stats shows started, submitted, declined, by language, group and source, stances."""
    one, two, three = Person(602), Person(603), Person(604)
    await walk_to(bot, one, "rev", language="kk")
    await bot.tap(one, "c:rev:_submit")
    await walk_to(bot, two, "s3", language="ru")
    await walk_to(bot, three, "cons")
    await bot.tap(three, "c:cons:n")
    owner = Person(OWNER)
    calls = await bot.send(owner, "/stats")
    text = calls[-1].text
    assert "Started: 2 · submitted: 1 · declined: 1" in text
    assert "By language: Қазақша: 1, Русский: 1" in text
    assert "Student: 2" in text
    assert "no invitation link: 2" in text
    # The counts in the CSV files' order, 1 = strongly disagree ... 5 = strongly agree, named.
    assert "1 = Strongly disagree · 2 = Disagree" in text and "5 = Strongly agree" in text
    assert "1. A holistic, collective approach: 1: 0 · 2: 0 · 3: 0 · 4: 2 · 5: 0 (n = 2)" in text


async def test_a_team_chat_may_ask_for_statistics(bot: Harness) -> None:
    """In a team chat anyone may ask; the command works in a group."""
    bot.team_chat(TEAM)
    member = Person(605)
    group = {"id": TEAM, "type": "supergroup", "title": "Creotalents team"}
    calls = await bot.feed(
        {
            "update_id": 77,
            "message": {
                "message_id": 9, "date": 0, "chat": group, "from": member.user, "text": "/stats",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
    )  # fmt: skip
    (reply,) = [c for c in calls if c.method == "sendMessage"]
    assert reply.params["chat_id"] == TEAM
    assert "Started: 0" in reply.text


async def test_export_now_sends_the_pack_to_the_asker(bot: Harness) -> None:
    """/export from the owner builds the pack and sends it to the owner's chat."""
    person = Person(606)
    await walk_to(bot, person, "s2")
    owner = Person(OWNER)
    calls = await bot.send(owner, "/export")
    methods = [c.method for c in calls if c.params.get("chat_id") == OWNER]
    assert methods[:2] == ["sendMessage", "sendMessage"]
    documents = [c.file_names["document"] for c in calls if c.method == "sendDocument"]
    assert documents[:3] == ["chart-en.png", "chart-sectors-en.png", "chart-markets-en.png"]
    assert documents[3:] == ["consultation.xlsx", documents[4]]  # the workbook, the zip
    assert documents[4].endswith(".zip")
    assert len(list(bot.settings.export_dir.glob("on-demand/*/answers.csv"))) == 1


def group_update(chat_id: int, person: Person, text: str, *, edited: bool = False) -> dict:
    """A command typed in a group (or edited there afterwards)."""
    group = {"id": chat_id, "type": "supergroup", "title": "a group"}
    command = text.split(maxsplit=1)[0]
    message = {
        "message_id": 19, "date": 0, "chat": group, "from": person.user, "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
    }  # fmt: skip
    if edited:
        message["edit_date"] = 1
    return {"update_id": 78, "edited_message" if edited else "message": message}


async def test_an_owner_in_another_group_gets_no_data_there(bot: Harness) -> None:
    """Raw data only in team chats and private chats: the owner is told so, nothing is sent."""
    calls = await bot.feed(group_update(-100_999, Person(OWNER), "/export"))
    assert [c.text for c in calls] == [
        translator("en").gettext(
            "Results go only to team chats, and to admins in a private chat with me."
        )
    ]
    assert not list(bot.settings.export_dir.glob("**/answers.csv"))


async def test_an_edited_command_does_nothing(bot: Harness) -> None:
    """Editing an old message into /stats in a team chat runs nothing."""
    bot.team_chat(TEAM)
    calls = await bot.feed(group_update(TEAM, Person(607), "/stats", edited=True))
    assert calls == []


async def test_stats_chart_draws_only_the_chart(bot: Harness) -> None:
    """/stats chart sends the figures and the chart in the asker's language; no pack is built."""
    person = Person(608)
    await walk_to(bot, person, "s2", language="ru")
    owner = Person(OWNER)
    calls = await bot.send(owner, "/stats chart")
    documents = [c.file_names["document"] for c in calls if c.method == "sendDocument"]
    assert documents == ["chart-en.png"]
    (folder,) = bot.settings.export_dir.glob("on-demand/*")
    assert sorted(p.name for p in folder.iterdir()) == [
        "chart-en.png",
        "chart-kk.png",
        "chart-ru.png",
    ]


async def test_on_demand_packs_are_pruned(bot: Harness) -> None:
    """Only the last few packs made on demand stay on the server."""
    owner = Person(OWNER)
    for _ in range(7):
        await bot.send(owner, "/stats chart")
        bot.clock.advance(seconds=1)
    assert len(list(bot.settings.export_dir.glob("on-demand/*"))) == 5
