"""How often the owners hear of errors: one alert per kind of error in ten minutes. No telegram.

A lasting fault (a full disk during a broadcast) raises the same error on every update; telling
the owners each time would flood them and spend the bot's sending budget. The first error of a
kind is told at once; the ones after it within the window are counted, and the count goes with
the next alert of that kind, or at the end of the window if the kind has stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of error: its type and where in the bot's code it was raised, never its text."""

    name: str
    place: str


def kind_of(error: BaseException | None) -> Kind:
    """The error's type and the innermost function of the bot's own code it passed through.

    Two bugs of one type in different places are two kinds. The message of the error is left
    out: it may quote what a user typed or name a chat.
    """
    place = ""
    trace = error.__traceback__ if error is not None else None
    while trace is not None:
        module = str(trace.tb_frame.f_globals.get("__name__", ""))
        if module == "bot" or module.startswith("bot."):
            place = f"{module}:{trace.tb_frame.f_code.co_qualname}"
        trace = trace.tb_next
    return Kind(type(error).__name__, place)


@dataclass(slots=True)
class _Tally:
    told_at: datetime
    untold: int = 0


@dataclass(slots=True)
class AlertThrottle:
    """Per kind of error: when the owners were last told, and how many came since."""

    window: timedelta = WINDOW
    # When the job that reports counts left untold is planned for (None: no job planned).
    flush_at: datetime | None = None
    _tallies: dict[Kind, _Tally] = field(default_factory=dict)

    def occurred(self, kind: Kind, now: datetime) -> int | None:
        """Count one error; return how many came since the last alert if the owners are to be
        told now, None if this one waits for the end of the window."""
        tally = self._tallies.get(kind)
        if tally is not None and now < tally.told_at + self.window:
            tally.untold += 1
            return None
        self._tallies[kind] = _Tally(told_at=now)
        return tally.untold if tally is not None else 0

    def due(self, now: datetime) -> list[tuple[Kind, int]]:
        """The kinds whose window has ended with errors untold, and their counts; from now on
        they count as told."""
        due = []
        for kind, tally in self._tallies.items():
            if tally.untold and now >= tally.told_at + self.window:
                due.append((kind, tally.untold))
                tally.told_at, tally.untold = now, 0
        return due

    def next_due(self) -> datetime | None:
        """When the earliest window with errors untold ends; None if every error was told."""
        ends = [t.told_at + self.window for t in self._tallies.values() if t.untold]
        return min(ends, default=None)
