"""Escape attempts against ``run_python``'s sandbox, each checked by what the host can observe.

Every attempt runs in the real sandbox (real bubblewrap, SystemClock). The test then looks at the
host, not at how the attempt failed: a canary file outside is unchanged and nothing new appeared
next to it, listeners the test opened (TCP, UDP, abstract and path Unix sockets) saw no one, a
process the test started is still alive, and neither a secret file's content nor a secret
environment variable of this process appears in the output. Code that succeeds prints a marker
(spelt so that the traceback's source line does not contain it), which must not appear either.

Each attempt runs twice: as shipped, and with the child's audit hook (the tripwire) left out, so
the OS sandbox is shown to hold alone. The attempts marked ``on_host`` are also run outside the
sandbox, by a plain interpreter: there they must trip the witness, which shows the checks can fail.
"""

from __future__ import annotations

import ast
import asyncio
import os
import signal
import socket
import string
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from microturn import SystemClock
from microturn._core._tools import ToolError
from microturn._tools import SandboxLimits
from microturn._tools._sandbox import _runner as _sandbox
from microturn._tools._sandbox._runner import run_sandboxed

ENV_SECRET = "env-secret-7d41c0"
FILE_SECRET = "file-secret-b83e55"
CANARY = "canary, as the test wrote it"
WON = "ESC" + "APED"
REPO = Path(__file__).resolve().parent.parent
PREFIX = Path(os.path.realpath(sys.base_prefix))
OUTSIDE = (Path("/usr/lib/microturn-escaped"), PREFIX / "microturn-escaped")
LIMITS = SandboxLimits(cpu_seconds=1, memory_bytes=128 * 1024 * 1024, timeout=10.0, scratch_bytes=8 * 1024 * 1024)
PRELUDE = "import os, signal, socket, sys\nWON = 'ESC' + 'APED'\n"


class Attempt(NamedTuple):
    name: str
    code: str
    on_host: bool = False
    """Safe to run unsandboxed, where it must trip the witness."""


