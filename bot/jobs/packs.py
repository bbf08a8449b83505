"""The export pack: built in a child process, its voice comments fetched, zipped, sent.

Weekly to every team chat at BOT_EXPORT_SCHEDULE, and on demand (/export, /stats chart) to the
chat that asked. A weekly occurrence is claimed in the database before anything is sent, so a
restart never sends it twice; one missed while the bot was down runs once when it is back, and
one whose pack could not be built is tried again an hour later.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import zipfile
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from telegram import Bot
from telegram.error import Forbidden, TelegramError

from bot.config import Settings
from bot.content import LANGUAGES
from bot.i18n import translator
from bot.jobs.child import run_python
from bot.jobs.sending import TEAM_LANGUAGE
from bot.jobs.withdrawals import purge_copies
from bot.purge import private_folder
from bot.services import BotContext, Services
from bot.storage.reports import VOICE_LIST

logger = logging.getLogger(__name__)

WEEKLY_EXPORT = "weekly-export"
CATCH_UP = "weekly-export-catch-up"
RETRY_EXPORT = 3600  # seconds before a weekly export that failed is tried again
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ADHOC = "on-demand"  # BOT_EXPORT_DIR/on-demand/<time>/: packs made by /export and /stats chart
ADHOC_KEPT = 5
TELEGRAM_FILE_LIMIT = 49 * 2**20  # sendDocument takes 50 MB from the public Bot API
CHOICES = ("sectors", "markets")  # the items with a chart of their options beside the stances


def last_occurrence(settings: Settings, now: datetime) -> datetime:
    """The latest scheduled weekly export time at or before `now`, in the settings' zone."""
    local = now.astimezone(settings.zone)
    weekday = WEEKDAYS.index(settings.export_weekday)
    at = settings.export_time
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    candidate = datetime.combine(day, time(at.hour, at.minute), tzinfo=settings.zone)
    if candidate > local:
        candidate -= timedelta(days=7)
    return candidate


async def weekly_export(context: BotContext) -> None:
    """Build the pack once per scheduled occurrence and send it to every team chat.

    The occurrence is claimed in the database first, so a restart never sends it twice; if the
    pack cannot be built, the claim is given back, the team is told, and it is tried again in
    an hour.
    """
    services = context.services
    job = context.job
    occurrence = job.data if job and isinstance(job.data, datetime) else None
    occurrence = occurrence or last_occurrence(services.settings, services.clock())
    previous = await services.repo.last_run(WEEKLY_EXPORT)
    async with services.repo.transaction():
        claimed = await services.repo.claim_run(WEEKLY_EXPORT, occurrence)
    if not claimed:
        logger.info("the weekly export of %s already ran", occurrence)
        return
    chats = list(services.team_chats)
    if not chats:
        logger.warning("the weekly export ran, but no team chat is configured")
    folder = services.settings.export_dir / occurrence.astimezone(services.settings.zone).strftime(
        "%Y-%m-%d"
    )
    try:
        await send_pack(context, services, folder, chats, language=TEAM_LANGUAGE)
    except Exception:
        logger.exception("the weekly export pack could not be built: trying again in an hour")
        async with services.repo.transaction():
            await services.repo.release_run(WEEKLY_EXPORT, occurrence, previous)
        context.job_queue.run_once(  # type: ignore[union-attr]
            weekly_export,  # type: ignore[arg-type]
            when=RETRY_EXPORT, name=CATCH_UP, data=occurrence,
        )  # fmt: skip
        _ = translator(TEAM_LANGUAGE).gettext
        for chat_id in chats:
            await _tell(
                context, chat_id,
                _("The weekly export failed; the bot tries again in an hour. The details are in "
                  "its log."),
            )  # fmt: skip


async def _tell(context: BotContext, chat_id: int, text: str) -> None:
    """A short message to a team chat; a chat that removed the bot is only logged."""
    try:
        await context.bot.send_message(chat_id, text)
    except TelegramError as error:
        logger.warning("a team chat could not be told: %s", error.message)


def _child_environment(settings: Settings) -> dict[str, str]:
    """What a child process of the bot needs to read the same database and content."""
    return {
        **os.environ,
        "BOT_DB": str(settings.db),
        "BOT_TIMEZONE": settings.timezone,
        "BOT_CONTENT": str(settings.content or ""),
    }


async def build_pack(services: Services, folder: Path, *options: str) -> list[Path]:
    """Write the pack into `folder` in a child process: the bot stays responsive and small.

    The folder and everything in it are the bot's user's only, like the database. While a
    pack is written, withdrawals wait to be purged: one made meanwhile is cleaned from it too.
    """
    settings = services.settings
    environment = _child_environment(settings)
    private_folder(folder)
    services.packs_building += 1
    try:
        out = await run_python(
            ("-m", "bot", "export", "--out", str(folder), *options), environment, "the export"
        )
    finally:
        services.packs_building -= 1
    return [Path(line) for line in out.splitlines() if line.strip()]


async def group_lines(services: Services, language: str) -> list[str]:
    """The opinion groups described in `language`, by `python -m bot stats --groups` in a child
    process."""
    environment = _child_environment(services.settings)
    out = await run_python(
        ("-m", "bot", "stats", "--groups", "--language", language), environment,
        "the opinion groups",
    )  # fmt: skip
    return [line for line in out.splitlines() if line.strip()]


