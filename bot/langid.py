"""The language of a text: "kk", "ru" or "en", or None when it carries none. No telegram import.

langdetect has no Kazakh profile, so Kazakh is recognised here, before langdetect is asked:

1. Letters only: links, e-mail addresses, @mentions, digits, emoji and punctuation carry no
   language. In a Cyrillic word whose only Latin letters look like Cyrillic ones, they are
   read as those (Kazakh writers often type Latin `i` for `і`); "ITшники" stays as it is.
2. Mostly Cyrillic words, a quarter or more of them with the Kazakh letters ә ғ қ ң ө ұ ү һ і,
   say Kazakh (a Kazakh place name in a Russian sentence does not). Mostly Latin words say
   Kazakh in the 2021 Latin alphabet when they carry enough of its marks (ä ğ ñ ū ı count
   two, ö ü ş and q without u one each; three needed) and no letter it lacks (é, ç...), so
   "Zürich and Köln" and "Señor, café" stay foreign.
3. Cyrillic text without them may still be Kazakh typed on a Russian keyboard: a character
   trigram model of Russian and of Kazakh so typed (`bot/data/langid-model.json.gz`, built by
   `tools/build_langid_model.py` from lingua-py's published n-gram models) compares the two.
   Kazakh must be about twenty times likelier than Russian to win, so short Russian replies
   ("Да, да", "Ага", "Кайф") stay Russian; "Жок" or "Келисемин" carry enough.
4. Otherwise a text in Cyrillic letters only is Russian, in Latin letters only English; where
   the scripts mix, langdetect, restricted to its own Russian and English profiles, decides.

Only `MAX_CHARS` (500) characters are read, from the first word on: a comment shows its
language in its first sentences (the shared corpus's longest row has 209 characters), and a
message of 4,096 characters costs no more than a paragraph. No pattern can backtrack: links and
e-mail addresses are found token by token with `str.find`, and every pattern is a character
class, or one class repeated with nothing after it. So the patterns, the trigram loop and
langdetect (its n-gram pass is linear, its sampling a fixed number of rounds) each read those
characters a fixed number of times.

Deterministic (langdetect runs with a fixed seed); a fraction of a millisecond for a reply, a
few milliseconds at most. `python -m bench langid` measures it on the shared corpus, and
`python -m bench hostile` on adversarial texts through the whole comment path.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import unicodedata
from functools import cache
from importlib.resources import files

from langdetect.detector_factory import DetectorFactory
from langdetect.lang_detect_exception import LangDetectException
from langdetect.utils.lang_profile import LangProfile

MODEL_FILE = files("bot") / "data" / "langid-model.json.gz"
PRIOR = {"ru": math.log(0.95), "kk-keyboard": math.log(0.05)}
KAZAKH_SHARE = 0.25  # of the Cyrillic words, with a Kazakh letter
LATIN_MARKS = 3  # points of 2021 Latin Kazakh marks in a mostly Latin text
BACKOFF = math.log(0.4)  # "stupid back-off" from a trigram to a bigram to a letter
UNSEEN = math.log(1e-6)  # a letter the model never saw

MAX_CHARS = 500  # characters of a text that are read: the rest changes nothing
TOKEN_BACK = 64  # how far before its first letter a token may start (a link, an @name)

_LINKS = ("http://", "https://", "www.")  # a link runs from one of these to the token's end
_HANDLE = re.compile(r"[@/]\w+")  # @mention, /command: nothing after the run to backtrack for
_WORD = re.compile(r"[^\W\d_]+")
_LETTER = re.compile(r"[^\W\d_]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-zà-ÿāăąćčēğıłńňñōőśşšūůűźżž]")
_KAZAKH = re.compile(r"[әғқңөұүһі]")
_KAZAKH_LATIN = re.compile(r"[äğñūı]")
_KAZAKH_LATIN_WEAK = re.compile(r"[öüşq]")
_FOREIGN_LATIN = re.compile(r"[à-ãå-ëì-ïðòóôõøùúûý-ÿāăąćčēłńňōőśšůűźż]")
# Latin letters that stand for Cyrillic ones inside a Cyrillic word (lower case).
_LOOKALIKES = str.maketrans("aceopxyiə", "асеорхуіә")


def _without_links(token: str) -> str:
    """A whitespace-free, lower-case token without an e-mail address or a link in it."""
    at = token.find("@", 1)
    if at > 0 and 0 < token.find(".", at + 2) < len(token) - 1:
        return ""  # name@host.domain, and whatever is glued to it
    starts = [
        start
        for start, link in zip(map(token.find, _LINKS), _LINKS, strict=True)
        if 0 <= start < len(token) - len(link)
    ]  # a bare "www." is no link
    return token[: min(starts)] if starts else token


def _words(text: str) -> list[str]:
    """The words of a text, lower case, with Latin lookalikes in Cyrillic words made Cyrillic."""
    text = text or ""
    first = _LETTER.search(text)  # padding before the words (spaces, emoji) is not read
    if first is None:
        return []
    # From the start of that letter's token (any space before it, a few characters back at
    # most), so that "@name" or a link stays whole; padding glued to the word is not read.
    start = first.start()
    while start > 0 and first.start() - start < TOKEN_BACK and not text[start - 1].isspace():
        start -= 1
    text = unicodedata.normalize("NFC", text[start : start + MAX_CHARS]).lower()
    text = _HANDLE.sub(" ", " ".join(map(_without_links, text.split())))
    words = []
    for word in _WORD.findall(text):
        read = word.translate(_LOOKALIKES) if _CYRILLIC.search(word) else word
        words.append(word if _LATIN.search(read) else read)  # when every Latin letter is one
    return words


def _latin_kazakh(words: list[str]) -> bool:
    """Whether mostly Latin words are Kazakh in the 2021 Latin alphabet."""
    joined = "".join(words)
    if _FOREIGN_LATIN.search(joined):
        return False
    strong = set(_KAZAKH_LATIN.findall(joined))
    weak = set(_KAZAKH_LATIN_WEAK.findall(joined.replace("qu", "")))
    return 2 * len(strong) + len(weak) >= LATIN_MARKS


class _TrigramModel:
    """log P(word) by the chain rule over letters, backing off from trigrams to letters."""

    def __init__(self, orders: list[dict[str, float]]) -> None:
        self.one, self.two, self.three = orders

    def log_probability(self, word: str) -> float:
        total = 0.0
        for index, letter in enumerate(word):
            trigram = word[index - 2 : index + 1] if index >= 2 else ""
            bigram = word[index - 1 : index + 1] if index >= 1 else ""
            if trigram in self.three:
                total += self.three[trigram]
            elif bigram in self.two:
                total += BACKOFF + self.two[bigram]
            else:
                total += 2 * BACKOFF + self.one.get(letter, UNSEEN)
        return total


@cache
def _models() -> dict[str, _TrigramModel]:
    document = json.loads(gzip.decompress(MODEL_FILE.read_bytes()))
    return {name: _TrigramModel(orders) for name, orders in document["models"].items()}


@cache
def _langdetect() -> DetectorFactory:
    """langdetect with only its Russian and English profiles: nothing else to confuse them with."""
    factory = DetectorFactory()
    factory.seed = 0
    profiles = files("langdetect") / "profiles"
    for index, name in enumerate(("ru", "en")):
        data = json.loads((profiles / name).read_text(encoding="utf-8"))
        factory.add_profile(LangProfile(**data), index, 2)
    return factory


def _keyboard_kazakh(words: list[str]) -> bool:
    """Whether Cyrillic words without Kazakh letters read as Kazakh typed on a Russian keyboard."""
    models = _models()
    scores = {
        name: PRIOR[name] + sum(model.log_probability(word) for word in words)
        for name, model in models.items()
    }
    return scores["kk-keyboard"] > scores["ru"]


def detect_language(text: str) -> str | None:
    """Return "kk", "ru" or "en" for the language of `text`, None when it has no letters."""
    words = _words(text)
    if not words:
        return None
    joined = " ".join(words)
    cyrillic, latin = len(_CYRILLIC.findall(joined)), len(_LATIN.findall(joined))
    cyrillic_words = [word for word in words if _CYRILLIC.search(word)]
    latin_words = [word for word in words if _LATIN.search(word) and not _CYRILLIC.search(word)]
    if cyrillic_words and len(cyrillic_words) >= len(latin_words):
        marked = sum(1 for word in cyrillic_words if _KAZAKH.search(word))
        if marked >= KAZAKH_SHARE * len(cyrillic_words) or _keyboard_kazakh(cyrillic_words):
            return "kk"
    elif _latin_kazakh(latin_words):
        return "kk"
    else:  # mostly Latin: the Cyrillic words are names, not the language
        joined = " ".join(latin_words)
    # Of langdetect's two profiles, a text in one script only is always that one's language
    # (Cyrillic Russian, Latin English: so on every row of the shared corpus), and a comment
    # costs it about half a millisecond: it is asked only when the scripts mix.
    if letters := len(joined) - joined.count(" "):  # none: letters of another script only
        if len(_CYRILLIC.findall(joined)) == letters:
            return "ru"
        if len(_LATIN.findall(joined)) == letters:
            return "en"
    detector = _langdetect().create()
    detector.append(joined)
    try:
        return str(detector.detect())
    except LangDetectException:  # no letter langdetect knows: another script altogether
        if not (cyrillic or latin):
            return None
        return "ru" if cyrillic >= latin else "en"


def warm_up() -> None:
    """Load the models now rather than on the first comment."""
    _models()
    _langdetect()
