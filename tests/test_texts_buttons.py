"""Every button label fits a phone's button, in every language, for the row it is shown in."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.content import LANGUAGES, Option, load_content
from bot.handlers.broadcast import AUDIENCES
from bot.handlers.steps import profile
from bot.handlers.views import LANGUAGE_NAMES
from bot.i18n import translator
from bot.journey import Step
from tests.test_i18n import used_in_code

ROOT = Path(__file__).resolve().parents[1]
ROW = 30  # characters a one-column button shows on a phone; two columns share it, and so on

# The catalog's button labels that share their row, and with how many buttons (the tightest row
# a label is shown in). Every other button label, listed here or found in the code, has a row
# of its own.
SHARED_ROWS = {
    "Skip »": 2,  # Skip and Back, under a stance or a profile question
    "« Back": 2,
    "Done ✓": 2,  # Done and Back, under a multi-choice question
    "✏️ Sectors": 3,  # the review: sectors, markets and idea side by side
    "✏️ Markets": 3,
    "✏️ Idea": 3,
}
OWN_ROWS = (  # labels the code passes to a button through a variable, so not found below
    "Yes, you may quote me",
    "No, please don't quote me",
    "Yes, send me news",
    "No news, thanks",
    "Prefer not to say",
    "No comment »",
    "▶️ Continue where I left off",  # the reminder's button, built as data
    *(label for _kind, label in AUDIENCES),
)
# The calls that put a label on a button: which argument is the label, how many share its row.
BUTTON_CALLS = {
    "button": (0, 1),
    "_button": (0, 1),
    "InlineKeyboardButton": (0, 1),
    "skip_back_row": (1, 2),  # a label in place of Skip, beside Back
}


def width(label: str) -> int:
    """The characters a label takes on a button; an emoji's variation selector takes none."""
    return len(label.replace("\ufe0f", ""))


def calls(tree: ast.AST, names: set[str]) -> Iterator[tuple[str, ast.Call]]:
    """Every call in `tree` to one of `names`, also as an attribute (`views._`), by name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in names:
                yield name, node


def literal_button_labels() -> dict[str, int]:
    """Every `_("…")` text inside a button's label argument, wherever the code builds one, with
    the number of buttons in its row."""
    found: dict[str, int] = {}
    for path in (ROOT / "bot").rglob("*.py"):
        for name, call in calls(ast.parse(path.read_text(encoding="utf-8")), set(BUTTON_CALLS)):
            index, columns = BUTTON_CALLS[name]
            label = call.args[index] if len(call.args) > index else None
            for _name, gettext in calls(label, {"_"}) if label else ():
                text = gettext.args[0] if gettext.args else None
                if isinstance(text, ast.Constant) and isinstance(text.value, str):
                    found[text.value] = max(columns, found.get(text.value, 1))
    return found


def catalog_buttons() -> dict[str, int]:
    """Each fixed button text (a catalog id) with the number of buttons in its row."""
    found = literal_button_labels()
    texts = set(found) | set(OWN_ROWS) | set(SHARED_ROWS)
    return {text: max(SHARED_ROWS.get(text, 1), found.get(text, 1)) for text in sorted(texts)}


def content_buttons() -> list[tuple[str, Option, int]]:
    """Each option the content file puts on a button, with the number of buttons in its row."""
    content = load_content()
    profile_options = {
        Step.GROUP: content.groups,
        Step.REGION: content.regions,
        Step.AGE_BAND: content.age_bands,
        Step.GENDER: content.genders,
    }
    buttons = [("stances", option, 1) for option in content.stances]
    for step, options in profile_options.items():
        columns = profile.COLUMNS.get(step, 1)
        buttons += [(step.name.lower(), option, columns) for option in options]
    for question in (content.sectors, content.markets):  # one option to a row
        buttons += [(question.item, option, 1) for option in question.options]
    return buttons


def test_the_labels_found_are_the_buttons() -> None:
    """The search finds the code's buttons, and every label listed is still used by the code."""
    assert {"I agree", "Yes, I am 18 or older", "« Back", "✅ Submit"} <= set(
        literal_button_labels()
    )
    unused = set(catalog_buttons()) - set(used_in_code())
    assert unused == set()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_content_label_fits_its_button(language: str) -> None:
    """Stances, profile options, sectors and markets: at most 30 characters alone in a row, 15
    two to a row."""
    too_long = [
        (where, option.id, option.label(language), f"{width(option.label(language))} > {limit}")
        for where, option, columns in content_buttons()
        if width(option.label(language)) > (limit := ROW // columns)
    ]
    assert too_long == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_fixed_label_fits_its_button(language: str) -> None:
    """The catalog's buttons (gates, review, comment, account, broadcast) and the language
    names: at most 30 characters alone in a row, 15 two to a row, 10 three to a row."""
    _ = translator(language).gettext
    labels = {_(text): columns for text, columns in catalog_buttons().items()}
    labels |= {f"{name} ✓": 1 for name in LANGUAGE_NAMES.values()}
    too_long = [
        (label, f"{width(label)} > {ROW // columns}")
        for label, columns in labels.items()
        if width(label) > ROW // columns
    ]
    assert too_long == []
