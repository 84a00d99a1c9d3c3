"""Resumable, batched evaluation runs.

A run directory holds ``predictions.jsonl`` (one finished example a line, appended as soon as it finishes),
``config.json`` (the resolved settings), ``metrics.json`` and ``report.md``. Running again with the same
directory skips the examples already there, so a killed run loses at most the examples in flight and never
writes one twice.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lumos.errors import ConfigError, check_range
from lumos.eval import metrics as M
from lumos.eval.batches import Executor, LocalExecutor, example_hash
from lumos.eval.benchmarks import Benchmark, Example
from lumos.eval.methods import Method
from lumos.eval.protocol import EvalProtocol
from lumos.models.base import GenerationParams, Message, Model
from lumos.records import BadLine, jsonl_rows, read_json
from lumos.terminal import note

PREDICTIONS = "predictions.jsonl"


@dataclass
class RunStats:
    wall_seconds: float = 0.0
    model_seconds: float = 0.0
    timed_before: int = 0  # examples timed by earlier invocations of the same run
    wall_before: float = 0.0
    model_before: float = 0.0
    done_now: int = 0
    resumed_from: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class PredictionStore:
    """The append-only predictions file. A damaged line (a kill mid-write, a hand edit: not UTF-8, not a JSON
    object, no id) is dropped on open with a note; its example is run again."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / PREDICTIONS
        out_dir.mkdir(parents=True, exist_ok=True)
        self.records: list[dict[str, Any]] = []
        if self.path.exists():
            dropped: list[BadLine] = []
            for n, record in jsonl_rows(self.path, "a run's predictions", on_bad=dropped.append):
                if isinstance(record.get("id"), (str, int)) and isinstance(record.get("scores", {}), dict):
                    self.records.append(record)
                else:
                    dropped.append(BadLine(str(self.path), n, "a record without an id or scores"))
            if dropped:
                for bad in dropped:
                    note(f"{bad}: dropped, its example is run again")
                _rewrite(self.path, self.records)
        self.done = {r["id"] for r in self.records}
        self._file = self.path.open("a")

    def append(self, record: dict[str, Any]) -> None:
        if record["id"] in self.done:
            return
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        self.done.add(record["id"])
        self.records.append(record)

    def close(self) -> None:
        self._file.close()


def run_evaluation(
    bench: Benchmark,
    examples: Sequence[Example],
    method: Method | None,
    out_dir: Path,
    config: dict[str, Any],
    *,
    batch_size: int = 32,
    judge: Model | None = None,
    progress: bool = True,
    on_record: Callable[[dict[str, Any]], None] | None = None,
    protocol: EvalProtocol | None = None,
    executor: Executor | None = None,
) -> dict[str, Any]:
    """Evaluate ``method`` on the examples not yet in ``out_dir``; write metrics, config and report.
    ``protocol`` scores the answers (its name is recorded in metrics.json as ``protocol``). ``executor``
    runs the batches somewhere else (:class:`lumos.eval.on_ray.RayExecutor`); then ``method`` is None."""
    check_range("batch_size", batch_size, 1, 1_000_000)
    if executor is None:
        if method is None:
            raise ConfigError("run_evaluation needs a method or an executor")
        executor = LocalExecutor(method, bench, protocol)
    if protocol is not None:
        config = {**config, "protocol": protocol.name}
    ids = [ex.id for ex in examples]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{bench.name}: example ids are not unique")
    store = open_run(out_dir, config)
    _check_same_examples(out_dir, store, examples)
    todo = [ex for ex in examples if ex.id not in store.done]
    stats = RunStats(resumed_from=len(examples) - len(todo))
    started = time.perf_counter()

    bar = _Progress(len(examples), len(examples) - len(todo), bench.primary_metric, enabled=progress)
    for r in store.records:
        bar.add(r["scores"].get(bench.primary_metric, 0.0), count=False)

    def done(record: dict[str, Any]) -> None:
        if record["id"] in store.done:  # a batch run twice (its worker died after finishing it): kept once
            return
        store.append(record)
        stats.done_now += 1
        stats.model_seconds += record["model_seconds"]
        bar.add(record["scores"].get(bench.primary_metric, 0.0))
        if on_record is not None:
            on_record(record)

    try:
        with bar:
            executor.execute(todo, batch_size, done)
    finally:
        store.close()
    stats.wall_seconds = time.perf_counter() - started

    by_id = {r["id"]: r for r in store.records}
    records = [by_id[i] for i in ids if i in by_id]  # in the examples' order, however they were run
    if judge is not None and "llm_accuracy" in bench.metrics:
        _judge(judge, records)
        _rewrite(store.path, store.records)
    _add_earlier_timings(out_dir / "metrics.json", stats)
    result = summarise(bench, records, stats, config)
    write_results(out_dir, result, render_report(bench, result, records))
    return result


