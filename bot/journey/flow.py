"""The journey's order: which step follows which, where Back leads, what each edit button walks.

Built once per content version from its items (`bot.journey.items`); the gates' transitions come
from the same order, so no handler names the step that follows its own. No telegram.
"""

from __future__ import annotations

from collections.abc import Collection

from bot.content import Content
from bot.journey.items import Item, items
from bot.journey.steps import (
    CHOICES,
    OTHER,
    PROFILE,
    PROFILE_STEPS,
    Kind,
    Step,
    conclusion_number,
)

GATES = (Step.LANGUAGE, Step.AGE, Step.CONSENT)  # passed once: no way back to them
CHOICE_STEPS = (Step.QUOTE, Step.NEWS)
_KINDS: dict[str, Kind] = {  # Step keys: looked up by the stored str
    Step.LANGUAGE: Kind.LANGUAGE,
    Step.AGE: Kind.AGE,
    Step.CONSENT: Kind.CONSENT,
    Step.QUOTE: Kind.CHOICE,
    Step.NEWS: Kind.CHOICE,
    Step.REVIEW: Kind.REVIEW,
    Step.DONE: Kind.END,
    Step.DECLINED: Kind.END,
    **dict.fromkeys(PROFILE_STEPS, Kind.PROFILE),
}


class Journey:
    """The ordered steps of one content version, and the moves between them.

    `returning`: the journey of a later round for someone who answered an earlier one: the
    conclusions again (each with how everyone answered last time), then the review. The
    gates, the choices, the profile and the other items were answered once and stay.
    """

    def __init__(self, content: Content, *, returning: bool = False) -> None:
        self.content = content
        self.returning = returning
        every = items(content)
        self.conclusions = tuple(i for i in every if i.conclusion is not None)
        self.items = self.conclusions if returning else every
        self._item_of = {step: item for item in self.items for step in item.steps}
        self.questions: tuple[str, ...] = (
            tuple(self._item_of) if returning else (*PROFILE_STEPS, *self._item_of)
        )
        self._first = 1 if returning else len(GATES) + 1  # no way back before it
        before = () if returning else (*GATES, *CHOICE_STEPS)
        self.steps: tuple[str, ...] = (*before, *self.questions, Step.REVIEW)
        fixed = {} if returning else {CHOICES: CHOICE_STEPS, PROFILE: tuple(PROFILE_STEPS)}
        self._groups = fixed | {item.edit: item.steps for item in self.items}

    def knows(self, step: str) -> bool:
        """Whether `step` is a step of this journey that buttons can answer."""
        return step in self.steps

    def kind(self, step: str) -> Kind | None:
        """What `step` asks for; None for a step this journey does not have."""
        item = self._item_of.get(step)
        return item.step_kind(step) if item else _KINDS.get(step)  # StrEnum keys: str lookups

    def item_of(self, step: str) -> Item | None:
        """The item a step asks, or None for steps outside the answers table."""
        return self._item_of.get(step)

    def item(self, step: str) -> str | None:
        """The answers.item a step writes to, or None."""
        item = self._item_of.get(step)
        return item.id if item else None

    def takes_comment(self, step: str) -> bool:
        """Whether the step accepts typed text and voice messages."""
        return self.kind(step) is Kind.COMMENT

    def comment_target(
        self, step: str, *, chosen: Collection[str] = ()
    ) -> tuple[str, bool] | None:
        """The item a typed or spoken comment sent at `step` belongs to, and whether it comes
        before the stance: people often type their opinion first, and it is kept.

        At a multi-choice step whose `chosen` options include Other, typed text says what the
        respondent means by it, and is kept as that answer's comment.
        """
        kind, item = self.kind(step), self.item(step)
        if item is None:
            return None
        if kind is Kind.MULTI:
            return (item, False) if OTHER in chosen else None
        if kind not in (Kind.COMMENT, Kind.STANCE):
            return None
        return item, kind is Kind.STANCE

    def settle(self, step: str, *, editing: bool) -> tuple[str, bool]:
        """Where someone stored at `step` (`editing` or not) stands in this journey.

        The step itself while the journey has it; after a revised content file with fewer
        conclusions, a stance or comment step it no longer has leads on to the questions after
        the conclusions (to the review while editing); any other unknown step to the review.
        Answers are never touched: only where the person stands.
        """
        if step in (*self.steps, Step.DONE, Step.DECLINED):
            return step, editing
        number = conclusion_number(step)
        if number is not None and number > len(self.conclusions) and not editing:
            after = self.steps.index(self.conclusions[-1].steps[-1]) + 1
            return self.steps[after], False  # a returning respondent's: the review
        return Step.REVIEW, False

    def edit_group(self, target: str) -> tuple[str, ...]:
        """The steps walked when the review's edit button `target` is pressed."""
        return self._groups.get(target, ())

    def edit_targets(self) -> tuple[str, ...]:
        """The review's edit buttons, in order."""
        return tuple(self._groups)

    def _group_of(self, step: str) -> tuple[str, ...]:
        return next((group for group in self._groups.values() if step in group), ())

    def next_step(self, step: str, *, editing: bool) -> str:
        """The step after `step`; while editing, the review once the edited group is done."""
        if editing and self._group_of(step)[-1:] == (step,):
            return Step.REVIEW
        index = self.steps.index(step)
        return self.steps[min(index + 1, len(self.steps) - 1)]

    def previous_step(self, step: str, *, editing: bool) -> str | None:
        """The step Back leads to, or None where there is no way back."""
        if editing and self._group_of(step)[:1] == (step,):
            return Step.REVIEW
        index = self.steps.index(step) if step in self.steps else 0
        if index < self._first:
            return None  # language, age and consent are gates, not answers to revisit; a
            # returning respondent's round begins with its first conclusion
        return self.steps[index - 1]

    def passed(self, step: str, current: str) -> bool:
        """Whether `step` comes before `current` in the order (a tap on it is a repeat)."""
        steps = self.steps
        return step in steps and current in steps and steps.index(step) < steps.index(current)
