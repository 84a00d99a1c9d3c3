"""``lumos eval --ray``: a run's batches on Ray actors, written by the driver into the usual run directory.

Each actor builds its own method once from a picklable recipe (``make_method``: it loads the planner and
grounder, or points them at OpenAI-compatible servers, and the tools' models and indexes) and answers
batches with :func:`~lumos.eval.batches.evaluate_batch`, the function a local run uses. The driver appends
the records to ``predictions.jsonl`` as batches finish, so the run directory, its resumption and its
identity checks are those of a local run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from lumos.eval.batches import RecordSink, evaluate_batch
from lumos.eval.benchmarks import Benchmark, Example
from lumos.eval.methods import Method
from lumos.eval.protocol import EvalProtocol
from lumos.scale.cluster import RayPlan
from lumos.scale.pool import PoolReport, run_batches


class EvalWorker:
    """An actor's method, built once; ``close`` lets the recipe free what it loaded."""

    def __init__(
        self, make_method: Callable[[], Method], bench: Benchmark, protocol: EvalProtocol | None
    ) -> None:
        self.make_method = make_method
        self.bench = bench
        self.protocol = protocol
        self.method = make_method()

    def run(self, batch: Sequence[Example]) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        evaluate_batch(self.method, self.bench, batch, records.append, self.protocol)
        return records

    def close(self) -> None:
        close = getattr(self.make_method, "close", None)
        if close is not None:
            close()


class RayExecutor:
    """An :class:`~lumos.eval.batches.Executor` over Ray actors; ``report`` says how the last run went."""

    def __init__(
        self,
        make_method: Callable[[], Method],
        bench: Benchmark,
        plan: RayPlan,
        protocol: EvalProtocol | None = None,
    ) -> None:
        self.make_method = make_method
        self.bench = bench
        self.plan = plan
        self.protocol = protocol
        self.report = PoolReport()

    def execute(self, examples: Sequence[Example], batch_size: int, on_record: RecordSink) -> None:
        def deliver(records: list[dict[str, Any]]) -> None:
            for record in records:
                on_record(record)

        worker = partial(EvalWorker, self.make_method, self.bench, self.protocol)
        self.report = run_batches(worker, examples, batch_size, deliver, self.plan)