def _earlier_metrics(path: Path) -> dict[str, Any]:
    """The metrics an earlier finished invocation of the run wrote (a killed one writes none), else ``{}``."""
    try:
        old = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError):
        return {}
    return old if isinstance(old, dict) else {}


def _add_earlier_timings(path: Path, stats: RunStats) -> None:
    """Speed over every invocation that finished (a killed one writes no metrics, so its time is not counted)."""
    old = _earlier_metrics(path)
    if not old:
        return
    stats.timed_before = int(old.get("examples_timed", old.get("examples_this_run", 0)) or 0)
    stats.wall_before = float(old.get("wall_seconds_timed", old.get("wall_seconds", 0.0)) or 0.0)
    stats.model_before = float(old.get("model_seconds", 0.0) or 0.0)


def speed_over_invocations(out_dir: Path, done_now: int, wall_seconds: float) -> dict[str, Any]:
    """An environment runner's speed figures over this and every earlier finished invocation of the run in
    ``out_dir`` (call before writing its metrics): ``examples_this_run``, ``examples_timed``,
    ``wall_seconds_timed``, ``examples_per_second``. Earlier metrics without ``examples_timed`` (written before
    these figures existed) are not counted: how many episodes their time covered is unknown."""
    timed, wall = done_now, wall_seconds
    old = _earlier_metrics(out_dir / "metrics.json")
    if old.get("examples_timed"):
        timed += int(old["examples_timed"])
        wall += float(old.get("wall_seconds_timed") or 0.0)
    return {
        "examples_this_run": done_now,
        "examples_timed": timed,
        "wall_seconds_timed": round(wall, 3),
        "examples_per_second": round(timed / wall, 4) if timed and wall > 0 else None,
    }


def open_run(out_dir: Path, config: dict[str, Any]) -> PredictionStore:
    """Start or resume the run in ``out_dir``: refuse another run's directory, write ``config.json``, and
    return the store of the predictions already made (its ``done`` ids are skipped)."""
    check_same_run(out_dir, config)
    store = PredictionStore(out_dir)
    (out_dir / "config.json").write_text(json.dumps(config, indent=2, default=str))
    return store


def write_results(out_dir: Path, metrics: dict[str, Any], report: str | None = None) -> None:
    """``metrics.json`` (and ``report.md``) of a finished run."""
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    if report is not None:
        (out_dir / "report.md").write_text(report)


NOT_IDENTITY = frozenset(
    {"batch_size", "continuous", "limit", "model_label", "progress", "episodes", "ray", "ray_workers"}
)
"""Settings that do not change a run's results (how many examples or episodes per task, how many at once and
how they are scheduled, where they ran, what the run is called): every other setting of ``config.json`` is the
run's identity. An environment's episode k of a task has a fixed seed, so more episodes extend a run as a higher
limit does."""


def check_same_run(out_dir: Path, config: dict[str, Any]) -> None:
    """Refuse to resume a run whose settings differ from ``config`` in anything that can change a result:
    the two runs' predictions would be mixed. The message names every difference."""
    path = out_dir / "config.json"
    if not path.exists():
        return
    try:
        old = read_json(path, "a run's settings", expect=dict)
    except ConfigError as exc:
        raise ConfigError(f"the run's config.json is damaged: {exc}; use another --out to start a new run") from exc
    changed = _differences(old, json.loads(json.dumps(config, default=str)))
    if changed:
        raise ConfigError(
            f"{out_dir} holds a run with other settings ({'; '.join(changed)}): resuming would mix the two "
            "runs' predictions. Give the same settings to resume it, or another --out to start a new run"
        )


