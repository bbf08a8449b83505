"""The bot's resources, and what one update needs of them, resolved once.

`Services` is built in the composition root and reached by handlers and jobs alike through the
typed `BotContext`. The context also answers, once per update, who the person is
(`await context.participant(update)`) and which language to answer them in
(`await context.catalog(update)`; `language_of(user_id)` in a job): one rule,
`bot.i18n.language_for`, instead of one per module.
"""

from __future__ import annotations

import gettext
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.config import Settings
from bot.content import Content, ContentError, load_content_text
from bot.i18n import language_for, translator
from bot.journey import Journey
from bot.rounds import Feedback, Shares
from bot.storage.records import Participant, Round
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
    returning: Journey = field(init=False)  # a later round's, for those who answered before
    clock: Callable[[], datetime] = utc_now
    repository: Repository | None = field(default=None)
    # Mirrors of the database, loaded in post_init and kept current by the admin commands:
    # every update asks "is this an admin?", "is this a team chat?", "is it open?".
    admins: set[int] = field(default_factory=set)  # added from the bot; owners are settings'
    team_chats: list[int] = field(default_factory=list)
    open: bool = True
    packs_building: int = 0  # export packs being written: a purge waits until they are done
    round: Round = field(default_factory=lambda: Round(1, None, "", None))  # the current one
    # Each earlier round's shares, counted once: a closed round changes only when someone
    # withdraws (/delete clears this) or the next round opens (/round start does).
    shares: dict[int, dict[str, Shares]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.returning = Journey(self.content, returning=True)

    def journey_for(self, participant: Participant) -> Journey:
        """The journey `participant` walks: a later round's if they took up its invitation."""
        return self.returning if participant.returning else self.journey

    def stale(self, participant: Participant) -> bool:
        """Whether `participant` answered an earlier round and has not taken up the open one:
        what they send is answered with its invitation, not stored in a closed round."""
        return (
            self.round.open
            and participant.round < self.round.number
            and participant.completed_at is not None
        )

    def is_owner(self, user_id: int | None) -> bool:
        """Owners (BOT_ADMINS) add and remove admins and team chats."""
        return user_id is not None and user_id in self.settings.admins

    def is_admin(self, user_id: int | None) -> bool:
        """Owners and the admins they added run the consultation."""
        return self.is_owner(user_id) or (user_id is not None and user_id in self.admins)

    async def feedback(self, participant: Participant) -> Feedback | None:
        """What a returning respondent is shown of the round before theirs; None for anyone
        else."""
        if not participant.returning or participant.respondent_id is None:
            return None
        number = participant.round
        own = await self.repo.earlier_stances(participant.respondent_id, before=number)
        return Feedback(number, await self.round_shares(number - 1), own, self.settings.min_group)

    async def round_shares(self, number: int) -> dict[str, Shares]:
        """How round `number` (an earlier, closed one) answered each item (`Shares`)."""
        if number not in self.shares:
            counts = await self.repo.round_stances(number)
            self.shares[number] = {item: Shares.of(stances) for item, stances in counts.items()}
        return self.shares[number]

    async def load(self) -> None:
        """Read roles, team chats, the open switch and the newest published content version
        from the database (the content given at start runs only until one is published)."""
        repo = self.repo
        async with repo.transaction():
            await repo.seed_team_chats(list(self.settings.team_chats), now=self.clock())
        self.admins = await repo.admins()
        self.team_chats = await repo.team_chats()
        self.open = await repo.switch("consultation", "open") == "open"
        self.round = await repo.current_round()
        published = await repo.published_content()
        if published is not None:
            version, text = published
            try:
                content = load_content_text(text, Path(f"published version {version}"))
            except ContentError as exc:  # validated when published: only a newer rule refuses it
                logger.error("the published content no longer validates, not run: %s", exc)
            else:
                if content.version < self.content.version:
                    logger.warning(
                        "running published version %d, not the newer file given (%d): "
                        "publish it from the bot",
                        content.version,
                        self.content.version,
                    )
                self._run(content)
        await self.settle_steps()

    async def adopt(self, content: Content) -> int:
        """Run `content` from now on; return how many people were moved (`settle_steps`)."""
        self._run(content)
        return await self.settle_steps()

    def _run(self, content: Content) -> None:
        self.content, self.journey = content, Journey(content)
        self.returning = Journey(content, returning=True)

    async def settle_steps(self) -> int:
        """Move everyone whose step this content version no longer has to the nearest one it
        has (`Journey.settle`), keeping every answer; return how many were moved.

        Run at start-up and whenever the content changes: a step that does not exist would
        fail every update of its person.
        """
        repo, moved = self.repo, 0
        async with repo.transaction():
            for step, editing, returning, _ in await repo.steps_taken():
                journey = self.returning if returning else self.journey
                to, editing_after = journey.settle(step, editing=editing)
                if (to, editing_after) != (step, editing):
                    moved += await repo.move_step(
                        step, editing, returning=returning, to=to, editing_after=editing_after
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
    """The callback context of this bot: its services, and this update's person and language.

    PTB makes one context per update and hands it to every handler group, so what is read here
    is read once per update.
    """

    @property
    def services(self) -> Services:
        """The services registered by the composition root."""
        services: Services = self.bot_data["services"]
        return services

    async def participant(self, update: object) -> Participant | None:
        """The person behind `update` (this context's update); None for a stranger.

        Read once per update, then kept here: a handler that writes tells the context what it
        stored (`remember`), so no later handler of the update reads an older row.
        """
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            return None
        known: dict[int, Participant | None] = self.__dict__.setdefault("_participants", {})
        if user.id not in known:
            known[user.id] = await self.services.repo.participant(user.id)
        return known[user.id]

    def remember(self, user_id: int, participant: Participant | None) -> None:
        """Keep what a handler just stored (or read again) as this update's participant."""
        self.__dict__.setdefault("_participants", {})[user_id] = participant

    async def language(self, update: object) -> str:
        """The language to answer the person behind `update` in (`language_for`, with the
        Telegram language stored of them, or this update's for a stranger); English when the
        database cannot say (the error being handled may be the database's)."""
        user = update.effective_user if isinstance(update, Update) else None
        try:
            participant = await self.participant(update)
        except sqlite3.Error:
            logger.warning("could not read a language from the database: writing in English")
            return "en"
        if participant is not None:
            return language_for(participant.language, participant.language_code)
        return language_for(None, user.language_code if user else None)

    async def language_of(self, user_id: int) -> str:
        """The language to write to `user_id` in outside an update of theirs (a job, an alert to
        an owner): `language_for` with what is stored of them, their Telegram app's language
        as their first update showed it; English when the database cannot say."""
        try:
            participant = await self.services.repo.participant(user_id)
        except sqlite3.Error:
            logger.warning("could not read a language from the database: writing in English")
            return "en"
        if participant is None:
            return "en"
        return language_for(participant.language, participant.language_code)

    async def catalog(self, update: object) -> gettext.GNUTranslations:
        """The catalog of `language(update)`."""
        return translator(await self.language(update))


# The Application as this bot builds it, named once: its context type, PTB's plain dicts for
# user, chat and bot data (as `ContextTypes(context=BotContext)` makes them), its job queue.
App = Application[
    ExtBot[None],
    BotContext,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[BotContext],
]
