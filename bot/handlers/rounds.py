"""Rounds, as a Delphi study runs them: /round, /round start, /round close, and the invitation.

`/round start` previews the invitation in the three languages with the number it goes to, then
opens the next round on the content version running: the invitations are queued in the outbox
in the same transaction (the pump sends them at the broadcast rate, outside quiet hours). A
returning respondent's tap on *Take part* starts the round's journey
(`consultation._join_round`); `/round close` stops accepting answers for the round.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.content import LANGUAGES, ContentError, load_content_text
from bot.handlers.team import Locale, refuse
from bot.handlers.views import Screen, Views, button
from bot.i18n import LANGUAGE_NAMES, format_number, translator
from bot.journey import Pseudo, callback
from bot.services import BotContext, Services

logger = logging.getLogger(__name__)

# r:<start|close|no>:<round>:<content version>: what the admin confirms, checked again on the tap.
CALLBACK = re.compile(r"^r:(start|close|no):([0-9]{1,6}):([0-9]{1,9})$")


def invitation_text(language: str, number: int) -> str:
    """The invitation to round `number`, in `language`."""
    _ = translator(language).gettext
    return _(
        "Creative Spark: round {round} of the consultation is open. The team has revised the "
        "conclusions with the comments people sent. For each one you will see how everyone "
        "answered in round {previous} and what you answered, and you can say again what you "
        "think: it takes about five minutes. (Send /stop if you would rather not hear from "
        "us.)"
    ).format(round=number, previous=number - 1)


def take_part_label(language: str, number: int) -> str:
    """The invitation's button."""
    return translator(language).gettext("▶️ Take part in round {round}").format(round=number)


def invitation(language: str, number: int) -> dict[str, Any]:
    """The outbox payload of the invitation: its text and its button."""
    return {
        "text": invitation_text(language, number),
        "buttons": [[take_part_label(language, number), callback(Pseudo.ROUND, str(number))]],
    }


def invitation_screen(views: Views, number: int) -> Screen:
    """The invitation, for someone who comes back to the bot on their own while it is open."""
    return Screen(
        (invitation_text(views.language, number),),
        InlineKeyboardMarkup(
            [[button(take_part_label(views.language, number), Pseudo.ROUND, str(number))]]
        ),
    )


