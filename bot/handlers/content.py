"""Content revisions: an admin sends a content file, sees what it changes, publishes it; /content.

The file is validated with the rules of `check-content`, then previewed (`bot.revisions`) and
kept as a draft until *Publish* or *Cancel*: buttons carry `p:pub:<draft>` and `p:no:<draft>`,
each checked against the admin, the draft and the version running, so a stale or forged one
changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime
from pathlib import Path

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import filters

from bot.content import DEFAULT_CONTENT, LANGUAGES, MAX_MESSAGE, ContentError, load_content_text
from bot.handlers.team import Locale, may_see_results, refuse
from bot.i18n import N_
from bot.revisions import MULTI_KINDS, Change, Comparison, compare, stranded
from bot.services import BotContext, Services

logger = logging.getLogger(__name__)

CALLBACK = re.compile(r"^p:(pub|no):(\d{1,12})$")
MAX_FILE = 1_000_000  # a content file is some 60 kB: anything past 1 MB is not one
SHOWN_TEXT = 1000  # characters of a changed text in the preview; the rest is cut
CHANGES = {
    Change.UNCHANGED: N_("unchanged"),
    Change.CHANGED: N_("changed"),
    Change.NEW: N_("new"),
    Change.REMOVED: N_("removed"),
}
KINDS = {"sectors": N_("sectors"), "markets": N_("markets")}


async def on_document(update: Update, context: BotContext) -> None:
    """An admin's `.toml` file: refuse it with its problems, or preview what it changes."""
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    if user is None or chat is None or message is None or message.document is None:
        return
    services, repo = context.services, context.services.repo
    locale = await Locale.of(update, context)
    _ = locale._
    document = message.document
    too_big = _("The file is larger than 1 MB: it is not a content file. Nothing was changed.")
    if (document.file_size or 0) > MAX_FILE:
        await message.reply_text(too_big)
        return
    data = bytes(await (await context.bot.get_file(document.file_id)).download_as_bytearray())
    if len(data) > MAX_FILE:
        await message.reply_text(too_big)
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        await message.reply_text(_("The file is not UTF-8 text. Nothing was changed."))
        return
    try:
        # Off the event loop: a file may be up to 1 MB, and parsing it must delay nobody.
        name = Path(document.file_name or "content.toml")
        content = await asyncio.to_thread(load_content_text, text, name)
    except ContentError as exc:
        count = len(exc.problems)
        head = locale.catalog.ngettext(
            "The file has {count} problem. Nothing was changed.",
            "The file has {count} problems. Nothing was changed.",
            count,
        ).format(count=count)
        await _send_lines(context, chat.id, [head, *(f"• {p}" for p in exc.problems)])
        return
    current = services.content
    if content.version <= current.version:
        await message.reply_text(
            _(
                "This file is version {new}, and version {current} is running: a new version "
                "needs a greater number. Nothing was changed."
            ).format(new=content.version, current=current.version)
        )
        return
    moved = stranded(content, await repo.steps_taken())
    async with repo.transaction():
        draft = await repo.add_content_draft(
            user.id,
            base_version=current.version,
            version=content.version,
            text=text,
            now=services.clock(),
        )
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_("Publish"), callback_data=f"p:pub:{draft}")],
            [InlineKeyboardButton(_("Cancel"), callback_data=f"p:no:{draft}")],
        ]
    )
    lines = preview(compare(current, content), moved, locale)
    await _send_lines(context, chat.id, lines, keyboard)


def preview(comparison: Comparison, moved: int, locale: Locale) -> list[str]:
    """The preview's lines, in the admin's language (the conclusions' texts in each)."""
    _, language = locale._, locale.language
    lines = [
        _("Version {new} of the consultation document (version {current} is running).").format(
            new=comparison.new_version, current=comparison.old_version
        ),
        "",
        _("Conclusions:"),
    ]
    lines += [
        f"{c.number}. {c.title(language)}: {_(CHANGES[change])}"
        for c, change in comparison.conclusions
    ]
    for conclusion in comparison.changed:
        lines += ["", _("New texts of conclusion {number}:").format(number=conclusion.number)]
        for code in LANGUAGES:
            lines.append(f"[{code}] {conclusion.title(code)}\n{_cut(conclusion.text(code))}")
    options = []
    for kind in MULTI_KINDS:
        if comparison.added[kind]:
            options.append(
                _("Options added ({kind}): {ids}").format(
                    kind=_(KINDS[kind]), ids=", ".join(comparison.added[kind])
                )
            )
        if comparison.removed[kind]:
            options.append(
                _("Options removed ({kind}): {ids}").format(
                    kind=_(KINDS[kind]), ids=", ".join(comparison.removed[kind])
                )
            )
    if options:
        lines += ["", *options]
    if comparison.warnings:
        lines += ["", _("Warnings:"), *(f"• {w}" for w in comparison.warnings)]
    people = locale.catalog.ngettext(
        "{count} person stands at a step this version no longer has: they will be moved to "
        "the nearest one, losing no answer.",
        "{count} people stand at a step this version no longer has: they will be moved to "
        "the nearest one, losing no answer.",
        moved,
    ).format(count=moved)
    lines += [
        "",
        people,
        "",
        _("Publish version {version}?").format(version=comparison.new_version),
    ]
    return lines


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN_TEXT else text[: SHOWN_TEXT - 1] + "…"


