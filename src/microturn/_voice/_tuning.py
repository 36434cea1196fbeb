"""How quickly a voice channel decides the user has finished, and how soon the agent's voice starts.

Voice to voice (the end of the user's speech to the agent's first audio) is, one after the other:
the quiet that ends a stretch of speech, the accurate recogniser on it, the model's first clause and
the synthesizer on that clause. Each setting here shortens one of them; the defaults are the
measured best on a 2-core CPU (``bench/voice.py``), and ``BASELINE`` keeps the settings from before
they were tuned, to compare against.
"""

from __future__ import annotations

from dataclasses import dataclass

from microturn.errors import ConfigError

__all__ = ["BASELINE", "VoiceTuning"]


@dataclass(frozen=True, slots=True)
class VoiceTuning:
    end_silence: float = 0.3
    """Quiet (s) that ends a stretch of speech whose words so far sound unfinished, or are not known yet."""
    complete_silence: float = 0.2
    """Quiet (s) that ends a stretch whose rough words so far sound complete ("tell me a story")."""
    early_final: float | None = 0.12
    """Quiet (s) after which the accurate recogniser starts on the stretch so far, in case it is over;
    None: only once it has ended."""
    complete_early_final: float | None = 0.06
    """The same after rough words that sound complete (None: as ``early_final``): a finished question
    is likely over, so a run this early is rarely wasted."""
    first_clause: int = 4
    """Most words in the agent's first clause without punctuation: a short one is decoded and synthesised
    sooner (with the embedded model, 4 words rather than 6 brought the first audio ~0.25 s sooner)."""

    def __post_init__(self) -> None:
        if not 0 < self.complete_silence <= self.end_silence:
            raise ConfigError(f"need 0 < complete_silence <= end_silence, got {self.complete_silence}")
        if self.early_final is not None and self.early_final <= 0:
            raise ConfigError(f"early_final must be positive, got {self.early_final}")
        if self.complete_early_final is not None and (
            self.early_final is None or not 0 < self.complete_early_final <= self.early_final
        ):
            raise ConfigError(f"need 0 < complete_early_final <= early_final, got {self.complete_early_final}")
        if self.first_clause < 1:
            raise ConfigError(f"first_clause must be at least 1 word, got {self.first_clause}")


BASELINE = VoiceTuning(
    end_silence=0.3, complete_silence=0.3, early_final=None, complete_early_final=None, first_clause=6
)
"""The settings before tuning: one 0.3 s hangover, the accurate recogniser only at the end, a six-word first clause."""
