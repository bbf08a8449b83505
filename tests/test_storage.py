"""The storage layer's own contract with what it is built on."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage import repository as storage
from bot.storage.repository import CHECKPOINT_EVERY, Repository, may_change_participants


async def test_long_reads_and_bulk_writes_leave_the_event_loop_and_see_the_same_data(
    tmp_path: Path,
) -> None:
    """A scan reads committed data in another thread; inside a transaction that wrote, it
    sees that transaction's writes; a bulk write runs in a worker thread while other tasks'
    reads wait for it, and is rolled back with its transaction."""
    repository = await Repository.open(tmp_path / "bot.sqlite3")
    loop_thread = threading.get_ident()
    seen: list[int] = []
    repository._db.create_function("thread_id", 0, lambda: seen.append(threading.get_ident()) or 1)
    try:
        async with repository.transaction():
            await repository.set_switch("consultation", "closed")
            assert await repository._scan("SELECT value FROM switches") == [("closed",)]
        assert await repository._scan("SELECT count(*) FROM switches") == [(1,)]
        async with repository.transaction():
            await repository._bulk("UPDATE switches SET value = 'open' WHERE thread_id() = 1")
        assert seen and seen[-1] != loop_thread
        assert await repository.switch("consultation", "closed") == "open"
        try:
            async with repository.transaction():
                await repository._bulk("DELETE FROM switches")
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        assert await repository.switch("consultation", "closed") == "open"
    finally:
        await repository.close()


async def test_a_write_is_seen_by_a_read_inside_its_transaction_and_stored_by_its_commit(
    tmp_path: Path,
) -> None:
    """A write is seen by a read inside its transaction and stored by its commit."""
    repository = await Repository.open(tmp_path / "bot.sqlite3")
    try:
        async with repository.transaction():
            await repository.set_switch("consultation", "closed")
            assert await repository.switch("consultation", "open") == "closed"
        assert await repository.switch("consultation", "open") == "closed"
    finally:
        await repository.close()


async def test_a_cancelled_bulk_write_lets_other_reads_go_on_once_its_statement_ended(
    tmp_path: Path,
) -> None:
    """Cancelling the task of a bulk write (twice) waits for its statement, rolls it back and
    frees the connection: a read of another task waiting on it completes."""
    repository = await Repository.open(tmp_path / "bot.sqlite3")
    slow = (
        "INSERT INTO switches (name, value) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
        " SELECT i + 1 FROM n WHERE i < 300000) SELECT 'k' || i, 'v' FROM n"
    )

    async def bulk() -> None:
        async with repository.transaction():
            await repository._bulk(slow)

    try:
        task = asyncio.create_task(bulk())
        for _ in range(100):  # the task reaches its bulk write within a few loop turns
            if repository._bulk_done is not None:
                break
            await asyncio.sleep(0)
        assert repository._bulk_done is not None
        reader = asyncio.create_task(repository._rows("SELECT count(*) FROM switches"))
        await asyncio.sleep(0)
        task.cancel()
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await asyncio.wait_for(reader, 10) == [(0,)]
        assert repository._bulk_done is None
    finally:
        await repository.close()


async def test_the_write_ahead_log_is_checkpointed_in_a_thread_not_inside_a_commit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No commit checkpoints (SQLite's own checkpoint waits for the disk on the event loop):
    every CHECKPOINT_EVERY commits the log is copied into the file by another thread, what was
    committed meanwhile once more before the next transaction when the log was long (here:
    always), and the log is then written again from its start instead of growing. A
    checkpoint that fails is logged; the bot goes on."""
    monkeypatch.setattr(storage, "LONG_LOG", 0)
    monkeypatch.setattr(storage, "CATCH_UP_WAIT", 30.0)  # a loaded machine's disk: wait it out
    repository = await Repository.open(tmp_path / "bot.sqlite3")
    log = tmp_path / "bot.sqlite3-wal"
    loop_thread = threading.get_ident()
    seen: list[tuple[int, str]] = []
    repository._checkpointer.set_trace_callback(
        lambda sql: seen.append((threading.get_ident(), sql))
    )

    async def commits(count: int) -> None:
        for number in range(count):
            async with repository.transaction():
                await repository.set_switch("consultation", f"value {number}")

    async def copied() -> None:
        """Wait for the copy started by the commits to end (the next transaction, which may
        have begun already, copies what came meanwhile)."""
        if repository._checkpointing is not None:  # its failure, if it fails, is logged later
            await asyncio.wait({asyncio.wrap_future(repository._checkpointing)})

    try:
        assert repository._db.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        await commits(CHECKPOINT_EVERY - 1)
        assert repository._checkpointing is None
        grown = log.stat().st_size  # every commit so far, none copied into the file yet
        await commits(1)
        await copied()
        assert [sql for _, sql in seen] == ["PRAGMA wal_checkpoint(PASSIVE)"]
        assert seen[0][0] != loop_thread
        await commits(1)  # the copy of what came meanwhile (nothing), then the transaction
        assert len(seen) == 2
        assert repository._checkpointing is None
        for _ in range(2):
            await commits(CHECKPOINT_EVERY)
            await copied()
            await commits(1)
        # Each copy and the copy of what came meanwhile, all in the thread.
        assert len(seen) == 6
        assert loop_thread not in {thread for thread, _ in seen}
        assert log.stat().st_size <= grown * 1.2  # not three times as long: written again
        repository._checkpointer.close()  # the next checkpoint fails
        await commits(CHECKPOINT_EVERY)
        await copied()
        await commits(1)
        assert "not checkpointed" in caplog.text
        assert await repository.switch("consultation", "") == "value 0"  # the last commit
    finally:
        await repository.close()


