"""Loading what lumos writes into one model of runs, tasks and steps (plain JSON-ready dicts).

Three inputs are understood: an eval run directory (``predictions.jsonl`` + ``metrics.json`` +
``config.json``, including Mind2Web runs with one line per step, grouped by ``annotation_id``), a
``lumos run --trace`` file (one Trajectory a line) and an annotation directory (``annotations.jsonl``,
``rejected.jsonl``). Fields this module does not know are kept as key/value ``extra`` so new formats render.

A task is ``{id, q, gold, pred, ok, fail, err, stop, tok, secs, scores, out, steps, extra, meta}``
(``ok``: True / False / None when nothing scored it; ``fail``: an error kind or ""); a step is
``{n, sub, act, res, calls, err, extra}``; a result ``{a, out, err, s, d}``; a call ``{m, out, pt, ct, s,
prompt}`` where ``prompt`` is a list of ids into the run set's shared prompt-chunk table, so a few-shot
prefix repeated in every call is stored once.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lumos.errors import ConfigError
from lumos.records import BadLine, read_json, read_jsonl, skip_with_note

PREDICTIONS = "predictions.jsonl"
ANNOTATIONS = "annotations.jsonl"
REJECTED = "rejected.jsonl"

# Record fields an eval run writes that the viewer shows in their own place (everything else: ``extra``).
_RECORD_FIELDS = {
    "id", "question", "gold", "answer", "scores", "error_kind", "error", "prompt_tokens", "completion_tokens",
    "model_seconds", "output", "stop_reason", "step_errors", "trace", "annotation_id", "seconds", "stage_seconds",
}
_TRACE_FIELDS = {
    "task", "id", "steps", "answer", "finished", "stop_reason", "seconds", "model_seconds", "meta",
    "domain", "formulation", "stage_seconds", "observation",
}
_WEB_DETAILS = {"candidates", "chosen", "observation", "screenshot", "reward"}


class Prompts:
    """Prompt texts cut at blank lines into chunks stored once; a prompt becomes a list of chunk ids."""

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self._ids: dict[str, int] = {}

    def add(self, prompt: Any) -> list[Any]:
        """A string -> chunk ids; a list of chat messages -> ``[[role, chunk ids], ...]``."""
        if isinstance(prompt, str):
            return [self._id(part) for part in prompt.split("\n\n")]
        if isinstance(prompt, list):
            out: list[Any] = []
            for m in prompt:
                if isinstance(m, dict):
                    out.append([str(m.get("role", "")), self.add(str(m.get("content", "")))])
                else:
                    out.append(["", self.add(str(m))])
            return out
        return self.add(json.dumps(prompt, ensure_ascii=False))

    def _id(self, chunk: str) -> int:
        found = self._ids.get(chunk)
        if found is None:
            found = self._ids[chunk] = len(self.chunks)
            self.chunks.append(chunk)
        return found


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
    media = _Media(run_dir, images)
    if any("annotation_id" in r for r in records):
        tasks = _group_steps(records, primary, prompts, media)
    else:
        tasks = [_eval_task(r, primary, prompts, media) for r in records]
    bench = metrics.get("benchmark") or config.get("benchmark")
    method = metrics.get("method") or config.get("method")
    model = metrics.get("model") or config.get("model_label")
    label = " ".join(x for x in (str(method or ""), f"({model})" if model else "", f"on {bench}" if bench else "") if x)
    return Run(label or run_dir.name, "eval", str(run_dir), tasks, metrics, config)


def _correct(scores: dict[str, Any], primary: str | None) -> bool | None:
    """Right when the primary score (else the first) is full, as ``lumos eval``'s report counts it."""
    if not scores:
        return None
    success = [k for k in scores if "success" in k]
    key = primary if primary in scores else success[0] if success else next(iter(scores))
    value = scores[key]
    return bool(isinstance(value, (int, float)) and value >= 1.0 - 1e-9)


