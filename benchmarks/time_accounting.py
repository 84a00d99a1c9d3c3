"""What the per-stage time accounting costs: the agent run of benchmarks/agent_overhead.py (200 maths tasks,
Lumos-I, fake model with a fixed latency per batch) timed with the accounting and with it switched off,
alternating, and the cost of the accounting calls themselves counted directly.

Prints the median wall time of each, their difference as a share of the run, and the directly measured
share (calls x seconds per call / wall), which does not depend on the machine's other load.
Usage: python benchmarks/time_accounting.py [--tasks 200] [--repeat 5] [--latency 0.02]
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import time
from pathlib import Path

import lumos.agent.agent as agent_module
from lumos.agent.agent import Agent, AgentConfig
from lumos.format.types import Trajectory
from lumos.models.fake import FakeModel

_spec = importlib.util.spec_from_file_location("agent_overhead", Path(__file__).with_name("agent_overhead.py"))
assert _spec is not None and _spec.loader is not None
overhead = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(overhead)


def run(tasks: list[str], latency: float) -> float:
    model = FakeModel(responder=overhead.scripted, latency=latency)
    started = time.perf_counter()
    Agent(model, model, AgentConfig()).run(tasks)
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--latency", type=float, default=0.02)
    args = ap.parse_args()
    rng = random.Random(0)
    tasks = [f"What is {rng.randint(1, 99)} + {rng.randint(1, 99)} * {rng.randint(1, 99)}?" for _ in range(args.tasks)]
    real = agent_module.spend
    calls = 0

    def counted(traj: Trajectory, stage: str, seconds: float) -> None:
        nonlocal calls
        calls += 1
        real(traj, stage, seconds)

    on, off = [], []
    for _ in range(args.repeat):
        agent_module.spend = real
        on.append(run(tasks, args.latency))
        agent_module.spend = lambda traj, stage, seconds: None
        off.append(run(tasks, args.latency))
    agent_module.spend = counted
    wall = run(tasks, args.latency)
    agent_module.spend = real
    probe, n = Trajectory(task="t"), 200_000
    started = time.perf_counter()
    for k in range(n):
        real(probe, "tool:Calculator" if k % 2 else "plan", 0.001)
    per_call = (time.perf_counter() - started) / n
    a, b = statistics.median(on), statistics.median(off)
    print(f"{args.tasks} tasks, {args.repeat} runs each: with accounting {a:.3f} s, without {b:.3f} s "
          f"(medians; difference {100 * (a - b) / b:+.2f} %)")
    print(f"direct: {calls} accounting calls a run x {1e6 * per_call:.2f} us = {1e3 * calls * per_call:.2f} ms, "
          f"{100 * calls * per_call / wall:.3f} % of the {wall:.2f} s run")


if __name__ == "__main__":
    main()
