"""The architecture holds: every module imports on its own, no import cycle, telegram and the
handlers only where they belong, and the command list is the one the bot registers."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from telegram.ext import CommandHandler

from bot.app import build_application
from bot.commands import COMMANDS
from bot.config import Settings
from bot.content import Content

ROOT = Path(__file__).resolve().parents[1]
BOT = ROOT / "bot"
# Modules without telegram: the journey, storage, content, export and the rest of the core.
NO_TELEGRAM = (
    "journey.py", "journey/**/*.py", "storage/**/*.py", "content.py", "export.py", "stats.py",
    "i18n.py", "langid.py", "config.py", "commands.py", "pii.py", "redact.py", "purge.py",
    "alerts.py",
)  # fmt: skip
# Only the composition root and the demo (which drives it) know the handlers.
MAY_IMPORT_HANDLERS = ("bot.app", "bot.demo")


def module_name(path: Path) -> str:
    """`bot/jobs/pump.py` → `bot.jobs.pump`; a package's `__init__.py` → the package."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def bot_modules() -> dict[str, Path]:
    """Every module of the bot package, by name."""
    return {module_name(path): path for path in sorted(BOT.rglob("*.py"))}


MODULES = bot_modules()


def _type_checking(node: ast.stmt) -> bool:
    """`if TYPE_CHECKING:` — imports for annotations only, never run."""
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.Module, *, module_level: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements of a module: those run when it is imported (module_level), or all
    of them, in functions too."""
    if not module_level:
        yield from (n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom))
        return
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If | ast.Try) and not _type_checking(node):
            blocks = [node.body, node.orelse]
            if isinstance(node, ast.Try):
                blocks += [node.finalbody, *(handler.body for handler in node.handlers)]
            pending.extend(statement for block in blocks for statement in block)


def imported(name: str, *, module_level: bool = False) -> set[str]:
    """The full names of the modules `name` imports (bot's or not), relative imports resolved.

    `from bot.handlers import admin` names `bot.handlers.admin` when that is a module.
    """
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _imports(tree, module_level=module_level):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, *([base] if base else [])])
        found.add(base)
        found.update(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES)
    return found


def _runs(importer: str, target: str) -> set[str]:
    """The bot modules importing `target` from `importer` runs: the target and every package
    above it that `importer` does not already sit in."""
    parts = target.split(".")
    chain = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    own = {".".join(importer.split(".")[:i]) for i in range(1, importer.count(".") + 1)}
    return {m for m in chain - own if m in MODULES}


def import_graph() -> dict[str, set[str]]:
    """Which bot modules each bot module runs when it is imported."""
    return {
        name: {m for t in imported(name, module_level=True) for m in _runs(name, t)} - {name}
        for name in MODULES
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as a path that returns to its start, or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if cycle := visit(target):
                return cycle
        path.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        if cycle := visit(start):
            return cycle
    return None


IMPORT_EACH = """
import importlib, json, sys, traceback
failures = {}
for name in json.loads(sys.argv[1]):
    for loaded in [m for m in sys.modules if m == "bot" or m.startswith("bot.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException:
        failures[name] = traceback.format_exc(limit=-3)
print(json.dumps(failures))
"""


def test_every_module_imports_on_its_own() -> None:
    """Each module of the bot imports first, alone, in a fresh interpreter: no module works
    only because another happened to be imported before it (an import cycle would not)."""
    # One interpreter, the bot's modules forgotten before each: third-party imports stay cached.
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH, json.dumps(sorted(MODULES))],
        capture_output=True, text=True, cwd=ROOT, check=True, timeout=300,
    )  # fmt: skip
    failures = json.loads(result.stdout.splitlines()[-1])
    assert failures == {}, "\n".join(f"{name}:\n{trace}" for name, trace in failures.items())


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check below would see a cycle (so its silence means something)."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_the_bots_modules() -> None:
    """The modules a bot module imports when it is loaded never lead back to it (imports
    inside functions and for type checking only are left out: they run later, if ever)."""
    graph = import_graph()
    assert graph["bot.handlers.admin"], "the graph is empty: the import scan is broken"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_the_core_never_imports_telegram() -> None:
    """The journey, storage, content, export, statistics, i18n, language detection, settings,
    commands, redaction, purge and alerts know nothing of Telegram."""
    # bot/journey.py, or the package bot/journey/: one of the two; every other pattern matches.
    missing = [p for p in NO_TELEGRAM if not p.startswith("journey") and not any(BOT.glob(p))]
    assert missing == []
    assert any(BOT.glob("journey.py")) or any(BOT.glob("journey/*.py"))
    paths = {path for pattern in NO_TELEGRAM for path in BOT.glob(pattern)}
    offenders = {
        module_name(path): sorted(
            m for m in imported(module_name(path)) if m == "telegram" or m.startswith("telegram.")
        )
        for path in paths
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_only_the_composition_root_and_the_demo_import_handlers() -> None:
    """Outside bot/handlers/, only bot.app and bot.demo import a handler: jobs, services and
    the core never do."""
    offenders = {
        name: sorted(m for m in imported(name) if m.startswith("bot.handlers"))
        for name in MODULES
        if not name.startswith("bot.handlers") and name not in MAY_IMPORT_HANDLERS
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_bot_registers_exactly_the_commands_listed(
    settings: Settings, content: Content
) -> None:
    """Every command of bot.commands has a handler, and no handler answers a command that is
    not listed (the menu, /help and the closed gate are built from that list)."""
    application = build_application(settings, content)
    registered = [
        command
        for handlers in application.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    ]
    assert sorted(registered) == sorted(c.name for c in COMMANDS)
