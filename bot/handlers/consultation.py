"""The respondent journey: /start, the buttons, comments typed or spoken, and odd input.

A tap is parsed, refused when it is stale or forged, then answered by the handler of its step's
kind (`bot.handlers.steps`); the step lives in the database, so a restart resumes exactly there.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.commands import RESPONDENT_COMMANDS
from bot.content import LANGUAGES
from bot.handlers.rounds import invitation_screen
from bot.handlers.steps import KINDS, StepKind, multi
from bot.handlers.steps import comment as comments
from bot.handlers.steps.gates import full_information, information_button
from bot.handlers.turn import Turn, send_screen
from bot.handlers.views import Screen, language_offer, language_screen
from bot.i18n import LANGUAGE_NAMES, translator
from bot.journey import (
    CONTINUE,
    DIRECT,
    OTHER,
    START_OVER,
    UNREGISTERED,
    WIPE,
    Kind,
    Pseudo,
    Step,
    Tap,
    parse_callback,
)
from bot.langid import detect_language
from bot.services import BotContext
from bot.storage.records import Participant

logger = logging.getLogger(__name__)

SOURCE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
WORD = re.compile(r"[^\W\d_]{2,}")
CLEAR_WORDS = 2  # a reply of two words or more shows the language it is written in


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
    context.remember(user.id, participant)
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
    participant = await context.participant(update)
    if participant is None:
        await _greet(update, context, payload=None)
    return participant


async def current_turn(update: Update, context: BotContext) -> Turn | None:
    """This update's Turn; None (after greeting them) for a newcomer, and (after inviting
    them) for someone who answered an earlier round and has not taken up the open one."""
    participant = await private_participant(update, context)
    if participant is None:
        return None
    turn = Turn(update, context, participant)
    if context.services.stale(participant):
        await invite(turn)
        return None
    return turn


async def invite(turn: Turn) -> None:
    """The open round's invitation: whatever else they send, the round they answered is closed."""
    await turn.send(invitation_screen(turn.views, turn.services.round.number))


# Commands -------------------------------------------------------------------------------------


async def start(update: Update, context: BotContext) -> None:
    """Start, or offer a returning respondent to continue, or show a submitter their answers."""
    repo = context.services.repo
    participant = await context.participant(update)
    if participant is None:
        await _greet(update, context, context.args[0] if context.args else None)
        return
    turn = Turn(update, context, participant)
    welcomed = participant.stopped
    if participant.stopped:
        async with repo.transaction():
            await repo.set_stopped(participant.user_id, stopped=False)
        await turn.say(turn._("Welcome back: reminders and news are on again."))
    if context.services.stale(participant):
        await invite(turn)
        return
    if participant.status == "submitted":
        async with repo.transaction():
            await turn.enter(Step.REVIEW)
        await turn.reload()
        await turn.say(
            turn._("Here are your answers. You can change them while the consultation is open.")
        )
        await turn.show_current()
        return
    if participant.status == "declined":
        async with repo.transaction():
            await turn.enter(Step.CONSENT)
        await turn.reload()
        await turn.show_current()
        return
    if participant.status == "in_progress":
        await turn.send(turn.views.resume(welcome=not welcomed))  # one welcome back is enough
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
        language_screen(
            participant.language or participant.language_code,
            welcome=participant.step == Step.LANGUAGE,  # mid-way, a welcome would be odd
        ),
    )


def _about(language: str, count: int) -> str:
    """What the bot is, in `language`."""
    return (
        translator(language)
        .ngettext(
            "This bot asks for your views on {count} conclusion about developing the Creative "
            "Industries in Kazakhstan.",
            "This bot asks for your views on {count} conclusions about developing the Creative "
            "Industries in Kazakhstan.",
            count,
        )
        .format(count=count)
    )


async def help_command(update: Update, context: BotContext) -> None:
    """Explain what the bot is and which commands it knows, offer the full information about
    the consultation, then repeat the current question (or the open round's invitation)."""
    participant = await private_participant(update, context)
    if participant is None:
        return
    turn = Turn(update, context, participant)
    _ = turn._
    count = len(turn.journey.conclusions)
    choosing = turn.p.step == Step.LANGUAGE  # no language chosen yet: what it is, in all three
    languages = LANGUAGES if choosing else (turn.views.language,)
    about = [_about(language, count) for language in languages]
    lines = [_(command.help) for command in RESPONDENT_COMMANDS if command.help]
    await turn.send(
        Screen(
            ("\n".join((*about, "", *lines)),),
            InlineKeyboardMarkup([[information_button(turn.views)]]),
        )
    )
    if choosing:
        await turn.show_current()  # the language choice, its buttons last
    elif context.services.stale(participant):
        await invite(turn)
    else:
        await turn.ask_again()


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
    if tap is None or not (turn.journey.knows(tap.step) or tap.step in _PSEUDO):
        await turn.refuse_tap("forged")
        return
    kind = turn.journey.kind(tap.step)
    if tap.flag is not None and kind is not Kind.MULTI:  # only toggles carry a flag
        await turn.refuse_tap("forged")
        return
    if context.services.stale(participant) and tap.step not in (Pseudo.ROUND, Step.LANGUAGE):
        await query.answer()
        await turn.clear_keyboard()  # a question of the closed round
        await invite(turn)
        return
    if tap.step in _PSEUDO:  # the language too: it may be changed at any step
        await _PSEUDO[tap.step](turn, tap)
        return
    assert kind is not None  # a step the journey knows
    handler = KINDS[kind]
    if tap.step != participant.step:
        if await handler.repeats(turn, tap):
            await query.answer(turn._("✓ Saved"))
        else:
            await turn.refuse_tap("stale")
        return
    await _store_and_show(turn, handler, tap)


