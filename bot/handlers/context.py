"""What every handler can reach: the services, through a typed context instead of string keys."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from telegram.ext import CallbackContext, ExtBot

from bot.config import Settings
from bot.content import Content
from bot.journey import Journey
from bot.storage.repository import Repository

logger = logging.getLogger(__name__)


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
    # Mirrors of the database, loaded in post_init and kept current by the admin commands:
    # every update asks "is this an admin?", "is this a team chat?", "is it open?".
    admins: set[int] = field(default_factory=set)  # added from the bot; owners are settings'
    team_chats: list[int] = field(default_factory=list)
    open: bool = True
    packs_building: int = 0  # export packs being written: a purge waits until they are done

    def is_owner(self, user_id: int | None) -> bool:
        """Owners (BOT_ADMINS) add and remove admins and team chats."""
        return user_id is not None and user_id in self.settings.admins

    def is_admin(self, user_id: int | None) -> bool:
        """Owners and the admins they added run the consultation."""
        return self.is_owner(user_id) or (user_id is not None and user_id in self.admins)

    async def load(self) -> None:
        """Read roles, team chats and the open switch from the database."""
        repo = self.repo
        async with repo.transaction():
            await repo.seed_team_chats(list(self.settings.team_chats), now=self.clock())
        self.admins = await repo.admins()
        self.team_chats = await repo.team_chats()
        self.open = await repo.switch("consultation", "open") == "open"
        await self.settle_steps()

    async def settle_steps(self) -> int:
        """Move everyone whose step this content version no longer has to the nearest one it
        has (`Journey.settle`), keeping every answer; return how many were moved.

        Run at start-up and whenever the content changes: a step that does not exist would
        fail every update of its person.
        """
        repo, moved = self.repo, 0
        async with repo.transaction():
            for step, editing, _ in await repo.steps_taken():
                to, editing_after = self.journey.settle(step, editing=editing)
                if (to, editing_after) != (step, editing):
                    moved += await repo.move_step(
                        step, editing, to=to, editing_after=editing_after
                    )
        if moved:
            logger.warning("%d people stood at a step this content no longer has: moved", moved)
        return moved

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
