"""Opinion groups: planted blocs are found with what sets them apart and what they share, the same
data gives the same groups, small data gives none, skips count as the conclusion's mean; and the
pack carries them (opinion_groups.csv, its sheet, the map, the summaries) naming nobody."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from bot.content import Content
from bot.export import CHART_DPI, opinion_columns, write_pack
from bot.groups import MIN_RESPONDENTS, Groups, find_groups
from bot.opinion import describe, numbers_text, stance_array
from bot.storage.reports import StanceMatrix
from tests.harness import Harness, Person, walk_to
from tests.test_export import ALMATY, rows
from tests.test_rounds_export import give_stances
from tests.test_team_side import png_dpi, workbook

SEED = 7  # the noise of the planted blocs


def planted(blocs: list[tuple[list[int], int]], *, noise: float = 0.2) -> np.ndarray:
    """Respondents of each bloc (its stances, how many), each stance moved by one point with
    probability `noise`, kept within 1–5."""
    rng = np.random.default_rng(SEED)
    rows_ = []
    for stances, count in blocs:
        block = np.tile(np.array(stances, dtype=float), (count, 1))
        moved = rng.random(block.shape) < noise
        block[moved] += rng.choice([-1.0, 1.0], size=int(moved.sum()))
        rows_.append(np.clip(block, 1, 5))
    return np.vstack(rows_)


def partition(groups: Groups) -> set[frozenset[int]]:
    """The groups shown, as sets of row indices."""
    return {frozenset(group.members) for group in groups.groups}


def bloc_rows(*counts: int) -> list[frozenset[int]]:
    """The row indices of consecutive blocs of `counts` rows."""
    starts = np.cumsum([0, *counts])
    return [frozenset(range(a, b)) for a, b in itertools.pairwise(starts)]


TWO = [([5, 5, 5, 5, 5, 4], 24), ([1, 1, 1, 1, 1, 4], 24)]
THREE = [([5, 5, 1, 1, 3, 2], 30), ([1, 1, 5, 5, 3, 2], 25), ([3, 3, 3, 3, 5, 2], 20)]


def matrix_of(
    stances: np.ndarray, profiles: list[tuple[str, str, str]] | None = None
) -> StanceMatrix:
    """A StanceMatrix of round 1 over conclusion-1 … conclusion-6."""
    count = len(stances)
    return StanceMatrix(
        round=1,
        respondents=list(range(1, count + 1)),
        stances={f"conclusion-{n + 1}": stances[:, n].tolist() for n in range(stances.shape[1])},
        profiles=profiles or [("student", "almaty", "en")] * count,
    )


def test_two_planted_blocs_are_found_with_what_splits_them_and_what_they_share() -> None:
    """Two blocs opposed on conclusions 1–5 who both agree with 6: two groups, exactly the
    blocs, apart on three of 1–5, consensus on 6."""
    groups = find_groups(planted(TWO, noise=0.1))
    assert groups is not None
    assert groups.k == 2 and groups.hidden == 0
    assert partition(groups) == set(bloc_rows(24, 24))
    for group in groups.groups:
        assert len(group.distinct) == 3 and set(group.distinct) <= {0, 1, 2, 3, 4}
    assert groups.consensus == (5,)
    first = groups.groups[0]
    high = bloc_rows(24, 24)[0] == frozenset(first.members)
    assert (first.means[0] > 4) == high and abs(first.means[5] - 4) < 0.5


def test_three_planted_blocs_are_found_largest_first() -> None:
    """Three blocs of 30, 25 and 20: groups A, B, C are those blocs in that order, and the
    conclusion all of them disagree with is the consensus."""
    groups = find_groups(planted(THREE, noise=0.1))
    assert groups is not None
    assert [g.name for g in groups.groups] == ["A", "B", "C"]
    assert [frozenset(g.members) for g in groups.groups] == bloc_rows(30, 25, 20)
    assert groups.consensus == (5,)
    assert 4 in groups.groups[2].distinct  # only C strongly agrees with conclusion 5
    assert sum(groups.explained) > 0.5


def test_the_same_data_gives_the_same_groups_in_any_row_order() -> None:
    """Run twice, the labels are identical; with the rows shuffled the partition is the same."""
    stances = planted(THREE, noise=0.25)
    once, again = find_groups(stances), find_groups(stances)
    assert once is not None and again is not None
    assert once.labels.tolist() == again.labels.tolist()
    assert np.allclose(once.points, again.points)
    order = np.random.default_rng(3).permutation(len(stances))
    shuffled = find_groups(stances[order])
    assert shuffled is not None
    assert {frozenset(int(order[i]) for i in g.members) for g in shuffled.groups} == partition(
        once
    )


def test_small_data_gives_no_groups_and_a_small_group_is_not_shown() -> None:
    """19 respondents: none; three outliers beside two blocs of 24 are left out of every group."""
    stances = planted(TWO)
    assert find_groups(stances[: MIN_RESPONDENTS - 1]) is None
    assert find_groups(stances[:MIN_RESPONDENTS]) is not None
    outliers = np.array([[5, 1, 5, 1, 5, 1]] * 3, dtype=float)
    groups = find_groups(np.vstack([stances, outliers]))
    assert groups is not None
    assert groups.hidden == 3 and groups.labels[-3:].tolist() == ["", "", ""]
    assert partition(groups) == set(bloc_rows(24, 24))


def test_skips_count_as_the_conclusions_mean() -> None:
    """Skipped stances (a fifth of them, and a conclusion nobody answered) change nothing of
    the blocs; the means are of the stances given and the mean put in for skips."""
    stances = planted(TWO, noise=0.1)
    stances = np.column_stack([stances, np.full(len(stances), np.nan)])
    holes = np.random.default_rng(11).random(stances.shape) < 0.2
    skipped = np.where(holes, np.nan, stances)
    groups = find_groups(skipped)
    assert groups is not None
    assert partition(groups) == set(bloc_rows(24, 24))
    assert groups.consensus == (5,)  # the unanswered conclusion is nobody's consensus
    column = skipped[:, 5]
    filled = np.where(np.isnan(column), np.nanmean(column), column)
    first = groups.groups[0]
    assert first.means[5] == pytest.approx(filled[list(first.members)].mean())
    assert first.means[6] == pytest.approx(3.0)


def test_the_description_names_the_split_the_consensus_and_each_group(content: Content) -> None:
    """Two groups of 24 split on 1–5 and agree with 6; each group with its means and a profile
    mix whose counts under 5 show as <5."""
    stances = planted(TWO, noise=0.1)
    profiles = [("student", "almaty", "kk" if n % 8 == 0 else "en") for n in range(48)]
    matrix = matrix_of(stances, profiles)
    groups = find_groups(stance_array(matrix, [c.id for c in content.conclusions]))
    lines = describe(matrix, groups, content, "en")
    assert lines[0] == "Opinion groups in round 1: 2 groups (A 24, B 24); 48 submitted."
    assert lines[1] == "They split most on conclusions 1–5."
    assert lines[2] == "Every group agrees with conclusion 6."
    assert sum(line.startswith("Group ") for line in lines) == 2
    assert any(re.search(r"English 2\d · Қазақша <5", line) for line in lines), lines
    assert all(len(line) <= 120 for line in lines)
    russian = describe(matrix, groups, content, "ru")
    assert any("4," in line for line in russian)  # a decimal comma


def test_without_enough_respondents_the_description_says_why(content: Content) -> None:
    """Below 20 who submitted, the description says how many there are so far."""
    matrix = matrix_of(planted(TWO)[:19])
    assert describe(matrix, None, content, "en") == [
        "Opinion groups need at least 20 respondents who submitted; 19 so far."
    ]
    assert describe(None, None, content, "en")[0].endswith("; 0 so far.")


def test_conclusion_numbers_read_as_ranges() -> None:
    """Runs of three or more become a range."""
    assert numbers_text([1, 2, 3, 4, 5]) == "1–5"
    assert numbers_text([6, 1, 2]) == "1, 2, 6"
    assert numbers_text([1, 3, 4, 5, 7]) == "1, 3–5, 7"


HIGH = [5, 5, 5, 4, 5, 4]
LOW = [1, 2, 1, 1, 2, 4]


async def submit(bot: Harness, person: Person, stances: list[int], language: str) -> None:
    """A whole journey in `language` with these stances, submitted."""
    await walk_to(bot, person, "s1", language=language)
    await give_stances(bot, person, stances)
    await bot.tap(person, "c:sec:_done")
    await bot.tap(person, "c:mkt:_done")
    await bot.tap(person, "c:idea:_none")
    await bot.tap(person, "c:rev:_submit")


async def test_the_pack_has_the_opinion_groups_and_names_nobody(
    bot: Harness, tmp_path: Path
) -> None:
    """22 respondents in two blocs: opinion_groups.csv with a row per group, numbers as
    numbers, profile counts under 5 as <5, no respondent number; its sheet; the 200 dpi map;
    the summaries' paragraph."""
    # Numbers from 900,001: none can pass for a count, a mean or a round in the file.
    bot.db_write("INSERT INTO sqlite_sequence (name, seq) VALUES ('respondents', 900000)")
    people = []
    for n in range(22):
        stances = list(HIGH if n % 2 else LOW)
        stances[n % 5] = min(5, stances[n % 5] + 1) if n % 2 else 2  # not all alike
        person = Person(7_600_000_000 + n)
        await submit(bot, person, stances, "kk" if n % 6 == 0 else "en")
        people.append(person)
    files = write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY)
    names = {path.name for path in files}
    assert {"opinion_groups.csv", "opinion_map.png", "opinion_map-kk.png"} <= names
    raw = (tmp_path / "opinion_groups.csv").read_text(encoding="utf-8-sig")
    groups = rows(tmp_path / "opinion_groups.csv")
    assert list(groups[0]) == opinion_columns(bot.content)
    assert [(g["group"], g["size"]) for g in groups] == [("A", "11"), ("B", "11")]
    high, low = sorted(groups, key=lambda g: -float(g["mean_conclusion-1"]))
    assert float(high["mean_conclusion-1"]) > 4 and float(low["mean_conclusion-1"]) < 2.5
    assert {g["consensus"] for g in groups} == {"conclusion-6"}
    assert set(high["distinct"].split(";")) <= {f"conclusion-{n}" for n in range(1, 6)}
    assert {g["stakeholder_groups"] for g in groups} == {"student 11"}
    assert {g["regions"] for g in groups} == {"almaty 11"}
    assert sorted(g["languages"] for g in groups) == ["en 11", "en 7; kk <5"]  # kk: 0, 6, 12, 18
    assert {g["round"] for g in groups} == {"1"}
    for person in people:
        number = str(await bot.number(person))
        assert int(number) > 900_000 and number not in raw
    sheet = workbook(tmp_path / "consultation.xlsx")["opinion_groups"]
    assert sheet.frozen is not None
    assert {c.kind for c in sheet.rows_of("size")} == {None}  # number cells
    assert {c.kind for c in sheet.rows_of("mean_conclusion-1")} == {None}
    assert png_dpi(tmp_path / "opinion_map.png") == pytest.approx(CHART_DPI, abs=1)
    summary = (tmp_path / "summary-en.txt").read_text(encoding="utf-8")
    assert "Opinion groups in round 1: 2 groups (A 11, B 11); 22 submitted." in summary
    assert "Every group agrees with conclusion 6." in summary


async def test_the_pack_has_the_header_alone_without_groups(bot: Harness, tmp_path: Path) -> None:
    """With one respondent: opinion_groups.csv holds the header, no map, and the summary says
    how many more are needed."""
    await submit(bot, Person(7_600_100_000), HIGH, "en")
    files = write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY)
    assert not any(path.name.startswith("opinion_map") for path in files)
    raw = (tmp_path / "opinion_groups.csv").read_bytes().decode("utf-8-sig")
    assert raw == ",".join(opinion_columns(bot.content)) + "\r\n"
    summary = (tmp_path / "summary-en.txt").read_text(encoding="utf-8")
    assert "Opinion groups need at least 20 respondents who submitted; 1 so far." in summary
