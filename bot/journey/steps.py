"""Every step and pseudo-step of the journey, and the callback data that carries them. No telegram.

A step is a short ASCII name stored in `users.step`; callback data carry it (`c:s3:5`), so a tap
on a keyboard from an earlier step is recognised as stale. The step is the whole conversation
state: after a restart the bot reads it and carries on. The steps of the conclusions are numbered
(`s3`, `m3`: stance and comment on conclusion 3) and made by `stance_step` and `comment_step`;
every other step is a member of `Step`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Step(StrEnum):
    """The named steps, in the order they are met (the conclusions come after GENDER)."""

    LANGUAGE = "lang"
    AGE = "age"
    CONSENT = "cons"
    QUOTE = "quote"
    NEWS = "news"
    GROUP = "grp"
    REGION = "reg"
    AGE_BAND = "ageb"
    GENDER = "gen"
    SECTORS = "sec"
    MARKETS = "mkt"
    IDEA = "idea"
    REVIEW = "rev"
    DONE = "done"  # submitted: the thank-you
    DECLINED = "declined"  # said no at consent


class Pseudo(StrEnum):
    """Callback "steps" that are not answers to a question: valid whatever the current step."""

    BACK = "back"  # c:back:<the step it was shown on>
    RESUME = "resume"  # the offer to a returning respondent
    STAY = "stay"  # the offer to switch language, declined
    CHOSEN = "x"  # the inert button left on an answered question
    DELETE = "del"  # /delete's confirmation (c:del:y, c:del:n)
    INFO = "info"  # the consent's full information (c:info:cons), from the consent or /help
    ROUND = "round"  # take part in a later round (c:round:2), from its invitation


class Kind(StrEnum):
    """What a step asks for; each kind has one handler module (`bot/handlers/steps/`)."""

    LANGUAGE = "language"
    AGE = "age"
    CONSENT = "consent"
    CHOICE = "choice"  # yes or no: may we quote you, do you want news
    PROFILE = "profile"
    STANCE = "stance"
    COMMENT = "comment"
    MULTI = "multi"
    REVIEW = "review"
    END = "end"  # done or declined: nothing to answer


# Profile steps and the respondents column each one fills.
PROFILE_STEPS: dict[str, str] = {
    Step.GROUP: "stakeholder_group",
    Step.REGION: "region",
    Step.AGE_BAND: "age_band",
    Step.GENDER: "gender",
}
FIRST_QUESTION = Step.GROUP

# Values of buttons (the second part of callback data) that are not content option ids.
SKIP = "_skip"
PREFER_NOT = "_pns"
DONE_VALUE = "_done"
NONE_VALUE = "_none"
REMOVE_VALUE = "_del"  # asks first: Yes, remove (REMOVE_CONFIRMED) or No, keep it (KEEP)
REMOVE_CONFIRMED = "_dely"
KEEP = "_keep"  # leave the stored answer as it is (while editing; or the comment, not removed)
SUBMIT = "_submit"
YES, NO = "y", "n"
CONTINUE, START_OVER, WIPE = "cont", "over", "wipe"  # Start over asks first, then wipes
CHOICES = "opts"  # the review's edit button for the quoting and news choices
PROFILE = "prof"  # the review's edit button for the profile questions

# The option of a multi-choice question whose words are asked for, kept in the answer's comment.
OTHER = "other"

# What `users.source` holds when no registered deep link named the recruitment source.
DIRECT = "direct"  # /start without a payload
UNREGISTERED = "unregistered"  # a payload that names no registered source

# What a profile column holds for the two answers that are not options.
PREFER_NOT_VALUE = "prefer-not-to-say"
SKIPPED_VALUE = ""

CALLBACK_PREFIX = "c"
# c:<step>:<value>[:<0|1>]; at most 64 bytes, all ASCII.
CALLBACK = re.compile(r"^c:([a-z0-9]{1,8}):([A-Za-z0-9_+-]{1,24})(?::([01]))?$")


@dataclass(frozen=True, slots=True)
class Tap:
    """A parsed callback: the step it was shown for, the value chosen, a toggle flag."""

    step: str
    value: str
    flag: bool | None = None


def parse_callback(data: str | None) -> Tap | None:
    """Parse callback data; None for anything this bot did not write (stale formats, forgery)."""
    match = CALLBACK.match(data or "")
    if match is None:
        return None
    step, value, flag = match.groups()
    return Tap(step=step, value=value, flag=None if flag is None else flag == "1")


def callback(step: str, value: str, flag: bool | None = None) -> str:
    """Build callback data for a button of `step`."""
    data = f"{CALLBACK_PREFIX}:{step}:{value}" + ("" if flag is None else f":{int(flag)}")
    if not CALLBACK.match(data):
        raise ValueError(f"callback data {data!r} is not of this bot's form")
    return data


def stance_step(number: int) -> str:
    """The step that asks for the stance on conclusion `number`."""
    return f"s{number}"


def comment_step(number: int) -> str:
    """The step that asks for a comment on conclusion `number`."""
    return f"m{number}"


def conclusion_number(step: str) -> int | None:
    """The conclusion a stance or comment step belongs to, or None."""
    if len(step) >= 2 and step[0] in "sm" and step[1:].isdigit():
        return int(step[1:])
    return None
