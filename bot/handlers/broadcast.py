"""/broadcast: an admin's guided message to respondents, sent through the durable outbox.

The flow, one step at a time, its state in the database (a restart loses nothing):
mode (one text for everyone, or one per language) → the text(s), Telegram formatting kept →
an optional picture or file → the audience → a preview exactly as recipients will see it,
with their number → Send. Cancel works at every step; `/broadcast status` and
`/broadcast cancel` while it is being sent. Buttons carry `b:<broadcast>:<action>[:<value>]`;
every one is checked against the admin and the draft, so forged or stale data changes nothing.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.content import LANGUAGES
from bot.handlers.team import Locale, refuse
from bot.i18n import LANGUAGE_NAMES, N_
from bot.jobs.sending import progress_text, send_broadcast_message
from bot.services import BotContext, Services
from bot.storage.records import Broadcast

logger = logging.getLogger(__name__)

CALLBACK = re.compile(r"^b:(\d{1,12}):([a-z]{1,12})(?::([\w\-.:]{1,50}))?$")
SOURCE_IN_BUTTON = 40  # longer recruitment codes do not fit a button's 64 bytes
CAPTION_LIMIT = 1024  # Telegram's caption limit, for a text that goes with a picture or file
TEXT_LIMIT = 4096
AUDIENCES = (
    ("all", N_("Everyone who asked for news")),
    ("language", N_("By language…")),
    ("group", N_("By stakeholder group…")),
    ("submitted", N_("Those who submitted")),
    ("unfinished", N_("Those who have not finished")),
    ("source", N_("By recruitment source…")),
)


def _button(label: str, broadcast: int, action: str, value: str = "") -> InlineKeyboardButton:
    data = f"b:{broadcast}:{action}" + (f":{value}" if value else "")
    return InlineKeyboardButton(label, callback_data=data)


def _keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([row for row in rows if row])


def _texts_needed(draft: dict[str, Any]) -> list[str]:
    return ["all"] if draft.get("mode") == "all" else list(LANGUAGES)


def _next_text(draft: dict[str, Any]) -> str | None:
    texts = draft.get("texts", {})
    return next((key for key in _texts_needed(draft) if key not in texts), None)


def audience_label(services: Services, audience: str, locale: Locale) -> str:
    """An audience in words, for the preview and the report."""
    kind, _sep, value = audience.partition(":")
    label = locale._(dict(AUDIENCES)[kind]).rstrip("…")
    if kind == "language":
        return f"{label}: {LANGUAGE_NAMES.get(value, value)}"
    if kind == "group":
        option = next((o for o in services.content.groups if o.id == value), None)
        return f"{label}: {option.label(locale.language) if option else value}"
    if kind == "source":
        return f"{label}: {value}"
    return label


# Commands -------------------------------------------------------------------------------------


async def broadcast_command(update: Update, context: BotContext) -> None:
    """/broadcast starts a draft; /broadcast status and /broadcast cancel while sending."""
    user, chat = update.effective_user, update.effective_chat
    services = context.services
    if user is None or chat is None or not services.is_admin(user.id):
        await refuse(update, context)
        return
    locale = await Locale.of(update, context)
    _ = locale._
    if chat.type != ChatType.PRIVATE:
        await context.bot.send_message(chat.id, _("Broadcasts are prepared in a private chat."))
        return
    argument = (context.args or [""])[0].lower()
    repo = services.repo
    if argument == "status":
        running = await repo.broadcasts_sending()
        lines = [await progress_text(services, b, locale.language) for b in running]
        await context.bot.send_message(
            chat.id, "\n".join(lines) or _("No broadcast is being sent."), parse_mode=None
        )
        return
    if argument == "cancel":
        await _cancel_all(update, context, locale)
        return
    async with repo.transaction():
        number = await repo.open_draft(user.id, chat.id, now=services.clock())
    await context.bot.send_message(
        chat.id,
        _("New broadcast. Will you write one text for everyone, or one per language?"),
        reply_markup=_keyboard(
            [_button(_("One text for everyone"), number, "mode", "all")],
            [_button(_("One text per language"), number, "mode", "each")],
            [_button(_("Cancel"), number, "cancel")],
        ),
    )


async def _cancel_all(update: Update, context: BotContext, locale: Locale) -> None:
    """Cancel the admin's draft and every broadcast being sent."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    repo = context.services.repo
    draft = await repo.draft(user.id)
    running = await repo.broadcasts_sending()
    await _cancel(context, chat.id, user.id, ([draft] if draft else []) + running, locale)


