"""Side by side in one process: the bot's journey, the bare handler making the same Bot API
calls, and that handler writing one row and committing it before them, in alternating rounds,
and their ratios (`python -m bench.ratio [respondents] [pairs]`).

The machine is shared: one pair's ratio swings by ±0.15 with what else runs. Alternating them,
pair by pair, exposes all to the same moments, and the median of the pairs' ratios is the figure
(`updates_ratio` in `make bench updates`; `one_commit_ratio` for the handler that commits).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

from bench.updates import walk

RESPONDENTS = 300
PAIRS = 5


def paired(respondents: int = RESPONDENTS, pairs: int = PAIRS) -> list[tuple[float, float, float]]:
    """(this bot's updates/s, the bare same-calls handler's, that handler's with one commit) for
    each pair, run one after the other on fresh databases."""
    figures = []
    with tempfile.TemporaryDirectory() as folder:
        for run in range(pairs):
            bot = asyncio.run(walk(Path(folder) / f"bot{run}.sqlite3", respondents))
            bare = asyncio.run(
                walk(Path(folder) / f"bare{run}.sqlite3", respondents, bare=True, calls=True)
            )
            floor = asyncio.run(
                walk(
                    Path(folder) / f"floor{run}.sqlite3",
                    respondents,
                    bare=True,
                    calls=True,
                    commit=True,
                )
            )
            figures.append((bot["updates_per_s"], bare["updates_per_s"], floor["updates_per_s"]))
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
