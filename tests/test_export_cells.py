"""Cells of the export pack: the formula guard behind blanks and look-alikes, and personal data
replaced in comments (the pack travels through Telegram; the database keeps what was written)."""

from __future__ import annotations

import re
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree

import pytest

from bot.export import ANSWER_COLUMNS, _cell, guarded, neutralise, write_pack
from bot.pii import luhn_valid, redact
from tests.harness import Harness, Person, walk_to
from tests.test_export import ALMATY, rows

# Each starts as a formula would once a spreadsheet drops what comes before, or reads the
# full-width form as the ASCII one.
FORMULAS = [
    "=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx",
    " =1", "   +1", " -1", "  @x", " \t=1",  # leading spaces, a tab after one
    "\u00a0=1", "\u202f+1", "\u2007-1", "\u2009@x",  # no-break, narrow, figure and thin spaces
    "\u3000+1", "\u3000\u3000=1",  # ideographic spaces
    "\u200b=1", "\u200c+1", "\u200d-1", "\u2060@x",  # zero-width characters, word joiner
    "\ufeff@x", "\ufeff=1",  # byte order mark
    "\u202e=1", "\u202d+1", "\u200f-1", "\u2067=1", "\u061c@x",  # bidi overrides and marks
    "\uff1d1", "\uff0b1", "\uff0d1", "\uff20x",  # full-width = + - @
    "\ufe661", "\ufe621",  # small = and +
    "\r=1", "\n=1", "\u2028=1", "\u2029+1", "\x85-1",  # line breaks and separators
    "\u00ad=1", "\u180e=1", "\u3164=1", "\u2800=1", "\ufe0f=1",  # soft hyphen, blank-looking
    "'=1", "''\u200b=1", "'\u00a0\uff1d1",  # quotes of the respondent's own before a start
    " \ufeff\u202e \uff1d1", "\u00a0\u3000\u200b\ufeff\u202e=1", "\u3000\uff20x",  # mixed
]  # fmt: skip
TEXTS = ["Hello", "1+1", "'quoted", "a=1", "  hello", "\u00a0text", "\uff21\uff22", "2024", "'"]
PERSONAL = "Call me at +7 (701) 234-56-78 or mail a.b@example.kz, IIN 900101300126"
NAMESPACE = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


async def comment_on_conclusions(bot: Harness, texts: Sequence[str]) -> None:
    """Respondents who each comment on the six conclusions in turn, one text each, in order."""
    for start in range(0, len(texts), 6):
        person = Person(7_400_000_000 + start)
        await walk_to(bot, person, "m1")
        for number, text in enumerate(texts[start : start + 6], start=1):
            await bot.send(person, text)
            await bot.tap(person, f"c:m{number}:_done")
            if number < 6:
                await bot.tap(person, f"c:s{number + 1}:4")


def answer_sheet(book: Path) -> list[dict[str, ElementTree.Element]]:
    """The answers sheet's data rows: per column name, its cell (absent when empty)."""
    with zipfile.ZipFile(book) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    sheet = ElementTree.fromstring(xml)  # noqa: S314 - the workbook the test just wrote
    letters = {chr(ord("A") + n): name for n, name in enumerate(ANSWER_COLUMNS)}
    return [
        {letters[re.sub(r"\d", "", c.attrib["r"])]: c for c in row.iterfind("m:c", NAMESPACE)}
        for row in sheet.iterfind("m:sheetData/m:row", NAMESPACE)
    ][1:]


def string_of(cell: ElementTree.Element) -> str:
    """An inline string cell's text, with xlsxwriter's _xHHHH_ escapes of control characters."""
    assert cell.attrib.get("t") == "inlineStr", ElementTree.tostring(cell)
    text = "".join(cell.find("m:is", NAMESPACE).itertext())  # type: ignore[union-attr]
    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def test_the_guard_sees_through_blanks_invisible_characters_and_full_width_forms() -> None:
    """Every formula start is guarded behind what a spreadsheet drops; plain text is not."""
    assert len(FORMULAS) >= 39
    assert [text for text in FORMULAS if not guarded(text)] == []
    assert [text for text in TEXTS if guarded(text)] == []


