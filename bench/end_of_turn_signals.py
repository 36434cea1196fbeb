"""The embedded model's P(line ends) on every pause and story cut the learned turn end is fitted and measured on.

``EmbeddedModel.end_of_turn`` is read on the session's transcript when the user's words before a pause are in, as
``bench/end_of_turn.py`` reads it: each pause case of ``eval/trainset/pause.jsonl`` and ``eval/devset/pause.jsonl``
(train and dev), each later pause of ``eval/trainset/pause2.jsonl`` (after ``first``, its pause and ``before``: the
context's exchange as a pause case plays it, then an agent that only listens), and each cut of
``eval/trainset/narrative.jsonl`` and ``eval/devset/narrative.jsonl`` after a sentence (``<id>#<k>``: the story told
to a silent agent up to there, its pauses in the transcript). The
probabilities go to ``eval/signals/model_end_of_turn.json``, which ``fit_turn_end`` reads for TRAIN and ``microturn
devset`` replays (``--model-signal recorded``: the ``-dev`` ones are only for measuring), so neither runs a model.
The AUC (end vs continue) is printed per group and split. A few minutes; the probabilities do not depend on load.

    python bench/end_of_turn_signals.py [--json eval/signals/model_end_of_turn.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import msgspec

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
from microturn._eval._format import Step
from microturn._models._embedded import EmbeddedModel
from microturn._policies import MicroTurn, Policy, make_policy

EVAL = Path(__file__).resolve().parent.parent / "eval"
START = 0.5


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


def split_of(case: Case) -> str:
    return "dev" if case.id.endswith("-dev") else "train"


async def score(items: Sequence[tuple[str, str, float]]) -> dict[str, float]:
    model = EmbeddedModel(clock=SystemClock())
    scored = {key: round(await model.end_of_turn(request(text, elapsed)), 6) for key, text, elapsed in items}
    await model.aclose()
    return scored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, default=EVAL / "signals" / "model_end_of_turn.json")
    args = parser.parse_args()

    pauses = pause_cases()
    later = later_pauses()
    told = stories()
    items = [(case.id, (seen := transcript(case)).full, seen.elapsed) for case in pauses]
    items += [(case.id, *later_transcript(case)) for case in later]
    items += [cut for case in told for cut in story_cuts(case)]  # sessions first: each runs its own loop
    probabilities = asyncio.run(score(items))

    groups: dict[str, tuple[list[float], list[float]]] = {}
    for case in pauses:
        ends, continues = groups.setdefault(f"{case.modality} {split_of(case)}", ([], []))
        (ends if case.label == "end" else continues).append(probabilities[case.id])
    for pause in later:
        ends, continues = groups.setdefault("later train", ([], []))
        (ends if pause.label == "end" else continues).append(probabilities[pause.id])
    for story in told:
        ends, continues = groups.setdefault(f"story {split_of(story)}", ([], []))
        for index in range(len(story.sentences)):
            last = index == len(story.sentences) - 1
            (ends if last else continues).append(probabilities[f"{story.id}#{index}"])
    for name, (ends, continues) in sorted(groups.items()):
        print(f"{name:<14} {len(ends):>4} ends {len(continues):>4} continues  AUC {auc(ends, continues)}")

    args.json.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "about": "EmbeddedModel.end_of_turn after the words before each pause: bench/end_of_turn_signals.py",
        "probabilities": probabilities,
    }
    args.json.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    print(f"json: {args.json}")


if __name__ == "__main__":
    main()
