"""The content file: the bundled one is valid and faithful; a broken one is refused by name."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.content import DEFAULT_CONTENT, LANGUAGES, MAX_SUMMARY, ContentError, load_content

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "creotalents-conclusions.txt"


def test_the_bundled_content_has_six_conclusions_in_three_languages() -> None:
    """Six conclusions, each with title and text in kk, ru and en."""
    content = load_content()
    assert [c.id for c in content.conclusions] == [f"conclusion-{n}" for n in range(1, 7)]
    for conclusion in content.conclusions:
        for language in LANGUAGES:
            assert conclusion.title(language) and conclusion.text(language)
    assert len(content.regions) == 21
    assert content.sectors.max_choices == 3


@pytest.mark.skipif(not SEED.exists(), reason="the shared seed is beside the checkout")
def test_the_english_conclusions_are_the_seed_text() -> None:
    """The English conclusions are the Creotalents text itself, word for word, but for "the
    region", which the bot names: Kazakhstan (the region a respondent lives in is another)."""
    seed = re.sub(r"\b[Tt]he region\b", "Kazakhstan", SEED.read_text(encoding="utf-8"))
    for conclusion in load_content().conclusions:
        words = conclusion.text("en").split()
        assert " ".join(words[:12]) in " ".join(seed.split())


def test_no_conclusion_speaks_of_a_bare_region() -> None:
    """Conclusions 2, 3, 4 and 6 say Kazakhstan where the seed says "the region", in the three
    languages, since the bot also asks for the respondent's own region."""
    bare = re.compile(r"\b(the region|өңір(де|ге)?|регион(у|е)?)\b", re.IGNORECASE)
    for conclusion in load_content().conclusions:
        for language in LANGUAGES:
            text = conclusion.text(language)
            assert not bare.search(text), (conclusion.id, language, text[:60])
        if conclusion.number in (2, 3, 4, 6):
            assert all(
                re.search("Kazakhstan|Қазақстан|Казахстан", conclusion.text(language))
                for language in LANGUAGES
            ), conclusion.id


# The five points, strongest agreement first: the same intensity in every language, so that
# answers pooled across languages mean one thing. A change here is a change of the instrument.
SCALE = {
    "kk": [
        "Толығымен келісемін",
        "Келісемін",
        "Келісемін де, келіспеймін де",
        "Келіспеймін",
        "Мүлдем келіспеймін",
    ],
    "ru": [
        "Полностью согласен(на)",
        "Согласен(на)",
        "Нейтрально",
        "Не согласен(на)",
        "Полностью не согласен(на)",
    ],
    "en": [
        "Strongly agree",
        "Agree",
        "Neither agree nor disagree",
        "Disagree",
        "Strongly disagree",
    ],
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_stance_scale_is_one_scale_in_every_language(language: str) -> None:
    """The five labels, in order from 5 (strongly agree) to 1, are the pinned ones."""
    stances = load_content().stances
    assert [s.id for s in stances] == ["5", "4", "3", "2", "1"]
    assert [s.label(language) for s in stances] == SCALE[language]


def broken(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_CONTENT.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "content.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            ', ru = "Целостный и совместный подход"',
            "",
            "conclusion-1.title: the ru text is missing",
        ),
        ('id = "visual-arts"', 'id = "heritage-crafts"', "the id 'heritage-crafts' is used twice"),
        ('id = "music"', 'id = "Музыка"', "must be 1-24 of a-z 0-9"),
        (
            'label = { kk = "Мәдени мұра және қолөнер"',
            'label = { kk = "' + "Мұра " * 20 + '"',
            "at most 60",
        ),
        ("<b>Information for participants</b>", "<b>Information for participants", "never closed"),
        (
            "Principal investigator: {investigator}",
            "Principal investigator: {pi}",
            "unknown placeholder",
        ),
        ("version = 3", "version = 0", "version: a whole number"),
        ("\nsummary = { kk", "\nsummarised = { kk", "consent.summary: texts in kk, ru, en"),
        ("• Time: about {minutes}", "• Time: about {duration}", "consent.summary (en): unknown"),
        ('en = "Dr Armiyash', 'xx = "Dr Armiyash', "consent.investigator: unknown language"),
        (
            'investigator = { kk = "',
            'investigator = { kk = " ", earlier = "',
            "consent.investigator: the kk text is missing or empty",
        ),
        ('id = "conclusion-2"', 'id = "conclusion-9"', "expected 'conclusion-2'"),
    ],
)
def test_a_broken_file_is_refused_naming_the_problem(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    """check-content names each problem; the loader refuses the file."""
    path = broken(tmp_path, old, new)
    with pytest.raises(ContentError) as caught:
        load_content(path)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_check_content_command_exits_1_on_a_broken_file(tmp_path: Path) -> None:
    """`python -m bot check-content FILE` prints the problems and exits 1."""
    path = broken(tmp_path, ', en = "Music"', "")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check-content", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "sectors.music.label: the en text is missing" in result.stderr
    good = subprocess.run(
        [sys.executable, "-m", "bot", "check-content"], capture_output=True, text=True, check=False
    )
    assert good.returncode == 0 and "ok: version 3, 6 conclusions" in good.stdout


def test_not_toml_is_refused(tmp_path: Path) -> None:
    """A file that is not TOML is refused with the parser's reason."""
    path = tmp_path / "c.toml"
    path.write_text("version = = 1", encoding="utf-8")
    with pytest.raises(ContentError, match="not valid TOML"):
        load_content(path)


def test_the_bot_refuses_to_start_on_an_invalid_file(tmp_path: Path) -> None:
    """`run` with an invalid BOT_CONTENT stops with a message naming the problem."""
    path = broken(tmp_path, ', en = "Music"', "")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        capture_output=True,
        text=True,
        check=False,
        env={
            "BOT_TOKEN": "1:x",
            "BOT_CONTENT": str(path),
            "BOT_DB": str(tmp_path / "x.db"),
            "PATH": "/usr/bin:/bin",
        },
    )
    assert result.returncode != 0
    assert "sectors.music.label: the en text is missing" in result.stderr


