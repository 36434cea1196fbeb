"""The scenario harness: timed input, expectations, virtual-time runs, replay."""

from microturn._eval._checks import CheckResult, evaluate
from microturn._eval._compare import Comparison, PolicyRun, format_comparison, run_compare
from microturn._eval._format import Check, Scenario, Step, Trigger, load_scenario, scenario_paths
from microturn._eval._metrics import Metrics, Summary, measure, merge, summarise
from microturn._eval._replay import ReplaySource, compare_logs, replay_log
from microturn._eval._runner import ScenarioResult, format_table, run_eval, run_scenario
from microturn._eval._script import Mark, ScriptSource

__all__ = [
    "Check",
    "CheckResult",
    "Comparison",
    "Mark",
    "Metrics",
    "PolicyRun",
    "ReplaySource",
    "Scenario",
    "ScenarioResult",
    "ScriptSource",
    "Step",
    "Summary",
    "Trigger",
    "compare_logs",
    "evaluate",
    "format_comparison",
    "format_table",
    "load_scenario",
    "measure",
    "merge",
    "replay_log",
    "run_compare",
    "run_eval",
    "run_scenario",
    "scenario_paths",
    "summarise",
]
