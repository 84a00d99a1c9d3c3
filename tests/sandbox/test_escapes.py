"""A hostile model's Code actions, each tried through the executor: the side effect it aims at does not happen
on this machine, the action ends with a value or a recorded error, and lumos goes on to the next action."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lumos.format.types import Action, ActionResult
from lumos.sandbox import SandboxUnavailableError, check
from lumos.tools.base import registry
from lumos.tools.executor import Executor

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def sandbox() -> None:
    try:
        check()
    except SandboxUnavailableError as exc:
        if os.environ.get("CI"):  # `make test` installs bubblewrap: CI must have the sandbox
            raise
        pytest.skip(str(exc))


def attempt(code: str, limit: float = 5.0) -> ActionResult:
    """Run one Code action, then an ordinary one on the same executor, which must still work."""
    executor = Executor(registry.instantiate("maths"), action_time_limit=limit)
    result = executor.execute([Action(outputs=["R1"], tool="Code", args=code)])[0]
    after = executor.execute([Action(outputs=["R2"], tool="Calculator", args="6 * 7")])[0]
    assert after.error is None and after.outputs == {"R2": "42"}, after
    return result


def shown(result: ActionResult) -> str:
    """Everything the action gave back to the model: its value or its error message."""
    return result.error.message if result.error else " ".join(result.outputs.values())


# ----------------------------------------------------------------------------------- writes outside

WRITES = [
    "import posix\nposix.system('touch {path}')",
    "import ctypes\nctypes.CDLL(None).system(b'touch {path}')",
    "import io\nio.FileIO('{path}', 'w').write(b'x')",
    "import _io\n_io.FileIO('{path}', 'w').write(b'x')",
    "import importlib, os\nimportlib.reload(os)\nos.system('touch {path}')",
    "import builtins\nbuiltins.__dict__['__import__']('posix').system('touch {path}')",
    "import sys\nsys.modules['posix'].system('touch {path}')",
    "import posix\nposix.close(posix.open('{path}', posix.O_WRONLY | posix.O_CREAT))",
    "import os\nos.makedirs('{dir}', exist_ok=True)\nopen('{path}', 'w').write('x')",
    "import ctypes\nlibc = ctypes.CDLL(None)\nlibc.creat(b'{path}', 0o644)",
    "import os\nos.symlink('{path}', 'link')\nopen('link', 'w').write('x')",
    "import subprocess\nsubprocess.run(['/bin/sh', '-c', 'touch {path}'])",
    "import posix\nposix.execv('/bin/sh', ['sh', '-c', 'touch {path}'])",
    "import ctypes\nctypes.CDLL(None).execl(b'/bin/sh', b'sh', b'-c', b'touch {path}', None)",
]


@pytest.mark.parametrize("template", WRITES)
def test_no_file_is_written_outside(template: str, tmp_path: Path) -> None:
    target = tmp_path / "made-by-code"
    result = attempt(template.format(path=target, dir=tmp_path))
    assert not target.exists(), shown(result)


@pytest.mark.parametrize(
    "template",
    [
        "import shutil\nshutil.rmtree('{dir}')",
        "import posix\nposix.unlink('{path}')",
        "import ctypes\nctypes.CDLL(None).unlink(b'{path}')",
        "import posix\nposix.system('rm -rf {dir}')",
        "open('{path}', 'w').write('gone')",
    ],
)
def test_no_file_is_changed_or_deleted_outside(template: str, tmp_path: Path) -> None:
    victim = tmp_path / "keep.txt"
    victim.write_text("keep me")
    attempt(template.format(path=victim, dir=tmp_path))
    assert victim.read_text() == "keep me"


def test_the_runtime_and_packages_are_read_only() -> None:
    import sympy

    init = Path(sympy.__file__)
    before = init.stat().st_mtime_ns
    for code in (
        f"open({str(init)!r}, 'a').write('# changed')",
        "import sys, os\nans = open(os.path.realpath(sys.executable), 'ab').write(b'x')",
    ):
        result = attempt(code)
        assert result.error is not None
    assert init.stat().st_mtime_ns == before


# ------------------------------------------------------------------------------------ reads outside


@pytest.mark.parametrize(
    "template",
    [
        "ans = open('{path}').read()",
        "import posix\nfd = posix.open('{path}', posix.O_RDONLY)\nans = posix.read(fd, 100).decode()",
        "import ctypes\nlibc = ctypes.CDLL(None)\nfd = libc.open(b'{path}', 0)\nbuf = ctypes.create_string_buffer(100)\n"
        "libc.read(fd, buf, 100)\nans = buf.value.decode()",
        "import os\nos.symlink('{path}', 'peek')\nans = open('peek').read()",
        "ans = open('/proc/self/root{path}').read()",
        "ans = open('/proc/1/root{path}').read()",
    ],
)
def test_no_file_outside_can_be_read(template: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("hunter2-secret")
    result = attempt(template.format(path=secret))
    assert "hunter2" not in shown(result)


@pytest.mark.parametrize(
    "path",
    ["/etc/passwd", "/etc/shadow", "/root/.bashrc", str(PROJECT / "pyproject.toml"), "/proc/self/environ"],
)
def test_home_project_etc_and_proc_are_not_there(path: str) -> None:
    result = attempt(f"import os\nans = os.path.exists({path!r})")
    assert result.error is None and result.outputs["R1"] == "False"


def test_the_box_shows_only_what_python_needs() -> None:
    result = attempt("import os\nans = ' '.join(sorted(os.listdir('/')))")
    top = set(result.outputs["R1"].split())
    assert "etc" not in top and "home" not in top and "proc" not in top and "code" in top
    result = attempt("import os\nans = os.getcwd()")
    assert result.outputs["R1"] == "/code"


def test_environment_secrets_are_not_visible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUMOS_TEST_SECRET", "hunter2")
    for code in (
        "import os\nans = repr(dict(os.environ))",
        "import posix\nans = repr(posix.environ)",
        "ans = open('/proc/self/environ').read()",
        f"ans = open('/proc/{os.getpid()}/environ').read()",
    ):
        assert "hunter2" not in shown(attempt(code))


# ------------------------------------------------------------------------------------------ network


@pytest.fixture
def listener() -> Iterator[tuple[int, list[object]]]:
    """A TCP listener on 127.0.0.1 that records every connection it accepts."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    accepted: list[object] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            accepted.append(conn)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(2)
        server.close()


