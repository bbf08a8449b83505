"""The research team's side: counts that add up, a workbook and charts for a report, the command
line's export and statistics, the demo of the team's commands, and logs a person can read."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from xml.etree import ElementTree

import pandas as pd
import pytest

from bot.content import LANGUAGES, Content
from bot.export import (
    CHART_DPI,
    DATE_FORMAT,
    EXCEL_EPOCH,
    choice_figure,
    stance_figure,
    write_pack,
)
from bot.fakeapi import BOT_USER
from bot.i18n import translator
from bot.stats import collect, format_stats
from tests.harness import OWNER, Harness, Person, walk_to
from tests.test_export import ALMATY, rows

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
TOKEN = "123456:TEAM-side-token"
VOICE_BYTES = b"OggS\x00 a voice comment"


# Helpers ------------------------------------------------------------------------------------


@dataclass
class Cell:
    """One workbook cell as stored: its type attribute, its value, its number format."""

    kind: str | None  # None: a number (dates are numbers too); "inlineStr": text
    value: str
    number_format: str


@dataclass
class Sheet:
    """One worksheet as stored in the workbook's XML."""

    cells: dict[str, Cell]
    header: list[str]
    frozen: dict[str, str] | None
    widths: dict[int, float]

    def rows_of(self, name: str) -> list[Cell]:
        """The data cells of the column with this header, in row order, empty cells left out."""
        column = self.header.index(name) + 1
        found = [
            (int(re.sub(r"[A-Z]+", "", ref)), cell)
            for ref, cell in self.cells.items()
            if column_number(ref) == column
        ]
        return [cell for row, cell in sorted(found, key=lambda pair: pair[0]) if row > 1]


def column_number(reference: str) -> int:
    """The column of a cell reference, from 1: A1 is 1, AA7 is 27."""
    number = 0
    for letter in re.match(r"[A-Z]+", reference).group(0):  # type: ignore[union-attr]
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def workbook(path: Path) -> dict[str, Sheet]:
    """Every sheet of an .xlsx file, read from its XML (no spreadsheet library needed)."""
    with zipfile.ZipFile(path) as book:
        names = [
            s.attrib["name"]
            for s in ElementTree.fromstring(book.read("xl/workbook.xml")).iter(f"{MAIN}sheet")  # noqa: S314 - the file the test wrote
        ]
        styles = ElementTree.fromstring(book.read("xl/styles.xml"))  # noqa: S314 - the same
        formats = {
            f.attrib["numFmtId"]: f.attrib["formatCode"] for f in styles.iter(f"{MAIN}numFmt")
        }
        xfs = [xf.attrib.get("numFmtId", "0") for xf in styles.find(f"{MAIN}cellXfs")]  # type: ignore[union-attr]
        sheets = {}
        for number, name in enumerate(names, start=1):
            xml = ElementTree.fromstring(book.read(f"xl/worksheets/sheet{number}.xml"))  # noqa: S314 - the same
            cells = {}
            for c in xml.iter(f"{MAIN}c"):
                value = "".join(c.itertext())
                if c.attrib.get("t") is None and value:  # a number, as Excel shows it: 3.0 is 3
                    amount = float(value)
                    value = str(int(amount)) if amount.is_integer() else repr(amount)
                style = xfs[int(c.attrib.get("s", "0"))]
                cells[c.attrib["r"]] = Cell(c.attrib.get("t"), value, formats.get(style, ""))
            pane = xml.find(f".//{MAIN}pane")
            widths = {
                column: float(col.attrib["width"])
                for col in xml.iter(f"{MAIN}col")
                for column in range(int(col.attrib["min"]), int(col.attrib["max"]) + 1)
            }
            first = sorted(
                (column_number(ref), cell.value)
                for ref, cell in cells.items()
                if re.fullmatch(r"[A-Z]+1", ref)
            )
            header = [value for _, value in first]
            frozen = dict(pane.attrib) if pane is not None else None
            sheets[name] = Sheet(cells, header, frozen, widths)
    return sheets


