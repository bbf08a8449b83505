"""Limits for the webhook server: bodies over 1 MiB refused before they are read.

python-telegram-bot builds its webhook server from tornado's `HTTPServer` with tornado's
defaults, and only looks at the secret token once the whole body is in memory: tornado reads
bodies of up to 100 MB, and four unauthenticated 90 MB requests cost the bot 529 MB. PTB has no
parameter for the limits, so they are set as tornado's process-wide defaults for `HTTPServer`
with `Configurable.configure`, tornado's public way to set defaults for servers that others
create; in `python -m bot run` the webhook server is the only one. Tornado then compares a
Content-Length with `max_body_size` before it reads a byte of the body (answering 400 and
closing the connection) and stops a chunked body as soon as it grows past the limit.
"""

from __future__ import annotations

from typing import Final

import tornado.web
from tornado.httpserver import HTTPServer

# Telegram's updates take a few kilobytes; 1 MiB is also nginx's `client_max_body_size 1m`.
MAX_BODY_SIZE: Final = 1024 * 1024
LIMITS: Final = {
    "max_body_size": MAX_BODY_SIZE,
    # Telegram sends a few hundred bytes of headers; tornado would take 64 KiB.
    "max_header_size": 16 * 1024,
    # Seconds. Tornado keeps an idle connection for an hour and also allows that long for
    # a request's headers to arrive; a minute is ample for Telegram's kept-alive connections.
    "idle_connection_timeout": 60.0,
    # Seconds to receive a body of at most 1 MiB once its headers are in.
    "body_timeout": 10.0,
}

_NOT_APPLIED = (
    "this python-telegram-bot no longer builds its webhook server as bot/webhook.py expects "
    "(telegram.ext._utils.webhookhandler.WebhookServer creating a tornado HTTPServer), so the "
    f"{MAX_BODY_SIZE}-byte body limit would not apply: the webhook server will not start "
    "without it. Poll instead (leave BOT_WEBHOOK_URL empty) or update bot/webhook.py."
)


def limit_webhook_server() -> None:
    """Make PTB's webhook server refuse large bodies unread; raise if the limit does not take."""
    HTTPServer.configure(None, **LIMITS)
    # The limit only holds while PTB creates its server as `HTTPServer(...)`: build the server
    # PTB would build (nothing is bound until it listens) and look, rather than serve 100 MB
    # bodies again after an upgrade that changed that.
    try:
        # Imported here so that a module PTB moved or renamed becomes the error below.
        from telegram.ext._utils.webhookhandler import WebhookServer  # noqa: PLC0415 - see above

        # Any tornado application will do, as the probe never serves.
        probe = WebhookServer("127.0.0.1", 0, tornado.web.Application(), None)  # type: ignore[arg-type]
        max_body_size = probe._http_server.conn_params.max_body_size
    except (ImportError, AttributeError, TypeError) as exc:
        raise RuntimeError(_NOT_APPLIED) from exc
    if max_body_size != MAX_BODY_SIZE:
        raise RuntimeError(_NOT_APPLIED)
