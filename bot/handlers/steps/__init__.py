"""Every kind of step and its handler: the registry, as PTB's ConversationHandler has its states.

`bot.journey` says what kind each step is; this table says who renders it and answers its taps.
A new kind of step is a `Kind` member (and its steps' kind in `bot.journey`), a module here and
a line below.
"""

from __future__ import annotations

from bot.handlers.steps.base import Move, StepKind
from bot.handlers.steps.comment import Comment
from bot.handlers.steps.gates import Age, Choice, Consent, Language
from bot.handlers.steps.multi import Multi
from bot.handlers.steps.profile import Profile
from bot.handlers.steps.review import End, Review
from bot.handlers.steps.stance import Stance
from bot.handlers.views import Screen, Views
from bot.journey import Kind
from bot.storage.records import Answer

KINDS: dict[Kind, StepKind] = {
    Kind.LANGUAGE: Language(),
    Kind.AGE: Age(),
    Kind.CONSENT: Consent(),
    Kind.CHOICE: Choice(),
    Kind.PROFILE: Profile(),
    Kind.STANCE: Stance(),
    Kind.COMMENT: Comment(),
    Kind.MULTI: Multi(),
    Kind.REVIEW: Review(),
    Kind.END: End(),
}


def kind_of(views: Views, step: str) -> StepKind | None:
    """The handler of `step`'s kind; None for a step this journey does not have."""
    kind = views.journey.kind(step)
    return None if kind is None else KINDS[kind]


def screen(
    views: Views, step: str, answers: dict[str, Answer], *, resumed: bool = False
) -> Screen:
    """The screen of `step` (`resumed`: for someone coming back to it); for a step the journey
    does not have, the way back in."""
    handler = kind_of(views, step)
    if handler is None:
        return Screen((views._("Send /start to begin."),))
    if resumed:
        return handler.resumed(views, step, answers)
    return handler.screen(views, step, answers)


def prompt(views: Views, step: str, answers: dict[str, Answer]) -> Screen:
    """The short prompt of `step` with its buttons, which a hint repeats when its screen is
    long; for a step the journey does not have, the way back in."""
    handler = kind_of(views, step)
    if handler is None:
        return screen(views, step, answers)
    return handler.prompt(views, step, answers)


__all__ = ["KINDS", "Move", "StepKind", "kind_of", "prompt", "screen"]
