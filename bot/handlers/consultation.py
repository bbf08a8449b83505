"""The respondent journey: /start, the buttons, comments typed or spoken, and odd input.

The step lives in the database (`users.step`), not in memory: every update reads it, commits the
answer together with the next step, and only then sends the next question. A restart of the bot
loses nothing and resumes exactly there.
"""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot import journey as j
from bot.content import LANGUAGES, MultiQuestion
from bot.handlers.context import BotContext
from bot.handlers.views import (
    LANGUAGE_NAMES,
    Screen,
    Views,
    chosen_keyboard,
    language_offer,
    language_screen,
)
from bot.i18n import translator
from bot.journey import Tap, parse_callback
from bot.langid import detect_language
from bot.storage.repository import Answer, Participant

logger = logging.getLogger(__name__)

SOURCE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
WORD = re.compile(r"[^\W\d_]{2,}")
CLEAR_WORDS = 2  # a reply of two words or more shows the language it is written in
DIRECT, UNREGISTERED = "direct", "unregistered"
# Steps that are not answers: their callbacks are valid whatever the current step is.
FREE_STEPS = ("back", "resume", "stay", j.LANGUAGE)


async def send_screen(context: BotContext, chat_id: int, screen: Screen) -> Message | None:
    """Send a screen's messages, the keyboard on the last; return the last message."""
    message = None
    texts = screen.messages()
    for index, text in enumerate(texts):
        last = index == len(texts) - 1
        message = await context.bot.send_message(
            chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=screen.keyboard if last else None,
        )
    return message


class Turn:
    """One update's work for one participant: read the step, store the answer, show the next."""

    def __init__(self, update: Update, context: BotContext, participant: Participant) -> None:
        self.update = update
        self.context = context
        self.services = context.services
        self.repo = self.services.repo
        self.journey = self.services.journey
        self.p = participant
        self.views = Views(self.services.content, self.journey, participant)
        self._ = self.views._

    @property
    def now(self) -> datetime:
        """The time of this update, from the injectable clock."""
        return self.services.clock()

    async def reload(self) -> Participant:
        """Read the participant again after a write, and re-point the views at them."""
        participant = await self.repo.participant(self.p.user_id)
        assert participant is not None
        self.p = participant
        self.views = Views(self.services.content, self.journey, participant)
        self._ = self.views._
        return participant

    async def answers(self) -> dict[str, Answer]:
        """The participant's answers so far."""
        if self.p.respondent_id is None:
            return {}
        return await self.repo.answers(self.p.respondent_id)

    async def send(self, screen: Screen) -> Message | None:
        """Send a screen to the participant."""
        return await send_screen(self.context, self.p.chat_id, screen)

    async def say(self, text: str) -> None:
        """Send one short message."""
        await self.send(Screen((text,)))

    async def show_current(self) -> None:
        """Ask the current question again (or show the review, or the thank-you)."""
        step = self.p.step
        if step == j.DONE:
            await self.send(self.views.thanks(self.context.bot.username))
            return
        await self.send(self.views.step(step, await self.answers()))

    async def enter(self, step: str, *, editing: bool | None = None) -> None:
        """Move to `step` (inside a transaction): store it and note the item as reached.

        An edit begun from the review carries on until the review is reached again.
        """
        if editing is None:
            editing = self.p.editing and step != j.REVIEW
        await self.repo.set_step(self.p.user_id, step, now=self.now, editing=editing)
        item = self.journey.item(step)
        if item and self.p.respondent_id is not None:
            await self.repo.reach(
                self.p.respondent_id, item, version=self.services.content.version, now=self.now
            )

    async def hint(self, text: str) -> None:
        """Say what went wrong, briefly, then ask the current question again."""
        if self.p.step != j.LANGUAGE:  # the language screen is its own (trilingual) hint
            await self.say(f"<i>{text}</i>")
        if self.p.step not in (j.DONE, j.DECLINED):  # no question there: the hint says it all
            await self.show_current()


