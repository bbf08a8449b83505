"""Every text a user sees exists in kk, ru and en, translated, placeholders and plurals kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.content import LANGUAGES
from bot.i18n import LOCALES, language_for, translator

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|/[a-z]+|<[^>]+>")
NAMES = re.compile(r"https?://\S+|Creative Spark|Creotalents|[\d\s·/✓✏️✅🔄▶️🎙»«…:{}_a-z]+")
EXPECTED_PLURALS = {"kk": 2, "ru": 3, "en": 2}


def used_in_code() -> dict[str, tuple[str, ...] | str]:
    """Every msgid the code asks for, as Babel's extractor finds it."""
    found: dict[str, tuple[str, ...] | str] = {}
    for _filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "bot"), keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    ):
        key = message[0] if isinstance(message, tuple) else message
        found[key] = message
    return found


def catalog(language: str) -> Catalog:
    """The catalog of `language`, as its .po file holds it."""
    with (LOCALES / language / "LC_MESSAGES" / "bot.po").open("rb") as handle:
        return read_po(handle, locale=language)


def translations(entry: Message) -> list[str]:
    """An entry's translation, or each of its plural forms; an untranslated one as ""."""
    string = entry.string
    return list(string) if isinstance(string, tuple | list) else [string or ""]


def test_the_code_asks_for_texts() -> None:
    """The extractor finds the journey's texts (so the checks below check something)."""
    used = used_in_code()
    assert len(used) > 60
    assert "How far do you agree with this conclusion?" in used


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_is_in_every_catalog(language: str) -> None:
    """A text used in the code but missing or empty in a catalog fails."""
    entries = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog(language) if m.id}
    missing = [key for key in used_in_code() if key not in entries]
    assert missing == []
    empty = [key for key, entry in entries.items() if not all(translations(entry))]
    assert empty == []
    fuzzy = [key for key, entry in entries.items() if entry.fuzzy]
    assert fuzzy == []


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_kazakh_and_russian_are_translated(language: str) -> None:
    """A Kazakh or Russian entry identical to the English one (names aside) fails."""
    untranslated = []
    for entry in catalog(language):
        if not entry.id:
            continue
        sources = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        for text in translations(entry):
            if text in sources and not NAMES.fullmatch(text):
                untranslated.append(text)
            if (
                language == "kk"
                and not re.search(r"[а-яәғқңөұүһі]", text.lower())
                and not NAMES.fullmatch(text)
            ):
                untranslated.append(text)
    assert untranslated == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_and_commands_survive_translation(language: str) -> None:
    """{count}, /start and HTML tags in a text stand in its translations too."""
    broken = []
    for entry in catalog(language):
        if not entry.id:
            continue
        source = entry.id if isinstance(entry.id, str) else entry.id[0]
        expected = sorted(PLACEHOLDER.findall(source))
        for text in translations(entry):
            if sorted(PLACEHOLDER.findall(text)) != expected:
                broken.append((source, text))
    assert broken == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_forms_match_the_language(language: str) -> None:
    """Russian has three plural forms, Kazakh and English two; every plural entry has them all."""
    po = catalog(language)
    assert po.num_plurals == EXPECTED_PLURALS[language]
    plurals = [m for m in po if m.id and isinstance(m.id, tuple)]
    assert plurals
    for entry in plurals:
        assert len(translations(entry)) == po.num_plurals


def test_russian_plurals_pick_the_right_form() -> None:
    """The compiled Russian catalog says 1 символ, 3 символа, 11 символов."""
    ngettext = translator("ru").ngettext
    singular = "✓ Your comment is saved ({count} character)."
    plural = "✓ Your comment is saved ({count} characters)."
    assert "символ)" in ngettext(singular, plural, 1)
    assert "символа)" in ngettext(singular, plural, 3)
    assert "символов)" in ngettext(singular, plural, 11)
    assert "символ)" in ngettext(singular, plural, 21)


@pytest.mark.parametrize(
    ("chosen", "telegram", "answered_in"),
    [
        ("kk", "ru", "kk"),  # the choice wins
        (None, "ru-RU", "ru"),
        (None, "RU", "ru"),
        (None, "de", "en"),  # a language the bot has not
        (None, None, "en"),
        ("xx", "kk", "kk"),  # not one of the bot's: as if not chosen
    ],
)
def test_one_rule_says_which_language_to_answer_in(
    chosen: str | None, telegram: str | None, answered_in: str
) -> None:
    """The chosen language, else the Telegram app's when the bot has it, else English."""
    assert language_for(chosen, telegram) == answered_in


def test_no_literal_text_is_translated_inside_an_f_string() -> None:
    """The extractor does not look inside f-strings: `f"{_('Opinion groups')}"` would never
    reach a catalog and stay English for everyone (a map's title once did)."""
    hidden = re.compile(r"""\{_\(\s*['"]""")
    found = [
        f"{path}:{number}"
        for path in sorted(Path("bot").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if hidden.search(line)
    ]
    assert found == []
