"""Personal data in a comment, replaced by a placeholder for the export pack. No telegram import.

The pack travels through Telegram's servers to the team chats, while Kazakhstan's personal-data
law keeps the database itself in the country; so what people typed about themselves is taken
out of the pack's comments (the database and /mydata keep the text as written):

- `[e-mail]`: local@domain.tld, the local part a run of letters, digits and `. + % - _`, the
  domain one to eight labels of at most 63 characters and a top-level domain of 2-24 letters;
- `[phone]`: Kazakhstan's numbers, the prefix `+7`, `8` or a bare `7` and then ten digits
  starting with 7 (mobile `+7 701 234 56 78`, `8 (701) 234-56-78`, `+77012345678`,
  `87012345678`, `wa.me/77012345678`; landline `+7 7172 12 34 56`, `8 (727) 123-45-67`), with
  at most three spaces, dots, dashes or brackets between digits; or without a prefix when
  grouped as a phone is written (`701 234 56 78`, `(701) 234-56-78`). The first three digits
  after the prefix stand together, as in every phone format, so amounts grouped by thousands
  (`87 000 000 000`) stay numbers;
- `[card]`: 13-19 digits, run together or in groups of four (Amex: 4-6-5) split by one or two
  spaces, dots or dashes, with a card network's leading digits and passing the Luhn check (a
  16-digit number that fails it, or a list of years, stays);
- `[IIN]`: exactly 12 digits standing alone (or split 6 + 6 after ИИН, ЖСН, БИН, БСН, IIN or
  BIN), the individual or business identification number, whose last digit checks the others
  as the standard says (so a 12-digit amount in tenge stays); not part of a longer run of digits
  or of a decimal number.

Digits of any script (full-width `７０１`) and the full-width `＠` are read as ASCII ones, one
character for one, so what is replaced is exactly what the respondent typed.

Comments are hostile input of up to 10,000 characters, so the work stays linear in their
length: every repetition is bounded (four digits, up to three gaps), save the e-mail's local
part, one run that its lookbehind lets start only where the run starts; and a repetition is
followed by what it cannot match (digits by a gap, a label by its dot), so a failed attempt
has next to nothing to try again. Each pass runs only on text that holds an `@` or a digit.
"""

from __future__ import annotations

import re
import unicodedata

PHONE, EMAIL, IIN, CARD = "[phone]", "[e-mail]", "[IIN]", "[card]"

_GAP = r"[\s().\-\u2010-\u2015]"  # between a phone's digits: spaces, brackets, dots, dashes
_SEP = r"[\s.\-\u2010-\u2015]{1,2}"  # between a card's groups of digits
_ALONE = r"(?<!\d)(?<!\d[.,])"  # not inside a run of digits, nor the decimals of a number
_NO_MORE = r"(?![.,]?\d)"
# A local part starts where its run of characters starts: one attempt per run.
_EMAIL = re.compile(r"(?<![\w.+%-])[\w.+%-]+@(?:[^\W_][\w-]{0,62}\.){1,8}[^\W\d_]{2,24}")
_NUMBER = re.compile(
    rf"(?P<phone>(?<![\d+])(?:\+7|8|7){_GAP}{{0,3}}7\d\d(?:{_GAP}{{0,3}}\d){{7}}(?!\d)"
    rf"|(?<![\d+])\(?7\d\d\)?[\s\-]\d{{3}}[\s\-]\d\d[\s\-]\d\d(?!\d))"
    rf"|(?P<card>{_ALONE}(?:\d{{13,19}}|\d{{4}}{_SEP}\d{{6}}{_SEP}\d{{5}}"
    rf"|\d{{4}}(?:{_SEP}\d{{4}}){{2}}{_SEP}\d{{1,4}}(?:{_SEP}\d{{1,3}})?){_NO_MORE})"
    rf"|(?P<iin>{_ALONE}\d{{12}}{_NO_MORE}"
    rf"|(?<=ИИН|ЖСН|БИН|БСН|IIN|BIN)[:№#]?\s?\d{{6}}[\s\-]\d{{6}}{_NO_MORE}"
    rf"|(?<=ИИН |ЖСН |БИН |БСН |IIN |BIN )\d{{6}}[\s\-]\d{{6}}{_NO_MORE})"
)
_DIGIT = re.compile(r"\d")
_CARD_GAP = re.compile(_SEP)
_NOT_DIGIT = re.compile(r"\D")
# Every decimal digit of the Basic Multilingual Plane as its ASCII digit, and ＠ as @: one
# character for one, so positions in the read text are positions in what was typed.
_ASCII = {
    code: str(unicodedata.digit(chr(code)))
    for code in range(0x10000)
    if unicodedata.category(chr(code)) == "Nd" and code > 0x7F
} | {ord("＠"): "@"}
# Any character `_ASCII` reads otherwise: most text holds none, and is not copied for it (a
# search is a tenth of the translation of a Cyrillic comment).
_TO_READ = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_ASCII)) + "]")
_IIN_WEIGHTS = (tuple(range(1, 12)), (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2))