def _eval_task(rec: dict[str, Any], primary: str | None, prompts: Prompts, media: _Media) -> dict[str, Any]:
    trace = rec.get("trace") if isinstance(rec.get("trace"), dict) else None
    task: dict[str, Any] = _trajectory_task(trace, prompts, media) if trace else {"id": "", "q": "", "steps": []}
    scores: dict[str, Any] = rec["scores"] if isinstance(rec.get("scores"), dict) else {}
    task.update(
        id=str(rec.get("id", task["id"])),
        q=_text(rec.get("question", task["q"])),
        gold=rec.get("gold"),
        pred=rec.get("answer", task.get("pred")),
        scores=scores,
        ok=_correct(scores, primary),
        fail=str(rec.get("error_kind") or ""),
        err=_text(rec.get("error") or ""),
        stop=str(rec.get("stop_reason") or task.get("stop") or ""),
    )
    if "prompt_tokens" in rec or "completion_tokens" in rec or "tok" not in task:
        task["tok"] = [int(rec.get("prompt_tokens") or 0), int(rec.get("completion_tokens") or 0)]
    if rec.get("model_seconds") is not None:
        task["msecs"] = _seconds(rec["model_seconds"])
    if rec.get("seconds") is not None:
        task["secs"] = _seconds(rec["seconds"])
    if isinstance(rec.get("stage_seconds"), dict):
        task["stages"] = _stages(rec["stage_seconds"])
    output = rec.get("output")
    if output and output != rec.get("answer"):
        task["out"] = _text(output)
    shots = rec.get("screenshots")
    if isinstance(shots, list) and all(isinstance(x, str) for x in shots):
        shown = {r["d"]["screenshot"] for st in task["steps"] for r in st.get("res", []) if "screenshot" in r.get("d", {})}
        task["shots"] = [key for key in (media.embed(x) for x in shots) if key not in shown]
    seen = _trace_values(trace) if trace else set()
    extra = {
        k: v for k, v in rec.items()
        if k not in _RECORD_FIELDS and k != "screenshots" and _key(v) not in seen  # the trace shows it already
    }
    if extra:
        task["extra"] = {**task.get("extra", {}), **extra}
    return _prune(task)


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _trace_values(trace: dict[str, Any]) -> set[str]:
    """Every subgoal, action, output and recorded detail of a trajectory, to drop record fields repeating one."""
    found: set[str] = set()
    for step in trace.get("steps") or []:
        for sub in step.get("subgoals") or []:
            found.add(_key(sub.get("text") if isinstance(sub, dict) else sub))
        for action in step.get("actions") or []:
            found.add(_key(_action_text(action)))
        for call in step.get("calls") or []:
            found.add(_key(call.get("output")))
        for res in step.get("results") or []:
            found.add(_key(res.get("action")))
            for v in (res.get("details") or {}).values():
                if isinstance(v, (list, dict)) and v:
                    found.add(_key(v))
    return found


