"""The flow around the questions: the live buttons always last, short hints, nothing erased by
accident, Other asks what, the consent in short, regions in each language's alphabet, /mydata
readable (issue 13)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.content import LANGUAGES, Content
from bot.export import write_pack
from bot.fakeapi import Call
from bot.i18n import translator
from tests.harness import Harness, Person, current, walk_to
from tests.test_journey import chosen_label
from tests.test_wrong_input import STICKER


def t(language: str, msgid: str) -> str:
    return translator(language).gettext(msgid)


def messages(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method == "sendMessage"]


def toast(calls: list[Call]) -> str:
    (answer,) = [c for c in calls if c.method == "answerCallbackQuery"]
    return str(answer.params.get("text", ""))


async def current_buttons(bot: Harness, person: Person) -> list[tuple[str, str]]:
    """The buttons of the current question, as a fresh hint shows them."""
    calls = await bot.send_other(person, **STICKER)
    return messages(calls)[-1].buttons


# 4. The live keyboard is always the last message --------------------------------------------


async def test_after_the_offer_to_switch_is_declined_the_question_follows(bot: Harness) -> None:
    """'Stay in English' leaves its choice on the offer, and the comment question follows it
    with its buttons, so the live keyboard is the newest message."""
    person = Person(1301)
    await walk_to(bot, person, "m1")
    offer = (await bot.send(person, "Это очень важный вывод для регионов."))[-1]
    assert offer.buttons[-1][1] == "c:stay:en"
    calls = await bot.tap(person, "c:stay:en")
    (question,) = messages(calls)
    assert question is bot.last(person)
    assert "1 / 6" in question.text and "Это очень важный вывод" in question.text
    assert ("Done ✓", "c:m1:_done") in question.buttons


async def test_after_the_offer_to_switch_is_taken_the_question_follows_in_the_new_language(
    bot: Harness,
) -> None:
    """Switching from the offer says the language changed, then asks the question in it."""
    person = Person(1302)
    await walk_to(bot, person, "m1")
    await bot.send(person, "Это очень важный вывод для регионов.")
    calls = await bot.tap(person, "c:lang:ru")
    said, question = messages(calls)
    assert said.text == t("ru", "The language is now English.")
    assert question is bot.last(person)
    assert (t("ru", "Done ✓"), "c:m1:_done") in question.buttons


@pytest.mark.parametrize("command", ["/help", "/mydata", "/stop", "/delete"])
async def test_after_a_command_the_current_question_is_the_newest_message(
    bot: Harness, command: str
) -> None:
    """/help, /mydata, /stop and /delete (kept) interject; the question's buttons follow them."""
    person = Person(1303)
    await walk_to(bot, person, "s2")
    expected = await current_buttons(bot, person)
    await bot.send(person, command)
    if command == "/delete":
        await bot.tap(person, "c:del:n")
    last = bot.last(person)
    assert last.method == "sendMessage" and last.buttons == expected
    assert "2 / 6" in last.text


async def test_a_tap_on_an_answered_questions_label_says_where_the_question_is(
    bot: Harness,
) -> None:
    """The inert '✓ label' left on an answered question answers a tap with a short toast."""
    person = Person(1304)
    await walk_to(bot, person, "s1")
    await bot.tap(person, "c:s1:4")
    answered = bot.message_with(person, "c:s1:4")  # now showing "✓ Agree" only
    calls = await bot.tap(person, "c:x:0", message_id=answered)
    assert toast(calls) == t("en", "Already answered: the current question is below.")
    assert [c.method for c in calls] == ["answerCallbackQuery"]


# 5. Stray input gets a short hint ------------------------------------------------------------


