"""Session configuration: frozen, named, serialisable (it is the first thing in every log)."""

from __future__ import annotations

from typing import Any

import msgspec

from microturn.errors import ConfigError

__all__ = ["SessionConfig"]

_RETIRED = frozenset({"seed"})
"""Settings older logs may record that no longer do anything."""

MAX_UTTERANCE_WORDS = 150
"""A minute of speech at the default speaking rate: replies here are a few sentences and a story a paragraph,
while a model that runs away (the same apology for ninety seconds) is stopped within it."""
_UNRECORDED_WHEN_NONE = ("max_utterance_words",)
"""Settings added later whose None (the behaviour before them) is not recorded: an older log, which has no
such key, replays to the same bytes."""


class SessionConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How a session runs: its timing, its policy and models by name, the agent's instructions and scopes.

    It is the first thing in every session log, so a replay runs with exactly these settings. ``Agent``
    fills in the policy, models, instructions and scopes from its own arguments; pass
    ``Agent(config=SessionConfig(tick=0.1))`` for the rest. Out-of-range values raise ConfigError.
    """

    tick: float = 0.2
    """Micro-turn length in seconds."""
    speaking_rate: float = 0.4
    """Seconds per agent word on the text path (docs/reference-points.md)."""
    silence_min: float = 0.5
    """Shortest gap recorded as a Silence event and shown in the timeline."""
    max_events_per_pass: int = 256
    """Bound on events handled in one loop pass; the rest wait for the next pass, nothing is dropped."""
    policy: str = "full-duplex"
    policy_options: dict[str, Any] = {}
    """The options the policy is built with (``FullDuplexPolicy(**policy_options)``)."""
    model: str = "scripted"
    """The interaction model: scripted (a deterministic fake), embedded, openai, or one named with register_model."""
    background_model: str = "scripted"
    """The model background jobs run on (scripted: the deterministic fake agent)."""
    instructions: str = ""
    """Who the agent is and how it behaves, in the developer's words: every reply's model request carries it."""
    background_instructions: str = ""
    """The same for background work (each step of a delegated job)."""
    scopes: list[str] = []
    """What tools may touch in this session ("files:read", "code:run", "*" for everything)."""
    max_utterance_words: int | None = MAX_UTTERANCE_WORDS
    """The longest utterance, in words, the agent says of a model's output (a reply, a translation, a result);
    with it, a model repeating itself is stopped before the repeat is said (``_session/_bounds.py``). None: no
    bound, as in the logs recorded before there was one (which replay so)."""

    def __post_init__(self) -> None:
        if not 0.01 <= self.tick <= 5.0:
            raise ConfigError(f"tick must be between 0.01 and 5 seconds, got {self.tick}")
        if not 0.05 <= self.speaking_rate <= 5.0:
            raise ConfigError(f"speaking_rate must be between 0.05 and 5 seconds per word, got {self.speaking_rate}")
        if self.silence_min <= 0:
            raise ConfigError(f"silence_min must be positive, got {self.silence_min}")
        if self.max_events_per_pass < 1:
            raise ConfigError(f"max_events_per_pass must be at least 1, got {self.max_events_per_pass}")
        if self.max_utterance_words is not None and self.max_utterance_words < 1:
            raise ConfigError(
                f"max_utterance_words must be at least 1 (or None: no bound), got {self.max_utterance_words}"
            )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = msgspec.to_builtins(self)
        for key in _UNRECORDED_WHEN_NONE:
            if data[key] is None:
                del data[key]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, partial: bool = False) -> SessionConfig:
        """The config a log recorded; settings retired since it was written are left out, and settings added
        since it was written that it does not name are None (off: it ran without them). ``partial``: ``data``
        names only the settings it changes (a scenario's): the others take their defaults."""
        named = {key: value for key, value in data.items() if key not in _RETIRED}
        if not partial:
            named = {**dict.fromkeys(_UNRECORDED_WHEN_NONE), **named}
        try:
            return msgspec.convert(named, cls)
        except msgspec.ValidationError as exc:
            raise ConfigError(f"invalid session config: {exc}") from None
