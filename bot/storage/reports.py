"""The synchronous, read-only queries behind the export pack and /stats.

Exports read through their own read-only connection, in another process than the bot's, so the
bot's connection keeps serving respondents while WAL lets both proceed. No Telegram id leaves
these queries: respondents are their pseudonymous number. The export reads the answers a range
of respondents at a time (respondent_ranges), in the primary key's order, so memory stays the
same however many there are; SQLite formats what needs no Python itself. No telegram import.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VOICE_LIST = ".voices.tsv"  # in a pack: voice file name, Telegram file id, for the bot to fetch


def voice_file_name(respondent: int, item: str, position: int, *, round: int = 1) -> str:
    """The file name of an item's `position`-th voice message (from 1) of `round` inside the
    export pack, as answers.csv's comment_audio lists it: voice/12-conclusion-3-1.ogg in round
    1, voice/12-conclusion-3-round2-1.ogg in a later one (the respondent's number first, as
    bot.purge reads it)."""
    within = "" if round == 1 else f"round{round}-"
    return f"voice/{respondent}-{item}-{within}{position}.ogg"


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
    # The answers of a range of respondents, in the primary key's order: SQLite reads that part
    # of the table once, sorts nothing and joins nothing (the respondents' columns are looked
    # up once per respondent), and joins the columns that need no Python into two strings.
    answered = _local("answered_at", offset_minutes)
    return (
        "SELECT respondent_id, round, item, comment, voice_count, comment_language,"
        " item || ',' || content_version || ',' || coalesce(stance, '') || ','"
        " || coalesce(choices, ''),"
        f" {answered} || ',' || revised || ',' || round || char(13, 10)"
        " FROM answers WHERE respondent_id BETWEEN ? AND ? ORDER BY respondent_id, round, item"
    )


def export_connection(
    path: Path, local_time: Callable[[str | None], str | None]
) -> sqlite3.Connection:
    """A read-only connection with `local_time(utc_text)` for formatting times."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    connection.create_function("local_time", 1, local_time, deterministic=True)
    return connection


def respondent_ranges(connection: sqlite3.Connection, size: int) -> Iterator[tuple[int, int]]:
    """Ranges of respondent numbers (first, last), `size` numbers each, that together cover
    every respondent and every answer: what the export streams chunk by chunk."""
    low, high = connection.execute(
        "SELECT min(low), max(high) FROM (SELECT min(id) AS low, max(id) AS high FROM"
        " respondents UNION ALL SELECT min(respondent_id), max(respondent_id) FROM answers)"
    ).fetchone()
    if low is None:
        return
    for first in range(int(low), int(high) + 1, size):
        yield first, min(first + size - 1, int(high))


def answer_rows(
    connection: sqlite3.Connection, offset_minutes: int | None, first: int, last: int
) -> Iterator[tuple[Any, ...]]:
    """The answers of respondents `first` to `last`, respondent by respondent and round by
    round, streamed: (respondent, round, item, comment, voice_count, comment_language, "item,
    content_version,stance,choices", "answered_at,revised,round" and CRLF)."""
    yield from connection.execute(_answer_rows_sql(offset_minutes), (first, last))


def answer_facts(
    connection: sqlite3.Connection, first: int, last: int
) -> Iterator[tuple[Any, ...]]:
    """What respondents.csv and summary.csv read of the answers of respondents `first` to
    `last`, in the primary key's order, streamed: (respondent, round, item, content_version,
    stance, choices or '', completed (0/1), typed text (0/1), voice messages). The comments
    stay in SQLite: only whether there is one travels."""
    yield from connection.execute(
        "SELECT respondent_id, round, item, content_version, stance, coalesce(choices, ''),"
        " answered_at IS NOT NULL, coalesce(comment, '') <> '', voice_count FROM answers"
        " WHERE respondent_id BETWEEN ? AND ? ORDER BY respondent_id, round, item",
        (first, last),
    )


def first_contact(connection: sqlite3.Connection) -> str | None:
    """The earliest stored time: every other one was written after someone's first contact."""
    row = connection.execute("SELECT min(created_at) FROM users").fetchone()
    return str(row[0]) if row and row[0] else None


