"""How much input a session takes at once: per wire frame, per event's text, per turn.

Input over a limit is not cut short silently: it becomes an :class:`InputRejected` event that says what
was too big and what the limit is, with the start of it as an excerpt, and the session goes on. The
limits keep one user from freezing the event loop every conversation shares (everything that reads
input is linear in its length, and these bound the length) and from filling memory.

- ``MAX_FRAME``: bytes in one wire frame (``Session.inject_raw``; the browser protocol's own frame limit is
  the same). Checked before decoding.
- ``MAX_TEXT``: characters of text in one input event (typed or spoken words, a transcript, a note):
  far more than anybody types or says at once; a paste over it is refused.
- ``MAX_TURN``: characters of the user's words awaiting an answer (``FloorState.user_text``): typed input
  that would take a turn past it is refused, until the agent takes the turn up.
"""

from __future__ import annotations

from microturn._core._events import Event, InputRejected, Note, UserInput, UserTranscript

__all__ = ["MAX_FRAME", "MAX_TEXT", "MAX_TURN", "check_frame", "check_text"]

MAX_FRAME = 64 * 1024
MAX_TEXT = 16 * 1024
MAX_TURN = 64 * 1024
_EXCERPT = 120


def check_frame(data: bytes | str) -> InputRejected | None:
    """An InputRejected for a wire frame over ``MAX_FRAME`` bytes (str frames count their UTF-8 bytes), else None."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", errors="replace"))
    if size <= MAX_FRAME:
        return None
    head = data[:_EXCERPT]
    excerpt = head.decode("utf-8", errors="replace") if isinstance(head, bytes) else head
    return InputRejected(
        reason=f"a frame of {size} bytes is over the {MAX_FRAME}-byte limit and was not read; send less at once",
        excerpt=excerpt,
    )


def check_text(event: Event, user_text: str) -> InputRejected | None:
    """An InputRejected (at the event's time) for input whose text is over ``MAX_TEXT``, or that would take the
    turn so far (``user_text``) past ``MAX_TURN``; else None."""
    if not isinstance(event, UserInput | UserTranscript | Note):
        return None
    kind = type(event).__name__
    if len(event.text) > MAX_TEXT:
        reason = (
            f"{kind} text of {len(event.text)} characters is over the {MAX_TEXT}-character limit per input "
            "and was not taken; send it in parts"
        )
    elif isinstance(event, UserInput) and event.addressed and len(user_text) + len(event.text) > MAX_TURN:
        reason = (
            f"{kind} would make the turn {len(user_text) + len(event.text)} characters long, over the {MAX_TURN}-"
            "character limit per turn, and was not taken; send (Enter) what is there first"
        )
    else:
        return None
    return InputRejected(reason=reason, excerpt=event.text[:_EXCERPT], t=event.t, source=event.source)
