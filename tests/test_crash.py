"""The bot process killed with SIGKILL at random points of many concurrent journeys.

Fifteen respondents walk the whole journey at once through `python -m bot run` and a Bot API
emulator on loopback. Three times, at a random moment, the process is killed and started
again. An answer counts as acknowledged once the bot sent the next question; every
acknowledged answer must be in the database after the kill, each respondent must resume at
the step the database says (the next question again, or the one after an answer that was
stored but not yet acknowledged), and in the end everyone has submitted exactly their answers.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from bot.content import load_content
from bot.journey import Journey, comment_step, stance_step
from tests.test_run import Emulator, emulator, start_bot  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow  # three kills and restarts of a real bot process

RESPONDENTS = 15
KILLS = 3
FIRST = 6_100
CONCLUSIONS = load_content().conclusions  # the bundled content, as `python -m bot run` loads


def path(user: int) -> list[tuple[str, str]]:
    """(the step a tap leads to, the tap) from /start's language question to the thanks."""
    numbers = [conclusion.number for conclusion in CONCLUSIONS]
    taps = [("age", "c:lang:ru"), ("cons", "c:age:y"), ("quote", "c:cons:y")]
    taps += [("news", "c:quote:y"), ("grp", "c:news:n"), ("reg", "c:grp:student")]
    taps += [("ageb", "c:reg:almaty"), ("gen", "c:ageb:18-24")]
    taps.append((stance_step(numbers[0]), "c:gen:_pns"))
    after_each = [*(stance_step(number) for number in numbers[1:]), "sec"]
    for number, after in zip(numbers, after_each, strict=True):
        taps.append((comment_step(number), f"c:{stance_step(number)}:{stance(user, number)}"))
        taps.append((after, f"c:{comment_step(number)}:_none"))
    taps += [("mkt", "c:sec:_done"), ("idea", "c:mkt:_done"), ("rev", "c:idea:_none")]
    taps.append(("done", "c:rev:_submit"))
    return taps


def stance(user: int, number: int) -> int:
    return (user + number) % 5 + 1


def user(number: int) -> dict[str, Any]:
    return {"id": number, "is_bot": False, "first_name": f"R{number}", "language_code": "ru"}


class Walker:
    """One respondent: where they are in their path, and what the bot acknowledged."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.taps = path(number)
        self.acknowledged = 0  # taps answered with the next question
        self.waiting_since: int | None = None  # messages seen when the last tap was queued

    def done(self) -> bool:
        return self.acknowledged == len(self.taps)


def database(db: Path) -> dict[int, tuple[str, dict[str, int]]]:
    """Per user: the stored step and stances (read-only, beside the running bot).

    Raw SQL on purpose: this is what the file on disk holds after a SIGKILL, read while the
    bot's own process (and its repository) may be dead or starting again."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        steps = dict(connection.execute("SELECT user_id, step FROM users"))
        stances: dict[int, dict[str, int]] = {}
        for who, item, value in connection.execute(
            "SELECT r.user_id, a.item, a.stance FROM answers a JOIN respondents r"
            " ON r.id = a.respondent_id WHERE a.stance IS NOT NULL"
        ):
            stances.setdefault(who, {})[item] = value
    connection.close()
    return {who: (step, stances.get(who, {})) for who, step in steps.items()}


def test_sigkill_at_random_points_loses_no_acknowledged_answer(
    emulator: tuple[Emulator, str],  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    state, url = emulator
    db, log = tmp_path / "bot.sqlite3", tmp_path / "bot.log"
    rng = random.Random(7)
    order = (*Journey(load_content()).steps, "done")
    walkers = [Walker(FIRST + i) for i in range(RESPONDENTS)]
    process = start_bot(url, db, log)
    for walker in walkers:
        state.queue_text("/start", user(walker.number))
    for walker in walkers:
        _wait_until(lambda w=walker: state.sent_to(w.number) >= 1)
    lost: list[str] = []
    kills = 0
    try:
        while not all(w.done() for w in walkers):
            deadline = time.monotonic() + rng.uniform(0.3, 1.5)
            while time.monotonic() < deadline and not all(w.done() for w in walkers):
                _step(state, walkers)
                time.sleep(0.01)
            if kills < KILLS:
                kills += 1
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
                lost += _check(db, walkers, order)
                process = start_bot(url, db, log)
                _resync(state, db, walkers)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert kills == KILLS
    assert lost == []
    stored = database(db)
    for walker in walkers:
        step, stances = stored[walker.number]
        assert step == "done", walker.number
        assert stances == {c.id: stance(walker.number, c.number) for c in CONCLUSIONS}, (
            walker.number
        )
    print(f"crash runs: {kills} kills, {RESPONDENTS} journeys, acknowledged answers lost: 0")


def _wait_until(condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the bot did not answer"
        time.sleep(0.02)


def _step(state: Emulator, walkers: list[Walker]) -> None:
    """Acknowledge answered taps, queue each idle respondent's next tap."""
    for walker in walkers:
        if walker.done():
            continue
        seen = state.sent_to(walker.number)
        if walker.waiting_since is not None:
            if seen > walker.waiting_since:
                walker.acknowledged += 1
                walker.waiting_since = None
            continue
        walker.waiting_since = seen
        state.queue_tap(walker.taps[walker.acknowledged][1], user(walker.number))


def _check(db: Path, walkers: list[Walker], order: tuple[str, ...]) -> list[str]:
    """After a kill: every acknowledged tap's effect is stored."""
    stored = database(db)
    lost = []
    for walker in walkers:
        if walker.acknowledged == 0:
            continue
        step, stances = stored.get(walker.number, ("lang", {}))
        reached = walker.taps[walker.acknowledged - 1][0]
        if order.index(step) < order.index(reached):
            lost.append(f"{walker.number}: at {step}, acknowledged {reached}")
        for _, data in walker.taps[: walker.acknowledged]:
            kind, value = data.split(":")[1:3]
            stance_tap = kind.startswith("s") and kind[1:].isdigit()
            if stance_tap and stances.get(f"conclusion-{kind[1:]}") != int(value):
                lost.append(f"{walker.number}: stance {kind} missing")
    return lost


def _resync(state: Emulator, db: Path, walkers: list[Walker]) -> None:
    """After the restart, a respondent waiting for an answer sends /start, as a person would,
    and sees the question the database holds them at; they go on from there."""
    waiting = [w for w in walkers if w.waiting_since is not None and not w.done()]
    for walker in waiting:
        seen = state.sent_to(walker.number)
        state.queue_text("/start", user(walker.number))
        _wait_until(lambda w=walker, s=seen: state.sent_to(w.number) > s)
    _settle(state)  # updates redelivered after the kill and the /starts are all answered
    stored = database(db)
    for walker in waiting:
        reached = [step for step, _ in walker.taps]
        step = stored[walker.number][0]
        walker.acknowledged = reached.index(step) + 1 if step in reached else 0
        walker.waiting_since = None


def _settle(state: Emulator, quiet: float = 0.6) -> None:
    """Wait until the bot has sent nothing for `quiet` seconds."""
    count, since = len(state.sent), time.monotonic()
    while time.monotonic() - since < quiet:
        time.sleep(0.05)
        if len(state.sent) != count:
            count, since = len(state.sent), time.monotonic()