def respondent_rows(
    connection: sqlite3.Connection, offset_minutes: int | None, first: int, last: int
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """One row per respondent numbered `first` to `last`: profile, consent and times (column
    names, rows).

    `status` is submitted once they ever submitted (a returning respondent answering a later
    round is in progress in that round only); `current_round` is the round they stand in,
    which is their first journey's for anyone who has no answers yet (for everyone else it is
    the round of their earliest answer: a journey begun in a round that closed before it was
    submitted carries on in the next one, and its answers with it).
    """
    times = {
        name: _local(f"r.{name}", offset_minutes)
        for name in ("consented_at", "started_at", "completed_at", "revised_at")
    }
    cursor = connection.execute(
        "SELECT r.id AS respondent, u.language, u.source,"
        " CASE WHEN r.completed_at IS NOT NULL THEN 'submitted' ELSE u.status END AS status,"
        " r.stakeholder_group,"
        f" r.region, r.age_band, r.gender, {times['consented_at']} AS consented_at,"
        " r.consent_version, r.may_quote, r.wants_news,"
        f" {times['started_at']} AS started_at, {times['completed_at']} AS completed_at,"
        f" {times['revised_at']} AS revised_at, u.round AS current_round"
        " FROM respondents AS r JOIN users AS u ON u.user_id = r.user_id"
        " WHERE r.id BETWEEN ? AND ? ORDER BY r.id",
        (first, last),
    )
    return [d[0] for d in cursor.description], cursor.fetchall()


def later_rounds_submitted(
    connection: sqlite3.Connection, first: int, last: int
) -> dict[tuple[int, int], bool]:
    """(respondent, round) -> whether it was submitted, for each round a returning respondent
    numbered `first` to `last` was invited to or took up (their first round's is their
    respondent record's)."""
    return {
        (int(respondent), int(number)): bool(done)
        for respondent, number, done in connection.execute(
            "SELECT respondent_id, round, completed_at IS NOT NULL FROM round_entries"
            " WHERE respondent_id BETWEEN ? AND ?",
            (first, last),
        )
    }


def answered_rounds(connection: sqlite3.Connection) -> list[int]:
    """The rounds that hold answers (an item reached counts), the first one first."""
    return [
        int(number)
        for (number,) in connection.execute(
            "SELECT number FROM rounds AS r"
            " WHERE EXISTS (SELECT 1 FROM answers AS a WHERE a.round = r.number)"
            " ORDER BY number"
        )
    ]


def stance_pairs(
    connection: sqlite3.Connection,
) -> Iterator[tuple[int, str, dict[int, tuple[int, int]]]]:
    """Per round from the second and conclusion: (round, item, {respondent: (stance in the
    round before, stance in this one)}) of those who gave a stance in both; one conclusion's
    pairs at a time, streamed in the order of the index on (round, item)."""
    cursor = connection.execute(
        "SELECT a.round, a.item, a.respondent_id, b.stance, a.stance FROM answers AS a"
        " JOIN answers AS b ON b.respondent_id = a.respondent_id AND b.round = a.round - 1"
        " AND b.item = a.item"
        " WHERE a.round >= 2 AND a.item LIKE 'conclusion-%' AND a.stance IS NOT NULL"
        " AND b.stance IS NOT NULL ORDER BY a.round, a.item"
    )
    key: tuple[int, str] | None = None
    pairs: dict[int, tuple[int, int]] = {}
    for number, item, respondent, before, after in cursor:
        if (number, item) != key:
            if key is not None:
                yield (*key, pairs)
            key, pairs = (int(number), str(item)), {}
        pairs[int(respondent)] = (int(before), int(after))
    if key is not None:
        yield (*key, pairs)


@dataclass(frozen=True, slots=True)
class ItemTally:
    """What summary.csv counts of one item in one round.

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
    content_version: int | None = None  # the newest version it was answered against

    @classmethod
    def none(cls, item: str) -> ItemTally:
        """The tally of an item nobody reached yet."""
        return cls(item, 0, 0, 0, (0, 0, 0, 0, 0), 0, 0, 0)


def stance_counts(connection: sqlite3.Connection) -> dict[int, dict[str, tuple[int, ...]]]:
    """Per round and conclusion reached in it: how many gave stance 1 .. 5 (read from the index
    on (round, item, stance) alone: what the stance chart of /stats needs, quickly)."""
    counts: dict[int, dict[str, list[int]]] = {}
    for number, item, stance, n in connection.execute(
        "SELECT round, item, stance, count(*) FROM answers"
        " WHERE item LIKE 'conclusion-%' AND stance IS NOT NULL GROUP BY round, item, stance"
    ):
        counts.setdefault(int(number), {}).setdefault(str(item), [0] * 5)[int(stance) - 1] = n
    return {
        number: {item: tuple(given) for item, given in of_round.items()}
        for number, of_round in counts.items()
    }


def stance_respondents(connection: sqlite3.Connection, round: int | None = None) -> int:
    """How many respondents gave a stance on at least one conclusion (in `round`, or in any)."""
    row = connection.execute(
        "SELECT count(DISTINCT respondent_id) FROM answers"
        " WHERE item LIKE 'conclusion-%' AND stance IS NOT NULL AND (? IS NULL OR round = ?)",
        (round, round),
    ).fetchone()
    return int(row[0])


def respondent_count(connection: sqlite3.Connection) -> int:
    """How many respondents there are."""
    return int(connection.execute("SELECT count(*) FROM respondents").fetchone()[0])


def voice_comments(connection: sqlite3.Connection) -> list[tuple[str, str]]:
    """(file name in the pack, Telegram file id) of every voice message, in the order sent."""
    return [
        (voice_file_name(int(r), str(i), int(n), round=int(number)), str(f))
        for r, number, i, n, f in connection.execute(
            "SELECT respondent_id, round, item, row_number() OVER (PARTITION BY respondent_id,"
            " round, item ORDER BY message_id), file_id FROM voice_notes"
            " ORDER BY respondent_id, round, item, message_id"
        )
    ]


def people_counts(connection: sqlite3.Connection) -> dict[str, int]:
    """How many started, submitted (ever: a returning respondent answering a later round
    counts), declined; and everyone who ever wrote to the bot."""
    cursor = connection.execute(
        "SELECT (SELECT count(*) FROM respondents) AS started,"
        " (SELECT count(*) FROM respondents WHERE completed_at IS NOT NULL) AS submitted,"
        " (SELECT count(*) FROM users WHERE status = 'declined') AS declined,"
        " (SELECT count(*) FROM users) AS contacts"
    )
    row = cursor.fetchone()
    return {d[0]: int(v or 0) for d, v in zip(cursor.description, row, strict=True)}


def stance_figures(connection: sqlite3.Connection) -> dict[str, Any]:
    """The stances half of /stats: `rounds` holds (round, item, stance, count) of every round
    with answers, `stances` (item, stance, count) of the newest of them."""
    numbers = answered_rounds(connection)
    newest = numbers[-1] if numbers else 1
    # One round at a time, the conclusions as a range of the index on (round, item, stance):
    # SQLite reads the conclusions' entries only, not every answer (GLOB, unlike LIKE, is
    # case-sensitive and so can be a range of the index).
    given = [
        (int(number), str(item), int(stance), int(n))
        for number in numbers
        for item, stance, n in connection.execute(
            "SELECT item, stance, count(*) FROM answers WHERE round = ?"
            " AND item GLOB 'conclusion-*' AND stance IS NOT NULL GROUP BY item, stance",
            (number,),
        )
    ]
    return {
        "stances": [(item, stance, n) for number, item, stance, n in given if number == newest],
        "rounds": given,
        "answered_rounds": numbers,
    }


def people_figures(connection: sqlite3.Connection) -> dict[str, Any]:
    """The people half of /stats: how many started, submitted, declined; by language, group
    and source, most first."""

    def ranked(counts: dict[str | None, int]) -> list[tuple[str, int]]:
        # Most first, then by name (nobody's value, NULL, first), as ORDER BY count DESC, 1.
        order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] is not None, kv[0] or ""))
        return [(str(key or ""), count) for key, count in order]

    # Language and source in one pass over respondents and their users, not one each.
    languages: dict[str | None, int] = {}
    sources: dict[str | None, int] = {}
    for language, source, n in connection.execute(
        "SELECT u.language, u.source, count(*) FROM respondents r JOIN users u USING (user_id)"
        " GROUP BY u.language, u.source"
    ):
        languages[language] = languages.get(language, 0) + int(n)
        sources[source] = sources.get(source, 0) + int(n)
    groups = dict(
        connection.execute(
            "SELECT stakeholder_group, count(*) FROM respondents GROUP BY stakeholder_group"
        )
    )
    return {
        "people": people_counts(connection),
        "languages": ranked(languages),
        "groups": ranked(groups),
        "sources": ranked(sources),
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
            # One EXISTS per other version, which stops at its first answer: not a pass over
            # every answer for their distinct versions (a second at a million) when there are
            # none.
            "SELECT version, text FROM content_versions AS v WHERE version != ? AND EXISTS"
            " (SELECT 1 FROM answers AS a WHERE a.content_version = v.version) ORDER BY version",
            (current,),
        )
    )


def _submitted(connection: sqlite3.Connection, round: int) -> set[int]:
    """The respondents who submitted `round`: its entry, for a returning respondent; their
    first journey, for anyone else (whose answers of the round are that journey's)."""
    entries = dict(
        connection.execute(
            "SELECT respondent_id, completed_at IS NOT NULL FROM round_entries"
            " WHERE round = ? AND started_at IS NOT NULL",
            (round,),
        )
    )
    first = {
        int(number)
        for (number,) in connection.execute(
            "SELECT id FROM respondents WHERE completed_at IS NOT NULL"
        )
        if number not in entries
    }
    return first | {int(number) for number, done in entries.items() if done}


@dataclass(frozen=True, slots=True)
class StanceMatrix:
    """The stances of those who submitted one round: what opinion groups are made of."""

    round: int
    respondents: Sequence[int]  # the pseudonymous numbers, in row order
    # Per conclusion item, one stance per row (NaN: skipped), as packed doubles: a million
    # rows take 8 MB a conclusion, not 32.
    stances: Mapping[str, Sequence[float]]
    profiles: list[tuple[str, str, str]]  # per row: stakeholder group, region, language


def submitted_counts(connection: sqlite3.Connection) -> dict[int, int]:
    """Per round, how many respondents submitted it (and reached a conclusion in it)."""
    counts = {}
    for (number,) in connection.execute("SELECT number FROM rounds ORDER BY number").fetchall():
        submitted = _submitted(connection, int(number))
        reached = {
            int(who)
            for (who,) in connection.execute(
                "SELECT DISTINCT respondent_id FROM answers WHERE round = ?"
                " AND item LIKE 'conclusion-%'",
                (number,),
            )
        }
        if count := len(reached & submitted):
            counts[int(number)] = count
    return counts


def stance_matrix(connection: sqlite3.Connection, items: list[str], round: int) -> StanceMatrix:
    """The stances on `items` of everyone who submitted `round`, one row each (streamed)."""
    respondents = array("q")
    stances = {item: array("d") for item in items}
    nan = float("nan")
    submitted = _submitted(connection, round)
    # One row per respondent, the pivot done by SQLite while it reads the answers in key
    # order (six times fewer rows for Python to handle than one per answer).
    columns = ", ".join("max(CASE item WHEN ? THEN stance END)" for _ in items) or "NULL"
    marks = ", ".join("?" for _ in items)
    rows = connection.execute(
        f"SELECT respondent_id, {columns} FROM answers WHERE round = ? AND item IN ({marks})"
        " GROUP BY respondent_id ORDER BY respondent_id",
        (*items, round, *items),
    )
    lists = list(stances.values())
    for respondent, *given in rows:
        if respondent not in submitted:
            continue
        respondents.append(int(respondent))
        for column, stance in zip(lists, given, strict=True):
            column.append(nan if stance is None else float(stance))  # skipped or not reached
    # A few hundred kinds of profile among a million people: each kept once.
    kinds: dict[tuple[str, str, str], tuple[str, str, str]] = {}
    profile = {}
    for number, group, region, language in connection.execute(
        "SELECT r.id, r.stakeholder_group, r.region, u.language"
        " FROM respondents AS r JOIN users AS u USING (user_id)"
    ):
        kind = (str(group or ""), str(region or ""), str(language or ""))
        profile[int(number)] = kinds.setdefault(kind, kind)
    return StanceMatrix(
        round=round,
        respondents=respondents,
        stances=stances,
        profiles=[profile.get(number, ("", "", "")) for number in respondents],
    )
