"""Batches of a benchmark's own episodes (web pages, shop goals), here or on Ray, for runners of their own.

A runner (:mod:`lumos.eval.custom`) gives :func:`run_in_batches` its episodes and ``make_worker``, a picklable
function from the run to a worker that owns the environment (a browser pool, a shop) and answers a batch of
episodes with their prediction records. Without ``--ray`` one worker runs every batch here on the run's
models; with it each Ray worker builds its own, over models it loads itself (or servers it points at).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from lumos.eval.custom import MethodRun
from lumos.models.base import Model
from lumos.scale.pool import BatchWorker, PoolReport, run_batches

RecordSink = Callable[[dict[str, Any]], None]
WorkerMaker = Callable[[MethodRun], BatchWorker]


def run_in_batches(
    run: MethodRun, episodes: Sequence[Any], batch_size: int, make_worker: WorkerMaker, on_record: RecordSink
) -> PoolReport | None:
    """Run ``episodes`` in batches of about ``batch_size``; ``on_record`` gets each record in the driver.
    Returns how the Ray workers went (None for a local run)."""
    if run.ray is None:
        worker = make_worker(run)
        try:
            for lo in range(0, len(episodes), batch_size):
                for record in worker.run(episodes[lo : lo + batch_size]):
                    on_record(record)
        finally:
            close_worker(worker)
        return None

    def deliver(records: list[dict[str, Any]]) -> None:
        for record in records:
            on_record(record)

    return run_batches(partial(OwnModelsWorker, make_worker, run.for_workers()), episodes, batch_size, deliver, run.ray)


class OwnModelsWorker:
    """On a Ray worker: the run's models loaded there, and the runner's worker over them."""

    def __init__(self, make_worker: WorkerMaker, run: MethodRun) -> None:
        run = run.with_own_models()
        self.models: list[Model] = [run.planner] + ([run.grounder] if run.grounder is not run.planner else [])
        self.worker = make_worker(run)

    def run(self, batch: Sequence[Any]) -> list[Any]:
        return self.worker.run(batch)

    def close(self) -> None:
        close_worker(self.worker)
        for model in self.models:
            model.close()


def close_worker(worker: Any) -> None:
    close = getattr(worker, "close", None)
    if close is not None:
        close()
