"""Batches on a pool of Ray actors, each building its worker once: the driver keeps every result.

An actor builds its worker (models, environment, tools) from a picklable factory on its first batch and
keeps it for every later one. The driver hands each idle actor the next batch and passes each finished
batch's results on at once. A worker process that dies mid-batch (killed, out of memory, its node gone)
loses only that batch's unfinished work: Ray restarts the actor (up to ``RayPlan.retries`` times) and the
batch goes, whole, to the next free actor. A batch's results come back all together or not at all, so none
is delivered twice; an exception raised by the work itself (not a death) stops the run with its message.
"""

from __future__ import annotations

import contextlib
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from lumos.errors import LumosError
from lumos.scale.cluster import RayPlan, cluster_cpus, connect

Item = TypeVar("Item")
Result = TypeVar("Result")
CLOSE_SECONDS = 60.0
CLOSE_SECONDS_ON_ERROR = 10.0


class BatchWorker(Protocol):
    """What an actor builds once: ``run`` answers a batch; ``close`` (optional) frees what it holds."""

    def run(self, batch: Sequence[Any]) -> list[Any]: ...


class WorkerLostError(LumosError):
    """Ray workers kept dying: a batch outlived its retries, or no worker is left."""


@dataclass
class PoolReport:
    workers: int = 0
    batches: int = 0
    retried: int = 0
    """Batches run again because their worker died."""


class BatchActor:
    """The actor: builds the worker on its first batch (so a build error reaches the driver as that error)."""

    def __init__(self, make_worker: Callable[[], BatchWorker]) -> None:
        self.make_worker = make_worker
        self.worker: BatchWorker | None = None

    def run(self, batch: Sequence[Any]) -> list[Any]:
        if self.worker is None:
            self.worker = self.make_worker()
        return self.worker.run(batch)

    def close(self) -> None:
        close = getattr(self.worker, "close", None)
        if close is not None:
            close()


def split(items: Sequence[Item], batch_size: int, workers: int) -> list[list[Item]]:
    """Batches of at most ``batch_size``, small enough that every worker gets one."""
    size = max(1, min(batch_size, -(-len(items) // max(1, workers))))
    return [list(items[lo : lo + size]) for lo in range(0, len(items), size)]


def run_batches(
    make_worker: Callable[[], BatchWorker],
    items: Sequence[Item],
    batch_size: int,
    on_results: Callable[[list[Result]], None],
    plan: RayPlan,
) -> PoolReport:
    """Run ``items`` in batches on Ray actors; call ``on_results`` in the driver with each finished batch's
    results (in the order the batches finish)."""
    report = PoolReport()
    if not items:
        return report
    ray, started = connect(plan.address)
    try:
        deaths = _death_errors(ray)
        wanted = plan.workers or max(1, int(cluster_cpus(ray) // max(plan.cpus, 1e-9)))
        batches = split(items, batch_size, wanted)
        report.batches, report.workers = len(batches), min(wanted, len(batches))
        actor_class = ray.remote(BatchActor).options(
            num_cpus=plan.cpus, num_gpus=plan.gpus, max_restarts=plan.retries, max_task_retries=0
        )
        actors = [actor_class.remote(make_worker) for _ in range(report.workers)]
        finished = False
        try:
            _drive(ray, actors, batches, on_results, plan.retries, deaths, report)
            finished = True
        finally:  # browsers and sessions are freed by their workers, then the workers go
            _close(ray, actors, CLOSE_SECONDS if finished else CLOSE_SECONDS_ON_ERROR)
            for actor in actors:
                ray.kill(actor, no_restart=True)
    finally:
        if started:
            ray.shutdown()
    return report


def _drive(
    ray: Any,
    actors: list[Any],
    batches: Sequence[Sequence[Any]],
    on_results: Callable[[list[Any]], None],
    retries: int,
    deaths: tuple[type[BaseException], ...],
    report: PoolReport,
) -> None:
    pending = deque(range(len(batches)))
    idle = deque(range(len(actors)))
    in_flight: dict[Any, tuple[int, int]] = {}
    attempts: Counter[int] = Counter()
    actor_deaths: Counter[int] = Counter()
    while pending or in_flight:
        while pending and idle:
            actor, batch = idle.popleft(), pending.popleft()
            in_flight[actors[actor].run.remote(list(batches[batch]))] = (actor, batch)
        if not in_flight:
            raise WorkerLostError(f"every Ray worker died more than {retries} times; {len(pending)} batches left")
        ready, _ = ray.wait(list(in_flight), num_returns=1)
        actor, batch = in_flight.pop(ready[0])
        try:
            results = ray.get(ready[0])
        except deaths as exc:  # the process went away: the batch runs again
            attempts[batch] += 1
            actor_deaths[actor] += 1
            if attempts[batch] > retries:
                raise WorkerLostError(
                    f"batch {batch + 1} of {len(batches)} lost its Ray worker {attempts[batch]} times "
                    f"(last: {type(exc).__name__}); the results so far are kept: run again to resume"
                ) from exc
            report.retried += 1
            pending.appendleft(batch)  # first in line, for the next free worker
            if actor_deaths[actor] <= retries:
                idle.append(actor)  # restarted by Ray; last in line, so another worker takes the batch if free
            continue
        except ray.exceptions.RayTaskError as exc:  # the work itself failed: its own error, not Ray's wrapper
            cause = getattr(exc, "cause", None)
            if isinstance(cause, Exception):
                raise cause from exc
            raise
        idle.append(actor)
        on_results(results)


def _close(ray: Any, actors: list[Any], seconds: float) -> None:
    """Let each live worker free what it holds (browsers, servers' sessions) before it is killed."""
    closing = [actor.close.remote() for actor in actors]
    ready, _ = ray.wait(closing, num_returns=len(closing), timeout=seconds)
    for ref in ready:
        with contextlib.suppress(Exception):  # a worker that cannot close is killed all the same
            ray.get(ref)


def _death_errors(ray: Any) -> tuple[type[BaseException], ...]:
    """Ray's exceptions for a worker process that went away (as opposed to an error raised by the work)."""
    errors = ray.exceptions
    names = ("RayActorError", "WorkerCrashedError", "NodeDiedError", "ObjectLostError", "OwnerDiedError")
    return tuple(getattr(errors, name) for name in names if hasattr(errors, name))
