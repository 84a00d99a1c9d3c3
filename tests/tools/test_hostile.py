"""Hostile and random input: every program ends quickly with a value or a recorded error, and nothing
escapes (no code runs in-process; Code's limits hold). The sandbox's escape corpus is tests/sandbox."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy import Integer, Symbol

from lumos.format.types import Action
from lumos.tools.base import registry
from lumos.tools.executor import Executor, run_program

EXPRESSION_TOOLS = ["Calculator", "SetEquation", "SolveEquation", "SolveInequality", "Count", "Define"]
LIMIT = 2.0


@pytest.fixture(scope="module")
def executor() -> Executor:
    return Executor(registry.instantiate("maths"), action_time_limit=LIMIT)


def run_one(executor: Executor, tool: str | None, args: str) -> tuple[float, object]:
    executor.reset()
    executor.context.variables.update({"R1": Integer(7), "R2": 2 * Symbol("x") + 1})
    start = time.perf_counter()
    result = executor.execute([Action(outputs=["R3"], tool=tool, args=args)])[0]
    elapsed = time.perf_counter() - start
    if result.error is None:
        assert isinstance(result.outputs["R3"], str)
    else:
        assert result.error.module == "execute" and result.error.message
    return elapsed, result


# ---------------------------------------------------------------------------------------- size bombs


@pytest.mark.parametrize(
    "program",
    [
        "R1 = Calculator(9**9**9**9)",
        "R1 = Calculator(9^9^9^9)",
        "R1 = Calculator(factorial(10**9))",
        "R1 = Calculator(10**10**10)",
        "R1 = Define(2**2**2**2**2**2)",
        "R1 = SetEquation(x = 10**10**10)",
        "R1 = SolveEquation(x = 9**9**9)",
        "R1 = SolveInequality(x > 10**10**10)",
        "R1 = Count(1, 2, ..., 10**10**10)",
        "Output = 7**7**7**7",
        "R1 = Calculator(2); R2 = Calculator(R1**R1**R1**R1**R1**R1)",
        "R1 = Define(x**1000); R2 = Calculator(R1(10**100))",
        "R1 = Define(factorial(x)); R2 = Calculator(R1(10**6))",
        "R1 = Calculator(1e999999999)",
        "R1 = Calculator(" + "(" * 300 + "1" + ")" * 300 + ")",
        "R1 = Calculator(" + "-" * 1900 + "1)",
        "R1 = Calculator(" + "9" * 3000 + ")",
    ],
)
def test_size_bombs_end_fast_with_an_error(program: str) -> None:
    start = time.perf_counter()
    outcome = run_program(program)
    assert time.perf_counter() - start < 1.0
    assert outcome["error"] is not None
    assert outcome["output"] is None


# ------------------------------------------------------------------------------------ code injection


INJECTIONS = [
    "__import__('os').system('touch {path}')",
    "__import__('os').system",
    "().__class__.__bases__[0].__subclasses__()",
    "open('{path}', 'w').write('x')",
    "exec(\"open('{path}', 'w')\")",
    "eval(\"__import__('os').system('touch {path}')\")",
    "getattr(__builtins__, 'open')('{path}', 'w')",
    "globals()",
    "[c for c in ().__class__.__base__.__subclasses__()]",
    "(lambda: __import__('os').system('touch {path}'))()",
    "sqrt.__globals__",
    "R1.__class__",
    'f\'{{__import__("os").system("touch {path}")}}\'',
    "x if __import__('os').system('touch {path}') else 1",
]


@pytest.mark.parametrize("tool", [*EXPRESSION_TOOLS, None])
@pytest.mark.parametrize("template", INJECTIONS)
def test_injection_is_refused_and_runs_nothing(
    executor: Executor, tool: str | None, template: str, tmp_path: Path
) -> None:
    target = tmp_path / "pwned"
    _, result = run_one(executor, tool, template.format(path=target))
    assert not target.exists()
    if tool != "Count":  # Count counts items it cannot read as text items: nothing is evaluated
        assert result.error is not None  # type: ignore[attr-defined]


def test_injection_through_code_runs_nothing_outside(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    outcome = run_program(f"R1 = Code(__import__('os').system('touch {target}'))")
    assert outcome["error"] is not None and "not allowed" in outcome["error"]
    assert not target.exists()


# ------------------------------------------------------------------------------------ random input

ATOMS = st.sampled_from(
    ["0", "1", "2", "-3", "0.5", "1e3", "x", "y", "R1", "R2", "R9", "pi", "e", "10**100", "1,000", "20%",
     "2x", "sqrt(2)", "...", "[1, 2]", "True", "'s'", "()", "None"]
)  # fmt: skip
OPERATORS = st.sampled_from(
    ["+", "-", "*", "/", "**", "^", "//", "%", "=", "==", "<", ">=", ",", " and ", " or ", " if 1 else ", ".",
     "@", "<<", ":=", " in ", " is "]
)  # fmt: skip
FUNCTIONS = st.sampled_from(
    ["sqrt", "factorial", "log", "exp", "floor", "round", "max", "gcd", "binomial", "R1", "R2", "sin", "abs",
     "int", "f", "range", "pow", "mod", "__import__", "lambda x:", "open", "type", ""]
)  # fmt: skip
EXPRESSIONS = st.recursive(
    ATOMS,
    lambda inner: st.one_of(
        st.tuples(inner, OPERATORS, inner).map(lambda t: f"{t[0]}{t[1]}{t[2]}"),
        st.tuples(FUNCTIONS, st.lists(inner, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        inner.map(lambda c: f"({c})"),
        inner.map(lambda c: f"[{c}]"),
        inner.map(lambda c: f"-{c}"),
        inner.map(lambda c: f"{c}[0]"),
        inner.map(lambda c: f"{c}.real"),
    ),
    max_leaves=10,
)
CHARACTERS = st.text(
    alphabet=st.sampled_from(list("0123456789+-*/^%=()[]{},.xyR eE!<>_'\"$√×²π\\:@")), max_size=60
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(tool=st.sampled_from([*EXPRESSION_TOOLS, None]), args=EXPRESSIONS)
def test_random_expressions_end_with_a_value_or_an_error(
    executor: Executor, tool: str | None, args: str
) -> None:
    elapsed, _ = run_one(executor, tool, args)
    assert elapsed < LIMIT + 1.0


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(tool=st.sampled_from([*EXPRESSION_TOOLS, None]), args=CHARACTERS)
def test_random_text_ends_with_a_value_or_an_error(executor: Executor, tool: str | None, args: str) -> None:
    elapsed, _ = run_one(executor, tool, args)
    assert elapsed < LIMIT + 1.0


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(program=st.text(max_size=120))
def test_random_programs_never_raise(program: str) -> None:
    outcome = run_program(program, action_time_limit=LIMIT)
    assert set(outcome) == {"results", "output", "error"}
    assert outcome["error"] is None or isinstance(outcome["error"], str)


# ------------------------------------------------------------------------------------- Code's jail


def code_error(code: str, limit: float = 5.0) -> tuple[str, str]:
    """Run Code; return (error kind, message)."""
    executor = Executor(registry.instantiate("maths"), action_time_limit=limit)
    result = executor.execute([Action(outputs=["R1"], tool="Code", args=code)])[0]
    assert result.error is not None, result.outputs
    return result.error.kind, result.error.message


def test_code_memory_time_and_file_size_limits() -> None:
    start = time.perf_counter()
    kind, message = code_error("x = bytearray(10 * 1024**3)")
    assert kind == "limit_exceeded" and "memory" in message
    kind, message = code_error("x = [0] * (2 * 10**9)")
    assert kind == "limit_exceeded"
    assert time.perf_counter() - start < 5.0

    start = time.perf_counter()
    kind, message = code_error("while True:\n    pass", limit=1.5)
    assert kind == "limit_exceeded"
    assert time.perf_counter() - start < 3.0

    kind, message = code_error("open('big', 'wb').write(b'0' * 20_000_000)")
    assert kind == "tool_error" and "File too large" in message


def test_code_huge_output_is_cut_and_working_directories_are_removed() -> None:
    mine = f"lumos-code-{os.getpid()}-*"  # this process's scratch folders
    before = set(Path(tempfile.gettempdir()).glob(mine))
    outcome = run_program("R1 = Code(print('x' * 10**7))")
    assert outcome["error"] is None
    assert 0 < len(outcome["output"]) <= 20_000
    assert set(Path(tempfile.gettempdir()).glob(mine)) <= before
