"""The one error handler: log, reassure the user, tell the owners briefly (no user data)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.handlers.context import BotContext
from bot.i18n import translator

logger = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    """Log the error; tell the user their answers are safe and the owners what broke."""
    error = context.error
    logger.error("error while handling an update", exc_info=error)
    if isinstance(update, Update) and update.effective_chat and update.effective_user:
        participant = await context.services.repo.participant(update.effective_user.id)
        language = participant.language if participant and participant.language else "en"
        _ = translator(language).gettext
        try:
            await context.bot.send_message(
                update.effective_chat.id,
                _(
                    "Sorry, something went wrong on our side. Your answers are safe: "
                    "send /start to continue."
                ),
            )
        except TelegramError:
            logger.warning("could not tell the user about the error")
    summary = f"⚠️ {type(error).__name__} while handling an update; details in the bot's log."
    for owner in context.services.settings.admins:
        try:
            await context.bot.send_message(owner, summary)
        except Forbidden:
            logger.warning("an owner has not started the bot or blocked it")
        except TelegramError:
            logger.warning("could not tell an owner about the error")
