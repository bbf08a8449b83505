"""The workbook as Excel reads it: opened with openpyxl, not only as XML.

bot.export writes it with rust_xlsxwriter's bindings, rows streamed from the pack's CSV files:
text stays text whatever it starts with, counts are numbers, times dates, control characters
survive, and a sheet longer than Excel's rows goes on in a second sheet.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.escape import unescape

from bot import export
from bot.export import DATE_FORMAT, write_xlsx

HEADER = ["respondent", "item", "stance", "comment", "answered_at"]
TRICKY = [
    '\'=HYPERLINK("http://x")',  # guarded in the CSV: the workbook holds the verbatim text
    "'+7 701 000 00 00",
    "tab\tand bell\x07 and \x01",  # control characters: Excel's _xHHHH_ escapes, read back
    "_x0041_ is not an A",  # a literal escape-looking text stays literal
    "Шығармашылық индустрия — «болашақ»",
    "0042",  # digits in a text column stay text, leading zero kept
]


def answers_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def rows_for(comments: list[str]) -> list[list[str]]:
    return [
        [str(number), f"conclusion-{number}", "4", comment, "2026-11-30T14:05:00+05:00"]
        for number, comment in enumerate(comments, start=1)
    ]


def test_text_numbers_and_dates_are_read_back_as_they_were_written(tmp_path: Path) -> None:
    source = answers_csv(tmp_path / "answers.csv", rows_for(TRICKY))
    summary = pd.DataFrame({"item": ["conclusion-1"], "agree": [3], "share": [0.25]})
    path = write_xlsx({"summary": summary}, source, tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["answers", "summary"]
    sheet = book["answers"]
    assert [cell.value for cell in sheet[1]] == HEADER
    assert all(cell.font.b for cell in sheet[1])  # a bold header
    assert sheet.freeze_panes == "A2"
    # openpyxl leaves Excel's _xHHHH_ escapes of inline strings as stored; Excel decodes them
    # as openpyxl's own unescape does.
    comments = [unescape(row[3].value) for row in sheet.iter_rows(min_row=2)]
    assert comments == [
        '=HYPERLINK("http://x")',
        "+7 701 000 00 00",
        "tab\tand bell\x07 and \x01",
        "_x0041_ is not an A",
        "Шығармашылық индустрия — «болашақ»",
        "0042",
    ]
    assert all(row[3].data_type == "s" for row in sheet.iter_rows(min_row=2))  # no formula
    first = next(sheet.iter_rows(min_row=2))
    assert first[0].value == 1 and first[0].data_type == "n"  # codes are numbers
    assert first[2].value == 4 and first[2].data_type == "n"
    assert first[4].value == datetime(2026, 11, 30, 14, 5)  # the clock in the bot's zone
    assert first[4].number_format == DATE_FORMAT
    width = sheet.column_dimensions["D"].width
    assert width >= len(TRICKY[4])  # the comment column is sized to its text
    totals = book["summary"]
    assert [c.value for c in totals[2]] == ["conclusion-1", 3, 0.25]


def test_a_sheet_longer_than_excel_allows_goes_on_in_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "EXCEL_ROWS", 4)
    comments = [f"comment {n}" for n in range(1, 11)]
    source = answers_csv(tmp_path / "answers.csv", rows_for(comments))
    path = write_xlsx({}, source, tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["answers", "answers (2)", "answers (3)"]
    read = []
    for name in book.sheetnames:
        sheet = book[name]
        assert [cell.value for cell in sheet[1]] == HEADER  # every part has the header
        assert sheet.max_row <= 4 + 1
        read += [row[3].value for row in sheet.iter_rows(min_row=2)]
    assert read == comments  # every row once, in order


def test_a_sheet_without_rows_keeps_its_header(tmp_path: Path) -> None:
    source = answers_csv(tmp_path / "answers.csv", [])
    groups = pd.DataFrame(columns=["group", "size"])
    path = write_xlsx({"opinion_groups": groups}, source, tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(path)
    for name, header in (("answers", HEADER), ("opinion_groups", ["group", "size"])):
        sheet = book[name]
        assert [cell.value for cell in sheet[1]] == header
        assert sheet.max_row == 1, name


def test_text_longer_than_a_cell_holds_is_cut_in_the_workbook_only(tmp_path: Path) -> None:
    """A comment written before comments were capped: longer than the csv module's default
    field and than an Excel cell. The CSV keeps it whole; the cell ends in "…"."""
    long = "long " * 40_000
    source = answers_csv(tmp_path / "answers.csv", rows_for([long, "short"]))
    path = write_xlsx({}, source, tmp_path / "book.xlsx")
    sheet = openpyxl.load_workbook(path)["answers"]
    cut, short = (row[3].value for row in sheet.iter_rows(min_row=2))
    assert len(cut) == export.EXCEL_CHARS and cut.endswith("…")
    assert long.startswith(cut[:-1])
    assert short == "short"
