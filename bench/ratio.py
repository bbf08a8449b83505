"""Side by side in one process: the bot's journey and the bare handler making the same Bot API
calls, in alternating pairs, and their ratio (`python -m bench.ratio [respondents] [pairs]`).

The machine is shared: one pair's ratio swings by ±0.15 with what else runs. Alternating the
two, pair by pair, exposes both to the same moments, and the median of the pairs' ratios is the
figure (`updates_ratio` in `make bench updates`).
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


def paired(respondents: int = RESPONDENTS, pairs: int = PAIRS) -> list[tuple[float, float]]:
    """(this bot's updates/s, the bare same-calls handler's) for each pair, run one after the
    other on fresh databases."""
    figures = []
    with tempfile.TemporaryDirectory() as folder:
        for run in range(pairs):
            bot = asyncio.run(walk(Path(folder) / f"bot{run}.sqlite3", respondents))
            bare = asyncio.run(
                walk(Path(folder) / f"bare{run}.sqlite3", respondents, bare=True, calls=True)
            )
            figures.append((bot["updates_per_s"], bare["updates_per_s"]))
    return figures


def median_ratio(figures: list[tuple[float, float]]) -> float:
    return statistics.median(bot / bare for bot, bare in figures)


def main() -> None:
    respondents = int(sys.argv[1]) if len(sys.argv) > 1 else RESPONDENTS
    pairs = int(sys.argv[2]) if len(sys.argv) > 2 else PAIRS
    figures = paired(respondents, pairs)
    for bot, bare in figures:
        print(f"bot {bot:.0f}/s, bare same calls {bare:.0f}/s, ratio {bot / bare:.2f}")
    print(f"median ratio {median_ratio(figures):.3f}", flush=True)


if __name__ == "__main__":
    main()
