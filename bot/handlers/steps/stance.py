"""A conclusion, and how far the respondent agrees with it, on the content's five-point scale."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.handlers.steps.base import Move, StepKind, next_of
from bot.handlers.views import Screen, Views, button, keyboard_of, marked
from bot.journey import KEEP, SKIP, Step, Tap
from bot.storage.records import Answer

if TYPE_CHECKING:
    from bot.handlers.turn import Turn


def kept(editing: bool, answer: Answer | None) -> int | None:
    """The stance an edit from the review may keep: the one stored, while editing."""
    return answer.stance if editing and answer is not None else None


class Stance(StepKind):
    """The conclusion's text, then the scale; Skip stores that it was seen and not rated.

    While editing from the review, a stance given is not erased by a Skip tapped to leave it
    as it is: *Keep* returns to the review unchanged, and removing it is its own button.
    """

    def shown(self, views: Views, step: str) -> tuple[str, ...] | None:
        item = views.journey.item_of(step)
        return (item.id,) if item is not None else ()

    def screen(self, views: Views, step: str, answers: dict[str, Answer]) -> Screen:
        _ = views._
        item = views.journey.item_of(step)
        assert item is not None and item.conclusion is not None and item.number is not None
        answer = answers.get(item.id)
        feedback = views.feedback_block(item.id)
        question = (
            _("How far do you agree with this conclusion now?")
            if feedback is not None
            else _("How far do you agree with this conclusion?")
        )
        note = item.conclusion.change_note
        changed = None
        # "You said, we did": to someone whose answer was given against an earlier version,
        # and to everyone back for a later round, which the team revised with their comments.
        if note is not None and (
            feedback is not None
            or (answer is not None and answer.content_version < views.content.version)
        ):
            changed = _("What changed: {note}").format(note=note(views.language))
        if feedback is None:
            asked = [f"<i>{changed}\n\n{question}</i>" if changed else f"<i>{question}</i>"]
        else:  # the group's answers and their own, right above the scale
            asked = [*([f"<i>{changed}</i>"] if changed else []), feedback, f"<i>{question}</i>"]
        text = "\n\n".join(
            (
                views.conclusion_header(item.number),
                item.conclusion.text(views.language),
                *asked,
            )
        )
        stored = str(answer.stance) if answer and answer.stance is not None else None
        keyboard = [
            [button(marked(s.label(views.language), s.id == stored), step, s.id)]
            for s in views.content.stances
        ]
        stance = kept(views.p.editing, answer)
        label = views.content.stance_label(stance) if stance is not None else None
        if label is not None:  # each in its own row: keeping and removing are not alike
            keyboard.append(views.keep_row(step, label(views.language)))
            keyboard.append([button(_("Remove my view"), step, SKIP)])
            if back := views.back_row(step):
                keyboard.append(back)
        else:
            keyboard.append(views.skip_back_row(step))
        return Screen((text,), keyboard_of(keyboard))

    async def store(self, turn: Turn, tap: Tap) -> Move | None:
        item = turn.journey.item(tap.step)
        if turn.p.respondent_id is None or item is None:
            return None
        if tap.value == KEEP:  # back to the review, the answer as it was
            stance = kept(turn.p.editing, await turn.answer(item))
            return None if stance is None else Move(Step.REVIEW)
        if tap.value == SKIP:
            stance = None
        elif tap.value in {s.id for s in turn.services.content.stances}:
            stance = int(tap.value)
        else:
            return None
        version = turn.services.content.version
        await turn.repo.save_stance(
            turn.p.respondent_id,
            item,
            stance,
            round=turn.p.round,
            version=version,
            now=turn.now,
        )
        return next_of(turn, tap.step)

    async def repeats(self, turn: Turn, tap: Tap) -> bool:
        answer = await turn.answer(turn.journey.item(tap.step) or "")
        if answer is None:
            return False
        if tap.value == KEEP:
            return turn.p.step == Step.REVIEW
        if tap.value == SKIP:
            return turn.journey.passed(tap.step, turn.p.step) and answer.stance is None
        return str(answer.stance) == tap.value