@pytest.mark.parametrize(
    "template",
    [
        "import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)",
        "import _socket\ns = _socket.socket()\ns.connect(('127.0.0.1', {port}))",
        "import ctypes, struct\nlibc = ctypes.CDLL(None)\nfd = libc.socket(2, 1, 0)\n"
        "addr = struct.pack('<HH4s8x', 2, {port} >> 8 | ({port} & 255) << 8, bytes([127, 0, 0, 1]))\n"
        "ans = [fd, libc.connect(fd, addr, 16)]",
        "import urllib.request\nurllib.request.urlopen('http://127.0.0.1:{port}/', timeout=1)",
    ],
)
def test_no_connection_reaches_the_host(template: str, listener: tuple[int, list[object]]) -> None:
    port, accepted = listener
    attempt(template.format(port=port))
    time.sleep(0.3)
    assert accepted == []


# ---------------------------------------------------------------------------------------- processes


def test_code_cannot_kill_lumos_or_other_processes() -> None:
    me = os.getpid()
    for code in (
        "import posix, signal\nposix.kill(posix.getppid(), signal.SIGKILL)",
        f"import posix, signal\nposix.kill({me}, signal.SIGKILL)",
        f"import ctypes\nctypes.CDLL(None).kill({me}, 9)",
        "import posix, signal\nposix.killpg(posix.getpgid(0), signal.SIGKILL)",
    ):
        attempt(code)
    assert os.getpid() == me  # still here


def test_no_process_outlives_its_action(tmp_path: Path) -> None:
    """A child that would write a file after the action ended: it never starts, or dies with the action."""
    marker = tmp_path / "late"
    for code in (
        f"import posix, time\nif posix.fork() == 0:\n    time.sleep(1)\n    open('{marker}', 'w').write('x')\nans = 1",
        f"import ctypes, time\nif ctypes.CDLL(None).fork() == 0:\n    time.sleep(1)\n    open('{marker}', 'w')\nans = 1",
        f"import posix\nposix.posix_spawn('/bin/sh', ['sh', '-c', 'sleep 1; touch {marker}'], {{}})\nans = 1",
    ):
        attempt(code)
    time.sleep(1.5)
    assert not marker.exists()


def test_a_fork_bomb_is_bounded() -> None:
    start = time.perf_counter()
    result = attempt(
        "import posix\nn = 0\nfor _ in range(10000):\n    try:\n        posix.fork()\n        n += 1\n"
        "    except OSError:\n        break\nans = n",
        limit=3.0,
    )
    assert time.perf_counter() - start < 10
    assert result.error is not None or result.outputs["R1"] == "0"


def test_filling_the_disk_stops_at_the_limit(tmp_path: Path) -> None:
    for code in (
        "n = 0\nfor i in range(1000):\n    open(f'f{i}', 'wb').write(b'0' * 1_000_000)\n    n += 1\nans = n",
        "open('big', 'wb').write(b'0' * 100_000_000)",
        "import os\nos.write(3, b'0' * 100_000_000)",  # the result channel, a file outside the box
    ):
        result = attempt(code, limit=5.0)
        assert result.error is not None
    assert not list(Path(tempfile.gettempdir()).glob(f"lumos-code-{os.getpid()}-*"))  # this process's scratch


def test_namespaces_and_kernel_calls_are_refused() -> None:
    for code in (
        "import ctypes\nans = ctypes.CDLL(None).unshare(0x10000000)",  # CLONE_NEWUSER
        "import ctypes\nans = ctypes.CDLL(None).mount(b'none', b'/code', b'tmpfs', 0, None)",
        "import ctypes\nans = ctypes.CDLL(None).ptrace(16, 1, 0, 0)",  # PTRACE_ATTACH to the box's init
        "import ctypes\nans = ctypes.CDLL(None).chroot(b'/code')",
    ):
        result = attempt(code)
        assert result.error is None and result.outputs["R1"] == "-1", shown(result)


def test_code_runs_as_an_unprivileged_user_in_its_own_pid_space() -> None:
    result = attempt("import os\nans = [os.getuid(), os.getgid(), os.getpid() < 10]")
    assert result.outputs["R1"] == "[65534, 65534, True]"


def _descendants(root: int) -> set[int]:
    """The live processes below ``root`` (by parent pid), found in /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def test_the_box_dies_with_lumos() -> None:
    """lumos killed with SIGKILL in the middle of a Code action leaves no process of the box behind."""
    import signal
    import subprocess
    import sys

    program = "from lumos.tools.executor import run_program\nrun_program('R1 = Code(while True:\\n    pass)', action_time_limit=60)"
    lumos = subprocess.Popen([sys.executable, "-c", program])
    box: set[int] = set()
    try:
        deadline = time.monotonic() + 30
        while len(box) < 3 and time.monotonic() < deadline:  # bwrap, the box's init, the Code process
            time.sleep(0.1)
            box = _descendants(lumos.pid)
        assert len(box) >= 3, "the Code action never started"
    finally:
        lumos.send_signal(signal.SIGKILL)
        lumos.wait()
    deadline = time.monotonic() + 5
    while _alive(box) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _alive(box) == set()
