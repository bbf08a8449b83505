"""Database to the export pack for the research team. No telegram import.

The pack, in one folder:
- `answers.csv`, `respondents.csv`, `summary.csv`, `codebook.csv`: UTF-8 with BOM (Excel shows
  Cyrillic and Kazakh letters), comma-separated, CRLF; user-written cells that a spreadsheet
  would run as a formula start with `'`; times in ISO 8601 with the local offset; comments
  with phone numbers, e-mail addresses, IIN/BIN and card numbers replaced (bot.pii);
- `consultation.xlsx`: the same four sheets, every text cell a string, never a formula;
- `chart-kk.png`, `chart-ru.png`, `chart-en.png`: the stance distribution per conclusion;
- `summary-kk.txt`, `summary-ru.txt`, `summary-en.txt`: a few lines for a chat;
- `voice/`: the voice comments, named as `comment_audio` says (the bot downloads them when it
  sends the pack, from the list the export leaves it; the command line cannot, and the
  summary says so).

answers.csv streams from SQLite, which formats each line itself, so time and memory stay small
however many answers there are; the smaller files go through pandas DataFrames.
"""

from __future__ import annotations

import functools
import math
import shutil
import tempfile
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bot.content import LANGUAGES, Content
from bot.i18n import translator
from bot.journey.items import items
from bot.pii import redact
from bot.storage.backup import backup
from bot.storage.reports import (
    VOICE_LIST,
    answer_rows,
    choices,
    export_connection,
    first_contact,
    item_tallies,
    people_counts,
    respondent_count,
    respondent_rows,
    stances,
    voice_comments,
    voice_file_name,
)

ANSWER_COLUMNS = (
    "respondent", "language", "source", "stakeholder_group", "region", "item", "content_version",
    "stance", "choices", "comment", "comment_type", "comment_audio", "comment_language",
    "comment_redacted", "may_quote", "status", "answered_at", "revised",
)  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_FIRST = frozenset(FORMULA_STARTS)
QUOTED = ('"', ",", ";", "\t", "\n", "\r")  # a CSV field holding one of these is quoted
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
NUMERIC_ANSWERS = frozenset(
    {"respondent", "content_version", "stance", "comment_redacted", "may_quote", "revised"}
)
EXCEL_ROWS = 1_048_575  # data rows per sheet, under Excel's limit with the header
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
    if any(char in text for char in QUOTED):
        return '"' + text.replace('"', '""') + '"'
    return text


COMMENT_TYPES = {
    (False, False): "", (True, False): "text", (False, True): "voice", (True, True): "text+voice"
}  # fmt: skip


def _audio(respondent: int, item: str, voices: int) -> str:
    """answers.csv's comment_audio: the item's voice files in the pack, in the order sent."""
    return ";".join(voice_file_name(respondent, item, n) for n in range(1, voices + 1))


def write_answers(
    connection: Any,
    content: Content,
    path: Path,
    people: dict[int, tuple[str, str]],
    offset_minutes: int | None,
) -> int:
    """Stream answers.csv from the database, in journey order; return the number of rows.

    `people` holds each respondent's leading columns (language, source, group, region) and
    trailing ones (may_quote, status), already formatted. Written line by line rather than
    through a DataFrame: a million answers take seconds, not a minute. The pack travels through
    Telegram: comments go out with personal data replaced (bot.pii), the database keeps them.
    """
    order = {item: n for n, item in enumerate(_items(content))}
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(BOM + ",".join(ANSWER_COLUMNS) + "\r\n")
        current: int | None = None
        group: list[tuple[int, str]] = []
        lead = tail = ""
        for row in answer_rows(connection, offset_minutes):
            (respondent, item, version, stance, chosen, comment, voices, comment_language,
             answered, revised) = row  # fmt: skip
            if respondent != current:
                if group:
                    group.sort()
                    handle.write("".join(line for _, line in group))
                    rows += len(group)
                    group = []
                current = respondent
                lead, tail = people[respondent]
            kind = COMMENT_TYPES[bool(comment), voices > 0]
            shown = redact(comment) if comment else ""
            group.append(
                (
                    order.get(item, 99),
                    f"{respondent},{lead},{item},{version},{'' if stance is None else stance},"
                    f"{chosen or ''},{_field(shown) if shown else ''},{kind},"
                    f"{_audio(respondent, item, voices)},{comment_language or ''},"
                    f"{int(shown != (comment or ''))},{tail},{answered},{revised}\r\n",
                )
            )
        group.sort()
        handle.write("".join(line for _, line in group))
        rows += len(group)
    return rows