ADDED_SETTINGS: dict[str, Any] = {
    "agent.end_with_env": False,
    "agent.end_repeated_actions": 0,
    "agent.trim_turns": 0,
    "merge_lora": False,
    "draft_tokens": 0,
    "shipped_flat_adapter": None,
}
"""Settings newer than some runs, with the value that reproduces how a run that did not record them behaved:
resuming such a run with another value is refused like any other difference."""


_HOW_TO_SET = {
    "merge_lora": " (LUMOS_MERGE_LORA=0 in the environment attaches the adapters as that run did)",
    "draft_tokens": " (LUMOS_DRAFT_TOKENS=0 in the environment decodes without drafts as that run did)",
}


def _differences(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    found = []
    for key, before in ADDED_SETTINGS.items():
        head, _, name = key.rpartition(".")
        if (f"{head}." if head else "") == prefix and name not in old and name in new and new[name] != before:
            how = _HOW_TO_SET.get(key, "")
            found.append(f"{prefix}{name} was not recorded (so it behaved as {before!r}), now {new[name]!r}{how}")
    for key in sorted(old):  # another setting the old run did not record (an older lumos) cannot be compared
        if key in NOT_IDENTITY:
            continue
        before, after = old[key], new.get(key)
        if isinstance(before, dict) and isinstance(after, dict):
            found += _differences(before, after, f"{prefix}{key}.")
        elif before != after:
            found.append(f"{prefix}{key} was {before!r}, now {after!r}")
    return found


def _check_same_examples(out_dir: Path, store: PredictionStore, examples: Sequence[Example]) -> None:
    """Refuse to resume when an example id of the run now holds another question (the data changed)."""
    recorded = {r["id"]: r.get("example_hash") for r in store.records if r.get("example_hash")}
    for ex in examples:
        if ex.id in recorded and recorded[ex.id] != example_hash(ex):
            raise ConfigError(
                f"{out_dir}: example {ex.id!r} now holds another question than when it was run (the data "
                f"changed: {_clip(ex.question)!r}); resuming would mix the two. Use another --out to start a new run"
            )


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def summarise(
    bench: Benchmark, records: list[dict[str, Any]], stats: RunStats, config: dict[str, Any]
) -> dict[str, Any]:
    n = len(records)
    names = sorted({k for r in records for k in r["scores"]})
    out: dict[str, Any] = {
        "benchmark": bench.name,
        "method": config.get("method"),
        "model": config.get("model_label"),
        "protocol": config.get("protocol", "lumos"),
        "n": n,
    }
    for name in names:
        out[name] = sum(r["scores"].get(name, 0.0) for r in records) / n if n else 0.0
    out["primary_metric"] = bench.primary_metric
    out["failures"] = dict(Counter(r["error_kind"] for r in records if r.get("error_kind")))
    out["stop_reasons"] = dict(Counter(r["stop_reason"] for r in records if r.get("stop_reason")))
    out.update(time_breakdown(records))
    out["no_answer"] = sum(1 for r in records if r.get("answer") in (None, ""))
    out["tokens"] = {
        "prompt": sum(r.get("prompt_tokens", 0) for r in records),
        "completion": sum(r.get("completion_tokens", 0) for r in records),
    }
    out["wall_seconds"] = round(stats.wall_seconds, 3)
    out["examples_this_run"] = stats.done_now
    out["resumed_from"] = stats.resumed_from
    # speed over the examples timed by this and earlier finished invocations
    timed, wall = stats.timed_before + stats.done_now, stats.wall_before + stats.wall_seconds
    model = stats.model_before + stats.model_seconds
    out["examples_timed"] = timed
    out["wall_seconds_timed"] = round(wall, 3)
    out["examples_per_second"] = round(timed / wall, 4) if timed and wall > 0 else None
    out["model_seconds"] = round(model, 3)
    out["outside_model_share"] = round(max(0.0, 1 - model / wall), 4) if timed and wall > 0 else None
    return out


def time_breakdown(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Where the run's time went: seconds and share per stage over every task that records its stages, and
    the tasks' own wall time at the median, the 95th percentile and the most."""
    totals: dict[str, float] = {}
    for r in records:
        for stage, seconds in (r.get("stage_seconds") or {}).items():
            totals[stage] = totals.get(stage, 0.0) + float(seconds)
    grand = sum(totals.values())
    if not grand:
        return {}
    stages = {
        stage: {"seconds": round(seconds, 3), "share": round(seconds / grand, 4)}
        for stage, seconds in sorted(totals.items(), key=lambda kv: -kv[1])
    }
    per_task = sorted(float(r["seconds"]) for r in records if r.get("seconds") is not None)
    return {"stages": stages, "task_seconds": _percentiles(per_task)}


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}

    def at(q: float) -> float:  # the nearest-rank percentile
        return round(values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))], 3)

    return {"p50": at(0.5), "p95": at(0.95), "max": round(values[-1], 3)}


