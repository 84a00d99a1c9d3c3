"""A pool of ScienceWorld simulators: one per concurrent episode, reused across episodes and task types.

The pool starts its simulators one after another (a JVM that will not start is a
:class:`SimulatorStartError` naming the install command), replaces one that died or hung
(:meth:`restart`), and kills them all when closed: on leaving its ``with`` block, on Ctrl-C, at interpreter
exit and on SIGTERM (:mod:`lumos.domains.scienceworld.simulator`), so no Java process is left behind.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from lumos.domains.scienceworld.simulator import Simulator, SimulatorStartError
from lumos.errors import ConfigError

log = logging.getLogger(__name__)
T = TypeVar("T")


class SimulatorPool:
    """``size`` simulators; ``simulators[i]`` serves the i-th episode of each batch."""

    def __init__(self, size: int = 1, *, factory: Callable[[int], Simulator] = Simulator) -> None:
        if size < 1:
            raise ConfigError(f"a simulator pool needs at least one simulator, not {size}")
        self.size = size
        self._factory = factory
        self._lock = threading.Lock()
        self.simulators: list[Simulator] = []
        self.restarts = 0
        try:
            for i in range(size):
                self.simulators.append(factory(i))
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> SimulatorPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def map(self, fn: Callable[[Any], T], items: Sequence[Any] | range) -> list[T]:
        """``fn`` over ``items`` in parallel threads (one per simulator), results in order; the first
        exception is raised after every call has finished."""
        items = list(items)
        if len(items) <= 1:
            return [fn(x) for x in items]
        with ThreadPoolExecutor(max_workers=min(len(items), self.size)) as ex:
            futures = [ex.submit(fn, x) for x in items]
            errors = [f.exception() for f in futures]
        first = next((e for e in errors if e is not None), None)
        if first is not None:
            raise first
        return [f.result() for f in futures]

    def healthy(self, index: int) -> bool:
        return self.simulators[index].alive()

    def restart(self, index: int) -> Simulator:
        """Replace simulator ``index`` (after a crash or a hang) with a fresh one."""
        with self._lock:
            self.simulators[index].close()
            self.restarts += 1
            log.warning("restarting ScienceWorld simulator %d", index)
            try:
                self.simulators[index] = self._factory(index)
            except SimulatorStartError:
                raise
            except Exception as exc:
                raise SimulatorStartError(f"simulator {index} would not restart: {exc}") from exc
            return self.simulators[index]

    def renew(self, index: int) -> Simulator:
        """Replace a healthy simulator ``index`` with a fresh one (not counted as a restart): ScienceWorld keeps
        some state across ``load``, so an episode's score can depend on what its simulator played before."""
        with self._lock:
            self.simulators[index].close()
            self.simulators[index] = self._factory(index)
            return self.simulators[index]

    def close(self) -> None:
        """Kill every simulator (idempotent)."""
        with self._lock:
            simulators, self.simulators = self.simulators, []
        for sim in simulators:
            sim.close()