def answer_people(connection: Any, offset_minutes: int | None) -> dict[int, tuple[str, str]]:
    """Per respondent, their answers.csv columns, formatted once rather than per answer."""
    _, rows = respondent_rows(connection, offset_minutes)
    columns: dict[int, tuple[str, str]] = {}
    for record in rows:
        respondent, language, source, status, group, region = record[:6]
        may_quote = record[10]
        lead = f"{language or ''},{_field(source or '')},{group or ''},{region or ''}"
        tail = f"{'' if may_quote is None else may_quote},{status}"
        columns[respondent] = (lead, tail)
    return columns


def respondents_frame(
    connection: Any, content: Content, offset_minutes: int | None
) -> pd.DataFrame:
    """One row per respondent: profile, consent, times, stance per conclusion, 0/1 options."""
    names, rows = respondent_rows(connection, offset_minutes)
    frame = pd.DataFrame.from_records(rows, columns=names)
    frame["source"] = frame["source"].map(neutralise)
    for column in ("consent_version", "may_quote", "wants_news"):
        frame[column] = pd.array(frame[column], dtype="Int64")
    # Aligned arrays rather than dicts per respondent: a few megabytes for 100,000 people.
    position = {who: index for index, who in enumerate(frame["respondent"].tolist())}
    count = len(position)
    conclusions = {c.id: n for n, c in enumerate(content.conclusions)}
    stance = np.full((len(conclusions), count), -1, dtype=np.int8)  # -1: not reached or skipped
    for respondent, item, value in stances(connection):
        row = conclusions.get(item)
        if row is not None and value is not None and respondent in position:
            stance[row, position[respondent]] = value
    for conclusion, row in conclusions.items():
        column = pd.array(stance[row], dtype="Int64")
        column[stance[row] < 0] = pd.NA
        frame[f"stance_{conclusion.replace('-', '_')}"] = column
    columns = {
        (item, option): n
        for n, (item, option) in enumerate(
            (item, option) for item, options in _options(content).items() for option in options
        )
    }
    flags = np.full((len(columns), count), -1, dtype=np.int8)  # -1: question not reached
    for respondent, item, joined in choices(connection):
        where = position.get(respondent)
        if where is None:
            continue
        for (of_item, _), row in columns.items():
            if of_item == item:
                flags[row, where] = 0
        for option in joined.split(";") if joined else ():
            if (row := columns.get((item, option))) is not None:
                flags[row, where] = 1
    for (item, option), row in columns.items():
        column = pd.array(flags[row], dtype="Int64")
        column[flags[row] < 0] = pd.NA
        frame[_option_column(item, option)] = column
    return frame


def summary_frame(connection: Any, content: Content, respondents: pd.DataFrame) -> pd.DataFrame:
    """Per item: reached, answered, skipped, each stance, comments; per option, choices."""
    tallies = {row[0]: row[1:] for row in item_tallies(connection)}
    empty = (0,) * 10
    rows: list[dict[str, Any]] = []
    options = _options(content)
    for item in items(content):
        reached, answered, skipped, *given, texts, voices = tallies.get(item.id, empty)
        record: dict[str, Any] = {
            "item": item.id, "option": "", "reached": reached, "answered": answered,
        }  # fmt: skip
        if item.question is None:  # a comment may come with it
            record |= {"text_comments": texts or 0, "voice_comments": voices or 0}
        if item.conclusion is not None:
            counts = [count or 0 for count in given]
            total = sum(counts)
            mean = sum(v * n for v, n in enumerate(counts, start=1)) / total if total else None
            record |= {
                "skipped": skipped or 0,
                "mean_stance": "" if mean is None else round(mean, 2),
            }
            record |= {f"stance_{v}": n for v, n in enumerate(counts, start=1)}
        rows.append(record)
        rows.extend(
            {
                "item": item.id,
                "option": o,
                "chosen": int(respondents[_option_column(item.id, o)].sum()),
            }
            for o in options.get(item.id, ())
        )
    columns = ["item", "option", "reached", "answered", "skipped"]
    columns += [f"stance_{v}" for v in range(1, 6)]
    columns += ["mean_stance", "text_comments", "voice_comments", "chosen"]
    frame = pd.DataFrame(rows, columns=columns)
    for column in columns[2:]:
        if column != "mean_stance":
            frame[column] = pd.array(frame[column], dtype="Int64")
    return frame


