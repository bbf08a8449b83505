"""Rounds, as a Delphi study runs them: /round start invites those who submitted, each sees how
everyone answered the round before and their own answer, answers again; round 2 never touches
round 1; newcomers take the normal journey; closed rounds accept nothing."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import jobs
from bot.export import write_pack
from bot.rounds import Shares
from tests.harness import OWNER, Harness, Person, current, walk_to
from tests.test_revisions import revised, send_file

ALMATY = ZoneInfo("Asia/Almaty")
ADMIN = Person(OWNER)
# Round 1's stances of the twelve submitters on conclusion 1: 7 agree, 2 neutral, 3 disagree.
FIRST_STANCES = (5, 4, 4, 4, 5, 4, 4, 3, 3, 2, 1, 2)


def daytime(bot: Harness, day: int = 0, hour: int = 12) -> None:
    """The clock at `hour` Almaty time, `day` days after Monday 2026-11-30 (outside quiet
    hours at noon)."""
    moment = datetime(2026, 11, 30, hour, 0, tzinfo=ALMATY) + timedelta(days=day)
    bot.clock.now = moment.astimezone(UTC)


async def pump(bot: Harness) -> None:
    """Send what the outbox holds, as the job queue's pump would."""
    assert bot.app is not None and bot.app.job_queue is not None
    (job,) = bot.app.job_queue.get_jobs_by_name(jobs.PUMP)
    for _ in range(20):
        await job.run(bot.app)
        await job.data.drain()
        bot.clock.advance(seconds=1.1)
        pending = bot.db("SELECT count(*) FROM outbox WHERE status = 'pending'")[0][0]
        if not pending:
            return


async def submit_first_round(
    bot: Harness, person: Person, stance: int, *, news: bool = True, language: str = "en"
) -> None:
    """The whole first journey: `stance` on every conclusion, news as asked, submitted."""
    await walk_to(bot, person, "news", language)
    await bot.tap(person, f"c:news:{'y' if news else 'n'}")
    await walk_to(bot, person, "s1", language)
    for conclusion in bot.content.conclusions:
        await bot.tap(person, f"c:s{conclusion.number}:{stance}")
        await bot.tap(person, f"c:m{conclusion.number}:_none")
    await walk_to(bot, person, "rev", language)
    await bot.tap(person, "c:rev:_submit")
    assert await current(bot, person) == "done"


async def open_round(bot: Harness) -> list[str]:
    """/round start, then its confirmation; return the texts the admin saw."""
    preview = await bot.send(ADMIN, "/round start")
    (confirm,) = [d for _, d in preview[-1].buttons if d.startswith("r:start:")]
    done = await bot.tap(ADMIN, confirm)
    return [c.text for c in (*preview, *done) if c.method == "sendMessage"]


async def back_in_round_two(bot: Harness, person: Person, stance: int) -> None:
    """`person` submits round 1 with `stance` everywhere; round 2 opens, its invitation goes
    out, and they take part."""
    daytime(bot)
    await submit_first_round(bot, person, stance)
    await open_round(bot)
    await pump(bot)
    await bot.tap(person, "c:round:2")


async def round_one_with_twelve(bot: Harness) -> list[Person]:
    daytime(bot)
    people = [Person(50_000 + i) for i in range(len(FIRST_STANCES))]
    for person, stance in zip(people, FIRST_STANCES, strict=True):
        await submit_first_round(bot, person, stance)
    return people


def percentages(text: str) -> tuple[int, int, int]:
    found = re.search(r"agree (\d+)% · neither (\d+)% · disagree (\d+)%", text)
    assert found, text
    return (int(found[1]), int(found[2]), int(found[3]))


