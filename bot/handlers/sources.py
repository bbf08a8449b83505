"""/sources: the recruitment links the team hands out, their figures, and their QR codes.

A source's code is the payload of a deep link (`t.me/<bot>?start=<code>`); /start records the
newcomer with it while it is registered and not retired (`consultation._new_participant`).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

import segno
from telegram import Update

from bot.handlers.consultation import SOURCE_CODE
from bot.handlers.team import may_see_results, refuse
from bot.handlers.views import split_plain
from bot.services import BotContext

logger = logging.getLogger(__name__)

# At 300 dpi, 2000 pixels print about 17 cm wide: most of an A4 poster's width, sharp at any
# size below that. Sent as a file, since Telegram recompresses photos to 1280 pixels.
QR_PIXELS = 2000
QR_DPI = 300
QR_BORDER = 4  # the quiet zone the QR standard asks for, in modules


async def _team_chat(update: Update, context: BotContext) -> int | None:
    """The chat to answer in: an admin's private chat or a team chat; None after refusing."""
    services = context.services
    user, chat = update.effective_user, update.effective_chat
    if chat is None or not services.is_admin(user.id if user else None):
        await refuse(update, context)
        return None
    if not may_see_results(services, update):
        _ = (await context.catalog(update)).gettext
        await context.bot.send_message(
            chat.id, _("Results go only to team chats, and to admins in a private chat with me.")
        )
        return None
    return chat.id


def _link(context: BotContext, code: str) -> str:
    """The deep link of a source, with the bot's username from getMe."""
    return f"https://t.me/{context.bot.username}?start={code}"


def qr_png(link: str) -> bytes:
    """The link as a QR-code PNG at least QR_PIXELS wide, marked for printing at QR_DPI."""
    # Q recovers from about a quarter of the symbol damaged: posters get torn and scribbled on.
    code = segno.make(link, error="q", micro=False)
    width, _ = code.symbol_size(scale=1, border=QR_BORDER)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=-(-QR_PIXELS // width), border=QR_BORDER, dpi=QR_DPI)
    return buffer.getvalue()


async def sources_command(update: Update, context: BotContext) -> None:
    """/sources, /sources add <code> [label], /sources remove <code>, /sources qr <code>."""
    chat_id = await _team_chat(update, context)
    if chat_id is None:
        return
    _ = (await context.catalog(update)).gettext
    services = context.services
    repo = services.repo
    args = context.args or []
    action = args[0].lower() if args else "list"
    actor = update.effective_user.id if update.effective_user else 0
    if action == "list" and len(args) <= 1:
        async with repo.transaction():
            await repo.audit(actor, "sources list", "", now=services.clock())
        await _send_list(context, chat_id, _)
        return
    if action not in ("add", "remove", "qr") or len(args) < 2 or (action != "add" and args[2:]):
        await context.bot.send_message(
            chat_id,
            _("Use /sources add CODE [LABEL], /sources remove CODE or /sources qr CODE."),
            parse_mode=None,
        )
        return
    code = args[1]
    if not SOURCE_CODE.match(code):
        await context.bot.send_message(
            chat_id,
            _(
                "A code is 1 to 64 characters, each a Latin letter, a digit, _ or -, for "
                "example poster_almaty."
            ),
            parse_mode=None,
        )
        return
    link = _link(context, code)
    if action == "add":
        label = " ".join(args[2:])
        async with repo.transaction():
            await repo.add_source(code, label, now=services.clock())
            await repo.audit(actor, "source add", f"{code} {label}".strip(), now=services.clock())
        text = _("Recruitment source {code} is registered. Its link: {link}")
        await context.bot.send_message(chat_id, text.format(code=code, link=link), parse_mode=None)
        return
    async with repo.transaction():
        if action == "remove":
            known = await repo.retire_source(code, now=services.clock())
        else:
            known = await repo.source_known(code)
        if known:
            await repo.audit(actor, f"source {action}", code, now=services.clock())
    if not known:
        text = _("There is no active recruitment source {code}. /sources lists them.")
        await context.bot.send_message(chat_id, text.format(code=code), parse_mode=None)
    elif action == "remove":
        text = _(
            "Recruitment source {code} is retired: whoever opens its link from now on is "
            "recorded as unregistered; those already recorded keep it."
        )
        await context.bot.send_message(chat_id, text.format(code=code), parse_mode=None)
    else:
        await context.bot.send_document(
            chat_id,
            document=qr_png(link),
            filename=f"qr-{code}.png",
            caption=_("The QR code of {link}").format(link=link),
            parse_mode=None,
        )


async def _send_list(context: BotContext, chat_id: int, _: Callable[[str], str]) -> None:
    """Every registered source: its label, its link and its figures, the retired ones last."""
    figures = await context.services.repo.source_figures()
    if not figures:
        await context.bot.send_message(
            chat_id,
            _("No recruitment source yet. Register one with /sources add CODE [LABEL]."),
            parse_mode=None,
        )
        return
    entries = [_("Recruitment sources:")]
    for source in figures:
        heading = f"{source.code} · {source.label}" if source.label else source.code
        if source.retired:
            heading += " " + _("(retired)")
        counts = _("started: {started} · consented: {consented} · submitted: {submitted}")
        entries.append(
            "\n".join(
                (
                    heading,
                    _link(context, source.code),
                    counts.format(
                        started=source.started,
                        consented=source.consented,
                        submitted=source.submitted,
                    ),
                )
            )
        )
    # split_plain escapes the labels for the default HTML parse mode, and splits a long list.
    for piece in split_plain("\n\n".join(entries)):
        await context.bot.send_message(chat_id, piece)
