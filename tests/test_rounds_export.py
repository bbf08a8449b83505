"""The export pack, /stats and the weekly summary across rounds: each round's answers kept apart,
rounds.csv's figures as a Delphi study reads them, and the voice files of two rounds apart.

The database is made by the bot itself: round 1 answered through the journey, round 2 opened
with /round start, returning respondents taking up its invitation, a newcomer in round 2, and
someone whose unfinished first journey carries on in round 2.
"""

from __future__ import annotations

import asyncio
import math
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.content import LANGUAGES
from bot.export import CHART_DPI, ROUNDS_COLUMNS, write_pack
from bot.i18n import translator
from bot.jobs.packs import download_voices
from bot.purge import purge_pack
from bot.stats import collect, format_stats
from bot.storage.reports import VOICE_LIST
from tests.harness import OWNER, Harness, Person, current, walk_to
from tests.test_export import ALMATY, rows
from tests.test_team_side import png_dpi, workbook

Stances = Sequence[int | None]  # per conclusion 1..6: the stance given, None for a skip

ALICE, BORIS, CHEN, DANA, ERLAN, FARIDA = (7_500_000_000 + n for n in range(1, 7))
# Round 1: four submit; Farida gives one stance and stops, so her journey carries on in round 2.
FIRST: dict[int, Stances] = {
    ALICE: [5, 4, 1, 4, 4, 4],
    BORIS: [4, 4, 2, 4, 4, 4],
    CHEN: [4, 4, 5, 4, 4, 4],
    DANA: [2, 4, None, 4, 4, 4],
}
FARIDA_FIRST: Stances = [3]
# Round 2: Alice and Boris come back and submit, Chen stops at conclusion 4, Dana stays away;
# Erlan is new in round 2 and takes the whole journey.
SECOND: dict[int, Stances] = {
    ALICE: [4, None, 1, 4, 4, 4],
    BORIS: [4, 5, 4, 4, 4, 4],
    CHEN: [4, 4, 3],
    ERLAN: [5, 4, 2, 4, 4, 4],
}


async def give_stances(
    bot: Harness, person: Person, stances: Stances, *, voice_on: int | None = None
) -> None:
    """Answer conclusions 1, 2, ... in turn: the stance (or Skip), then no comment, or a voice
    message on conclusion `voice_on`."""
    for number, stance in enumerate(stances, start=1):
        await bot.tap(person, f"c:s{number}:{'_skip' if stance is None else stance}")
        if number == voice_on:
            await bot.voice(person, seconds=12)
            await bot.tap(person, f"c:m{number}:_done")
        else:
            await bot.tap(person, f"c:m{number}:_none")


async def first_journey(
    bot: Harness, person: Person, stances: Stances, *, voice_on: int | None = None
) -> None:
    """A whole first journey, one sector chosen, submitted."""
    await walk_to(bot, person, "s1")
    await give_stances(bot, person, stances, voice_on=voice_on)
    await bot.tap(person, "c:sec:music:1")
    await bot.tap(person, "c:sec:_done")
    await bot.tap(person, "c:mkt:_done")
    await bot.tap(person, "c:idea:_none")
    await bot.tap(person, "c:rev:_submit")
    assert (await bot.participant(person)).status == "submitted"


async def two_rounds(bot: Harness) -> dict[int, int]:
    """The two rounds above; return each person's pseudonymous number."""
    people = {who: Person(who) for who in (ALICE, BORIS, CHEN, DANA, ERLAN, FARIDA)}
    for who, stances in FIRST.items():
        await first_journey(bot, people[who], stances, voice_on=1 if who == ALICE else None)
    await walk_to(bot, people[FARIDA], "s1")
    await give_stances(bot, people[FARIDA], FARIDA_FIRST)
    owner = Person(OWNER)
    await bot.send(owner, "/round start")
    await bot.tap(owner, f"r:start:2:{bot.content.version}")
    for who in (ALICE, BORIS, CHEN):
        await bot.send(people[who], "I am back")  # the open round's invitation
        await bot.tap(people[who], "c:round:2")
        await give_stances(bot, people[who], SECOND[who], voice_on=1 if who == ALICE else None)
        if len(SECOND[who]) == len(bot.content.conclusions):
            assert await current(bot, people[who]) == "rev"
            await bot.tap(people[who], "c:rev:_submit")
    await first_journey(bot, people[ERLAN], SECOND[ERLAN])
    return {who: await bot.number(person) for who, person in people.items()}


