"""A million respondents on one machine (`make bench scale`, opt-in: `make bench` alone skips it).

The database is built once under bench/out/scale/ (1,000,000 respondents, 9,000,000 answers,
a broadcast to everyone who wanted news and a reminder to everyone unfinished in the outbox)
and reused while its schema version is the newest migration's. Against it: /stats as the bot
reads it, the CSV pack and the whole pack as bench/export.py runs them, updates through the
real Application as bench/updates.py walks them, the reminder query, the pump's claim, /delete,
the backup, start-up; and the plan of every query that runs while respondents answer.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.storage.repository import MIGRATIONS, Repository

RESPONDENTS = 1_000_000
FOLDER = Path(__file__).resolve().parent / "out" / "scale"
DATABASE = FOLDER / "bot.sqlite3"  # the name bench/startup.py starts the bot on
BUILT = FOLDER / "built.json"
WALKERS = 500  # respondents walking the whole journey for the latency figure
TRACED = 20  # respondents walking it while every statement is recorded
XLSX_LIMIT = 600  # seconds: twice the goal; a workbook not done by then is not measured
# Tables that grow with respondents: a plan that reads one of them whole is a finding.
BIG = ("users", "respondents", "answers", "comment_parts", "voice_notes", "round_entries",
       "outbox")  # fmt: skip


def schema_version() -> int:
    """The newest migration's number: what PRAGMA user_version says once it is applied."""
    return max(int(script.name[:3]) for script in MIGRATIONS.glob("[0-9][0-9][0-9]_*.sql"))


def database() -> tuple[Path, float | None]:
    """The synthetic database, built unless one of the current schema is there; the build's
    time when it was built now."""
    version = schema_version()
    if BUILT.exists() and DATABASE.exists():
        made = json.loads(BUILT.read_text())
        with sqlite3.connect(f"file:{DATABASE}?mode=ro", uri=True) as db:
            stored = int(db.execute("PRAGMA user_version").fetchone()[0])
        db.close()
        if made == {"respondents": RESPONDENTS, "user_version": version} and stored == version:
            return DATABASE, None
    from bench.synthetic import build  # noqa: PLC0415 - only when building

    BUILT.unlink(missing_ok=True)
    FOLDER.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    build(DATABASE, RESPONDENTS)
    _fill_outbox(DATABASE)
    built = time.perf_counter() - started
    BUILT.write_text(json.dumps({"respondents": RESPONDENTS, "user_version": version}))
    return DATABASE, built


def _fill_outbox(path: Path) -> None:
    """What a running consultation leaves in the outbox: one broadcast delivered to everyone
    who wanted news, one reminder delivered to everyone unfinished."""
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO broadcasts (id, admin_id, admin_chat, step, draft, audience, status,"
            " total, created_at, started_at, finished_at) VALUES (1, 1, 1, 'done', '{}', 'all',"
            " 'done', 0, '2026-11-20T10:00:00+00:00', '2026-11-20T10:00:00+00:00',"
            " '2026-11-21T10:00:00+00:00')"
        )
        for kind, batch in (("broadcast", 1), ("reminder", None)):
            db.execute(
                "INSERT INTO outbox (kind, batch, user_id, chat_id, payload, status, attempts,"
                " next_at, sent_message_id, created_at, sent_at)"
                " SELECT ?1, ?2, u.user_id, u.chat_id, json_object('language', u.language),"
                " 'sent', 1, u.last_activity_at, 1, u.last_activity_at, u.last_activity_at"
                " FROM users AS u JOIN respondents AS r USING (user_id)"
                " WHERE CASE ?1 WHEN 'broadcast' THEN r.wants_news = 1"
                " ELSE u.status = 'in_progress' END",
                (kind, batch),
            )
        db.execute("UPDATE broadcasts SET total = (SELECT count(*) FROM outbox WHERE batch = 1)")
        db.execute("UPDATE users SET reminders_sent = 1 WHERE status = 'in_progress'")
    db.close()


# The plans --------------------------------------------------------------------------------