async def _cancel(
    context: BotContext, chat_id: int, actor: int, broadcasts: list[Broadcast], locale: Locale
) -> None:
    """Cancel drafts and broadcasts being sent (those in the audit log), and say what it did."""
    _ = locale._
    services = context.services
    broadcasts = [b for b in broadcasts if b.status in ("draft", "sending")]
    if not broadcasts:
        await context.bot.send_message(chat_id, _("There is no broadcast to cancel."))
        return
    dropped = 0
    async with services.repo.transaction():
        for broadcast in broadcasts:
            count = await services.repo.cancel_broadcast(broadcast.id, now=services.clock())
            dropped += count
            if broadcast.status == "sending":
                await services.repo.audit(
                    actor, "broadcast cancelled", f"#{broadcast.id}, {count} not sent",
                    now=services.clock(),
                )  # fmt: skip
    await context.bot.send_message(
        chat_id, _("Cancelled. Messages not yet sent: {count}.").format(count=dropped)
    )


# Typed input: the texts and the picture or file ---------------------------------------------


async def on_admin_input(update: Update, context: BotContext) -> None:
    """An admin's message while a draft waits for a text or a file (runs before the journey)."""
    user, message = update.effective_user, update.effective_message
    services = context.services
    if user is None or message is None or not services.is_admin(user.id):
        return  # a respondent: the journey handles it
    draft = await services.repo.draft(user.id)
    if draft is None:
        return
    locale = await Locale.of(update, context)
    if draft.step == "text":
        await _take_text(context, draft, message, locale)
    elif draft.step == "media" and (message.photo or message.document):
        await _take_media(context, draft, message, locale)
    else:
        await message.reply_text(
            locale._("Please use the buttons above, or /broadcast cancel to stop this broadcast.")
        )
    raise ApplicationHandlerStop


async def _take_text(
    context: BotContext, draft: Broadcast, message: Message, locale: Locale
) -> None:
    _ = locale._
    text = message.text_html if message.text else None
    if not text:
        await message.reply_text(_("Please send the text of the message."))
        return
    if len(text) > TEXT_LIMIT:
        await message.reply_text(
            _("That is too long for one message: at most {limit} characters, please.").format(
                limit=TEXT_LIMIT
            )
        )
        return
    key = _next_text(draft.draft)
    texts = {**draft.draft.get("texts", {}), key: text}
    state = {**draft.draft, "texts": texts}
    step = "text" if _next_text(state) else "media"
    async with context.services.repo.transaction():
        await context.services.repo.update_draft(
            draft.id, step=step, draft=state, audience=draft.audience
        )
    await _prompt(context, draft.id, draft.admin_chat, state, step, locale=locale)


async def _take_media(
    context: BotContext, draft: Broadcast, message: Message, locale: Locale
) -> None:
    _ = locale._
    if any(len(text) > CAPTION_LIMIT for text in draft.draft.get("texts", {}).values()):
        await message.reply_text(
            _(
                "A text that goes with a picture or file can have at most {limit} characters. "
                "Press Skip to send the text alone, or /broadcast to start again."
            ).format(limit=CAPTION_LIMIT)
        )
        return
    if message.photo:
        media = {"kind": "photo", "file_id": message.photo[-1].file_id}
    else:
        assert message.document is not None
        media = {"kind": "document", "file_id": message.document.file_id}
    state = {**draft.draft, "media": media}
    async with context.services.repo.transaction():
        await context.services.repo.update_draft(
            draft.id, step="audience", draft=state, audience=None
        )
    await _prompt(context, draft.id, draft.admin_chat, state, "audience", locale=locale)


