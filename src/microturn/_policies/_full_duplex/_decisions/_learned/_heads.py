"""The shipped heads: one ``.npz`` file per head beside this module, written by ``_fit.py``, loaded once."""

from __future__ import annotations

import functools
from pathlib import Path

from microturn._sentences import Head, load_head

__all__ = ["APPROVAL", "DIRECTORY", "INTENT", "JOB_CHANGE", "MEMBER", "OVERLAP", "OVERLAP_SO_FAR", "head", "path"]

DIRECTORY = Path(__file__).resolve().parent
INTENT = "intent"
"""A whole turn's request: the intent family's labels."""
JOB_CHANGE = "job-change"
"""A turn read against a running job's words: none, revise_job, cancel_job, change_topic, progress, delegate."""
MEMBER = "member"
"""A word read against the kind of thing a cue listens for ("colour"): member or other."""
APPROVAL = "approval"
"""An answer to a yes/no question: yes, no, unclear."""
OVERLAP = "overlap"
"""Speech over the agent, whole: backchannel, reaction, side, noise, barge_in."""
OVERLAP_SO_FAR = "overlap-so-far"
"""Speech over the agent as its words come: what the whole will turn out to be, from its first words."""


def path(name: str) -> Path:
    return DIRECTORY / f"{name}.npz"


@functools.cache
def head(name: str) -> Head:
    """The shipped head ``name``, loaded on first use."""
    return load_head(path(name))