def _option_column(item: str, option: str) -> str:
    """respondents.csv's 0/1 column of an option: sector_music, market_china."""
    return f"{item[:-1]}_{option.replace('-', '_')}"


@dataclass(frozen=True)
class Tables:
    """What the rest of the pack needs from respondents.csv and summary.csv."""

    summary: pd.DataFrame
    people: dict[str, int]
    has_voice: bool


def write_tables(
    database: Path, out: Path, content: Content, zone: tzinfo, offset: int | None
) -> Tables:
    """Write respondents.csv and summary.csv from one read transaction of their own."""
    connection = export_connection(database, LocalTime(zone))
    try:
        connection.execute("BEGIN")
        respondents = respondents_frame(connection, content, offset)
        summary = summary_frame(connection, content, respondents)
        tables = Tables(
            summary=summary,
            people=people_counts(connection),
            has_voice=bool(voice_comments(connection)),
        )
        connection.execute("COMMIT")
    finally:
        connection.close()
    _write_frame(respondents, out / "respondents.csv")
    _write_frame(summary, out / "summary.csv")
    return tables


COLUMN_NOTES = {
    "respondent": "pseudonymous number of the respondent (never a Telegram id)",
    "language": "language the respondent chose: kk, ru or en",
    "source": "recruitment source of the deep link; direct or unregistered otherwise",
    "stakeholder_group": "stakeholder group (see its coded values)",
    "region": "region (see its coded values)",
    "age_band": "age band (see its coded values)",
    "gender": "gender (see its coded values)",
    "item": "the question: conclusion-N, sectors, markets or idea",
    "content_version": "version of the content file the answer was given against",
    "stance": "1 = strongly disagree ... 5 = strongly agree; empty when skipped or not a stance",
    "choices": "chosen option ids, ';'-separated (sectors, markets)",
    "comment": "the comment as written (several messages joined by line breaks), personal"
    " data replaced (see comment_redacted)",
    "comment_type": "text, voice or empty",
    "comment_audio": "the voice comment's file inside the pack",
    "comment_language": "language the comment is written in: kk, ru, en, or empty",
    "comment_redacted": "1 if phone numbers, e-mail addresses, IIN/BIN or card numbers in the"
    " comment became [phone], [e-mail], [IIN], [card] (the database keeps them as written)",
    "may_quote": "1 if comments may be quoted anonymously",
    "wants_news": "1 if the respondent asked for news about the consultation",
    "status": "in_progress until the first submit, then submitted",
    "answered_at": "when the answer was completed (ISO 8601, local time with offset)",
    "revised": "1 if the answer was changed after it was first completed",
    "consented_at": "when consent was given",
    "consent_version": "content version of the consent text agreed to",
    "started_at": "when the respondent started",
    "completed_at": "when the respondent first submitted",
    "revised_at": "when an answer was last changed after submitting",
    "stance_conclusion_N": "respondents.csv: stance on conclusion N (as stance)",
    "sector_<id>, market_<id>": "respondents.csv: 1 chosen, 0 not chosen, empty not reached",
    "reached, answered, skipped": "summary.csv: respondents who reached, answered, skipped it",
    "stance_1 ... stance_5": "summary.csv: how many gave each stance",
    "mean_stance": "summary.csv: mean stance of those who gave one",
    "text_comments, voice_comments": "summary.csv: how many commented",
    "chosen": "summary.csv: how many chose the option",
}


def codebook_frame(content: Content) -> pd.DataFrame:
    """Every column with its meaning, every coded value with its labels in kk, ru and en."""
    rows: list[dict[str, Any]] = [
        {"variable": name, "value": "", "description": note} for name, note in COLUMN_NOTES.items()
    ]

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
    columns = ["variable", "value", "description", "content_version"]
    columns += [f"label_{language}" for language in LANGUAGES]
    return pd.DataFrame(rows, columns=columns)


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
        if value[:1] == "'" and guarded(value[1:]):
            return value[1:]
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    return str(value)


def _numeric_column(name: str) -> bool:
    """Whether a respondents or summary column holds numbers (read back from CSV as text)."""
    return name in NUMERIC_ANSWERS | {"consent_version", "wants_news", "reached", "answered",
                                      "skipped", "text_comments", "voice_comments", "chosen"} or (
        name.startswith(("stance_", "sector_", "market_"))
    )  # fmt: skip


