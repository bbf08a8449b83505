"""`python -m bot run` against a Bot API emulator on loopback, killed with SIGKILL mid-walk."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.fakeapi import BOT_USER
from bot.redact import MASK, TokenFilter
from bot.webhook import MAX_BODY_SIZE, limit_webhook_server

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


def start_bot(api_url: str, db: Path, log: Path, **settings: str) -> subprocess.Popen[bytes]:
    """`python -m bot run` against the emulator at `api_url`; `settings`: more BOT_ variables."""
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "BOT_API_URL": api_url,
        "BOT_FILE_URL": api_url.replace("/bot", "/file/bot"),
        "BOT_DB": str(db),
        "BOT_WEBHOOK_URL": "",
        **settings,
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
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


EVERY_ADDRESS = "0.0.0.0"  # noqa: S104 - where one test binds the bot, on purpose
SECRET = "Kq3v-9xW_pL2mZ8tR4yB7nC1dF6hJ0sE"  # 32 characters: the shortest secret accepted
START = {
    "update_id": 1,
    "message": {
        "message_id": 1, "date": 0, "chat": CHAT, "from": USER, "text": "/start",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    },
}  # fmt: skip


@dataclass(frozen=True)
class Webhook:
    """`python -m bot run` in webhook mode on loopback, and the Bot API emulator it calls."""

    state: Emulator
    port: int
    log: Path

    def post(self, body: bytes, secret: str | None) -> int:
        """POST a body to the webhook path; the HTTP status."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/hook", data=body, method="POST",
            headers={"Content-Type": "application/json"}
            | ({"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}),
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the local bot
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def exchange(self, head: str, body: Iterable[bytes] = ()) -> bytes | None:
        """Send raw HTTP; what the server answers within 5 s (b"" if it closed, None if silent)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as client:
            try:
                client.sendall(head.replace("\n", "\r\n").encode())
                for chunk in body:
                    client.sendall(chunk)
                return client.recv(65536)
            except (BrokenPipeError, ConnectionResetError):
                return b""  # refused while we were still sending
            except TimeoutError:
                return None


@contextmanager
def webhook_bot(emulator: tuple[Emulator, str], tmp_path: Path, **env: str) -> Iterator[Webhook]:
    """Run the bot in webhook mode (BOT_LISTEN left to its default unless `env` sets it)."""
    state, api_url = emulator
    port = free_port()
    log = tmp_path / "bot.log"
    environment = {key: value for key, value in os.environ.items() if key != "BOT_LISTEN"} | {
        "BOT_TOKEN": TOKEN,
        "BOT_API_URL": api_url,
        "BOT_DB": str(tmp_path / "bot.sqlite3"),
        "BOT_WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
        "BOT_WEBHOOK_SECRET": SECRET,
        "BOT_PORT": str(port),
        **env,
    }
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], env=environment, stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:  # setWebhook comes first, then the server listens
            assert process.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield Webhook(state, port, log)
    finally:
        process.terminate()
        process.wait(timeout=10)
    written = log.read_text(encoding="utf-8")
    assert TOKEN not in written
    assert SECRET not in written


@pytest.fixture
def webhook(emulator: tuple[Emulator, str], tmp_path: Path) -> Iterator[Webhook]:
    with webhook_bot(emulator, tmp_path) as running:
        yield running


def test_webhook_mode_rejects_updates_without_the_secret(webhook: Webhook) -> None:
    """Over real HTTP on loopback: no secret or a wrong one is refused, the right one works."""
    body = json.dumps(START).encode()
    assert webhook.post(body, None) == 403
    assert webhook.post(body, "wrong") == 403
    assert webhook.state.sent == []
    assert webhook.post(body, SECRET) == 200
    sent = webhook.state.wait_for(1)
    assert str(sent[0]["chat_id"]) == str(CHAT["id"])


def test_webhook_refuses_a_body_over_1_mib_before_reading_it(webhook: Webhook) -> None:
    """Headers announcing a large body, and no body: answered 400 at once, not waited for."""
    for length in (MAX_BODY_SIZE + 1, 100_000_000):
        answer = webhook.exchange(
            f"POST /hook HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\n"
            f"Content-Length: {length}\n\n"
        )
        assert answer is not None, f"the server waited for {length} bytes of body"
        assert answer.startswith(b"HTTP/1.1 400"), answer
    assert webhook.post(json.dumps(START).encode(), SECRET) == 200


def test_webhook_cuts_off_a_chunked_body_past_1_mib(webhook: Webhook) -> None:
    """A chunked body (no length announced) is refused once it grows past 1 MiB."""
    chunk = 64 * 1024
    chunks = [f"{chunk:x}\r\n".encode() + b" " * chunk + b"\r\n"] * (2 * MAX_BODY_SIZE // chunk)
    answer = webhook.exchange(
        "POST /hook HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\n"
        "Transfer-Encoding: chunked\n\n",
        [*chunks, b"0\r\n\r\n"],
    )
    assert answer is not None, "the server neither answered nor closed"
    # 400 and closed; a reset can swallow the 400 while the rest is still being sent.
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer
    assert webhook.post(json.dumps(START).encode(), SECRET) == 200


def test_webhook_accepts_an_update_of_exactly_1_mib(webhook: Webhook) -> None:
    """The limit leaves room: an authenticated update padded to 1 MiB is processed."""
    body = json.dumps(START).encode()
    assert webhook.post(body.ljust(MAX_BODY_SIZE), SECRET) == 200
    assert str(webhook.state.wait_for(1)[0]["chat_id"]) == str(CHAT["id"])


@pytest.mark.skipif(sys.platform != "linux", reason="127.0.0.2 is a loopback address on Linux")
@pytest.mark.parametrize(("listen", "on_every_address"), [(None, False), (EVERY_ADDRESS, True)])
def test_webhook_listens_on_loopback_unless_bot_listen_says_otherwise(
    emulator: tuple[Emulator, str], tmp_path: Path, listen: str | None, on_every_address: bool
) -> None:
    """By default only 127.0.0.1 answers (127.0.0.2 is refused); BOT_LISTEN=0.0.0.0 opens all."""
    env = {"BOT_LISTEN": listen} if listen else {}
    with webhook_bot(emulator, tmp_path, **env) as running:
        try:
            socket.create_connection(("127.0.0.2", running.port), timeout=2).close()
            reachable = True
        except ConnectionRefusedError:
            reachable = False
    assert reachable is on_every_address


def test_the_default_listen_address_is_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without BOT_LISTEN the settings say 127.0.0.1; with it, what it says."""
    monkeypatch.delenv("BOT_LISTEN", raising=False)
    assert Settings(_env_file=None).listen == "127.0.0.1"
    monkeypatch.setenv("BOT_LISTEN", EVERY_ADDRESS)
    assert Settings(_env_file=None).listen == EVERY_ADDRESS


@pytest.mark.parametrize(
    ("secret", "accepted"),
    [
        ("a" * 31, False),
        ("a" * 32, True),
        (SECRET, True),
        (SECRET[:-1], False),
        ("Az09_-" * 42 + "Az09", True),  # 256, Telegram's longest
        ("a" * 257, False),
        ("a" * 31 + "!", False),
        ("a" * 32 + "\n", False),
        ("", False),
    ],
)
def test_webhook_mode_needs_a_secret_of_32_to_256_safe_characters(
    secret: str, accepted: bool
) -> None:
    """Telegram allows 1-256 of A-Z a-z 0-9 _ -; the bot asks for 32 at least."""
    settings = {"_env_file": None, "webhook_url": "https://example.org/hook"}
    if accepted:
        assert Settings(**settings, webhook_secret=secret).webhook_secret is not None
    else:
        with pytest.raises(ValidationError, match="BOT_WEBHOOK_SECRET is required"):
            Settings(**settings, webhook_secret=secret)


@pytest.mark.parametrize("secret", ["", SECRET[:-1]])
def test_webhook_mode_will_not_start_without_a_long_enough_secret(
    tmp_path: Path, secret: str
) -> None:
    """No secret, or one of 31 characters: a configuration error that quotes neither secret nor
    token and says how to make a secret; no server."""
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "BOT_API_URL": f"http://127.0.0.1:{free_port()}/bot",  # nobody there: fail, never hang
        "BOT_DB": str(tmp_path / "bot.sqlite3"),
        "BOT_WEBHOOK_URL": "https://example.org/hook",
        "BOT_WEBHOOK_SECRET": secret,
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    output = result.stderr + result.stdout
    assert result.returncode != 0
    assert "BOT_WEBHOOK_SECRET is required in webhook mode: 32-256 characters" in result.stderr
    assert "secrets.token_urlsafe(32)" in result.stderr
    assert TOKEN[:10] not in output
    assert not secret or secret[-10:] not in output


def test_the_webhook_will_not_serve_if_the_body_limit_cannot_be_applied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Should PTB stop building its server as tornado's HTTPServer, start-up fails, loudly."""
    from telegram.ext._utils import webhookhandler  # noqa: PLC0415 - only this test needs them
    from tornado.httpserver import HTTPServer  # noqa: PLC0415 - only this test needs them

    class OwnServer(HTTPServer):
        """A server class of PTB's own: tornado's configured defaults do not reach it."""

    try:
        limit_webhook_server()  # this PTB: the limit takes
        monkeypatch.setattr(webhookhandler, "HTTPServer", OwnServer)
        with pytest.raises(RuntimeError, match="body limit would not apply"):
            limit_webhook_server()
    finally:
        HTTPServer.configure(None)  # tornado's defaults again for the rest of the session
