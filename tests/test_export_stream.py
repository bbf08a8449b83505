"""The CSV files of the pack streamed from SQLite: byte for byte what the DataFrames wrote.

The expected digests are of the files the pack wrote before respondents.csv was streamed and
the tallies were counted in one pass (commit 3d50346), on the same deterministic database: a
synthetic round 1, a second round with returning respondents and newcomers, a respondent who
never reached a question, a source that looks like a formula, empty profile answers.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from bench.synthetic import build
from bot import export
from bot.content import load_content
from bot.export import AnswerShare, LocalTime, write_answers, write_pack
from bot.storage.reports import export_connection, first_contact, respondent_ranges
from tests.test_export import ALMATY

RESPONDENTS = 300
# sha256 of each CSV file as commit 3d50346 wrote it from rounds_database(early=...).
EXPECTED = {
    False: {
        "answers.csv": "059c72ae4bce213e9aadf9d07aece1490c85a88cc9c01cce203ae2b17ab6249c",
        "codebook.csv": "9faa5ed54d339c65b9fa72824a6f814dced1bbd6fb9056f001eb294071f11288",
        "opinion_groups.csv": "c794416b0d2d94bb32cca399ef1aee0a8c957cb7940b48dded031b55358ce907",
        "respondents.csv": "3306c5f070f605f9006fe3609736a560bc88f8dea74b5c0258dcbe47134ac723",
        "rounds.csv": "95bb23e6350e8e31e07ce3f01f39d0020866aab50bc77a58fbb5388c10618b67",
        "summary.csv": "a3657ea410b23d76f3b02d2231df461818d01b2394931f6d18238a4e2baeeeee",
    },
}
# With the early first contact only respondents.csv differs (its consent and start times).
EXPECTED[True] = EXPECTED[False] | {
    "respondents.csv": "bf0d20ce94a2fb764b7f9784f6cc552d924341b1f3bac6b2c7032585f4559637"
}


def rounds_database(path: Path, *, early: bool = False) -> Path:
    """A synthetic round 1 of RESPONDENTS, then a round 2: every third respondent returns (every
    sixth submits it), ten newcomers join in it, one respondent reached nothing; with `early`,
    the first contact is before Almaty's offset changed (times formatted one by one)."""
    build(path, RESPONDENTS)
    content = load_content()
    conclusions = [conclusion.id for conclusion in content.conclusions]
    moment = "2026-12-01T08:00:00+00:00"
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO rounds (number, content_version, started_at) VALUES (2, 1, ?)",
                   (moment,))  # fmt: skip
        for number in range(3, RESPONDENTS + 1, 3):
            done = moment if number % 6 == 0 else None
            db.execute(
                "INSERT INTO round_entries (respondent_id, round, invited_at, started_at,"
                " completed_at) VALUES (?, 2, ?, ?, ?)",
                (number, moment, moment, done),
            )
            db.execute(
                "UPDATE users SET round = 2 WHERE user_id = (SELECT user_id FROM respondents"
                " WHERE id = ?)",
                (number,),
            )
            for index, item in enumerate(conclusions[: 2 + number % 5]):
                stance = None if (number + index) % 7 == 0 else 1 + (number * 3 + index) % 5
                comment = "=1+1 changed my mind, really" if (number + index) % 11 == 0 else None
                db.execute(
                    "INSERT INTO answers (respondent_id, round, item, content_version, stance,"
                    " comment, comment_language, reached_at, answered_at, revised, voice_count)"
                    " VALUES (?, 2, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
                    (number, item, stance, comment, "en" if comment else None, moment, moment,
                     index % 2, 1 if (number + index) % 13 == 0 else 0),
                )  # fmt: skip
        for offset in range(1, 12):
            user, number = 20_000_000 + offset, RESPONDENTS + offset
            source = (
                "=cmd|' /C calc'!A0" if offset == 1 else "radio, evening" if offset == 2 else "tv"
            )
            db.execute(
                "INSERT INTO users (user_id, chat_id, language, source, status, step, created_at,"
                " last_activity_at, round) VALUES (?, ?, 'ru', ?, 'in_progress', 's1', ?, ?, 2)",
                (user, user, source, moment, moment),
            )
            db.execute(
                "INSERT INTO respondents (id, user_id, consented_at, consent_version, may_quote,"
                " wants_news, stakeholder_group, region, age_band, gender, started_at,"
                " completed_at, revised_at) VALUES (?, ?, ?, 1, ?, 0, ?, ?, NULL, NULL, ?, ?, ?)",
                (number, user, moment, offset % 2, None if offset == 3 else "artist",
                 None if offset == 4 else "almaty", moment, moment if offset > 6 else None,
                 moment if offset == 8 else None),
            )  # fmt: skip
            if offset == 11:
                continue  # consented, reached nothing yet
            for item in [*conclusions, "sectors", "markets", "idea"]:
                chosen = {"sectors": "music;film", "markets": "china"}.get(item)
                db.execute(
                    "INSERT INTO answers (respondent_id, round, item, content_version, stance,"
                    " choices, comment, reached_at, answered_at) VALUES (?, 2, ?, 1, ?, ?, ?, ?,"
                    " ?)",
                    (number, item, 1 + offset % 5 if item.startswith("conclusion-") else None,
                     chosen, "idea, with \"quotes\"\r\nand lines" if item == "idea" else None,
                     moment, moment),
                )  # fmt: skip
        if early:
            db.execute("UPDATE users SET created_at = '2024-01-15T10:00:00+00:00' WHERE user_id"
                       " = 10000001")  # fmt: skip
            db.execute("UPDATE respondents SET consented_at = '2024-01-15T10:00:00+00:00',"
                       " started_at = '2024-02-29T20:30:00+00:00' WHERE id = 1")  # fmt: skip
    db.close()
    return path


