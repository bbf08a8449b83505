"""Start-up and memory: `python -m bot run` against a Bot API emulator on loopback.

Start-up is the time from spawning the process to its first getUpdates (the bot is then
ready for the first respondent); idle memory is its resident set a few seconds later.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.memory import rss_mb
from bot.fakeapi import BOT_USER

RUNS = 3
IDLE_AFTER = 5.0  # seconds after the first poll


class _Api:
    """Answers getMe and everything else; notes the first getUpdates."""

    def __init__(self) -> None:
        self.first_poll: float | None = None

    def handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                method = self.path.rsplit("/", 1)[-1]
                result: Any = True
                if method == "getMe":
                    result = BOT_USER
                elif method == "getUpdates":
                    if api.first_poll is None:
                        api.first_poll = time.perf_counter()
                    time.sleep(0.2)
                    result = []
                body = json.dumps({"ok": True, "result": result}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """The bot stopped mid-poll: nothing to report."""


def _once(folder: Path) -> tuple[float, float]:
    api = _Api()
    server = _QuietServer(("127.0.0.1", 0), api.handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/bot"
    env = {
        **os.environ,
        "BOT_TOKEN": "1:bench",
        "BOT_API_URL": url,
        "BOT_DB": str(folder / "bot.sqlite3"),
        "BOT_WEBHOOK_URL": "",
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while api.first_poll is None:
            if time.perf_counter() - started > 60 or process.poll() is not None:
                raise RuntimeError("the bot did not start")
            time.sleep(0.005)
        startup = api.first_poll - started
        time.sleep(IDLE_AFTER)
        idle = rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=20)
        server.shutdown()
    return startup, idle


def run() -> dict[str, Any]:
    """The median of a few starts (the first also warms the disk cache); return the figures."""
    results = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as folder:
            results.append(_once(Path(folder)))
    startups = sorted(r[0] for r in results)
    idles = sorted(r[1] for r in results)
    return {
        "startup_s": round(startups[len(startups) // 2], 2),
        "startup_max_s": round(startups[-1], 2),
        "idle_rss_mb": round(idles[len(idles) // 2], 1),
    }
