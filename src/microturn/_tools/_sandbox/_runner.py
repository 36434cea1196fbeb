"""Run a short Python program in a sandboxed child interpreter.

The child is an isolated interpreter (``-I -S``: no site-packages, no user paths, no ``PYTHON*``
variables) inside an OS sandbox (bubblewrap, see ``_isolation``): no network, no view of the host's
files but ``/usr`` and the Python installation (read-only), a private size-limited scratch
directory, no environment, not root. Where that sandbox cannot run, the tool refuses. Inside it,
what the code may use is bounded by resource limits (CPU time, address space, file size, no new
processes) and a timeout on the session's Clock, after which the whole sandbox is killed; an audit
hook (see ``_child``) is a tripwire that turns most attempts into clear errors. Its output
is bounded too.

The limits are set by the child's bootstrap before any user code runs, not in ``preexec_fn``:
that hook runs between fork and exec, which CPython warns is unsafe while other threads exist.

The timeout is session time: on a VirtualClock, which jumps whenever the loop is idle, a child that
has not answered yet times out at once, so tests of the sandbox's output run on the SystemClock.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import msgspec

from microturn._core._clock import Clock
from microturn._core._tools import ToolError
from microturn._tools._sandbox._isolation import Sandbox, require_isolation
from microturn._tools._sandbox._seccomp import seccomp_program
from microturn._tools._tool import Tool, tool
from microturn.errors import ConfigError

__all__ = ["SandboxLimits", "python_tools", "run_sandboxed"]

MAX_CODE = 20_000
_MIB = 1024 * 1024


class SandboxLimits(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What one run of sandboxed code may use."""

    cpu_seconds: int = 5
    memory_bytes: int = 256 * _MIB
    """Address space: the interpreter itself needs about 30 MiB of it."""
    file_bytes: int = 16 * _MIB
    """Largest file the code may write (in its scratch directory)."""
    scratch_bytes: int = 32 * _MIB
    """All files together: the scratch directory is a tmpfs (in memory) of this size."""
    timeout: float = 10.0
    """Session-clock seconds before the child is killed, whether busy or waiting."""
    output_bytes: int = 10_000
    """Kept from stdout, and again from stderr; a child that prints more is stopped."""

    def __post_init__(self) -> None:
        if self.cpu_seconds < 1:
            raise ConfigError(f"sandbox cpu_seconds must be at least 1, got {self.cpu_seconds}")
        if self.memory_bytes < 64 * _MIB:
            raise ConfigError(f"sandbox memory_bytes must be at least 64 MiB, got {self.memory_bytes}")
        if self.file_bytes < 0 or self.scratch_bytes < 4096 or self.output_bytes < 1:
            raise ConfigError("sandbox file_bytes must be >= 0, scratch_bytes >= 4096 and output_bytes >= 1")
        if self.timeout <= 0:
            raise ConfigError(f"sandbox timeout must be positive, got {self.timeout}")


Code = Annotated[
    str,
    msgspec.Meta(
        max_length=MAX_CODE,
        description="A complete Python 3 program; print() what you want to see. Standard library only; "
        "no network, no subprocesses or threads, files only in the current directory.",
    ),
]


def python_tools(clock: Clock, limits: SandboxLimits | None = None) -> list[Tool[..., Any]]:
    """The ``run_python`` tool, its timeout kept by ``clock``."""
    bounds = limits or SandboxLimits()

    @tool(name="run_python", scopes=("code:run",))
    async def run_python(code: Code) -> str:
        """Run a short Python program in a sandbox and return what it prints.

        For exact computation, data wrangling and checks the calculator cannot do. The program runs
        with limited CPU time and memory, no network and an empty scratch directory.
        """
        return await run_sandboxed(code, clock=clock, limits=bounds)

    return [run_python]


async def run_sandboxed(code: str, *, clock: Clock, limits: SandboxLimits) -> str:
    """Run ``code``; its stdout, or ToolError saying why it failed (with stderr and partial output).

    Refuses (a permanent ToolError saying what to install or enable) where the OS sandbox cannot run.
    """
    return await _run(code, await require_isolation(), clock, limits)


