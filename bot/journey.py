"""The respondent journey as data: its steps, their order, and what each one asks. No telegram.

A step is a short ASCII name stored in `users.step`; callback data carry it (`c:s3:5`), so a tap
on a keyboard from an earlier step is recognised as stale. The step is the whole conversation
state: after a restart the bot reads it and carries on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.content import Content

LANGUAGE = "lang"
AGE = "age"
CONSENT = "cons"
QUOTE = "quote"
NEWS = "news"
REVIEW = "rev"
SECTORS = "sec"
MARKETS = "mkt"
IDEA = "idea"
MULTI_STEPS = (SECTORS, MARKETS)  # the only steps whose buttons carry a toggle flag
DONE = "done"
DECLINED = "declined"

# Profile steps and the respondents column each one fills.
PROFILE_STEPS = {"grp": "stakeholder_group", "reg": "region", "ageb": "age_band", "gen": "gender"}
FIRST_QUESTION = "grp"

SKIP = "_skip"
PREFER_NOT = "_pns"
PREFER_NOT_VALUE = "prefer-not-to-say"  # what a profile column holds for "Prefer not to say"
SKIPPED_VALUE = ""  # what a profile column holds for an explicit skip
DONE_VALUE = "_done"
NONE_VALUE = "_none"
REMOVE_VALUE = "_del"
SUBMIT = "_submit"
YES, NO = "y", "n"
CONTINUE, START_OVER, WIPE = "cont", "over", "wipe"  # Start over asks first, then wipes
CHOICES = "opts"  # the review's edit button for the quoting and news choices

CALLBACK_PREFIX = "c"
# c:<step>:<value>[:<0|1>]; at most 64 bytes, all ASCII.
CALLBACK = re.compile(r"^c:([a-z0-9]{1,8}):([A-Za-z0-9_+-]{1,24})(?::([01]))?$")


@dataclass(frozen=True, slots=True)
class Tap:
    """A parsed callback: the step it was shown for, the value chosen, a toggle flag."""

    step: str
    value: str
    flag: bool | None = None


def parse_callback(data: str | None) -> Tap | None:
    """Parse callback data; None for anything this bot did not write (stale formats, forgery)."""
    match = CALLBACK.match(data or "")
    if match is None:
        return None
    step, value, flag = match.groups()
    return Tap(step=step, value=value, flag=None if flag is None else flag == "1")


def callback(step: str, value: str, flag: bool | None = None) -> str:
    """Build callback data for a button of `step`."""
    data = f"{CALLBACK_PREFIX}:{step}:{value}" + ("" if flag is None else f":{int(flag)}")
    if not CALLBACK.match(data):
        raise ValueError(f"callback data {data!r} is not of this bot's form")
    return data


def stance_step(number: int) -> str:
    """The step that asks for the stance on conclusion `number`."""
    return f"s{number}"


def comment_step(number: int) -> str:
    """The step that asks for a comment on conclusion `number`."""
    return f"m{number}"


def conclusion_number(step: str) -> int | None:
    """The conclusion a stance or comment step belongs to, or None."""
    if len(step) >= 2 and step[0] in "sm" and step[1:].isdigit():
        return int(step[1:])
    return None


class Journey:
    """The ordered steps of one content version, and the moves between them."""

    def __init__(self, content: Content) -> None:
        self.content = content
        self.conclusions = len(content.conclusions)
        questions: list[str] = list(PROFILE_STEPS)
        for number in range(1, self.conclusions + 1):
            questions += [stance_step(number), comment_step(number)]
        questions += [SECTORS, MARKETS, IDEA]
        self.questions = tuple(questions)
        self.steps = (LANGUAGE, AGE, CONSENT, QUOTE, NEWS, *self.questions, REVIEW)

    def settle(self, step: str, *, editing: bool) -> tuple[str, bool]:
        """Where someone stored at `step` (`editing` or not) stands in this journey.

        The step itself while the journey has it; after a revised content file with fewer
        conclusions, a stance or comment step it no longer has leads on to the questions after
        the conclusions (to the review while editing); any other unknown step to the review.
        Answers are never touched: only where the person stands.
        """
        if step in (*self.steps, DONE, DECLINED):
            return step, editing
        number = conclusion_number(step)
        if number is not None and number > self.conclusions and not editing:
            return SECTORS, False
        return REVIEW, False

    def knows(self, step: str) -> bool:
        """Whether `step` is a step of this journey that buttons can answer."""
        return step in self.steps

    def item(self, step: str) -> str | None:
        """The answers.item a step writes to, or None for steps outside the answers table."""
        number = conclusion_number(step)
        if number is not None and 1 <= number <= self.conclusions:
            return self.content.conclusions[number - 1].id
        return {SECTORS: "sectors", MARKETS: "markets", IDEA: "idea"}.get(step)

    def takes_comment(self, step: str) -> bool:
        """Whether the step accepts typed text and voice messages."""
        return step == IDEA or (step.startswith("m") and conclusion_number(step) is not None)

    def edit_group(self, target: str) -> tuple[str, ...]:
        """The steps walked when the review's edit button `target` is pressed."""
        if target == "prof":
            return tuple(PROFILE_STEPS)
        if target == CHOICES:
            return (QUOTE, NEWS)
        if target.startswith("c") and target[1:].isdigit():
            number = int(target[1:])
            if 1 <= number <= self.conclusions:
                return (stance_step(number), comment_step(number))
        if target in (SECTORS, MARKETS, IDEA):
            return (target,)
        return ()

    def edit_targets(self) -> tuple[str, ...]:
        """The review's edit buttons, in order."""
        numbers = tuple(f"c{n}" for n in range(1, self.conclusions + 1))
        return (CHOICES, "prof", *numbers, SECTORS, MARKETS, IDEA)

    def _group_of(self, step: str) -> tuple[str, ...]:
        return next((g for t in self.edit_targets() if step in (g := self.edit_group(t))), ())

    def next_step(self, step: str, *, editing: bool) -> str:
        """The step after `step`; while editing, the review once the edited group is done."""
        if editing and self._group_of(step)[-1:] == (step,):
            return REVIEW
        index = self.steps.index(step)
        return self.steps[min(index + 1, len(self.steps) - 1)]

    def previous_step(self, step: str, *, editing: bool) -> str | None:
        """The step Back leads to, or None where there is no way back."""
        if editing and self._group_of(step)[:1] == (step,):
            return REVIEW
        index = self.steps.index(step) if step in self.steps else 0
        if index <= self.steps.index(QUOTE):
            return None  # language, age and consent are gates, not answers to revisit
        return self.steps[index - 1]
