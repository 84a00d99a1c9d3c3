"""The restricted expression parser, its guards, and number rendering."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
import sympy
from sympy import Float, Integer, Rational, Symbol, sqrt

from lumos.errors import LimitExceededError, ToolError, UndefinedVariableError
from lumos.tools.base import ExecutionContext
from lumos.tools.safe_math import (
    MAX_DIGITS,
    DefinedFunction,
    SolutionSet,
    evaluate,
    normalize,
    render_value,
    split_equation,
    split_items,
    time_limit,
    to_sympy,
)

x, y, n = sympy.symbols("x y n")


def calc(text: str, ctx: ExecutionContext | None = None) -> str:
    return render_value(evaluate(text, ctx))


# ------------------------------------------------------------------------------------------ notation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 + 3", "5"),
        ("28 * 1/7", "4"),
        ("7/2", "3.5"),
        ("2^10", "1024"),
        ("2**10", "1024"),
        ("2^-3", "0.125"),
        ("2^3^2", "512"),
        ("-7 // 2", "-4"),
        ("10 % 3", "1"),
        ("(1 + 2)(3 + 4)", "21"),
        ("2(3 + 4)", "14"),
        ("1,000,000 + 1", "1000001"),
        ("$1,234.50 * 2", "2469"),
        ("(1,000 + 500) / 3", "500"),
        ("gcd(12,345)", "3"),  # inside a call, commas separate arguments
        ("max(1,000)", "1"),  # max(1, 0): the rule is the same for every call
        ("20% * 5", "1"),
        ("15 / 25%", "60"),
        ("1 - 25%", "0.75"),
        ("100% - 40%", "0.6"),
        ("20% of 50", "10"),
        ("(2 + 3)% * 100", "5"),
        ("R1%", "0.07"),
        ("3 × 4 ÷ 2 − 1", "5"),
        ("5²", "25"),
        ("√16 + √(9)", "7"),
        ("2π / pi", "2"),
        ("\\frac{3}{4} \\cdot 8", "6"),
        ("1e3 + 2.5e-1", "1000.25"),
        (".5 * 4", "2"),
        ("0.1 + 0.2", "0.3"),
        ("3 > 2", "True"),
        ("1 < 2 < 3", "True"),
        ("2 == 3", "False"),
        ("1 if 2 > 1 else 0", "1"),
        ("3 > 2 and 1 > 2", "False"),
        ("not 3 > 2", "False"),
        ("[1, 2, 3 * 2]", "[1, 2, 6]"),
        ("e", "2.718282"),
        ("True", "True"),
    ],
)
def test_arithmetic_notations(text: str, expected: str) -> None:
    ctx = ExecutionContext(variables={"R1": Integer(7)})
    assert calc(text, ctx) == expected


def test_decimals_are_exact() -> None:
    assert evaluate("0.1 + 0.2") == Rational(3, 10)
    assert evaluate("1.1 * 1.1") == Rational(121, 100)
    assert evaluate("1_000.5") == Rational(2001, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2x + 3", "(2*x) + 3"),
        ("1/2x", "1/(2*x)"),
        ("2x^2", "2*x**2"),
        ("2sqrt(3)", "2*sqrt(3)"),
        ("2e5", "2e5"),
        ("3R1", "(3*R1)"),
        ("R1(3)", "R1(3)"),
        ("log2(8)", "log2(8)"),
        ("10 % 3", "10 % 3"),
        ("x % y", "x % y"),
        ("1 if x else 2", "1 if x else 2"),
        ("(a) if (b) else (c)", "(a) if (b) else (c)"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_implicit_product_binds_tightly() -> None:
    assert evaluate("1/2x") == 1 / (2 * x)
    assert evaluate("2x^2") == 2 * x**2


def test_symbols_and_functions() -> None:
    assert evaluate("(x - y) - (x + y)") == -2 * y
    assert calc("sqrt(2)") == "1.414214"
    assert calc("sqrt(16)") == "4"
    assert calc("log(8, 2)") == "3"
    assert calc("ln(e^2)") == "2"
    assert calc("log10(1000)") == "3"
    assert calc("factorial(5) + binomial(5, 2) + comb(4, 2) + perm(4, 2)") == "148"
    assert calc("floor(7/2) + ceil(7/2) + round(2.5) + round(-2.5)") == "7"  # rounds half away from 0
    assert calc("round(2.345, 2)") == "2.35"
    assert calc("round(1/3, 3)") == "0.333"
    assert calc("abs(-3) + min(4, 2, 9) + max([1, 5])") == "10"
    assert calc("gcd(12, 18) + lcm(4, 6)") == "18"
    assert calc("sum(1, 2, 3) + mean([2, 4])") == "9"
    assert calc("int(-3.7) + int(3.7)") == "0"
    assert calc("pow(2, 10, 1000)") == "24"
    assert calc("mod(17, 5)") == "2"
    assert calc("isprime(97)") == "True"
    assert calc("sin(pi/2) + cos(0)") == "2"
    assert calc("degrees(pi)") == "180"


def test_result_variables_and_application() -> None:
    ctx = ExecutionContext(variables={"R1": n - 2, "R2": Integer(64), "R4": x - 7 * y, "R5": Rational(-9, 8)})
    ctx.variables["R6"] = Rational(-3, 5)
    ctx.variables["R7"] = DefinedFunction(params=(Symbol("a"), Symbol("b")), body=Symbol("a") * Symbol("b"))
    assert calc("R1(R2)", ctx) == "62"
    assert calc("R1(n=3)", ctx) == "1"
    assert evaluate("R4(R5, R6)", ctx) == Rational(123, 40)
    assert evaluate("R4(R5)", ctx) == Rational(-9, 8) - 7 * y  # fewer arguments bind the first unknowns
    assert calc("R7(2, 3)", ctx) == "6"
    assert calc("R7(b=4, a=2)", ctx) == "8"
    assert calc("R2 / 8", ctx) == "8"
    with pytest.raises(ToolError, match="not a function"):
        evaluate("R2(3)", ctx)
    with pytest.raises(ToolError, match="takes 2 argument"):
        evaluate("R7(1, 2, 3)", ctx)
    with pytest.raises(ToolError, match="no variable 'z'"):
        evaluate("R1(z=1)", ctx)
    with pytest.raises(UndefinedVariableError, match="R9"):
        evaluate("R9 + 1", ctx)
    with pytest.raises(UndefinedVariableError):
        evaluate("R1 + 1")


def test_values_from_other_tools_are_converted() -> None:
    ctx = ExecutionContext(
        variables={"R1": 3, "R2": 0.5, "R3": "42", "R4": "hello", "R5": True, "R6": [1, 2]}
    )
    assert calc("R1 + R2 + R3", ctx) == "45.5"
    assert calc("R5", ctx) == "True"
    with pytest.raises(ToolError, match="holds text"):
        evaluate("R4 + 1", ctx)
    with pytest.raises(ToolError, match="list"):
        evaluate("R6 + 1", ctx)
    assert to_sympy([1, 2.5]) == [Integer(1), Float(2.5)]


def test_equations_combine_side_by_side() -> None:
    eq1 = sympy.Eq(x + y, 10, evaluate=False)
    eq2 = sympy.Eq(x - y, 2, evaluate=False)
    ctx = ExecutionContext(variables={"R1": eq1, "R2": eq2})
    combined = evaluate("R1 + R2", ctx)
    assert isinstance(combined, sympy.Equality)
    assert (combined.lhs, combined.rhs) == (2 * x, 12)
    assert render_value(evaluate("2 * R2", ctx)) == "2*x - 2*y = 4"


# --------------------------------------------------------------------------------------- rejections


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("__import__('os').system('touch /tmp/x')", "attribute access"),
        ("().__class__", "attribute access"),
        ("x.real", "attribute access"),
        ("[1, 2][0]", "subscript"),
        ("(lambda: 1)()", "lambda"),
        ("[i for i in [1, 2]]", "comprehension"),
        ("sum(i for i in [1])", "comprehension"),
        ("f'{x}'", "f-string"),
        ("(y := 3)", "assignment expression"),
        ("{1: 2}", "dict"),
        ("max(*[1, 2])", "star"),
        ("max(**{})", "'\\*\\*'"),
        ("'text' + 1", "text in quotes"),
        ("__import__('os')", "not allowed"),
        ("open('/etc/passwd')", "unknown function"),
        ("eval('1')", "unknown function"),
        ("x @ y", "not allowed"),
        ("1 << 100", "not allowed"),
        ("~1", "not allowed"),
        ("x is y", "not allowed"),
        ("...", "Count"),
    ],
)
def test_forbidden_constructs_name_what_is_not_allowed(text: str, what: str) -> None:
    with pytest.raises(ToolError, match=what):
        evaluate(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1/0", "division by zero"),
        ("x/0", "division by zero"),
        ("0**-1", "division by zero"),
        ("5 % 0", "division by zero"),
        ("log(0)", "undefined"),
        ("factorial(-1)", "non-negative"),
        ("factorial(2.5)", "whole number"),
        ("sqrt(1, 2)", "takes 1 argument"),
        ("nosuchfunc(3)", "unknown function"),
        ("sqrt", "is a function"),
        ("pi(2)", "constant"),
        ("1 +", "cannot read"),
        ("x = 3", "'=' is not allowed"),
        ("3,5", "several values"),
        ("", "empty"),
        ("[1] + 1", "list"),
        ("(3 > 2) + 1", "truth value"),
    ],
)
def test_errors_are_tool_errors(text: str, message: str) -> None:
    with pytest.raises(ToolError, match=message):
        evaluate(text)


# ------------------------------------------------------------------------------------------- guards


@pytest.mark.parametrize(
    "text",
    [
        "9**9**9**9",
        "10**10**10",
        "factorial(10**9)",
        "factorial(5000)",
        "binomial(10**9, 10**8)",
        "2**(10**9)",
        "(10**5000)**3",
        "2**(10**9*pi)",
        "floor(2**(10**9*pi))",
        "sqrt(2)**(10**9)",
        "sqrt(1 + 10**-30)**(10**5)",  # SymPy would compute (1 + 10**-30)**50000 exactly
        "(sqrt(2) * 10**6000) * 10**6000",
        "exp(10**9)",
        "(x + 1)**100000",
        "1e999999",
        "10**9999 * 10**9999 * 10",
        "perm(10**6, 10**5)",
        "pow(3, 10**2000, 7**2000)",
    ],
)
def test_huge_results_are_refused_quickly(text: str) -> None:
    start = time.perf_counter()
    with pytest.raises(LimitExceededError):
        evaluate(text)
    assert time.perf_counter() - start < 0.5


def test_results_up_to_the_digit_limit_are_computed() -> None:
    big = evaluate("2**33000")
    assert isinstance(big, Integer)
    text = render_value(big)
    assert len(text) == 9934  # 2**33000 has 9,934 digits, beyond Python's default int-to-text limit
    assert text == str(Decimal(2**33000))
    assert render_value(evaluate("factorial(3000)")).endswith("0" * 10)
    assert render_value(evaluate("binomial(10**12, 3)")) == str(10**12 * (10**12 - 1) * (10**12 - 2) // 6)


def test_long_and_deep_input_is_refused() -> None:
    with pytest.raises(LimitExceededError, match="characters"):
        evaluate("1+" * 1500 + "1")
    with pytest.raises(LimitExceededError):
        evaluate("(" * 100 + "1" + ")" * 100)
    with pytest.raises(LimitExceededError):
        evaluate("-" * 500 + "1")
    with pytest.raises(LimitExceededError):
        evaluate("2**" * 200 + "1")
    assert calc("+".join(["1"] * 900)) == "900"  # long flat sums are fine (evaluated iteratively)


def test_time_limit_interrupts_a_long_computation() -> None:
    start = time.perf_counter()
    with pytest.raises(LimitExceededError, match="time limit"), time_limit(0.2, "the loop"):
        while True:
            pass
    assert time.perf_counter() - start < 1.0


def test_time_limit_keeps_an_enclosing_limit() -> None:
    start = time.perf_counter()
    with pytest.raises(LimitExceededError), time_limit(0.2), time_limit(5.0):
        while True:
            pass
    assert time.perf_counter() - start < 1.0
    with time_limit(1.0):
        with time_limit(0.5):
            pass
        time.sleep(0.05)  # the outer limit was restored and has not fired


def test_time_limit_is_a_no_op_off_the_main_thread() -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with time_limit(0.01):
                time.sleep(0.05)
        except BaseException as exc:  # pragma: no cover - would be a failure
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert errors == []


# ---------------------------------------------------------------------------------------- splitting


def test_split_equation() -> None:
    assert split_equation("2*x + 3 = 11") == ["2*x + 3", "11"]
    assert split_equation("a = b = c") == ["a", "b", "c"]
    assert split_equation("x == 3") == ["x == 3"]
    assert split_equation("x <= 3 >= y != 2") == ["x <= 3 >= y != 2"]
    assert split_equation("f(a=1) = 2") == ["f(a=1)", "2"]
    assert split_equation("2 + 3 =") == ["2 + 3", ""]


def test_split_items() -> None:
    assert split_items("x + y = 10, x - y = 2") == ["x + y = 10", "x - y = 2"]
    assert split_items("gcd(1, 2), 3") == ["gcd(1, 2)", "3"]
    assert split_items("x * 1,000 = 5,000") == ["x * 1,000 = 5,000"]
    assert split_items("100,200,300", thousands=False) == ["100", "200", "300"]
    assert split_items("") == []


# ---------------------------------------------------------------------------------------- rendering


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Integer(4), "4"),
        (Float(4.0), "4"),
        (4.0, "4"),
        (Rational(7, 2), "3.5"),
        (Rational(-7, 2), "-3.5"),
        (Rational(1, 3), "0.333333"),
        (Rational(2, 3), "0.666667"),
        (Rational(-1, 3), "-0.333333"),
        (Rational(100, 3), "33.333333"),
        (Rational(1, 30000), "0.0000333333"),
        (Rational(1, 1024), "0.0009765625"),
        (Rational(1, 2**30), "0.000000000931323"),
        (Rational(1, 8), "0.125"),
        (Rational(0), "0"),
        (Rational(1, 3 * 10**40), "3.33333e-41"),
        (sqrt(2), "1.414214"),
        (sympy.pi * 10**6, "3141592.65359"),
        (sympy.exp(1000), "1.97007e+434"),
        (sympy.sqrt(-4), "2i"),
        (1 + sympy.I, "1 + 1i"),
        (Float("0.30000000000000004", 17), "0.3"),
        (Float(1e20), "1e+20"),
        (sympy.S.true, "True"),
        (False, "False"),
        ([Integer(1), Rational(1, 2)], "[1, 0.5]"),
        (sympy.Eq(2 * x + 3, 11, evaluate=False), "2*x + 3 = 11"),
        (sympy.Gt(x, 3), "x > 3"),
        (2 * x / 5 + 1, "2*x/5 + 1"),
        (SolutionSet(x, sympy.Interval.open(4, sympy.oo)), "x > 4"),
        (SolutionSet(x, sympy.Interval(1, 3, right_open=True)), "1 <= x < 3"),
        (SolutionSet(x, sympy.Interval.Ropen(-sympy.oo, 3)), "x < 3"),
        (SolutionSet(x, sympy.S.Reals), "x is any real number"),
        (SolutionSet(x, sympy.S.EmptySet), "no solution"),
        (
            SolutionSet(x, sympy.Union(sympy.Interval.open(-sympy.oo, -2), sympy.Interval.open(2, sympy.oo))),
            "x < -2 or x > 2",
        ),
        (DefinedFunction(params=(Symbol("a"), Symbol("b")), body=Symbol("a") * Symbol("b")), "f(a, b) = a*b"),
        ("text", "text"),
    ],
)
def test_render_value(value: object, expected: str) -> None:
    assert render_value(value) == expected


def test_render_big_integers_in_full() -> None:
    value = Integer(10) ** (MAX_DIGITS - 1)
    assert render_value(value) == "1" + "0" * (MAX_DIGITS - 1)
    assert render_value(-value).startswith("-1000")
    assert render_value(value * x).endswith("*x")  # inside an expression too
