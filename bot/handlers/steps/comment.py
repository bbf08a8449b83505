"""A comment, typed in several messages or spoken: on a conclusion, or the respondent's idea.

The texts and voice messages themselves arrive as messages (`consultation.on_text`,
`on_voice`); this step's buttons finish the comment, or remove it (asked once more first).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.handlers.steps.base import Move, StepKind, next_of
from bot.handlers.views import Screen, Views, button, keyboard_of
from bot.journey import (
    DONE_VALUE,
    KEEP,
    NONE_VALUE,
    REMOVE_CONFIRMED,
    REMOVE_VALUE,
    Tap,
)
from bot.storage.records import Answer

if TYPE_CHECKING:
    from bot.handlers.turn import Turn


class Comment(StepKind):
    """Asks for a comment, shows the one so far, and moves on with Done (or No comment)."""

    def shown(self, views: Views, step: str) -> tuple[str, ...] | None:
        item = views.journey.item_of(step)
        return (item.id,) if item is not None else ()

    def screen(self, views: Views, step: str, answers: dict[str, Answer]) -> Screen:
        return self._screen(views, step, answers, recap=False)

    def resumed(self, views: Views, step: str, answers: dict[str, Answer]) -> Screen:
        # Days later, "add a comment" on "3 / 6" says little: the conclusion comes first.
        return self._screen(views, step, answers, recap=True)

    def _screen(
        self, views: Views, step: str, answers: dict[str, Answer], *, recap: bool
    ) -> Screen:
        _ = views._
        item = views.journey.item_of(step)
        assert item is not None
        answer = answers.get(item.id)
        if item.prompt is not None:  # an open question: the idea
            question = item.prompt(views.language)
        else:
            assert item.number is not None and item.conclusion is not None
            lines = [views.conclusion_header(item.number)]
            if recap:
                lines += ["", item.conclusion.text(views.language), ""]
            lines.append(_changed_mind(views, item.id, answer) or _(
                "Would you like to add a comment? Type it (several messages are fine) "
                "or send a voice message."
            ))  # fmt: skip
            question = "\n".join(lines)
        blocks = [question]
        keyboard: list[list[InlineKeyboardButton]] = []
        if answer and answer.has_comment:
            blocks.append(_("<b>Your comment so far:</b>"))
            blocks.extend(views.comment_blocks(answer, quoted=False))
            blocks.append(_("Type more to add to it, or tap Done."))
            keyboard.append([button(_("Done ✓"), step, DONE_VALUE)])
            keyboard.append([button(_("Remove my comment"), step, REMOVE_VALUE)])
        else:
            label = _("Skip »") if item.prompt is not None else _("No comment »")
            keyboard.append([button(label, step, NONE_VALUE)])
        if back := views.back_row(step):
            keyboard.append(back)
        return Screen(tuple(blocks), keyboard_of(keyboard))

    async def store(self, turn: Turn, tap: Tap) -> Move | None:
        item = turn.journey.item(tap.step)
        respondent = turn.p.respondent_id
        if respondent is None or item is None:
            return None
        if tap.value == REMOVE_VALUE:  # asked once more first: nothing changes yet
            return Move(None, mark=False)
        if tap.value == REMOVE_CONFIRMED:
            await turn.repo.clear_comment(respondent, item, round=turn.p.round, now=turn.now)
            return Move(None, label=turn._("Yes, remove it"))  # the question, without it
        if tap.value == KEEP:
            return Move(None, label=turn._("No, keep it"))
        if tap.value not in (DONE_VALUE, NONE_VALUE):
            return None
        # "No comment" from the question's own keyboard, tapped after typing a comment, means
        # "I'm finished": it keeps the comment. Removing one is its own button.
        version = turn.services.content.version
        await turn.repo.finish_item(
            respondent, item, round=turn.p.round, version=version, now=turn.now
        )
        return next_of(turn, tap.step)

    async def finish(self, turn: Turn, tap: Tap, move: Move) -> None:
        if tap.value != REMOVE_VALUE:
            await super().finish(turn, tap, move)
            return
        await turn.query.answer()
        await turn.clear_keyboard()  # the question's buttons: the confirmation's are below
        await turn.send(confirm_removal(turn.views, tap.step))

    async def repeats(self, turn: Turn, tap: Tap) -> bool:
        answer = await turn.answer(turn.journey.item(tap.step) or "")
        passed = turn.journey.passed(tap.step, turn.p.step)
        return answer is not None and tap.value in (DONE_VALUE, NONE_VALUE) and passed


def _changed_mind(views: Views, item: str, answer: Answer | None) -> str | None:
    """In a later round, to someone whose stance differs from the one they gave last time:
    what changed their mind (a comment is still optional)."""
    own = views.feedback.own.get(item) if views.feedback else None
    if own is None or own[1] is None or answer is None or answer.stance is None:
        return None
    if own[1] == answer.stance:
        return None
    return views._(
        "Your view has changed since round {round}: {before} → {now}. What changed your mind? "
        "Type it or send a voice message (this is optional)."
    ).format(round=own[0], before=views.stance_name(own[1]), now=views.stance_name(answer.stance))


def confirm_removal(views: Views, step: str) -> Screen:
    """The question before a comment is removed."""
    _ = views._
    return Screen(
        (_("Remove your comment? What you typed and recorded here will be deleted."),),
        InlineKeyboardMarkup(
            [
                [button(_("Yes, remove it"), step, REMOVE_CONFIRMED)],
                [button(_("No, keep it"), step, KEEP)],
            ]
        ),
    )


def saved(
    views: Views,
    step: str,
    comment: str | None,
    voices: Answer | None,
    *,
    note: str | None = None,
) -> Screen:
    """The reply to a comment part or a voice message (`voices`: the answer after it, with its
    voice messages): saved, add more or Done; `note` instead when nothing was added."""
    _ = views._
    lines = [note] if note else []
    if voices is not None:
        lines.append(views.voice_note(voices.voice_count, voices.voice_duration or 0))
    if comment:
        count = len(comment)
        lines.append(
            views.ngettext(
                "✓ Your comment is saved ({count} character).",
                "✓ Your comment is saved ({count} characters).",
                count,
            ).format(count=count)
        )
    lines.append(_("Tap Done to move on.") if note else _("Add more, or tap Done to move on."))
    keyboard = [[button(_("Done ✓"), step, DONE_VALUE)]]
    if back := views.back_row(step):
        keyboard.append(back)
    return Screen(("\n".join(lines),), InlineKeyboardMarkup(keyboard))
