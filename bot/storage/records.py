"""What the storage hands out: frozen records, the limits of a comment, the stored time format.

The repository returns these and never rows or cursors; handlers and jobs read them. No SQL, no
telegram import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

COMMENT_LIMIT = 10_000  # characters of one joined comment: a long essay, never a flood
VOICE_LIMIT = 20  # voice messages of one comment


def timestamp(moment: datetime) -> str:
    """Store times as ISO 8601 with their offset, to the second."""
    return moment.isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Participant:
    """A Telegram user as the journey sees them, with their respondent record if they consented."""

    user_id: int
    chat_id: int
    language: str | None
    language_code: str | None
    source: str
    status: str
    step: str
    editing: bool
    stopped: bool
    blocked: bool
    respondent_id: int | None
    may_quote: bool | None
    wants_news: bool | None
    stakeholder_group: str | None
    region: str | None
    age_band: str | None
    gender: str | None
    completed_at: str | None
    consented_at: str | None
    language_checked: bool
    round: int  # the round their answers go to now
    returning: bool  # took up the invitation to `round`: its journey asks the conclusions again

    def profile(self, field: str) -> str | None:
        """Return one profile answer by its column name."""
        value: str | None = getattr(self, field)
        return value


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A queued message the pump is sending; `attempts` counts this one."""

    id: int
    kind: str
    user_id: int
    chat_id: int
    payload: dict[str, Any]
    attempts: int
    batch: int | None = None


@dataclass(frozen=True, slots=True)
class Broadcast:
    """A broadcast: the admin's draft, then its sending."""

    id: int
    admin_id: int
    admin_chat: int
    step: str
    draft: dict[str, Any]
    audience: str | None
    status: str
    total: int
    progress_message: int | None
    progress_text: str | None


@dataclass(frozen=True, slots=True)
class Answer:
    """What a respondent said about one item."""

    item: str
    content_version: int
    stance: int | None
    choices: tuple[str, ...]
    comment: str | None
    comment_language: str | None
    voice_count: int  # voice messages, in voice_notes
    voice_duration: int | None  # their length in all, seconds
    answered_at: str | None
    revised: bool

    @property
    def has_comment(self) -> bool:
        """Whether a text or voice comment is stored."""
        return bool(self.comment) or self.voice_count > 0


@dataclass(frozen=True, slots=True)
class CommentPart:
    """What became of a typed part: the item's comment now, and whether the part is in it.

    A part that would take the joined comment past COMMENT_LIMIT is not added (nor an edit
    that would); what was stored before stays as it was.
    """

    item: str
    comment: str
    added: bool


@dataclass(frozen=True, slots=True)
class Round:
    """A round of the consultation: round 1 is the first publication, `/round start` opens the
    next one on the content version current then."""

    number: int
    content_version: int | None  # None: round 1, answered on whichever version was current
    started_at: str
    closed_at: str | None

    @property
    def open(self) -> bool:
        """Whether answers are accepted for it."""
        return self.closed_at is None


@dataclass(frozen=True, slots=True)
class RoundFigures:
    """Where the current round stands: invitations and who answered in it."""

    invited: int  # invitations queued
    delivered: int  # of them, delivered
    waiting: int  # of them, still to send
    undelivered: int  # of them, blocked, failed, withdrawn or of unknown fate
    returning_started: int  # returning respondents who took up the round
    returning_submitted: int
    newcomers_started: int  # people whose first round this is, past the consent
    newcomers_submitted: int
