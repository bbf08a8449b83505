"""What jobs and handlers both send: a broadcast message as recipients get it, its progress line.

The /broadcast handler shows the preview and the first progress line, the jobs send the messages
and edit the progress; both write them here, so that the two cannot drift apart. No handler is
imported: jobs never depend on handlers.
"""

from __future__ import annotations

from typing import Any

from telegram import Message

from bot.i18n import format_number, translator
from bot.services import BotContext, Services
from bot.storage.records import Broadcast

# Team chats have no language of their own: what the bot sends them unasked (the weekly pack, its
# failure, the digest of withdrawals) is in English. A person asking in one is answered in theirs.
TEAM_LANGUAGE = "en"


async def send_broadcast_message(
    context: BotContext, chat_id: int, text: str, media: dict[str, str] | None, **options: Any
) -> Message:
    """Send one broadcast message as a recipient gets it: text, or a picture or file with it."""
    if media and media.get("kind") == "photo":
        return await context.bot.send_photo(chat_id, media["file_id"], caption=text, **options)
    if media and media.get("kind") == "document":
        return await context.bot.send_document(chat_id, media["file_id"], caption=text, **options)
    return await context.bot.send_message(chat_id, text, **options)


async def progress_text(services: Services, broadcast: Broadcast, language: str) -> str:
    """ "Broadcast #3: 1,240 / 3,000 · 3 blocked · 0 failed" (or its final report)."""
    _ = translator(language).gettext
    counts = await services.repo.batch_counts(broadcast.id)
    done = sum(counts.get(s, 0) for s in ("sent", "blocked", "failed", "unknown", "cancelled"))
    figures = {
        "number": broadcast.id,
        "done": format_number(done, language),
        "total": format_number(broadcast.total, language),
        "sent": format_number(counts.get("sent", 0), language),
        "blocked": format_number(counts.get("blocked", 0), language),
        "failed": format_number(counts.get("failed", 0), language),
        "unknown": format_number(counts.get("unknown", 0), language),
        "cancelled": format_number(counts.get("cancelled", 0), language),
    }
    if broadcast.status == "done":
        report = _(
            "Broadcast #{number} finished: {sent} delivered · {blocked} blocked · {failed} failed"
            " · {cancelled} not sent"
        ).format(**figures)
        if counts.get("unknown"):
            # Crash runs showed nearly all of these delivered: they are not failures.
            report += " · " + _(
                "{unknown} unknown (the request went out; Telegram did not answer)"
            ).format(**figures)
        return report
    return _("Broadcast #{number}: {done} / {total} · {blocked} blocked · {failed} failed").format(
        **figures
    )
