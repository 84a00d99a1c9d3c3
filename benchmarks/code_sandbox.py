"""What the Code tool's OS-level sandbox costs: Code actions/s in the sandbox and without it (--unsafe-code).

Runs three kinds of Code action through the executor, N times each, first without the sandbox (the plain
child process lumos used before the sandbox, its Python guards only) and then in the sandbox, and prints
actions/s and the mean seconds per action of each. The first sandboxed action also pays the one-time
probe of the sandbox (about 0.1 s); it is left out by a warm-up action.
Usage: python benchmarks/code_sandbox.py [--n 20]
"""

from __future__ import annotations

import argparse
import os
import time

from lumos.format.types import Action
from lumos.sandbox import UNSAFE_ENV, check
from lumos.tools.base import registry
from lumos.tools.executor import Executor

PROGRAMS = {
    "arithmetic": "total = 0\nfor i in range(1, 101):\n    total += i * i\nans = total",
    "fractions": "from fractions import Fraction\nans = sum(Fraction(1, k) for k in range(1, 30))",
    "sympy": "import sympy\nx = sympy.symbols('x')\nans = sympy.solve(x**2 - 5*x + 6, x)",
}


def rate(code: str, n: int) -> float:
    executor = Executor(registry.instantiate("maths"), action_time_limit=30)
    action = Action(outputs=["R1"], tool="Code", args=code)
    executor.execute([action])  # warm-up
    started = time.perf_counter()
    for _ in range(n):
        executor.reset()
        result = executor.execute([action])[0]
        if result.error is not None:
            raise SystemExit(f"{code!r} failed: {result.error.message}")
    return (time.perf_counter() - started) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20, help="actions of each kind in each mode")
    args = ap.parse_args()
    check()  # fails here, naming the fix, where the sandbox cannot start
    print(f"{'program':<12}{'unsandboxed':>22}{'sandboxed':>22}{'cost':>12}")
    for name, code in PROGRAMS.items():
        os.environ[UNSAFE_ENV] = "1"
        plain = rate(code, args.n)
        os.environ[UNSAFE_ENV] = "0"
        boxed = rate(code, args.n)
        print(
            f"{name:<12}{1 / plain:>10.1f} actions/s {plain:>5.3f} s{1 / boxed:>10.1f} actions/s {boxed:>5.3f} s"
            f"{boxed - plain:>+10.3f} s"
        )


if __name__ == "__main__":
    main()
