"""Broadcast progress: the admin's one progress message, edited as the pump goes, then the report.

"1,240 / 3,000 · 3 blocked · 0 failed" every few seconds while a broadcast is being sent; once
nothing of it waits any more, the broadcast is closed and the final report is sent.
"""

from __future__ import annotations

import logging

from telegram.error import TelegramError

from bot.jobs.sending import progress_text
from bot.services import BotContext
from bot.storage.records import Broadcast

logger = logging.getLogger(__name__)

PROGRESS = "broadcast-progress"
PROGRESS_EVERY = 3  # seconds between edits of an admin's progress message


async def broadcast_progress(context: BotContext) -> None:
    """Edit each running broadcast's progress message; report and close the finished ones."""
    services = context.services
    repo = services.repo
    for running in await repo.broadcasts_sending():
        counts = await repo.batch_counts(running.id)
        finished = not counts.get("pending") and not counts.get("sending")
        broadcast: Broadcast | None = running
        if finished:
            async with repo.transaction():
                await repo.finish_broadcast(running.id, now=services.clock())
            broadcast = await repo.broadcast(running.id)
        if broadcast is None:
            continue
        text = await progress_text(
            services, broadcast, await context.language_of(broadcast.admin_id)
        )
        if text == broadcast.progress_text:
            continue
        try:
            if finished or broadcast.progress_message is None:
                sent = await context.bot.send_message(broadcast.admin_chat, text, parse_mode=None)
                message_id: int | None = sent.message_id
            else:
                await context.bot.edit_message_text(
                    text, chat_id=broadcast.admin_chat, message_id=broadcast.progress_message,
                    parse_mode=None,
                )  # fmt: skip
                message_id = None
        except TelegramError as error:
            logger.warning("the broadcast's progress could not be shown: %s", error.message)
            message_id = None
        async with repo.transaction():
            await repo.set_progress(broadcast.id, message_id, text)
