"""Scheduled work, one module per family; registered here, in post_init, under fixed names.

- `reminders`: queued every few minutes from respondents' last activity, outside quiet hours;
- `pump`: the outbox (broadcasts and reminders) sent at BOT_BROADCAST_RATE;
- `progress`: each running broadcast's progress message, then its report;
- `packs`: the export pack, weekly to the team chats and on demand;
- `backups`: the daily copy of the database;
- `withdrawals`: the server's copies cleaned of those who withdrew, the team's digest;
- `sending`: what jobs and the /broadcast handler both send; `child`: the child process.

Every schedule is derived from the database, so a restart loses and repeats nothing: reminders
come from users' last activity and the count already sent, the outbox is a table, and a weekly
export missed while the bot was down runs once when it comes back. Nothing here imports a
handler: handlers use jobs, never the other way round.
"""

from __future__ import annotations

import logging
from datetime import datetime, time

from apscheduler.triggers.cron import CronTrigger

from bot.jobs.backups import BACKUP, backup_database
from bot.jobs.packs import CATCH_UP, WEEKLY_EXPORT, last_occurrence, weekly_export
from bot.jobs.progress import PROGRESS, PROGRESS_EVERY, broadcast_progress
from bot.jobs.pump import PUMP, PUMP_EVERY, PumpState, pump
from bot.jobs.reminders import REMIND_EVERY, REMINDERS, remind
from bot.jobs.withdrawals import (
    LOCK_DOWN,
    WITHDRAWALS,
    WITHDRAWALS_EVERY,
    lock_down_copies,
    withdrawals,
)
from bot.services import App, Services

# The job names (findable: tests and logs use them), and what the composition root calls.
__all__ = [
    "BACKUP",
    "CATCH_UP",
    "LOCK_DOWN",
    "PROGRESS",
    "PUMP",
    "REMINDERS",
    "WEEKLY_EXPORT",
    "WITHDRAWALS",
    "drain",
    "register",
]

logger = logging.getLogger(__name__)


async def register(application: App) -> None:
    """Register every job (post_init), and catch up on a weekly export missed while down."""
    services: Services = application.bot_data["services"]
    queue = application.job_queue
    assert queue is not None, "python-telegram-bot[job-queue] is a dependency"
    recovered = 0
    async with services.repo.transaction():
        recovered = await services.repo.recover_outbox()
    if recovered:
        logger.warning(
            "%d queued message(s) were in flight at the last stop: not resent", recovered
        )
    # Packs and backups written by an older version may be readable by others: soon after
    # start, off the start-up path (a folder of many packs takes a while to walk).
    queue.run_once(lock_down_copies, when=1, name=LOCK_DOWN)
    queue.run_repeating(remind, interval=REMIND_EVERY, first=20, name=REMINDERS)
    application.bot_data[PUMP] = state = PumpState()
    queue.run_repeating(
        pump, interval=PUMP_EVERY, first=PUMP_EVERY, name=PUMP, data=state,
        job_kwargs={"max_instances": 1, "coalesce": True},
    )  # fmt: skip
    queue.run_repeating(broadcast_progress, interval=PROGRESS_EVERY, first=2, name=PROGRESS)
    settings = services.settings
    hour, minute = settings.export_time.hour, settings.export_time.minute
    trigger = CronTrigger(
        day_of_week=settings.export_weekday, hour=hour, minute=minute, timezone=settings.zone
    )
    queue.run_custom(
        weekly_export, job_kwargs={"trigger": trigger, "misfire_grace_time": 3600,
                                   "coalesce": True}, name=WEEKLY_EXPORT,
    )  # fmt: skip
    queue.run_daily(backup_database, time=time(3, 30, tzinfo=settings.zone), name=BACKUP)
    queue.run_repeating(
        withdrawals, interval=WITHDRAWALS_EVERY, first=5, name=WITHDRAWALS,
        job_kwargs={"max_instances": 1, "coalesce": True},
    )  # fmt: skip
    occurrence = last_occurrence(settings, services.clock())
    last = await services.repo.last_run(WEEKLY_EXPORT)
    if last is None:
        # The first start: nothing was missed. Remember it, so downtime is measured from here.
        async with services.repo.transaction():
            await services.repo.claim_run(WEEKLY_EXPORT, occurrence)
    elif datetime.fromisoformat(last) < occurrence:
        logger.info("the weekly export of %s was missed: running it now", occurrence)
        queue.run_once(weekly_export, when=15, name=CATCH_UP, data=occurrence)


async def drain(application: App) -> None:
    """At shutdown: wait for the messages already handed to Telegram (a second's worth at most)."""
    state = application.bot_data.get(PUMP)
    if isinstance(state, PumpState):
        await state.drain()
