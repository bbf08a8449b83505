"""Typed settings from the environment or a `.env` file; the contract table of DESIGN.md."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MAX_BROADCAST_RATE = 30  # Telegram's bulk limit for one bot, messages per second
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SCHEDULE = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)\s+([01]?\d|2[0-3]):([0-5]\d)$")
# Telegram accepts 1-256 of these characters; 32 at least, so that the secret cannot be guessed
# by trying (`secrets.token_urlsafe(32)` makes 43).
_SECRET = re.compile(r"[A-Za-z0-9_-]{32,256}")


def _id_list(value: object) -> object:
    """Read "1, 2,3" (or an empty string) as a list of ints."""
    if isinstance(value, str):
        return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Every variable of DESIGN.md's configuration table, validated once at start."""

    model_config = SettingsConfigDict(
        env_prefix="BOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    token: SecretStr | None = None
    api_url: str = "https://api.telegram.org/bot"
    file_url: str = "https://api.telegram.org/file/bot"
    db: Path = Path("data/consultation.sqlite3")
    admins: Annotated[list[int], NoDecode] = Field(default_factory=list)
    team_chats: Annotated[list[int], NoDecode] = Field(default_factory=list)
    timezone: str = "Asia/Almaty"
    export_dir: Path = Path("exports")
    export_schedule: str = "mon 09:00"
    broadcast_rate: float = 15
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    listen: str = "127.0.0.1"  # behind a reverse proxy on the same host; see the README
    port: int = 8443
    content: Path | None = None
    # The fewest answers behind any share shown to respondents (a round's feedback).
    min_group: int = Field(default=10, ge=1)

    _split_admins = field_validator("admins", "team_chats", mode="before")(_id_list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("export_schedule")
    @classmethod
    def _weekly(cls, value: str) -> str:
        value = value.strip().lower()
        if not _SCHEDULE.match(value):
            raise ValueError("expected a weekday and a time, such as 'mon 09:00'")
        return value

    @field_validator("broadcast_rate")
    @classmethod
    def _under_flood_limit(cls, value: float) -> float:
        if not 0 < value <= MAX_BROADCAST_RATE:
            raise ValueError(f"must be above 0 and at most {MAX_BROADCAST_RATE} messages/s")
        return value

    @field_validator("webhook_url", "token", "webhook_secret", "content", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url:
            secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
            if not _SECRET.fullmatch(secret):
                raise ValueError(
                    "BOT_WEBHOOK_SECRET is required in webhook mode: 32-256 characters of "
                    f"A-Z a-z 0-9 _ - (the value given has {len(secret)} characters). Make one "
                    'with: python -c "import secrets; print(secrets.token_urlsafe(32))"'
                )
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The time zone of schedules and quiet hours."""
        return ZoneInfo(self.timezone)

    @property
    def export_weekday(self) -> str:
        """The weekday of the weekly export, as a three-letter name."""
        return self.export_schedule.split()[0]

    @property
    def export_time(self) -> time:
        """The local time of the weekly export."""
        hours, minutes = self.export_schedule.split()[1].split(":")
        return time(int(hours), int(minutes), tzinfo=self.zone)
