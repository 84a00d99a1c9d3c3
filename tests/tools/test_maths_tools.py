"""The maths tools, one by one and in the programs of the Lumos paper's examples."""

from __future__ import annotations

import re

import pytest
import sympy
from sympy import Integer, Rational

from lumos.domains.maths import DOMAIN as MATHS
from lumos.domains.maths.tools import (
    Calculator,
    Code,
    Count,
    Define,
    SetEquation,
    SolveEquation,
    SolveInequality,
    parse_output,
)
from lumos.errors import ToolError, UndefinedVariableError
from lumos.tools.base import ExecutionContext, Tool, registry
from lumos.tools.executor import run_program
from lumos.tools.safe_math import DefinedFunction, SolutionSet, render_value

x, y = sympy.symbols("x y")


def results(program: str) -> dict[str, str]:
    # a generous time limit: these check answers, and a loaded machine can make a sympy solve take over 5 s
    outcome = run_program(program, action_time_limit=60)
    assert outcome["error"] is None, outcome["error"]
    return outcome["results"]


def error(program: str) -> str:
    outcome = run_program(program)
    assert outcome["error"] is not None, outcome
    return str(outcome["error"])


def test_registry_has_every_maths_tool() -> None:
    tools = registry.instantiate("maths")
    assert [t.name for t in tools] == list(MATHS.tools)
    for tool in tools:
        assert isinstance(tool, Tool)
        assert tool.describe().startswith(tool.name + "(")


# -------------------------------------------------------------------------------------- the paper


def test_paper_example_arithmetic_sequence_terms() -> None:
    program = """
    R1 = Calculator((x-y) - (x+y))
    R2 = Calculator((x+y) + 2*R1)
    R3 = Calculator((x+y) + 3*R1)
    R4 = Calculator((x+y) + 4*R1)
    R5, R6 = SolveEquation(R2=xy, R3=x/y)
    Output = Calculator(R4(R5, R6))
    """
    out = results(program)
    assert out["R1"] == "-2*y"
    assert (out["R5"], out["R6"]) == ("-1.125", "-0.6")  # x = -9/8, y = -3/5
    assert out["Output"] == "3.075"  # 123/40


def test_paper_example_consecutive_even_numbers() -> None:
    program = (
        "R1 = Define(n-2); R2 = Define(n); R3 = Define(n+2); R4 = Calculator(R1^2); R5 = Calculator(R2^2); "
        "R6 = Calculator(R3^2); R8 = SolveEquation(R4 + R5 + R6 = 12296); R9 = Code(If R8 > 0, R8, -R8); "
        "R10 = Calculator(R1(R9)); R11 = Calculator(R2(R9)); R12 = Calculator(R3(R9)); "
        "R13 = Calculator(R10 * R11 * R12); Output = Calculator(R13 / 8)"
    )
    out = results(program)
    assert out["R8"] == "64"  # the positive root of 3n^2 + 8 = 12296
    assert (out["R10"], out["R11"], out["R12"]) == ("62", "64", "66")
    assert out["Output"] == "32736"


def test_paper_example_percent_and_symbolic_equation() -> None:
    program = (
        "R1 = Define(p); R2 = Calculator(40% * p); R3 = Calculator(p + 600); R4 = Calculator(25% * R3); "
        "R5 = SolveEquation(R2 = R4)"
    )
    out = results(program)
    assert out["R2"] == "2*p/5"
    assert out["R5"] == "1000"


def test_paper_example_goldfish_and_code_conditions() -> None:
    assert (
        results("R1 = Calculator(15 / 25%); R2 = Calculator(1 - 25%); R3 = Calculator(R1 * R2)")["R3"] == "45"
    )
    out = results(
        "R1 = Code(If 141 % 1 == 0, 1, 0); R2 = Code(If 143 % 3 == 0, 1, 0); R3 = Calculator(R1 + R2)"
    )
    assert (out["R1"], out["R2"], out["R3"]) == ("1", "0", "1")
    assert results("R1 = Count(2^0, 2^1, 2^2, 2^3, 2^4, 2^5, 2^6)")["R1"] == "7"
    assert results("R1 = Calculator(16); R2 = Calculator(3); R3 = Calculator(R1 > R2)")["R3"] == "True"
    assert results("R1 = Calculator(60); R2 = Calculator(50); R5 = SolveEquation(R1 + R2)")["R5"] == "110"


