"""The scenario harness: timed input, expectations, virtual-time runs, replay."""

from microturn._harness._checks import CheckResult, evaluate
from microturn._harness._format import Check, Scenario, Step, Trigger, load_scenario, scenario_paths
from microturn._harness._replay import ReplaySource, compare_logs, replay_log
from microturn._harness._runner import ScenarioResult, format_table, run_eval, run_scenario
from microturn._harness._script import Mark, ScriptSource

__all__ = [
    "Check",
    "CheckResult",
    "Mark",
    "ReplaySource",
    "Scenario",
    "ScenarioResult",
    "ScriptSource",
    "Step",
    "Trigger",
    "compare_logs",
    "evaluate",
    "format_table",
    "load_scenario",
    "replay_log",
    "run_eval",
    "run_scenario",
    "scenario_paths",
]
