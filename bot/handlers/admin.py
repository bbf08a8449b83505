"""The team's commands: /export and /stats, for admins and team chats only."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.constants import ChatType, ParseMode

from bot import jobs
from bot.content import LANGUAGES
from bot.handlers.context import BotContext, Services
from bot.i18n import translator
from bot.stats import collect, format_stats

logger = logging.getLogger(__name__)

EXPORT_LOCK = "export-lock"


def is_admin(services: Services, user_id: int | None) -> bool:
    """Owners (BOT_ADMINS) run the consultation."""
    return user_id is not None and user_id in services.settings.admins


def may_see_results(services: Services, update: Update) -> bool:
    """Raw results go to team chats (anyone in them) and to admins in their private chat.

    An admin in any other group is refused too: the group's members would see the data.
    """
    user = update.effective_user
    chat = update.effective_chat
    if chat is None:
        return False
    if chat.id in jobs.team_chats(services):
        return True
    return chat.type == ChatType.PRIVATE and is_admin(services, user.id if user else None)


async def _language(update: Update, context: BotContext) -> str:
    user = update.effective_user
    if user is None:
        return "en"
    participant = await context.services.repo.participant(user.id)
    if participant and participant.language:
        return participant.language
    suggested = (user.language_code or "")[:2]
    return suggested if suggested in LANGUAGES else "en"


async def refuse(update: Update, context: BotContext) -> None:
    """The polite refusal every admin command and button gives everyone else."""
    _ = translator(await _language(update, context)).gettext
    refusal = _("Sorry, this is for the consultation's team.")
    if update.callback_query:
        await update.callback_query.answer(refusal)
    elif update.effective_message:
        await update.effective_message.reply_text(refusal)


async def _team_member(update: Update, context: BotContext) -> tuple[int, str] | None:
    """(chat id, language) for someone who may see results here; None after refusing."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or not may_see_results(context.services, update):
        if chat is not None and is_admin(context.services, user.id if user else None):
            _ = translator(await _language(update, context)).gettext
            await context.bot.send_message(
                chat.id,
                _("Results go only to team chats, and to admins in a private chat with me."),
            )
            return None
        await refuse(update, context)
        return None
    return chat.id, await _language(update, context)


def _lock(context: BotContext) -> asyncio.Lock:
    """One pack or chart at a time: a second /export waits for the first rather than racing."""
    lock = context.bot_data.setdefault(EXPORT_LOCK, asyncio.Lock())
    assert isinstance(lock, asyncio.Lock)
    return lock


async def export_command(update: Update, context: BotContext) -> None:
    """Build the export pack now and send it to the chat that asked.

    Runs beside respondents' updates (the handler does not block), the pack itself in a
    child process.
    """
    member = await _team_member(update, context)
    if member is None:
        return
    chat_id, language = member
    services = context.services
    _ = translator(language).gettext
    lock = _lock(context)
    if lock.locked():
        await context.bot.send_message(
            chat_id, _("An export is being prepared already; this one follows it.")
        )
    async with lock:
        await context.bot.send_message(chat_id, _("Preparing the export pack…"))
        now = services.clock().astimezone(services.settings.zone)
        folder = services.settings.export_dir / jobs.ADHOC / now.strftime("%Y-%m-%d-%H%M%S")
        try:
            await jobs.send_pack(context, services, folder, [chat_id], language=language)
        except RuntimeError:
            logger.exception("the export pack could not be built")
            await context.bot.send_message(
                chat_id, _("The export failed; the details are in the bot's log.")
            )
        finally:
            jobs.prune_adhoc(services)


async def stats_command(update: Update, context: BotContext) -> None:
    """Show the consultation's figures; `/stats chart` adds the stance chart."""
    member = await _team_member(update, context)
    if member is None:
        return
    chat_id, language = member
    services = context.services
    figures = await asyncio.to_thread(collect, services.settings.db)
    text = format_stats(figures, services.content, language)
    await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
    if not context.args or context.args[0].lower() != "chart":
        return
    async with _lock(context):
        now = services.clock().astimezone(services.settings.zone)
        folder = services.settings.export_dir / jobs.ADHOC / f"{now:%Y-%m-%d-%H%M%S}-chart"
        try:
            files = await jobs.build_pack(services, folder, "--charts-only")
        except RuntimeError:
            logger.exception("the chart could not be drawn")
            _ = translator(language).gettext
            await context.bot.send_message(
                chat_id, _("The export failed; the details are in the bot's log.")
            )
            return
        finally:
            jobs.prune_adhoc(services)
        chart = next((f for f in files if f.name == f"chart-{language}.png"), None)
        if chart:
            await context.bot.send_document(chat_id, chart, filename=chart.name)