async def test_the_log_stays_short_under_commits_back_to_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loop that never waits (a backlog of updates whose statements all run at once) still
    has its log copied, and written again from its start once it is long: commits made while
    a copy runs are copied before the next transaction, with no writer running, so the log
    does not grow with the number of commits."""
    monkeypatch.setattr(storage, "LONG_LOG", 2 * CHECKPOINT_EVERY)  # pages; 4,096 in the bot
    repository = await Repository.open(tmp_path / "bot.sqlite3")
    log = tmp_path / "bot.sqlite3-wal"
    commits = 40 * CHECKPOINT_EVERY
    sizes = []
    try:
        for number in range(commits):  # nothing here waits but the transactions
            async with repository.transaction():
                await repository.set_switch("consultation", f"value {number}")
            sizes.append(log.stat().st_size)
        # Never written again from its start, the log would hold every commit, a page or more
        # each; it holds a long log's pages, a copy's and those committed while copies ran
        # (about 600 pages in all on a quiet machine, 900 on a loaded one).
        page = 4096 + 24  # a page and its frame header
        assert max(sizes) < 10 * CHECKPOINT_EVERY * page < commits * page / 3
    finally:
        await repository.close()


async def test_a_short_log_keeps_no_writer_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy that found the log short (a quiet moment: it copied it whole) is all: the next
    transaction runs no second copy."""
    monkeypatch.setattr(storage, "LONG_LOG", 10 * CHECKPOINT_EVERY)
    repository = await Repository.open(tmp_path / "bot.sqlite3")
    seen: list[str] = []
    repository._checkpointer.set_trace_callback(seen.append)
    try:
        for number in range(CHECKPOINT_EVERY):
            async with repository.transaction():
                await repository.set_switch("consultation", f"value {number}")
        assert repository._checkpointing is not None
        await asyncio.wait({asyncio.wrap_future(repository._checkpointing)})
        async with repository.transaction():
            await repository.set_switch("consultation", "after")
        assert seen == ["PRAGMA wal_checkpoint(PASSIVE)"]
        assert repository._checkpointing is None
    finally:
        await repository.close()


async def test_closing_waits_for_the_transaction_under_way(tmp_path: Path) -> None:
    """close() lets the transaction under way commit, then closes: nothing of it is lost, and
    it is not reported as failed."""
    repository = await Repository.open(tmp_path / "bot.sqlite3")
    writing, finish = asyncio.Event(), asyncio.Event()

    async def write() -> None:
        async with repository.transaction():
            await repository.set_switch("consultation", "written before the close")
            writing.set()
            await finish.wait()

    writer = asyncio.create_task(write())
    await writing.wait()
    closing = asyncio.create_task(repository.close())
    await asyncio.sleep(0.05)
    assert not closing.done()  # waiting for the transaction
    finish.set()
    await writer  # committed, no error
    await closing
    again = await Repository.open(tmp_path / "bot.sqlite3")
    try:
        assert await again.switch("consultation", "") == "written before the close"
    finally:
        await again.close()


