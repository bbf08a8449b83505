"""Keep the bot's token out of every log line, traceback included. No telegram import.

The token sits in every Bot API URL; a library that logs a URL or puts one in an exception
message would otherwise write it to the log. The filter is installed on the root handlers.
"""

from __future__ import annotations

import logging

MASK = "<BOT_TOKEN>"


class TokenFilter(logging.Filter):
    """Replace the token in a record's message and traceback before any handler writes it."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record without the token; never drops it."""
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, MASK), None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = text.replace(self.token, MASK), None
        elif record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, MASK)
        return True


def install(token: str) -> None:
    """Filter every handler of the root logger (and any added later through it)."""
    token_filter = TokenFilter(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(token_filter)