def test_the_guard_reads_a_bounded_prefix_and_is_undone_exactly() -> None:
    """A blank run as long as the guard reads is guarded; one quote off restores every text."""
    assert guarded(" " * 63 + "=1")
    assert guarded(" " * 200 + "=1")  # beyond the prefix read: guarded, to be safe
    assert not guarded(" " * 64)  # nothing after the blanks: nothing to run
    edges = [" " * 63 + "=1", " " * 64 + "=1", "'" * 63 + "=1", "'" * 70, " " * 64, " " * 65]
    for text in FORMULAS + TEXTS + edges:
        assert _cell(neutralise(text)) == text, repr(text)


@pytest.mark.slow  # it measures time
def test_the_guard_costs_the_same_however_long_the_invisible_run_before() -> None:
    """1,000 cells of 10,000 zero-width characters are checked in well under half a second."""
    many = "\u200b" * 10_000 + "x"
    started = time.perf_counter()
    for _ in range(1_000):
        guarded(many)
    assert time.perf_counter() - started < 0.5  # O(1) per cell: 1,000 cells well under


async def test_every_formula_variant_is_guarded_in_the_csv_and_verbatim_in_the_workbook(
    bot: Harness, tmp_path: Path
) -> None:
    """answers.csv: a quote before each variant and the text unchanged after it; the XLSX
    cell holds exactly what was typed, as a string, never a formula."""
    typed = FORMULAS + TEXTS
    await comment_on_conclusions(bot, typed)
    write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY, charts=False)
    comments = [row["comment"] for row in rows(tmp_path / "answers.csv") if row["comment"]]
    assert comments == ["'" + text for text in FORMULAS] + TEXTS
    sheet = answer_sheet(tmp_path / "consultation.xlsx")
    cells = [row["comment"] for row in sheet if "comment" in row]
    assert all(cell.find("m:f", NAMESPACE) is None for cell in cells)
    assert [string_of(cell) for cell in cells] == typed


async def test_personal_data_is_replaced_in_the_pack_and_kept_in_the_database(
    bot: Harness, tmp_path: Path
) -> None:
    """The comment in answers.csv and the workbook carries [phone], [e-mail], [IIN] with
    comment_redacted 1; another comment 0; the database and /mydata keep what was written."""
    person = Person(7_400_100_000)
    await walk_to(bot, person, "m1")
    await bot.send(person, PERSONAL)
    await bot.tap(person, "c:m1:_done")
    await bot.tap(person, "c:s2:4")
    await bot.send(person, "Budgets grew 15% in 2024, to 1 000 000 tenge")
    files = write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY, charts=False)
    answers = {row["item"]: row for row in rows(tmp_path / "answers.csv")}
    assert tuple(answers["conclusion-1"]) == ANSWER_COLUMNS
    assert ANSWER_COLUMNS.index("comment_redacted") == ANSWER_COLUMNS.index("comment_language") + 1
    first, second = answers["conclusion-1"], answers["conclusion-2"]
    assert first["comment"] == "Call me at [phone] or mail [e-mail], IIN [IIN]"
    assert first["comment_redacted"] == "1"
    assert second["comment"] == "Budgets grew 15% in 2024, to 1 000 000 tenge"
    assert second["comment_redacted"] == "0"
    codebook = {row["variable"]: row for row in rows(tmp_path / "codebook.csv")}
    assert "[phone]" in codebook["comment_redacted"]["description"]
    for path in files:  # nothing of it anywhere in the pack
        content = path.read_bytes()
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                content = b"".join(book.read(name) for name in book.namelist())
        for secret in (b"234-56-78", b"a.b@example.kz", b"900101300126"):
            assert secret not in content, path.name
    sheet = {string_of(row["item"]): row for row in answer_sheet(tmp_path / "consultation.xlsx")}
    assert string_of(sheet["conclusion-1"]["comment"]) == first["comment"]
    flag = sheet["conclusion-1"]["comment_redacted"]
    assert "t" not in flag.attrib  # a number cell
    assert float(flag.findtext("m:v", namespaces=NAMESPACE) or "nan") == 1
    assert (await bot.answer(person, "conclusion-1")).comment == PERSONAL  # stored unredacted
    calls = await bot.send(person, "/mydata")
    (document,) = [c for c in calls if c.method == "sendDocument"]
    assert PERSONAL in document.files["document"].decode("utf-8")


