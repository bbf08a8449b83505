"""The respondent journey through the real Application, on a real SQLite file."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

import pytest

from bot.export import write_pack
from bot.i18n import translator
from bot.storage.reports import people_counts
from tests.harness import Harness, Person, current, walk_to, watch_reloads

KAZAKH_LETTERS = set("әғқңөұүһі")


def t(language: str, msgid: str) -> str:
    return translator(language).gettext(msgid)


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
async def test_a_complete_journey_in_each_language(bot: Harness, language: str) -> None:
    """A respondent answers everything in one language; every answer is stored and exported."""
    person = Person(101, language_code=language)
    await bot.send(person, "/start")
    first = bot.last(person)
    assert [label for label, _ in first.buttons][:3] == [
        f"Қазақша{' ✓' if language == 'kk' else ''}",
        f"Русский{' ✓' if language == 'ru' else ''}",
        f"English{' ✓' if language == 'en' else ''}",
    ]
    await bot.tap(person, f"c:lang:{language}")
    assert t(language, "First, are you 18 or older?") in bot.last(person).text
    await bot.tap(person, "c:age:y")
    consent = bot.last(person).text  # in short: the full information is a button away
    assert "/delete" in consent and "/mydata" in consent
    assert bot.content.consent.render_summary(language) == consent
    await bot.tap(person, "c:info:cons")
    assert bot.content.consent.render(language) == bot.last(person).text
    await bot.tap(person, "c:cons:y")
    await bot.tap(person, "c:quote:y")
    await bot.tap(person, "c:news:y")
    await bot.tap(person, "c:grp:entrepreneur")
    await bot.tap(person, "c:reg:outside")
    await bot.tap(person, "c:ageb:25-34")
    await bot.tap(person, "c:gen:woman")
    for number in range(1, 7):
        question = bot.last(person).text
        assert question.startswith(f"<b>{number} / 6 · ")
        assert bot.content.conclusions[number - 1].text(language) in question
        if number == 4:
            await bot.tap(person, "c:s4:_skip")
        else:
            await bot.tap(person, f"c:s{number}:{6 - (number % 5 or 5)}")
        if number == 1:
            await bot.send(person, "Бұл өте маңызды қорытынды, әсіресе өңірлер үшін.")
            await bot.send(person, "Жастарға көбірек мүмкіндік керек.")
            assert (
                "Done" in bot.last(person).buttons[0][0]
                or "Дайын" in bot.last(person).buttons[0][0]
                or "Готово" in bot.last(person).buttons[0][0]
            )
            await bot.tap(person, "c:m1:_done")
        elif number == 2:
            await bot.voice(person, seconds=42)
            await bot.tap(person, "c:m2:_done")
        else:
            await bot.tap(person, f"c:m{number}:_none")
    sectors_question = bot.last(person).text
    assert sectors_question == bot.content.sectors.text_outside(language)  # type: ignore[misc]
    await bot.tap(person, "c:sec:music:1")
    await bot.tap(person, "c:sec:film-tv-radio:1")
    await bot.tap(person, "c:sec:_done")
    await bot.tap(person, "c:mkt:central-asia:1")
    await bot.tap(person, "c:mkt:_done")
    await bot.send(person, "A festival of young designers in every region.")
    await bot.tap(person, "c:idea:_done")

    review = "\n".join(c.text for c in bot.sent(person)[-3:])
    assert t(language, "Your answers") in review
    assert "Жастарға көбірек мүмкіндік керек." in review
    assert t(language, "skipped") in review
    await bot.tap(person, "c:rev:_submit")
    thanks = bot.last(person).text
    assert "https://t.me/creative_spark_bot" in thanks
    assert bot.content.closing(language).split("\n")[0] in "\n".join(
        c.text for c in bot.sent(person)[-2:]
    )

    # The first comment was written in Kazakh: respondents who chose another language were
    # asked, once and in Kazakh, whether to switch.
    offers = [c for c in bot.sent(person) if any(d.startswith("c:stay:") for _, d in c.buttons)]
    assert len(offers) == (0 if language == "kk" else 1)
    texts = " ".join(c.text for c in bot.sent(person)[1:] if c not in offers)
    if language == "kk":
        assert KAZAKH_LETTERS & set(texts.lower())
    if language == "en":
        assert not any(
            "\u0400" <= ch <= "\u04ff"
            for ch in texts.replace(
                "Бұл өте маңызды қорытынды, әсіресе өңірлер үшін.", ""
            ).replace("Жастарға көбірек мүмкіндік керек.", "")
        )

    stored = await bot.participant(person)
    assert (stored.status, stored.language) == ("submitted", language)
    respondent = stored.respondent_id
    profile = (stored.stakeholder_group, stored.region, stored.age_band, stored.gender)
    assert profile == ("entrepreneur", "outside", "25-34", "woman")
    assert (stored.may_quote, stored.wants_news) == (True, True)
    assert stored.completed_at == "2026-11-30T06:00:00+00:00"
    answers = {
        item: (a.stance, a.choices, a.comment, a.comment_language, a.voice_duration)
        for item, a in (await bot.answers(person)).items()
    }
    assert answers["conclusion-1"] == (
        5,
        (),
        "Бұл өте маңызды қорытынды, әсіресе өңірлер үшін.\nЖастарға көбірек мүмкіндік керек.",
        "kk",
        None,
    )
    assert answers["conclusion-2"][0] == 4 and answers["conclusion-2"][4] == 42
    assert answers["conclusion-4"][0] is None
    assert answers["sectors"][1] == ("music", "film-tv-radio")
    assert answers["markets"][1] == ("central-asia",)
    assert answers["idea"][2] == "A festival of young designers in every region."
    assert answers["idea"][3] == "en"

    files = write_pack(
        bot.settings.db, bot.settings.export_dir, bot.content, zone=ZoneInfo("Asia/Almaty")
    )
    raw = files[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["item"] for r in rows] == [f"conclusion-{n}" for n in range(1, 7)] + [
        "sectors",
        "markets",
        "idea",
    ]
    assert {r["respondent"] for r in rows} == {str(respondent)}
    assert str(person.id) not in raw.decode("utf-8-sig")
    first_row = rows[0]
    assert first_row["stance"] == "5" and first_row["comment_type"] == "text"
    assert first_row["answered_at"] == "2026-11-30T11:00:00+05:00"
    assert rows[1]["comment_type"] == "voice" and rows[3]["stance"] == ""


async def test_resume_after_a_restart_at_exactly_the_same_step(bot: Harness) -> None:
    """After the Application is rebuilt on the same database, the respondent carries on."""
    person = Person(102)
    await walk_to(bot, person, "s3")
    await bot.restart()
    await bot.tap(person, "c:s3:2")  # the keyboard sent before the crash still works
    assert await current(bot, person) == "m3"
    await bot.restart()
    await bot.send(person, "/start")
    assert bot.offered(person) == ["c:resume:cont", "c:resume:over"]
    await bot.tap(person, "c:resume:cont")
    assert "3 / 6" in bot.last(person).text
    assert (await bot.answer(person, "conclusion-3")).stance == 2


async def test_start_over_keeps_the_pseudonymous_number(bot: Harness) -> None:
    """Start over clears answers and profile, never the respondent's number."""
    person = Person(103)
    await walk_to(bot, person, "s2")
    number = await bot.number(person)
    await bot.send(person, "/start")
    await bot.tap(person, "c:resume:over")
    assert bot.offered(person) == ["c:resume:wipe", "c:resume:cont"]
    assert await current(bot, person) == "s2"  # nothing erased before the confirmation
    await bot.tap(person, "c:resume:wipe")
    assert await current(bot, person) == "grp"
    stored = await bot.participant(person)
    assert (stored.respondent_id, stored.stakeholder_group) == (number, None)
    assert await bot.repo.answers(number, round=1) == {}


