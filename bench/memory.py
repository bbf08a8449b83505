"""A benchmark process's own peak memory."""

from __future__ import annotations

import resource
from pathlib import Path


def own_peak_mb() -> float:
    """This process's own peak resident memory, in MB (`VmHWM` of /proc/self/status).

    Not `ru_maxrss`: Linux keeps, across exec, the resident memory a child had when it was
    forked, which is its parent's, so a child started by a big process reports at least that
    process's size (the million-respondent pack reported 1,664 MB, the size of the benchmark
    process that had just built the database, for its own 377 MB). Where /proc is missing,
    `ru_maxrss` it is.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
