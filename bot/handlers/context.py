"""What every handler can reach: the services, through a typed context instead of string keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from telegram.ext import CallbackContext, ExtBot

from bot.config import Settings
from bot.content import Content
from bot.journey import Journey
from bot.storage.repository import Repository


def utc_now() -> datetime:
    """The wall clock, in UTC; tests replace it."""
    return datetime.now(UTC)


@dataclass
class Services:
    """The bot's resources: built in the composition root, the repository opened in post_init."""

    settings: Settings
    content: Content
    journey: Journey
    clock: Callable[[], datetime] = utc_now
    repository: Repository | None = field(default=None)

    @property
    def repo(self) -> Repository:
        """The open repository (post_init opens it before any update is handled)."""
        if self.repository is None:
            raise RuntimeError("the repository is opened in post_init")
        return self.repository


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[str, Any]]):
    """The callback context of this bot, with its services as an attribute."""

    @property
    def services(self) -> Services:
        """The services registered by the composition root."""
        services: Services = self.bot_data["services"]
        return services