async def _new_participant(
    update: Update, context: BotContext, payload: str | None
) -> Participant:
    """Record a first contact, with the recruitment source named by the deep link."""
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    repo = context.services.repo
    source = DIRECT
    if payload:
        known = SOURCE_CODE.match(payload) and await repo.source_known(payload)
        source = payload if known else UNREGISTERED
    async with repo.transaction():
        await repo.add_user(
            user_id=user.id,
            chat_id=chat.id,
            language_code=user.language_code,
            source=source,
            now=context.services.clock(),
        )
    participant = await repo.participant(user.id)
    assert participant is not None
    return participant


async def _greet(update: Update, context: BotContext, payload: str | None) -> None:
    """Welcome a newcomer with the language choice."""
    participant = await _new_participant(update, context, payload)
    await send_screen(context, participant.chat_id, language_screen(participant.language_code))


async def private_participant(update: Update, context: BotContext) -> Participant | None:
    """The participant behind a private update; None (after greeting them) for a newcomer."""
    user = update.effective_user
    if user is None or update.effective_chat is None:
        return None
    participant = await context.services.repo.participant(user.id)
    if participant is None:
        await _greet(update, context, payload=None)
    return participant


async def current_turn(update: Update, context: BotContext) -> Turn | None:
    """This update's Turn; None (after greeting them) for a newcomer."""
    participant = await private_participant(update, context)
    return None if participant is None else Turn(update, context, participant)


# Commands -------------------------------------------------------------------------------------


async def start(update: Update, context: BotContext) -> None:
    """Start, or offer a returning respondent to continue, or show a submitter their answers."""
    user = update.effective_user
    assert user is not None
    repo = context.services.repo
    participant = await repo.participant(user.id)
    if participant is None:
        await _greet(update, context, context.args[0] if context.args else None)
        return
    turn = Turn(update, context, participant)
    if participant.stopped:
        async with repo.transaction():
            await repo.set_stopped(participant.user_id, stopped=False)
        await turn.say(turn._("Welcome back: reminders and news are on again."))
    if participant.status == "submitted":
        async with repo.transaction():
            await turn.enter(j.REVIEW)
        await turn.reload()
        await turn.say(
            turn._("Here are your answers. You can change them while the consultation is open.")
        )
        await turn.show_current()
        return
    if participant.status == "declined":
        async with repo.transaction():
            await turn.enter(j.CONSENT)
        await turn.reload()
        await turn.show_current()
        return
    if participant.status == "in_progress":
        await turn.send(turn.views.resume())
        return
    await turn.show_current()


async def choose_language_command(update: Update, context: BotContext) -> None:
    """Offer the language choice; the current question follows in the new language."""
    participant = await private_participant(update, context)
    if participant is None:
        return
    await send_screen(
        context,
        participant.chat_id,
        language_screen(participant.language or participant.language_code),
    )


async def help_command(update: Update, context: BotContext) -> None:
    """Explain what the bot is and which commands it knows, then repeat the current question."""
    turn = await current_turn(update, context)
    if turn is None:
        return
    _ = turn._
    await turn.say(
        "\n".join(
            (
                _(
                    "This bot asks for your views on six conclusions about developing "
                    "the Creative Industries in Kazakhstan."
                ),
                "",
                _("/start: begin, or continue where you left off"),
                _("/language: change the language"),
                _("/help: this message"),
                _("/mydata: the data stored about you"),
                _("/delete: withdraw and erase your data"),
                _("/stop: no more reminders or news"),
            )
        )
    )
    if turn.p.step != j.LANGUAGE:
        await turn.show_current()


async def unknown_command(update: Update, context: BotContext) -> None:
    """Answer a command the bot does not know with a hint and the current question."""
    turn = await current_turn(update, context)
    if turn is None:
        return
    await turn.hint(turn._("I don't know that command. Send /help to see what I can do."))


# Buttons -------------------------------------------------------------------------------------


