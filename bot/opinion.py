"""The opinion groups of a consultation, read from the database and told in words: what
/stats groups answers and the pack's summaries say. No telegram, no pandas; the grouping itself
(scikit-learn) is bot.groups', and runs in a child process of the bot.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from bot.content import Content
from bot.groups import DISTINCT_BY, MIN_RESPONDENTS, MIN_SHOWN, Group, Groups, find_groups
from bot.i18n import LANGUAGE_NAMES, translator
from bot.storage.reports import StanceMatrix, stance_matrix, submitted_counts

FEWEST_COUNTED = 5  # a profile count below this is shown as "<5": it could single someone out
NOT_GIVEN = "none"  # a profile answer nobody gave, as opinion_groups.csv names it
PROFILE_FIELDS = ("stakeholder_group", "region", "language")  # StanceMatrix.profiles' order


def opinion_groups(
    connection: sqlite3.Connection, content: Content
) -> tuple[StanceMatrix | None, Groups | None]:
    """The stances of the newest round at least MIN_RESPONDENTS people submitted, and their
    groups; with no such round, the newest submitted round's stances and no groups (None,
    None when nobody submitted)."""
    counts = submitted_counts(connection)
    if not counts:
        return None, None
    enough = [number for number, count in counts.items() if count >= MIN_RESPONDENTS]
    items = [conclusion.id for conclusion in content.conclusions]
    matrix = stance_matrix(connection, items, max(enough or counts))
    if not enough:
        return matrix, None
    return matrix, find_groups(stance_array(matrix, items))


def stance_array(matrix: StanceMatrix, items: Sequence[str]) -> np.ndarray:
    """The matrix as respondents × conclusions (NaN for a skip), in `items`' order."""
    if not items:
        return np.empty((len(matrix.respondents), 0))
    return np.array([matrix.stances[item] for item in items], dtype=np.float64).T


def counted(count: int) -> str:
    """A profile count as it may be shown: "<5" below FEWEST_COUNTED."""
    return f"<{FEWEST_COUNTED}" if count < FEWEST_COUNTED else str(count)


def profile_mix(matrix: StanceMatrix, group: Group, field: str) -> list[tuple[str, int]]:
    """How many of `group` gave each answer to a profile question (`field`: one of
    PROFILE_FIELDS), the most frequent first; an answer not given as NOT_GIVEN."""
    column = PROFILE_FIELDS.index(field)
    tally = Counter(matrix.profiles[row][column] or NOT_GIVEN for row in group.members)
    return sorted(tally.items(), key=lambda pair: (-pair[1], pair[0]))


def numbers_text(numbers: Sequence[int]) -> str:
    """Conclusion numbers as a reader takes them in: "1–5, 7"; runs of three or more as a
    range."""
    runs: list[list[int]] = []
    for number in sorted(set(numbers)):
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    shown: list[str] = []
    for run in runs:
        shown += [f"{run[0]}–{run[-1]}"] if len(run) >= 3 else [str(n) for n in run]
    return ", ".join(shown)


def consensus_sides(
    matrix: StanceMatrix, groups: Groups, content: Content
) -> tuple[list[int], list[int]]:
    """The numbers of the consensus conclusions every group agrees with, and of those every
    group disagrees with (the largest group's majority side: every group's is the same)."""
    if not groups.groups:
        return [], []
    members = list(groups.groups[0].members)
    agreed: list[int] = []
    disagreed: list[int] = []
    for index in groups.consensus:
        conclusion = content.conclusions[index]
        given = np.array(matrix.stances[conclusion.id], dtype=np.float64)[members]
        given = given[~np.isnan(given)]
        (agreed if (given >= 4).mean() > 0.5 else disagreed).append(conclusion.number)
    return agreed, disagreed


def split_on(groups: Groups, content: Content) -> list[int]:
    """The numbers of the conclusions on which the means of the groups shown lie DISTINCT_BY
    points or more apart."""
    if len(groups.groups) < 2:
        return []
    means = np.array([group.means for group in groups.groups])
    spread = means.max(axis=0) - means.min(axis=0)
    return [
        c.number for c, gap in zip(content.conclusions, spread, strict=True) if gap >= DISTINCT_BY
    ]


def _decimal(value: float, language: str) -> str:
    """One decimal, with a decimal comma in Kazakh and Russian."""
    text = f"{value:.1f}"
    return text if language == "en" else text.replace(".", ",")