@pytest.mark.parametrize("stray", ["sticker", "text", "command", "stale tap"])
async def test_stray_input_at_the_review_repeats_only_its_prompt_and_buttons(
    bot: Harness, stray: str
) -> None:
    """The review is long: a sticker, text, an unknown command or an old button is answered
    with one short message carrying the review's buttons, not the whole review again."""
    person = Person(1305)
    await walk_to(bot, person, "rev", language="ru")
    review = bot.last(person)
    whole = "\n".join(c.text for c in bot.sent(person)[-3:])
    assert len(whole) > 500
    if stray == "sticker":
        calls = await bot.send_other(person, **STICKER)
    elif stray == "text":
        calls = await bot.send(person, "Что дальше?")
    elif stray == "command":
        calls = await bot.send(person, "/what")
    else:
        calls = await bot.tap(person, "c:s1:1", message_id=bot.message_with(person, "c:s1:4"))
        assert toast(calls) == t(
            "ru", "That button belongs to an earlier question. Here is the current one."
        )
    (reply,) = messages(calls)
    assert len(reply.text) < 500
    assert reply.buttons == review.buttons
    assert t(
        "ru", "Check your answers, change any of them with the buttons below, then submit."
    ) in (reply.text)
    assert t("ru", "Your answers") not in reply.text
    if stray != "stale tap":
        assert reply.text.startswith("<i>")  # the hint itself, above the prompt
    assert await current(bot, person) == "rev"


async def test_a_hint_at_the_consent_does_not_resend_the_full_information(bot: Harness) -> None:
    """At the consent, a sticker gets the hint and the short consent with its buttons."""
    person = Person(1306)
    await walk_to(bot, person, "cons", language="kk")
    await bot.tap(person, "c:info:cons")
    calls = await bot.send_other(person, **STICKER)
    texts = [c.text for c in messages(calls)]
    assert texts[0] == f"<i>{t('kk', 'Please answer with the buttons below.')}</i>"
    assert bot.content.consent.render("kk") not in "".join(texts)
    assert all(len(text) <= 500 for text in texts)
    assert [d for _, d in messages(calls)[-1].buttons] == [
        "c:cons:y",
        "c:cons:n",
        "c:info:cons",
    ]


async def test_a_long_consent_repeats_only_its_question_after_a_hint(
    settings: Settings, content: Content
) -> None:
    """Were the consent's screen long (a summary as long as the full text), a sticker there
    gets one message: the hint and the consent question, with its buttons."""
    long = replace(content, consent=replace(content.consent, summary=content.consent.text))
    bot = Harness(settings, long)
    await bot.start()
    try:
        person = Person(1330)
        await walk_to(bot, person, "cons", language="ru")
        assert len(bot.last(person).text) > 500
        (reply,) = messages(await bot.send_other(person, **STICKER))
        hint = t("ru", "Please answer with the buttons below.")
        assert reply.text == f"<i>{hint}</i>\n\n{t('ru', 'Do you agree to take part?')}"
        assert [d for _, d in reply.buttons] == ["c:cons:y", "c:cons:n", "c:info:cons"]
    finally:
        await bot.stop()


# 6. Nothing erased by accident ----------------------------------------------------------------


async def test_removing_a_comment_asks_first(bot: Harness) -> None:
    """'Remove my comment' asks Yes / No; No keeps the comment, Yes removes it."""
    person = Person(1307)
    await walk_to(bot, person, "m1")
    await bot.send(person, "Keep this thought.")
    await bot.send_other(person, **STICKER)  # the question again, with its Remove button
    calls = await bot.tap(person, "c:m1:_del")
    (confirm,) = messages(calls)
    assert confirm.text == t(
        "en", "Remove your comment? What you typed and recorded here will be deleted."
    )
    assert [d for _, d in confirm.buttons] == ["c:m1:_dely", "c:m1:_keep"]
    assert (await bot.answer(person, "conclusion-1")).comment == "Keep this thought."
    await bot.tap(person, "c:m1:_keep")
    assert (await bot.answer(person, "conclusion-1")).comment == "Keep this thought."
    assert "Keep this thought." in bot.last(person).text  # the question, the comment kept
    await bot.tap(person, "c:m1:_del")
    await bot.tap(person, "c:m1:_dely")
    assert (await bot.answer(person, "conclusion-1")).comment is None
    assert chosen_label(bot, person) == f"✓ {t('en', 'Yes, remove it')}"
    assert bot.last(person).buttons[0] == (t("en", "No comment »"), "c:m1:_none")
    assert await current(bot, person) == "m1"


def keep_label(language: str, answer: str) -> str:
    """'Keep: <answer>' where it fits a button (30 characters), else 'Keep my answer'."""
    named = t(language, "Keep: {answer}").format(answer=answer)
    return named if len(named) <= 30 else t(language, "Keep my answer")


