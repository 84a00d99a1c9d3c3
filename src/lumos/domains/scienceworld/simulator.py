"""One ScienceWorld simulator: the ``scienceworld`` package's Java jar in its own JVM, driven through py4j.

lumos starts the JVM itself (not through ``scienceworld.ScienceWorldEnv``) so that it owns the process:

* the JVM runs in a process group of its own and is killed as a group (``os.killpg``), on :meth:`close`,
  at interpreter exit (``atexit``), on SIGTERM (a handler that kills every live JVM, then exits) and on
  Ctrl-C (the JVMs are killed, then KeyboardInterrupt unwinds as usual). py4j's ``--die-on-broken-pipe`` makes the
  JVM exit by itself when this process dies without any of that (``kill -9``);
* every call has a time limit: a call that runs past it kills the JVM and raises
  :class:`SimulatorCrashedError` (a step error: the episode fails, the pool starts a new simulator);
* a step calls the simulator's ``step`` alone, without the valid-action list, look and inventory that the
  package's own ``step`` computes each time (about 15 times slower).
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from lumos.errors import ConfigError, ToolError, require

log = logging.getLogger(__name__)
T = TypeVar("T")

INSTALL = "pip install 'lumos-agents[scienceworld]'"
JAVA_INSTALL = "apt-get install default-jre-headless"
DEFAULT_JAVA_OPTS = ("-Xmx1g", "-XX:+UseSerialGC")
"""JVM options (``LUMOS_SCIENCEWORLD_JAVA_OPTS`` replaces them): a small heap, one GC thread."""
START_SECONDS = 120.0
"""How long a JVM may take to start (a busy machine is slow)."""


class SimulatorCrashedError(ToolError):
    """The simulator's JVM died or did not answer in time: the episode fails; the pool starts a new one."""

    kind = "simulator_crashed"


class SimulatorStartError(ConfigError):
    """The JVM would not start (no Java, or the package's jar is missing)."""


def check_installed() -> None:
    """Raise a ConfigError naming the install command when ``scienceworld`` or Java is missing."""
    require("scienceworld", package="scienceworld", extra="scienceworld", purpose="ScienceWorld tasks")
    if java_path() is None:
        raise SimulatorStartError(
            f"ScienceWorld runs in Java, and no `java` is on the PATH here: install it (e.g. `{JAVA_INSTALL}`, "
            "Java 11 or later) or set JAVA_HOME"
        )


def java_path() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and os.access(os.path.join(home, "bin", "java"), os.X_OK):
        return os.path.join(home, "bin", "java")
    return shutil.which("java")


def java_opts() -> list[str]:
    raw = os.environ.get("LUMOS_SCIENCEWORLD_JAVA_OPTS")
    return raw.split() if raw is not None else list(DEFAULT_JAVA_OPTS)


# ---------------------------------------------------------------------------------- live JVMs


_LIVE: set[Simulator] = set()
_LIVE_LOCK = threading.RLock()  # re-entrant: a signal handler may run while the main thread holds it
_HANDLER_SET = False


