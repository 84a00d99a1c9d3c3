"""One batch of examples -> prediction records: the unit of work a run hands out, in this process or on Ray.

:func:`evaluate_batch` runs a method on a batch and scores each prediction into the record that
``predictions.jsonl`` keeps; an :class:`Executor` runs all of a run's examples batch by batch and hands each
record back to the run as it finishes. :class:`LocalExecutor` does it here; :mod:`lumos.eval.on_ray` does the
same batches on Ray actors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from lumos.errors import ConfigError
from lumos.eval import metrics as M
from lumos.eval.benchmarks import Benchmark, Example
from lumos.eval.methods import Method, Prediction
from lumos.eval.protocol import EvalProtocol

RecordSink = Callable[[dict[str, Any]], None]


def score(
    bench: Benchmark, answer: str | None, gold: Any, protocol: EvalProtocol | None = None
) -> dict[str, float]:
    """Every automatic metric of the benchmark for one prediction (the judge's comes later), as the
    evaluation ``protocol`` scores it (default: lumos's own)."""
    own = protocol.score(bench.answer_type, answer, gold) if protocol is not None else None
    if own is not None:
        return own
    if bench.answer_type == "number":
        return {"accuracy": float(M.numeric_match(answer, gold))}
    if bench.answer_type == "yesno":
        return {"accuracy": float(M.yes_no_match(answer, gold))}
    if bench.answer_type == "multi":
        loose, strict = M.fanout_accuracy(answer, M.flatten_answers(gold))
        return {"loose_accuracy": loose, "strict_accuracy": strict}
    if bench.answer_type == "text":
        return {"em": M.exact_match(answer, str(gold)), "f1": M.f1_score(answer, str(gold))}
    raise ConfigError(f"{bench.name}: unknown answer_type {bench.answer_type!r}")


def example_hash(example: Example) -> str:
    """A digest of an example's content (question and gold answer), kept on its record."""
    import hashlib
    import json

    text = json.dumps([example.question, example.answer], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def prediction_record(
    bench: Benchmark, example: Example, pred: Prediction, protocol: EvalProtocol | None = None
) -> dict[str, Any]:
    """The line of ``predictions.jsonl`` for one finished example."""
    return {
        "id": example.id,
        "question": example.question,
        "example_hash": example_hash(example),
        "gold": example.answer,
        "answer": pred.answer,
        "scores": score(bench, pred.answer, example.answer, protocol),
        "error_kind": pred.error_kind,
        "error": pred.error,
        "prompt_tokens": pred.prompt_tokens,
        "completion_tokens": pred.completion_tokens,
        "model_seconds": pred.model_seconds,
        "output": pred.output,
        **pred.extra,
        "trace": pred.trace,
    }


def evaluate_batch(
    method: Method,
    bench: Benchmark,
    batch: Sequence[Example],
    on_record: RecordSink,
    protocol: EvalProtocol | None = None,
) -> None:
    """Run ``method`` on ``batch``; hand each example's record to ``on_record`` as soon as it finishes."""
    method.run(batch, lambda ex, pred: on_record(prediction_record(bench, ex, pred, protocol)))


class Executor(Protocol):
    """Runs a run's examples in batches of about ``batch_size``, calling ``on_record`` for each record."""

    def execute(self, examples: Sequence[Example], batch_size: int, on_record: RecordSink) -> None: ...


class LocalExecutor:
    """Every batch in this process, one after the other, on one loaded method."""

    def __init__(self, method: Method, bench: Benchmark, protocol: EvalProtocol | None = None) -> None:
        self.method = method
        self.bench = bench
        self.protocol = protocol

    def execute(self, examples: Sequence[Example], batch_size: int, on_record: RecordSink) -> None:
        # one call: the method batches by itself (batch_size tasks at a time; Lumos-I gives a finished task's
        # place to the next one at once), and each record is written as soon as its example is done
        evaluate_batch(self.method, self.bench, examples, on_record, self.protocol)
