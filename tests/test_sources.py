"""/sources: admins register, list, retire recruitment links and print their QR codes."""

from __future__ import annotations

import struct
from typing import Any

from bot.i18n import translator
from bot.journey import UNREGISTERED
from tests.harness import OWNER, Harness, Person, walk_to

LINK = "https://t.me/creative_spark_bot?start="
REFUSAL = "Sorry, this is for the consultation's team."


async def test_an_admin_registers_a_source_and_gets_its_link(bot: Harness) -> None:
    """/sources add stores the code with its label, answers with the link, and is audited."""
    calls = await bot.send(Person(OWNER), "/sources add poster_almaty Posters at KazNU")
    assert [c.text for c in calls] == [
        f"Recruitment source poster_almaty is registered. Its link: {LINK}poster_almaty"
    ]
    assert bot.db("SELECT code, label, retired_at FROM sources") == [
        ("poster_almaty", "Posters at KazNU", None)
    ]
    assert (await bot.repo.audit_log(1))[0][1:] == (
        OWNER,
        "source add",
        "poster_almaty Posters at KazNU",
    )


async def test_a_bad_code_is_explained_and_nothing_is_stored(bot: Harness) -> None:
    """A code with other characters, or over 64 of them, gets a translated explanation."""
    owner = Person(OWNER, language_code="ru")  # answered in their Telegram app's language
    explanation = translator("ru").gettext(
        "A code is 1 to 64 characters, each a Latin letter, a digit, _ or -, for example "
        "poster_almaty."
    )
    for code in ("плакат", "a.b", "x" * 65):
        calls = await bot.send(owner, f"/sources add {code}")
        assert [c.text for c in calls] == [explanation]
    assert bot.db("SELECT * FROM sources") == []
    assert not [a for a in await bot.repo.audit_log() if a[2].startswith("source")]


async def test_a_respondent_is_refused(bot: Harness) -> None:
    """Someone who is not an admin gets the polite refusal; no source is registered."""
    person = Person(611)
    await walk_to(bot, person, "cons")
    for command in ("/sources", "/sources add mine", "/sources qr mine"):
        calls = await bot.send(person, command)
        assert [c.text for c in calls] == [REFUSAL]
    assert bot.db("SELECT * FROM sources") == []


async def test_a_registered_link_tags_the_newcomer_and_a_retired_one_does_not(
    bot: Harness,
) -> None:
    """A deep link of a registered code records that source; after /sources remove, the same
    link records `unregistered`, and the person recorded before keeps the source."""
    owner = Person(OWNER)
    await bot.send(owner, "/sources add class_3b")
    first, later, stranger = Person(612), Person(613), Person(614)
    await bot.send(first, "/start class_3b")
    assert (await bot.participant(first)).source == "class_3b"

    calls = await bot.send(owner, "/sources remove class_3b")
    assert [c.text for c in calls] == [
        "Recruitment source class_3b is retired: whoever opens its link from now on is "
        "recorded as unregistered; those already recorded keep it."
    ]
    await bot.send(later, "/start class_3b")
    await bot.send(stranger, "/start never_registered")
    assert (await bot.participant(later)).source == UNREGISTERED
    assert (await bot.participant(stranger)).source == UNREGISTERED
    assert (await bot.participant(first)).source == "class_3b"
    assert bot.db("SELECT retired_at FROM sources") == [(bot.clock.now.isoformat(),)]
    assert (await bot.repo.audit_log(1))[0][2:] == ("source remove", "class_3b")

    calls = await bot.send(owner, "/sources remove class_3b")
    assert [c.text for c in calls] == [
        "There is no active recruitment source class_3b. /sources lists them."
    ]
    await bot.send(owner, "/sources add class_3b")  # registered again: accepted again
    await bot.send(Person(615), "/start class_3b")
    assert (await bot.participant(Person(615))).source == "class_3b"


