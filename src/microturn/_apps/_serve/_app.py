"""The ASGI app: the page at ``/``, its files under ``/static/``, one conversation per socket at ``/ws``.

Only a socket that presents the server's token (``/ws?token=...``, compared in constant time) gets a
conversation; any other is closed at once with code 4401. The page itself holds nothing secret: it
reads the token from its own URL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import secrets
from importlib import resources
from itertools import count

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected, WebSocketState

from microturn._apps._serve._conversation import ConversationSpec, open_conversation
from microturn._apps._serve._limits import LinkLimits
from microturn._apps._serve._link import converse
from microturn._apps._serve._protocol import error_message
from microturn._core._clock import Clock, SystemClock
from microturn.errors import ConfigError

__all__ = ["BUSY", "MAX_CONVERSATIONS", "UNAUTHORIZED", "create_app"]

UNAUTHORIZED = 4401
"""Close code for a socket without the right token."""
BUSY = 1013
"""Close code (try again later) when the server already holds ``max_conversations``."""
MAX_CONVERSATIONS = 4
"""Conversations a server holds at once by default: each has its own model contexts (about 100 MB each, see
docs/models.md) and its own share of the CPU."""
_DEFAULT_LIMITS = LinkLimits()

_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the page's URL carries the token
    "Content-Security-Policy": "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
}
_logger = logging.getLogger("microturn.serve")


def create_app(
    spec: ConversationSpec,
    *,
    token: str,
    clock: Clock | None = None,
    max_conversations: int = MAX_CONVERSATIONS,
    limits: LinkLimits = _DEFAULT_LIMITS,
) -> Starlette:
    """The app; every socket that presents ``token`` gets a conversation built from ``spec``, while fewer than
    ``max_conversations`` are open; ``limits`` bound each connection's frame rate and idle time."""
    if not token:
        raise ConfigError("the server needs a token: give --token a value, or none for a random one")
    if max_conversations < 1:
        raise ConfigError(f"--max-conversations must be at least 1, got {max_conversations}")
    server_clock = clock or SystemClock()
    files = _static_files()
    # Named after the server's start, so sessions journalled to one --log-dir by several runs never share a log.
    prefix = dt.datetime.fromtimestamp(server_clock.wall(), tz=dt.UTC).strftime("web-%Y%m%d-%H%M%S")
    numbers = count(1)
    open_sockets: set[WebSocket] = set()

    async def page(request: Request) -> Response:
        return _file("index.html", files)

    async def icon(request: Request) -> Response:
        return _file("icon.svg", files)  # browsers ask for /favicon.ico whatever the page says

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in files:
            return Response("not found", status_code=404, media_type="text/plain")
        return _file(name, files)

    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        given = websocket.query_params.get("token", "")
        if not secrets.compare_digest(given.encode(), token.encode()):
            await websocket.close(UNAUTHORIZED, "wrong or missing token: open the URL microturn serve printed")
            return
        if len(open_sockets) >= max_conversations:
            full = f"the server already holds {max_conversations} conversations"
            await websocket.send_text(error_message(f"{full}: try again when one has ended"))
            await websocket.close(BUSY, full)
            return
        open_sockets.add(websocket)
        session_id = f"{prefix}-{next(numbers)}"
        link = _StarletteSocket(websocket)
        try:
            async with open_conversation(spec, clock=server_clock, session_id=session_id) as conversation:
                why = await converse(link, conversation, clock=server_clock, limits=limits)
            _logger.info("%s ended: %s", session_id, why)
        except Exception as exc:  # the conversation failed: say so, then close; the server goes on
            _logger.exception("%s failed", session_id)
            await link.send(error_message(f"the conversation failed: {_describe(exc)}"))
            await link.close(1011, "the conversation failed")
        finally:
            open_sockets.discard(websocket)

    return Starlette(
        routes=[
            Route("/", page),
            Route("/favicon.ico", icon),
            Route("/static/{name}", static),
            WebSocketRoute("/ws", socket),
        ]
    )


class _StarletteSocket:
    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket

    async def receive(self) -> str | bytes | None:
        try:
            message = await self._websocket.receive()
        except WebSocketDisconnected:
            return None
        if message["type"] == "websocket.disconnect":
            return None
        data = message.get("bytes")
        if data is not None:
            return bytes(data)
        return str(message.get("text") or "")

    async def send(self, frame: str | bytes) -> bool:
        if self._websocket.application_state is not WebSocketState.CONNECTED:
            return False
        try:
            if isinstance(frame, bytes):
                await self._websocket.send_bytes(frame)
            else:
                await self._websocket.send_text(frame)
        except (WebSocketDisconnect, WebSocketDisconnected):
            return False
        return True

    async def close(self, code: int, reason: str) -> None:
        if self._websocket.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(WebSocketDisconnect, WebSocketDisconnected, OSError):  # the client left first
                await self._websocket.close(code, reason)


def _static_files() -> dict[str, bytes]:
    folder = resources.files("microturn._apps._serve") / "static"
    return {
        item.name: item.read_bytes()
        for item in folder.iterdir()
        if item.is_file() and any(item.name.endswith(suffix) for suffix in _CONTENT_TYPES)
    }


def _file(name: str, files: dict[str, bytes]) -> Response:
    suffix = name[name.rindex(".") :]
    return Response(files[name], media_type=_CONTENT_TYPES[suffix], headers=_HEADERS)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        return _describe(exc.exceptions[0])
    return str(exc) or type(exc).__name__
