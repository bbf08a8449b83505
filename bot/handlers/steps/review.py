"""The review: every answer on one screen, each editable, then Submit; and what follows it."""

from __future__ import annotations

import html
import re
from datetime import tzinfo
from html import escape
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardMarkup

from bot.handlers.steps import profile
from bot.handlers.steps.base import Move, StepKind
from bot.handlers.views import Screen, Views, button, keyboard_of, language_name, rows
from bot.journey import (
    CHOICES,
    DIRECT,
    PROFILE,
    PROFILE_STEPS,
    SUBMIT,
    UNREGISTERED,
    ItemKind,
    Step,
    Tap,
)
from bot.storage.records import Answer

if TYPE_CHECKING:
    from bot.handlers.turn import Turn

TAG = re.compile(r"<[^>]+>")  # the bot's own HTML: no "<" or ">" inside a tag


def screen(
    views: Views, answers: dict[str, Answer], *, full: bool = False, number: int | None = None
) -> Screen:
    """All answers on one screen, each editable, then Submit; long comments as excerpts unless
    `full` (/mydata); in a later round's journey, those of round `number` (the current one
    unless it is given)."""
    _ = views._
    language = views.language
    labels = {
        Step.GROUP: _("Group"),
        Step.REGION: _("Region"),
        Step.AGE_BAND: _("Age"),
        Step.GENDER: _("Gender"),
    }
    about_you, your_answers = _("About you"), _("Your answers")  # outside f-strings: extracted
    if views.journey.returning:  # a later round asks the conclusions only
        heading = _("Your answers in round {round}").format(round=number or views.p.round)
        blocks = [f"<b>{heading}</b>"]
    else:
        about = [f"<b>{about_you}</b>"]
        for step, column in PROFILE_STEPS.items():
            value = views.option_label(profile.options(views, step), views.p.profile(column))
            about.append(f"{labels[Step(step)]}: {value}")
        blocks = [f"<b>{your_answers}</b>", _choices_block(views), "\n".join(about)]
    titles = {Step.SECTORS: _("Sectors"), Step.MARKETS: _("Markets")}
    for item in views.journey.items:
        answer = answers.get(item.id)
        if item.kind is ItemKind.CONCLUSION:
            assert item.number is not None
            lines = [views.conclusion_header(item.number)]
            if answer is None or (answer.answered_at is None and answer.stance is None):
                view = _("not answered")
            elif answer.stance is None:
                view = _("skipped")
            else:
                label = views.content.stance_label(answer.stance)
                view = escape(label(language) if label else str(answer.stance), quote=False)
            lines.append(_("Your view: {view}").format(view=view))
            blocks.append("\n".join(lines))
            blocks.extend(views.comment_blocks(answer, full=full))
        elif item.question is not None:
            names = [
                escape(option.label(language), quote=False)
                for choice in (answer.choices if answer else ())
                if (option := item.question.option(choice))
            ]
            value = ", ".join(names) if names else _("none chosen")
            blocks.append(f"<b>{titles[Step(item.edit)]}</b>: {value}")
            blocks.extend(views.comment_blocks(answer, full=full))  # the words for Other
        else:
            your_idea = _("Your idea")
            blocks.append(f"<b>{your_idea}</b>")
            if answer is not None and answer.has_comment:
                blocks.extend(views.comment_blocks(answer, full=full))
            else:
                finished = answer is not None and answer.answered_at is not None
                blocks.append(_("skipped") if finished else _("not answered"))
    blocks.append(_closing_line(views))
    return Screen(tuple(blocks), _keyboard(views, submitted=views.p.status == "submitted"))


def _closing_line(views: Views) -> str:
    """What the review's buttons do: its last line, and its short prompt."""
    _ = views._
    if views.p.status == "submitted":
        return _("Your changes are saved as you go. Change any answer with the buttons below.")
    return _("Check your answers, change any of them with the buttons below, then submit.")


def _keyboard(views: Views, *, submitted: bool) -> InlineKeyboardMarkup:
    """The edit buttons: choices and profile, the conclusions by number, the rest; then Submit."""
    _ = views._
    edit_labels = {
        CHOICES: _("✏️ Quoting and news"),
        PROFILE: _("✏️ About you"),
        Step.SECTORS: _("✏️ Sectors"),
        Step.MARKETS: _("✏️ Markets"),
        Step.IDEA: _("✏️ Idea"),
    }
    items = views.journey.items
    numbers = [button(f"✏️ {i.number}", Step.REVIEW, i.edit) for i in items if i.number]
    others = [button(edit_labels[i.edit], Step.REVIEW, i.edit) for i in items if not i.number]
    fixed = () if views.journey.returning else (CHOICES, PROFILE)  # asked once, in round 1
    keyboard = [
        *([button(edit_labels[target], Step.REVIEW, target)] for target in fixed),
        *rows(numbers, 3),
        *([others] if others else []),
        [button(_("✅ Done") if submitted else _("✅ Submit"), Step.REVIEW, SUBMIT)],
    ]
    return keyboard_of(keyboard)


