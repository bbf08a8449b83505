"""The statistics /stats and `python -m bot stats` show. No telegram import, no pandas."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from bot.content import Content
from bot.i18n import LANGUAGE_NAMES, translator
from bot.journey import DIRECT, UNREGISTERED
from bot.storage.reports import statistics


def collect(database: Path) -> dict[str, Any]:
    """Read the figures through a read-only connection of their own."""
    import sqlite3  # noqa: PLC0415 - a plain read-only connection, off the bot's

    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return statistics(connection)
    finally:
        connection.close()


def format_stats(figures: dict[str, Any], content: Content, language: str) -> str:
    """The figures as a chat message in `language` (HTML)."""
    _ = translator(language).gettext
    people = figures["people"]

    def labelled(pairs: list[tuple[str, int]], names: dict[str, str]) -> str:
        shown = (f"{escape(names.get(key, key) or '—')}: {count}" for key, count in pairs)
        return ", ".join(shown) or "—"

    groups = {o.id: o.label(language) for o in content.groups}
    groups["prefer-not-to-say"] = _("prefer not to say")
    groups[""] = _("skipped")
    sources = {DIRECT: _("no invitation link"), UNREGISTERED: _("unregistered link")}
    title, stances_title = (
        _("Creative Spark consultation: statistics"),
        _("Stance on each conclusion"),
    )
    # The scale as the CSV files code it, 1 to 5, each value named once above the counts.
    scale = " · ".join(
        f"{value} = {escape(label(language))}"
        for value in range(1, 6)
        if (label := content.stance_label(value)) is not None
    )
    lines = [
        f"<b>{title}</b>",
        _("Started: {started} · submitted: {submitted} · declined: {declined}").format(**people),
        _("By language: {list}").format(list=labelled(figures["languages"], LANGUAGE_NAMES)),
        _("By group: {list}").format(list=labelled(figures["groups"], groups)),
        _("By source: {list}").format(list=labelled(figures["sources"], sources)),
        "",
        f"<b>{stances_title}</b>",
        f"<i>{scale}</i>",
    ]
    given: dict[str, dict[int, int]] = {}
    for item, stance, count in figures["stances"]:
        given.setdefault(item, {})[stance] = count
    for conclusion in content.conclusions:
        counts = given.get(conclusion.id, {})
        total = sum(counts.values())
        if total:
            spread = " · ".join(f"{v}: {counts.get(v, 0)}" for v in range(1, 6))
            spread += f" (n = {total})"
        else:
            spread = _("no answers yet")
        lines.append(f"{conclusion.number}. {escape(conclusion.title(language))}: {spread}")
    return "\n".join(lines)