async def on_tap(update: Update, context: BotContext) -> None:
    """Handle a button: the journey's answer to the current step, or a stale or forged tap."""
    query = update.callback_query
    assert query is not None
    participant = await private_participant(update, context)
    if participant is None:
        await query.answer()
        return
    turn = Turn(update, context, participant)
    tap = parse_callback(query.data)
    known = tap is not None and (turn.journey.knows(tap.step) or tap.step in (*FREE_STEPS, "x"))
    if tap is None or not known or (tap.flag is not None and tap.step not in j.MULTI_STEPS):
        await _stale(turn, "forged")
        return
    if tap.step == "x":
        await query.answer()
        return
    if tap.step == j.LANGUAGE:
        await _choose_language(turn, tap)
        return
    if tap.step == "resume":
        await _resume(turn, tap)
        return
    if tap.step == "stay":  # the offer to switch language, declined
        await query.answer()
        await _mark(turn, _choice_label(turn, tap))
        return
    expected = participant.step if tap.step != "back" else "back"
    if tap.step != expected or (tap.step == "back" and tap.value != participant.step):
        if await _already(turn, tap):
            await query.answer(turn._("✓ Saved"))
        else:
            await _stale(turn, "stale")
        return
    handler = _STEP_HANDLERS.get(_kind(turn, tap.step))
    handled = handler is not None and await handler(turn, tap)
    if not handled:
        await _stale(turn, "invalid")


def _kind(turn: Turn, step: str) -> str:
    if step == "back":
        return "back"
    if step in j.PROFILE_STEPS:
        return "profile"
    if turn.journey.takes_comment(step):
        return "comment"
    if j.conclusion_number(step) is not None:
        return "stance"
    return step


async def _stale(turn: Turn, why: str) -> None:
    """A button from an earlier question, or data this bot never sent: hint, then ask again."""
    query = turn.update.callback_query
    assert query is not None
    logger.debug("%s callback from respondent step %s", why, turn.p.step)
    await query.answer(
        turn._("That button belongs to an earlier question. Here is the current one.")
    )
    # Already without a keyboard, or too old to edit: nothing to tidy then.
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(reply_markup=None)
    await turn.show_current()


async def _mark(turn: Turn, label: str) -> None:
    """Leave the chosen answer on the question's message, instead of its keyboard."""
    query = turn.update.callback_query
    assert query is not None
    # "Message is not modified" or too old to edit: the answer is stored all the same.
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(reply_markup=chosen_keyboard(label))


async def _advance(turn: Turn, label: str | None) -> None:
    """After the answer's writes were committed: mark the choice, then show the next step."""
    query = turn.update.callback_query
    assert query is not None
    await query.answer()
    if label:
        await _mark(turn, label)
    await turn.reload()
    await turn.show_current()


async def _choose_language(turn: Turn, tap: Tap) -> None:
    if tap.value not in LANGUAGES:
        await _stale(turn, "forged")
        return
    first_time = turn.p.step == j.LANGUAGE
    async with turn.repo.transaction():
        await turn.repo.set_language(turn.p.user_id, tap.value)
        if first_time:
            await turn.enter(j.AGE)
    await turn.update.callback_query.answer()  # type: ignore[union-attr]
    await _mark(turn, LANGUAGE_NAMES[tap.value])
    await turn.reload()
    if not first_time:
        await turn.say(turn._("The language is now English."))
    await turn.show_current()


async def _resume(turn: Turn, tap: Tap) -> None:
    if turn.p.status != "in_progress" or tap.value not in (j.CONTINUE, j.START_OVER, j.WIPE):
        await _stale(turn, "stale")
        return
    if tap.value == j.START_OVER:
        query = turn.update.callback_query
        assert query is not None
        await query.answer()
        await _mark(turn, turn._("🔄 Start over"))
        await turn.send(turn.views.confirm_start_over())
        return
    if tap.value == j.WIPE and turn.p.respondent_id is not None:
        async with turn.repo.transaction():
            await turn.repo.start_over(turn.p.respondent_id)
            await turn.enter(j.FIRST_QUESTION, editing=False)
    await _advance(turn, _choice_label(turn, tap))