@pytest.mark.parametrize(
    ("sql", "may"),
    [
        ("\nSELECT u.user_id FROM users AS u WHERE u.user_id = ?", False),
        ("UPDATE answers SET stance = ? WHERE respondent_id = ?", False),
        ("INSERT INTO answers (respondent_id) VALUES (?) ON CONFLICT DO NOTHING", False),
        ("insert into outbox (user_id) values (?)", False),
        ("UPDATE users SET step = ? WHERE user_id = ?", True),
        ("UPDATE users AS u SET step = ? WHERE step = ?", True),
        ("INSERT OR IGNORE INTO respondents (user_id) VALUES (?)", True),
        ("UPDATE  round_entries\n SET started_at = ?", True),
        ("DELETE FROM answers WHERE respondent_id = ?", True),  # a cascade may reach them
        ("WITH x AS (SELECT 1) UPDATE answers SET stance = 1", True),  # not recognised
    ],
)
def test_which_statements_may_change_a_participant(sql: str, may: bool) -> None:
    """What `Turn.reload` trusts: a statement on a participant's tables, or one not
    recognised, counts as changing them; reads and writes of other tables do not."""
    assert may_change_participants(sql) is may


async def test_rollbacks_and_bulk_writes_count_as_participant_writes(tmp_path: Path) -> None:
    """A rollback may undo what was read since, a bulk write touch anyone: both count."""
    repo = await Repository.open(tmp_path / "count.sqlite3")
    try:
        now = datetime(2026, 12, 3, tzinfo=UTC)
        before = repo.participant_writes
        async with repo.transaction():
            await repo.add_admin(1, by=1, now=now)
        assert repo.participant_writes == before  # another table
        with pytest.raises(RuntimeError):
            async with repo.transaction():
                await repo.add_admin(2, by=1, now=now)
                raise RuntimeError("fails before its commit")
        assert repo.participant_writes == before + 1
        async with repo.transaction():  # nobody stands there: no row moved, counted all the same
            await repo.move_step("s9", False, returning=False, to="s1", editing_after=False)
        assert repo.participant_writes == before + 2
    finally:
        await repo.close()


async def test_an_answers_write_makes_sure_of_its_row_in_the_same_statement(
    tmp_path: Path,
) -> None:
    """A stance, a choice or an item's end on an item never reached inserts its row (reached
    then) in the one statement that writes it; on an answered item a change marks it revised
    and a repeat does not; the profile's revision time is noted in its own UPDATE."""
    repository = await Repository.open(tmp_path / "bot.sqlite3")
    then = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    later = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)
    run: list[str] = []
    try:
        async with repository.transaction():
            await repository.add_user(
                user_id=7, chat_id=7, language_code="en", source="direct", now=then
            )
            respondent = await repository.consent(7, version=1, now=then)
        repository._db.set_trace_callback(run.append)
        async with repository.transaction():
            await repository.save_stance(
                respondent, "conclusion-1", 4, round=1, version=3, now=then
            )
            await repository.save_choices(
                respondent, "sectors", ("music",), round=1, version=3, now=then
            )
            await repository.finish_item(respondent, "markets", round=1, version=3, now=then)
        assert [s.split(None, 3)[:3] for s in run[1:-1]] == [["INSERT", "INTO", "answers"]] * 3
        answers = await repository.answers(respondent, round=1)
        assert answers["conclusion-1"].stance == 4 and answers["conclusion-1"].answered_at is None
        assert answers["sectors"].choices == ("music",)
        assert answers["markets"].answered_at == "2026-12-04T10:00:00+00:00"
        assert not any(answer.revised for answer in answers.values())

        async with repository.transaction():
            await repository.finish_item(respondent, "conclusion-1", round=1, version=3, now=then)
            await repository.save_stance(  # the same stance again: no revision
                respondent, "conclusion-1", 4, round=1, version=3, now=later
            )
        assert not (await repository.answers(respondent, round=1))["conclusion-1"].revised
        async with repository.transaction():
            await repository.save_stance(
                respondent, "conclusion-1", 2, round=1, version=4, now=later
            )
            await repository.finish_item(  # answered before: its first time stays
                respondent, "conclusion-1", round=1, version=4, now=later
            )
        changed = (await repository.answers(respondent, round=1))["conclusion-1"]
        assert (changed.stance, changed.content_version, changed.revised) == (2, 4, True)
        assert changed.answered_at == "2026-12-04T10:00:00+00:00"

        revised_at = "SELECT revised_at FROM respondents WHERE id = ?"
        async with repository.transaction():
            await repository.set_profile(respondent, "region", "almaty", now=then)
        assert await repository._row(revised_at, (respondent,)) == (None,)  # not submitted
        repository._db.execute("UPDATE respondents SET completed_at = ?", ("2026-12-04",))
        async with repository.transaction():
            await repository.set_profile(respondent, "region", "almaty", now=later)
        assert await repository._row(revised_at, (respondent,)) == (None,)  # the same answer
        async with repository.transaction():
            await repository.set_profile(respondent, "region", "astana", now=later)
        assert await repository._row(revised_at, (respondent,)) == ("2026-12-04T11:00:00+00:00",)
    finally:
        await repository.close()