def iin_valid(digits: str) -> bool:
    """Whether 12 digits carry a valid IIN/BIN check digit (weights 1-11, then 3-11, 1, 2)."""
    for weights in _IIN_WEIGHTS:
        check = sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11
        if check != 10:
            return check == int(digits[11])
    return False


def _card_network(digits: str) -> bool:
    """Whether the number starts as a card network's do: Amex, JCB and Diners 3, Visa 4,
    Mastercard 5 and 2221-2720, Mir 2200-2204, UnionPay, Maestro and Discover 6."""
    first = int(digits[:4])
    return digits[0] in "3456" or 2200 <= first <= 2204 or 2221 <= first <= 2720


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check that card numbers carry."""
    total = 0
    for position, digit in enumerate(int(char) for char in reversed(digits)):
        doubled = digit * 2 if position % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def _card_end(number: str) -> int:
    """Where the card number ends in a match: the longest leading run of whole groups that is
    one (a card written with its expiry, `4111 1111 1111 1111 12/25`, loses only the card); 0
    when there is none."""
    ends = [gap.start() for gap in _CARD_GAP.finditer(number)] + [len(number)]
    for end in reversed(ends):  # at most five groups
        digits = _CARD_GAP.sub("", number[:end])
        if len(digits) < 13:
            break
        if len(digits) <= 19 and _card_network(digits) and luhn_valid(digits):
            return end
    return 0


def _spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, placeholder) of everything personal in `text`, already read as ASCII."""
    spans = [(m.start(), m.end(), EMAIL) for m in _EMAIL.finditer(text)] if "@" in text else []
    if _DIGIT.search(text) is None:
        return spans
    # Numbers are looked for with the addresses blanked, so their digits go with the address.
    pieces, last = [], 0
    for start, end, _ in spans:
        pieces += [text[last:start], " " * (end - start)]
        last = end
    blanked = "".join([*pieces, text[last:]])
    for match in _NUMBER.finditer(blanked):
        kind, start = match.lastgroup, match.start()
        if kind == "phone":
            spans.append((start, match.end(), PHONE))
        elif kind == "card" and (end := _card_end(match.group())):
            spans.append((start, start + end, CARD))
        elif kind == "iin" and iin_valid(_NOT_DIGIT.sub("", match.group())):
            first = _DIGIT.search(match.group())  # after the ": " that may follow "ИИН"
            spans.append((start + (first.start() if first else 0), match.end(), IIN))
    return sorted(spans)


def redact(text: str) -> str:
    """The text with phone numbers, e-mail addresses, IIN/BIN and card numbers replaced by
    `[phone]`, `[e-mail]`, `[IIN]` and `[card]`; the text itself when it holds none."""
    spans = _spans(text.translate(_ASCII) if _TO_READ.search(text) else text)
    if not spans:
        return text
    pieces, last = [], 0
    for start, end, placeholder in spans:
        pieces += [text[last:start], placeholder]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)
