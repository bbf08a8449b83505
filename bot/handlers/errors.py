"""The one error handler: log, reassure the user, tell the owners briefly (no user data).

The owners hear of each kind of error at most once in ten minutes (bot.alerts): the errors in
between are counted, and the count goes with the next alert of that kind, or with a one-off job
at the end of the window if the kind has stopped meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from gettext import GNUTranslations

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.alerts import AlertThrottle, kind_of
from bot.i18n import translator
from bot.services import BotContext

logger = logging.getLogger(__name__)

ALERTS = "error-alerts"  # bot_data key of the AlertThrottle
FLUSH = "error-alerts-flush"  # the job that tells the counts of kinds that stopped

Render = Callable[[GNUTranslations, str, int], str]


async def on_error(update: object, context: BotContext) -> None:
    """Log the error; tell the user their answers are safe and the owners what broke."""
    error = context.error
    kind = kind_of(error)
    logger.error("%s in %s while handling an update", kind.name, kind.place or "?", exc_info=error)
    throttle = _throttle(context)
    untold = throttle.occurred(kind, context.services.clock())
    if isinstance(update, Update) and update.effective_chat and update.effective_user:
        _ = (await context.catalog(update)).gettext
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
    if untold is None:
        _plan_flush(context, throttle)
    else:
        await _tell_owners(context, _alert, kind.name, untold)


async def flush_alerts(context: BotContext) -> None:
    """Tell the owners of the errors counted in windows that ended without a new alert."""
    throttle = _throttle(context)
    throttle.flush_at = None
    for kind, untold in throttle.due(context.services.clock()):
        await _tell_owners(context, _untold_alert, kind.name, untold)
    _plan_flush(context, throttle)


def _alert(catalog: GNUTranslations, error: str, untold: int) -> str:
    """An error just now, with the errors of its kind since the last alert if any."""
    if not untold:
        return catalog.gettext(
            "⚠️ {error} while handling an update; details in the bot's log."
        ).format(error=error)
    return catalog.ngettext(
        "⚠️ {error} while handling an update (and {count} more time since the last alert); "
        "details in the bot's log.",
        "⚠️ {error} while handling an update (and {count} more times since the last alert); "
        "details in the bot's log.",
        untold,
    ).format(error=error, count=untold)


def _untold_alert(catalog: GNUTranslations, error: str, untold: int) -> str:
    """The errors of a kind since its last alert, once the kind has stopped."""
    return catalog.ngettext(
        "⚠️ {error} occurred {count} more time since the last alert; details in the bot's log.",
        "⚠️ {error} occurred {count} more times since the last alert; details in the bot's log.",
        untold,
    ).format(error=error, count=untold)


async def _tell_owners(context: BotContext, render: Render, error: str, untold: int) -> None:
    """Send every owner the alert in their language; an owner who cannot be reached is logged."""
    for owner in context.services.settings.admins:
        text = render(translator(await context.language_of(owner)), error, untold)
        try:
            await context.bot.send_message(owner, text)
        except Forbidden:
            logger.warning("an owner has not started the bot or blocked it")
        except TelegramError:
            logger.warning("could not tell an owner about the error")


def _throttle(context: BotContext) -> AlertThrottle:
    """The application's throttle, made at the first error."""
    throttle = context.bot_data.get(ALERTS)
    if not isinstance(throttle, AlertThrottle):
        throttle = context.bot_data[ALERTS] = AlertThrottle()
    return throttle


def _plan_flush(context: BotContext, throttle: AlertThrottle) -> None:
    """Plan the one flush job for the end of the earliest window with errors untold."""
    due = throttle.next_due()
    queue = context.job_queue
    if (
        due is None
        or queue is None
        or (throttle.flush_at is not None and throttle.flush_at <= due)
    ):
        return
    for job in queue.get_jobs_by_name(FLUSH):
        job.schedule_removal()
    delay = max(due - context.services.clock(), timedelta(0))
    queue.run_once(flush_alerts, when=delay, name=FLUSH)  # type: ignore[arg-type]
    throttle.flush_at = due