async def _prompt(
    context: BotContext, number: int, chat_id: int, draft: dict[str, Any], step: str, *,
    locale: Locale,
) -> None:  # fmt: skip
    """Ask for what the draft needs next."""
    _ = locale._
    cancel = [_button(_("Cancel"), number, "cancel")]
    if step == "text":
        key = _next_text(draft)
        question = (
            _("Send the text for everyone. Bold, italics and links are kept.")
            if key == "all"
            else _("Send the text in {language}. Bold, italics and links are kept.").format(
                language=LANGUAGE_NAMES[key or "en"]
            )
        )
        await context.bot.send_message(chat_id, question, reply_markup=_keyboard(cancel))
    elif step == "media":
        await context.bot.send_message(
            chat_id,
            _("Send a picture or a file to go with it, or press Skip."),
            reply_markup=_keyboard([_button(_("Skip"), number, "skip")], cancel),
        )
    elif step == "audience":
        await context.bot.send_message(
            chat_id,
            _("Who should receive it? Only people who asked for news ever do."),
            reply_markup=_keyboard(
                *[[_button(_(label), number, "aud", kind)] for kind, label in AUDIENCES], cancel
            ),
        )


# Buttons ------------------------------------------------------------------------------------


async def on_button(update: Update, context: BotContext) -> None:
    """Every `b:` button: checked against the admin, the draft and the choices offered."""
    query, user = update.callback_query, update.effective_user
    services = context.services
    if query is None or user is None:
        return
    if not services.is_admin(user.id):
        await refuse(update, context)
        return
    locale = await Locale.of(update, context)
    _ = locale._
    match = CALLBACK.match(query.data or "")
    broadcast = await services.repo.broadcast(int(match.group(1))) if match else None
    if match is None or broadcast is None or broadcast.admin_id != user.id:
        await query.answer(_("This button is not valid."))
        return
    action, value = match.group(2), match.group(3) or ""
    if action == "cancel":
        await _cancel(context, query_chat(update), user.id, [broadcast], locale)
        await query.answer()
        return
    if broadcast.status != "draft":
        await query.answer(_("This broadcast is no longer a draft."))
        return
    handled = await _on_draft_button(context, broadcast, action, value, locale)
    await query.answer(None if handled else _("This button is not valid."))


def query_chat(update: Update) -> int:
    """The chat a button was pressed in."""
    chat = update.effective_chat
    assert chat is not None
    return chat.id


async def _on_draft_button(
    context: BotContext, broadcast: Broadcast, action: str, value: str, locale: Locale
) -> bool:
    """Move the draft on; False for a button that does not belong to its step."""
    services = context.services
    repo = services.repo
    draft, chat_id = broadcast.draft, broadcast.admin_chat
    if action == "mode" and broadcast.step == "mode" and value in ("all", "each"):
        state = {"mode": value, "texts": {}}
        async with repo.transaction():
            await repo.update_draft(broadcast.id, step="text", draft=state, audience=None)
        await _prompt(context, broadcast.id, chat_id, state, "text", locale=locale)
        return True
    if action == "skip" and broadcast.step == "media":
        async with repo.transaction():
            await repo.update_draft(broadcast.id, step="audience", draft=draft, audience=None)
        await _prompt(context, broadcast.id, chat_id, draft, "audience", locale=locale)
        return True
    if action == "aud" and broadcast.step == "audience":
        return await _choose_audience(context, broadcast, value, locale)
    if action == "to" and broadcast.step == "audience":
        return await _preview(context, broadcast, value, locale)
    if action == "send" and broadcast.step == "preview" and broadcast.audience:
        await _send(context, broadcast, locale)
        return True
    return False


