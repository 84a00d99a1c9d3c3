"""The seccomp filter laid over the sandbox: no new processes, no sockets but local ones, no kernel admin calls.

Built with libseccomp (through ``pyseccomp``) and handed to bubblewrap as a compiled BPF program. Refusing
every process-creating ``clone`` is the process limit: ``RLIMIT_NPROC`` does not bind a process whose
user is root outside its user namespace, and lumos often runs as root in containers.
"""

from __future__ import annotations

import errno
import functools
import os
import tempfile

CLONE_THREAD = 0x00010000
AF_UNIX = 1

# Calls Code never needs that widen what a process in the sandbox can reach.
DENIED_CALLS = (
    "fork",
    "vfork",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "open_by_handle_at",
    "name_to_handle_at",
    "personality",
    "syslog",
    "acct",
    "swapon",
    "swapoff",
    "reboot",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "quotactl",
)


class SeccompUnavailable(RuntimeError):
    """libseccomp or its Python binding is missing; the message says what to install."""


@functools.lru_cache(maxsize=1)
def filter_program() -> bytes:
    """The compiled BPF filter (built once per process), for ``bwrap --seccomp FD``."""
    try:
        import pyseccomp as seccomp
    except (ImportError, OSError, AttributeError) as exc:  # the binding, or libseccomp.so.2 behind it
        raise SeccompUnavailable(
            f"libseccomp is not usable ({type(exc).__name__}: {exc}); install it with "
            "`apt-get install libseccomp2` and `pip install pyseccomp`"
        ) from exc
    deny = seccomp.ERRNO(errno.EPERM)
    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in DENIED_CALLS:
        try:
            rules.add_rule(deny, name)
        except (OSError, ValueError):  # a call this architecture does not have
            continue
    # threads (CLONE_THREAD) may start; a new process may not
    rules.add_rule(deny, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_THREAD, 0))
    # clone3 passes its flags in memory a filter cannot read: ENOSYS makes the C library fall back to clone
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    rules.add_rule(deny, "socket", seccomp.Arg(0, seccomp.NE, AF_UNIX))
    rules.add_rule(deny, "socketpair", seccomp.Arg(0, seccomp.NE, AF_UNIX))
    with tempfile.TemporaryFile() as handle:
        rules.export_bpf(handle)
        handle.seek(0)
        return handle.read()


def filter_fd() -> int:
    """A file descriptor holding the filter, read from its start; the caller closes it."""
    program = filter_program()
    fd = os.memfd_create("lumos-seccomp") if hasattr(os, "memfd_create") else _temp_fd()
    os.write(fd, program)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _temp_fd() -> int:
    with tempfile.TemporaryFile() as handle:
        return os.dup(handle.fileno())