@contextmanager
def recording() -> Iterator[list[str]]:
    """Every statement that repositories opened meanwhile send to SQLite, as SQLite ran it
    (parameters filled in)."""
    statements: list[str] = []
    opener = Repository.__dict__["open"]

    async def open_recorded(cls: type[Repository], path: Path) -> Repository:
        repository = await opener.__func__(cls, path)
        # The repository keeps its connections to itself; a benchmark may look. Both: the
        # reads over many rows go to the read-only one (its thread appends, list.append is
        # atomic).
        repository._db.set_trace_callback(statements.append)
        await repository._reader.set_trace_callback(statements.append)
        return repository

    Repository.open = classmethod(open_recorded)  # type: ignore[method-assign,assignment]
    try:
        yield statements
    finally:
        Repository.open = opener  # type: ignore[method-assign]


_LITERAL = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")
_LISTS = re.compile(r"\((?:\?\s*,\s*)+\?\)")


def shape(sql: str) -> str:
    """The statement with its values taken out: one shape per query the code makes."""
    return _LISTS.sub("(?, ...)", _LITERAL.sub("?", " ".join(sql.split())))


def queries(statements: list[str]) -> Counter[str]:
    """How many times each query shape ran (reads and writes; no BEGIN, COMMIT, PRAGMA)."""
    return Counter(
        shape(sql)
        for sql in statements
        if sql.lstrip().split(None, 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE"}
    )


def examples(statements: list[str]) -> dict[str, str]:
    """One statement as it ran, per shape."""
    found: dict[str, str] = {}
    for sql in statements:
        found.setdefault(shape(sql), sql)
    return found


_NOT_ALIASES = "ON|USING|WHERE|JOIN|LEFT|SET|GROUP|ORDER|LIMIT|VALUES|SELECT|DEFAULT"
# The tables a statement names and their aliases: EXPLAIN QUERY PLAN says "SCAN u".
_NAMES = re.compile(
    rf"\b(?:FROM|JOIN|UPDATE|INTO)\s+(\w+)(?:\s+AS\s+(\w+)|\s+(?!(?:{_NOT_ALIASES})\b)(\w+))?",
    re.IGNORECASE,
)


def plan(connection: sqlite3.Connection, sql: str) -> list[str]:
    """EXPLAIN QUERY PLAN of one statement, its lines indented as SQLite nests them."""
    rows = connection.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
    depth = {0: -1}
    lines = []
    for node, parent, _, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + str(detail))
    return lines


def scans(sql: str, lines: list[str]) -> list[str]:
    """The big tables a plan reads whole (a covering index read whole counts too)."""
    aliases = {}
    for table, alias, bare in _NAMES.findall(sql):
        aliases[table.lower()] = table.lower()
        if alias or bare:
            aliases[(alias or bare).lower()] = table.lower()
    found = []
    for line in lines:
        words = line.split()
        if len(words) >= 2 and words[0] == "SCAN":
            table = aliases.get(words[1].lower(), words[1].lower())
            if table in BIG:
                found.append(table)
    return found


def foreign_key_lookups(connection: sqlite3.Connection) -> list[str]:
    """The lookups SQLite makes in each child table when a row of a big table is deleted (a
    cascade reads the child by its key; EXPLAIN QUERY PLAN of a DELETE does not show them)."""
    lookups = []
    tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master"
                                                   " WHERE type = 'table'")]  # fmt: skip
    for child in tables:
        keys: dict[int, list[str]] = {}
        parents = {}
        for key, _, parent, column, *_ in connection.execute(f"PRAGMA foreign_key_list({child})"):
            keys.setdefault(key, []).append(column)
            parents[key] = parent
        for key, columns in keys.items():
            if parents[key] in BIG:
                where = " AND ".join(f"{column} = 1" for column in columns)
                # The names are sqlite_master's own.
                lookups.append(f"SELECT 1 FROM {child} WHERE {where}")  # noqa: S608
    return lookups


