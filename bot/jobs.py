"""Scheduled work: reminders, the outbox pump, the weekly export pack. Registered in post_init.

Every schedule is derived from the database, so a restart loses and repeats nothing:
- reminders are queued by a job every few minutes from users' last activity and the count
  already sent, outside quiet hours (21:00-09:00 in BOT_TIMEZONE);
- the pump sends queued messages at BOT_BROADCAST_RATE, honours Telegram's retry_after,
  marks people who blocked the bot and never writes to them again;
- the weekly export runs at BOT_EXPORT_SCHEDULE; an occurrence missed while the bot was down
  runs once when it comes back, and an occurrence is claimed in the database before anything
  is sent, so a restart never sends it twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.config import Settings
from bot.content import LANGUAGES
from bot.handlers.context import BotContext, Services
from bot.i18n import translator
from bot.journey import callback
from bot.storage.backup import backup
from bot.storage.repository import OutboxMessage, voice_file_name

logger = logging.getLogger(__name__)

REMINDERS = "reminders"
PUMP = "outbox-pump"
WEEKLY_EXPORT = "weekly-export"
CATCH_UP = "weekly-export-catch-up"
BACKUP = "daily-backup"
BACKUPS_KEPT = 7
FIRST_REMINDER = timedelta(hours=24)
SECOND_REMINDER = timedelta(hours=72)
QUIET_FROM, QUIET_UNTIL = time(21, 0), time(9, 0)
MAX_ATTEMPTS = 5
TELEGRAM_FILE_LIMIT = 49 * 2**20  # sendDocument takes 50 MB from the public Bot API
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class PumpState:
    """The pump's memory between ticks: a pause asked for by Telegram's retry_after."""

    paused_until: float = 0.0
    sent: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


async def register(application: Application) -> None:  # type: ignore[type-arg]
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
    queue.run_repeating(remind, interval=600, first=20, name=REMINDERS)
    queue.run_repeating(
        pump, interval=1, first=1, name=PUMP, data=PumpState(),
        job_kwargs={"max_instances": 1, "coalesce": True},
    )  # fmt: skip
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
    occurrence = last_occurrence(settings, services.clock())
    last = await services.repo.last_run(WEEKLY_EXPORT)
    if last is None:
        # The first start: nothing was missed. Remember it, so downtime is measured from here.
        async with services.repo.transaction():
            await services.repo.claim_run(WEEKLY_EXPORT, occurrence)
    elif datetime.fromisoformat(last) < occurrence:
        logger.info("the weekly export of %s was missed: running it now", occurrence)
        queue.run_once(weekly_export, when=15, name=CATCH_UP, data=occurrence)


def last_occurrence(settings: Settings, now: datetime) -> datetime:
    """The latest scheduled weekly export time at or before `now`, in the settings' zone."""
    local = now.astimezone(settings.zone)
    weekday = WEEKDAYS.index(settings.export_weekday)
    at = settings.export_time
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    candidate = datetime.combine(day, time(at.hour, at.minute), tzinfo=settings.zone)
    if candidate > local:
        candidate -= timedelta(days=7)
    return candidate


def quiet(settings: Settings, now: datetime) -> bool:
    """Whether `now` falls in the quiet hours, when no reminder is sent."""
    local = now.astimezone(settings.zone).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def _services(context: BotContext) -> Services:
    services: Services = context.application.bot_data["services"]
    return services


# Reminders ---------------------------------------------------------------------------------


def reminder(language: str) -> dict[str, Any]:
    """The reminder's text and its Continue button, in the respondent's language."""
    _ = translator(language).gettext
    return {
        "text": _(
            "You started the Creative Spark consultation but have not finished it yet. Your "
            "answers are saved: would you like to continue where you left off? (Send /stop if "
            "you would rather not be reminded.)"
        ),
        "buttons": [[_("▶️ Continue where I left off"), callback("resume", "cont")]],
    }


