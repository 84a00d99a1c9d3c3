"""The maths domain's tools: Calculator, SetEquation, SolveEquation, SolveInequality, Count, Define, Code.

Every tool reads its argument text with the restricted parser of :mod:`lumos.tools.safe_math` (never with
``eval`` or ``sympify``), computes exactly with SymPy, and shows results with
:func:`~lumos.tools.safe_math.render_value`. ``Code`` is the exception: it runs real Python, in a separate,
limited process.

Tools that return "as many values as asked" (``outputs = None``) read the action's output variables from
``ctx.state["outputs"]`` when the executor put them there, and otherwise return everything they found.
"""

from __future__ import annotations

import ast
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from typing import Any, ClassVar

import sympy
from sympy import Float, Integer, Rational, S, Symbol
from sympy.core.relational import Equality, Relational
from sympy.logic.boolalg import BooleanAtom, BooleanFunction

from lumos.errors import AgentStepError, LimitExceededError, ToolError
from lumos.tools.base import ExecutionContext, Tool
from lumos.tools.safe_math import (
    FUNCTIONS,
    DefinedFunction,
    SolutionSet,
    evaluate,
    has_free_symbols,
    is_number,
    math_errors_as_tool_errors,
    render_value,
    split_equation,
    split_items,
)

__all__ = ["Calculator", "Code", "Count", "Define", "SetEquation", "SolveEquation", "SolveInequality"]

_VARIABLE = re.compile(r"\b(?:R\d+|Output)\b")
_IDENT = re.compile(r"^[A-Za-z_]\w*$")


class _MathTool:
    """Shared behaviour of the maths tools (a mixin, so that :class:`Tool` still checks each tool class)."""

    name: ClassVar[str]

    def run(self, args: str, ctx: ExecutionContext) -> Any:
        with math_errors_as_tool_errors(
            f"{self.name} ran out of memory",
            f"{self.name}: the input is too deeply nested",
            f"{self.name} failed on {_short(args)!r}",
        ):
            return self._run(self._prepare(args), ctx)

    def _prepare(self, args: str) -> str:
        return _clean(args)

    def _run(self, args: str, ctx: ExecutionContext) -> Any:
        raise NotImplementedError

    def render(self, value: Any) -> str:
        return render_value(value)


# ========================================================================================= Calculator


class Calculator(_MathTool, Tool):
    """Calculate a formula exactly: ``Calculator(28 * 1/7)`` -> 4; ``Calculator(15 / 25%)`` -> 60.

    Symbols are allowed (``Calculator((x-y) - (x+y))`` -> ``-2*y``), comparisons give True/False, and a
    result variable holding an expression or a function can be applied: ``Calculator(R1(R9))``. A trailing
    ``=`` is ignored, and so is a claimed value after ``=`` when the left side is a number
    (``Calculator(2 + 3 = 5)`` -> 5); with unknowns on the left, ``a = b`` gives an equation, as SetEquation.
    """

    name = "Calculator"
    description = "Calculate the input formula (exact arithmetic; symbols allowed)"
    signature = "Calculator(formula)"

    def _run(self, args: str, ctx: ExecutionContext) -> Any:
        parts = split_equation(args)
        if len(parts) > 1:
            while len(parts) > 1 and not parts[-1]:
                parts.pop()
            if len(parts) > 1:
                left = evaluate(parts[0], ctx)
                if not _is_equation_side(left) or not has_free_symbols(left):
                    return left
                return _system(make_equations(args, ctx))
            args = parts[0]
        return evaluate(args, ctx)


# ========================================================================================== equations


def _is_equation_side(value: Any) -> bool:
    return isinstance(value, sympy.Expr)


def make_equations(text: str, ctx: ExecutionContext | None) -> list[Equality]:
    """``a = b`` -> [Eq(a, b)]; ``a = b = c`` -> [Eq(a, b), Eq(b, c)]; ``a =`` or plain ``a`` -> [Eq(a, 0)]
    (a variable holding an equation or a list of them gives those). Sides are evaluated, so ``R2 = x*y``
    means "the value of R2 equals x*y"."""
    parts = split_equation(text)
    while len(parts) > 1 and not parts[-1]:
        parts.pop()
    if len(parts) == 1:
        value = evaluate(parts[0], ctx)
        if isinstance(value, Equality):
            return [value]
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, Equality) for v in value):
            return list(value)
        _check_side(value, parts[0])
        return [Equality(value, S.Zero, evaluate=False)]
    if any(not p for p in parts):
        raise ToolError(f"the equation {_short(text)!r} has an empty side")
    sides = [evaluate(p, ctx) for p in parts]
    for side, part in zip(sides, parts, strict=True):
        _check_side(side, part)
    return [Equality(a, b, evaluate=False) for a, b in itertools.pairwise(sides)]


def _check_side(value: Any, text: str) -> None:
    if isinstance(value, Equality):
        raise ToolError(f"{_short(text)!r} is already an equation; it cannot be one side of '='")
    if isinstance(value, (Relational, BooleanAtom, BooleanFunction)):
        raise ToolError(
            f"{_short(text)!r} is an inequality or truth value, not an expression (SolveInequality?)"
        )
    if not isinstance(value, sympy.Expr):
        raise ToolError(f"{_short(text)!r} is {render_value(value)!r}, which cannot be a side of an equation")


