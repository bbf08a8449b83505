"""The team's commands: /export, /stats, /audit, /admins, /teamchats, /consultation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from html import escape

from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.commands import WHILE_CLOSED
from bot.handlers.account import DELETE_DATA
from bot.handlers.team import Locale, may_see_results, refuse
from bot.jobs.packs import ADHOC, build_pack, group_lines, prune_adhoc, send_pack
from bot.services import BotContext, Services
from bot.stats import collect, format_stats

logger = logging.getLogger(__name__)

EXPORT_LOCK = "export-lock"


async def _results_chat(update: Update, context: BotContext) -> int | None:
    """The chat to send results to, if the sender may see them there; None after refusing."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or not may_see_results(context.services, update):
        if chat is not None and context.services.is_admin(user.id if user else None):
            _ = (await context.catalog(update)).gettext
            await context.bot.send_message(
                chat.id,
                _("Results go only to team chats, and to admins in a private chat with me."),
            )
            return None
        await refuse(update, context)
        return None
    return chat.id


def _lock(context: BotContext) -> asyncio.Lock:
    """One pack or chart at a time: a second /export waits for the first rather than racing."""
    lock = context.bot_data.setdefault(EXPORT_LOCK, asyncio.Lock())
    assert isinstance(lock, asyncio.Lock)
    return lock


async def export_command(update: Update, context: BotContext) -> None:
    """Build the export pack now and send it to the chat that asked.

    Runs beside respondents' updates (the handler does not block), the pack itself in a
    child process.
    """
    chat_id = await _results_chat(update, context)
    if chat_id is None:
        return
    locale = await Locale.of(update, context)
    _ = locale._
    services = context.services
    lock = _lock(context)
    if lock.locked():
        await context.bot.send_message(
            chat_id, _("An export is being prepared already; this one follows it.")
        )
    user = update.effective_user
    async with services.repo.transaction():
        await services.repo.audit(
            user.id if user else 0, "export", "on demand", now=services.clock()
        )
    async with lock:
        await context.bot.send_message(chat_id, _("Preparing the export pack…"))
        now = services.clock().astimezone(services.settings.zone)
        folder = services.settings.export_dir / ADHOC / now.strftime("%Y-%m-%d-%H%M%S")
        try:
            await send_pack(context, services, folder, [chat_id], language=locale.language)
        except RuntimeError:
            logger.exception("the export pack could not be built")
            await context.bot.send_message(
                chat_id, _("The export failed; the details are in the bot's log.")
            )
        finally:
            prune_adhoc(services)


async def stats_command(update: Update, context: BotContext) -> None:
    """Show the consultation's figures; `/stats chart` adds the stance chart."""
    chat_id = await _results_chat(update, context)
    if chat_id is None:
        return
    locale = await Locale.of(update, context)
    services = context.services
    if context.args and context.args[0].lower() == "groups":
        await _groups(context, chat_id, locale)
        return
    figures = await asyncio.to_thread(collect, services.settings.db)
    text = format_stats(figures, services.content, locale.language)
    await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
    if not context.args or context.args[0].lower() != "chart":
        return
    async with _lock(context):
        now = services.clock().astimezone(services.settings.zone)
        folder = services.settings.export_dir / ADHOC / f"{now:%Y-%m-%d-%H%M%S}-chart"
        try:
            files = await build_pack(services, folder, "--charts-only")
        except RuntimeError:
            logger.exception("the chart could not be drawn")
            await context.bot.send_message(
                chat_id, locale._("The export failed; the details are in the bot's log.")
            )
            return
        finally:
            prune_adhoc(services)
        chart = next((f for f in files if f.name == f"chart-{locale.language}.png"), None)
        if chart:
            await context.bot.send_document(chat_id, chart, filename=chart.name)


async def _groups(context: BotContext, chat_id: int, locale: Locale) -> None:
    """/stats groups: the opinion groups, worked out in a child process (seconds of PCA and
    k-means for a large round, and scikit-learn's memory, away from the bot)."""
    services = context.services
    await context.bot.send_message(chat_id, locale._("Working out the opinion groups…"))
    async with _lock(context):
        try:
            lines = await group_lines(services, locale.language)
        except RuntimeError:
            logger.exception("the opinion groups could not be worked out")
            await context.bot.send_message(
                chat_id, locale._("The export failed; the details are in the bot's log.")
            )
            return
    await context.bot.send_message(chat_id, escape("\n".join(lines)), parse_mode=ParseMode.HTML)


