"""Synthetic eval runs for the viewer's tests, its speed benchmark and its screenshot.

The records have the shape :func:`lumos.eval.runner.run_evaluation` writes (a Trajectory dump as ``trace``),
with right and wrong answers, model mistakes and tool errors, so every part of the page has something to show.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from lumos.format.types import Action, ActionResult, ModelCall, Step, StepError, Subgoal, Trajectory

FEW_SHOT = (
    "You are the planning module of a language agent. Break the task into subgoals.\n\n"
    "Task: Sara has 3 bags of 12 apples and eats 5. How many are left?\n"
    "Subgoal 1: Work out how many apples the bags hold.\nSubgoal 2: Subtract the eaten apples.\n\n"
    "Task: A train travels 60 km in 1.5 hours. What is its speed?\n"
    "Subgoal 1: Divide the distance by the time."
)


def synthetic_record(k: int, rng: random.Random, *, method: str = "lumos-iterative") -> dict[str, Any]:
    """One example: a question a + b * c, a two-step trajectory, sometimes wrong, sometimes failing."""
    same = random.Random(k)  # the same example k in every run; its fate differs by the run's seed
    a, b, c = same.randint(2, 99), same.randint(2, 30), same.randint(2, 30)
    gold = a + b * c
    question = f"A shop has {a} boxes and buys {b} crates of {c} boxes each. How many boxes does it have now?"
    fate = rng.random()
    steps = [
        Step(
            index=1,
            subgoals=[Subgoal(index=1, text=f"Work out how many boxes the {b} crates hold.")],
            actions=[Action(outputs=["R1"], tool="Calculator", args=f"{b} * {c}")],
            results=[ActionResult(action=f"R1 = Calculator({b} * {c})", outputs={"R1": str(b * c)}, seconds=0.0004)],
            calls=[
                ModelCall(module="plan", output=f"Subgoal 1: Work out how many boxes the {b} crates hold.",
                          prompt_tokens=180, completion_tokens=14, seconds=0.21),
                ModelCall(module="ground", output=f"R1 = Calculator({b} * {c})",
                          prompt_tokens=230, completion_tokens=9, seconds=0.12),
            ],
        )
    ]
    answer: str | None = str(gold)
    stop, error_kind, error = "finished", None, None
    if fate < 0.15:  # the grounding module writes something that does not parse
        err = StepError(module="ground", kind="parse_error",
                        message="no action of the form 'R1 = Tool(arguments)' in 'Add them up.'")
        steps.append(Step(index=2, subgoals=[Subgoal(index=2, text="Add the boxes it had.")],
                          calls=[ModelCall(module="ground", output="Add them up.", prompt_tokens=260,
                                           completion_tokens=4, seconds=0.08)], error=err))
        answer, stop, error_kind, error = None, "plan_errors", "parse_error", err.message
    else:
        wrong = fate < 0.45
        expr = f"{a} - R1" if wrong else f"{a} + R1"
        value = a - b * c if wrong else gold
        steps.append(
            Step(
                index=2,
                subgoals=[Subgoal(index=2, text="Add the boxes it had before.")],
                actions=[Action(outputs=["R2"], tool="Calculator", args=expr)],
                results=[ActionResult(action=f"R2 = Calculator({expr})", outputs={"R2": str(value)}, seconds=0.0003)],
                calls=[ModelCall(module="ground", output=f"R2 = Calculator({expr})", prompt_tokens=250,
                                 completion_tokens=10, seconds=0.11)],
            )
        )
        answer = str(value)
    traj = Trajectory(task=question, id=f"ex-{k}", steps=steps, answer=answer, finished=answer is not None,
                      stop_reason=stop, seconds=0.6, model_seconds=0.52)
    trace = traj.model_dump()
    for step in trace["steps"]:  # the exact prompt, as a run that records it would: a shared few-shot prefix
        for call in step["calls"]:
            call["prompt"] = f"{FEW_SHOT}\n\nTask: {question}"
    right = answer is not None and float(answer) == gold
    calls = [c for s in traj.steps for c in s.calls]
    return {
        "id": traj.id,
        "question": question,
        "gold": str(gold),
        "answer": answer,
        "scores": {"accuracy": float(right)},
        "error_kind": error_kind,
        "error": error,
        "prompt_tokens": sum(c.prompt_tokens for c in calls),
        "completion_tokens": sum(c.completion_tokens for c in calls),
        "model_seconds": traj.model_seconds,
        "output": answer or "",
        "step_errors": [error_kind] if error_kind else [],
        "stop_reason": stop,
        "trace": trace,
    }


def write_synthetic_run(
    run_dir: Path, n: int, *, seed: int = 0, method: str = "lumos-iterative", model: str = "synthetic"
) -> Path:
    """An eval run directory of ``n`` synthetic examples (predictions.jsonl, metrics.json, config.json)."""
    rng = random.Random(seed)
    records = [synthetic_record(k, rng, method=method) for k in range(n)]
    run_dir.mkdir(parents=True, exist_ok=True)
    with (run_dir / "predictions.jsonl").open("w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    failures: dict[str, int] = {}
    for r in records:
        if r["error_kind"]:
            failures[r["error_kind"]] = failures.get(r["error_kind"], 0) + 1
    metrics = {
        "benchmark": "synthetic",
        "method": method,
        "model": model,
        "n": n,
        "accuracy": sum(r["scores"]["accuracy"] for r in records) / max(1, n),
        "primary_metric": "accuracy",
        "failures": failures,
        "examples_per_second": 12.5,
    }
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    (run_dir / "config.json").write_text(json.dumps({"benchmark": "synthetic", "method": method, "seed": seed}))
    return run_dir
