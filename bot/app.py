"""Composition root: builds the Application and registers every handler in one place."""

from __future__ import annotations

import logging
import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    JobQueue,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest
from telegram.warnings import PTBUserWarning

from bot import jobs, langid
from bot.commands import RESPONDENT_COMMANDS, TEAM_COMMANDS
from bot.config import Settings
from bot.content import LANGUAGES, Content
from bot.handlers import account, admin, broadcast, consultation, content, rounds, sources
from bot.handlers.errors import on_error
from bot.i18n import check_catalogs, translator
from bot.journey import CALLBACK, Journey
from bot.ratelimit import RateLimiter
from bot.services import App, BotContext, Services, utc_now
from bot.storage.repository import Repository

logger = logging.getLogger(__name__)

# Callback queries are routed by (chat, user); PTB's per-message tracking is not wanted.
warnings.filterwarnings("ignore", message=".*per_message=False.*", category=PTBUserWarning)


def build_application(
    settings: Settings,
    content: Content,
    *,
    token: str | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    clock: Callable[[], datetime] = utc_now,
    rate_limited: bool = True,
) -> App:
    """Build the bot: settings, content and the Bot API transport in, a ready Application out."""
    secret = settings.token.get_secret_value() if settings.token else None
    builder = (
        ApplicationBuilder()
        .token(token or secret or "0:offline")
        .base_url(settings.api_url)
        .base_file_url(settings.file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.zone))
        .context_types(ContextTypes(context=BotContext))
        .job_queue(JobQueue[BotContext]())  # the default one, typed for this bot's context
        .post_init(_post_init)
        .post_stop(jobs.drain)  # while the HTTP client is still open
        .post_shutdown(_post_shutdown)
    )
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    if rate_limited:
        # Replies stay under Telegram's ~30 messages/s per bot; a 429 is retried after its wait
        # (except for the outbox pump, which pauses itself).
        builder = builder.rate_limiter(RateLimiter(max_retries=3))  # type: ignore[arg-type]
    application = builder.build()
    application.bot_data["services"] = Services(
        settings=settings, content=content, journey=Journey(content), clock=clock
    )
    _register(application)
    return application