def test_labels_are_plain_text_so_an_ampersand_is_fine(tmp_path: Path) -> None:
    """A label such as 'Design & fashion' is valid: buttons show plain text, messages escape it."""
    path = broken(tmp_path, 'en = "Design and fashion"', 'en = "Design & fashion"')
    content = load_content(path)
    assert content.sectors.option("design-fashion").label("en") == "Design & fashion"  # type: ignore[union-attr]


def test_the_consent_text_names_every_data_right_in_every_language() -> None:
    """/mydata, /delete (withdrawal), /stop and /start, in kk, ru and en."""
    content = load_content()
    for language in LANGUAGES:
        text = content.consent.render(language)
        for command in ("/mydata", "/delete", "/stop", "/start"):
            assert command in text, (language, command)


def test_the_short_consent_fits_a_phone_screen_and_says_how_to_withdraw() -> None:
    """The summary, filled in, is at most 450 characters, and names /mydata and /delete."""
    consent = load_content().consent
    for language in LANGUAGES:
        text = consent.render_summary(language)
        assert len(text) <= MAX_SUMMARY, (language, len(text))
        assert "{" not in text and str(consent.minutes) in text
        for command in ("/mydata", "/delete"):
            assert command in text, (language, command)
        assert len(text) < len(consent.render(language)) / 2


def test_a_long_short_consent_is_refused(tmp_path: Path) -> None:
    """A summary longer than a phone screen once its facts are filled in is refused by name."""
    path = broken(tmp_path, "• Time: about {minutes}", "• Time: {retention}. " * 20 + "{minutes}")
    with pytest.raises(ContentError) as caught:
        load_content(path)
    assert any(
        p.startswith("consent.summary (en):") and "at most 450" in p for p in caught.value.problems
    ), caught.value.problems


def test_the_investigator_is_named_in_each_language() -> None:
    """The consent names the principal investigator in the reader's language."""
    consent = load_content().consent
    assert "Армияш Нұрмағамбетова" in consent.render("kk")
    assert "Армияш Нурмагамбетова" in consent.render("ru")
    assert "Dr Armiyash Nurmagambetova" in consent.render("en")


def test_a_fact_to_be_confirmed_is_one_warning_per_field() -> None:
    """[TBC] in a localized fact is one warning naming its languages, not one per language."""
    warnings = load_content().warnings
    assert "consent.investigator (kk, ru, en) is still marked [TBC]" in warnings
    assert len(warnings) == len({w.split(" ")[0] for w in warnings})
