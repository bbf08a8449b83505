"""The gates before the questions: language, age, consent; then the two yes-or-no choices."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.handlers.steps.base import Move, StepKind, next_of
from bot.handlers.views import Screen, Views, button, language_screen, marked
from bot.journey import NO, YES, Pseudo, Step, Tap
from bot.storage.records import Answer, Participant

if TYPE_CHECKING:
    from bot.handlers.turn import Turn


class Language(StepKind):
    """The first screen: the trilingual choice (a tap on it is handled whatever the step)."""

    SHOWS_ANSWERS = False

    def screen(self, views: Views, step: str, answers: dict[str, Answer]) -> Screen:
        return language_screen(views.p.language_code)


class Age(StepKind):
    """18 or older: on; younger: everything about them is forgotten at once."""

    SHOWS_ANSWERS = False

    def screen(self, views: Views, step: str, answers: dict[str, Answer]) -> Screen:
        _ = views._
        return Screen(
            (views.content.welcome(views.language), _("First, are you 18 or older?")),
            InlineKeyboardMarkup(
                [
                    [button(_("Yes, I am 18 or older"), Step.AGE, YES)],
                    [button(_("No, I am under 18"), Step.AGE, NO)],
                ]
            ),
        )

    async def store(self, turn: Turn, tap: Tap) -> Move | None:
        _ = turn._
        if tap.value == YES:
            return Move(next_of(turn, tap.step).to, label=_("Yes, I am 18 or older"))
        if tap.value == NO:
            await turn.repo.forget_user(turn.p.user_id)
            turn.context.remember(turn.p.user_id, None)
            return Move(None, label=_("No, I am under 18"))
        return None

    async def finish(self, turn: Turn, tap: Tap, move: Move) -> None:
        if move.to is not None:
            await super().finish(turn, tap, move)
            return
        _ = turn._
        await turn.query.answer()
        await turn.mark(move.label or turn.tapped_label())
        await turn.say(
            _(
                "Thank you for your interest! This consultation is for people aged 18 and over, "
                "so we cannot take your answers. Nothing about you has been stored."
            )
        )

    async def repeats(self, turn: Turn, tap: Tap) -> bool:
        return tap.value == YES and turn.journey.passed(tap.step, turn.p.step)


def information_button(views: Views) -> InlineKeyboardButton:
    """The button that sends the consent's full information, at the consent and in /help."""
    return button(views._("📄 Full information"), Pseudo.INFO, Step.CONSENT)


def full_information(views: Views) -> Screen:
    """The consent's full information; at the consent step, with its two answers below."""
    text = views.content.consent.render(views.language)
    if views.p.step != Step.CONSENT:
        return Screen((text,))
    return Screen((text,), InlineKeyboardMarkup(Consent.answers(views)))


class Consent(StepKind):
    """The information before consent, in short with the full text a tap away; agreeing makes
    the person a respondent."""

    SHOWS_ANSWERS = False

    @staticmethod
    def answers(views: Views) -> list[list[InlineKeyboardButton]]:
        """I agree, No thanks: one row each."""
        _ = views._
        return [
            [button(_("I agree"), Step.CONSENT, YES)],
            [button(_("No, thanks"), Step.CONSENT, NO)],
        ]

    def screen(self, views: Views, step: str, answers: dict[str, Answer]) -> Screen:
        return Screen(
            (views.content.consent.render_summary(views.language),),
            InlineKeyboardMarkup([*self.answers(views), [information_button(views)]]),
        )

    def prompt(self, views: Views, step: str, answers: dict[str, Answer]) -> Screen:
        return Screen(
            (views._("Do you agree to take part?"),),
            InlineKeyboardMarkup([*self.answers(views), [information_button(views)]]),
        )

    async def store(self, turn: Turn, tap: Tap) -> Move | None:
        _ = turn._
        if tap.value == YES:
            version = turn.services.content.version
            await turn.repo.consent(turn.p.user_id, version=version, now=turn.now)
            return Move(next_of(turn, tap.step).to, label=_("I agree"))
        if tap.value == NO:
            await turn.repo.set_status(turn.p.user_id, "declined")
            return Move(Step.DECLINED, label=_("No, thanks"))
        return None

    async def repeats(self, turn: Turn, tap: Tap) -> bool:
        p = turn.p
        return (tap.value == YES and p.respondent_id is not None) or (
            tap.value == NO and p.status == "declined"
        )


class Choice(StepKind):
    """Yes or no: may we quote your comments, would you like news."""

    FIELDS: ClassVar[dict[str, str]] = {Step.QUOTE: "may_quote", Step.NEWS: "wants_news"}
    SHOWS_ANSWERS = False

    def screen(self, views: Views, step: str, answers: dict[str, Answer]) -> Screen:
        _ = views._
        if step == Step.QUOTE:
            question = _(
                "Thank you! May we quote your comments in our reports, anonymously "
                "(without your name)?"
            )
            yes, no = _("Yes, you may quote me"), _("No, please don't quote me")
        else:
            question = _(
                "Would you like to receive news about the consultation and its results here?"
            )
            yes, no = _("Yes, send me news"), _("No news, thanks")
        stored = self._stored(views.p, step)
        rows = [
            [button(marked(yes, stored is True), step, YES)],
            [button(marked(no, stored is False), step, NO)],
        ]
        if back := views.back_row(step):
            rows.append(back)
        return Screen((question,), InlineKeyboardMarkup(rows))

    @staticmethod
    def _stored(participant: Participant, step: str) -> bool | None:
        return participant.may_quote if step == Step.QUOTE else participant.wants_news

    async def store(self, turn: Turn, tap: Tap) -> Move | None:
        if tap.value not in (YES, NO) or turn.p.respondent_id is None:
            return None
        field = self.FIELDS[tap.step]
        await turn.repo.set_consent_choice(turn.p.respondent_id, field, tap.value == YES)
        return next_of(turn, tap.step)

    async def repeats(self, turn: Turn, tap: Tap) -> bool:
        stored = self._stored(turn.p, tap.step)
        return stored is not None and stored == (tap.value == YES)
