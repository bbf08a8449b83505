"""Gettext catalogs per locale; a translator is picked per update, never installed globally."""

from __future__ import annotations

import gettext
from functools import cache
from importlib.resources import files
from pathlib import Path

from bot.content import LANGUAGES

LOCALES = Path(str(files("bot") / "locales"))
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}  # each in itself
DOMAIN = "bot"


class CatalogMissingError(RuntimeError):
    """A compiled catalog (.mo) is missing: `make install` builds them."""


@cache
def translator(language: str) -> gettext.GNUTranslations:
    """Return the catalog of `language` (kk, ru or en); English for anything else."""
    if language not in LANGUAGES:
        language = "en"
    try:
        return gettext.translation(DOMAIN, localedir=LOCALES, languages=[language])
    except FileNotFoundError as exc:
        raise CatalogMissingError(
            f"the {language} catalog is not compiled under {LOCALES}: run `make install`"
        ) from exc


def check_catalogs() -> None:
    """Load every catalog once, so a missing one stops the bot at start, not mid-journey."""
    for language in LANGUAGES:
        translator(language)


def N_(message: str) -> str:
    """Mark a text for the catalogs; it is translated later, where the language is known."""
    return message


def format_number(value: int, language: str) -> str:
    """1,240 in English; 1 240 in Kazakh and Russian (a narrow no-break space)."""
    text = f"{value:,}"
    return text if language == "en" else text.replace(",", "\u202f")


def language_for(chosen: str | None, telegram_code: str | None) -> str:
    """The language to answer someone in: the one they chose, else their Telegram app's when the
    bot has it, else English. The one rule: screens, team replies, alerts and jobs all use it."""
    if chosen in LANGUAGES:
        return chosen
    suggested = (telegram_code or "")[:2].lower()
    return suggested if suggested in LANGUAGES else "en"
