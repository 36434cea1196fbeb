"""``microturn serve``: talk to the agent in a browser, over one WebSocket per conversation.

``GET /`` is the page (its files under ``/static/``, packaged here, no build step, nothing fetched
from elsewhere). ``WS /ws?token=T`` is one conversation: a socket without the server's token is
closed at once with code 4401; one over the server's limit of open conversations (``--max-conversations``)
gets an ``error`` message and is closed with 1013.

Wire protocol
-------------
Client → server:

- binary frame: microphone PCM, 16 kHz, signed 16-bit little-endian, mono (the page sends 20 ms).
- text frame ``{"type": "hello", "sample_rate": 16000}``: optional; any other rate is refused.
- text frame ``{"type": "text", "text": "..."}``: typed input, as ``UserInput`` + ``UserSubmit``.
- text frame ``{"type": "mic_off"}``: the page stopped its microphone (the user pressed Stop). The
  stretch of speech it cut ends as if the user had paused (the server hears a second of quiet), so
  its transcript and the turn's end come as usual. The page starts its microphone only when the user
  asks, and simply sends PCM again when it does.

Server → client (text frames are JSON objects with a ``type``):

- ``{"type": "ready", "session": id, "voice": "real" | "fake" | "off", "sample_rate": 16000}``: first.
- ``{"type": "event", "event": {"v": 1, "e": {"kind": ...}}}``: a session event in microturn's
  codec (``encode_event``); the microphone's own ``AudioFrame`` events are not echoed.
- ``{"type": "transcript", "text": "...", "final": bool, "stretch": n}``: what the user is heard
  saying in stretch of speech ``n`` (numbered from 1 in the conversation). ``final`` false: the
  rough recogniser's text so far, which may still change (the page shows it greyed, as tentative);
  ``final`` true: the accurate text of the whole stretch, once it has ended, which replaces that
  stretch's rough text (empty if nothing was made out). Each stretch gets exactly one final, in
  order; the next stretch's rough text may come before it.
- ``{"type": "audio", "utterance": n, "sample_rate": r, "text": "...", "bytes": k}``, immediately
  followed by one binary frame of ``k`` bytes: agent speech, s16le mono at ``r`` Hz, carrying
  ``text``. Chunks of an utterance come in order and play back to back.
- ``{"type": "flush", "utterance": n}``: barge-in: stop playing utterance ``n`` now and drop what
  is queued of it (audio of ``n`` sent after the flush, when the agent resumes, plays). Control
  messages overtake queued audio.
- ``{"type": "error", "message": "..."}``: a frame broke the protocol (not JSON, unknown type, PCM
  of an odd length, a wrong sample rate, over 64 KiB) or the conversation failed. A broken frame is
  ignored and the conversation goes on; a frame over 1 MiB closes the socket (1009).

When the socket closes, its session ends with the reason "client disconnected"; when the session
ends, the server closes the socket (1000).

Limits per connection (``LinkLimits``, from the server's clock): frames over ``--max-frame-rate`` a
second (a token bucket with a burst of 200) are dropped, and the client gets an ``error`` message; a
client that keeps sending that fast is told why and closed (1008). A client that sends nothing for
``--idle-timeout`` seconds is told why and closed (1000); its session ends with that reason.
"""

from microturn._apps._serve._app import BUSY, UNAUTHORIZED, create_app
from microturn._apps._serve._conversation import ConversationSpec, Voice
from microturn._apps._serve._limits import LinkLimits
from microturn._apps._serve._link import CLIENT_GONE, converse
from microturn._apps._serve._server import build_server, is_loopback, listen, new_token, page_url, serve, serving

__all__ = [
    "BUSY",
    "CLIENT_GONE",
    "UNAUTHORIZED",
    "ConversationSpec",
    "LinkLimits",
    "Voice",
    "build_server",
    "converse",
    "create_app",
    "is_loopback",
    "listen",
    "new_token",
    "page_url",
    "serve",
    "serving",
]