async def _store_and_show(turn: Turn, handler: StepKind, tap: Tap) -> None:
    """Store a tap's answer and the step it leads to in one transaction, then show that step."""
    async with turn.repo.transaction():
        move = await handler.store(turn, tap)
        if move is not None and move.to is not None:
            await turn.enter(move.to, editing=move.editing)
    if move is None:
        await turn.refuse_tap("invalid")
        return
    await handler.finish(turn, tap, move)


async def _back(turn: Turn, tap: Tap) -> None:
    """Back, from the step it was shown on (its value) to the one before."""
    journey, p = turn.journey, turn.p
    if tap.value != p.step:  # a repeat lands where the first tap did
        returned = (
            journey.knows(tap.value)
            and journey.previous_step(tap.value, editing=p.editing) == p.step
        )
        if returned:
            await turn.query.answer(turn._("✓ Saved"))
        else:
            await turn.refuse_tap("stale")
        return
    previous = journey.previous_step(p.step, editing=p.editing)
    if previous is None:
        await turn.refuse_tap("invalid")
        return
    async with turn.repo.transaction():
        await turn.enter(previous)
    await turn.advance(turn._("« Back"))


async def _choose_language(turn: Turn, tap: Tap) -> None:
    """A language chosen: on the first screen, or later (/language, the offer to switch)."""
    if tap.value not in LANGUAGES:
        await turn.refuse_tap("forged")
        return
    first_time = turn.p.step == Step.LANGUAGE
    async with turn.repo.transaction():
        await turn.repo.set_language(turn.p.user_id, tap.value)
        if first_time:
            await turn.enter(turn.journey.next_step(Step.LANGUAGE, editing=False))
    await turn.query.answer()
    await turn.mark(LANGUAGE_NAMES[tap.value])
    await turn.reload()
    if not first_time:
        await turn.say(turn._("The language is now English."))
    await turn.show_current()


async def _resume(turn: Turn, tap: Tap) -> None:
    """The returning respondent's choice: continue, or start over (asked once more first)."""
    if turn.p.status != "in_progress" or tap.value not in (CONTINUE, START_OVER, WIPE):
        await turn.refuse_tap("stale")
        return
    if tap.value == START_OVER:
        await turn.query.answer()
        await turn.mark(turn._("🔄 Start over"))
        await turn.send(turn.views.confirm_start_over())
        return
    if tap.value == WIPE and turn.p.respondent_id is not None:
        async with turn.repo.transaction():
            await turn.repo.start_over(
                turn.p.respondent_id, round=turn.p.round, returning=turn.p.returning
            )
            await turn.enter(turn.journey.questions[0], editing=False)
    await turn.advance(turn.tapped_label(), resumed=tap.value == CONTINUE)


async def _join_round(turn: Turn, tap: Tap) -> None:
    """*Take part in round N*, from its invitation: the round's journey begins, the answers of
    the earlier rounds kept apart."""
    services, p = turn.services, turn.p
    current = services.round
    if not tap.value.isdigit() or p.respondent_id is None or p.completed_at is None:
        await turn.refuse_tap("forged")  # only those who submitted before are invited
        return
    if int(tap.value) != current.number or not current.open:
        await turn.query.answer(turn._("This invitation is for a round that has closed."))
        await turn.clear_keyboard()
        await turn.show_current(brief=True)
        return
    if not services.stale(p):  # a double tap, or the invitation tapped again later
        await turn.query.answer(turn._("You are taking part in this round already."))
        await turn.ask_again()
        return
    first = services.returning.questions[0]
    item = services.returning.item(first)
    async with turn.repo.transaction():
        await turn.repo.join_round(p.user_id, p.respondent_id, current.number, step=first,
                                   now=turn.now)  # fmt: skip
        if item is not None:
            await turn.repo.reach(
                p.respondent_id, item, round=current.number,
                version=services.content.version, now=turn.now,
            )  # fmt: skip
    await turn.advance(turn.tapped_label())


async def _stay(turn: Turn, tap: Tap) -> None:
    """The offer to switch language, declined: the current question again below it."""
    await turn.query.answer()
    await turn.mark(turn.tapped_label())
    await turn.ask_again()


async def _chosen(turn: Turn, tap: Tap) -> None:
    """The inert button left on an answered question: say where the live one is."""
    await turn.query.answer(turn._("Already answered: the current question is below."))


