"""The executor: order, variables, rendering, errors, limits, and run_program."""

from __future__ import annotations

import time
from typing import Any, ClassVar

import pytest
from sympy import Integer, Rational

from lumos.errors import ToolError
from lumos.format.parse import parse_actions
from lumos.format.types import Action
from lumos.tools.base import ExecutionContext, Tool, registry
from lumos.tools.executor import NO_OUTPUT, Executor, run_program


def maths_executor(**kwargs: Any) -> Executor:
    return Executor(registry.instantiate("maths"), **kwargs)


class Echo(Tool):
    name = "Echo"
    description = "Returns its argument text"
    signature = "Echo(text)"
    resets = 0

    def run(self, args: str, ctx: ExecutionContext) -> Any:
        return args

    def reset(self) -> None:
        Echo.resets += 1


class Buggy(Tool):
    name = "Buggy"
    description = "Has a bug"
    signature = "Buggy(x)"

    def run(self, args: str, ctx: ExecutionContext) -> Any:
        raise RuntimeError("a bug, not a model mistake")


class Refuses(Tool):
    name = "Refuses"
    description = "Rejects its input"
    signature = "Refuses(x)"

    def run(self, args: str, ctx: ExecutionContext) -> Any:
        raise ToolError("no thanks")


class Pair(Tool):
    name = "Pair"
    description = "Returns two values"
    signature = "Pair(x)"
    outputs: ClassVar[int | None] = 2

    def run(self, args: str, ctx: ExecutionContext) -> Any:
        return (Integer(1), Integer(2))


class Slow(Tool):
    name = "Slow"
    description = "Never finishes"
    signature = "Slow()"
    time_limit: ClassVar[float] = 0.3

    def run(self, args: str, ctx: ExecutionContext) -> Any:
        while True:
            time.sleep(0.01)


def test_runs_in_order_and_stores_raw_values() -> None:
    executor = maths_executor()
    actions = parse_actions("R1 = Calculator(28 * 1/7); R2 = Calculator(28 - R1); R3 = Calculator(R2 / 5)")
    found = executor.execute(actions)
    assert [r.outputs for r in found] == [{"R1": "4"}, {"R2": "24"}, {"R3": "4.8"}]
    assert all(r.error is None and r.seconds >= 0 for r in found)
    assert found[0].action == "R1 = Calculator(28 * 1/7)"
    assert executor.context.variables["R3"] == Rational(24, 5)  # exact inside, plain outside


def test_variables_carry_over_between_calls_until_reset() -> None:
    executor = maths_executor()
    executor.execute(parse_actions("R1 = Calculator(2 + 3)"))
    assert executor.execute(parse_actions("R2 = Calculator(R1 * 2)"))[0].outputs == {"R2": "10"}
    executor.reset()
    assert executor.context.variables == {}
    result = executor.execute(parse_actions("R2 = Calculator(R1 * 2)"))[0]
    assert result.error is not None and result.error.kind == "undefined_variable"
    assert "R1" in result.error.message


def test_reset_resets_every_tool() -> None:
    Echo.resets = 0
    executor = Executor([Echo(), *registry.instantiate("maths")])
    executor.reset()
    assert Echo.resets == 1


def test_bare_values() -> None:
    executor = Executor([Echo(), *registry.instantiate("maths")])
    found = executor.execute(
        parse_actions("R1 = Echo(some text); R2 = Calculator(7/2); Output = R2; R3 = R2 * 2; Output = R1")
    )
    assert [r.outputs for r in found] == [
        {"R1": "some text"},
        {"R2": "3.5"},
        {"Output": "3.5"},
        {"R3": "7"},
        {"Output": "some text"},  # a bare reference keeps any value, shown as its tool showed it
    ]
    assert executor.context.variables["Output"] == "some text"
    claimed = executor.execute([Action(outputs=["Output"], tool=None, args="R3 = 40")])[0]
    assert claimed.outputs == {"Output": "7"}  # "Output = R3 = 40": the claimed value is ignored


def test_action_without_outputs_shows_its_result() -> None:
    found = maths_executor().execute([Action(tool="Calculator", args="2 + 3")])
    assert found[0].outputs == {NO_OUTPUT: "5"}


def test_first_error_stops_the_list() -> None:
    executor = maths_executor()
    found = executor.execute(
        parse_actions("R1 = Calculator(2); R2 = Calculator(R1 / 0); R3 = Calculator(R1 + 1)")
    )
    assert len(found) == 2
    assert found[1].error is not None
    assert found[1].error.module == "execute"
    assert found[1].error.kind == "tool_error"
    assert found[1].error.message.startswith("R2 = Calculator(R1 / 0): ")
    assert "division by zero" in found[1].error.message
    assert "R3" not in executor.context.variables


