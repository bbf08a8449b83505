"""Content revisions published from the bot: validation, preview, Publish and Cancel, versions
kept across restarts, /content, the change note, and `check-content --db`."""

from __future__ import annotations

import csv
import io
import itertools
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.content import load_content
from bot.export import write_pack
from bot.fakeapi import Call
from bot.journey import stance_step
from tests.harness import OWNER, Harness, Person, current, walk_to

ADMIN = 900_002
BUNDLED = Path(__file__).parent.parent / "bot" / "data" / "consultation.toml"
NEW_TEXT = (
    'text = { kk = "Бірінші қорытындының жаңа мәтіні.", ru = "Новый текст первого вывода.",'
    ' en = "The first conclusion, as the team rewrote it." }\n'
    'change_note = { kk = "Сіздің пікірлеріңіз бойынша қысқарттық.",'
    ' ru = "Мы сократили его по вашим отзывам.", en = "We shortened it after your comments." }'
)
_files = itertools.count(1)


def revised(version: int = 4) -> str:
    """The bundled file as version `version`: conclusion 1 rewritten with a change note,
    conclusion 6 and the sector heritage-crafts removed."""
    text = BUNDLED.read_text(encoding="utf-8").replace("version = 3", f"version = {version}", 1)
    first = text.index('id = "conclusion-1"')
    start = text.index("text = ", first)
    end = text.index("\n", start)
    text = text[:start] + NEW_TEXT + text[end:]
    sixth = text.index('[[conclusions]]\nid = "conclusion-6"')
    text = text[:sixth] + text[text.index("[[groups]]") :]
    craft = text.index('[[sectors]]\nid = "heritage-crafts"')
    return text[:craft] + text[text.index("[[sectors]]", craft + 5) :]


async def send_file(bot: Harness, person: Person, data: bytes, name: str = "c.toml") -> list[Call]:
    """The person sends `data` as a document."""
    file_id = f"doc{next(_files)}"
    bot.api.documents[file_id] = data
    document: dict[str, Any] = {
        "file_id": file_id,
        "file_unique_id": file_id,
        "file_name": name,
        "mime_type": "application/toml",
        "file_size": len(data),
    }
    return await bot.send_other(person, document=document)


def texts(calls: list[Call]) -> str:
    return "\n".join(c.text for c in calls if c.method == "sendMessage")


def answered(calls: list[Call]) -> str:
    return "\n".join(
        str(c.params.get("text", "")) for c in calls if c.method == "answerCallbackQuery"
    )


def drafts(bot: Harness) -> list[tuple[Any, ...]]:
    return bot.db("SELECT version, status FROM content_drafts ORDER BY id")


async def test_an_invalid_file_gets_every_problem_and_changes_nothing(bot: Harness) -> None:
    """Not TOML, not UTF-8, over 1 MB or failing validation: the problems, nothing changed."""
    owner = Person(OWNER)
    broken = BUNDLED.read_text(encoding="utf-8").replace("version = 3", "version = 0", 1)
    broken = broken.replace('id = "conclusion-2"', 'id = "conclusion-9"', 1)
    said = texts(await send_file(bot, owner, broken.encode()))
    assert "The file has 2 problems. Nothing was changed." in said
    assert "• version: a whole number from 1 up is required" in said
    assert "conclusion-9" in said
    said = texts(await send_file(bot, owner, b"version = = 4"))
    assert "1 problem" in said and "not valid TOML" in said
    assert "not UTF-8" in texts(await send_file(bot, owner, "version = 4".encode("utf-16")))
    assert "larger than 1 MB" in texts(await send_file(bot, owner, b"#" * 1_000_001))
    old = texts(await send_file(bot, owner, revised(3).encode()))
    assert "needs a greater number" in old
    assert drafts(bot) == [] and bot.app is not None
    assert bot.app.bot_data["services"].content.version == 3


