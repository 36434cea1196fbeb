"""The OS sandbox ``run_python``'s child runs in: bubblewrap (Linux namespaces), probed once.

Inside, the child sees ``/usr`` and the Python installation read-only, a private ``/proc`` and
``/dev``, and a scratch tmpfs of bounded size as its working directory; nothing else of the host
(no ``/etc``, ``/home``, ``/tmp``, ``/root`` or the repository). It has its own network namespace
(with only its own loopback), pid, IPC, UTS and cgroup namespaces, no environment variables, no
capabilities and ``no_new_privs``, and a seccomp filter (``_seccomp``) refuses it new namespaces, mounts
and the kernel's riskiest system calls.

As root, bwrap creates no user namespace: uid 0 inside one is the real root, whom the kernel
exempts from ``RLIMIT_NPROC``. Instead ``setpriv`` drops to nobody (65534) inside the sandbox, so the
child's limits hold. As a normal user, a user namespace maps the user to itself (and forbids
nested ones), and the limits hold as they are.

Where this cannot work (not Linux, bwrap missing, user namespaces disabled) ``require_isolation``
raises a permanent ToolError saying what to fix: code never runs under the audit hook alone.
"""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import sys
from collections.abc import Sequence

from microturn._core._tools import ToolError
from microturn._tools._sandbox._seccomp import seccomp_program, supported

__all__ = ["SCRATCH", "Sandbox", "require_isolation"]

SCRATCH = "/scratch"
"""The child's working directory: a tmpfs that exists only inside the sandbox."""
NOBODY = 65534
_ROOT_NAMESPACES = ("--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try")
_PROBE_CODE = "import os; print(os.getuid())"
_verdicts: dict[tuple[str | None, str | None, bool], str] = {}
"""The probe's answer per (bwrap, setpriv, running as root): "" when the sandbox works, else why not."""


class Sandbox:
    """How to start a program inside bubblewrap on this host."""

    def __init__(self, bwrap: str, setpriv: str | None, *, root: bool) -> None:
        self._bwrap = bwrap
        self._setpriv = setpriv
        self._root = root

    @staticmethod
    def interpreter() -> str:
        """The real Python binary (not a virtualenv's link to it), at a path the sandbox shows."""
        return os.path.realpath(getattr(sys, "_base_executable", sys.executable))

    def argv(self, program: Sequence[str], *, scratch_bytes: int, seccomp_fd: int) -> list[str]:
        """The command running ``program`` (an absolute path first) in the sandbox, filtered by the
        seccomp program in ``seccomp_fd`` (see ``_seccomp``; pass the descriptor to the process)."""
        argv = [self._bwrap, "--die-with-parent", "--new-session", "--clearenv", "--seccomp", str(seccomp_fd)]
        # A user namespace as root would make the child the real root, exempt from RLIMIT_NPROC. Without
        # root, one is required (--unshare-all alone only tries), and the code may not make more.
        argv += _ROOT_NAMESPACES if self._root else ("--unshare-all", "--unshare-user", "--disable-userns")
        argv += ["--ro-bind", "/usr", "/usr", *_mirror_top_level()]
        argv += _expose([os.path.realpath(sys.base_prefix), self.interpreter()])
        argv += ["--proc", "/proc", "--dev", "/dev"]
        argv += ["--size", str(scratch_bytes), "--perms", "1777", "--tmpfs", SCRATCH, "--chdir", SCRATCH]
        if not self._root:
            return [*argv, "--", *program]
        assert self._setpriv is not None
        # Root keeps only what setpriv needs to become nobody; setpriv then drops even that.
        argv += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
        drop = [f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"]
        return [*argv, "--", self._setpriv, *drop, "--no-new-privs", *program]


async def require_isolation() -> Sandbox:
    """The sandbox, or a permanent ToolError saying why it cannot work here and how to fix that."""
    if not sys.platform.startswith("linux"):
        raise _refusal(f"it needs Linux (bubblewrap), and this is {sys.platform}")
    bwrap, setpriv, root = shutil.which("bwrap"), shutil.which("setpriv"), os.geteuid() == 0
    if bwrap is None:
        raise _refusal("bwrap is not installed; install bubblewrap: apt-get install bubblewrap")
    if not supported():
        raise _refusal(f"its seccomp filter knows no system calls of {platform.machine()} (only x86_64 and aarch64)")
    if root and setpriv is None:
        raise _refusal("setpriv (to drop root) is not installed; install it: apt-get install util-linux")
    sandbox = Sandbox(bwrap, setpriv, root=root)
    key = (bwrap, setpriv, root)
    if key not in _verdicts:
        _verdicts[key] = await _probe(sandbox, root=root)
    if _verdicts[key]:
        raise _refusal(_verdicts[key])
    return sandbox


def _refusal(why: str) -> ToolError:
    return ToolError(f"run_python refuses to run code without its OS sandbox: {why}", transient=False)


async def _probe(sandbox: Sandbox, *, root: bool) -> str:
    """What went wrong in a trial run of a trivial program; "" if it ran sandboxed, and not as root."""
    with seccomp_program() as seccomp:
        process = await asyncio.create_subprocess_exec(
            *sandbox.argv(
                [sandbox.interpreter(), "-I", "-S", "-c", _PROBE_CODE], scratch_bytes=1024 * 1024, seccomp_fd=seccomp
            ),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={},
            pass_fds=(seccomp,),
        )
    out, err = await process.communicate()
    if process.returncode == 0 and out.strip().isdigit():
        return "" if int(out) != 0 else "a trial run in bubblewrap ran as root: the sandbox did not drop privileges"
    said = err.decode(errors="replace").strip() or f"exit status {process.returncode}, output {out!r}"
    if root:
        return f"a trial run in bubblewrap failed ({said})"
    return (
        f"a trial run in bubblewrap failed ({said}); if user namespaces are disabled, enable them "
        "(sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone, or an AppArmor profile for bwrap)"
    )


def _mirror_top_level() -> list[str]:
    """/bin, /lib and /lib64 as the host has them: links into /usr (merged /usr), or directories."""
    argv: list[str] = []
    for path in ("/bin", "/lib", "/lib64"):
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    return argv


def _expose(paths: Sequence[str]) -> list[str]:
    """Bind each path read-only at the same place (libpython's RUNPATH is absolute), unless already shown.

    bwrap makes missing parent directories 0700, which nobody could not cross: make them 0755 first.
    """
    argv: list[str] = []
    bound, made = ["/usr"], set()
    for path in paths:
        if any(path == root or path.startswith(root + "/") for root in bound):
            continue
        parent, ancestors = os.path.dirname(path), []
        while parent != "/":
            ancestors.append(parent)
            parent = os.path.dirname(parent)
        for directory in reversed(ancestors):
            if directory not in made:
                argv += ["--perms", "0755", "--dir", directory]
                made.add(directory)
        argv += ["--ro-bind", path, path]
        bound.append(path)
    return argv
