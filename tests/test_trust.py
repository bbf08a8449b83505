"""Trust under attack and faults: bounded comments, every voice kept, a revised content file,
withdrawal reaching every copy on the server, sends checked at the moment of sending, the closed
gate, the team's digest of withdrawals and the honest broadcast report."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
import stat
import zipfile
from pathlib import Path

import pytest

from bot import jobs, purge
from bot.config import Settings
from bot.content import DEFAULT_CONTENT, Content, load_content
from bot.export import write_pack
from bot.fakeapi import Fault
from bot.handlers import consultation
from bot.i18n import translator
from bot.jobs import packs
from bot.storage.records import COMMENT_LIMIT, VOICE_LIMIT, timestamp
from bot.storage.repository import MIGRATIONS, Repository
from tests.harness import OWNER, Harness, Person, current, walk_to
from tests.test_wrong_input import STICKER

TEAM = -100_555
PART = "word " * 799 + "end."  # 3,999 characters: one long Telegram message


def texts(calls: list) -> list[str]:  # type: ignore[type-arg]
    return [c.text for c in calls if c.method == "sendMessage"]


async def comment_of(bot: Harness, person: Person, item: str = "conclusion-1") -> str | None:
    return (await bot.answer(person, item)).comment


# Comments ---------------------------------------------------------------------------------


async def test_a_comment_stops_at_its_limit_says_so_and_loses_nothing(bot: Harness) -> None:
    """Parts past about 10,000 characters are refused with a message; what was stored stays."""
    person = Person(8101)
    await walk_to(bot, person, "m1")
    await bot.send(person, PART)
    await bot.send(person, PART)
    stored = await comment_of(bot, person)
    assert stored == PART + "\n" + PART
    refused = await bot.send(person, PART)
    _ = translator("en")
    assert texts(refused)[0].startswith(
        _.ngettext(
            "Your comment has reached its limit of {limit} character, so this message was not "
            "added. Everything you sent before is saved.",
            "Your comment has reached its limit of {limit} characters, so this message was not "
            "added. Everything you sent before is saved.",
            COMMENT_LIMIT,
        ).format(limit="10,000")
    )
    assert bot.offered(person)[0] == "c:m1:_done"
    assert await comment_of(bot, person) == stored
    assert len(stored) <= COMMENT_LIMIT
    # A short part still fits, and an edit that would overflow is refused with the same care.
    await bot.send(person, "And one more line.")
    assert await comment_of(bot, person) == stored + "\nAnd one more line."
    first = int(bot.db("SELECT min(message_id) FROM comment_parts")[0][0])  # no record has it
    edited = [c for c in await bot.edit(person, first, PART + PART[:2000]) if c.text]
    assert "stays as it was" in edited[0].text
    assert "c:m1:_done" in [data for _, data in edited[-1].buttons]  # then the question again
    assert await comment_of(bot, person) == stored + "\nAnd one more line."


async def test_a_long_comment_is_shown_back_as_an_excerpt_with_its_length(bot: Harness) -> None:
    """A hint, /help, Back and the review show a long comment's opening and its length, in a
    few messages, not the whole of it again."""
    person = Person(8102, "ru")
    await walk_to(bot, person, "m1", language="ru")
    await bot.send(person, PART)
    await bot.send(person, PART)
    length = len(PART) * 2 + 1
    shown = f"(всего {length:,} символов)".replace(",", "\u202f")
    for calls in (
        await bot.send_other(person, **STICKER),
        await bot.send(person, "/help"),
    ):
        messages = texts(calls)
        assert len(messages) <= 3
        assert shown in messages[-1]
        assert PART not in messages[-1]
    await bot.tap(person, "c:m1:_done")
    await bot.tap(person, "c:back:s2")
    assert shown in bot.last(person).text
    await walk_to(bot, person, "rev", language="ru")
    review = [c for c in bot.sent(person)[-3:] if c.method == "sendMessage"]
    assert any(shown in c.text for c in review)
    assert sum(len(c.text) for c in review) < 8000


async def test_the_language_is_read_from_the_new_part_only(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each part is read once, when it comes; the comment is labelled with the language most
    of it is written in."""

    seen: list[str] = []
    real = consultation.detect_language

    def counting(text: str) -> str | None:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(consultation, "detect_language", counting)
    person = Person(8103)
    await walk_to(bot, person, "m1")
    russian = "Я полностью согласен с этим выводом и хочу добавить несколько слов о регионах."
    await bot.send(person, "Yes.")
    await bot.send(person, russian)
    await bot.send(person, "Ok")
    assert seen == ["Yes.", russian, "Ok"]
    assert (await bot.answer(person, "conclusion-1")).comment_language == "ru"


