"""Count (the items of a list, set or range) and Define (a named function or constant)."""

from __future__ import annotations

import itertools
import re
from typing import Any, ClassVar

import sympy
from sympy import Integer, Rational, S, Symbol

from lumos.domains.maths.tools.algebra import equation_system, make_equations
from lumos.domains.maths.tools.base import IDENTIFIER, VARIABLE, MathTool
from lumos.errors import ToolError
from lumos.tools.base import ExecutionContext, Tool
from lumos.tools.safe_math import (
    FUNCTIONS,
    DefinedFunction,
    SolutionSet,
    evaluate,
    render_value,
    split_equation,
    split_items,
)

# ============================================================================================= Count

_ELLIPSIS = {"...", "…", "..", "....", "etc", "etc."}
_RANGE = re.compile(r"^range\s*\((.*)\)$", re.S)


class Count(MathTool, Tool):
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
            if VARIABLE.search(item):
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


class Define(MathTool, Tool):
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
        if match and not VARIABLE.fullmatch(match.group(1)) and match.group(1) not in FUNCTIONS:
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
        if len(parts) == 2 and IDENTIFIER.match(parts[0]) and not VARIABLE.fullmatch(parts[0]) and parts[1]:
            return evaluate(parts[1], ctx)
        if len(parts) > 1:
            return equation_system(make_equations(item, ctx))
        return evaluate(item, ctx)
