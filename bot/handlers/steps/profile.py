"""The four questions about the respondent (group, region, age band, gender), each skippable."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot.content import Option
from bot.handlers.steps.base import Move, StepKind, next_of
from bot.handlers.views import Screen, Views, button, marked, rows
from bot.journey import (
    FIRST_QUESTION,
    PREFER_NOT,
    PREFER_NOT_VALUE,
    PROFILE_STEPS,
    SKIP,
    SKIPPED_VALUE,
    Step,
    Tap,
)
from bot.storage.records import Answer

if TYPE_CHECKING:
    from bot.handlers.turn import Turn

COLUMNS = {Step.REGION: 2, Step.AGE_BAND: 2}  # short labels: two buttons to a row


def options(views: Views, step: str) -> tuple[Option, ...]:
    """The content options of a profile step."""
    content = views.content
    return {
        Step.GROUP: content.groups,
        Step.REGION: content.regions,
        Step.AGE_BAND: content.age_bands,
        Step.GENDER: content.genders,
    }[Step(step)]


def stored_value(tap: Tap) -> str:
    """What the profile column holds for a tap: the option id, or skipped / prefer not to say."""
    return {SKIP: SKIPPED_VALUE, PREFER_NOT: PREFER_NOT_VALUE}.get(tap.value, tap.value)


class Profile(StepKind):
    """One question about the respondent, its options from the content file."""

    def screen(self, views: Views, step: str, answers: dict[str, Answer]) -> Screen:
        _ = views._
        questions = {
            Step.GROUP: _("Which group describes you best?"),
            Step.REGION: _("Where do you live?"),
            Step.AGE_BAND: _("How old are you?"),
            Step.GENDER: _("What is your gender?"),
        }
        position = list(PROFILE_STEPS).index(step) + 1
        header = _("About you · {position} / {total}").format(
            position=position, total=len(PROFILE_STEPS)
        )
        stored = views.p.profile(PROFILE_STEPS[step])
        keyboard = rows(
            [
                button(marked(o.label(views.language), o.id == stored), step, o.id)
                for o in options(views, step)
            ],
            COLUMNS.get(Step(step), 1),
        )
        prefer_not = marked(_("Prefer not to say"), stored == PREFER_NOT_VALUE)
        keyboard.append([button(prefer_not, step, PREFER_NOT)])
        keyboard.append(views.skip_back_row(step))
        blocks = [f"<b>{escape(header)}</b>"]
        if step == FIRST_QUESTION:
            blocks.append(_("A few questions about you. Each one may be skipped."))
        blocks.append(questions[Step(step)])
        return Screen(("\n".join(blocks),), InlineKeyboardMarkup(keyboard))

    async def store(self, turn: Turn, tap: Tap) -> Move | None:
        value = stored_value(tap)
        offered = {o.id for o in options(turn.views, tap.step)}
        if turn.p.respondent_id is None or (
            value not in offered and tap.value not in (SKIP, PREFER_NOT)
        ):
            return None
        await turn.repo.set_profile(
            turn.p.respondent_id, PROFILE_STEPS[tap.step], value, now=turn.now
        )
        return next_of(turn, tap.step)

    async def repeats(self, turn: Turn, tap: Tap) -> bool:
        return turn.p.profile(PROFILE_STEPS[tap.step]) == stored_value(tap)