def split_juxtaposed(items: list[Any]) -> list[Any]:
    """Read a multi-letter symbol made only of one-letter symbols that also occur (``xy`` beside ``x`` and
    ``y``) as their product, as maths text means it: ``SolveEquation(R2 = xy, R3 = x/y)``."""
    symbols: set[Symbol] = set()
    for item in items:
        if isinstance(item, sympy.Basic):
            symbols |= item.free_symbols
    singles = {s.name for s in symbols if len(s.name) == 1}
    mapping: dict[Any, Any] = {}
    for s in symbols:
        if len(s.name) > 1 and s.name.isalpha() and all(c in singles for c in s.name):
            mapping[s] = sympy.Mul(*[Symbol(c) for c in s.name])
    if not mapping:
        return items
    return [item.xreplace(mapping) if isinstance(item, sympy.Basic) else item for item in items]


def _system(equations: list[Equality]) -> Any:
    return equations[0] if len(equations) == 1 else list(equations)


def _outputs_hint(ctx: ExecutionContext) -> int | None:
    outputs = ctx.state.get("outputs")
    return len(outputs) if isinstance(outputs, (list, tuple)) and outputs else None


class SetEquation(_MathTool, Tool):
    """Set up an equation: ``SetEquation(2*x + 3 = 11)`` -> the equation ``2*x + 3 = 11``.

    Several equations, separated by commas, give a system (one variable holds the list, or one variable per
    equation: ``R1, R2 = SetEquation(x + y = 10, x - y = 2)``). Without ``=`` the expression is set equal
    to 0. ``xy`` next to ``x`` and ``y`` reads as ``x*y``.
    """

    name = "SetEquation"
    description = "Set up an equation (or several, separated by commas) to be solved"
    signature = "SetEquation(equation)"
    outputs: ClassVar[int | None] = None

    def _run(self, args: str, ctx: ExecutionContext) -> Any:
        items = split_items(args)
        if not items:
            raise ToolError("SetEquation needs an equation such as 2*x + 3 = 11")
        equations: list[Equality] = []
        for item in items:
            equations.extend(make_equations(item, ctx))
        equations = split_juxtaposed(equations)
        wanted = _outputs_hint(ctx)
        if len(equations) > 1 and wanted == len(equations):
            return tuple(equations)
        return _system(equations)


class SolveEquation(_MathTool, Tool):
    """Solve equations for their unknowns: one value per unknown, unknowns in name order.

    Arguments are equations (``x + y = 10, x - y = 2``), variables holding equations (``SolveEquation(R2,
    R3)``), or expressions meaning ``= 0``. Sides are evaluated, so ``SolveEquation(R2 = x*y, R3 = x/y)``
    equates the *values* of R2 and R3 with ``x*y`` and ``x/y``. A bare unknown (``SolveEquation(R1, x)``)
    says what to solve for. ``R5, R6 = SolveEquation(...)`` gets x then y.

    Complex solutions are dropped when real ones exist, and when there are several solutions the positive
    ones are preferred. One unknown with several solutions left gives them all: as a list for one output
    variable, or one per variable when as many variables are assigned (``R1, R2 = SolveEquation(x^2 = 4)``).
    An argument with no unknowns at all is just calculated (``SolveEquation(60 + 50)`` -> 110).
    """

    name = "SolveEquation"
    description = "Solve the equation(s) set up before; returns one value per unknown (in name order)"
    signature = "SolveEquation(equation)"
    outputs: ClassVar[int | None] = None

    def _run(self, args: str, ctx: ExecutionContext) -> Any:
        items = split_items(args)
        if not items:
            raise ToolError("SolveEquation needs an equation such as 2*x + 3 = 11")
        equations: list[Any] = []
        wanted: list[Symbol] = []
        plain_numbers: list[Any] = []
        for item in items:
            if len(split_equation(item)) > 1:
                equations.extend(make_equations(item, ctx))
                continue
            value = evaluate(item, ctx)
            if isinstance(value, Symbol) and len(items) > 1:
                wanted.append(value)
            elif isinstance(value, Equality):
                equations.append(value)
            elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Equality) for v in value):
                equations.extend(value)
            elif isinstance(value, (Relational, BooleanFunction, SolutionSet)):
                raise ToolError(f"{_short(item)!r} is an inequality; use SolveInequality")
            elif isinstance(value, sympy.Expr) and value.free_symbols:
                equations.append(Equality(value, S.Zero, evaluate=False))
            elif is_number(value):
                plain_numbers.append(value)
            else:
                raise ToolError(f"{_short(item)!r} is {render_value(value)!r}, not an equation")
        if not equations:
            if len(plain_numbers) == 1 and len(items) == 1:
                return plain_numbers[0]
            raise ToolError(f"no equation with an unknown in {_short(args)!r}")
        if plain_numbers:
            raise ToolError(
                f"{render_value(plain_numbers[0])!r} is neither an equation nor an unknown to solve for"
            )
        equations = split_juxtaposed(equations)
        wanted = split_juxtaposed(wanted)
        return self._solve(equations, wanted, _outputs_hint(ctx))

    def _solve(self, equations: list[Any], wanted: list[Any], n_out: int | None) -> Any:
        live: list[Any] = []
        for eq in equations:
            if not eq.free_symbols:
                if sympy.simplify(eq.lhs - eq.rhs) != 0:
                    raise ToolError(f"the equation {render_value(eq)} is never true, so there is no solution")
                continue
            live.append(eq)
        if not live:
            raise ToolError("the equations have no unknowns to solve for")
        unknowns = [w for w in wanted if isinstance(w, Symbol)] or sorted(
            {s for eq in live for s in eq.free_symbols}, key=lambda s: s.name
        )
        solutions = sympy.solve(live, unknowns, dict=True)
        if not solutions:
            raise ToolError(f"no solution for {'; '.join(render_value(eq) for eq in live)}")
        solved = sorted({s for sol in solutions for s in sol}, key=lambda s: s.name)
        if not solved:
            raise ToolError("the equations hold for every value of the unknowns")
        solutions = _real_first(solutions)
        if len(solved) == 1 and n_out is not None and 1 < n_out == len(solutions):
            return tuple(_sorted_values([sol[solved[0]] for sol in solutions]))
        solutions = _positive_first(solutions)
        if len(solutions) == 1:
            found = tuple(solutions[0].get(s, s) for s in solved)
            if n_out is not None and n_out != len(found):
                raise ToolError(_count_message(solved, solutions, n_out))
            return found[0] if len(found) == 1 else found
        if len(solved) == 1:
            symbol = solved[0]
            values = [sol[symbol] for sol in solutions if symbol in sol]
            values = _sorted_values(values)
            if n_out is not None and n_out == len(values):
                return tuple(values)
            if n_out in (None, 1):
                return values
            raise ToolError(_count_message(solved, solutions, n_out))
        raise ToolError(
            "several solutions: "
            + "; ".join(
                ", ".join(f"{s} = {render_value(sol.get(s, s))}" for s in solved) for sol in solutions
            )
            + " (add a condition to pick one)"
        )