async def test_the_preview_names_every_change_then_publish_runs_it(bot: Harness) -> None:
    """Preview: version, each conclusion's fate, new texts, options, [TBC], people to move;
    Publish stores the file, runs it, moves people losing no answer, and shows the note."""
    owner, at_six, at_one = Person(OWNER), Person(7_100_000_001), Person(7_100_000_002)
    await walk_to(bot, at_six, stance_step(6))
    await walk_to(bot, at_one, stance_step(1))
    answers_before = len(await bot.answers(at_six))
    preview = await send_file(bot, owner, revised().encode())
    said = texts(preview)
    assert "Version 4 of the consultation document (version 3 is running)." in said
    assert ": changed" in said and ": removed" in said and ": unchanged" in said
    assert "[en] " in said and "The first conclusion, as the team rewrote it." in said
    assert "Новый текст первого вывода." in said and "Бірінші қорытындының жаңа мәтіні." in said
    assert "Options removed (sectors): heritage-crafts" in said
    assert "[TBC]" in said  # the bundled facts still to fill in are listed
    assert "1 person stands at a step this version no longer has" in said
    assert all(len(c.text) <= 4096 for c in preview if c.method == "sendMessage")
    assert bot.offered(owner) == ["p:pub:1", "p:no:1"]
    said = texts(await bot.tap(owner, "p:pub:1"))
    assert "Version 4 is published and running now." in said
    assert "1 person was moved" in said
    assert bot.app is not None and bot.app.bot_data["services"].content.version == 4
    # The version answered so far is kept beside it, as the file the bot started with (by 0).
    versions = bot.db("SELECT version, published_by FROM content_versions ORDER BY version")
    assert versions == [(3, 0), (4, OWNER)]
    assert bot.db("SELECT action FROM audit") == [("content published",)]
    assert await current(bot, at_six) == "sec"
    assert len(await bot.answers(at_six)) == answers_before
    await bot.send(at_one, "/start")
    screen = texts(await bot.tap(at_one, bot.offered(at_one)[0]))  # continue where I left off
    assert "The first conclusion, as the team rewrote it." in screen
    assert "What changed: We shortened it after your comments." in screen
    again = answered(await bot.tap(owner, "p:pub:1", message_id=bot.message_with(owner, "p:no:1")))
    assert "already published or cancelled" in again
    assert bot.db("SELECT count(*) FROM content_versions") == [(2,)]


async def test_the_note_is_not_shown_to_someone_answering_the_new_version(bot: Harness) -> None:
    """Someone who reaches a conclusion after the publish sees its new text, not the note."""
    owner, newcomer = Person(OWNER), Person(7_100_000_003)
    await send_file(bot, owner, revised().encode())
    await bot.tap(owner, "p:pub:1")
    await walk_to(bot, newcomer, stance_step(1))
    screen = bot.last(newcomer).text
    assert "The first conclusion, as the team rewrote it." in screen
    assert "What changed" not in screen


async def test_cancel_changes_nothing(bot: Harness) -> None:
    """Cancel keeps the version running; its Publish afterwards does nothing."""
    owner = Person(OWNER)
    await send_file(bot, owner, revised().encode())
    assert "Cancelled. Nothing was changed." in texts(await bot.tap(owner, "p:no:1"))
    assert "already published or cancelled" in answered(await bot.tap(owner, "p:pub:1"))
    assert bot.app is not None and bot.app.bot_data["services"].content.version == 3
    assert bot.db("SELECT count(*) FROM content_versions") == [(0,)]
    assert drafts(bot) == [(4, "cancelled")]


async def test_two_admins_the_second_is_shown_the_first_ones_version(bot: Harness) -> None:
    """The second admin's Publish, once another version runs, publishes nothing and asks for
    the file again; nobody taps another admin's preview or a forged button."""
    owner, admin = Person(OWNER), Person(ADMIN)
    assert bot.app is not None
    bot.app.bot_data["services"].admins.add(ADMIN)
    await send_file(bot, owner, revised(4).encode())
    await send_file(bot, admin, revised(5).encode())
    assert "not valid" in answered(await bot.tap(admin, "p:pub:1", message_id=1))
    assert "not valid" in answered(await bot.tap(admin, "p:pub:x9", message_id=1))
    await bot.tap(owner, "p:pub:1")
    said = texts(await bot.tap(admin, "p:pub:2"))
    assert "Meanwhile version 4 was published" in said and "send your file again" in said
    published = bot.db("SELECT version FROM content_versions ORDER BY version")
    assert published == [(3,), (4,)]  # the start file's 3, the owner's 4: not the admin's 5
    assert bot.app.bot_data["services"].content.version == 4


async def test_a_document_from_a_respondent_is_stray_input(bot: Harness) -> None:
    """A respondent's .toml file gets the journey's hint, like a sticker; nothing is read."""
    person = Person(7_100_000_004)
    await walk_to(bot, person, stance_step(2))
    sticker = texts(await bot.send_other(person, sticker={"file_id": "s", "file_unique_id": "s",
                    "type": "regular", "width": 1, "height": 1, "is_animated": False,
                    "is_video": False}))  # fmt: skip
    calls = await send_file(bot, person, revised().encode())
    assert texts(calls) == sticker
    assert not any(c.method == "getFile" for c in calls)
    assert drafts(bot) == []