def given(by_person: dict[int, Stances], conclusion: int) -> dict[int, int]:
    """Who gave which stance on conclusion `conclusion` (1-based), skips left out."""
    found = {}
    for who, stances in by_person.items():
        stance = stances[conclusion - 1] if len(stances) >= conclusion else None
        if stance is not None:
            found[who] = stance
    return found


def quantile(values: list[int], q: float) -> float:
    """The q quantile as R's type 7 computes it, from the sorted values."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def expected_row(now: dict[int, int], earlier: dict[int, int] | None) -> dict[str, Any]:
    """rounds.csv's figures of one conclusion and round from the stances given in it (`now`)
    and, from round 2, in the round before (`earlier`), by person."""
    values = list(now.values())
    n = len(values)
    agree = sum(v >= 4 for v in values) / n
    disagree = sum(v <= 2 for v in values) / n
    iqr = quantile(values, 0.75) - quantile(values, 0.25)
    row: dict[str, Any] = {
        "n": n, "median": quantile(values, 0.5), "iqr": iqr, "agree": agree,
        "neutral": sum(v == 3 for v in values) / n, "disagree": disagree,
        "consensus": int(max(agree, disagree) >= 0.7 and iqr <= 1),
    }  # fmt: skip
    if earlier is not None:
        both = [who for who in now if who in earlier]
        row["changed"] = sum(earlier[w] != now[w] for w in both) / len(both) if both else None
    return row


def second_round_stances() -> dict[int, Stances]:
    """Everyone's round-2 stances: the returning, the newcomer, and Farida's carried over."""
    return {**SECOND, FARIDA: FARIDA_FIRST}


@pytest.fixture
async def pack(bot: Harness, tmp_path: Path) -> tuple[Path, dict[int, int]]:
    """The two rounds' pack, without its charts (drawn where a test looks at them); and each
    person's pseudonymous number."""
    numbers = await two_rounds(bot)
    write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY, charts=False)
    return tmp_path, numbers


async def test_answers_keep_each_round_apart_with_its_own_status(
    pack: tuple[Path, dict[int, int]],
) -> None:
    """answers.csv has a row per item reached per round, with its round; round 2 leaves round 1
    as it was; each row's status is of its round (a returning respondent's unfinished round 2
    is in progress, their round 1 submitted); an unfinished first journey moved to round 2."""
    folder, numbers = pack
    answers = rows(folder / "answers.csv")
    assert list(answers[0])[-1] == "round"
    by = {(r["respondent"], r["round"], r["item"]): r for r in answers}
    assert len(by) == len(answers)  # one row per respondent, round and item
    alice, chen, erlan, farida = (str(numbers[w]) for w in (ALICE, CHEN, ERLAN, FARIDA))
    for number, stances in ((1, FIRST[ALICE]), (2, SECOND[ALICE])):
        for conclusion, stance in enumerate(stances, start=1):
            row = by[(alice, str(number), f"conclusion-{conclusion}")]
            assert row["stance"] == ("" if stance is None else str(stance))
            assert row["status"] == "submitted"
    assert {item for who, number, item in by if who == alice and number == "2"} == {
        f"conclusion-{n}" for n in range(1, 7)
    }  # a returning respondent answers the conclusions only
    assert by[(alice, "1", "sectors")]["choices"] == "music"
    assert {by[(chen, "1", f"conclusion-{n}")]["status"] for n in range(1, 7)} == {"submitted"}
    assert by[(chen, "2", "conclusion-3")]["status"] == "in_progress"
    assert by[(chen, "2", "conclusion-3")]["stance"] == "3"
    assert by[(erlan, "2", "idea")]["status"] == "submitted"  # a newcomer's first round
    assert not [key for key in by if key[0] == erlan and key[1] == "1"]
    assert by[(farida, "2", "conclusion-1")]["stance"] == "3"
    assert by[(farida, "2", "conclusion-1")]["status"] == "in_progress"
    assert not [key for key in by if key[0] == farida and key[1] == "1"]
    # In the respondent's order: round 1 in journey order, then round 2.
    alices = [(r["round"], r["item"]) for r in answers if r["respondent"] == alice]
    assert alices[0] == ("1", "conclusion-1") and alices[9] == ("2", "conclusion-1")


