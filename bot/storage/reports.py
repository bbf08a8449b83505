"""The synchronous, read-only queries behind the export pack and /stats.

Exports read through their own read-only connection, in another process than the bot's, so the
bot's connection keeps serving respondents while WAL lets both proceed. No Telegram id leaves
these queries: respondents are their pseudonymous number. answers.csv is formatted by SQLite
itself, line by line: a million rows go through Python as one string each. No telegram import.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VOICE_LIST = ".voices.tsv"  # in a pack: voice file name, Telegram file id, for the bot to fetch


def voice_file_name(respondent: int, item: str, position: int) -> str:
    """The file name of an item's `position`-th voice message (from 1) inside the export pack,
    as answers.csv's comment_audio lists it."""
    return f"voice/{respondent}-{item}-{position}.ogg"


def _local(column: str, offset_minutes: int | None) -> str:
    """SQL for a stored UTC time as local ISO 8601 with its offset ('' when empty).

    With one offset for every stored time SQLite formats it itself; otherwise the connection's
    `local_time` function does, time by time.
    """
    if offset_minutes is None:
        return f"coalesce(local_time({column}), '')"
    sign = "+" if offset_minutes >= 0 else "-"
    suffix = f"{sign}{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}"
    return (
        f"coalesce(strftime('%Y-%m-%dT%H:%M:%S', {column}, '{offset_minutes:+d} minutes')"
        f" || '{suffix}', '')"
    )


def _answer_rows_sql(offset_minutes: int | None) -> str:
    # The answers alone, in the primary key's order: SQLite reads the table once, sorts
    # nothing and joins nothing (the respondents' columns are looked up once per respondent).
    answered = _local("answered_at", offset_minutes)
    return (
        "SELECT respondent_id, item, content_version, stance, choices, comment,"
        f" voice_count, comment_language, {answered}, revised"
        " FROM answers ORDER BY respondent_id, item"
    )


def export_connection(
    path: Path, local_time: Callable[[str | None], str | None]
) -> sqlite3.Connection:
    """A read-only connection with `local_time(utc_text)` for formatting times."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    connection.create_function("local_time", 1, local_time, deterministic=True)
    return connection


def answer_rows(
    connection: sqlite3.Connection, offset_minutes: int | None
) -> Iterator[tuple[Any, ...]]:
    """Every answer, respondent by respondent: (respondent, item, content_version, stance,
    choices, comment, voice_count, comment_language, answered_at, revised)."""
    cursor = connection.execute(_answer_rows_sql(offset_minutes))  # our SQL, no user text
    while rows := cursor.fetchmany(50_000):
        yield from rows


def first_contact(connection: sqlite3.Connection) -> str | None:
    """The earliest stored time: every other one was written after someone's first contact."""
    row = connection.execute("SELECT min(created_at) FROM users").fetchone()
    return str(row[0]) if row and row[0] else None


