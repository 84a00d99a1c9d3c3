"""Operators on SymPy values, each checked before the work (result size, division by zero)."""

from __future__ import annotations

import ast
import math
from typing import Any

import sympy
from sympy import Basic, Expr, Rational, S
from sympy.core.relational import Equality, Relational
from sympy.logic.boolalg import BooleanAtom, BooleanFunction

from lumos.errors import LimitExceededError, ToolError
from lumos.tools.safe_math.limits import MAX_BITS, MAX_DIGITS, MAX_SYMBOLIC_EXPONENT
from lumos.tools.safe_math.values import DefinedFunction, SolutionSet, log10_magnitude, render_value


def require_arithmetic(value: Any, op: str) -> None:
    if isinstance(value, (list, tuple)):
        raise ToolError(f"'{op}' cannot be applied to a list")
    if isinstance(value, DefinedFunction):
        raise ToolError(f"'{op}' cannot be applied to a function; call it first")
    if isinstance(value, SolutionSet):
        raise ToolError(f"'{op}' cannot be applied to the solution set {value.render()!r}")
    if isinstance(value, (BooleanAtom, BooleanFunction, Relational)) and not isinstance(value, Equality):
        raise ToolError(f"'{op}' cannot be applied to the truth value or inequality {render_value(value)!r}")
    if not isinstance(value, Basic):
        raise ToolError(f"'{op}' cannot be applied to {type(value).__name__}")


_OP_SYMBOL = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.FloorDiv: "//",
    ast.Mod: "%",
}


def binary_op(op: ast.operator, a: Any, b: Any) -> Any:
    """``a op b`` with the guards; an equation combines side by side (``R1 + R2``, ``2 * R1``)."""
    symbol = _OP_SYMBOL.get(type(op))
    if symbol is None:
        names = {ast.BitXor: "^ (xor)", ast.BitAnd: "&", ast.BitOr: "|", ast.LShift: "<<", ast.RShift: ">>"}
        raise ToolError(f"the operator {names.get(type(op), type(op).__name__)} is not allowed")
    require_arithmetic(a, symbol)
    require_arithmetic(b, symbol)
    if isinstance(a, Equality) or isinstance(b, Equality):
        la, ra = (a.lhs, a.rhs) if isinstance(a, Equality) else (a, a)
        lb, rb = (b.lhs, b.rhs) if isinstance(b, Equality) else (b, b)
        return Equality(arith(symbol, la, lb), arith(symbol, ra, rb), evaluate=False)
    return arith(symbol, a, b)


def arith(symbol: str, a: Any, b: Any) -> Any:
    if symbol == "+":
        result = a + b
    elif symbol == "-":
        result = a - b
    elif symbol == "*":
        if isinstance(a, Rational) and isinstance(b, Rational):
            _check_bits(_bits(a) + _bits(b) - 1)
        result = a * b
    elif symbol == "/":
        _check_divisor(b)
        if isinstance(a, Rational) and isinstance(b, Rational):
            _check_bits(_bits(a) + _bits(b) - 1)
        result = a / b
    elif symbol == "**":
        check_power(a, b)
        result = a**b
    elif symbol == "//":
        _check_divisor(b)
        result = sympy.floor(a / b)
    else:  # "%"
        _check_divisor(b)
        result = a % b
    if isinstance(result, Rational):
        if _bits(result) > MAX_BITS:
            raise LimitExceededError(f"the result has more than {MAX_DIGITS} digits")
    elif (
        isinstance(result, sympy.Mul)
        and isinstance(result.args[0], Rational)
        and _bits(result.args[0]) > MAX_BITS
    ):
        raise LimitExceededError(f"the result has more than {MAX_DIGITS} digits")  # the product's coefficient
    return result


def _bits(value: Rational) -> int:
    return max(int(value.p).bit_length(), int(value.q).bit_length())


def _check_bits(bits: int) -> None:
    if bits > MAX_BITS:
        raise LimitExceededError(f"the result would have more than {MAX_DIGITS} digits")