# Roles, the audit log, opening and closing ---------------------------------------------------


async def _admin(update: Update, context: BotContext, *, owner: bool = False) -> bool:
    """Whether the sender is an admin (or an owner); False after refusing anyone else."""
    user = update.effective_user
    services = context.services
    user_id = user.id if user else None
    allowed = services.is_owner(user_id) if owner else services.is_admin(user_id)
    if allowed:
        return True
    if owner and services.is_admin(user_id):
        _ = (await context.catalog(update)).gettext
        await _reply(update, _("Only the owners (BOT_ADMINS) may do this."))
    else:
        await refuse(update, context)
    return False


async def _reply(update: Update, text: str) -> None:
    if update.effective_message:
        await update.effective_message.reply_text(text, parse_mode=None)


def _target(context: BotContext) -> tuple[str, int | None]:
    """`add 123` / `remove 123` / `` from the command's arguments."""
    args = context.args or []
    action = args[0].lower() if args else ""
    try:
        return action, int(args[1]) if len(args) > 1 else None
    except ValueError:
        return action, None


async def _change(
    update: Update, context: BotContext, what: str, change: Callable[[int, bool], Awaitable[bool]]
) -> bool:
    """`add <id>` / `remove <id>` through `change(id, adding)`, audited; False without one."""
    services = context.services
    action, target = _target(context)
    chat = update.effective_chat
    if what == "team chat" and target is None and chat and chat.type != ChatType.PRIVATE:
        target = chat.id  # /teamchats add, sent in the group itself
    if action not in ("add", "remove") or target is None:
        return False
    actor = update.effective_user.id if update.effective_user else 0
    async with services.repo.transaction():
        changed = await change(target, action == "add")
        if changed:
            await services.repo.audit(actor, f"{what} {action}", str(target), now=services.clock())
    _ = (await context.catalog(update)).gettext
    await _reply(update, _("Done.") if changed else _("Nothing to change."))
    return True


async def admins_command(update: Update, context: BotContext) -> None:
    """/admins, /admins add <user id>, /admins remove <user id>: owners only."""
    if not await _admin(update, context, owner=True):
        return
    _ = (await context.catalog(update)).gettext
    services = context.services
    actor = update.effective_user.id if update.effective_user else 0

    async def change(user_id: int, adding: bool) -> bool:
        if adding:
            return await services.repo.add_admin(user_id, by=actor, now=services.clock())
        return await services.repo.remove_admin(user_id)

    if await _change(update, context, "admin", change):
        services.admins = await services.repo.admins()
    elif context.args:
        await _reply(update, _("Use /admins add <user id> or /admins remove <user id>."))
    else:
        owners = ", ".join(str(i) for i in services.settings.admins) or "—"
        added = ", ".join(str(i) for i in sorted(services.admins)) or "—"
        await _reply(
            update, _("Owners: {owners}\nAdmins: {admins}").format(owners=owners, admins=added)
        )


async def teamchats_command(update: Update, context: BotContext) -> None:
    """/teamchats, /teamchats add|remove [chat id] (in a group: that group): owners only."""
    if not await _admin(update, context, owner=True):
        return
    _ = (await context.catalog(update)).gettext
    services = context.services
    actor = update.effective_user.id if update.effective_user else 0

    async def change(chat_id: int, adding: bool) -> bool:
        return await services.repo.set_team_chat(
            chat_id, active=adding, by=actor, now=services.clock()
        )

    if await _change(update, context, "team chat", change):
        services.team_chats = await services.repo.team_chats()
    elif context.args:
        await _reply(
            update,
            _(
                "Use /teamchats add <chat id> or /teamchats remove <chat id>, or send "
                "/teamchats add in the group itself."
            ),
        )
    else:
        listed = ", ".join(str(i) for i in services.team_chats) or "—"
        await _reply(update, _("Team chats: {chats}").format(chats=listed))


async def audit_command(update: Update, context: BotContext) -> None:
    """/audit: the latest admin actions."""
    if not await _admin(update, context):
        return
    _ = (await context.catalog(update)).gettext
    services = context.services
    entries = await services.repo.audit_log(30)
    if not entries:
        await _reply(update, _("The audit log is empty."))
        return
    zone = services.settings.zone
    lines = [
        f"{datetime.fromisoformat(at).astimezone(zone):%Y-%m-%d %H:%M} · {actor} · {action}"
        + (f" · {detail}" if detail else "")
        for at, actor, action, detail in entries
    ]
    await _reply(update, "\n".join(lines))


