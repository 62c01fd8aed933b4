"""A process that cannot open network connections: a seccomp filter that refuses ``socket()``.

User SPARQL runs in worker processes (kg.sparql.pool). Oxigraph evaluates SERVICE by sending an
HTTP request, and a check on the query's text can always be fooled; so the guarantee is made
where the connection would be opened. ``deny_sockets()`` installs a Linux seccomp filter in the
calling process (inherited by its threads and children, irrevocable): every ``socket()`` and
``socketpair()`` call, and ``io_uring_setup`` (a way around them), fail with EACCES. Sockets the
process already holds (the worker's pipe to the server) keep working; no new one can be made,
so no query can reach another host, a local port, or a Unix socket.

The filter is built by hand (classic BPF, a dozen instructions) to avoid a native dependency;
``SandboxUnavailableError`` is raised where it cannot be installed (another OS or architecture,
seccomp disabled): the caller then refuses to run untrusted queries rather than run them open.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct
import sys
from typing import Any

# Linux ABI constants (linux/filter.h, linux/seccomp.h, linux/audit.h, linux/prctl.h).
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K
_OFFSET_NR, _OFFSET_ARCH = 0, 4  # struct seccomp_data
_X32_BIT = 0x40000000

# Per architecture: the audit arch value and the numbers of the refused system calls.
_ARCHES: dict[str, tuple[int, tuple[int, ...]]] = {
    "x86_64": (0xC000003E, (41, 53, 425)),  # socket, socketpair, io_uring_setup
    "aarch64": (0xC00000B7, (198, 199, 425)),
}


class SandboxUnavailableError(RuntimeError):
    """Raised when the socket filter cannot be installed on this platform or kernel."""


def _instruction(code: int, jump_true: int, jump_false: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jump_true, jump_false, k)


def _program(arch: int, refused: tuple[int, ...]) -> bytes:
    """The filter: wrong architecture or x32 calls refused, the listed calls refused, the rest allowed."""
    deny = _RET_ERRNO | errno.EACCES
    checks = b"".join(_instruction(_JEQ_K, len(refused) - index, 0, nr) for index, nr in enumerate(refused))
    return b"".join(
        [
            _instruction(_LD_W_ABS, 0, 0, _OFFSET_ARCH),
            _instruction(_JEQ_K, 1, 0, arch),
            _instruction(_RET_K, 0, 0, deny),
            _instruction(_LD_W_ABS, 0, 0, _OFFSET_NR),
            _instruction(_JGE_K, len(refused) + 1, 0, _X32_BIT),
            checks,
            _instruction(_RET_K, 0, 0, _RET_ALLOW),
            _instruction(_RET_K, 0, 0, deny),
        ]
    )


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def deny_sockets() -> None:
    """Make every later ``socket()`` call of this process fail; raise SandboxUnavailableError if impossible."""
    machine = platform.machine()
    if not sys.platform.startswith("linux") or machine not in _ARCHES:
        raise SandboxUnavailableError(f"no socket filter for {sys.platform}/{machine} (Linux x86_64 or aarch64)")
    program = _program(*_ARCHES[machine])
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.addressof(buffer))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SandboxUnavailableError(f"prctl(NO_NEW_PRIVS) failed: errno {ctypes.get_errno()}")
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise SandboxUnavailableError(f"seccomp filter refused by the kernel: errno {ctypes.get_errno()}")


def lock_out_and_greet(connection: Any, sandboxed: bool) -> bool:
    """A child's first step: deny sockets (if ``sandboxed``), then send ("ready",) and return True.

    When the sandbox cannot be installed, send ("unsafe", why) and return False: the child must stop.
    """
    if sandboxed:
        try:
            deny_sockets()
        except SandboxUnavailableError as error:
            connection.send(("unsafe", str(error)))
            return False
    connection.send(("ready",))
    return True
