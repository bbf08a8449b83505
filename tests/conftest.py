"""The fixtures: the bundled content, settings on tmp_path, the running bot (tests/harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.content import Content, load_content
from tests.harness import OWNER, Harness


@pytest.fixture
def content() -> Content:
    return load_content()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        db=tmp_path / "consultation.sqlite3",
        admins=[OWNER],
        export_dir=tmp_path / "exports",
    )


@pytest.fixture
async def bot(settings: Settings, content: Content) -> AsyncIterator[Harness]:
    harness = Harness(settings, content)
    await harness.start()
    yield harness
    await harness.stop()