async def test_a_broadcast_draft_still_takes_an_admins_file(bot: Harness) -> None:
    """While a broadcast waits for its file, an admin's .toml file goes with the broadcast."""
    owner = Person(OWNER)
    await bot.send(owner, "/broadcast")
    await bot.tap(owner, "b:1:mode:all")
    await bot.send(owner, "News for everyone.")
    calls = await send_file(bot, owner, revised().encode())
    assert "Who should receive it?" in texts(calls)
    assert drafts(bot) == []


async def test_a_restart_runs_the_published_version_and_content_lists_it(bot: Harness) -> None:
    """After a restart the published version runs; /content shows it and the history."""
    owner = Person(OWNER)
    await send_file(bot, owner, revised().encode())
    await bot.tap(owner, "p:pub:1")
    await bot.restart()
    assert bot.app is not None and bot.app.bot_data["services"].content.version == 4
    said = texts(await bot.send(owner, "/content"))
    assert "version 4 is running" in said
    assert f"4 · 2026-11-30 11:00 · {OWNER}" in said  # the bot's zone, Asia/Almaty by default
    refused = texts(await bot.send(Person(7_100_000_005), "/content"))
    assert "for the consultation's team" in refused


async def test_check_content_with_a_database_compares_with_the_published(
    bot: Harness, tmp_path: Path
) -> None:
    """`check-content FILE --db DB` prints the comparison with the version the database runs."""
    owner = Person(OWNER)
    await send_file(bot, owner, revised().encode())
    await bot.tap(owner, "p:pub:1")
    five = tmp_path / "five.toml"
    five.write_text(revised(5), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check-content", str(five), "--db", str(bot.settings.db)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "version 5 (published: 4)" in result.stdout
    assert "conclusion-1: unchanged" in result.stdout
    assert "people at a step this version no longer has: 0" in result.stdout


def test_a_change_note_is_optional_and_validated(tmp_path: Path) -> None:
    """change_note is read in the three languages; a missing language is a problem."""
    path = tmp_path / "c.toml"
    path.write_text(revised(), encoding="utf-8")
    note = load_content(path).conclusions[0].change_note
    assert note is not None and note("ru") == "Мы сократили его по вашим отзывам."
    assert load_content(path).conclusions[1].change_note is None
    without_english = revised().replace(', en = "We shortened it after your comments."', "")
    path.write_text(without_english, encoding="utf-8")
    try:
        load_content(path)
    except ValueError as exc:
        assert "conclusion-1.change_note: the en text is missing or empty" in str(exc)
    else:
        raise AssertionError("a change note without English was accepted")


async def test_the_codebook_labels_each_versions_items_with_its_texts(bot: Harness) -> None:
    """Answers given against version 3 and then 4: the codebook has conclusion 1 under both
    versions, each with the title of its own version."""
    owner, person = Person(OWNER), Person(7_100_000_009)
    await walk_to(bot, person, stance_step(2))  # conclusion 1 answered against version 3
    retitled = revised().replace(
        'en = "A holistic, collective approach"', 'en = "One approach, together"', 1
    )
    await send_file(bot, owner, retitled.encode())
    await bot.tap(owner, "p:pub:1")
    pack = bot.settings.export_dir / "versions"
    assert bot.app is not None
    write_pack(bot.settings.db, pack, bot.app.bot_data["services"].content, zone=bot.settings.zone)
    rows = csv.DictReader(io.StringIO((pack / "codebook.csv").read_text(encoding="utf-8-sig")))
    titles = {
        r["content_version"]: r["label_en"]
        for r in rows
        if (r["variable"], r["value"]) == ("item", "conclusion-1")
    }
    assert titles == {"3": "A holistic, collective approach", "4": "One approach, together"}


async def test_exports_and_stats_describe_the_published_version(bot: Harness) -> None:
    """The pack and `stats`, run as the bot runs them (a child process on the database), use the
    version published from the bot, not the file the bot started with."""
    owner = Person(OWNER)
    await walk_to(bot, Person(7_100_000_010), stance_step(2))
    await send_file(bot, owner, revised().encode())  # conclusion 6 removed
    await bot.tap(owner, "p:pub:1")
    command = [sys.executable, "-m", "bot", "stats", "--db", str(bot.settings.db)]
    stats = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert "5. " in stats and "6. " not in stats
    out = bot.settings.export_dir / "child"
    subprocess.run(
        [sys.executable, "-m", "bot", "export", "--out", str(out), "--db", str(bot.settings.db),
         "--no-xlsx", "--no-charts"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary = (out / "summary.csv").read_text(encoding="utf-8-sig")
    assert "conclusion-5" in summary and "conclusion-6" not in summary
