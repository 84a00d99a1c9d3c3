"""Printing speed of ``lumos run``'s text output for a planner reply that is one long word (issue 27, group 4).

A trajectory whose subgoal and answer are one word of N characters (no spaces) is printed by
:func:`lumos.cli.render.print_trajectory` to an 80-column terminal; the time should grow linearly with N. For
comparison, the same text printed by a rich console with its default highlighter (what ``lumos run`` did
before): that time grows quadratically, so it is only measured up to ``--highlighted-max``.
Usage: python benchmarks/print_speed.py [--sizes 20000,100000,200000] [--highlighted-max 20000]
"""

from __future__ import annotations

import argparse
import io
import time

from rich.console import Console

from lumos.cli.render import print_trajectory
from lumos.format.types import Step, Subgoal, Trajectory


def trajectory(n: int) -> Trajectory:
    word = "x" * n
    return Trajectory(task="t", answer=word, steps=[Step(index=1, subgoals=[Subgoal(index=1, text=word)])])


def seconds(fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="20000,100000,200000", help="word lengths, comma-separated")
    ap.add_argument("--highlighted-max", type=int, default=20_000, help="largest size timed with the highlighter")
    args = ap.parse_args()
    for n in (int(s) for s in args.sizes.split(",")):
        terminal = Console(file=io.StringIO(), width=80, force_terminal=True)
        now = seconds(lambda: print_trajectory(trajectory(n), terminal))  # noqa: B023
        line = f"{n:>9,} characters: lumos run {now:.3f} s"
        if n <= args.highlighted_max:
            old = Console(file=io.StringIO(), width=80, force_terminal=True)
            before = seconds(lambda: old.print(f"Subgoal 1: {'x' * n}\nAnswer: {'x' * n}"))  # noqa: B023
            line += f"; highlighted (before) {before:.3f} s"
        print(line)


if __name__ == "__main__":
    main()