def summary_of(folder: Path) -> pd.DataFrame:
    """summary.csv as the charts read it."""
    return pd.read_csv(
        folder / "summary.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )


def today() -> str:
    return datetime.now(ALMATY).date().isoformat()


def png_dpi(path: Path) -> float:
    """The resolution a PNG declares (its pHYs chunk), in dots per inch."""
    data = path.read_bytes()
    at = data.index(b"pHYs")
    per_metre = int.from_bytes(data[at + 4 : at + 8], "big")
    return per_metre * 0.0254


async def counted(bot: Harness) -> None:
    """One respondent gives a stance on conclusion 1 with a typed and a spoken comment, skips
    conclusion 2 and stands at 3; one skips conclusion 1 and stands at 2; one stands at 1."""
    first, second, third = Person(7_700_000_001), Person(7_700_000_002), Person(7_700_000_003)
    await walk_to(bot, first, "s1")
    await bot.tap(first, "c:s1:4")
    await bot.send(first, "Typed, and then said aloud.")
    await bot.voice(first, seconds=4)
    await bot.tap(first, "c:m1:_done")
    await bot.tap(first, "c:s2:_skip")
    await bot.tap(first, "c:m2:_none")
    await walk_to(bot, second, "s1", language="ru")
    await bot.tap(second, "c:s1:_skip")
    await bot.tap(second, "c:m1:_none")
    await walk_to(bot, third, "s1", language="kk")


# Item 10: counts that add up ----------------------------------------------------------------


async def test_summary_counts_stances_given_skips_and_reached_apart(
    bot: Harness, tmp_path: Path
) -> None:
    """summary.csv: `answered` counts stances given, `skipped` skips, `reached` everyone shown
    the item; the stances add up to `answered`, and a typed-and-spoken comment counts once."""
    await counted(bot)
    write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY, xlsx=False, charts=False)
    summary = {(r["item"], r["option"]): r for r in rows(tmp_path / "summary.csv")}
    first, second, third = (summary[(f"conclusion-{n}", "")] for n in (1, 2, 3))
    assert (first["reached"], first["answered"], first["skipped"]) == ("3", "1", "1")
    assert (second["reached"], second["answered"], second["skipped"]) == ("2", "0", "1")
    assert (third["reached"], third["answered"], third["skipped"]) == ("1", "0", "0")
    assert (first["text_comments"], first["voice_comments"], first["comments"]) == ("1", "1", "1")
    for (item, option), row in summary.items():
        if option:
            continue
        assert int(row["answered"]) + int(row["skipped"]) <= int(row["reached"]), item
        if item.startswith("conclusion-"):
            assert sum(int(row[f"stance_{v}"]) for v in range(1, 6)) == int(row["answered"])


async def test_a_typed_and_spoken_comment_is_text_and_voice(bot: Harness, tmp_path: Path) -> None:
    """answers.csv and the workbook say `text+voice`, and the codebook explains the value."""
    await counted(bot)
    write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY, charts=False)
    (answer,) = [
        r for r in rows(tmp_path / "answers.csv") if r["comment"].startswith("Typed, and then")
    ]
    assert answer["comment_type"] == "text+voice"
    assert answer["comment_audio"] == f"voice/{answer['respondent']}-conclusion-1-1.ogg"
    sheet = workbook(tmp_path / "consultation.xlsx")["answers"]
    assert "text+voice" in [c.value for c in sheet.rows_of("comment_type")]
    codebook = {(r["variable"], r["value"]): r for r in rows(tmp_path / "codebook.csv")}
    assert "text+voice" in codebook[("comment_type", "")]["description"]


async def test_the_text_summary_never_counts_of_nothing(bot: Harness, tmp_path: Path) -> None:
    """Each summary gives a share of the stances given with its n, the skips apart, and says
    "no answers yet" where there is no stance: never "(of 0)", "(из 0)" or "n = 0"."""
    await counted(bot)
    write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY, xlsx=False, charts=False)
    for language in LANGUAGES:
        _ = translator(language).gettext
        text = (tmp_path / f"summary-{language}.txt").read_text(encoding="utf-8")
        lines = {line.split(".", 1)[0]: line for line in text.splitlines() if line[:2] in
                 {f"{n}." for n in range(1, 10)}}  # fmt: skip
        agree = _("{share} agree or strongly agree (n = {count})").format(share="100%", count=1)
        skipped = _("skipped: {count}").format(count=1)
        assert lines["1"].endswith(f": {agree}; {skipped}")
        assert lines["2"].endswith(f": {_('no answers yet')}; {skipped}")
        assert lines["3"].endswith(f": {_('no answers yet')}")
        assert not re.search(r"\((of|из|ішінен) 0\)|n = 0\b", text)


