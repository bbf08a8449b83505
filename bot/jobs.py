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
import math
import os
import shutil
import sys
import zipfile
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
from apscheduler.triggers.cron import CronTrigger
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application

from bot.config import Settings
from bot.content import LANGUAGES
from bot.handlers.broadcast import progress_text, send_broadcast_message
from bot.handlers.context import BotContext, Services
from bot.i18n import translator
from bot.journey import callback
from bot.purge import lock_down, private_folder
from bot.ratelimit import NO_RETRY
from bot.storage.backup import backup
from bot.storage.repository import VOICE_LIST, Broadcast, OutboxMessage

logger = logging.getLogger(__name__)

REMINDERS = "reminders"
PUMP = "outbox-pump"
WEEKLY_EXPORT = "weekly-export"
CATCH_UP = "weekly-export-catch-up"
BACKUP = "daily-backup"
LOCK_DOWN = "lock-down-copies"
WITHDRAWALS = "withdrawals"  # cleans the server's copies, then tells the team, once an hour
WITHDRAWALS_EVERY = 60  # seconds between looks at the withdrawals
DIGEST_EVERY = timedelta(hours=1)
DIGEST_LISTED = 3000  # characters of numbers in the digest's text; a longer list is attached
PROGRESS = "broadcast-progress"
PROGRESS_EVERY = 3  # seconds between edits of an admin's progress message
BACKUPS_KEPT = 7
ADHOC = "on-demand"  # BOT_EXPORT_DIR/on-demand/<time>/: packs made by /export and /stats chart
ADHOC_KEPT = 5
RETRY_EXPORT = 3600  # seconds before a weekly export that failed is tried again
FIRST_REMINDER = timedelta(hours=24)
SECOND_REMINDER = timedelta(hours=72)
QUIET_FROM, QUIET_UNTIL = time(21, 0), time(9, 0)
MAX_ATTEMPTS = 5
TELEGRAM_FILE_LIMIT = 49 * 2**20  # sendDocument takes 50 MB from the public Bot API
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class PumpState:
    """The pump's memory between ticks.

    `next_slot` is the loop time of the next free sending slot, 1/rate apart: the rate holds
    across ticks, not only within one. `chat_free` is when (the bot's clock) each chat may get
    its next message, one a second at most; `paused_until` is a pause Telegram asked for with
    retry_after. `sending` holds the sends under way: shutdown waits for them.
    """

    paused_until: float = 0.0
    next_slot: float = 0.0
    chat_free: dict[int, datetime] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    sending: set[asyncio.Task[None]] = field(default_factory=set)
    recent: deque[float] = field(default_factory=deque)
    broadcasts: dict[int, tuple[float, Broadcast | None]] = field(default_factory=dict)

    async def turn(self, rate: float) -> None:
        """Wait until one more send keeps every one-second window within `rate`.

        The slots already space the sends; this holds the bound even when a slot was taken
        late (a busy loop) and the next ones on time. A margin covers the moments between
        this clock and Telegram's.
        """
        loop = asyncio.get_running_loop()
        capacity = max(1, math.floor(rate))  # 2.5/s: two in any second, never three
        window = max(1.0, 1.0 / rate) + WINDOW_MARGIN
        while len(self.recent) >= capacity and loop.time() < self.recent[-capacity] + window:  # noqa: ASYNC110 - a sliding window, no event to wait for
            await asyncio.sleep(self.recent[-capacity] + window - loop.time())
        self.recent.append(loop.time())
        while len(self.recent) > capacity:
            self.recent.popleft()

    async def drain(self) -> None:
        """Wait until every message handed to Telegram has its answer recorded."""
        while self.sending:
            await asyncio.gather(*list(self.sending), return_exceptions=True)

    def count(self, outcome: str) -> None:
        """Tally what happened to one message (the tests and the benchmark read it)."""
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


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
    # Packs and backups written by an older version may be readable by others: soon after
    # start, off the start-up path (a folder of many packs takes a while to walk).
    queue.run_once(lock_down_copies, when=1, name=LOCK_DOWN)
    queue.run_repeating(remind, interval=600, first=20, name=REMINDERS)
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


