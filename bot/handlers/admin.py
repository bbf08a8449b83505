"""The team's commands: /export and /stats, for admins and team chats only."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.constants import ParseMode

from bot import jobs
from bot.content import LANGUAGES
from bot.handlers.context import BotContext, Services
from bot.i18n import translator
from bot.stats import collect, format_stats

logger = logging.getLogger(__name__)


def is_admin(services: Services, user_id: int | None) -> bool:
    """Owners (BOT_ADMINS) run the consultation."""
    return user_id is not None and user_id in services.settings.admins


def may_see_results(services: Services, update: Update) -> bool:
    """Admins anywhere, and anyone in a team chat, may see results."""
    user = update.effective_user
    chat = update.effective_chat
    in_team_chat = chat is not None and chat.id in jobs.team_chats(services)
    return is_admin(services, user.id if user else None) or in_team_chat


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
    """(chat id, language) for someone who may see results; None after refusing anyone else."""
    chat = update.effective_chat
    if chat is None or not may_see_results(context.services, update):
        await refuse(update, context)
        return None
    return chat.id, await _language(update, context)


async def export_command(update: Update, context: BotContext) -> None:
    """Build the export pack now and send it to the chat that asked."""
    member = await _team_member(update, context)
    if member is None:
        return
    chat_id, language = member
    services = context.services
    _ = translator(language).gettext
    await context.bot.send_message(chat_id, _("Preparing the export pack…"))
    now = services.clock().astimezone(services.settings.zone)
    folder = services.settings.export_dir / now.strftime("%Y-%m-%d-%H%M%S")
    try:
        await jobs.send_pack(context, services, folder, [chat_id], language=language)
    except RuntimeError:
        logger.exception("the export pack could not be built")
        await context.bot.send_message(
            chat_id, _("The export failed; the details are in the bot's log.")
        )


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
    if context.args and context.args[0].lower() == "chart":
        now = services.clock().astimezone(services.settings.zone)
        folder = services.settings.export_dir / f"stats-{now:%Y-%m-%d-%H%M%S}"
        files = await jobs.build_pack(services, folder)
        chart = next((f for f in files if f.name == f"chart-{language}.png"), None)
        if chart:
            await context.bot.send_document(chat_id, chart, filename=chart.name)