async def _on_age(turn: Turn, tap: Tap) -> bool:
    _ = turn._
    if tap.value == j.YES:
        async with turn.repo.transaction():
            await turn.enter(j.CONSENT)
        await _advance(turn, _("Yes, I am 18 or older"))
        return True
    if tap.value == j.NO:
        async with turn.repo.transaction():
            await turn.repo.forget_user(turn.p.user_id)
        query = turn.update.callback_query
        assert query is not None
        await query.answer()
        await _mark(turn, _("No, I am under 18"))
        await turn.say(
            _(
                "Thank you for your interest! This consultation is for people aged 18 and over, "
                "so we cannot take your answers. Nothing about you has been stored."
            )
        )
        return True
    return False


async def _on_consent(turn: Turn, tap: Tap) -> bool:
    _ = turn._
    if tap.value == j.YES:
        async with turn.repo.transaction():
            await turn.repo.consent(
                turn.p.user_id, version=turn.services.content.version, now=turn.now
            )
            await turn.enter(j.QUOTE)
        await _advance(turn, _("I agree"))
        return True
    if tap.value == j.NO:
        async with turn.repo.transaction():
            await turn.repo.set_status(turn.p.user_id, "declined")
            await turn.enter(j.DECLINED)
        await _advance(turn, _("No, thanks"))
        return True
    return False


async def _on_yes_no(turn: Turn, tap: Tap) -> bool:
    if tap.value not in (j.YES, j.NO) or turn.p.respondent_id is None:
        return False
    field = "may_quote" if tap.step == j.QUOTE else "wants_news"
    following = turn.journey.next_step(tap.step, editing=turn.p.editing)
    async with turn.repo.transaction():
        await turn.repo.set_consent_choice(turn.p.respondent_id, field, tap.value == j.YES)
        await turn.enter(following)
    label = _choice_label(turn, tap)
    await _advance(turn, label)
    return True


def _choice_label(turn: Turn, tap: Tap) -> str:
    """The label of the button that was tapped, read from the keyboard the bot sent."""
    query = turn.update.callback_query
    if query is None or not isinstance(query.message, Message) or not query.message.reply_markup:
        return "…"
    for row in query.message.reply_markup.inline_keyboard:
        for key in row:
            if key.callback_data == query.data:
                return key.text
    return "…"


async def _on_profile(turn: Turn, tap: Tap) -> bool:
    if turn.p.respondent_id is None:
        return False
    options = {o.id for o in turn.views.profile_options(tap.step)}
    value = {j.SKIP: j.SKIPPED_VALUE, j.PREFER_NOT: j.PREFER_NOT_VALUE}.get(tap.value, tap.value)
    if value not in options and tap.value not in (j.SKIP, j.PREFER_NOT):
        return False
    following = turn.journey.next_step(tap.step, editing=turn.p.editing)
    async with turn.repo.transaction():
        await turn.repo.set_profile(
            turn.p.respondent_id, j.PROFILE_STEPS[tap.step], value, now=turn.now
        )
        await turn.enter(following)
    await _advance(turn, _choice_label(turn, tap))
    return True


async def _on_stance(turn: Turn, tap: Tap) -> bool:
    number = j.conclusion_number(tap.step)
    item = turn.journey.item(tap.step)
    if turn.p.respondent_id is None or number is None or item is None:
        return False
    if tap.value == j.SKIP:
        stance = None
    elif tap.value in {s.id for s in turn.services.content.stances}:
        stance = int(tap.value)
    else:
        return False
    following = turn.journey.next_step(tap.step, editing=turn.p.editing)
    async with turn.repo.transaction():
        await turn.repo.save_stance(
            turn.p.respondent_id, item, stance, version=turn.services.content.version, now=turn.now
        )
        await turn.enter(following)
    await _advance(turn, _choice_label(turn, tap))
    return True