ATTEMPTS = [
    # --- disarming the audit hook, then doing what it forbids -----------------------------------
    Attempt(
        "hook-main-module-swap",
        "main = sys.modules['__main__']\n"
        "for name, value in list(vars(main).items()):\n"
        "    if isinstance(value, (frozenset, tuple, int, str)) and not name.startswith('__'):\n"
        "        setattr(main, name, type(value)())\n"
        "    elif callable(value) and not isinstance(value, type(sys)):\n"
        "        setattr(main, name, lambda *a, **k: None)\n"
        "sys.modules['__main__'] = type(sys)('__main__')\n"
        "socket.create_connection(('127.0.0.1', $port), timeout=2).sendall(WON.encode())\n",
    ),
    Attempt(
        "hook-builtins-swap",
        "import builtins\n"
        "builtins.isinstance = lambda *a: False\n"
        "builtins.any = lambda *a: False\n"
        "builtins.PermissionError = type('Harmless', (Exception,), {})\n"
        "open($canary, 'w').write(WON)\n",
    ),
    Attempt(
        "hook-os-functions-swap",
        "import posix, posixpath\n"
        "os.path.realpath = posixpath.realpath = lambda path, **k: '/scratch/x'\n"
        "os.getcwd = posix.getcwd = lambda: '/scratch'\n"
        "posix.lstat = os.lstat = lambda path: os.stat('/scratch')\n"
        "open($canary, 'w').write(WON)\n",
    ),
    Attempt(
        "hook-extra-audit-hook",
        "sys.addaudithook(lambda event, args: None)\nprint(open($secret).read())\n",
    ),
    Attempt(
        "hook-gc-heap-walk",
        "import gc\n"
        "for hook in [o for o in gc.get_objects() if getattr(o, '__name__', '') == 'hook']:\n"
        "    for cell in hook.__closure__ or ():\n"
        "        cell.cell_contents = lambda *a: None\n"
        "socket.create_connection(('127.0.0.1', $port), timeout=2)\n",
    ),
    Attempt(
        "hook-frame-walk-from-fspath",
        "class Sly:\n"
        "    def __fspath__(self):\n"
        "        frame = sys._getframe(1)\n"
        "        frame.f_locals.clear()\n"
        "        return $canary\n"
        "open(Sly(), 'w').write(WON)\n",
    ),
    # --- native code ------------------------------------------------------------------------------
    Attempt("ctypes-libc-fork", "import ctypes\nif ctypes.CDLL(None).fork() >= 0:\n    print(WON)\n"),
    Attempt(
        "ctypes-libc-open-and-write",
        "import ctypes\nlibc = ctypes.CDLL('libc.so.6')\n"
        "fd = libc.open($canary.encode(), os.O_WRONLY | os.O_TRUNC)\nprint(libc.write(fd, b'overwritten', 11))\n",
        on_host=True,
    ),
    Attempt(
        "ctypes-loaded-from-its-file-then-socket",
        "import importlib.util, struct\n"
        "folder = next(p for p in sys.path if p.endswith('lib-dynload'))\n"
        "path = next(f'{folder}/{f}' for f in os.listdir(folder) if f.startswith('_ctypes.'))\n"
        "spec = importlib.util.spec_from_file_location('_ctypes', path)\n"
        "sys.modules['_ctypes'] = importlib.util.module_from_spec(spec)\n"
        "import ctypes\nlibc = ctypes.CDLL(None)\nfd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)\n"
        "address = struct.pack('=H', socket.AF_INET) + struct.pack('!H', $port) + bytes([127, 0, 0, 1]) + bytes(8)\n"
        "print(libc.connect(fd, address, len(address)), libc.write(fd, b'hi', 2))\n",
        on_host=True,
    ),
    # --- new processes ----------------------------------------------------------------------------
    Attempt("fork", "if os.fork() == 0:\n    open($canary, 'w').write(WON)\n"),
    Attempt(
        "posix-spawn",
        "os.waitpid(os.posix_spawn('/usr/bin/touch', ['touch', $spawned], {}), 0)\n",
        on_host=True,
    ),
    Attempt("subprocess", "import subprocess\nsubprocess.run(['/usr/bin/touch', $spawned])\n", on_host=True),
    Attempt("os-system", "os.system('touch ' + $spawned)\n", on_host=True),
    Attempt("pty-fork", "import pty\nif pty.fork()[0] == 0:\n    open($canary, 'w').write(WON)\n"),
    Attempt("exec-shell", "os.execv('/usr/bin/sh', ['sh', '-c', 'echo hi > ' + $canary])\n", on_host=True),
    Attempt("fork-bomb", "while True:\n    os.fork()\n"),
    Attempt(
        "thread-bomb",
        "import threading, time\n"
        "threads = [threading.Thread(target=time.sleep, args=(5,)) for _ in range(10000)]\n"
        "for thread in threads:\n"
        "    thread.start()\n"
        "print(WON)\n",
    ),
    # --- the network ------------------------------------------------------------------------------
    Attempt("tcp-to-host", "socket.create_connection(('127.0.0.1', $port), timeout=2).sendall(b'hi')\n", on_host=True),
    Attempt(
        "udp-to-host",
        "socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'hi', ('127.0.0.1', $udp_port))\n",
        on_host=True,
    ),
    Attempt(
        "unix-abstract-socket",
        "s = socket.socket(socket.AF_UNIX)\ns.connect($abstract)\ns.sendall(b'hi')\n",
        on_host=True,
    ),
    Attempt(
        "unix-path-socket", "s = socket.socket(socket.AF_UNIX)\ns.connect($unix_path)\ns.sendall(b'hi')\n", on_host=True
    ),
    # --- /proc --------------------------------------------------------------------------------------
    Attempt("proc-1-environ", "print(open('/proc/1/environ', 'rb').read())\n"),
    Attempt("proc-self-root", "print(open('/proc/self/root' + $secret).read())\n", on_host=True),
    Attempt("proc-parent-root", "print(open(f'/proc/{os.getppid()}/root' + $secret).read())\n"),
    Attempt(
        "proc-host-pid",
        "print(sorted(os.listdir('/proc')))\nprint(open(f'/proc/{$witness_pid}/environ', 'rb').read())\n",
    ),
    # --- writing outside the scratch directory ------------------------------------------------------
    Attempt("write-host-tmp", "open($canary, 'w').write(WON)\n", on_host=True),
    Attempt("write-usr", "open('/usr/lib/microturn-escaped', 'w').write(WON)\n"),
    Attempt("write-python-prefix", "open(sys.base_prefix + '/microturn-escaped', 'w').write(WON)\n"),
    Attempt(
        "write-through-symlink",
        "os.symlink(os.path.dirname($canary), 'out')\nopen('out/' + os.path.basename($canary), 'w').write(WON)\n",
        on_host=True,
    ),
    Attempt("write-unaudited-fifo", "os.mkfifo($spawned)\n"),
    Attempt(
        "disk-fill",
        "for number in range(64):\n    open(f'fill-{number}', 'wb').write(bytes(4 * 1024 * 1024))\n",
    ),
    Attempt("memory-bomb", "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))\n"),
    # --- secrets ------------------------------------------------------------------------------------
    Attempt(
        "env-secret",
        "print(dict(os.environ), open('/proc/self/environ', 'rb').read())\n",
        on_host=True,
    ),
    Attempt("read-host-secret-file", "print(open($secret).read())\n", on_host=True),
    Attempt("read-etc-shadow", "print(open('/etc/shadow').read())\n"),
    Attempt("read-repository", "print(os.listdir($repo))\nprint(open($repo + '/pyproject.toml').read())\n"),
    # --- signals --------------------------------------------------------------------------------------
    Attempt("kill-everyone", "os.kill(-1, signal.SIGKILL)\n"),
    Attempt("killpg-and-kill-parent", "os.killpg(0, signal.SIGKILL)\nos.kill(os.getppid(), signal.SIGKILL)\n"),
    Attempt(
        "pidfd-kill-host-process",
        "signal.pidfd_send_signal(os.pidfd_open($witness_pid), signal.SIGKILL)\n",
        on_host=True,
    ),
    # --- privileges and limits ------------------------------------------------------------------------
    Attempt(
        "raise-rlimits",
        "import resource\nresource.setrlimit(resource.RLIMIT_NPROC, (10**6, 10**6))\nif os.fork() == 0:\n"
        "    print(WON)\n",
    ),
    Attempt("setuid-root", "os.setuid(0)\nprint(WON, open($secret).read())\n"),
    Attempt("chroot", "os.chroot('/')\nprint(WON)\n"),
    Attempt(
        # A namespace of its own (where the kernel allows it) changes only what the code itself sees.
        "unshare-and-mount",
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.unshare(0x10000000 | 0x00020000), libc.mount(b'none', b'/usr', b'tmpfs', 0, None))\n"
        "open($canary, 'w').write(WON)\n",
    ),
    Attempt(
        # Every capability, in a user namespace of its own: the door most kernel exploits go through.
        "unshare-user-namespace-capabilities",
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "if libc.unshare(0x10000000 | 0x40000000) == 0:\n"
        "    print(WON, open('/proc/self/status').read().split('CapEff:')[1].split()[0])\n",
    ),
    Attempt(
        # Kernel interfaces a short program never needs, and that bugs are usually found in.
        "kernel-surface-io-uring-bpf-userfaultfd",
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nx86 = os.uname().machine == 'x86_64'\n"
        "ring = libc.syscall(425, 8, ctypes.create_string_buffer(120))\n"
        "userfault = libc.syscall(323 if x86 else 282, 1)\n"
        "key = libc.syscall(248 if x86 else 217, b'user', b'k', b'v', 1, -2)\n"
        "if max(ring, userfault, key) >= 0:\n    print(WON, ring, userfault, key)\n",
    ),
]


