"""The XLSX writers side by side on the same cells (`python -m bench.writers PACK_FOLDER`).

Each writer runs in a child process of its own over the records `bot.export.workbook_sheets`
makes from a written pack's CSV files (the very cells of the bot's workbook): its time, its
peak memory, and whether a text that starts with "=" stays a string cell. How the workbook
writer was chosen (issue 17); not part of `make bench` (pyexcelerate is no dependency:
`pip install pyexcelerate` to include it).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from bot.export import DATE_FORMAT, pack_sheets, workbook_sheets

# A child: write the workbook with one writer, then say how long, how much memory, and what
# became of a formula-looking text.
CHILD = """
import json, sys, time
from bench.memory import own_peak_mb
from pathlib import Path
from bot.export import DATE_FORMAT, pack_sheets, workbook_sheets, write_xlsx
writer, folder, path = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
probe = {"respondent": 0, "item": "probe", "comment": "=1+1"}
start = time.perf_counter()
if writer == "rustpy-xlsxwriter":
    write_xlsx(pack_sheets(folder), folder / "answers.csv", path)
    import rustpy_xlsxwriter
    rustpy_xlsxwriter.write_worksheets([("probe", [probe])], str(path) + ".probe")
elif writer == "xlsxwriter":
    from bench.writers import XLSXWRITER_OPTIONS, xlsxwriter_loop
    import xlsxwriter
    xlsxwriter_loop(folder, path)
    with xlsxwriter.Workbook(str(path) + ".probe", XLSXWRITER_OPTIONS) as workbook:
        workbook.add_worksheet("probe").write_row(0, 0, list(probe.values()))
elif writer == "pyexcelerate":
    from pyexcelerate import Workbook
    workbook = Workbook()
    with workbook_sheets(pack_sheets(folder), folder / "answers.csv") as book:
        for title, records in book.entries:
            rows = []
            for record in records:
                if not rows:
                    rows.append(list(record))
                rows.append(list(record.values()))
            workbook.new_sheet(title, data=rows)  # pyexcelerate takes a sheet whole
        workbook.save(str(path))
    probing = Workbook()
    probing.new_sheet("probe", data=[list(probe.values())])
    probing.save(str(path) + ".probe")
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds,
                  "peak_mb": own_peak_mb()}))
"""

WRITERS = ("rustpy-xlsxwriter", "pyexcelerate", "xlsxwriter")
# XlsxWriter as the bot would need it: rows to disk as written, text never a formula or link.
XLSXWRITER_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "default_date_format": DATE_FORMAT,
}


def xlsxwriter_loop(folder: Path, path: Path) -> None:
    """The minimal XlsxWriter loop over a pack's workbook cells (`workbook_sheets`' records),
    one `write_row` a row: the floor `xlsx_floor_ratio` compares the bot's writer with."""
    import xlsxwriter  # noqa: PLC0415 - a dev dependency

    with (
        workbook_sheets(pack_sheets(folder), folder / "answers.csv") as book,
        xlsxwriter.Workbook(str(path), XLSXWRITER_OPTIONS) as workbook,
    ):
        for title, records in book.entries:
            sheet = workbook.add_worksheet(title)
            for row, record in enumerate(records, start=1):
                if row == 1:
                    sheet.write_row(0, 0, list(record))
                sheet.write_row(row, 0, list(record.values()))


def formula(probe: Path) -> bool:
    """Whether the probe's "=1+1" was written as a formula (an <f> element) in its sheet."""
    with zipfile.ZipFile(probe) as book:
        return any(
            b"<f>" in book.read(name)
            for name in book.namelist()
            if name.startswith("xl/worksheets/")
        )


def main() -> None:
    folder = Path(sys.argv[1])
    for writer in WRITERS:
        path = folder / f"writers-{writer}.xlsx"
        result = subprocess.run(
            [sys.executable, "-c", CHILD, writer, str(folder), str(path)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            print(f"{writer}: failed: {result.stderr.strip().splitlines()[-1]}")
            continue
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        as_formula = formula(Path(f"{path}.probe"))
        print(
            f"{writer}: {figures['seconds']:.1f} s, peak {figures['peak_mb']:.0f} MB,"
            f" {path.stat().st_size / 2**20:.1f} MB file,"
            f" '=1+1' written as {'a formula' if as_formula else 'a string'}",
            flush=True,
        )


if __name__ == "__main__":
    main()
