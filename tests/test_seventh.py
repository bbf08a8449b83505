"""A content file with a seventh conclusion works end to end, with no change to the code."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.content import Content, load_content
from bot.export import write_pack
from bot.stats import collect, format_stats
from tests.harness import Harness, Person, walk_to

SEVENTH = """
[[conclusions]]
id = "conclusion-7"
title = { kk = "Жетінші қорытынды", ru = "Седьмой вывод", en = "The seventh conclusion" }
text.kk = "Жетінші қорытындының мәтіні."
text.ru = "Текст седьмого вывода."
text.en = "The seventh conclusion's text."
"""
RESPONDENT = Person(7_401_234_567)


def seven(tmp_path: Path) -> Path:
    """The bundled content file with a seventh conclusion after the sixth."""
    text = (Path(__file__).parent.parent / "bot" / "data" / "consultation.toml").read_text(
        encoding="utf-8"
    )
    at = text.index("[[groups]]")
    path = tmp_path / "seven.toml"
    path.write_text(text[:at] + SEVENTH.lstrip() + "\n" + text[at:], encoding="utf-8")
    return path


@pytest.fixture
def content(tmp_path: Path) -> Content:
    return load_content(seven(tmp_path))


def png_height(path: Path) -> int:
    """The height of a PNG image, from its header."""
    header = path.read_bytes()[:24]
    assert header.startswith(b"\x89PNG")
    return int.from_bytes(header[20:24], "big")


def csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def test_check_content_accepts_seven_conclusions(tmp_path: Path) -> None:
    """`python -m bot check-content` reads the file and counts seven conclusions."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check-content", str(seven(tmp_path))],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 conclusions" in result.stdout


async def test_the_journey_asks_seven_and_the_review_edits_the_seventh(bot: Harness) -> None:
    """Seven stances are asked ("7 / 7"), the review shows and edits the seventh, the export,
    the codebook, the stats and the charts carry it."""
    person = RESPONDENT
    await walk_to(bot, person, "s7")
    assert "7 / 7 · The seventh conclusion" in bot.last(person).text
    assert "The seventh conclusion's text." in bot.last(person).text
    await bot.tap(person, "c:s7:2")
    await bot.send(person, "A comment on the seventh conclusion.")
    await bot.tap(person, "c:m7:_done")
    await walk_to(bot, person, "rev")
    review = "\n".join(call.text for call in bot.sent(person)[-3:])
    assert "7 / 7 · The seventh conclusion" in review
    assert "A comment on the seventh conclusion." in review
    assert "c:rev:c7" in bot.offered(person)
    await bot.tap(person, "c:rev:c7")
    assert "7 / 7 · The seventh conclusion" in bot.last(person).text
    await bot.tap(person, "c:s7:5")
    await bot.tap(person, "c:m7:_done")
    assert "c:rev:_submit" in bot.offered(person)  # back at the review after the edit
    await bot.tap(person, "c:rev:_submit")
    stored = bot.db(
        "SELECT stance FROM answers WHERE item = 'conclusion-7'"  # the stored value itself
    )
    assert stored == [(5,)]

    pack = bot.settings.export_dir / "seven"
    files = write_pack(bot.settings.db, pack, bot.content, zone=bot.settings.zone)
    answers = [r for r in csv_rows(pack / "answers.csv") if r["item"] == "conclusion-7"]
    assert [(r["stance"], r["comment"]) for r in answers] == [
        ("5", "A comment on the seventh conclusion.")
    ]
    (respondent,) = csv_rows(pack / "respondents.csv")
    assert respondent["stance_conclusion_7"] == "5"
    summary = {r["item"]: r for r in csv_rows(pack / "summary.csv") if not r["option"]}
    assert summary["conclusion-7"]["stance_5"] == "1"
    codebook = {(r["variable"], r["value"]): r for r in csv_rows(pack / "codebook.csv")}
    assert codebook[("item", "conclusion-7")]["label_ru"] == "Седьмой вывод"
    stance = re.compile(r"chart-(kk|ru|en)\.png")  # the sectors' and markets' keep their size
    charts = sorted(f for f in files if stance.fullmatch(f.name))
    six = write_pack(bot.settings.db, pack / "six", load_content(), zone=bot.settings.zone)
    sixes = sorted(f for f in six if stance.fullmatch(f.name))
    for seventh, sixth in zip(charts, sixes, strict=True):
        assert png_height(seventh) > png_height(sixth)  # a bar more

    figures = collect(bot.settings.db)
    text = format_stats(figures, bot.content, "en")
    assert "7. The seventh conclusion: 1: 0 · 2: 0 · 3: 0 · 4: 0 · 5: 1 (n = 1)" in text


async def test_help_counts_the_conclusions_of_the_content(bot: Harness) -> None:
    """/help says how many conclusions there are: seven here, in every language."""
    said_in = {
        "en": "views on 7 conclusions about",
        "ru": "мнение о 7 выводах по развитию",
        "kk": "дамыту жөніндегі 7 қорытынды туралы",
    }
    for language, seven_said in said_in.items():
        person = Person(7_401_000_000 + len(language) * 10 + ord(language[0]))
        await walk_to(bot, person, "grp", language=language)
        await bot.send(person, "/help")
        said = bot.sent(person)[-2].text
        assert seven_said in said, said
