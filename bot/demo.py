"""`python -m bot demo`: the real bot in a terminal, against the offline Bot API.

Bot messages are printed, buttons numbered: type a number to press one, any other text to send
it. `:voice 12`, `:sticker`, `:photo`, `:edit new text` and `:quit` simulate the rest.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import re
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from telegram import Update

from bot.app import build_application, running
from bot.config import Settings
from bot.content import Content
from bot.fakeapi import Call, FakeBotApi
from bot.journey import Pseudo, callback

CHOSEN = callback(Pseudo.CHOSEN, "0")  # the inert button left on an answered question

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
        user_id: int = 1_000_001,
        language_code: str = "en",
        output: Callable[[str], None] = print,
        colour: bool = False,
    ) -> None:
        self.api = FakeBotApi()
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
        self._print_new_calls()

    def _print_new_calls(self) -> None:
        calls = self.api.calls[self._seen :]
        self._seen = len(self.api.calls)
        for call in calls:
            self._print_call(call)

    def _print_call(self, call: Call) -> None:
        if call.method == "sendMessage":
            self.output("")
            self.output(_terminal(call.text, self.colour))
            self._show_buttons(call, int(call.result["message_id"]))
        elif call.method == "editMessageReplyMarkup":
            message_id = int(call.params.get("message_id", 0))
            if call.buttons and any(data != CHOSEN for _, data in call.buttons):
                self._show_buttons(call, message_id)
            elif call.buttons:
                dim, reset = (DIM, RESET) if self.colour else ("", "")
                self.output(f"{dim}  ({call.buttons[0][0]}){reset}")
        elif call.method == "answerCallbackQuery" and call.params.get("text"):
            self.output(f"  [{call.params['text']}]")

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


async def run_demo(
    settings: Settings,
    content: Content,
    *,
    language_code: str = "en",
    stream: TextIO = sys.stdin,
) -> None:
    """Run the terminal demo until end of input or :quit."""
    demo = Demo(settings, content, language_code=language_code, colour=sys.stdout.isatty())
    print(f"Creative Spark demo: the real bot, offline. Database: {settings.db}")
    print(HELP)
    print("Send /start to begin.")
    loop = asyncio.get_running_loop()
    async with running(demo.application):
        while True:
            line = await loop.run_in_executor(None, stream.readline)
            if not line:
                break
            # A terminal cuts a very long line at its buffer, maybe inside a letter: Telegram
            # only ever delivers whole UTF-8 text, so the demo mends it the same way.
            line = line.encode("utf-8", "replace").decode("utf-8", "replace")
            if not await demo.handle(line):
                break
