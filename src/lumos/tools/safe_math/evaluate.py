"""Expression text -> SymPy values: the whitelisting parser and evaluator, and stored values -> SymPy."""

from __future__ import annotations

import ast
import math
import re
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

import sympy
from sympy import Basic, Float, Integer, Rational, S, Symbol
from sympy.core.relational import Equality

from lumos.errors import AgentStepError, LimitExceededError, ToolError
from lumos.tools.base import ExecutionContext
from lumos.tools.safe_math.arithmetic import as_boolean, binary_op, compare, logical_not, require_arithmetic
from lumos.tools.safe_math.functions import CONSTANTS, FUNCTIONS, apply_function
from lumos.tools.safe_math.limits import (
    MAX_DEPTH,
    MAX_DIGITS,
    VARIABLE_NAME,
    clip,
    describe,
    math_errors_as_tool_errors,
)
from lumos.tools.safe_math.text import normalize, split_equation
from lumos.tools.safe_math.values import DefinedFunction, SolutionSet, is_number, render_value


@lru_cache(maxsize=4096)
def _prepare(text: str) -> tuple[str, ast.expr]:
    source = normalize(text)
    if not source:
        raise ToolError("the expression is empty")
    _check_nesting(source)
    if len(split_equation(source)) > 1:
        raise ToolError(
            f"'=' is not allowed in an expression ({clip(text)!r}); use SetEquation for equations"
        )
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        where = f" at {source[: exc.offset]!r}" if exc.offset and exc.offset > 1 else ""
        raise ToolError(f"cannot read {clip(text)!r} as an expression: {exc.msg}{where}") from None
    except (ValueError, MemoryError, RecursionError) as exc:
        raise ToolError(f"cannot read {clip(text)!r} as an expression: {describe(exc)}") from None
    return source, tree.body


def _check_nesting(source: str) -> None:
    depth = 0
    for ch in source:
        if ch in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise LimitExceededError(f"the expression nests brackets more than {MAX_DEPTH} deep")
        elif ch in ")]}":
            depth -= 1


def evaluate(text: str, ctx: ExecutionContext | None = None, *, allow_tuple: bool = False) -> Any:
    """Evaluate expression text to a SymPy object (or a list/tuple of them, a :class:`DefinedFunction`...).

    Raises ToolError for text that is not an allowed expression, UndefinedVariableError for an unknown
    ``R<n>``, LimitExceededError when a guard trips. A top-level ``a, b`` is refused unless ``allow_tuple``.
    """
    if not isinstance(text, str):
        raise ToolError(f"expected expression text, got {type(text).__name__}")
    source, tree = _prepare(text)
    if isinstance(tree, ast.Tuple) and not allow_tuple:
        raise ToolError(
            f"{clip(text)!r} is several values separated by commas; give one expression "
            "(write 1000 rather than 1,000 inside a function's arguments)"
        )

    def messages() -> tuple[str, str, str]:
        shown = repr(clip(text, 60))
        return (
            f"evaluating {shown} ran out of memory",
            f"{shown} is too deeply nested",
            f"cannot evaluate {shown}",
        )

    with math_errors_as_tool_errors(messages):
        value = _Evaluator(source, ctx).eval(tree, 0)
        _check_defined(value)
    return value


def _check_defined(value: Any) -> None:
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_defined(item)
    elif isinstance(value, Basic) and not isinstance(value, Rational) and value.has(S.ComplexInfinity, S.NaN):
        raise ToolError("the result is undefined (a division by zero or similar)")


def to_sympy(value: Any, name: str = "the value") -> Any:
    """Convert a stored value to what expressions compute with (ints, floats, Fractions, bools -> SymPy;
    lists element-wise). Text that is a number becomes that number; other text is refused."""
    if isinstance(value, (Basic, DefinedFunction, SolutionSet)):
        return value
    if isinstance(value, bool):
        return S.true if value else S.false
    if isinstance(value, int):
        return Integer(value)
    if isinstance(value, Fraction):
        return Rational(value.numerator, value.denominator)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ToolError(f"{name} is {value}, not a finite number")
        return Float(value)
    if isinstance(value, Decimal):
        return Rational(Fraction(value))
    if isinstance(value, (list, tuple)):
        return [to_sympy(v, name) for v in value]
    if isinstance(value, str):
        try:
            number = evaluate(value)
        except AgentStepError:
            number = None
        if number is not None and is_number(number):
            return number
        raise ToolError(f"{name} holds text ({clip(value, 60)!r}), not a number or expression")
    raise ToolError(f"{name} holds a {type(value).__name__}, which expressions cannot use")