async def _on_comment_button(turn: Turn, tap: Tap) -> bool:
    item = turn.journey.item(tap.step)
    respondent = turn.p.respondent_id
    if respondent is None or item is None:
        return False
    if tap.value == j.REMOVE_VALUE:
        async with turn.repo.transaction():
            await turn.repo.clear_comment(respondent, item, now=turn.now)
        await _advance(turn, None)
        return True
    if tap.value not in (j.DONE_VALUE, j.NONE_VALUE):
        return False
    # "No comment" from the question's own keyboard, tapped after typing a comment, means
    # "I'm finished": it keeps the comment. Removing one is its own button.
    following = turn.journey.next_step(tap.step, editing=turn.p.editing)
    async with turn.repo.transaction():
        await turn.repo.finish_item(
            respondent, item, version=turn.services.content.version, now=turn.now
        )
        await turn.enter(following)
    await _advance(turn, _choice_label(turn, tap))
    return True


async def _on_multi(turn: Turn, tap: Tap) -> bool:
    respondent = turn.p.respondent_id
    question = turn.views.multi_question(tap.step)
    query = turn.update.callback_query
    if respondent is None or query is None:
        return False
    version = turn.services.content.version
    if tap.value == j.DONE_VALUE and tap.flag is None:
        following = turn.journey.next_step(tap.step, editing=turn.p.editing)
        async with turn.repo.transaction():
            await turn.repo.finish_item(respondent, question.item, version=version, now=turn.now)
            await turn.enter(following)
        await _advance(turn, turn._("Done ✓"))
        return True
    option = question.option(tap.value)
    if option is None or tap.flag is None:
        return False
    answer = await turn.repo.answer(respondent, question.item)
    chosen = list(answer.choices if answer else ())
    if tap.flag and option.id not in chosen:
        if option.exclusive:
            chosen = [option.id]
        else:
            chosen = [c for c in chosen if not _exclusive(question, c)]
            if len(chosen) >= question.max_choices:
                await query.answer(
                    turn.views.ngettext(
                        "You can choose up to {count} option.",
                        "You can choose up to {count} options.",
                        question.max_choices,
                    ).format(count=question.max_choices),
                    show_alert=True,
                )
                return True
            chosen.append(option.id)
    elif not tap.flag and option.id in chosen:
        chosen.remove(option.id)
    async with turn.repo.transaction():
        await turn.repo.save_choices(
            respondent, question.item, tuple(chosen), version=version, now=turn.now
        )
    await query.answer()
    try:
        await query.edit_message_reply_markup(
            reply_markup=turn.views.multi_keyboard(tap.step, tuple(chosen))
        )
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            await turn.show_current()  # the old message cannot be edited: ask afresh
    return True


def _exclusive(question: MultiQuestion, option_id: str) -> bool:
    option = question.option(option_id)
    return bool(option and option.exclusive)


async def _on_review(turn: Turn, tap: Tap) -> bool:
    respondent = turn.p.respondent_id
    if respondent is None:
        return False
    if tap.value == j.SUBMIT:
        async with turn.repo.transaction():
            await turn.repo.submit(turn.p.user_id, respondent, now=turn.now)
            await turn.enter(j.DONE)
        await _advance(turn, _choice_label(turn, tap))
        return True
    group = turn.journey.edit_group(tap.value)
    if not group:
        return False
    async with turn.repo.transaction():
        await turn.enter(group[0], editing=True)
    await _advance(turn, _choice_label(turn, tap))
    return True


async def _on_back(turn: Turn, tap: Tap) -> bool:
    previous = turn.journey.previous_step(turn.p.step, editing=turn.p.editing)
    if previous is None:
        return False
    async with turn.repo.transaction():
        await turn.enter(previous)
    await _advance(turn, turn._("« Back"))
    return True