@pytest.mark.parametrize(
    ("program", "kind", "words"),
    [
        ("R1 = Nope(1)", "unknown_tool", "Nope"),
        ("R1 = Refuses(1)", "tool_error", "no thanks"),
        ("R1, R2 = Calculator(1)", "tool_error", "assigns 2"),
        ("R1 = Pair(1)", "tool_error", "gave 2 value"),
        ("R1 = Calculator(9**9**9**9)", "limit_exceeded", "digits"),
        ("R1 = Calculator(R5)", "undefined_variable", "R5"),
        ("Output = R5", "undefined_variable", "R5"),
        ("R1 = Calculator(__import__('os'))", "tool_error", "not allowed"),
    ],
)
def test_model_mistakes_are_recorded(program: str, kind: str, words: str) -> None:
    executor = Executor([Refuses(), Pair(), *registry.instantiate("maths")])
    result = executor.execute(parse_actions(program))[-1]
    assert result.error is not None
    assert result.error.kind == kind
    assert words in result.error.message
    assert result.error.message.startswith(program.split(";")[0].strip())


def test_tool_with_several_outputs() -> None:
    executor = Executor([Pair()])
    assert executor.execute(parse_actions("R1, R2 = Pair(0)"))[0].outputs == {"R1": "1", "R2": "2"}


def test_bugs_propagate() -> None:
    executor = Executor([Buggy()])
    with pytest.raises(RuntimeError, match="a bug"):
        executor.execute(parse_actions("R1 = Buggy(1)"))


def test_time_limit_per_action() -> None:
    executor = Executor([Slow()], action_time_limit=5.0)
    start = time.perf_counter()
    result = executor.execute(parse_actions("R1 = Slow()"))[0]
    assert time.perf_counter() - start < 2.0
    assert result.error is not None and result.error.kind == "limit_exceeded"
    assert "Slow" in result.error.message

    executor = Executor(registry.instantiate("maths"), action_time_limit=0.3)
    start = time.perf_counter()
    # a system SymPy takes long to solve: the alarm stops it
    result = executor.execute(
        parse_actions("R1, R2, R3 = SolveEquation(x^7 + y^5 + z^3 = 1, x^3*y^2 - z = 2, x*y*z^5 - x = 3)")
    )[0]
    assert time.perf_counter() - start < 2.0
    assert result.error is not None and result.error.kind == "limit_exceeded"


def test_variable_named_tool_applies_a_function() -> None:
    out = run_program("R1 = Define(f(a, b) = a + b); R2 = R1(2, 3)")
    assert out == {"results": {"R1": "f(a, b) = a + b", "R2": "5"}, "output": "5", "error": None}


# ------------------------------------------------------------------------------------- run_program


def test_run_program_result_shape() -> None:
    assert run_program(["R1 = Calculator(28 * 1/7)", "R2 = Calculator(28 - R1)"]) == {
        "results": {"R1": "4", "R2": "24"},
        "output": "24",
        "error": None,
    }
    assert run_program("R1 = Calculator(2)\nOutput = Calculator(R1 * 3)")["output"] == "6"


def test_run_program_errors() -> None:
    failed = run_program("R1 = Calculator(2); R2 = Calculator(R1 / 0); R3 = Calculator(1)")
    assert failed["results"] == {"R1": "2"}
    assert failed["output"] is None
    assert failed["error"].startswith("R2 = Calculator(R1 / 0)")
    unparsable = run_program("this is prose without any action")
    assert unparsable["results"] == {} and unparsable["output"] is None
    assert unparsable["error"].startswith("parse error:")
    with pytest.raises(Exception, match="unknown domain"):
        run_program("R1 = Calculator(1)", domain="no-such-domain")


def test_a_long_program_of_simple_actions() -> None:
    # its speed (actions/s) is measured by benchmarks/exec_speed.py, not asserted here
    executor = maths_executor()
    actions = []
    for i in range(1, 1001):
        actions += parse_actions(
            f"R{2 * i - 1} = Calculator({i} * 3 + 7/2); R{2 * i} = Calculator(R{2 * i - 1} - 1.5)"
        )
    found = executor.execute(actions)
    assert len(found) == 2000 and all(step.error is None for step in found)
    assert found[0].outputs == {"R1": "6.5"} and found[-1].outputs == {"R2000": "3002"}


class SlowToLoad(Tool):
    name = "SlowToLoad"
    description = "Loads a model for longer than one action may run, then answers at once"
    signature = "SlowToLoad(text)"
    time_limit = 0.3

    def __init__(self) -> None:
        self.loads = 0

    def load(self) -> None:
        if self.loads == 0:
            time.sleep(0.6)
        self.loads += 1

    def run(self, args: str, ctx: ExecutionContext) -> Any:
        return args.upper()


def test_loading_a_tool_does_not_count_against_the_action_time_limit():
    tool = SlowToLoad()
    executor = Executor([tool], action_time_limit=0.3)
    results = executor.execute(parse_actions("R1 = SlowToLoad(a); R2 = SlowToLoad(b)"))
    assert [r.error for r in results] == [None, None]
    assert [r.outputs for r in results] == [{"R1": "A"}, {"R2": "B"}]
    assert tool.loads == 2  # asked before each action; only the first is slow