@dataclass(frozen=True)
class VoiceFetch:
    """What became of the voice comments a pack lists: the files fetched, how many listed."""

    fetched: list[Path]
    listed: int
    error: str | None = None  # the first failure, for whoever reports it

    @property
    def missing(self) -> int:
        """How many of the listed voice comments are not in the pack."""
        return self.listed - len(self.fetched)


async def download_voices(bot: Bot | None, folder: Path) -> VoiceFetch:
    """Fetch the voice comments the export listed from Telegram into the pack's voice/ folder.

    Without a bot (the command line without BOT_TOKEN, or Telegram out of reach) none is
    fetched. Either way the listing goes, and a pack that lacks some says how many in its
    summaries.
    """
    listing = folder / VOICE_LIST
    if not listing.exists():
        return VoiceFetch([], 0)
    voices = [line.split("\t") for line in listing.read_text(encoding="utf-8").splitlines()]
    listing.unlink()
    fetched: list[Path] = []
    errors: list[str] = []
    for name, file_id in voices:
        if bot is None:
            break
        target = folder / name
        private_folder(target.parent)
        try:
            telegram_file = await bot.get_file(file_id)
            await telegram_file.download_to_drive(target)
            fetched.append(target)
        except TelegramError as failure:
            errors.append(failure.message)
        except OSError as failure:  # the pack's disk, not Telegram
            errors.append(str(failure))
    result = VoiceFetch(fetched, len(voices), errors[0] if errors else None)
    if result.missing:
        if bot is not None:
            logger.warning(
                "%d of %d voice comments could not be fetched: %s",
                result.missing, result.listed, result.error,
            )  # fmt: skip
        note_missing_voices(folder, result.missing)
    return result


def note_missing_voices(folder: Path, missing: int) -> None:
    """Say in each of the pack's summaries how many voice comments it lacks."""
    for language in LANGUAGES:
        path = folder / f"summary-{language}.txt"
        if not path.exists():
            continue
        note = (
            translator(language)
            .ngettext(
                "{count} voice comment is not in this pack: it could not be fetched from"
                " Telegram.",
                "{count} voice comments are not in this pack: they could not be fetched from"
                " Telegram.",
                missing,
            )
            .format(count=missing)
        )
        with path.open("a", encoding="utf-8") as summary:
            summary.write(f"\n{note}\n")


def prune_adhoc(services: Services) -> None:
    """Keep the last few packs made on demand (/export, /stats chart); the weekly ones stay."""
    folder = services.settings.export_dir / ADHOC
    for old in sorted(p for p in folder.glob("*") if p.is_dir())[:-ADHOC_KEPT]:
        shutil.rmtree(old, ignore_errors=True)


def zip_pack(folder: Path, files: list[Path]) -> Path:
    """The pack's files in one archive beside them, named after the pack's folder."""
    archive = folder / f"creative-spark-{folder.name}.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as pack:
        for path in files:
            pack.write(path, path.name)
        for voice in sorted((folder / "voice").glob("*.ogg")):
            pack.write(voice, f"voice/{voice.name}")
    return archive


async def send_pack(
    context: BotContext, services: Services, folder: Path, chats: list[int], *, language: str
) -> None:
    """Build the pack, fetch the voice comments, and send it to `chats`, its summary and chart
    in `language`.

    The whole time counts as a pack being made: no purge of the server's copies runs
    meanwhile, and whoever withdrew since the pack's snapshot is cleaned from it before it is
    zipped and sent.
    """
    services.packs_building += 1
    try:
        await _send_pack(context, services, folder, chats, language=language)
    finally:
        services.packs_building -= 1


async def _send_pack(
    context: BotContext, services: Services, folder: Path, chats: list[int], *, language: str
) -> None:
    files = await build_pack(services, folder, "--voices-follow")
    await download_voices(context.bot, folder)
    if withdrawn := await services.repo.withdrawals(awaiting="purge"):
        await purge_copies(services, withdrawn, folder)
    archive = await asyncio.to_thread(zip_pack, folder, files)
    _ = translator(language).gettext
    summary = (folder / f"summary-{language}.txt").read_text(encoding="utf-8")
    # The stance chart, the rounds side by side once there are several, then how many chose
    # each sector and market, then the opinion groups once there are some, in the chat's
    # language.
    charts = [
        chart
        for name in (
            f"chart-{language}.png",
            f"chart-rounds-{language}.png",
            *(f"chart-{item}-{language}.png" for item in CHOICES),
            f"opinion_map-{language}.png",
        )
        if (chart := folder / name).exists()
    ]
    workbook = folder / "consultation.xlsx"
    for chat_id in chats:
        try:
            await context.bot.send_message(chat_id, summary, parse_mode=None)
            for chart in charts:
                await context.bot.send_document(chat_id, chart, filename=chart.name)
            for document in (workbook, archive):
                if document.stat().st_size > TELEGRAM_FILE_LIMIT:
                    await context.bot.send_message(
                        chat_id,
                        _("{name} is too large for Telegram; it is on the server: {path}").format(
                            name=document.name, path=document
                        ),
                    )
                    continue
                await context.bot.send_document(chat_id, document, filename=document.name)
        except Forbidden:
            logger.warning("a team chat removed the bot: the pack was not delivered there")
        except TelegramError as error:
            logger.warning("the pack could not be sent to a team chat: %s", error.message)
    logger.info("export pack %s sent to %d chat(s)", folder, len(chats))
