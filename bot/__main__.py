"""Command line: run, demo, export, check-content, backup. Parses, then calls."""

from __future__ import annotations

import argparse
import asyncio
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
from bot.content import Content, ContentError, load_content


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
    from bot.demo import run_demo  # noqa: PLC0415 - the whole bot, for `demo` only

    settings = _settings().model_copy(update={"db": Path(args.db), "admins": [], "team_chats": []})
    if args.fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    asyncio.run(run_demo(settings, _content(settings), language_code=args.language_code))


def cmd_export(args: argparse.Namespace) -> None:
    """Write the export pack and print the files written."""
    from bot.export import write_pack, write_stance_charts  # noqa: PLC0415 - pandas, `export` only

    settings = _settings()
    if not settings.db.exists():
        sys.exit(f"no database at {settings.db}")
    if args.charts_only:
        files = write_stance_charts(settings.db, Path(args.out), _content(settings))
    else:
        files = write_pack(
            settings.db,
            Path(args.out),
            _content(settings),
            zone=settings.zone,
            xlsx=not args.no_xlsx,
            charts=not args.no_charts,
            voices_follow=args.voices_follow,
        )
    for path in files:
        print(path)


def cmd_stats(args: argparse.Namespace) -> None:
    """Print the statistics /stats shows."""
    from bot.stats import collect, format_stats  # noqa: PLC0415 - the database, `stats` only

    settings = _settings()
    if not settings.db.exists():
        sys.exit(f"no database at {settings.db}")
    text = format_stats(collect(settings.db), _content(settings), args.language)
    print(html.unescape(re.sub(r"<[^>]+>", "", text)))


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


def cmd_backup(args: argparse.Namespace) -> None:
    """Write a consistent online copy of the database."""
    from bot.storage.backup import backup  # noqa: PLC0415 - the database, `backup` only

    settings = _settings()
    backup(settings.db, Path(args.file))
    print(args.file)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the command."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="the bot, polling or webhook").set_defaults(func=cmd_run)
    demo = commands.add_parser("demo", help="the bot in the terminal, offline, no token")
    demo.add_argument("--db", default="data/demo.sqlite3", help="the demo's own database")
    demo.add_argument("--language-code", default="en", help="Telegram's language_code (kk/ru/en)")
    demo.add_argument("--fresh", action="store_true", help="forget the demo's earlier answers")
    demo.set_defaults(func=cmd_demo)
    export = commands.add_parser("export", help="write the export pack")
    export.add_argument("--out", required=True, help="the folder to write into")
    export.add_argument("--no-xlsx", action="store_true", help="CSV files only, no workbook")
    export.add_argument("--no-charts", action="store_true", help="no PNG charts")
    export.add_argument("--charts-only", action="store_true", help="only the stance charts")
    export.add_argument(
        "--voices-follow",
        action="store_true",
        help="the caller adds the voice comments (listed in .voices.tsv)",
    )
    export.set_defaults(func=cmd_export)
    stats = commands.add_parser("stats", help="the statistics /stats shows")
    stats.add_argument("--language", default="en", choices=["kk", "ru", "en"])
    stats.set_defaults(func=cmd_stats)
    check = commands.add_parser("check-content", help="validate a content file")
    check.add_argument("file", nargs="?", help="the file (default: the bundled content)")
    check.set_defaults(func=cmd_check_content)
    backup = commands.add_parser("backup", help="an online, consistent copy of the database")
    backup.add_argument("file")
    backup.set_defaults(func=cmd_backup)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.command == "run" else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL, and the URL carries the token: keep it out of the logs.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    args.func(args)


if __name__ == "__main__":
    main()
