"""Command line: run, demo, export, stats, check-content, backup. Parses, then calls."""

from __future__ import annotations

import argparse
import asyncio
import gc
import html
import logging
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

# Durations (voice length, retry_after) as timedelta: PTB's coming default, opted into early.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from pydantic import ValidationError

from bot.config import Settings
from bot.content import Content, ContentError, load_content, load_content_text
from bot.storage.reports import VOICE_LIST


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        # Pydantic's own text quotes the input, and the input of a check across variables is
        # all of them: the start of the token, the end of the webhook secret. Name and reason only.
        lines = []
        for error in exc.errors(include_url=False, include_input=False):
            variable = f"BOT_{str(error['loc'][0]).upper()}: " if error["loc"] else ""
            lines.append(f"  {variable}{error['msg'].removeprefix('Value error, ')}")
        sys.exit("configuration error:\n" + "\n".join(lines))


def _content(settings: Settings, path: Path | None = None) -> Content:
    try:
        return load_content(path or settings.content)
    except ContentError as exc:
        sys.exit(f"the content file is not valid, the bot will not start.\n{exc}")


def _running_content(settings: Settings, database: Path) -> Content:
    """The content the bot runs on `database`: the newest version published from the bot, else
    the start file (exports and stats describe what respondents were asked)."""
    import sqlite3  # noqa: PLC0415 - a plain read-only connection, export and stats only

    from bot.storage.reports import published_content  # noqa: PLC0415 - as above

    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        published = published_content(connection)
    finally:
        connection.close()
    if published is None:
        return _content(settings)
    version, text = published
    try:
        return load_content_text(text, Path(f"published version {version}"))
    except ContentError as exc:  # validated when it was published: a newer bot's rules?
        sys.exit(f"the published content is not valid for this version of the bot.\n{exc}")


def cmd_run(args: argparse.Namespace) -> None:
    """Run the bot, polling or (with BOT_WEBHOOK_URL) webhook."""
    from telegram import Update  # noqa: PLC0415 - keeps `check-content` and `export` light

    from bot.app import build_application  # noqa: PLC0415 - the bot, `run` only
    from bot.redact import install as install_redaction  # noqa: PLC0415 - the same

    settings = _settings()
    if settings.token is None:
        sys.exit("BOT_TOKEN is required for `run` (try `make demo` without one)")
    install_redaction(settings.token.get_secret_value())
    application = build_application(settings, _content(settings))
    # What start-up built (modules, the content, the handlers) lives as long as the process:
    # kept out of the collector's generations, a full collection no longer walks it (issue 17:
    # the slowest updates were full collections).
    gc.collect()
    gc.freeze()
    if settings.webhook_url:
        from bot.webhook import limit_webhook_server  # noqa: PLC0415 - tornado, webhook only

        try:
            limit_webhook_server()
        except RuntimeError as exc:
            sys.exit(str(exc))
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        application.run_webhook(
            listen=settings.listen,
            port=settings.port,
            url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)


def cmd_demo(args: argparse.Namespace) -> None:
    """Run the bot in the terminal against the offline Bot API."""
    from bot.demo import DEMO_USER, run_demo  # noqa: PLC0415 - the whole bot, for `demo` only

    database = Path(args.db)
    settings = _settings().model_copy(
        update={
            "db": database,
            "token": None,  # offline: the fake Bot API answers everything
            "admins": [DEMO_USER] if args.admin else [],
            "team_chats": [],
            "export_dir": database.parent / "demo-exports",
        }
    )
    if args.fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    asyncio.run(
        run_demo(settings, _content(settings), language_code=args.language_code, admin=args.admin)
    )


def _database(args: argparse.Namespace, settings: Settings) -> Path:
    """The database named by --db, else BOT_DB; exit if there is none."""
    database = Path(args.db) if args.db else settings.db
    if not database.exists():
        sys.exit(f"no database at {database}")
    return database