def _group_steps(
    records: list[dict[str, Any]], primary: str | None, prompts: Prompts, media: _Media
) -> list[dict[str, Any]]:
    """Mind2Web writes one line per step: one task per ``annotation_id``, each line one step of it."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        groups.setdefault(str(rec.get("annotation_id", rec.get("id", ""))), []).append(rec)
    tasks = []
    for task_id, lines in groups.items():
        steps: list[dict[str, Any]] = []
        fails: list[str] = []
        oks: list[bool | None] = []
        stop = ""
        score_sums: dict[str, float] = {}
        for n, rec in enumerate(lines, 1):
            one = _eval_task(rec, primary, prompts, media)
            oks.append(one.get("ok"))
            stop = str(one.get("stop") or stop)
            for k, v in one.get("scores", {}).items():
                if isinstance(v, (int, float)):
                    score_sums[k] = score_sums.get(k, 0.0) + v
            if one.get("fail"):
                fails.append(one["fail"])
            extra = {"line": one["id"], "answer": one.get("pred"), "gold": one.get("gold")}
            extra.update(one.get("extra", {}))
            if one.get("scores"):
                extra["scores"] = one["scores"]
            if one.get("err"):
                extra["error"] = one["err"]
            inner = one.get("steps") or [{}]
            for k, step in enumerate(inner):
                step = {**step, "n": f"{n}" if len(inner) == 1 else f"{n}.{k + 1}"}
                if k == 0:
                    step["extra"] = {**_prune(extra), **step.get("extra", {})}
                steps.append(step)
        first = lines[0]
        trace = first.get("trace") if isinstance(first.get("trace"), dict) else {}
        golds = [r.get("gold") for r in lines]
        task = {
            "id": task_id,
            "q": _text(first.get("question") or first.get("task") or (trace or {}).get("task") or ""),
            "gold": " \u2192 ".join(_text(g.get("repr", g) if isinstance(g, dict) else g) for g in golds)
            if any(g is not None for g in golds) else None,
            "pred": " \u2192 ".join(_text(r.get("answer") or "-") for r in lines),
            "scores": {k: v / len(lines) for k, v in score_sums.items()},
            "ok": None if any(o is None for o in oks) else all(oks),
            "fail": fails[-1] if fails else "",
            "stop": stop,
            "tok": [sum(int(r.get("prompt_tokens") or 0) for r in lines),
                    sum(int(r.get("completion_tokens") or 0) for r in lines)],
            "steps": steps,
            "extra": {"steps": len(lines)},
        }
        tasks.append(_prune(task))
    return tasks


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
    media = _Media(path.parent, images)
    tasks = []
    for n, rec in enumerate(records, 1):
        task = _trajectory_task(rec, prompts, media)
        task["id"] = task["id"] or f"task-{n}"  # traces of one task list align by position
        tasks.append(_prune(task))
    return Run(path.name, "trace", str(path), tasks)


def _trajectory_task(traj: dict[str, Any], prompts: Prompts, media: _Media) -> dict[str, Any]:
    """A Trajectory.model_dump() as a task (no gold, so not scored)."""
    steps = [_step(s, prompts, media) for s in traj.get("steps") or [] if isinstance(s, dict)]
    errors = [e for s in steps for e in ([s["err"]] if s.get("err") else [])]
    errors += [r["err"] for s in steps for r in s.get("res", []) if r.get("err") and r["err"] not in errors]
    task: dict[str, Any] = {
        "id": str(traj.get("id") or ""),
        "q": _text(traj.get("task") or ""),
        "pred": traj.get("answer"),
        "ok": None,
        "fail": "" if traj.get("answer") is not None or not errors else str(errors[-1].get("kind", "")),
        "err": "" if not errors else _text(errors[-1].get("message", "")),
        "stop": str(traj.get("stop_reason") or ""),
        "tok": [
            sum(c.get("pt", 0) for s in steps for c in s.get("calls", [])),
            sum(c.get("ct", 0) for s in steps for c in s.get("calls", [])),
        ],
        "secs": _seconds(traj.get("seconds")),
        "msecs": _seconds(traj.get("model_seconds")),
        "steps": steps,
    }
    if isinstance(traj.get("stage_seconds"), dict) and traj["stage_seconds"]:
        task["stages"] = _stages(traj["stage_seconds"])
    meta = traj.get("meta")
    if isinstance(meta, dict) and meta:
        task["meta"] = meta
    extra = {k: v for k, v in traj.items() if k not in _TRACE_FIELDS}
    for k in ("domain", "formulation", "observation"):  # observation: the page the planner saw first
        if traj.get(k):
            extra[k] = traj[k]
    if extra:
        task["extra"] = extra
    return task


def _stages(stages: dict[str, Any]) -> list[list[Any]]:
    """A task's time by stage as [name, seconds] pairs, the largest first."""
    pairs = [[str(k), _seconds(v)] for k, v in stages.items() if isinstance(v, (int, float))]
    return sorted(pairs, key=lambda kv: -(kv[1] or 0))


def _step(step: dict[str, Any], prompts: Prompts, media: _Media) -> dict[str, Any]:
    out: dict[str, Any] = {"n": step.get("index", "")}
    out["sub"] = [_text(s.get("text", s) if isinstance(s, dict) else s) for s in step.get("subgoals") or []]
    out["res"] = [_result(r, media) for r in step.get("results") or [] if isinstance(r, dict)]
    ran = {r["a"] for r in out["res"]}  # an executed action is shown with its result: keep the others only
    out["act"] = [text for text in map(_action_text, step.get("actions") or []) if text not in ran]
    out["calls"] = [_call(c, prompts) for c in step.get("calls") or [] if isinstance(c, dict)]
    if isinstance(step.get("error"), dict):
        out["err"] = _error(step["error"])
    extra = {k: v for k, v in step.items() if k not in {"index", "subgoals", "actions", "results", "calls", "error"}}
    if extra:
        out["extra"] = extra
    return _prune(out)


def _action_text(action: Any) -> str:
    if not isinstance(action, dict):
        return _text(action)
    tool, args, outputs = action.get("tool"), action.get("args", ""), action.get("outputs") or []
    rhs = f"{tool}({args})" if tool is not None else str(args)
    return f"{', '.join(map(str, outputs))} = {rhs}" if outputs else rhs


def _error(err: dict[str, Any]) -> dict[str, str]:
    return {"module": str(err.get("module", "")), "kind": str(err.get("kind", "")), "message": _text(err.get("message", ""))}


