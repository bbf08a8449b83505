"""The daily backup: a consistent online copy of the database beside it, the last seven kept."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.config import Settings
from bot.purge import private_folder
from bot.services import BotContext
from bot.storage.backup import backup

logger = logging.getLogger(__name__)

BACKUP = "daily-backup"
BACKUPS_KEPT = 7


def backups_folder(settings: Settings) -> Path:
    """Where the daily copies are kept: data/backups/ beside the database."""
    return settings.db.parent / "backups"


async def backup_database(context: BotContext) -> Path:
    """A consistent online copy into data/backups/, the last seven kept."""
    services = context.services
    folder = private_folder(backups_folder(services.settings))
    stamp = services.clock().astimezone(services.settings.zone).strftime("%Y-%m-%d")
    target = folder / f"{services.settings.db.stem}-{stamp}.sqlite3"
    await asyncio.to_thread(backup, services.settings.db, target)
    copies = sorted(folder.glob(f"{services.settings.db.stem}-*.sqlite3"))
    for old in copies[:-BACKUPS_KEPT]:
        old.unlink()
    logger.info("database backed up to %s", target)
    return target
