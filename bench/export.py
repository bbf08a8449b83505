"""The export pack for 100,000 synthetic respondents: time and peak memory per stage."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.synthetic import build

RESPONDENTS = 100_000

# Run in a child process so that its peak memory is the export's alone (its own, `VmHWM`;
# the helper process's is `ru_maxrss`, which is at least the exporting process's size when it
# started the helper, early and small: see bench.memory).
CHILD = """
import json, resource, sys, time
from pathlib import Path
from zoneinfo import ZoneInfo
from bench.memory import own_peak_mb
from bot.content import load_content
from bot.export import build_pack
files, times = build_pack(Path(sys.argv[1]), Path(sys.argv[2]), load_content(),
                          zone=ZoneInfo("Asia/Almaty"), xlsx=sys.argv[3] == "1", charts=True)
print(json.dumps({"csv": times.csv, "xlsx": times.xlsx, "charts": times.charts,
                  "peak_mb": own_peak_mb(),
                  "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "files": {f.name: f.stat().st_size for f in files}}))
"""


# The workbook of a written pack twice, from the same CSV files and cells, in one process: by
# the bot's writer, then by a minimal XlsxWriter loop (constant memory, a row per call) over
# the very records the bot's writer takes: `xlsx_floor_ratio` is the first time over the second.
FLOOR = """
import json, sys, time
from pathlib import Path
from bench.memory import own_peak_mb
from bench.writers import xlsxwriter_loop
from bot.export import pack_sheets, write_xlsx
folder = Path(sys.argv[1])
start = time.perf_counter()
write_xlsx(pack_sheets(folder), folder / "answers.csv", folder / "ours.xlsx")
ours = time.perf_counter() - start
peak_mb = own_peak_mb()
start = time.perf_counter()
xlsxwriter_loop(folder, folder / "floor.xlsx")
floor = time.perf_counter() - start
print(json.dumps({"ours": ours, "floor": floor, "peak_mb": peak_mb}))
"""


def _floor(folder: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", FLOOR, str(folder)], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _child(database: Path, out: Path, *, xlsx: bool) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(database), str(out), "1" if xlsx else "0"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(respondents: int = RESPONDENTS) -> dict[str, Any]:
    """Build the synthetic database, export it twice (CSV only, then the whole pack)."""
    with tempfile.TemporaryDirectory() as folder:
        database = build(Path(folder) / "bench.sqlite3", respondents)
        csv_only = _child(database, Path(folder) / "csv", xlsx=False)
        full = _child(database, Path(folder) / "full", xlsx=True)
        floor = _floor(Path(folder) / "full")
    return {
        "export_respondents": respondents,
        "export_csv_s": round(csv_only["csv"], 2),
        # The exporting process and its one helper process run at once: their peaks add up.
        "export_peak_mb": round(csv_only["peak_mb"] + csv_only["worker_peak_mb"], 1),
        "export_xlsx_s": round(full["xlsx"], 2),
        "xlsx_floor_ratio": round(floor["ours"] / floor["floor"], 3),
        "xlsx_floor_s": round(floor["floor"], 1),
        "xlsx_rewritten_s": round(floor["ours"], 2),
        "xlsx_peak_mb": round(floor["peak_mb"], 1),
        "export_charts_s": round(full["charts"], 2),
        "export_full_peak_mb": round(full["peak_mb"] + full["worker_peak_mb"], 1),
        "export_answers_csv_mb": round(full["files"]["answers.csv"] / 2**20, 1),
        "export_xlsx_mb": round(full["files"]["consultation.xlsx"] / 2**20, 1),
    }
