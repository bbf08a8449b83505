"""The consultation content file: load it, validate it, and hand out frozen values."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path
from typing import Any

LANGUAGES = ("kk", "ru", "en")  # the state language first, always in this order
DEFAULT_CONTENT = Path(str(files("bot") / "data" / "consultation.toml"))

MAX_MESSAGE = 4096  # Telegram's limit for one message, in characters after entity parsing
MAX_QUESTION = 3500  # a question leaves room for the "3 / 6" header and the prompt around it
MAX_LABEL = 60  # longer button labels are cut off on a phone screen
MAX_SUMMARY = 450  # the short consent, facts filled in: one phone screen
MAX_CHANGE_NOTE = 300  # a line under a conclusion: the screen stays within one message
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9+-]{0,23}$")  # ASCII, so callback data stays short
TBC_MARK = "[TBC]"
CONSENT_FIELDS = ("minutes", "retention", "investigator", "ethics_reference")
ALLOWED_TAGS = frozenset({"b", "strong", "i", "em", "u", "s", "code", "a", "blockquote"})


class ContentError(ValueError):
    """The content file is not valid; `problems` names each problem."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{path}: {len(problems)} problem(s)\n{listing}")


@dataclass(frozen=True, slots=True)
class Localized:
    """One text in the three languages."""

    kk: str
    ru: str
    en: str

    def __call__(self, language: str) -> str:
        """Return the text in `language`, English for an unknown code."""
        return str(getattr(self, language, self.en))


@dataclass(frozen=True, slots=True)
class Option:
    """A choice offered by a button; `id` is what exports carry."""

    id: str
    label: Localized
    exclusive: bool = False


@dataclass(frozen=True, slots=True)
class Conclusion:
    """One of the six conclusions."""

    id: str
    number: int
    title: Localized
    text: Localized
    change_note: Localized | None = None  # what the team changed and why, for earlier answers


@dataclass(frozen=True, slots=True)
class MultiQuestion:
    """A question answered by choosing up to `max_choices` options."""

    item: str
    text: Localized
    text_outside: Localized | None
    max_choices: int
    options: tuple[Option, ...]

    def option(self, option_id: str) -> Option | None:
        """Return the option with this id, or None."""
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True, slots=True)
class Consent:
    """The information shown before consent, in short and in full, with the facts the team
    fills in."""

    text: Localized  # the full information
    summary: Localized  # four short lines: who asks, why, how long, what is kept and withdrawal
    investigator: Localized
    ethics_reference: str  # an approval number reads the same in every language
    minutes: int
    retention: Localized

    def render(self, language: str) -> str:
        """Return the full consent text in `language` with its facts filled in."""
        return self._fill(self.text, language)

    def render_summary(self, language: str) -> str:
        """Return the short consent in `language` with its facts filled in."""
        return self._fill(self.summary, language)

    def _fill(self, template: Localized, language: str) -> str:
        return template(language).format(
            minutes=self.minutes,
            retention=self.retention(language),
            investigator=self.investigator(language),
            ethics_reference=self.ethics_reference,
        )


@dataclass(frozen=True, slots=True)
class Content:
    """Everything a respondent reads around the questions, in one version."""

    version: int
    title: Localized
    welcome: Localized  # Telegram HTML, like every longer text; titles and labels are plain
    closing: Localized
    consent: Consent
    stances: tuple[Option, ...]
    conclusions: tuple[Conclusion, ...]
    groups: tuple[Option, ...]
    regions: tuple[Option, ...]
    age_bands: tuple[Option, ...]
    genders: tuple[Option, ...]
    sectors: MultiQuestion
    markets: MultiQuestion
    idea: Localized
    warnings: tuple[str, ...] = ()

    def stance_label(self, value: int) -> Localized | None:
        """Return the label of a stance value (1..5), or None."""
        return next((s.label for s in self.stances if s.id == str(value)), None)


def load_content(path: Path | None = None) -> Content:
    """Read and validate a content file; raise ContentError naming every problem."""
    path = path or DEFAULT_CONTENT
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ContentError(path, [f"cannot read the file: {exc.strerror or exc}"]) from exc
    except UnicodeDecodeError as exc:
        raise ContentError(path, ["the file is not UTF-8 text"]) from exc
    return load_content_text(text, path)


