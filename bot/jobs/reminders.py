"""Reminders: queued every few minutes from respondents' last activity, never in quiet hours.

A respondent who consented, started and did not submit is reminded after 24 hours without
activity and again after 72, in their language, with a Continue button. The queue is the
outbox (`bot.jobs.pump` sends it); nothing is queued or sent while the consultation is closed.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any

from bot.config import Settings
from bot.i18n import translator
from bot.journey import CONTINUE, Pseudo, callback
from bot.services import BotContext

logger = logging.getLogger(__name__)

REMINDERS = "reminders"
REMIND_EVERY = 600  # seconds between looks for reminders due
FIRST_REMINDER = timedelta(hours=24)
SECOND_REMINDER = timedelta(hours=72)
QUIET_FROM, QUIET_UNTIL = time(21, 0), time(9, 0)


def quiet(settings: Settings, now: datetime) -> bool:
    """Whether `now` falls in the quiet hours, when no reminder is sent."""
    local = now.astimezone(settings.zone).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def reminder(language: str) -> dict[str, Any]:
    """The reminder's text and its Continue button, in the respondent's language."""
    _ = translator(language).gettext
    return {
        "text": _(
            "You started the Creative Spark consultation but have not finished it yet. Your "
            "answers are saved: would you like to continue where you left off? (Send /stop if "
            "you would rather not be reminded.)"
        ),
        "buttons": [[_("▶️ Continue where I left off"), callback(Pseudo.RESUME, CONTINUE)]],
    }


async def remind(context: BotContext) -> None:
    """Queue the reminders that are due, unless it is quiet time."""
    services = context.services
    now = services.clock()
    if quiet(services.settings, now) or not services.open:
        return
    repo = services.repo
    due = await repo.due_reminders(
        first_before=now - FIRST_REMINDER, second_before=now - SECOND_REMINDER
    )
    if not due:
        return
    async with repo.transaction():
        # The language is the one each chose: reminders go only to those who consented, after
        # choosing their language.
        for user_id, chat_id, language in due:
            await repo.enqueue(
                kind="reminder", user_id=user_id, chat_id=chat_id, payload=reminder(language),
                now=now,
            )  # fmt: skip
            await repo.count_reminder(user_id)
    logger.info("queued %d reminder(s)", len(due))