async def test_a_stored_answer_too_long_to_name_on_a_button_is_kept_by_keep_my_answer(
    bot: Harness,
) -> None:
    """'Keep: Восточно-Казахстанская область' would not fit a phone's button: 'Keep my
    answer' keeps it (the region is ticked above)."""
    person = Person(1331)
    await walk_to(bot, person, "rev", language="ru")
    await bot.tap(person, "c:rev:prof")
    await bot.tap(person, "c:grp:student")
    await bot.tap(person, "c:reg:east-kazakhstan")
    await bot.tap(person, "c:back:ageb")
    assert (t("ru", "Keep my answer"), "c:reg:_keep") in bot.last(person).buttons
    await bot.tap(person, "c:reg:_keep")
    assert (await bot.participant(person)).region == "east-kazakhstan"


async def test_editing_the_profile_offers_to_keep_each_stored_answer(bot: Harness) -> None:
    """From the review, each profile question marks the stored answer and offers 'Keep: …'
    instead of Skip; keeping every one changes nothing."""
    person = Person(1308)
    await walk_to(bot, person, "rev", language="ru")
    before = await bot.participant(person)
    _ = translator("ru").gettext
    await bot.tap(person, "c:rev:prof")
    expected = {
        "grp": "student",
        "reg": "almaty",
        "ageb": "18-24",
    }
    for step, option_id in expected.items():
        buttons = bot.last(person).buttons
        options = {"grp": bot.content.groups, "reg": bot.content.regions}.get(
            step, bot.content.age_bands
        )
        label = next(o for o in options if o.id == option_id).label("ru")
        assert (f"✓ {label}", f"c:{step}:{option_id}") in buttons
        assert (keep_label("ru", label), f"c:{step}:_keep") in buttons
        assert f"c:{step}:_skip" not in [d for _, d in buttons]
        assert all(len(label) <= 30 for label, _ in buttons)
        await bot.tap(person, f"c:{step}:_keep")
    assert (keep_label("ru", _("Prefer not to say")), "c:gen:_keep") in bot.last(person).buttons
    await bot.tap(person, "c:gen:_keep")
    assert await current(bot, person) == "rev"
    after = await bot.participant(person)
    profile = ("stakeholder_group", "region", "age_band", "gender")
    assert [after.profile(f) for f in profile] == [before.profile(f) for f in profile]
    assert after.age_band == "18-24"


async def test_editing_a_stance_offers_to_keep_it_and_skip_erases_nothing(bot: Harness) -> None:
    """From the review, a stance given is kept by 'Keep: …' (back to the review unchanged);
    removing it is its own explicit button."""
    person = Person(1309)
    await walk_to(bot, person, "rev")
    await bot.tap(person, "c:rev:c2")
    buttons = bot.last(person).buttons
    assert ("✓ Agree", "c:s2:4") in buttons
    assert ("Keep: Agree", "c:s2:_keep") in buttons
    assert (t("en", "Remove my view"), "c:s2:_skip") in buttons
    assert t("en", "Skip »") not in [label for label, _ in buttons]
    await bot.tap(person, "c:s2:_keep")
    assert await current(bot, person) == "rev"
    answer = await bot.answer(person, "conclusion-2")
    assert (answer.stance, answer.revised) == (4, False)
    await bot.tap(person, "c:rev:c2")
    await bot.tap(person, "c:s2:_skip")  # explicit: the view is removed
    assert (await bot.answer(person, "conclusion-2")).stance is None


# 7. "Other" asks what --------------------------------------------------------------------------


async def test_a_voice_message_for_other_is_asked_to_be_typed(bot: Harness) -> None:
    """With Other chosen, a voice message is not kept: the hint asks for the words typed."""
    person = Person(1319)
    await walk_to(bot, person, "sec", language="ru")
    other = next(o for o in bot.content.sectors.options if o.id == "other").label("ru")
    await bot.tap(person, "c:sec:other:1")
    await bot.voice(person, seconds=5)
    ask = t("ru", "What do you mean by “{other}”? Please type it in a few words, then tap Done.")
    assert ask.format(other=other) in "\n".join(c.text for c in bot.sent(person)[-2:])
    assert (await bot.answer(person, "sectors")).voice_count == 0