def plans(database: Path, statements: list[str], startup: list[str]) -> dict[str, Any]:
    """The plan of every query shape that ran more often than at start-up alone (per update,
    per tick of a job, per /delete), and of the foreign-key lookups a /delete makes; which of
    them read a big table whole."""
    ran, once_ran = queries(statements), queries(startup)
    sample = examples(startup) | examples(statements)
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        checked = {s: sample[s] for s, n in ran.items() if n > once_ran.get(s, 0)}
        checked |= {f"on delete: {sql}": sql for sql in foreign_key_lookups(connection)}
        found = {name: plan(connection, sql) for name, sql in sorted(checked.items())}
        once = {s: plan(connection, sample[s]) for s in sorted(once_ran) if s not in checked}
    connection.close()
    scanning = {name: lines for name, lines in found.items() if scans(checked[name], lines)}
    at_start = {s: lines for s, lines in once.items() if scans(sample[s], lines)}
    return {
        "plans": found,
        "scanning": scanning,
        "startup_plans": once,
        "startup_scanning": at_start,
    }


# The measurements -------------------------------------------------------------------------


async def _walk(database: Path, respondents: int) -> dict[str, float]:
    from bench.updates import walk  # noqa: PLC0415 - the Application, only when walking

    return await walk(database, respondents)


async def _periodic(database: Path) -> dict[str, list[float]]:
    """On the bot's own connection: the reminder query (and how many it found due), and the
    pump's claim."""
    from bot.jobs.reminders import FIRST_REMINDER, SECOND_REMINDER  # noqa: PLC0415

    repository = await Repository.open(database)
    now = datetime.now(UTC)
    times: dict[str, list[float]] = {"reminders": [], "due": [], "claim": []}
    try:
        for _ in range(5):
            begin = time.perf_counter()
            due = await repository.due_reminders(
                first_before=now - FIRST_REMINDER, second_before=now - SECOND_REMINDER
            )
            times["reminders"].append(time.perf_counter() - begin)
            times["due"].append(len(due))
        for _ in range(20):
            begin = time.perf_counter()
            async with repository.transaction():
                await repository.claim_outbox(now=now, limit=50)
            times["claim"].append(time.perf_counter() - begin)
    finally:
        await repository.close()
    return times


async def _delete(database: Path, users: range) -> list[float]:
    """/delete of each of `users`, on the bot's own connection: the seconds of each. The
    walkers go this way, so the database stays as it was built."""
    repository = await Repository.open(database)
    times = []
    try:
        for user_id in users:
            begin = time.perf_counter()
            async with repository.transaction():
                await repository.withdraw(user_id, now=datetime.now(UTC))
            times.append(time.perf_counter() - begin)
    finally:
        await repository.close()
    # Their numbers would otherwise wait for the hourly digest of the next runs.
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM withdrawals")
    db.close()
    return times


def _stats(database: Path) -> list[float]:
    """/stats's reading, as the bot does it (`bot.stats.collect`, off the event loop)."""
    from bot.stats import collect  # noqa: PLC0415

    runs = []
    for _ in range(3):
        begin = time.perf_counter()
        collect(database)
        runs.append(time.perf_counter() - begin)
    return runs


def _backup(database: Path) -> tuple[float, float]:
    """The daily backup's copy (`bot.storage.backup.backup`): seconds and MB."""
    from bot.storage.backup import backup  # noqa: PLC0415

    target = FOLDER / "backup.sqlite3"
    begin = time.perf_counter()
    backup(database, target)
    took = time.perf_counter() - begin
    size = target.stat().st_size / 2**20
    target.unlink()
    return took, size


def _pack(database: Path, *, xlsx: bool) -> dict[str, Any] | None:
    """The export pack as bench/export.py's child writes it; None if not done in XLSX_LIMIT."""
    from bench.export import CHILD  # noqa: PLC0415 - pulls in the export's libraries

    out = FOLDER / ("pack-full" if xlsx else "pack-csv")
    shutil.rmtree(out, ignore_errors=True)
    # A session of its own, so that a child past the limit goes with its helper process.
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(database), str(out), "1" if xlsx else "0"],
        stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        output, _ = child.communicate(timeout=XLSX_LIMIT)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        return None
    finally:
        shutil.rmtree(out, ignore_errors=True)
    if child.returncode != 0:
        raise RuntimeError(f"the export pack failed ({child.returncode})")
    return dict(json.loads(output.strip().splitlines()[-1]))