async def test_a_whole_round_with_feedback_a_restart_and_answers_kept_apart(
    bot: Harness,
) -> None:
    people = await round_one_with_twelve(bot)
    texts = await open_round(bot)
    preview = texts[0]
    assert "Open round 2 on content version" in preview
    assert "12 people who submitted" in preview
    assert "⚠️ Round 1 was answered on this version already" in preview  # nothing revised
    for name in ("Қазақша", "Русский", "English"):
        assert f"[{name}]" in preview
    assert "талқылаудың 2-кезеңі ашылды" in preview
    assert "открыт тур 2 обсуждения" in preview
    assert texts[-1] == ("Round 2 is open: 12 invitations are queued. /round shows how it goes.")
    await pump(bot)
    for person in people:
        (invitation,) = [c for c in bot.sent(person) if ("c:round:2" in dict(c.buttons).values())]
        assert "round 2 of the consultation is open" in invitation.text
    first_round = await bot.answers(people[0])

    one = people[0]  # answered 5 everywhere in round 1
    await bot.tap(one, "c:round:2")
    assert await current(bot, one) == "s1"
    screen = bot.last(one).text
    assert "How everyone answered in round 1</b> (n = 12)" in screen
    expected = Shares.of({5: 2, 4: 5, 3: 2, 2: 2, 1: 1}).percentages()
    assert percentages(screen) == expected == (58, 17, 25)
    assert "Your answer in round 1: <b>Strongly agree</b>" in screen
    assert "How far do you agree with this conclusion now?" in screen
    assert "« Back" not in str(bot.last(one).buttons)  # the round starts here

    await bot.tap(one, "c:s1:2")
    assert "Your view has changed since round 1: Strongly agree → Disagree" in bot.last(one).text
    await bot.send(one, "The revised text convinced me otherwise.")
    await bot.restart()  # mid-round: the step and the round are in the database
    await bot.send(one, "/start")
    assert "continue where you left off" in bot.last(one).text
    await bot.tap(one, "c:resume:cont")
    assert await current(bot, one) == "m1"
    await bot.tap(one, "c:m1:_done")
    assert await current(bot, one) == "s2"
    assert "Your answer in round 1: <b>Strongly agree</b>" in bot.last(one).text
    for number in range(2, len(bot.content.conclusions) + 1):
        await bot.tap(one, f"c:s{number}:5")
        assert "Would you like to add a comment?" in bot.last(one).text  # unchanged view
        await bot.tap(one, f"c:m{number}:_none")
    assert await current(bot, one) == "rev"
    review = bot.last(one)
    assert "Your answers in round 2" in review.text
    assert "About you" not in review.text and "Quoting and news" not in str(review.buttons)
    await bot.tap(one, "c:rev:_submit")
    assert await current(bot, one) == "done"

    stored = await bot.participant(one)
    assert (stored.round, stored.returning, stored.status) == (2, True, "submitted")
    second = await bot.answers(one)
    assert second["conclusion-1"].stance == 2
    assert second["conclusion-1"].comment == "The revised text convinced me otherwise."
    assert set(second) == {c.id for c in bot.content.conclusions}  # the conclusions only
    number = await bot.number(one)
    assert await bot.repo.answers(number, round=1) == first_round  # round 1 untouched
    assert bot.db(
        "SELECT completed_at IS NOT NULL FROM round_entries WHERE respondent_id = ? AND round = 2",
        number,
    ) == [(1,)]
    status = (await bot.send(ADMIN, "/round"))[-1].text
    assert "Round 2 · open" in status
    assert "Invitations: 12 · delivered 12 · waiting 0 · not delivered 0" in status
    assert "Returning respondents: 1 began · 1 submitted" in status
    assert bot.db("SELECT action FROM audit WHERE action LIKE 'round%'") == [("round start",)]


async def test_too_few_answers_are_not_shown_as_shares(bot: Harness) -> None:
    daytime(bot)
    people = [Person(51_000 + i) for i in range(3)]
    for person in people:
        await submit_first_round(bot, person, 4)
    await open_round(bot)
    await pump(bot)
    await bot.tap(people[0], "c:round:2")
    screen = bot.last(people[0]).text
    assert "Round 1: too few answers to show yet." in screen
    assert "%" not in screen
    assert "Your answer in round 1: <b>Agree</b>" in screen


async def test_the_minimum_group_is_configurable(bot: Harness) -> None:
    bot.settings.min_group = 3
    daytime(bot)
    people = [Person(51_100 + i) for i in range(3)]
    for person in people:
        await submit_first_round(bot, person, 4)
    await open_round(bot)
    await pump(bot)
    await bot.tap(people[0], "c:round:2")
    assert percentages(bot.last(people[0]).text) == (100, 0, 0)