async def test_the_codebook_writes_the_version_as_the_data_does(
    bot: Harness, tmp_path: Path
) -> None:
    """codebook.csv's content_version is "3" where answers.csv says "3", never "3.0"; the
    workbook holds it as a number."""
    await counted(bot)
    write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY, charts=False)
    versions = {r["content_version"] for r in rows(tmp_path / "answers.csv")}
    assert versions == {str(bot.content.version)}
    coded = {r["content_version"] for r in rows(tmp_path / "codebook.csv") if r["value"]}
    assert coded == versions
    cells = workbook(tmp_path / "consultation.xlsx")["codebook"].rows_of("content_version")
    assert cells and {(c.kind, c.value) for c in cells} == {(None, str(bot.content.version))}


async def test_the_workbook_stores_counts_as_numbers(bot: Harness, tmp_path: Path) -> None:
    """Every count of the summary sheet, and the numbers of the other sheets, are number cells
    that Excel sums, not text."""
    await counted(bot)
    write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY, charts=False)
    sheets = workbook(tmp_path / "consultation.xlsx")
    summary = sheets["summary"]
    for name in ("reached", "answered", "skipped", "stance_4", "comments", "chosen"):
        cells = summary.rows_of(name)
        assert cells, name
        assert {c.kind for c in cells} == {None}, name
    reached = [int(c.value) for c in summary.rows_of("reached")]
    assert reached[:3] == [3, 2, 1]
    for name, column in (("respondents", "respondent"), ("respondents", "stance_conclusion_1"),
                         ("answers", "stance"), ("answers", "respondent")):  # fmt: skip
        assert {c.kind for c in sheets[name].rows_of(column)} == {None}, (name, column)


# Item 11: a workbook and charts for a report ------------------------------------------------


async def test_the_workbook_is_ready_to_read(bot: Harness, tmp_path: Path) -> None:
    """Every sheet's header row is frozen and its columns sized to what they hold; times are
    Excel dates with a date format, the local time in the bot's zone (Almaty, UTC+5)."""
    await counted(bot)
    write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY, charts=False)
    sheets = workbook(tmp_path / "consultation.xlsx")
    assert list(sheets) == [
        "answers",
        "respondents",
        "summary",
        "rounds",
        "opinion_groups",
        "codebook",
    ]
    for name, sheet in sheets.items():
        assert sheet.frozen is not None, name
        assert (sheet.frozen["ySplit"], sheet.frozen["topLeftCell"]) == ("1", "A2"), name
        assert sheet.frozen["state"] == "frozen", name
        assert len(sheet.widths) == len(sheet.header), name
    answers = sheets["answers"]
    widths = {name: answers.widths[n + 1] for n, name in enumerate(answers.header)}
    assert widths["comment"] > widths["respondent"] >= len("respondent")
    assert widths["answered_at"] >= len("2026-11-30 11:00:00")
    # The harness's clock stands at 06:00 UTC on 30 November 2026: 11:00 in Almaty.
    eleven = (datetime(2026, 11, 30, 11, 0) - EXCEL_EPOCH).total_seconds() / 86_400
    for name, column in (("answers", "answered_at"), ("respondents", "consented_at"),
                         ("respondents", "started_at")):  # fmt: skip
        cells = sheets[name].rows_of(column)
        assert cells, (name, column)
        for cell in cells:
            assert cell.kind is None and cell.number_format == DATE_FORMAT, (name, column)
            assert float(cell.value) == pytest.approx(eleven, abs=1 / 86_400), (name, column)
    assert rows(tmp_path / "answers.csv")[0]["answered_at"].endswith("T11:00:00+05:00")


