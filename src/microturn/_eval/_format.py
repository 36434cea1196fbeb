"""The scenario file format (documented in docs/scenarios.md): timed user input and expectations.

Files are YAML, decoded straight into these typed structs, so a typo in a key or a wrong type is a
clear error naming the file and the place, never a silently ignored line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import msgspec
import yaml

from microturn._core._config import SessionConfig
from microturn._models import MODELS
from microturn._policies import make_policy
from microturn.errors import ConfigError, ScenarioError

__all__ = [
    "Check",
    "CueAnchor",
    "Measure",
    "Scenario",
    "Step",
    "TimerAnchor",
    "ToolScript",
    "Trigger",
    "load_scenario",
    "scenario_paths",
]

Ref = float | str
"""A moment in a scenario: seconds of session time, or the id of a step (meaning when its input ended)."""


class Trigger(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Start a step relative to the agent instead of at a fixed time."""

    agent: Literal["speaks", "ends"]
    """``speaks``: once the agent's ``utterance``-th utterance has delivered ``words`` words;
    ``ends``: once that utterance has ended."""
    utterance: int = 1
    words: int = 1


class Step(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One piece of user input. Exactly one of ``at`` / ``when`` says when; exactly one action says what."""

    at: float | None = None
    when: Trigger | None = None
    delay: float = 0.0
    id: str | None = None

    say: str | None = None
    """Spoken words at ``rate`` seconds per word; ``<pause 1.5>`` inside the text pauses."""
    rate: float = 0.4
    aside: bool = False
    """The words are side talk, not for the agent (as a speech front end would mark them)."""
    type: str | None = None
    """Keystrokes at ``cps`` characters per second (``cps: 0`` pastes the text as one chunk)."""
    cps: float = 8.0
    erase: int | None = None
    submit: bool = False
    """Press Enter after the step's text (or on its own)."""
    event: dict[str, Any] | None = None
    """Any event, in its wire form: ``{kind: StopOutput, reason: button}``."""
    raw: str | None = None
    """A raw wire frame, possibly malformed: it must be rejected without losing the session."""
    result: dict[str, Any] | None = None
    """A scripted background result: ``{job: job-1, text: ...}``."""
    progress: dict[str, Any] | None = None
    note: str | None = None

    def actions(self) -> list[str]:
        fields = ("say", "type", "erase", "event", "raw", "result", "progress", "note")
        return [name for name in fields if getattr(self, name) is not None]


class Check(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One expectation. ``check`` names it; the other fields are its arguments (see docs/scenarios.md)."""

    check: Literal[
        "silent",
        "speaks",
        "says",
        "not_says",
        "stop_latency",
        "floor",
        "count",
        "timeline",
        "replay",
    ]
    start: Ref | None = None
    end: Ref | None = None
    after: Ref | None = None
    within: float | None = None
    text: str | None = None
    max: float | None = None
    min: float | None = None
    at: Ref | None = None
    holder: Literal["none", "user", "agent", "both"] | None = None
    kind: str | None = None
    reason: str | None = None
    purpose: str | None = None
    contains: str | None = None


class CueAnchor(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A cue should fire on ``word`` (the first input of step ``step`` containing it)."""

    step: str
    word: str


class TimerAnchor(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Timed speech is due ``seconds`` after step ``after`` ended, then every ``every`` s, ``count`` times."""

    after: str
    seconds: float
    every: float | None = None
    count: int = 1


class Measure(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Anchors for the interactivity metrics (docs/scenarios.md, docs/reference-points.md)."""

    pauses: list[str] = []
    """Steps followed by a pause inside the user's turn (it lasts until the user's next input)."""
    turn_ends: list[str] = []
    """Steps that complete a user turn: the agent should take the floor after them."""
    interruptions: list[str] = []
    """Steps whose input cuts in on the agent: it should stop."""
    cues: list[CueAnchor] = []
    timers: list[TimerAnchor] = []
    weaves: list[str] = []
    """Jobs whose results should be woven into the conversation."""
    backchannels: bool = False
    """Count the agent's backchannels per second of user speech in this scenario."""


class ToolScript(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A FAKE tool: answers ``result`` (the call's arguments filled in) after ``latency`` seconds."""

    name: str
    result: str
    latency: float = 0.0
    trigger: str | None = None
    """See ToolSpec.trigger: when the user's words match, the agent may call the tool early."""
    description: str = ""
    scopes: list[str] = []
    risk: Literal["low", "high"] = "low"


class Scenario(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A scenario file, loaded: timed user input (``steps``) and what must hold (``expect``); docs/scenarios.md."""

    name: str = ""
    description: str = ""
    family: str = "core"
    duration: float = 10.0
    """Virtual seconds before the session is ended."""
    config: dict[str, Any] = {}
    """SessionConfig overrides, e.g. ``{tick: 0.1, policy_options: {end_silence: 1.0}}``."""
    script: list[Step] = []
    expect: list[Check] = []
    measure: Measure = Measure()
    tools: list[ToolScript] = []

    @property
    def pinned_policy(self) -> str | None:
        """The policy the scenario names itself (it tests that policy), if any."""
        policy = self.config.get("policy")
        return policy if isinstance(policy, str) else None

    def session_config(self, *, policy: str | None = None, model: str | None = None) -> SessionConfig:
        """The session's config; ``policy`` applies unless the scenario pins its own, ``model`` always."""
        data = dict(self.config)
        if policy is not None and self.pinned_policy is None:
            data["policy"] = policy
        if model is not None:
            data["model"] = model
        return SessionConfig.from_dict(data, partial=True)


REQUIRED: dict[str, tuple[str, ...]] = {
    "silent": ("start", "end"),
    "speaks": ("after", "within"),
    "says": ("text",),
    "not_says": ("text",),
    "stop_latency": ("max",),
    "floor": ("at", "holder"),
    "count": ("kind",),
    "timeline": ("contains",),
    "replay": (),
}

_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def load_scenario(path: Path) -> Scenario:
    """Read and validate one scenario file; every problem raises ScenarioError naming the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ScenarioError(f"cannot read the scenario: {exc}", path=str(path)) from None
    try:
        scenario = msgspec.convert(data, Scenario)
    except msgspec.ValidationError as exc:
        raise ScenarioError(f"invalid scenario: {exc}", path=str(path)) from None
    if not scenario.name:
        scenario = msgspec.structs.replace(scenario, name=path.stem)
    scenario = msgspec.structs.replace(scenario, name=_NAME.sub("-", scenario.name).strip("-") or "scenario")
    _validate(scenario, str(path))
    return scenario


def _validate(scenario: Scenario, path: str) -> None:
    try:
        config = scenario.session_config()
        make_policy(config.policy, config.policy_options)
        if config.model not in MODELS:
            raise ConfigError(f"unknown model {config.model!r}; choose one of: {', '.join(sorted(MODELS))}")
    except ConfigError as exc:
        raise ScenarioError(str(exc), path=path) from None
    for tool in scenario.tools:
        _validate_tool(tool, path)
    if scenario.duration <= 0:
        raise ScenarioError(f"duration must be positive, got {scenario.duration}", path=path)
    ids: set[str] = set()
    for number, step in enumerate(scenario.script, start=1):
        where = f"script step {number}"
        if (step.at is None) == (step.when is None):
            raise ScenarioError(f"{where}: give exactly one of 'at' (seconds) or 'when' (a trigger)", path=path)
        actions = step.actions()
        if len(actions) > 1 or (not actions and not step.submit):
            raise ScenarioError(
                f"{where}: give exactly one action (say, type, erase, event, raw, result, progress, note) "
                f"or 'submit: true'; found {actions or 'none'}",
                path=path,
            )
        if step.rate <= 0 or step.cps < 0 or step.delay < 0:
            raise ScenarioError(f"{where}: rate must be positive, cps and delay not negative", path=path)
        if step.id is not None:
            if step.id in ids:
                raise ScenarioError(f"{where}: the id {step.id!r} is used twice", path=path)
            ids.add(step.id)
    for number, check in enumerate(scenario.expect, start=1):
        missing = [name for name in REQUIRED[check.check] if getattr(check, name) is None]
        if missing:
            raise ScenarioError(f"expectation {number} ({check.check}) needs {', '.join(missing)}", path=path)
        for ref in (check.start, check.end, check.after, check.at):
            if isinstance(ref, str) and ref not in ids:
                raise ScenarioError(f"expectation {number} ({check.check}): no step has the id {ref!r}", path=path)


def _validate_tool(tool: ToolScript, path: str) -> None:
    where = f"tool {tool.name!r}"
    try:
        pattern = re.compile(tool.trigger or "")
    except re.error as exc:
        raise ScenarioError(f"{where}: its trigger is not a regular expression: {exc}", path=path) from None
    unnamed = set(re.findall(r"{(\w+)}", tool.result)) - set(pattern.groupindex)
    if tool.trigger is not None and unnamed:
        names = ", ".join(sorted(unnamed))
        raise ScenarioError(f"{where}: its result uses {names}, which its trigger never names", path=path)
    if tool.latency < 0:
        raise ScenarioError(f"{where}: latency cannot be negative", path=path)


def scenario_paths(paths: list[Path]) -> list[Path]:
    """Scenario files named directly or found (recursively, sorted) in the directories given."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.y*ml") if p.suffix in {".yaml", ".yml"}))
        elif path.exists():
            found.append(path)
        else:
            raise ScenarioError("no such file or directory", path=str(path))
    return found
