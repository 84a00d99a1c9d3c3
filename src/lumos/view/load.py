"""Loading what lumos writes into one model of runs, tasks and steps (plain JSON-ready dicts).

Three inputs are understood: an eval run directory (``predictions.jsonl`` + ``metrics.json`` +
``config.json``, including Mind2Web runs with one line per step, grouped by ``annotation_id``), a
``lumos run --trace`` file (one Trajectory a line) and an annotation directory (``annotations.jsonl``,
``rejected.jsonl``). This module reads the files and builds the runs; :mod:`lumos.view.tasks` turns each
record into a task.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lumos.errors import ConfigError
from lumos.records import BadLine, read_json, read_jsonl, skip_with_note
from lumos.view.tasks import (
    Media,
    Prompts,
    annotation_task,
    as_text,
    eval_task,
    group_steps,
    prune,
    trajectory_task,
)

PREDICTIONS = "predictions.jsonl"
ANNOTATIONS = "annotations.jsonl"
REJECTED = "rejected.jsonl"


@dataclass
class Run:
    """One input: its label, where it came from, its summary and its tasks."""

    label: str
    kind: str  # "eval", "trace" or "annotations"
    path: str
    tasks: list[dict[str, Any]]
    metrics: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    common: dict[str, Any] = field(default_factory=dict)
    """Extra fields with one value in every task (the domain, the formulation), stored once here."""

    def summary(self) -> dict[str, Any]:
        """Counts the page shows at the top: right / wrong / failed, failures by kind, stop reasons, speed."""
        tasks = self.tasks
        scores = sorted({k for t in tasks for k in t.get("scores", {})})
        means = {
            k: sum(t["scores"].get(k, 0.0) for t in tasks if "scores" in t) / max(1, len(tasks)) for k in scores
        }
        metrics = {k: self.metrics[k] for k in scores if isinstance(self.metrics.get(k), (int, float))}
        m = self.metrics
        return {
            "n": len(tasks),
            "correct": sum(1 for t in tasks if t.get("ok") is True),
            "wrong": sum(1 for t in tasks if t.get("ok") is False),
            "failed": sum(1 for t in tasks if t.get("fail")),
            "unscored": sum(1 for t in tasks if t.get("ok") is None),
            "scores": metrics or means,
            "primary": m.get("primary_metric"),
            "failures": dict(Counter(t["fail"] for t in tasks if t.get("fail")).most_common()),
            "stops": dict(Counter(t.get("stop") or "-" for t in tasks).most_common()),
            "examples_per_second": m.get("examples_per_second"),
            "wall_seconds": m.get("wall_seconds_timed", m.get("wall_seconds")),
            "tokens": [sum(t.get("tok", [0, 0])[0] for t in tasks), sum(t.get("tok", [0, 0])[1] for t in tasks)],
        }


@dataclass
class RunSet:
    """Everything one page shows: the runs, the shared prompt chunks, embedded screenshots."""

    runs: list[Run]
    prompts: Prompts
    images: dict[str, str] = field(default_factory=dict)

    def aligned(self) -> list[list[int]]:
        """Rows of task indices (-1: absent) aligned by id across runs; rows where runs disagree on
        correctness come first, each group in the first run's order."""
        order: dict[str, int] = {}
        for run in self.runs:
            for t in run.tasks:
                order.setdefault(t["id"], len(order))
        index = [{t["id"]: i for i, t in enumerate(run.tasks)} for run in self.runs]
        rows = [[idx.get(tid, -1) for idx in index] for tid in order]

        def differs(row: list[int]) -> bool:
            oks = {run.tasks[i].get("ok") for run, i in zip(self.runs, row, strict=True) if i >= 0}
            return True in oks and False in oks

        return [r for r in rows if differs(r)] + [r for r in rows if not differs(r)]


def load_runs(paths: Iterable[Path], *, images: bool = True) -> RunSet:
    """Load each path (eval run directory, trace file, annotation directory) into one :class:`RunSet`."""
    prompts = Prompts()
    found: dict[str, str] = {}
    runs = [_load_one(Path(p), prompts, found if images else None) for p in paths]
    if not runs:
        raise ConfigError("give at least one path: an eval run directory, a trace file or an annotation directory")
    for run in runs:
        run.common = _hoist_common(run.tasks)
    labels = Counter(r.label for r in runs)
    for r in runs:
        if labels[r.label] > 1:
            r.label = f"{r.label} [{r.path}]"
    return RunSet(runs, prompts, found)


