"""Hostile and odd input: 20,000 generated updates from 200 users through the real Application.

Three things are checked, update by update and at the end:
- no exception reaches the error handler (the harness fails the test when one does);
- every update a person sent in a private chat got an answer (a message, an edit or a
  callback answer), and nothing was ever sent to a chat other than the sender's or a group's;
- a person's update changes only that person's rows: SQLite triggers record every row written
  to, and each must belong to the sender;
and at the end every stored state satisfies the invariants below.
"""

from __future__ import annotations

import os
import random
import sqlite3
from typing import Any

import pytest

from bot.content import load_content
from bot.fakeapi import BOT_USER
from bot.journey import Journey
from bot.storage.reports import people_counts
from tests.harness import Harness, Person, watch_reloads

pytestmark = pytest.mark.slow  # twenty thousand updates: minutes

UPDATES = int(os.environ.get("FUZZ_UPDATES", "20000"))  # fewer while debugging
USERS = int(os.environ.get("FUZZ_USERS", "200"))
FIRST = 5_000_000
SEED = 20261128
STEP_DATA = ["lang", "age", "cons", "quote", "news", "grp", "reg", "ageb", "gen", "sec", "mkt"]
CONCLUSIONS = len(load_content().conclusions)
# Every conclusion's steps, and one past each end: steps no journey of this content has.
STEP_DATA += [f"s{n}" for n in range(1, CONCLUSIONS + 2)]
STEP_DATA += [f"m{n}" for n in range(0, CONCLUSIONS + 1)]
STEP_DATA += ["idea", "rev", "resume", "del", "zz", "x"]
VALUES = ["kk", "ru", "en", "y", "n", "1", "3", "5", "6", "0", "_skip", "_pns", "_done", "_none"]
VALUES += ["_submit", "_del", "student", "almaty", "18-24", "music", "china", "c1", "prof", "opts"]
VALUES += ["cont", "again", "", "../../etc", "music:1", "music:0", "x" * 30]
TEXTS = [
    "",
    "Да",
    "Иә, келісемін",
    "I agree with this 👍🏽",
    "x" * 4096,
    "مرحبا بالعالم",  # right to left
    "a\u200b\u200c\u200db\u2060c\ufeff",  # zero-width characters
    "<b>bold</b> & <script>alert(1)</script> &amp; &lt;",
    "*bold* _italic_ `code` [link](http://x.example) ~~ || \\",
    "'; DROP TABLE answers; --",
    "Robert'); DELETE FROM users WHERE ('1'='1",
    "\u0000\u0001 control",
    "🙂" * 1000,
    '=HYPERLINK("http://evil")',
]
COMMANDS = ["/start", "/start kaznu", "/start " + "A" * 80, "/start ../x", "/language", "/help"]
COMMANDS += ["/mydata", "/delete", "/stop", "/export", "/stats", "/stats chart", "/broadcast"]
COMMANDS += ["/audit", "/consultation close", "/admins add 1", "/nonsense", "/start@other_bot"]

# Triggers that note which person every written row belongs to (the key is mapped to a
# Telegram user id when checked). The bot's own connection fires them.
TRIGGERS = """
CREATE TABLE IF NOT EXISTS fuzz_writes (tbl TEXT, user_id INTEGER, respondent_id INTEGER);
"""
for table, user, respondent in (
    ("users", "{row}.user_id", "NULL"),
    ("respondents", "{row}.user_id", "NULL"),
    ("answers", "NULL", "{row}.respondent_id"),
    ("comment_parts", "NULL", "{row}.respondent_id"),
    ("outbox", "{row}.user_id", "NULL"),
):
    for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        TRIGGERS += (
            f"CREATE TRIGGER IF NOT EXISTS fuzz_{table}_{event} AFTER {event} ON {table} BEGIN"
            f" INSERT INTO fuzz_writes VALUES ('{table}', {user.format(row=row)},"
            f" {respondent.format(row=row)}); END;\n"
        )