async def _team(update: Update, context: BotContext) -> bool:
    """Whether an admin asks (the refusal sent otherwise), in a private chat or a team chat:
    /round shows counts only, nobody's answers."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or not context.services.is_admin(user.id):
        await refuse(update, context)
        return False
    return True


async def round_command(update: Update, context: BotContext) -> None:
    """/round (where the current round stands), /round start, /round close."""
    if not await _team(update, context):
        return
    chat = update.effective_chat
    assert chat is not None
    locale = await Locale.of(update, context)
    _ = locale._
    services = context.services
    action = (context.args or ["status"])[0].lower()
    current = services.round
    if action == "start":
        await _preview_start(context, chat.id, locale)
        return
    if action == "close":
        if not current.open:
            await _send(context, chat.id, _("Round {round} is closed already.").format(
                round=current.number
            ) + "\n" + _("/round start opens the next round."))  # fmt: skip
            return
        keyboard = _confirm(
            _("Close round {round}").format(round=current.number), "close", current.number,
            services.content.version, locale,
        )  # fmt: skip
        await _send(
            context,
            chat.id,
            _(
                "Close round {round}? Nobody can answer in it any more; respondents are thanked. "
                "/round start opens the next round."
            ).format(round=current.number),
            keyboard,
        )
        return
    if action != "status":
        await _send(context, chat.id, _("Use /round, /round start or /round close."))
        return
    await _send(context, chat.id, await status_text(services, locale))


async def status_text(services: Services, locale: Locale) -> str:
    """The current round: since when, on which version, its invitations and its answers."""
    _ = locale._
    current = services.round
    figures = await services.repo.round_figures(current.number)

    def number(value: int) -> str:
        return format_number(value, locale.language)

    state = _("open") if current.open else _("closed")
    since = _local(services, current.started_at)
    lines = [
        _("Round {round} · {state} · since {since}").format(
            round=current.number, state=state, since=since
        ),
    ]
    if current.content_version is not None and current.content_version != services.content.version:
        lines.append(
            _("Opened on content version {opened}; version {version} is running now.").format(
                opened=current.content_version, version=services.content.version
            )
        )
    else:
        lines.append(_("Content version: {version}").format(version=services.content.version))
    if current.number > 1:
        lines.append(
            _(
                "Invitations: {invited} · delivered {delivered} · waiting {waiting} · "
                "not delivered {undelivered}"
            ).format(
                invited=number(figures.invited),
                delivered=number(figures.delivered),
                waiting=number(figures.waiting),
                undelivered=number(figures.undelivered),
            )
        )
        lines.append(
            _("Returning respondents: {started} began · {submitted} submitted").format(
                started=number(figures.returning_started),
                submitted=number(figures.returning_submitted),
            )
        )
    lines.append(
        _("New respondents: {started} began · {submitted} submitted").format(
            started=number(figures.newcomers_started),
            submitted=number(figures.newcomers_submitted),
        )
    )
    return "\n".join(lines)


def _local(services: Services, stored: str) -> str:
    """A stored time in the bot's time zone, as the team's other messages write it."""
    if not stored:
        return "—"
    return f"{datetime.fromisoformat(stored).astimezone(services.settings.zone):%Y-%m-%d %H:%M}"


async def _preview_start(context: BotContext, chat_id: int, locale: Locale) -> None:
    """What opening the next round does, the invitation in each language, and the question."""
    _ = locale._
    services = context.services
    current, version = services.round, services.content.version
    following = current.number + 1
    invited = await services.repo.invitees(following)
    closing = (
        _("Round {round} closes: it accepts no more answers.").format(round=current.number)
        if current.open
        else _("Round {round} is closed already.").format(round=current.number)
    )
    count = locale.catalog.ngettext(
        "The invitation goes to {count} person who submitted in an earlier round and asked "
        "for news, at the broadcast rate, never in quiet hours:",
        "The invitation goes to {count} people who submitted in an earlier round and asked "
        "for news, at the broadcast rate, never in quiet hours:",
        invited,
    ).format(count=format_number(invited, locale.language))
    lines = [
        _("Open round {round} on content version {version}?").format(
            round=following, version=version
        ),
        closing,
    ]
    answered_on = await services.repo.round_version(current.number)
    if answered_on is not None and version <= answered_on:
        lines.append(
            _(
                "⚠️ Round {round} was answered on this version already: the invitation says "
                "the conclusions were revised. Send me the revised content file (.toml) first, "
                "then open the round."
            ).format(round=current.number)
        )
    if answered_on is not None and await _renumbered(services, answered_on):
        lines.append(
            _(
                "⚠️ Conclusions were added or removed since the version round {round} was "
                "answered on: each conclusion is shown beside the earlier answers to the "
                "conclusion with the same number."
            ).format(round=current.number)
        )
    lines.append(count)
    for language in LANGUAGES:
        lines += ["", f"[{LANGUAGE_NAMES[language]}]", invitation_text(language, following)]
        lines.append(f"[{take_part_label(language, following)}]")
    keyboard = _confirm(
        _("Open round {round}").format(round=following), "start", following, version, locale
    )
    await _send(context, chat_id, "\n".join(lines), keyboard)


async def _renumbered(services: Services, answered_on: int) -> bool:
    """Whether the running version has other conclusions than `answered_on` had (compared by
    their ids, conclusion-1 ...: a number now names another statement)."""
    if answered_on == services.content.version:
        return False
    text = await services.repo.content_text(answered_on)
    if text is None:  # the file it was answered on is not kept: nothing to compare
        return False
    try:
        earlier = await asyncio.to_thread(load_content_text, text, Path(f"version {answered_on}"))
    except ContentError:  # a rule newer than the file: it cannot be compared
        return False
    ids = [c.id for c in services.content.conclusions]
    return ids != [c.id for c in earlier.conclusions]


def _confirm(
    label: str, action: str, number: int, version: int, locale: Locale
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=f"r:{action}:{number}:{version}")],
            [InlineKeyboardButton(locale._("Cancel"), callback_data=f"r:no:{number}:{version}")],
        ]
    )


async def _send(
    context: BotContext, chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    await context.bot.send_message(chat_id, text, reply_markup=keyboard, parse_mode=None)


async def on_button(update: Update, context: BotContext) -> None:
    """The confirmation of /round start or /round close, checked again against the round and
    the content version running: a preview that is no longer true is refused."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    if not await _team(update, context):
        return
    services, repo = context.services, context.services.repo
    locale = await Locale.of(update, context)
    _ = locale._
    match = CALLBACK.match(query.data or "")
    if match is None:
        await query.answer(_("This button is not valid."))
        return
    action, number, version = match.group(1), int(match.group(2)), int(match.group(3))
    current = services.round
    await _remove_buttons(query.message)
    if action == "no":
        await query.answer()
        await _send(context, chat.id, _("Cancelled. Nothing was changed."))
        return
    expected = current.number + 1 if action == "start" else current.number
    if (
        number != expected
        or version != services.content.version
        or (action == "close" and not current.open)
    ):
        await query.answer()
        await _send(
            context,
            chat.id,
            _(
                "This confirmation is out of date: the round or the content version has changed "
                "since. Nothing was changed; here is where things stand."
            ) + "\n\n" + await status_text(services, locale),
        )  # fmt: skip
        return
    now = services.clock()
    if action == "close":
        async with repo.transaction():
            closed = await repo.close_round(number, by=user.id, now=now)
            if closed:
                await repo.audit(user.id, "round close", f"round {number}", now=now)
        services.round = await repo.current_round()
        await query.answer()
        await _send(
            context,
            chat.id,
            _(
                "Round {round} is closed: no more answers are accepted for it. /round start "
                "opens the next round."
            ).format(round=number),
        )
        return
    payloads = {
        language: json.dumps(invitation(language, number), ensure_ascii=False)
        for language in LANGUAGES
    }
    invited = 0
    async with repo.transaction():
        # A double tap: the first one opened it (services.round follows after the commit).
        already = (await repo.current_round()).number != number - 1
        if not already:
            invited = await repo.open_round(
                number, version=version, by=user.id, payloads=payloads, now=now
            )
            await repo.audit(
                user.id, "round start", f"round {number}, version {version}, {invited} invited",
                now=now,
            )  # fmt: skip
    if already:
        await query.answer()
        return
    services.round = await repo.current_round()
    services.shares.clear()
    logger.info("round %d opened on version %d: %d invited", number, version, invited)
    await query.answer()
    text = locale.catalog.ngettext(
        "Round {round} is open: {count} invitation is queued. /round shows how it goes.",
        "Round {round} is open: {count} invitations are queued. /round shows how it goes.",
        invited,
    ).format(round=number, count=format_number(invited, locale.language))
    await _send(context, chat.id, text)


async def _remove_buttons(message: object) -> None:
    """Take the confirmation's buttons off: it is answered."""
    if isinstance(message, Message):
        # Too old to edit, or edited already: nothing to tidy then.
        with contextlib.suppress(BadRequest):
            await message.edit_reply_markup(reply_markup=None)