def stance_summary(counts: dict[int, tuple[int, int, int, int, int]], content: Content) -> Any:
    """A summary frame with the given stances 1..5 per conclusion number, the others none."""
    frame = [
        {"item": c.id, "option": ""}
        | {f"stance_{v}": n for v, n in enumerate(counts.get(c.number, (0,) * 5), start=1)}
        for c in content.conclusions
    ]
    return pd.DataFrame(frame)


def visible_texts(axes: Any) -> list[str]:
    return [t.get_text() for t in axes.texts if t.get_visible() and t.get_text()]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_stance_chart_is_titled_ordered_and_labelled(content: Content, language: str) -> None:
    """Titled with the date and n; the legend beside the bars in scale order, as the bars run;
    each segment labelled with its share, or its count where only that fits, or not at all; a
    conclusion without a stance says "no answers yet"."""
    import matplotlib.pyplot as plt  # noqa: PLC0415 - after the export chose its backend

    _ = translator(language).gettext
    summary = stance_summary({1: (2, 0, 0, 97, 1), 2: (1, 1, 1, 1, 1)}, content)
    day = datetime(2026, 11, 30).date()
    figure = stance_figure(content, summary, language=language, day=day, respondents=100)
    (axes,) = figure.axes
    subtitle = translator(language).ngettext(
        "{date} · n = {count} respondent", "{date} · n = {count} respondents", 100
    )
    assert axes.get_title() == (
        f"{_('Stance on each conclusion')}\n{subtitle.format(date='2026-11-30', count=100)}"
    )
    legend = axes.get_legend()
    labels = [" ".join(t.get_text().split()) for t in legend.get_texts()]
    scale = [content.stance_label(v) for v in (5, 4, 3, 2, 1)]
    assert labels == [label(language) for label in scale if label]
    assert legend.get_bbox_to_anchor().x0 > axes.get_window_extent().x1  # beside, to the right
    # The second conclusion has every stance once: its segments run as the legend reads.
    second_row = len(content.conclusions) - 2  # the first conclusion is drawn at the top
    segments = sorted(
        (p for p in axes.patches if abs(p.get_y() + p.get_height() / 2 - second_row) < 0.01),
        key=lambda p: p.get_x(),
    )
    legend_colours = [h.get_facecolor() for h in legend.legend_handles]
    assert [s.get_facecolor() for s in segments] == legend_colours
    texts = visible_texts(axes)
    assert "97%" in texts  # the wide segment: its share
    assert "2%" in texts or "2" in texts  # a narrow one: its share or its count, as fits
    assert "1%" not in texts and "1" not in texts  # 1 of 100 has no room for either
    assert texts.count("20%") == 5  # the second conclusion's five segments
    assert texts.count(_("no answers yet")) == len(content.conclusions) - 2
    ticks = [t.get_text() for t in axes.get_yticklabels()]
    assert ticks[-1].startswith("1. ") and ticks[-1].endswith("(n = 100)")
    assert ticks[0].endswith("(n = 0)")
    plt.close(figure)


