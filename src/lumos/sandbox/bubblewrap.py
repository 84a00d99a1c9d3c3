"""The box model-written Python runs in, built with bubblewrap (``bwrap``).

What the box gives (see the README's Security section):

* new user, PID, network, IPC, UTS and cgroup namespaces; inside, uid and gid 65534 with no capabilities,
  and no further user namespaces;
* a read-only root made of the system's shared libraries, the Python runtime (its standard library; its own
  site-packages hidden) and the packages Code may import (:data:`CODE_PACKAGES`), each mounted alone;
  nothing of the home directory, the project, the run directories, ``/etc`` or ``/proc``;
* a private size-limited ``/code`` as working, temporary and home directory, and ``/dev/null``, ``zero``, ``random``,
  ``urandom``;
* a cleared environment, its own session, and death with the process that started it;
* the seccomp filter of :mod:`lumos.sandbox.seccomp` (no new processes, no network sockets).

CPU time, memory, file size and open files are limited by the Python prelude inside, before any model code.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass

from lumos.errors import ToolError
from lumos.sandbox.seccomp import SeccompUnavailable, filter_fd

BWRAP_ENV = "LUMOS_BWRAP"
"""The bwrap program to use (default: ``bwrap`` on PATH)."""

CODE_PACKAGES = ("sympy", "mpmath", "numpy", "gmpy2")
"""Installed packages Code may import, besides the standard library (each only when installed)."""

WORK_DIR = "/code"
WORK_DIR_BYTES = 32 * 1024 * 1024
SANDBOX_UID = 65534

INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)"
OPT_OUT_HINT = "or pass --unsafe-code to run Code unsandboxed (only inside a disposable container)"

_SYSTEM_LIBRARIES = ("/usr/lib", "/usr/lib64", "/usr/lib32", "/lib", "/lib64", "/lib32")
_DEVICES = ("/dev/null", "/dev/zero", "/dev/random", "/dev/urandom")


class SandboxUnavailableError(ToolError):
    """The OS-level sandbox cannot start here, so Code refuses to run (it never falls back silently)."""

    kind = "sandbox_unavailable"


@dataclass(frozen=True)
class Layout:
    """Where things are: the bwrap program, the interpreter, and the filesystem arguments of the box."""

    bwrap: str
    python: str
    mounts: tuple[str, ...]
    python_paths: tuple[str, ...]


def bwrap_program() -> str | None:
    chosen = os.environ.get(BWRAP_ENV)
    if chosen:
        return chosen if os.path.isfile(chosen) and os.access(chosen, os.X_OK) else None
    return shutil.which("bwrap")


def layout() -> Layout:
    """The box for this interpreter; raises :class:`SandboxUnavailableError` when bwrap is missing."""
    bwrap = bwrap_program()
    if bwrap is None:
        where = os.environ.get(BWRAP_ENV)
        what = f"{BWRAP_ENV}={where} is not an executable file" if where else "bwrap is not installed"
        raise SandboxUnavailableError(f"Code needs its OS-level sandbox, but {what}: {INSTALL_HINT}, {OPT_OUT_HINT}")
    return _layout(bwrap)


@functools.lru_cache(maxsize=4)
def _layout(bwrap: str) -> Layout:
    python = os.path.realpath(sys.executable)
    mounts: list[str] = []
    bound: list[str] = []

    def bind(path: str) -> None:
        real = os.path.realpath(path)
        if os.path.exists(real) and not any(_inside(real, b) for b in bound):
            mounts.extend(["--ro-bind", real, real])
            bound.append(real)

    for path in _SYSTEM_LIBRARIES:
        if os.path.islink(path):
            mounts.extend(["--symlink", os.readlink(path), path])
        elif os.path.isdir(path):
            bind(path)
    bind(python)
    base = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}
    runtime = sysconfig.get_paths(vars=base)
    for key in ("stdlib", "platstdlib"):
        bind(runtime[key])
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    if os.path.isdir(libdir):
        for name in sorted(os.listdir(libdir)):
            if name.startswith("libpython"):
                bind(os.path.join(libdir, name))
    masked = []
    for key in ("purelib", "platlib"):
        site = os.path.realpath(runtime[key])
        if os.path.isdir(site) and site not in masked and any(_inside(site, b) for b in bound):
            mounts.extend(["--tmpfs", site])
            masked.append(site)
    paths: list[str] = []
    for name in CODE_PACKAGES:
        for path in _package_files(name):
            mounts.extend(["--ro-bind", path, path])
        parent = _package_parent(name)
        if parent and parent not in paths:
            paths.append(parent)
    for site in masked:
        mounts.extend(["--remount-ro", site])
    for device in _DEVICES:
        if os.path.exists(device):
            mounts.extend(["--dev-bind", device, device])
    mounts.extend(["--size", str(WORK_DIR_BYTES), "--tmpfs", WORK_DIR, "--chdir", WORK_DIR, "--remount-ro", "/"])
    return Layout(bwrap, python, tuple(mounts), tuple(paths))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _package_parent(name: str) -> str | None:
    files = _package_files(name)
    return os.path.dirname(files[0]) if files else None


@functools.cache
def _package_files(name: str) -> tuple[str, ...]:
    """The folder (or file) of an installed top-level package, and its bundled libraries (``numpy.libs``)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return ()
    if spec is None:
        return ()
    if spec.submodule_search_locations:
        found = os.path.realpath(next(iter(spec.submodule_search_locations)))
    elif spec.origin and os.path.isfile(spec.origin):
        found = os.path.realpath(spec.origin)
    else:
        return ()
    extra = os.path.join(os.path.dirname(found), f"{name}.libs")
    return (found, extra) if os.path.isdir(extra) else (found,)


