"""The async repository: the bot's one connection, its transactions, and every query and write
the handlers and jobs make. Returns the frozen records of `bot.storage.records`, never rows or
cursors. No telegram import.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import json
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.records import (
    COMMENT_LIMIT,
    VOICE_LIMIT,
    Answer,
    Broadcast,
    CommentPart,
    OutboxMessage,
    Participant,
    Round,
    RoundFigures,
    timestamp,
)

logger = logging.getLogger(__name__)

MIGRATIONS = Path(str(files("bot.storage") / "migrations"))
PROFILE_FIELDS = ("stakeholder_group", "region", "age_band", "gender")
CONSENT_CHOICES = ("may_quote", "wants_news")
CHOICE_SEPARATOR = ";"
COMMENT_JOINER = "\n"  # parts typed in a burst read as consecutive lines of one comment
# In an answer's UPDATE (Repository._revise): a change to an item already answered marks it
# revised in the same statement, which returns the item's answered_at (not `answered_at IS NOT
# NULL`: SQLite 3.40 returns 1 for that on this WITHOUT ROWID table whatever the value).
REVISES = ", revised = CASE WHEN answered_at IS NOT NULL THEN 1 ELSE revised END"
REVISED = " RETURNING answered_at"
# An answer's write that makes sure of its row (`reach`) in the same statement: the row is
# inserted with the given column, or the existing one updated (`_OR_UPDATE ... SET`).
_REACHED_WITH = "INSERT INTO answers (respondent_id, round, item, content_version, reached_at, "
_OR_UPDATE = "ON CONFLICT (respondent_id, round, item) DO UPDATE"
# Commits between two checkpoints of the write-ahead log. SQLite's own (every 1,000 pages) runs
# inside the commit that crosses the mark, on the event loop, and waits for the disk: about one
# commit in a hundred took milliseconds (issue 17). The bot's are run in a thread instead.
CHECKPOINT_EVERY = 200
# Frames (pages written) in the log past which the writers wait for it to be copied whole
# (`_caught_up`): one index table of SQLite's log (16 MB of 4 KB pages). Below it the log is
# written again from its start whenever a copy finds no commit after it, which is always but
# under sustained load.
LONG_LOG = 4096
CATCH_UP_WAIT = 0.010  # seconds the writers wait at most for that copy (1 ms on a quiet disk)
OUTBOX_LEASE = timedelta(seconds=10)  # a claimed message is not claimed again before this


# The tables a Participant is read from (`_PARTICIPANT_SQL`).
PARTICIPANT_TABLES = frozenset({"users", "respondents", "round_entries"})
_WRITTEN_TABLE = re.compile(
    r"(?:INSERT(?: OR \w+)? INTO|REPLACE INTO|UPDATE(?: OR \w+)?|DELETE FROM) (\w+)"
)


@functools.lru_cache(maxsize=1_024)
def may_change_participants(sql: str) -> bool:
    """Whether a statement (the repository's own, never user text) may change a row a
    Participant is read from: a write to one of their tables, any DELETE (a cascade may reach
    them), and anything not recognised as a write to another table."""
    statement = " ".join(sql.split()).upper()
    if statement.startswith("SELECT"):
        return False
    written = _WRITTEN_TABLE.match(statement)
    if written is None or statement.startswith("DELETE"):
        return True
    return written.group(1).lower() in PARTICIPANT_TABLES


class NotInTransactionError(RuntimeError):
    """A write was attempted outside `Repository.transaction()`."""


BROADCAST_COLUMNS = (
    "id, admin_id, admin_chat, step, draft, audience, status, total, progress_message,"
    " progress_text"
)
# Who may ever get a broadcast: consented, asked for news, not stopped, not blocked.
RECIPIENTS = (
    "users AS u JOIN respondents AS r USING (user_id)"
    " WHERE r.wants_news = 1 AND u.stopped = 0 AND u.blocked = 0"
)
# Whether outbox row `o` may still go to its person `u` (respondent `r`): never after /stop or
# a block; a broadcast only while they want news, a reminder only while they are unfinished.
# The round answers are accepted for: the newest, unless it was closed (NULL then).
OPEN_ROUND = "(SELECT max(number) FROM rounds WHERE closed_at IS NULL)"
CURRENT_ROUND = "(SELECT max(number) FROM rounds)"
_ELIGIBLE = (
    "u.blocked = 0 AND u.stopped = 0"
    " AND (o.kind <> 'broadcast' OR coalesce(r.wants_news, 0) = 1)"
    f" AND (o.kind <> 'reminder' OR (u.status = 'in_progress' AND u.round = {OPEN_ROUND}))"
    " AND (o.kind <> 'invitation' OR (coalesce(r.wants_news, 0) = 1"
    f"      AND o.batch = {OPEN_ROUND} AND u.round < o.batch))"
)
# Who a round's invitation goes to: they submitted in an earlier round and asked for news.
INVITEES = (
    "users AS u JOIN respondents AS r USING (user_id)"
    " WHERE r.completed_at IS NOT NULL AND r.wants_news = 1 AND u.stopped = 0 AND u.blocked = 0"
    " AND u.round < ?"
)
HELD_IN_QUIET_HOURS = "('reminder', 'invitation')"
AUDIENCE_KINDS = ("all", "language", "group", "submitted", "unfinished", "source")


def _broadcast(row: tuple[Any, ...]) -> Broadcast:
    return Broadcast(
        id=int(row[0]), admin_id=int(row[1]), admin_chat=int(row[2]), step=str(row[3]),
        draft=json.loads(row[4]), audience=row[5], status=str(row[6]), total=int(row[7]),
        progress_message=row[8], progress_text=row[9],
    )  # fmt: skip


def _audience_sql(audience: str) -> tuple[str, tuple[object, ...]]:
    """The WHERE clause of an audience: all, submitted, unfinished, language:kk, group:student,
    source:<code>. Values are parameters, never SQL."""
    kind, _, value = audience.partition(":")
    if kind == "all":
        return "1", ()
    # Submitted: at least once (someone answering a later round stays among them); unfinished:
    # never submitted yet.
    if kind == "submitted":
        return "r.completed_at IS NOT NULL", ()
    if kind == "unfinished":
        return "u.status = 'in_progress' AND r.completed_at IS NULL", ()
    column = {"language": "u.language", "group": "r.stakeholder_group", "source": "u.source"}
    if kind in column and value:
        return f"{column[kind]} = ?", (value,)
    raise ValueError(f"unknown audience {audience!r}")


# Whether user `u` is in a later round's journey: they took up its invitation.
_RETURNING = (
    "EXISTS (SELECT 1 FROM round_entries AS e JOIN respondents AS r ON r.id = e.respondent_id"
    " WHERE r.user_id = u.user_id AND e.round = u.round AND e.started_at IS NOT NULL)"
)

_PARTICIPANT_SQL = """
SELECT u.user_id, u.chat_id, u.language, u.language_code, u.source, u.status, u.step, u.editing,
       u.stopped, u.blocked, r.id, r.may_quote, r.wants_news, r.stakeholder_group, r.region,
       r.age_band, r.gender, r.completed_at, r.consented_at, u.language_checked, u.round,
       EXISTS (SELECT 1 FROM round_entries AS e WHERE e.respondent_id = r.id
               AND e.round = u.round AND e.started_at IS NOT NULL)
FROM users AS u LEFT JOIN respondents AS r ON r.user_id = u.user_id
WHERE u.user_id = ?
"""

_ANSWER_COLUMNS = """item, content_version, stance, choices, comment, comment_language,
       voice_count, voice_duration, answered_at, revised"""


def _optional_bool(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _answer(row: tuple[Any, ...]) -> Answer:
    (item, version, stance, choices, comment, language, voices, duration, answered, revised) = row
    return Answer(
        item=str(item),
        content_version=int(version),
        stance=stance,
        choices=tuple(str(choices).split(CHOICE_SEPARATOR)) if choices else (),
        comment=comment,
        comment_language=language,
        voice_count=int(voices),
        voice_duration=duration,
        answered_at=answered,
        revised=bool(revised),
    )


def _joined_length(parts: dict[int, tuple[str, str | None]]) -> int:
    """The length of the parts joined into one comment."""
    return sum(len(text) for text, _ in parts.values()) + len(COMMENT_JOINER) * (len(parts) - 1)


def _main_language(parts: Iterable[tuple[str, str | None]]) -> str | None:
    """The language most of the comment's characters are written in (None: no part has one)."""
    share: dict[str, int] = {}
    for text, language in parts:
        if language:
            share[language] = share.get(language, 0) + len(text)
    return max(share, key=lambda language: share[language]) if share else None


@dataclass(frozen=True, slots=True)
class SourceFigures:
    """A registered recruitment source and how many came through it."""

    code: str
    label: str
    retired: bool
    started: int  # everyone recorded with the source (a /delete removes them)
    consented: int
    submitted: int


def _migrate(connection: sqlite3.Connection) -> None:
    """Apply the bundled migrations not applied yet, each in one transaction."""
    (current,) = connection.execute("PRAGMA user_version").fetchone()
    for script in sorted(MIGRATIONS.glob("[0-9][0-9][0-9]_*.sql")):
        number = int(script.name[:3])
        if number <= int(current):
            continue
        logger.info("applying migration %s", script.name)
        sql = script.read_text(encoding="utf-8")
        connection.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")


def _checkpoint_wal(connection: sqlite3.Connection) -> int:
    """Copy the log into the file; the frames the log holds since it last started again (-1 while
    another copy runs)."""
    ((_busy, pages, _copied),) = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    return int(pages)


def _taken(waited: asyncio.Future[int]) -> None:
    """Take a waited-for copy's outcome (`_failed` logs a failure): not "never retrieved"."""
    if not waited.cancelled():
        waited.exception()


def _failed(checkpoint: concurrent.futures.Future[int]) -> bool:
    """Whether a checkpoint that has ended failed (logged then: the next ones retry)."""
    if checkpoint.cancelled():  # the bot cancels none; `exception()` would raise for one
        return True
    error = checkpoint.exception()
    if error is not None:
        logger.error(
            "the write-ahead log was not checkpointed; the next commits retry", exc_info=error
        )
    return error is not None


class Repository:
    """The running bot's one writing connection: every read and write it makes. Writes happen
    inside `transaction()`.

    The short statements of an update (primary-key and index lookups, a few microseconds each)
    run on the event loop itself: a hand-over to a thread and back costs ten times the
    statement. What may take long runs elsewhere, so that no respondent waits behind it: reads
    over many rows (`_scan`) on a second, read-only connection in aiosqlite's thread, writes of
    many rows (`_bulk`) on this connection in a worker thread, while nothing else touches it.
    """

    def __init__(
        self, connection: sqlite3.Connection, reader: aiosqlite.Connection, path: Path,
        checkpointer: sqlite3.Connection,
    ) -> None:  # fmt: skip
        self._db = connection
        self._reader = reader
        self.path = path
        self._checkpointer = checkpointer  # used by `_checkpoints`' one thread only
        self._checkpoints = concurrent.futures.ThreadPoolExecutor(1, "checkpoint")
        self._commits = 0  # since the last checkpoint began
        # The log's copy running in that thread (`_committed`), until `_caught_up` sees it end.
        self._checkpointing: concurrent.futures.Future[int] | None = None
        self._closed = False
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[object] | None = None  # the task inside transaction()
        self._bulk_done: asyncio.Event | None = None  # while a bulk write runs in its thread
        # Items whose answer row this transaction made sure of (reach): a tap reaches the item
        # it answers and, moving on, often the same item again; one INSERT is enough.
        self._reached: set[tuple[int, int, str]] = set()
        # Statements run (and rollbacks) that may have changed anyone's Participant: a turn
        # that saw this count move only by its own step's move builds the moved participant
        # instead of reading it again (`Turn.reload`).
        self.participant_writes = 0

    @classmethod
    async def open(cls, path: Path) -> Repository:
        """Open (creating if needed) the database, owner-readable only, and migrate it."""
        # Created with owner-only permissions before SQLite writes anything to it. Start-up
        # work, once: blocking the loop here for a file creation is harmless.
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        # Used from the loop and, for bulk writes, from one worker thread, never both at once.
        connection = sqlite3.connect(path, check_same_thread=False)
        # WAL lets exports and backups read while answers are written; NORMAL in WAL loses no
        # committed transaction on a process crash (only, at worst, the last ones on power loss).
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA busy_timeout = 5000")
        # What /delete erases is overwritten, not only unlinked: no bytes of it stay in the file.
        connection.execute("PRAGMA secure_delete = ON")
        _migrate(connection)
        # No checkpoint inside a commit: `_committed` has the log copied in a thread.
        connection.execute("PRAGMA wal_autocheckpoint = 0")
        checkpointer = sqlite3.connect(path, check_same_thread=False)
        checkpointer.execute("PRAGMA synchronous = NORMAL")
        reader = await aiosqlite.connect(path)
        await reader.execute("PRAGMA query_only = ON")
        await reader.execute("PRAGMA busy_timeout = 5000")
        return cls(connection, reader, path, checkpointer)

    async def close(self) -> None:
        """Close the connections, the writing one last (SQLite checkpoints the log then), once
        the transaction under way has ended; one still waiting for its turn then finds the
        repository closed."""
        async with self._lock:
            self._closed = True
            # The checkpoint thread ends its work first; a copy no transaction looked at yet is
            # looked at here.
            await asyncio.to_thread(self._checkpoints.shutdown)
            if self._checkpointing is not None:
                _failed(self._checkpointing)
            await self._reader.close()
            self._checkpointer.close()
            self._db.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Group writes into one atomic commit; jobs and handlers take turns."""
        async with self._lock:
            await self._caught_up()
            self._owner = asyncio.current_task()
            try:
                yield
                self._db.commit()
            except BaseException:
                # Whatever failed (the commit too), nothing of it stays.
                self._db.rollback()
                self.participant_writes += 1  # what was read since may be undone
                raise
            finally:
                self._owner = None
                self._reached.clear()
            self._committed()  # outside the try: a commit made is never reported as failed

    def _committed(self) -> None:
        """Count a commit; every CHECKPOINT_EVERY, start copying the log into the file in the
        checkpoint thread (one copy at a time: while one runs, the count starts again).

        Started here, not in a task: a loop that never waits (a backlog of updates whose every
        statement runs at once) would never run the task, and the log would grow unbounded.
        """
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY and self._checkpointing is None:
            self._commits = 0
            self._checkpointing = self._checkpoints.submit(_checkpoint_wal, self._checkpointer)

    async def _caught_up(self) -> None:
        """Before a transaction (the lock held, so no writer runs): when the log's copy has
        ended and found the log longer than LONG_LOG, copy what was committed while it ran, so
        that this transaction's commit writes the log again from its start.

        A copy (PASSIVE: no reader or writer waits) copies what was committed when it began.
        With commits going on meanwhile the log is never copied whole, and SQLite starts it
        again from its start only when it is: at a thousand commits a second it grew to 150 MB
        in six seconds, and a commit that lengthens the file cost three times one that writes
        over it. This second copy holds the few commits made during the first and waits for
        the disk twice; the writers (only they) wait for it, about a millisecond, once in
        about a thousand commits, and never longer than CATCH_UP_WAIT: a copy not done by then
        goes on in its thread and the next transaction looks at it as at the first. The commit
        that starts the log again then syncs its new header (SQLite's own, on the loop), as
        after every copy of a quiet moment.
        """
        copying = self._checkpointing
        if self._closed or copying is None or not copying.done():
            return
        self._checkpointing = None
        if _failed(copying) or copying.result() < LONG_LOG:
            return
        # The one thread is free now; tracked like the first copy until it is seen to end.
        rest = self._checkpointing = self._checkpoints.submit(_checkpoint_wal, self._checkpointer)
        waiting = asyncio.wrap_future(rest)
        waiting.add_done_callback(_taken)
        # Neither a timeout nor a cancelled transaction cancels the copy: it runs on.
        await asyncio.wait({waiting}, timeout=CATCH_UP_WAIT)
        if rest.done():
            self._checkpointing = None
            _failed(rest)

    def _check_owner(self, sql: str) -> None:
        if self._owner is None or self._owner is not asyncio.current_task():
            raise NotInTransactionError(sql.split(None, 3)[:3])

    async def _free(self) -> None:
        """Wait while a bulk write of another task has the connection."""
        while (done := self._bulk_done) is not None:
            await done.wait()

    async def _write(self, sql: str, parameters: tuple[object, ...] = ()) -> int:
        """A write of a few rows, inside the current transaction; its row count."""
        self._check_owner(sql)
        if sql.startswith("DELETE"):  # a row reached may be gone (a cascade too)
            self._reached.clear()
        if may_change_participants(sql):
            self.participant_writes += 1
        return self._db.execute(sql, parameters).rowcount

    async def _rows(self, sql: str, parameters: tuple[object, ...] = ()) -> list[Any]:
        """All rows of a short query (the current transaction's writes included)."""
        if self._bulk_done is not None:
            await self._free()
        if may_change_participants(sql):  # a write that returns rows
            self.participant_writes += 1
        return self._db.execute(sql, parameters).fetchall()

    async def _row(self, sql: str, parameters: tuple[object, ...] = ()) -> Any:
        """The first row of a short query, or None."""
        if self._bulk_done is not None:
            await self._free()
        if may_change_participants(sql):  # a write that returns rows
            self.participant_writes += 1
        return self._db.execute(sql, parameters).fetchone()

    async def _scan(self, sql: str, parameters: tuple[object, ...] = ()) -> list[Any]:
        """All rows of a query over many rows (counts for an admin, a round's shares), read in
        another thread from what is committed. Inside a transaction that has written, the
        query must see those writes: it runs on this connection then."""
        if self._owner is asyncio.current_task() and self._db.in_transaction:
            return await self._rows(sql, parameters)
        return list(await self._reader.execute_fetchall(sql, parameters))

    async def _scan_row(self, sql: str, parameters: tuple[object, ...] = ()) -> Any:
        """The first row of a query over many rows (see `_scan`), or None."""
        rows = await self._scan(sql, parameters)
        return rows[0] if rows else None

    async def _bulk(self, sql: str, parameters: tuple[object, ...] = ()) -> int:
        """A write of many rows (a broadcast's queue, a round's invitations), inside the current
        transaction, in a worker thread; its row count. Other tasks' reads wait for it."""
        self._check_owner(sql)
        self.participant_writes += 1  # many rows: whoever they are
        done = self._bulk_done = asyncio.Event()
        work = asyncio.ensure_future(asyncio.to_thread(self._counted, sql, parameters))
        try:
            return await asyncio.shield(work)
        finally:
            # Cancelled: the statement still runs, and nothing else may use the connection
            # until it ends (a second cancellation too waits for it).
            cancelled = False
            while not work.done():
                try:
                    await asyncio.wait({work})
                except asyncio.CancelledError:
                    cancelled = True
            self._bulk_done = None
            done.set()
            if cancelled:
                raise asyncio.CancelledError  # the cancellation, once it is safe

    def _counted(self, sql: str, parameters: tuple[object, ...]) -> int:
        return self._db.execute(sql, parameters).rowcount

    # People -------------------------------------------------------------------------------

    async def participant(self, user_id: int) -> Participant | None:
        """Return the user with their respondent record, or None for a stranger."""
        row = await self._row(_PARTICIPANT_SQL, (user_id,))
        if row is None:
            return None
        return Participant(
            user_id=row[0],
            chat_id=row[1],
            language=row[2],
            language_code=row[3],
            source=row[4],
            status=row[5],
            step=row[6],
            editing=bool(row[7]),
            stopped=bool(row[8]),
            blocked=bool(row[9]),
            respondent_id=row[10],
            may_quote=_optional_bool(row[11]),
            wants_news=_optional_bool(row[12]),
            stakeholder_group=row[13],
            region=row[14],
            age_band=row[15],
            gender=row[16],
            completed_at=row[17],
            consented_at=row[18],
            language_checked=bool(row[19]),
            round=int(row[20]),
            returning=bool(row[21]),
        )

    async def add_user(
        self, *, user_id: int, chat_id: int, language_code: str | None, source: str, now: datetime
    ) -> None:
        """Record a first contact."""
        moment = timestamp(now)
        await self._write(
            "INSERT INTO users (user_id, chat_id, language_code, source, created_at,"
            f" last_activity_at, round) VALUES (?, ?, ?, ?, ?, ?, {CURRENT_ROUND})",
            (user_id, chat_id, language_code, source, moment, moment),
        )

    async def set_step(
        self, user_id: int, step: str, *, now: datetime, editing: bool = False
    ) -> None:
        """Move the user to `step`; this is what a restart resumes from. `Turn.reload` builds
        the moved participant from what this writes (step, editing, blocked = 0): change both
        together."""
        await self._write(
            "UPDATE users SET step = ?, editing = ?, last_activity_at = ?, blocked = 0"
            " WHERE user_id = ?",
            (step, int(editing), timestamp(now), user_id),
        )

    async def steps_taken(self) -> list[tuple[str, bool, bool, int]]:
        """(step, editing, returning, how many people) of every step someone stands at;
        `returning`: in a later round's journey (`Participant.returning`)."""
        # Two plain passes instead of one EXISTS per user (2 s at a million, at start-up):
        # everyone by step, then those in a later round's journey, found from its entries.
        everyone = await self._scan("SELECT step, editing, count(*) FROM users GROUP BY 1, 2")
        returning = {
            (step, editing): count
            for step, editing, count in await self._scan(
                "SELECT u.step, u.editing, count(*) FROM round_entries AS e"
                " JOIN respondents AS r ON r.id = e.respondent_id"
                " JOIN users AS u ON u.user_id = r.user_id"
                " WHERE e.round = u.round AND e.started_at IS NOT NULL GROUP BY 1, 2"
            )
        }
        taken = []
        for step, editing, count in everyone:
            later = returning.get((step, editing), 0)
            for is_later, people in ((False, count - later), (True, later)):
                if people:
                    taken.append((str(step), bool(editing), is_later, int(people)))
        return taken

    async def move_step(
        self, step: str, editing: bool, *, returning: bool, to: str, editing_after: bool
    ) -> int:
        """Move everyone at `step` (while `editing` or not, `returning` or not) to `to`; return
        how many."""
        return await self._bulk(
            "UPDATE users AS u SET step = ?, editing = ? WHERE step = ? AND editing = ?"
            f" AND {_RETURNING} = ?",
            (to, int(editing_after), step, int(editing), int(returning)),
        )

    async def set_language(self, user_id: int, language: str) -> None:
        """Remember the language the user chose."""
        await self._write("UPDATE users SET language = ? WHERE user_id = ?", (language, user_id))

    async def set_language_checked(self, user_id: int) -> None:
        """Remember that the respondent's writing was compared with the language they chose."""
        await self._write("UPDATE users SET language_checked = 1 WHERE user_id = ?", (user_id,))

    async def set_stopped(self, user_id: int, *, stopped: bool) -> None:
        """/stop (no reminders, no news) or its undoing by /start."""
        await self._write(
            "UPDATE users SET stopped = ? WHERE user_id = ?", (int(stopped), user_id)
        )

    async def set_status(self, user_id: int, status: str) -> None:
        """Set new / declined / in_progress / submitted."""
        await self._write("UPDATE users SET status = ? WHERE user_id = ?", (status, user_id))

    async def stored_facts(self, user_id: int) -> dict[str, Any]:
        """The stored columns about a user that /mydata reports beside the answers."""
        row = await self._row(
            "SELECT u.created_at, u.last_activity_at, u.reminders_sent, r.consent_version"
            " FROM users AS u LEFT JOIN respondents AS r USING (user_id) WHERE u.user_id = ?",
            (user_id,),
        )
        if row is None:
            return {}
        names = ("created_at", "last_activity_at", "reminders_sent", "consent_version")
        return dict(zip(names, row, strict=True))

    async def forget_user(self, user_id: int) -> None:
        """Erase the user and, through the foreign keys, everything that hangs off them."""
        await self._write("DELETE FROM users WHERE user_id = ?", (user_id,))

    async def withdraw(self, user_id: int, *, now: datetime) -> None:
        """/delete: erase the user, keeping only their pseudonymous number (if they had one)
        until the team is told and the server's packs and backups are cleaned of it."""
        await self._write(
            "INSERT INTO withdrawals (respondent_id, withdrawn_at)"
            " SELECT id, ? FROM respondents WHERE user_id = ? ON CONFLICT DO NOTHING",
            (timestamp(now), user_id),
        )
        await self.forget_user(user_id)

    async def withdrawals(self, *, awaiting: str, limit: int = 10_000) -> list[int]:
        """The numbers withdrawn that await the purge of the server's copies ("purge"), or,
        purged, the team's digest ("digest")."""
        where = {
            "purge": "purged_at IS NULL",
            "digest": "told_at IS NULL AND purged_at IS NOT NULL",
        }[awaiting]
        rows = await self._rows(
            f"SELECT respondent_id FROM withdrawals WHERE {where} ORDER BY respondent_id LIMIT ?",
            (limit,),
        )
        return [int(row[0]) for row in rows]

    async def withdrawals_done(self, numbers: list[int], *, told: bool, now: datetime) -> None:
        """Note that the team was told of `numbers` (`told`) or that they were purged; a number
        both told and purged is forgotten, the last trace of the person."""
        column = "told_at" if told else "purged_at"
        for start in range(0, len(numbers), 500):  # SQLite's bound on parameters
            chunk = numbers[start : start + 500]
            await self._write(
                f"UPDATE withdrawals SET {column} = ?"
                f" WHERE respondent_id IN ({','.join('?' * len(chunk))})",
                (timestamp(now), *chunk),
            )
        await self._write(
            "DELETE FROM withdrawals WHERE told_at IS NOT NULL AND purged_at IS NOT NULL"
        )

    async def consent(self, user_id: int, *, version: int, now: datetime) -> int:
        """Record consent and return the pseudonymous number, assigned once."""
        moment = timestamp(now)
        await self._write(
            "INSERT INTO respondents (user_id, consented_at, consent_version, started_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO NOTHING",
            (user_id, moment, version, moment),
        )
        await self._write(
            f"UPDATE users SET status = 'in_progress', round = {CURRENT_ROUND}"
            " WHERE user_id = ? AND status != 'submitted'",
            (user_id,),
        )
        row = await self._row("SELECT id FROM respondents WHERE user_id = ?", (user_id,))
        assert row is not None
        return int(row[0])

    async def set_consent_choice(self, respondent_id: int, field: str, value: bool) -> None:
        """Store whether comments may be quoted, or whether news is wanted."""
        if field not in CONSENT_CHOICES:
            raise ValueError(field)
        await self._write(
            f"UPDATE respondents SET {field} = ? WHERE id = ?",
            (int(value), respondent_id),
        )

    async def set_profile(
        self, respondent_id: int, field: str, value: str | None, *, now: datetime
    ) -> None:
        """Store one profile answer ('' for skipped)."""
        if field not in PROFILE_FIELDS:
            raise ValueError(field)
        # A change after the submission is a revision, noted in the same statement.
        await self._write(
            f"UPDATE respondents SET {field} = ?, revised_at = CASE WHEN completed_at IS NOT NULL"
            f" THEN ? ELSE revised_at END WHERE id = ? AND {field} IS NOT ?",
            (value, timestamp(now), respondent_id, value),
        )

    async def source_known(self, code: str) -> bool:
        """Whether a deep-link code is a registered recruitment source, not retired."""
        row = await self._row(
            "SELECT 1 FROM sources WHERE code = ? AND retired_at IS NULL", (code,)
        )
        return row is not None

    async def add_source(self, code: str, label: str, *, now: datetime) -> None:
        """Register a recruitment source, or bring a retired one back; a label given replaces
        the old one, an empty one keeps it."""
        await self._write(
            "INSERT INTO sources (code, label, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (code) DO UPDATE SET retired_at = NULL,"
            " label = CASE WHEN excluded.label <> '' THEN excluded.label ELSE sources.label END",
            (code, label, timestamp(now)),
        )

    async def retire_source(self, code: str, *, now: datetime) -> bool:
        """Stop accepting a source's code from new deep links; whether one was active."""
        changed = await self._write(
            "UPDATE sources SET retired_at = ? WHERE code = ? AND retired_at IS NULL",
            (timestamp(now), code),
        )
        return changed > 0

    async def source_figures(self) -> list[SourceFigures]:
        """Every registered source with how many started, consented and submitted through it:
        the active ones first, each group in the order registered."""
        rows = await self._scan(
            "SELECT s.code, s.label, s.retired_at IS NOT NULL, count(u.user_id),"
            " count(r.id), count(r.completed_at)"  # submitted, whatever a later round's state
            " FROM sources AS s"
            " LEFT JOIN users AS u ON u.source = s.code"
            " LEFT JOIN respondents AS r ON r.user_id = u.user_id"
            " GROUP BY s.code ORDER BY s.retired_at IS NOT NULL, s.created_at, s.code"
        )
        return [
            SourceFigures(str(code), str(label), bool(retired), int(started), int(n), int(done))
            for code, label, retired, started, n, done in rows
        ]

    async def submit(
        self, user_id: int, respondent_id: int, *, round: int, returning: bool, now: datetime
    ) -> None:
        """Mark the answers of `round` submitted; the first submit's time is kept (a returning
        respondent's in their round entry, anyone else's on their respondent record)."""
        if returning:
            await self._write(
                "UPDATE round_entries SET completed_at = COALESCE(completed_at, ?)"
                " WHERE respondent_id = ? AND round = ?",
                (timestamp(now), respondent_id, round),
            )
        else:
            await self._write(
                "UPDATE respondents SET completed_at = COALESCE(completed_at, ?) WHERE id = ?",
                (timestamp(now), respondent_id),
            )
        await self.set_status(user_id, "submitted")

    async def start_over(self, respondent_id: int, *, round: int, returning: bool) -> None:
        """Clear every answer of `round`; a first journey's profile too (a returning
        respondent's round asks only the conclusions). The pseudonymous number stays."""
        for table in ("comment_parts", "voice_notes", "answers"):
            await self._write(
                f"DELETE FROM {table} WHERE respondent_id = ? AND round = ?",
                (respondent_id, round),
            )
        if not returning:
            await self._write(
                "UPDATE respondents SET stakeholder_group = NULL, region = NULL,"
                " age_band = NULL, gender = NULL WHERE id = ?",
                (respondent_id,),
            )

    # Answers (of one round: a respondent's answers of round 2 never touch those of round 1) ---

    async def answers(self, respondent_id: int, *, round: int) -> dict[str, Answer]:
        """Return the respondent's answers of `round` by item."""
        rows = await self._rows(
            f"SELECT {_ANSWER_COLUMNS} FROM answers WHERE respondent_id = ? AND round = ?",
            (respondent_id, round),
        )
        return {row[0]: _answer(tuple(row)) for row in rows}

    async def answer(self, respondent_id: int, item: str, *, round: int) -> Answer | None:
        """Return one answer of `round`, or None if the item was never reached in it."""
        row = await self._row(
            f"SELECT {_ANSWER_COLUMNS} FROM answers"
            " WHERE respondent_id = ? AND round = ? AND item = ?",
            (respondent_id, round, item),
        )
        return _answer(tuple(row)) if row else None

    async def reach(
        self, respondent_id: int, item: str, *, round: int, version: int, now: datetime
    ) -> None:
        """Record that the respondent was shown this item in `round`."""
        key = (respondent_id, round, item)
        if key in self._reached and self._owner is asyncio.current_task():
            return
        await self._write(
            "INSERT INTO answers (respondent_id, round, item, content_version, reached_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (respondent_id, round, item, version, timestamp(now)),
        )
        self._reached.add(key)

    async def _changed(self, respondent_id: int, item: str, round: int, now: datetime) -> None:
        """Note a change to an item that had been answered: the answer counts as revised."""
        revised = await self._write(
            "UPDATE answers SET revised = 1 WHERE respondent_id = ? AND round = ? AND item = ?"
            " AND answered_at IS NOT NULL",
            (respondent_id, round, item),
        )
        if revised:
            await self._revised_at(respondent_id, round, now)

    async def _revise(
        self, sql: str, parameters: tuple[object, ...], respondent_id: int, round: int,
        now: datetime,
    ) -> bool:  # fmt: skip
        """An answer's UPDATE that marks an answered item revised in the same statement
        (`REVISES` in its SET, `REVISED` at its end), with the time noted as `_changed`
        notes it; whether it changed the row."""
        self._check_owner(sql)
        if may_change_participants(sql):
            self.participant_writes += 1
        changed = self._db.execute(sql, parameters).fetchall()
        if changed and changed[0][0] is not None:
            await self._revised_at(respondent_id, round, now)
        return bool(changed)

    async def _revised_at(self, respondent_id: int, round: int, now: datetime) -> None:
        """The time of a revision, on the round's record: a later round's, or the first's."""
        moment = timestamp(now)
        await self._write(
            "UPDATE round_entries SET revised_at = ? WHERE respondent_id = ? AND round = ?"
            " AND completed_at IS NOT NULL",
            (moment, respondent_id, round),
        )
        await self._write(
            "UPDATE respondents SET revised_at = ? WHERE id = ? AND completed_at IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM round_entries WHERE respondent_id = ?"
            " AND round = ? AND started_at IS NOT NULL)",
            (moment, respondent_id, respondent_id, round),
        )

    async def save_stance(
        self, respondent_id: int, item: str, stance: int | None, *, round: int, version: int,
        now: datetime,
    ) -> None:  # fmt: skip
        """Store a stance (None for an explicit skip); the comment step then completes the item."""
        await self._revise(
            f"{_REACHED_WITH}stance) VALUES (?, ?, ?, ?, ?, ?) {_OR_UPDATE} SET"
            f" stance = excluded.stance, content_version = excluded.content_version{REVISES}"
            f" WHERE stance IS NOT excluded.stance OR answered_at IS NULL{REVISED}",
            (respondent_id, round, item, version, timestamp(now), stance),
            respondent_id, round, now,
        )  # fmt: skip
        self._reached.add((respondent_id, round, item))

    async def save_choices(
        self,
        respondent_id: int,
        item: str,
        choices: tuple[str, ...],
        *,
        round: int,
        version: int,
        now: datetime,
    ) -> None:
        """Store the options chosen so far for a multi-select item."""
        joined = CHOICE_SEPARATOR.join(choices) or None
        await self._revise(
            f"{_REACHED_WITH}choices) VALUES (?, ?, ?, ?, ?, ?) {_OR_UPDATE} SET"
            f" choices = excluded.choices, content_version = excluded.content_version{REVISES}"
            f" WHERE choices IS NOT excluded.choices{REVISED}",
            (respondent_id, round, item, version, timestamp(now), joined),
            respondent_id, round, now,
        )  # fmt: skip
        self._reached.add((respondent_id, round, item))

    async def finish_item(
        self, respondent_id: int, item: str, *, round: int, version: int, now: datetime
    ) -> None:
        """Mark an item answered: its last step was left (Done, No comment, Skip).

        Until then the respondent is still giving the answer, so adding to a comment on the
        first pass is not a revision; after it, any change is.
        """
        moment = timestamp(now)
        await self._write(
            f"{_REACHED_WITH}answered_at) VALUES (?, ?, ?, ?, ?, ?) {_OR_UPDATE}"
            " SET answered_at = COALESCE(answered_at, excluded.answered_at)",
            (respondent_id, round, item, version, moment, moment),
        )
        self._reached.add((respondent_id, round, item))

    async def add_comment_part(
        self,
        respondent_id: int,
        item: str,
        *,
        round: int,
        message_id: int,
        text: str,
        language: str | None,
        version: int,
        now: datetime,
    ) -> CommentPart:
        """Append one typed message (in `language`) to the item's comment, unless it would take
        the comment past COMMENT_LIMIT; return the comment as it now stands."""
        await self.reach(respondent_id, item, round=round, version=version, now=now)
        return await self._put_part(
            respondent_id, item, round, message_id=message_id, text=text, language=language,
            now=now,
        )  # fmt: skip

    async def edit_comment_part(
        self, respondent_id: int, *, round: int, message_id: int, text: str,
        language: str | None, now: datetime,
    ) -> CommentPart | None:  # fmt: skip
        """Replace an edited message's part (within COMMENT_LIMIT); None if it is not a part of
        a comment of `round` (a comment of an earlier round stays as it was given)."""
        row = await self._row(
            "SELECT item FROM comment_parts WHERE respondent_id = ? AND message_id = ?"
            " AND round = ?",
            (respondent_id, message_id, round),
        )
        if row is None:
            return None
        return await self._put_part(
            respondent_id, str(row[0]), round, message_id=message_id, text=text,
            language=language, now=now,
        )  # fmt: skip

    async def _put_part(
        self, respondent_id: int, item: str, round: int, *, message_id: int, text: str,
        language: str | None, now: datetime,
    ) -> CommentPart:  # fmt: skip
        """Store one part if the joined comment stays within the limit, then join the parts.

        Each part is a Telegram message (4,096 characters at most), and the parts together
        stay under COMMENT_LIMIT: reading and joining them is bounded work.
        """
        rows = await self._rows(
            "SELECT message_id, text, coalesce(language, (SELECT comment_language FROM answers"
            " WHERE respondent_id = ? AND round = ? AND item = ?)) FROM comment_parts"
            " WHERE respondent_id = ? AND round = ? AND item = ?",
            (respondent_id, round, item, respondent_id, round, item),
        )  # parts stored before their language was: the comment's language stands for them
        parts = {int(row[0]): (str(row[1]), row[2]) for row in rows}
        before = dict(parts)
        parts[message_id] = (text, language)
        length = _joined_length(parts)
        # Within the limit; or an edit that leaves an older, longer comment no longer than it was.
        added = length <= COMMENT_LIMIT or (
            message_id in before and length <= _joined_length(before)
        )
        if added:
            await self._write(
                "INSERT INTO comment_parts (respondent_id, round, item, message_id, text,"
                " language) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (respondent_id, message_id)"
                " DO UPDATE SET text = excluded.text, language = excluded.language",
                (respondent_id, round, item, message_id, text, language),
            )
        else:
            parts = before
        comment = COMMENT_JOINER.join(parts[key][0] for key in sorted(parts))
        await self._revise(
            "UPDATE answers SET comment = ?, comment_language = coalesce(?, comment_language)"
            f"{REVISES} WHERE respondent_id = ? AND round = ? AND item = ? AND comment IS NOT ?"
            f"{REVISED}",
            (comment, _main_language(parts.values()), respondent_id, round, item, comment),
            respondent_id, round, now,
        )  # fmt: skip
        return CommentPart(item=item, comment=comment, added=added)

    async def save_voice(
        self,
        respondent_id: int,
        item: str,
        *,
        round: int,
        message_id: int,
        file_id: str,
        unique_id: str,
        duration: int,
        version: int,
        now: datetime,
    ) -> bool:
        """Add a voice message to the item's comment, after any before it; False when the
        comment holds VOICE_LIMIT already (nothing changes then)."""
        await self.reach(respondent_id, item, round=round, version=version, now=now)
        added = await self._write(
            "INSERT INTO voice_notes (respondent_id, round, item, message_id, file_id,"
            " unique_id, duration) SELECT ?, ?, ?, ?, ?, ?, ? WHERE (SELECT count(*)"
            " FROM voice_notes WHERE respondent_id = ? AND round = ? AND item = ?) < ?"
            " ON CONFLICT DO NOTHING",
            (respondent_id, round, item, message_id, file_id, unique_id, duration,
             respondent_id, round, item, VOICE_LIMIT),
        )  # fmt: skip
        if not added:  # the same update again (Telegram redelivers after a restart), or full
            again = await self._row(
                "SELECT 1 FROM voice_notes WHERE respondent_id = ? AND message_id = ?",
                (respondent_id, message_id),
            )
            return again is not None
        await self._write(
            "UPDATE answers SET voice_count = voice_count + 1,"
            " voice_duration = coalesce(voice_duration, 0) + ?"
            " WHERE respondent_id = ? AND round = ? AND item = ?",
            (duration, respondent_id, round, item),
        )
        await self._changed(respondent_id, item, round, now)
        return True

    async def clear_comment(
        self, respondent_id: int, item: str, *, round: int, now: datetime
    ) -> None:
        """Remove the item's text and voice comment."""
        for table in ("comment_parts", "voice_notes"):
            await self._write(
                f"DELETE FROM {table} WHERE respondent_id = ? AND round = ? AND item = ?",
                (respondent_id, round, item),
            )
        changed = await self._write(
            "UPDATE answers SET comment = NULL, comment_language = NULL, voice_count = 0,"
            " voice_duration = NULL WHERE respondent_id = ? AND round = ? AND item = ?"
            " AND (comment IS NOT NULL OR voice_count > 0)",
            (respondent_id, round, item),
        )
        if changed:
            await self._changed(respondent_id, item, round, now)

    # Reminders, the outbox, scheduled runs -----------------------------------------------------

    async def due_reminders(
        self, *, first_before: datetime, second_before: datetime, limit: int = 1000
    ) -> list[tuple[int, int, str]]:
        """(user_id, chat_id, language) of respondents to remind: consented, unfinished, idle.

        Never those who submitted, declined, stopped or blocked the bot; at most two each.
        """
        return [
            (int(u), int(c), str(language))
            for u, c, language in await self._rows(
                "SELECT u.user_id, u.chat_id, coalesce(u.language, 'en')"
                " FROM users AS u JOIN respondents AS r USING (user_id)"
                " WHERE u.status = 'in_progress' AND u.stopped = 0 AND u.blocked = 0"
                f" AND u.round = {OPEN_ROUND}"
                " AND ((u.reminders_sent = 0 AND u.last_activity_at <= ?)"
                "   OR (u.reminders_sent = 1 AND u.last_activity_at <= ?))"
                " ORDER BY u.last_activity_at LIMIT ?",
                (timestamp(first_before), timestamp(second_before), limit),
            )
        ]

    async def count_reminder(self, user_id: int) -> None:
        """Note that one more reminder was queued for the user."""
        await self._write(
            "UPDATE users SET reminders_sent = reminders_sent + 1 WHERE user_id = ?", (user_id,)
        )

    async def enqueue(
        self,
        *,
        kind: str,
        user_id: int,
        chat_id: int,
        payload: dict[str, Any],
        now: datetime,
        batch: int | None = None,
    ) -> None:
        """Queue one message for the pump."""
        moment = timestamp(now)
        await self._write(
            "INSERT INTO outbox (kind, batch, user_id, chat_id, payload, next_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (kind, batch, user_id, chat_id, json.dumps(payload, ensure_ascii=False), moment,
             moment),
        )  # fmt: skip

    async def recover_outbox(self) -> int:
        """Mark messages that were being sent when the bot stopped: never send them again."""
        return await self._write(
            "UPDATE outbox SET status = 'unknown', last_error = 'in flight at a restart'"
            " WHERE status = 'sending'"
        )

    async def claim_outbox(
        self, *, now: datetime, limit: int, reminders: bool = True
    ) -> list[OutboxMessage]:
        """Lease up to `limit` due messages, one per chat; cancel those nobody may receive now.

        Reminders and round invitations stay queued while `reminders` is False (quiet hours).
        A person who blocked the bot or used /stop gets nothing; a reminder is dropped once its
        person finished or its round closed, an invitation once its round closed or its person
        joined the round unasked.
        """
        rows = await self._rows(
            "SELECT o.id, o.kind, o.user_id, o.chat_id, o.payload, o.attempts, o.batch,"
            f" NOT ({_ELIGIBLE})"
            " FROM outbox AS o JOIN users AS u USING (user_id)"
            " LEFT JOIN respondents AS r USING (user_id)"
            " WHERE o.status = 'pending' AND o.next_at <= ?"
            f" AND (? OR o.kind NOT IN {HELD_IN_QUIET_HOURS})"
            " ORDER BY o.next_at, o.id LIMIT ?",
            (timestamp(now), reminders, limit),
        )
        claimed: list[OutboxMessage] = []
        cancelled: list[int] = []
        chats: set[int] = set()
        for row in rows:
            if row[7]:
                cancelled.append(int(row[0]))
            elif int(row[3]) not in chats:  # the next one to this chat waits for a later turn
                chats.add(int(row[3]))
                claimed.append(
                    OutboxMessage(
                        id=int(row[0]), kind=str(row[1]), user_id=int(row[2]),
                        chat_id=int(row[3]), payload=json.loads(row[4]),
                        attempts=int(row[5]) + 1, batch=row[6],
                    )
                )  # fmt: skip
        if cancelled:
            await self._write(
                "UPDATE outbox SET status = 'cancelled', last_error = 'recipient not eligible'"
                f" WHERE id IN ({','.join('?' * len(cancelled))})",
                tuple(cancelled),
            )
        if claimed:  # leased, still pending: a crash now loses none of them
            await self._write(
                f"UPDATE outbox SET next_at = ? WHERE id IN ({','.join('?' * len(claimed))})",
                (timestamp(now + OUTBOX_LEASE), *(message.id for message in claimed)),
            )
        return claimed

    async def outbox_take(self, message_id: int) -> bool:
        """Mark a leased message as being sent, just before its request; False if it was
        cancelled or taken meanwhile, or its person may no longer get it (cancelled then).

        Whether they may is asked again here, not only at the claim: someone who sends /stop
        or turns news off while a broadcast to thousands is on its way gets nothing more. A
        crash after this marks the message unknown, never resent.
        """
        taken = await self._write(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1"
            " WHERE id = ? AND status = 'pending' AND EXISTS (SELECT 1 FROM outbox AS o"
            " JOIN users AS u USING (user_id) LEFT JOIN respondents AS r USING (user_id)"
            f" WHERE o.id = outbox.id AND {_ELIGIBLE})",
            (message_id,),
        )
        if not taken:
            await self._write(
                "UPDATE outbox SET status = 'cancelled', last_error = 'recipient not eligible'"
                " WHERE id = ? AND status = 'pending'",
                (message_id,),
            )
        return taken > 0

    async def outbox_defer(self, message_id: int, *, at: datetime) -> None:
        """A leased message not taken yet waits until `at` (a pause, its chat's turn)."""
        await self._write(
            "UPDATE outbox SET next_at = ? WHERE id = ? AND status = 'pending'",
            (timestamp(at), message_id),
        )

    async def outbox_unknown(self, message_id: int, error: str) -> None:
        """Telegram may or may not have delivered it (a read timeout): never sent again."""
        await self._write(
            "UPDATE outbox SET status = 'unknown', last_error = ? WHERE id = ?",
            (error[:500], message_id),
        )

    async def outbox_sent(self, message_id: int, *, telegram_id: int, now: datetime) -> None:
        """Telegram accepted the message."""
        await self._write(
            "UPDATE outbox SET status = 'sent', sent_message_id = ?, sent_at = ? WHERE id = ?",
            (telegram_id, timestamp(now), message_id),
        )

    async def outbox_blocked(self, message_id: int, user_id: int) -> None:
        """The person blocked the bot: nothing is ever sent to them again."""
        await self._write(
            "UPDATE outbox SET status = 'blocked', last_error = 'blocked' WHERE id = ?",
            (message_id,),
        )
        await self.mark_blocked(user_id)

    async def mark_blocked(self, user_id: int) -> None:
        """Telegram answered 403 for this user."""
        await self._write("UPDATE users SET blocked = 1 WHERE user_id = ?", (user_id,))

    async def outbox_failed(self, message_id: int, error: str) -> None:
        """The message cannot be delivered (a bad request, or too many attempts)."""
        await self._write(
            "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?",
            (error[:500], message_id),
        )

    async def outbox_retry(
        self, message_id: int, *, at: datetime, error: str, counted: bool = True
    ) -> None:
        """Send a message being sent again at `at` (`counted`: the attempt counts towards the
        limit)."""
        await self._write(
            "UPDATE outbox SET status = 'pending', next_at = ?, last_error = ?,"
            " attempts = attempts - ? WHERE id = ? AND status = 'sending'",
            (timestamp(at), error[:500], 0 if counted else 1, message_id),
        )

    async def outbox_counts(self, kind: str | None = None) -> dict[str, int]:
        """How many messages are in each state."""
        return {
            str(status): int(count)
            for status, count in await self._scan(
                "SELECT status, count(*) FROM outbox WHERE ? IS NULL OR kind = ? GROUP BY status",
                (kind, kind),
            )
        }

    async def last_run(self, name: str) -> str | None:
        """When the scheduled job `name` last ran (the occurrence it ran for)."""
        row = await self._row("SELECT last_run_at FROM job_runs WHERE name = ?", (name,))
        return str(row[0]) if row else None

    async def claim_run(self, name: str, occurrence: datetime) -> bool:
        """Record that `name` runs for `occurrence`; False if it already ran for it or later."""
        moment = timestamp(occurrence)
        inserted = await self._write(
            "INSERT INTO job_runs (name, last_run_at) VALUES (?, ?) ON CONFLICT (name) DO"
            " UPDATE SET last_run_at = excluded.last_run_at"
            " WHERE job_runs.last_run_at < excluded.last_run_at",
            (name, moment),
        )
        return inserted > 0

    async def release_run(self, name: str, occurrence: datetime, previous: str | None) -> None:
        """Give back a claim for `occurrence` whose run failed, so that it runs again."""
        if previous is None:
            await self._write(
                "DELETE FROM job_runs WHERE name = ? AND last_run_at = ?",
                (name, timestamp(occurrence)),
            )
        else:
            await self._write(
                "UPDATE job_runs SET last_run_at = ? WHERE name = ? AND last_run_at = ?",
                (previous, name, timestamp(occurrence)),
            )

    # Roles, team chats, the audit log, switches -------------------------------------------------

    async def admins(self) -> set[int]:
        """Admins added from the bot (owners come from the environment)."""
        return {int(row[0]) for row in await self._rows("SELECT user_id FROM admins")}

    async def add_admin(self, user_id: int, *, by: int, now: datetime) -> bool:
        """Make `user_id` an admin; False if they were one already."""
        return (
            await self._write(
                "INSERT OR IGNORE INTO admins (user_id, added_by, added_at) VALUES (?, ?, ?)",
                (user_id, by, timestamp(now)),
            )
            > 0
        )

    async def remove_admin(self, user_id: int) -> bool:
        """Remove an admin; False if they were not one."""
        return await self._write("DELETE FROM admins WHERE user_id = ?", (user_id,)) > 0

    async def seed_team_chats(self, chats: list[int], *, now: datetime) -> None:
        """Add BOT_TEAM_CHATS once: a chat removed from the bot stays removed."""
        for chat_id in chats:
            await self._write(
                "INSERT OR IGNORE INTO team_chats (chat_id, added_at) VALUES (?, ?)",
                (chat_id, timestamp(now)),
            )

    async def team_chats(self) -> list[int]:
        """The chats that receive raw data, in the order they were added."""
        rows = await self._rows("SELECT chat_id FROM team_chats WHERE active = 1 ORDER BY rowid")
        return [int(row[0]) for row in rows]

    async def set_team_chat(self, chat_id: int, *, active: bool, by: int, now: datetime) -> bool:
        """Add or remove a team chat; False if nothing changed."""
        return (
            await self._write(
                "INSERT INTO team_chats (chat_id, active, added_by, added_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (chat_id) DO UPDATE SET active = excluded.active,"
                " added_by = excluded.added_by WHERE team_chats.active <> excluded.active",
                (chat_id, int(active), by, timestamp(now)),
            )
            > 0
        )

    async def sources(self) -> list[str]:
        """Recruitment sources people came from, most used first."""
        rows = await self._rows(
            "SELECT source, count(*) FROM users GROUP BY source ORDER BY count(*) DESC, source"
        )
        return [str(row[0]) for row in rows]

    async def audit(self, actor: int, action: str, detail: str, *, now: datetime) -> None:
        """Write one admin action to the audit log."""
        await self._write(
            "INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)",
            (timestamp(now), actor, action, detail[:500]),
        )

    async def audit_log(self, limit: int = 20) -> list[tuple[str, int, str, str]]:
        """The latest admin actions, newest first: (at, actor, action, detail)."""
        rows = await self._rows(
            "SELECT at, actor, action, detail FROM audit ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [(str(a), int(b), str(c), str(d)) for a, b, c, d in rows]

    async def switch(self, name: str, default: str) -> str:
        """The value of a switch (consultation: open or closed)."""
        row = await self._row("SELECT value FROM switches WHERE name = ?", (name,))
        return str(row[0]) if row else default

    async def set_switch(self, name: str, value: str) -> None:
        """Set a switch."""
        await self._write(
            "INSERT INTO switches (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    # Broadcasts ---------------------------------------------------------------------------------

    async def open_draft(self, admin_id: int, admin_chat: int, *, now: datetime) -> int:
        """Start a new broadcast draft for the admin (an earlier unfinished draft is dropped)."""
        await self._write(
            "UPDATE broadcasts SET status = 'cancelled', finished_at = ?"
            " WHERE admin_id = ? AND status = 'draft'",
            (timestamp(now), admin_id),
        )
        await self._write(
            "INSERT INTO broadcasts (admin_id, admin_chat, step, draft, created_at)"
            " VALUES (?, ?, 'mode', '{}', ?)",
            (admin_id, admin_chat, timestamp(now)),
        )
        row = await self._row("SELECT last_insert_rowid()")
        return int(row[0])

    async def draft(self, admin_id: int) -> Broadcast | None:
        """The admin's open draft, if any."""
        row = await self._row(
            f"SELECT {BROADCAST_COLUMNS} FROM broadcasts"
            " WHERE admin_id = ? AND status = 'draft' ORDER BY id DESC LIMIT 1",
            (admin_id,),
        )
        return _broadcast(row) if row else None

    async def broadcast(self, broadcast_id: int) -> Broadcast | None:
        """One broadcast by its number."""
        row = await self._row(
            f"SELECT {BROADCAST_COLUMNS} FROM broadcasts WHERE id = ?", (broadcast_id,)
        )
        return _broadcast(row) if row else None

    async def broadcasts_sending(self) -> list[Broadcast]:
        """The broadcasts being sent (after a restart too)."""
        rows = await self._rows(
            f"SELECT {BROADCAST_COLUMNS} FROM broadcasts WHERE status = 'sending' ORDER BY id"
        )
        return [_broadcast(row) for row in rows]

    async def update_draft(
        self, broadcast_id: int, *, step: str, draft: dict[str, Any], audience: str | None
    ) -> None:
        """Store the draft's progress."""
        await self._write(
            "UPDATE broadcasts SET step = ?, draft = ?, audience = ? WHERE id = ?"
            " AND status = 'draft'",
            (step, json.dumps(draft, ensure_ascii=False), audience, broadcast_id),
        )

    async def cancel_broadcast(self, broadcast_id: int, *, now: datetime) -> int:
        """Cancel a draft or a sending broadcast; return how many queued messages were dropped."""
        dropped = await self._bulk(
            "UPDATE outbox SET status = 'cancelled', last_error = 'broadcast cancelled'"
            " WHERE kind = 'broadcast' AND batch = ? AND status = 'pending'",
            (broadcast_id,),
        )
        await self._write(
            "UPDATE broadcasts SET status = 'cancelled', finished_at = ?"
            " WHERE id = ? AND status IN ('draft', 'sending')",
            (timestamp(now), broadcast_id),
        )
        return dropped

    async def audience(self, audience: str) -> int:
        """How many people a broadcast to `audience` would reach now."""
        where, parameters = _audience_sql(audience)
        row = await self._scan_row(f"SELECT count(*) FROM {RECIPIENTS} AND {where}", parameters)
        return int(row[0])

    async def start_broadcast(self, broadcast_id: int, audience: str, *, now: datetime) -> int:
        """Queue one outbox row per recipient and mark the broadcast sending; return how many."""
        where, parameters = _audience_sql(audience)
        moment = timestamp(now)
        total = await self._bulk(
            "INSERT INTO outbox (kind, batch, user_id, chat_id, payload, next_at, created_at)"
            " SELECT 'broadcast', ?, u.user_id, u.chat_id,"
            " json_object('language', coalesce(u.language, 'en')), ?, ?"
            f" FROM {RECIPIENTS} AND {where} ORDER BY u.user_id",
            (broadcast_id, moment, moment, *parameters),
        )
        await self._write(
            "UPDATE broadcasts SET status = 'sending', total = ?, started_at = ? WHERE id = ?",
            (total, moment, broadcast_id),
        )
        return total

    async def set_progress(self, broadcast_id: int, message_id: int | None, text: str) -> None:
        """Remember the admin's progress message and what it says."""
        await self._write(
            "UPDATE broadcasts SET progress_message = coalesce(?, progress_message),"
            " progress_text = ? WHERE id = ?",
            (message_id, text, broadcast_id),
        )

    async def finish_broadcast(self, broadcast_id: int, *, now: datetime) -> None:
        """Nothing of the broadcast is left to send."""
        await self._write(
            "UPDATE broadcasts SET status = 'done', finished_at = ? WHERE id = ?"
            " AND status = 'sending'",
            (timestamp(now), broadcast_id),
        )

    async def batch_counts(self, broadcast_id: int) -> dict[str, int]:
        """How many of a broadcast's messages are in each state."""
        rows = await self._scan(
            "SELECT status, count(*) FROM outbox WHERE kind = 'broadcast' AND batch = ?"
            " GROUP BY status",
            (broadcast_id,),
        )
        return {str(status): int(count) for status, count in rows}

    # Rounds -----------------------------------------------------------------------------------

    async def rounds(self) -> list[Round]:
        """Every round so far, the first one first."""
        rows = await self._rows(
            "SELECT number, content_version, started_at, closed_at FROM rounds ORDER BY number"
        )
        return [Round(int(n), version, str(at), closed) for n, version, at, closed in rows]

    async def current_round(self) -> Round:
        """The newest round (open, or closed until the next one starts)."""
        return (await self.rounds())[-1]

    async def invitees(self, number: int) -> int:
        """How many people round `number`'s invitation would go to now."""
        row = await self._scan_row(f"SELECT count(*) FROM {INVITEES}", (number,))
        return int(row[0])

    async def open_round(
        self, number: int, *, version: int, by: int, payloads: dict[str, str], now: datetime
    ) -> int:
        """Close the current round and open round `number` on content `version`; queue its
        invitation (`payloads`: the JSON payload per language, "en" for anyone without one);
        return how many were invited.

        Someone mid-way through a first journey carries on in the new round, with the answers
        given so far: the round they began no longer accepts answers, and they lose none. A
        returning respondent mid-way through the closed round is invited again; what they gave
        in it stays there.
        """
        moment = timestamp(now)
        await self._bulk(
            "UPDATE rounds SET closed_at = ?, closed_by = ? WHERE closed_at IS NULL",
            (moment, by),
        )
        await self._bulk(
            "INSERT INTO rounds (number, content_version, started_at, started_by)"
            " VALUES (?, ?, ?, ?)",
            (number, version, moment, by),
        )
        unfinished = (
            "SELECT r.id FROM respondents AS r JOIN users AS u USING (user_id)"
            " WHERE r.completed_at IS NULL AND u.round < ?"
        )
        for table in ("answers", "comment_parts", "voice_notes"):
            await self._bulk(
                f"UPDATE {table} SET round = ? WHERE respondent_id IN ({unfinished})",
                (number, number),
            )
        await self._bulk(
            "UPDATE users SET round = ? WHERE round < ? AND user_id NOT IN"
            " (SELECT user_id FROM respondents WHERE completed_at IS NOT NULL)",
            (number, number),
        )
        await self._bulk(
            "INSERT INTO round_entries (respondent_id, round, invited_at)"
            f" SELECT r.id, ?, ? FROM {INVITEES}",
            (number, moment, number),
        )
        return await self._bulk(
            "INSERT INTO outbox (kind, batch, user_id, chat_id, payload, next_at, created_at)"
            " SELECT 'invitation', ?, u.user_id, u.chat_id,"
            " CASE u.language WHEN 'kk' THEN ? WHEN 'ru' THEN ? ELSE ? END, ?, ?"
            f" FROM {INVITEES} ORDER BY u.user_id",
            (number, payloads["kk"], payloads["ru"], payloads["en"], moment, moment, number),
        )

    async def close_round(self, number: int, *, by: int, now: datetime) -> bool:
        """Stop accepting answers for round `number`; False if it is not the open round."""
        return bool(
            await self._write(
                "UPDATE rounds SET closed_at = ?, closed_by = ? WHERE number = ?"
                f" AND closed_at IS NULL AND number = {CURRENT_ROUND}",
                (timestamp(now), by, number),
            )
        )

    async def join_round(
        self, user_id: int, respondent_id: int, number: int, *, step: str, now: datetime
    ) -> None:
        """A returning respondent takes up round `number`: its journey starts at `step`."""
        moment = timestamp(now)
        await self._write(
            "INSERT INTO round_entries (respondent_id, round, started_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO UPDATE SET started_at = coalesce(started_at, excluded.started_at)",
            (respondent_id, number, moment),
        )
        await self._write(
            "UPDATE users SET round = ?, status = 'in_progress', step = ?, editing = 0,"
            " reminders_sent = 0, last_activity_at = ? WHERE user_id = ?",
            (number, step, moment, user_id),
        )

    async def round_stances(self, number: int) -> dict[str, dict[int, int]]:
        """How many gave each stance on each item in round `number` (skips not counted)."""
        rows = await self._scan(
            "SELECT item, stance, count(*) FROM answers WHERE round = ? AND stance IS NOT NULL"
            " GROUP BY item, stance",
            (number,),
        )
        counts: dict[str, dict[int, int]] = {}
        for item, stance, count in rows:
            counts.setdefault(str(item), {})[int(stance)] = int(count)
        return counts

    async def earlier_stances(
        self, respondent_id: int, *, before: int
    ) -> dict[str, tuple[int, int | None]]:
        """Per item, the respondent's answer in the latest round before `before` in which they
        gave one: (round, stance; None for a skip)."""
        rows = await self._rows(
            "SELECT item, round, stance FROM answers WHERE respondent_id = ? AND round < ?"
            " AND (answered_at IS NOT NULL OR stance IS NOT NULL) ORDER BY round",
            (respondent_id, before),
        )
        return {str(item): (int(number), stance) for item, number, stance in rows}

    async def round_version(self, number: int) -> int | None:
        """The newest content version answers of round `number` were given against."""
        row = await self._scan_row(
            "SELECT max(content_version) FROM answers WHERE round = ?", (number,)
        )
        return None if row is None or row[0] is None else int(row[0])

    async def round_entries(
        self, respondent_id: int
    ) -> dict[int, tuple[str | None, str | None, str | None, str | None]]:
        """The respondent's later rounds: round -> (invited, started, submitted, revised)."""
        rows = await self._rows(
            "SELECT round, invited_at, started_at, completed_at, revised_at FROM round_entries"
            " WHERE respondent_id = ? ORDER BY round",
            (respondent_id,),
        )
        return {int(row[0]): (row[1], row[2], row[3], row[4]) for row in rows}

    async def answer_rounds(self, respondent_id: int) -> list[int]:
        """The rounds the respondent has answers in, the first first."""
        rows = await self._rows(
            "SELECT DISTINCT round FROM answers WHERE respondent_id = ? ORDER BY round",
            (respondent_id,),
        )
        return [int(row[0]) for row in rows]

    async def round_figures(self, number: int) -> RoundFigures:
        """Invitations to round `number` and who answered in it."""
        sent = {
            str(status): int(count)
            for status, count in await self._scan(
                "SELECT status, count(*) FROM outbox WHERE kind = 'invitation' AND batch = ?"
                " GROUP BY status",
                (number,),
            )
        }
        entries = await self._scan_row(
            "SELECT count(started_at), count(completed_at) FROM round_entries WHERE round = ?",
            (number,),
        )
        newcomers = await self._scan_row(
            "SELECT count(*), count(r.completed_at) FROM respondents AS r"
            " JOIN users AS u USING (user_id) WHERE u.round = ? AND NOT EXISTS"
            " (SELECT 1 FROM round_entries AS e WHERE e.respondent_id = r.id AND e.round = ?)",
            (number, number),
        )
        waiting = sent.get("pending", 0) + sent.get("sending", 0)
        return RoundFigures(
            invited=sum(sent.values()),
            delivered=sent.get("sent", 0),
            waiting=waiting,
            undelivered=sum(sent.values()) - waiting - sent.get("sent", 0),
            returning_started=int(entries[0]),
            returning_submitted=int(entries[1]),
            newcomers_started=int(newcomers[0]),
            newcomers_submitted=int(newcomers[1]),
        )

    # Content revisions --------------------------------------------------------------------------

    async def published_content(self) -> tuple[int, str] | None:
        """(version, file text) of the newest published content, or None before any."""
        row = await self._row(
            "SELECT version, text FROM content_versions ORDER BY version DESC LIMIT 1"
        )
        return (int(row[0]), str(row[1])) if row else None

    async def content_versions(self) -> list[tuple[int, str, int]]:
        """Every published version, newest first: (version, published_at, published_by)."""
        rows = await self._rows(
            "SELECT version, published_at, published_by FROM content_versions"
            " ORDER BY version DESC"
        )
        return [(int(v), str(at), int(by)) for v, at, by in rows]

    async def content_text(self, version: int) -> str | None:
        """The file of a published version, or None."""
        row = await self._row("SELECT text FROM content_versions WHERE version = ?", (version,))
        return None if row is None else str(row[0])

    async def publish_content(self, version: int, text: str, *, by: int, now: datetime) -> None:
        """Keep a published content file."""
        await self._write(
            "INSERT INTO content_versions (version, text, published_at, published_by)"
            " VALUES (?, ?, ?, ?)",
            (version, text, timestamp(now), by),
        )

    async def add_content_draft(
        self, admin_id: int, *, base_version: int, version: int, text: str, now: datetime
    ) -> int:
        """Keep a previewed content file until Publish or Cancel; return its number."""
        await self._write(
            "INSERT INTO content_drafts (admin_id, base_version, version, text, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (admin_id, base_version, version, text, timestamp(now)),
        )
        row = await self._row("SELECT last_insert_rowid()")
        return int(row[0])

    async def content_draft(self, draft_id: int) -> tuple[int, int, int, str, str] | None:
        """(admin_id, base_version, version, text, status) of a content draft, or None."""
        row = await self._row(
            "SELECT admin_id, base_version, version, text, status FROM content_drafts"
            " WHERE id = ?",
            (draft_id,),
        )
        return (int(row[0]), int(row[1]), int(row[2]), str(row[3]), str(row[4])) if row else None

    async def close_content_draft(self, draft_id: int, status: str) -> bool:
        """Mark a waiting draft published or cancelled; False when it was no longer waiting."""
        return (
            await self._write(
                "UPDATE content_drafts SET status = ? WHERE id = ? AND status = 'draft'",
                (status, draft_id),
            )
            > 0
        )