async def test_switching_language_mid_way_keeps_answers(bot: Harness) -> None:
    """/language re-asks the current question in the new language; nothing is lost."""
    person = Person(104)
    await walk_to(bot, person, "s2")
    await bot.send(person, "/language")
    await bot.tap(person, "c:lang:ru")
    texts = [c.text for c in bot.sent(person)[-2:]]
    assert texts[0] == translator("ru").gettext("The language is now English.")
    assert bot.content.conclusions[1].text("ru") in texts[1]
    assert (await bot.participant(person)).language == "ru"
    answers = (await bot.answers(person)).values()
    assert [(a.item, a.stance) for a in answers if a.answered_at is not None] == [
        ("conclusion-1", 4)
    ]
    assert await current(bot, person) == "s2"


async def test_back_returns_to_the_previous_step(bot: Harness) -> None:
    """Back from a stance leads to the previous comment step, and from there on again."""
    person = Person(105)
    await walk_to(bot, person, "s2")
    await bot.tap(person, "c:back:s2")
    assert await current(bot, person) == "m1"
    await bot.tap(person, "c:back:m1")
    assert await current(bot, person) == "s1"
    await bot.tap(person, "c:s1:1")
    answer = await bot.answer(person, "conclusion-1")
    assert (answer.stance, answer.revised) == (1, True)