def command(box: Layout, program: str, seccomp_fd: int) -> list[str]:
    """The full command line that runs ``python -c program`` in the box."""
    return [
        box.bwrap,
        "--unshare-user",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--disable-userns",
        "--uid",
        str(SANDBOX_UID),
        "--gid",
        str(SANDBOX_UID),
        "--hostname",
        "lumos-code",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        *_env(),
        *box.mounts,
        "--seccomp",
        str(seccomp_fd),
        "--",
        box.python,
        "-I",
        "-c",
        program,
        *box.python_paths,
    ]


def _env() -> list[str]:
    values = {
        "HOME": WORK_DIR,
        "TMPDIR": WORK_DIR,
        "PATH": "/nonexistent",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    return [part for key, value in values.items() for part in ("--setenv", key, value)]


def check() -> Layout:
    """The box, once it has been seen to start here; else :class:`SandboxUnavailableError` naming the fix."""
    box = layout()
    problem = _probe(box)
    if problem:
        raise SandboxUnavailableError(f"Code needs its OS-level sandbox, which cannot start here: {problem}")
    return box


@functools.lru_cache(maxsize=4)
def _probe(box: Layout) -> str:
    """Start the box once with a program that checks its own isolation; empty when it works."""
    probe = (
        "import os, sys\n"
        f"assert os.getuid() == {SANDBOX_UID}, 'not the sandbox user'\n"
        "assert not os.path.exists('/etc/passwd'), '/etc is visible'\n"
    )
    try:
        fd = filter_fd()
    except SeccompUnavailable as exc:
        return f"{exc}; {OPT_OUT_HINT}"
    try:
        done = subprocess.run(
            command(box, probe, fd), pass_fds=(fd,), capture_output=True, timeout=60, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{box.bwrap} did not run ({exc}); {INSTALL_HINT}, {OPT_OUT_HINT}"
    finally:
        os.close(fd)
    if done.returncode == 0:
        return ""
    said = done.stderr.decode("utf-8", "replace").strip().splitlines()
    reason = said[-1] if said else f"exit status {done.returncode}"
    return (
        f"{reason}. User namespaces may be disabled (sysctl kernel.unprivileged_userns_clone=1, or "
        f"kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu), {OPT_OUT_HINT}"
    )