class Host:
    """What an escape would change on the host, watched by the test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.canary = folder / "canary.txt"
        self.canary.write_text(CANARY)
        self.secret = folder / "secret.txt"
        self.secret.write_text(FILE_SECRET)
        self.spawned = folder / "spawned"
        self.tcp = _listening(socket.socket(socket.AF_INET, socket.SOCK_STREAM), ("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.setblocking(False)
        self.abstract_name = f"\0microturn-escape-{os.getpid()}-{folder.name}"
        self.abstract = _listening(socket.socket(socket.AF_UNIX), self.abstract_name)
        self.unix_path = str(folder / "listener.sock")
        self.unix = _listening(socket.socket(socket.AF_UNIX), self.unix_path)
        self.witness = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        self.files = sorted(folder.iterdir())

    def fields(self) -> dict[str, object]:
        return {
            "port": self.tcp.getsockname()[1],
            "udp_port": self.udp.getsockname()[1],
            "canary": repr(str(self.canary)),
            "secret": repr(str(self.secret)),
            "spawned": repr(str(self.spawned)),
            "abstract": repr(self.abstract_name),
            "unix_path": repr(self.unix_path),
            "witness_pid": self.witness.pid,
            "repo": repr(str(REPO)),
        }

    def assert_untouched(self, output: str) -> None:
        assert self.canary.read_text() == CANARY
        assert sorted(self.folder.iterdir()) == self.files
        assert not any(path.exists() for path in OUTSIDE)
        assert all(_silent(listener.accept) for listener in (self.tcp, self.abstract, self.unix))
        assert _silent(lambda: self.udp.recv(100))
        assert not _killed(self.witness), "the host process the test started was killed"
        for leaked in (ENV_SECRET, FILE_SECRET, WON, 'name = "microturn"', "root:"):
            assert leaked not in output

    def close(self) -> None:
        for each in (self.tcp, self.udp, self.abstract, self.unix):
            each.close()
        self.witness.kill()
        self.witness.communicate()


def _killed(process: subprocess.Popen[bytes]) -> bool:
    """True when ``process`` is gone or a SIGKILL is on its way to it: a kill sent just before is seen even while
    the kernel has not yet run the dying process (a busy machine)."""
    if process.poll() is not None:
        return True
    try:
        status = Path(f"/proc/{process.pid}/status").read_text()
    except OSError:
        return True
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    pending = int(fields["SigPnd"], 16) | int(fields["ShdPnd"], 16)
    return fields["State"].split()[0] in {"Z", "X"} or bool(pending & (1 << (signal.SIGKILL - 1)))


def _silent(receive: Callable[[], object]) -> bool:
    """True when nothing has arrived (the socket would block)."""
    try:
        received = receive()
    except BlockingIOError:
        return True
    if isinstance(received, tuple):  # an accepted connection
        received[0].close()
    return False


def _listening(sock: socket.socket, address: tuple[str, int] | str) -> socket.socket:
    sock.bind(address)
    sock.listen()
    sock.setblocking(False)
    return sock


@pytest.fixture
def host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Host]:
    monkeypatch.setenv("MICROTURN_ESCAPE_SECRET", ENV_SECRET)
    watched = Host(tmp_path)
    yield watched
    watched.close()


@pytest.fixture(params=["with-tripwire", "wall-alone"])
def tripwire(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the child as shipped, or with its audit hook left out: the OS sandbox must hold alone."""
    if request.param == "wall-alone":
        source = _sandbox._bootstrap()
        disarmed = source.replace("sys.addaudithook(guard(", "(lambda hook: None)(guard(")
        assert disarmed != source
        monkeypatch.setattr(_sandbox, "_bootstrap", lambda: disarmed)
    return str(request.param)


