"""``lumos annotate --ray``: items converted (or asked of the teacher) and verified on Ray workers.

Each worker builds its verifier, and its teacher model from a picklable recipe, once. The driver writes
``annotations.jsonl``, ``rejected.jsonl``, ``errors.jsonl`` and ``summary.json`` as a local run does, as the
batches come back, and keeps the teacher cache: it ships each item with its cached reply (a worker asks the
teacher only for the others) and stores the replies the workers got, so a re-run here or on Ray costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from lumos.annotate.outcomes import Outcome, converted, from_reply
from lumos.annotate.pipeline import CACHE, AnnotateSummary
from lumos.annotate.sources import SourceItem
from lumos.annotate.teacher import Teacher, TeacherCache, TeacherConfig, Usage, build_conversation
from lumos.annotate.verify import Verifier
from lumos.models.base import Model
from lumos.scale.cluster import RayPlan
from lumos.scale.pool import PoolReport, run_batches

CachedReply = tuple[str, int, int]  # text, prompt tokens, completion tokens


@dataclass
class Shipment:
    """An item as sent to a worker, with the teacher's cached reply to it (if any) and its cache key."""

    item: SourceItem
    key: str = ""
    cached: CachedReply | None = None


@dataclass
class BatchDone:
    outcomes: list[Outcome]
    usage: dict[str, Any] = field(default_factory=dict)
    new_replies: list[tuple[str, str, int, int, str]] = field(default_factory=list)


class ShippedCache:
    """A worker's teacher cache: the replies the driver shipped; the new ones go back to the driver."""

    def __init__(self, hits: dict[str, CachedReply]) -> None:
        self.hits = hits
        self.new: list[tuple[str, str, int, int, str]] = []

    def get(self, key: str) -> CachedReply | None:
        return self.hits.get(key)

    def put(self, key: str, text: str, prompt_tokens: int, completion_tokens: int, model: str) -> None:
        self.new.append((key, text, prompt_tokens, completion_tokens, model))

    def close(self) -> None:
        pass


@dataclass
class WorkerSettings:
    domain: str
    action_time_limit: float = 5.0
    convert_options: dict[str, Any] | None = None
    teacher_model: Callable[[], Model] | None = None
    teacher_config: TeacherConfig = field(default_factory=TeacherConfig)
    teacher_name: str = ""
    unsafe_code: bool = False


class AnnotateWorker:
    """A Ray worker's verifier and teacher model, built once."""

    def __init__(self, settings: WorkerSettings) -> None:
        if settings.unsafe_code:  # the driver's choice holds in each worker process too
            from lumos.sandbox import allow_unsafe_code

            allow_unsafe_code()
        self.settings = settings
        self.verifier = Verifier(settings.domain, action_time_limit=settings.action_time_limit)
        self.model = settings.teacher_model() if settings.teacher_model is not None else None

    def run(self, batch: Sequence[Shipment]) -> list[BatchDone]:
        s = self.settings
        if self.model is None:
            return [BatchDone([converted(x.item, self.verifier, s.convert_options) for x in batch])]
        cache = ShippedCache({x.key: x.cached for x in batch if x.cached is not None})
        teacher = Teacher(self.model, s.teacher_config, cache, model_name=s.teacher_name)
        outcomes = [from_reply(reply, self.verifier) for reply in teacher.ask_all(x.item for x in batch)]
        return [BatchDone(outcomes, teacher.usage.as_dict(), cache.new)]

    def close(self) -> None:
        if self.model is not None:
            self.model.close()


class RayAnnotator:
    """An :class:`~lumos.annotate.pipeline.ItemExecutor` over Ray workers; ``report`` says how it went."""

    def __init__(self, plan: RayPlan, settings: WorkerSettings, out_dir: Path, batch_size: int = 16) -> None:
        self.plan = plan
        self.settings = settings
        self.out_dir = Path(out_dir)
        self.batch_size = batch_size
        self.report = PoolReport()

    @property
    def asks_teacher(self) -> bool:
        return self.settings.teacher_model is not None

    def execute(self, items: list[SourceItem], summary: AnnotateSummary, write: Callable[[Outcome], None]) -> None:
        s = self.settings
        cache = TeacherCache(self.out_dir / CACHE) if s.teacher_model is not None else None
        usage = Usage(input_cost=s.teacher_config.input_cost, output_cost=s.teacher_config.output_cost)
        written: set[str] = set()

        def deliver(done: list[BatchDone]) -> None:
            for batch in done:
                for reply in batch.new_replies:
                    if cache is not None:
                        cache.put(*reply)
                for name in ("calls", "cached", "failed", "prompt_tokens", "completion_tokens"):
                    setattr(usage, name, getattr(usage, name) + int(batch.usage.get(name, 0)))
                if cache is not None:
                    summary.usage = usage.as_dict()
                for outcome in batch.outcomes:
                    if outcome.id not in written:  # a batch run again after its worker died: written once
                        written.add(outcome.id)
                        write(outcome)

        try:
            shipments = [self._shipment(item, cache) for item in items]
            worker = partial(AnnotateWorker, s)
            self.report = run_batches(worker, shipments, self.batch_size, deliver, self.plan)
        finally:
            if cache is not None:
                cache.close()

    def _shipment(self, item: SourceItem, cache: TeacherCache | None) -> Shipment:
        if cache is None:
            return Shipment(item)
        s = self.settings
        params = Teacher.request_params(s.teacher_config)
        key = TeacherCache.key(s.teacher_name, build_conversation(item, s.teacher_config.n_examples), params)
        return Shipment(item, key, cache.get(key))
