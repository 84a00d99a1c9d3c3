"""Complex-QA questions/s with the tool calls of a round executed task by task ("before") and batched across
tasks ("after", :func:`lumos.tools.executor.execute_batch`), on the same HotpotQA questions, with the embedded
default model as ``lumos run --domain complex_qa`` builds it (a fresh model for each pass, so neither pass
reuses the other's cached prompts).

Usage: LUMOS_NUM_THREADS=1 .venv/bin/python benchmarks/qa_batching.py --n 32 [--formulation onetime]
       [--max-rounds 4] [--few-shot] [--data ../shared/data/hotpotqa_sample.jsonl]
Prints, per pass: wall seconds, questions/s, model seconds (planner and grounder), QA model calls and their
batch sizes, exact-match count; then the speed-up and how many trajectories are identical.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import lumos.agent.agent as agent_module
from lumos.cli.options import build_agent
from lumos.domains.complex_qa.tools import SYSTEM_PROMPT
from lumos.eval.metrics import exact_match
from lumos.format.types import Trajectory
from lumos.tools.executor import Executor, execute_batch

DATA = Path(__file__).parents[1].parent / "shared" / "data" / "hotpotqa_sample.jsonl"


def one_by_one(jobs: list[tuple[Executor, list[Any]]]) -> list[Any]:
    """The execution path before batching: each task's actions alone."""
    return [executor.execute(actions) for executor, actions in jobs]


def run_pass(batched: bool, questions: list[str], args: argparse.Namespace) -> tuple[list[Trajectory], dict]:
    agent_module.execute_batch = execute_batch if batched else one_by_one  # type: ignore[assignment]
    agent = build_agent(
        config_file=None,
        prompts_file=None,
        backend="auto",
        model=None,
        plan_model=None,
        ground_model=None,
        plan_adapter=None,
        ground_adapter=None,
        base_url=None,
        overrides={"domain": "complex_qa", "formulation": args.formulation, "max_rounds": args.max_rounds},
        use_shipped=not args.few_shot,
        parallel=len(questions),
    )
    qa_model = agent._make_tools()[2].qa_model  # type: ignore[attr-defined]
    sizes: list[int] = []
    generate = qa_model.generate

    def counted(conversations: Any, params: Any) -> Any:
        if any(c[0]["content"] == SYSTEM_PROMPT for c in conversations):  # the QA tool's calls
            sizes.append(len(conversations))
        return generate(conversations, params)

    qa_model.generate = counted
    started = time.perf_counter()
    trajectories = agent.run(questions)
    wall = time.perf_counter() - started
    qa_model.generate = generate
    return trajectories, {
        "wall_s": round(wall, 1),
        "questions_per_s": round(len(questions) / wall, 4),
        "plan_ground_model_s": round(agent.stats.model_seconds, 1),
        "qa_model_calls": len(sizes),
        "qa_questions": sum(sizes),
        "largest_qa_batch": max(sizes, default=0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=32)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--formulation", default="onetime", choices=["iterative", "onetime"])
    parser.add_argument("--max-rounds", type=int, default=4)
    parser.add_argument("--few-shot", action="store_true", help="the bare base model (no shipped adapters)")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()][: args.n]
    questions = [r["question"].strip() for r in rows]
    results = {}
    for name, batched in (("before (task by task)", False), ("after (batched)", True)):
        trajectories, figures = run_pass(batched, questions, args)
        figures["exact_match"] = sum(exact_match(t.answer or "", r["answer"]) for t, r in zip(trajectories, rows, strict=True))
        results[name] = (trajectories, figures)
        print(f"{name}: {json.dumps(figures)}", flush=True)
    (before, fb), (after, fa) = results.values()
    same = sum(a.answer == b.answer and len(a.steps) == len(b.steps) for a, b in zip(before, after, strict=True))
    for n, (a, b) in enumerate(zip(before, after, strict=True)):
        if a.answer != b.answer or len(a.steps) != len(b.steps):
            print(f"question {n} differs: {questions[n]!r}")
            for sa, sb in zip(a.steps, b.steps, strict=False):
                ra = [(r.action, r.outputs, r.error) for r in sa.results]
                rb = [(r.action, r.outputs, r.error) for r in sb.results]
                if ra != rb or sa.subgoals != sb.subgoals:
                    print(f"  first differing step {sa.index}:\n    before {ra}\n    after  {rb}")
                    break
    print(f"speed-up {fa['questions_per_s'] / fb['questions_per_s']:.2f}x; same answer and steps: {same}/{len(questions)}")


if __name__ == "__main__":
    main()
