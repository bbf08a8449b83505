"""The items a respondent answers, built from the content: the one list everything loops over.

An item is what one row of `answers` holds for a respondent: a conclusion (a stance and a
comment), the sectors or the markets (options chosen), the idea (a comment). The journey's steps,
the review, its edit buttons, the export, the codebook, the stats and the charts all walk this
list, so a content file with a seventh conclusion needs no code change. No telegram.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.content import Conclusion, Content, Localized, MultiQuestion
from bot.journey.steps import Kind, Step, comment_step, stance_step


class ItemKind(StrEnum):
    """How an item is answered."""

    CONCLUSION = "conclusion"  # a stance on the five-point scale, then a comment
    MULTI = "multi"  # up to `max_choices` options
    OPEN = "open"  # a comment only


@dataclass(frozen=True, slots=True)
class Item:
    """One answerable item: its id in `answers.item`, its steps, its review edit button."""

    id: str
    kind: ItemKind
    steps: tuple[str, ...]  # the steps that ask it, in order
    edit: str  # the review's edit button for it (callback value)
    number: int | None = None  # conclusions only: 1, 2, ...
    conclusion: Conclusion | None = None
    question: MultiQuestion | None = None
    prompt: Localized | None = None  # an open item's question

    def step_kind(self, step: str) -> Kind:
        """What the item's step `step` asks for."""
        if self.kind is ItemKind.CONCLUSION:
            return Kind.STANCE if step == self.steps[0] else Kind.COMMENT
        return Kind.MULTI if self.kind is ItemKind.MULTI else Kind.COMMENT


def items(content: Content) -> tuple[Item, ...]:
    """The content's items in the order they are asked."""
    conclusions = tuple(
        Item(
            id=c.id,
            kind=ItemKind.CONCLUSION,
            steps=(stance_step(c.number), comment_step(c.number)),
            edit=f"c{c.number}",
            number=c.number,
            conclusion=c,
        )
        for c in content.conclusions
    )
    multi = tuple(
        Item(id=q.item, kind=ItemKind.MULTI, steps=(step,), edit=step, question=q)
        for step, q in ((Step.SECTORS, content.sectors), (Step.MARKETS, content.markets))
    )
    idea = Item(
        id="idea", kind=ItemKind.OPEN, steps=(Step.IDEA,), edit=Step.IDEA, prompt=content.idea
    )
    return (*conclusions, *multi, idea)
