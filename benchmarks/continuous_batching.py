"""What continuous batching saves in Lumos-I when tasks need different numbers of rounds.

Lumos-I over N tasks with the fake backend: task k needs a number of subgoals drawn once (seeded) from 1-8,
mostly short with a long tail, as the HotpotQA trajectories of docs/results.md section 11 are. Each model call
sleeps ``latency + per_prompt * batch`` seconds, a stand-in for an engine whose batched call costs a fixed part
plus a part per prompt. The same tasks run in fixed batches of ``--batch-size`` (``continuous: false``: a batch
runs until its longest task ends) and with continuous batching (a finished task's place goes to the next one).
Prints wall time, model calls and the answers' agreement.

Usage: python benchmarks/continuous_batching.py [--tasks 200] [--batch-size 16] [--latency 0.02] [--per-prompt 0.002]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence

from lumos.agent.agent import Agent, AgentConfig
from lumos.models.base import Conversation, Generation, GenerationParams
from lumos.models.fake import FakeModel


class CostedFake(FakeModel):
    """A fake model whose batched call costs a fixed part plus a part per prompt."""

    def __init__(self, responder, latency: float, per_prompt: float) -> None:
        super().__init__(responder=responder)
        self.fixed, self.per_prompt = latency, per_prompt

    def generate(self, conversations: Sequence[Conversation], params: GenerationParams) -> list[Generation]:
        time.sleep(self.fixed + self.per_prompt * len(conversations))
        return super().generate(conversations, params)


def needed(conv: Conversation) -> int:
    return int(conv[0]["content"].split("Count to ")[1].split(".")[0])


def plan(conv: Conversation) -> str:
    done = sum("Should we stop" in m["content"] for m in conv if m["role"] == "user")
    if done >= needed(conv):
        return "Yes, I will stop planning."
    said = f"Subgoal {done + 1}: Count {done + 1}."
    return said if done == 0 else f"No, I will keep planning. {said}"


def ground(conv: Conversation) -> str:
    k = sum(m["role"] == "user" for m in conv)
    return f"R{k} = Calculator({k} + 0)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--latency", type=float, default=0.02)
    ap.add_argument("--per-prompt", type=float, default=0.002)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    lengths = [min(8, 1 + int(rng.expovariate(0.6))) for _ in range(args.tasks)]
    tasks = [f"Count to {n}." for n in lengths]
    answers = {}
    for continuous in (False, True):
        planner = CostedFake(plan, args.latency, args.per_prompt)
        grounder = CostedFake(ground, args.latency, args.per_prompt)
        config = AgentConfig(batch_size=args.batch_size, continuous=continuous, max_rounds=10, stop_when_stuck=0)
        started = time.perf_counter()
        trajs = Agent(planner, grounder, config).run(tasks)
        wall = time.perf_counter() - started
        answers[continuous] = [t.answer for t in trajs]
        calls = len(planner.batches) + len(grounder.batches)
        mean_batch = sum(planner.batches) / len(planner.batches)
        print(
            f"continuous={continuous!s:5}: {wall:.2f} s, {calls} model calls, planner batches of {mean_batch:.1f} "
            f"on average ({args.tasks} tasks, {sum(lengths)} subgoals, batch size {args.batch_size})"
        )
    print(f"same answers: {answers[False] == answers[True]}")


if __name__ == "__main__":
    main()
