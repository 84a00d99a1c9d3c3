"""Run a Python program on model input in the box (or, opted out, in a plain child process) and collect it."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass

from lumos.sandbox.bubblewrap import check, command
from lumos.sandbox.policy import unsafe_code_allowed, warn_unsafe_code
from lumos.sandbox.seccomp import filter_fd
from lumos.tempdirs import make_temp_dir

OUTPUT_LIMIT = 2_000_000
"""Bytes of the program's standard output read back (its file-size limit bounds what it can write)."""


SCRATCH_PREFIX = "lumos-code-"


@dataclass(frozen=True)
class Finished:
    """How a sandboxed program ended."""

    returncode: int | None
    output: bytes
    errors: str
    timed_out: bool


def run_untrusted_python(program: str, stdin: bytes, *, time_limit: float) -> Finished:
    """Run ``python -c program`` with ``stdin`` on its standard input for at most ``time_limit`` seconds.

    In the box of :mod:`lumos.sandbox.bubblewrap` unless the user opted out with ``--unsafe-code``; where
    the box cannot start, raises :class:`~lumos.sandbox.bubblewrap.SandboxUnavailableError` (fail closed).
    The program's own arguments (``sys.argv[1:]``) are the folders of the packages it may import. Every
    process of the run is killed when it ends or times out."""
    scratch = make_temp_dir(SCRATCH_PREFIX)  # outside the box: only its two open files go in
    fds: tuple[int, ...] = ()
    try:
        if not unsafe_code_allowed():
            box = check()
            fd = filter_fd()
            fds = (fd,)
            argv, cwd, env = command(box, program, fd), scratch, {"PATH": os.defpath}
        else:
            warn_unsafe_code()
            argv, cwd = [sys.executable, "-I", "-c", program], scratch
            env = {"PATH": os.defpath, "HOME": scratch, "TMPDIR": scratch, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        return _run(argv, cwd, env, fds, stdin, time_limit, scratch)
    finally:
        for fd in fds:
            os.close(fd)
        shutil.rmtree(scratch, ignore_errors=True)


def _run(
    argv: list[str],
    cwd: str,
    env: dict[str, str],
    fds: tuple[int, ...],
    stdin: bytes,
    time_limit: float,
    scratch: str,
) -> Finished:
    out_path, err_path = os.path.join(scratch, "stdout"), os.path.join(scratch, "stderr")
    timed_out = False
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
            cwd=cwd,
            env=env,
            pass_fds=fds,
            start_new_session=True,
            close_fds=True,
        )
        try:
            assert proc.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.write(stdin)
                proc.stdin.close()
            try:
                proc.wait(timeout=time_limit)
            except subprocess.TimeoutExpired:
                timed_out = True
        finally:
            _kill_group(proc)
    return Finished(proc.returncode, _head(out_path), _tail(err_path), timed_out)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the program's process group; in the box, its PID namespace dies with its first process."""
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _head(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(OUTPUT_LIMIT)
    except OSError:
        return b""


def _tail(path: str, size: int = 2000) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - size))
            return f.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""