class _Capture:
    """The first ``limit`` bytes of a stream; the rest is read and dropped so the pipe can close."""

    def __init__(self, limit: int) -> None:
        self.data = bytearray()
        self.truncated = False
        self._limit = limit

    async def drain(self, stream: asyncio.StreamReader, *, on_overflow: Callable[[], None]) -> None:
        while chunk := await stream.read(64 * 1024):
            room = self._limit - len(self.data)
            if len(chunk) > room and not self.truncated:
                self.truncated = True
                on_overflow()
            self.data += chunk[: max(room, 0)]

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace").rstrip()


async def _run(code: str, sandbox: Sandbox, clock: Clock, limits: SandboxLimits) -> str:
    limit_arguments = (str(limits.cpu_seconds), str(limits.memory_bytes), str(limits.file_bytes))
    child = [sandbox.interpreter(), "-I", "-S", "-B", "-u", "-c", _bootstrap(), *limit_arguments]
    with seccomp_program() as seccomp:
        process = await asyncio.create_subprocess_exec(
            *sandbox.argv(child, scratch_bytes=limits.scratch_bytes, seccomp_fd=seccomp),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={},  # bwrap too: it is pid 1 in the sandbox, and its environment would be in /proc/1/environ
            start_new_session=True,  # its own process group, killed as one; the sandbox dies with bwrap
            pass_fds=(seccomp,),
        )
    assert process.stdin is not None
    assert process.stdout is not None
    assert process.stderr is not None
    out, err = _Capture(limits.output_bytes), _Capture(limits.output_bytes)
    timed_out = False
    try:
        async with clock.timeout_at(clock.now() + limits.timeout):
            async with asyncio.TaskGroup() as group:
                group.create_task(_feed(process.stdin, code))
                group.create_task(out.drain(process.stdout, on_overflow=lambda: _kill(process)))
                group.create_task(err.drain(process.stderr, on_overflow=lambda: _kill(process)))
            await process.wait()
    except TimeoutError:
        timed_out = True
    finally:
        await _reap(process)
    return _outcome(process.returncode, out, err, timed_out=timed_out, limits=limits)


def _outcome(returncode: int | None, out: _Capture, err: _Capture, *, timed_out: bool, limits: SandboxLimits) -> str:
    printed = out.text()
    if timed_out:
        raise _failed(f"the code ran longer than {limits.timeout:g} s and was stopped", printed)
    if out.truncated or err.truncated:
        cut = f"[output cut at {limits.output_bytes} bytes; the program was stopped]"
        return f"{printed}\n{cut}" if printed else cut
    # bwrap reports a child killed by signal N as status 128 + N (a killed bwrap itself as -N).
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL, 128 + signal.SIGXCPU, 128 + signal.SIGKILL):
        raise _failed(f"the code used more than {limits.cpu_seconds} s of CPU time and was stopped", printed)
    errors = err.text()
    if errors.rpartition("\n")[2].startswith("MemoryError"):
        raise _failed(f"the code ran out of memory (limit {limits.memory_bytes // _MIB} MiB)", printed)
    if returncode != 0:
        detail = errors or f"it exited with status {returncode}"
        raise _failed(f"the code failed:\n{detail}", printed)
    return printed or "(no output)"


def _failed(reason: str, printed: str) -> ToolError:
    if printed:
        reason += f"\nIt printed before that:\n{printed}"
    return ToolError(reason, transient=False)


async def _feed(stdin: asyncio.StreamWriter, code: str) -> None:
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # it may die before reading
        stdin.write(code.encode())
        await stdin.drain()
    stdin.close()


def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:  # once reaped, its id may belong to someone else
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


async def _reap(process: asyncio.subprocess.Process) -> None:
    """Kill the child if it still runs, wait for it, and read its pipes to the end so they close."""
    _kill(process)
    await process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            await stream.read()  # bounded: the child is gone, only what the pipe held is left


@functools.cache
def _bootstrap() -> str:
    return (Path(__file__).parent / "_child.py").read_text(encoding="utf-8")
