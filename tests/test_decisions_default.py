"""Which decisions the full-duplex policy runs, and which a log ran with.

``FullDuplexPolicy()`` (the policy name ``full-duplex``) runs ``DEFAULT_DECISIONS``; ``full-duplex-rules`` and
``full-duplex-learned`` always one set. Every new log names the decisions it ran with, the default too; a log
that names none was recorded before new logs did, with the rules, and replays (and resumes) with them whatever
the default is now. ``tests/logs/*.rules.jsonl`` are such logs: scenario runs recorded at 8a87988, when the rules
were the default and left out of the options, chosen where the learned decisions behave differently.
"""

from __future__ import annotations

import asyncio
import inspect
import shutil
from pathlib import Path
from typing import Any, cast

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from microturn._apps._cli import main
from microturn._apps._console import chat, load_resumption
from microturn._apps._console._chat import banner
from microturn._bus import open_bus
from microturn._core._clock import VirtualClock
from microturn._core._codec import decode_log, encode_event
from microturn._core._config import SessionConfig
from microturn._core._events import EndSession, SessionEnded, SessionStarted
from microturn._eval import load_scenario, replay_log, run_scenario
from microturn._policies import FullDuplexPolicy, make_policy, recorded_options, session_policy
from microturn._policies._full_duplex._decisions import DEFAULT_DECISIONS

TESTS = Path(__file__).resolve().parent
OLD_LOGS = sorted((TESTS / "logs").glob("*.rules.jsonl"))
SCENARIOS = TESTS.parent / "scenarios"
DEFAULTS = cast("dict[str, Any]", cast("Any", FullDuplexPolicy.__init__).__kwdefaults__)
"""``FullDuplexPolicy``'s keyword defaults: a test sets the default decisions here."""


