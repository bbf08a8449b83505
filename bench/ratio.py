"""Side by side in one process: the bot's journey, the bare handler making the same Bot API
calls, and that handler writing one row and committing it before them, in alternating rounds,
and their ratios (`python -m bench.ratio [respondents] [pairs]`).

The machine is shared: one pair's ratio swings by ±0.15 with what else runs. Alternating them,
round by round (a "pair" below is one round of the three), exposes all to the same moments,
and the median of the rounds' ratios is the figure (`updates_ratio` in `make bench updates`;
`one_commit_ratio` for the handler that commits).
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import sys
import tempfile
from pathlib import Path

from bench.updates import walk

RESPONDENTS = 300
PAIRS = 5


# The three handlers of a round, by the keyword arguments `walk` takes for each.
HANDLERS: tuple[dict[str, bool], ...] = (
    {},  # this bot
    {"bare": True, "calls": True},  # the bare handler making the same Bot API calls
    {"bare": True, "calls": True, "commit": True},  # that handler committing one write first
)


def paired(respondents: int = RESPONDENTS, pairs: int = PAIRS) -> list[tuple[float, float, float]]:
    """(this bot's updates/s, the bare same-calls handler's, that handler's with one commit) for
    each round, the three run one after the other on fresh databases, each round in the next of
    their six orders (so that none always runs first, or after the same one)."""
    orders = list(itertools.permutations(range(len(HANDLERS))))
    figures = []
    with tempfile.TemporaryDirectory() as folder:
        for run in range(pairs):
            rates = [0.0] * len(HANDLERS)
            for which in orders[run % len(orders)]:
                database = Path(folder) / f"{run}-{which}.sqlite3"
                walked = asyncio.run(walk(database, respondents, **HANDLERS[which]))
                rates[which] = walked["updates_per_s"]
            bot, bare, floor = rates
            figures.append((bot, bare, floor))
    return figures


def median_ratio(
    figures: list[tuple[float, float, float]], *, part: int = 0, whole: int = 1
) -> float:
    """The median over the pairs of figure `part` ÷ figure `whole` (by default this bot ÷ the
    bare same-calls handler)."""
    return statistics.median(pair[part] / pair[whole] for pair in figures)


def main() -> None:
    respondents = int(sys.argv[1]) if len(sys.argv) > 1 else RESPONDENTS
    pairs = int(sys.argv[2]) if len(sys.argv) > 2 else PAIRS
    figures = paired(respondents, pairs)
    for bot, bare, floor in figures:
        print(
            f"bot {bot:.0f}/s, bare same calls {bare:.0f}/s, ratio {bot / bare:.2f};"
            f" with one commit {floor:.0f}/s, {floor / bare:.2f} of bare"
        )
    print(f"median ratio {median_ratio(figures):.3f}", flush=True)
    print(f"one commit alone: {median_ratio(figures, part=2, whole=1):.3f} of bare", flush=True)


if __name__ == "__main__":
    main()
