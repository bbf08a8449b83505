"""What the respondent sees at each step: texts and keyboards, built from content and catalogs."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import journey as j
from bot.content import LANGUAGES, Content, MultiQuestion, Option
from bot.i18n import format_number, translator
from bot.journey import Journey, callback
from bot.storage.repository import COMMENT_LIMIT, VOICE_LIMIT, Answer, Participant

Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]

MESSAGE_BUDGET = 4000  # below Telegram's 4096, leaving room for HTML entities' expansion
EXCERPT = 600  # characters: a comment longer than this is shown by its opening words
EXCERPT_OPENING = 300
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
CHOSEN = "x"  # the step of the inert button that shows what was chosen on an answered question


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


def button(label: str, step: str, value: str, flag: bool | None = None) -> InlineKeyboardButton:
    """A button that answers `step` with `value`."""
    return InlineKeyboardButton(label, callback_data=callback(step, value, flag))


def chosen_keyboard(label: str) -> InlineKeyboardMarkup:
    """The keyboard left on an answered question: one inert button showing the choice."""
    return InlineKeyboardMarkup([[button(f"✓ {label}", CHOSEN, "0")]])


def marked(label: str, stored: bool) -> str:
    """A button label, ticked when it is the answer already stored."""
    return f"✓ {label}" if stored else label


def _rows(
    buttons: Sequence[InlineKeyboardButton], columns: int
) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + columns]) for i in range(0, len(buttons), columns)]


class Views:
    """Renders steps for one participant in their language."""

    def __init__(self, content: Content, journey: Journey, participant: Participant) -> None:
        self.content = content
        self.journey = journey
        self.p = participant
        suggested = (participant.language_code or "")[:2]
        self.language = participant.language or (suggested if suggested in LANGUAGES else "en")
        catalog = translator(self.language)
        self._ = catalog.gettext
        self.ngettext = catalog.ngettext

    # Navigation rows ------------------------------------------------------------------------

    def _back(self, step: str) -> list[InlineKeyboardButton]:
        if self.journey.previous_step(step, editing=self.p.editing) is None:
            return []
        return [button(self._("« Back"), "back", step)]

    def _skip_back(self, step: str, skip_label: str | None = None) -> list[InlineKeyboardButton]:
        return [button(skip_label or self._("Skip »"), step, j.SKIP), *self._back(step)]

    # Steps ------------------------------------------------------------------------------------

    def step(self, step: str, answers: dict[str, Answer]) -> Screen:
        """The screen that asks the question of `step`."""
        _ = self._
        if step == j.LANGUAGE:
            return language_screen(self.p.language_code)
        if step == j.AGE:
            return Screen(
                (self.content.welcome(self.language), _("First, are you 18 or older?")),
                InlineKeyboardMarkup(
                    [
                        [button(_("Yes, I am 18 or older"), j.AGE, j.YES)],
                        [button(_("No, I am under 18"), j.AGE, j.NO)],
                    ]
                ),
            )
        if step == j.CONSENT:
            return Screen(
                (self.content.consent.render(self.language),),
                InlineKeyboardMarkup(
                    [
                        [button(_("I agree"), j.CONSENT, j.YES)],
                        [button(_("No, thanks"), j.CONSENT, j.NO)],
                    ]
                ),
            )
        if step == j.QUOTE:
            return self._yes_no(
                step,
                self.p.may_quote,
                _(
                    "Thank you! May we quote your comments in our reports, anonymously "
                    "(without your name)?"
                ),
                _("Yes, you may quote me"),
                _("No, please don't quote me"),
            )
        if step == j.NEWS:
            return self._yes_no(
                step,
                self.p.wants_news,
                _("Would you like to receive news about the consultation and its results here?"),
                _("Yes, send me news"),
                _("No news, thanks"),
            )
        if step in j.PROFILE_STEPS:
            return self._profile(step)
        number = j.conclusion_number(step)
        if number is not None and step.startswith("s"):
            return self._stance(number, answers.get(self.journey.item(step) or ""))
        if number is not None:
            return self._comment(step, answers.get(self.journey.item(step) or ""))
        if step in (j.SECTORS, j.MARKETS):
            answer = answers.get(self.journey.item(step) or "")
            return self._multi(step, answer.choices if answer else ())
        if step == j.IDEA:
            return self._comment(step, answers.get("idea"))
        if step == j.REVIEW:
            return self.review(answers)
        if step == j.DONE:
            return self.thanks()
        if step == j.DECLINED:
            return Screen(
                (_("You chose not to take part. If you change your mind, send /start."),)
            )
        return Screen((_("Send /start to begin."),))

    def _yes_no(self, step: str, stored: bool | None, question: str, yes: str, no: str) -> Screen:
        rows = [
            [button(marked(yes, stored is True), step, j.YES)],
            [button(marked(no, stored is False), step, j.NO)],
        ]
        if back := self._back(step):
            rows.append(back)
        return Screen((question,), InlineKeyboardMarkup(rows))

    def profile_options(self, step: str) -> tuple[Option, ...]:
        """The content options of a profile step."""
        return {
            "grp": self.content.groups,
            "reg": self.content.regions,
            "ageb": self.content.age_bands,
            "gen": self.content.genders,
        }[step]

    def _profile(self, step: str) -> Screen:
        _ = self._
        questions = {
            "grp": _("Which group describes you best?"),
            "reg": _("Where do you live?"),
            "ageb": _("How old are you?"),
            "gen": _("What is your gender?"),
        }
        position = list(j.PROFILE_STEPS).index(step) + 1
        header = _("About you · {position} / {total}").format(
            position=position, total=len(j.PROFILE_STEPS)
        )
        intro = (
            _("A few questions about you. Each one may be skipped.")
            if step == j.FIRST_QUESTION
            else None
        )
        options = self.profile_options(step)
        stored = self.p.profile(j.PROFILE_STEPS[step])
        columns = 2 if step in ("reg", "ageb") else 1
        rows = _rows(
            [button(marked(o.label(self.language), o.id == stored), step, o.id) for o in options],
            columns,
        )
        prefer_not = marked(_("Prefer not to say"), stored == j.PREFER_NOT_VALUE)
        rows.append([button(prefer_not, step, j.PREFER_NOT)])
        rows.append(self._skip_back(step))
        blocks = [f"<b>{escape(header)}</b>"]
        if intro:
            blocks.append(intro)
        blocks.append(questions[step])
        return Screen(("\n".join(blocks),), InlineKeyboardMarkup(rows))

    def conclusion_header(self, number: int) -> str:
        """'3 / 6 · Title' in bold."""
        conclusion = self.content.conclusions[number - 1]
        return (
            f"<b>{number} / {self.journey.conclusions} · "
            f"{escape(conclusion.title(self.language), quote=False)}</b>"
        )

    def _stance(self, number: int, answer: Answer | None) -> Screen:
        _ = self._
        step = j.stance_step(number)
        conclusion = self.content.conclusions[number - 1]
        prompt = _("How far do you agree with this conclusion?")
        text = (
            f"{self.conclusion_header(number)}\n\n{conclusion.text(self.language)}\n\n"
            f"<i>{prompt}</i>"
        )
        stored = str(answer.stance) if answer and answer.stance is not None else None
        rows = [
            [button(marked(s.label(self.language), s.id == stored), step, s.id)]
            for s in self.content.stances
        ]
        rows.append(self._skip_back(step))
        return Screen((text,), InlineKeyboardMarkup(rows))

    def _comment(self, step: str, answer: Answer | None) -> Screen:
        _ = self._
        number = j.conclusion_number(step)
        if step == j.IDEA:
            question = self.content.idea(self.language)
        else:
            assert number is not None
            question = "\n".join(
                (
                    self.conclusion_header(number),
                    _(
                        "Would you like to add a comment? Type it (several messages are fine) "
                        "or send a voice message."
                    ),
                )
            )
        blocks = [question]
        rows: list[list[InlineKeyboardButton]] = []
        if answer and answer.has_comment:
            blocks.append(_("<b>Your comment so far:</b>"))
            blocks.extend(self._comment_blocks(answer, quoted=False))
            blocks.append(_("Type more to add to it, or tap Done."))
            rows.append([button(_("Done ✓"), step, j.DONE_VALUE)])
            rows.append([button(_("Remove my comment"), step, j.REMOVE_VALUE)])
        else:
            label = _("Skip »") if step == j.IDEA else _("No comment »")
            rows.append([button(label, step, j.NONE_VALUE)])
        if back := self._back(step):
            rows.append(back)
        return Screen(tuple(blocks), InlineKeyboardMarkup(rows))

    def comment_saved(
        self, step: str, comment: str | None, voices: Answer | None, *, note: str | None = None
    ) -> Screen:
        """The reply to a comment part or a voice message (`voices`: the answer after it, with
        its voice messages): saved, add more or Done; `note` instead when nothing was added."""
        _ = self._
        lines = [note] if note else []
        if voices is not None:
            lines.append(self.voice_note(voices.voice_count, voices.voice_duration or 0))
        if comment:
            count = len(comment)
            lines.append(
                self.ngettext(
                    "✓ Your comment is saved ({count} character).",
                    "✓ Your comment is saved ({count} characters).",
                    count,
                ).format(count=count)
            )
        lines.append(_("Tap Done to move on.") if note else _("Add more, or tap Done to move on."))
        rows = [[button(_("Done ✓"), step, j.DONE_VALUE)]]
        if back := self._back(step):
            rows.append(back)
        return Screen(("\n".join(lines),), InlineKeyboardMarkup(rows))

    def voice_note(self, count: int, seconds: int) -> str:
        """'🎙 2 voice messages (1:42 in all)'."""
        return self.ngettext(
            "🎙 {count} voice message ({duration})",
            "🎙 {count} voice messages ({duration} in all)",
            count,
        ).format(count=count, duration=f"{seconds // 60}:{seconds % 60:02d}")

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

    def multi_question(self, step: str) -> MultiQuestion:
        """The sectors or markets question."""
        return self.content.sectors if step == j.SECTORS else self.content.markets

    def _multi(self, step: str, chosen: tuple[str, ...]) -> Screen:
        _ = self._
        question = self.multi_question(step)
        text = question.text
        if question.text_outside and self.p.region == "outside":
            text = question.text_outside
        return Screen((text(self.language),), self.multi_keyboard(step, chosen))

    def multi_keyboard(self, step: str, chosen: tuple[str, ...]) -> InlineKeyboardMarkup:
        """Toggle buttons with their state, then Done and Back."""
        _ = self._
        rows = []
        for option in self.multi_question(step).options:
            selected = option.id in chosen
            mark = "✅" if selected else "▫️"
            rows.append(
                [button(f"{mark} {option.label(self.language)}", step, option.id, not selected)]
            )
        rows.append([button(_("Done ✓"), step, j.DONE_VALUE), *self._back(step)])
        return InlineKeyboardMarkup(rows)

    # Review and the end --------------------------------------------------------------------

    def _option_label(self, options: Sequence[Option], value: str | None) -> str:
        _ = self._
        if value is None:
            return _("not answered")
        if value == j.SKIPPED_VALUE:
            return _("skipped")
        if value == j.PREFER_NOT_VALUE:
            return _("prefer not to say")
        option = next((o for o in options if o.id == value), None)
        return escape(option.label(self.language) if option else value, quote=False)

    def review(self, answers: dict[str, Answer], *, full: bool = False) -> Screen:
        """All answers on one screen, each editable, then Submit; long comments as excerpts
        unless `full`."""
        _ = self._
        language = self.language
        about_you = _("About you")
        about = [f"<b>{about_you}</b>"]
        labels = {
            "grp": _("Group"),
            "reg": _("Region"),
            "ageb": _("Age"),
            "gen": _("Gender"),
        }
        for step, column in j.PROFILE_STEPS.items():
            value = self._option_label(self.profile_options(step), self.p.profile(column))
            about.append(f"{labels[step]}: {value}")
        your_answers = _("Your answers")
        blocks = [f"<b>{your_answers}</b>", self._choices_block(), "\n".join(about)]
        for conclusion in self.content.conclusions:
            answer = answers.get(conclusion.id)
            lines = [self.conclusion_header(conclusion.number)]
            if answer is None or (answer.answered_at is None and answer.stance is None):
                view = _("not answered")
            elif answer.stance is None:
                view = _("skipped")
            else:
                label = self.content.stance_label(answer.stance)
                view = escape(label(language) if label else str(answer.stance), quote=False)
            lines.append(_("Your view: {view}").format(view=view))
            blocks.append("\n".join(lines))
            blocks.extend(self._comment_blocks(answer, full=full))
        for step, title in ((j.SECTORS, _("Sectors")), (j.MARKETS, _("Markets"))):
            question = self.multi_question(step)
            answer = answers.get(question.item)
            names = [
                escape(option.label(language), quote=False)
                for choice in (answer.choices if answer else ())
                if (option := question.option(choice))
            ]
            value = ", ".join(names) if names else _("none chosen")
            blocks.append(f"<b>{title}</b>: {value}")
        idea = answers.get("idea")
        your_idea = _("Your idea")
        blocks.append(f"<b>{your_idea}</b>")
        blocks.extend(self._comment_blocks(idea, full=full) or [_("none")])
        submitted = self.p.status == "submitted"
        blocks.append(
            _("Your changes are saved as you go. Change any answer with the buttons below.")
            if submitted
            else _("Check your answers, change any of them with the buttons below, then submit.")
        )
        edit_labels = {
            j.CHOICES: _("✏️ Quoting and news"),
            "prof": _("✏️ About you"),
            j.SECTORS: _("✏️ Sectors"),
            j.MARKETS: _("✏️ Markets"),
            j.IDEA: _("✏️ Idea"),
        }
        numbers = [
            button(f"✏️ {target[1:]}", j.REVIEW, target)
            for target in self.journey.edit_targets()
            if target.startswith("c") and target[1:].isdigit()
        ]
        rows = [
            [button(edit_labels[target], j.REVIEW, target) for target in (j.CHOICES, "prof")],
            *_rows(numbers, 3),
        ]
        rows.append([button(edit_labels[s], j.REVIEW, s) for s in (j.SECTORS, j.MARKETS, j.IDEA)])
        rows.append([button(_("✅ Done") if submitted else _("✅ Submit"), j.REVIEW, j.SUBMIT)])
        return Screen(tuple(blocks), InlineKeyboardMarkup(rows))

    def _choices_block(self) -> str:
        """Whether comments may be quoted and news is wanted."""
        _ = self._

        def answer(value: bool | None) -> str:
            return "—" if value is None else (_("yes") if value else _("no"))

        return "\n".join(
            (
                _("Comments may be quoted: {answer}").format(answer=answer(self.p.may_quote)),
                _("News wanted: {answer}").format(answer=answer(self.p.wants_news)),
            )
        )

    def data_report(self, answers: dict[str, Answer], facts: dict[str, Any]) -> str:
        """Everything stored about the participant, as plain text in their language.

        `facts` are the stored columns the journey's screens do not show (first contact, the
        consent version, reminders): the report leaves nothing out.
        """
        _ = self._
        p = self.p

        def shown(value: object) -> str:
            return "—" if value in (None, "") else str(value)

        numbers = {
            c.id: f"{c.number} / {len(self.content.conclusions)}" for c in self.content.conclusions
        }
        names = {j.IDEA: _("Your idea")} | numbers
        labels = ", ".join(
            f"{names.get(item, item)}: {answer.comment_language}"
            for item, answer in answers.items()
            if answer.comment_language
        )
        lines = [
            _("Creative Spark: the data stored about you"),
            "",
            _("Pseudonymous number: {number}").format(number=p.respondent_id or "—"),
            _("Language: {language}").format(language=LANGUAGE_NAMES.get(self.language, "—")),
            _("Telegram's language setting: {code}").format(code=shown(p.language_code)),
            _("Recruitment source: {source}").format(source=p.source),
            _("First contact: {moment}").format(moment=shown(facts.get("created_at"))),
            _("Last activity: {moment}").format(moment=shown(facts.get("last_activity_at"))),
            _("Consent given: {moment}").format(moment=p.consented_at or "—"),
            _("Consent text version: {version}").format(
                version=shown(facts.get("consent_version"))
            ),
            _("Answers submitted: {moment}").format(moment=shown(p.completed_at)),
            _("Reminders sent: {count}").format(count=facts.get("reminders_sent", 0)),
            _("Reminders and news stopped (/stop): {answer}").format(
                answer=_("yes") if p.stopped else _("no")
            ),
            _("Detected language of your comments: {labels}").format(labels=labels or "—"),
            "",
        ]
        blocks = (
            self.review(answers, full=True).blocks[1:-1] if p.respondent_id is not None else ()
        )
        lines.extend(html.unescape(re.sub(r"<[^>]+>", "", block)) + "\n" for block in blocks)
        return "\n".join(lines)

    def _comment_blocks(
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
                pieces = [self._excerpt(answer.comment)]
            if quoted:
                pieces[0] = f"💬 {pieces[0]}"
            blocks.extend(pieces)
        if answer.voice_count:
            blocks.append(self.voice_note(answer.voice_count, answer.voice_duration or 0))
        return blocks

    def _excerpt(self, comment: str) -> str:
        """The opening words of a long comment, then how long it is in all."""
        cut = comment.rfind(" ", 0, EXCERPT_OPENING)
        opening = comment[: cut if cut > EXCERPT_OPENING // 2 else EXCERPT_OPENING].rstrip()
        length = self.ngettext(
            "({count} character in all)", "({count} characters in all)", len(comment)
        ).format(count=format_number(len(comment), self.language))
        return f"{escape(opening, quote=False)}… <i>{length}</i>"

    def thanks(self, bot_username: str | None = None) -> Screen:
        """The thank-you after submitting, with a link to share."""
        _ = self._
        blocks = [self.content.closing(self.language)]
        if bot_username:
            blocks.append(
                _("Please share the consultation with others: {link}").format(
                    link=f"https://t.me/{bot_username}"
                )
            )
        blocks.append(
            _("You can change your answers while the consultation is open: send /start.")
        )
        return Screen(tuple(blocks))

    def resume(self) -> Screen:
        """The offer to a returning respondent."""
        _ = self._
        return Screen(
            (_("Welcome back! Would you like to continue where you left off?"),),
            InlineKeyboardMarkup(
                [
                    [button(_("▶️ Continue where I left off"), "resume", j.CONTINUE)],
                    [button(_("🔄 Start over"), "resume", j.START_OVER)],
                ]
            ),
        )

    def confirm_start_over(self) -> Screen:
        """The question before every answer is erased."""
        _ = self._
        return Screen(
            (_("Erase all your answers and start again from the first question?"),),
            InlineKeyboardMarkup(
                [
                    [button(_("Yes, start over"), "resume", j.WIPE)],
                    [button(_("No, continue"), "resume", j.CONTINUE)],
                ]
            ),
        )


def language_screen(suggested: str | None) -> Screen:
    """The trilingual language choice, state language first, Telegram's suggestion marked."""
    prompt = "\n".join(
        translator(language).gettext("Welcome! Please choose your language.")
        for language in LANGUAGES
    )
    rows = []
    for language in LANGUAGES:
        mark = " ✓" if suggested and suggested.lower().startswith(language) else ""
        rows.append([button(f"{LANGUAGE_NAMES[language]}{mark}", j.LANGUAGE, language)])
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
                [button(LANGUAGE_NAMES[written_in], j.LANGUAGE, written_in)],
                [button(LANGUAGE_NAMES[chosen], "stay", chosen)],
            ]
        ),
    )