@pytest.fixture(params=["rules", "learned"])
def default(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The default decisions set to each value in turn, as if ``DEFAULT_DECISIONS`` said so."""
    monkeypatch.setitem(DEFAULTS, "decisions", request.param)
    decisions: str = request.param
    return decisions


def decisions_of(name: str, options: dict[str, Any] | None = None) -> Any:
    return make_policy(name, options).options["decisions"]  # type: ignore[attr-defined]


# --- the names ---------------------------------------------------------------------------------------------


def test_the_default_is_the_one_constant() -> None:
    assert inspect.signature(FullDuplexPolicy).parameters["decisions"].default == DEFAULT_DECISIONS
    assert decisions_of("full-duplex") == DEFAULT_DECISIONS


def test_full_duplex_follows_the_default_and_the_named_policies_never_do(default: str) -> None:
    assert decisions_of("full-duplex") == default
    assert decisions_of("full-duplex-rules") == "rules"
    assert decisions_of("full-duplex-learned") == "learned"
    assert decisions_of("full-duplex", {"decisions": "rules"}) == "rules"


# --- new logs name the decisions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "decisions"),
    [("full-duplex", None), ("full-duplex-rules", "rules"), ("full-duplex-learned", "learned")],
)
def test_a_new_session_built_by_name_records_the_decisions_it_runs(
    default: str, policy: str, decisions: str | None
) -> None:
    built, options = session_policy(policy, {"typed_silence": 4.0}, recorded=False)
    ran = decisions or default
    assert options == {"typed_silence": 4.0, "decisions": ran}
    assert built.options == {**built.options, **options}  # type: ignore[attr-defined]
    assert session_policy("turn-based", {}, recorded=False)[1] == {}  # a policy without decisions names none


def test_a_new_scenario_log_names_the_default_and_replays_byte_for_byte(default: str) -> None:
    _, log = run_scenario(load_scenario(SCENARIOS / "duplex" / "barge-in" / "late-question.yaml"))
    started = next(iter(decode_log(log)))
    assert isinstance(started, SessionStarted)
    assert started.config["policy"] == "full-duplex"
    assert started.config["policy_options"] == {"decisions": default}

    assert replay_log(log) == log


# --- logs recorded before: the rules -------------------------------------------------------------------------


def test_a_log_that_names_no_decisions_was_recorded_with_the_rules() -> None:
    assert recorded_options("full-duplex", {"typed_silence": 4.0}) == {"typed_silence": 4.0, "decisions": "rules"}
    assert recorded_options("full-duplex", {"decisions": "learned"}) == {"decisions": "learned"}
    assert recorded_options("full-duplex-learned", {}) == {}  # that name ran the learned decisions anyway
    assert recorded_options("turn-based", {"end_silence": 1.0}) == {"end_silence": 1.0}
    policy, options = session_policy("full-duplex", {}, recorded=True)
    assert policy.options["decisions"] == "rules"  # type: ignore[attr-defined]
    assert options == {}  # the log's options stay as it recorded them


@pytest.mark.parametrize("path", OLD_LOGS, ids=[path.name.split(".")[0] for path in OLD_LOGS])
def test_a_log_recorded_before_replays_byte_for_byte_with_the_rules_whatever_the_default(
    default: str, path: Path
) -> None:
    log = path.read_bytes()
    assert b'"policy":"full-duplex","policy_options":{}' in log

    assert replay_log(log) == log


@pytest.mark.parametrize("path", OLD_LOGS, ids=[path.name.split(".")[0] for path in OLD_LOGS])
def test_the_same_log_naming_the_learned_decisions_replays_otherwise(path: Path) -> None:
    log = path.read_bytes()  # so the replays above do run the rules: the learned decisions diverge from them
    learned = log.replace(b'"policy_options":{}', b'"policy_options":{"decisions":"learned"}', 1)

    if path.name.split(".")[0] in AGREE:
        assert replay_log(learned) == learned
    else:
        assert replay_log(learned) != learned


AGREE = frozenset({"aside-in-pause"})
"""Old logs the learned decisions replay as the rules did: since session 10 (the turn end's tuned encoder) they
answer this one's turns at the rules' moments. The other logs show that the replays above run the rules."""


def test_a_resumed_log_that_names_no_decisions_goes_on_with_the_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(DEFAULTS, "decisions", "learned")
    path = tmp_path / "old.jsonl"
    shutil.copy(OLD_LOGS[0], path)
    old = list(decode_log(path.read_bytes()))
    resumption = load_resumption(path)
    clock = VirtualClock(wall_epoch=resumption.started.wall)

    async def resume() -> None:
        bus = open_bus("memory", log_dir=tmp_path)
        try:
            with create_pipe_input() as keys:
                async with asyncio.TaskGroup() as tasks:
                    tasks.create_task(
                        chat(
                            config=SessionConfig(),
                            clock=clock,
                            bus=bus,
                            terminal_input=keys,
                            terminal_output=DummyOutput(),
                            resume=resumption,
                        )
                    )
                    await clock.sleep_until(old[-1].t + 2.0)
                    keys.send_text("\x04")  # Ctrl-D: quit
        finally:
            await bus.aclose()

    clock.run(resume())
    new = list(decode_log((tmp_path / f"{resumption.session_id}.jsonl").read_bytes()))
    rebuilt = [event for event in old[1:] if not isinstance(event, EndSession | SessionEnded)]
    assert [encode_event(event) for event in new[1 : len(rebuilt) + 1]] == [encode_event(e) for e in rebuilt]
    assert "decisions: rules" in banner(resumption.config)


# --- what the user is told -------------------------------------------------------------------------------------


def test_the_banner_names_the_decisions_the_session_runs() -> None:
    assert "policy: full-duplex, decisions: learned)" in banner(SessionConfig(policy_options={"decisions": "learned"}))
    assert "policy: turn-based)" in banner(SessionConfig(policy="turn-based"))


@pytest.mark.parametrize("command", ["chat", "serve", "eval", "devset"])
def test_the_help_says_which_decisions_run_and_how_to_choose_the_rules(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")  # no line breaks inside the words looked for
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    assert f"full-duplex runs the default decisions ({DEFAULT_DECISIONS})" in text
    assert "full-duplex-rules the hand-written rules" in text


def test_without_the_embedded_extra_the_default_policy_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """The learned decisions need numpy and the embedding model (the ``embedded`` extra): without them the default
    policy is a ConfigError that says what to install, and the rules need nothing more."""
    import sys

    from microturn._policies._full_duplex import _decisions
    from microturn.errors import ConfigError

    learned = "microturn._policies._full_duplex._decisions._learned"
    monkeypatch.setattr(_decisions, "_learned", sys.modules[learned])  # put back as it was afterwards
    for name in [name for name in sys.modules if name == learned or name.startswith(f"{learned}.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "numpy", None)  # as if it were not installed: importing it fails
    with pytest.raises(ConfigError, match="install"):
        FullDuplexPolicy()
    assert FullDuplexPolicy(decisions="rules").options["decisions"] == "rules"