async def test_other_asks_what_and_keeps_the_words_in_the_answers_comment(bot: Harness) -> None:
    """Choosing Other asks what is meant, below, with the keyboard; the typed words are the
    sectors answer's comment, shown in the review and exported in answers.csv."""
    person = Person(1310)
    await walk_to(bot, person, "sec", language="ru")
    other = next(o for o in bot.content.sectors.options if o.id == "other").label("ru")
    calls = await bot.tap(person, "c:sec:other:1")
    (asked,) = messages(calls)
    assert asked is bot.last(person)
    ask = t("ru", "What do you mean by “{other}”? Please type it in a few words, then tap Done.")
    assert ask.format(other=other) in asked.text
    assert (f"✅ {other}", "c:sec:other:0") in asked.buttons
    calls = await bot.send(person, "Войлочные ковры и юрты")
    (saved,) = messages(calls)
    assert saved.text == t("ru", "✓ Saved. Type more to add to it, or tap Done.")
    assert (f"✅ {other}", "c:sec:other:0") in saved.buttons  # the live keyboard, last
    sectors = await bot.answer(person, "sectors")
    assert (sectors.choices, sectors.comment) == (("other",), "Войлочные ковры и юрты")
    await bot.tap(person, "c:sec:_done")
    assert await current(bot, person) == "mkt"
    await walk_to(bot, person, "rev")
    assert "Войлочные ковры и юрты" in "\n".join(c.text for c in bot.sent(person)[-3:])

    files = write_pack(
        bot.settings.db, bot.settings.export_dir, bot.content, zone=ZoneInfo("Asia/Almaty")
    )
    answers_csv = next(f for f in files if f.name == "answers.csv")
    rows = csv.DictReader(io.StringIO(answers_csv.read_text(encoding="utf-8-sig")))
    (row,) = [r for r in rows if r["item"] == "sectors"]
    assert (row["choices"], row["comment"], row["comment_type"]) == (
        "other",
        "Войлочные ковры и юрты",
        "text",
    )


async def test_text_at_sectors_without_other_is_a_hint_and_unchoosing_other_drops_the_words(
    bot: Harness,
) -> None:
    """Typed text is taken at a multi-choice step only once Other is chosen; Other unchosen,
    its words go with it."""
    person = Person(1311)
    await walk_to(bot, person, "sec")
    calls = await bot.send(person, "Festivals")
    assert messages(calls)[0].text == f"<i>{t('en', 'Please answer with the buttons below.')}</i>"
    assert (await bot.answer(person, "sectors")).comment is None
    await bot.tap(person, "c:sec:other:1")
    await bot.send(person, "Street food festivals")
    assert (await bot.answer(person, "sectors")).comment == "Street food festivals"
    await bot.tap(person, "c:sec:other:0")
    sectors = await bot.answer(person, "sectors")
    assert (sectors.choices, sectors.comment) == ((), None)


# 8. Smaller points --------------------------------------------------------------------------


async def test_a_re_picked_answer_is_ticked_once(bot: Harness) -> None:
    """Tapping the stored answer again (it shows '✓ Student') leaves '✓ Student', not two ticks."""
    person = Person(1312)
    await walk_to(bot, person, "rev")
    await bot.tap(person, "c:rev:prof")
    await bot.tap(person, "c:grp:student")
    assert chosen_label(bot, person) == "✓ Student"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_language_mid_way_asks_without_a_welcome_and_says_the_language_changed(
    bot: Harness, language: str
) -> None:
    """/language mid-way asks for the language without 'Welcome!'; choosing says, in the new
    language, that the bot now speaks it, and asks the question again in it."""
    person = Person(1313)
    await walk_to(bot, person, "s2", language="en" if language != "en" else "kk")
    calls = await bot.send(person, "/language")
    (choice,) = messages(calls)
    for each in LANGUAGES:
        assert t(each, "Welcome! Please choose your language.") not in choice.text
        assert t(each, "Choose the bot's language.") in choice.text
    calls = await bot.tap(person, f"c:lang:{language}")
    said, question = messages(calls)
    changed = t(language, "The language is now English.")
    assert said.text == changed
    assert changed != t(language, "Welcome! Please choose your language.")
    assert bot.content.conclusions[1].text(language) in question.text