@pytest.mark.parametrize(
    "phone",
    [
        "+7 701 234 56 78", "+7 (701) 234-56-78", "8 701 234 56 78", "8 (701) 234-56-78",
        "+77012345678", "87012345678", "8-701-234-56-78", "+7-701-234-5678", "8(701)2345678",
        "+7 7172 12 34 56", "8 (7172) 12-34-56", "+7 727 123 45 67", "8 727 1234567",
        "+7\u00a0747\u00a0123\u00a045\u00a067", "8 708 \u2013 123 45 67",
    ],
)  # fmt: skip
def test_kazakhstan_phone_numbers_become_a_placeholder(phone: str) -> None:
    """Mobile and landline numbers with +7 or 8, however spaced, dashed or bracketed."""
    assert redact(f"Звоните: {phone}, спасибо") == "Звоните: [phone], спасибо"
    assert redact(f"tel.{phone}.") == "tel.[phone]."


@pytest.mark.parametrize(
    "text",
    [
        "In 2024 and 2025", "1 000 000 tenge", "15% more, 87% less", "87 000 000 000 тенге",
        "8 700 000 000", "+7 701 234 56", "+75%", "8 800 555 35 35", "1987-2024", "+7 °C",
        "8 701 234 56 789 0123", "page 8, item 7", "version 8.7.12",
    ],
)  # fmt: skip
def test_ordinary_numbers_are_not_phone_numbers(text: str) -> None:
    """Years, amounts, percentages, ranges and other numbers stay as written."""
    assert redact(text) == text


@pytest.mark.parametrize(
    "address",
    [
        "a.b@example.kz", "ivan.petrov+consult@mail.ru", "user_1@sub.domain.org",
        "иван@почта.рф", "A.B-C@Example.COM", "87012345678@mail.kz", "x%y@a-b.c.d.co",
    ],
)  # fmt: skip
def test_e_mail_addresses_become_a_placeholder(address: str) -> None:
    """local@domain.tld, Cyrillic ones too, digits in an address going with the address."""
    assert redact(f"Write to {address}, please.") == "Write to [e-mail], please."


@pytest.mark.parametrize(
    "text",
    ["@home", "a@b", "user@localhost", "me @ example.kz", "email@", "@example.kz", "a@@b.kz"],
)
def test_what_is_not_an_address_stays(text: str) -> None:
    """Handles, a bare @ and addresses without a dotted domain are not e-mail addresses."""
    assert redact(text) == text


@pytest.mark.parametrize("text", ["900101300126", "ИИН 900101300126", "BIN:123456789013"])
def test_a_twelve_digit_iin_or_bin_becomes_a_placeholder(text: str) -> None:
    """Exactly twelve digits standing alone, whatever comes before them."""
    assert redact(f"({text})") == f"({text[:-12]}[IIN])"


@pytest.mark.parametrize(
    "text",
    ["90010130012", "9001013001265", "1234567890123456789012", "3.141592653589", "900101 300123"],
)
def test_other_runs_of_digits_are_not_an_iin(text: str) -> None:
    """Eleven or thirteen digits, part of a longer run or of a decimal, or split: not an IIN."""
    assert redact(text) == text


@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111", "4111111111111111", "5500-0000-0000-0004", "3782 822463 10005",
        "6011 0009 9013 9424", "4222222222222", "6222 0210 0012 3456 781", "4012888888881881",
    ],
)  # fmt: skip
def test_card_numbers_passing_luhn_become_a_placeholder(card: str) -> None:
    """13 to 19 digits, together or in groups, that pass the Luhn check."""
    assert redact(f"card {card} ok") == "card [card] ok"


def test_a_card_written_with_its_expiry_loses_only_the_card() -> None:
    """The longest leading groups that pass the check are the card; the rest stays."""
    assert redact("4111 1111 1111 1111 12/25") == "[card] 12/25"
    assert redact("4111111111111111 2025") == "[card] 2025"


@pytest.mark.parametrize(
    "text",
    ["4111 1111 1111 1111".replace("1111 1111", "1111 1112"), "4111111111111112",
     "1234 5678 9012 3456", "1234567890123", "1234 5678 9012 3456 7890 1234"],
)  # fmt: skip
def test_numbers_failing_luhn_stay(text: str) -> None:
    """A 16-digit number that fails the check is not a card."""
    assert redact(text) == text


