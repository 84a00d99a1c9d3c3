"""Episodes/s of a fake-model `lumos eval` here and on 1 and 2 Ray workers; requests/s over 1 and 3 fake servers.

The eval: `lumos eval gsm8k --method lumos-iterative --backend fake` on generated questions, the planner and the
grounder scripted with ``latency`` seconds per generate call (a stand-in for a model's time: each Ray worker
has its own such model, as it would load one per GPU). The local run does its batches one after another; on
Ray the same batches go to the workers. A local Ray instance (``ray.init(num_cpus=...)``) is started before
the timing, as a cluster is up before a run; each Ray run's time includes starting its workers, which is
also timed alone (a run of one example). The server figures are `benchmarks/openai_servers.py`'s.
Usage: python benchmarks/ray_eval.py [--examples 64] [--batch-size 8] [--latency 0.05] [--cpus 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from lumos.cli.main import app


def write_inputs(folder: Path, examples: int, latency: float) -> list[str]:
    rows = [{"question": f"What is {k} + {k}?", "answer": f"#### {2 * k}"} for k in range(examples)]
    (folder / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "plan.json").write_text(json.dumps({"default": "Subgoal 1: Add the numbers.", "latency": latency}))
    (folder / "ground.json").write_text(json.dumps({"default": "R1 = Calculator(2 + 2)", "latency": latency}))
    return ["eval", "gsm8k", "--data", str(folder / "items.jsonl"), "--backend", "fake", "--no-progress",
            "--plan-model", str(folder / "plan.json"), "--ground-model", str(folder / "ground.json"),
            "--max-rounds", "2"]


def timed_eval(args: list[str]) -> float:
    started = time.perf_counter()
    result = CliRunner().invoke(app, args)
    if result.exit_code != 0:
        raise SystemExit(f"lumos {' '.join(args)} failed: {result.output}\n{result.exception}")
    return time.perf_counter() - started


def eval_figures(examples: int, batch_size: int, latency: float, cpus: int) -> None:
    import ray

    ray.init(num_cpus=cpus, include_dashboard=False, configure_logging=False, log_to_driver=False)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = write_inputs(folder, examples, latency)
        runs = [("local (batches one after another)", [])]
        runs += [(f"Ray, {n} worker{'s' if n > 1 else ''}", ["--ray", "local", "--ray-workers", str(n)]) for n in (1, 2)]
        print(f"{examples} examples, batches of {batch_size}, {latency * 1000:.0f} ms a model call, {cpus} CPUs")
        for k, (label, extra) in enumerate(runs):
            seconds = timed_eval([*base, "--batch-size", str(batch_size), "--out", str(folder / f"r{k}"), *extra])
            print(f"  {label:<36}{examples / seconds:8.1f} episodes/s  ({seconds:.1f} s)")
        tiny = [*base, "--limit", "1", "--out", str(folder / "tiny"), "--ray", "local", "--ray-workers", "1"]
        print(f"  Ray worker start-up alone (1 example): {timed_eval(tiny):.1f} s")
    ray.shutdown()


def server_figures(requests: int, latency: float) -> None:
    spec = importlib.util.spec_from_file_location("openai_servers", Path(__file__).with_name("openai_servers.py"))
    assert spec is not None and spec.loader is not None
    servers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(servers)
    print(f"{requests} requests, each fake server serving one at a time for {latency * 1000:.0f} ms")
    for n, kill in ((1, False), (3, False), (3, True)):
        rate, lost = servers.run(n, requests, latency, kill)
        what = f"{n} server{'s' if n > 1 else ''}" + (", one stopped halfway" if kill else "")
        print(f"  {what:<36}{rate:8.1f} requests/s  (lost {lost})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--latency", type=float, default=0.05, help="seconds a fake model call takes")
    ap.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray instance")
    ap.add_argument("--requests", type=int, default=120)
    args = ap.parse_args()
    if importlib.util.find_spec("ray") is None:
        sys.exit("ray is missing: pip install 'lumos-agents[ray]'")
    eval_figures(args.examples, args.batch_size, args.latency, args.cpus)
    server_figures(args.requests, args.latency)


if __name__ == "__main__":
    main()
