"""The Mind2Web metrics (Deng et al., 2023), per step and averaged over steps (micro) and tasks (macro).

* element accuracy: the predicted element is one of the step's positive candidates (a step whose target was
  pruned has none, so it is always wrong, as in the paper);
* action F1: token F1 between the predicted and the gold ``OP value`` strings (``CLICK`` alone for clicks;
  lower-cased word sets, as MindAct computes it);
* step success: element right and action F1 = 1;
* task success: every step of the task succeeded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from lumos.domains.mind2web.tasks import Mind2WebReplay, Mind2WebStep, action_string

STEP_METRICS = ("element_accuracy", "action_f1", "step_success_rate")
METRICS = (
    "step_success_rate",
    "element_accuracy",
    "action_f1",
    "task_success_rate",
    "macro_element_accuracy",
    "macro_action_f1",
    "macro_step_success_rate",
)


def token_f1(pred: str, gold: str) -> float:
    """F1 of the two strings' lower-cased word sets (1 when both are empty)."""
    p, g = set(pred.lower().split()), set(gold.lower().split())
    if not p and not g:
        return 1.0
    common = len(p & g)
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def score_step(
    step: Mind2WebStep, element: str | None, op: str | None, value: str | None
) -> dict[str, float]:
    """The three step scores of one prediction (``element`` None: no element was chosen)."""
    element_ok = element is not None and element in step.positives
    f1 = token_f1(action_string(op, value), step.gold_action()) if op else 0.0
    return {
        "element_accuracy": float(element_ok),
        "action_f1": f1,
        "step_success_rate": float(element_ok and f1 == 1.0),
    }


def aggregate(records: Iterable[dict[str, Any]]) -> dict[str, float]:
    """Micro (over steps) and macro (mean over tasks of the per-task mean) scores of step records, each with
    ``annotation_id`` and ``scores``; task success needs every step of a task right."""
    by_task: dict[str, list[dict[str, float]]] = {}
    for rec in records:
        by_task.setdefault(str(rec["annotation_id"]), []).append(rec["scores"])
    steps = [s for scores in by_task.values() for s in scores]
    out: dict[str, float] = {}
    for name in STEP_METRICS:
        out[name] = _mean([s[name] for s in steps])
        out[f"macro_{name}"] = _mean([_mean([s[name] for s in scores]) for scores in by_task.values()])
    out["task_success_rate"] = _mean(
        [float(all(s["step_success_rate"] == 1.0 for s in scores)) for scores in by_task.values()]
    )
    return {name: out[name] for name in METRICS}


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def replay_summary(replay: Mind2WebReplay) -> list[str]:
    """One line per recorded step of a replayed task: the action taken on it against the gold action."""
    lines = []
    for i, page in enumerate(replay.pages):
        step, taken = page.step, page.prediction
        scores = score_step(step, *(taken.ref, taken.op, taken.value) if taken else (None, None, None))
        did = f"{taken.op} [{taken.ref}] {taken.value or ''}".strip() if taken else "nothing"
        mark = "right" if scores["step_success_rate"] == 1.0 else "wrong"
        gold = f"{step.repr or step.gold_action()} [{', '.join(step.positives) or 'pruned'}]"
        lines.append(f"step {i + 1}: {did} | gold {gold} | {mark}")
    return lines
