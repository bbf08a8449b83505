"""The language of a text: kk, ru or en, or None when it carries none. No telegram import."""

from __future__ import annotations

import re

from langdetect import DetectorFactory, LangDetectException, detect_langs

DetectorFactory.seed = 0  # langdetect samples at random; a fixed seed makes it deterministic

_KAZAKH_LETTERS = re.compile(r"[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
_UKRAINIAN_LETTERS = re.compile(r"[єїґЄЇҐ]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")
_LETTER = re.compile(r"[^\W\d_]")


def detect_language(text: str) -> str | None:
    """Return "kk", "ru" or "en" for the language of `text`, None when it has no letters."""
    if not _LETTER.search(text or ""):
        return None
    if _KAZAKH_LETTERS.search(text) and not _UKRAINIAN_LETTERS.search(text):
        return "kk"
    cyrillic, latin = len(_CYRILLIC.findall(text)), len(_LATIN.findall(text))
    if cyrillic >= latin:
        return "ru" if cyrillic else None
    try:
        for candidate in detect_langs(text):
            if candidate.lang in ("en", "ru"):
                return str(candidate.lang)
    except LangDetectException:
        pass
    return "en"