def _load_one(path: Path, prompts: Prompts, images: dict[str, str] | None) -> Run:
    if path.is_dir():
        if (path / PREDICTIONS).is_file():
            return _load_eval(path, prompts, images)
        if (path / ANNOTATIONS).is_file() or (path / REJECTED).is_file():
            return _load_annotations(path, prompts)
        raise ConfigError(
            f"{path} holds neither {PREDICTIONS} (an eval run) nor {ANNOTATIONS}/{REJECTED} (annotations)"
        )
    if not path.is_file():
        raise ConfigError(f"{path} does not exist: give an eval run directory, a trace file or an annotation directory")
    if path.name == PREDICTIONS:
        return _load_eval(path.parent, prompts, images)
    if path.name in (ANNOTATIONS, REJECTED):
        return _load_annotations(path.parent, prompts)
    return _load_trace(path, prompts, images)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Records of a JSON-lines file; a damaged line (a run killed mid-write) is skipped with a note."""
    return list(read_jsonl(path, "a lumos output file", on_bad=skip_with_note))


def _read_json(path: Path) -> dict[str, Any]:
    """An object of a JSON file; empty when the file is missing or damaged (the view shows what it can)."""
    try:
        data = read_json(path, "a run's settings")
    except ConfigError:
        return {}
    return data if isinstance(data, dict) else {}


# ---- eval runs -------------------------------------------------------------------------------------------


def _load_eval(run_dir: Path, prompts: Prompts, images: dict[str, str] | None) -> Run:
    metrics = _read_json(run_dir / "metrics.json")
    config = _read_json(run_dir / "config.json")
    records = _read_jsonl(run_dir / PREDICTIONS)
    primary = metrics.get("primary_metric")
    media = Media(run_dir, images)
    if any("annotation_id" in r for r in records):
        tasks = group_steps(records, primary, prompts, media)
    else:
        tasks = [eval_task(r, primary, prompts, media) for r in records]
    bench = metrics.get("benchmark") or config.get("benchmark")
    method = metrics.get("method") or config.get("method")
    model = metrics.get("model") or config.get("model_label")
    label = " ".join(x for x in (str(method or ""), f"({model})" if model else "", f"on {bench}" if bench else "") if x)
    return Run(label or run_dir.name, "eval", str(run_dir), tasks, metrics, config)


# ---- traces ----------------------------------------------------------------------------------------------


def _load_trace(path: Path, prompts: Prompts, images: dict[str, str] | None) -> Run:
    bad: list[BadLine] = []
    records = list(read_jsonl(path, "a trace file", on_bad=bad.append))
    if not records:  # a page with nothing on it would hide what went wrong
        if not bad:
            raise ConfigError(f"{path} is empty: no trajectory to show; give a `lumos run --trace` file")
        more = f" ({len(bad)} bad lines)" if len(bad) > 1 else ""
        raise ConfigError(f"{bad[0]}; no line of the file holds a trajectory to show{more}")
    for line in bad:
        skip_with_note(line)
    if records and not all("steps" in r or "task" in r for r in records):
        raise ConfigError(
            f"{path} is not a `lumos run --trace` file (lines without 'task' or 'steps'); give an eval run "
            "directory, a trace file or an annotation directory"
        )
    media = Media(path.parent, images)
    tasks = []
    for n, rec in enumerate(records, 1):
        task = trajectory_task(rec, prompts, media)
        task["id"] = task["id"] or f"task-{n}"  # traces of one task list align by position
        tasks.append(prune(task))
    return Run(path.name, "trace", str(path), tasks)


# ---- annotations -----------------------------------------------------------------------------------------


def _load_annotations(ann_dir: Path, prompts: Prompts) -> Run:
    tasks = []
    kept = ann_dir / ANNOTATIONS
    for rec in _read_jsonl(kept) if kept.is_file() else []:
        task = annotation_task(rec)
        task.update(ok=True, stop="kept")
        tasks.append(prune(task))
    rejected = ann_dir / REJECTED
    for rec in _read_jsonl(rejected) if rejected.is_file() else []:
        inner: dict[str, Any] = rec["annotation"] if isinstance(rec.get("annotation"), dict) else {}
        task = annotation_task({**inner, **{k: v for k, v in rec.items() if k != "annotation"}})
        task.update(ok=False, stop="rejected", fail=str(rec.get("reason") or "rejected"), err=as_text(rec.get("message") or ""))
        task.get("extra", {}).pop("reason", None)
        task.get("extra", {}).pop("message", None)
        tasks.append(prune(task))
    return Run(f"annotations {ann_dir.name}", "annotations", str(ann_dir), tasks)


# ---- helpers ---------------------------------------------------------------------------------------------


def _hoist_common(tasks: list[dict[str, Any]]) -> dict[str, Any]:
    """Move the ``extra`` fields that every task has with the same value out of the tasks."""
    if len(tasks) < 2 or not all(t.get("extra") for t in tasks):
        return {}
    first = tasks[0]["extra"]
    common = {k: v for k, v in first.items() if all(k in t["extra"] and t["extra"][k] == v for t in tasks)}
    for t in tasks:
        for k in common:
            del t["extra"][k]
        if not t["extra"]:
            del t["extra"]
    return common
