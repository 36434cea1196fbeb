"""The first code the sandboxed interpreter runs (its ``-c`` program); importing it does nothing.

Run inside the OS sandbox (``_isolation``) as ``python -I -S -B -u -c <this source> CPU_SECONDS
MEMORY_BYTES FILE_BYTES`` in its scratch directory with an empty environment, the user's code on
stdin. Before that code runs it:

- sets the resource limits (CPU time, address space, file size, no core files, no new processes);
- installs an audit hook that refuses the network, new processes, native code (ctypes), changing
  the limits, heap walks (``gc``), writing anywhere but the working directory, and reading anything
  but the working directory and the standard library.

The wall is the OS sandbox: an audit hook is a tripwire, not a wall (CPython says so). It is there
to give clear errors, and it cannot be disarmed by swapping names: everything it calls is bound
when it is made, so replacing ``sys.modules['__main__']`` members, ``os`` functions or builtins
does not change what it does.
"""

from __future__ import annotations

import _stat
import builtins
import linecache
import os
import posix
import resource
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

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
        # A heap walk would find the hook and let the code rewrite what it closes over.
        "gc.get_objects",
        "gc.get_referrers",
        "gc.get_referents",
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
_MAX_LINKS = 40  # as the kernel: more symbolic links than this on one path is a loop


def guard(workdir: str, readable_roots: Sequence[str]) -> Callable[[str, tuple[object, ...]], None]:
    """The audit hook: what the code may touch.

    Every name the hook uses is a local of this function, taken now from modules the user's code
    cannot reach into yet (``posix``, ``_stat``, the builtin types): later assignments to module
    attributes or builtins do not reach it.
    """
    readable = (workdir, *readable_roots)
    blocked_events, blocked_modules, path_changes = _BLOCKED_EVENTS, _BLOCKED_MODULES, _PATH_CHANGES
    readable_files, write_flags, max_links = _READABLE_FILES, _WRITE_FLAGS, _MAX_LINKS
    fspath, lstat, readlink, getcwd, is_link = posix.fspath, posix.lstat, posix.readlink, posix.getcwd, _stat.S_ISLNK
    is_instance, str_type, bytes_type, int_type, any_of = isinstance, str, bytes, int, any
    startswith, split, join, rpartition = str.startswith, str.split, str.join, str.rpartition
    decode, denied, os_error = bytes.decode, PermissionError, OSError

    def deny(what: str) -> None:
        raise denied(f"sandbox: {what} is not allowed")

    def name_of(path: Any) -> str | None:
        """The file name an audit event's argument stands for; None for descriptors and other values."""
        if not is_instance(path, str_type | bytes_type):
            try:
                path = fspath(path)
            except TypeError:
                return None
        if is_instance(path, bytes_type):
            return decode(path, "utf-8", "surrogateescape")
        return join("", [path])  # a plain str, whatever subclass the code passed

    def resolve(name: str) -> str:
        """``name`` made absolute, with ``.``, ``..`` and symbolic links resolved (as os.path.realpath)."""
        pending = split(name if startswith(name, "/") else f"{getcwd()}/{name}", "/")[::-1]
        resolved, links = "", 0
        while pending:
            part = pending.pop()
            if part in ("", "."):
                continue
            if part == "..":
                resolved = rpartition(resolved, "/")[0]
                continue
            candidate = f"{resolved}/{part}"
            try:
                linked = is_link(lstat(candidate).st_mode) and links < max_links
            except os_error:
                linked = False
            if linked:
                links += 1
                target = readlink(candidate)
                pending += split(target, "/")[::-1]
                resolved = "" if startswith(target, "/") else resolved
            else:
                resolved = candidate
        return resolved or "/"

    def inside(path: str, roots: Sequence[str]) -> bool:
        return any_of(path == root or startswith(path, f"{root}/") for root in roots)

    def write(path: object) -> None:
        name = name_of(path)
        if name is not None and not inside(resolve(name), (workdir,)):
            deny(f"writing to {name!r} (only inside the working directory)")

    def opened(path: Any, mode: Any, flags: Any) -> None:
        if is_instance(path, int_type):
            return  # an already open descriptor: only stdin, stdout and stderr are inherited
        writing = (is_instance(mode, str_type) and any_of(letter in mode for letter in "wax+")) or (
            is_instance(flags, int_type) and flags & write_flags
        )
        if writing:
            write(path)
            return
        name = name_of(path)
        if name is None:
            return
        real = resolve(name)
        if real not in readable_files and not inside(real, readable):
            deny(f"reading {name!r} (only files in the working directory)")

    def hook(event: str, args: tuple[object, ...]) -> None:
        if event == "open":
            opened(*args)
        elif event == "import":
            if args[0] in blocked_modules:
                deny(f"importing {args[0]}")
        elif startswith(event, "socket."):
            deny(f"network access ({event})")
        elif startswith(event, "ctypes."):
            deny(f"native code ({event})")
        elif event in blocked_events:
            deny(event)
        elif event == "os.symlink":
            write(args[1])  # where the link is made; what it points to is checked when opened
        elif event in path_changes:
            for argument in args:
                write(argument)

    return hook


def _limit(cpu_seconds: int, memory_bytes: int, file_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))  # SIGXCPU, then SIGKILL
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # holds: the sandbox never runs the code as root
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails with an error instead


def main() -> None:
    cpu_seconds, memory_bytes, file_bytes = (int(value) for value in sys.argv[1:4])
    source = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    os.environ.clear()  # Python itself may add LC_CTYPE at start-up
    _limit(cpu_seconds, memory_bytes, file_bytes)
    workdir = os.path.realpath(os.getcwd())
    stdlib = [os.path.realpath(entry) for entry in sys.path if entry]
    own = f"/proc/{os.getpid()}"  # what /proc/self leads to: the child's own status, limits and maps
    sys.addaudithook(guard(workdir, [*stdlib, *_READABLE_ROOTS, own]))
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