def _count_message(solved: list[Symbol], solutions: list[dict[Any, Any]], n_out: int) -> str:
    found = "; ".join(", ".join(f"{s} = {render_value(sol.get(s, s))}" for s in solved) for sol in solutions)
    return (
        f"the action assigns {n_out} variable(s) but the solution has {len(solved)} unknown(s) "
        f"({', '.join(s.name for s in solved)}): {found}"
    )


def _is_real(value: Any) -> bool:
    if not isinstance(value, sympy.Expr):
        return True
    if value.is_real is not None:
        return bool(value.is_real)
    if value.is_number:  # e.g. roots of a quintic: ask the numbers
        return bool(abs(sympy.im(value.evalf(30))) < 1e-20)
    return True


def _is_positive(value: Any) -> bool:
    return isinstance(value, sympy.Expr) and value.is_positive is True


def _real_first(solutions: list[dict[Any, Any]]) -> list[dict[Any, Any]]:
    real = [sol for sol in solutions if all(_is_real(v) for v in sol.values())]
    return real or solutions


def _positive_first(solutions: list[dict[Any, Any]]) -> list[dict[Any, Any]]:
    if len(solutions) > 1:
        positive = [sol for sol in solutions if all(_is_positive(v) for v in sol.values())]
        solutions = positive or solutions
    return solutions


def _sorted_values(values: list[Any]) -> list[Any]:
    if all(is_number(v) and v.is_real for v in values):
        return sorted(values, key=lambda v: float(v.evalf(30)))
    return values


# ======================================================================================= inequalities


class SolveInequality(_MathTool, Tool):
    """Solve an inequality in one unknown: ``SolveInequality(2*x + 3 > 11)`` -> ``x > 4``.

    Several inequalities (commas, ``and``, or a chain such as ``1 < 2*x < 9``) must all hold. The result is a
    solution set, shown as ``x > 4``, ``1 <= x < 3``, ``x < -2 or x > 2``; ``Count`` counts the integers in
    a bounded one.
    """

    name = "SolveInequality"
    description = "Solve an inequality in one unknown; returns its solution set, such as x > 3"
    signature = "SolveInequality(inequality)"

    def _run(self, args: str, ctx: ExecutionContext) -> Any:
        items = split_items(args)
        if not items:
            raise ToolError("SolveInequality needs an inequality such as 2*x + 3 > 11")
        conditions: list[Any] = []
        wanted: list[Symbol] = []
        for item in items:
            value = evaluate(item, ctx)
            if isinstance(value, Symbol) and len(items) > 1:
                wanted.append(value)
            elif isinstance(value, SolutionSet):
                conditions.append(value.values.as_relational(value.symbol))
            elif isinstance(value, (Relational, BooleanFunction, BooleanAtom)):
                conditions.append(value)
            else:
                raise ToolError(f"{_short(item)!r} is not an inequality (use <, <=, > or >=)")
        conditions = split_juxtaposed(conditions)
        symbols = sorted({s for c in conditions for s in c.free_symbols}, key=lambda s: s.name)
        if wanted:
            symbols = [w for w in wanted if w in symbols] or wanted
        if not symbols:
            truth = sympy.And(*conditions)
            if truth in (S.true, S.false):
                return truth
            raise ToolError("the inequality has no unknown")
        if len(symbols) > 1:
            raise ToolError(
                f"SolveInequality solves for one unknown; found {', '.join(s.name for s in symbols)}"
            )
        x = symbols[0]
        solution: sympy.Set = S.Reals
        for condition in conditions:
            solution = solution.intersect(_condition_set(condition, x))
        if solution.has(sympy.ConditionSet):
            raise ToolError(f"cannot solve {_short(args)!r} exactly")
        return SolutionSet(x, solution)


