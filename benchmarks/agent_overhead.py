"""Agent overhead: the share of wall time spent outside model calls.

200 maths tasks run through Lumos-I with the fake backend at a fixed simulated latency per batch, so all
time that is not the simulated model is lumos's own (prompt building, parsing, execution, bookkeeping).
Usage: python benchmarks/agent_overhead.py [--tasks 200] [--latency 0.05] [--formulation iterative]
"""

from __future__ import annotations

import argparse
import random
import time

from lumos.agent.agent import Agent, AgentConfig
from lumos.models.fake import FakeModel


def scripted(conversation) -> str:
    """A planner/grounder that solves "a + b * c" tasks in three subgoals."""
    last = conversation[-1]["content"]
    if "to be grounded" in last:
        task = next(m["content"] for m in conversation if "Task:" in m["content"]).split("Task:")[-1]
        a, b, c = [int(t) for t in task.replace("?", " ").split() if t.isdigit()][:3]
        steps = [f"R1 = Calculator({b} * {c})", f"R2 = Calculator({a} + R1)", "R3 = Calculator(R2 * 1)"]
        if "Subgoals to be grounded" in last:
            return "; ".join(steps)
        return steps[sum(1 for m in conversation if m["role"] == "assistant")]
    if "Should we stop planning?" in last:
        done = sum(1 for m in conversation if m["role"] == "user" and "Should we stop" in m["content"])
        return (
            "Yes, I will stop planning."
            if done >= 3
            else f"No, I will keep planning. Subgoal {done + 1}: Go on."
        )
    if "one line" in last or "list of subgoals" in last:
        return "Subgoal 1: Multiply.; Subgoal 2: Add.; Subgoal 3: Check."
    return "Subgoal 1: Multiply b by c."


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=200)
    ap.add_argument(
        "--latency",
        type=float,
        default=0.1,
        help="simulated seconds per model batch (a real CPU batch takes seconds)",
    )
    ap.add_argument("--formulation", default="iterative", choices=["iterative", "onetime"])
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args()
    rng = random.Random(0)
    tasks = [
        f"What is {rng.randint(1, 99)} + {rng.randint(1, 99)} * {rng.randint(1, 99)}?"
        for _ in range(args.tasks)
    ]
    model = FakeModel(responder=scripted, latency=args.latency)
    agent = Agent(model, model, AgentConfig(formulation=args.formulation, batch_size=args.batch_size))
    started = time.perf_counter()
    trajectories = agent.run(tasks)
    wall = time.perf_counter() - started
    right = sum(
        1 for t, q in zip(trajectories, tasks, strict=False) if t.answer is not None and _check(q, t.answer)
    )
    s = agent.stats
    print(f"tasks: {len(tasks)}  formulation: {args.formulation}  batch size: {args.batch_size}")
    print(f"model calls: {s.model_calls}  simulated latency per call: {args.latency:.3f} s")
    print(
        f"wall: {wall:.3f} s  in model calls: {s.model_seconds:.3f} s  outside: {wall - s.model_seconds:.3f} s"
    )
    print(f"agent overhead share: {100 * s.overhead_share:.2f} %  (target < 5 %)")
    print(f"answers right: {right}/{len(tasks)}  tasks/s: {len(tasks) / wall:.1f}")


def _check(question: str, answer: str) -> bool:
    a, b, c = [int(t) for t in question.replace("?", " ").split() if t.isdigit()][:3]
    return answer == str(a + b * c)


if __name__ == "__main__":
    main()