def digests(folder: Path) -> dict[str, str]:
    """sha256 of each CSV file in `folder`."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.glob("*.csv"))
    }


@pytest.mark.parametrize("early", [False, True])
def test_the_csv_files_are_byte_for_byte_those_the_dataframes_wrote(
    tmp_path: Path, early: bool
) -> None:
    """Every CSV file of the pack, respondents.csv streamed in chunks, is what the pack wrote
    before it was streamed."""
    database = rounds_database(tmp_path / "rounds.sqlite3", early=early)
    write_pack(database, tmp_path / "pack", load_content(), zone=ALMATY, xlsx=False,
               charts=False)  # fmt: skip
    assert digests(tmp_path / "pack") == EXPECTED[early]


@pytest.mark.parametrize("here", [0, 5, 31])
def test_answers_shared_between_two_processes_make_the_same_file(
    tmp_path: Path, here: int
) -> None:
    """answers.csv written chunk by chunk from both ends (`AnswerShare`: here the first `here`
    chunks, the helper the rest from the last on) and joined is the file one process writes."""
    database = rounds_database(tmp_path / "rounds.sqlite3")
    content = load_content()
    connection = export_connection(database, LocalTime(ALMATY))
    try:
        offset = LocalTime(ALMATY).fixed_offset(first_contact(connection), None)
        alone = tmp_path / "alone.csv"
        every = write_answers(connection, content, alone, offset)
        share = AnswerShare(tmp_path, list(respondent_ranges(connection, 10)))
        assert len(share.ranges) == 32
        # The helper first, as if this process had already taken the first `here` chunks.
        taken = [tmp_path / f"{index}.claim" for index in range(here)]
        for claim in taken:
            claim.touch()
        helper_rows = share.write_last(connection, content, offset)
        for claim in taken:
            claim.unlink()
        shared = tmp_path / "shared.csv"
        rows = write_answers(connection, content, shared, offset, share)
        share.join(shared)
    finally:
        connection.close()
    assert shared.read_bytes() == alone.read_bytes()
    assert rows + helper_rows == every
    assert (rows > 0) == (here > 0)
    assert not list(tmp_path.glob("answers-*.csv"))  # the parts are joined and gone


def test_the_pack_in_two_processes_is_byte_for_byte_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a helper process (as from PARALLEL_FROM respondents) and answers.csv in small
    chunks shared by the two, the pack's CSV files are those of one process."""
    monkeypatch.setattr(export, "PARALLEL_FROM", 1)
    monkeypatch.setattr(export, "CHUNK", 5)
    database = rounds_database(tmp_path / "rounds.sqlite3")
    write_pack(database, tmp_path / "pack", load_content(), zone=ALMATY, xlsx=False,
               charts=False)  # fmt: skip
    assert digests(tmp_path / "pack") == EXPECTED[False]