# Voice messages ---------------------------------------------------------------------------


async def test_several_voice_messages_are_all_kept_in_order_beside_text(
    bot: Harness, tmp_path: Path
) -> None:
    """A second and third voice message add to the first; the review, /mydata and the export
    show them all."""

    person = Person(8104)
    await walk_to(bot, person, "m1")
    await bot.voice(person, seconds=12)
    await bot.send(person, "And in writing.")
    saved = await bot.voice(person, seconds=50)
    assert "🎙 2 voice messages (1:02 in all)" in texts(saved)[0]
    await bot.voice(person, seconds=5)
    number = await bot.number(person)
    # Each voice message's own row, in order: the record only sums them.
    assert [row[0] for row in bot.db("SELECT duration FROM voice_notes ORDER BY message_id")] == [
        12,
        50,
        5,
    ]
    await bot.tap(person, "c:m1:_done")
    await walk_to(bot, person, "rev")
    assert any("🎙 3 voice messages (1:07 in all)" in c.text for c in bot.sent(person)[-3:])
    calls = await bot.send(person, "/mydata")
    (document,) = [c for c in calls if c.method == "sendDocument"]
    body = document.files["document"].decode("utf-8")
    assert "🎙 3 voice messages (1:07 in all)" in body and "And in writing." in body
    files = write_pack(
        bot.settings.db, tmp_path / "pack", bot.content, zone=bot.settings.zone, xlsx=False
    )

    with (tmp_path / "pack" / "answers.csv").open(encoding="utf-8-sig", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["item"] == "conclusion-1")
    assert row["comment_type"] == "text+voice"
    assert row["comment_audio"] == ";".join(
        f"voice/{number}-conclusion-1-{n}.ogg" for n in (1, 2, 3)
    )
    assert files


async def test_voice_messages_stop_at_their_limit(bot: Harness) -> None:
    """Past VOICE_LIMIT a voice message is refused with a message; the others stay."""
    person = Person(8105)
    await walk_to(bot, person, "m1")
    for _ in range(VOICE_LIMIT):
        await bot.voice(person, seconds=1)
    refused = await bot.voice(person, seconds=1)
    assert "the most it can" in texts(refused)[0]
    # The voice notes' rows themselves, not the answer's counter of them.
    assert bot.db("SELECT count(*), sum(duration) FROM voice_notes") == [
        (VOICE_LIMIT, VOICE_LIMIT)
    ]


# A revised content file -------------------------------------------------------------------


def _fewer(tmp_path: Path) -> Content:
    """The bundled content with its last conclusion and one stakeholder group fewer."""

    text = DEFAULT_CONTENT.read_text(encoding="utf-8")
    start = text.index('[[conclusions]]\nid = "conclusion-6"')
    end = text.index("# Profile.", start)
    text = text[:start] + text[end:]
    group = text.index('[[groups]]\nid = "student"')
    text = text[:group] + text[text.index("[[groups]]", group + 5) :]
    text = text.replace("version = 3", "version = 4", 1)
    path = tmp_path / "fewer.toml"
    path.write_text(text, encoding="utf-8")
    return load_content(path)


