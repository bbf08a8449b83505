"""Language detection on the shared corpus: accuracy overall, on 1-4 words, on Kazakh typed on a
Russian keyboard, and time per call."""

from __future__ import annotations

import csv
import gzip
import json
import re
import resource
import statistics
import time
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).parent / "data" / "langid" / "corpus.tsv"
KEYBOARD = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")
LETTER = re.compile(r"[^\W\d_]")
PASSES = 5


def words(text: str) -> int:
    """Words as the corpus counts them: whitespace tokens containing a letter."""
    return sum(1 for token in text.split() if LETTER.search(token))


def run() -> dict[str, Any]:
    """Measure bot.langid.detect_language; return the figures."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    from bot import langid  # noqa: PLC0415 - the import and model load are what is timed

    langid.warm_up()
    load_ms = (time.perf_counter() - started) * 1000
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    with CORPUS.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    detect = langid.detect_language
    right = [detect(row["text"]) == row["lang"] for row in rows]
    short = [ok for ok, row in zip(right, rows, strict=True) if words(row["text"]) <= 4]
    kazakh = [row["text"] for row in rows if row["lang"] == "kk"]
    typed = [text.translate(KEYBOARD) for text in kazakh]
    stripped = [detect(text) == "kk" for text in typed]
    timings = []
    for _ in range(PASSES):
        for row in rows:
            begin = time.perf_counter_ns()
            detect(row["text"])
            timings.append(time.perf_counter_ns() - begin)
    model = gzip.decompress(langid.MODEL_FILE.read_bytes())
    return {
        "langid_accuracy": round(sum(right) / len(right), 4),
        "langid_short_accuracy": round(sum(short) / len(short), 4),
        "langid_kk_stripped": round(sum(stripped) / len(stripped), 4),
        "langid_median_ms": round(statistics.median(timings) / 1e6, 4),
        "langid_p99_ms": round(statistics.quantiles(timings, n=100)[98] / 1e6, 4),
        "langid_load_ms": round(load_ms, 1),
        "langid_memory_mb": round(rss_kb / 1024, 1),
        "langid_model_kb": round(len(langid.MODEL_FILE.read_bytes()) / 1024, 1),
        "langid_model_ngrams": sum(
            len(table) for tables in json.loads(model)["models"].values() for table in tables
        ),
        "langid_rows": len(rows),
        "langid_short_rows": len(short),
    }
