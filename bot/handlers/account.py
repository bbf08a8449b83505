"""A respondent's control of their data: /mydata, /delete, /stop."""

from __future__ import annotations

import contextlib
import io
import logging
import re

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot import journey as j
from bot.handlers.consultation import on_tap
from bot.handlers.steps.review import data_report, round_report
from bot.handlers.turn import Turn
from bot.handlers.views import Screen, Views, button
from bot.journey import NO, YES, Pseudo, parse_callback
from bot.services import BotContext

logger = logging.getLogger(__name__)

DELETE_STEP = Pseudo.DELETE
DELETE_DATA = re.compile(
    rf"^c:{Pseudo.DELETE}:[{YES}{NO}]$"
)  # the confirmation's two buttons, and nothing else


async def _known(update: Update, context: BotContext) -> Turn | None:
    """This update's Turn, or None after saying nothing is stored: these commands create no one."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    participant = await context.participant(update)
    if participant is None:
        _ = (await context.catalog(update)).gettext
        await context.bot.send_message(chat.id, _("Nothing is stored about you."))
        return None
    return Turn(update, context, participant)


async def stop_command(update: Update, context: BotContext) -> None:
    """Stop reminders and news; /start lifts it."""
    turn = await _known(update, context)
    if turn is None:
        return
    async with turn.repo.transaction():
        await turn.repo.set_stopped(turn.p.user_id, stopped=True)
    await turn.say(
        turn._("You will get no more reminders or news from this bot. Send /start to undo this.")
    )
    await turn.ask_again()


async def delete_command(update: Update, context: BotContext) -> None:
    """Ask for a confirmation before erasing everything about the respondent."""
    turn = await _known(update, context)
    if turn is None:
        return
    _ = turn._
    await turn.send(
        Screen(
            (
                _(
                    "Do you want to withdraw and erase everything this bot holds about you? "
                    "This cannot be undone."
                ),
            ),
            InlineKeyboardMarkup(
                [
                    [button(_("Yes, erase my data"), DELETE_STEP, j.YES)],
                    [button(_("No, keep my answers"), DELETE_STEP, j.NO)],
                ]
            ),
        )
    )


async def on_delete_tap(update: Update, context: BotContext) -> None:
    """Erase the respondent's data, or keep it, as they confirmed."""
    query = update.callback_query
    assert query is not None
    tap = parse_callback(query.data)
    if tap is None or tap.step != DELETE_STEP:
        # PTB hands empty callback data to every pattern handler: let the journey refuse it.
        await on_tap(update, context)
        return
    await query.answer()
    turn = await _known(update, context)
    if turn is None:
        return
    _ = turn._
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(reply_markup=None)
    if tap.value != j.YES:
        await turn.say(_("Nothing was deleted."))
        await turn.ask_again()
        return
    # The team hears of the number in the next hourly digest (jobs.withdrawals), and the
    # bot's own packs and backups on the server are cleaned of it before that.
    async with turn.repo.transaction():
        await turn.repo.withdraw(turn.p.user_id, now=turn.now)
    turn.services.shares.clear()  # the rounds' shares shown are counted again without them
    await turn.say(
        _(
            "Everything about you has been erased. Thank you for your time. "
            "Send /start to begin again."
        )
    )


async def mydata_command(update: Update, context: BotContext) -> None:
    """Send the respondent everything stored about them, as a text file in their language."""
    turn = await _known(update, context)
    if turn is None:
        return
    services, p = context.services, turn.p
    facts = await services.repo.stored_facts(p.user_id)
    zone = services.settings.zone
    entries: dict[int, tuple[str | None, str | None, str | None, str | None]] = {}
    first, answers = p.round, {}
    if p.respondent_id is not None:
        entries = await services.repo.round_entries(p.respondent_id)
        rounds = await services.repo.answer_rounds(p.respondent_id)
        first = min((r for r in rounds if r not in entries), default=p.round)  # their first
        answers = await services.repo.answers(p.respondent_id, round=first)
    report = data_report(Views(services.content, services.journey, p), answers, facts, zone=zone)
    later = Views(services.content, services.returning, p)
    for number, entry in sorted(entries.items()):
        assert p.respondent_id is not None
        given = await services.repo.answers(p.respondent_id, round=number)
        report += round_report(later, number, given, entry, zone=zone)
    await context.bot.send_document(
        turn.p.chat_id,
        document=io.BytesIO(report.encode("utf-8")),
        filename="my-data.txt",
        caption=turn._("Everything this bot holds about you."),
    )
    await turn.ask_again()
