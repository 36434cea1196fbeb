"""Interactivity metrics over a session log, aligned with Full-Duplex-Bench v1 (docs/reference-points.md).

Times are session seconds. The text path speaks words at a fixed rate, so every AgentWord has a
``duration``; a user input lasts from ``t`` to ``t + duration`` (a pasted chunk lasts 0). An agent word
counts in a window ``[start, end)`` when it starts inside it. Anchors come from the scenario's ``measure:``
block and name script steps: a step's *end* is when its input ended, its *onset* its first input.

One module per family, each defining its metrics at its top: take-over, backchannel and next input, which
the families share, in ``_log``; pause and turn take-over and turn latency in ``_turns``; stop latency and
interruption take-over in ``_interruptions``; backchannel rate in ``_backchannels``; cue precision, recall
and latency in ``_cues``; timed onset error in ``_timers``; weave delay and overlap in ``_weaves``.

Each family is a small dataclass of raw samples, so runs pool by :func:`merge` before
:func:`summarise` computes the headline numbers. Anchors whose step never ran are listed as missing.
"""

from microturn._eval._metrics._backchannels import BackchannelMetrics, backchannels
from microturn._eval._metrics._cues import CueMetrics, cues
from microturn._eval._metrics._interruptions import InterruptionMetrics, interruptions
from microturn._eval._metrics._log import Utterance, takes_over, utterances
from microturn._eval._metrics._measure import Metrics, measure, merge
from microturn._eval._metrics._summary import Summary, summarise
from microturn._eval._metrics._timers import TimerMetrics, timers
from microturn._eval._metrics._turns import PauseMetrics, TurnMetrics, pauses, turns
from microturn._eval._metrics._weaves import WeaveMetrics, weaves

__all__ = [
    "BackchannelMetrics",
    "CueMetrics",
    "InterruptionMetrics",
    "Metrics",
    "PauseMetrics",
    "Summary",
    "TimerMetrics",
    "TurnMetrics",
    "Utterance",
    "WeaveMetrics",
    "backchannels",
    "cues",
    "interruptions",
    "measure",
    "merge",
    "pauses",
    "summarise",
    "takes_over",
    "timers",
    "turns",
    "utterances",
    "weaves",
]
