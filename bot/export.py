"""Database to the export pack for the research team. No telegram import.

The pack, in one folder:
- `answers.csv`, `respondents.csv`, `summary.csv`, `rounds.csv`, `codebook.csv`: UTF-8 with
  BOM (Excel shows Cyrillic and Kazakh letters), comma-separated, CRLF; user-written cells
  that a spreadsheet would run as a formula start with `'`; times in ISO 8601 with the local
  offset; comments with phone numbers, e-mail addresses, IIN/BIN and card numbers replaced
  (bot.pii);
- `consultation.xlsx`: the same five sheets, every text cell a string, never a formula; the
  header rows frozen, the columns sized, counts and codes numbers, times Excel dates;
- `chart-kk.png`, `chart-ru.png`, `chart-en.png`: the stance distribution per conclusion in
  the newest round with answers; `chart-rounds-<language>.png` (once a second round has
  answers): the distribution per conclusion round by round; `chart-sectors-<language>.png`,
  `chart-markets-<language>.png`: how many chose each option;
- `opinion_groups.csv` (and its sheet): the opinion groups (bot.groups) of the newest round
  at least 20 people submitted, one row per group shown, the header alone when there are none;
  `opinion_map-<language>.png`, with `opinion_map.png` the English one: everyone on the first
  two components, coloured by group;
- `summary-kk.txt`, `summary-ru.txt`, `summary-en.txt`: a few lines for a chat, the opinion
  groups among them;
- `voice/`: the voice comments, named as `comment_audio` says, fetched from Telegram by the
  bot or the command line from the list the export leaves (VOICE_LIST).

answers.csv and respondents.csv stream from SQLite, CHUNK respondents at a time (SQLite formats
what needs no Python), so memory stays flat however many answers there are; the pass that
writes respondents.csv counts what summary.csv and rounds.csv need; those and the smaller files
go through pandas DataFrames.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import functools
import gc
import itertools
import math
import operator
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bot.content import LANGUAGES, Content, MultiQuestion, load_content_text
from bot.groups import DISTINCT_BY, MIN_RESPONDENTS, MIN_SHOWN, Groups, prepare
from bot.i18n import N_, translator
from bot.journey.items import items
from bot.opinion import (
    FEWEST_COUNTED,
    NOT_GIVEN,
    PROFILE_FIELDS,
    counted,
    describe,
    opinion_groups,
    profile_mix,
)
from bot.pii import redact
from bot.rounds import CONSENSUS_IQR, CONSENSUS_SHARE, Shares, changed
from bot.stats import CONSENSUS_MARK, CONSENSUS_TERMS, consensus_rule
from bot.storage.backup import backup
from bot.storage.reports import (
    VOICE_LIST,
    ItemTally,
    StanceMatrix,
    answer_facts,
    answer_rows,
    answered_rounds,
    earlier_content,
    export_connection,
    first_contact,
    later_rounds_submitted,
    people_counts,
    respondent_count,
    respondent_ranges,
    respondent_rows,
    stance_counts,
    stance_pairs,
    stance_respondents,
    voice_comments,
    voice_file_name,
)

ANSWER_COLUMNS = (
    "respondent", "language", "source", "stakeholder_group", "region", "item", "content_version",
    "stance", "choices", "comment", "comment_type", "comment_audio", "comment_language",
    "comment_redacted", "may_quote", "status", "answered_at", "revised", "round",
)  # fmt: skip
SUMMARY_COLUMNS = (
    "item", "round", "option", "reached", "answered", "skipped",
    *(f"stance_{value}" for value in range(1, 6)),
    "mean_stance", "text_comments", "voice_comments", "comments", "chosen",
)  # fmt: skip
SUMMARY_COUNTS = SUMMARY_COLUMNS[3:]
ROUNDS_COLUMNS = (
    "item", "round", "content_version", "n", "median", "iqr", "agree", "neutral", "disagree",
    "consensus", "changed",
)  # fmt: skip
SHARE_DECIMALS = 4  # rounds.csv's figures: shares 0-1, medians and ranges
PROFILE_COLUMNS = ("stakeholder_groups", "regions", "languages")  # PROFILE_FIELDS' mixes
MEAN_DECIMALS = 2  # opinion_groups.csv's mean stances, as summary.csv's mean_stance
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_FIRST = frozenset(FORMULA_STARTS)
QUOTED = ('"', ",", ";", "\t", "\n", "\r")  # a CSV field holding one of these is quoted
_needs_quotes = re.compile("[" + re.escape("".join(QUOTED)) + "]").search
GUARD_WINDOW = 64  # leading characters the guard reads: bounded work per cell, a million cells
# Skipped before a formula start: spaces, line and paragraph separators, control characters,
# and format characters (zero-width, BOM, bidi overrides), which a spreadsheet may drop.
SKIPPED_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})
# Letters and marks that show nothing, skipped too: Hangul fillers, the blank Braille pattern,
# the combining grapheme joiner and the variation selectors.
BLANKS = frozenset(
    "\u115f\u1160\u3164\uffa0\u2800\u034f\u180b\u180c\u180d\u180f"
    + "".join(map(chr, (*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0))))
)
NUMERIC_ANSWERS = frozenset({
    "respondent", "content_version", "stance", "comment_redacted", "may_quote", "revised", "round",
})  # fmt: skip
EXCEL_ROWS = 1_048_575  # data rows per sheet, under Excel's limit with the header
EXCEL_CHARS = 32_767  # characters a cell holds: longer text (in the CSV whole) ends in "…"
PARALLEL_FROM = 20_000  # respondents from which respondents.csv is built in a second process
SNAPSHOT = "snapshot.sqlite3"  # the online copy both processes read; removed when done
BOM = "\ufeff"


@functools.lru_cache(maxsize=4096)
def _starts_formula(char: str) -> bool | None:
    """What a character at the start of a cell does: True starts a formula (its NFKC form does:
    full-width `＝ ＋ － ＠` too), None is skipped over (a quote, a blank), False is text."""
    normal = unicodedata.normalize("NFKC", char)  # one character: no composing with the next
    if normal[:1] in FORMULA_FIRST:
        return True
    if all(
        c == "'" or c in BLANKS or unicodedata.category(c) in SKIPPED_CATEGORIES for c in normal
    ):
        return None
    return False


def guarded(text: str) -> bool:
    """Whether a user-written text gets the guarding quote: it starts as a formula would, after
    any blanks, invisible characters and quotes (a quote skipped like a blank: taking one quote
    off restores any text exactly). Blank as far as the guard reads, a longer text is guarded."""
    for char in text[:GUARD_WINDOW]:
        formula = _starts_formula(char)
        if formula is not None:
            return formula
    return len(text) > GUARD_WINDOW


def neutralise(value: object) -> object:
    """Prefix a user-written cell that a spreadsheet would run as a formula with a quote."""
    if isinstance(value, str) and guarded(value):
        return "'" + value
    return value


class LocalTime:
    """Stored UTC times as ISO 8601 in the consultation's time zone, with the offset."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self._offsets: dict[str, timezone] = {}  # per UTC quarter hour: offsets change on one

    def __call__(self, text: str | None) -> str | None:
        if not text:
            return None
        moment = datetime.fromisoformat(text)
        quarter = f"{text[:14]}{moment.minute // 15}"
        offset = self._offsets.get(quarter)
        if offset is None:
            shift = moment.astimezone(self.zone).utcoffset() or timedelta(0)
            offset = self._offsets[quarter] = timezone(shift)
        return moment.astimezone(offset).isoformat(timespec="seconds")

    def fixed_offset(self, first: str | None, last: str | None) -> int | None:
        """The zone's offset in minutes if it is the same from `first` to `last`, else None."""
        if not first or not last:
            return 0 if first is None and last is None else None
        moment, end = datetime.fromisoformat(first), datetime.fromisoformat(last)
        offsets = set()
        while moment <= end + timedelta(hours=1):
            offsets.add(moment.astimezone(self.zone).utcoffset())
            moment += timedelta(hours=1)
        if len(offsets) != 1:
            return None
        shift = offsets.pop() or timedelta(0)
        return int(shift.total_seconds() // 60)


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class PackTimes:
    """Seconds per stage, for the benchmark."""

    csv: float
    xlsx: float
    charts: float


def _items(content: Content) -> list[str]:
    """Every item's id, in the order the journey asks them."""
    return [item.id for item in items(content)]


def _options(content: Content) -> dict[str, list[str]]:
    """The option ids of each multiple-choice item."""
    return {
        item.id: [o.id for o in item.question.options]
        for item in items(content)
        if item.question is not None
    }


def _field(text: str) -> str:
    """One CSV field of user text: guarded against formulas, quoted when it needs to be."""
    if guarded(text):
        text = "'" + text
    # Quoted on ";" and tab too: Excel in Kazakh and Russian settings splits on ";", and a
    # text cut there could start a formula in its own cell ("ok;=1+1").
    if _needs_quotes(text):
        return '"' + text.replace('"', '""') + '"'
    return text


COMMENT_TYPES = {
    (False, False): "", (True, False): "text", (False, True): "voice", (True, True): "text+voice"
}  # fmt: skip


def _audio(respondent: int, item: str, voices: int, number: int) -> str:
    """answers.csv's comment_audio: the item's voice files of round `number` in the pack, in
    the order sent."""
    return ";".join(
        voice_file_name(respondent, item, n, round=number) for n in range(1, voices + 1)
    )


@dataclass(frozen=True, slots=True)
class AnswerPerson:
    """A respondent's answers.csv columns, formatted once rather than per answer."""

    lead: str  # language, source, group, region
    may_quote: str
    first_status: str  # of their first round: submitted once they submitted it, else in_progress


SUBMITTED = {True: "submitted", False: "in_progress"}
JOURNEY_ITEMS = 1_000  # answers.csv's order within a respondent: round, then journey order
CHUNK = 20_000  # respondents read and written at a time: memory stays flat however many


def write_answers(
    connection: Any, content: Content, path: Path, offset_minutes: int | None,
    share: AnswerShare | None = None,
) -> int:  # fmt: skip
    """Stream answers.csv from the database, CHUNK respondents at a time, each round by round
    in journey order; return the number of rows written here.

    A row's status is of its round: a returning respondent's later round is submitted when its
    round entry is, their first round (that of their earliest answer) when their respondent
    record is. Written line by line rather than through a DataFrame: a million answers take
    seconds, not a minute. The pack travels through Telegram: comments go out with personal
    data replaced (bot.pii), the database keeps them.

    With a `share`, the chunks are taken from the first on while the other process takes them
    from the last (`AnswerShare`); the ones it wrote are joined on with `share.join`.
    """
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(BOM + ",".join(ANSWER_COLUMNS) + "\r\n")
        ranges = share.ranges if share else list(respondent_ranges(connection, CHUNK))
        for index, span in enumerate(ranges):
            if share and not share.claim(index):
                break  # this one and the rest are the other process's
            rows += _answer_chunk(connection, content, handle, offset_minutes, span)
    return rows


@dataclass(frozen=True)
class AnswerShare:
    """answers.csv's chunks shared by the two processes of a big pack: the main process takes
    them from the first on, the helper, once its own tables are written, from the last on. A
    chunk is claimed by creating its file in `folder` (O_EXCL: exactly one process gets each),
    and each side stops at the first chunk the other has: every chunk is written once. The
    helper's go into part files that `join` appends, in order, to the main process's."""

    folder: Path  # private to this pack (the snapshot's temporary folder)
    ranges: list[tuple[int, int]]

    def claim(self, index: int) -> bool:
        try:
            os.close(os.open(self.folder / f"{index}.claim", os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            return False
        return True

    def part(self, index: int) -> Path:
        return self.folder / f"answers-{index}.csv"

    def write_last(self, connection: Any, content: Content, offset_minutes: int | None) -> int:
        """The helper's side: chunks from the last on, each into its part file, until one is
        taken; return the rows written."""
        rows = 0
        for index in range(len(self.ranges) - 1, -1, -1):
            if not self.claim(index):
                break
            span = self.ranges[index]
            with self.part(index).open("w", encoding="utf-8", newline="") as handle:
                rows += _answer_chunk(connection, content, handle, offset_minutes, span)
        return rows

    def join(self, path: Path) -> None:
        """Append the helper's part files to answers.csv, in order, and remove them."""
        with path.open("ab") as target:
            for index in range(len(self.ranges)):
                part = self.part(index)
                if part.exists():
                    with part.open("rb") as source:
                        shutil.copyfileobj(source, target, 2**20)
                    part.unlink()


def _answer_chunk(
    connection: Any, content: Content, handle: Any, offset_minutes: int | None,
    span: tuple[int, int],
) -> int:  # fmt: skip
    """Write the answers.csv lines of respondents numbered `span` (first, last); return how
    many."""
    first, last = span
    order = _item_order(content)
    nobody = AnswerPerson("", "", SUBMITTED[False])
    rows = 0
    people = answer_people(connection, offset_minutes, first, last)
    later = later_rounds_submitted(connection, first, last)
    lines: list[tuple[int, str]] = []  # one respondent's, sorted before written
    current, first_round, person = None, 0, nobody
    for row in answer_rows(connection, offset_minutes, first, last):
        respondent, number, item, comment, voices, language, middle, end = row
        if respondent != current:
            rows += _write_sorted(handle, lines)
            # Ordered by round: a respondent's first row is of their first round.
            current, first_round = respondent, number
            person = people.get(respondent, nobody)
        if number == first_round:
            status = person.first_status
        else:
            status = SUBMITTED[later.get((respondent, number), False)]
        if comment or voices:
            shown = redact(comment) if comment else ""
            comment_columns = (
                f"{_field(shown) if shown else ''},"
                f"{COMMENT_TYPES[bool(comment), voices > 0]},"
                f"{_audio(respondent, item, voices, number) if voices else ''},"
                f"{language or ''},{int(shown != (comment or ''))}"
            )
        else:
            comment_columns = f",,,{language or ''},0"
        lines.append(
            (
                number * JOURNEY_ITEMS + order.get(item, JOURNEY_ITEMS - 1),
                f"{respondent},{person.lead},{middle},{comment_columns},"
                f"{person.may_quote},{status},{end}",
            )
        )
    return rows + _write_sorted(handle, lines)


def _item_order(content: Content) -> dict[str, int]:
    return {item: n for n, item in enumerate(_items(content))}


def _write_sorted(handle: Any, lines: list[tuple[int, str]]) -> int:
    """Write one respondent's lines in their (round, journey) order and empty the list; return
    how many there were."""
    lines.sort()
    handle.write("".join(line for _, line in lines))
    count = len(lines)
    lines.clear()
    return count


def answer_people(
    connection: Any, offset_minutes: int | None, first: int, last: int
) -> dict[int, AnswerPerson]:
    """Per respondent numbered `first` to `last`, their answers.csv columns, formatted once
    rather than per answer."""
    _, rows = respondent_rows(connection, offset_minutes, first, last)
    columns: dict[int, AnswerPerson] = {}
    for record in rows:
        respondent, language, source, status, group, region = record[:6]
        may_quote = record[10]
        columns[respondent] = AnswerPerson(
            lead=f"{language or ''},{_field(source or '')},{group or ''},{region or ''}",
            may_quote="" if may_quote is None else str(may_quote),
            first_status=SUBMITTED[status == "submitted"],
        )
    return columns


def _stance_column(conclusion: str, number: int | None = None) -> str:
    """respondents.csv's stance column of a conclusion: stance_conclusion_3 (the respondent's
    first round), stance_conclusion_3_round2 (round 2)."""
    column = f"stance_{conclusion.replace('-', '_')}"
    return column if number is None else f"{column}_round{number}"


# respondent_rows' columns before current_round: respondents.csv's first ones
PROFILE_NAMES = (
    "respondent", "language", "source", "status", "stakeholder_group", "region", "age_band",
    "gender", "consented_at", "consent_version", "may_quote", "wants_news", "started_at",
    "completed_at", "revised_at",
)  # fmt: skip
WHOLE_NUMBERS = frozenset({"consent_version", "may_quote", "wants_news"})  # pandas' Int64 once
CHOICE_ITEMS = ("sectors", "markets")  # the multi-select items, as answers.csv's choices holds


def _text(value: Any) -> str:
    """A respondents.csv cell from SQLite, as pandas wrote it: empty for NULL."""
    return "" if value is None else str(value)


@dataclass
class Counts:
    """What summary.csv, rounds.csv and the charts need, counted while respondents.csv is
    written: one pass over the answers instead of one query each."""

    # per (round, item): reached, answered, skipped, stance 1..5, text comments, voice
    # comments, comments, newest content version (as ItemTally holds them)
    items: dict[tuple[int, str], list[int]] = dataclasses.field(default_factory=dict)
    chosen: Counter[tuple[int, str, str]] = dataclasses.field(default_factory=Counter)
    stance_rounds: Counter[int] = dataclasses.field(default_factory=Counter)  # who gave one
    any_stance: int = 0  # respondents who gave a stance on a conclusion in some round

    def tallies(self) -> dict[int, dict[str, ItemTally]]:
        """Per round, per item reached by anyone in it."""
        tallies: dict[int, dict[str, ItemTally]] = {}
        for (number, item), counts in sorted(self.items.items()):
            reached, answered, skipped, s1, s2, s3, s4, s5, texts, voices, either, version = counts
            tallies.setdefault(number, {})[item] = ItemTally(
                item, reached, answered, skipped, (s1, s2, s3, s4, s5), texts, voices, either,
                content_version=version,
            )  # fmt: skip
        return tallies

    def count(self, row: tuple[Any, ...]) -> bool:
        """Count one answer of answer_facts; return whether it holds a stance on a
        conclusion."""
        _, number, item, version, stance, chosen, completed, text, voices = row
        counts = self.items.get((number, item))
        if counts is None:
            counts = self.items[number, item] = [0] * 11 + [version]
        conclusion = item.startswith("conclusion-")
        if conclusion:
            given = stance is not None
        elif item in CHOICE_ITEMS:
            given = chosen != ""
        else:
            given = bool(text) or voices > 0
        counts[0] += 1
        if given:
            counts[1] += 1
        elif completed:
            counts[2] += 1
        if stance is not None:
            counts[2 + stance] += 1
        if text:
            counts[8] += 1
        if voices > 0:
            counts[9] += 1
        if text or voices > 0:
            counts[10] += 1
        if version > counts[11]:  # noqa: PLR1730 - cheaper than max() on a million rows
            counts[11] = version
        return conclusion and stance is not None


def respondent_columns(content: Content, rounds: Sequence[int] = ()) -> list[str]:
    """respondents.csv's columns: profile, consent, times, the stance per conclusion in the
    respondent's first round, 0/1 options, first_round, the stances of each of `rounds` from
    the second."""
    later = [number for number in rounds if number >= 2]
    return [
        *PROFILE_NAMES,
        *(_stance_column(c.id) for c in content.conclusions),
        *(_option_column(item, o) for item, options in _options(content).items() for o in options),
        "first_round",
        *(_stance_column(c.id, number) for number in later for c in content.conclusions),
    ]  # fmt: skip


def write_respondents(
    connection: Any, content: Content, path: Path, offset_minutes: int | None,
    rounds: Sequence[int] = (),
) -> Counts:  # fmt: skip
    """Stream respondents.csv, CHUNK respondents at a time: one row per respondent (see
    respondent_columns), a stance or option empty when not reached or skipped; count the
    answers on the way (Counts).

    A respondent's first round is that of their earliest answer, else the round they stand in.
    Written with the csv module as pandas' to_csv wrote it (its quoting, empty for NULL).
    """
    conclusions = {c.id: n for n, c in enumerate(content.conclusions)}
    options = [(item, o) for item, opts in _options(content).items() for o in opts]
    option_at = {pair: n for n, pair in enumerate(options)}
    of_item = {
        item: [n for n, (of, _) in enumerate(options) if of == item]
        for item in CHOICE_ITEMS
        if any(of == item for of, _ in options)
    }
    later = {number: n for n, number in enumerate(number for number in rounds if number >= 2)}
    width = len(conclusions)
    counts = Counts()
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(BOM)
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(respondent_columns(content, rounds))
        for first, last in respondent_ranges(connection, CHUNK):
            answered: dict[int, tuple[int, list[str], list[str], list[str]]] = {}
            for respondent, rows in itertools.groupby(
                answer_facts(connection, first, last), key=operator.itemgetter(0)
            ):
                stance = [""] * width
                flags = [""] * len(options)
                given = [""] * (width * len(later))
                stanced: set[int] = set()
                first_round = 0  # rounds count from 1
                for row in rows:
                    number, item = row[1], row[2]
                    if not first_round:
                        first_round = number  # ordered by round: the earliest answer's
                    if counts.count(row):
                        stanced.add(number)
                        if (where := conclusions.get(item)) is not None:
                            if number == first_round:
                                stance[where] = str(row[4])
                            if (column := later.get(number)) is not None:
                                given[column * width + where] = str(row[4])
                    elif item in of_item:
                        for where in of_item[item]:
                            flags[where] = "0"
                        for option in row[5].split(";") if row[5] else ():
                            if (where := option_at.get((item, option))) is not None:
                                flags[where] = "1"
                counts.stance_rounds.update(stanced)
                counts.any_stance += bool(stanced)
                answered[respondent] = (first_round, stance, flags, given)
            _, people = respondent_rows(connection, offset_minutes, first, last)
            for record in people:
                respondent, current = record[0], record[-1]
                number, stance, flags, given = answered.get(
                    respondent,
                    (int(current), [""] * width, [""] * len(options), [""] * (width * len(later))),
                )
                for (item, option), flag in zip(options, flags, strict=True):
                    if flag == "1":
                        counts.chosen[number, item, option] += 1
                profile = [
                    str(int(value)) if name in WHOLE_NUMBERS and value is not None
                    else _text(neutralise(value) if name == "source" else value)
                    for name, value in zip(PROFILE_NAMES, record, strict=False)
                ]  # fmt: skip
                writer.writerow([*profile, *stance, *flags, str(number), *given])
    return counts


def summary_frame(
    tallies: dict[int, dict[str, ItemTally]], content: Content,
    chosen: Counter[tuple[int, str, str]], rounds: Sequence[int],
) -> pd.DataFrame:  # fmt: skip
    """Per round and item: reached, answered, skipped, each stance, comments; per option,
    `chosen` (first round, item, option): how many chose it of those whose first journey was
    that round (the options are asked once).

    `answered` counts answers given (a stance, an option, an idea), `skipped` explicit skips,
    `reached` everyone who saw the item: reached = answered + skipped + those still at it.
    Every item of each of `rounds` (round 1 alone before anyone answered), zero where nobody
    reached it.
    """
    rows: list[dict[str, Any]] = []
    options = _options(content)
    for number in rounds or (1,):
        of_round = tallies.get(number, {})
        for item in items(content):
            tally = of_round.get(item.id) or ItemTally.none(item.id)
            record: dict[str, Any] = {
                "item": item.id, "round": number, "option": "", "reached": tally.reached,
                "answered": tally.answered, "skipped": tally.skipped,
                "text_comments": tally.text_comments, "voice_comments": tally.voice_comments,
                "comments": tally.comments,
            }  # fmt: skip
            if item.conclusion is not None:
                given = tally.stances
                total = sum(given)
                mean = sum(v * n for v, n in enumerate(given, start=1)) / total if total else None
                record["mean_stance"] = "" if mean is None else round(mean, 2)
                record |= {f"stance_{v}": n for v, n in enumerate(given, start=1)}
            rows.append(record)
            rows.extend(
                {
                    "item": item.id,
                    "round": number,
                    "option": o,
                    "chosen": chosen[number, item.id, o],
                }
                for o in options.get(item.id, ())
            )
    frame = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    for column in ("round", *SUMMARY_COUNTS):
        if column != "mean_stance":
            frame[column] = pd.array(frame[column], dtype="Int64")
    return frame


def _conclusion_number(item: str) -> int:
    """3 for conclusion-3."""
    return int(item.rsplit("-", 1)[1])


def _decimal(value: float | None) -> float | None:
    """A figure of rounds.csv, rounded to SHARE_DECIMALS places (None stays: an empty cell)."""
    return None if value is None else round(value, SHARE_DECIMALS)


def rounds_frame(
    tallies: dict[int, dict[str, ItemTally]], content: Content, rounds: Sequence[int],
    changes: dict[tuple[int, str], float | None],
) -> pd.DataFrame:  # fmt: skip
    """Per conclusion and round with answers: n, median, iqr, the shares that agree, are
    neutral and disagree, consensus (all from `Shares`, as the feedback screen shows them), and
    from round 2 the share of `changes`: of those who gave a stance in the round before too,
    whose stance differs. Every conclusion of the content, and any other answered in a round."""
    conclusions = {c.id for c in content.conclusions}
    answered = {
        item
        for number in rounds
        for item in tallies.get(number, {})
        if item.startswith("conclusion-")
    }
    records: list[dict[str, Any]] = []
    for item in sorted(conclusions | answered, key=_conclusion_number):
        for number in rounds:
            tally = tallies.get(number, {}).get(item)
            if tally is None and item not in conclusions:
                continue
            shares = Shares(tally.stances if tally else (0, 0, 0, 0, 0))
            given = shares.n > 0
            records.append(
                {
                    "item": item,
                    "round": number,
                    "content_version": tally.content_version if tally else None,
                    "n": shares.n,
                    "median": _decimal(shares.median),
                    "iqr": _decimal(shares.iqr),
                    "agree": _decimal(shares.agree) if given else None,
                    "neutral": _decimal(shares.neutral) if given else None,
                    "disagree": _decimal(shares.disagree) if given else None,
                    "consensus": int(shares.consensus),
                    "changed": _decimal(changes.get((number, item))) if number > 1 else None,
                }
            )
    frame = pd.DataFrame(records, columns=list(ROUNDS_COLUMNS))
    for column in ("round", "content_version", "n", "consensus"):
        frame[column] = pd.array(frame[column], dtype="Int64")
    for column in ("median", "iqr", "agree", "neutral", "disagree", "changed"):
        frame[column] = pd.to_numeric(frame[column], errors="raise").astype("float64")
    return frame


def opinion_columns(content: Content) -> list[str]:
    """opinion_groups.csv's columns: a mean per conclusion of `content`."""
    means = [f"mean_{conclusion.id}" for conclusion in content.conclusions]
    return ["group", "size", *means, "distinct", "consensus", *PROFILE_COLUMNS, "round"]


def opinion_frame(
    matrix: StanceMatrix | None, groups: Groups | None, content: Content
) -> pd.DataFrame:
    """One row per opinion group shown: its size, its mean stance per conclusion, the
    conclusions that set it apart and those every group shares a side of (items,
    `;`-separated), its profile mix (counts under 5 as "<5"), the round; no rows without
    groups. Nobody is named: a group is its letter."""
    columns = opinion_columns(content)
    records: list[dict[str, Any]] = []
    if matrix is not None and groups is not None:
        ids = [conclusion.id for conclusion in content.conclusions]
        shared = ";".join(ids[index] for index in groups.consensus)
        for group in groups.groups:
            record: dict[str, Any] = {"group": group.name, "size": group.size}
            record |= {
                f"mean_{item}": round(mean, MEAN_DECIMALS)
                for item, mean in zip(ids, group.means, strict=True)
            }
            record |= {
                "distinct": ";".join(ids[index] for index in group.distinct),
                "consensus": shared,
                "round": matrix.round,
            }
            for column, field in zip(PROFILE_COLUMNS, PROFILE_FIELDS, strict=True):
                record[column] = "; ".join(
                    f"{code} {counted(count)}" for code, count in profile_mix(matrix, group, field)
                )
            records.append(record)
    frame = pd.DataFrame(records, columns=columns)
    for column in ("size", "round"):
        frame[column] = pd.array(frame[column], dtype="Int64")
    for column in columns[2 : 2 + len(content.conclusions)]:
        frame[column] = pd.to_numeric(frame[column], errors="raise").astype("float64")
    return frame


def _option_column(item: str, option: str) -> str:
    """respondents.csv's 0/1 column of an option: sector_music, market_china."""
    return f"{item[:-1]}_{option.replace('-', '_')}"


@dataclass(frozen=True)
class Tables:
    """What the rest of the pack needs from respondents.csv, summary.csv and rounds.csv."""

    summary: pd.DataFrame
    rounds: pd.DataFrame
    people: dict[str, int]
    stance_respondents: int  # who gave a stance in the newest round: the stance chart's n
    any_stance: int  # who gave at least one stance in any round: the rounds chart's n
    opinion: tuple[StanceMatrix | None, Groups | None] = (None, None)  # opinion_groups()


def write_tables(
    database: Path, out: Path, content: Content, zone: tzinfo, offset: int | None, *,
    share: AnswerShare | None = None,
) -> Tables:  # fmt: skip
    """Write respondents.csv, summary.csv and rounds.csv from one read transaction of their
    own, then find the opinion groups (in the process that writes them, while the other one
    writes answers.csv); then, with a `share`, the last chunks of answers.csv the other
    process has not reached."""
    connection = export_connection(database, LocalTime(zone))
    try:
        connection.execute("BEGIN")
        numbers = answered_rounds(connection)
        counts = write_respondents(connection, content, out / "respondents.csv", offset, numbers)
        tallies = counts.tallies()
        summary = summary_frame(tallies, content, counts.chosen, numbers)
        changes = {
            (number, item): changed(pairs) for number, item, pairs in stance_pairs(connection)
        }
        newest = numbers[-1] if numbers else 1
        tables = Tables(
            summary=summary,
            rounds=rounds_frame(tallies, content, numbers, changes),
            people=people_counts(connection),
            stance_respondents=counts.stance_rounds[newest],
            any_stance=counts.any_stance,
        )
        connection.execute("COMMIT")
        _write_frame(summary, out / "summary.csv")
        _write_frame(tables.rounds, out / "rounds.csv")
        opinion = opinion_groups(connection, content)  # the same snapshot
        if share is not None:
            share.write_last(connection, content, offset)
    finally:
        connection.close()
    return dataclasses.replace(tables, opinion=opinion)


COLUMN_NOTES = {
    "respondent": "pseudonymous number of the respondent (never a Telegram id)",
    "language": "language the respondent chose: kk, ru or en",
    "source": "recruitment source of the deep link; direct or unregistered otherwise",
    "stakeholder_group": "stakeholder group (see its coded values)",
    "region": "region (see its coded values)",
    "age_band": "age band (see its coded values)",
    "gender": "gender (see its coded values)",
    "item": "the question: conclusion-N, sectors, markets or idea",
    "content_version": "version of the content file the answer was given against; rounds.csv:"
    " the newest version the round's answers of the conclusion were given against",
    "stance": "1 = strongly disagree ... 5 = strongly agree; empty when skipped or not a stance",
    "choices": "chosen option ids, ';'-separated (sectors, markets)",
    "comment": "the comment as written (several messages joined by line breaks), personal"
    " data replaced (see comment_redacted)",
    "comment_type": "text, voice, text+voice (typed text and voice messages) or empty",
    "comment_audio": "the comment's voice files inside the pack, ';'-separated, in the order sent",
    "comment_language": "language the comment is written in: kk, ru, en, or empty",
    "comment_redacted": "1 if phone numbers, e-mail addresses, IIN/BIN or card numbers in the"
    " comment became [phone], [e-mail], [IIN], [card] (the database keeps them as written)",
    "may_quote": "1 if comments may be quoted anonymously",
    "wants_news": "1 if the respondent asked for news about the consultation",
    "status": "answers.csv: submitted once the respondent submitted that round's answers, else"
    " in_progress; respondents.csv: submitted once they ever submitted, else in_progress",
    "answered_at": "when the answer was completed (ISO 8601, local time with offset)",
    "revised": "1 if the answer was changed after it was first completed",
    "round": "the round (1, 2, ...) the answer belongs to, kept apart from the other rounds'"
    " (see its coded values); summary.csv, rounds.csv: the round counted. In round 2 and later"
    " a returning respondent answers the conclusions again, a newcomer the whole journey;"
    f" opinion_groups.csv: the round grouped, the newest that {MIN_RESPONDENTS} or more"
    " respondents submitted",
    "consented_at": "when consent was given",
    "consent_version": "content version of the consent text agreed to",
    "started_at": "when the respondent started",
    "completed_at": "when the respondent first submitted",
    "revised_at": "when an answer was last changed after submitting",
    "stance_conclusion_N": "respondents.csv: stance on conclusion N in the respondent's first"
    " round (as stance)",
    "sector_<id>, market_<id>": "respondents.csv: 1 chosen, 0 not chosen, empty not reached",
    "first_round": "respondents.csv: the round of the respondent's first journey, whose stances"
    " stance_conclusion_N hold (coded as round)",
    "stance_conclusion_N_roundR": "respondents.csv: stance on conclusion N given in round R (2,"
    " 3, ...; as stance), a newcomer's first round too; empty when none was given in it",
    "reached": "summary.csv: respondents who were shown the item",
    "answered": "summary.csv: respondents who gave a stance (conclusions), chose an option"
    " (sectors, markets) or gave an idea; stance_1 ... stance_5 add up to it",
    "skipped": "summary.csv: respondents who moved on without one; reached - answered -"
    " skipped are still at the item",
    "stance_1 ... stance_5": "summary.csv: how many gave each stance",
    "mean_stance": "summary.csv: mean stance of those who gave one",
    "comments": "summary.csv: how many commented (typed text, voice or both)",
    "text_comments, voice_comments": "summary.csv: how many comments hold typed text, how many"
    " a voice message (a comment with both counts in each)",
    "chosen": "summary.csv: how many chose the option",
    "n": "rounds.csv: how many gave a stance on the conclusion in the round (skips not counted)",
    "median": "rounds.csv: the median stance, interpolated linearly between the ordered stances"
    " (R's quantile type 7, the default of numpy and pandas); empty when n is 0",
    "iqr": "rounds.csv: the interquartile range, the third quartile less the first (quartiles"
    " interpolated as the median)",
    "agree": "rounds.csv: the share (0 to 1) of the stances that are 4 or 5",
    "neutral": "rounds.csv: the share (0 to 1) of the stances that are 3",
    "disagree": "rounds.csv: the share (0 to 1) of the stances that are 1 or 2",
    "consensus": f"rounds.csv: 1 when agree or disagree is {CONSENSUS_SHARE:.2f} or more and iqr"
    f" is {CONSENSUS_IQR:g} or less, else 0; opinion_groups.csv: the conclusions (items,"
    " ';'-separated, the same on every row) on which every group shown has a majority on the"
    " same side: more than half of its stances 4-5, or more than half 1-2 (skips not counted)",
    "changed": "rounds.csv: from round 2, the share (0 to 1) of those who gave a stance on the"
    " conclusion in the round before and in this one whose stance differs; empty in round 1"
    " and when nobody gave both",
    "group": "opinion_groups.csv: the opinion group, A, B, ... from the largest (principal"
    " components and k-means on the stances of those who submitted the round; see the README,"
    f' "Opinion groups: the method"); groups under {MIN_SHOWN} people are not shown',
    "size": "opinion_groups.csv: respondents in the group",
    "mean_conclusion-N": "opinion_groups.csv: the group's mean stance on conclusion N, a skip"
    " counted as the conclusion's mean over everyone grouped",
    "distinct": "opinion_groups.csv: the conclusions (items, ';'-separated) on which the"
    f" group's mean differs from everyone else's by {DISTINCT_BY:g} points or more, the largest"
    " gap first, at most three",
    "stakeholder_groups": "opinion_groups.csv: how many of the group are in each stakeholder"
    " group (codes as stakeholder_group), '; '-separated, the most first; a count under"
    f" {FEWEST_COUNTED} is written <{FEWEST_COUNTED}; {NOT_GIVEN}: not given",
    "regions": "opinion_groups.csv: the same for region",
    "languages": "opinion_groups.csv: the same for language",
}
# The labels of the columns rounds brought, in kk, ru and en.
COLUMN_LABELS = {
    "round": {"kk": "Кезең", "ru": "Тур", "en": "Round"},
    "first_round": {
        "kk": "Респонденттің алғашқы кезеңі",
        "ru": "Первый тур респондента",
        "en": "The respondent's first round",
    },
    "stance_conclusion_N_roundR": {
        "kk": "R-кезеңдегі N-қорытындыға көзқарас",
        "ru": "Отношение к выводу N в туре R",
        "en": "Stance on conclusion N in round R",
    },
    "n": {
        "kk": "Көзқарасын білдіргендер саны",
        "ru": "Число высказавших отношение",
        "en": "Stances given",
    },
    "median": {"kk": "Көзқарастардың медианасы", "ru": "Медиана оценок", "en": "Median stance"},
    "iqr": {
        "kk": "Квартильаралық құлаш",
        "ru": "Межквартильный размах",
        "en": "Interquartile range",
    },
    "agree": {
        "kk": "Келісетіндердің үлесі (4–5)",
        "ru": "Доля согласных (4–5)",
        "en": "Share agreeing (4–5)",
    },
    "neutral": {
        "kk": "Бейтарап жауаптардың үлесі (3)",
        "ru": "Доля нейтральных ответов (3)",
        "en": "Share neutral (3)",
    },
    "disagree": {
        "kk": "Келіспейтіндердің үлесі (1–2)",
        "ru": "Доля несогласных (1–2)",
        "en": "Share disagreeing (1–2)",
    },
    "consensus": {"kk": "Консенсус", "ru": "Консенсус", "en": "Consensus"},
    "changed": {
        "kk": "Көзқарасын өзгерткендердің үлесі",
        "ru": "Доля изменивших отношение",
        "en": "Share who changed their stance",
    },
    # opinion_groups.csv
    "group": {"kk": "Пікір тобы", "ru": "Группа мнений", "en": "Opinion group"},
    "size": {
        "kk": "Топтағы респонденттер саны",
        "ru": "Число респондентов в группе",
        "en": "Respondents in the group",
    },
    "mean_conclusion-N": {
        "kk": "Топтың N-қорытындыға орташа көзқарасы",
        "ru": "Средняя оценка группы по выводу N",
        "en": "The group's mean stance on conclusion N",
    },
    "distinct": {
        "kk": "Топты өзгелерден ерекшелейтін қорытындылар",
        "ru": "Выводы, по которым группа отличается от остальных",
        "en": "Conclusions that set the group apart",
    },
    "stakeholder_groups": {
        "kk": "Топтағы қатысушылар топтарының құрамы",
        "ru": "Состав группы по группам участников",
        "en": "The group's stakeholder groups",
    },
    "regions": {
        "kk": "Топтың өңірлер бойынша құрамы",
        "ru": "Состав группы по регионам",
        "en": "The group's regions",
    },
    "languages": {
        "kk": "Топтың тілдер бойынша құрамы",
        "ru": "Состав группы по языкам",
        "en": "The group's languages",
    },
}
CONSENSUS_LABELS = {
    1: {
        "kk": "Консенсус бар: бір жақта кемінде {share}, квартильаралық құлаш {iqr} немесе одан"
        " аз",
        "ru": "Консенсус есть: не менее {share} на одной стороне, межквартильный размах не больше"
        " {iqr}",
        "en": "Consensus: {share} or more on one side, interquartile range {iqr} or less",
    },
    0: {"kk": "Консенсус жоқ", "ru": "Консенсуса нет", "en": "No consensus"},
}


def codebook_frame(
    content: Content, earlier: Sequence[Content] = (), rounds: Sequence[int] = ()
) -> pd.DataFrame:
    """Every column with its meaning, every coded value with its labels in kk, ru and en: for
    the current content and for each `earlier` version answers were given against, each with
    that version's texts, each of `rounds` (round 1 at least) and the consensus codes too."""
    rows: list[dict[str, Any]] = [
        {"variable": name, "value": "", "description": note}
        | {
            f"label_{language}": COLUMN_LABELS.get(name, {}).get(language, "")
            for language in LANGUAGES
        }
        for name, note in COLUMN_NOTES.items()
    ]
    for version in sorted((*earlier, content), key=lambda c: c.version):
        rows += _coded_values(version, rounds)
    columns = ["variable", "value", "description", "content_version"]
    columns += [f"label_{language}" for language in LANGUAGES]
    frame = pd.DataFrame(rows, columns=columns)
    # A whole number, as answers.csv writes it ("2", not "2.0"), empty on the column notes.
    frame["content_version"] = pd.array(frame["content_version"], dtype="Int64")
    return frame


def _coded_values(content: Content, rounds: Sequence[int] = ()) -> list[dict[str, Any]]:
    """The coded values of one content version, labelled with its texts; with them, as with
    "prefer not to say", the codes every version shares: the rounds, consensus."""
    rows: list[dict[str, Any]] = []

    def coded(variable: str, value: str, label: Any) -> None:
        rows.append(
            {"variable": variable, "value": value, "content_version": content.version}
            | {f"label_{language}": label(language) for language in LANGUAGES}
        )

    for stance in content.stances:
        coded("stance", stance.id, stance.label)
    for item in items(content):
        if item.conclusion is not None:
            coded("item", item.id, item.conclusion.title)
        elif item.question is not None:
            coded("item", item.id, item.question.text)
            for option in item.question.options:
                coded(f"choices ({item.id})", option.id, option.label)
        elif item.prompt is not None:
            coded("item", item.id, item.prompt)
    prefer_not = {lang: translator(lang).gettext("Prefer not to say") for lang in LANGUAGES}
    for variable, options in (
        ("stakeholder_group", content.groups),
        ("region", content.regions),
        ("age_band", content.age_bands),
        ("gender", content.genders),
    ):
        for option in options:
            coded(variable, option.id, option.label)
        coded(variable, "prefer-not-to-say", prefer_not.__getitem__)
    for number in sorted({1, *rounds}):
        names = {language: _round_name(language, number) for language in LANGUAGES}
        coded("round", str(number), names.__getitem__)
    for code, texts in CONSENSUS_LABELS.items():
        names = {language: texts[language].format(**CONSENSUS_TERMS) for language in LANGUAGES}
        coded("consensus", str(code), names.__getitem__)
    return rows


def _write_frame(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def _cell(value: Any, *, numeric: bool = False) -> Any:
    """A workbook cell: verbatim text as a string, numbers as numbers, missing as empty.

    The quote that guards a CSV cell is taken off again: a string cell is never a formula.
    """
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str):
        if numeric and value.lstrip("-").isdigit():
            return int(value)
        if numeric and value.lstrip("-").replace(".", "", 1).isdigit():
            return float(value)  # rounds.csv's shares, read back from CSV by bot.purge
        if value[:1] == "'" and guarded(value[1:]):
            return value[1:]
        return value
    if isinstance(value, bool | np.bool_):
        return int(value)
    # NumPy's numbers too (a DataFrame's counts), as the writer's own int and float.
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value)
    return str(value)


NUMERIC_COLUMNS = NUMERIC_ANSWERS | {
    "consent_version", "wants_news", "first_round", *SUMMARY_COUNTS, *ROUNDS_COLUMNS[1:], "size",
}  # fmt: skip
DATE_COLUMNS = frozenset(
    {"answered_at", "consented_at", "started_at", "completed_at", "revised_at"}
)
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
EXCEL_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's (1900) date system, as Excel counts
WIDTHS = (6, 60)  # a column's width in characters: at least, at most
SAMPLE_ROWS = 100_000  # answers read to size the answer sheet's columns (it is streamed)


def _numeric_column(name: str) -> bool:
    """Whether a column holds numbers (read back from CSV as text)."""
    return name in NUMERIC_COLUMNS or name.startswith(
        ("stance_", "sector_", "market_", "mean_conclusion-")
    )


def _excel_date(text: str) -> datetime | None:
    """A local ISO 8601 time of the pack ("2026-11-30T14:05:00+05:00") as the workbook's date.

    Excel has no time zones: the cell holds the local time as read on a clock in the bot's
    zone (the offset stays in the CSV files); the writer stores it as Excel's day number with
    DATE_FORMAT.
    """
    if not text:
        return None
    return datetime.fromisoformat(text[:19])


def _widths(frame: pd.DataFrame) -> list[float]:
    """Column widths that fit the header and the longest value, within WIDTHS."""
    least, most = WIDTHS
    widths = []
    for name in frame.columns:
        if name in DATE_COLUMNS:
            widths.append(float(len(DATE_FORMAT) + 1))
            continue
        longest = frame[name].astype("string").str.len().max() if len(frame) else 0
        longest = 0 if longest is pd.NA or longest is None else int(longest)
        widths.append(float(min(most, max(least, len(str(name)) + 2, longest + 1))))
    return widths


def _csv_widths(path: Path) -> tuple[list[str], list[float]]:
    """A CSV file's header and its column widths, as _widths sizes them, from its first
    SAMPLE_ROWS rows (read as text, one row at a time: memory stays flat)."""
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file)
        names = next(reader, [])
        longest = [0] * len(names)
        for values in itertools.islice(reader, SAMPLE_ROWS):
            longest = [max(n, len(v)) for n, v in zip(longest, values, strict=False)]
    least, most = WIDTHS
    widths = [
        float(len(DATE_FORMAT) + 1)
        if name in DATE_COLUMNS
        else float(min(most, max(least, len(name) + 2, n + 1)))
        for name, n in zip(names, longest, strict=True)
    ]
    return names, widths


def _csv_rows(path: Path) -> int:
    """How many data rows a CSV file holds: its lines when none is quoted over two, else
    counted by the CSV reader."""
    with path.open("rb") as file:
        lines = sum(
            block.count(b"\n") for block in iter(functools.partial(file.read, 1 << 20), b"")
        )
    if lines - 1 <= EXCEL_ROWS:
        return max(0, lines - 1)  # an upper bound: all the sheet needs to know
    with path.open(encoding="utf-8-sig", newline="") as file:
        return sum(1 for _ in csv.reader(file)) - 1


def _text_cell(value: Any) -> Any:
    """A text column's cell: the string verbatim (the CSV guard taken off), missing as empty."""
    if value.__class__ is str and value[:1] != "'" and len(value) <= EXCEL_CHARS:
        return value or None  # most cells: nothing to take off, nothing to cut
    if isinstance(value, str):
        if not value:
            return None
        if value[:1] == "'" and guarded(value[1:]):
            value = value[1:]
        return value if len(value) <= EXCEL_CHARS else value[: EXCEL_CHARS - 1] + "…"
    cell = _cell(value)
    return None if isinstance(cell, str) and not cell else cell


def _number_cell(value: Any) -> Any:
    if value.__class__ is str and value.isdecimal():  # most cells: a count or a code
        return int(value)
    cell = _cell(value, numeric=True)
    return None if isinstance(cell, str) and not cell else cell


def _date_cell(value: Any) -> datetime | None:
    return _excel_date(value) if isinstance(value, str) else None


CONVERTERS = {"text": _text_cell, "number": _number_cell, "date": _date_cell}


@dataclass
class _Sheets:
    """The workbook's sheets, each a header and its rows as records (header name to value:
    str, int, float, datetime or None for an empty cell), with its column widths.

    A sheet longer than EXCEL_ROWS goes on in "name (2)", "name (3)"…: the parts read the
    same iterator of rows one after the other, as the writer writes them in order.
    """

    entries: list[tuple[str, Any]] = dataclasses.field(default_factory=list)
    widths: dict[str, dict[str, float] | list[float]] = dataclasses.field(default_factory=dict)

    def add(
        self, name: str, columns: list[str], widths: list[float], rows: Any, count: int
    ) -> None:
        """The sheet `name` (and its parts), `count` rows (at most) read from `rows`."""
        converters = [CONVERTERS[kind] for kind in _kinds(columns)]
        parts = max(1, math.ceil(count / EXCEL_ROWS))
        for part in range(1, parts + 1):
            title = name if part == 1 else f"{name} ({part})"
            self.entries.append(
                (title, self._records(columns, converters, itertools.islice(rows, EXCEL_ROWS)))
            )
            self.widths[title] = widths

    @staticmethod
    def _records(columns: list[str], converters: list[Any], rows: Any) -> Any:
        written = False
        call = operator.call
        for values in rows:  # dict, zip and map walk the cells in C: only converters are Python
            yield dict(zip(columns, map(call, converters, values), strict=True))
            written = True
        if not written:  # the header alone: a record with every cell empty writes no row
            yield dict.fromkeys(columns)


def _kinds(columns: list[str]) -> list[str]:
    return [
        "date" if c in DATE_COLUMNS else "number" if _numeric_column(c) else "text"
        for c in columns
    ]


@contextlib.contextmanager
def workbook_sheets(
    sheets: dict[str, pd.DataFrame | Path], answers_csv: Path
) -> Iterator[_Sheets]:
    """The workbook's sheets, ready to be written: answers streamed from answers.csv, then
    the other sheets (a Path: a CSV file of the pack, streamed too). The files stay open
    until the block ends."""
    book = _Sheets()
    csv.field_size_limit(sys.maxsize)  # comments written before the cap can be long
    with contextlib.ExitStack() as files:

        def streamed(name: str, source: Path) -> None:
            columns, widths = _csv_widths(source)
            reader = csv.reader(files.enter_context(
                source.open(encoding="utf-8-sig", newline="")
            ))  # fmt: skip
            next(reader, None)
            book.add(name, columns, widths, reader, _csv_rows(source))

        streamed("answers", answers_csv)
        for name, frame in sheets.items():
            if isinstance(frame, Path):
                streamed(name, frame)
                continue
            rows = frame.itertuples(index=False, name=None)
            book.add(name, [str(c) for c in frame.columns], _widths(frame), rows, len(frame))
        yield book


def pack_sheets(folder: Path) -> dict[str, pd.DataFrame | Path]:
    """A written pack's sheets but answers, read back from its CSV files (bot.purge rebuilds
    the workbook from them): respondents.csv streamed, the small files as DataFrames; rounds
    and opinion groups only where the pack has them (older packs do not)."""

    def frame(name: str, **options: Any) -> pd.DataFrame:
        return pd.read_csv(folder / name, encoding="utf-8-sig", keep_default_na=False, **options)

    sheets: dict[str, pd.DataFrame | Path] = {
        "respondents": folder / "respondents.csv",
        "summary": frame("summary.csv"),
    }
    for name in ("rounds", "opinion_groups"):
        if (folder / f"{name}.csv").exists():
            sheets[name] = frame(f"{name}.csv", dtype=str)
    sheets["codebook"] = frame("codebook.csv", dtype=str)
    return sheets


def write_xlsx(sheets: dict[str, pd.DataFrame | Path], answers_csv: Path, path: Path) -> Path:
    """The workbook (workbook_sheets' sheets), its rows streamed as they are read.

    Every sheet has its header row bold and frozen and columns sized to their contents;
    counts and codes are numbers, times Excel dates in the bot's zone; text is a string cell
    whatever it starts with (rust_xlsxwriter writes strings as inline strings, never as
    formulas, and escapes control characters and literal `_xHHHH_` as Excel reads them).
    """
    import rustpy_xlsxwriter  # noqa: PLC0415 - only the whole pack needs it

    with workbook_sheets(sheets, answers_csv) as book:
        rustpy_xlsxwriter.write_worksheets(
            book.entries,
            str(path),
            freeze_panes={"general": {"row": 1, "col": 0}},
            datetime_format=DATE_FORMAT,
            bold_headers=True,
            column_widths=book.widths,
        )
    return path


STANCE_COLOURS = {5: "#1a9641", 4: "#a6d96a", 3: "#d9d9d9", 2: "#fdae61", 1: "#d7191c"}
DARK_STANCES = frozenset({5, 1})  # white labels on these colours, black on the others
CHOICE_COLOUR = "#2c7bb6"
CONSENSUS_COLOUR = "#1a6e2e"  # the rounds chart's ✓
CHART_DPI = 200
CHOICE_TITLES = {
    "sectors": N_("Sectors with the most potential"),
    "markets": N_("Markets to aim for"),
}


def _pyplot() -> Any:
    import matplotlib as mpl  # noqa: PLC0415 - only the charts need it

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415 - after the backend is chosen

    return plt


def _subtitle(language: str, day: date, count: int) -> str:
    """The second line of a chart's title: the pack's date and its n."""
    ngettext = translator(language).ngettext
    return ngettext(
        "{date} · n = {count} respondent", "{date} · n = {count} respondents", count
    ).format(date=day.isoformat(), count=count)


def _fit_labels(figure: Any, axes: Any, labels: list[tuple[Any, float, list[str]]]) -> None:
    """Label each bar segment (a text, the segment's width in data units, the texts to try)
    with the first text that fits inside it, or with none."""
    renderer = figure.canvas.get_renderer()
    origin = axes.transData.transform((0, 0))[0]
    for text, width, candidates in labels:
        room = axes.transData.transform((width, 0))[0] - origin - 4  # pixels, a small margin
        for candidate in candidates:
            text.set_text(candidate)
            if text.get_window_extent(renderer).width <= room:
                break
        else:
            text.set_visible(False)


def _no_answers(axes: Any, x: float, y: float, language: str) -> None:
    axes.text(
        x, y, translator(language).gettext("no answers yet"), ha="center", va="center",
        fontsize=8, color="#555555", style="italic",
    )  # fmt: skip


def _save(figure: Any, path: Path) -> Path:
    figure.savefig(path, dpi=CHART_DPI, bbox_inches="tight")
    _pyplot().close(figure)
    # A closed figure is a web of reference cycles (7 MB at 200 dpi) that waits for the cyclic
    # collector; collected now, a pack's twenty-odd charts hold one figure's memory, not all.
    gc.collect()
    return path


def _round_name(language: str, number: int) -> str:
    """The name of round `number` in `language`: Round 2."""
    return translator(language).gettext("Round {round}").format(round=number)


def _stance_legend(content: Content, language: str) -> list[Any]:
    """The legend's patches: the stances top to bottom as the bars run left to right."""
    import textwrap  # noqa: PLC0415 - the charts only

    from matplotlib.patches import Patch  # noqa: PLC0415 - the charts only

    legend = []
    for value in (5, 4, 3, 2, 1):
        label = content.stance_label(value)
        name = label(language) if label else str(value)
        legend.append(Patch(color=STANCE_COLOURS[value], label=textwrap.fill(name, 24)))
    return legend


def _stance_bar(
    axes: Any, position: float, counts: dict[int, int], labels: list[tuple[Any, float, list[str]]]
) -> None:
    """One 100 % bar of stances at `position`, strongly agree on the left; its segments'
    labels (share, else count) join `labels`, to be fitted once the layout is done."""
    total = sum(counts.values())
    left = 0.0
    for value in (5, 4, 3, 2, 1):
        share = 100 * counts.get(value, 0) / total
        if not share:
            continue
        axes.barh(position, share, left=left, color=STANCE_COLOURS[value], height=0.7)
        text = axes.text(
            left + share / 2, position, "", ha="center", va="center", fontsize=7.5,
            color="white" if value in DARK_STANCES else "black",
        )  # fmt: skip
        labels.append((text, share, [f"{share:.0f}%", str(counts.get(value, 0))]))
        left += share


def stance_figure(
    content: Content, summary: pd.DataFrame, *, language: str, day: date, respondents: int,
    round: int | None = None,
) -> Any:  # fmt: skip
    """A stacked bar of the stances per conclusion, strongly agree on the left, shares in %.

    `summary` holds one round's rows; `round` names it in the title (when there are several).
    Each segment shows its share, or its count where the share does not fit, or nothing; the
    legend beside the bars lists the stances top to bottom as the bars run left to right. A
    conclusion nobody gave a stance on says so.
    """
    import textwrap  # noqa: PLC0415 - the charts only

    plt = _pyplot()
    _ = translator(language).gettext
    rows = summary[summary["option"] == ""].set_index("item")
    conclusions = list(reversed(content.conclusions))  # the first at the top
    figure, axes = plt.subplots(figsize=(11, 0.75 * len(conclusions) + 1.9), dpi=CHART_DPI)
    names: list[str] = []
    labels: list[tuple[Any, float, list[str]]] = []
    for position, conclusion in enumerate(conclusions):
        row = rows.loc[conclusion.id]
        counts = {v: int(row[f"stance_{v}"]) for v in range(1, 6)}
        total = sum(counts.values())
        name = textwrap.fill(f"{conclusion.number}. {conclusion.title(language)}", 38)
        names.append(f"{name}\n(n = {total})")
        if not total:
            _no_answers(axes, 50, position, language)
            continue
        _stance_bar(axes, position, counts, labels)
    axes.set_yticks(range(len(names)), names, fontsize=8)
    axes.set_ylim(-0.6, len(names) - 0.4)
    axes.set_xlim(0, 100)
    axes.set_xlabel(_("Share of the stances given on each conclusion (%)"), fontsize=8)
    axes.tick_params(axis="x", labelsize=8)
    title = _("Stance on each conclusion")
    if round is not None:
        title += f" · {_round_name(language, round)}"
    axes.set_title(f"{title}\n{_subtitle(language, day, respondents)}", fontsize=10)
    axes.legend(
        handles=_stance_legend(content, language), loc="center left", bbox_to_anchor=(1.01, 0.5),
        fontsize=8, frameon=False,
    )  # fmt: skip
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    _fit_labels(figure, axes, labels)
    return figure


def choice_figure(
    question: MultiQuestion, summary: pd.DataFrame, *, language: str, day: date
) -> Any:
    """Horizontal bars: how many chose each option, and their share of those who answered;
    the most chosen at the top, an option that excludes the others (Don't know) last."""
    import textwrap  # noqa: PLC0415 - the charts only

    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415 - the charts only

    plt = _pyplot()
    _ = translator(language).gettext
    rows = summary[summary["item"] == question.item]
    answered = int(rows[rows["option"] == ""]["answered"].iloc[0])
    chosen = {str(r.option): int(r.chosen) for r in rows[rows["option"] != ""].itertuples()}
    options = sorted(
        question.options,
        key=lambda o: (o.exclusive, -chosen.get(o.id, 0), question.options.index(o)),
    )
    options.reverse()  # barh draws from the bottom
    figure, axes = plt.subplots(figsize=(10, 0.42 * len(options) + 1.7), dpi=CHART_DPI)
    counts = [chosen.get(o.id, 0) for o in options]
    axes.barh(range(len(options)), counts, color=CHOICE_COLOUR, height=0.65)
    axes.set_yticks(
        range(len(options)), [textwrap.fill(o.label(language), 40) for o in options], fontsize=8
    )
    most = max(counts, default=0)
    if answered:
        for position, count in enumerate(counts):
            axes.text(
                count + most * 0.01, position, f"{count} ({100 * count / answered:.0f}%)",
                va="center", fontsize=7.5,
            )  # fmt: skip
        axes.set_xlim(0, most * 1.18 or 1)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # people, not fractions
    else:
        axes.set_xlim(0, 1)
        axes.set_xticks([])
        _no_answers(axes, 0.5, (len(options) - 1) / 2, language)
    axes.set_xlabel(
        _("Respondents who chose it; each could choose up to {count}").format(
            count=question.max_choices
        ),
        fontsize=8,
    )
    axes.tick_params(axis="x", labelsize=8)
    axes.set_title(
        f"{_(CHOICE_TITLES.get(question.item, question.item))}\n"
        f"{_subtitle(language, day, answered)}",
        fontsize=10,
    )
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    return figure


def _stance_counts(row: Any) -> dict[int, int]:
    """{stance: how many} of a summary row."""
    return {value: int(row[f"stance_{value}"]) for value in range(1, 6)}


def rounds_figure(
    content: Content, summary: pd.DataFrame, *, language: str, day: date, respondents: int
) -> Any:
    """Per conclusion, one 100 % bar of the stances for each round in `summary` (round 1 at
    the top), each named with its n, ✓ beside a round that reached consensus; strongly agree
    on the left, as in the stance chart, with its legend."""
    import textwrap  # noqa: PLC0415 - the charts only

    plt = _pyplot()
    _ = translator(language).gettext
    rows = summary[summary["option"] == ""].set_index(["item", "round"])
    numbers = sorted({int(number) for number in summary["round"]})
    conclusions = content.conclusions
    bars = 0.34 * len(numbers) + 0.55  # inches per conclusion: its bars and its title
    figure, grid = plt.subplots(
        len(conclusions), 1, figsize=(11, bars * len(conclusions) + 1.6), dpi=CHART_DPI,
        sharex=True, squeeze=False,
    )  # fmt: skip
    labelled: list[tuple[Any, list[tuple[Any, float, list[str]]]]] = []
    for axes, conclusion in zip(grid[:, 0], conclusions, strict=True):
        names: list[str] = []
        labels: list[tuple[Any, float, list[str]]] = []
        for position, number in enumerate(numbers):
            counts = _stance_counts(rows.loc[(conclusion.id, number)])
            total = sum(counts.values())
            names.append(f"{_round_name(language, number)} (n = {total})")
            if not total:
                _no_answers(axes, 50, position, language)
                continue
            _stance_bar(axes, position, counts, labels)
            if Shares.of(counts).consensus:
                axes.text(
                    101.5, position, CONSENSUS_MARK, ha="left", va="center", fontsize=10,
                    color=CONSENSUS_COLOUR, fontweight="bold", clip_on=False,
                )  # fmt: skip
        axes.set_yticks(range(len(names)), names, fontsize=7.5)
        axes.set_ylim(len(names) - 0.4, -0.6)  # the first round at the top
        axes.set_xlim(0, 100)
        axes.tick_params(axis="x", labelsize=8)
        axes.set_title(
            textwrap.fill(f"{conclusion.number}. {conclusion.title(language)}", 100),
            loc="left", fontsize=8.5, fontweight="bold",
        )  # fmt: skip
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        labelled.append((axes, labels))
    shares = _("Share of the stances given on each conclusion (%)")
    grid[-1, 0].set_xlabel(f"{shares}\n{CONSENSUS_MARK} {consensus_rule(language)}", fontsize=8)
    title = _("Stance on each conclusion, round by round")
    figure.suptitle(f"{title}\n{_subtitle(language, day, respondents)}", fontsize=10)
    figure.tight_layout()
    figure.legend(
        handles=_stance_legend(content, language), loc="center left",
        bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False,
    )  # fmt: skip
    for axes, labels in labelled:
        _fit_labels(figure, axes, labels)
    return figure


def _newest(summary: pd.DataFrame) -> tuple[int, pd.DataFrame]:
    """The newest round of a summary and its rows."""
    newest = int(summary["round"].max()) if len(summary) else 1
    return newest, summary[summary["round"] == newest]


def _across_rounds(summary: pd.DataFrame) -> pd.DataFrame:
    """The answers and choices of the summary's rounds added up, per item and option: the
    sectors and markets are asked once, in each respondent's first journey."""
    return summary.groupby(["item", "option"], sort=False, as_index=False)[
        ["answered", "chosen"]
    ].sum()


def write_charts(
    content: Content, summary: pd.DataFrame, out: Path, *, day: date, respondents: int,
    everyone: int = 0, choices: bool = True, by_round: bool = True,
) -> list[Path]:  # fmt: skip
    """Per language: the stance chart of the newest round in `summary` (`respondents` gave a
    stance in it; the round named when there are several), `chart-<language>.png`; then with
    `by_round` and several rounds the rounds chart (`everyone` gave a stance in one),
    `chart-rounds-<language>.png`; then with `choices` how many chose each sector and market
    in all rounds (`chart-sectors-<language>.png`, `chart-markets-...`)."""
    newest, latest = _newest(summary)
    several = summary["round"].nunique() > 1
    across = _across_rounds(summary) if choices else summary
    paths = []
    for language in LANGUAGES:
        figure = stance_figure(
            content, latest, language=language, day=day, respondents=respondents,
            round=newest if several else None,
        )  # fmt: skip
        paths.append(_save(figure, out / f"chart-{language}.png"))
        if by_round and several:
            figure = rounds_figure(
                content, summary, language=language, day=day, respondents=everyone
            )
            paths.append(_save(figure, out / f"chart-rounds-{language}.png"))
        for question in (content.sectors, content.markets) if choices else ():
            figure = choice_figure(question, across, language=language, day=day)
            paths.append(_save(figure, out / f"chart-{question.item}-{language}.png"))
    return paths


GROUP_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e")  # A-E
HIDDEN_COLOUR = "#a6a6a6"  # those in groups too small to show
OPINION_MAP = "opinion_map.png"  # the contract's name: the English map


def opinion_figure(groups: Groups, *, round: int, language: str, day: date) -> Any:
    """Everyone grouped, on the first two components (each axis with its share of the
    variance), coloured by group, each group's letter at its centre; those in groups too small
    to show grey. No point is labelled: nothing tells who is who."""
    from matplotlib import patheffects  # noqa: PLC0415 - the charts only

    plt = _pyplot()
    _ = translator(language).gettext
    figure, axes = plt.subplots(figsize=(8, 6.5), dpi=CHART_DPI)
    points, labels = groups.points, groups.labels
    many = groups.respondents > 1_000
    dots = {
        "s": float(np.clip(4_000 / groups.respondents, 2, 36)), "alpha": 0.25 if many else 0.6,
        "linewidths": 0, "rasterized": True,
    }  # fmt: skip
    hidden = labels == ""
    if hidden.any():
        axes.scatter(
            points[hidden, 0], points[hidden, 1], color=HIDDEN_COLOUR, **dots,
            label=_("Not shown, in groups under {least}: {count}").format(
                least=MIN_SHOWN, count=groups.hidden
            ),
        )  # fmt: skip
    for group, colour in zip(groups.groups, GROUP_COLOURS, strict=False):
        where = labels == group.name
        axes.scatter(
            points[where, 0], points[where, 1], color=colour, **dots,
            label=_("Group {name} ({count})").format(name=group.name, count=group.size),
        )  # fmt: skip
        centre = points[where].mean(axis=0)
        axes.text(
            centre[0], centre[1], group.name, ha="center", va="center", fontsize=15,
            fontweight="bold", color=colour,
            path_effects=[patheffects.withStroke(linewidth=3, foreground="white")],
        )  # fmt: skip
    first, second = groups.explained
    axes.set_xlabel(
        _("First component ({share} of the variance)").format(share=f"{first:.0%}"), fontsize=8
    )
    axes.set_ylabel(
        _("Second component ({share} of the variance)").format(share=f"{second:.0%}"),
        fontsize=8,
    )
    axes.tick_params(labelsize=7)
    axes.set_aspect("equal", adjustable="datalim")  # distances as the components have them
    heading = _("Opinion groups")  # outside the f-string: the extractor finds it
    title = f"{heading} · {_round_name(language, round)}"
    axes.set_title(f"{title}\n{_subtitle(language, day, groups.respondents)}", fontsize=10)
    legend = axes.legend(loc="best", fontsize=8, frameon=False, markerscale=1.5)
    for handle in legend.legend_handles:
        handle.set_alpha(1)
    figure.text(
        0.5, 0.005, _("Each point is one respondent; points close together answered alike."),
        ha="center", va="bottom", fontsize=7.5, color="#555555",
    )  # fmt: skip
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    return figure


def write_opinion_maps(groups: Groups, out: Path, *, round: int, day: date) -> list[Path]:
    """The opinion map per language, `opinion_map-<language>.png` as the stance charts are
    named, and OPINION_MAP, the English one, as the pack's contract names it."""
    paths = []
    for language in LANGUAGES:
        figure = opinion_figure(groups, round=round, language=language, day=day)
        paths.append(_save(figure, out / f"opinion_map-{language}.png"))
    paths.append(Path(shutil.copyfile(out / "opinion_map-en.png", out / OPINION_MAP)))
    return paths


def summary_text(
    content: Content, people: dict[str, int], summary: pd.DataFrame, language: str,
    opinion: tuple[StanceMatrix | None, Groups | None] | None = None,
) -> str:  # fmt: skip
    """A few lines for a chat: how many, how each conclusion fared in the newest round with
    answers (named when there are several), and which reached consensus in it.

    A conclusion's share agreeing is of the stances given on it (its n); skips are counted
    apart, and a conclusion nobody gave a stance on says so. Consensus is `Shares`', as in
    rounds.csv; nothing is said of it before anyone gave a stance in the round. Then, given
    `opinion` (bot.opinion's), the opinion groups' paragraph.
    """
    translation = translator(language)
    _ = translation.gettext
    lines = [
        _("Creative Spark consultation: export pack"),
        _("Started: {started} · submitted: {submitted} · declined: {declined}").format(**people),
        "",
    ]
    newest, latest = _newest(summary)
    if summary["round"].nunique() > 1:
        lines.append(_round_name(language, newest))
    rows = latest[latest["option"] == ""].set_index("item")
    agreed: list[str] = []
    given = 0
    for conclusion in content.conclusions:
        row = rows.loc[conclusion.id]
        answered, skipped = int(row["answered"]), int(row["skipped"])
        name = f"{conclusion.number}. {conclusion.title(language)}"
        counts = _stance_counts(row)
        given += sum(counts.values())
        if answered:
            agree = counts[4] + counts[5]
            fared = _("{share} agree or strongly agree (n = {count})").format(
                share=f"{100 * agree / answered:.0f}%", count=answered
            )
        else:
            fared = _("no answers yet")
        if skipped:
            fared += "; " + _("skipped: {count}").format(count=skipped)
        lines.append(f"{name}: {fared}")
        if Shares.of(counts).consensus:
            agreed.append(name)
    if given:
        lines.append("")
        if agreed:
            lines.append(
                translation.ngettext(
                    "Consensus in round {round} on {count} conclusion:",
                    "Consensus in round {round} on {count} conclusions:",
                    len(agreed),
                ).format(round=newest, count=len(agreed))
            )
            lines += [f"– {name}" for name in agreed]
        else:
            lines.append(
                _("No conclusion reached consensus in round {round}.").format(round=newest)
            )
        lines.append(consensus_rule(language))
    if opinion is not None:
        lines += ["", *describe(*opinion, content, language)]
    return "\n".join(lines) + "\n"


def _respondents(database: Path) -> int:
    """How many respondents the live database holds (read-only, one count)."""
    connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return respondent_count(connection)
    finally:
        connection.close()


def _today(zone: tzinfo) -> date:
    return datetime.now(zone).date()


def build_pack(
    database: Path, out: Path, content: Content, *, zone: tzinfo, xlsx: bool = True,
    charts: bool = True,
) -> tuple[list[Path], PackTimes]:  # fmt: skip
    """Write the export pack into `out`; return its files and how long each stage took.

    Everything is read from one online copy of the database, so every file tells of the same
    moment; with many respondents, answers.csv and the other tables are built at once from it
    in two processes (two cores). The voice comments are listed in VOICE_LIST (file name,
    Telegram file id), from the same moment, for whoever can fetch them from Telegram.
    """
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    # The copy holds everything, Telegram ids too: in a private temporary folder, not the pack.
    snapshot = Path(tempfile.mkdtemp(prefix="creative-spark-export-")) / SNAPSHOT
    pool = connection = None
    try:
        if _respondents(database) >= PARALLEL_FROM:
            # The helper starts (Python, pandas, scikit-learn: two seconds) during the copy.
            pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
            pool.submit(prepare)
        backup(database, snapshot)
        connection = export_connection(snapshot, LocalTime(zone))
        offset = LocalTime(zone).fixed_offset(first_contact(connection), _utc_now())
        tables = _tables(
            pool, connection, snapshot, out, content=content, zone=zone, offset=offset
        )
        earlier = [
            load_content_text(text, Path(f"published version {version}"))
            for version, text in earlier_content(connection, content.version)
        ]
    finally:
        if connection is not None:
            connection.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        shutil.rmtree(snapshot.parent, ignore_errors=True)
    codebook = codebook_frame(content, earlier, tables.rounds["round"].unique().tolist())
    files = [
        out / name for name in ("answers.csv", "respondents.csv", "summary.csv", "rounds.csv")
    ]
    files.append(_write_frame(codebook, out / "codebook.csv"))
    opinion = tables.opinion
    grouped = opinion_frame(*opinion, content)
    files.append(_write_frame(grouped, out / "opinion_groups.csv"))
    csv_done = time.perf_counter()
    if xlsx:
        sheets: dict[str, pd.DataFrame | Path] = {
            "respondents": out / "respondents.csv", "summary": tables.summary,
            "rounds": tables.rounds,
            "opinion_groups": grouped, "codebook": codebook,
        }  # fmt: skip
        files.append(write_xlsx(sheets, out / "answers.csv", out / "consultation.xlsx"))
    xlsx_done = time.perf_counter()
    if charts:
        files.extend(
            write_charts(
                content, tables.summary, out, day=_today(zone),
                respondents=tables.stance_respondents, everyone=tables.any_stance,
            )
        )  # fmt: skip
        matrix, groups = opinion
        if matrix is not None and groups is not None and groups.groups:
            files.extend(write_opinion_maps(groups, out, round=matrix.round, day=_today(zone)))
    for language in LANGUAGES:
        path = out / f"summary-{language}.txt"
        path.write_text(
            summary_text(content, tables.people, tables.summary, language, opinion),
            encoding="utf-8",
        )
        files.append(path)
    done = time.perf_counter()
    return files, PackTimes(
        csv=csv_done - started, xlsx=xlsx_done - csv_done, charts=done - xlsx_done
    )


def _tables(
    pool: ProcessPoolExecutor | None, connection: Any, snapshot: Path, out: Path, *,
    content: Content, zone: tzinfo, offset: int | None,
) -> Tables:  # fmt: skip
    """The voice list, answers.csv and the other tables from `snapshot`: in this process alone,
    or, with a helper `pool`, the tables there while answers.csv is written here, its chunks
    shared once the helper is done with the tables (`AnswerShare`)."""
    share = pending = None
    if pool is not None:
        share = AnswerShare(snapshot.parent, list(respondent_ranges(connection, CHUNK)))
        pending = pool.submit(write_tables, snapshot, out, content, zone, offset, share=share)
    if voices := voice_comments(connection):
        (out / VOICE_LIST).write_text(
            "".join(f"{name}\t{file_id}\n" for name, file_id in voices), encoding="utf-8"
        )
    write_answers(connection, content, out / "answers.csv", offset, share)
    if share is None or pending is None:
        return write_tables(snapshot, out, content, zone, offset)
    tables = pending.result()
    share.join(out / "answers.csv")
    return tables


def write_stance_charts(
    database: Path, out: Path, content: Content, *, zone: tzinfo
) -> list[Path]:
    """Only the stance charts (/stats chart) of the newest round with answers, from the
    tallies, without the rest of the pack."""
    out.mkdir(parents=True, exist_ok=True)
    connection = export_connection(database, LocalTime(zone))
    try:
        counts = stance_counts(connection)
        numbers = answered_rounds(connection) or [1]
        respondents = stance_respondents(connection, numbers[-1])
    finally:
        connection.close()
    rows = []
    for number in numbers:
        for conclusion in content.conclusions:
            given = counts.get(number, {}).get(conclusion.id, (0, 0, 0, 0, 0))
            rows.append(
                {"item": conclusion.id, "round": number, "option": ""}
                | {f"stance_{value}": n for value, n in enumerate(given, start=1)}
            )
    return write_charts(
        content, pd.DataFrame(rows), out, day=_today(zone), respondents=respondents,
        choices=False, by_round=False,
    )  # fmt: skip


def write_pack(
    database: Path, out: Path, content: Content, *, zone: tzinfo, xlsx: bool = True,
    charts: bool = True,
) -> list[Path]:  # fmt: skip
    """Write the export pack into `out` and return the files written."""
    files, _ = build_pack(database, out, content, zone=zone, xlsx=xlsx, charts=charts)
    return files
