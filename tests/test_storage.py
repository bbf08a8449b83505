"""The storage layer's own contract with what it is built on."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import aiosqlite

from bot.storage.repository import Repository


async def test_aiosqlite_still_offers_the_private_hand_over_the_repository_batches_through(
    tmp_path: Path,
) -> None:
    """`Repository` sends its pending writes, a read and the commit in one trip through
    aiosqlite's private `Connection._execute` and `_conn`, since no public method runs a function
    in the connection's thread. pyproject.toml pins the versions that have them; an upgrade that
    drops or changes them fails here, by name, before anything else does."""
    connection = await aiosqlite.connect(tmp_path / "probe.sqlite3")
    try:
        assert isinstance(await connection._execute(lambda: connection._conn), sqlite3.Connection)
        # The function runs in the thread of every public call, in order with them.
        await connection.create_function("thread_id", 0, threading.get_ident)
        ((public,),) = await connection.execute_fetchall("SELECT thread_id()")
        assert await connection._execute(threading.get_ident) == public
    finally:
        await connection.close()


async def test_pending_writes_reach_sqlite_with_the_next_read_of_their_transaction(
    tmp_path: Path,
) -> None:
    """A deferred write is seen by a read inside its transaction and stored by its commit."""
    repository = await Repository.open(tmp_path / "bot.sqlite3")
    try:
        async with repository.transaction():
            await repository.set_switch("consultation", "closed")
            assert await repository.switch("consultation", "open") == "closed"
        assert await repository.switch("consultation", "open") == "closed"
    finally:
        await repository.close()
