"""The embedded model's P(line ends) on every pause and story cut the learned turn end is fitted and measured on.

``EmbeddedModel.end_of_turn`` is read on the session's transcript when the user's words before a pause are in, as
``bench/end_of_turn.py`` reads it: each pause case of ``eval/trainset/pause.jsonl`` and ``eval/devset/pause.jsonl``
(train and dev), and each cut of ``eval/trainset/narrative.jsonl`` and ``eval/devset/narrative.jsonl`` after a
sentence (``<id>#<k>``: the story told to a silent agent up to there, its pauses in the transcript). The
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
from typing import Any, ClassVar

import msgspec

from end_of_turn import auc, request, transcript
from microturn import SystemClock, UserInput
from microturn._core._actions import Action
from microturn._core._events import Event
from microturn._core._floor import FloorState
from microturn._core._timeline import Timeline
from microturn._eval._devset import NarrativeCase, PauseCase, load_devset
from microturn._eval._devset._cases import Case
from microturn._eval._devset._sessions import SPOKEN_RATE, play
from microturn._eval._format import Step
from microturn._models._embedded import EmbeddedModel
from microturn._policies import MicroTurn

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
        timeline = Timeline()
        for event in run.events:
            timeline.feed(event)
            if isinstance(event, UserInput) and event.t == last_t and event.text == last_text:
                break
        cuts.append((f"{case.id}#{index}", timeline.text, last_t))
    return cuts


def pause_cases() -> list[PauseCase]:
    return _trainset("pause", PauseCase) + load_devset(EVAL / "devset", "all").pause


def stories() -> list[NarrativeCase]:
    return _trainset("narrative", NarrativeCase) + load_devset(EVAL / "devset", "all").narrative


def _trainset(family: str, kind: type[Case]) -> list[Any]:
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
    told = stories()
    items = [(case.id, (seen := transcript(case)).full, seen.elapsed) for case in pauses]
    items += [cut for case in told for cut in story_cuts(case)]  # sessions first: each runs its own loop
    probabilities = asyncio.run(score(items))

    groups: dict[str, tuple[list[float], list[float]]] = {}
    for case in pauses:
        ends, continues = groups.setdefault(f"{case.modality} {split_of(case)}", ([], []))
        (ends if case.label == "end" else continues).append(probabilities[case.id])
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
