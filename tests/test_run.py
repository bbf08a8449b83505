"""`python -m bot run` against a Bot API emulator on loopback, killed with SIGKILL mid-walk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from bot.fakeapi import BOT_USER

TOKEN = "123456:TEST-token-never-logged"
USER = {"id": 4242, "is_bot": False, "first_name": "Dana", "language_code": "ru"}
CHAT = {"id": 4242, "type": "private", "first_name": "Dana"}


class Emulator:
    """A minimal Bot API over HTTP: queued updates for getUpdates, recorded sends."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.lock = threading.Lock()
        self.next_update = 1
        self.next_message = 500

    def queue_text(self, text: str, user: dict[str, Any] = USER) -> None:
        message = {
            "message_id": self.next_message,
            "date": int(time.time()),
            "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
            "from": user,
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        self._queue({"message": message})

    def queue_tap(self, data: str, user: dict[str, Any] = USER) -> None:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        self._queue(
            {
                "callback_query": {
                    "id": str(self.next_update),
                    "from": user,
                    "chat_instance": "e",
                    "data": data,
                    "message": {"message_id": 1, "date": 0, "chat": chat, "text": "…"},
                }
            }
        )

    def _queue(self, body: dict[str, Any]) -> None:
        with self.lock:
            self.updates.append({"update_id": self.next_update, **body})
            self.next_update += 1
            self.next_message += 1

    def answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            with self.lock:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                pending = list(self.updates)
            if not pending:
                time.sleep(0.05)
            return pending
        if method == "sendMessage":
            with self.lock:
                self.sent.append(params)
                self.next_message += 1
                chat = {"id": int(params.get("chat_id", CHAT["id"])), "type": "private"}
                return {
                    "message_id": self.next_message,
                    "date": 0,
                    "chat": chat,
                    "text": params.get("text", ""),
                }
        return True

    def sent_to(self, chat_id: int) -> int:
        """How many messages were sent to one chat."""
        with self.lock:
            return sum(1 for m in self.sent if str(m.get("chat_id")) == str(chat_id))

    def wait_for(self, count: int, timeout: float = 20) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.sent) >= count:
                    return list(self.sent)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} messages, got {len(self.sent)}")


@pytest.fixture
def emulator() -> Iterator[tuple[Emulator, str]]:
    state = Emulator()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            if self.headers.get("Content-Type", "").startswith("application/json"):
                params = json.loads(raw or "{}")
            else:
                params = {k: v[0] for k, v in parse_qs(raw).items()}
            state.paths.append(self.path)
            method = self.path.rsplit("/", 1)[-1]
            body = json.dumps({"ok": True, "result": state.answer(method, params)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            """A client killed mid-request (the SIGKILL tests): nothing to report."""

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/bot"
    server.shutdown()


def start_bot(api_url: str, db: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "BOT_API_URL": api_url,
        "BOT_FILE_URL": api_url.replace("/bot", "/file/bot"),
        "BOT_DB": str(db),
        "BOT_WEBHOOK_URL": "",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def test_run_polls_a_local_bot_api_and_survives_sigkill(
    emulator: tuple[Emulator, str], tmp_path: Path
) -> None:
    """The real process talks to BOT_API_URL; after kill -9 it resumes at the same step."""
    state, url = emulator
    db, log = tmp_path / "bot.sqlite3", tmp_path / "bot.log"
    process = start_bot(url, db, log)
    try:
        state.queue_text("/start")
        state.wait_for(1)
        for data in ("c:lang:ru", "c:age:y", "c:cons:y", "c:quote:n", "c:news:n"):
            state.queue_tap(data)
        sent = state.wait_for(6)
        assert "О вас · 1 / 4" in sent[-1]["text"]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        process = start_bot(url, db, log)
        state.queue_tap("c:grp:academic")
        sent = state.wait_for(7)
        assert "О вас · 2 / 4" in sent[-1]["text"]
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert oct(db.stat().st_mode & 0o777) == "0o600"
    assert all(f"/bot{TOKEN}/" in path for path in state.paths)
    assert TOKEN not in log.read_text(encoding="utf-8")


def test_the_token_never_reaches_a_log_line_or_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A message or an exception that carries the token is written with it masked."""
    import logging  # noqa: PLC0415

    from bot.redact import MASK, TokenFilter  # noqa: PLC0415

    stream = __import__("io").StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(TokenFilter(TOKEN))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("calling %s", f"https://api.telegram.org/bot{TOKEN}/getMe")
        try:
            raise ConnectionError(f"could not reach /bot{TOKEN}/sendMessage")
        except ConnectionError:
            logger.exception("request failed")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert TOKEN not in written
    assert written.count(MASK) == 2
    assert "could not reach" in written


def free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_webhook_mode_rejects_updates_without_the_secret(
    emulator: tuple[Emulator, str], tmp_path: Path
) -> None:
    """Over real HTTP on loopback: no secret or a wrong one is refused, the right one works."""
    import urllib.error  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    state, url = emulator
    port = free_port()
    log = tmp_path / "bot.log"
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "BOT_API_URL": url,
        "BOT_DB": str(tmp_path / "bot.sqlite3"),
        "BOT_WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
        "BOT_WEBHOOK_SECRET": "s3cret-value_1",
        "BOT_LISTEN": "127.0.0.1",
        "BOT_PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], env=env, stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1, "date": 0, "chat": CHAT, "from": USER, "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }  # fmt: skip

    def post(secret: str | None) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/hook", data=json.dumps(update).encode(), method="POST",
            headers={"Content-Type": "application/json"}
            | ({"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}),
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    try:
        deadline = time.monotonic() + 20
        while not any(p.endswith("/setWebhook") for p in state.paths):
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.1)
        time.sleep(0.5)  # the server listens right after setWebhook
        assert post(None) == 403
        assert post("wrong") == 403
        assert state.sent == []
        assert post("s3cret-value_1") == 200
        sent = state.wait_for(1)
        assert str(sent[0]["chat_id"]) == str(CHAT["id"])
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert TOKEN not in log.read_text(encoding="utf-8")
    assert "s3cret-value_1" not in log.read_text(encoding="utf-8")


def test_webhook_mode_will_not_start_without_a_secret(tmp_path: Path) -> None:
    """BOT_WEBHOOK_URL without BOT_WEBHOOK_SECRET: a configuration error, no server."""
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "BOT_DB": str(tmp_path / "bot.sqlite3"),
        "BOT_WEBHOOK_URL": "https://example.org/hook",
        "BOT_WEBHOOK_SECRET": "",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "BOT_WEBHOOK_SECRET is required" in result.stderr
    assert TOKEN not in result.stderr + result.stdout