async def drain(application: Application) -> None:  # type: ignore[type-arg]
    """At shutdown: wait for the messages already handed to Telegram (a second's worth at most)."""
    state = application.bot_data.get(PUMP)
    if isinstance(state, PumpState):
        await state.drain()


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
    if quiet(services.settings, now) or not services.open:
        return
    repo = services.repo
    due = await repo.due_reminders(
        first_before=now - FIRST_REMINDER, second_before=now - SECOND_REMINDER
    )
    if not due:
        return
    async with repo.transaction():
        for user_id, chat_id, language in due:
            await repo.enqueue(
                kind="reminder", user_id=user_id, chat_id=chat_id, payload=reminder(language),
                now=now,
            )  # fmt: skip
            await repo.count_reminder(user_id)
    logger.info("queued %d reminder(s)", len(due))


# The outbox pump -------------------------------------------------------------------------

HORIZON = 1.0  # each tick claims the free slots of the coming second
PUMP_EVERY = 0.25  # seconds between ticks: a pause ends, a queue fills, the pump is on it
WINDOW_MARGIN = 0.005  # seconds


async def pump(context: BotContext) -> None:
    """Claim the messages whose sending slots fall in the coming second and send each at its slot.

    Never more than BOT_BROADCAST_RATE a second in any one-second window, never more than one a
    second to one chat. The sends run as tasks of their own, so a slow Telegram does not make
    the next tick late; stopping the bot waits for them (post_stop). Claimed messages are only
    leased: each is marked as being sent just before its own request.
    """
    services = _services(context)
    job = context.job
    assert job is not None
    state: PumpState = job.data  # type: ignore[assignment]
    loop_now = asyncio.get_running_loop().time()
    if state.paused_until > loop_now:
        return
    interval = 1.0 / services.settings.broadcast_rate
    state.next_slot = max(state.next_slot, loop_now)
    free = math.ceil((loop_now + HORIZON - state.next_slot) / interval - 1e-9)
    if free < 1:
        return
    now = services.clock()
    state.chat_free = {chat: t for chat, t in state.chat_free.items() if t > now}
    slot, plan = state.next_slot, []
    async with services.repo.transaction():
        messages = await services.repo.claim_outbox(
            now=now, limit=free, reminders=services.open and not quiet(services.settings, now)
        )
        for message in messages:
            planned = now + timedelta(seconds=slot - loop_now)
            free_at = state.chat_free.get(message.chat_id, planned)
            if free_at > planned:  # this chat had one less than a second ago: it waits its turn
                await services.repo.outbox_defer(message.id, at=free_at)
                continue
            plan.append((message, slot))
            state.chat_free[message.chat_id] = planned + timedelta(seconds=1)
            slot += interval
    state.next_slot = slot
    for message, at in plan:
        task = asyncio.create_task(
            _deliver(context, services, state, message, at), name=f"outbox-{message.id}"
        )
        state.sending.add(task)
        task.add_done_callback(state.sending.discard)


