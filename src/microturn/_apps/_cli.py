"""The ``microturn`` command line: its arguments and help texts; what each command does is in ``_commands``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from microturn._apps._commands import (
    audit_command,
    chat_command,
    devset_command,
    eval_command,
    replay_command,
    serve_command,
    timeline_command,
    turn_ends_command,
)
from microturn._bus import LogConfig, Sync
from microturn._core._config import SessionConfig
from microturn._models import MODELS
from microturn._policies import POLICIES
from microturn._policies._full_duplex._decisions import DECISIONS, DEFAULT_DECISIONS
from microturn.errors import MicroturnError

__all__ = ["main"]

_POLICIES = (
    f"full-duplex runs the default decisions ({DEFAULT_DECISIONS}); full-duplex-rules the hand-written rules, "
    "full-duplex-learned the learned ones (docs/decisions.md); turn-based answers once each turn has ended"
)
"""Which decisions each policy name runs, for the help of every option that chooses a policy."""

_DESCRIPTION = """\
microturn: an agent that stays present in continuous ~200 ms micro-turns.

commands:
  chat       talk with the agent in this terminal (typing interrupts it)
  serve      talk with the agent in a browser: voice or typing (http://127.0.0.1:8765)
  eval       run scenario files in virtual time and check their expectations
  devset     measure the interaction decisions on the development set (eval/devset)
  replay     re-run a recorded session log and check it reproduces byte for byte
  timeline   draw a session log as one self-contained HTML page
  audit      list every tool call in a session log: approval and outcome
  turn-ends  measure the audio end of turn on recorded voice sessions

Run 'microturn COMMAND --help' for the options of a command."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # said by the subcommand's own parser: its usage, not the top level's
        getattr(args, "usage", parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command is None:
        parser.print_help()
        return 2
    try:
        code: int = args.run(args)
    except MicroturnError as exc:
        print(f"microturn: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="microturn", description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    chat = commands.add_parser(
        "chat",
        help="talk with the agent in this terminal",
        description="A full-duplex text chat: your keystrokes stream to the agent as you type, its words "
        "stream back at a speaking rate, and typing while it talks interrupts it. Ctrl-D quits.",
    )
    _session_options(chat)
    chat.add_argument("--record", type=Path, metavar="FILE", help="write the session log here when you quit")
    chat.add_argument(
        "--grant",
        action="append",
        default=[],
        metavar="SCOPE",
        help="let tools touch SCOPE (files:read, code:run, ...; '*' for all); repeat for more. "
        "High-risk tools still ask you first.",
    )
    chat.add_argument("--workspace", type=Path, metavar="DIR", help="the folder the file tools may search and read")
    chat.add_argument(
        "--mcp",
        action="append",
        default=[],
        metavar="NAME=COMMAND",
        help="offer the tools of an MCP server started with COMMAND over stdio, e.g. "
        "--mcp 'time=python -m mcp_server_time' (needs microturn[mcp]); each call asks you first",
    )
    chat.add_argument(
        "--log-dir",
        type=Path,
        metavar="DIR",
        help="keep the live session log in DIR, written event by event and synced to disk within 0.2 s "
        "(see --sync); continue it after a crash with --resume",
    )
    chat.add_argument(
        "--sync",
        choices=[sync.value for sync in Sync],
        default=LogConfig().sync.value,
        help="when the --log-dir journal reaches the disk: event (fsync every event), interval (the "
        "default: at most 0.2 s later), flush (never fsync: a process crash loses nothing, a power loss may)",
    )
    chat.add_argument(
        "--resume",
        type=Path,
        metavar="LOG",
        help="continue the session recorded in LOG (after a crash, or after it ended): its conversation, "
        "settings and unsubmitted typing come back, and it goes on in a new log that starts with the old one, "
        "beside LOG (or in --log-dir); see docs/durability.md",
    )
    chat.set_defaults(run=chat_command, usage=chat)

    serve = commands.add_parser(
        "serve",
        help="talk with the agent in a browser",
        description="Serve a page that talks with the agent: your microphone streams to it, its voice plays "
        "back, and talking over it interrupts it; you can type too. Each browser tab is one conversation. "
        "Prints the page's URL, with the access token in it. Needs microturn[serve] (and microturn[voice] "
        "for --voice real). Ctrl-C stops.",
    )
    _session_options(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    serve.add_argument("--port", type=int, default=8765, help="port to listen on (0: any free port)")
    serve.add_argument(
        "--voice",
        choices=["real", "fake", "off"],
        default="real",
        help="speech engines: real (offline VAD, speech recognition and synthesis), fake (tones, for trying "
        "the page without the voice extra), off (typing only)",
    )
    serve.add_argument("--token", help="the access token the page must present (default: a new random one)")
    serve.add_argument(
        "--log-dir", type=Path, metavar="DIR", help="keep each conversation's session log in DIR (one file each)"
    )
    serve.add_argument(
        "--max-conversations",
        type=int,
        default=4,
        metavar="N",
        help="conversations held at once (default: %(default)s); one more is refused with a message until one ends",
    )
    serve.add_argument(
        "--idle-timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="close a conversation whose page sent nothing for this long (default: %(default)g)",
    )
    serve.add_argument(
        "--max-frame-rate",
        type=float,
        default=100.0,
        metavar="N",
        help="frames a second a page may send (default: %(default)g; the microphone sends 50): faster ones are "
        "refused with a message, and a page that goes on sending too fast is closed",
    )
    serve.set_defaults(run=serve_command, usage=serve)

    evaluate = commands.add_parser(
        "eval",
        help="run scenarios in virtual time",
        description="Run scenario files (see docs/scenarios.md) in virtual time, print a table, write "
        "results.json and every session log to --out. Exits 1 if any scenario fails.",
    )
    evaluate.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="scenario files or directories")
    choice = evaluate.add_mutually_exclusive_group()
    choice.add_argument(
        "--policy",
        choices=sorted(POLICIES),
        help=f"run every scenario with this policy instead of the scenario's own (full-duplex unless it pins one): "
        f"{_POLICIES}",
    )
    choice.add_argument(
        "--compare",
        type=_policy_list,
        metavar="A,B,...",
        help="run every scenario under each policy and compare pass rates and interactivity metrics side "
        "by side (writes compare.json); exits 0 only if all pass under the first policy, the candidate. "
        "E.g. full-duplex,full-duplex-rules: the default decisions against the rules",
    )
    evaluate.add_argument(
        "--model",
        choices=sorted(MODELS),
        help="run every scenario with this interaction model instead of the scenario's own (scripted); a real "
        "model's measured compute time is charged to the virtual clock, so latencies include it. Scenarios "
        "that check exact words expect the scripted model",
    )
    evaluate.add_argument("--out", type=Path, default=Path("out/eval"), metavar="DIR", help="default: out/eval")
    evaluate.set_defaults(run=eval_command, usage=evaluate)

    devset = commands.add_parser(
        "devset",
        help="measure the interaction decisions on the development set",
        description="Play the cases of the interaction development set (eval/devset: pauses, speech over the "
        "agent, stories, intents, approval answers) through real sessions in virtual time under a policy; print "
        "one table per family with issue 13's targets, and write devset.json (every case's result) to --out. "
        "A measurement, not a gate: exits 0. See docs/decisions.md.",
    )
    devset.add_argument(
        "--split",
        choices=["train", "dev", "all"],
        default="dev",
        help="which cases: dev (the default: to measure), train (to build and tune on), or all",
    )
    devset.add_argument(
        "--policy",
        choices=sorted(POLICIES),
        default=SessionConfig().policy,
        help=f"the policy to measure (default: %(default)s): {_POLICIES}",
    )
    devset.add_argument(
        "--decisions",
        choices=sorted(DECISIONS),
        help=f"the full-duplex policy's decisions (default: its own, {DEFAULT_DECISIONS} for full-duplex): rules "
        "(the hand-written baseline) or learned (heads over sentence embeddings)",
    )
    devset.add_argument(
        "--cases",
        type=Path,
        default=Path("eval/devset"),
        metavar="DIR",
        help="the set's directory (default: %(default)s)",
    )
    devset.add_argument(
        "--model-signal",
        choices=["recorded", "none"],
        default="recorded",
        help="recorded (the default: as the product runs, whose embedded model reads after each word how likely "
        "the turn is over): in the pauses and stories the model replays the embedded model's readings "
        "(<cases>/../signals/model_end_of_turn.json, by bench/end_of_turn_signals.py); none: no model signal, the "
        "words alone decide (a scripted model, a server without logprobs). The rules read no signal",
    )
    devset.add_argument("--out", type=Path, default=Path("out/devset"), metavar="DIR", help="default: %(default)s")
    devset.set_defaults(run=devset_command, usage=devset)

    replay = commands.add_parser(
        "replay",
        help="reproduce a recorded session",
        description="Re-run the session recorded in LOG from its outside input, in virtual time, and compare "
        "the new log with LOG byte for byte. Exits 1 and shows the first difference if they differ.",
    )
    replay.add_argument("log", type=Path, metavar="LOG", help="a session log (.jsonl)")
    replay.add_argument("--out", type=Path, metavar="FILE", help="also write the replayed log here")
    replay.set_defaults(run=replay_command, usage=replay)

    timeline = commands.add_parser(
        "timeline",
        help="draw a session log as an HTML page",
        description="Draw the session recorded in LOG as one self-contained HTML page: user, floor, agent, "
        "cues and timers, background jobs and other marks on one time axis, then the plain-text timeline.",
    )
    timeline.add_argument("log", type=Path, metavar="LOG", help="a session log (.jsonl)")
    timeline.add_argument("-o", "--out", type=Path, metavar="FILE", help="default: LOG with .html")
    timeline.set_defaults(run=timeline_command, usage=timeline)

    audit = commands.add_parser(
        "audit",
        help="list every tool call in a session log",
        description="One line per tool call recorded in LOG: when, which tool, the arguments (secrets "
        "redacted), who asked for it, whether the user approved it, and what came back.",
    )
    audit.add_argument("log", type=Path, metavar="LOG", help="a session log (.jsonl)")
    audit.set_defaults(run=audit_command, usage=audit)

    turn_ends = commands.add_parser(
        "turn-ends",
        help="measure the audio end of turn on recorded voice sessions",
        description="Read back every pause in LOG(s) that the audio end of turn (Smart Turn) judged: what the "
        "words said then (the session replayed, its text read by the learned turn end without the audio) and "
        "what the user did next (went on: spoke before the agent's reply or within 1 s of it; ended: the agent "
        "replied and they did not). Prints how well the words, the audio, and both separate the ends from the "
        "pauses (AUC), and the weights a logistic regression gives the two. Record sessions with "
        "'microturn serve --log-dir DIR'; see docs/audio-end-of-turn.md.",
    )
    turn_ends.add_argument(
        "logs", type=Path, nargs="+", metavar="LOG", help="session logs (.jsonl), or folders of them"
    )
    turn_ends.add_argument("--json", type=Path, metavar="FILE", help="also write every pause and the summary here")
    turn_ends.set_defaults(run=turn_ends_command, usage=turn_ends)
    return parser


def _session_options(parser: argparse.ArgumentParser) -> None:
    defaults = SessionConfig()
    parser.add_argument(
        "--policy",
        choices=sorted(POLICIES),
        default=defaults.policy,
        help=f"interaction policy (default: %(default)s): {_POLICIES}",
    )
    parser.add_argument(
        "--model",
        choices=sorted(MODELS),
        help="the interaction model: embedded (the default: Gemma 3 270M through llama.cpp, offline), openai "
        "(an OpenAI-compatible server: set MICROTURN_OPENAI_BASE_URL and MICROTURN_OPENAI_MODEL), scripted "
        "(a deterministic fake); also MICROTURN_MODEL or the config file",
    )
    parser.add_argument(
        "--background-model",
        choices=sorted(MODELS),
        help="the model background jobs run on (a ReAct loop over the tools): by default the same as --model; "
        "embedded (reports only what its tools found, and says so when none can do the job), openai "
        "(MICROTURN_BACKGROUND_OPENAI_* or MICROTURN_OPENAI_*), scripted (a deterministic fake agent, for tests); "
        "also MICROTURN_BACKGROUND_MODEL",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="a TOML file choosing each role's model ([interaction] and [background]; see docs/models.md); "
        "also MICROTURN_CONFIG. Flags win over the environment, which wins over the file",
    )
    parser.add_argument("--tick", type=float, default=defaults.tick, help="micro-turn length in seconds")
    parser.add_argument(
        "--rate", type=float, default=defaults.speaking_rate, help="agent speaking rate, seconds per word"
    )


def _policy_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",")]
    unknown = [name for name in names if name not in POLICIES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown policy {unknown[0]!r} (choose from {', '.join(sorted(POLICIES))})")
    return names


if __name__ == "__main__":
    raise SystemExit(main())
