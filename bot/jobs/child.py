"""This Python in a child process: the export pack and the purge run there, off the event loop.

Writing a pack or rewriting one takes seconds and pandas' memory; in a child process the bot
stays responsive and small. Files the child writes are the bot's user's only (umask 077).
"""

from __future__ import annotations

import asyncio
import sys


async def run_python(arguments: tuple[str, ...], environment: dict[str, str], what: str) -> str:
    """Run this Python with `arguments`; return what it printed, raise naming `what` if it
    failed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, *arguments, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=environment, umask=0o077,
    )  # fmt: skip
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{what} failed: {err.decode(errors='replace')[-500:]}")
    return out.decode()
