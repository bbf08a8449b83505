"""Build bot/data/langid-model.json.gz, the character model behind bot.langid.

The Russian and Kazakh letter statistics come from the n-gram models that lingua-py 1.3.5
publishes (Apache-2.0, Peter M. Stahl, https://github.com/pemistahl/lingua-py), trained on
large Russian and Kazakh text collections. From them this script derives:

- `ru`: Russian, as is;
- `kk-keyboard`: Kazakh as typed on a Russian keyboard: the Kazakh model with ә→а ғ→г қ→к ң→н
  ө→о ұ→у ү→у һ→х і→и applied to its n-grams (joint probabilities summed, conditionals
  recomputed), so text without the Kazakh letters can still be recognised as Kazakh.

Nothing here looks at the benchmark corpus. To rebuild (a developer's step, not a build step):

    pip download --no-deps -d /tmp/lingua lingua-language-detector==1.3.5
    pip install brotli
    python tools/build_langid_model.py /tmp/lingua/lingua_language_detector-1.3.5-py3-none-any.whl
"""

from __future__ import annotations

import gzip
import json
import math
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

import brotli  # type: ignore[import-not-found]

KEYBOARD = str.maketrans("әғқңөұүһі", "агкноуухи")
MIN_JOINT = 1e-6  # n-grams rarer than this (per letter) are left to the back-off
OUT = Path(__file__).resolve().parents[1] / "bot" / "data" / "langid-model.json.gz"
Joint = list[dict[str, float]]


def read_model(wheel: zipfile.ZipFile, language: str, name: str) -> dict[str, float]:
    """One of lingua's n-gram files: n-gram -> relative frequency (conditional for n > 1)."""
    raw = wheel.read(f"lingua/language-models/{language}/{name}.json.br")
    table: dict[str, float] = {}
    for fraction, grams in json.loads(brotli.decompress(raw))["ngrams"].items():
        numerator, denominator = fraction.split("/")
        for gram in grams.split(" "):
            table[gram] = int(numerator) / int(denominator)
    return table


def joint(wheel: zipfile.ZipFile, language: str) -> Joint:
    """Joint probabilities of 1-, 2- and 3-grams by the chain rule."""
    unigrams = read_model(wheel, language, "unigrams")
    bigrams = read_model(wheel, language, "bigrams")
    trigrams = read_model(wheel, language, "trigrams")
    total = sum(unigrams.values())
    one = {g: p / total for g, p in unigrams.items()}
    two = {g: one.get(g[0], 0.0) * p for g, p in bigrams.items()}
    three = {g: two.get(g[:2], 0.0) * p for g, p in trigrams.items()}
    return [one, two, three]


def on_russian_keyboard(tables: Joint) -> Joint:
    """The same text typed without the Kazakh letters."""
    mapped: Joint = []
    for table in tables:
        merged: dict[str, float] = defaultdict(float)
        for gram, p in table.items():
            merged[gram.translate(KEYBOARD)] += p
        mapped.append(dict(merged))
    return mapped


def conditional_logs(tables: Joint) -> list[dict[str, float]]:
    """log P(a), log P(b|a), log P(c|ab), keeping n-grams at least MIN_JOINT frequent."""
    one, two, three = tables
    logs = [{g: round(math.log(p), 3) for g, p in one.items() if p > 0}]
    for table, prefixes in ((two, one), (three, two)):
        logs.append(
            {
                g: round(math.log(p / prefixes[g[:-1]]), 3)
                for g, p in table.items()
                if p >= MIN_JOINT and prefixes.get(g[:-1])
            }
        )
    return logs


def main(wheel_path: str) -> None:
    """Write the model file."""
    with zipfile.ZipFile(wheel_path) as wheel:
        kazakh = joint(wheel, "kk")
        models = {
            "ru": conditional_logs(joint(wheel, "ru")),
            "kk-keyboard": conditional_logs(on_russian_keyboard(kazakh)),
        }
    document = {
        "source": "lingua-py 1.3.5 n-gram models (Apache-2.0, Peter M. Stahl), derived by "
        "tools/build_langid_model.py",
        "models": models,
    }
    OUT.write_bytes(gzip.compress(json.dumps(document, ensure_ascii=False).encode(), mtime=0))
    sizes = {name: [len(t) for t in tables] for name, tables in models.items()}
    print(f"{OUT}: {OUT.stat().st_size} bytes, n-grams per order {sizes}")


if __name__ == "__main__":
    main(sys.argv[1])