def describe(
    matrix: StanceMatrix | None, groups: Groups | None, content: Content, language: str
) -> list[str]:
    """The opinion groups in short lines of plain text in `language`; without groups, why
    there are none."""
    translation = translator(language)
    _, ngettext = translation.gettext, translation.ngettext
    submitted = len(matrix.respondents) if matrix is not None else 0
    if matrix is None or submitted < MIN_RESPONDENTS:
        return [
            _(
                "Opinion groups need at least {least} respondents who submitted; {count} so far."
            ).format(least=MIN_RESPONDENTS, count=submitted)
        ]
    if groups is None:
        return [
            _(
                "The stances of the {count} respondents who submitted round {round} do not"
                " split into opinion groups."
            ).format(count=submitted, round=matrix.round)
        ]
    shown = groups.groups
    sizes = ", ".join(f"{group.name} {group.size}" for group in shown)
    lines = [
        ngettext(
            "Opinion groups in round {round}: {count} group ({sizes}); {submitted} submitted.",
            "Opinion groups in round {round}: {count} groups ({sizes}); {submitted} submitted.",
            len(shown),
        ).format(round=matrix.round, count=len(shown), sizes=sizes, submitted=submitted)
    ]
    if groups.hidden:
        lines.append(
            _("Not shown, in groups under {least}: {count}").format(
                least=MIN_SHOWN, count=groups.hidden
            )
            + "."
        )
    if not shown:
        return lines
    if split := split_on(groups, content):
        lines.append(
            ngettext(
                "They split most on conclusion {numbers}.",
                "They split most on conclusions {numbers}.",
                len(split),
            ).format(numbers=numbers_text(split))
        )
    if len(shown) >= 2:
        lines += _consensus_lines(matrix, groups, content, language)
    for group in shown:
        lines += _group_lines(matrix, group, content, language)
    return lines


def _consensus_lines(
    matrix: StanceMatrix, groups: Groups, content: Content, language: str
) -> list[str]:
    """What every group's majority agrees with, and disagrees with."""
    translation = translator(language)
    agreed, disagreed = consensus_sides(matrix, groups, content)
    if not agreed and not disagreed:
        return [translation.gettext("No conclusion has every group's majority on the same side.")]
    lines = []
    if agreed:
        lines.append(
            translation.ngettext(
                "Every group agrees with conclusion {numbers}.",
                "Every group agrees with conclusions {numbers}.",
                len(agreed),
            ).format(numbers=numbers_text(agreed))
        )
    if disagreed:
        lines.append(
            translation.ngettext(
                "Every group disagrees with conclusion {numbers}.",
                "Every group disagrees with conclusions {numbers}.",
                len(disagreed),
            ).format(numbers=numbers_text(disagreed))
        )
    return lines


def _group_lines(matrix: StanceMatrix, group: Group, content: Content, language: str) -> list[str]:
    """One group: its size and mean stances, what sets it apart, its profile mix."""
    _ = translator(language).gettext
    numbers = [conclusion.number for conclusion in content.conclusions]
    means = " · ".join(
        f"{number}: {_decimal(mean, language)}"
        for number, mean in zip(numbers, group.means, strict=True)
    )
    lines = [
        "",
        _("Group {name} ({count}), mean stance per conclusion: {means}").format(
            name=group.name, count=group.size, means=means
        ),
    ]
    # Above everyone's mean is above everyone else's: a skip counts as the conclusion's mean.
    conclusions = content.conclusions
    overall = {i: float(np.nanmean(matrix.stances[conclusions[i].id])) for i in group.distinct}
    higher = [numbers[i] for i in group.distinct if group.means[i] > overall[i]]
    lower = [numbers[i] for i in group.distinct if group.means[i] <= overall[i]]
    parts = []
    if higher:
        parts.append(_("higher on {numbers}").format(numbers=numbers_text(higher)))
    if lower:
        parts.append(_("lower on {numbers}").format(numbers=numbers_text(lower)))
    if parts:
        lines.append(_("Compared with everyone else: {parts}").format(parts="; ".join(parts)))
    else:
        lines.append(_("No conclusion sets it apart by half a point or more."))
    names = _profile_names(content, language)
    for title, field in (
        (_("Stakeholder groups: {list}"), "stakeholder_group"),
        (_("Regions: {list}"), "region"),
        (_("Languages: {list}"), "language"),
    ):
        mix = " · ".join(
            f"{names[field](value)} {counted(count)}"
            for value, count in profile_mix(matrix, group, field)
        )
        lines.append(title.format(list=mix))
    return lines


def _profile_names(content: Content, language: str) -> dict[str, Callable[[str], str]]:
    """Per profile field, the name in `language` of each answer's code."""
    _ = translator(language).gettext
    special = {"prefer-not-to-say": _("prefer not to say"), NOT_GIVEN: _("skipped")}

    def naming(labels: dict[str, str]) -> Callable[[str], str]:
        return lambda code: labels.get(code) or special.get(code, code)

    return {
        "stakeholder_group": naming({o.id: o.label(language) for o in content.groups}),
        "region": naming({o.id: o.label(language) for o in content.regions}),
        "language": naming(dict(LANGUAGE_NAMES)),
    }