async def test_resuming_at_a_comment_step_shows_the_conclusion_again(bot: Harness) -> None:
    """/start, Continue, at a comment step: the conclusion is shown with the comment question."""
    person = Person(1314)
    await walk_to(bot, person, "m2", language="kk")
    await bot.send(person, "/start")
    await bot.tap(person, "c:resume:cont")
    question = bot.last(person).text
    assert bot.content.conclusions[1].text("kk") in question
    assert question.startswith("<b>2 / 6 · ")
    assert bot.last(person).buttons[0][1] == "c:m2:_none"


async def test_stop_then_start_welcomes_once(bot: Harness) -> None:
    """After /stop, /start welcomes back once, then offers to continue."""
    person = Person(1315)
    await walk_to(bot, person, "s1", language="ru")
    await bot.send(person, "/stop")
    calls = await bot.send(person, "/start")
    texts = [c.text for c in messages(calls)]
    welcome = t("ru", "Welcome back: reminders and news are on again.")
    assert texts == [welcome, t("ru", "Would you like to continue where you left off?")]
    assert bot.offered(person) == ["c:resume:cont", "c:resume:over"]


async def test_a_skipped_idea_reads_skipped_in_the_review(bot: Harness) -> None:
    """An idea left out with Skip reads 'skipped' in the review, as a skipped stance does."""
    person = Person(1316)
    await walk_to(bot, person, "rev", language="kk")
    review = "\n\n".join(c.text for c in bot.sent(person)[-3:])
    idea = review.split(f"<b>{t('kk', 'Your idea')}</b>")[1]
    assert idea.split("\n\n")[1] == t("kk", "skipped")


async def test_an_empty_voice_message_gets_a_hint_and_is_not_kept(bot: Harness) -> None:
    """A 0-second voice message is not stored; the respondent is told it was empty."""
    person = Person(1317)
    await walk_to(bot, person, "m1")
    calls = await bot.voice(person, seconds=0)
    hint = t(
        "en",
        "That voice message is empty: nothing was recorded. Please record it again, "
        "or type your comment.",
    )
    assert messages(calls)[0].text == f"<i>{hint}</i>"
    assert (await bot.answer(person, "conclusion-1")).voice_count == 0
    assert bot.db("SELECT count(*) FROM voice_notes") == [(0,)]


async def test_a_voice_message_of_an_hour_or_more_reads_as_hours(bot: Harness) -> None:
    """Voice messages an hour long or more are shown as h:mm:ss."""
    person = Person(1318)
    await walk_to(bot, person, "m1")
    calls = await bot.voice(person, seconds=3725)
    assert "(1:02:05)" in messages(calls)[0].text
    calls = await bot.voice(person, seconds=65)
    assert "(1:03:10 in all)" in messages(calls)[0].text


async def test_help_before_a_language_is_chosen_says_what_the_bot_is_in_three_languages(
    bot: Harness,
) -> None:
    """/help before the language choice says what the bot is in Kazakh, Russian and English."""
    person = Person(1319, language_code="de")
    await bot.send(person, "/start")
    calls = await bot.send(person, "/help")
    help_text = messages(calls)[0].text
    singular = (
        "This bot asks for your views on {count} conclusion about developing the Creative "
        "Industries in Kazakhstan."
    )
    plural = singular.replace("conclusion about", "conclusions about")
    for language in LANGUAGES:
        about = translator(language).ngettext(singular, plural, 6).format(count=6)
        assert about in help_text
    assert bot.last(person).buttons[0][1] == "c:lang:kk"


# 9. The consent in short, the full information a tap away -----------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_consent_leads_with_its_summary_and_sends_the_full_text_on_request(
    bot: Harness, language: str
) -> None:
    """The consent screen is the short summary with I agree, No thanks and Full information;
    Full information sends the whole text with the two answers below it."""
    person = Person(1320, language_code=language)
    await walk_to(bot, person, "cons", language=language)
    summary = bot.last(person)
    assert summary.text == bot.content.consent.render_summary(language)
    assert len(summary.text) <= 500
    assert summary.buttons == [
        (t(language, "I agree"), "c:cons:y"),
        (t(language, "No, thanks"), "c:cons:n"),
        (t(language, "📄 Full information"), "c:info:cons"),
    ]
    calls = await bot.tap(person, "c:info:cons")
    (full,) = messages(calls)
    assert full.text == bot.content.consent.render(language)
    assert [d for _, d in full.buttons] == ["c:cons:y", "c:cons:n"]
    await bot.tap(person, "c:cons:y")
    assert await current(bot, person) == "quote"


