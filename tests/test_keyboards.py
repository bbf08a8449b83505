"""Keyboards are built once per rows of buttons, and sent as PTB itself would send them."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.handlers.replies import keyboard_json
from bot.handlers.views import button, keyboard_of
from bot.journey import Pseudo


def test_the_same_rows_give_the_same_keyboard_and_other_rows_another() -> None:
    rows = [[button("Agree", "s1", "4")], [button("Skip »", "s1", "_skip")]]
    first = keyboard_of(rows)
    again = keyboard_of([list(row) for row in rows])  # equal rows, other lists
    assert again is first
    assert first.inline_keyboard == tuple(tuple(row) for row in rows)
    ticked = keyboard_of([[button("✓ Agree", "s1", "4")], rows[1]])
    moved = keyboard_of([rows[1], rows[0]])
    assert len({id(first), id(ticked), id(moved)}) == 3
    sent = [keyboard_json(keyboard) for keyboard in (first, ticked, moved)]
    assert all(sent.count(one) == 1 for one in sent)


def test_a_keyboard_is_sent_as_ptb_serialises_it() -> None:
    link = InlineKeyboardButton("Open", url="https://t.me/creative_spark_bot")
    for rows in (
        [[button("Agree", "s1", "4"), button("« Back", Pseudo.BACK, "s1")]],
        [[link]],
    ):
        built = keyboard_of(rows)
        assert keyboard_json(built) == InlineKeyboardMarkup(rows).to_dict()