async def test_kazakh_and_russian_respondents_read_the_round_in_their_language(
    bot: Harness,
) -> None:
    daytime(bot)
    kk, ru = Person(51_200, "kk"), Person(51_201, "ru")
    await submit_first_round(bot, kk, 4, language="kk")
    await submit_first_round(bot, ru, 2, language="ru")
    await open_round(bot)
    await pump(bot)
    assert "2-кезеңге қатысу" in bot.keyboard(kk, bot.message_with(kk, "c:round:2"), "")[0][0]
    await bot.tap(kk, "c:round:2")
    assert "1-кезеңдегі жауабыңыз: <b>Келісемін</b>" in bot.last(kk).text
    await bot.tap(ru, "c:round:2")
    assert "Ваш ответ в туре 1: <b>Не согласен(на)</b>" in bot.last(ru).text
    await bot.tap(ru, "c:s1:4")
    assert "По сравнению с туром 1 ваше мнение изменилось" in bot.last(ru).text


async def test_newcomers_in_round_two_take_the_whole_journey(bot: Harness) -> None:
    daytime(bot)
    await submit_first_round(bot, Person(52_000), 4)
    await open_round(bot)
    newcomer = Person(52_001)
    await walk_to(bot, newcomer, "s1")
    assert "How everyone answered" not in bot.last(newcomer).text
    await walk_to(bot, newcomer, "rev")
    await bot.tap(newcomer, "c:rev:_submit")
    stored = await bot.participant(newcomer)
    assert (stored.round, stored.returning) == (2, False)
    number = await bot.number(newcomer)
    assert await bot.repo.answers(number, round=1) == {}
    assert {"conclusion-1", "sectors", "markets", "idea"} <= set(
        await bot.repo.answers(number, round=2)
    )
    assert "New respondents: 1 began · 1 submitted" in (await bot.send(ADMIN, "/round"))[-1].text


async def test_someone_mid_way_through_round_one_carries_on_in_round_two(bot: Harness) -> None:
    daytime(bot)
    await submit_first_round(bot, Person(53_000), 4)
    halfway = Person(53_001)
    await walk_to(bot, halfway, "s3")
    before = await bot.answers(halfway)
    await open_round(bot)
    stored = await bot.participant(halfway)
    assert (stored.round, stored.returning, stored.step) == (2, False, "s3")
    assert await bot.answers(halfway) == before  # moved with them, none lost
    await bot.tap(halfway, "c:s3:5")
    assert (await bot.answer(halfway, "conclusion-3")).stance == 5
    number = await bot.number(halfway)
    assert await bot.repo.answers(number, round=1) == {}


async def test_a_submitter_who_wanted_no_news_is_invited_when_they_come_back(
    bot: Harness,
) -> None:
    daytime(bot)
    quiet = Person(54_000)
    await submit_first_round(bot, quiet, 3, news=False)
    texts = await open_round(bot)
    assert "0 people" in texts[0]
    await pump(bot)
    assert not any("c:round:2" in dict(c.buttons).values() for c in bot.sent(quiet))
    old = bot.message_with(quiet, "c:rev:c1")  # a button of round 1's review
    await bot.tap(quiet, "c:rev:c1", message_id=old)
    assert "round 2 of the consultation is open" in bot.last(quiet).text
    assert await current(bot, quiet) == "done"  # nothing of round 1 changed
    await bot.send(quiet, "a comment for the closed round")
    assert "round 2 of the consultation is open" in bot.last(quiet).text
    await bot.send(quiet, "/start")
    await bot.tap(quiet, "c:round:2")
    assert await current(bot, quiet) == "s1"
    await bot.tap(quiet, "c:round:2")  # a double tap
    assert await current(bot, quiet) == "s1"
    number = await bot.number(quiet)
    assert bot.db(
        "SELECT count(*) FROM answers WHERE respondent_id = ? AND round = 2", number
    ) == [(1,)]


async def test_a_closed_round_accepts_nothing_and_reminds_nobody(bot: Harness) -> None:
    daytime(bot)
    await submit_first_round(bot, Person(55_000), 4)
    halfway = Person(55_001)
    await walk_to(bot, halfway, "s2")
    preview = await bot.send(ADMIN, "/round close")
    assert "Close round 1?" in preview[-1].text
    await bot.tap(ADMIN, "r:close:1:" + str(bot.content.version))
    assert "Round 1 is closed: no more answers are accepted" in bot.last(ADMIN).text
    calls = await bot.tap(halfway, "c:s2:4")
    assert "Round 1 of the Creative Spark consultation has closed" in calls[-1].text
    assert (await bot.answer(halfway, "conclusion-2")).stance is None
    bot.clock.advance(hours=30)
    daytime(bot, day=2)
    await bot.run_job(jobs.REMINDERS)
    assert bot.db("SELECT count(*) FROM outbox WHERE kind = 'reminder'") == [(0,)]
    await open_round(bot)  # the next round opens; the one mid-way carries on in it
    await bot.tap(halfway, "c:s2:4")
    assert (await bot.answer(halfway, "conclusion-2")).stance == 4


