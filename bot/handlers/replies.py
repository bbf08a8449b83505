"""The journey's Bot API calls whose answers the bot never reads.

`send_message` and `edit_message_reply_markup` turn Telegram's answer into a `Message` object
(about a fifth of an update's time, issue 17); the journey never looks at it. These calls go
through `do_api_request` without a return type instead: the same endpoint, the same
parameters, the rate limiter and the errors (a blocked bot, a 429, a stale message) as before,
only the answer left as it came. A keyboard is turned into its JSON form once, not per send.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.ext import ExtBot
from telegram.warnings import PTBUserWarning

# PTB suggests its own method for a known endpoint; here the point is to skip what it adds.
warnings.filterwarnings(
    "ignore",
    message=r"Please use 'Bot\.(send_message|edit_message_reply_markup)' instead",
    category=PTBUserWarning,
)

KEYBOARDS = 4_096  # keyboards kept in their JSON form: every screen of every language, and more


@functools.lru_cache(maxsize=KEYBOARDS)
def keyboard_json(keyboard: InlineKeyboardMarkup) -> dict[str, Any]:
    """A keyboard as the Bot API takes it. Callers must not change the dict."""
    return keyboard.to_dict()


async def send(
    bot: ExtBot[Any], chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    """Send an HTML message, with `keyboard` under it."""
    await bot.do_api_request(
        "send_message",
        api_kwargs={
            "chat_id": chat_id,
            "text": text,
            "parse_mode": ParseMode.HTML.value,
            "reply_markup": keyboard_json(keyboard) if keyboard else None,
        },
    )


async def edit_keyboard(
    bot: ExtBot[Any], query: CallbackQuery, keyboard: InlineKeyboardMarkup | None
) -> None:
    """Replace (or, with None, take off) the keyboard of the tapped message."""
    message = query.message
    if message is None:  # an inline message: never sent by this bot, nothing to edit
        return
    await bot.do_api_request(
        "edit_message_reply_markup",
        api_kwargs={
            "chat_id": message.chat.id,
            "message_id": message.message_id,
            "reply_markup": keyboard_json(keyboard) if keyboard else None,
        },
    )
