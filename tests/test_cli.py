"""The ``microturn`` command line: eval and replay, called in-process through ``main``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from microturn._apps._cli import main

CORE = Path(__file__).resolve().parents[1] / "scenarios" / "core"
CORE_FILES = sorted([*CORE.rglob("*.yaml"), *CORE.rglob("*.yml")])

PASSING = """\
duration: 4
config: {policy: turn-based}
script:
  - {at: 0.3, type: "what is 2 plus 3", cps: 0, submit: true, id: ask}
expect:
  - {check: says, text: "2 plus 3 is 5."}
  - {check: replay}
"""
FAILING = """\
duration: 5
config: {policy: turn-based}
script:
  - {at: 0.5, say: "what is two plus three", id: ask}
expect:
  - {check: speaks, after: ask, within: 0.0}
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_eval_of_the_core_scenarios_passes_and_writes_results_and_logs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"

    code = main(["eval", str(CORE), "--out", str(out)])

    printed = capsys.readouterr()
    assert code == 0
    assert printed.out.splitlines()[0].split() == [
        "scenario",
        "family",
        "policy",
        "result",
        "checks",
        "events",
        "wall",
        "ms",
    ]
    assert f"\n{len(CORE_FILES)} passed, 0 failed\n" in printed.out
    assert f"results: {out / 'results.json'}" in printed.out
    assert "FAILED" not in printed.out
    assert printed.err == ""
    results = json.loads((out / "results.json").read_text())
    assert [entry["name"] for entry in results] == [path.stem for path in CORE_FILES]
    for entry in results:
        assert entry["passed"] is True
        assert entry["error"] is None
        assert entry["policy"] == "turn-based"  # the core mechanics suite pins the baseline
        assert entry["checks"]
        assert all(check["passed"] for check in entry["checks"])
        log = Path(entry["log_path"])
        assert log == out / "logs" / entry["policy"] / f"{entry['name']}.jsonl"
        assert log.read_bytes().startswith(b'{"v":1,"e":{"kind":"SessionStarted"')
        assert len(log.read_bytes().splitlines()) == entry["events"]
    assert {entry["name"] for entry in results} <= {line.split()[0] for line in printed.out.splitlines() if line}


def test_eval_with_a_failing_scenario_exits_1_and_shows_the_failed_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = tmp_path / "suite"
    write(suite, "a-passes.yaml", PASSING)
    failing = write(suite, "b-fails.yaml", FAILING)

    code = main(["eval", str(suite), "--out", str(tmp_path / "out")])

    printed = capsys.readouterr().out
    assert code == 1
    assert "1 passed, 1 failed" in printed
    table = [line.split() for line in printed.splitlines() if len(line.split()) == 7]
    rows = {row[0]: row for row in table}
    assert rows["a-passes"][3] == "pass"
    assert rows["b-fails"][3] == "FAIL"
    assert f"b-fails ({failing}):" in printed
    assert "  FAILED speaks(after='ask', within=0.0): first word '2' 900 ms after 2.50 s" in printed
    assert f"  log: {tmp_path / 'out' / 'logs' / 'turn-based' / 'b-fails.jsonl'}" in printed
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [(entry["name"], entry["passed"]) for entry in results] == [("a-passes", True), ("b-fails", False)]


def test_eval_of_a_malformed_scenario_exits_1_with_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = tmp_path / "suite"
    write(suite, "good.yaml", PASSING)
    broken = write(suite, "typo.yaml", "duration: 3\nscript:\n  - {at: 1, sya: hello}\n")

    code = main(["eval", str(suite), "--out", str(tmp_path / "out")])

    printed = capsys.readouterr().out
    assert code == 1
    assert "1 passed, 1 failed" in printed
    row = next(line.split() for line in printed.splitlines() if line.startswith("typo "))
    assert row[3] == "ERROR"
    assert f"  error: {broken}: invalid scenario" in printed
    assert "sya" in printed
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results[1]["name"] == "typo"
    assert results[1]["error"].startswith(str(broken))
    assert results[1]["log_path"] is None


def test_eval_of_a_scenario_that_cannot_run_exits_1_with_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "bad-event.yaml", "script:\n  - {at: 1, event: {kind: Nope}}\n")

    code = main(["eval", str(path), "--out", str(tmp_path / "out")])

    printed = capsys.readouterr().out
    assert code == 1
    assert "ERROR" in printed
    assert "'Nope'" in printed


def test_eval_with_a_policy_runs_every_scenario_with_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "one.yaml", PASSING)

    code = main(["eval", str(path), "--policy", "turn-based", "--out", str(tmp_path / "out")])

    assert code == 0
    assert "1 passed, 0 failed" in capsys.readouterr().out
    assert (tmp_path / "out" / "logs" / "turn-based" / "one.jsonl").is_file()


def test_eval_with_the_embedded_model_charges_its_compute_to_the_virtual_clock(tmp_path: Path) -> None:
    # Long enough for the real model's first word however busy the machine is: its compute is charged as measured.
    path = tmp_path / "ask.yaml"
    path.write_text(
        "config: {policy: turn-based}\nduration: 120\n"
        'script:\n  - {at: 0.33, type: "what is 7 times 6", cps: 20, submit: true}\n'
    )

    def first_word(model: str) -> tuple[str, float]:
        main(["eval", str(path), "--model", model, "--out", str(tmp_path / model)])
        log = tmp_path / model / "logs" / "turn-based" / "ask.jsonl"
        events = [json.loads(line)["e"] for line in log.read_text().splitlines()]
        submitted = next(event["t"] for event in events if event["kind"] == "UserSubmit")
        word = next(event["t"] for event in events if event["kind"] == "AgentWord")
        return events[0]["config"]["model"], word - submitted

    scripted, embedded = first_word("scripted"), first_word("embedded")
    assert (scripted[0], embedded[0]) == ("scripted", "embedded")
    assert embedded[1] > scripted[1]  # the real model's measured compute time, on the virtual clock


