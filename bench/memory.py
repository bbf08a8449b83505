"""A benchmark process's memory, as Linux's /proc/<pid>/status gives it."""

from __future__ import annotations

import resource
from pathlib import Path


def _status_mb(pid: int | str, field: str) -> float | None:
    """A `VmXxx:` line of /proc/<pid>/status in MB; None where /proc or the line is missing."""
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return None


def rss_mb(pid: int) -> float:
    """A process's resident memory now, in MB."""
    found = _status_mb(pid, "VmRSS")
    return float("nan") if found is None else found


def own_peak_mb() -> float:
    """This process's own peak resident memory, in MB (`VmHWM`).

    Not `ru_maxrss`: Linux keeps, across exec, the resident memory a child had when it was
    forked, which is its parent's, so a child started by a big process reports at least that
    process's size (the million-respondent pack reported 1,664 MB, the size of the benchmark
    process that had just built the database, for its own 385 MB). Where /proc is missing,
    `ru_maxrss` it is.
    """
    found = _status_mb("self", "VmHWM")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if found is None else found
