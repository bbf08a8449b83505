"""No English inside a Kazakh or Russian screen, proper names and commands aside."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.content import DEFAULT_CONTENT, Content, Localized, load_content
from tests.test_i18n import catalog, translations

# Proper names and terms a Kazakh or Russian text keeps in Latin script.
NAMES = (
    "Creative Spark",
    "Creotalents",
    "CACTLE",
    "PhD",
    "e-mail",
    "Telegram",
    "BOT_ADMINS",
    "IT",
    "kk, ru, en",
    "[TBC]",
)
# What is not words at all: links, commands, placeholders, tags (and <user id> arguments).
NOT_WORDS = re.compile(r"https?://\S+|@\w+|/[a-z_]+|\{[a-z_]+\}|<[^>]*>")
WORD = re.compile(r"[^\W\d_]+")
CLAUSE = 3  # this many Latin words in a row are an English clause, not a name
OLD_INVESTIGATOR = (
    "Dr Armiyash Nurmagambetova, CACTLE, L.N. Gumilyov Eurasian National University, e-mail [TBC]"
)


def latin(word: str) -> bool:
    """Whether every letter of `word` is Latin script (Kazakh Latin letters included)."""
    return all(unicodedata.name(letter, "").startswith("LATIN") for letter in word)


def english_clauses(text: str) -> list[str]:
    """Every run of CLAUSE or more Latin-script words in `text`, names and commands left out."""
    text = NOT_WORDS.sub(" ", text)
    for name in NAMES:
        text = text.replace(name, " ")  # a name inside an English clause leaves it a clause
    clauses: list[str] = []
    run: list[str] = []
    for word in [*WORD.findall(text), "·"]:  # "·" ends the last run
        if latin(word):
            run.append(word)
            continue
        if len(run) >= CLAUSE:
            clauses.append(" ".join(run))
        run = []
    return clauses


def localized_values(value: object, where: str) -> Iterator[tuple[str, Localized]]:
    """Every Localized value inside `value` (a Content, or any part of one), with its place."""
    if isinstance(value, Localized):
        yield where, value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from localized_values(getattr(value, field.name), f"{where}.{field.name}")
    elif isinstance(value, tuple):
        for index, part in enumerate(value):
            yield from localized_values(part, f"{where}.{getattr(part, 'id', index)}")


def english_in_content(content: Content, language: str) -> list[tuple[str, str]]:
    """(place, clause) for every English clause in the content's texts in `language`, the
    consent also as the respondent reads it, its facts filled in."""
    texts = [(where, text(language)) for where, text in localized_values(content, "content")]
    texts.append(("consent (filled in)", content.consent.render(language)))
    texts.append(("consent summary (filled in)", content.consent.render_summary(language)))
    return [(where, clause) for where, text in texts for clause in english_clauses(text)]


def test_the_check_finds_an_english_clause_and_spares_names() -> None:
    """The investigator as it stood (one English string) is caught; names and commands are not."""
    assert english_clauses(OLD_INVESTIGATOR)
    assert english_clauses("Деректер жинағы: the export failed")
    assert not english_clauses("Creotalents Creative Spark командасы, CACTLE (PhD), [TBC]")
    assert not english_clauses("/consultation open, /consultation close немесе <user id>")


def test_the_check_walks_every_localized_field_of_the_content() -> None:
    """The walk reaches the consent's facts, the options and the conclusions."""
    places = {where for where, _text in localized_values(load_content(), "content")}
    assert {
        "content.consent.investigator",
        "content.consent.summary",
        "content.stances.3.label",
        "content.regions.abai.label",
        "content.conclusions.conclusion-6.text",
        "content.sectors.options.music.label",
    } <= places


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_no_english_clause_in_the_kazakh_and_russian_content(language: str) -> None:
    """Every kk and ru value of the content file (and the consent as shown) reads natively."""
    assert english_in_content(load_content(), language) == []


def test_an_english_investigator_in_the_kazakh_consent_is_caught(tmp_path: Path) -> None:
    """The English investigator put back in the kk text fails the check, naming the field."""
    text = DEFAULT_CONTENT.read_text(encoding="utf-8")
    start = text.index('investigator = { kk = "') + len('investigator = { kk = "')
    end = text.index('"', start)
    path = tmp_path / "content.toml"
    path.write_text(text[:start] + OLD_INVESTIGATOR + text[end:], encoding="utf-8")
    found = english_in_content(load_content(path), "kk")
    assert [where for where, _clause in found] == [
        "content.consent.investigator",
        "consent (filled in)",
    ]


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_no_english_clause_in_the_kazakh_and_russian_catalogs(language: str) -> None:
    """Every kk and ru catalog entry, plural forms too, reads natively."""
    found = [
        (entry.id, clause)
        for entry in catalog(language)
        if entry.id
        for form in translations(entry)
        for clause in english_clauses(form)
    ]
    assert found == []
