"""Calculator, SetEquation, SolveEquation and SolveInequality: exact arithmetic and algebra with SymPy."""

from __future__ import annotations

import itertools
from typing import Any, ClassVar

import sympy
from sympy import S, Symbol
from sympy.core.relational import Equality, Relational
from sympy.logic.boolalg import BooleanAtom, BooleanFunction

from lumos.domains.maths.tools.base import MathTool, shorten
from lumos.errors import ToolError
from lumos.tools.base import ExecutionContext, Tool
from lumos.tools.safe_math import (
    SolutionSet,
    evaluate,
    has_free_symbols,
    is_number,
    render_value,
    split_equation,
    split_items,
)

# ========================================================================================= Calculator


class Calculator(MathTool, Tool):
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
                return equation_system(make_equations(args, ctx))
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
        raise ToolError(f"the equation {shorten(text)!r} has an empty side")
    sides = [evaluate(p, ctx) for p in parts]
    for side, part in zip(sides, parts, strict=True):
        _check_side(side, part)
    return [Equality(a, b, evaluate=False) for a, b in itertools.pairwise(sides)]


def _check_side(value: Any, text: str) -> None:
    if isinstance(value, Equality):
        raise ToolError(f"{shorten(text)!r} is already an equation; it cannot be one side of '='")
    if isinstance(value, (Relational, BooleanAtom, BooleanFunction)):
        raise ToolError(
            f"{shorten(text)!r} is an inequality or truth value, not an expression (SolveInequality?)"
        )
    if not isinstance(value, sympy.Expr):
        raise ToolError(
            f"{shorten(text)!r} is {render_value(value)!r}, which cannot be a side of an equation"
        )


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


def equation_system(equations: list[Equality]) -> Any:
    return equations[0] if len(equations) == 1 else list(equations)


def _outputs_hint(ctx: ExecutionContext) -> int | None:
    outputs = ctx.state.get("outputs")
    return len(outputs) if isinstance(outputs, (list, tuple)) and outputs else None


class SetEquation(MathTool, Tool):
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
        return equation_system(equations)


class SolveEquation(MathTool, Tool):
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
                raise ToolError(f"{shorten(item)!r} is an inequality; use SolveInequality")
            elif isinstance(value, sympy.Expr) and value.free_symbols:
                equations.append(Equality(value, S.Zero, evaluate=False))
            elif is_number(value):
                plain_numbers.append(value)
            else:
                raise ToolError(f"{shorten(item)!r} is {render_value(value)!r}, not an equation")
        if not equations:
            if len(plain_numbers) == 1 and len(items) == 1:
                return plain_numbers[0]
            raise ToolError(f"no equation with an unknown in {shorten(args)!r}")
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


class SolveInequality(MathTool, Tool):
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
                raise ToolError(f"{shorten(item)!r} is not an inequality (use <, <=, > or >=)")
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
            raise ToolError(f"cannot solve {shorten(args)!r} exactly")
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
