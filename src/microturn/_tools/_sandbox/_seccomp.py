"""A seccomp filter for the sandbox: no new namespaces, and none of the kernel's riskiest doors.

bwrap applies it (``--seccomp FD``) just before it starts the program. Without it, code running as
nobody could still ``unshare(CLONE_NEWUSER)`` into a user namespace of its own where it holds every
capability, then mount and configure networks there: no way out by itself, but exactly the kernel
surface most privilege escalations go through. The filter refuses, with EPERM, making or joining
namespaces and mounting, and the syscalls a short Python program never needs whose bugs are the usual
way out of a sandbox (ptrace, bpf, userfaultfd, io_uring, keyrings, perf events). ``clone3`` passes
its flags in memory, where a filter cannot look: it fails with ENOSYS, and the C library falls back
to ``clone``, whose flags are checked. Any other architecture's calls (x32 on x86-64) kill the process.
"""

from __future__ import annotations

import contextlib
import errno
import os
import platform
import struct
from collections.abc import Iterator

__all__ = ["seccomp_program", "supported"]

_NAMESPACES = 0x7E020000
"""CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET."""
_GENERIC = {"clone3": 435, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428}
_GENERIC |= {"move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442}
_ARCHES: dict[str, tuple[int, dict[str, int]]] = {
    # machine: (AUDIT_ARCH_*, syscall numbers)
    "x86_64": (
        0xC000003E,
        _GENERIC | {"clone": 56, "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155}
        | {"ptrace": 101, "bpf": 321, "userfaultfd": 323, "keyctl": 250, "add_key": 248, "request_key": 249}
        | {"perf_event_open": 298},
    ),
    "aarch64": (
        0xC00000B7,
        _GENERIC | {"clone": 220, "unshare": 97, "setns": 268, "mount": 40, "umount2": 39, "pivot_root": 41}
        | {"ptrace": 117, "bpf": 280, "userfaultfd": 282, "keyctl": 219, "add_key": 217, "request_key": 218}
        | {"perf_event_open": 241},
    ),
}  # fmt: skip
_X32 = 0x40000000

# Classic BPF over struct seccomp_data {int nr; u32 arch; u64 ip; u64 args[6]} (little-endian).
_LOAD, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_NR, _ARCH, _ARG0 = 0, 4, 16
_ALLOW, _KILL = 0x7FFF0000, 0x80000000
_EPERM, _ENOSYS = 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS


def supported() -> bool:
    """Whether this machine's architecture has a filter here."""
    return platform.machine() in _ARCHES


def _program(machine: str) -> bytes:
    arch, numbers = _ARCHES[machine]
    refused = [number for name, number in numbers.items() if name not in {"clone", "clone3"}]
    # Each entry: (code, k, jump-if-true label, jump-if-false label); labels are resolved below.
    code: list[tuple[int, int, str, str]] = [(_LOAD, _ARCH, "", ""), (_JEQ, arch, "", "kill"), (_LOAD, _NR, "", "")]
    if machine == "x86_64":
        code.append((_JGE, _X32, "kill", ""))
    code += [(_JEQ, number, "eperm", "") for number in refused]
    code += [(_JEQ, numbers["clone3"], "enosys", ""), (_JEQ, numbers["clone"], "", "allow")]
    code += [(_LOAD, _ARG0, "", ""), (_JSET, _NAMESPACES, "eperm", "allow")]
    ends = {"allow": _ALLOW, "eperm": _EPERM, "enosys": _ENOSYS, "kill": _KILL}
    where = {label: len(code) + index for index, label in enumerate(ends)}
    out = bytearray()
    for index, (op, k, yes, no) in enumerate(code):
        jump_true = where[yes] - index - 1 if yes else 0
        jump_false = where[no] - index - 1 if no else 0
        out += struct.pack("<HBBI", op, jump_true, jump_false, k)
    for value in ends.values():
        out += struct.pack("<HBBI", _RET, 0, 0, value)
    return bytes(out)


@contextlib.contextmanager
def seccomp_program() -> Iterator[int]:
    """A descriptor holding the compiled filter, for bwrap's ``--seccomp``; one per run (bwrap reads it to the end)."""
    fd = os.memfd_create("microturn-seccomp", os.MFD_CLOEXEC)
    try:
        os.write(fd, _program(platform.machine()))
        os.lseek(fd, 0, os.SEEK_SET)
        yield fd
    finally:
        os.close(fd)