def render_report(
    bench: Benchmark, result: dict[str, Any], records: list[dict[str, Any]], shown: int = 5
) -> str:
    metric_cols = [m for m in bench.metrics if m in result]
    lines = [
        f"# {result['method']} on {bench.name}",
        "",
        "| " + " | ".join(["n", *metric_cols, "no answer", "examples/s"]) + " |",
        "|" + "---|" * (len(metric_cols) + 3),
        "| "
        + " | ".join(
            [
                str(result["n"]),
                *(f"{100 * result[m]:.1f}" for m in metric_cols),
                str(result["no_answer"]),
                str(result["examples_per_second"]),
            ]
        )
        + " |",
        "",
        f"Failures by kind: {result['failures'] or 'none'}. Stopped by: {result.get('stop_reasons') or '-'}. "
        f"Tokens: {result['tokens']}. "
        f"Protocol: {result.get('protocol', 'lumos')}.",
        "",
        "## Examples",
    ]
    for r in records[:shown]:
        mark = "right" if r["scores"].get(bench.primary_metric, 0) >= 1 else "wrong"
        lines += [
            "",
            f"- **Q:** {r['question']}",
            f"  **gold:** {r['gold']} **answer:** {r['answer']} ({mark})",
        ]
    return "\n".join(lines) + "\n"


def _judge(judge: Model, records: list[dict[str, Any]]) -> None:
    todo = [r for r in records if "llm_accuracy" not in r["scores"]]
    if not todo:
        return
    convs: list[list[Message]] = [
        [
            Message(
                role="user",
                content=M.JUDGE_PROMPT.format(
                    question=r["question"], gold=r["gold"], prediction=r["answer"] or ""
                ),
            )
        ]
        for r in todo
    ]
    gens = judge.generate(convs, GenerationParams(max_tokens=8))
    for r, g in zip(todo, gens, strict=False):
        r["scores"]["llm_accuracy"] = float(bool(r["answer"]) and M.parse_judgement(g.text))


def _rewrite(path: Path, records: list[dict[str, Any]]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in records))
    os.replace(tmp, path)


class _Progress:
    """A rich progress bar showing the running score; silent when disabled."""

    def __init__(self, total: int, completed: int, metric: str, enabled: bool) -> None:
        self.enabled = enabled
        self.metric = metric
        self.total_score = 0.0
        self.n = 0
        self.completed = completed
        self.total = total
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[score]}"),
                TimeRemainingColumn(),
            )
            self._progress.start()
            self._task = self._progress.add_task(
                "eval", total=self.total, completed=self.completed, score=self._score()
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def add(self, value: float, count: bool = True) -> None:
        self.total_score += value
        self.n += 1
        if self._progress is not None and count:
            self._progress.update(self._task, advance=1, score=self._score())

    def _score(self) -> str:
        return f"{self.metric} {100 * self.total_score / self.n:.1f}" if self.n else f"{self.metric} -"


def config_dict(**values: Any) -> dict[str, Any]:
    return {k: (asdict(v) if hasattr(v, "__dataclass_fields__") else v) for k, v in values.items()}
