"""The four questions about the respondent (group, region, age band, gender), each skippable."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from bot.content import Option
from bot.handlers.steps.base import Move, StepKind, next_of
from bot.handlers.views import Screen, Views, button, keyboard_of, marked, rows
from bot.journey import (
    FIRST_QUESTION,
    KEEP,
    PREFER_NOT,
    PREFER_NOT_VALUE,
    PROFILE_STEPS,
    SKIP,
    SKIPPED_VALUE,
    Step,
    Tap,
)
from bot.storage.records import Answer

if TYPE_CHECKING:
    from bot.handlers.turn import Turn

COLUMNS = {Step.AGE_BAND: 2}  # short labels: two buttons to a row; the regions' need one each
CITIES = ("astana", "almaty", "shymkent")  # the three cities of national significance, first
OUTSIDE = "outside"  # outside Kazakhstan: last
# Latin, then Cyrillic in the Kazakh alphabet's order, which keeps the Russian letters in theirs
# (Ә after А, Ғ after Г...): each language's labels sort as its readers expect.
ALPHABET = "abcdefghijklmnopqrstuvwxyz" + "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
_LETTER = {letter: position for position, letter in enumerate(ALPHABET, start=1)}


def collation_key(label: str) -> tuple[int, ...]:
    """Sort key of a label in its own alphabet; spaces and punctuation before any letter."""
    return tuple(_LETTER.get(char, 0) for char in label.casefold())


def options(views: Views, step: str) -> tuple[Option, ...]:
    """The content options of a profile step."""
    content = views.content
    return {
        Step.GROUP: content.groups,
        Step.REGION: content.regions,
        Step.AGE_BAND: content.age_bands,
        Step.GENDER: content.genders,
    }[Step(step)]


def shown_options(views: Views, step: str) -> list[Option]:
    """The options of a profile step as its keyboard lists them: the regions with the three
    cities first, then in the alphabet of the respondent's language, outside Kazakhstan last;
    every other list as the content file orders it."""
    listed = list(options(views, step))
    if step != Step.REGION:
        return listed
    by_id = {option.id: option for option in listed}
    cities = [by_id[city] for city in CITIES if city in by_id]
    outside = [by_id[OUTSIDE]] if OUTSIDE in by_id else []
    regions = sorted(
        (o for o in listed if o.id not in CITIES and o.id != OUTSIDE),
        key=lambda o: collation_key(o.label(views.language)),
    )
    return [*cities, *regions, *outside]


def stored_value(tap: Tap) -> str:
    """What the profile column holds for a tap: the option id, or skipped / prefer not to say."""
    return {SKIP: SKIPPED_VALUE, PREFER_NOT: PREFER_NOT_VALUE}.get(tap.value, tap.value)


def answer_label(views: Views, step: str, value: str) -> str:
    """A stored answer as a button names it (plain text, not HTML)."""
    if value == PREFER_NOT_VALUE:
        return views._("Prefer not to say")
    option = next((o for o in options(views, step) if o.id == value), None)
    return option.label(views.language) if option else value


def keeps(editing: bool, stored: str | None) -> bool:
    """Whether the question offers to keep the stored answer: while editing from the review, an
    answer given (not skipped) is kept, not erased by a Skip."""
    return editing and stored not in (None, SKIPPED_VALUE)


class Profile(StepKind):
    """One question about the respondent, its options from the content file."""

    SHOWS_ANSWERS = False

    def screen(self, views: Views, step: str, answers: dict[str, Answer]) -> Screen:
        _ = views._
        questions = {
            Step.GROUP: _("Which group describes you best?"),
            Step.REGION: _("Where do you live?"),
            Step.AGE_BAND: _("How old are you?"),
            Step.GENDER: _("What is your gender?"),
        }
        position = list(PROFILE_STEPS).index(step) + 1
        header = _("About you · {position} / {total}").format(
            position=position, total=len(PROFILE_STEPS)
        )
        stored = views.p.profile(PROFILE_STEPS[step])
        keyboard = rows(
            [
                button(marked(o.label(views.language), o.id == stored), step, o.id)
                for o in shown_options(views, step)
            ],
            COLUMNS.get(Step(step), 1),
        )
        prefer_not = marked(_("Prefer not to say"), stored == PREFER_NOT_VALUE)
        keyboard.append([button(prefer_not, step, PREFER_NOT)])
        if stored is not None and keeps(views.p.editing, stored):
            keyboard.append(views.keep_row(step, answer_label(views, step, stored)))
            if back := views.back_row(step):
                keyboard.append(back)
        else:
            keyboard.append(views.skip_back_row(step))
        blocks = [f"<b>{escape(header)}</b>"]
        if step == FIRST_QUESTION:
            blocks.append(_("A few questions about you. Each one may be skipped."))
        blocks.append(questions[Step(step)])
        return Screen(("\n".join(blocks),), keyboard_of(keyboard))

    async def store(self, turn: Turn, tap: Tap) -> Move | None:
        if turn.p.respondent_id is None:
            return None
        column = PROFILE_STEPS[tap.step]
        if tap.value == KEEP:  # the stored answer stays as it is
            kept = keeps(turn.p.editing, turn.p.profile(column))
            return next_of(turn, tap.step) if kept else None
        value = stored_value(tap)
        offered = {o.id for o in options(turn.views, tap.step)}
        if value not in offered and tap.value not in (SKIP, PREFER_NOT):
            return None
        await turn.repo.set_profile(turn.p.respondent_id, column, value, now=turn.now)
        return next_of(turn, tap.step)

    async def repeats(self, turn: Turn, tap: Tap) -> bool:
        if tap.value == KEEP:
            return turn.journey.passed(tap.step, turn.p.step)
        return turn.p.profile(PROFILE_STEPS[tap.step]) == stored_value(tap)