def close_all() -> None:
    """Kill every simulator this process started (atexit, SIGTERM)."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for sim in live:
        sim.close()


def live_pids() -> list[int]:
    """The process ids of the JVMs still running (for tests and reports)."""
    with _LIVE_LOCK:
        return [s.pid for s in _LIVE if s.alive()]


def _on_sigterm(signum: int, frame: Any) -> None:
    close_all()
    raise SystemExit(128 + signum)


def _on_sigint(signum: int, frame: Any) -> None:
    # The JVMs go first: at exit Python joins the simulators' worker threads before atexit runs, and a worker
    # still waiting on its JVM would hold the exit up.
    close_all()
    signal.default_int_handler(signum, frame)


def _install_handlers() -> None:
    """atexit always; SIGTERM and SIGINT handlers where those still have their default actions (main thread
    only)."""
    global _HANDLER_SET
    if _HANDLER_SET:
        return
    _HANDLER_SET = True
    atexit.register(close_all)
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) in (
        signal.SIG_DFL,
        None,
    ):
        signal.signal(signal.SIGTERM, _on_sigterm)
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is (
        signal.default_int_handler
    ):
        signal.signal(signal.SIGINT, _on_sigint)


# ---------------------------------------------------------------------------------- simulator


class Simulator:
    """One JVM running ScienceWorld. ``call(lambda server: ..., seconds)`` runs one request on it."""

    def __init__(self, index: int = 0, *, start_seconds: float = START_SECONDS) -> None:
        self.index = index
        self.loaded: tuple[str, int, str, bool] | None = None
        self.proc: Any = None
        self.gateway: Any = None
        self.server: Any = None
        """The JVM's ``PythonInterface`` (what :meth:`call` hands its function)."""
        self._worker = ThreadPoolExecutor(1, thread_name_prefix=f"scienceworld-{index}")
        self._closed = False
        _install_handlers()
        started = time.monotonic()
        try:
            self._start(start_seconds)
        except BaseException:
            self.close()
            raise
        log.debug("simulator %d started in %.1fs (pid %s)", index, time.monotonic() - started, self.pid)

    def _start(self, seconds: float) -> None:
        check_installed()
        py4j = require("py4j.java_gateway", package="py4j", extra="scienceworld")
        constants = require("scienceworld.constants", package="scienceworld", extra="scienceworld")
        if not os.path.isfile(constants.JAR_PATH):
            raise SimulatorStartError(f"the scienceworld package has no jar at {constants.JAR_PATH}: {INSTALL}")
        launched: dict[str, Any] = {}

        def launch() -> None:
            port, proc = py4j.launch_gateway(
                classpath=constants.JAR_PATH,
                die_on_exit=True,
                cwd=constants.BASEPATH,
                return_proc=True,
                create_new_process_group=True,
                javaopts=java_opts(),
                java_path=java_path() or "java",
            )
            launched.update(port=port, proc=proc)
            with _LIVE_LOCK:  # registered at once, so a SIGTERM during the start still kills it
                self.proc = proc
                _LIVE.add(self)

        future = self._worker.submit(launch)
        try:
            future.result(timeout=seconds)
        except FutureTimeout as exc:
            raise SimulatorStartError(f"the ScienceWorld JVM did not start within {seconds:g}s") from exc
        except (OSError, ValueError) as exc:
            raise SimulatorStartError(
                f"the ScienceWorld JVM would not start ({type(exc).__name__}: {exc}); check `java -version` "
                f"(or `{JAVA_INSTALL}`)"
            ) from exc
        params = py4j.GatewayParameters(auto_field=True, port=launched["port"])
        self.gateway = py4j.JavaGateway(gateway_parameters=params, java_process=launched["proc"])
        self.server = self.gateway.jvm.scienceworld.runtime.pythonapi.PythonInterface()

    @property
    def pid(self) -> int:
        return int(self.proc.pid) if self.proc is not None else -1

    def alive(self) -> bool:
        return not self._closed and self._running()

    def _running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def call(self, fn: Callable[[Any], T], seconds: float, what: str = "a request") -> T:
        """``fn(server)`` on the worker thread; past ``seconds`` the JVM is killed (it may be stuck in a loop)
        and :class:`SimulatorCrashedError` raised, as it is when the JVM is already gone."""
        if not self.alive():
            raise SimulatorCrashedError(f"the simulator's JVM is not running ({what} was not sent)")
        future = self._worker.submit(fn, self.server)
        try:
            return future.result(timeout=seconds)
        except FutureTimeout as exc:
            self.close()
            raise SimulatorCrashedError(
                f"the simulator did not answer {what} within {seconds:g}s; its JVM was stopped"
            ) from exc
        except Exception as exc:
            if self.alive() and not _is_network_error(exc):
                raise
            self.close()
            raise SimulatorCrashedError(
                f"the simulator's JVM died during {what} ({type(exc).__name__}: {str(exc).strip()[:200]})"
            ) from exc

    def close(self) -> None:
        """Kill the JVM's process group and forget the connection (idempotent, never raises)."""
        with _LIVE_LOCK:
            _LIVE.discard(self)
            if self._closed:
                return
            self._closed = True
        proc, self.loaded = self.proc, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # its own group: create_new_process_group
            except (ProcessLookupError, PermissionError):
                proc.kill()
            try:
                proc.wait(timeout=10)
            except Exception as exc:
                log.debug("waiting for JVM %s: %s", proc.pid, exc)
        if self.gateway is not None:
            try:
                self.gateway.close(keep_callback_server=False, close_callback_server_connections=True)
            except Exception as exc:
                log.debug("closing the gateway of JVM %s: %s", self.pid, exc)
            # py4j's proxies free their Java objects from finalizers; collected now, while nothing else runs,
            # rather than by a later garbage collection inside compile() (which CPython 3.11 mishandles)
            self.server = self.gateway = None
            gc.collect()
        self._worker.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_network_error(exc: Exception) -> bool:
    name = type(exc).__name__
    return name in ("Py4JNetworkError", "ConnectionError", "BrokenPipeError", "ConnectionResetError") or isinstance(
        exc, OSError
    )