def run() -> dict[str, Any]:  # noqa: PLR0915 - one figure after another, in the order run
    """Build or reuse the million-respondent database and measure against it."""
    from bench.startup import _once  # noqa: PLC0415 - one start of `python -m bot run`
    from bench.updates import FIRST_USER  # noqa: PLC0415

    path, built = database()
    results: dict[str, Any] = {}
    if built is not None:
        results["scale_build_s"] = round(built, 1)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        for table in ("respondents", "answers", "outbox"):
            count = db.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - our own names
            results[f"scale_{table}"] = int(count.fetchone()[0])
    db.close()
    results["scale_db_mb"] = round(path.stat().st_size / 2**20, 1)

    # The plans: one journey (start-up's queries run once), then more journeys and the
    # periodic queries: a query that ran more often the second time runs while people answer.
    first = range(FIRST_USER, FIRST_USER + 1)
    with recording() as startup:
        asyncio.run(_walk(path, 1))
    asyncio.run(_delete(path, first))
    with recording() as statements:
        asyncio.run(_walk(path, TRACED))
        asyncio.run(_periodic(path))
        asyncio.run(_delete(path, range(FIRST_USER, FIRST_USER + TRACED)))
    found = plans(path, statements, startup)
    results["scale_queries_checked"] = len(found["plans"])
    results["scale_scans"] = len(found["scanning"])
    results["scale_startup_scans"] = len(found["startup_scanning"])
    results["scale_plans"] = found

    walked = asyncio.run(_walk(path, WALKERS))
    results["scale_p99_ms"] = round(walked["p99_ms"], 2)
    results["scale_p50_ms"] = round(walked["p50_ms"], 2)
    results["scale_updates"] = walked["updates"]
    deletes = asyncio.run(_delete(path, range(FIRST_USER, FIRST_USER + WALKERS)))
    results["scale_delete_ms"] = round(1000 * statistics.median(deletes), 2)
    results["scale_delete_max_ms"] = round(1000 * max(deletes), 2)
    times = asyncio.run(_periodic(path))
    results["scale_reminder_query_ms"] = round(1000 * statistics.median(times["reminders"]), 2)
    results["scale_reminders_due"] = int(times["due"][0])
    results["scale_claim_ms"] = round(1000 * statistics.median(times["claim"]), 2)

    startup_s, idle_mb = _once(FOLDER)
    results["scale_startup_s"] = round(startup_s, 2)
    results["scale_idle_rss_mb"] = round(idle_mb, 1)

    runs = _stats(path)
    results["scale_stats_s"] = round(statistics.median(runs), 2)
    results["scale_stats_first_s"] = round(runs[0], 2)
    backup_s, backup_mb = _backup(path)
    results["scale_backup_s"] = round(backup_s, 1)
    results["scale_backup_mb"] = round(backup_mb, 1)

    csv_only = _pack(path, xlsx=False)
    assert csv_only is not None
    results["scale_csv_s"] = round(csv_only["csv"], 1)
    # The exporting process and its one helper process run at once: their peaks add up.
    results["scale_csv_peak_mb"] = round(csv_only["peak_mb"] + csv_only["worker_peak_mb"], 1)
    results["scale_answers_csv_mb"] = round(csv_only["files"]["answers.csv"] / 2**20, 1)
    results["scale_csv_main_peak_mb"] = round(csv_only["peak_mb"], 1)
    results["scale_csv_helper_peak_mb"] = round(csv_only["worker_peak_mb"], 1)
    full = _pack(path, xlsx=True)
    # None drops a figure of an earlier run that this one replaces (bench/__main__.py).
    if full is None:
        results["scale_xlsx_unfinished_after_s"] = XLSX_LIMIT
        results["scale_xlsx_s"] = results["scale_full_peak_mb"] = None
    else:
        results["scale_xlsx_unfinished_after_s"] = None
        results["scale_xlsx_s"] = round(full["xlsx"], 1)
        results["scale_full_peak_mb"] = round(full["peak_mb"] + full["worker_peak_mb"], 1)
    return results