def _register(application: App) -> None:
    """Every handler, in one place. Order matters: the first matching handler in a group wins."""
    private = filters.ChatType.PRIVATE
    new_message = filters.UpdateType.MESSAGE
    service = filters.StatusUpdate.ALL  # pins, timers...: nothing the respondent typed
    application.add_handlers(
        [
            # Buttons first: taps are most updates, and no command or message handler below
            # takes one, so a tap is not tested against every command first.
            CallbackQueryHandler(account.on_delete_tap, pattern=account.DELETE_DATA),  # /delete
            # The journey's buttons next (the /delete confirmation's data is of their form): a
            # tap is tested against two patterns, not five. Forged data, at the end.
            CallbackQueryHandler(consultation.on_tap, pattern=CALLBACK),
            CallbackQueryHandler(broadcast.on_button, pattern=r"^b:"),  # a broadcast's draft
            CallbackQueryHandler(content.on_button, pattern=r"^p:"),  # Publish / Cancel
            CallbackQueryHandler(rounds.on_button, pattern=r"^r:"),  # a round's start, close
            # Every other button: the journey validates its data, so forged data gets a hint too.
            CallbackQueryHandler(consultation.on_tap),
            # Respondent commands, private chats only.
            CommandHandler("start", consultation.start, filters=private),
            CommandHandler("language", consultation.choose_language_command, filters=private),
            CommandHandler("help", consultation.help_command, filters=private),
            CommandHandler("mydata", account.mydata_command, filters=private),
            CommandHandler("delete", account.delete_command, filters=private),
            CommandHandler("stop", account.stop_command, filters=private),
            # The team's commands, in private chats and in team chats.
            # Not blocking: a pack takes seconds, respondents' updates go on meanwhile.
            CommandHandler("export", admin.export_command, filters=new_message, block=False),
            CommandHandler("stats", admin.stats_command, filters=new_message, block=False),
            # Admins run the consultation: broadcasts, roles, the audit log, open and close.
            CommandHandler("broadcast", broadcast.broadcast_command, filters=new_message),
            CommandHandler("admins", admin.admins_command, filters=new_message),
            CommandHandler("teamchats", admin.teamchats_command, filters=new_message),
            CommandHandler("audit", admin.audit_command, filters=new_message),
            CommandHandler("consultation", admin.consultation_command, filters=new_message),
            CommandHandler("sources", sources.sources_command, filters=new_message),
            # Content revisions: an admin's .toml file (after a broadcast draft's, group -1),
            # /content (its Publish / Cancel above). Anyone else's file is stray input, below.
            MessageHandler(
                private
                & new_message
                & filters.Document.FileExtension("toml")
                & content.FromAdmin(application.bot_data["services"]),
                content.on_document,
            ),
            CommandHandler("content", content.content_command, filters=new_message),
            # Rounds: /round (its start and close confirmations above).
            CommandHandler("round", rounds.round_command, filters=new_message),
            # An edited message may be part of a comment.
            MessageHandler(
                private & filters.UpdateType.EDITED_MESSAGE & filters.TEXT, consultation.on_edited
            ),
            # Any other command: a hint, then the current question.
            MessageHandler(private & new_message & filters.COMMAND, consultation.unknown_command),
            MessageHandler(private & new_message & filters.TEXT, consultation.on_text),
            MessageHandler(private & new_message & filters.VOICE, consultation.on_voice),
            # Stickers, photos, files, locations...: a hint, then the current question.
            MessageHandler(private & new_message & ~service, consultation.on_other),
            # Groups: point people to a private chat. Channel posts are ignored.
            MessageHandler(filters.ChatType.GROUPS & new_message, consultation.in_group),
        ]
    )
    # Before everything else: while closed, respondents are thanked and nothing is stored;
    # an admin's draft broadcast takes their texts, pictures and files before the journey does.
    application.add_handler(admin.ClosedGate(application.bot_data["services"]), group=-2)
    application.add_handler(
        MessageHandler(
            new_message & private & ((filters.TEXT & ~filters.COMMAND) | filters.PHOTO
                                     | filters.Document.ALL),
            broadcast.on_admin_input,
        ),
        group=-1,
    )  # fmt: skip
    application.add_error_handler(on_error)


async def _post_init(application: App) -> None:
    """Open the database, check the catalogs, publish the command menu in each language."""
    services: Services = application.bot_data["services"]
    check_catalogs()
    langid.warm_up()  # a few milliseconds now rather than on someone's first comment
    services.repository = await Repository.open(services.settings.db)
    await services.load()
    for warning in services.content.warnings:
        logger.warning("content: %s", warning)
    await _publish_commands(application)
    await jobs.register(application)


async def _publish_commands(application: App) -> None:
    """The command menu in each language; the team's commands only in admins' and team chats."""
    services: Services = application.bot_data["services"]
    team = {*services.settings.admins, *services.admins, *services.team_chats}
    for language in (*LANGUAGES, None):
        _ = translator(language or "en").gettext
        commands = [BotCommand(c.name, _(c.menu)) for c in RESPONDENT_COMMANDS]
        await application.bot.set_my_commands(
            commands, scope=BotCommandScopeDefault(), language_code=language
        )
        team_commands = commands + [BotCommand(c.name, _(c.menu)) for c in TEAM_COMMANDS]
        for chat_id in team:
            try:
                await application.bot.set_my_commands(
                    team_commands, scope=BotCommandScopeChat(chat_id), language_code=language
                )
            except BadRequest:  # an admin who has not started the bot yet
                logger.info("no command menu for a chat the bot cannot see yet")


async def _post_shutdown(application: App) -> None:
    """Let the messages being sent get their answers recorded, then close the database."""
    services: Services = application.bot_data["services"]
    await jobs.drain(application)
    if services.repository is not None:
        await services.repository.close()
        services.repository = None


@asynccontextmanager
async def running(application: App) -> AsyncIterator[App]:
    """Initialise the Application and its resources without polling (tests, demo, benchmarks).

    `run_polling` and `run_webhook` call post_init and post_shutdown themselves; a caller that
    feeds updates through `process_update` uses this instead.
    """
    async with application:
        await _post_init(application)
        try:
            yield application
        finally:
            await _post_shutdown(application)
