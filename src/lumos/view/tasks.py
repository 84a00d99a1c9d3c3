"""Turning one record into the page's task dict: an eval prediction, a Mind2Web run's lines of one task, a
trajectory, an annotation. Fields this module does not know are kept as key/value ``extra`` so new formats render.

A task is ``{id, q, gold, pred, ok, fail, err, stop, tok, secs, scores, out, steps, extra, meta}``
(``ok``: True / False / None when nothing scored it; ``fail``: an error kind or ""); a step is
``{n, sub, act, res, calls, err, extra}``; a result ``{a, out, err, s, d}``; a call ``{m, out, pt, ct, s,
prompt}`` where ``prompt`` is a list of ids into the run set's shared prompt-chunk table, so a few-shot
prefix repeated in every call is stored once.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

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


# ---- eval records ----------------------------------------------------------------------------------------


def _correct(scores: dict[str, Any], primary: str | None) -> bool | None:
    """Right when the primary score (else the first) is full, as ``lumos eval``'s report counts it."""
    if not scores:
        return None
    success = [k for k in scores if "success" in k]
    key = primary if primary in scores else success[0] if success else next(iter(scores))
    value = scores[key]
    return bool(isinstance(value, (int, float)) and value >= 1.0 - 1e-9)


def eval_task(rec: dict[str, Any], primary: str | None, prompts: Prompts, media: Media) -> dict[str, Any]:
    """One line of ``predictions.jsonl`` as a task: its trajectory's steps with the line's gold, answer and scores."""
    trace = rec.get("trace") if isinstance(rec.get("trace"), dict) else None
    task: dict[str, Any] = trajectory_task(trace, prompts, media) if trace else {"id": "", "q": "", "steps": []}
    scores: dict[str, Any] = rec["scores"] if isinstance(rec.get("scores"), dict) else {}
    task.update(
        id=str(rec.get("id", task["id"])),
        q=as_text(rec.get("question", task["q"])),
        gold=rec.get("gold"),
        pred=rec.get("answer", task.get("pred")),
        scores=scores,
        ok=_correct(scores, primary),
        fail=str(rec.get("error_kind") or ""),
        err=as_text(rec.get("error") or ""),
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
        task["out"] = as_text(output)
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
    return prune(task)


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


def group_steps(
    records: list[dict[str, Any]], primary: str | None, prompts: Prompts, media: Media
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
            one = eval_task(rec, primary, prompts, media)
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
                    step["extra"] = {**prune(extra), **step.get("extra", {})}
                steps.append(step)
        first = lines[0]
        trace = first.get("trace") if isinstance(first.get("trace"), dict) else {}
        golds = [r.get("gold") for r in lines]
        task = {
            "id": task_id,
            "q": as_text(first.get("question") or first.get("task") or (trace or {}).get("task") or ""),
            "gold": " \u2192 ".join(as_text(g.get("repr", g) if isinstance(g, dict) else g) for g in golds)
            if any(g is not None for g in golds) else None,
            "pred": " \u2192 ".join(as_text(r.get("answer") or "-") for r in lines),
            "scores": {k: v / len(lines) for k, v in score_sums.items()},
            "ok": None if any(o is None for o in oks) else all(oks),
            "fail": fails[-1] if fails else "",
            "stop": stop,
            "tok": [sum(int(r.get("prompt_tokens") or 0) for r in lines),
                    sum(int(r.get("completion_tokens") or 0) for r in lines)],
            "steps": steps,
            "extra": {"steps": len(lines)},
        }
        tasks.append(prune(task))
    return tasks


# ---- trajectories ----------------------------------------------------------------------------------------


def trajectory_task(traj: dict[str, Any], prompts: Prompts, media: Media) -> dict[str, Any]:
    """A Trajectory.model_dump() as a task (no gold, so not scored)."""
    steps = [_step(s, prompts, media) for s in traj.get("steps") or [] if isinstance(s, dict)]
    errors = [e for s in steps for e in ([s["err"]] if s.get("err") else [])]
    errors += [r["err"] for s in steps for r in s.get("res", []) if r.get("err") and r["err"] not in errors]
    task: dict[str, Any] = {
        "id": str(traj.get("id") or ""),
        "q": as_text(traj.get("task") or ""),
        "pred": traj.get("answer"),
        "ok": None,
        "fail": "" if traj.get("answer") is not None or not errors else str(errors[-1].get("kind", "")),
        "err": "" if not errors else as_text(errors[-1].get("message", "")),
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


def _step(step: dict[str, Any], prompts: Prompts, media: Media) -> dict[str, Any]:
    out: dict[str, Any] = {"n": step.get("index", "")}
    out["sub"] = [as_text(s.get("text", s) if isinstance(s, dict) else s) for s in step.get("subgoals") or []]
    out["res"] = [_result(r, media) for r in step.get("results") or [] if isinstance(r, dict)]
    ran = {r["a"] for r in out["res"]}  # an executed action is shown with its result: keep the others only
    out["act"] = [text for text in map(_action_text, step.get("actions") or []) if text not in ran]
    out["calls"] = [_call(c, prompts) for c in step.get("calls") or [] if isinstance(c, dict)]
    if isinstance(step.get("error"), dict):
        out["err"] = _error(step["error"])
    extra = {k: v for k, v in step.items() if k not in {"index", "subgoals", "actions", "results", "calls", "error"}}
    if extra:
        out["extra"] = extra
    return prune(out)


def _action_text(action: Any) -> str:
    if not isinstance(action, dict):
        return as_text(action)
    tool, args, outputs = action.get("tool"), action.get("args", ""), action.get("outputs") or []
    rhs = f"{tool}({args})" if tool is not None else str(args)
    return f"{', '.join(map(str, outputs))} = {rhs}" if outputs else rhs


def _error(err: dict[str, Any]) -> dict[str, str]:
    return {"module": str(err.get("module", "")), "kind": str(err.get("kind", "")), "message": as_text(err.get("message", ""))}


def _result(res: dict[str, Any], media: Media) -> dict[str, Any]:
    out: dict[str, Any] = {"a": as_text(res.get("action", "")), "out": res.get("outputs") or {}, "s": _seconds(res.get("seconds"))}
    if isinstance(res.get("error"), dict):
        out["err"] = _error(res["error"])
    details = res.get("details")
    if isinstance(details, dict) and details:
        d = dict(details)
        shot = d.get("screenshot")
        if isinstance(shot, str) and shot:
            d["screenshot"] = media.embed(shot)
        out["d"] = d
    return prune(out)


def _call(call: dict[str, Any], prompts: Prompts) -> dict[str, Any]:
    out: dict[str, Any] = {
        "m": str(call.get("module", "")),
        "out": as_text(call.get("output", "")),
        "pt": int(call.get("prompt_tokens") or 0),
        "ct": int(call.get("completion_tokens") or 0),
        "s": _seconds(call.get("seconds")),
    }
    if call.get("prompt"):
        out["prompt"] = prompts.add(call["prompt"])
    shown = {"module", "output", "prompt_tokens", "completion_tokens", "seconds", "prompt"}
    usual = {"finish_reason": "stop", "turns_left_out": 0}  # said only where a call ended or was fitted otherwise
    extra = {k: v for k, v in call.items() if k not in shown and usual.get(k, ...) != v}
    if extra:
        out["extra"] = extra
    return out


class Media:
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


def annotation_task(rec: dict[str, Any]) -> dict[str, Any]:
    """An annotation (subgoals, actions, results) as a task, one step per subgoal."""
    subgoals = rec.get("subgoals") or []
    actions = rec.get("actions") or []
    results = rec.get("results") or []
    steps = []
    for k in range(max(len(subgoals), len(actions))):
        step: dict[str, Any] = {"n": k + 1}
        if k < len(subgoals):
            step["sub"] = [as_text(subgoals[k])]
        if k < len(actions):
            step["act"] = [a.strip() for a in as_text(actions[k]).split(";") if a.strip()]
        if k < len(results):
            step["res"] = [{"a": "result", "out": {"": as_text(results[k])}}]
        steps.append(step)
    known = {"task", "answer", "subgoals", "actions", "results", "id"}
    extra = {k: v for k, v in rec.items() if k not in known and v not in ("", None, [], {})}
    task: dict[str, Any] = {
        "id": str(rec.get("id") or ""),
        "q": as_text(rec.get("task") or ""),
        "gold": rec.get("answer"),
        "pred": as_text(results[-1]) if results else None,  # what executing the annotation gave
        "steps": steps,
    }
    if extra:
        task["extra"] = extra
    return task


# ---- helpers ---------------------------------------------------------------------------------------------


def _seconds(value: Any) -> float | None:
    """Timings to 0.1 ms: more digits only make a 10,000-task page bigger."""
    return round(float(value), 4) if isinstance(value, (int, float)) else None


def as_text(value: Any) -> str:
    """A string as it is; anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def prune(d: dict[str, Any]) -> dict[str, Any]:
    """Drop empty fields: the page treats a missing key as empty, and 10,000 tasks of them add up."""
    return {k: v for k, v in d.items() if v not in (None, "", [], {}) or k in ("ok", "pred", "gold", "id", "q")}