async def _deliver(
    context: BotContext, services: Services, state: PumpState, message: OutboxMessage, at: float
) -> None:
    """Send one queued message at loop time `at`, and record what Telegram said."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, at - loop.time()))
    repo = services.repo
    if state.paused_until <= loop.time():
        async with repo.transaction():
            taken = await repo.outbox_take(message.id)
        if not taken:  # cancelled (or its person stopped) while it waited for its slot
            state.count("withdrawn")
            return
        # The window is checked right before the request, after the database's trip, so
        # that a slow trip cannot bunch requests up.
        await state.turn(services.settings.broadcast_rate)
    if state.paused_until > loop.time():  # a 429 came back while this one waited its turn
        wait_until = services.clock() + timedelta(seconds=state.paused_until - loop.time())
        async with repo.transaction():
            await repo.outbox_defer(message.id, at=wait_until)  # not taken yet
            await repo.outbox_retry(  # taken: back to pending, the attempt not counted
                message.id, at=wait_until, error="paused by retry_after", counted=False
            )
        state.count("paused")
        return
    outcome = "sent"
    # A 429 must reach the pump, which pauses every send (tests may run unlimited).
    options: dict[str, Any] = {"rate_limit_args": NO_RETRY} if context.bot.rate_limiter else {}
    try:
        if message.batch is not None:
            broadcast = await _broadcast(services, state, message.batch)
            texts = broadcast.draft.get("texts", {}) if broadcast else {}
            text = texts.get(message.payload.get("language")) or texts.get("all")
            if broadcast is None or broadcast.status != "sending" or not text:
                async with repo.transaction():
                    await repo.outbox_failed(message.id, "broadcast withdrawn")
                state.count("withdrawn")
                return
            sent = await send_broadcast_message(
                context, message.chat_id, text, broadcast.draft.get("media"), **options
            )
        else:
            sent = await context.bot.send_message(
                message.chat_id, message.payload["text"],
                reply_markup=_keyboard(message.payload), **options,
            )  # fmt: skip
    except TelegramError as error:
        outcome = await _record_failure(services, state, message, error)
    else:
        async with repo.transaction():
            await repo.outbox_sent(message.id, telegram_id=sent.message_id, now=services.clock())
    state.count(outcome)


async def _record_failure(
    services: Services, state: PumpState, message: OutboxMessage, error: TelegramError
) -> str:
    """Store what a failed send means for the message and its person; return the outcome."""
    repo, now = services.repo, services.clock()
    async with repo.transaction():
        if isinstance(error, Forbidden):
            await repo.outbox_blocked(message.id, message.user_id)
            return "blocked"
        if isinstance(error, RetryAfter):
            wait = _seconds(error.retry_after)
            loop_now = asyncio.get_running_loop().time()
            state.paused_until = max(state.paused_until, loop_now + wait)
            state.next_slot = max(state.next_slot, state.paused_until)
            logger.warning("Telegram asked to wait %.0f s: the pump pauses", wait)
            await repo.outbox_retry(
                message.id, at=now + timedelta(seconds=wait), error="retry_after", counted=False
            )
            return "retry_after"
        if isinstance(error, NetworkError) and not _never_sent(error):
            # The request left: Telegram may have delivered it, and again could say it twice.
            await repo.outbox_unknown(message.id, f"no answer from Telegram: {error.message}")
            return "unknown"
        if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
            if message.attempts >= MAX_ATTEMPTS:  # 5xx, lost connections: a bounded number
                await repo.outbox_failed(message.id, f"gave up: {error.message}")
                return "failed"
            backoff = timedelta(seconds=2**message.attempts)
            await repo.outbox_retry(message.id, at=now + backoff, error=error.message)
            return "retry"
        await repo.outbox_failed(message.id, error.message)  # 400 chat not found, and the rest
        return "failed"


def _never_sent(error: NetworkError) -> bool:
    """Whether the message surely did not go out: a connection never made, or Telegram's own
    5xx answer (PTB raises it with no transport error behind it). A read timeout or a
    connection lost after the request was written may mean it was delivered."""
    if isinstance(error, BadRequest):
        return True
    cause = error.__cause__
    if cause is None:
        return not isinstance(error, TimedOut)
    return isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout) or (
        "not* sent" in error.message
    )


async def _broadcast(services: Services, state: PumpState, number: int) -> Broadcast | None:
    """A broadcast's texts, read once per second at most rather than once per recipient."""
    now = asyncio.get_running_loop().time()
    cached = state.broadcasts.get(number)
    if cached is None or cached[0] < now - 1.0:
        cached = state.broadcasts[number] = (now, await services.repo.broadcast(number))
    return cached[1]


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


# Broadcast progress ------------------------------------------------------------------------


async def broadcast_progress(context: BotContext) -> None:
    """Edit each running broadcast's progress message; report and close the finished ones."""
    services = _services(context)
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
        participant = await repo.participant(broadcast.admin_id)
        language = participant.language if participant and participant.language else "en"
        text = await progress_text(services, broadcast, language)
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


# Backups -----------------------------------------------------------------------------------


