"""`python -m bot demo`: the real bot in a terminal, against the offline Bot API.

Bot messages are printed, buttons numbered: type a number to press one, any other text to send
it. `:voice 12`, `:sticker`, `:photo`, `:edit new text` and `:quit` simulate the rest. Files the
bot sends (/mydata, /export) are saved under data/demo-files/ and their paths printed.

With `--admin` the demo user is an owner and the job queue runs, as in the real bot: a
broadcast goes out to the demo database's respondents (three sample ones are added to a
database that has none), and the demo prints how many it reached. Log lines go to
data/demo.log, not at the person trying the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from telegram import Update

from bot.app import build_application, running
from bot.config import Settings
from bot.content import DEFAULT_CONTENT, Content
from bot.fakeapi import Call, FakeBotApi
from bot.journey import Pseudo, Step, callback
from bot.journey.steps import DIRECT
from bot.services import Services

CHOSEN = callback(Pseudo.CHOSEN, "0")  # the inert button left on an answered question
DEMO_USER = 1_000_001  # the Telegram user id of the person trying the demo
WATCH_EVERY = 0.3  # seconds between looks at what the jobs sent meanwhile
SENT = ("sendMessage", "sendPhoto", "sendDocument")
# The content facts marked [TBC], in the words of the person who fills them in.
TBC_FACTS = {
    "consent.ethics_reference": "the ethics approval reference",
    "consent.investigator": "the principal investigator's contact e-mail",
    "consent.retention": "how long the answers are kept",
}
TBC_WARNING = re.compile(r"^(?P<field>\S+?)(?: \([a-z, ]+\))? is still marked \[TBC\]$")
# Three sample respondents for the team's side of the demo: user id, language, the index of
# their group, region, age band and gender among the content's options, their stances (cycled
# over the conclusions), the indexes of their sectors and markets, a comment on conclusion 1.
SAMPLES = (
    (1_000_101, "kk", 2, 1, 1, 0, (5, 4, 4, 5, 5, 4), (3, 9), (0, 1),
     "Жастарға арналған шығармашылық орталықтар өңірлерде де керек."),
    (1_000_102, "ru", 1, 0, 2, 1, (4, 3, 2, 4, 5, 4), (6,), (0, 3, 6),
     "Нужны понятные гранты для малого креативного бизнеса."),
    (1_000_103, "en", 3, 2, 0, 1, (2, 4, 3, 1, 4, 5), (0, 9, 3), (6,), ""),
)  # fmt: skip

BOLD, ITALIC, DIM, RESET = "\033[1m", "\033[3m", "\033[2m", "\033[0m"
HELP = (
    "Type a number to press a button, any other text to send it as a message.\n"
    "  :voice [seconds]  send a voice message      :sticker / :photo  send one\n"
    "  :edit <text>      edit your last text       :quit              leave\n"
    "Commands such as /start, /language and /help work as in Telegram."
)


def _terminal(text: str, colour: bool) -> str:
    """Render Telegram HTML for a terminal."""
    if colour:
        text = re.sub(r"</?(b|strong)>", lambda m: RESET if m.group(0)[1] == "/" else BOLD, text)
        text = re.sub(r"</?(i|em)>", lambda m: RESET if m.group(0)[1] == "/" else ITALIC, text)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text)


class Demo:
    """One simulated Telegram user talking to the real Application."""

    def __init__(
        self,
        settings: Settings,
        content: Content,
        *,
        user_id: int = DEMO_USER,
        language_code: str = "en",
        output: Callable[[str], None] = print,
        colour: bool = False,
    ) -> None:
        self.api = FakeBotApi()
        self.files = settings.db.parent / "demo-files"  # what the bot sends, saved
        self.application = build_application(
            settings,
            content,
            request=self.api,
            get_updates_request=FakeBotApi(),
            rate_limited=False,
        )
        self.user = {
            "id": user_id,
            "is_bot": False,
            "first_name": "Demo",
            "language_code": language_code,
        }
        self.chat = {"id": user_id, "type": "private", "first_name": "Demo"}
        self.output = output
        self.colour = colour
        self.buttons: list[tuple[str, str, int]] = []  # label, callback data, message id
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._last_text: tuple[int, str] | None = None
        self._seen = 0
        self._outgoing: list[Call] = []  # sent to others (a broadcast), told once it is over

    async def handle(self, line: str) -> bool:
        """Act on one line of input; False when the user leaves."""
        line = line.strip()
        if line in (":quit", ":q", ":exit"):
            return False
        if line.isdigit() and self.buttons:
            number = int(line)
            if 1 <= number <= len(self.buttons):
                _, data, message_id = self.buttons[number - 1]
                await self._feed(self._callback(data, message_id))
                return True
            self.output(f"(there is no button {number})")
            return True
        if line.startswith(":voice"):
            seconds = (
                int(line.split()[1]) if len(line.split()) > 1 and line.split()[1].isdigit() else 7
            )
            uid = f"voice{next(self._update_ids)}"
            await self._feed(
                self._message(
                    voice={
                        "file_id": uid,
                        "file_unique_id": uid,
                        "duration": seconds,
                        "mime_type": "audio/ogg",
                    }
                )
            )
        elif line == ":sticker":
            await self._feed(
                self._message(
                    sticker={
                        "file_id": "st",
                        "file_unique_id": "st",
                        "type": "regular",
                        "width": 512,
                        "height": 512,
                        "is_animated": False,
                        "is_video": False,
                    }
                )
            )
        elif line == ":photo":
            await self._feed(
                self._message(
                    photo=[
                        {"file_id": "ph", "file_unique_id": "ph", "width": 90, "height": 90},
                    ]
                )
            )
        elif line.startswith(":edit ") and self._last_text:
            message_id, _ = self._last_text
            await self._feed(self._edited(message_id, line[len(":edit ") :]))
        elif line.startswith(":"):
            self.output(HELP)
        elif line:
            await self._feed(self._text(line))
        return True

    def _message(self, **fields: Any) -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "message": {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": self.chat,
                "from": self.user,
                **fields,
            },
        }

    def _text(self, text: str) -> dict[str, Any]:
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        update = self._message(**fields)
        self._last_text = (update["message"]["message_id"], text)
        return update

    def _edited(self, message_id: int, text: str) -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "edited_message": {
                "message_id": message_id,
                "date": int(time.time()),
                "edit_date": int(time.time()),
                "chat": self.chat,
                "from": self.user,
                "text": text,
            },
        }

    def _callback(self, data: str, message_id: int) -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._update_ids)),
                "from": self.user,
                "chat_instance": "demo",
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": self.chat,
                    "from": {"id": 777000111, "is_bot": True, "first_name": "Creative Spark"},
                    "text": "…",
                    "reply_markup": {
                        "inline_keyboard": [
                            [{"text": label, "callback_data": d}]
                            for label, d, mid in self.buttons
                            if mid == message_id
                        ]
                    },
                },
            },
        }

    async def _feed(self, raw: dict[str, Any]) -> None:
        await self.application.process_update(Update.de_json(raw, self.application.bot))
        self.show_new_calls()

    def show_new_calls(self) -> None:
        """Print what the bot did since the last look; what it sent to others, once it is over."""
        calls = self.api.calls[self._seen :]
        self._seen = len(self.api.calls)
        others = [
            c for c in calls
            if c.method in SENT and "_fault" not in c.params
            and c.params.get("chat_id") not in (self.chat["id"], None)
        ]  # fmt: skip
        self._outgoing += others
        for call in calls:
            if not any(call is other for other in others):
                self._print_call(call)
        if self._outgoing and not others:  # nothing more went out since: tell how many got it
            self._tell_outgoing()

    def _tell_outgoing(self) -> None:
        chats = {c.params["chat_id"] for c in self._outgoing}
        texts = {
            _terminal(c.text or str(c.params.get("caption", "")), False) for c in self._outgoing
        }
        people = f"{len(chats)} respondent" + ("" if len(chats) == 1 else "s")
        said = f": «{_excerpt(texts.pop())}»" if len(texts) == 1 else f" ({len(texts)} texts)"
        self.output(f"→ sent to {people}{said}")
        self._outgoing = []

    def _print_call(self, call: Call) -> None:
        if call.params.get("chat_id") not in (self.chat["id"], None, str(self.chat["id"])):
            return  # a team chat or another person: the demo shows only its user's chat
        if call.method == "sendMessage":
            self.output("")
            self.output(_terminal(call.text, self.colour).rstrip("\n"))
            self._show_buttons(call, int(call.result["message_id"]))
        elif call.method == "editMessageText":
            self.output(f"  (edited) {_terminal(call.text, self.colour)}")
        elif call.method in ("sendDocument", "sendPhoto"):
            self._save_file(call)
        elif call.method == "editMessageReplyMarkup":
            message_id = int(call.params.get("message_id", 0))
            if call.buttons and any(data != CHOSEN for _, data in call.buttons):
                self._show_buttons(call, message_id)
            elif call.buttons:
                dim, reset = (DIM, RESET) if self.colour else ("", "")
                self.output(f"{dim}  ({call.buttons[0][0]}){reset}")
        elif call.method == "answerCallbackQuery" and call.params.get("text"):
            self.output(f"  [{call.params['text']}]")

    def _save_file(self, call: Call) -> None:
        """A document or picture the bot sent: saved under demo-files/, its path printed."""
        self.output("")
        if caption := call.params.get("caption"):
            self.output(_terminal(str(caption), self.colour))
        field = "document" if call.method == "sendDocument" else "photo"
        if field not in call.files:  # sent again by its Telegram file id (a broadcast's file)
            self.output(f"  📎 a file sent before ({call.params.get(field, '')})")
        else:
            self.files.mkdir(parents=True, exist_ok=True)
            name = Path(call.file_names.get(field) or f"{field}.bin").name
            target = self.files / name
            target.write_bytes(call.files[field])
            self.output(f"  📎 {name}, saved to {target}")
        self._show_buttons(call, int(call.result["message_id"]))

    async def watch(self) -> None:
        """Print what jobs and non-blocking handlers send between two inputs."""
        while True:
            await asyncio.sleep(WATCH_EVERY)
            self.show_new_calls()

    def _show_buttons(self, call: Call, message_id: int) -> None:
        buttons = [(label, data) for label, data in call.buttons if not data.startswith("http")]
        links = [(label, url) for label, url in call.buttons if url.startswith("http")]
        for label, url in links:
            self.output(f"  {label}: {url}")
        if not buttons:
            return
        self.buttons = [(label, data, message_id) for label, data in buttons]
        for number, (label, _, _) in enumerate(self.buttons, start=1):
            self.output(f"  [{number}] {label}")


def _excerpt(text: str, length: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def still_to_fill_in(content: Content, path: Path | None) -> str | None:
    """The content's [TBC] facts in plain words, each once; None when there is none."""
    facts: list[str] = []
    for warning in content.warnings:
        match = TBC_WARNING.match(warning)
        field = match["field"] if match else warning
        fact = f"{TBC_FACTS[field]} ({field})" if field in TBC_FACTS else field
        if fact not in facts:
            facts.append(fact)
    if not facts:
        return None
    where = path or DEFAULT_CONTENT
    return f"Still to fill in before launch, marked [TBC] in {where}: " + "; ".join(facts) + "."


