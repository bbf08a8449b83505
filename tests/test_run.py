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

    def queue_text(self, text: str) -> None:
        message = {
            "message_id": self.next_message,
            "date": int(time.time()),
            "chat": CHAT,
            "from": USER,
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        self._queue({"message": message})

    def queue_tap(self, data: str) -> None:
        self._queue(
            {
                "callback_query": {
                    "id": str(self.next_update),
                    "from": USER,
                    "chat_instance": "e",
                    "data": data,
                    "message": {"message_id": 1, "date": 0, "chat": CHAT, "text": "…"},
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
                return {
                    "message_id": self.next_message,
                    "date": 0,
                    "chat": CHAT,
                    "text": params.get("text", ""),
                }
        return True

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

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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