# ------------------------------------------------------------------------------------- Calculator


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("28 * 1/7", "4"),
        ("2 - 0.5", "1.5"),
        ("18 + 1/2 * 18", "27"),
        ("2 + 3 =", "5"),
        ("2 + 3 = 6", "5"),  # a claimed value after '=' is ignored
        ("'2 + 3'", "5"),
        ("x + 3 = 6", "x + 3 = 6"),  # with unknowns it is an equation
        ("x + x", "2*x"),
        ("[1, 2]", "[1, 2]"),
    ],
)
def test_calculator(args: str, expected: str) -> None:
    tool = Calculator()
    assert tool.render(tool.run(args, ExecutionContext())) == expected


def test_calculator_errors() -> None:
    tool = Calculator()
    with pytest.raises(ToolError, match="several values"):
        tool.run("1, 2", ExecutionContext())
    with pytest.raises(UndefinedVariableError):
        tool.run("R7 + 1", ExecutionContext())


# -------------------------------------------------------------------------------------- equations


def test_set_equation() -> None:
    tool = SetEquation()
    ctx = ExecutionContext()
    eq = tool.run("2*x + 3 = 11", ctx)
    assert isinstance(eq, sympy.Equality)
    assert tool.render(eq) == "2*x + 3 = 11"
    assert tool.render(tool.run("2x + 3", ctx)) == "2*x + 3 = 0"
    system = tool.run("x + y = 10, x - y = 2", ctx)
    assert tool.render(system) == "[x + y = 10, x - y = 2]"
    ctx.state["outputs"] = ["R1", "R2"]
    assert len(tool.run("x + y = 10, x - y = 2", ctx)) == 2
    assert tool.render(tool.run("a = b = 3", ExecutionContext())) == "[a = b, b = 3]"
    with pytest.raises(ToolError, match="empty side"):
        tool.run("= 3", ExecutionContext())
    with pytest.raises(ToolError, match="inequality"):
        tool.run("x > 3 = 2", ExecutionContext())


def test_set_then_solve() -> None:
    out = results("R1 = SetEquation(2*x + 3 = 11); R2 = SolveEquation(R1)")
    assert out == {"R1": "2*x + 3 = 11", "R2": "4"}
    out = results("R1, R2 = SetEquation(x + y = 10, x - y = 2); R3, R4 = SolveEquation(R1, R2)")
    assert (out["R3"], out["R4"]) == ("6", "4")
    out = results("R1 = SetEquation(x + y = 10, x - y = 2); R2, R3 = SolveEquation(R1)")
    assert (out["R2"], out["R3"]) == ("6", "4")
    assert results("R1 = Calculator(x + 3 = 6); R2 = SolveEquation(R1)")["R2"] == "3"


@pytest.mark.parametrize(
    ("program", "expected"),
    [
        ("R1 = SolveEquation(3x - 7 = 11)", {"R1": "6"}),
        ("R1 = SolveEquation(x / 4 = 2.5)", {"R1": "10"}),
        ("R1 = SolveEquation(x^2 = 49)", {"R1": "7"}),  # the positive root is preferred
        ("R1 = SolveEquation(x^2 + 2x - 3)", {"R1": "1"}),  # no '=': the expression is 0
        ("R1, R2 = SolveEquation(x^2 = 4)", {"R1": "-2", "R2": "2"}),  # as many outputs as roots
        ("R1 = SolveEquation(x^2 - 5x + 6 = 0)", {"R1": "[2, 3]"}),  # two positive roots: both
        ("R1 = SolveEquation(x^2 = -4)", {"R1": "[-2i, 2i]"}),  # complex only when nothing is real
        ("R1 = SolveEquation(x^5 + x + 1 = 0)", {"R1": "-0.754878"}),
        ("R1 = SolveEquation(2^x = 8)", {"R1": "3"}),
        ("R1 = SolveEquation(x + y = 10, x)", {"R1": "10 - y"}),  # a bare unknown: solve for it
        ("R2, R1 = SolveEquation(b + a = 3, b - a = 1)", {"R2": "1", "R1": "2"}),  # name order: a, b
        ("R1 = SolveEquation(1,000 * x = 5,000)", {"R1": "5"}),
        ("R1 = SolveEquation(2 + 3)", {"R1": "5"}),
    ],
)
def test_solve_equation(program: str, expected: dict[str, str]) -> None:
    assert results(program) == expected


def test_solve_equation_without_an_outputs_hint_returns_every_unknown() -> None:
    tool = SolveEquation()
    assert tool.run("x + y = 10, x - y = 2", ExecutionContext()) == (6, 4)
    assert tool.run("x^2 = 9", ExecutionContext()) == 3