class Fuzzer:
    """Generates updates: a mixture of sensible journeys and everything a client can send."""

    def __init__(self, bot: Harness) -> None:
        self.bot = bot
        self.rng = random.Random(SEED)
        self.ids = iter(range(10**6, 10**9))
        self.messages: dict[int, list[int]] = {}  # message ids the bot sent to each user

    def person(self) -> Person:
        user = FIRST + self.rng.randrange(USERS)
        return Person(user, self.rng.choice(["kk", "ru", "en", "de", ""]))

    def message(self, person: Person, chat: dict[str, Any], **fields: Any) -> dict[str, Any]:
        number = next(self.ids)
        body = {"message_id": number, "date": 0, "chat": chat, "from": person.user, **fields}
        return {"update_id": number, "message": body}

    def update(self) -> tuple[dict[str, Any], Person, str]:
        """One update, the person it comes from, and what kind it is."""
        rng = self.rng
        person = self.person()
        kind = rng.choices(
            ["sensible", "forged", "stale", "text", "command", "media", "edit", "group",
             "channel", "strange"],
            weights=[40, 8, 8, 12, 8, 8, 4, 5, 3, 4],
        )[0]  # fmt: skip
        if kind == "sensible":
            return self._sensible(person), person, "tap"
        if kind == "forged":
            data = rng.choice(
                [
                    f"c:{rng.choice(STEP_DATA)}:{rng.choice(VALUES)}",
                    f"c:{rng.choice(STEP_DATA)}:{rng.choice(VALUES)}:{rng.choice('012')}",
                    f"b:{rng.randrange(9)}:{rng.choice(['send', 'mode', 'cancel', 'to', 'aud'])}",
                    "".join(rng.choice("c:b0123456789_-xyz") for _ in range(rng.randrange(70))),
                ]
            )
            return self._tap(person, data), person, "tap"
        if kind == "stale":
            data = f"c:{rng.choice(STEP_DATA)}:{rng.choice(VALUES)}"
            sent = self.messages.get(person.id) or [1]
            return self._tap(person, data, rng.choice(sent)), person, "tap"
        if kind == "text":
            return self.message(person, person.chat, text=rng.choice(TEXTS)), person, "message"
        if kind == "command":
            text = rng.choice(COMMANDS)
            entity = {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            update = self.message(person, person.chat, text=text, entities=[entity])
            return update, person, "message"
        if kind == "media":
            media = rng.choice(
                [
                    {"sticker": {"file_id": "s", "file_unique_id": "s", "width": 1, "height": 1,
                                 "is_animated": False, "is_video": False, "type": "regular"}},
                    {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]},
                    {"voice": {"file_id": f"v{next(self.ids)}", "file_unique_id": "v",
                               "duration": rng.randrange(0, 4000)}},
                    {"document": {"file_id": "d", "file_unique_id": "d", "file_name": "a.exe"}},
                    {"location": {"latitude": 51.1, "longitude": 71.4}},
                    {"contact": {"phone_number": "+7", "first_name": "X"}},
                ]
            )  # fmt: skip
            return self.message(person, person.chat, **media), person, "message"
        if kind == "edit":
            update = self.message(person, person.chat, text=rng.choice(TEXTS), edit_date=1)
            update["edited_message"] = update.pop("message")
            update["edited_message"]["message_id"] = rng.randrange(10**6, 10**6 + UPDATES)
            return update, person, "edit"
        if kind == "group":
            kind_of_group = rng.choice(["group", "supergroup"])
            chat = {"id": -(10**12) - rng.randrange(3), "type": kind_of_group, "title": "G"}
            text = rng.choice(TEXTS + COMMANDS) or "hi"
            return self.message(person, chat, text=text), person, "group"
        if kind == "channel":
            number = next(self.ids)
            post = {"message_id": number, "date": 0, "text": rng.choice(TEXTS) or "post",
                    "chat": {"id": -(10**12) - 7, "type": "channel", "title": "C"}}  # fmt: skip
            return {"update_id": number, "channel_post": post}, person, "channel"
        number = next(self.ids)  # other update kinds the bot does not ask for
        strange = rng.choice(
            [
                {"my_chat_member": {"chat": person.chat, "from": person.user, "date": 0,
                                    "old_chat_member": {"status": "member", "user": BOT_USER},
                                    "new_chat_member": {"status": "kicked", "user": BOT_USER,
                                                        "until_date": 0}}},
                {"inline_query": {"id": "i", "from": person.user, "query": "x", "offset": ""}},
                {"chosen_inline_result": {"result_id": "r", "from": person.user, "query": "q"}},
            ]
        )  # fmt: skip
        return {"update_id": number, **strange}, person, "strange"

    def _tap(self, person: Person, data: str, message_id: int = 1) -> dict[str, Any]:
        number = next(self.ids)
        return {
            "update_id": number,
            "callback_query": {
                "id": str(number), "from": person.user, "chat_instance": "f", "data": data,
                "message": {"message_id": message_id, "date": 0, "chat": person.chat,
                            "text": "…"},
            },
        }  # fmt: skip

    def _sensible(self, person: Person) -> dict[str, Any]:
        """A button the bot offered this person last (or /start), as a real client would."""
        for call in reversed(self.bot.api.calls[-400:]):
            if call.params.get("chat_id") == person.id and call.buttons:
                offered = [d for _, d in call.buttons]
                onward = [d for d in offered if _onward(d)]
                pick = onward if onward and self.rng.random() < 0.7 else offered
                return self._tap(person, self.rng.choice(pick), int(call.result["message_id"]))
        entity = {"type": "bot_command", "offset": 0, "length": 6}
        return self.message(person, person.chat, text="/start", entities=[entity])


