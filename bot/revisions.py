"""What a revised content file changes, compared with the version running: no telegram.

The bot's preview of a file an admin sends and `check-content FILE --db DB` both describe the
same `Comparison`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.content import LANGUAGES, Conclusion, Content
from bot.journey import Journey

MULTI_KINDS = ("sectors", "markets")  # the option lists whose changes the preview names


class Change(StrEnum):
    """What became of one conclusion, compared by id."""

    UNCHANGED = "unchanged"
    CHANGED = "changed"
    NEW = "new"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class Comparison:
    """A new content version against the current one."""

    old_version: int
    new_version: int
    conclusions: tuple[tuple[Conclusion, Change], ...]  # the new ones, then those removed
    added: dict[str, tuple[str, ...]]  # option ids by kind (sectors, markets)
    removed: dict[str, tuple[str, ...]]
    warnings: tuple[str, ...]

    @property
    def changed(self) -> tuple[Conclusion, ...]:
        """The conclusions whose title or text changed, as the new version has them."""
        return tuple(c for c, change in self.conclusions if change is Change.CHANGED)


def _same(old: Conclusion, new: Conclusion) -> bool:
    return all(
        old.title(language) == new.title(language) and old.text(language) == new.text(language)
        for language in LANGUAGES
    )


def compare(old: Content, new: Content) -> Comparison:
    """Compare `new` with `old`: each conclusion by id, the sector and market options."""
    before = {c.id: c for c in old.conclusions}
    after = {c.id for c in new.conclusions}
    conclusions: list[tuple[Conclusion, Change]] = []
    for conclusion in new.conclusions:
        previous = before.get(conclusion.id)
        if previous is None:
            conclusions.append((conclusion, Change.NEW))
        else:
            same = _same(previous, conclusion)
            conclusions.append((conclusion, Change.UNCHANGED if same else Change.CHANGED))
    conclusions += [(c, Change.REMOVED) for c in old.conclusions if c.id not in after]
    added: dict[str, tuple[str, ...]] = {}
    removed: dict[str, tuple[str, ...]] = {}
    for kind in MULTI_KINDS:
        old_ids = [o.id for o in getattr(old, kind).options]
        new_ids = [o.id for o in getattr(new, kind).options]
        added[kind] = tuple(i for i in new_ids if i not in old_ids)
        removed[kind] = tuple(i for i in old_ids if i not in new_ids)
    return Comparison(
        old_version=old.version,
        new_version=new.version,
        conclusions=tuple(conclusions),
        added=added,
        removed=removed,
        warnings=new.warnings,
    )


def stranded(new: Content, steps: Iterable[tuple[str, bool, bool, int]]) -> int:
    """How many people stand at a step `new` no longer has (`Repository.steps_taken`): they
    would be moved (`Journey.settle`), losing no answer."""
    journeys = {False: Journey(new), True: Journey(new, returning=True)}
    return sum(
        count
        for step, editing, returning, count in steps
        if journeys[returning].settle(step, editing=editing) != (step, editing)
    )


def describe(comparison: Comparison, moved: int) -> list[str]:
    """The comparison in English lines, for the command line."""
    lines = [f"version {comparison.new_version} (published: {comparison.old_version})"]
    for conclusion, change in comparison.conclusions:
        lines.append(f"  {conclusion.id}: {change}")
    for conclusion in comparison.changed:
        for language in LANGUAGES:
            lines.append(f"  {conclusion.id} ({language}): {conclusion.title(language)}")
            lines.append(f"    {conclusion.text(language)}")
    for kind in MULTI_KINDS:
        if comparison.added[kind]:
            lines.append(f"  {kind} added: {', '.join(comparison.added[kind])}")
        if comparison.removed[kind]:
            lines.append(f"  {kind} removed: {', '.join(comparison.removed[kind])}")
    lines += [f"  warning: {warning}" for warning in comparison.warnings]
    lines.append(f"  people at a step this version no longer has: {moved}")
    return lines
