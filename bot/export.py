"""Database to DataFrames to the export pack for the research team. No telegram import.

This first version writes `answers.csv` with the DESIGN.md columns; the full pack (respondents,
summary, codebook, XLSX, chart, voice files) is built on it.
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from typing import Any

from bot.content import Content
from bot.storage.repository import read_answers

ANSWER_COLUMNS = (
    "respondent",
    "language",
    "source",
    "stakeholder_group",
    "region",
    "item",
    "content_version",
    "stance",
    "choices",
    "comment",
    "comment_type",
    "comment_audio",
    "comment_language",
    "may_quote",
    "status",
    "answered_at",
    "revised",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix a user-written cell that a spreadsheet would run as a formula with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _local_iso(values: Any, zone: tzinfo) -> Any:
    import pandas as pd  # noqa: PLC0415

    moments = pd.to_datetime(values, utc=True, format="ISO8601")
    local = moments.dt.tz_convert(zone)
    return local.map(lambda m: m.isoformat(timespec="seconds") if not pd.isna(m) else "")


def answers_frame(database: Path, content: Content, *, zone: tzinfo) -> Any:
    """One row per answer reached, with the contract's columns."""
    import pandas as pd  # noqa: PLC0415

    order = {c.id: c.number for c in content.conclusions}
    order |= {"sectors": 10, "markets": 11, "idea": 12}
    frame = read_answers(database, order)
    for column in ("comment", "source"):  # the user-written and admin-written text columns
        frame[column] = frame[column].map(neutralise)
    has_text = frame["comment"].notna() & (frame["comment"] != "")
    frame["comment_type"] = ""
    frame.loc[has_text, "comment_type"] = "text"
    frame.loc[frame["has_voice"].astype(bool) & ~has_text, "comment_type"] = "voice"
    frame["comment_audio"] = ""  # the voice files join the pack with the weekly export
    frame["stance"] = frame["stance"].astype("Int64")
    frame["may_quote"] = frame["may_quote"].astype("Int64")
    frame["revised"] = frame["revised"].astype(int)
    frame["answered_at"] = _local_iso(frame["answered_at"], zone)
    for column in ("source", "stakeholder_group", "region", "choices", "comment_language"):
        frame[column] = frame[column].fillna("")
    return pd.DataFrame(frame, columns=list(ANSWER_COLUMNS))


def write_csv(frame: Any, path: Path) -> Path:
    """Write a frame as Excel-friendly CSV: UTF-8 with BOM, CRLF, comma-separated."""
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def write_pack(database: Path, out: Path, content: Content, *, zone: tzinfo) -> list[Path]:
    """Write the export pack into `out` and return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    return [write_csv(answers_frame(database, content, zone=zone), out / "answers.csv")]
