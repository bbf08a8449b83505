"""What every screen is made of: messages, buttons, and the pieces the step screens share.

Each kind of step renders its own screen (`bot/handlers/steps/`); this module holds the blocks
they have in common: the Back and Skip rows, a conclusion's header, a comment shown back, the
limits, the thank-you and the offer to resume, the language choice.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.content import LANGUAGES, Content, Option
from bot.i18n import LANGUAGE_NAMES, N_, format_number, language_for, translator
from bot.journey import (
    CONTINUE,
    KEEP,
    PREFER_NOT_VALUE,
    SKIP,
    SKIPPED_VALUE,
    START_OVER,
    WIPE,
    Journey,
    Pseudo,
    Step,
    callback,
)
from bot.rounds import Feedback
from bot.storage.records import COMMENT_LIMIT, VOICE_LIMIT, Answer, Participant

MESSAGE_BUDGET = 4000  # below Telegram's 4096, leaving room for HTML entities' expansion
LONG_SCREEN = 500  # characters: a screen longer than this is not re-sent whole after a hint
BUTTON_WIDTH = 30  # characters a button alone in its row shows on a phone
BUTTONS = 8_192  # buttons kept built: every screen of every language, with room to spare
EXCERPT = 600  # characters: a comment longer than this is shown by its opening words
EXCERPT_OPENING = 300
# A date as each language writes it, the month named; the language orders day, month and year.
MONTHS = (
    N_("{day} January {year}"),
    N_("{day} February {year}"),
    N_("{day} March {year}"),
    N_("{day} April {year}"),
    N_("{day} May {year}"),
    N_("{day} June {year}"),
    N_("{day} July {year}"),
    N_("{day} August {year}"),
    N_("{day} September {year}"),
    N_("{day} October {year}"),
    N_("{day} November {year}"),
    N_("{day} December {year}"),
)


@dataclass(frozen=True, slots=True)
class Screen:
    """One or more messages: HTML blocks packed into messages, the keyboard on the last."""

    blocks: tuple[str, ...]
    keyboard: InlineKeyboardMarkup | None = None

    def messages(self) -> list[str]:
        """Pack the blocks into message texts, none longer than Telegram allows."""
        texts: list[str] = []
        current = ""
        for block in self.blocks:
            candidate = f"{current}\n\n{block}" if current else block
            if len(candidate) <= MESSAGE_BUDGET:
                current = candidate
                continue
            if current:
                texts.append(current)
            current = block
        if current:
            texts.append(current)
        return texts

    @property
    def long(self) -> bool:
        """Whether the screen fills a phone: more than one message, or more than LONG_SCREEN
        characters. A hint then repeats its short prompt instead of the whole of it."""
        texts = self.messages()
        return len(texts) > 1 or sum(len(text) for text in texts) > LONG_SCREEN


def split_plain(text: str, limit: int = MESSAGE_BUDGET // 2) -> list[str]:
    """Split user text into escaped pieces that fit a message, at line or word boundaries."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n ")
    pieces.append(rest)
    return [escape(piece, quote=False) for piece in pieces if piece]


@functools.lru_cache(maxsize=BUTTONS)
def button(label: str, step: str, value: str, flag: bool | None = None) -> InlineKeyboardButton:
    """A button that answers `step` with `value` (the same arguments, the same immutable
    button: screens are built for every update, their buttons only once)."""
    return InlineKeyboardButton(label, callback_data=callback(step, value, flag))