def _condition_set(condition: Any, x: Symbol) -> sympy.Set:
    if condition is S.true:
        return S.Reals
    if condition is S.false:
        return S.EmptySet
    if isinstance(condition, sympy.And):
        result: sympy.Set = S.Reals
        for arg in condition.args:
            result = result.intersect(_condition_set(arg, x))
        return result
    if isinstance(condition, sympy.Or):
        result = S.EmptySet
        for arg in condition.args:
            result = result.union(_condition_set(arg, x))
        return result
    if isinstance(condition, sympy.Not):
        return S.Reals - _condition_set(condition.args[0], x)
    if isinstance(condition, Relational):
        return sympy.solveset(condition, x, S.Reals)
    raise ToolError(f"cannot solve the condition {render_value(condition)!r}")


# ============================================================================================= Count

_ELLIPSIS = {"...", "…", "..", "....", "etc", "etc."}
_RANGE = re.compile(r"^range\s*\((.*)\)$", re.S)


class Count(_MathTool, Tool):
    """Count the elements of a list: ``Count(2^0, 2^1, 2^2)`` -> 3, ``Count([1, 2, 5])`` -> 3.

    ``...`` continues an arithmetic sequence up to the last item: ``Count(3, 6, 9, ..., 99)`` -> 33 (a last
    item off the sequence counts the terms not beyond it). ``{...}`` counts distinct values. A single
    argument that holds a list (such as several solutions) counts its elements, a solution set from
    SolveInequality counts the integers in it, and ``range(a, b)`` counts as Python's range. Items are
    counted as written, so ``Count(apple, pear)`` is 2.
    """

    name = "Count"
    description = "Count the number of elements in the given list (or in an arithmetic sequence with ...)"
    signature = "Count(list)"

    def _run(self, args: str, ctx: ExecutionContext) -> Any:
        text = args.strip()
        distinct = False
        if len(text) >= 2 and text[0] in "[{(" and _encloses(text):
            distinct = text[0] == "{"
            text = text[1:-1].strip()
        spaced = bool(re.search(r",\s", text))
        items = split_items(text, thousands=spaced)
        if not items:
            return Integer(0)
        if any(item in _ELLIPSIS for item in items):
            return self._sequence(items, ctx)
        if len(items) == 1:
            return self._single(items[0], ctx)
        if distinct:
            seen = set()
            for item in items:
                try:
                    seen.add(evaluate(item, ctx))
                except ToolError:
                    seen.add(item)
            return Integer(len(seen))
        return Integer(len(items))

    def _single(self, item: str, ctx: ExecutionContext) -> Any:
        match = _RANGE.match(item)
        if match:
            bounds = [evaluate(b, ctx) for b in split_items(match.group(1))]
            ints = [_whole(b, "range") for b in bounds]
            if not 1 <= len(ints) <= 3 or (len(ints) == 3 and ints[2] == 0):
                raise ToolError("range() takes 1 to 3 whole numbers and a step that is not 0")
            return Integer(len(range(*ints)))
        try:
            value = evaluate(item, ctx)
        except ToolError:
            if _VARIABLE.search(item):
                raise
            return Integer(1)
        if isinstance(value, (list, tuple)):
            return Integer(len(value))
        if isinstance(value, SolutionSet):
            return _count_integers(value.values)
        if isinstance(value, sympy.FiniteSet):
            return Integer(len(value))
        return Integer(1)

    def _sequence(self, items: list[str], ctx: ExecutionContext) -> Any:
        cut = next(i for i, item in enumerate(items) if item in _ELLIPSIS)
        before, after = items[:cut], [i for i in items[cut + 1 :] if i not in _ELLIPSIS]
        if not before or not after:
            raise ToolError("an arithmetic sequence needs terms before '...' and the last term after it")
        head = [evaluate(i, ctx) for i in before]
        last = evaluate(after[-1], ctx)
        for value in [*head, last]:
            if not isinstance(value, Rational):
                raise ToolError(f"the sequence terms must be numbers, got {render_value(value)!r}")
        step = head[1] - head[0] if len(head) > 1 else S.One
        if step == 0:
            raise ToolError("the sequence does not change (its first two terms are equal)")
        for a, b in itertools.pairwise(head):
            if b - a != step:
                raise ToolError(
                    f"{', '.join(before)} is not an arithmetic sequence (steps {render_value(step)} "
                    f"and {render_value(b - a)})"
                )
        n = sympy.floor((last - head[0]) / step) + 1
        return Integer(max(int(n), 0))


