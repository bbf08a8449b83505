"""An offline Bot API: answers like Telegram, records every call, refuses the network.

The tests and `python -m bot demo` drive the real Application through it. Faults can be
injected per method or per chat (403 for a user who blocked the bot, 429, 5xx, timeouts).
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

BOT_USER = {
    "id": 777000111,
    "is_bot": True,
    "first_name": "Creative Spark",
    "username": "creative_spark_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class Call:
    """One recorded Bot API call."""

    method: str
    params: dict[str, Any]
    result: Any = None
    files: dict[str, bytes] = field(default_factory=dict)
    file_names: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when the request arrived

    @property
    def text(self) -> str:
        """The text sent or edited, or ''."""
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data or url) of every button of the call's inline keyboard."""
        markup = self.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        rows = (markup or {}).get("inline_keyboard", [])
        return [
            (b["text"], b.get("callback_data") or b.get("url", "")) for row in rows for b in row
        ]


@dataclass
class Fault:
    """An error answer to inject: HTTP status and description, optional retry_after."""

    status: int
    description: str
    retry_after: int | None = None
    times: int = 1_000_000

    def body(self) -> bytes:
        payload: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            payload["parameters"] = {"retry_after": self.retry_after}
        return json.dumps(payload).encode()


TIMEOUT = 0  # a Fault with this status raises a timeout instead of answering


BLOCKED = Fault(403, "Forbidden: bot was blocked by the user")
TOO_MANY = Fault(429, "Too Many Requests: retry after 1", retry_after=1, times=1)
BAD_GATEWAY = Fault(502, "Bad Gateway", times=1)


@dataclass
class FakeBotApi(BaseRequest):
    """A BaseRequest that answers Bot API methods from memory."""

    calls: list[Call] = field(default_factory=list)
    chat_faults: dict[int, Fault] = field(default_factory=dict)
    method_faults: dict[str, Fault] = field(default_factory=dict)
    latency: float = 0.0
    documents: dict[str, bytes] = field(default_factory=dict)  # file_id → what a download gets
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(10_000))

    @property
    def read_timeout(self) -> float:
        """Required by BaseRequest since PTB 22."""
        return 5.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(  # noqa: PLR0917 - BaseRequest's signature
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = None,
        write_timeout: object = None,
        connect_timeout: object = None,
        pool_timeout: object = None,
    ) -> tuple[int, bytes]:
        """Record the call and answer it as Telegram would."""
        if "/file/" in url:  # a file download: a document's bytes, or some Ogg (voice comments)
            self.calls.append(Call("download", {"url": url.rsplit("/", 2)[-1]}))
            return 200, self.documents.get(url.rsplit("/", 1)[-1], b"OggS\x00fake voice")
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        arrived = time.monotonic()  # when Telegram would count the request
        if self.latency:
            import asyncio  # noqa: PLC0415 - only the benchmarks ask for latency

            await asyncio.sleep(self.latency)
        fault = self._fault(api_method, params)
        if fault is not None:
            self.calls.append(Call(api_method, {**params, "_fault": fault.status}, at=arrived))
            if fault.status == TIMEOUT:  # "connect": never reached Telegram; "read", "lost": did
                if fault.description == "lost":  # the connection dropped before the answer
                    lost = httpx.RemoteProtocolError("lost")
                    raise NetworkError("httpx.RemoteProtocolError: lost") from lost
                cause = (
                    httpx.ConnectTimeout if fault.description == "connect" else httpx.ReadTimeout
                )
                raise TimedOut from cause(fault.description)
            return fault.status, fault.body()
        result = self._result(api_method, params)
        files, names = {}, {}
        if request_data is not None and request_data.contains_files:
            for name, part in request_data.multipart_data.items():
                content = part[1]
                files[name] = content if isinstance(content, bytes) else content.read()
                names[name] = part[0]
        self.calls.append(Call(api_method, params, result, files, names, at=arrived))
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        if method in ("getMe", "getUpdates"):
            return None
        chat_id = params.get("chat_id")
        fault = self.chat_faults.get(chat_id) if isinstance(chat_id, int) else None
        fault = fault or self.method_faults.get(method)
        if fault is None or fault.times <= 0:
            return None
        fault.times -= 1
        return fault

    def _result(self, method: str, params: dict[str, Any]) -> object:
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            return []
        if method in ("sendMessage", "sendDocument", "sendPhoto", "sendAudio", "sendVoice"):
            chat_id = params.get("chat_id", 0)
            message: dict[str, Any] = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if int(chat_id) > 0 else "group"},
                "from": BOT_USER,
            }
            if "text" in params:
                message["text"] = params["text"]
            if "reply_markup" in params:
                markup = params["reply_markup"]
                message["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
            if method == "sendDocument":
                message["document"] = {"file_id": "doc", "file_unique_id": "doc"}
            return message
        if method in ("editMessageText", "editMessageReplyMarkup"):
            return {
                "message_id": params.get("message_id", 0),
                "date": int(time.time()),
                "chat": {"id": params.get("chat_id", 0), "type": "private"},
                "text": params.get("text", ""),
            }
        if method == "getFile":
            file_id = params.get("file_id", "")
            return {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_path": (
                    f"documents/{file_id}" if file_id in self.documents else f"voice/{file_id}.oga"
                ),
            }
        return True

    # Reading what the user saw -------------------------------------------------------------

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Messages sent (to one chat, or all)."""
        return [
            c
            for c in self.calls
            if c.method == "sendMessage"
            and "_fault" not in c.params
            and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    def clear(self) -> None:
        """Forget the recorded calls."""
        self.calls.clear()
