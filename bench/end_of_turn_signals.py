"""The embedded model's end-of-turn reading on every pause and story cut the learned turn end is fitted and measured on.

``EmbeddedModel.end_of_turn_features`` (what ``end_of_turn`` reads of the next-token distribution, before its head:
``_models/_end_of_turn_head.py``) is read on the session's transcript when the user's words before a pause are in,
as ``bench/end_of_turn.py`` reads it: each pause case of ``eval/trainset/pause.jsonl`` and
``eval/devset/pause.jsonl`` (train and dev), each later pause of ``eval/trainset/pause2.jsonl`` (after ``first``,
its pause and ``before``: the context's exchange as a pause case plays it, then an agent that only listens), and
each cut of ``eval/trainset/narrative.jsonl`` and ``eval/devset/narrative.jsonl`` after a sentence (``<id>#<k>``:
the story told to a silent agent up to there, its pauses in the transcript); and, for the speculation threshold
only, after each earlier word of the training set's spoken pause cases (``<id>@<n>``). The features go to
``eval/signals/model_end_of_turn_features.npz``; then the head is fitted on the TRAIN keys and
``eval/signals/model_end_of_turn.json`` rewritten with its probabilities, out of fold for the TRAIN keys
(``python -m microturn._models._end_of_turn_head_fit`` does that part alone, without the model). The turn end's
fit reads that file for TRAIN and ``microturn devset`` replays it (``--model-signal recorded``: the ``-dev``
ones are only for measuring), so neither runs a model. It prints per group and split the median and the AUC
(end vs continue) of P(line break) and of the probabilities written. A few minutes; the features do not depend on load.
With ``--reuse``, after cases were only added (no id changed), the keys recorded before keep their rows and only the
new ones are read, with ``CHECKED`` of the old ones read again to prove the recording still holds (``reuse``).

    python bench/end_of_turn_signals.py [--reuse]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import msgspec
import numpy as np
import numpy.typing as npt

from end_of_turn import auc, request, transcript
from microturn import SystemClock, UserInput
from microturn._core._actions import Action
from microturn._core._events import AgentSpeechEnded, Event
from microturn._core._floor import FloorState
from microturn._core._timeline import Timeline
from microturn._eval._devset import NarrativeCase, PauseCase, load_devset
from microturn._eval._devset._cases import Case, ContextTurn
from microturn._eval._devset._pause import _context, _own
from microturn._eval._devset._sessions import SPOKEN_RATE, Opening, play
from microturn._eval._devset._stats import median
from microturn._eval._format import Step
from microturn._models._embedded import EmbeddedModel
from microturn._models._end_of_turn_head import LINE_BREAK
from microturn._models._end_of_turn_head_fit import (
    FEATURES_FILE,
    READINGS,
    WITHIN,
    Recorded,
    fit_end_of_turn_head,
    load_recorded,
    save_recorded,
)
from microturn._policies import MicroTurn, Policy, make_policy

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "eval"
START = 0.5
CHECKED = 40
"""With ``--reuse``: how many of the keys recorded before are read again, to check that their rows still hold."""
TOLERANCE = 0.1
"""The median difference the keys read again may show over their compared values. The same key read twice differs
(the model reuses the cached prompt of the key read before it, and another split of the prompt into batches changes
the last bits): by a median of 0 to 0.08 in a row, by up to ~0.5 in the log-probability of a rare token; a changed
case, prompt or model moves most of a row."""


class Silent:
    """An agent that only listens: the story is told to the end, whatever a policy would have answered."""

    name: ClassVar[str] = "silent"

    def react(self, state: FloorState, event: Event) -> Sequence[Action]:
        return ()

    def decide(self, state: FloorState, turn: MicroTurn) -> Sequence[Action]:
        return ()

    def wake_at(self, state: FloorState) -> float | None:
        return None


class ListeningAfter:
    """``policy`` until the agent's ``lines``-th utterance has ended (the context's exchange), then an agent that
    only listens: the user's turn is heard to the end, whatever a policy would have answered in its pauses."""

    name: ClassVar[str] = "listening-after"

    def __init__(self, policy: Policy, lines: int) -> None:
        self._policy: Policy = policy if lines else Silent()
        self._lines = lines

    def react(self, state: FloorState, event: Event) -> Sequence[Action]:
        actions = self._policy.react(state, event)
        if isinstance(event, AgentSpeechEnded) and event.utterance >= self._lines:
            self._policy = Silent()
        return actions

    def decide(self, state: FloorState, turn: MicroTurn) -> Sequence[Action]:
        return self._policy.decide(state, turn)

    def wake_at(self, state: FloorState) -> float | None:
        return self._policy.wake_at(state)