async def test_reminders_within_a_round_follow_the_first_rounds_rules(bot: Harness) -> None:
    back = Person(56_000)
    await back_in_round_two(bot, back, 4)
    await bot.tap(back, "c:s1:3")
    daytime(bot, day=1, hour=13)  # 25 hours without activity
    await bot.run_job(jobs.REMINDERS)
    await pump(bot)
    reminder = bot.last(back)
    assert "have not finished it yet" in reminder.text
    await bot.tap(back, "c:resume:cont")
    assert await current(bot, back) == "m1"
    assert "Your view has changed since round 1" in bot.last(back).text


async def test_invitations_wait_for_the_end_of_quiet_hours(bot: Harness) -> None:
    daytime(bot)
    person = Person(57_000)
    await submit_first_round(bot, person, 4)
    daytime(bot, hour=22)
    await open_round(bot)
    await pump(bot)
    assert not any("c:round:2" in dict(c.buttons).values() for c in bot.sent(person))
    daytime(bot, day=1, hour=9)
    await pump(bot)
    assert any("c:round:2" in dict(c.buttons).values() for c in bot.sent(person))


async def test_round_commands_are_for_admins_and_confirmations_go_stale(bot: Harness) -> None:
    daytime(bot)
    stranger = Person(58_000)
    await submit_first_round(bot, stranger, 4)
    calls = await bot.send(stranger, "/round start")
    assert "Sorry, this is for the consultation's team." in calls[-1].text
    calls = await bot.tap(stranger, f"r:start:2:{bot.content.version}", message_id=1)
    assert any("for the consultation's team" in str(c.params) for c in calls)
    assert bot.db("SELECT count(*) FROM rounds") == [(1,)]

    first = await bot.send(ADMIN, "/round start")
    second = await bot.send(ADMIN, "/round start")
    (confirm,) = [d for _, d in first[-1].buttons if d.startswith("r:start:")]
    await bot.tap(ADMIN, confirm, message_id=int(first[-1].result["message_id"]))
    calls = await bot.tap(ADMIN, confirm, message_id=int(second[-1].result["message_id"]))
    assert "This confirmation is out of date" in calls[-1].text
    assert bot.db("SELECT count(*) FROM rounds") == [(2,)]
    assert bot.db("SELECT count(*) FROM outbox WHERE kind = 'invitation'") == [(1,)]
    calls = await bot.tap(ADMIN, "r:start:9:x", message_id=1)
    assert any("This button is not valid." in str(c.params) for c in calls)
    cancel = await bot.send(ADMIN, "/round close")
    (no,) = [d for _, d in cancel[-1].buttons if d.startswith("r:no:")]
    await bot.tap(ADMIN, no)
    assert "Cancelled. Nothing was changed." in bot.last(ADMIN).text
    assert "Round 2 · open" in (await bot.send(ADMIN, "/round"))[-1].text


async def test_mydata_lists_every_round(bot: Harness) -> None:
    person = Person(59_000)
    await back_in_round_two(bot, person, 4)
    await bot.tap(person, "c:s1:1")
    calls = await bot.send(person, "/mydata")
    (document,) = [c for c in calls if c.method == "sendDocument"]
    report = next(iter(document.files.values())).decode("utf-8")
    assert "About you" in report  # round 1, with the profile
    assert "Round 2: invited" in report
    assert "Your answers in round 2" in report
    assert "Your view: Strongly disagree" in report


async def test_a_round_on_the_revised_document_shows_what_changed(bot: Harness) -> None:
    daytime(bot)
    person = Person(59_100)
    await submit_first_round(bot, person, 2)
    await send_file(bot, ADMIN, revised().encode())
    await bot.tap(ADMIN, bot.offered(ADMIN)[0])  # Publish version 4: five conclusions
    texts = await open_round(bot)
    assert "Open round 2 on content version 4?" in texts[0]
    assert "answered on this version already" not in texts[0]
    assert "⚠️ Conclusions were added or removed since the version round 1" in texts[0]
    await pump(bot)
    await bot.tap(person, "c:round:2")
    screen = bot.last(person).text
    assert "1 / 5 · " in screen
    assert "The first conclusion, as the team rewrote it." in screen
    assert "What changed: We shortened it after your comments." in screen
    assert "Your answer in round 1: <b>Disagree</b>" in screen
    for number in range(1, 6):
        await bot.tap(person, f"c:s{number}:4")
        await bot.tap(person, f"c:m{number}:_none")
    assert await current(bot, person) == "rev"
    assert {a.content_version for a in (await bot.answers(person)).values()} == {4}


