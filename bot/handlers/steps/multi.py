"""Sectors and markets: options toggled on one keyboard, up to the question's limit, then Done.

Choosing *Other* asks what the respondent means by it; what they type next at the step is kept
as the answer's comment (`consultation.on_text`), and goes when Other is unchosen.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.content import MultiQuestion
from bot.handlers import replies
from bot.handlers.steps.base import Move, StepKind, next_of
from bot.handlers.steps.profile import OUTSIDE
from bot.handlers.views import Screen, Views, button, keyboard_of
from bot.journey import DONE_VALUE, OTHER, Tap
from bot.storage.records import Answer

if TYPE_CHECKING:
    from bot.handlers.turn import Turn


def question(views: Views, step: str) -> MultiQuestion:
    """The question a multi-choice step asks."""
    item = views.journey.item_of(step)
    assert item is not None and item.question is not None
    return item.question


def keyboard(views: Views, step: str, chosen: tuple[str, ...]) -> InlineKeyboardMarkup:
    """Toggle buttons with their state, then Done and Back."""
    _ = views._
    rows = []
    for option in question(views, step).options:
        selected = option.id in chosen
        mark = "✅" if selected else "▫️"
        rows.append(
            [button(f"{mark} {option.label(views.language)}", step, option.id, not selected)]
        )
    rows.append([button(_("Done ✓"), step, DONE_VALUE), *views.back_row(step)])
    return keyboard_of(rows)


def other_words(views: Views, step: str, answer: Answer | None) -> list[str]:
    """With Other chosen: what the respondent said they mean by it, or the question what."""
    other = question(views, step).option(OTHER)
    if other is None or answer is None or OTHER not in answer.choices:
        return []
    label = escape(other.label(views.language), quote=False)
    if answer.comment:
        return [f"<b>{label}</b>: {views.comment_blocks(answer, quoted=False)[0]}"]
    return [f"<i>{other_question(views, step)}</i>"]


def other_question(views: Views, step: str) -> str:
    """What the bot asks once Other is chosen (HTML, the label escaped)."""
    other = question(views, step).option(OTHER)
    label = escape(other.label(views.language) if other else OTHER, quote=False)
    return views._(
        "What do you mean by “{other}”? Please type it in a few words, then tap Done."
    ).format(other=label)


def other_saved(views: Views, step: str, answer: Answer | None, *, note: str | None) -> Screen:
    """The reply to the words typed for Other (`note` instead when nothing was added): the
    keyboard again, so the live buttons stay on the newest message."""
    _ = views._
    text = note or _("✓ Saved. Type more to add to it, or tap Done.")
    return Screen((text,), keyboard(views, step, answer.choices if answer else ()))


class Multi(StepKind):
    """A toggle stores the choices at once and redraws the keyboard; Done moves on."""

    def shown(self, views: Views, step: str) -> tuple[str, ...] | None:
        return (question(views, step).item,)

    def screen(self, views: Views, step: str, answers: dict[str, Answer]) -> Screen:
        asked = question(views, step)
        text = asked.text
        if asked.text_outside and views.p.region == OUTSIDE:
            text = asked.text_outside
        answer = answers.get(asked.item)
        return Screen(
            (text(views.language), *other_words(views, step, answer)),
            keyboard(views, step, answer.choices if answer else ()),
        )

    async def store(self, turn: Turn, tap: Tap) -> Move | None:
        respondent = turn.p.respondent_id
        asked = question(turn.views, tap.step)
        if respondent is None:
            return None
        version = turn.services.content.version
        if tap.value == DONE_VALUE and tap.flag is None:
            await turn.repo.finish_item(
                respondent, asked.item, round=turn.p.round, version=version, now=turn.now
            )
            return Move(next_of(turn, tap.step).to, label=turn._("Done ✓"))
        option = asked.option(tap.value)
        if option is None or tap.flag is None:
            return None
        answer = await turn.answer(asked.item)
        chosen = list(answer.choices if answer else ())
        if tap.flag and option.id not in chosen:
            if option.exclusive:
                chosen = [option.id]
            else:
                chosen = [c for c in chosen if not _exclusive(asked, c)]
                if len(chosen) >= asked.max_choices:
                    limit = turn.views.ngettext(
                        "You can choose up to {count} option.",
                        "You can choose up to {count} options.",
                        asked.max_choices,
                    ).format(count=asked.max_choices)
                    return Move(None, alert=limit)
                chosen.append(option.id)
        elif not tap.flag and option.id in chosen:
            chosen.remove(option.id)
        await turn.repo.save_choices(
            respondent,
            asked.item,
            tuple(chosen),
            round=turn.p.round,
            version=version,
            now=turn.now,
        )
        if OTHER not in chosen and answer is not None and answer.has_comment:
            # The words said what Other meant: without Other they would describe nothing.
            await turn.repo.clear_comment(respondent, asked.item, round=turn.p.round, now=turn.now)
        before = answer.choices if answer else ()
        return Move(None, renew=OTHER in chosen and OTHER not in before)  # asks what it means

    async def finish(self, turn: Turn, tap: Tap, move: Move) -> None:
        if move.to is not None:
            await super().finish(turn, tap, move)
            return
        if move.alert:
            await turn.query.answer(move.alert, show_alert=True)
            return
        await turn.query.answer()
        if move.renew:  # the question what Other means, with the keyboard, below the old one
            await turn.clear_keyboard()
            await turn.show_current()
            return
        answer = await turn.answer(question(turn.views, tap.step).item)
        chosen = answer.choices if answer else ()
        try:
            await replies.edit_keyboard(
                turn.context.bot, turn.query, keyboard(turn.views, tap.step, chosen)
            )
        except BadRequest as error:
            if "not modified" not in error.message.lower():
                await turn.show_current()  # the old message cannot be edited: ask afresh

    async def repeats(self, turn: Turn, tap: Tap) -> bool:
        answer = await turn.answer(turn.journey.item(tap.step) or "")
        if answer is None:
            return False
        if tap.flag is not None:
            return (tap.value in answer.choices) == tap.flag
        return tap.value == DONE_VALUE and turn.journey.passed(tap.step, turn.p.step)


def _exclusive(asked: MultiQuestion, option_id: str) -> bool:
    option = asked.option(option_id)
    return bool(option and option.exclusive)