async def _information(turn: Turn, tap: Tap) -> None:
    """The consent's full information (from the consent's summary or /help); then the
    question: at the consent its two answers come with the text."""
    if tap.value != Step.CONSENT:
        await turn.refuse_tap("forged")
        return
    await turn.query.answer()
    await turn.send(full_information(turn.views))
    if turn.p.step != Step.CONSENT:
        await turn.ask_again()


# Callback steps that are not the current question's: valid whatever the current step is.
_PSEUDO: dict[str, Callable[[Turn, Tap], Awaitable[None]]] = {
    Pseudo.BACK: _back,
    Pseudo.RESUME: _resume,
    Pseudo.STAY: _stay,
    Pseudo.CHOSEN: _chosen,
    Pseudo.INFO: _information,
    Pseudo.ROUND: _join_round,
    Step.LANGUAGE: _choose_language,
}


# Messages ------------------------------------------------------------------------------------


async def on_text(update: Update, context: BotContext) -> None:
    """Take typed text as a comment part where a comment is asked; otherwise hint."""
    message = update.effective_message
    turn = await current_turn(update, context)
    if turn is None or message is None:
        return
    step = turn.p.step
    at_multi = turn.journey.kind(step) is Kind.MULTI
    chosen: tuple[str, ...] = ()
    if at_multi:  # text says what Other means, once it is chosen
        answer = await turn.answer(turn.journey.item(step) or "")
        chosen = answer.choices if answer else ()
    target = turn.journey.comment_target(step, chosen=chosen)
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
            round=turn.p.round,
            message_id=message.message_id,
            text=text,
            language=written_in,
            version=turn.services.content.version,
            now=turn.now,
        )
        if check:
            await turn.repo.set_language_checked(turn.p.user_id)
        await turn.enter(turn.p.step)
    if at_multi:
        note = None if part.added else turn.views.limit_reached("part")
        await turn.send(multi.other_saved(turn.views, step, await turn.answer(item), note=note))
        if not part.added:
            return
    elif not part.added:
        await _comment_full(turn, early)
        return
    elif early:
        await _saved_before_stance(turn)
    else:
        await turn.send(comments.saved(turn.views, step, part.comment, None))
    if check and written_in and written_in != turn.views.language:
        await turn.send(language_offer(written_in, turn.views.language))


async def _comment_full(turn: Turn, early: bool) -> None:
    """Say that a part was not added, the comment being as long as it may be."""
    text = turn.views.limit_reached("part")
    if early:
        await turn.hint(text)
    else:
        await turn.send(comments.saved(turn.views, turn.p.step, None, None, note=text))


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
    target = turn.journey.comment_target(turn.p.step)
    if target is None or turn.p.respondent_id is None:
        await turn.hint(await _voice_hint(turn))
        return
    item, early = target
    voice = message.voice
    duration = int(voice.to_dict().get("duration", 0))  # seconds, whatever PTB_TIMEDELTA
    if duration <= 0:  # a tap on the microphone, nothing recorded: nothing to keep
        await turn.hint(
            turn._(
                "That voice message is empty: nothing was recorded. Please record it again, "
                "or type your comment."
            )
        )
        return
    async with turn.repo.transaction():
        added = await turn.repo.save_voice(
            turn.p.respondent_id,
            item,
            round=turn.p.round,
            message_id=message.message_id,
            file_id=voice.file_id,
            unique_id=voice.file_unique_id,
            duration=duration,
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
    await turn.send(comments.saved(turn.views, turn.p.step, None, await turn.answer(item)))


async def _voice_hint(turn: Turn) -> str:
    """Why a voice message was not kept: at a multi-choice step with Other chosen, the words for
    it are typed; elsewhere, what the step expects."""
    step = turn.p.step
    if turn.journey.kind(step) is Kind.MULTI:
        answer = await turn.answer(turn.journey.item(step) or "")
        if answer is not None and OTHER in answer.choices:
            return multi.other_question(turn.views, step)
    return _expected_hint(turn)


def _expected_hint(turn: Turn) -> str:
    _ = turn._
    step = turn.p.step
    if turn.journey.takes_comment(step):
        return _("I can take your comment as text or as a voice message.")
    if step == Step.DECLINED:
        return _("You chose not to take part. If you change your mind, send /start.")
    if step == Step.DONE:
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
    if context.services.stale(participant):  # the round it belonged to is closed
        return
    now = context.services.clock()
    language = detect_language(message.text)  # the edited part only
    async with repo.transaction():
        edited = await repo.edit_comment_part(
            participant.respondent_id,
            round=participant.round,
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
    else:
        await message.reply_text(turn.views.limit_reached("edit"))
    await turn.ask_again()  # the live buttons stay on the newest message


async def in_group(update: Update, context: BotContext) -> None:
    """Point people who write in a group to a private chat with the bot."""
    message = update.effective_message
    if message is None:
        return
    _ = (await context.catalog(update)).gettext
    username = context.bot.username
    await message.reply_text(
        _("I answer in private chats only: please write to me directly."),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(_("Open a private chat"), url=f"https://t.me/{username}")]]
        ),
    )
