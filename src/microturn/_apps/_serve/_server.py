"""Run the app on uvicorn: a listening socket first (so port 0 works and the URL is exact), then the server."""

from __future__ import annotations

import contextlib
import ipaddress
import secrets
import socket
import threading
from collections.abc import Callable, Iterator

import uvicorn
from starlette.applications import Starlette

from microturn._apps._serve._app import MAX_CONVERSATIONS, create_app
from microturn._apps._serve._conversation import ConversationSpec
from microturn._apps._serve._limits import LinkLimits
from microturn._apps._serve._protocol import MAX_FRAME
from microturn.errors import ConfigError

__all__ = [
    "WS_MAX_SIZE",
    "base_url",
    "build_server",
    "is_loopback",
    "listen",
    "new_token",
    "page_url",
    "serve",
    "serving",
]

WS_MAX_SIZE = 16 * MAX_FRAME
"""Frames up to this size are read and refused with an error message; a larger one closes the socket (1009)."""


_SHUTDOWN_GRACE = 10
"""Seconds open conversations get to end cleanly when the server stops (each needs well under one)."""


def new_token() -> str:
    return secrets.token_urlsafe(24)


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except (OSError, OverflowError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"cannot listen on {host}:{port}: {reason}") from None


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def page_url(sock: socket.socket, token: str) -> str:
    return f"{base_url(sock)}/?token={token}"


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def build_server(app: Starlette) -> _Server:
    """A quiet uvicorn server for ``app``; run it with ``server.run(sockets=[listen(...)])``."""
    config = uvicorn.Config(
        app,
        http="h11",
        ws="websockets-sansio",
        loop="asyncio",
        lifespan="off",
        ws_max_size=WS_MAX_SIZE,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=_SHUTDOWN_GRACE,
    )
    return _Server(config)


def serve(
    spec: ConversationSpec,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
    announce: Callable[[str], None] = print,
    max_conversations: int = MAX_CONVERSATIONS,
    limits: LinkLimits | None = None,
) -> None:
    """Serve until interrupted; ``announce`` gets the page's URL (with the token) once the port is open."""
    key = token or new_token()
    app = create_app(spec, token=key, max_conversations=max_conversations, limits=limits or LinkLimits())
    sock = listen(host, port)
    with sock:
        server = build_server(app)
        announce(page_url(sock, key))
        server.run(sockets=[sock])


@contextlib.contextmanager
def serving(app: Starlette, *, host: str = "127.0.0.1", port: int = 0, within: float = 10.0) -> Iterator[str]:
    """Run ``app`` in a thread of its own while the block runs; yields its base URL (``http://host:port``).

    For embedding and tests. Waits up to ``within`` seconds for the server to start and to stop.
    """
    sock = listen(host, port)
    with sock:
        server = build_server(app)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="microturn-serve", daemon=True)
        thread.start()
        try:
            if not server.ready.wait(within):
                raise ConfigError(f"the server did not start within {within} s")
            yield base_url(sock)
        finally:
            server.should_exit = True
            thread.join(within)


class _Server(uvicorn.Server):
    """uvicorn's server, telling other threads when it has started."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()