def test_eval_of_nothing_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()

    code = main(["eval", str(empty), "--out", str(tmp_path / "out")])

    assert code == 1
    assert "0 passed, 0 failed" in capsys.readouterr().out
    assert json.loads((tmp_path / "out" / "results.json").read_text()) == []


def test_eval_of_a_missing_path_exits_2_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"

    code = main(["eval", str(missing), "--out", str(tmp_path / "out")])

    printed = capsys.readouterr()
    assert code == 2
    assert printed.err == f"microturn: {missing}: no such file or directory\n"
    assert not (tmp_path / "out").exists()


def eval_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = write(tmp_path / "suite", "story.yaml", PASSING)
    assert main(["eval", str(path), "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    log = tmp_path / "out" / "logs" / "turn-based" / "story.jsonl"
    assert log.is_file()
    return log


def test_replay_of_an_eval_log_is_identical(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = eval_log(tmp_path, capsys)
    lines = len(log.read_bytes().splitlines())
    again = tmp_path / "again.jsonl"

    code = main(["replay", str(log), "--out", str(again)])

    printed = capsys.readouterr()
    assert code == 0
    assert printed.out == f"replay identical: {lines} events, {len(log.read_bytes())} bytes\n"
    assert again.read_bytes() == log.read_bytes()


def test_replay_of_a_doctored_log_exits_1_showing_the_first_difference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = eval_log(tmp_path, capsys)
    lines = log.read_bytes().splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, start=1) if b'"word":"plus"' in line)
    lines[number - 1] = lines[number - 1].replace(b'"word":"plus"', b'"word":"minus"')
    log.write_bytes(b"".join(lines))

    code = main(["replay", str(log)])

    printed = capsys.readouterr().out
    assert code == 1
    assert printed.startswith(f"replay differs: replay differs from the log at line {number}:")
    assert '"word":"minus"' in printed
    assert '"word":"plus"' in printed


def test_replay_of_a_missing_log_exits_2_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.jsonl"

    code = main(["replay", str(missing)])

    printed = capsys.readouterr()
    assert code == 2
    assert printed.out == ""
    assert printed.err == f"microturn: cannot read {missing}: No such file or directory\n"


def test_replay_of_a_file_that_is_not_a_log_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bogus = tmp_path / "bogus.jsonl"
    bogus.write_text("hello\n")

    code = main(["replay", str(bogus)])

    printed = capsys.readouterr()
    assert code == 2
    assert printed.err.startswith("microturn: line 1: not a JSON object frame")


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([])

    printed = capsys.readouterr().out
    assert code == 2
    assert printed.startswith("usage: microturn")
    for command in ("chat", "eval", "replay"):
        assert f"\n  {command} " in printed


@pytest.mark.parametrize(
    ("command", "mentions"),
    [
        ("chat", "--record"),
        ("eval", "--out"),
        ("replay", "LOG"),
        ("turn-ends", "microturn serve --log-dir DIR"),
    ],
)
def test_each_command_has_help(command: str, mentions: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([command, "--help"])

    printed = capsys.readouterr().out
    assert caught.value.code == 0
    assert printed.startswith(f"usage: microturn {command}")
    assert mentions in printed


def test_an_unknown_policy_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["eval", str(tmp_path), "--policy", "nope"])

    assert caught.value.code == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err


def test_the_console_script_runs() -> None:
    script = Path(sys.executable).parent / "microturn"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "microturn._apps._cli"]

    done = subprocess.run([*command, "--help"], capture_output=True, text=True, timeout=30, check=False)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: microturn")
    assert "replay" in done.stdout


def test_a_bad_flag_of_a_subcommand_shows_that_subcommands_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["chat", "--frobnicate"])
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("usage: microturn chat")
    assert "microturn chat: error: unrecognized arguments: --frobnicate" in error


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--grant", "bogus:scope"], "--grant 'bogus:scope': no tool needs that scope; the scopes are: code:run"),
        (["--record", "/nonexistent/folder/log.jsonl"], "the folder /nonexistent/folder does not exist"),
    ],
)
def test_chat_refuses_bad_arguments_before_it_starts(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["chat", "--model", "scripted", *arguments]) == 2
    assert message in capsys.readouterr().err


def test_chat_and_serve_refuse_a_log_dir_that_cannot_be_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for command in ("chat", "serve"):
        assert main([command, "--log-dir", str(blocker / "logs")]) == 2
        assert f"--log-dir {blocker / 'logs'}: cannot use it as a folder for session logs" in capsys.readouterr().err


def test_the_builtin_scopes_are_every_scope_a_builtin_tool_needs(tmp_path: Path) -> None:
    from microturn import SystemClock
    from microturn._tools._builtins import BUILTIN_SCOPES, builtin_tools

    specs = builtin_tools(clock=SystemClock(), workspace=tmp_path).specs
    assert sorted({scope for spec in specs for scope in spec.scopes}) == sorted(BUILTIN_SCOPES)