def write_xlsx(sheets: dict[str, pd.DataFrame], answers_csv: Path, path: Path) -> Path:
    """The workbook: answers streamed from answers.csv, then the other sheets."""
    import xlsxwriter  # noqa: PLC0415 - only the whole pack needs it

    options = {
        "constant_memory": True,  # rows go to disk as written
        "strings_to_formulas": False,  # "=SUM(...)" typed by a respondent stays text
        "strings_to_urls": False,
        "strings_to_numbers": False,
    }
    numeric = [column in NUMERIC_ANSWERS for column in ANSWER_COLUMNS]
    with xlsxwriter.Workbook(str(path), options) as book:
        sheet, row, part = None, 0, 0
        for chunk in pd.read_csv(
            answers_csv, dtype=str, keep_default_na=False, chunksize=100_000, encoding="utf-8-sig"
        ):
            for values in chunk.itertuples(index=False, name=None):
                if sheet is None or row > EXCEL_ROWS:
                    part += 1
                    sheet = book.add_worksheet("answers" if part == 1 else f"answers ({part})")
                    sheet.write_row(0, 0, list(ANSWER_COLUMNS))
                    row = 1
                sheet.write_row(
                    row, 0, [_cell(v, numeric=n) for v, n in zip(values, numeric, strict=True)]
                )
                row += 1
        if sheet is None:
            book.add_worksheet("answers").write_row(0, 0, list(ANSWER_COLUMNS))
        for name, frame in sheets.items():
            sheet = book.add_worksheet(name)
            sheet.write_row(0, 0, [str(c) for c in frame.columns])
            kinds = [_numeric_column(str(c)) for c in frame.columns]
            for index, values in enumerate(frame.itertuples(index=False, name=None), start=1):
                sheet.write_row(
                    index, 0, [_cell(v, numeric=n) for v, n in zip(values, kinds, strict=True)]
                )
    return path


def write_charts(content: Content, summary: pd.DataFrame, out: Path) -> list[Path]:
    """A stacked bar per conclusion, one chart per language."""
    import matplotlib as mpl  # noqa: PLC0415 - only the whole pack needs it

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415 - after the backend is chosen

    colours = {5: "#1a9641", 4: "#a6d96a", 3: "#d9d9d9", 2: "#fdae61", 1: "#d7191c"}
    rows = summary[summary["option"] == ""].set_index("item")
    paths = []
    for language in LANGUAGES:
        _ = translator(language).gettext
        figure, axes = plt.subplots(figsize=(10, 1.1 * len(content.conclusions) + 1.6), dpi=110)
        labels = []
        for position, conclusion in enumerate(reversed(content.conclusions)):
            row = rows.loc[conclusion.id]
            counts = {v: int(row[f"stance_{v}"]) for v in range(1, 6)}
            total = sum(counts.values()) or 1
            left = 0.0
            for value in (5, 4, 3, 2, 1):
                share = 100 * counts[value] / total
                label = content.stance_label(value)
                legend = label(language) if label and position == 0 else None
                axes.barh(position, share, left=left, color=colours[value], label=legend)
                if share >= 7:
                    axes.text(
                        left + share / 2,
                        position,
                        f"{share:.0f}%",
                        ha="center",
                        va="center",
                        fontsize=8,
                    )
                left += share
            labels.append(
                f"{conclusion.number}. {conclusion.title(language)} (n={sum(counts.values())})"
            )
        axes.set_yticks(range(len(labels)), labels)
        axes.set_xlim(0, 100)
        axes.set_xlabel("%")
        axes.set_title(_("Stance on each conclusion"))
        axes.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=8, frameon=False
        )
        figure.tight_layout()
        path = out / f"chart-{language}.png"
        figure.savefig(path, bbox_inches="tight")
        plt.close(figure)
        paths.append(path)
    return paths


def summary_text(
    content: Content, people: dict[str, int], summary: pd.DataFrame, language: str,
    *, voice_note: bool = False,
) -> str:  # fmt: skip
    """A few lines for a chat: how many, and how each conclusion fared."""
    _ = translator(language).gettext
    lines = [
        _("Creative Spark consultation: export pack"),
        _("Started: {started} · submitted: {submitted} · declined: {declined}").format(**people),
        "",
    ]
    rows = summary[summary["option"] == ""].set_index("item")
    for conclusion in content.conclusions:
        row = rows.loc[conclusion.id]
        agree = int(row["stance_4"]) + int(row["stance_5"])
        answered = sum(int(row[f"stance_{v}"]) for v in range(1, 6))
        share = f"{100 * agree / answered:.0f}%" if answered else "—"
        lines.append(
            _("{number}. {title}: {share} agree (of {count})").format(
                number=conclusion.number,
                title=conclusion.title(language),
                share=share,
                count=answered,
            )
        )
    if voice_note:
        lines += [
            "",
            _("Voice comments are not in this pack: the bot adds them when it sends the pack."),
        ]
    return "\n".join(lines) + "\n"