async def _send_lines(
    context: BotContext,
    chat_id: int,
    lines: list[str],
    keyboard: InlineKeyboardMarkup | None = None,
) -> None:
    """Send lines as plain text, as few messages as fit; the keyboard goes with the last."""
    messages, current = [], ""
    for line in (line[:MAX_MESSAGE] for line in lines):
        if current and len(current) + 1 + len(line) > MAX_MESSAGE:
            messages.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    messages.append(current)
    for number, text in enumerate(messages, start=1):
        markup = keyboard if number == len(messages) else None
        await context.bot.send_message(chat_id, text, reply_markup=markup, parse_mode=None)


async def on_button(update: Update, context: BotContext) -> None:
    """*Publish* or *Cancel* of a previewed file: checked against the admin, the draft and the
    version running."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    services, repo = context.services, context.services.repo
    if not services.is_admin(user.id):
        await refuse(update, context)
        return
    _ = (await Locale.of(update, context))._
    match = CALLBACK.match(query.data or "")
    draft = await repo.content_draft(int(match.group(2))) if match else None
    if match is None or draft is None or draft[0] != user.id:
        await query.answer(_("This button is not valid."))
        return
    number = int(match.group(2))
    _admin, base, version, text, status = draft
    if status != "draft":
        await query.answer(_("This file was already published or cancelled."))
        return
    if match.group(1) == "no" or services.content.version != base:
        async with repo.transaction():
            await repo.close_content_draft(number, "cancelled")
        await query.answer()
        reply = (
            _("Cancelled. Nothing was changed.")
            if match.group(1) == "no"
            else _(
                "Meanwhile version {version} was published, and it is running now. Nothing "
                "was changed: please send your file again to see what it changes against it."
            ).format(version=services.content.version)
        )
        await _remove_buttons(query.message, context)
        await context.bot.send_message(chat.id, reply, parse_mode=None)
        return
    # Validated when it came; parsed again off the event loop.
    content = await asyncio.to_thread(load_content_text, text, Path(f"draft {number}"))
    now = services.clock()
    started_with = await _start_file(services, base)
    async with repo.transaction():
        if not await repo.close_content_draft(number, "published"):
            return  # a double tap: the first one published it
        if started_with is not None and await repo.published_content() is None:
            # The version answers were given against so far, kept for the codebook (by 0).
            await repo.publish_content(base, started_with, by=0, now=now)
        await repo.publish_content(version, text, by=user.id, now=now)
        await repo.audit(user.id, "content published", f"version {version} (was {base})", now=now)
    moved = await services.adopt(content)
    logger.info("content version %d published (%d people moved)", version, moved)
    await query.answer()
    await _remove_buttons(query.message, context)
    done = _("Version {version} is published and running now.").format(version=version)
    people = (
        (await context.catalog(update))
        .ngettext(
            "{count} person was moved to a step this version has.",
            "{count} people were moved to a step this version has.",
            moved,
        )
        .format(count=moved)
    )
    await context.bot.send_message(chat.id, f"{done}\n{people}", parse_mode=None)


async def _remove_buttons(message: MaybeInaccessibleMessage | None, context: BotContext) -> None:
    """Take Publish and Cancel off the preview, so the choice made is not offered again."""
    if message is None:
        return
    try:
        await context.bot.edit_message_reply_markup(
            message.chat.id, message.message_id, reply_markup=None
        )
    except TelegramError:  # too old to edit, or already without buttons: nothing to undo
        logger.info("the preview's buttons could not be removed")


async def content_command(update: Update, context: BotContext) -> None:
    """/content: the version running and every version published from the bot."""
    chat = update.effective_chat
    services = context.services
    if chat is None or not may_see_results(services, update):
        await refuse(update, context)
        return
    _ = (await Locale.of(update, context))._
    lines = [
        _("The consultation document: version {version} is running.").format(
            version=services.content.version
        )
    ]
    versions = await services.repo.content_versions()
    if versions:
        lines.append(_("Published from the bot (version · time · by):"))
        zone = services.settings.zone
        lines += [
            f"{version} · {datetime.fromisoformat(at).astimezone(zone):%Y-%m-%d %H:%M} · "
            + (str(by) if by else "—")  # 0: the file the bot started with
            for version, at, by in versions
        ]
    else:
        lines.append(_("No version has been published from the bot yet."))
    lines.append(_("To publish a new version, send its .toml file to the bot in a private chat."))
    await context.bot.send_message(chat.id, "\n".join(lines), parse_mode=None)


class FromAdmin(filters.MessageFilter):
    """Messages from an owner or an admin (the roles `Services` mirrors): an admin's content
    file is theirs to publish, anyone else's is stray input for the journey."""

    def __init__(self, services: Services) -> None:
        super().__init__(name="FromAdmin")
        self.services = services

    def filter(self, message: Message) -> bool:
        """True for a message an admin sent."""
        user = message.from_user
        return user is not None and self.services.is_admin(user.id)


async def _start_file(services: Services, version: int) -> str | None:
    """The text of the content file the bot started from, if it is still `version`."""
    path = services.settings.content or DEFAULT_CONTENT
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
        started = await asyncio.to_thread(load_content_text, text, path)
    except (OSError, UnicodeDecodeError, ContentError):
        return None
    return text if started.version == version else None