async def test_a_revised_content_file_with_fewer_conclusions_strands_nobody(
    bot: Harness, tmp_path: Path
) -> None:
    """People at a step the new version lacks are moved to the nearest one, keep every answer,
    and all of them can go on and submit without an error."""
    at_stance, at_comment, editing, done = Person(8111), Person(8112), Person(8113), Person(8114)
    await walk_to(bot, at_stance, "s6")
    await walk_to(bot, at_comment, "m6")
    await bot.send(at_comment, "A comment on the sixth conclusion.")
    await walk_to(bot, editing, "rev")
    await bot.tap(editing, "c:rev:c6")
    await walk_to(bot, done, "rev")
    await bot.tap(done, "c:rev:_submit")
    # Every answer kept: counted in the table itself, whoever holds it.
    answers_before = bot.db("SELECT count(*) FROM answers WHERE answered_at IS NOT NULL")
    bot.content = _fewer(tmp_path)
    await bot.restart()
    people = (at_stance, at_comment, editing, done)
    steps = {person.id: await current(bot, person) for person in people}
    assert steps == {at_stance.id: "sec", at_comment.id: "sec", editing.id: "rev", done.id: "done"}
    assert (await bot.participant(editing)).editing is False
    kept = await comment_of(bot, at_comment, "conclusion-6")
    assert kept == "A comment on the sixth conclusion."
    assert bot.db("SELECT count(*) FROM answers WHERE answered_at IS NOT NULL") == answers_before
    for person in people:
        await bot.send(person, "/start")
        if bot.offered(person)[:1] == ["c:resume:cont"]:
            await bot.tap(person, "c:resume:cont")
        await walk_to(bot, person, "rev")
        await bot.tap(person, "c:rev:_submit")
        stored = await bot.participant(person)
        assert (stored.status, stored.step) == ("submitted", "done")
    assert "5 / 5" in " ".join(c.text for c in bot.sent(at_stance) if c.method == "sendMessage")


# Withdrawal reaches every copy ------------------------------------------------------------


def _holds(root: Path, marker: bytes) -> list[str]:
    """Every file under `root` (zip and workbook members opened) whose bytes hold `marker`."""
    found = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                found += [
                    f"{path}:{name}" for name in archive.namelist() if marker in archive.read(name)
                ]
        elif marker in path.read_bytes():
            found.append(str(path))
    return found


async def test_delete_reaches_the_packs_backups_and_voice_files_on_the_server(
    bot: Harness,
) -> None:
    """After /delete and the withdrawals job, no pack, zip, workbook, voice file or backup on
    the server holds the person; everyone else is still there."""
    bot.team_chat(TEAM)
    leaver, stayer = Person(8121), Person(8122)
    for person, marker in ((leaver, "LEAVER-MARKER-7f3a"), (stayer, "STAYER-MARKER-2b9c")):
        await walk_to(bot, person, "m1")
        await bot.send(person, f"My view, {marker}.")
        await bot.voice(person)
        await bot.tap(person, "c:m1:_done")
    number = await bot.number(leaver)
    await bot.send(Person(OWNER), "/export")
    await bot.run_job(jobs.BACKUP)
    exports, backups = bot.settings.export_dir, bot.settings.db.parent / "backups"
    assert _holds(exports, b"LEAVER-MARKER-7f3a") and _holds(backups, b"LEAVER-MARKER-7f3a")
    assert list(exports.rglob(f"voice/{number}-*.ogg"))
    for folder in [exports, backups, *exports.rglob("*")]:
        if folder.is_dir():
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    await bot.send(leaver, "/delete")
    await bot.tap(leaver, "c:del:y")
    await bot.run_job(jobs.WITHDRAWALS)
    assert _holds(exports, b"LEAVER-MARKER-7f3a") == []
    assert _holds(backups, b"LEAVER-MARKER-7f3a") == []
    assert list(exports.rglob(f"voice/{number}-*.ogg")) == []
    assert _holds(exports, b"STAYER-MARKER-2b9c") and _holds(backups, b"STAYER-MARKER-2b9c")
    assert bot.db("SELECT count(*) FROM withdrawals") == [(0,)]  # the table itself: no trace


async def test_the_team_gets_one_digest_of_withdrawals_an_hour(bot: Harness) -> None:
    """Cycling /start, consent and /delete tells the team chats once an hour, not each time."""
    bot.team_chat(TEAM)
    person = Person(8131)

    async def cycle() -> int:
        await walk_to(bot, person, "quote")
        number = await bot.number(person)
        await bot.send(person, "/delete")
        await bot.tap(person, "c:del:y")
        return number

    first = [await cycle() for _ in range(5)]
    assert bot.api.sent(TEAM) == []
    (digest,) = texts(await bot.run_job(jobs.WITHDRAWALS))
    assert "(5 respondents): " + ", ".join(map(str, first)) + "." in digest
    second = [await cycle() for _ in range(3)]
    bot.clock.advance(minutes=30)
    assert texts(await bot.run_job(jobs.WITHDRAWALS)) == []
    bot.clock.advance(minutes=31)
    (later,) = texts(await bot.run_job(jobs.WITHDRAWALS))
    assert "(3 respondents): " + ", ".join(map(str, second)) + "." in later
    assert len(bot.api.sent(TEAM)) == 2