class LaterPause(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A case of ``eval/trainset/pause2.jsonl``: ``first``, ``first_pause`` s of silence, ``before``, then
    ``pause`` s of silence and ``after`` (empty: the turn ended)."""

    id: str
    family: str
    modality: Literal["spoken", "typed"]
    context: tuple[ContextTurn, ...]
    first: str
    first_pause: float
    before: str
    pause: float
    after: str
    label: Literal["continue", "end"]


def later_transcript(case: LaterPause) -> tuple[str, float]:
    """The transcript when ``before`` is in, and seconds since the start: the case played as a pause case whose
    words are ``first`` and whose ``after`` is ``before``, the agent listening once the context is over."""
    as_pause = PauseCase(
        id=case.id,
        family="pause",
        modality=case.modality,
        context=case.context,
        before=case.first,
        pause=case.first_pause,
        after=case.before,
        label="continue",
    )
    opening, context, lines = _context(as_pause)
    answered = len(lines) + (opening is not None)
    policy = ListeningAfter(make_policy("full-duplex-rules"), answered)  # as recorded, whatever the default
    run = play(
        [*context, *_own(as_pause, after_lines=answered)],
        duration=120.0,
        policy=policy if opening is None else Opening(policy, opening),
        lines=lines,
    )
    last_t, last_text = run.marks["after"].inputs[-1]
    return _transcript_at(run.events, last_t, last_text), last_t


def story_cuts(case: NarrativeCase) -> list[tuple[str, str, float]]:
    """(id, transcript, seconds) when each sentence of the story has been said."""
    script: list[Step] = []
    at = START
    for index, (sentence, pause) in enumerate(zip(case.sentences, (*case.pauses, 0.0), strict=True)):
        script.append(Step(at=round(at, 6), id=f"sentence-{index}", say=sentence, rate=SPOKEN_RATE))
        at += len(sentence.split()) * SPOKEN_RATE + pause
    run = play(script, duration=at + 1.0, policy=Silent())
    cuts: list[tuple[str, str, float]] = []
    for index in range(len(case.sentences)):
        last_t, last_text = run.marks[f"sentence-{index}"].inputs[-1]
        cuts.append((f"{case.id}#{index}", _transcript_at(run.events, last_t, last_text), last_t))
    return cuts


def _transcript_at(events: Sequence[Event], t: float, text: str) -> str:
    """The session's transcript when the user's input ``text`` at ``t`` has come in."""
    timeline = Timeline()
    for event in events:
        timeline.feed(event)
        if isinstance(event, UserInput) and event.t == t and event.text == text:
            break
    return timeline.text


def pause_cases() -> list[PauseCase]:
    return _trainset("pause", PauseCase) + load_devset(EVAL / "devset", "all").pause


def later_pauses() -> list[LaterPause]:
    return _trainset("pause2", LaterPause)


def stories() -> list[NarrativeCase]:
    return _trainset("narrative", NarrativeCase) + load_devset(EVAL / "devset", "all").narrative


def _trainset(family: str, kind: type[Case] | type[LaterPause]) -> list[Any]:
    """The training set's cases of ``family`` (none if it has no file for it)."""
    decoder = msgspec.json.Decoder(kind)
    path = EVAL / "trainset" / f"{family}.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [decoder.decode(line) for line in lines if line.strip()]


@dataclass(frozen=True, slots=True)
class Key:
    """What is read, and what it is: the transcript when the words are in, and whether the turn ended there."""

    key: str
    transcript: str
    elapsed: float
    case: str
    kind: str
    end: bool


def keys() -> list[Key]:
    """Every pause, later pause and story cut of the training and development sets, and the earlier words of the
    training set's spoken pause cases (sessions first: each runs a loop)."""
    found: list[Key] = []
    for case in pause_cases():
        seen = transcript(case)
        if case.modality == "spoken" and not case.id.endswith("-dev"):
            found += within(case, seen.full, seen.elapsed)
        found.append(Key(case.id, seen.full, seen.elapsed, case.id, case.modality, case.label == "end"))
    found += [Key(case.id, *later_transcript(case), case.id, "later", case.label == "end") for case in later_pauses()]
    for story in stories():
        cuts = story_cuts(story)
        found += [Key(key, text, t, story.id, "story", k == len(cuts) - 1) for k, (key, text, t) in enumerate(cuts)]
    return found


def within(case: PauseCase, full: str, elapsed: float) -> list[Key]:
    """The case's transcript after each of its earlier words (``<id>@<n>``: its first n words), in which the user
    went on without a pause: the words are all on the transcript's last line."""
    words = len(case.before.split())
    return [
        Key(f"{case.id}@{n}", full.rsplit(" ", words - n)[0], elapsed, case.id, WITHIN, False) for n in range(1, words)
    ]


async def read(found: Sequence[Key]) -> npt.NDArray[np.float64]:
    model = EmbeddedModel(clock=SystemClock())
    rows = [await model.end_of_turn_features(request(k.transcript, k.elapsed)) for k in found]
    await model.aclose()
    return np.stack(rows)


def reuse(
    found: Sequence[Key],
    recorded: Sequence[str],
    rows: npt.NDArray[np.float64],
    read_rows: Callable[[Sequence[Key]], npt.NDArray[np.float64]],
    compared: slice = slice(None),
) -> npt.NDArray[np.float64]:
    """Each of ``found``'s rows: a key ``recorded`` before keeps its row of ``rows``, the others are read by
    ``read_rows``, with ``CHECKED`` of the kept ones, at random, read first, whose ``compared`` columns must read as
    recorded to within ``TOLERANCE`` (else the model, its prompt or a case changed: everything must be read again)."""
    at = {key: row for row, key in enumerate(recorded)}
    new = [i for i, k in enumerate(found) if k.key not in at]
    kept = [i for i, k in enumerate(found) if k.key in at]
    if not kept:
        raise SystemExit("no key was recorded before: record them all, without --reuse")
    checked = random.Random(0).sample(kept, min(CHECKED, len(kept)))
    gaps = np.abs(read_rows([found[i] for i in checked]) - rows[[at[found[i].key] for i in checked]])[:, compared]
    gap = float(np.median(gaps))
    print(f"{len(checked)} recorded keys read again: median gap {gap:.4f}, at most {gaps.max():.4f}")
    if gap > TOLERANCE:
        raise SystemExit(f"the recorded keys read {gap:.4f} away from their rows: record all again, without --reuse")
    print(f"reusing {len(kept)} recorded keys; reading {len(new)} new ones")
    out = np.empty((len(found), rows.shape[1]))
    out[kept] = rows[[at[found[i].key] for i in kept]]
    if new:
        out[new] = read_rows([found[i] for i in new])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reuse", action="store_true", help="keep the rows of the keys recorded before (see above)")
    found = keys()
    if parser.parse_args().reuse:
        old = load_recorded(ROOT / FEATURES_FILE)
        features = reuse(found, old.keys, old.features, lambda some: asyncio.run(read(some)))
    else:
        features = asyncio.run(read(found))
    ends = np.array([k.end for k in found])
    kinds = tuple(k.kind for k in found)
    recorded = Recorded(tuple(k.key for k in found), tuple(k.case for k in found), kinds, ends, features)
    save_recorded(recorded, ROOT / FEATURES_FILE)
    print(f"features: {ROOT / FEATURES_FILE}")
    fit_end_of_turn_head(ROOT)

    report(found, features, json.loads((ROOT / READINGS).read_text())["probabilities"])


def report(found: Sequence[Key], features: npt.NDArray[np.float64], probabilities: dict[str, float]) -> None:
    """Per group and split (earlier words aside): the median at ends and continuations, and the AUC, of
    P(line break) and of the probabilities written."""
    groups: dict[str, list[tuple[bool, float, float]]] = {}
    for k, row in zip(found, features, strict=True):
        if k.kind != WITHIN:
            split = "dev" if k.case.endswith("-dev") else "train"
            line_break = float(np.exp(row[LINE_BREAK]))
            groups.setdefault(f"{k.kind} {split}", []).append((k.end, line_break, probabilities[k.key]))
    print("group          ends/continues  P(line break): median end / continue, AUC  P(end), TRAIN out of fold: same")
    for name, rows in sorted(groups.items()):
        print(f"{name:<14} {sum(r[0] for r in rows):>5}/{sum(not r[0] for r in rows):<5}", end="")
        for column in (1, 2):
            at_ends = [r[column] for r in rows if r[0]]
            at_continues = [r[column] for r in rows if not r[0]]
            print(f"  {median(at_ends)} / {median(at_continues)}  AUC {auc(at_ends, at_continues)}", end="")
        print()


if __name__ == "__main__":
    main()