def code_for(attempt: Attempt, host: Host) -> str:
    return PRELUDE + string.Template(attempt.code).substitute(host.fields())


def sandboxed(code: str) -> str:
    """What run_python returned, or its error's message."""

    async def main() -> str:
        try:
            return await run_sandboxed(code, clock=SystemClock(), limits=LIMITS)
        except ToolError as error:
            return f"ERROR: {error}"

    return asyncio.run(main())


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=[attempt.name for attempt in ATTEMPTS])
def test_escape_attempt_is_contained(attempt: Attempt, host: Host, tripwire: str) -> None:
    output = sandboxed(code_for(attempt, host))
    assert "refuses to run code" not in output  # the sandbox ran it
    host.assert_untouched(output)
    if tripwire == "wall-alone":
        assert "PermissionError: sandbox:" not in output  # the hook really was left out


@pytest.mark.parametrize("attempt", [a for a in ATTEMPTS if a.on_host], ids=[a.name for a in ATTEMPTS if a.on_host])
def test_the_same_attempt_outside_the_sandbox_trips_the_witness(
    attempt: Attempt, host: Host, tmp_path_factory: pytest.TempPathFactory
) -> None:
    code = code_for(attempt, host)
    ran = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path_factory.mktemp("cwd"), capture_output=True, text=True, check=False
    )
    with pytest.raises(AssertionError):
        host.assert_untouched(ran.stdout + ran.stderr)


HOOK_GAMES = [attempt for attempt in ATTEMPTS if attempt.name.startswith("hook-")]


@pytest.mark.parametrize("attempt", HOOK_GAMES, ids=[attempt.name for attempt in HOOK_GAMES])
def test_lookup_games_do_not_disarm_the_tripwire(attempt: Attempt, host: Host) -> None:
    output = sandboxed(code_for(attempt, host))
    assert "PermissionError: sandbox:" in output.rpartition("\n")[2]


def test_the_corpus_covers_every_category() -> None:
    assert len(ATTEMPTS) >= 25
    prefixes = {attempt.name.split("-")[0] for attempt in ATTEMPTS}
    assert {"hook", "ctypes", "fork", "tcp", "udp", "unix", "proc", "write", "env", "kill", "memory"} <= prefixes


def test_the_sandbox_shows_the_limits_it_promises() -> None:
    """Not an escape: the facts the corpus relies on, read from inside."""
    output = sandboxed(
        PRELUDE + "status = dict(line.split(':\\t') for line in open('/proc/self/status').read().splitlines())\n"
        "pids = [name for name in os.listdir('/proc') if name.isdigit()]\n"
        "print(os.getuid(), status['CapEff'], status['NoNewPrivs'], len(pids), sorted(os.listdir('/')))\n"
    )
    uid, effective, no_new_privs, processes, listing = output.split(" ", 4)
    assert int(uid) != 0
    assert (effective, no_new_privs) == ("0000000000000000", "1")
    assert processes == "2"  # bwrap's init and the child: none of the host's
    root = set(ast.literal_eval(listing))
    assert {"dev", "proc", "scratch", "usr"} <= root
    assert not {"etc", "home", "tmp", "work", "var"} & root
