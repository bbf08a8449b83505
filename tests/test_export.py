"""The export pack: columns, Excel safety, pseudonymity, and who is left out."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.export import ANSWER_COLUMNS, LocalTime, _cell, neutralise, write_pack
from bot.storage.records import timestamp
from tests.harness import Harness, Person, walk_to

ALMATY = ZoneInfo("Asia/Almaty")
FORMULA = '=HYPERLINK("http://evil.example","click")'
MULTILINE = 'First line, with a comma\nsecond line with "quotes"'
# Telegram ids that cannot be confused with counts or pseudonymous numbers.
ALICE, BORIS, DECLINER, LEAVER = 7_301_234_567, 7_302_345_678, 7_303_456_789, 7_304_567_890


def rows(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name} has no BOM"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


async def populate(bot: Harness) -> None:
    """Two respondents, one who declined, one who withdrew."""
    alice, boris = Person(ALICE, "kk"), Person(BORIS, "ru")
    await walk_to(bot, alice, "m1", language="kk")
    await bot.send(alice, FORMULA)
    await bot.send(alice, MULTILINE)
    await bot.tap(alice, "c:m1:_done")
    await bot.tap(alice, "c:s2:_skip")
    await bot.voice(alice, seconds=33)
    await bot.tap(alice, "c:m2:_done")
    await walk_to(bot, boris, "rev", language="ru")
    await bot.tap(boris, "c:rev:_submit")
    decliner, leaver = Person(DECLINER), Person(LEAVER)
    await walk_to(bot, decliner, "cons")
    await bot.tap(decliner, "c:cons:n")
    await walk_to(bot, leaver, "s3")
    await bot.send(leaver, "/delete")
    await bot.tap(leaver, "c:del:y")


async def test_the_pack_has_the_contract_columns_and_is_safe_for_excel(
    bot: Harness, tmp_path: Path
) -> None:
    """answers.csv: contract columns, BOM, formulas neutralised, line breaks kept, times local."""
    await populate(bot)
    files = write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY)
    names = {f.name for f in files}
    assert {"answers.csv", "respondents.csv", "summary.csv", "codebook.csv"} <= names
    assert {"consultation.xlsx", "chart-kk.png", "chart-ru.png", "chart-en.png"} <= names
    assert {"summary-kk.txt", "summary-ru.txt", "summary-en.txt"} <= names
    answers = rows(tmp_path / "answers.csv")
    assert tuple(answers[0]) == ANSWER_COLUMNS
    first = answers[0]
    assert first["item"] == "conclusion-1" and first["language"] == "kk"
    assert first["comment"] == "'" + FORMULA + "\n" + MULTILINE  # guarded, verbatim, one cell
    assert first["comment_type"] == "text" and first["stance"] == "4"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:00", first["answered_at"])
    skipped = answers[1]
    assert skipped["item"] == "conclusion-2" and skipped["stance"] == ""
    assert skipped["comment_type"] == "voice"
    assert skipped["comment_audio"] == f"voice/{skipped['respondent']}-conclusion-2-1.ogg"
    items = [r["item"] for r in answers if r["respondent"] == answers[-1]["respondent"]]
    assert items == [f"conclusion-{n}" for n in range(1, 7)] + ["sectors", "markets", "idea"]


async def test_the_pack_is_pseudonymous_and_leaves_out_decliners_and_leavers(
    bot: Harness, tmp_path: Path
) -> None:
    """No Telegram id anywhere; a decliner and a withdrawn respondent are absent."""
    await populate(bot)
    files = write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY)
    for path in files:
        content = path.read_bytes()
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                content = b"".join(book.read(name) for name in book.namelist())
        for telegram_id in (ALICE, BORIS, DECLINER, LEAVER):
            assert str(telegram_id).encode() not in content, path.name
    people = rows(tmp_path / "respondents.csv")
    assert len(people) == 2
    assert {p["status"] for p in people} == {"in_progress", "submitted"}
    assert {r["respondent"] for r in rows(tmp_path / "answers.csv")} == {
        p["respondent"] for p in people
    }


async def test_respondents_summary_and_codebook(bot: Harness, tmp_path: Path) -> None:
    """The wide table has stances and 0/1 options; summary counts; codebook in three languages."""
    await populate(bot)
    write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY, xlsx=False, charts=False)
    alice, boris = rows(tmp_path / "respondents.csv")
    assert (alice["language"], alice["stance_conclusion_1"], alice["stance_conclusion_2"]) == (
        "kk",
        "4",
        "",
    )
    assert alice["sector_music"] == ""  # never reached
    assert boris["sector_music"] == "0" and boris["stance_conclusion_6"] == "4"
    assert boris["completed_at"].endswith("+05:00")
    summary = {(r["item"], r["option"]): r for r in rows(tmp_path / "summary.csv")}
    assert summary[("conclusion-1", "")]["stance_4"] == "2"
    assert summary[("conclusion-1", "")]["text_comments"] == "1"
    assert summary[("conclusion-2", "")]["skipped"] == "1"
    assert summary[("conclusion-2", "")]["voice_comments"] == "1"
    codebook = {(r["variable"], r["value"]): r for r in rows(tmp_path / "codebook.csv")}
    assert codebook[("region", "abai")]["label_kk"] == "Абай облысы"
    assert codebook[("stance", "5")]["label_ru"] == "Полностью согласен(на)"
    assert codebook[("comment", "")]["description"]


async def test_the_workbook_keeps_text_as_text(bot: Harness, tmp_path: Path) -> None:
    """In the XLSX a comment starting with = is a string cell, never a formula."""
    await populate(bot)
    write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY, charts=False)
    with zipfile.ZipFile(tmp_path / "consultation.xlsx") as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 6  # answers, respondents, summary, rounds, opinion_groups, codebook
        xml = "".join(book.read(name).decode() for name in sheets)
        strings = (
            book.read("xl/sharedStrings.xml").decode()
            if "xl/sharedStrings.xml" in book.namelist()
            else ""
        )
    assert "<f>" not in xml  # no formula anywhere
    assert "HYPERLINK" in xml + strings
    assert "'=HYPERLINK" not in xml + strings  # the CSV guard is not needed in a string cell


async def test_the_charts_are_pictures(bot: Harness, tmp_path: Path) -> None:
    """Per language a PNG of the stances, one of the sectors and one of the markets."""
    await populate(bot)
    files = write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY, xlsx=False)
    charts = [f for f in files if f.suffix == ".png"]
    assert sorted(f.name for f in charts) == sorted(
        f"chart-{kind}{language}.png"
        for kind in ("", "sectors-", "markets-")
        for language in ("kk", "ru", "en")
    )
    assert all(f.read_bytes().startswith(b"\x89PNG") for f in charts)


async def test_an_empty_database_gives_an_empty_pack(bot: Harness, tmp_path: Path) -> None:
    """Before anyone answered, the pack exists with headers only."""
    write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY, charts=False)
    assert rows(tmp_path / "answers.csv") == []
    assert rows(tmp_path / "respondents.csv") == []


async def test_the_command_line_writes_the_pack_and_prints_the_statistics(
    bot: Harness, tmp_path: Path
) -> None:
    """`python -m bot export --out DIR` prints the files it wrote; `stats` prints the figures."""

    await populate(bot)
    environment = {**os.environ, "BOT_DB": str(bot.settings.db)}
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "export", "--out", str(tmp_path / "pack"), "--no-xlsx"],
        capture_output=True, text=True, env=environment, check=True,
    )  # fmt: skip
    printed = [Path(line) for line in result.stdout.split()]
    assert tmp_path / "pack" / "answers.csv" in printed
    assert all(path.exists() for path in printed)
    assert not (tmp_path / "pack" / "consultation.xlsx").exists()
    stats = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "stats"],
        capture_output=True, text=True, env=environment, check=True,
    )  # fmt: skip
    assert "Started: 2 · submitted: 1 · declined: 1" in stats.stdout


def test_the_formula_guard_is_undone_exactly() -> None:
    """Whatever a respondent typed, the workbook cell shows it back, quotes of their own kept."""

    typed = ["=1+1", "'=1+1", "''=1+1", "-5", "'quoted'", "'", "plain", "@home", "\tx", "'\tx"]
    guarded = [neutralise(text) for text in typed]
    assert guarded[:3] == ["'=1+1", "''=1+1", "'''=1+1"]
    assert guarded[4:7] == ["'quoted'", "'", "plain"]
    assert [_cell(text) for text in guarded] == typed


def test_local_times_follow_a_half_hour_change_of_offset() -> None:
    """Adelaide moves from +09:30 to +10:30 at 16:30 UTC: two times in one UTC hour differ."""

    local = LocalTime(ZoneInfo("Australia/Adelaide"))
    before = local(timestamp(datetime(2026, 10, 3, 16, 20, tzinfo=UTC)))
    after = local(timestamp(datetime(2026, 10, 3, 16, 40, tzinfo=UTC)))
    assert before == "2026-10-04T01:50:00+09:30"
    assert after == "2026-10-04T03:10:00+10:30"