def _onward(data: str) -> bool:
    """A button that moves a journey on (people mostly press those)."""
    parts = data.split(":")
    if len(parts) < 3:
        return False
    step, value = parts[1], parts[2]
    return value in ("y", "_none", "_done", "_submit", "cont") or (
        step in ("lang", "grp", "reg", "ageb", "gen") or (step[:1] == "s" and step[1:].isdigit())
    )


def invariants(bot: Harness, journey: Journey) -> list[str]:
    """Every rule a stored state must keep; the broken ones, described.

    Raw SQL on purpose: the rules are about the stored tables themselves, rows no record of the
    repository would ever show (an orphan answer, a respondent without a consent)."""
    problems: list[str] = []

    def rows(sql: str) -> list[tuple[Any, ...]]:
        return bot.db(sql)

    def rule(name: str, sql: str) -> None:
        found = rows(sql)
        if found:
            problems.append(f"{name}: {found[:3]}")

    steps = "', '".join((*journey.steps, "done", "declined"))
    rule("unknown step", f"SELECT user_id, step FROM users WHERE step NOT IN ('{steps}')")
    rule(
        "consented without a respondent",
        "SELECT user_id FROM users WHERE status IN ('in_progress', 'submitted')"
        " AND user_id NOT IN (SELECT user_id FROM respondents)",
    )
    rule(
        "a respondent who never consented",
        "SELECT user_id FROM respondents WHERE user_id IN"
        " (SELECT user_id FROM users WHERE status IN ('new', 'declined'))",
    )
    rule(
        "submitted without a time",
        "SELECT r.user_id FROM respondents r JOIN users u USING (user_id)"
        " WHERE u.status = 'submitted' AND r.completed_at IS NULL",
    )
    items = "', '".join([c.id for c in bot.content.conclusions] + ["sectors", "markets", "idea"])
    rule("unknown item", f"SELECT respondent_id, item FROM answers WHERE item NOT IN ('{items}')")
    rule(
        "a stance where none belongs",
        "SELECT respondent_id, item FROM answers WHERE stance IS NOT NULL"
        " AND item NOT LIKE 'conclusion-%'",
    )
    rule("orphan answer", "SELECT respondent_id FROM answers WHERE respondent_id NOT IN"
                          " (SELECT id FROM respondents)")  # fmt: skip
    rule(
        "answered before reached",
        "SELECT respondent_id, item FROM answers WHERE answered_at < reached_at",
    )
    sectors = {o.id for o in bot.content.sectors.options}
    markets = {o.id for o in bot.content.markets.options}
    for respondent, item, joined in rows(
        "SELECT respondent_id, item, choices FROM answers WHERE choices IS NOT NULL"
    ):
        chosen = [c for c in joined.split(";") if c]
        allowed = sectors if item == "sectors" else markets if item == "markets" else set()
        if not set(chosen) <= allowed or len(chosen) != len(set(chosen)):
            problems.append(f"bad choices {respondent} {item}: {joined}")
        if item == "sectors" and len(chosen) > 3:
            problems.append(f"more than three sectors {respondent}")
    rule(
        "a comment that is not its parts",
        "SELECT a.respondent_id, a.item FROM answers a JOIN (SELECT respondent_id, item,"
        " count(*) AS n FROM comment_parts GROUP BY 1, 2) p USING (respondent_id, item)"
        " WHERE a.comment IS NULL",
    )
    rule("a declined person with answers", "SELECT u.user_id FROM users u JOIN respondents r"
         " USING (user_id) WHERE u.status = 'declined'")  # fmt: skip
    return problems