async def _choose_audience(
    context: BotContext, broadcast: Broadcast, kind: str, locale: Locale
) -> bool:
    """All, submitted, unfinished go to the preview; the others ask which one first."""
    _ = locale._
    services = context.services
    if kind in ("all", "submitted", "unfinished"):
        return await _preview(context, broadcast, kind, locale)
    if kind == "language":
        choices = [(f"language:{code}", LANGUAGE_NAMES[code]) for code in LANGUAGES]
    elif kind == "group":
        choices = [(f"group:{o.id}", o.label(locale.language)) for o in services.content.groups]
    elif kind == "source":
        sources = await services.repo.sources()
        choices = [(f"source:{c}", c) for c in sources if len(c) <= SOURCE_IN_BUTTON][:30]
    else:
        return False
    rows = [[_button(label, broadcast.id, "to", value)] for value, label in choices]
    await context.bot.send_message(
        broadcast.admin_chat,
        _("Which one?"),
        reply_markup=_keyboard(*rows, [_button(_("Cancel"), broadcast.id, "cancel")]),
        parse_mode=None,
    )
    return True


def _valid_audience(services: Services, audience: str, sources: list[str]) -> bool:
    kind, _sep, value = audience.partition(":")
    if kind in ("all", "submitted", "unfinished"):
        return not value
    if kind == "language":
        return value in LANGUAGES
    if kind == "group":
        return any(o.id == value for o in services.content.groups)
    return kind == "source" and value in sources


async def _preview(
    context: BotContext, broadcast: Broadcast, audience: str, locale: Locale
) -> bool:
    """Show the message as recipients will see it, with how many will get it."""
    _ = locale._
    services = context.services
    repo = services.repo
    if not _valid_audience(services, audience, await repo.sources()):
        return False
    count = await repo.audience(audience)
    async with repo.transaction():
        await repo.update_draft(
            broadcast.id, step="preview", draft=broadcast.draft, audience=audience
        )
    chat_id = broadcast.admin_chat
    texts = broadcast.draft.get("texts", {})
    for key in _texts_needed(broadcast.draft):
        if key != "all":
            await context.bot.send_message(
                chat_id, _("Preview, {language}:").format(language=LANGUAGE_NAMES[key])
            )
        await send_broadcast_message(context, chat_id, texts[key], broadcast.draft.get("media"))
    await context.bot.send_message(
        chat_id,
        _("Recipients: {count} ({audience}). Send it now?").format(
            count=count, audience=audience_label(services, audience, locale)
        ),
        reply_markup=_keyboard(
            [_button(_("Send now"), broadcast.id, "send")],
            [_button(_("Cancel"), broadcast.id, "cancel")],
        ),
        parse_mode=None,
    )
    return True


async def _send(context: BotContext, broadcast: Broadcast, locale: Locale) -> None:
    """Queue the broadcast, once however often Send is pressed; the pump does the rest."""
    services = context.services
    repo = services.repo
    assert broadcast.audience is not None
    async with repo.transaction():
        current = await repo.broadcast(broadcast.id)
        if current is None or current.status != "draft":
            return  # a double tap: the first one queued it
        total = await repo.start_broadcast(broadcast.id, broadcast.audience, now=services.clock())
        await repo.audit(
            broadcast.admin_id, "broadcast",
            f"#{broadcast.id} to {broadcast.audience}: {total} recipients", now=services.clock(),
        )  # fmt: skip
    started = await repo.broadcast(broadcast.id)
    assert started is not None
    text = await progress_text(services, started, locale.language)
    try:
        sent = await context.bot.send_message(broadcast.admin_chat, text, parse_mode=None)
    except TelegramError:
        logger.warning("the progress message could not be sent")
        return
    async with repo.transaction():
        await repo.set_progress(broadcast.id, sent.message_id, text)