# Sends are checked when they go out ------------------------------------------------------


def _queue_broadcast(bot: Harness, people: list[Person]) -> None:
    moment = timestamp(bot.clock.now)
    for person in people:
        bot.db_write("UPDATE respondents SET wants_news = 1 WHERE user_id = ?", person.id)
        bot.db_write(
            "INSERT INTO outbox (kind, user_id, chat_id, payload, next_at, created_at)"
            " VALUES ('reminder', ?, ?, ?, ?, ?)",
            person.id,
            person.id,
            json.dumps({"text": f"news for {person.id}"}),
            moment,
            moment,
        )


@pytest.mark.parametrize("how", ["/stop", "no news", "blocked"])
async def test_stopping_between_the_claim_and_the_send_means_nothing_is_sent(
    bot: Harness, settings: Settings, how: str
) -> None:
    """The outbox asks again just before each request: /stop, news switched off or a block
    after a message was claimed keeps it from going out."""
    settings.broadcast_rate = 2  # the second message's turn comes half a second after the first
    first, second = Person(8141), Person(8142)
    for person in (first, second):
        await walk_to(bot, person, "s1")
    _queue_broadcast(bot, [first, second])
    bot.db_write("UPDATE outbox SET kind = 'broadcast', batch = NULL")
    assert bot.app is not None and bot.app.job_queue is not None
    (pump,) = bot.app.job_queue.get_jobs_by_name(jobs.PUMP)
    await pump.run(bot.app)  # both claimed; the second waits for its slot
    # The first may be on its way already; the second waits for its slot, still pending.
    assert bot.db(f"SELECT status FROM outbox WHERE user_id = {second.id}") == [("pending",)]
    repo = bot.app.bot_data["services"].repo
    if how == "/stop":
        await bot.send(second, "/stop")
    elif how == "no news":  # as the review's "Quoting and news" stores it
        number = await bot.number(second)
        async with repo.transaction():
            await repo.set_consent_choice(number, "wants_news", False)
    else:  # another message to them came back 403 meanwhile
        async with repo.transaction():
            await repo.mark_blocked(second.id)
    await pump.data.drain()
    news = [c for c in bot.api.calls if c.method == "sendMessage" and "news for" in c.text]
    assert [c.params["chat_id"] for c in news] == [first.id]
    # Whose message became what: the outbox rows themselves (no record names the recipient).
    assert bot.db("SELECT user_id, status FROM outbox ORDER BY user_id") == [
        (first.id, "sent"),
        (second.id, "cancelled"),
    ]


# The closed gate --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attempt",
    [
        "/mydata@other_bot",
        "/delete@other_bot",
        "/stop@other_bot",
        "/MYDATA@Other_Bot",
        "c:del:x",
        "c:del:yy",
        "c:del:",
        "c:delete:y",
        "/" + " " * 63 + "mydata",
        "/ mydata",
    ],
)
async def test_a_closed_consultation_lets_no_newcomer_in(bot: Harness, attempt: str) -> None:
    """Another bot's commands and forged erase buttons are thanked, and create nobody."""
    await bot.send(Person(OWNER), "/consultation close")
    stranger = Person(8151)
    if attempt.startswith("/"):
        calls = await bot.send(stranger, attempt)
    else:
        calls = await bot.tap(stranger, attempt, message_id=1)
    assert "closed" in texts(calls)[-1]
    assert await bot.repo.participant(stranger.id) is None


async def test_a_closed_consultation_still_answers_this_bots_data_commands(bot: Harness) -> None:
    """/mydata@<this bot> is this bot's command: it is answered (and creates nobody)."""
    await bot.send(Person(OWNER), "/consultation close")
    stranger = Person(8152)
    calls = await bot.send(stranger, "/mydata@creative_spark_bot")
    assert texts(calls) == [translator("en").gettext("Nothing is stored about you.")]
    assert await bot.repo.participant(stranger.id) is None


@pytest.mark.parametrize(
    ("language", "words"),
    [("kk", "жеті күн"), ("ru", "семи дней"), ("en", "seven days")],
)
def test_the_consent_text_says_how_long_backups_keep_a_copy(
    content: Content, language: str, words: str
) -> None:
    """The consent names the backups and their seven days, beside /delete."""
    text = content.consent.render(language)
    assert words in text and "/delete" in text