async def test_twenty_thousand_odd_updates_break_nothing(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Zero errors, an answer to every private update, only the sender's rows written,
    every invariant kept, and every participant built from a step's move the one stored."""
    reloads = watch_reloads(monkeypatch)
    with sqlite3.connect(bot.settings.db) as connection:
        connection.executescript(TRIGGERS)
    connection.close()
    bot.expect_errors = False
    fuzzer = Fuzzer(bot)
    journey = Journey(bot.content)
    kinds: dict[str, int] = {}
    unanswered: list[str] = []
    strangers: list[str] = []
    written = 0
    for index in range(UPDATES):
        raw, person, kind = fuzzer.update()
        kinds[kind] = kinds.get(kind, 0) + 1
        calls = await bot.feed(raw)
        chats = {c.params.get("chat_id") for c in calls} - {None}
        if chats - {person.id} and kind not in ("group", "channel"):
            strangers.append(f"{index}: {kind} to {chats}")
        if kind in ("tap", "message") and not calls:
            unanswered.append(f"{index}: {raw}")
        for call in calls:
            if call.params.get("chat_id") == person.id and call.result:
                fuzzer.messages.setdefault(person.id, []).append(int(call.result["message_id"]))
        writes = bot.db(
            "SELECT tbl, coalesce(w.user_id, r.user_id) FROM fuzz_writes w"
            " LEFT JOIN respondents r ON r.id = w.respondent_id"
        )
        written += len(writes)
        others = [w for w in writes if w[1] not in (person.id, None)]
        assert not others, f"update {index} ({kind}) from {person.id} wrote {others}"
        bot.db_write("DELETE FROM fuzz_writes")
        if index % 2000 == 1999:
            assert invariants(bot, journey) == [], index
    assert unanswered == []
    assert strangers == []
    assert written > UPDATES // 2  # the triggers did watch the writes
    assert invariants(bot, journey) == []
    assert reloads.wrong == []
    assert reloads.built > UPDATES // 20 and reloads.read > UPDATES // 20, reloads
    # The run did reach the journey's depths, not only its doorway.
    assert min(kinds.values()) > UPDATES // 100, kinds
    reached = bot.db("SELECT count(DISTINCT respondent_id) FROM answers")[0][0]  # no report
    submitted = bot.report(people_counts)["submitted"]
    assert reached > min(50, UPDATES // 100), reached
    assert submitted >= 1, submitted
    print(
        f"fuzz: {UPDATES} updates {kinds}; 0 errors; 0 invariant violations; {reached}"
        f" respondents answered, {submitted} submitted; participants after a write: "
        f"{reloads.built} built from the move, {reloads.read} read"
    )