async def remind(context: BotContext) -> None:
    """Queue the reminders that are due, unless it is quiet time."""
    services = _services(context)
    now = services.clock()
    if quiet(services.settings, now):
        return
    repo = services.repo
    due = await repo.due_reminders(
        first_before=now - FIRST_REMINDER, second_before=now - SECOND_REMINDER
    )
    if not due:
        return
    async with repo.transaction():
        for user_id, chat_id in due:
            participant = await repo.participant(user_id)
            language = participant.language if participant and participant.language else "en"
            await repo.enqueue(
                kind="reminder", user_id=user_id, chat_id=chat_id, payload=reminder(language),
                now=now,
            )  # fmt: skip
            await repo.count_reminder(user_id)
    logger.info("queued %d reminder(s)", len(due))


# The outbox pump -------------------------------------------------------------------------


async def pump(context: BotContext) -> None:
    """Send the messages that are due, at most BOT_BROADCAST_RATE a second."""
    services = _services(context)
    job = context.job
    assert job is not None
    state: PumpState = job.data  # type: ignore[assignment]
    loop = asyncio.get_running_loop()
    if state.paused_until > loop.time():
        return
    rate = services.settings.broadcast_rate
    now = services.clock()
    async with services.repo.transaction():
        messages = await services.repo.claim_outbox(now=now, limit=max(1, int(rate)))
    if not messages:
        return
    start = loop.time()
    spacing = 0.95 / rate  # the whole batch within the second: never more than `rate` a second
    tasks = [
        asyncio.create_task(_deliver(context, services, state, message, start + i * spacing))
        for i, message in enumerate(messages)
    ]
    await asyncio.gather(*tasks)


async def _deliver(
    context: BotContext, services: Services, state: PumpState, message: OutboxMessage, at: float
) -> None:
    """Send one queued message at loop time `at`, and record what Telegram said."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, at - loop.time()))
    repo, now = services.repo, services.clock()
    if state.paused_until > loop.time():  # a 429 came back while this one waited its turn
        async with repo.transaction():
            await repo.outbox_retry(
                message.id, at=now + timedelta(seconds=state.paused_until - loop.time()),
                error="paused by retry_after", counted=False,
            )  # fmt: skip
        return
    outcome = "sent"
    try:
        sent = await context.bot.send_message(
            message.chat_id, message.payload["text"], reply_markup=_keyboard(message.payload)
        )
    except Forbidden:
        outcome = "blocked"
        async with repo.transaction():
            await repo.outbox_blocked(message.id, message.user_id)
    except RetryAfter as error:
        outcome = "retry_after"
        wait = _seconds(error.retry_after)
        state.paused_until = max(state.paused_until, loop.time() + wait)
        logger.warning("Telegram asked to wait %.0f s: the pump pauses", wait)
        async with repo.transaction():
            await repo.outbox_retry(
                message.id, at=now + timedelta(seconds=wait), error="retry_after", counted=False
            )
    except BadRequest as error:  # before NetworkError: BadRequest is one
        outcome = "failed"
        async with repo.transaction():
            await repo.outbox_failed(message.id, error.message)
    except NetworkError as error:  # 5xx, timeouts: try again later, a bounded number of times
        outcome = "retry"
        async with repo.transaction():
            if message.attempts >= MAX_ATTEMPTS:
                outcome = "failed"
                await repo.outbox_failed(message.id, f"gave up: {error.message}")
            else:
                backoff = timedelta(seconds=2**message.attempts)
                await repo.outbox_retry(message.id, at=now + backoff, error=error.message)
    else:
        async with repo.transaction():
            await repo.outbox_sent(message.id, telegram_id=sent.message_id, now=now)
    state.outcomes[outcome] = state.outcomes.get(outcome, 0) + 1


def _keyboard(payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
    rows = payload.get("buttons") or []
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data)] for label, data in rows]
    )


def _seconds(value: object) -> float:
    """retry_after is an int or a timedelta, depending on PTB_TIMEDELTA."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)  # type: ignore[arg-type]


# Backups -----------------------------------------------------------------------------------


async def backup_database(context: BotContext) -> Path:
    """A consistent online copy into data/backups/, the last seven kept."""
    services = _services(context)
    folder = services.settings.db.parent / "backups"
    stamp = services.clock().astimezone(services.settings.zone).strftime("%Y-%m-%d")
    target = folder / f"{services.settings.db.stem}-{stamp}.sqlite3"
    await asyncio.to_thread(backup, services.settings.db, target)
    copies = sorted(folder.glob(f"{services.settings.db.stem}-*.sqlite3"))
    for old in copies[:-BACKUPS_KEPT]:
        old.unlink()
    logger.info("database backed up to %s", target)
    return target


