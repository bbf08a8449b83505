"""Personal data in a comment, replaced by a placeholder for the export pack. No telegram import.

The pack travels through Telegram's servers to the team chats, while Kazakhstan's personal-data
law keeps the database itself in the country; so what people typed about themselves is taken
out of the pack's comments (the database and /mydata keep the text as written):

- `[e-mail]`: local@domain.tld, the local part a run of letters, digits and `. + % - _`, the
  domain one to eight labels of at most 63 characters and a top-level domain of 2-24 letters;
- `[phone]`: Kazakhstan's numbers, the prefix `+7` or `8` and then ten digits starting with 7
  (mobile `+7 701 234 56 78`, `8 (701) 234-56-78`, `+77012345678`, `87012345678`; landline
  `+7 7172 12 34 56`, `8 (727) 123-45-67`), with at most three spaces, dashes or brackets
  between digits. The first three digits after the prefix stand together, as in every phone
  format, so amounts grouped by thousands (`87 000 000 000`) stay numbers;
- `[card]`: 13-19 digits, run together or in groups of four (Amex: 4-6-5) split by a space or
  a dash, passing the Luhn check (a 16-digit number that fails it stays);
- `[IIN]`: exactly 12 digits standing alone, the individual or business identification
  number (IIN/BIN), not part of a longer run of digits or of a decimal number.

Comments are hostile input of up to 10,000 characters, so the work stays linear in their
length: every repetition is bounded (four digits, up to three gaps), save the e-mail's local
part, one run that its lookbehind lets start only where the run starts; and a repetition is
followed by what it cannot match (digits by a gap, a label by its dot), so a failed attempt
has next to nothing to try again. Each pass runs only on text that holds an `@` or a digit.
"""

from __future__ import annotations

import re

PHONE, EMAIL, IIN, CARD = "[phone]", "[e-mail]", "[IIN]", "[card]"

_GAP = r"[\s()\-\u2010-\u2015]"  # between a phone's digits: spaces, brackets, dashes
_SEP = r"[\s\-\u2010-\u2015]"  # between a card's groups of digits
_ALONE = r"(?<!\d)(?<!\d[.,])"  # not inside a run of digits, nor the decimals of a number
_NO_MORE = r"(?![.,]?\d)"
# A local part starts where its run of characters starts: one attempt per run.
_EMAIL = re.compile(r"(?<![\w.+%-])[\w.+%-]+@(?:[^\W_][\w-]{0,62}\.){1,8}[^\W\d_]{2,24}")
_NUMBER = re.compile(
    rf"(?P<phone>(?<![\d+])(?:\+7|8){_GAP}{{0,3}}7\d\d(?:{_GAP}{{0,3}}\d){{7}}(?!\d))"
    rf"|(?P<card>{_ALONE}(?:\d{{13,19}}|\d{{4}}{_SEP}\d{{6}}{_SEP}\d{{5}}"
    rf"|\d{{4}}(?:{_SEP}\d{{4}}){{2}}{_SEP}\d{{1,4}}(?:{_SEP}\d{{1,3}})?){_NO_MORE})"
    rf"|(?P<iin>{_ALONE}\d{{12}}{_NO_MORE})"
)
_DIGIT = re.compile(r"\d")
_CARD_GAP = re.compile(_SEP)


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check that card numbers carry."""
    total = 0
    for position, digit in enumerate(int(char) for char in reversed(digits)):
        doubled = digit * 2 if position % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def _card(number: str) -> str:
    """`[card]` for the longest leading run of whole groups that is a card number, the rest
    kept: a card written with its expiry (`4111 1111 1111 1111 12/25`) loses only the card."""
    ends = [gap.start() for gap in _CARD_GAP.finditer(number)] + [len(number)]
    for end in reversed(ends):  # at most five groups
        digits = _CARD_GAP.sub("", number[:end])
        if len(digits) < 13:
            break
        if len(digits) <= 19 and luhn_valid(digits):
            return CARD + number[end:]
    return number


def _placeholder(match: re.Match[str]) -> str:
    kind = match.lastgroup
    return _card(match.group()) if kind == "card" else PHONE if kind == "phone" else IIN


def redact(text: str) -> str:
    """The text with phone numbers, e-mail addresses, IIN/BIN and card numbers replaced by
    `[phone]`, `[e-mail]`, `[IIN]` and `[card]`; the text itself when it holds none."""
    # Each pass only where its kind can be: most comments cost two scans in C, no pattern.
    if "@" in text:  # first, so that digits in an address go with the address
        text = _EMAIL.sub(EMAIL, text)
    if _DIGIT.search(text) is not None:
        text = _NUMBER.sub(_placeholder, text)
    return text