@functools.lru_cache(maxsize=BUTTONS)
def _keyboard(rows: tuple[tuple[InlineKeyboardButton, ...], ...]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(rows)


def keyboard_of(rows: Iterable[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    """The keyboard of these rows of buttons: the same rows, the same immutable keyboard (a
    screen's keyboard is built once, not for every update that shows it)."""
    return _keyboard(tuple(map(tuple, rows)))


@functools.lru_cache(maxsize=BUTTONS)
def chosen_keyboard(label: str) -> InlineKeyboardMarkup:
    """The keyboard left on an answered question: one inert button showing the choice, ticked
    once (a re-picked answer's label is ticked already)."""
    ticked = label if label.startswith("✓ ") else f"✓ {label}"
    return InlineKeyboardMarkup([[button(ticked, Pseudo.CHOSEN, "0")]])


def marked(label: str, stored: bool) -> str:
    """A button label, ticked when it is the answer already stored."""
    return f"✓ {label}" if stored else label


def rows(
    buttons: Sequence[InlineKeyboardButton], columns: int
) -> list[list[InlineKeyboardButton]]:
    """Buttons laid out `columns` to a row."""
    return [list(buttons[i : i + columns]) for i in range(0, len(buttons), columns)]


class Views:
    """The shared pieces of screens, for one participant in their language."""

    def __init__(
        self,
        content: Content,
        journey: Journey,
        participant: Participant,
        *,
        bot_username: str | None = None,
    ) -> None:
        self.content = content
        self.journey = journey
        self.p = participant
        self.bot_username = bot_username  # for the link to share, on the thank-you
        self.feedback: Feedback | None = None  # a later round's: what the round before said
        self.language = language_for(participant.language, participant.language_code)
        catalog = translator(self.language)
        self._ = catalog.gettext
        self.ngettext = catalog.ngettext

    # Navigation rows ------------------------------------------------------------------------

    def back_row(self, step: str) -> list[InlineKeyboardButton]:
        """The Back button of `step`, or nothing where there is no way back."""
        if self.journey.previous_step(step, editing=self.p.editing) is None:
            return []
        return [button(self._("« Back"), Pseudo.BACK, step)]

    def skip_back_row(
        self, step: str, skip_label: str | None = None
    ) -> list[InlineKeyboardButton]:
        """Skip, then Back."""
        return [button(skip_label or self._("Skip »"), step, SKIP), *self.back_row(step)]

    def keep_row(self, step: str, answer: str) -> list[InlineKeyboardButton]:
        """Keep the stored answer `answer` (while editing from the review): named when the
        name fits the button, else 'Keep my answer' (the answer is ticked above it)."""
        label = self._("Keep: {answer}").format(answer=answer)
        if len(label) > BUTTON_WIDTH:
            label = self._("Keep my answer")
        return [button(label, step, KEEP)]

    def conclusion_header(self, number: int) -> str:
        """'3 / 6 · Title' in bold."""
        conclusion = self.content.conclusions[number - 1]
        return (
            f"<b>{number} / {len(self.journey.conclusions)} · "
            f"{escape(conclusion.title(self.language), quote=False)}</b>"
        )

    def stance_name(self, stance: int) -> str:
        """A stance as its button names it, escaped."""
        label = self.content.stance_label(stance)
        return escape(label(self.language) if label else str(stance), quote=False)

    def feedback_block(self, item: str) -> str | None:
        """In a later round: how everyone answered `item` in the round before (only when
        enough did), and what the respondent answered last time; None outside one."""
        feedback = self.feedback
        if feedback is None:
            return None
        _ = self._
        previous = feedback.previous
        shares = feedback.shown(item)
        if shares is None:
            lines = [_("Round {round}: too few answers to show yet.").format(round=previous)]
        else:
            agree, neutral, disagree = shares.percentages()
            n = format_number(shares.n, self.language)
            lines = [
                _("<b>How everyone answered in round {round}</b> (n = {n}):").format(
                    round=previous, n=n
                ),
                _("agree {agree}% · neither {neutral}% · disagree {disagree}%").format(
                    agree=agree, neutral=neutral, disagree=disagree
                ),
            ]
        own = feedback.own.get(item)
        if own is None:
            lines.append(_("You had not answered this conclusion before."))
        elif own[1] is None:
            lines.append(_("In round {round} you skipped it.").format(round=own[0]))
        else:
            lines.append(
                _("Your answer in round {round}: <b>{view}</b>").format(
                    round=own[0], view=self.stance_name(own[1])
                )
            )
        return "\n".join(lines)

    def voice_note(self, count: int, seconds: int) -> str:
        """'🎙 2 voice messages (1:42 in all)'; an hour or more as h:mm:ss."""
        hours, rest = divmod(seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        duration = f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
        return self.ngettext(
            "🎙 {count} voice message ({duration})",
            "🎙 {count} voice messages ({duration} in all)",
            count,
        ).format(count=count, duration=duration)

    def moment(self, stored: str | None, zone: tzinfo) -> str:
        """A stored time (ISO 8601) as the respondent reads it, in the bot's time zone:
        '2 December 2026, 14:05'; '—' when there is none."""
        if not stored:
            return "—"
        local = datetime.fromisoformat(stored).astimezone(zone)
        date = self._(MONTHS[local.month - 1]).format(day=local.day, year=local.year)
        return f"{date}, {local:%H:%M}"

    def limit_reached(self, what: str) -> str:
        """Why a comment part ("part"), an edit ("edit") or a voice message ("voice") was not
        added: the comment holds as much as it may. Nothing stored is lost."""
        if what == "voice":
            return self.ngettext(
                "This comment already holds {count} voice message, the most it can, so this one "
                "was not added. Everything you sent before is saved.",
                "This comment already holds {count} voice messages, the most it can, so this one "
                "was not added. Everything you sent before is saved.",
                VOICE_LIMIT,
            ).format(count=VOICE_LIMIT)
        if what == "edit":
            return self.ngettext(
                "This edit would take your comment past its limit of {limit} character, so the "
                "comment stays as it was.",
                "This edit would take your comment past its limit of {limit} characters, so the "
                "comment stays as it was.",
                COMMENT_LIMIT,
            ).format(limit=format_number(COMMENT_LIMIT, self.language))
        return self.ngettext(
            "Your comment has reached its limit of {limit} character, so this message was not "
            "added. Everything you sent before is saved.",
            "Your comment has reached its limit of {limit} characters, so this message was not "
            "added. Everything you sent before is saved.",
            COMMENT_LIMIT,
        ).format(limit=format_number(COMMENT_LIMIT, self.language))

    # Answers shown back, and the end -------------------------------------------------------

    def option_label(self, options: Sequence[Option], value: str | None) -> str:
        """A stored profile answer as the respondent reads it."""
        _ = self._
        if value is None:
            return _("not answered")
        if value == SKIPPED_VALUE:
            return _("skipped")
        if value == PREFER_NOT_VALUE:
            return _("prefer not to say")
        option = next((o for o in options if o.id == value), None)
        return escape(option.label(self.language) if option else value, quote=False)

    def comment_blocks(
        self, answer: Answer | None, *, full: bool = False, quoted: bool = True
    ) -> list[str]:
        """A stored comment as blocks: a long one as its opening words and its length (every
        screen that shows it stays short), the whole of it when `full` (/mydata)."""
        if answer is None:
            return []
        blocks = []
        if answer.comment:
            if full or len(answer.comment) <= EXCERPT:
                pieces = split_plain(answer.comment)
            else:
                pieces = [self.excerpt(answer.comment)]
            if quoted:
                pieces[0] = f"💬 {pieces[0]}"
            blocks.extend(pieces)
        if answer.voice_count:
            blocks.append(self.voice_note(answer.voice_count, answer.voice_duration or 0))
        return blocks

    def excerpt(self, comment: str) -> str:
        """The opening words of a long comment, then how long it is in all."""
        cut = comment.rfind(" ", 0, EXCERPT_OPENING)
        opening = comment[: cut if cut > EXCERPT_OPENING // 2 else EXCERPT_OPENING].rstrip()
        length = self.ngettext(
            "({count} character in all)", "({count} characters in all)", len(comment)
        ).format(count=format_number(len(comment), self.language))
        return f"{escape(opening, quote=False)}… <i>{length}</i>"

    def thanks(self) -> Screen:
        """The thank-you after submitting, with a link to share."""
        _ = self._
        blocks = [self.content.closing(self.language)]
        if self.bot_username:
            blocks.append(
                _("Please share the consultation with others: {link}").format(
                    link=f"https://t.me/{self.bot_username}"
                )
            )
        blocks.append(
            _("You can change your answers while the consultation is open: send /start.")
        )
        return Screen(tuple(blocks))

    def resume(self, *, welcome: bool = True) -> Screen:
        """The offer to a returning respondent; without its welcome when they were just
        welcomed back (after /stop)."""
        _ = self._
        question = (
            _("Welcome back! Would you like to continue where you left off?")
            if welcome
            else _("Would you like to continue where you left off?")
        )
        return Screen(
            (question,),
            InlineKeyboardMarkup(
                [
                    [button(_("▶️ Continue where I left off"), Pseudo.RESUME, CONTINUE)],
                    [button(_("🔄 Start over"), Pseudo.RESUME, START_OVER)],
                ]
            ),
        )

    def confirm_start_over(self) -> Screen:
        """The question before every answer is erased (of the round, in a later round's
        journey: the earlier rounds' stay)."""
        _ = self._
        question = (
            _(
                "Erase your answers of round {round} and start it again from the first "
                "conclusion? Your answers of earlier rounds stay."
            ).format(round=self.p.round)
            if self.journey.returning
            else _("Erase all your answers and start again from the first question?")
        )
        return Screen(
            (question,),
            InlineKeyboardMarkup(
                [
                    [button(_("Yes, start over"), Pseudo.RESUME, WIPE)],
                    [button(_("No, continue"), Pseudo.RESUME, CONTINUE)],
                ]
            ),
        )


def language_name(code: str | None) -> str:
    """A language code as people read it: 'kk' → 'Қазақша' (a code the bot has not: as it is)."""
    if not code:
        return "—"
    return LANGUAGE_NAMES.get(code[:2].lower(), code)


def language_screen(suggested: str | None, *, welcome: bool = True) -> Screen:
    """The trilingual language choice, state language first, Telegram's suggestion marked; the
    welcome only for a newcomer (/language later asks for the language and nothing else)."""
    msgid = (
        N_("Welcome! Please choose your language.")
        if welcome
        else N_("Choose the bot's language.")
    )
    prompt = "\n".join(translator(language).gettext(msgid) for language in LANGUAGES)
    rows = []
    for language in LANGUAGES:
        mark = " ✓" if suggested and suggested.lower().startswith(language) else ""
        rows.append([button(f"{LANGUAGE_NAMES[language]}{mark}", Step.LANGUAGE, language)])
    return Screen((prompt,), InlineKeyboardMarkup(rows))


def language_offer(written_in: str, chosen: str) -> Screen:
    """Ask, in the language the respondent writes in, whether the bot should switch to it."""
    prompt = translator(written_in).gettext(
        "It looks like you are writing in English. Which language should the bot use?"
    )
    return Screen(
        (prompt,),
        InlineKeyboardMarkup(
            [
                [button(LANGUAGE_NAMES[written_in], Step.LANGUAGE, written_in)],
                [button(LANGUAGE_NAMES[chosen], Pseudo.STAY, chosen)],
            ]
        ),
    )
