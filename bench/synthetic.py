"""A synthetic consultation database: N respondents who answered everything, for benchmarks."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.content import load_content
from bot.storage.repository import Repository

COMMENTS = (
    "Бұл қорытынды өте маңызды, әсіресе жастар үшін.",
    "Нужно больше поддержки креативным предпринимателям в регионах.",
    "We need affordable studio space and better access to finance.",
    "=SUM(A1:A9) is not a formula here",
    "Multi-line comment\nwith a second line, and a comma",
)


def build(path: Path, respondents: int, *, seed: int = 7) -> Path:
    """Create `path` with `respondents` consenting respondents and their answers."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    asyncio.run(_migrate(path))
    content = load_content()
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    groups = [o.id for o in content.groups]
    regions = [o.id for o in content.regions]
    bands = [o.id for o in content.age_bands]
    genders = [o.id for o in content.genders]
    sectors = [o.id for o in content.sectors.options if not o.exclusive]
    markets = [o.id for o in content.markets.options if not o.exclusive]
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA synchronous = OFF")
        users, people, answers = [], [], []
        for number in range(1, respondents + 1):
            user_id = 10_000_000 + number
            moment = (start + timedelta(seconds=number * 13)).isoformat(timespec="seconds")
            status = "submitted" if rng.random() < 0.7 else "in_progress"
            users.append(
                (
                    user_id,
                    user_id,
                    rng.choice(("kk", "ru", "en")),
                    "direct",
                    status,
                    "done" if status == "submitted" else "s3",
                    moment,
                    moment,
                )
            )
            people.append(
                (
                    number,
                    user_id,
                    moment,
                    1,
                    rng.random() < 0.6,
                    rng.random() < 0.5,
                    rng.choice(groups),
                    rng.choice(regions),
                    rng.choice(bands),
                    rng.choice(genders),
                    moment,
                    moment if status == "submitted" else None,
                )
            )
            for conclusion in content.conclusions:
                comment = rng.choice(COMMENTS) if rng.random() < 0.3 else None
                answers.append(
                    (
                        number,
                        conclusion.id,
                        1,
                        rng.randint(1, 5),
                        None,
                        comment,
                        "kk" if comment else None,
                        moment,
                        moment,
                    )
                )
            answers.append(
                (
                    number,
                    "sectors",
                    1,
                    None,
                    ";".join(rng.sample(sectors, 3)),
                    None,
                    None,
                    moment,
                    moment,
                )
            )
            answers.append(
                (
                    number,
                    "markets",
                    1,
                    None,
                    ";".join(rng.sample(markets, 2)),
                    None,
                    None,
                    moment,
                    moment,
                )
            )
            answers.append(
                (number, "idea", 1, None, None, rng.choice(COMMENTS), "ru", moment, moment)
            )
        db.executemany(
            "INSERT INTO users (user_id, chat_id, language, source, status, step, created_at,"
            " last_activity_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            users,
        )
        db.executemany(
            "INSERT INTO respondents (id, user_id, consented_at, consent_version, may_quote,"
            " wants_news, stakeholder_group, region, age_band, gender, started_at, completed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            people,
        )
        db.executemany(
            "INSERT INTO answers (respondent_id, item, content_version, stance, choices, comment,"
            " comment_language, reached_at, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            answers,
        )
    db.close()
    return path


async def _migrate(path: Path) -> None:
    repository = await Repository.open(path)
    await repository.close()