@pytest.mark.parametrize(
    ("program", "message"),
    [
        ("R1 = SolveEquation(x + 1 = x + 2)", "no solution"),
        ("R1 = SolveEquation(3 = 4)", "never true"),
        ("R1 = SolveEquation(x + y = 10, x - y = 2)", "assigns 1 variable.*x = 6, y = 4"),
        ("R1, R2 = SolveEquation(x + y = 5, x*y = 6)", "several solutions"),
        ("R1 = SolveEquation(x > 3)", "SolveInequality"),
        ("R1 = SolveEquation()", "needs an equation"),
        ("R1 = SolveEquation(x = 1, 2, 3)", "neither an equation nor an unknown"),
    ],
)
def test_solve_equation_errors(program: str, message: str) -> None:
    assert re.search(message, error(program))


def test_juxtaposed_letters_read_as_a_product_only_beside_their_letters() -> None:
    assert results("R1, R2 = SolveEquation(x - 3y = xy, x - 5y = x/y)") == {"R1": "-1.125", "R2": "-0.6"}
    assert results("R1 = SolveEquation(total = 3 * 20)") == {"R1": "60"}  # 'total' stays one unknown


# ----------------------------------------------------------------------------------- inequalities


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("2*x + 3 > 11", "x > 4"),
        ("2x + 3 >= 11", "x >= 4"),
        ("5 - x > 2", "x < 3"),
        ("1 < 2*x < 9", "0.5 < x < 4.5"),
        ("x^2 <= 9", "-3 <= x <= 3"),
        ("x**2 > 4", "x < -2 or x > 2"),
        ("x != 2", "x < 2 or x > 2"),
        ("2x + 3 > 11, x < 10", "4 < x < 10"),
        ("x^2 + 1 < 0", "no solution"),
        ("x^2 >= 0", "x is any real number"),
        ("3 > 2", "True"),
    ],
)
def test_solve_inequality(args: str, expected: str) -> None:
    tool = SolveInequality()
    value = tool.run(args, ExecutionContext())
    assert tool.render(value) == expected


def test_solve_inequality_result_is_a_set_that_count_counts() -> None:
    value = SolveInequality().run("2x + 3 > 11, x <= 10", ExecutionContext())
    assert isinstance(value, SolutionSet)
    assert results("R1 = SolveInequality(2x + 3 > 11, x <= 10); R2 = Count(R1)")["R2"] == "6"  # 5..10
    assert results("R1 = SolveInequality(x^2 < 10); R2 = Count(R1)")["R2"] == "7"  # -3..3
    assert "infinitely many" in error("R1 = SolveInequality(x > 3); R2 = Count(R1)")
    with pytest.raises(ToolError, match="one unknown"):
        SolveInequality().run("x + y > 3", ExecutionContext())
    with pytest.raises(ToolError, match="not an inequality"):
        SolveInequality().run("x + 3", ExecutionContext())


# ------------------------------------------------------------------------------------------ Count


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("1, 2, 5", 3),
        ("[1, 2, 5]", 3),
        ("", 0),
        ("[]", 0),
        ("3, 6, 9, ..., 99", 33),
        ("3, 6, 9, …, 99", 33),
        ("3, 6, ..., 100", 33),  # the last item need not be in the sequence
        ("1, ..., 10", 10),
        ("10, 8, ..., 0", 6),
        ("0.5, 1, ..., 5", 10),
        ("{1, 2, 2, 3}", 3),
        ("1,000, 2,000", 2),  # with spaces after the separating commas, 1,000 is a thousand
        ("100,200,300", 3),  # without spaces every comma separates
        ("apple, banana, cherry", 3),
        ("range(1, 101)", 100),
        ("range(0, 100, 7)", 15),
        ("42", 1),
    ],
)
def test_count(args: str, expected: int) -> None:
    assert Count().run(args, ExecutionContext()) == Integer(expected)


def test_count_of_variables_and_bad_sequences() -> None:
    ctx = ExecutionContext(variables={"R1": [Integer(2), Integer(3)]})
    assert Count().run("R1", ctx) == 2
    with pytest.raises(UndefinedVariableError):
        Count().run("R2", ctx)
    with pytest.raises(ToolError, match="not an arithmetic sequence"):
        Count().run("1, 2, 4, ..., 100", ctx)
    with pytest.raises(ToolError, match="does not change"):
        Count().run("1, 1, ..., 5", ctx)
    with pytest.raises(ToolError, match="last term"):
        Count().run("1, 2, ...", ctx)