async def test_voice_files_of_two_rounds_have_names_of_their_own(
    bot: Harness, pack: tuple[Path, dict[int, int]]
) -> None:
    """A voice comment on the same conclusion in rounds 1 and 2 gets two names (round 1's as
    before); both are fetched under them, and /delete's purge finds both."""
    folder, numbers = pack
    alice = numbers[ALICE]
    answers = rows(folder / "answers.csv")
    audio = {
        r["round"]: r["comment_audio"]
        for r in answers
        if r["respondent"] == str(alice) and r["item"] == "conclusion-1"
    }
    assert audio == {
        "1": f"voice/{alice}-conclusion-1-1.ogg",
        "2": f"voice/{alice}-conclusion-1-round2-1.ogg",
    }
    listed = [line.split("\t")[0] for line in (folder / VOICE_LIST).read_text().splitlines()]
    assert listed == [audio["1"], audio["2"]]

    class Download:
        async def download_to_drive(self, target: Path) -> None:
            await asyncio.to_thread(target.write_bytes, b"OggS")

    class Telegram:
        async def get_file(self, file_id: str) -> Download:
            return Download()

    fetch = await download_voices(Telegram(), folder)  # type: ignore[arg-type]
    assert [path.relative_to(folder).as_posix() for path in fetch.fetched] == listed
    assert purge_pack(folder, [alice])
    assert list((folder / "voice").iterdir()) == []
    assert str(alice) not in {r["respondent"] for r in rows(folder / "answers.csv")}
    sheets = workbook(folder / "consultation.xlsx")  # written again, the rounds sheet too
    assert list(sheets) == [
        "answers",
        "respondents",
        "summary",
        "rounds",
        "opinion_groups",
        "codebook",
    ]
    assert {c.kind for c in sheets["rounds"].rows_of("agree")} == {None}


async def test_respondents_hold_the_first_round_and_a_column_per_later_round(
    pack: tuple[Path, dict[int, int]],
) -> None:
    """respondents.csv: the stance columns hold the first round's stances, first_round says
    which, stance_conclusion_N_round2 the round-2 stances (a newcomer's too), empty where none
    was given; status is submitted for anyone who ever submitted."""
    folder, numbers = pack
    people = {r["respondent"]: r for r in rows(folder / "respondents.csv")}
    alice, chen, dana = (people[str(numbers[w])] for w in (ALICE, CHEN, DANA))
    erlan, farida = people[str(numbers[ERLAN])], people[str(numbers[FARIDA])]
    assert (alice["first_round"], alice["stance_conclusion_1"]) == ("1", "5")
    assert (alice["stance_conclusion_1_round2"], alice["stance_conclusion_2_round2"]) == ("4", "")
    assert (chen["status"], chen["stance_conclusion_3_round2"]) == ("submitted", "3")
    assert chen["stance_conclusion_4_round2"] == ""
    assert dana["stance_conclusion_1_round2"] == "" and dana["stance_conclusion_1"] == "2"
    assert (erlan["first_round"], erlan["stance_conclusion_1"]) == ("2", "5")
    assert erlan["stance_conclusion_1_round2"] == "5"
    assert (farida["first_round"], farida["status"], farida["stance_conclusion_1"]) == (
        "2", "in_progress", "3"
    )  # fmt: skip
    assert erlan["sector_music"] == "1" and alice["sector_music"] == "1"
    assert not [name for name in alice if name.endswith("_round1")]
    header = list(alice)
    assert header.index("first_round") > header.index("sector_music")  # older columns stay put