# The export pack ---------------------------------------------------------------------------


async def weekly_export(context: BotContext) -> None:
    """Build the pack once per scheduled occurrence and send it to every team chat."""
    services = _services(context)
    job = context.job
    occurrence = job.data if job and isinstance(job.data, datetime) else None
    occurrence = occurrence or last_occurrence(services.settings, services.clock())
    async with services.repo.transaction():
        claimed = await services.repo.claim_run(WEEKLY_EXPORT, occurrence)
    if not claimed:
        logger.info("the weekly export of %s already ran", occurrence)
        return
    chats = team_chats(services)
    if not chats:
        logger.warning("the weekly export ran, but no team chat is configured")
    folder = services.settings.export_dir / occurrence.astimezone(services.settings.zone).strftime(
        "%Y-%m-%d"
    )
    await send_pack(context, services, folder, chats, language="en")


def team_chats(services: Services) -> list[int]:
    """The chats that receive export packs."""
    return list(dict.fromkeys(services.settings.team_chats))


async def build_pack(services: Services, folder: Path) -> list[Path]:
    """Write the pack into `folder` in a child process: the bot stays responsive and small."""
    settings = services.settings
    environment = {
        **os.environ,
        "BOT_DB": str(settings.db),
        "BOT_TIMEZONE": settings.timezone,
        "BOT_CONTENT": str(settings.content or ""),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "export", "--out", str(folder),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=environment,
    )  # fmt: skip
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the export failed: {err.decode(errors='replace')[-500:]}")
    return [Path(line) for line in out.decode().splitlines() if line.strip()]


async def download_voices(context: BotContext, services: Services, folder: Path) -> int:
    """Fetch the voice comments from Telegram into the pack's voice/ folder."""
    import sqlite3  # noqa: PLC0415 - a read-only look-up, off the bot's connection

    from bot.storage.repository import voice_comments  # noqa: PLC0415

    connection = sqlite3.connect(f"file:{services.settings.db}?mode=ro", uri=True)
    try:
        voices = voice_comments(connection)
    finally:
        connection.close()
    fetched = 0
    for respondent, item, file_id in voices:
        target = folder / voice_file_name(respondent, item)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            telegram_file = await context.bot.get_file(file_id)
            await telegram_file.download_to_drive(target)
            fetched += 1
        except TelegramError as error:
            logger.warning("a voice comment could not be fetched: %s", error.message)
    return fetched


def _zip(folder: Path, files: list[Path]) -> Path:
    archive = folder / f"creative-spark-{folder.name}.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as pack:
        for path in files:
            pack.write(path, path.name)
        for voice in sorted((folder / "voice").glob("*.ogg")):
            pack.write(voice, f"voice/{voice.name}")
    return archive


async def send_pack(
    context: BotContext, services: Services, folder: Path, chats: list[int], *, language: str
) -> None:
    """Build the pack, fetch the voice comments, and send it to `chats`."""
    files = await build_pack(services, folder)
    await download_voices(context, services, folder)
    archive = await asyncio.to_thread(_zip, folder, files)
    _ = translator(language if language in LANGUAGES else "en").gettext
    summary = (folder / f"summary-{language}.txt").read_text(encoding="utf-8")
    chart = folder / f"chart-{language}.png"
    workbook = folder / "consultation.xlsx"
    for chat_id in chats:
        try:
            await context.bot.send_message(chat_id, summary, parse_mode=None)
            if chart.exists():
                await context.bot.send_document(chat_id, chart, filename=chart.name)
            for document in (workbook, archive):
                if document.stat().st_size > TELEGRAM_FILE_LIMIT:
                    await context.bot.send_message(
                        chat_id,
                        _("{name} is too large for Telegram; it is on the server: {path}").format(
                            name=document.name, path=document
                        ),
                    )
                    continue
                await context.bot.send_document(chat_id, document, filename=document.name)
        except Forbidden:
            logger.warning("a team chat removed the bot: the pack was not delivered there")
        except TelegramError as error:
            logger.warning("the pack could not be sent to a team chat: %s", error.message)
    logger.info("export pack %s sent to %d chat(s)", folder, len(chats))