# What the review of the change found --------------------------------------------------------


def test_a_version_4_database_with_several_voice_comments_migrates(tmp_path: Path) -> None:
    """Voice comments on two items of one respondent (one each, as version 4 kept them) become
    the first voice message of each item."""

    path = tmp_path / "v4.sqlite3"
    with sqlite3.connect(path) as connection:
        for script in sorted(MIGRATIONS.glob("00[1-4]_*.sql")):
            connection.executescript(script.read_text(encoding="utf-8"))
        connection.execute("PRAGMA user_version = 4")
        connection.execute(
            "INSERT INTO users (user_id, chat_id, created_at, last_activity_at)"
            " VALUES (1, 1, 'x', 'x')"
        )
        connection.execute(
            "INSERT INTO respondents (user_id, consented_at, consent_version, started_at)"
            " VALUES (1, 'x', 1, 'x')"
        )
        for item in ("conclusion-1", "conclusion-2"):
            connection.execute(
                "INSERT INTO answers (respondent_id, item, content_version, voice_file_id,"
                " voice_unique_id, voice_duration, reached_at) VALUES (1, ?, 1, ?, ?, 30, 'x')",
                (item, f"file-{item}", f"u-{item}"),
            )
    connection.close()

    async def migrate() -> None:
        repository = await Repository.open(path)
        answers = await repository.answers(1, round=1)
        await repository.close()
        assert {a.item: (a.voice_count, a.voice_duration) for a in answers.values()} == {
            "conclusion-1": (1, 30),
            "conclusion-2": (1, 30),
        }

    asyncio.run(migrate())
    with sqlite3.connect(path) as connection:
        notes = connection.execute(
            "SELECT item, file_id FROM voice_notes ORDER BY item"
        ).fetchall()
    connection.close()
    assert notes == [("conclusion-1", "file-conclusion-1"), ("conclusion-2", "file-conclusion-2")]


