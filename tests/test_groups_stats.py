"""/stats groups: the opinion groups in the admin's language, worked out in a child process
(`python -m bot stats --groups`), and refused to everyone else."""

from __future__ import annotations

from tests.harness import OWNER, Harness, Person
from tests.test_groups import HIGH, LOW, submit


async def test_stats_groups_describes_the_planted_blocs(bot: Harness) -> None:
    for n in range(22):
        stances = list(HIGH if n % 2 else LOW)
        stances[n % 5] = min(5, stances[n % 5] + 1) if n % 2 else 2
        await submit(bot, Person(7_700_000_000 + n), stances, "en")
    calls = await bot.send(Person(OWNER), "/stats groups")
    texts = [c.text for c in calls if c.method == "sendMessage"]
    assert texts[0] == "Working out the opinion groups…"
    assert "Opinion groups in round 1: 2 groups (A 11, B 11); 22 submitted." in texts[-1]
    assert "Every group agrees with conclusion 6." in texts[-1]
    russian = Person(OWNER, "ru")  # no language chosen: Telegram's
    calls = await bot.send(russian, "/stats groups")
    assert "Группы мнений в туре 1: 2 группы (A 11, B 11)" in calls[-1].text


async def test_stats_groups_says_why_there_are_none_and_refuses_strangers(bot: Harness) -> None:
    await submit(bot, Person(7_700_100_000), HIGH, "en")
    calls = await bot.send(Person(OWNER), "/stats groups")
    assert "at least 20" in calls[-1].text
    assert "1 so far" in calls[-1].text
    stranger = Person(7_700_100_001)
    calls = await bot.send(stranger, "/stats groups")
    assert "Sorry, this is for the consultation's team." in calls[-1].text
    assert not any("Opinion groups" in c.text for c in calls)