async def backup_database(context: BotContext) -> Path:
    """A consistent online copy into data/backups/, the last seven kept."""
    services = _services(context)
    folder = private_folder(services.settings.db.parent / "backups")
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
    """Build the pack once per scheduled occurrence and send it to every team chat.

    The occurrence is claimed in the database first, so a restart never sends it twice; if the
    pack cannot be built, the claim is given back, the team is told, and it is tried again in
    an hour.
    """
    services = _services(context)
    job = context.job
    occurrence = job.data if job and isinstance(job.data, datetime) else None
    occurrence = occurrence or last_occurrence(services.settings, services.clock())
    previous = await services.repo.last_run(WEEKLY_EXPORT)
    async with services.repo.transaction():
        claimed = await services.repo.claim_run(WEEKLY_EXPORT, occurrence)
    if not claimed:
        logger.info("the weekly export of %s already ran", occurrence)
        return
    chats = list(services.team_chats)
    if not chats:
        logger.warning("the weekly export ran, but no team chat is configured")
    folder = services.settings.export_dir / occurrence.astimezone(services.settings.zone).strftime(
        "%Y-%m-%d"
    )
    try:
        await send_pack(context, services, folder, chats, language="en")
    except Exception:
        logger.exception("the weekly export pack could not be built: trying again in an hour")
        async with services.repo.transaction():
            await services.repo.release_run(WEEKLY_EXPORT, occurrence, previous)
        context.job_queue.run_once(  # type: ignore[union-attr]
            weekly_export,  # type: ignore[arg-type]
            when=RETRY_EXPORT, name=CATCH_UP, data=occurrence,
        )  # fmt: skip
        _ = translator("en").gettext
        for chat_id in chats:
            await _tell(
                context, chat_id,
                _("The weekly export failed; the bot tries again in an hour. The details are in "
                  "its log."),
            )  # fmt: skip


async def _tell(context: BotContext, chat_id: int, text: str) -> None:
    """A short message to a team chat; a chat that removed the bot is only logged."""
    try:
        await context.bot.send_message(chat_id, text)
    except TelegramError as error:
        logger.warning("a team chat could not be told: %s", error.message)


async def build_pack(services: Services, folder: Path, *options: str) -> list[Path]:
    """Write the pack into `folder` in a child process: the bot stays responsive and small.

    The folder and everything in it are the bot's user's only, like the database. While a
    pack is written, withdrawals wait to be purged: one made meanwhile is cleaned from it too.
    """
    settings = services.settings
    environment = {
        **os.environ,
        "BOT_DB": str(settings.db),
        "BOT_TIMEZONE": settings.timezone,
        "BOT_CONTENT": str(settings.content or ""),
    }
    private_folder(folder)
    services.packs_building += 1
    try:
        out = await _child(
            ("-m", "bot", "export", "--out", str(folder), *options), environment, "the export"
        )
    finally:
        services.packs_building -= 1
    return [Path(line) for line in out.splitlines() if line.strip()]