async def test_the_sectors_and_markets_have_charts_of_their_own(
    bot: Harness, tmp_path: Path
) -> None:
    """Per language a chart of how many chose each sector and market: the most chosen at the
    top, "Don't know" last, titled with the date and n; none answered yet says so; 200 dpi."""
    import matplotlib.pyplot as plt  # noqa: PLC0415 - after the export chose its backend

    person = Person(7_700_000_010)
    await walk_to(bot, person, "sec")
    for option in ("music", "film-tv-radio"):
        await bot.tap(person, f"c:sec:{option}:1")
    await bot.tap(person, "c:sec:_done")
    files = write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY, xlsx=False)
    names = {f.name for f in files}
    for language in LANGUAGES:
        assert {f"chart-sectors-{language}.png", f"chart-markets-{language}.png"} <= names
    for path in (f for f in files if f.suffix == ".png"):
        assert png_dpi(path) == pytest.approx(CHART_DPI, abs=0.5), path.name
    summary = summary_of(tmp_path)
    day = datetime.now(ALMATY).date()
    for language in LANGUAGES:
        _ = translator(language).gettext
        sectors = choice_figure(bot.content.sectors, summary, language=language, day=day)
        (axes,) = sectors.axes
        title = _("Sectors with the most potential")
        assert axes.get_title().startswith(f"{title}\n{today()} · n = 1 ")
        ticks = [" ".join(t.get_text().split()) for t in axes.get_yticklabels()][::-1]
        label = {o.id: o.label(language) for o in bot.content.sectors.options}
        assert ticks[:2] == [label["music"], label["film-tv-radio"]]  # chosen, in content order
        assert ticks[-1] == label["dont-know"]
        widths = [p.get_width() for p in axes.patches][::-1]
        assert widths[:3] == [1, 1, 0]
        assert "1 (100%)" in visible_texts(axes)
        markets = choice_figure(bot.content.markets, summary, language=language, day=day)
        assert _("no answers yet") in visible_texts(markets.axes[0])
        plt.close(sectors)
        plt.close(markets)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_stats_name_the_stances_in_the_order_of_the_csv(bot: Harness, language: str) -> None:
    """/stats labels the counts 1 = strongly disagree ... 5 = strongly agree, as the CSV codes
    them, with each conclusion's n; one without a stance says so."""
    await counted(bot)
    text = format_stats(collect(bot.settings.db), bot.content, language)
    scale = " · ".join(
        f"{v} = {label(language)}" for v in range(1, 6) if (label := bot.content.stance_label(v))
    )
    assert f"<i>{scale}</i>" in text
    title = bot.content.conclusions[0].title(language)
    assert f"1. {title}: 1: 0 · 2: 0 · 3: 0 · 4: 1 · 5: 0 (n = 1)" in text
    assert (
        f"2. {bot.content.conclusions[1].title(language)}: "
        + translator(language).gettext("no answers yet")
        in text
    )


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
async def test_stats_name_languages_and_sources_in_words(bot: Harness, language: str) -> None:
    """/stats names each language in itself and a start without an invitation link in words,
    never as a code (en, direct)."""
    await counted(bot)
    text = format_stats(collect(bot.settings.db), bot.content, language)
    _ = translator(language).gettext
    assert "English: 1" in text and "Русский: 1" in text and "Қазақша: 1" in text
    assert f"{_('no invitation link')}: 3" in text
    assert "direct" not in text and "en: 1" not in text


# Item 12: the command line ------------------------------------------------------------------


@dataclass
class BotApi:
    """A Bot API on loopback: answers every method, serves voice files, records the calls."""

    url: str = ""
    calls: list[str] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)