async def test_summary_counts_each_round_apart(pack: tuple[Path, dict[int, int]]) -> None:
    """summary.csv: a row per item and round, counted as before within the round."""
    folder, _ = pack
    summary = {(r["item"], r["round"], r["option"]): r for r in rows(folder / "summary.csv")}
    first, second = summary[("conclusion-1", "1", "")], summary[("conclusion-1", "2", "")]
    assert (first["reached"], first["answered"], first["stance_4"], first["stance_5"]) == (
        "4", "4", "2", "1"
    )  # fmt: skip
    assert (second["answered"], second["stance_3"], second["stance_4"], second["stance_5"]) == (
        "5", "1", "3", "1"
    )  # fmt: skip
    assert summary[("conclusion-2", "2", "")]["skipped"] == "1"
    assert summary[("conclusion-1", "1", "")]["voice_comments"] == "1"
    assert summary[("conclusion-1", "2", "")]["voice_comments"] == "1"
    # The options are asked once, in a first journey: Erlan's in round 2.
    assert summary[("sectors", "1", "music")]["chosen"] == "4"
    assert summary[("sectors", "2", "music")]["chosen"] == "1"


async def test_rounds_csv_has_the_delphi_figures_of_each_round(
    bot: Harness, pack: tuple[Path, dict[int, int]]
) -> None:
    """rounds.csv: per conclusion and round, n, median and IQR (type 7), the shares, consensus
    and, from round 2, the share whose stance changed: each as computed here from the stances
    given; numbers, not text, in the workbook."""
    folder, _ = pack
    table = rows(folder / "rounds.csv")
    assert tuple(table[0]) == ROUNDS_COLUMNS
    assert [(r["item"], r["round"]) for r in table] == [
        (f"conclusion-{n}", str(number)) for n in range(1, 7) for number in (1, 2)
    ]
    by = {(r["item"], int(r["round"])): r for r in table}
    for conclusion in range(1, 7):
        earlier, now = given(FIRST, conclusion), given(second_round_stances(), conclusion)
        for number, stances, before in ((1, earlier, None), (2, now, earlier)):
            row = by[(f"conclusion-{conclusion}", number)]
            expected = expected_row(stances, before)
            assert int(row["n"]) == expected["n"], row
            for name in ("median", "iqr", "agree", "neutral", "disagree"):
                assert float(row[name]) == pytest.approx(expected[name], abs=5e-5), (name, row)
                assert len(row[name].partition(".")[2]) <= 4, row  # rounded to 4 decimals
            assert int(row["consensus"]) == expected["consensus"], row
            if number == 1:
                assert row["changed"] == ""
            else:
                assert float(row["changed"]) == pytest.approx(expected["changed"], abs=5e-5)
            assert row["content_version"] == str(bot.content.version)
    # The figures worked by hand, for the reader: conclusion 1 in round 2 is 3, 4, 4, 4, 5.
    assert (by[("conclusion-1", 2)]["median"], by[("conclusion-1", 2)]["iqr"]) == ("4.0", "0.0")
    assert by[("conclusion-1", 2)]["changed"] == "0.3333"  # Alice 5 -> 4 of three
    assert by[("conclusion-3", 1)]["consensus"] == "0"
    sheet = workbook(folder / "consultation.xlsx")["rounds"]
    assert sheet.frozen is not None and sheet.frozen["topLeftCell"] == "A2"
    for name in ("round", "n", "median", "iqr", "agree", "consensus", "changed"):
        cells = sheet.rows_of(name)
        assert cells and {c.kind for c in cells} == {None}, name
    assert float(sheet.rows_of("changed")[0].value) == pytest.approx(1 / 3, abs=5e-5)


async def test_the_codebook_explains_the_round_columns(pack: tuple[Path, dict[int, int]]) -> None:
    """codebook.csv describes round, first_round, the round columns of respondents.csv and
    every rounds.csv column, labelled in kk, ru and en; the rounds and consensus are coded."""
    folder, _ = pack
    codebook = {(r["variable"], r["value"]): r for r in rows(folder / "codebook.csv")}
    for name in ("round", "first_round", "stance_conclusion_N_roundR", *ROUNDS_COLUMNS):
        entry = codebook[(name, "")]
        assert entry["description"], name
        if name not in ("item", "content_version"):
            kk, ru, en = (entry[f"label_{language}"] for language in ("kk", "ru", "en"))
            assert en and kk not in ("", en) and ru not in ("", en), (name, kk, ru, en)
    assert "type 7" in codebook[("median", "")]["description"]
    assert "0.70" in codebook[("consensus", "")]["description"]
    assert codebook[("round", "2")]["label_en"] == "Round 2"
    assert codebook[("consensus", "1")]["label_ru"].startswith("Консенсус есть")
    assert "70%" in codebook[("consensus", "1")]["label_kk"]