async def test_the_list_shows_labels_links_and_counts(bot: Harness) -> None:
    """/sources lists each source with its label, its link, and how many started, consented
    and submitted through it; retired ones last, marked."""
    owner = Person(OWNER)
    await bot.send(owner, "/sources add mailing Newsletter <b>November</b>")
    await bot.send(owner, "/sources add poster")
    submitted, consented, declined = Person(621), Person(622), Person(623)
    for person in (submitted, consented, declined):
        await bot.send(person, "/start mailing")
        await bot.tap(person, "c:lang:en")
    await walk_to(bot, submitted, "rev")
    await bot.tap(submitted, "c:rev:_submit")
    await walk_to(bot, consented, "s2")
    await walk_to(bot, declined, "cons")
    await bot.tap(declined, "c:cons:n")
    await bot.send(owner, "/sources add old")
    await bot.send(owner, "/sources remove old")

    calls = await bot.send(owner, "/sources")
    assert [c.text for c in calls] == [
        "Recruitment sources:\n\n"
        "mailing · Newsletter &lt;b&gt;November&lt;/b&gt;\n"
        f"{LINK}mailing\n"
        "started: 3 · consented: 2 · submitted: 1\n\n"
        f"poster\n{LINK}poster\nstarted: 0 · consented: 0 · submitted: 0\n\n"
        f"old (retired)\n{LINK}old\nstarted: 0 · consented: 0 · submitted: 0"
    ]
    assert (await bot.repo.audit_log(1))[0][2] == "sources list"


async def test_an_empty_list_says_how_to_register(bot: Harness) -> None:
    """With no source yet, /sources says how to add one."""
    calls = await bot.send(Person(OWNER), "/sources")
    assert [c.text for c in calls] == [
        "No recruitment source yet. Register one with /sources add CODE [LABEL]."
    ]


async def test_qr_sends_a_printable_png_of_the_link(bot: Harness) -> None:
    """/sources qr sends a PNG file at least 2000 pixels wide, captioned with the link."""
    owner = Person(OWNER)
    await bot.send(owner, "/sources add poster_astana")
    calls = await bot.send(owner, "/sources qr poster_astana")
    (call,) = calls
    assert call.method == "sendDocument"
    assert call.file_names["document"] == "qr-poster_astana.png"
    assert call.params["caption"] == f"The QR code of {LINK}poster_astana"
    png = call.files["document"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert width == height >= 2000
    assert (await bot.repo.audit_log(1))[0][2:] == ("source qr", "poster_astana")


async def test_qr_of_an_unknown_or_retired_code_sends_nothing(bot: Harness) -> None:
    """No QR code for a link that would record people as unregistered."""
    owner = Person(OWNER)
    await bot.send(owner, "/sources add gone")
    await bot.send(owner, "/sources remove gone")
    for code in ("gone", "never"):
        calls = await bot.send(owner, f"/sources qr {code}")
        assert [c.text for c in calls] == [
            f"There is no active recruitment source {code}. /sources lists them."
        ]
        assert not [c for c in calls if c.method == "sendDocument"]


async def test_a_wrong_subcommand_gets_the_usage(bot: Harness) -> None:
    """Anything else after /sources gets the usage line."""
    for command in ("/sources frobnicate", "/sources add", "/sources remove a b"):
        calls = await bot.send(Person(OWNER), command)
        assert [c.text for c in calls] == [
            "Use /sources add CODE [LABEL], /sources remove CODE or /sources qr CODE."
        ]


async def test_a_team_chat_works_but_another_group_gets_nothing(bot: Harness) -> None:
    """In a team chat an admin is answered there; in any other group an admin is told where
    results go, and a non-admin is refused even in a team chat."""
    team, other = -100_777, -100_666
    bot.team_chat(team)

    def in_group(chat_id: int, person: Person, text: str) -> dict[str, Any]:
        group = {"id": chat_id, "type": "supergroup", "title": "a group"}
        return {
            "update_id": chat_id + person.id,
            "message": {
                "message_id": 5, "date": 0, "chat": group, "from": person.user, "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": 8}],
            },
        }  # fmt: skip

    calls = await bot.feed(in_group(team, Person(OWNER), "/sources add team_link"))
    assert [(c.params["chat_id"], c.text) for c in calls] == [
        (team, f"Recruitment source team_link is registered. Its link: {LINK}team_link")
    ]
    calls = await bot.feed(in_group(other, Person(OWNER), "/sources"))
    assert [c.text for c in calls] == [
        "Results go only to team chats, and to admins in a private chat with me."
    ]
    calls = await bot.feed(in_group(team, Person(631), "/sources"))
    assert [c.text for c in calls] == [REFUSAL]
