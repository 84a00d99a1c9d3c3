"""Engine speed: Lumos-I on GSM8K problems with the embedded default model, transformers vs llama.cpp.

Both engines run the same agent (Lumos-I, 3 in-context demonstrations as the untrained default uses, greedy)
on the same problems in one process; the script prints tokens/s and examples/s for each, how many trajectories
came out identical (the llama.cpp engine runs the 4-bit GGUF, transformers its de-quantized float32 copy, so
some greedy choices differ), and, as the yardstick, llama.cpp's single-stream decode speed on a short prompt
(llama-cpp-python's own ``Llama``, one sequence).

``--strategies`` also times the ways of serving one batch of agent prompts with llama.cpp: one prompt after
another through llama-cpp-python's ``Llama`` (which reuses the KV cache of the previous prompt's common
prefix), the same with two ``Llama`` objects in two threads, and lumos's batched engine, with and without its
prefix cache.

Usage: python benchmarks/engines.py [--n 50] [--engines hf,llamacpp] [--threads N] [--strategies]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

from lumos.agent.agent import Agent, AgentConfig
from lumos.format.types import Trajectory
from lumos.models.base import Conversation, GenerationParams, Model

DATA = Path("/work/shared/data/gsm8k_test_sample.jsonl")


def load_problems(path: Path, n: int) -> tuple[list[str], list[str | None]]:
    questions, answers = [], []
    for line in path.read_text().splitlines()[:n]:
        item = json.loads(line)
        questions.append(item["question"])
        gold = str(item.get("answer", ""))
        answers.append(gold.split("####")[-1].strip().replace(",", "") if "####" in gold else None)
    return questions, answers


def make_models(engine: str, args: argparse.Namespace, n_tasks: int) -> tuple[Model, Model]:
    """The planner and grounder as ``lumos run``/``lumos eval`` build them: the embedded base with the shipped
    adapters (``--few-shot``: the bare base, one model for both modules)."""
    from lumos.cli.options import build_models

    if engine == "hf" and args.threads:
        import torch

        torch.set_num_threads(args.threads)
    backend, _, weights = engine.partition(":")
    if backend == "llamacpp" and args.threads:
        os.environ["LUMOS_NUM_THREADS"] = str(args.threads)
    if weights:  # llamacpp:shipped, llamacpp:f32 (the embedded model's weight files, see LlamaCppModel)
        os.environ["LUMOS_DEFAULT_WEIGHTS"] = weights
    try:
        planner, grounder, _ = build_models(
            backend, None, None, None, None, None, None, use_shipped=not args.few_shot, parallel=n_tasks
        )
    finally:
        os.environ.pop("LUMOS_DEFAULT_WEIGHTS", None)
    return planner, grounder


def outputs(traj: Trajectory) -> list[str]:
    return [call.output for step in traj.steps for call in step.calls]


def tokens(traj: Trajectory) -> tuple[int, int]:
    calls = [call for step in traj.steps for call in step.calls]
    return sum(c.completion_tokens for c in calls), sum(c.prompt_tokens for c in calls)


def correct(answer: str | None, gold: str | None) -> bool:
    if answer is None or gold is None:
        return False
    try:
        return abs(float(re.sub(r"[^0-9.\-eE]", "", str(answer))) - float(gold)) < 1e-6
    except ValueError:
        return False


def run_engine(engine: str, questions: list[str], args: argparse.Namespace) -> dict[str, Any]:
    planner, grounder = make_models(engine, args, len(questions))
    try:
        config = AgentConfig(
            n_examples=3 if args.few_shot else 0, batch_size=args.agent_batch, max_rounds=args.max_rounds
        )
        agent = Agent(planner, grounder, config)
        started = time.perf_counter()
        trajectories = agent.run(questions)
        wall = time.perf_counter() - started
        generated = sum(tokens(t)[0] for t in trajectories)
        prompt = sum(tokens(t)[1] for t in trajectories)
        result: dict[str, Any] = {
            "engine": engine,
            "wall_s": wall,
            "model_s": agent.stats.model_seconds,
            "generated_tokens": generated,
            "prompt_tokens": prompt,
            "tokens_per_s": generated / wall,
            "examples_per_s": len(questions) / wall,
            "trajectories": trajectories,
        }
        models = [planner] if planner is grounder else [planner, grounder]
        stats = [getattr(m, "stats", None) for m in models]
        if hasattr(planner, "path"):
            result["weights"] = planner.path
        if all(s is not None for s in stats):  # the llama.cpp engine's own counters
            result["evaluated_prompt_tokens"] = sum(s.evaluated_prompt_tokens for s in stats)  # type: ignore[union-attr]
            step_s = sum(s.step_seconds for s in stats)  # type: ignore[union-attr]
            result["step_tokens_per_s"] = sum(s.step_tokens for s in stats) / max(step_s, 1e-9)  # type: ignore[union-attr]
        return result
    finally:
        planner.close()
        if grounder is not planner:
            grounder.close()


def single_stream_speed(threads: int | None, path: str | None = None, n_tokens: int = 64) -> float:
    """Decode tokens/s of llama-cpp-python's ``Llama`` on one short prompt (the prompt's time excluded), for the
    GGUF at ``path`` (default: the embedded model's file as shipped)."""
    import llama_cpp

    from lumos.models.default import find_gguf

    llm = llama_cpp.Llama(
        path or str(find_gguf()), n_ctx=512, n_threads=threads or os.cpu_count(), verbose=False, seed=0
    )
    prompt = llm.tokenize(b"<|im_start|>user\nTell me a long story about a dragon.<|im_end|>\n<|im_start|>assistant\n",
                          add_bos=False, special=True)  # fmt: skip
    best = 0.0
    for _ in range(2):  # the first run warms up
        llm.reset()
        count, first = 0, 0.0
        for tok in llm.generate(prompt, temp=0.0, top_k=1):
            count += 1
            if count == 1:
                first = time.perf_counter()  # the prompt is done when the first token comes
            if tok == llm.token_eos() or count > n_tokens:
                break
        best = max(best, (count - 1) / (time.perf_counter() - first))
    return best


# -- serving strategies for one batch of prompts -------------------------------------------------------------


def strategy_prompts(questions: list[str]) -> list[Conversation]:
    from lumos.prompts.modules import ModulePrompts

    prompts = ModulePrompts("maths", n_examples=3)
    return [prompts.plan_iterative(q) for q in questions]


def run_strategies(questions: list[str], args: argparse.Namespace) -> None:
    import llama_cpp

    from lumos.models.default import find_gguf
    from lumos.models.llamacpp import LlamaCppModel

    convs = strategy_prompts(questions)
    params = GenerationParams(max_tokens=48, stop=["\n"])
    engine = LlamaCppModel(n_threads=args.threads, batch_size=args.llama_batch)
    encoded = [engine.encode(c) for c in convs]
    total_prompt = sum(len(e) for e in encoded)
    print(f"\nserving {len(convs)} Lumos-I planner prompts ({total_prompt} prompt tokens, shared prefix "
          f"{_common(encoded)} tokens), greedy, <= 48 new tokens, stop at newline:")  # fmt: skip

    def sequential(llm: Any, ids_list: list[list[int]]) -> list[str]:
        texts = []
        for ids in ids_list:
            out: list[int] = []
            for tok in llm.generate(ids, temp=0.0, top_k=1):  # reuses the previous prompt's common prefix
                if tok == llm.token_eos() or len(out) >= 48:
                    break
                out.append(tok)
                if b"\n" in llm.detokenize(out):
                    break
            texts.append(llm.detokenize(out).decode(errors="replace").split("\n")[0])
        return texts

    threads = args.threads or os.cpu_count() or 1
    llm = llama_cpp.Llama(str(find_gguf()), n_ctx=4096, n_threads=threads, verbose=False, seed=0)
    rows = []
    started = time.perf_counter()
    seq_texts = sequential(llm, encoded)
    rows.append(
        (
            "(a) Llama, one prompt after another (prefix of the previous prompt reused)",
            time.perf_counter() - started,
        )
    )
    llm2 = llama_cpp.Llama(
        str(find_gguf()), n_ctx=4096, n_threads=max(1, threads // 2), verbose=False, seed=0
    )
    llm1 = llama_cpp.Llama(
        str(find_gguf()), n_ctx=4096, n_threads=max(1, threads // 2), verbose=False, seed=0
    )
    halves = [encoded[0::2], encoded[1::2]]
    started = time.perf_counter()
    workers = [
        threading.Thread(target=sequential, args=(m, h)) for m, h in zip((llm1, llm2), halves, strict=True)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    rows.append(
        (
            f"(b) two Llama objects in two threads ({max(1, threads // 2)} llama.cpp threads each)",
            time.perf_counter() - started,
        )
    )
    for cache in (True, False):
        m = LlamaCppModel(n_threads=args.threads, batch_size=args.llama_batch, prefix_cache=cache)
        m.generate(convs[:1], params)  # the cache starts warm, as in an agent run after its first call
        before = m.stats.evaluated_prompt_tokens
        started = time.perf_counter()
        gens = m.generate(convs, params)
        label = "with" if cache else "without"
        rows.append((f"(c) lumos LlamaCppModel, batched, {label} its prefix cache "
                     f"({m.stats.evaluated_prompt_tokens - before} prompt tokens evaluated)", time.perf_counter() - started))  # fmt: skip
        if cache:
            same = sum(a == g.text for a, g in zip(seq_texts, gens, strict=True))
            print(f"    batched greedy text == Llama one-at-a-time text: {same}/{len(convs)}")
        m.close()
    engine.close()
    for label, seconds in rows:
        print(f"  {label}: {seconds:6.1f} s  ({len(convs) / seconds:.2f} prompts/s)")


def _common(encoded: list[list[int]]) -> int:
    """Tokens every prompt starts with (the sorted first and last share the least)."""
    from lumos.models.llamacpp.state import common_prefix

    return common_prefix(min(encoded), max(encoded))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=50, help="GSM8K problems")
    ap.add_argument(
        "--hf-n",
        type=int,
        default=None,
        help="problems for transformers and llamacpp:f32 (default: --n; they are slow)",
    )
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument(
        "--engines",
        default="hf,llamacpp",
        help="comma-separated: hf, llamacpp (8-bit default weights), llamacpp:shipped, llamacpp:f32",
    )
    ap.add_argument("--threads", type=int, default=None, help="CPU threads for both engines (default: all)")
    ap.add_argument("--agent-batch", type=int, default=64, help="AgentConfig.batch_size")
    ap.add_argument("--hf-batch", type=int, default=16, help="HFModel batch_size")
    ap.add_argument("--llama-batch", type=int, default=8, help="LlamaCppModel batch_size")
    ap.add_argument("--max-rounds", type=int, default=8)
    ap.add_argument(
        "--few-shot",
        action="store_true",
        help="the bare base with 3 demonstrations instead of the shipped adapters",
    )
    ap.add_argument("--strategies", action="store_true", help="also time llama.cpp serving strategies")
    ap.add_argument("--strategy-n", type=int, default=16, help="prompts for --strategies")
    args = ap.parse_args()

    questions, gold = load_problems(args.data, args.n)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    setup = "bare base, 3 demonstrations" if args.few_shot else "shipped adapters"
    print(f"{len(questions)} GSM8K problems, Lumos-I, {setup}, greedy; threads={args.threads or os.cpu_count()}; "
          f"load average at start {load:.2f} on {os.cpu_count()} cores")  # fmt: skip
    results = []
    for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
        slow = engine == "hf" or engine.endswith(":f32")
        subset = questions[: args.hf_n] if slow and args.hf_n else questions
        r = run_engine(engine, subset, args)
        results.append(r)
        right = sum(correct(t.answer, g) for t, g in zip(r["trajectories"], gold, strict=False))
        extra = ""
        if "evaluated_prompt_tokens" in r:
            share = 1 - r["evaluated_prompt_tokens"] / max(1, r["prompt_tokens"])
            extra = (
                f"; prompt tokens served from cached prefixes: {share:.0%}; "
                f"decoding steps alone: {r['step_tokens_per_s']:.1f} tok/s"
            )
        print(
            f"{engine:9s} {r['wall_s']:8.1f} s  {r['tokens_per_s']:6.1f} generated tok/s  "
            f"{r['examples_per_s']:.3f} examples/s  ({r['generated_tokens']} generated, "
            f"{r['prompt_tokens']} prompt tokens; {right}/{len(subset)} correct{extra})",
            flush=True,
        )
    reference = results[0] if results and results[0]["engine"] == "hf" else None
    if reference is not None:
        for r in results[1:]:  # each engine against transformers, the reference
            a, b = reference["trajectories"], r["trajectories"]
            common = min(len(a), len(b))  # transformers may have run on the first --hf-n problems only
            same = sum(outputs(x) == outputs(y) for x, y in zip(a[:common], b[:common], strict=True))
            same_answer = sum(x.answer == y.answer for x, y in zip(a[:common], b[:common], strict=True))
            per_example = reference["wall_s"] / len(a) / (r["wall_s"] / len(b))
            print(
                f"hf vs {r['engine']} on the {common} problems both ran: identical trajectories {same}/{common}; "
                f"same final answer {same_answer}/{common}; speed-up (seconds per example) {per_example:.1f}x"
            )
    if any(r["engine"].startswith("llamacpp") for r in results) or args.strategies:
        # the yardstick: one stream on the shipped 4-bit file, and on the weights the engine served
        files = {"shipped 4-bit file": None}
        files.update(
            {f"engine's weights ({Path(r['weights']).name})": r["weights"] for r in results if "weights" in r}
        )
        speeds = {label: single_stream_speed(args.threads, path) for label, path in files.items()}
        for label, speed in speeds.items():
            print(
                f"llama.cpp single-stream decode, short prompt (llama-cpp-python Llama), {label}: {speed:.1f} tok/s"
            )
        best = max(speeds.values())
        for r in results:
            print(f"  {r['engine']}: aggregate generated tok/s over the whole run {r['tokens_per_s']:.1f} "
                  f"({r['tokens_per_s'] / best:.2f}x the faster single stream)")  # fmt: skip
            if "step_tokens_per_s" in r:
                print(f"  {r['engine']}: aggregate decode speed (generated tok/s in decoding steps) "
                      f"{r['step_tokens_per_s']:.1f} ({r['step_tokens_per_s'] / best:.2f}x the faster single stream)")  # fmt: skip
    if args.strategies:
        run_strategies(questions[: args.strategy_n], args)


if __name__ == "__main__":
    main()