def _check_divisor(b: Any) -> None:
    if b == 0 or (isinstance(b, Expr) and b.is_zero):
        raise ToolError("division by zero")


def _digits(value: Rational) -> float:
    """Decimal digits of the larger of numerator and denominator (as a float)."""
    p, q = abs(int(value.p)), int(value.q)
    return max(math.log10(p) if p else 0.0, math.log10(q))


def check_power(base: Any, exp: Any) -> None:
    """Refuse ``base ** exp`` whose result would have more than :data:`MAX_DIGITS` digits (estimated)."""
    if not (isinstance(base, Expr) and isinstance(exp, Expr)):
        return
    if base == 0 and isinstance(exp, Expr) and exp.is_negative:
        raise ToolError("division by zero (0 raised to a negative power)")
    base_is_number = isinstance(base, Rational) or base.is_number
    exp_is_number = isinstance(exp, Rational) or exp.is_number
    if not exp_is_number:
        return
    if not base_is_number:
        magnitude = log10_magnitude(exp) if not isinstance(exp, Rational) or exp != 0 else None
        if magnitude is not None and magnitude > math.log10(MAX_SYMBOLIC_EXPONENT):
            raise LimitExceededError(
                f"the exponent of a symbolic power may be at most {MAX_SYMBOLIC_EXPONENT} in size"
            )
        return
    if isinstance(base, Rational):
        if base in (S.Zero, S.One, S.NegativeOne):
            if base == S.NegativeOne and not isinstance(exp, Rational):
                _check_exponent_size(exp)
            return
        digits_per_unit = max(_digits(base), 1e-9)
    else:
        # SymPy may turn sqrt(1 + 10**-30)**n into an exact rational power, so the digits of the rationals
        # inside the base count, not only the base's size.
        mag = log10_magnitude(base)
        inner = max((_digits(r) for r in base.atoms(Rational) if r != 0), default=0.0)
        digits_per_unit = max(abs(mag) if mag is not None else 0.0, inner, 1e-9)
    exp_mag = log10_magnitude(exp)
    if exp_mag is None:
        return
    if exp_mag + math.log10(digits_per_unit) > math.log10(MAX_DIGITS):
        raise LimitExceededError(f"the power would have more than {MAX_DIGITS} digits; use smaller numbers")


def _check_exponent_size(exp: Expr) -> None:
    mag = log10_magnitude(exp)
    if mag is not None and mag > math.log10(MAX_DIGITS):
        raise LimitExceededError("the exponent is too large")


def compare(op: ast.cmpop, a: Any, b: Any) -> Any:
    for value in (a, b):
        if isinstance(value, (list, tuple, DefinedFunction, SolutionSet)) or not isinstance(value, Basic):
            raise ToolError(f"cannot compare {render_value(value)!r}")
    if isinstance(op, ast.Eq):
        return sympy.Eq(a, b)
    if isinstance(op, ast.NotEq):
        return sympy.Ne(a, b)
    for value in (a, b):
        if isinstance(value, (BooleanAtom, BooleanFunction, Relational)):
            raise ToolError(f"cannot order the truth value or relation {render_value(value)!r}")
    if isinstance(op, ast.Lt):
        return sympy.Lt(a, b)
    if isinstance(op, ast.LtE):
        return sympy.Le(a, b)
    if isinstance(op, ast.Gt):
        return sympy.Gt(a, b)
    if isinstance(op, ast.GtE):
        return sympy.Ge(a, b)
    raise ToolError(f"the comparison {type(op).__name__} ('is', 'in') is not allowed")


def as_boolean(value: Any) -> Any:
    if isinstance(value, (BooleanAtom, BooleanFunction, Relational)):
        return value
    if isinstance(value, Rational):
        return S.false if value == 0 else S.true
    raise ToolError(f"{render_value(value)!r} is not a truth value (use a comparison such as x > 0)")


def logical_not(value: Any) -> Any:
    return sympy.Not(as_boolean(value))