def cmd_export(args: argparse.Namespace) -> None:
    """Write the export pack and print the files written, one a line.

    Then fetch the voice comments from Telegram with BOT_TOKEN, unless the caller does
    (--voices-follow: the bot). Whatever could not be fetched is said on stderr and in the
    pack's summaries; the rest of the pack is written all the same.
    """
    from bot.export import write_pack, write_stance_charts  # noqa: PLC0415 - pandas, `export` only

    settings = _settings()
    database = _database(args, settings)
    out = Path(args.out)
    if args.charts_only:
        files = write_stance_charts(
            database, out, _running_content(settings, database), zone=settings.zone
        )
    else:
        files = write_pack(
            database,
            out,
            _running_content(settings, database),
            zone=settings.zone,
            xlsx=not args.no_xlsx,
            charts=not args.no_charts,
        )
    for path in files:
        print(path)
    if not args.charts_only and not args.voices_follow and (out / VOICE_LIST).exists():
        for path in asyncio.run(_fetch_voices(settings, out)):
            print(path)


async def _fetch_voices(settings: Settings, out: Path) -> list[Path]:
    """The pack's voice comments from Telegram, as the bot fetches them; say what could not be."""
    from telegram import Bot  # noqa: PLC0415 - only an export with voice comments needs it
    from telegram.error import TelegramError  # noqa: PLC0415 - the same

    from bot.jobs.packs import download_voices  # noqa: PLC0415 - the same
    from bot.redact import install as install_redaction  # noqa: PLC0415 - the same

    if settings.token is None:
        fetch = await download_voices(None, out)
        print(
            f"voice files not fetched: BOT_TOKEN is not set ({fetch.missing} voice comments"
            " are listed in answers.csv; the summaries say they are missing)",
            file=sys.stderr,
        )
        return []
    token = settings.token.get_secret_value()
    install_redaction(token)
    bot = Bot(token, base_url=settings.api_url, base_file_url=settings.file_url)
    unreachable = None
    try:
        async with bot:  # getMe first: Telegram is there and takes the token
            fetch = await download_voices(bot, out)
    except TelegramError as error:
        unreachable = error.message
        fetch = await download_voices(None, out)
    if fetch.missing:
        print(
            f"voice files not fetched: {fetch.missing} of {fetch.listed} could not be"
            f" downloaded from Telegram ({fetch.error or unreachable}); the rest of the pack"
            " is written",
            file=sys.stderr,
        )
    return fetch.fetched


def cmd_stats(args: argparse.Namespace) -> None:
    """Print the statistics /stats shows."""
    from bot.stats import collect, format_stats  # noqa: PLC0415 - the database, `stats` only

    settings = _settings()
    database = _database(args, settings)
    content = _running_content(settings, database)
    if args.groups:
        print("\n".join(_groups_lines(database, content, args.language)))
        return
    text = format_stats(collect(database), content, args.language)
    print(html.unescape(re.sub(r"<[^>]+>", "", text)))


def _groups_lines(database: Path, content: Content, language: str) -> list[str]:
    """The opinion groups of the newest round enough people submitted, described in
    `language` (/stats groups runs this in a child process: scikit-learn stays out of the bot)."""
    from bot.opinion import describe, opinion_groups  # noqa: PLC0415 - numpy, scikit-learn
    from bot.storage.reports import export_connection  # noqa: PLC0415 - the same

    connection = export_connection(database, lambda utc: utc)
    try:
        matrix, groups = opinion_groups(connection, content)
    finally:
        connection.close()
    return describe(matrix, groups, content, language)


def cmd_check_content(args: argparse.Namespace) -> None:
    """Validate a content file; exit 1 naming every problem."""
    path = Path(args.file) if args.file else None
    try:
        content = load_content(path)
    except ContentError as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
    for warning in content.warnings:
        print(f"warning: {warning}")
    print(
        f"ok: version {content.version}, {len(content.conclusions)} conclusions, "
        f"{len(content.sectors.options)} sectors, {len(content.markets.options)} markets"
    )
    if args.db:
        _compare_with_published(content, Path(args.db))