async def test_help_offers_the_full_information_and_the_question_follows_it(
    bot: Harness,
) -> None:
    """/help has a Full information button; after consenting it sends the full text, then
    the current question."""
    person = Person(1321)
    await walk_to(bot, person, "s1", language="ru")
    calls = await bot.send(person, "/help")
    assert messages(calls)[0].buttons == [(t("ru", "📄 Full information"), "c:info:cons")]
    calls = await bot.tap(person, "c:info:cons")
    full, question = messages(calls)
    assert full.text == bot.content.consent.render("ru")
    assert "1 / 6" in question.text and question is bot.last(person)
    assert await current(bot, person) == "s1"


# 3. Regions in each language's alphabet; /mydata readable -----------------------------------

KAZAKH = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
RUSSIAN = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"


def alphabetical(labels: list[str], alphabet: str) -> bool:
    def key(label: str) -> list[int]:
        return [alphabet.find(c) for c in label.lower() if c.isalpha()]

    return [key(label) for label in labels] == sorted(key(label) for label in labels)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_regions_list_the_three_cities_first_then_the_alphabet_one_to_a_row(
    bot: Harness, language: str
) -> None:
    """Astana, Almaty and Shymkent first, the regions in the language's own alphabet, outside
    Kazakhstan last; one region to a row."""
    person = Person(1322)
    await walk_to(bot, person, "reg", language=language)
    markup = bot.last(person).params["reply_markup"]
    rows = (json.loads(markup) if isinstance(markup, str) else markup)["inline_keyboard"]
    regions = [row for row in rows if row[0]["callback_data"].split(":")[2][0] != "_"]
    assert all(len(row) == 1 for row in regions)
    ids = [row[0]["callback_data"].split(":")[2] for row in regions]
    assert ids[:3] == ["astana", "almaty", "shymkent"] and ids[-1] == "outside"
    labels = [row[0]["text"] for row in regions[3:-1]]
    if language == "kk":
        assert alphabetical(labels, KAZAKH)
        assert ids[3:6] == ["abai", "akmola", "aktobe"]
        assert ids.index("karaganda") > ids.index("jetisu")  # Қ after Ж, not beside К
        assert ids[-2] == "east-kazakhstan"  # Шығыс
    elif language == "ru":
        assert alphabetical(labels, RUSSIAN + "әғқңөұүһі")
        assert ids.index("east-kazakhstan") < ids.index("jambyl")  # Восточно- before Ж
    else:
        assert labels == sorted(labels)


async def test_mydata_names_the_source_and_languages_and_shows_local_times(
    bot: Harness,
) -> None:
    """/mydata says where the respondent came from and which languages in words, and its times
    in the bot's time zone as the language writes dates."""
    person = Person(1323, language_code="kk")
    await bot.send(person, "/start nowhere-registered")
    await bot.tap(person, "c:lang:ru")
    await walk_to(bot, person, "m1", language="ru")
    bot.clock.advance(days=2, hours=8, minutes=5)  # 2 December 2026, 19:05 in Almaty
    await bot.send(person, "Мой комментарий к первому выводу.")
    calls = await bot.send(person, "/mydata")
    (document,) = [c for c in calls if c.method == "sendDocument"]
    body = document.files["document"].decode("utf-8")
    _ = translator("ru").gettext
    first = _("{day} November {year}").format(day=30, year=2026) + ", 11:00"
    last = _("{day} December {year}").format(day=2, year=2026) + ", 19:05"
    for line in (
        _("Recruitment source: {source}").format(
            source=_("unknown (an invitation link the team has not registered)")
        ),
        _("Language: {language}").format(language="Русский"),
        _("Telegram's language setting: {code}").format(code="Қазақша"),
        _("First contact: {moment}").format(moment=first),
        _("Last activity: {moment}").format(moment=last),
        _("Detected language of your comments: {labels}").format(labels="1 / 6: Русский"),
    ):
        assert line in body, line
    assert "unregistered" not in body and "+00:00" not in body