async def consultation_command(update: Update, context: BotContext) -> None:
    """/consultation open|close|status."""
    if not await _admin(update, context):
        return
    _ = (await context.catalog(update)).gettext
    services = context.services
    action = (context.args or ["status"])[0].lower()
    actor = update.effective_user.id if update.effective_user else 0
    if action in ("open", "close"):
        opening = action == "open"
        if services.open != opening:
            async with services.repo.transaction():
                await services.repo.set_switch("consultation", "open" if opening else "closed")
                await services.repo.audit(
                    actor, f"consultation {action}", "", now=services.clock()
                )
            services.open = opening
        if opening:
            await _reply(update, _("The consultation is open: answers are accepted again."))
        else:
            await _reply(
                update,
                _(
                    "The consultation is closed: newcomers and anyone mid-way are thanked, no "
                    "new answers are accepted. Send a final message to respondents with "
                    "/broadcast."
                ),
            )
        return
    if action != "status":
        await _reply(
            update, _("Use /consultation open, /consultation close or /consultation status.")
        )
        return
    await _reply(
        update,
        _("The consultation is open.") if services.open else _("The consultation is closed."),
    )


# While the consultation is closed ------------------------------------------------------------


def _still_allowed(text: str, username: str | None) -> bool:
    """Whether `text` is one of WHILE_CLOSED (commands that create no one), addressed to this
    bot (or to no bot in particular): `/mydata@other_bot` is not this bot's command and would
    only create someone."""
    if not text.startswith("/"):
        return False
    words = text[1:64].split(maxsplit=1)
    if not words or text[1:2].isspace():  # "/" alone, or "/ mydata": no command at all
        return False
    command, _, mention = words[0].partition("@")
    addressed = not mention or (username is not None and mention.lower() == username.lower())
    return addressed and command.lower() in WHILE_CLOSED


async def _team_work(update: Update, services: Services, admin: int) -> bool:
    """Whether an admin's update runs the consultation rather than answers it: a command, a
    team button (not the journey's `c:`), a content file, or what a broadcast draft asks."""
    message, query = update.message, update.callback_query
    if query is not None:
        return not (query.data or "").startswith("c:")
    if message is None:
        return False  # an edit: of a comment, at most
    if (message.text or "").startswith("/") or message.document is not None:
        return True
    return bool(message.text or message.photo) and await services.repo.draft(admin) is not None


class ClosedGate(TypeHandler[Update, BotContext, None]):
    """`closed_gate` for every update, but only while it has anything to do: while the
    consultation and its round are open, an update goes past it without a call."""

    __slots__ = ("services",)

    def __init__(self, services: Services) -> None:
        super().__init__(Update, closed_gate)
        self.services = services

    def check_update(self, update: object) -> bool:
        return super().check_update(update) and not (
            self.services.open and self.services.round.open
        )


async def closed_gate(update: Update, context: BotContext) -> None:
    """Runs first: while closed (the consultation, or its current round), respondents are
    thanked and nothing they send is stored.

    Their data rights stay (/mydata, /delete, /stop, which never create anyone); everything
    else, /help and /language too, is answered with thanks. Groups pass; so do admins running
    the consultation (`_team_work`), but an admin's own answers are as closed as anyone's.
    """
    services = context.services
    chat, user = update.effective_chat, update.effective_user
    accepting = services.open and services.round.open
    if accepting or chat is None or chat.type != ChatType.PRIVATE or user is None:
        return
    if services.is_admin(user.id) and await _team_work(update, services, user.id):
        return
    message = update.message
    if message and message.text and _still_allowed(message.text, context.bot.username):
        return
    query = update.callback_query
    if query and DELETE_DATA.fullmatch(query.data or ""):
        return
    if not (message or query):
        raise ApplicationHandlerStop  # edits and the like: nothing to store, nothing to say
    _ = (await context.catalog(update)).gettext
    if not services.open:
        text = _(
            "The Creative Spark consultation is closed now. Thank you for your interest and your "
            "time! What you told us is kept safely; /mydata shows it and /delete erases it."
        )
    else:  # between rounds: the team is revising the document
        text = _(
            "Round {round} of the Creative Spark consultation has closed. Thank you! The team is "
            "revising the document with what people said; if you asked for news, you will hear "
            "when the next round opens. /mydata shows what you told us and /delete erases it."
        ).format(round=services.round.number)
    if query:
        await query.answer()
    await context.bot.send_message(chat.id, text)
    raise ApplicationHandlerStop
