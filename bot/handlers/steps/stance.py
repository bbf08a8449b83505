"""A conclusion, and how far the respondent agrees with it, on the content's five-point scale."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot.handlers.steps.base import Move, StepKind, next_of
from bot.handlers.views import Screen, Views, button, marked
from bot.journey import SKIP, Tap
from bot.storage.records import Answer

if TYPE_CHECKING:
    from bot.handlers.turn import Turn


class Stance(StepKind):
    """The conclusion's text, then the scale; Skip stores that it was seen and not rated."""

    def screen(self, views: Views, step: str, answers: dict[str, Answer]) -> Screen:
        _ = views._
        item = views.journey.item_of(step)
        assert item is not None and item.conclusion is not None and item.number is not None
        answer = answers.get(item.id)
        prompt = _("How far do you agree with this conclusion?")
        text = (
            f"{views.conclusion_header(item.number)}\n\n"
            f"{item.conclusion.text(views.language)}\n\n<i>{prompt}</i>"
        )
        stored = str(answer.stance) if answer and answer.stance is not None else None
        keyboard = [
            [button(marked(s.label(views.language), s.id == stored), step, s.id)]
            for s in views.content.stances
        ]
        keyboard.append(views.skip_back_row(step))
        return Screen((text,), InlineKeyboardMarkup(keyboard))

    async def store(self, turn: Turn, tap: Tap) -> Move | None:
        item = turn.journey.item(tap.step)
        if turn.p.respondent_id is None or item is None:
            return None
        if tap.value == SKIP:
            stance = None
        elif tap.value in {s.id for s in turn.services.content.stances}:
            stance = int(tap.value)
        else:
            return None
        version = turn.services.content.version
        await turn.repo.save_stance(
            turn.p.respondent_id, item, stance, version=version, now=turn.now
        )
        return next_of(turn, tap.step)

    async def repeats(self, turn: Turn, tap: Tap) -> bool:
        answer = await turn.answer(turn.journey.item(tap.step) or "")
        if answer is None:
            return False
        if tap.value == SKIP:
            return turn.journey.passed(tap.step, turn.p.step) and answer.stance is None
        return str(answer.stance) == tap.value