async def add_samples(services: Services) -> int:
    """Add SAMPLES to a demo database that has none: submitted, asking for news, so that
    /stats, /export and /broadcast have someone to count and reach. Return how many."""
    repo, content, now = services.repo, services.content, services.clock()
    version = content.version
    current = (await repo.current_round()).number  # samples answer it, as newcomers would
    added = 0
    for uid, language, group, region, band, gender, stances, sectors, markets, comment in SAMPLES:
        if await repo.participant(uid) is not None:
            continue
        async with repo.transaction():
            await repo.add_user(
                user_id=uid, chat_id=uid, language_code=language, source=DIRECT, now=now
            )
            await repo.set_language(uid, language)
            number = await repo.consent(uid, version=version, now=now)
            await repo.set_consent_choice(number, "may_quote", True)
            await repo.set_consent_choice(number, "wants_news", True)
            for field, options, index in (
                ("stakeholder_group", content.groups, group),
                ("region", content.regions, region),
                ("age_band", content.age_bands, band),
                ("gender", content.genders, gender),
            ):
                await repo.set_profile(number, field, options[index % len(options)].id, now=now)
            for conclusion, stance in zip(content.conclusions, itertools.cycle(stances)):
                await repo.save_stance(
                    number, conclusion.id, stance, round=current, version=version, now=now
                )
                if comment and conclusion.number == 1:
                    await repo.add_comment_part(
                        number, conclusion.id, round=current, message_id=1, text=comment,
                        language=language, version=version, now=now,
                    )  # fmt: skip
                await repo.finish_item(
                    number, conclusion.id, round=current, version=version, now=now
                )
            for question, chosen in ((content.sectors, sectors), (content.markets, markets)):
                picked = tuple(question.options[i].id for i in chosen if i < len(question.options))
                await repo.save_choices(
                    number, question.item, picked, round=current, version=version, now=now
                )
                await repo.finish_item(
                    number, question.item, round=current, version=version, now=now
                )
            await repo.finish_item(number, "idea", round=current, version=version, now=now)
            await repo.set_step(uid, Step.DONE, now=now)
            await repo.submit(uid, number, round=current, returning=False, now=now)
        added += 1
    return added