_NOT_ALLOWED: dict[type, str] = {
    ast.Attribute: "attribute access ('.')",
    ast.Subscript: "subscripts ('[...]' after a value)",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Dict: "dicts",
    ast.Set: "sets ('{...}')",
    ast.JoinedStr: "f-strings",
    ast.FormattedValue: "f-strings",
    ast.NamedExpr: "assignment expressions (':=')",
    ast.Starred: "star arguments ('*')",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}


def _symbol(name: str) -> Symbol:
    return Symbol(name)


class _Evaluator:
    """Converts one parsed expression to SymPy, node by node, from a whitelist."""

    __slots__ = ("ctx", "source")

    def __init__(self, source: str, ctx: ExecutionContext | None) -> None:
        self.source = source
        self.ctx = ctx

    # ---------------------------------------------------------------------------------- dispatch
    def eval(self, node: ast.AST, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise LimitExceededError(f"the expression nests more than {MAX_DEPTH} levels deep")
        kind = type(node)
        if kind is ast.Constant:
            return self._constant(node)  # type: ignore[arg-type]
        if kind is ast.BinOp:
            return self._binop(node, depth)  # type: ignore[arg-type]
        if kind is ast.Name:
            return self._name(node)  # type: ignore[arg-type]
        if kind is ast.UnaryOp:
            return self._unary(node, depth)  # type: ignore[arg-type]
        if kind is ast.Call:
            return self._call(node, depth)  # type: ignore[arg-type]
        if kind is ast.Compare:
            return self._compare(node, depth)  # type: ignore[arg-type]
        if kind is ast.BoolOp:
            return self._boolop(node, depth)  # type: ignore[arg-type]
        if kind is ast.IfExp:
            return self._ifexp(node, depth)  # type: ignore[arg-type]
        if kind is ast.List:
            return [self.eval(e, depth + 1) for e in node.elts]  # type: ignore[attr-defined]
        if kind is ast.Tuple:
            return tuple(self.eval(e, depth + 1) for e in node.elts)  # type: ignore[attr-defined]
        raise self._not_allowed(node)

    def _not_allowed(self, node: ast.AST) -> ToolError:
        what = _NOT_ALLOWED.get(type(node), f"{type(node).__name__} expressions")
        return ToolError(f"not allowed in an expression: {what} in {clip(self._segment(node), 60)!r}")

    def _segment(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.source, node)
        return segment if segment is not None else ast.dump(node)[:60]

    # ----------------------------------------------------------------------------------- leaves
    def _constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, bool):
            return S.true if value else S.false
        if isinstance(value, int):
            return Integer(value)
        if isinstance(value, float):
            return _exact_decimal(self._segment(node), value)
        if isinstance(value, complex):
            raise ToolError(f"complex numbers are not supported: {self._segment(node)!r}")
        if value is Ellipsis:
            raise ToolError("'...' is only understood by Count (as in Count(3, 6, 9, ..., 99))")
        if isinstance(value, (str, bytes)):
            raise ToolError(f"text in quotes is not allowed in an expression: {clip(repr(value), 60)}")
        raise ToolError(f"{value!r} is not allowed in an expression")

    def _name(self, node: ast.Name) -> Any:
        name = node.id
        if VARIABLE_NAME.fullmatch(name):
            return self._lookup(name)
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in FUNCTIONS:
            raise ToolError(f"{name} is a function; call it as {name}(...)")
        if name.startswith("_"):
            raise ToolError(f"the name {name!r} is not allowed in an expression")
        return _symbol(name)

    def _lookup(self, name: str) -> Any:
        if self.ctx is None:
            raise ExecutionContext().lookup(name)  # raises UndefinedVariableError
        return to_sympy(self.ctx.lookup(name), name)

    # -------------------------------------------------------------------------------- operators
    def _binop(self, node: ast.BinOp, depth: int) -> Any:
        chain: list[ast.BinOp] = []
        current: ast.expr = node
        while isinstance(current, ast.BinOp):  # left-nested chains (1+2+3+...) run iteratively
            chain.append(current)
            current = current.left
        value = self.eval(current, depth + 1)
        for op_node in reversed(chain):
            right = self.eval(op_node.right, depth + 1)
            value = binary_op(op_node.op, value, right)
        return value

    def _unary(self, node: ast.UnaryOp, depth: int) -> Any:
        value = self.eval(node.operand, depth + 1)
        if isinstance(node.op, ast.USub):
            if isinstance(value, Equality):
                return Equality(-value.lhs, -value.rhs, evaluate=False)
            require_arithmetic(value, "-")
            return -value
        if isinstance(node.op, ast.UAdd):
            require_arithmetic(value, "+")
            return value
        if isinstance(node.op, ast.Not):
            return logical_not(value)
        raise ToolError(f"the operator '~' is not allowed in an expression: {self._segment(node)!r}")

    def _compare(self, node: ast.Compare, depth: int) -> Any:
        left = self.eval(node.left, depth + 1)
        parts = []
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.eval(right_node, depth + 1)
            parts.append(compare(op, left, right))
            left = right
        if len(parts) == 1:
            return parts[0]
        return sympy.And(*parts)

    def _boolop(self, node: ast.BoolOp, depth: int) -> Any:
        values = [as_boolean(self.eval(v, depth + 1)) for v in node.values]
        return sympy.And(*values) if isinstance(node.op, ast.And) else sympy.Or(*values)

    def _ifexp(self, node: ast.IfExp, depth: int) -> Any:
        test = as_boolean(self.eval(node.test, depth + 1))
        if test is S.true:
            return self.eval(node.body, depth + 1)
        if test is S.false:
            return self.eval(node.orelse, depth + 1)
        raise ToolError(f"cannot decide the condition {render_value(test)!r}")

    # ------------------------------------------------------------------------------------ calls
    def _call(self, node: ast.Call, depth: int) -> Any:
        func = node.func
        if not isinstance(func, ast.Name):
            raise self._not_allowed(func)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self._not_allowed(arg)
        if any(k.arg is None for k in node.keywords):
            raise ToolError(f"'**' arguments are not allowed in an expression: {self._segment(node)!r}")
        name = func.id
        is_variable = VARIABLE_NAME.fullmatch(name) is not None
        spec = FUNCTIONS.get(name)
        if spec is None and not is_variable:
            if name in CONSTANTS:
                raise ToolError(f"{name} is a constant, not a function; write {name}*(...) to multiply")
            if name.startswith("_"):
                raise ToolError(f"the name {name!r} is not allowed in an expression")
            raise ToolError(
                f"unknown function {name}(); write {name}*(...) for a product, or use one of: "
                + ", ".join(sorted(FUNCTIONS))
            )
        args = [self.eval(a, depth + 1) for a in node.args]
        kwargs = {k.arg: self.eval(k.value, depth + 1) for k in node.keywords if k.arg is not None}
        if spec is None:
            return apply_function(self._lookup(name), args, kwargs, name)
        fn, low, high = spec
        if kwargs:
            raise ToolError(f"{name}() takes no keyword arguments")
        if not low <= len(args) <= high:
            want = str(low) if low == high else f"{low} to {high}" if high < 99 else f"at least {low}"
            raise ToolError(f"{name}() takes {want} argument(s), got {len(args)}")
        for arg in args:
            if isinstance(arg, DefinedFunction):
                raise ToolError(f"{name}() got a function; call it first")
        return fn(*args)


def _exact_decimal(segment: str, fallback: float) -> Rational:
    text = segment.replace("_", "").strip()
    exponent = re.search(r"[eE]([+-]?\d+)", text)
    if exponent and abs(int(exponent.group(1))) > MAX_DIGITS:
        raise LimitExceededError(f"the number {clip(text, 40)} has more than {MAX_DIGITS} digits")
    try:
        frac = Fraction(text)
    except (ValueError, ZeroDivisionError):
        frac = Fraction(fallback)
    return Rational(frac.numerator, frac.denominator)
