"""Execution speed: every <<expr=value>> calculation of the GSM8K sample run as Calculator(expr).

Prints actions/s through the executor (parsing of the action text included) and how many gave their value.
Usage: python benchmarks/exec_speed.py [--data ../shared/data/gsm8k_test_sample.jsonl] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

from lumos.eval.metrics import numeric_match
from lumos.format.parse import parse_actions
from lumos.tools.base import registry
from lumos.tools.executor import Executor

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "gsm8k_test_sample.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    calcs = [
        (m.group(1), m.group(2))
        for line in args.data.read_text().splitlines()
        for m in re.finditer(r"<<([^=<>]+)=([^<>]+)>>", json.loads(line)["answer"])
    ]
    executor = Executor(registry.instantiate("maths"))
    best = float("inf")
    right = 0
    for _ in range(args.repeat):
        right = 0
        started = time.perf_counter()
        for expr, value in calcs:
            executor.reset()
            (result,) = executor.execute(parse_actions(f"R1 = Calculator({expr})"))
            right += result.error is None and numeric_match(result.outputs.get("R1"), value)
        best = min(best, time.perf_counter() - started)
    print(f"calculations: {len(calcs)} from {args.data.name}; gave their gold value: {right}/{len(calcs)}")
    print(
        f"best of {args.repeat}: {best:.3f} s -> {len(calcs) / best:,.0f} actions/s (parse + execute + reset)"
    )


if __name__ == "__main__":
    main()