async def test_the_summary_names_the_consensus_of_the_newest_round(
    bot: Harness, pack: tuple[Path, dict[int, int]]
) -> None:
    """summary-<language>.txt speaks of round 2: its stances, and the conclusions that reached
    consensus in it, by number and title; a round where none did says so."""
    folder, _ = pack
    reached = [1, 2, 4, 5, 6]  # conclusion 3 is split in round 2: 1, 4, 3, 2
    for language in LANGUAGES:
        text = (folder / f"summary-{language}.txt").read_text(encoding="utf-8")
        titles = {c.number: f"{c.number}. {c.title(language)}" for c in bot.content.conclusions}
        for number in reached:
            assert f"– {titles[number]}\n" in text, (language, number)
        assert f"– {titles[3]}" not in text
        agree = translator(language).gettext("{share} agree or strongly agree (n = {count})")
        assert f"{titles[1]}: {agree.format(share='80%', count=5)}" in text  # round 2's
    english = (folder / "summary-en.txt").read_text(encoding="utf-8")
    assert "Round 2\n1. " in english
    assert "Consensus in round 2 on 5 conclusions:" in english
    assert "Consensus: 70% or more on one side" in english


async def test_a_round_without_consensus_says_so(bot: Harness, tmp_path: Path) -> None:
    """With one round, the summary says no conclusion reached consensus when none did, and
    names no round in its counts; the rounds chart waits for a second round."""
    for who, stances in ((1, [5, 1, 5, 1, 5, 1]), (2, [1, 5, 1, 5, 1, 5])):
        await first_journey(bot, Person(7_500_000_100 + who), stances)
    files = write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY, xlsx=False)
    text = (tmp_path / "summary-en.txt").read_text(encoding="utf-8")
    assert "No conclusion reached consensus in round 1." in text
    assert "Round 1\n" not in text
    assert not [f for f in files if f.name.startswith("chart-rounds")]
    assert {r["round"] for r in rows(tmp_path / "rounds.csv")} == {"1"}


async def test_stats_show_each_round(bot: Harness) -> None:
    """/stats with two rounds: the counts of the newest, then per round and conclusion n, the
    shares in whole percent and ✓ for consensus."""
    await two_rounds(bot)
    text = format_stats(collect(bot.settings.db), bot.content, "en")
    assert "<b>Stance on each conclusion · Round 2</b>" in text
    title = bot.content.conclusions[0].title("en")
    assert f"1. {title}: 1: 0 · 2: 0 · 3: 1 · 4: 3 · 5: 1 (n = 5)" in text
    first, second = text.index("<b>Round 1</b>"), text.index("<b>Round 2</b>")
    assert first < second
    assert f"1. {title}: n = 4 · agree 75% · neither 0% · disagree 25% ✓" in text[first:second]
    assert f"1. {title}: n = 5 · agree 80% · neither 20% · disagree 0% ✓" in text[second:]
    third = bot.content.conclusions[2].title("en")
    assert f"3. {third}: n = 4 · agree 25% · neither 25% · disagree 50%\n" in text[second:]
    assert "Started: 6 · submitted: 5 · declined: 0" in text  # Chen submitted in round 1


def png_size(path: Path) -> tuple[int, int]:
    """A PNG's width and height in pixels."""
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


async def test_the_rounds_chart_shows_each_round_of_each_conclusion(
    bot: Harness, tmp_path: Path
) -> None:
    """Per language a PNG of the stances per conclusion and round, at 200 dpi, beside the
    stance chart of the newest round (a bar per conclusion: the rounds chart is taller)."""
    await two_rounds(bot)
    folder = tmp_path / "pack"
    files = write_pack(bot.settings.db, folder, bot.content, zone=ALMATY, xlsx=False)
    assert [f.name for f in files if f.name.startswith("chart-rounds")] == [
        f"chart-rounds-{language}.png" for language in LANGUAGES
    ]
    for language in LANGUAGES:
        chart = folder / f"chart-rounds-{language}.png"
        assert chart.read_bytes().startswith(b"\x89PNG")
        assert png_dpi(chart) == pytest.approx(CHART_DPI, abs=0.5)
        assert png_size(chart)[1] > png_size(folder / f"chart-{language}.png")[1]