def _choices_block(views: Views) -> str:
    """Whether comments may be quoted and news is wanted."""
    _ = views._

    def answer(value: bool | None) -> str:
        return "—" if value is None else (_("yes") if value else _("no"))

    return "\n".join(
        (
            _("Comments may be quoted: {answer}").format(answer=answer(views.p.may_quote)),
            _("News wanted: {answer}").format(answer=answer(views.p.wants_news)),
        )
    )


class Review(StepKind):
    """Submit, or an edit button: the group of steps it names, then back to the review."""

    def screen(self, views: Views, step: str, answers: dict[str, Answer]) -> Screen:
        return screen(views, answers)

    def prompt(self, views: Views, step: str, answers: dict[str, Answer]) -> Screen:
        return Screen(
            (_closing_line(views),),
            _keyboard(views, submitted=views.p.status == "submitted"),
        )

    async def store(self, turn: Turn, tap: Tap) -> Move | None:
        respondent = turn.p.respondent_id
        if respondent is None:
            return None
        if tap.value == SUBMIT:
            await turn.repo.submit(
                turn.p.user_id,
                respondent,
                round=turn.p.round,
                returning=turn.p.returning,
                now=turn.now,
            )
            return Move(Step.DONE)
        group = turn.journey.edit_group(tap.value)
        return Move(group[0], editing=True) if group else None

    async def repeats(self, turn: Turn, tap: Tap) -> bool:
        return tap.value == SUBMIT and turn.p.step == Step.DONE


class End(StepKind):
    """Submitted, or declined: nothing to answer, only a screen."""

    def screen(self, views: Views, step: str, answers: dict[str, Answer]) -> Screen:
        if step == Step.DONE:
            return views.thanks()
        return Screen(
            (views._("You chose not to take part. If you change your mind, send /start."),)
        )


def data_report(
    views: Views, answers: dict[str, Answer], facts: dict[str, Any], *, zone: tzinfo
) -> str:
    """Everything stored about the participant, as plain text in their language, its times in
    the bot's time zone `zone`.

    `facts` are the stored columns the journey's screens do not show (first contact, the
    consent version, reminders): the report leaves nothing out.
    """
    _ = views._
    p = views.p

    def shown(value: object) -> str:
        return "—" if value in (None, "") else str(value)

    def moment(value: object) -> str:
        return views.moment(str(value) if value else None, zone)

    total = len(views.journey.conclusions)
    names = {i.id: f"{i.number} / {total}" for i in views.journey.conclusions}
    names[Step.IDEA] = _("Your idea")
    labels = ", ".join(
        f"{names.get(item, item)}: {language_name(answer.comment_language)}"
        for item, answer in answers.items()
        if answer.comment_language
    )
    sources = {
        DIRECT: _("none (you opened the bot without an invitation link)"),
        UNREGISTERED: _("unknown (an invitation link the team has not registered)"),
    }
    lines = [
        _("Creative Spark: the data stored about you"),
        "",
        _("Pseudonymous number: {number}").format(number=p.respondent_id or "—"),
        _("Language: {language}").format(language=language_name(views.language)),
        _("Telegram's language setting: {code}").format(code=language_name(p.language_code)),
        _("Recruitment source: {source}").format(source=sources.get(p.source, p.source)),
        _("First contact: {moment}").format(moment=moment(facts.get("created_at"))),
        _("Last activity: {moment}").format(moment=moment(facts.get("last_activity_at"))),
        _("Consent given: {moment}").format(moment=moment(p.consented_at)),
        _("Consent text version: {version}").format(version=shown(facts.get("consent_version"))),
        _("Answers submitted: {moment}").format(moment=moment(p.completed_at)),
        _("Reminders sent: {count}").format(count=facts.get("reminders_sent", 0)),
        _("Reminders and news stopped (/stop): {answer}").format(
            answer=_("yes") if p.stopped else _("no")
        ),
        _("Detected language of your comments: {labels}").format(labels=labels or "—"),
        "",
    ]
    blocks = screen(views, answers, full=True).blocks[1:-1] if p.respondent_id is not None else ()
    lines.extend(_plain(block) + "\n" for block in blocks)
    return "\n".join(lines)


def round_report(
    views: Views,
    number: int,
    answers: dict[str, Answer],
    entry: tuple[str | None, str | None, str | None, str | None],
    *,
    zone: tzinfo,
) -> str:
    """A later round in the /mydata report: when they were invited, began, submitted and last
    changed an answer after that, and their answers of the round (`views`: of the later
    rounds' journey)."""
    _ = views._
    invited, started, completed, revised = (views.moment(moment, zone) for moment in entry)
    blocks = screen(views, answers, full=True, number=number).blocks[:-1] if answers else ()
    lines = [
        "",
        _(
            "Round {round}: invited {invited} · began {started} · submitted {completed} · "
            "changed after submitting {revised}"
        ).format(
            round=number, invited=invited, started=started, completed=completed, revised=revised
        ),
        "",
    ]
    lines.extend(_plain(block) + "\n" for block in blocks)
    return "\n".join(lines)


def _plain(block: str) -> str:
    """A screen's block as plain text."""
    return html.unescape(TAG.sub("", block))