_STEP_HANDLERS = {
    j.AGE: _on_age,
    j.CONSENT: _on_consent,
    j.QUOTE: _on_yes_no,
    j.NEWS: _on_yes_no,
    "profile": _on_profile,
    "stance": _on_stance,
    "comment": _on_comment_button,
    j.SECTORS: _on_multi,
    j.MARKETS: _on_multi,
    j.REVIEW: _on_review,
    "back": _on_back,
}


async def _already(turn: Turn, tap: Tap) -> bool:
    """Whether a tap on an earlier question repeats what is stored (a double tap)."""
    p = turn.p
    steps = turn.journey.steps
    passed = tap.step in steps and p.step in steps and steps.index(tap.step) < steps.index(p.step)
    if tap.step == "back":
        return turn.journey.previous_step(tap.value, editing=p.editing) == p.step
    if tap.step == j.AGE:
        return tap.value == j.YES and passed
    if tap.step == j.CONSENT:
        return (tap.value == j.YES and p.respondent_id is not None) or (
            tap.value == j.NO and p.status == "declined"
        )
    if tap.step in (j.QUOTE, j.NEWS):
        stored = p.may_quote if tap.step == j.QUOTE else p.wants_news
        return stored is not None and stored == (tap.value == j.YES)
    if tap.step in j.PROFILE_STEPS:
        value = {j.SKIP: j.SKIPPED_VALUE, j.PREFER_NOT: j.PREFER_NOT_VALUE}.get(
            tap.value, tap.value
        )
        return p.profile(j.PROFILE_STEPS[tap.step]) == value
    if tap.step == j.REVIEW:
        return tap.value == j.SUBMIT and p.step == j.DONE
    item = turn.journey.item(tap.step)
    if item is None or p.respondent_id is None:
        return False
    answer = await turn.repo.answer(p.respondent_id, item)
    if answer is None:
        return False
    if tap.flag is not None:
        return (tap.value in answer.choices) == tap.flag
    if tap.value in (j.DONE_VALUE, j.NONE_VALUE):
        return passed
    if tap.step.startswith("s"):
        if tap.value == j.SKIP:
            return passed and answer.stance is None
        return str(answer.stance) == tap.value
    return False


# Messages ------------------------------------------------------------------------------------


def _comment_item(turn: Turn) -> tuple[str, bool] | None:
    """The item a typed or spoken comment now belongs to, and whether it precedes the stance.

    People often type their opinion before choosing a stance: it is kept as the comment.
    """
    step = turn.p.step
    early = step.startswith("s") and j.conclusion_number(step) is not None
    item = turn.journey.item(step)
    if not (turn.journey.takes_comment(step) or early) or turn.p.respondent_id is None:
        return None
    return (item, early) if item else None


async def on_text(update: Update, context: BotContext) -> None:
    """Take typed text as a comment part where a comment is asked; otherwise hint."""
    message = update.effective_message
    turn = await current_turn(update, context)
    if turn is None or message is None:
        return
    target = _comment_item(turn)
    if target is None or turn.p.respondent_id is None:
        await turn.hint(_expected_hint(turn))
        return
    item, early = target
    text = message.text or ""  # one Telegram message: 4,096 characters at most
    written_in = detect_language(text)  # this part only: the others were read when they came
    # The first reply with a clear language is compared, once, with the language chosen.
    check = not turn.p.language_checked and len(WORD.findall(text)) >= CLEAR_WORDS
    async with turn.repo.transaction():
        part = await turn.repo.add_comment_part(
            turn.p.respondent_id,
            item,
            message_id=message.message_id,
            text=text,
            language=written_in,
            version=turn.services.content.version,
            now=turn.now,
        )
        if check:
            await turn.repo.set_language_checked(turn.p.user_id)
        await turn.enter(turn.p.step)
    if not part.added:
        await _comment_full(turn, early)
        return
    if early:
        await _saved_before_stance(turn)
    else:
        await turn.send(turn.views.comment_saved(turn.p.step, part.comment, None))
    if check and written_in and written_in != turn.views.language:
        await turn.send(language_offer(written_in, turn.views.language))


