"""The one exception tree of microturn.

Every error raised on purpose by microturn derives from :class:`MicroturnError`::

    MicroturnError
    ├── ConfigError              a setting or argument is invalid
    │   └── UnknownComponent       a model or policy name nobody registered
    ├── CodecError               wire input could not be decoded
    │   ├── MalformedEvent         not valid JSON, or not a valid event
    │   └── UnsupportedVersion     a frame from a codec version we do not speak
    ├── BusError                 the event bus refused or failed
    │   ├── SlowConsumer           a subscription fell behind a lossless stream
    │   ├── SubscriptionClosed     receive() on a closed subscription
    │   ├── BusClosed              publish/subscribe on a closed bus
    │   └── EventsExpired          a read reached back past the in-memory window of an unjournalled log
    ├── AdapterError             a model, tool or store adapter failed (``transient``: may a retry help?)
    │   └── ModelError
    ├── SessionStalled           a session loop kept running without time moving (a bug)
    ├── ScenarioError            a scenario file is invalid
    ├── ReplayMismatch           a replay did not reproduce its log
    └── ReplayDiverged           a replay asked its model for output the log does not have

Messages say what was wrong and what to do about it; fields carry the details for code.
"""

from __future__ import annotations

__all__ = [
    "AdapterError",
    "BusClosed",
    "BusError",
    "CodecError",
    "ConfigError",
    "EventsExpired",
    "MalformedEvent",
    "MicroturnError",
    "ModelError",
    "ReplayDiverged",
    "ReplayMismatch",
    "ScenarioError",
    "SessionStalled",
    "SlowConsumer",
    "SubscriptionClosed",
    "UnknownComponent",
    "UnsupportedVersion",
]


class MicroturnError(Exception):
    """Root of every error microturn raises on purpose."""


class ConfigError(MicroturnError):
    """A setting, flag or argument is invalid."""


class UnknownComponent(ConfigError):
    """No model, policy or decision set is registered under ``name`` (``kind``: "model", "policy", ...)."""

    def __init__(self, kind: str, name: str, known: list[str], *, register: str = "") -> None:
        register = register or f"microturn.register_{kind}"
        super().__init__(
            f"unknown {kind} {name!r}; choose one of: {', '.join(known)} (one of your own: "
            f"{register}({name!r}, factory) before using or replaying it by name)"
        )
        self.kind = kind
        self.name = name


class CodecError(MicroturnError):
    """Wire input could not be decoded into an event."""


class MalformedEvent(CodecError):
    """The input is not valid JSON or not a valid event; ``excerpt`` holds the start of it."""

    def __init__(self, message: str, *, excerpt: str) -> None:
        super().__init__(message)
        self.excerpt = excerpt


class UnsupportedVersion(CodecError):
    """A frame was written by a codec version this build does not understand."""

    def __init__(self, version: object, supported: int, *, line: int | None = None) -> None:
        where = f"line {line}: " if line is not None else ""
        super().__init__(
            f"{where}frame has codec version {version!r}, this microturn reads version {supported}: "
            "upgrade microturn or re-record the log"
        )
        self.version = version
        self.supported = supported
        self.line = line


class BusError(MicroturnError):
    """The event bus refused an operation or failed."""


class SlowConsumer(BusError):
    """A subscription's bounded queue overflowed on a lossless stream.

    Nothing is lost: the log still holds every event. Resubscribe with ``start=next_offset``
    (or by name with ``Start.RESUME``) to continue where the consumer stopped.
    """

    def __init__(self, name: str, capacity: int, next_offset: int) -> None:
        super().__init__(
            f"subscription {name!r} fell behind: its queue of {capacity} events is full. "
            f"Consume faster or raise its capacity; resume from offset {next_offset} to lose nothing"
        )
        self.name = name
        self.capacity = capacity
        self.next_offset = next_offset


class SubscriptionClosed(BusError):
    """The subscription was closed; no more events will arrive."""


class BusClosed(BusError):
    """The bus was closed."""


class EventsExpired(BusError):
    """Events a read asked for were dropped from memory: the log has no journal to read them back from."""

    def __init__(self, log: str, first_kept: int, window: int) -> None:
        super().__init__(
            f"events before offset {first_kept} of log {log!r} are gone: without a journal, a log keeps only "
            f"its last {window} events in memory. Open the bus with a log_dir to keep every event"
        )
        self.log = log
        self.first_kept = first_kept
        self.window = window


class AdapterError(MicroturnError):
    """An adapter (model, tool, store) failed. ``transient`` is True when a retry may succeed."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class ModelError(AdapterError):
    """A language model adapter failed."""


class SessionStalled(MicroturnError):
    """The session loop ran many passes without time moving on: a component keeps asking to run now.

    Raised instead of spinning forever; it is a bug in a policy, source or adapter, so report it with
    the session log.
    """

    def __init__(self, session: str, at: float, passes: int) -> None:
        super().__init__(
            f"session {session!r} stalled at {at:.3f} s: {passes} loop passes without time moving on. "
            "A policy, source or adapter keeps asking to run at once; please report it with the log"
        )
        self.session = session
        self.at = at
        self.passes = passes


class ScenarioError(MicroturnError):
    """A scenario file is invalid; ``path`` names the file."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


class ReplayMismatch(MicroturnError):
    """A replay produced a different log; ``line`` is the first line (1-based) that differs."""

    def __init__(self, line: int, expected: str, actual: str) -> None:
        super().__init__(f"replay differs from the log at line {line}:\n  log:    {expected}\n  replay: {actual}")
        self.line = line
        self.expected = expected
        self.actual = actual


class ReplayDiverged(MicroturnError):
    """The replayed session asked its model for request ``request``, which the log does not have."""

    def __init__(self, request: int, recorded: int) -> None:
        super().__init__(
            f"the replayed session asked its model for request {request}, but the log recorded only {recorded}: "
            "the replay went another way than the recorded session (is the policy registered under its name "
            "the one that recorded it?). A replay never calls a model, so it cannot go on"
        )
        self.request = request
        self.recorded = recorded
