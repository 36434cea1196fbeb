"""What one connection may cost the server: how fast it sends frames, and how long it may sit idle.

The rate is a token bucket: ``frames_per_second`` refill it, up to ``burst`` at once. A frame that finds
it empty is refused (the client gets an ``error`` message) and runs the bucket into debt; a client that
keeps sending at that pace reaches a debt of ``burst`` frames and is closed (1008). One that slows down
pays the debt off and goes on. Sans-I/O: the caller passes the time, from the server's clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from microturn.errors import ConfigError

__all__ = ["Admission", "LinkLimits", "TokenBucket"]


@dataclass(frozen=True, slots=True)
class LinkLimits:
    frames_per_second: float = 100.0
    """Sustained client frames per second: the page sends 50 of microphone audio, and typing adds a few."""
    burst: int = 200
    """Frames a client may send at once above the rate (a reconnecting page's backlog), and the debt at which
    a client that goes on sending too fast is closed."""
    idle: float = 600.0
    """Seconds without any frame from the client after which its connection is closed (a live microphone
    sends frames all the time, so this closes forgotten tabs that are not listening)."""

    def __post_init__(self) -> None:
        if self.frames_per_second <= 0 or self.burst < 1 or self.idle <= 0:
            raise ConfigError(
                "connection limits must be positive: frames per second and idle seconds above 0, a burst of "
                f"at least 1 frame (got {self.frames_per_second}, {self.idle}, {self.burst})"
            )


class Admission(enum.Enum):
    TAKE = "take"
    REFUSE = "refuse"
    """Over the rate: drop this frame and tell the client."""
    CLOSE = "close"
    """Over the rate for so long that the debt reached ``burst``: close the connection."""


class TokenBucket:
    def __init__(self, limits: LinkLimits, now: float) -> None:
        self._rate = limits.frames_per_second
        self._burst = float(limits.burst)
        self._tokens = self._burst
        self._at = now

    def admit(self, now: float) -> Admission:
        """Whether the frame arriving at ``now`` is taken; every frame costs a token, refused ones too."""
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        self._tokens -= 1
        if self._tokens >= 0:
            return Admission.TAKE
        return Admission.CLOSE if self._tokens <= -self._burst else Admission.REFUSE
