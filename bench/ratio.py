"""Side by side in one process: the bot's journey and the bare handler making the same Bot API
calls, twice, and their ratio (`python -m bench.ratio [respondents]`). A quick look while
working; `make bench updates` writes the figures."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from bench.updates import walk


def main() -> None:
    respondents = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    with tempfile.TemporaryDirectory() as folder:
        for run in range(2):
            bot = asyncio.run(walk(Path(folder) / f"bot{run}.sqlite3", respondents))
            bare = asyncio.run(
                walk(Path(folder) / f"bare{run}.sqlite3", respondents, bare=True, calls=True)
            )
            print(
                f"bot {bot['updates_per_s']:.0f}/s p99 {bot['p99_ms']:.2f} ms,"
                f" bare same calls {bare['updates_per_s']:.0f}/s,"
                f" ratio {bot['updates_per_s'] / bare['updates_per_s']:.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