async def test_the_shares_shown_are_the_exports(bot: Harness, tmp_path: Path) -> None:
    people = await round_one_with_twelve(bot)
    await open_round(bot)
    await pump(bot)
    shown = {}
    for number in range(1, len(bot.content.conclusions) + 1):
        if number == 1:
            await bot.tap(people[3], "c:round:2")
        else:
            await bot.tap(people[3], f"c:m{number - 1}:_none")
        screen = bot.last(people[3]).text
        found = re.search(r"\(n = (\d+)\)", screen)
        assert found, screen
        shown[f"conclusion-{number}"] = (int(found[1]), percentages(screen))
        await bot.tap(people[3], f"c:s{number}:3")
    write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY, charts=False)
    with (tmp_path / "rounds.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["round"] == "1"]
    assert {row["item"] for row in rows} == set(shown)
    for row in rows:
        n, (agree, neutral, disagree) = shown[row["item"]]
        assert n == int(row["n"]) == len(FIRST_STANCES)
        exported = (row["agree"], row["neutral"], row["disagree"])
        for percent, share in zip((agree, neutral, disagree), exported, strict=True):
            assert abs(percent - 100 * float(share)) < 1, (row, shown[row["item"]])


async def test_an_admin_answering_is_as_closed_as_anyone(bot: Harness) -> None:
    daytime(bot)
    await submit_first_round(bot, ADMIN, 4)
    await bot.send(ADMIN, "/round close")
    await bot.tap(ADMIN, f"r:close:1:{bot.content.version}")
    await bot.send(ADMIN, "/start")  # a command: the admin's, it passes
    calls = await bot.tap(ADMIN, "c:rev:c1")
    assert "Round 1 of the Creative Spark consultation has closed" in calls[-1].text
    assert await current(bot, ADMIN) == "rev"
    assert "Round 1 · closed" in (await bot.send(ADMIN, "/round"))[-1].text  # team work passes


async def test_taking_part_again_keeps_someone_among_those_who_submitted(bot: Harness) -> None:
    person = Person(59_200)
    await back_in_round_two(bot, person, 4)
    assert (await bot.repo.audience("submitted"), await bot.repo.audience("unfinished")) == (1, 0)
    await bot.send(person, "/start")
    await bot.tap(person, "c:resume:over")
    assert "Erase your answers of round 2" in bot.last(person).text
    await bot.tap(person, "c:resume:wipe")
    number = await bot.number(person)
    assert len(await bot.repo.answers(number, round=1)) > 6  # round 1 stays whole
    for step in range(1, len(bot.content.conclusions) + 1):
        await bot.tap(person, f"c:s{step}:3")
        await bot.tap(person, f"c:m{step}:_none")
    await bot.tap(person, "c:rev:_submit")
    revised_before = bot.db("SELECT revised_at FROM respondents WHERE id = ?", number)
    await bot.send(person, "/start")
    await bot.tap(person, "c:rev:c1")
    await bot.tap(person, "c:s1:5")
    assert bot.db(
        "SELECT revised_at IS NOT NULL FROM round_entries WHERE respondent_id = ?", number
    ) == [(1,)]
    assert bot.db("SELECT revised_at FROM respondents WHERE id = ?", number) == revised_before


async def test_the_steps_people_stand_at_tell_a_later_rounds_journey_from_a_first(
    bot: Harness,
) -> None:
    """What settling the steps after a content change reads: at the same step, those in round
    2's journey (returning) and a newcomer on the whole journey are counted apart."""
    returning = Person(54_000)
    await back_in_round_two(bot, returning, 4)
    newcomer = Person(54_001)
    stored = await bot.participant(returning)
    assert stored.returning
    await walk_to(bot, newcomer, stored.step)
    taken = await bot.repo.steps_taken()
    assert (stored.step, False, True, 1) in taken
    assert (stored.step, False, False, 1) in taken
    assert sum(count for *_, count in taken) == 2  # the admin is no respondent