@pytest.fixture
def bot_api() -> Iterator[BotApi]:
    state = BotApi()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, result: object) -> None:
            body = json.dumps({"ok": True, "result": result}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            method = self.path.rsplit("/", 1)[-1]
            state.calls.append(method)
            if method == "getMe":
                self._answer(BOT_USER)
            elif method == "getFile":  # python-telegram-bot posts a form
                file_id = parse_qs(raw).get("file_id", ["x"])[0]
                self._answer({"file_id": file_id, "file_unique_id": file_id,
                              "file_path": f"voice/{file_id}.oga"})  # fmt: skip
            elif method == "getUpdates":
                time.sleep(0.05)
                self._answer([])
            elif method == "sendMessage":
                self._answer({"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}})
            else:
                self._answer(True)

        def do_GET(self) -> None:
            state.downloads.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(VOICE_BYTES)))
            self.end_headers()
            self.wfile.write(VOICE_BYTES)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()


def command_line(*arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot ...` with BOT_DB pointing nowhere (the tests pass --db), BOT_TOKEN unset."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env |= {"BOT_DB": "/nonexistent/nothing.sqlite3", **environment}
    return subprocess.run(
        [sys.executable, "-m", "bot", *arguments],
        capture_output=True, text=True, env=env, check=False, timeout=120,
    )  # fmt: skip


async def spoken(bot: Harness) -> None:
    person = Person(7_700_000_020)
    await walk_to(bot, person, "m1")
    await bot.voice(person, seconds=6)
    await bot.tap(person, "c:m1:_done")


async def test_export_and_stats_take_the_database_on_the_command_line(
    bot: Harness, tmp_path: Path
) -> None:
    """`export --out DIR --db FILE` writes the pack from FILE, not BOT_DB; without BOT_TOKEN it
    says plainly that the voice files were not fetched, the summaries say how many are
    missing, and it exits 0; `stats --db FILE` prints the figures of FILE."""
    await spoken(bot)
    out = tmp_path / "pack"
    result = await asyncio.to_thread(
        command_line, "export", "--out", str(out), "--db", str(bot.settings.db), "--no-xlsx"
    )
    assert result.returncode == 0, result.stderr
    printed = [Path(line) for line in result.stdout.splitlines()]
    assert out / "answers.csv" in printed and all(path.exists() for path in printed)
    assert "voice files not fetched: BOT_TOKEN is not set" in result.stderr
    assert not list(out.glob(".*")) and not (out / "voice").exists()
    for language in LANGUAGES:
        note = translator(language).ngettext(
            "{count} voice comment is not in this pack: it could not be fetched from Telegram.",
            "{count} voice comments are not in this pack: they could not be fetched from"
            " Telegram.",
            1,
        )
        summary = (out / f"summary-{language}.txt").read_text(encoding="utf-8")
        assert summary.endswith(note.format(count=1) + "\n")
    stats = await asyncio.to_thread(command_line, "stats", "--db", str(bot.settings.db))
    assert stats.returncode == 0, stats.stderr
    assert "Started: 1 · submitted: 0 · declined: 0" in stats.stdout
    assert "1 = Strongly disagree" in stats.stdout and "<i>" not in stats.stdout
    missing = await asyncio.to_thread(command_line, "stats")
    assert missing.returncode != 0 and "no database at /nonexistent" in missing.stderr


async def test_the_command_line_export_fetches_the_voice_files_with_a_token(
    bot: Harness, tmp_path: Path, bot_api: BotApi
) -> None:
    """With BOT_TOKEN the export fetches each voice comment as the bot does, writes it where
    comment_audio says, prints its path, and the summaries miss nothing."""
    await spoken(bot)
    out = tmp_path / "pack"
    result = await asyncio.to_thread(
        command_line, "export", "--out", str(out), "--db", str(bot.settings.db), "--no-xlsx",
        "--no-charts", BOT_TOKEN=TOKEN, BOT_API_URL=f"{bot_api.url}/bot",
        BOT_FILE_URL=f"{bot_api.url}/file/bot",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "not fetched" not in result.stderr, result.stderr
    (audio,) = {r["comment_audio"] for r in rows(out / "answers.csv") if r["comment_audio"]}
    assert (out / audio).read_bytes() == VOICE_BYTES
    assert out / audio in [Path(line) for line in result.stdout.splitlines()]
    assert "not fetched" not in result.stderr and TOKEN not in result.stderr
    assert bot_api.calls[:2] == ["getMe", "getFile"] and len(bot_api.downloads) == 1
    assert "voice comment" not in (out / "summary-en.txt").read_text(encoding="utf-8")


async def test_the_command_line_export_says_what_it_could_not_fetch(
    bot: Harness, tmp_path: Path
) -> None:
    """Telegram out of reach: the rest of the pack is written, the command says how many
    voice files it could not fetch, and exits 0."""
    await spoken(bot)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "pack"
    result = await asyncio.to_thread(
        command_line, "export", "--out", str(out), "--db", str(bot.settings.db), "--no-xlsx",
        "--no-charts", BOT_TOKEN=TOKEN, BOT_API_URL=f"http://127.0.0.1:{port}/bot",
        BOT_FILE_URL=f"http://127.0.0.1:{port}/file/bot",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "voice files not fetched: 1 of 1 could not be downloaded" in result.stderr
    assert TOKEN not in result.stderr
    assert (out / "answers.csv").exists() and (out / "summary.csv").exists()
    assert "1 voice comment is not in this pack" in (out / "summary-en.txt").read_text("utf-8")


# Item 13: the demo shows the team's side ----------------------------------------------------


class Terminal:
    """`python -m bot demo` with a person typing, line by line, reading what it prints."""

    def __init__(self, *arguments: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "demo", *arguments],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("BOT_")},
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def expect(self, text: str, timeout: float = 30) -> str:
        """Read until a line holds `text`; return that line."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"never printed {text!r}; printed:\n" + "\n".join(self.seen))

    def quit(self) -> tuple[str, str]:
        """Leave; return everything printed and the error stream."""
        self.type(":quit")
        rest, errors = self.process.communicate(timeout=30)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "\n".join([*self.seen, rest]), errors


def test_the_demo_admin_sends_a_broadcast_and_saves_the_files(
    tmp_path: Path, content: Content
) -> None:
    """`demo --admin`: the demo user is an owner and the job queue runs, so a broadcast reaches
    the demo database's respondents and the demo says how many; /mydata and /export say where
    their files were saved; the [TBC] facts are listed once in plain words, no WARNING line
    reaches the terminal, and the log goes to demo.log."""
    terminal = Terminal("--admin", "--db", str(tmp_path / "demo.sqlite3"))
    try:
        terminal.expect("Send /start to begin.")
        terminal.type("/start")
        terminal.expect("English")
        terminal.type("3")
        terminal.expect("18")
        terminal.type("/mydata")
        saved = terminal.expect("my-data.txt, saved to ")
        assert Path(saved.split("saved to ", 1)[1]).read_text(encoding="utf-8")
        terminal.type("/broadcast")
        terminal.expect("One text for everyone")
        terminal.type("1")
        terminal.expect("Send the text for everyone")
        terminal.type("Thank you all: the first results are out.")
        terminal.expect("Skip")
        terminal.type("1")
        terminal.expect("Everyone who asked for news")
        terminal.type("1")
        terminal.expect("Recipients: 3")
        terminal.type("1")
        sent = terminal.expect("→ sent to", timeout=20)
        assert sent == "→ sent to 3 respondents: «Thank you all: the first results are out.»"
        terminal.expect("3 delivered", timeout=20)
        terminal.type("/export")
        workbook_line = terminal.expect("consultation.xlsx, saved to ", timeout=90)
        saved_book = Path(workbook_line.split("saved to ", 1)[1])
        assert saved_book.parent == tmp_path / "demo-files"
        assert zipfile.is_zipfile(saved_book)
    finally:
        printed, errors = terminal.quit()
    assert terminal.process.returncode == 0, errors
    assert "WARNING" not in printed + errors
    assert errors.strip() == ""
    if content.warnings:
        assert printed.count("Still to fill in before launch") == 1
        assert "the ethics approval reference" in printed
    log = (tmp_path / "demo.log").read_text(encoding="utf-8")
    assert "[TBC]" in log and "apscheduler" not in log


# Item 14: logs a person can read ------------------------------------------------------------


def test_the_running_bot_logs_its_own_events_not_the_schedulers(
    tmp_path: Path, bot_api: BotApi
) -> None:
    """`python -m bot run` logs the bot's own events at INFO; APScheduler's two lines per run
    of the pump (four a second) and httpx's line per request are not there."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env |= {
        "BOT_TOKEN": TOKEN, "BOT_API_URL": f"{bot_api.url}/bot",
        "BOT_FILE_URL": f"{bot_api.url}/file/bot", "BOT_DB": str(tmp_path / "bot.sqlite3"),
        "BOT_ADMINS": str(OWNER),
    }  # fmt: skip
    log = tmp_path / "bot.log"
    with log.open("w") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], env=env, stdout=handle, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 30
            while "Application started" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.5)  # six runs of the pump
        finally:
            process.terminate()
            process.wait(timeout=20)
    text = log.read_text()
    assert "INFO telegram.ext.Application: Application started" in text
    assert re.search(r"INFO bot\.[a-z.]+: ", text)  # the bot's own events
    assert "apscheduler" not in text
    assert "HTTP Request" not in text and TOKEN not in text
    assert bot_api.calls.count("getUpdates") >= 1