async def _child(arguments: tuple[str, ...], environment: dict[str, str], what: str) -> str:
    """Run this Python with `arguments` in a child process (files it writes: owner-only);
    return what it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, *arguments, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=environment, umask=0o077,
    )  # fmt: skip
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{what} failed: {err.decode(errors='replace')[-500:]}")
    return out.decode()


async def lock_down_copies(context: BotContext) -> None:
    """Make the export and backup folders the bot's user's only, older files in them too."""
    settings = _services(context).settings
    await asyncio.to_thread(lock_down, settings.export_dir, settings.db.parent / "backups")


# Withdrawals -------------------------------------------------------------------------------


async def withdrawals(context: BotContext) -> None:
    """Clean the server's packs and backups of those who used /delete, then tell the team.

    The purge waits while a pack is being made (it cleans that one too, once written). The
    team chats get one digest an hour at most of the numbers purged, however many withdraw (a
    person cycling /start and /delete cannot flood them); a number is forgotten once it was
    both purged and told. A purge that fails reaches the error handler (the owners hear of it,
    once in ten minutes) and is tried again a minute later.
    """
    services = _services(context)
    repo = services.repo
    pending = await repo.withdrawals(awaiting="purge")
    if pending and not services.packs_building:
        await _purge(services, pending)
        async with repo.transaction():
            await repo.withdrawals_done(pending, told=False, now=services.clock())
    untold = await repo.withdrawals(awaiting="digest")
    now = services.clock()
    last = await repo.last_run(WITHDRAWALS)
    if not untold or not services.team_chats:  # no chat to tell yet: the numbers wait for one
        return
    if last is not None and now - datetime.fromisoformat(last) < DIGEST_EVERY:
        return
    if await _digest(context, services, untold):
        async with repo.transaction():
            await repo.claim_run(WITHDRAWALS, now)
            await repo.withdrawals_done(untold, told=True, now=now)


async def _purge(services: Services, numbers: list[int], folder: Path | None = None) -> None:
    """Clean the packs under BOT_EXPORT_DIR and the backups (or only the pack in `folder`) of
    `numbers`, in a child process."""
    settings = services.settings
    where = ("--export-dir", str(folder)) if folder else (
        "--export-dir", str(settings.export_dir), "--backups", str(settings.db.parent / "backups")
    )  # fmt: skip
    changed = await _child(
        ("-m", "bot.purge", *where, *map(str, numbers)),
        dict(os.environ), "the purge of withdrawn respondents",
    )  # fmt: skip
    logger.info(
        "%d withdrawn respondent(s) purged from %d copies on the server",
        len(numbers), len(changed.splitlines()),
    )  # fmt: skip


async def _digest(context: BotContext, services: Services, numbers: list[int]) -> bool:
    """One message to each team chat naming the numbers withdrawn since the last one; False
    when a chat could not be reached for now (the digest goes again later)."""
    english = translator("en")  # team chats have no language of their own
    listing = ", ".join(map(str, numbers))
    attached = len(listing) > DIGEST_LISTED
    text = english.ngettext(
        "Withdrawn since the last notice ({count} respondent): {numbers}. Their data is erased "
        "from the bot, and from its packs and backups on the server. Please remove them from "
        "the export packs you received earlier.",
        "Withdrawn since the last notice ({count} respondents): {numbers}. Their data is erased "
        "from the bot, and from its packs and backups on the server. Please remove them from "
        "the export packs you received earlier.",
        len(numbers),
    ).format(
        count=len(numbers), numbers=english.gettext("listed in the file") if attached else listing
    )
    delivered = True
    for chat_id in services.team_chats:
        try:
            await context.bot.send_message(chat_id, text, parse_mode=None)
            if attached:
                await context.bot.send_document(
                    chat_id, listing.replace(", ", "\n").encode(), filename="withdrawn.txt"
                )
        except (Forbidden, BadRequest) as error:  # the chat removed the bot: nobody to tell
            logger.warning("a team chat cannot be told of withdrawals: %s", error.message)
        except TelegramError as error:
            logger.warning("a team chat could not be told of withdrawals: %s", error.message)
            delivered = False
    return delivered


async def download_voices(context: BotContext, folder: Path) -> int:
    """Fetch the voice comments the export listed from Telegram into the pack's voice/ folder."""
    listing = folder / VOICE_LIST
    if not listing.exists():
        return 0
    voices = [line.split("\t") for line in listing.read_text(encoding="utf-8").splitlines()]
    listing.unlink()
    fetched = 0
    for name, file_id in voices:
        target = folder / name
        private_folder(target.parent)
        try:
            telegram_file = await context.bot.get_file(file_id)
            await telegram_file.download_to_drive(target)
            fetched += 1
        except TelegramError as error:
            logger.warning("a voice comment could not be fetched: %s", error.message)
    return fetched


def prune_adhoc(services: Services) -> None:
    """Keep the last few packs made on demand (/export, /stats chart); the weekly ones stay."""
    folder = services.settings.export_dir / ADHOC
    for old in sorted(p for p in folder.glob("*") if p.is_dir())[:-ADHOC_KEPT]:
        shutil.rmtree(old, ignore_errors=True)


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
    """Build the pack, fetch the voice comments, and send it to `chats`.

    The whole time counts as a pack being made: no purge of the server's copies runs
    meanwhile, and whoever withdrew since the pack's snapshot is cleaned from it before it is
    zipped and sent.
    """
    services.packs_building += 1
    try:
        await _send_pack(context, services, folder, chats, language=language)
    finally:
        services.packs_building -= 1


async def _send_pack(
    context: BotContext, services: Services, folder: Path, chats: list[int], *, language: str
) -> None:
    files = await build_pack(services, folder, "--voices-follow")
    await download_voices(context, folder)
    if withdrawn := await services.repo.withdrawals(awaiting="purge"):
        await _purge(services, withdrawn, folder)
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
