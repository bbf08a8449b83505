"""What the team's handlers share: who may see results, the polite refusal, the reply's locale.

Both `admin` (/export, /stats, roles, opening and closing) and `broadcast` use these; neither
imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from gettext import GNUTranslations

from telegram import Update
from telegram.constants import ChatType

from bot.services import BotContext, Services


@dataclass(frozen=True, slots=True)
class Locale:
    """The language a team member is answered in, with its catalog: read once per update, then
    passed along (numbers and content labels need the language, texts the catalog)."""

    language: str
    catalog: GNUTranslations

    @classmethod
    async def of(cls, update: Update, context: BotContext) -> Locale:
        """The locale of the person behind `update` (`BotContext.language`)."""
        return cls(await context.language(update), await context.catalog(update))

    @property
    def _(self) -> Callable[[str], str]:
        """The catalog's gettext."""
        return self.catalog.gettext


def may_see_results(services: Services, update: Update) -> bool:
    """Raw results go to team chats (anyone in them) and to admins in their private chat.

    An admin in any other group is refused too: the group's members would see the data.
    """
    user = update.effective_user
    chat = update.effective_chat
    if chat is None:
        return False
    if chat.id in services.team_chats:
        return True
    return chat.type == ChatType.PRIVATE and services.is_admin(user.id if user else None)


async def refuse(update: Update, context: BotContext) -> None:
    """The polite refusal every admin command and button gives everyone else."""
    _ = (await context.catalog(update)).gettext
    refusal = _("Sorry, this is for the consultation's team.")
    if update.callback_query:
        await update.callback_query.answer(refusal)
    elif update.effective_message:
        await update.effective_message.reply_text(refusal)