def test_the_luhn_check() -> None:
    """The published examples pass; a changed check digit fails."""
    assert all(map(luhn_valid, ["79927398713", "4111111111111111", "378282246310005", "0"]))
    assert not any(map(luhn_valid, ["79927398710", "4111111111111112", "1234567812345678"]))


def test_text_without_personal_data_is_returned_as_it_is() -> None:
    """No digit and no @: nothing to look for."""
    text = "Бұл қорытынды өте маңызды, әсіресе жастар үшін."
    assert redact(text) is text
    assert redact("") == ""


HOSTILE = {
    "digits": "1" * 10_000,
    "dashed digits": "1-" * 5_000,
    "at signs": "@" * 10_000,
    "a@": "a@" * 5_000,
    "+7": "+7" * 5_000,
    "a.": "a." * 5_000,
    "no spaces": "x" * 10_000,
    "a. then @": "a." * 4_995 + "@x.kz",
    "long domain": "a@" + "b." * 4_990,
    "87": "87" * 5_000,
    "8 701 ": "8 701 " * 1_666,
    "groups of four": "4111 " * 2_000,
    "valid cards": "4111 1111 1111 1111 " * 500,
    "zeros": "0000 " * 2_000,
    "brackets": "8(" * 5_000,
    "twelve digits": "900101300126 " * 769,
    "decimals": "1.2.3.4." * 1_250,
}


@pytest.mark.slow  # it measures time
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_comments_cost_a_few_milliseconds(name: str) -> None:
    """10,000 characters built to make a pattern backtrack: the best of three runs ≤ 50 ms."""
    text = HOSTILE[name]
    spent = []
    for _ in range(3):
        started = time.perf_counter()
        redact(text)
        spent.append(time.perf_counter() - started)
    assert min(spent) <= 0.05, f"{name}: {min(spent) * 1000:.1f} ms"


@pytest.mark.parametrize(
    "text",
    [
        "https://wa.me/77012345678", "77012345678", "7 701 234 56 78", "7(701)2345678",
        "701 234 56 78", "(701) 234-56-78", "+7.701.234.56.78", "8.701.234.56.78",
        "+７ ７０１ ２３４ ５６ ７８",
    ],
)  # fmt: skip
def test_phones_written_as_people_share_them_become_a_placeholder(text: str) -> None:
    """A WhatsApp link, a bare 7, no prefix but a phone's grouping, dots, full-width digits."""
    assert "[phone]" in redact(text)
    assert not any(char.isdigit() for char in redact(text).replace("wa.me", ""))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4111  1111  1111  1111", "[card]"),
        ("4111.1111.1111.1111", "[card]"),
        ("ИИН 900101 300126", "ИИН [IIN]"),
        ("ЖСН: 900101 300126", "ЖСН: [IIN]"),
        ("mail me: a.b＠example.kz", "mail me: [e-mail]"),
    ],
)
def test_spaced_cards_grouped_iins_and_full_width_at_signs_are_found(
    text: str, expected: str
) -> None:
    """Double spaces and dots between a card's groups, an IIN split 6 + 6 after its name."""
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "200000000000 тенге", "100000000000", "2023-2024-2025-2026", "1000 2000 3000 4000",
        "в 2024 году 15% и 1 000 000 тенге", "87 000 000 000", "версия 1.2.3.4",
    ],
)  # fmt: skip
def test_amounts_and_year_lists_stay_as_written(text: str) -> None:
    """A 12-digit amount fails the IIN's check digit; a list of years is no card network's."""
    assert redact(text) == text


async def test_a_semicolon_cannot_start_a_formula_where_excel_splits_on_it(
    bot: Harness, tmp_path: Path
) -> None:
    """Excel in Kazakh and Russian settings splits on ";": a comment holding one is quoted."""
    person = Person(8301)
    await walk_to(bot, person, "m1")
    await bot.send(person, "ok;=1+1")
    write_pack(bot.settings.db, tmp_path, bot.content, zone=ALMATY, xlsx=False, charts=False)
    raw = (tmp_path / "answers.csv").read_text(encoding="utf-8-sig")
    assert ',"ok;=1+1",' in raw
    (row,) = [r for r in rows(tmp_path / "answers.csv") if r["item"] == "conclusion-1"]
    assert row["comment"] == "ok;=1+1"
