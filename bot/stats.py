"""The statistics /stats and `python -m bot stats` show. No telegram import, no pandas."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from html import escape
from pathlib import Path
from typing import Any

from bot.content import Content
from bot.i18n import LANGUAGE_NAMES, translator
from bot.journey import DIRECT, UNREGISTERED
from bot.rounds import CONSENSUS_IQR, CONSENSUS_SHARE, Shares
from bot.storage.reports import people_figures, stance_figures

CONSENSUS_MARK = "✓"  # beside a round's conclusion that reached consensus
CONSENSUS_TERMS = {"share": f"{CONSENSUS_SHARE:.0%}", "iqr": f"{CONSENSUS_IQR:g}"}  # 70%, 1


def consensus_rule(language: str) -> str:
    """What consensus means, in `language`: the rule of `Shares.consensus`, as /stats, the
    pack's summaries, its rounds chart and rounds.csv apply it."""
    return (
        translator(language)
        .gettext(
            "Consensus: {share} or more on one side (agree or disagree) and an interquartile"
            " range of {iqr} or less."
        )
        .format(**CONSENSUS_TERMS)
    )


def collect(database: Path) -> dict[str, Any]:
    """Read the figures through read-only connections of their own: the stances in a second
    thread while this one counts the people (SQLite lets go of the GIL while it reads, so at a
    million respondents the two halves take the time of the longer, not of both)."""
    with ThreadPoolExecutor(1) as pool:
        stances = pool.submit(_read, database, stance_figures)
        return _read(database, people_figures) | stances.result()


def _read(
    database: Path, figures: Callable[[sqlite3.Connection], dict[str, Any]]
) -> dict[str, Any]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return figures(connection)
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
    several = len(figures["answered_rounds"]) > 1
    if several:  # the counts below are the newest round's; each round follows in shares
        newest = _("Round {round}").format(round=figures["answered_rounds"][-1])
        stances_title += f" · {newest}"
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
    if several:
        lines += round_sections(figures, content, language)
    return "\n".join(lines)


def round_sections(figures: dict[str, Any], content: Content, language: str) -> list[str]:
    """Per round with answers, per conclusion: n, the shares that agree, are neutral and
    disagree in whole percent, and ✓ for consensus (`Shares`, as rounds.csv has them)."""
    _ = translator(language).gettext
    by_round: dict[int, dict[str, dict[int, int]]] = {}
    for number, item, stance, count in figures["rounds"]:
        by_round.setdefault(number, {}).setdefault(item, {})[stance] = count
    lines = ["", f"<i>{CONSENSUS_MARK} {escape(consensus_rule(language))}</i>"]
    for number in figures["answered_rounds"]:
        heading = _("Round {round}").format(round=number)
        lines += ["", f"<b>{escape(heading)}</b>"]
        for conclusion in content.conclusions:
            shares = Shares.of(by_round.get(number, {}).get(conclusion.id, {}))
            if shares.n:
                agree, neutral, disagree = shares.percentages()
                fared = f"n = {shares.n} · " + _(
                    "agree {agree}% · neither {neutral}% · disagree {disagree}%"
                ).format(agree=agree, neutral=neutral, disagree=disagree)
                if shares.consensus:
                    fared += f" {CONSENSUS_MARK}"
            else:
                fared = _("no answers yet")
            lines.append(f"{conclusion.number}. {escape(conclusion.title(language))}: {fared}")
    return lines