def _encloses(text: str) -> bool:
    """Whether the first bracket of ``text`` closes at its last character."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    if text[-1] != pairs[text[0]]:
        return False
    depth = 0
    for i, ch in enumerate(text):
        if ch in pairs:
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i == len(text) - 1
    return False


def _whole(value: Any, what: str) -> int:
    if isinstance(value, Integer):
        return int(value)
    raise ToolError(f"{what} needs whole numbers, got {render_value(value)!r}")


def _count_integers(values: sympy.Set) -> Any:
    if isinstance(values, sympy.FiniteSet):
        return Integer(sum(1 for v in values.args if getattr(v, "is_integer", False)))
    if isinstance(values, sympy.Union):
        return sum((_count_integers(part) for part in values.args), Integer(0))
    if values is S.EmptySet:
        return Integer(0)
    if isinstance(values, sympy.Interval):
        a, b = values.start, values.end
        if not (a.is_finite and b.is_finite):
            raise ToolError("the solution set is unbounded, so it holds infinitely many integers")
        low = sympy.ceiling(a)
        if values.left_open and low == a:
            low += 1
        high = sympy.floor(b)
        if values.right_open and high == b:
            high -= 1
        return Integer(max(int(high - low + 1), 0))
    raise ToolError(f"cannot count the integers in {render_value(values)!r}")


# ============================================================================================ Define

_FUNCTION_DEF = re.compile(
    r"^\s*([A-Za-z_]\w*)\s*\(\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)?\s*\)\s*=(?![=>])(.*)$", re.S
)


class Define(_MathTool, Tool):
    """Define a number, an unknown, an expression or a function for later actions.

    * ``Define(5)`` or ``Define(2/3)`` -> that number; ``Define(p)`` -> the unknown ``p``.
    * ``Define(n - 2)`` -> the expression ``n - 2``; applying the variable binds its unknowns in name order:
      ``R1 = Define(5*x + 2)`` then ``Calculator(R1(3))`` -> 17 (or by name: ``R1(x=3)``).
    * ``Define(f(a, b) = a*b)`` -> a function with named parameters: ``R1(2, 3)`` -> 6.
    * ``Define(x = 5)`` -> 5 and ``Define(y = 2*x + 1)`` -> ``2*x + 1``: the name before ``=`` is only a
      label (results are referred to by their variables, R1...), it does not bind ``x`` elsewhere.
    * Several comma-separated definitions give one value each: ``R1, R2 = Define(a = 1, b = 2)``.
    """

    name = "Define"
    description = "Define a variable, number, expression or function f(a, b) = ... for later use"
    signature = "Define(variable/number)"
    outputs: ClassVar[int | None] = None

    def _run(self, args: str, ctx: ExecutionContext) -> Any:
        match = _FUNCTION_DEF.match(args)
        if match and not _VARIABLE.fullmatch(match.group(1)) and match.group(1) not in FUNCTIONS:
            fname, params_text, body_text = match.groups()
            params = tuple(Symbol(p.strip()) for p in (params_text or "").split(",") if p.strip())
            if len({p.name for p in params}) != len(params):
                raise ToolError(f"the parameters of {fname}() repeat a name")
            body = evaluate(body_text, ctx)
            if not isinstance(body, sympy.Basic):
                raise ToolError(f"the body of {fname}() must be an expression")
            return DefinedFunction(params=params, body=body, name=fname)
        items = split_items(args)
        if not items:
            raise ToolError("Define needs a value, such as Define(x) or Define(5)")
        values = [self._one(item, ctx) for item in items]
        return values[0] if len(values) == 1 else tuple(values)

    def _one(self, item: str, ctx: ExecutionContext) -> Any:
        parts = split_equation(item)
        if len(parts) == 2 and _IDENT.match(parts[0]) and not _VARIABLE.fullmatch(parts[0]) and parts[1]:
            return evaluate(parts[1], ctx)
        if len(parts) > 1:
            return _system(make_equations(item, ctx))
        return evaluate(item, ctx)


# ============================================================================================== Code

MAX_CODE_CHARS = 20_000
CODE_MEMORY_BYTES = 512 * 1024 * 1024
CODE_FILE_BYTES = 10 * 1024 * 1024
_RESULT_FILE = ".lumos_result.json"
_STDERR_FILE = ".lumos_stderr.txt"
_PSEUDO_IF = re.compile(r"^\s*if\b(?P<rest>[^\n:]*)$", re.I)

# The child's prelude: limits, guards, then the code; the outcome goes to a JSON file in its directory.
_CHILD = r"""
import sys, os, json, resource, builtins, io
_cfg = json.loads(sys.stdin.read())

def _limit(kind, value):
    try:
        resource.setrlimit(kind, (value, value))
    except (ValueError, OSError):
        try:
            soft, hard = resource.getrlimit(kind)
            resource.setrlimit(kind, (value if hard == resource.RLIM_INFINITY else min(value, hard), hard))
        except (ValueError, OSError):
            pass

_limit(resource.RLIMIT_AS, _cfg["memory"])
_limit(resource.RLIMIT_CPU, _cfg["cpu"])
_limit(resource.RLIMIT_FSIZE, _cfg["fsize"])
_limit(resource.RLIMIT_CORE, 0)
_result = open(os.path.join(os.getcwd(), _cfg["result_file"]), "w", encoding="utf-8")
_ROOT = os.path.realpath(os.getcwd())
_real_open, _real_os_open = builtins.open, os.open

def _inside(path, dir_fd=None):
    if isinstance(path, int):
        return True
    path = os.fsdecode(path)
    if dir_fd is not None and not os.path.isabs(path):
        try:
            path = os.path.join(os.readlink("/proc/self/fd/%d" % dir_fd), path)
        except OSError:
            return False
    real = os.path.realpath(path)
    return real == _ROOT or real.startswith(_ROOT + os.sep)

def _refuse(what):
    def refused(*args, **kwargs):
        raise PermissionError(what + " is not allowed in Code")
    return refused

def _open(file, mode="r", *args, **kwargs):
    if any(c in mode for c in "wax+") and not _inside(file):
        raise PermissionError("Code may only write inside its working directory, not to %r" % (file,))
    return _real_open(file, mode, *args, **kwargs)

_WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

def _os_open(path, flags, mode=0o777, *, dir_fd=None):
    if flags & _WRITE and not _inside(path, dir_fd):
        raise PermissionError("Code may only write inside its working directory, not to %r" % (path,))
    return _real_os_open(path, flags, mode, dir_fd=dir_fd)

builtins.open = io.open = _open
os.open = _os_open

def _guard_paths(name, count):
    real = getattr(os, name, None)
    if real is None:
        return
    def guarded(*args, **kwargs):
        fds = [kwargs.get("dir_fd"), kwargs.get("src_dir_fd"), kwargs.get("dst_dir_fd")]
        for i, path in enumerate(args[:count]):
            fd = kwargs.get("dst_dir_fd") if i == 1 else (kwargs.get("src_dir_fd") or kwargs.get("dir_fd"))
            if not _inside(path, fd):
                raise PermissionError("Code may only change files inside its working directory, not %r" % (path,))
        return real(*args, **kwargs)
    setattr(os, name, guarded)

for _name in ("remove", "unlink", "rmdir", "removedirs", "mkdir", "makedirs", "chmod", "lchmod", "chown",
              "lchown", "chflags", "truncate", "utime", "mkfifo", "mknod", "setxattr", "removexattr"):
    _guard_paths(_name, 1)
for _name in ("rename", "renames", "replace", "link", "symlink"):
    _guard_paths(_name, 2)
for _name in ("system", "popen", "fork", "forkpty", "execv", "execve", "execl", "execle", "execlp", "execlpe",
              "execvp", "execvpe", "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp",
              "spawnvpe", "posix_spawn", "posix_spawnp", "kill", "killpg", "setuid", "setgid"):
    if hasattr(os, _name):
        setattr(os, _name, _refuse("os." + _name))

import subprocess, _posixsubprocess
subprocess.Popen._execute_child = _refuse("starting a process")
_posixsubprocess.fork_exec = _refuse("starting a process")

import socket, _socket
class _NoSocket(socket.socket):
    def __init__(self, *args, **kwargs):
        raise PermissionError("network access is not allowed in Code")
socket.socket = socket.SocketType = _socket.socket = _NoSocket
for _name in ("create_connection", "create_server", "getaddrinfo", "gethostbyname", "gethostbyname_ex",
              "gethostbyaddr", "socketpair", "fromfd"):
    if hasattr(socket, _name):
        setattr(socket, _name, _refuse("network access"))
    if hasattr(_socket, _name):
        setattr(_socket, _name, _refuse("network access"))

class _Tail(io.TextIOBase):
    def __init__(self, limit):
        self.text, self.limit = "", limit
    def writable(self):
        return True
    def write(self, s):
        self.text = (self.text + str(s))[-self.limit:]
        return len(s)

_out = _Tail(20000)
sys.stdout, sys.stderr = _out, _Tail(4000)

def _enc(v, depth=0):
    import fractions, decimal
    if isinstance(v, bool):
        return {"t": "bool", "v": v}
    if isinstance(v, int):
        return {"t": "int", "v": hex(int(v))}
    if isinstance(v, float):
        return {"t": "float", "v": repr(float(v))}
    if isinstance(v, fractions.Fraction):
        return {"t": "frac", "p": hex(v.numerator), "q": hex(v.denominator)}
    if isinstance(v, decimal.Decimal):
        return {"t": "text", "v": str(v)}
    if isinstance(v, str):
        return {"t": "text", "v": v[-20000:]}
    if isinstance(v, (list, tuple, set, frozenset)) and depth < 3:
        items = sorted(v, key=repr) if isinstance(v, (set, frozenset)) else list(v)
        return {"t": "list", "v": [_enc(x, depth + 1) for x in items[:10000]]}
    if type(v).__module__.split(".")[0] == "sympy":
        return {"t": "sympy", "v": str(v)[:20000]}
    if type(v).__module__.split(".")[0] == "numpy" and hasattr(v, "item") and getattr(v, "ndim", 1) == 0:
        return _enc(v.item(), depth)
    return {"t": "text", "v": str(v)[:20000]}

def _finish(payload):
    payload["stdout"] = _out.text[-4000:]
    _result.write(json.dumps(payload))
    _result.close()
    os._exit(0)