async def _comment_full(turn: Turn, early: bool) -> None:
    """Say that a part was not added, the comment being as long as it may be."""
    text = turn.views.limit_reached("part")
    if early:
        await turn.hint(text)
    else:
        await turn.send(turn.views.comment_saved(turn.p.step, None, None, note=text))


async def _saved_before_stance(turn: Turn) -> None:
    """Confirm a comment sent before the stance, then ask for the stance."""
    await turn.hint(
        turn._(
            "✓ Your comment is saved. Now choose how far you agree, with the buttons below; "
            "you can add to your comment next."
        )
    )


async def on_voice(update: Update, context: BotContext) -> None:
    """Take a voice message as the comment where a comment is asked; otherwise hint."""
    message = update.effective_message
    turn = await current_turn(update, context)
    if turn is None or message is None or message.voice is None:
        return
    target = _comment_item(turn)
    if target is None or turn.p.respondent_id is None:
        await turn.hint(_expected_hint(turn))
        return
    item, early = target
    voice = message.voice
    async with turn.repo.transaction():
        added = await turn.repo.save_voice(
            turn.p.respondent_id,
            item,
            message_id=message.message_id,
            file_id=voice.file_id,
            unique_id=voice.file_unique_id,
            duration=int(voice.to_dict().get("duration", 0)),  # seconds, whatever PTB_TIMEDELTA
            version=turn.services.content.version,
            now=turn.now,
        )
        await turn.enter(turn.p.step)
    if not added:
        await turn.hint(turn.views.limit_reached("voice"))
        return
    if early:
        await _saved_before_stance(turn)
        return
    await turn.send(
        turn.views.comment_saved(
            turn.p.step, None, await turn.repo.answer(turn.p.respondent_id, item)
        )
    )


def _expected_hint(turn: Turn) -> str:
    _ = turn._
    step = turn.p.step
    if turn.journey.takes_comment(step):
        return _("I can take your comment as text or as a voice message.")
    if step == j.DECLINED:
        return _("You chose not to take part. If you change your mind, send /start.")
    if step == j.DONE:
        return _("Your answers are submitted, thank you. Send /start to see or change them.")
    return _("Please answer with the buttons below.")


async def on_other(update: Update, context: BotContext) -> None:
    """Answer stickers, photos, files, locations and the like with a hint and the question."""
    turn = await current_turn(update, context)
    if turn is None:
        return
    await turn.hint(_expected_hint(turn))


async def on_edited(update: Update, context: BotContext) -> None:
    """Update the stored comment when the respondent edits a message that was part of it."""
    message = update.edited_message
    user = update.effective_user
    if message is None or user is None or message.text is None:
        return
    repo = context.services.repo
    participant = await repo.participant(user.id)
    if participant is None or participant.respondent_id is None:
        return
    now = context.services.clock()
    language = detect_language(message.text)  # the edited part only
    async with repo.transaction():
        edited = await repo.edit_comment_part(
            participant.respondent_id,
            message_id=message.message_id,
            text=message.text,
            language=language,
            now=now,
        )
    if edited is None:
        return
    turn = Turn(update, context, participant)
    if edited.added:
        await message.reply_text(turn._("✏️ Your comment has been updated."))
        return
    await message.reply_text(turn.views.limit_reached("edit"))


async def in_group(update: Update, context: BotContext) -> None:
    """Point people who write in a group to a private chat with the bot."""
    message = update.effective_message
    user = update.effective_user
    if message is None:
        return
    language = (user.language_code or "en")[:2] if user else "en"
    participant = await context.services.repo.participant(user.id) if user else None
    if participant and participant.language:
        language = participant.language
    _ = translator(language).gettext
    username = context.bot.username
    await message.reply_text(
        _("I answer in private chats only: please write to me directly."),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(_("Open a private chat"), url=f"https://t.me/{username}")]]
        ),
    )