# ----------------------------------------------------------------------------------------- Define


def test_define() -> None:
    tool = Define()
    ctx = ExecutionContext()
    assert tool.run("5", ctx) == 5
    assert tool.run("2/3", ctx) == Rational(2, 3)
    assert tool.run("p", ctx) == sympy.Symbol("p")
    assert tool.run("x = 5", ctx) == 5  # the name is a label only
    assert tool.run("y = 2x + 1", ctx) == 2 * x + 1
    assert tool.run("a = 1, b = 2.5", ctx) == (1, Rational(5, 2))
    f = tool.run("f(a, b) = a*b", ctx)
    assert isinstance(f, DefinedFunction)
    assert tool.render(f) == "f(a, b) = a*b"
    assert tool.render(tool.run("2x = 6", ctx)) == "2*x = 6"
    with pytest.raises(ToolError, match="repeat"):
        tool.run("g(a, a) = a", ctx)


def test_defined_functions_and_expressions_apply() -> None:
    out = results("R1 = Define(5*x + 2); R2 = Calculator(R1(3)); R3 = Calculator(R1(x=4))")
    assert (out["R2"], out["R3"]) == ("17", "22")
    out = results("R1 = Define(f(a, b) = a*b); R2 = Calculator(R1(2, 3)); R3 = R1(4, 5)")
    assert (out["R2"], out["R3"]) == ("6", "20")
    out = results("R1, R2 = Define(a = 1, b = 2); R3 = Calculator(R1 + R2)")
    assert out["R3"] == "3"


# ------------------------------------------------------------------------------------------- Code


def test_code_in_process_forms() -> None:
    ctx = ExecutionContext(variables={"R8": Integer(-64)})
    tool = Code()
    assert tool.run("If R8 > 0, R8, -R8", ctx) == 64
    assert tool.run("if 3 < 2, 1, 0", ctx) == 0
    assert tool.run("R8 * 2", ctx) == -128  # a plain formula needs no Python process
    with pytest.raises(ToolError, match="cannot decide"):
        tool.run("If x > 0, 1, 0", ctx)


def test_code_runs_python() -> None:
    program = (
        'R1 = Code(print(sum(range(10)))); R2 = Code("import math\\nans = math.comb(10, 3)"); '
        "R3 = Code(x = 3\ny = R2\nprint(x + y)); R4 = Code(def f():\n    return 2 ** 100); "
        "R5 = Code(0.1 + 0.2); R6 = Code(import sympy\nresult = sympy.Rational(1, 3)); "
        "R7 = Code(from fractions import Fraction\nFraction(R1, 4)); R8 = Code(print('hello'))"
    )
    out = results(program)
    assert out == {
        "R1": "45",
        "R2": "120",
        "R3": "123",
        "R4": str(2**100),
        "R5": "0.3",
        "R6": "0.333333",
        "R7": "11.25",
        "R8": "hello",
    }


def test_code_quoted_and_fenced() -> None:
    ctx = ExecutionContext()
    assert Code().run("'''\nx = 2\nprint(x * 21)\n'''", ctx) == 42
    assert Code().run("```python\nprint(6 * 7)\n```", ctx) == 42


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("1/0", "ZeroDivisionError.*line 1"),
        ("x = 1", "no result"),
        ("import nosuchmodule", "ModuleNotFoundError"),
        ("def f(:\n  pass", "SyntaxError"),
        ("import sys\nsys.exit(3)", "no result"),
    ],
)
def test_code_errors(code: str, message: str) -> None:
    with pytest.raises(ToolError, match=message):
        Code().run(code, ExecutionContext())


def test_code_result_parsing() -> None:
    assert parse_output("42") == 42
    assert parse_output("3.5") == Rational(7, 2)
    assert parse_output("1,234") == 1234
    assert parse_output("line one\n\n7/2\n") == Rational(7, 2)
    assert parse_output("True") is sympy.S.true
    assert parse_output("the answer") == "the answer"
    assert parse_output("x + 1") == "x + 1"
    assert parse_output("x + 1", symbolic=True) == x + 1
    assert isinstance(parse_output("0.30000000000000004"), sympy.Float)  # float noise stays a float
    assert render_value(parse_output("0.30000000000000004")) == "0.3"
    assert parse_output("[1, 2.5]") == [1, Rational(5, 2)]
    assert render_value(parse_output("1" * 5000)) == "1" * 5000  # beyond Python's int-to-text limit
