"""The queries that run while respondents answer read through indexes, never a whole table.

At a million respondents a query that reads all of users, answers or the outbox stalls every
update behind it (issue 17); an index dropped by a later migration, or a query written so that
none serves it, fails here first. The plans come from a real SQLite file on tmp_path: without
ANALYZE, SQLite plans the same for a small file as for a big one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.scale import plans, recording, scans
from bench.updates import FIRST_USER, walk
from bot.storage.repository import Repository


async def _periodic_and_delete(path: Path, users: range) -> None:
    """The reminder query, the pump's claim and /delete, on the bot's own connection."""
    repository = await Repository.open(path)
    now = datetime.now(UTC)
    try:
        await repository.due_reminders(
            first_before=now - timedelta(hours=24), second_before=now - timedelta(hours=72)
        )
        async with repository.transaction():
            await repository.claim_outbox(now=now, limit=50)
        for user_id in users:
            async with repository.transaction():
                await repository.withdraw(user_id, now=now)
    finally:
        await repository.close()


async def test_no_query_run_while_respondents_answer_reads_a_whole_big_table(
    tmp_path: Path,
) -> None:
    """Every query of a journey, of the reminder job, the pump and /delete (its cascades too)
    searches an index; none scans users, respondents, answers or the outbox."""
    path = tmp_path / "consultation.sqlite3"
    with recording() as startup:
        await walk(path, 1)
    await _periodic_and_delete(path, range(FIRST_USER, FIRST_USER + 1))
    with recording() as statements:
        await walk(path, 2)
        await _periodic_and_delete(path, range(FIRST_USER, FIRST_USER + 2))
    found = plans(path, statements, startup)

    assert found["scanning"] == {}
    checked = "\n".join(found["plans"])
    for query in ("FROM users AS u JOIN respondents", "FROM outbox AS o", "DELETE FROM users"):
        assert query in checked  # the reminder query, the claim and /delete were among them
    assert any(name.startswith("on delete: SELECT 1 FROM outbox") for name in found["plans"])


def test_the_check_sees_a_scan_through_an_alias() -> None:
    """A plan line "SCAN u" of a statement naming users AS u counts as a scan of users; a
    search does not."""
    sql = "SELECT 1 FROM users AS u JOIN outbox o USING (user_id) WHERE u.status = 'new'"
    assert scans(sql, ["SCAN u", "SEARCH o USING INDEX outbox_user (user_id=?)"]) == ["users"]
    assert scans(sql, ["SEARCH u USING INDEX users_reminders (status=?)"]) == []