def _main():
    import ast, math, fractions, traceback
    ns = {"__name__": "__main__", "__builtins__": builtins, "math": math, "Fraction": fractions.Fraction}
    code = _cfg["code"]
    injected = {}
    for name, enc in _cfg["variables"].items():
        injected[name] = _dec(enc)
    ns.update(injected)
    value, have = None, False
    try:
        if "sympy" in code:
            import sympy
            ns["sympy"] = sympy
        tree = ast.parse(code, "<code>", "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, "<code>", "exec"), ns)
        if last is not None:
            value = eval(compile(last, "<code>", "eval"), ns)
            have = value is not None
    except SystemExit:
        pass
    except BaseException as exc:
        tb = traceback.extract_tb(exc.__traceback__)
        lines = [f.lineno for f in tb if f.filename == "<code>"]
        if isinstance(exc, SyntaxError):
            lines = [exc.lineno]
        _finish({"ok": False, "error": type(exc).__name__, "message": str(exc)[:500],
                 "line": lines[-1] if lines else None})
    for key in ("ans", "answer", "result"):
        if key in ns and ns[key] is not injected.get(key, object()) and not callable(ns[key]):
            value, have = ns[key], True
            break
    if not have and _out.text.strip():
        value, have = [l for l in _out.text.splitlines() if l.strip()][-1].strip(), True
    if not have:
        fns = [v for k, v in ns.items() if callable(v) and getattr(v, "__module__", None) == "__main__"
               and getattr(v, "__code__", None) is not None and v.__code__.co_argcount == 0
               and not isinstance(v, type)]
        if len(fns) == 1:
            try:
                value = fns[0]()
                have = value is not None
            except BaseException as exc:
                _finish({"ok": False, "error": type(exc).__name__, "message": str(exc)[:500], "line": None})
    if not have:
        _finish({"ok": False, "error": "NoResult", "message": "", "line": None})
    _finish({"ok": True, "value": _enc(value)})

def _dec(enc):
    import fractions
    t = enc["t"]
    if t == "int":
        return int(enc["v"], 16)
    if t == "frac":
        return fractions.Fraction(int(enc["p"], 16), int(enc["q"], 16))
    if t == "float":
        return float(enc["v"])
    if t == "bool":
        return bool(enc["v"])
    if t == "list":
        return [_dec(x) for x in enc["v"]]
    return enc["v"]

try:
    _main()
except MemoryError:
    _finish({"ok": False, "error": "MemoryError", "message": "", "line": None})
except BaseException as exc:
    _finish({"ok": False, "error": type(exc).__name__, "message": str(exc)[:500], "line": None})
"""


class Code(_MathTool, Tool):
    """Run Python code and return its result; for what a formula cannot say (loops, conditions, searches).

    The result is, in order: a variable named ``ans``, ``answer`` or ``result``; else the value of the last
    line if it is an expression; else the last line the code printed; else the return value of the one
    function without parameters that the code defined. Result variables (``R1``...) are available as Python
    values. The argument may be raw code or a quoted string. The pseudo-code ``If cond, a, b`` picks ``a``
    or ``b``, and a plain formula is calculated directly (both without starting Python).

    The code runs in a separate Python process with a time limit (the action's, about 5 s), 512 MB of
    memory, a CPU-time limit, a 10 MB file-size limit, a fresh temporary working directory, a minimal
    environment, and (best effort, by patching the standard library, so *not* a security boundary: code
    using ctypes could get round it) no network, no new processes, no signals to other processes, and no
    file writes outside that directory.
    """

    name = "Code"
    description = "Run Python code (print the result or assign it to ans); or If cond, a, b"
    signature = "Code(pseudo_code)"
    time_limit: ClassVar[float] = 5.0

    def _prepare(self, args: str) -> str:
        return _code_text(args)

    def _run(self, code: str, ctx: ExecutionContext) -> Any:
        if len(code) > MAX_CODE_CHARS:
            raise LimitExceededError(
                f"the code is {len(code)} characters long; the limit is {MAX_CODE_CHARS}"
            )
        if not code.strip():
            raise ToolError("Code needs some code")
        pseudo = _PSEUDO_IF.match(code)
        if pseudo:
            parts = split_items(pseudo.group("rest"))
            if len(parts) == 3:
                cond = evaluate(parts[0], ctx)
                if cond not in (S.true, S.false):
                    raise ToolError(f"cannot decide the condition {_short(parts[0])!r}")
                return evaluate(parts[1] if cond is S.true else parts[2], ctx)
        if "\n" not in code:
            try:
                value = evaluate(code, ctx)
            except LimitExceededError:
                raise
            except AgentStepError as exc:
                if type(exc).__name__ == "UndefinedVariableError":
                    raise
            else:
                if not has_free_symbols(value):
                    return value
        limit = ctx.state.get("time_limit") or self.time_limit
        return run_python(code, ctx, time_limit=max(0.5, float(limit) * 0.9 - 0.1))


def _code_text(args: str) -> str:
    text = args.strip()
    fence = re.match(r"^```[\w+-]*\n(.*?)\n?```$", text, re.S)
    if fence:
        text = fence.group(1)
    if text[:1] in "'\"" or text[:2].lower() in ("r'", 'r"'):
        try:
            literal = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            literal = None
        if isinstance(literal, str):
            text = literal
    if "\n" not in text and "\\n" in text:  # one line with written-out newlines: "x = 1\\nprint(x)"
        try:
            ast.parse(text)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            text = text.replace("\\n", "\n").replace("\\t", "    ")
    return textwrap.dedent(text).strip("\n")


def _encode_variable(value: Any) -> Any:
    if isinstance(value, bool) or value is S.true or value is S.false:
        return {"t": "bool", "v": bool(value)}
    if isinstance(value, (int, Integer)):
        return {"t": "int", "v": hex(int(value))}
    if isinstance(value, Rational):
        return {"t": "frac", "p": hex(int(value.p)), "q": hex(int(value.q))}
    if isinstance(value, float):
        return {"t": "float", "v": repr(value)}
    if is_number(value):
        return {"t": "float", "v": repr(float(value.evalf(17)))}
    if isinstance(value, (list, tuple)):
        return {"t": "list", "v": [_encode_variable(v) for v in value]}
    return {"t": "text", "v": render_value(value)}


def run_python(code: str, ctx: ExecutionContext | None = None, *, time_limit: float = 5.0) -> Any:
    """Run ``code`` in a separate, limited Python process (see :class:`Code`) and decode its result."""
    variables = {}
    if ctx is not None:
        for name in sorted(set(_VARIABLE.findall(code))):
            variables[name] = _encode_variable(ctx.lookup(name))
    workdir = tempfile.mkdtemp(prefix="lumos-code-")
    config = {
        "code": code,
        "variables": variables,
        "memory": CODE_MEMORY_BYTES,
        "cpu": max(1, int(time_limit + 1.5)),
        "fsize": CODE_FILE_BYTES,
        "result_file": _RESULT_FILE,
    }
    env = {"PATH": os.defpath, "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    proc: subprocess.Popen[bytes] | None = None
    timed_out = False
    try:
        with open(os.path.join(workdir, _STDERR_FILE), "wb") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-c", _CHILD],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                cwd=workdir,
                env=env,
                start_new_session=True,
                close_fds=True,
            )
            assert proc.stdin is not None
            try:
                proc.stdin.write(json.dumps(config).encode("utf-8"))
                proc.stdin.close()
            except BrokenPipeError:
                pass
            try:
                proc.wait(timeout=time_limit)
            except subprocess.TimeoutExpired:
                timed_out = True
        _kill_group(proc)
        if timed_out:
            raise LimitExceededError(f"Code ran longer than its time limit of {time_limit:g} s")
        payload = _read_payload(workdir)
        if payload is None:
            raise _crash_error(proc.returncode, _tail(os.path.join(workdir, _STDERR_FILE)))
        return _decode_outcome(payload)
    finally:
        if proc is not None:
            _kill_group(proc)
        shutil.rmtree(workdir, ignore_errors=True)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _read_payload(workdir: str) -> dict[str, Any] | None:
    path = os.path.join(workdir, _RESULT_FILE)
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read(1_000_000)
        payload = json.loads(text)
    except (OSError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def _tail(path: str, size: int = 2000) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - size))
            return f.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _crash_error(returncode: int | None, stderr: str) -> AgentStepError:
    if returncode is not None and returncode < 0:
        sig = -returncode
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return LimitExceededError("Code exceeded its CPU time limit")
        if sig == signal.SIGXFSZ:
            return LimitExceededError("Code wrote a file larger than its limit")
        return ToolError(f"Code crashed with signal {signal.Signals(sig).name}")
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    if "MemoryError" in last:
        return LimitExceededError("Code ran out of memory (limit 512 MB)")
    return ToolError(f"Code failed without a result{': ' + last[:200] if last else ''}")


def _decode_outcome(payload: dict[str, Any]) -> Any:
    if not payload.get("ok"):
        error, message, line = payload.get("error"), payload.get("message") or "", payload.get("line")
        if error == "MemoryError":
            raise LimitExceededError("Code ran out of memory (limit 512 MB)")
        if error == "NoResult":
            raise ToolError("Code produced no result: print it, or assign it to a variable named ans")
        where = f" (line {line})" if line else ""
        raise ToolError(f"Code raised {error}{where}: {message}".rstrip(": "))
    return _decode_value(payload.get("value"))


def _decode_value(enc: Any) -> Any:
    if not isinstance(enc, dict):
        raise ToolError("Code returned a result that could not be read")
    kind, raw = enc.get("t"), enc.get("v")
    if kind == "int":
        return Integer(int(str(raw), 16))
    if kind == "frac":
        return Rational(int(str(enc.get("p")), 16), int(str(enc.get("q")), 16))
    if kind == "bool":
        return S.true if raw else S.false
    if kind == "float":
        value = float(str(raw))
        if value != value or value in (float("inf"), float("-inf")):
            raise ToolError(f"Code returned {raw}, not a finite number")
        return Float(str(raw), 15)
    if kind == "list":
        return [_decode_value(v) for v in (raw or [])]
    return parse_output(str(raw), symbolic=kind == "sympy")


_INT_TEXT = re.compile(r"^[+-]?\d+$")
_DECIMAL_TEXT = re.compile(r"^[+-]?(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?\d+[eE][+-]?\d+$")


def parse_output(text: str, *, symbolic: bool = False) -> Any:
    """A printed result as a value: integers and fractions exactly; decimals exactly when they have at most
    15 significant digits, else as floats (``0.30000000000000004`` is float noise); True/False; with
    ``symbolic``, expressions; anything else stays text."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return text
    line = lines[-1]
    compact = line.replace(",", "") if re.fullmatch(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", line) else line
    if _INT_TEXT.match(compact):
        if len(compact) > 20_000:
            return line
        return Integer(int(compact, 10) if len(compact) < 4000 else _big_int(compact))
    if _DECIMAL_TEXT.match(compact):
        digits = len(re.sub(r"[^\d]", "", compact.split("e")[0].split("E")[0]).lstrip("0"))
        if digits > 15:
            return Float(compact, 15)
    if len(line) <= 500:
        try:
            value = evaluate(line)
        except AgentStepError:
            return line
        if is_number(value) or value in (S.true, S.false) or (symbolic and isinstance(value, sympy.Basic)):
            return value
        if isinstance(value, (list, tuple)) and all(is_number(v) for v in value):
            return list(value)
    return line


def _big_int(digits: str) -> int:
    from decimal import Decimal

    return int(Decimal(digits))


# ============================================================================================ helpers


def _clean(args: str) -> str:
    text = args.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" and text[0] not in text[1:-1]:
        text = text[1:-1].strip()
    return text


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