async def run_demo(
    settings: Settings,
    content: Content,
    *,
    language_code: str = "en",
    admin: bool = False,
    stream: TextIO = sys.stdin,
) -> None:
    """Run the terminal demo until end of input or :quit."""
    demo = Demo(settings, content, language_code=language_code, colour=sys.stdout.isatty())
    print(f"Creative Spark demo: the real bot, offline. Database: {settings.db}")
    if facts := still_to_fill_in(content, settings.content):
        print(facts)
    print(HELP)
    loop = asyncio.get_running_loop()
    async with running(demo.application) as application:
        if admin:
            added = await add_samples(application.bot_data["services"])
            print(
                "Admin mode: you are an owner (BOT_ADMINS) and the job queue runs. Try /stats,"
                " /export, /broadcast, /sources, /content and /round (invitations, like"
                " reminders, wait for 09:00 Almaty time in quiet hours)"
                + (f"; {added} sample respondents were added to the database." if added else ".")
            )
            await application.start()  # the job queue: the outbox pump, progress, reminders
        print(f"Files the bot sends you are saved under {demo.files}/.")
        print("Send /start to begin.")
        watcher = asyncio.create_task(demo.watch())
        try:
            while True:
                line = await loop.run_in_executor(None, stream.readline)
                if not line:
                    break
                # A terminal cuts a very long line at its buffer, maybe inside a letter:
                # Telegram only ever delivers whole UTF-8 text, so the demo mends it the same way.
                line = line.encode("utf-8", "replace").decode("utf-8", "replace")
                if not await demo.handle(line):
                    break
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            if admin:
                await application.stop()
            demo.show_new_calls()
