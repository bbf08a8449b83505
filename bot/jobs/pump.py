"""The outbox pump: queued broadcasts, reminders and round invitations, sent at BOT_BROADCAST_RATE.

Never more than BOT_BROADCAST_RATE a second in any one-second window, never more than one a
second to one chat. A 429 pauses every send for its retry_after; a 403 marks the person blocked,
and nothing writes to them again; a message whose request left without an answer is marked
`unknown` and never sent again: nobody gets the same message twice.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.jobs.reminders import quiet
from bot.jobs.sending import send_broadcast_message
from bot.ratelimit import NO_RETRY
from bot.services import BotContext, Services
from bot.storage.records import Broadcast, OutboxMessage

logger = logging.getLogger(__name__)

PUMP = "outbox-pump"
HORIZON = 1.0  # each tick claims the free slots of the coming second
PUMP_EVERY = 0.25  # seconds between ticks: a pause ends, a queue fills, the pump is on it
WINDOW_MARGIN = 0.005  # seconds
MAX_ATTEMPTS = 5


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


async def pump(context: BotContext) -> None:
    """Claim the messages whose sending slots fall in the coming second and send each at its slot.

    Never more than BOT_BROADCAST_RATE a second in any one-second window, never more than one a
    second to one chat. The sends run as tasks of their own, so a slow Telegram does not make
    the next tick late; stopping the bot waits for them (post_stop). Claimed messages are only
    leased: each is marked as being sent just before its own request.
    """
    services = context.services
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
        if message.kind == "broadcast" and message.batch is not None:
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
