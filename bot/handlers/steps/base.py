"""What every kind of step provides: its screen, what a tap on it stores, where that leads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from bot.handlers.views import Screen, Views
from bot.journey import Tap
from bot.storage.records import Answer

if TYPE_CHECKING:  # the turn drives the steps; the steps only take it as an argument
    from bot.handlers.turn import Turn


@dataclass(frozen=True, slots=True)
class Move:
    """What a tap did, decided inside the transaction that stored it."""

    to: str | None  # the step entered together with the answer; None: the person stays
    editing: bool | None = None  # None: an edit begun from the review carries on
    mark: bool = True  # leave the chosen answer on the question's message, instead of its keys
    label: str | None = None  # the answer to leave there; None: the tapped button's own label
    alert: str | None = None  # said as a pop-up in answer to the tap (nothing was stored)
    renew: bool = False  # the step's screen asks more now: send it anew, below the tapped one


class StepKind:
    """One kind of step: the counterpart of a state in PTB's ConversationHandler.

    `consultation.on_tap` opens a transaction, calls `store`, enters `Move.to`, commits, then
    calls `finish`: the answer and the next step are stored together, and nothing is sent to
    Telegram before they are.
    """

    def screen(self, views: Views, step: str, answers: dict[str, Answer]) -> Screen:
        """The screen that asks the question of `step`."""
        raise NotImplementedError

    # Whether the screens of this kind show any stored answer (the gates and the profile
    # show none: what they mark is the participant's own).
    SHOWS_ANSWERS: ClassVar[bool] = True

    def shown(self, views: Views, step: str) -> tuple[str, ...] | None:
        """The items whose answers the screen of `step` (its prompt, its resumed form) shows:
        only those are read for it; None, all the respondent's answers."""
        return None if self.SHOWS_ANSWERS else ()

    def prompt(self, views: Views, step: str, answers: dict[str, Answer]) -> Screen:
        """The question of `step` in short, with its buttons: what a hint repeats when the
        screen is long (`Screen.long`). Most screens are short, and are their own prompt."""
        return self.screen(views, step, answers)

    def resumed(self, views: Views, step: str, answers: dict[str, Answer]) -> Screen:
        """The screen of `step` for someone who comes back to it (Continue): what they need to
        pick up the thread. Most screens carry it already."""
        return self.screen(views, step, answers)

    async def store(self, turn: Turn, tap: Tap) -> Move | None:
        """Store what the tap answers and say where it leads; None when its value is not one
        this step offers (forged data)."""
        return None

    async def finish(self, turn: Turn, tap: Tap, move: Move) -> None:
        """After the commit: leave the choice on the question, then show the next step."""
        await turn.advance((move.label or turn.tapped_label()) if move.mark else None)

    async def repeats(self, turn: Turn, tap: Tap) -> bool:
        """Whether a tap on this step, shown earlier, repeats what is stored (a double tap)."""
        return False


def next_of(turn: Turn, step: str) -> Move:
    """The move on to the step after `step` in the journey's order."""
    return Move(turn.journey.next_step(step, editing=turn.p.editing))
