"""After /delete: the person's rows and voice files out of the bot's own copies on the server.

The database forgets a person at once; the export packs under BOT_EXPORT_DIR (weekly ones are
kept, on-demand ones five at a time) and the daily backups beside the database still hold them.
This module cleans those copies of the pseudonymous numbers that withdrew:

- in each pack folder that lists one of them: answers.csv and respondents.csv without their
  rows, their voice files removed, the workbook written again from the cleaned CSV files, and
  the zip sent to the team rebuilt from the cleaned folder (the aggregate files, summaries and
  charts, name nobody and stay);
- in each backup: their rows deleted (`erase_from_copy`), the freed space overwritten with
  zeros, so the bytes are gone from the file, not only unreachable.

The bot runs it in a child process (`python -m bot.purge`), as it does the export: rewriting a
large pack is seconds of work that must not hold its event loop. No telegram import.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path

from bot.storage.backup import erase_from_copy

logger = logging.getLogger(__name__)

PERSONAL_FILES = ("answers.csv", "respondents.csv")  # the files with one row per person
WORKBOOK = "consultation.xlsx"
PENDING = ".purge-pending"  # in a pack folder while it is being cleaned: the numbers
HIGHEST = ".highest-respondent"  # in a pack folder: the highest number it holds
PRIVATE = 0o700  # export and backup folders: the bot's user only, like the database


def private_folder(folder: Path) -> Path:
    """Create `folder` (and its missing parents) readable by the bot's user only."""
    missing = [path for path in (folder, *folder.parents) if not path.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    for path in missing:
        path.chmod(PRIVATE)
    return folder


def lock_down(*folders: Path) -> None:
    """Make folders made before they were private (an older version) the bot's user's only:
    every folder in them 0700, every file 0600."""
    for folder in folders:
        if not folder.is_dir():
            continue
        folder.chmod(PRIVATE)
        for path in folder.rglob("*"):
            if not path.is_symlink():
                path.chmod(PRIVATE if path.is_dir() else 0o600)


def _holds(folder: Path, numbers: set[str]) -> bool:
    """Whether a pack folder names one of `numbers` anywhere: a row, a voice file."""
    voice = folder / "voice"
    if voice.is_dir() and any(_voice_of(path.name) in numbers for path in voice.iterdir()):
        return True
    return any(_rows_of(folder / name, numbers) for name in PERSONAL_FILES)


def _rows_of(path: Path, numbers: set[str]) -> bool:
    """Whether a CSV file of the pack has a row whose first column is in `numbers`."""
    if not path.exists():
        return False
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return any(row[:1] and row[0] in numbers for row in csv.reader(handle))


def _voice_of(name: str) -> str:
    """The respondent a voice file belongs to: voice/<respondent>-<item>-<n>.ogg, and
    voice/<respondent>-<item>-round<r>-<n>.ogg in a later round (bot.storage.reports)."""
    return name.split("-", 1)[0]


def _without(path: Path, numbers: set[str]) -> None:
    """Rewrite a CSV file of the pack without the rows whose first column is in `numbers`."""
    partial = path.with_name(path.name + ".partial")
    raw = path.read_bytes()[:3]
    bom = raw == b"\xef\xbb\xbf"
    with (
        path.open(encoding="utf-8-sig", newline="") as source,
        partial.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as target,
    ):
        writer = csv.writer(target, lineterminator="\r\n")
        for index, row in enumerate(csv.reader(source)):
            if index == 0 or not row or row[0] not in numbers:
                writer.writerow(row)
    partial.replace(path)


def _rewrite_workbook(folder: Path) -> None:
    """The workbook again, from the cleaned CSV files (it holds the same rows); removed when
    those files are not all there to rebuild it from."""
    from bot.export import pack_sheets, write_xlsx  # noqa: PLC0415 - pandas: the child only

    sources = ("answers.csv", "respondents.csv", "summary.csv", "codebook.csv")
    if not all((folder / name).exists() for name in sources):
        (folder / WORKBOOK).unlink()
        return
    sheets = pack_sheets(folder)
    partial = folder / f"{WORKBOOK}.partial.xlsx"
    write_xlsx(sheets, folder / "answers.csv", partial)
    partial.replace(folder / WORKBOOK)


def _rebuild_zip(archive: Path, folder: Path, numbers: set[str]) -> None:
    """The zip again: each member from the cleaned folder, the withdrawn voices left out."""
    partial = archive.with_name(archive.name + ".partial")
    with (
        zipfile.ZipFile(archive) as old,
        zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as new,
    ):
        for member in old.namelist():
            if member.startswith("voice/") and _voice_of(member[len("voice/") :]) in numbers:
                continue
            cleaned = folder / member
            if cleaned.is_file() and member in (*PERSONAL_FILES, WORKBOOK):
                new.write(cleaned, member)
            else:
                new.writestr(member, old.read(member))
    partial.replace(archive)


def _highest(folder: Path) -> int:
    """The highest respondent number a pack folder can hold (numbers only grow: a pack made
    before someone consented cannot hold them); remembered in the folder once read."""
    index = folder / HIGHEST
    if index.exists():
        return int(index.read_text(encoding="utf-8") or 0)
    highest = 0
    for name in PERSONAL_FILES:
        if (folder / name).exists():
            with (folder / name).open(encoding="utf-8-sig", newline="") as handle:
                for row in csv.reader(handle):
                    if row[:1] and row[0].isdigit():
                        highest = max(highest, int(row[0]))
    voice = folder / "voice"
    if voice.is_dir():
        highest = max(
            [highest, *(int(n) for p in voice.iterdir() if (n := _voice_of(p.name)).isdigit())]
        )
    index.write_text(str(highest), encoding="utf-8")
    return highest


def purge_pack(folder: Path, numbers: Iterable[int]) -> bool:
    """Clean one pack folder of `numbers`; return whether it held any of them.

    A folder being cleaned carries PENDING with the numbers until every file is done, so a
    cleaning cut short (a crash, a missing file) is done whole again next time, however far it
    got.
    """
    marker = folder / PENDING
    wanted = {str(number) for number in numbers}
    if marker.exists():
        wanted |= set(marker.read_text(encoding="utf-8").split())
    elif min(map(int, wanted)) > _highest(folder) or not _holds(folder, wanted):
        return False
    marker.write_text(" ".join(sorted(wanted)), encoding="utf-8")
    for name in PERSONAL_FILES:
        if (folder / name).exists():
            _without(folder / name, wanted)
    voice = folder / "voice"
    if voice.is_dir():
        for path in voice.iterdir():
            if _voice_of(path.name) in wanted:
                path.unlink()
    if (folder / WORKBOOK).exists():
        _rewrite_workbook(folder)
    for archive in folder.glob("*.zip"):
        _rebuild_zip(archive, folder, wanted)
    marker.unlink()
    return True


def purge(*, export_dir: Path, backups: Path | None, numbers: list[int]) -> list[Path]:
    """Clean every pack under `export_dir` and every backup in `backups` (if given); return
    what changed. A copy that cannot be cleaned does not keep the others from it: the error is
    raised once all were tried."""
    csv.field_size_limit(sys.maxsize)  # comments written before the cap can be long
    copies: list[Path] = []
    if export_dir.is_dir():
        folders = {path.parent for path in export_dir.rglob("respondents.csv")}
        folders |= {path.parent.parent for path in export_dir.rglob("voice/*.ogg")}
        folders |= {path.parent for path in export_dir.rglob(PENDING)}
        copies += sorted(folders)
    if backups is not None and backups.is_dir():
        copies += sorted(backups.glob("*.sqlite3"))
    changed: list[Path] = []
    failures: list[tuple[Path, Exception]] = []
    for copy in copies:
        try:
            cleaned = (
                purge_pack(copy, numbers) if copy.is_dir() else erase_from_copy(copy, numbers)
            )
        except Exception as error:  # told below, once the other copies were cleaned
            failures.append((copy, error))
            continue
        if cleaned:
            changed.append(copy)
    if failures:
        raise PurgeError(failures)
    return changed


class PurgeError(RuntimeError):
    """Some copies could not be cleaned; the others were."""

    def __init__(self, failures: list[tuple[Path, Exception]]) -> None:
        super().__init__(
            "; ".join(f"{path}: {type(error).__name__}: {error}" for path, error in failures)
        )
        self.failures = failures


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.purge --export-dir DIR --backups DIR N [N ...]`: print what changed."""
    parser = argparse.ArgumentParser(prog="python -m bot.purge", description=__doc__)
    parser.add_argument("--export-dir", type=Path, required=True)
    parser.add_argument("--backups", type=Path)
    parser.add_argument("numbers", type=int, nargs="+")
    options = parser.parse_args(argv)
    os.umask(0o077)  # anything rewritten stays the bot's user's only
    try:
        changed = purge(
            export_dir=options.export_dir, backups=options.backups, numbers=options.numbers
        )
    except PurgeError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    for path in changed:
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