def _result(res: dict[str, Any], media: _Media) -> dict[str, Any]:
    out: dict[str, Any] = {"a": _text(res.get("action", "")), "out": res.get("outputs") or {}, "s": _seconds(res.get("seconds"))}
    if isinstance(res.get("error"), dict):
        out["err"] = _error(res["error"])
    details = res.get("details")
    if isinstance(details, dict) and details:
        d = dict(details)
        shot = d.get("screenshot")
        if isinstance(shot, str) and shot:
            d["screenshot"] = media.embed(shot)
        out["d"] = d
    return _prune(out)


def _call(call: dict[str, Any], prompts: Prompts) -> dict[str, Any]:
    out: dict[str, Any] = {
        "m": str(call.get("module", "")),
        "out": _text(call.get("output", "")),
        "pt": int(call.get("prompt_tokens") or 0),
        "ct": int(call.get("completion_tokens") or 0),
        "s": _seconds(call.get("seconds")),
    }
    if call.get("prompt"):
        out["prompt"] = prompts.add(call["prompt"])
    extra = {k: v for k, v in call.items() if k not in {"module", "output", "prompt_tokens", "completion_tokens", "seconds", "prompt"}}
    if extra:
        out["extra"] = extra
    return out


class _Media:
    """Screenshots named relative to a run directory, embedded once each as data URIs."""

    def __init__(self, base: Path, images: dict[str, str] | None) -> None:
        self.base = base
        self.images = images

    def embed(self, name: str) -> str:
        """The key of the embedded image, or the name itself (shown as missing) when it cannot be read."""
        if self.images is None:
            return name
        path = Path(name) if Path(name).is_absolute() else self.base / name
        key = str(path)
        if key not in self.images:
            try:
                data = path.read_bytes()
            except OSError:
                return name
            mime = "image/jpeg" if path.suffix.lower() in (".jpg", ".jpeg") else "image/png"
            self.images[key] = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        return key


# ---- annotations -----------------------------------------------------------------------------------------


def _load_annotations(ann_dir: Path, prompts: Prompts) -> Run:
    tasks = []
    kept = ann_dir / ANNOTATIONS
    for rec in _read_jsonl(kept) if kept.is_file() else []:
        task = _annotation_task(rec)
        task.update(ok=True, stop="kept")
        tasks.append(_prune(task))
    rejected = ann_dir / REJECTED
    for rec in _read_jsonl(rejected) if rejected.is_file() else []:
        inner: dict[str, Any] = rec["annotation"] if isinstance(rec.get("annotation"), dict) else {}
        task = _annotation_task({**inner, **{k: v for k, v in rec.items() if k != "annotation"}})
        task.update(ok=False, stop="rejected", fail=str(rec.get("reason") or "rejected"), err=_text(rec.get("message") or ""))
        task.get("extra", {}).pop("reason", None)
        task.get("extra", {}).pop("message", None)
        tasks.append(_prune(task))
    return Run(f"annotations {ann_dir.name}", "annotations", str(ann_dir), tasks)


def _annotation_task(rec: dict[str, Any]) -> dict[str, Any]:
    subgoals = rec.get("subgoals") or []
    actions = rec.get("actions") or []
    results = rec.get("results") or []
    steps = []
    for k in range(max(len(subgoals), len(actions))):
        step: dict[str, Any] = {"n": k + 1}
        if k < len(subgoals):
            step["sub"] = [_text(subgoals[k])]
        if k < len(actions):
            step["act"] = [a.strip() for a in _text(actions[k]).split(";") if a.strip()]
        if k < len(results):
            step["res"] = [{"a": "result", "out": {"": _text(results[k])}}]
        steps.append(step)
    known = {"task", "answer", "subgoals", "actions", "results", "id"}
    extra = {k: v for k, v in rec.items() if k not in known and v not in ("", None, [], {})}
    task: dict[str, Any] = {
        "id": str(rec.get("id") or ""),
        "q": _text(rec.get("task") or ""),
        "gold": rec.get("answer"),
        "pred": _text(results[-1]) if results else None,  # what executing the annotation gave
        "steps": steps,
    }
    if extra:
        task["extra"] = extra
    return task


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


def _seconds(value: Any) -> float | None:
    """Timings to 0.1 ms: more digits only make a 10,000-task page bigger."""
    return round(float(value), 4) if isinstance(value, (int, float)) else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _prune(d: dict[str, Any]) -> dict[str, Any]:
    """Drop empty fields: the page treats a missing key as empty, and 10,000 tasks of them add up."""
    return {k: v for k, v in d.items() if v not in (None, "", [], {}) or k in ("ok", "pred", "gold", "id", "q")}