def _compare_with_published(content: Content, db: Path) -> None:
    """Print what publishing `content` would change against the version `db` runs."""
    from bot.revisions import compare, describe, stranded  # noqa: PLC0415 - only with --db
    from bot.storage.repository import Repository  # noqa: PLC0415 - the same

    if not db.exists():
        sys.exit(f"{db}: no such database")

    async def read() -> tuple[tuple[int, str] | None, list[tuple[str, bool, bool, int]]]:
        repository = await Repository.open(db)
        try:
            return await repository.published_content(), await repository.steps_taken()
        finally:
            await repository.close()

    published, steps = asyncio.run(read())
    if published is None:
        print("no version published in the database yet: compared with the bundled file")
        running = load_content()
    else:
        running = load_content_text(published[1], Path(f"published version {published[0]}"))
    if content.version <= running.version:
        print(f"warning: version {content.version} is not greater than {running.version}")
    print("\n".join(describe(compare(running, content), stranded(content, steps))))


def cmd_backup(args: argparse.Namespace) -> None:
    """Write a consistent online copy of the database."""
    from bot.storage.backup import backup  # noqa: PLC0415 - the database, `backup` only

    settings = _settings()
    backup(settings.db, Path(args.file))
    print(args.file)


# APScheduler logs two INFO lines for every run of a job (the pump runs four times a second);
# httpx one for every request, and its URL carries the token; the webhook's server one for
# every update (its refusals are warnings, and stay).
QUIET = ("apscheduler", "httpx", "httpcore", "tornado.access")


def configure_logging(command: str, log_file: Path | None = None) -> None:
    """The bot's own events at INFO when it runs, the libraries' chatter at WARNING.

    `run` logs to stderr; the one-off commands only warnings. With `log_file` (the demo) every
    line goes there and only errors reach the terminal, where a person is trying the bot.
    """
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    terminal = logging.StreamHandler()
    terminal.setFormatter(fmt)
    root.addHandler(terminal)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(log_file, encoding="utf-8")
        to_file.setFormatter(fmt)
        root.addHandler(to_file)
        terminal.setLevel(logging.ERROR)
        logging.captureWarnings(True)  # library warnings too: to the file, not the terminal
    root.setLevel(logging.INFO if command == "run" or log_file is not None else logging.WARNING)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the command."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="the bot, polling or webhook").set_defaults(func=cmd_run)
    demo = commands.add_parser("demo", help="the bot in the terminal, offline, no token")
    demo.add_argument("--db", default="data/demo.sqlite3", help="the demo's own database")
    demo.add_argument("--language-code", default="en", help="Telegram's language_code (kk/ru/en)")
    demo.add_argument("--fresh", action="store_true", help="forget the demo's earlier answers")
    demo.add_argument(
        "--admin",
        action="store_true",
        help="you are an owner, the job queue runs: /stats, /export, /broadcast work",
    )
    demo.set_defaults(func=cmd_demo)
    export = commands.add_parser("export", help="write the export pack")
    export.add_argument("--out", required=True, help="the folder to write into")
    export.add_argument("--db", help="the database (default: BOT_DB)")
    export.add_argument("--no-xlsx", action="store_true", help="CSV files only, no workbook")
    export.add_argument("--no-charts", action="store_true", help="no PNG charts")
    export.add_argument("--charts-only", action="store_true", help="only the stance charts")
    export.add_argument(
        "--voices-follow",
        action="store_true",
        help="the caller fetches the voice comments (listed in .voices.tsv)",
    )
    export.set_defaults(func=cmd_export)
    stats = commands.add_parser("stats", help="the statistics /stats shows")
    stats.add_argument("--db", help="the database (default: BOT_DB)")
    stats.add_argument("--language", default="en", choices=["kk", "ru", "en"])
    stats.add_argument(
        "--groups", action="store_true", help="the opinion groups instead (/stats groups)"
    )
    stats.set_defaults(func=cmd_stats)
    check = commands.add_parser("check-content", help="validate a content file")
    check.add_argument("file", nargs="?", help="the file (default: the bundled content)")
    check.add_argument(
        "--db", help="also compare it with the version this database runs (published or bundled)"
    )
    check.set_defaults(func=cmd_check_content)
    backup = commands.add_parser("backup", help="an online, consistent copy of the database")
    backup.add_argument("file")
    backup.set_defaults(func=cmd_backup)
    args = parser.parse_args(argv)
    log_file = Path(args.db).parent / "demo.log" if args.command == "demo" else None
    configure_logging(args.command, log_file)
    args.func(args)


if __name__ == "__main__":
    main()
