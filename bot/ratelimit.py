"""PTB's AIORateLimiter, with a way for the outbox pump to get Telegram's 429 back at once.

AIORateLimiter retries a request that got RetryAfter, up to `max_retries` times, and PTB
drops a falsy `rate_limit_args` (0 means "the default"). Replies to respondents want that
retry; the pump must not have it: it pauses every send itself, and a send retried inside the
limiter would be a send the pump no longer controls. NO_RETRY asks for the error instead.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

NO_RETRY = "no-retry"


class _Handed(Exception):
    def __init__(self, error: RetryAfter) -> None:
        super().__init__(error.message)
        self.error = error


class RateLimiter(AIORateLimiter):
    """AIORateLimiter; `rate_limit_args=NO_RETRY` hands a RetryAfter straight to the caller."""

    async def process_request(  # noqa: PLR0917 - BaseRateLimiter's signature
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Apply the limits; with NO_RETRY, a RetryAfter is raised rather than waited out."""
        if rate_limit_args != NO_RETRY:
            return await super().process_request(
                callback,
                args,
                kwargs,
                endpoint,
                data,
                rate_limit_args,  # type: ignore[arg-type]
            )

        async def once(
            *call_args: Any, **call_kwargs: Any
        ) -> bool | dict[str, Any] | list[dict[str, Any]]:
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter as error:
                raise _Handed(error) from error

        try:
            return await super().process_request(once, args, kwargs, endpoint, data, None)
        except _Handed as handed:
            raise handed.error from None