def respondent_rows(
    connection: sqlite3.Connection, offset_minutes: int | None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """One row per respondent: profile, consent and times (column names, rows)."""
    times = {
        name: _local(f"r.{name}", offset_minutes)
        for name in ("consented_at", "started_at", "completed_at", "revised_at")
    }
    cursor = connection.execute(
        "SELECT r.id AS respondent, u.language, u.source, u.status, r.stakeholder_group,"
        f" r.region, r.age_band, r.gender, {times['consented_at']} AS consented_at,"
        " r.consent_version, r.may_quote, r.wants_news,"
        f" {times['started_at']} AS started_at, {times['completed_at']} AS completed_at,"
        f" {times['revised_at']} AS revised_at"
        " FROM respondents AS r JOIN users AS u ON u.user_id = r.user_id ORDER BY r.id"
    )
    return [d[0] for d in cursor.description], cursor.fetchall()


def stances(connection: sqlite3.Connection) -> Iterator[tuple[int, str, int | None]]:
    """(respondent, conclusion item, stance) of every conclusion reached, streamed."""
    yield from connection.execute(
        "SELECT respondent_id, item, stance FROM answers WHERE item LIKE 'conclusion-%'"
    )


def choices(connection: sqlite3.Connection) -> Iterator[tuple[int, str, str]]:
    """(respondent, item, ';'-joined option ids) of every multi-select item reached, streamed."""
    yield from connection.execute(
        "SELECT respondent_id, item, coalesce(choices, '') FROM answers"
        " WHERE item IN ('sectors', 'markets')"
    )


@dataclass(frozen=True, slots=True)
class ItemTally:
    """What summary.csv counts of one item.

    `reached`: everyone shown the item; `answered`: a stance given (a conclusion), an option
    chosen (sectors, markets) or an idea written or spoken; `skipped`: moved on without one.
    The rest of `reached` are still at it. A comment may hold both typed text and voice: it
    counts once in `comments` and in each of `text_comments` and `voice_comments`.
    """

    item: str
    reached: int
    answered: int
    skipped: int
    stances: tuple[int, int, int, int, int]  # how many gave stance 1 .. 5
    text_comments: int
    voice_comments: int
    comments: int

    @classmethod
    def none(cls, item: str) -> ItemTally:
        """The tally of an item nobody reached yet."""
        return cls(item, 0, 0, 0, (0, 0, 0, 0, 0), 0, 0, 0)


# What counts as the answer to an item: the stance, the options chosen, the idea itself.
_GIVEN = (
    "CASE WHEN item LIKE 'conclusion-%' THEN stance IS NOT NULL"
    " WHEN item IN ('sectors', 'markets') THEN coalesce(choices, '') <> ''"
    " ELSE coalesce(comment, '') <> '' OR voice_count > 0 END"
)


def item_tallies(connection: sqlite3.Connection) -> dict[str, ItemTally]:
    """Per item reached by anyone: reached, answered, skipped, each stance, the comments."""
    rows = connection.execute(
        "SELECT item, count(*), sum(given), sum(answered_at IS NOT NULL AND NOT given),"
        " sum(stance = 1), sum(stance = 2), sum(stance = 3), sum(stance = 4), sum(stance = 5),"
        " sum(has_text), sum(voice_count > 0), sum(has_text OR voice_count > 0)"
        f" FROM (SELECT item, stance, answered_at, voice_count, {_GIVEN} AS given,"
        " coalesce(comment, '') <> '' AS has_text FROM answers) GROUP BY item"
    )
    tallies = {}
    for item, *counts in rows:
        # A sum over rows that are all NULL (no stance given yet) is NULL.
        reached, answered, skipped, s1, s2, s3, s4, s5, texts, voices, either = (
            int(count or 0) for count in counts
        )
        tallies[str(item)] = ItemTally(
            str(item), reached, answered, skipped, (s1, s2, s3, s4, s5), texts, voices, either
        )
    return tallies


def stance_respondents(connection: sqlite3.Connection) -> int:
    """How many respondents gave a stance on at least one conclusion."""
    row = connection.execute(
        "SELECT count(DISTINCT respondent_id) FROM answers"
        " WHERE item LIKE 'conclusion-%' AND stance IS NOT NULL"
    ).fetchone()
    return int(row[0])


def respondent_count(connection: sqlite3.Connection) -> int:
    """How many respondents there are."""
    return int(connection.execute("SELECT count(*) FROM respondents").fetchone()[0])


def voice_comments(connection: sqlite3.Connection) -> list[tuple[str, str]]:
    """(file name in the pack, Telegram file id) of every voice message, in the order sent."""
    return [
        (voice_file_name(int(r), str(i), int(n)), str(f))
        for r, i, n, f in connection.execute(
            "SELECT respondent_id, item, row_number() OVER (PARTITION BY respondent_id, item"
            " ORDER BY message_id), file_id FROM voice_notes ORDER BY respondent_id, item,"
            " message_id"
        )
    ]


def people_counts(connection: sqlite3.Connection) -> dict[str, int]:
    """How many started, submitted, declined; and everyone who ever wrote to the bot."""
    cursor = connection.execute(
        "SELECT (SELECT count(*) FROM respondents) AS started,"
        " (SELECT count(*) FROM users WHERE status = 'submitted') AS submitted,"
        " (SELECT count(*) FROM users WHERE status = 'declined') AS declined,"
        " (SELECT count(*) FROM users) AS contacts"
    )
    row = cursor.fetchone()
    return {d[0]: int(v or 0) for d, v in zip(cursor.description, row, strict=True)}


def statistics(connection: sqlite3.Connection) -> dict[str, Any]:
    """The figures /stats shows: people, by language, group and source, stances per conclusion."""

    def pairs(sql: str) -> list[tuple[str, int]]:
        return [(str(k or ""), int(n)) for k, n in connection.execute(sql)]

    return {
        "people": people_counts(connection),
        "languages": pairs(
            "SELECT u.language, count(*) FROM respondents r JOIN users u USING (user_id)"
            " GROUP BY u.language ORDER BY count(*) DESC, 1"
        ),
        "groups": pairs(
            "SELECT stakeholder_group, count(*) FROM respondents"
            " GROUP BY stakeholder_group ORDER BY count(*) DESC, 1"
        ),
        "sources": pairs(
            "SELECT u.source, count(*) FROM respondents r JOIN users u USING (user_id)"
            " GROUP BY u.source ORDER BY count(*) DESC, 1"
        ),
        "stances": [
            (str(item), int(stance), int(n))
            for item, stance, n in connection.execute(
                "SELECT item, stance, count(*) FROM answers"
                " WHERE item LIKE 'conclusion-%' AND stance IS NOT NULL GROUP BY item, stance"
            )
        ],
    }


def _has_published(connection: sqlite3.Connection) -> bool:
    """Whether the database can hold published content (not one from before publishing)."""
    return (
        connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'content_versions'"
        ).fetchone()
        is not None
    )


def published_content(connection: sqlite3.Connection) -> tuple[int, str] | None:
    """(version, file text) of the newest content published from the bot, or None."""
    if not _has_published(connection):
        return None
    row = connection.execute(
        "SELECT version, text FROM content_versions ORDER BY version DESC LIMIT 1"
    ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def earlier_content(connection: sqlite3.Connection, current: int) -> list[tuple[int, str]]:
    """The published content files (version, text) that answers were given against, other than
    the `current` version; none before any file was published from the bot."""
    if not _has_published(connection):
        return []
    return list(
        connection.execute(
            "SELECT version, text FROM content_versions WHERE version != ? AND version IN"
            " (SELECT DISTINCT content_version FROM answers) ORDER BY version",
            (current,),
        )
    )
