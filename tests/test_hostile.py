"""A cost budget for hostile input: no message costs the event loop more than a few
milliseconds, nobody waits behind it, and no screen sends more than a few messages.

Times on these shared machines are noisy, so each input's cost is the best of three runs and
the bound (50 ms) is generous for work that takes a millisecond or two; `make bench hostile`
reports the real figures.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.harness import Harness, Person, current, walk_to
from tests.test_langid import HOSTILE as LANGID_HOSTILE
from tests.test_wrong_input import STICKER

BUDGET = 0.050  # seconds
# The detector's hostile texts, and those that reach the redaction and the storage.
HOSTILE = {
    **LANGID_HOSTILE,
    "digits": "7" * 4096,
    "phone-like": "+7 " * 1365,
    "mixed scripts": "Ақ-Ab-Аб" * 512,
}


async def _cost(bot: Harness, make: object) -> float:
    """The best of three timings of one update."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        await make()  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("name", list(HOSTILE))
@pytest.mark.slow  # it measures time
async def test_a_hostile_comment_costs_milliseconds_and_delays_nobody(
    bot: Harness, name: str
) -> None:
    """Through the comment path and the edit path, each hostile text stays within budget, and
    another respondent's tap sent at the same moment is answered."""
    text = HOSTILE[name]
    attacker, other = Person(8201), Person(8202)
    await walk_to(bot, attacker, "m1")
    await walk_to(bot, other, "s1")
    first = await bot.send(attacker, "A first part.")
    assert first
    part = int(bot.db("SELECT max(message_id) FROM comment_parts")[0][0])  # no record has it
    assert await _cost(bot, lambda: bot.send(attacker, text)) <= BUDGET
    assert await _cost(bot, lambda: bot.edit(attacker, part, text)) <= BUDGET
    # Both at once: the tap is answered whatever the hostile text does.
    hostile = asyncio.create_task(bot.send(attacker, text))
    tap = await asyncio.wait_for(bot.tap(other, "c:s1:4"), timeout=5)
    await hostile
    assert any(c.method == "answerCallbackQuery" for c in tap)
    assert await current(bot, other) == "m1"


async def test_a_flood_of_parts_keeps_every_screen_short(bot: Harness) -> None:
    """A hundred 4,000-character parts: the comment stops at its limit, and a sticker, /help or
    the review afterwards each send a few messages, not hundreds."""
    person = Person(8203)
    await walk_to(bot, person, "m1")
    for _ in range(100):
        await bot.send(person, "x" * 3000 + " " + "y" * 999)
    assert len((await bot.answer(person, "conclusion-1")).comment or "") <= 10_000
    for calls in (
        await bot.send_other(person, **STICKER),
        await bot.send(person, "/help"),
        await bot.tap(person, "c:back:m1"),
    ):
        assert len([c for c in calls if c.method == "sendMessage"]) <= 3
    await walk_to(bot, person, "s2")
    await bot.tap(person, "c:back:s2")
    await bot.tap(person, "c:m1:_done")
    await walk_to(bot, person, "rev")
    await bot.send(person, "/start")
    review = await bot.send_other(person, **STICKER)
    assert len([c for c in review if c.method == "sendMessage"]) <= 3
