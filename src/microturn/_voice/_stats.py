"""What a voice channel counts: audio taken in and lost, engine failures, the accurate recogniser's early runs."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["VoiceStats"]


@dataclass
class VoiceStats:
    heard: float = 0.0
    """Seconds of microphone audio taken in by ``hear``."""
    dropped: float = 0.0
    """Seconds of microphone audio dropped because listening fell behind."""
    speech_dropped: float = 0.0
    """Seconds of speech the rough recogniser never got because it fell behind (the final one got all)."""
    rejected_chunks: int = 0
    """Microphone chunks that were not whole samples."""
    rough_finals: int = 0
    """Final transcripts that are the rough text: the accurate recogniser failed or was too far behind."""
    engine_failures: int = 0
    """Calls to the voice activity detector or the rough recogniser that failed (the conversation went on)."""
    audio_dropped: int = 0
    """Pieces of agent audio dropped because the client read too slowly."""
    early_runs: int = 0
    """Runs of the accurate recogniser started early, at a pause in a stretch of speech."""
    early_finals: int = 0
    """Stretches whose final text came from their early run: no second run."""
    early_wasted: int = 0
    """Early runs made, or under way, when the speech went on: their CPU was spent for nothing."""
