"""`make bench`: run the benchmarks that exist, write BENCHMARKS.md and bench/results.json.

Figures not measured are absent, never invented. Each run replaces the figures it measures
and keeps the others (with the date they were measured).
"""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import langid

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
REPORT = ROOT / "BENCHMARKS.md"

GOALS = {
    "langid_accuracy": ("≥ 0.99", lambda v: v >= 0.99),
    "langid_short_accuracy": ("≥ 0.98", lambda v: v >= 0.98),
    "langid_kk_stripped": ("≥ 0.90", lambda v: v >= 0.90),
    "langid_median_ms": ("≤ 2 ms", lambda v: v <= 2),
    "langid_load_ms": ("≤ 500 ms (start-up cost)", lambda v: v <= 500),
}
LABELS = {
    "langid_accuracy": "language detection, accuracy on the 900 corpus rows",
    "langid_short_accuracy": "language detection, accuracy on rows of 1–4 words",
    "langid_kk_stripped": "the corpus's Kazakh typed on a Russian keyboard, recognised as Kazakh",
    "langid_median_ms": "language detection, median time per call (ms)",
    "langid_p99_ms": "language detection, p99 time per call (ms)",
    "langid_load_ms": "language detection, import and model load (ms)",
    "langid_model_kb": "language model file (KiB, gzip)",
    "langid_memory_mb": "language detection, resident memory added by import and load (MB)",
    "langid_model_ngrams": "language model n-grams (Russian + Kazakh on a Russian keyboard)",
    "langid_rows": "corpus rows",
    "langid_short_rows": "corpus rows of 1–4 words",
}


def main() -> None:
    """Run, merge with earlier figures, write both reports."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    measured = langid.run()
    results.update(measured)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}. "
        "Machine-readable: `bench/results.json`. A figure not measured yet is absent.",
        "",
        "| figure | measured | goal |",
        "|---|---|---|",
    ]
    for key in [*LABELS, *sorted(set(results) - set(LABELS))]:
        if key not in results:
            continue
        goal, met = GOALS.get(key, ("", None))
        verdict = "" if met is None else (" ✅" if met(results[key]) else " ❌")
        lines.append(f"| {LABELS.get(key, key)} | {results[key]}{verdict} | {goal} |")
    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        lines += ["", notes.read_text(encoding="utf-8").strip()]
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(REPORT.read_text(encoding="utf-8"))
    sys.exit(0)


if __name__ == "__main__":
    main()
