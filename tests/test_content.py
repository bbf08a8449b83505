"""The content file: the bundled one is valid and faithful; a broken one is refused by name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.content import DEFAULT_CONTENT, LANGUAGES, ContentError, load_content

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
    """The English conclusions are the Creotalents text itself, word for word."""
    seed = SEED.read_text(encoding="utf-8")
    for conclusion in load_content().conclusions:
        words = conclusion.text("en").split()
        assert " ".join(words[:12]) in " ".join(seed.split())


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
            'label = { kk = "Мұра және қолөнер"',
            'label = { kk = "' + "Мұра " * 20 + '"',
            "at most 60",
        ),
        ("<b>Information for participants</b>", "<b>Information for participants", "never closed"),
        (
            "Principal investigator: {investigator}",
            "Principal investigator: {pi}",
            "unknown placeholder",
        ),
        ("version = 2", "version = 0", "version: a whole number"),
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
    assert good.returncode == 0 and "ok: version 2, 6 conclusions" in good.stdout


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
