"""Complex QA at a few seconds a question (issue 25): `lumos eval hotpotqa --method lumos-iterative` with the
default (trained) modules on 20 HotpotQA questions of the sample that the project has not tuned on, before and
after the long-tail work, alternating, on the same rows and the same machine.

"before" switches off what this work added (each is a setting, so nothing else differs):
  LUMOS_MERGE_LORA=0          the adapters attached to the engine, not merged into the weights
  end_repeated_actions: 0     grounder outputs that loop on one action run to their token limit
  trim_turns: 0               a conversation too long for the context is cut at its start by the engine
  continuous: false           tasks run in fixed batches (no effect here: all 20 fit in one batch)
  LUMOS_DRAFT_TOKENS=0        no drafted decoding steps for the last few requests of a batch
"no-drafts" is "after" without the drafted steps (LUMOS_DRAFT_TOKENS=0), the step they came in.
All keep Lumos-I's loop stop (stop_when_stuck 3), which came earlier.

Prints, per run, the wall time of the whole command (model loading included) and of the evaluation, EM/F1,
stop reasons, and the stage breakdown from metrics.json; then the median of each variant. The machine is a
shared VM whose speed drifts by up to a third between minutes, so only alternating repeats compare fairly.
The accounting's own cost is measured by benchmarks/time_accounting.py.

Usage: python benchmarks/qa_twenty.py [--start 200] [--n 20] [--repeat 2] [--variants before,no-drafts,after]
                                     [--out runs/qa-twenty]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "hotpotqa_sample.jsonl"
BEFORE = "end_repeated_actions: 0\ntrim_turns: 0\ncontinuous: false\n"
VARIANTS = {  # name: (agent settings, environment)
    "before": (BEFORE, {"LUMOS_MERGE_LORA": "0", "LUMOS_DRAFT_TOKENS": "0"}),
    "no-drafts": ("{}\n", {"LUMOS_MERGE_LORA": "1", "LUMOS_DRAFT_TOKENS": "0"}),
    "after": ("{}\n", {"LUMOS_MERGE_LORA": "1", "LUMOS_DRAFT_TOKENS": "3"}),
}


def run(variant: str, rows: Path, out: Path) -> dict:
    config = out.parent / f"{variant}.yaml"
    settings, variables = VARIANTS[variant]
    config.write_text(settings)
    env = {**os.environ, **variables}
    shutil.rmtree(out, ignore_errors=True)
    lumos = Path(sys.executable).with_name("lumos")
    command = [str(lumos), "eval", "hotpotqa", "--method", "lumos-iterative", "--data", str(rows)]
    command += ["--out", str(out), "--config", str(config), "--no-progress"]
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    whole = time.perf_counter() - started
    metrics = json.loads((out / "metrics.json").read_text())
    return {"variant": variant, "command_s": whole, **metrics}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--start", type=int, default=200, help="first row of the sample (0-based)")
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument(
        "--variants", default="before,no-drafts,after", help=f"comma-separated, of {', '.join(VARIANTS)}"
    )
    ap.add_argument("--out", type=Path, default=Path("runs/qa-twenty"))
    args = ap.parse_args()
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        ap.error(f"unknown variant(s) {', '.join(unknown)}: choose from {', '.join(VARIANTS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    rows = args.out / "rows.jsonl"
    lines = args.data.read_text().splitlines()[args.start : args.start + args.n]
    rows.write_text("\n".join(lines) + "\n")
    results = []
    for k in range(args.repeat):
        for variant in variants if k % 2 == 0 else variants[::-1]:
            r = run(variant, rows, args.out / f"{variant}-{k}")
            results.append(r)
            stages = ", ".join(
                f"{name} {v['seconds']:.0f} s" for name, v in r["stages"].items() if name != "wait"
            )
            print(
                f"{variant:9} #{k}: command {r['command_s']:.1f} s, eval {r['wall_seconds']:.1f} s, "
                f"EM {100 * r['em']:.1f} F1 {100 * r['f1']:.1f}, stops {r['stop_reasons']}, "
                f"tokens {r['tokens']}, tasks p50/p95 {r['task_seconds']['p50']:.0f}/{r['task_seconds']['p95']:.0f} s; "
                f"{stages}",
                flush=True,
            )
    for variant in variants:
        mine = [r for r in results if r["variant"] == variant]
        print(
            f"{variant}: median command {statistics.median(r['command_s'] for r in mine):.1f} s, "
            f"median eval {statistics.median(r['wall_seconds'] for r in mine):.1f} s "
            f"({statistics.median(r['wall_seconds'] for r in mine) / args.n:.1f} s a question) over {len(mine)} runs"
        )


if __name__ == "__main__":
    main()