async def test_editing_from_the_review_returns_to_the_review(bot: Harness) -> None:
    """An answer changed from the review brings the respondent back to the review."""
    person = Person(106)
    await walk_to(bot, person, "rev")
    await bot.tap(person, "c:rev:_submit")
    await bot.send(person, "/start")
    assert await current(bot, person) == "rev"
    await bot.tap(person, "c:rev:c5")
    await bot.tap(person, "c:s5:1")
    await bot.send(person, "On reflection, less sure.")
    await bot.tap(person, "c:m5:_done")
    assert await current(bot, person) == "rev"
    assert "On reflection, less sure." in "\n".join(c.text for c in bot.sent(person)[-3:])
    stored = await bot.participant(person)
    assert stored.status == "submitted" and stored.completed_at is not None
    # The revision time: a column no record carries.
    ((revised_at,),) = bot.db("SELECT revised_at FROM respondents WHERE user_id = ?", person.id)
    assert revised_at is not None
    answer = await bot.answer(person, "conclusion-5")
    assert (answer.stance, answer.revised) == (1, True)


async def test_the_participant_after_a_tap_is_the_one_stored(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a tap's commit, a participant moved by it alone is built from the move, not read
    again (issue 17), and is the one stored; after any other write they are read: the whole
    journey, Back, a language change, an edit from the review, the submission, a return."""
    reloads = watch_reloads(monkeypatch)
    person = Person(107)
    await walk_to(bot, person, "s3")
    await bot.tap(person, "c:back:s3")
    await bot.tap(person, "c:back:m2")
    await bot.tap(person, "c:s2:5")
    await bot.send(person, "/language")
    await bot.tap(person, "c:lang:kk")
    await walk_to(bot, person, "rev")
    await bot.tap(person, "c:rev:c2")
    await bot.tap(person, "c:s2:2")
    await bot.tap(person, "c:m2:_none")
    await bot.tap(person, "c:rev:_submit")
    await bot.send(person, "/start")
    await bot.tap(person, "c:rev:c1")
    await bot.tap(person, "c:s1:_keep")
    assert reloads.wrong == []
    assert reloads.built >= 15 and reloads.read >= 5, reloads
    stored = await bot.participant(person)
    assert (stored.step, stored.editing, stored.language) == ("rev", False, "kk")


async def test_under_18_stores_nothing(bot: Harness) -> None:
    """A respondent under 18 is thanked kindly and nothing about them remains."""
    person = Person(107, language_code="kk")
    await bot.send(person, "/start")
    await bot.tap(person, "c:lang:kk")
    await bot.tap(person, "c:age:n")
    assert bot.last(person).text == t(
        "kk",
        "Thank you for your interest! This consultation is for people aged 18 and over, "
        "so we cannot take your answers. Nothing about you has been stored.",
    )
    assert bot.report(people_counts)["contacts"] == 0


async def test_declining_stores_only_the_refusal(bot: Harness) -> None:
    """One who declines gets no respondent number and no answers."""
    person = Person(108)
    await walk_to(bot, person, "cons")
    await bot.tap(person, "c:cons:n")
    assert (await bot.participant(person)).status == "declined"
    assert bot.report(people_counts)["started"] == 0
    await bot.send(person, "/start")
    assert bot.offered(person) == ["c:cons:y", "c:cons:n", "c:info:cons"]


@pytest.mark.parametrize(
    ("payload", "registered", "expected"),
    [
        ("kaznu", True, "kaznu"),
        ("kaznu", False, "unregistered"),
        ("bad%20code", False, "unregistered"),
        (None, False, "direct"),
    ],
)
async def test_deep_link_names_the_recruitment_source(
    bot: Harness, payload: str | None, registered: bool, expected: str
) -> None:
    """/start <code> records a registered source; anything else cannot tag a person."""
    if registered:
        repo = bot.app.bot_data["services"].repo  # type: ignore[union-attr]
        async with repo.transaction():
            await repo.add_source("kaznu", "Al-Farabi KazNU", now=bot.clock())
    person = Person(109)
    await bot.send(person, "/start" + (f" {payload}" if payload else ""))
    assert (await bot.participant(person)).source == expected


async def test_editing_a_sent_message_updates_the_comment(bot: Harness) -> None:
    """Telegram's edit of a comment message replaces that part of the stored comment."""
    person = Person(110)
    await walk_to(bot, person, "m1")
    await bot.send(person, "First thought.")
    await bot.send(person, "Second tought.")
    # The part's message id: a column no record carries.
    ((second_id,),) = bot.db("SELECT max(message_id) FROM comment_parts")
    calls = await bot.edit(person, second_id, "Second thought.")
    assert (await bot.answer(person, "conclusion-1")).comment == "First thought.\nSecond thought."
    said = [c for c in calls if c.method == "sendMessage"]
    assert said[0].text == t("en", "✏️ Your comment has been updated.")
    # The question follows, so its live buttons are on the newest message.
    assert said[-1] is bot.last(person) and ("Done ✓", "c:m1:_done") in said[-1].buttons


async def test_no_comment_after_typing_one_keeps_it_and_first_pass_is_not_a_revision(
    bot: Harness,
) -> None:
    """'No comment' tapped on the question after typing means done; adding is not revising."""
    person = Person(111)
    await walk_to(bot, person, "m1")
    await bot.send(person, "Worth keeping.")
    await bot.tap(person, "c:m1:_none")
    assert await current(bot, person) == "s2"
    answer = await bot.answer(person, "conclusion-1")
    assert (answer.comment, answer.revised) == ("Worth keeping.", False)


async def test_text_typed_before_the_stance_is_kept_as_the_comment(bot: Harness) -> None:
    """An opinion typed at the stance step is stored, and the stance is asked again."""
    person = Person(112)
    await walk_to(bot, person, "s1", language="ru")
    calls = await bot.send(person, "Считаю, что это важно.")
    texts = [c.text for c in calls if c.method == "sendMessage"]
    assert texts[0].startswith("<i>✓")
    assert "1 / 6" in texts[1]
    await bot.tap(person, "c:s1:5")
    assert "Считаю, что это важно." in bot.last(person).text  # the comment step shows it
    answer = await bot.answer(person, "conclusion-1")
    assert (answer.stance, answer.comment) == (5, "Считаю, что это важно.")


async def test_editing_shows_the_stored_answer_and_quoting_can_be_changed(bot: Harness) -> None:
    """From the review, questions show the stored answer ticked; consent choices change too."""
    person = Person(113)
    await walk_to(bot, person, "rev")
    await bot.tap(person, "c:rev:prof")
    labels = [label for label, _ in bot.last(person).buttons]
    assert "✓ Student" in labels
    await bot.tap(person, "c:back:grp")
    assert await current(bot, person) == "rev"
    await bot.tap(person, "c:rev:c2")
    assert "✓ Agree" in [label for label, _ in bot.last(person).buttons]
    await bot.tap(person, "c:back:s2")
    await bot.tap(person, "c:rev:opts")
    assert await current(bot, person) == "quote"
    await bot.tap(person, "c:quote:n")
    await bot.tap(person, "c:news:y")
    assert await current(bot, person) == "rev"
    stored = await bot.participant(person)
    assert (stored.may_quote, stored.wants_news) == (False, True)


async def test_text_after_submitting_gets_one_hint(bot: Harness) -> None:
    """A message after the thank-you is answered with one short hint, no repeated screens."""
    person = Person(114)
    await walk_to(bot, person, "rev")
    await bot.tap(person, "c:rev:_submit")
    calls = await bot.send(person, "Anything else?")
    texts = [c.text for c in calls if c.method == "sendMessage"]
    assert texts == [
        "<i>"
        + t("en", "Your answers are submitted, thank you. Send /start to see or change them.")
        + "</i>"
    ]


async def test_before_choosing_a_language_telegrams_suggestion_is_used(bot: Harness) -> None:
    """/help before the language choice answers in the language Telegram suggests; the
    language choice follows it, its buttons on the newest message."""
    person = Person(115, language_code="kk")
    await bot.send(person, "/start")
    choice = bot.last(person)
    calls = await bot.send(person, "/help")
    assert [c.method for c in calls] == ["sendMessage", "sendMessage"]  # and no error after
    assert t("kk", "/help: this message") in calls[0].text
    assert calls[-1].buttons == choice.buttons


async def test_a_reply_in_another_language_offers_once_to_switch(bot: Harness) -> None:
    """Writing Russian after choosing English brings one offer, in Russian; no silent switch."""
    person = Person(116)
    await walk_to(bot, person, "m1")
    calls = await bot.send(person, "Это очень важный вывод для регионов.")
    offer = calls[-1]
    assert offer.text == t(
        "ru", "It looks like you are writing in English. Which language should the bot use?"
    )
    assert offer.buttons == [("Русский", "c:lang:ru"), ("English", "c:stay:en")]
    assert (await bot.participant(person)).language == "en"
    await bot.tap(person, "c:stay:en")
    assert (await bot.participant(person)).language == "en"
    calls = await bot.send(person, "И ещё одна мысль про молодёжь.")
    assert not any(c.buttons and c.buttons[-1][1].startswith("c:stay:") for c in calls)
    assert (await bot.answer(person, "conclusion-1")).comment_language == "ru"


async def test_switching_from_the_offer_keeps_the_comment(bot: Harness) -> None:
    """Accepting the offer switches the language and keeps what was written."""
    person = Person(117)
    await walk_to(bot, person, "m1", language="ru")
    await bot.send(person, "Мен бұл қорытындымен толық келісемін.")
    await bot.tap(person, "c:lang:kk")
    assert (await bot.participant(person)).language == "kk"
    answer = await bot.answer(person, "conclusion-1")
    assert (answer.comment, answer.comment_language) == (
        "Мен бұл қорытындымен толық келісемін.",
        "kk",
    )


def chosen_label(bot: Harness, person: Person) -> str:
    """The label left on the question last answered, instead of its keyboard."""
    edits = [c for c in bot.api.calls if c.method == "editMessageReplyMarkup"]
    mine = [c for c in edits if str(c.params.get("chat_id")) == str(person.id)]
    ((label, _),) = mine[-1].buttons
    return label


async def test_an_answered_question_keeps_the_answer_in_the_screens_language(
    bot: Harness,
) -> None:
    """Each answered question is left with its answer ticked, in the language it was asked in;
    the gates and Done name theirs in the language of the moment."""
    person = Person(611, "kk")
    kk = translator("kk").gettext
    await walk_to(bot, person, "age", language="kk")
    await bot.tap(person, "c:age:y")
    assert chosen_label(bot, person) == f"✓ {kk('Yes, I am 18 or older')}"
    await bot.tap(person, "c:cons:y")
    assert chosen_label(bot, person) == f"✓ {kk('I agree')}"
    await walk_to(bot, person, "grp", language="kk")
    await bot.tap(person, "c:grp:student")
    student = next(o for o in bot.content.groups if o.id == "student").label("kk")
    assert chosen_label(bot, person) == f"✓ {student}"
    await walk_to(bot, person, "sec", language="kk")
    await bot.tap(person, "c:sec:_done")
    assert chosen_label(bot, person) == f"✓ {kk('Done ✓')}"