def load_content_text(text: str, path: Path) -> Content:
    """Validate the text of a content file (`path` names it in the problems); raise
    ContentError naming every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(path, [f"not valid TOML: {exc}"]) from exc
    reader = _Reader()
    content = reader.content(raw)
    if reader.problems or content is None:
        raise ContentError(path, reader.problems)
    return content


class _Reader:
    """Builds a Content from parsed TOML, collecting every problem instead of stopping."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def content(self, raw: Mapping[str, Any]) -> Content | None:
        version = raw.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            self.problems.append("version: a whole number from 1 up is required")
            version = 0
        consultation = self._table(raw, "consultation")
        consent_raw = self._table(raw, "consent")
        consent = self._consent(consent_raw)
        stances = self._stances(raw.get("stances"))
        conclusions = self._conclusions(raw.get("conclusions"))
        groups = self._options(raw.get("groups"), "groups")
        regions = self._options(raw.get("regions"), "regions")
        age_bands = self._options(raw.get("age_bands"), "age_bands")
        genders = self._options(raw.get("genders"), "genders")
        sectors = self._multi(raw, "sectors")
        markets = self._multi(raw, "markets")
        idea = self._text(
            self._table(raw, "idea_question"), "text", "idea_question.text", MAX_QUESTION
        )
        title = self._text(consultation, "title", "consultation.title", MAX_LABEL * 2, html=False)
        welcome = self._text(consultation, "welcome", "consultation.welcome", MAX_QUESTION)
        closing = self._text(consultation, "closing", "consultation.closing", MAX_QUESTION)
        if self.problems or None in (consent, sectors, markets, idea, title, welcome, closing):
            return None
        assert consent and sectors and markets and idea and title and welcome and closing
        return Content(
            version=version,
            title=title,
            welcome=welcome,
            closing=closing,
            consent=consent,
            stances=stances,
            conclusions=conclusions,
            groups=groups,
            regions=regions,
            age_bands=age_bands,
            genders=genders,
            sectors=sectors,
            markets=markets,
            idea=idea,
            warnings=tuple(self.warnings),
        )

    def _table(self, raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = raw.get(key)
        if not isinstance(value, Mapping):
            self.problems.append(f"[{key}]: the table is missing")
            return {}
        return value

    def _text(
        self, table: Mapping[str, Any], key: str, where: str, limit: int, *, html: bool = True
    ) -> Localized | None:
        """A text in every language; `html` texts are sent as Telegram HTML, others escaped."""
        value = table.get(key)
        if not isinstance(value, Mapping):
            self.problems.append(f"{where}: texts in {', '.join(LANGUAGES)} are required")
            return None
        texts: dict[str, str] = {}
        marked = []
        for language in LANGUAGES:
            text = value.get(language)
            if not isinstance(text, str) or not text.strip():
                self.problems.append(f"{where}: the {language} text is missing or empty")
                continue
            if len(text) > limit:
                self.problems.append(
                    f"{where}: the {language} text has {len(text)} characters, at most {limit}"
                )
            if html and (problem := _html_problem(text)):
                self.problems.append(f"{where} ({language}): {problem}")
            if TBC_MARK in text:
                marked.append(language)
            texts[language] = text.strip()
        if marked:  # once per field, however many languages still wait for the fact
            self.warnings.append(f"{where} ({', '.join(marked)}) is still marked {TBC_MARK}")
        unknown = set(value) - set(LANGUAGES)
        if unknown:
            self.problems.append(f"{where}: unknown language(s) {', '.join(sorted(unknown))}")
        if len(texts) != len(LANGUAGES):
            return None
        return Localized(**texts)

    def _consent(self, table: Mapping[str, Any]) -> Consent | None:
        text = self._text(table, "text", "consent.text", MAX_MESSAGE - 600)
        # The summary is measured once its facts are filled in, below.
        summary = self._text(table, "summary", "consent.summary", MAX_MESSAGE)
        retention = self._text(table, "retention", "consent.retention", 200)
        investigator = self._text(table, "investigator", "consent.investigator", 300)
        minutes = table.get("minutes")
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 120:
            self.problems.append("consent.minutes: a whole number of minutes (1-120) is required")
            minutes = 0
        ethics_reference = table.get("ethics_reference")
        if not isinstance(ethics_reference, str) or not ethics_reference.strip():
            self.problems.append("consent.ethics_reference: a text is required")
            ethics_reference = ""
        elif TBC_MARK in ethics_reference:
            self.warnings.append(f"consent.ethics_reference is still marked {TBC_MARK}")
        if text is None or summary is None or retention is None or investigator is None:
            return None
        consent = Consent(
            text=text,
            summary=summary,
            investigator=investigator,
            ethics_reference=ethics_reference.strip(),
            minutes=minutes,
            retention=retention,
        )
        renderings = (
            ("consent.text", consent.render, MAX_MESSAGE),
            ("consent.summary", consent.render_summary, MAX_SUMMARY),
        )
        for where, render, limit in renderings:
            for language in LANGUAGES:
                try:
                    rendered = render(language)
                except (KeyError, IndexError, ValueError) as exc:
                    self.problems.append(
                        f"{where} ({language}): unknown placeholder {exc}; "
                        f"the known ones are {', '.join('{' + f + '}' for f in CONSENT_FIELDS)}"
                    )
                    continue
                if len(rendered) > limit:
                    self.problems.append(
                        f"{where} ({language}): {len(rendered)} characters once filled in, "
                        f"at most {limit}"
                    )
        return consent

    def _options(
        self, raw: object, where: str, *, minimum: int = 2, maximum: int = 30
    ) -> tuple[Option, ...]:
        if not isinstance(raw, list) or not all(isinstance(entry, Mapping) for entry in raw):
            self.problems.append(f"[[{where}]]: a list of options is required")
            return ()
        if not minimum <= len(raw) <= maximum:
            self.problems.append(f"[[{where}]]: {len(raw)} options, {minimum}-{maximum} expected")
        options = []
        for index, entry in enumerate(raw, start=1):
            option_id = entry.get("id")
            if not isinstance(option_id, str) or not ID_PATTERN.match(option_id):
                self.problems.append(
                    f"{where} #{index}: id {option_id!r} must be 1-24 of a-z 0-9 + - "
                    "(lower case, starting with a letter or digit)"
                )
                option_id = f"?{index}"
            label = self._text(entry, "label", f"{where}.{option_id}.label", MAX_LABEL, html=False)
            exclusive = entry.get("exclusive", False)
            if not isinstance(exclusive, bool):
                self.problems.append(f"{where}.{option_id}.exclusive: true or false")
                exclusive = False
            if label:
                options.append(Option(id=option_id, label=label, exclusive=exclusive))
        self._unique((o.id for o in options), where)
        return tuple(options)

    def _stances(self, raw: object) -> tuple[Option, ...]:
        if not isinstance(raw, list) or not all(isinstance(entry, Mapping) for entry in raw):
            self.problems.append("[[stances]]: the five stances are required")
            return ()
        values = [entry.get("value") for entry in raw]
        if sorted(v for v in values if isinstance(v, int)) != [1, 2, 3, 4, 5]:
            self.problems.append("[[stances]]: exactly the values 1, 2, 3, 4, 5 are required")
        options = []
        for entry in raw:
            label = self._text(
                entry, "label", f"stances.{entry.get('value')}.label", MAX_LABEL, html=False
            )
            if label:
                options.append(Option(id=str(entry.get("value")), label=label))
        return tuple(options)

    def _conclusions(self, raw: object) -> tuple[Conclusion, ...]:
        if not isinstance(raw, list) or not all(isinstance(entry, Mapping) for entry in raw):
            self.problems.append("[[conclusions]]: a list of conclusions is required")
            return ()
        if not 1 <= len(raw) <= 9:
            self.problems.append(f"[[conclusions]]: {len(raw)} conclusions, 1-9 expected")
        conclusions = []
        for number, entry in enumerate(raw, start=1):
            expected = f"conclusion-{number}"
            if entry.get("id") != expected:
                self.problems.append(
                    f"conclusions #{number}: id {entry.get('id')!r}, expected {expected!r} "
                    "(conclusions are numbered in order)"
                )
            title = self._text(entry, "title", f"{expected}.title", MAX_LABEL * 2, html=False)
            text = self._text(entry, "text", f"{expected}.text", MAX_QUESTION)
            note = (
                self._text(entry, "change_note", f"{expected}.change_note", MAX_CHANGE_NOTE)
                if "change_note" in entry
                else None
            )
            if title and text:
                conclusions.append(
                    Conclusion(
                        id=expected, number=number, title=title, text=text, change_note=note
                    )
                )
        return tuple(conclusions)

    def _multi(self, raw: Mapping[str, Any], item: str) -> MultiQuestion | None:
        table = self._table(raw, f"{item}_question")
        options = self._options(raw.get(item), item)
        text = self._text(table, "text", f"{item}_question.text", MAX_QUESTION)
        outside = (
            self._text(table, "text_outside", f"{item}_question.text_outside", MAX_QUESTION)
            if "text_outside" in table
            else None
        )
        max_choices = table.get("max_choices")
        if not isinstance(max_choices, int) or not 1 <= max_choices <= len(options or [1]):
            self.problems.append(f"{item}_question.max_choices: 1 up to the number of options")
            max_choices = 1
        if text is None:
            return None
        return MultiQuestion(
            item=item, text=text, text_outside=outside, max_choices=max_choices, options=options
        )

    def _unique(self, ids: Iterable[str], where: str) -> None:
        seen: set[str] = set()
        for option_id in ids:
            if option_id in seen:
                self.problems.append(f"[[{where}]]: the id {option_id!r} is used twice")
            seen.add(option_id)


class _TagChecker(HTMLParser):
    """Finds HTML that Telegram would refuse: unknown or unbalanced tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problem: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problem = self.problem or f"the tag <{tag}> is not allowed by Telegram"
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.problem = self.problem or f"the closing tag </{tag}> does not match"


def _html_problem(text: str) -> str | None:
    """Say what is wrong with a text's HTML, or None when Telegram accepts it."""
    if re.search(r"<(?![/a-zA-Z])", text) or re.search(r"&(?![a-zA-Z]+;|#\d+;)", text):
        return "a bare < or & must be written &lt; or &amp;"
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    if checker.problem:
        return checker.problem
    if checker.open:
        return f"the tag <{checker.open[-1]}> is never closed"
    return None