def build_pack(
    database: Path, out: Path, content: Content, *, zone: tzinfo, xlsx: bool = True,
    charts: bool = True, voices_follow: bool = False,
) -> tuple[list[Path], PackTimes]:  # fmt: skip
    """Write the export pack into `out`; return its files and how long each stage took.

    Everything is read from one online copy of the database, so every file tells of the same
    moment; with many respondents, answers.csv and the other tables are built at once from it
    in two processes (two cores). `voices_follow`: whoever runs this (the bot) adds the voice
    comments, listed in VOICE_LIST from the same moment.
    """
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    # The copy holds everything, Telegram ids too: in a private temporary folder, not the pack.
    snapshot = Path(tempfile.mkdtemp(prefix="creative-spark-export-")) / SNAPSHOT
    backup(database, snapshot)
    connection = export_connection(snapshot, LocalTime(zone))
    pool = None
    try:
        offset = LocalTime(zone).fixed_offset(first_contact(connection), _utc_now())
        if respondent_count(connection) >= PARALLEL_FROM:
            pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
            pending = pool.submit(write_tables, snapshot, out, content, zone, offset)
        if voices_follow:
            (out / VOICE_LIST).write_text(
                "".join(f"{name}\t{file_id}\n" for name, file_id in voice_comments(connection)),
                encoding="utf-8",
            )
        write_answers(
            connection, content, out / "answers.csv", answer_people(connection, offset), offset
        )
        if pool is not None:
            with pool:
                tables = pending.result()
        else:
            tables = write_tables(snapshot, out, content, zone, offset)
    finally:
        connection.close()
        shutil.rmtree(snapshot.parent, ignore_errors=True)
    codebook = codebook_frame(content)
    files = [out / name for name in ("answers.csv", "respondents.csv", "summary.csv")]
    files.append(_write_frame(codebook, out / "codebook.csv"))
    csv_done = time.perf_counter()
    if xlsx:
        respondents = pd.read_csv(
            out / "respondents.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
        sheets = {"respondents": respondents, "summary": tables.summary, "codebook": codebook}
        files.append(write_xlsx(sheets, out / "answers.csv", out / "consultation.xlsx"))
    xlsx_done = time.perf_counter()
    if charts:
        files.extend(write_charts(content, tables.summary, out))
    for language in LANGUAGES:
        path = out / f"summary-{language}.txt"
        note = tables.has_voice and not voices_follow
        path.write_text(
            summary_text(content, tables.people, tables.summary, language, voice_note=note),
            encoding="utf-8",
        )
        files.append(path)
    done = time.perf_counter()
    return files, PackTimes(
        csv=csv_done - started, xlsx=xlsx_done - csv_done, charts=done - xlsx_done
    )


def write_stance_charts(database: Path, out: Path, content: Content) -> list[Path]:
    """Only the charts (/stats chart): the stance tallies, without the rest of the pack."""
    out.mkdir(parents=True, exist_ok=True)
    connection = export_connection(database, LocalTime(UTC))
    try:
        tallies = {row[0]: row[1:] for row in item_tallies(connection)}
    finally:
        connection.close()
    rows = []
    for conclusion in content.conclusions:
        counts = tallies.get(conclusion.id, (0,) * 10)[3:8]
        rows.append(
            {"item": conclusion.id, "option": ""}
            | {f"stance_{value}": count or 0 for value, count in enumerate(counts, start=1)}
        )
    return write_charts(content, pd.DataFrame(rows), out)


def write_pack(
    database: Path, out: Path, content: Content, *, zone: tzinfo, xlsx: bool = True,
    charts: bool = True, voices_follow: bool = False,
) -> list[Path]:  # fmt: skip
    """Write the export pack into `out` and return the files written."""
    files, _ = build_pack(
        database, out, content, zone=zone, xlsx=xlsx, charts=charts, voices_follow=voices_follow
    )
    return files