async def test_a_purge_cut_short_is_done_whole_the_next_time(
    bot: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workbook or zip failing half-way leaves the folder marked; the next purge cleans
    every file, and a comment longer than the csv module's default field limit is no obstacle."""

    leaver, stayer = Person(8161), Person(8162)
    for person in (leaver, stayer):
        await walk_to(bot, person, "m1")
        await bot.send(person, f"Marker of {person.id}.")
    bot.db_write(  # written before comments were capped
        "UPDATE answers SET comment = ? WHERE item = 'conclusion-1' AND respondent_id ="
        " (SELECT id FROM respondents WHERE user_id = ?)",
        f"Marker of {stayer.id}. " + "long " * 40_000,
        stayer.id,
    )
    number = await bot.number(leaver)
    folder = tmp_path / "exports" / "2026-11-30"
    files = write_pack(bot.settings.db, folder, bot.content, zone=bot.settings.zone)
    packs.zip_pack(folder, files)

    def broken(folder: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(purge, "_rewrite_workbook", broken)
    with pytest.raises(purge.PurgeError):
        purge.purge(export_dir=tmp_path / "exports", backups=None, numbers=[number])
    assert (folder / purge.PENDING).exists()
    monkeypatch.undo()
    assert purge.purge(export_dir=tmp_path / "exports", backups=None, numbers=[number]) == [folder]
    assert _holds(folder, f"Marker of {leaver.id}".encode()) == []
    assert _holds(folder, f"Marker of {stayer.id}".encode())
    assert not (folder / purge.PENDING).exists()


async def test_someone_who_withdraws_while_a_pack_is_made_is_not_in_what_is_sent(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A /delete after the pack's snapshot, before it is zipped: the zip and the files sent
    hold nothing of them, and their voice file is gone from the server."""
    bot.team_chat(TEAM)
    leaver, stayer = Person(8171), Person(8172)
    for person in (leaver, stayer):
        await walk_to(bot, person, "m1")
        await bot.send(person, f"Marker of {person.id}.")
        await bot.voice(person)
    number = await bot.number(leaver)
    fetch = packs.download_voices

    async def fetch_then_withdraw(context: object, folder: Path) -> int:
        fetched = await fetch(context, folder)  # type: ignore[arg-type]
        await bot.send(leaver, "/delete")
        await bot.tap(leaver, "c:del:y")
        assert texts(await bot.run_job(jobs.WITHDRAWALS)) == []  # waits for the pack
        return fetched

    monkeypatch.setattr(packs, "download_voices", fetch_then_withdraw)
    calls = await bot.send(Person(OWNER), "/export")
    sent = [c for c in calls if c.method == "sendDocument"]
    assert sent
    assert any(name.endswith(".zip") for c in sent for name in c.file_names.values())
    for call in sent:
        for key, body in call.files.items():
            assert f"Marker of {leaver.id}".encode() not in body
            if call.file_names.get(key, "").endswith(".zip"):
                with zipfile.ZipFile(io.BytesIO(body)) as archive:
                    names = archive.namelist()
                    assert not [n for n in names if n.startswith(f"voice/{number}-")]
                    assert any(n.startswith("voice/") for n in names)  # the stayer's
                    for name in names:
                        assert f"Marker of {leaver.id}".encode() not in archive.read(name)
    assert list(bot.settings.export_dir.rglob(f"voice/{number}-*")) == []
    (digest,) = texts(await bot.run_job(jobs.WITHDRAWALS))
    assert f"(1 respondent): {number}." in digest


async def test_withdrawals_wait_for_a_team_chat_and_for_one_that_answers(bot: Harness) -> None:
    """With no team chat the numbers wait; a chat Telegram cannot reach now gets the digest
    again later."""
    person = Person(8181)
    await walk_to(bot, person, "quote")
    number = await bot.number(person)
    await bot.send(person, "/delete")
    await bot.tap(person, "c:del:y")
    await bot.run_job(jobs.WITHDRAWALS)
    # Purged from the server's copies, the number waits for the team's digest.
    assert await bot.repo.withdrawals(awaiting="purge") == []
    assert await bot.repo.withdrawals(awaiting="digest") == [number]
    bot.team_chat(TEAM)
    bot.api.chat_faults[TEAM] = Fault(502, "Bad Gateway")
    await bot.run_job(jobs.WITHDRAWALS)
    assert await bot.repo.withdrawals(awaiting="digest") == [number]
    del bot.api.chat_faults[TEAM]
    (digest,) = texts(await bot.run_job(jobs.WITHDRAWALS))
    assert f"(1 respondent): {number}." in digest
    assert bot.db("SELECT count(*) FROM withdrawals") == [(0,)]  # the table itself: no trace


async def test_packs_and_backups_of_an_older_version_become_private(bot: Harness) -> None:
    """Folders and files written before they were made private are locked down at start."""
    old = bot.settings.export_dir / "2026-01-05"
    old.mkdir(parents=True)
    (old / "answers.csv").write_text("respondent\n", encoding="utf-8")
    old.chmod(0o755)
    bot.settings.export_dir.chmod(0o755)
    (old / "answers.csv").chmod(0o644)
    await bot.restart()
    await bot.run_job(jobs.LOCK_DOWN)
    assert stat.S_IMODE(bot.settings.export_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(old.stat().st_mode) == 0o700
    assert stat.S_IMODE((old / "answers.csv").stat().st_mode) == 0o600


async def test_a_voice_message_delivered_twice_is_kept_once_without_a_false_limit(
    bot: Harness,
) -> None:
    """Telegram may deliver the same update again after a restart: one voice note, no
    'limit reached' message."""
    person = Person(8191)
    await walk_to(bot, person, "m1")
    raw = bot.message(person, voice={"file_id": "v", "file_unique_id": "v", "duration": 4})
    await bot.feed(raw)
    again = await bot.feed(raw)
    assert not any("the most it can" in text for text in texts(again))
    assert bot.db("SELECT count(*) FROM voice_notes") == [(1,)]  # the rows, not the counter


async def test_an_edit_may_shorten_a_comment_written_before_the_limit(bot: Harness) -> None:
    """A comment longer than the limit from before it existed can still be edited shorter."""
    person = Person(8192)
    await walk_to(bot, person, "m1")
    await bot.send(person, "short")
    part = int(bot.db("SELECT max(message_id) FROM comment_parts")[0][0])  # no record has it
    bot.db_write("UPDATE comment_parts SET text = ?", "x" * 12_000)
    calls = [c for c in await bot.edit(person, part, "x" * 11_000) if c.text]
    assert "updated" in calls[0].text
    assert len(await comment_of(bot, person) or "") == 11_000
