"""The public testing package works as documented."""

from __future__ import annotations

from pathlib import Path

from microturn import AgentWord, ModelRequest, UserInput, VirtualClock
from microturn._eval import load_scenario, run_scenario
from microturn._policies import TurnBasedPolicy
from microturn.testing import FakeModel, end, run_session, spoken, typed


async def test_fake_model_answers_through_its_handler_and_sees_the_request(clock: VirtualClock) -> None:
    async def handler(request: ModelRequest) -> str:
        return f"echo {request.user_text.upper()}"

    model = FakeModel(handler)
    _, log = await run_session(
        clock, [*typed("ping", 1.0, submit_at=1.1), *end(4.0)], model=model, policy=TurnBasedPolicy(end_silence=0.8)
    )
    assert [event.word for event in log if isinstance(event, AgentWord)] == ["echo", "PING"]
    (request,) = model.requests
    assert request.user_text == "ping"
    assert "user: ping [enter]" in request.timeline
    assert request.elapsed == 1.2


def test_spoken_steps_are_paced_and_a_scenario_runs_from_the_testing_package() -> None:
    assert [t for t, _ in spoken("a b c", 2.0, rate=0.5)] == [2.0, 2.5, 3.0]
    clock = VirtualClock()
    session, log = clock.run(
        run_session(clock, [*spoken("hello there", 1.0), *end(5.0)], policy=TurnBasedPolicy(end_silence=0.8))
    )
    assert [e.text for e in log if isinstance(e, UserInput)] == ["hello", "there"]
    assert session.stats.ticks == 25
    result, scenario_log = run_scenario(load_scenario(Path("scenarios/core/barge-in-same-pass.yaml")))
    assert result.passed, result.checks
    assert scenario_log.startswith(b'{"v":1,"e":{"kind":"SessionStarted"')


def test_run_session_runs_the_default_full_duplex_policy_unless_told() -> None:
    clock = VirtualClock()
    session, log = clock.run(run_session(clock, [*typed("hello", 1.0, submit_at=1.1), *end(4.0)]))
    assert session.config.policy == "full-duplex"
    assert any(isinstance(event, AgentWord) for event in log)
