"""After /delete: the server's copies cleaned of those who withdrew, then one digest for the team.

The database forgets a person at once; the packs under BOT_EXPORT_DIR and the daily backups are
cleaned by `bot.purge` in a child process, and the team chats get one digest an hour at most of
the pseudonymous numbers withdrawn, to clean the packs they received earlier. A number is
forgotten once it was both purged and told. Also here: the lock-down of copies written by an
older version, which may be readable by others.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

from telegram.error import BadRequest, Forbidden, TelegramError

from bot.i18n import translator
from bot.jobs.backups import backups_folder
from bot.jobs.child import run_python
from bot.jobs.sending import TEAM_LANGUAGE
from bot.purge import lock_down
from bot.services import BotContext, Services

logger = logging.getLogger(__name__)

WITHDRAWALS = "withdrawals"  # cleans the server's copies, then tells the team, once an hour
WITHDRAWALS_EVERY = 60  # seconds between looks at the withdrawals
DIGEST_EVERY = timedelta(hours=1)
DIGEST_LISTED = 3000  # characters of numbers in the digest's text; a longer list is attached
LOCK_DOWN = "lock-down-copies"


async def lock_down_copies(context: BotContext) -> None:
    """Make the export and backup folders the bot's user's only, older files in them too."""
    settings = context.services.settings
    await asyncio.to_thread(lock_down, settings.export_dir, backups_folder(settings))


async def withdrawals(context: BotContext) -> None:
    """Clean the server's packs and backups of those who used /delete, then tell the team.

    The purge waits while a pack is being made (it cleans that one too, once written). The
    team chats get one digest an hour at most of the numbers purged, however many withdraw (a
    person cycling /start and /delete cannot flood them); a number is forgotten once it was
    both purged and told. A purge that fails reaches the error handler (the owners hear of it,
    once in ten minutes) and is tried again a minute later.
    """
    services = context.services
    repo = services.repo
    pending = await repo.withdrawals(awaiting="purge")
    if pending and not services.packs_building:
        await purge_copies(services, pending)
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


async def purge_copies(services: Services, numbers: list[int], folder: Path | None = None) -> None:
    """Clean the packs under BOT_EXPORT_DIR and the backups (or only the pack in `folder`) of
    `numbers`, in a child process."""
    settings = services.settings
    where = ("--export-dir", str(folder)) if folder else (
        "--export-dir", str(settings.export_dir), "--backups", str(backups_folder(settings))
    )  # fmt: skip
    changed = await run_python(
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
    catalog = translator(TEAM_LANGUAGE)
    listing = ", ".join(map(str, numbers))
    attached = len(listing) > DIGEST_LISTED
    text = catalog.ngettext(
        "Withdrawn since the last notice ({count} respondent): {numbers}. Their data is erased "
        "from the bot, and from its packs and backups on the server. Please remove them from "
        "the export packs you received earlier.",
        "Withdrawn since the last notice ({count} respondents): {numbers}. Their data is erased "
        "from the bot, and from its packs and backups on the server. Please remove them from "
        "the export packs you received earlier.",
        len(numbers),
    ).format(
        count=len(numbers), numbers=catalog.gettext("listed in the file") if attached else listing
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
