"""The first code the sandboxed interpreter runs (its ``-c`` program); importing it does nothing.

Run as ``python -I -S -B -u -c <this source> CPU_SECONDS MEMORY_BYTES FILE_BYTES`` in an empty
working directory with an empty environment, the user's code on stdin. Before that code runs it:

- sets the resource limits (CPU time, address space, file size, no core files, no new processes);
- installs an audit hook that refuses the network, new processes, native code (ctypes), changing
  the limits, writing anywhere but the working directory, and reading anything but the working
  directory and the standard library.

An audit hook is a tripwire, not a wall (CPython says so): the resource limits and the parent's
wall-clock timeout bound what escapes it. Run the whole runtime in a container for hostile users.
"""

from __future__ import annotations

import builtins
import contextlib
import linecache
import os
import resource
import signal
import sys
import traceback
from collections.abc import Sequence

SOURCE_NAME = "<code>"

_BLOCKED_EVENTS = frozenset(
    {
        "os.system",
        "os.exec",
        "os.fork",
        "os.forkpty",
        "os.posix_spawn",
        "os.spawn",
        "os.kill",
        "os.killpg",
        "pty.spawn",
        "subprocess.Popen",
        "resource.setrlimit",
        "resource.prlimit",
        "webbrowser.open",
    }
)
# Modules whose functions reach the OS without an audit event of their own.
_BLOCKED_MODULES = frozenset({"_ctypes", "ctypes", "_posixsubprocess"})
_PATH_CHANGES = frozenset(
    {
        "os.chmod",
        "os.chown",
        "os.link",
        "os.mkdir",
        "os.remove",
        "os.rename",
        "os.rmdir",
        "os.setxattr",
        "os.removexattr",
        "os.truncate",
        "os.utime",
        "shutil.rmtree",
    }
)
_READABLE_FILES = frozenset({"/dev/null", "/dev/zero", "/dev/urandom", "/dev/random"})
_READABLE_ROOTS = ("/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo", "/etc/zoneinfo")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


class _Guard:
    """The audit hook: what the code may touch."""

    def __init__(self, workdir: str, readable_roots: Sequence[str]) -> None:
        self._workdir = workdir
        self._readable = (workdir, *readable_roots)

    def __call__(self, event: str, args: tuple[object, ...]) -> None:
        if event == "open":
            self._open(args)
        elif event == "import":
            if args[0] in _BLOCKED_MODULES:
                _deny(f"importing {args[0]}")
        elif event.startswith("socket."):
            _deny(f"network access ({event})")
        elif event.startswith("ctypes."):
            _deny(f"native code ({event})")
        elif event in _BLOCKED_EVENTS:
            _deny(event)
        elif event == "os.symlink":
            self._write(args[1])  # where the link is made; what it points to is checked when opened
        elif event in _PATH_CHANGES:
            for argument in args:
                self._write(argument)

    def _open(self, args: tuple[object, ...]) -> None:
        path, mode, flags = args
        if isinstance(path, int):
            return  # an already open descriptor: only stdin, stdout and stderr are inherited
        writing = (isinstance(mode, str) and any(letter in mode for letter in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        if writing:
            self._write(path)
            return
        name = _name(path)
        if name is None:
            return
        real = os.path.realpath(name)
        if real not in _READABLE_FILES and not _inside(real, self._readable):
            _deny(f"reading {name!r} (only files in the working directory)")

    def _write(self, path: object) -> None:
        name = _name(path)
        if name is not None and not _inside(os.path.realpath(name), (self._workdir,)):
            _deny(f"writing to {name!r} (only inside the working directory)")


def _name(path: object) -> str | None:
    """The file name an audit event's argument stands for; None for descriptors and other values."""
    if isinstance(path, str | bytes | os.PathLike):
        return os.fsdecode(path)
    return None


def _inside(path: str, roots: Sequence[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _deny(what: str) -> None:
    raise PermissionError(f"sandbox: {what} is not allowed")


def _limit(cpu_seconds: int, memory_bytes: int, file_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))  # SIGXCPU, then SIGKILL
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with contextlib.suppress(ValueError, OSError):  # root ignores it; the hook refuses all the same
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails with an error instead


def main() -> None:
    cpu_seconds, memory_bytes, file_bytes = (int(value) for value in sys.argv[1:4])
    source = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    os.environ.clear()  # Python itself may add LC_CTYPE at start-up
    _limit(cpu_seconds, memory_bytes, file_bytes)
    workdir = os.path.realpath(os.getcwd())
    stdlib = [os.path.realpath(entry) for entry in sys.path if entry]
    sys.addaudithook(_Guard(workdir, [*stdlib, *_READABLE_ROOTS]))
    sys.argv = [""]
    lines = [line.rstrip("\r\n") + "\n" for line in source.splitlines()]  # as linecache keeps them
    linecache.cache[SOURCE_NAME] = (len(source), None, lines, SOURCE_NAME)
    namespace: dict[str, object] = {"__name__": "__main__", "__builtins__": builtins}
    try:
        exec(compile(source, SOURCE_NAME, "exec"), namespace)
    except SystemExit:
        raise
    except MemoryError:
        namespace.clear()  # free what the code built before saying anything
        print("MemoryError: the code ran out of memory", file=sys.stderr)
        sys.exit(1)
    except BaseException as exc:
        report = traceback.TracebackException.from_exception(exc)
        _hide_bootstrap(report)
        print("".join(report.format()), end="", file=sys.stderr)
        sys.exit(1)


def _hide_bootstrap(report: traceback.TracebackException) -> None:
    """Show the user's frames and the library's, not this program's (its file name is <string>)."""
    seen: set[int] = set()
    while id(report) not in seen:
        seen.add(id(report))
        report.stack = traceback.StackSummary.from_list(
            [frame for frame in report.stack if frame.filename != "<string>"]
        )
        following = report.__cause__ or report.__context__
        if following is None:
            return
        report = following


if __name__ == "__main__":
    main()
