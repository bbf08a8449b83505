"""The bot's commands, listed once: the menu, /help and the closed gate are built from this list.

No telegram: the composition root turns it into `BotCommand`s, the /help handler into lines, the
closed gate into the commands it still lets through.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_


@dataclass(frozen=True, slots=True)
class Command:
    """One command: its name, its menu description and /help line (catalog ids), who sees it."""

    name: str
    menu: str
    help: str | None = None  # the /help line; None for the team's commands, which /help omits
    while_closed: bool = False  # still answered while the consultation is closed: creates no one
    team: bool = False  # in the menu of owners, admins and team chats only


COMMANDS = (
    Command(
        "start",
        N_("Begin, or continue where you left off"),
        N_("/start: begin, or continue where you left off"),
    ),
    Command("language", N_("Change the language"), N_("/language: change the language")),
    Command("help", N_("What this bot does"), N_("/help: this message")),
    Command(
        "mydata",
        N_("The data stored about you"),
        N_("/mydata: the data stored about you"),
        while_closed=True,
    ),
    Command(
        "delete",
        N_("Withdraw and erase your data"),
        N_("/delete: withdraw and erase your data"),
        while_closed=True,
    ),
    Command(
        "stop",
        N_("No more reminders or news"),
        N_("/stop: no more reminders or news"),
        while_closed=True,
    ),
    Command("export", N_("The export pack, now"), team=True),
    Command("stats", N_("Figures of the consultation"), team=True),
    Command("broadcast", N_("Send a message to respondents"), team=True),
    Command("consultation", N_("Open or close the consultation"), team=True),
    Command("sources", N_("Recruitment links and QR codes"), team=True),
    Command("audit", N_("What admins did"), team=True),
    Command("admins", N_("Admins (owners only)"), team=True),
    Command("teamchats", N_("Team chats (owners only)"), team=True),
    Command("content", N_("The consultation document: versions"), team=True),
    Command("round", N_("Rounds: open, close, figures"), team=True),
)
RESPONDENT_COMMANDS = tuple(c for c in COMMANDS if not c.team)
TEAM_COMMANDS = tuple(c for c in COMMANDS if c.team)
WHILE_CLOSED = frozenset(c.name for c in COMMANDS if c.while_closed)
