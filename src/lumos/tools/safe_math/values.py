"""Value types beyond SymPy (defined functions, solution sets) and how any value is shown as text."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import mpmath
import sympy
from sympy import Basic, Expr, Float, Rational, S, Symbol
from sympy.core.relational import Equality, Relational

from lumos.tools.safe_math.limits import LOG10_2, MATH_ERRORS, MAX_DIGITS

# ============================================================================ values that are not SymPy


@dataclass(frozen=True)
class DefinedFunction:
    """A function made by ``Define(f(a, b) = a*b)``: named parameters and a body expression."""

    params: tuple[Symbol, ...]
    body: Any
    name: str = "f"

    def render(self) -> str:
        return f"{self.name}({', '.join(p.name for p in self.params)}) = {render_value(self.body)}"

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True)
class SolutionSet:
    """The solution of an inequality in one unknown: ``symbol`` ranges over ``values`` (a SymPy set)."""

    symbol: Symbol
    values: sympy.Set

    def render(self) -> str:
        return _render_set(self.symbol.name, self.values)

    def __str__(self) -> str:
        return self.render()


def is_number(value: Any) -> bool:
    """A SymPy number without free symbols (Integer, Rational, Float, sqrt(2), pi...)."""
    return isinstance(value, Expr) and (isinstance(value, (Rational, Float)) or value.is_number)


def has_free_symbols(value: Any) -> bool:
    return isinstance(value, Basic) and bool(value.free_symbols)


def log10_magnitude(value: Expr) -> float | None:
    """log10 of |value| for a number (exact for rationals, 15-digit numerics otherwise); None for zero or
    when it cannot be told."""
    if isinstance(value, Rational):
        p, q = abs(int(value.p)), int(value.q)
        if p == 0:
            return None
        return math.log10(p) - math.log10(q)
    try:
        approx = sympy.N(sympy.log(sympy.Abs(value), 10), 15)
    except MATH_ERRORS:
        return None
    if isinstance(approx, Float) and approx.is_finite:
        return float(approx)
    if approx == S.Infinity:
        return math.inf
    return None


# ====================================================================================== rendering


@contextmanager
def _big_int_str() -> Iterator[None]:
    """Allow int <-> str conversion of the (already size-limited) big integers this module makes."""
    get = getattr(sys, "get_int_max_str_digits", None)
    if get is None:
        yield
        return
    old = get()
    if old and old < 4 * MAX_DIGITS:
        sys.set_int_max_str_digits(4 * MAX_DIGITS)
        try:
            yield
        finally:
            sys.set_int_max_str_digits(old)
    else:
        yield


def _int_str(n: int) -> str:
    if n.bit_length() < 14_000:
        return str(n)
    return str(Decimal(n))


def _pow10_floor(p: int, q: int) -> int:
    """floor(log10(p/q)) for positive integers."""
    estimate = int((p.bit_length() - q.bit_length()) * LOG10_2)
    # correct the estimate by at most a couple of steps
    while _ge_pow10(p, q, estimate + 1):
        estimate += 1
    while not _ge_pow10(p, q, estimate):
        estimate -= 1
    return estimate


def _ge_pow10(p: int, q: int, k: int) -> bool:
    """p/q >= 10**k"""
    return p >= q * 10**k if k >= 0 else p * 10 ** (-k) >= q


def _decimal_str(p: int, q: int, *, exact_ok: bool = True) -> str:
    """p/q (q > 0) as plain decimal text: integers and short terminating decimals exactly, anything else
    rounded (half up) to 6 decimal places, or to 6 significant digits if that shows more."""
    sign = "-" if p < 0 else ""
    p = abs(p)
    if q == 1:
        return sign + _int_str(p)
    if exact_ok:
        twos = (q & -q).bit_length() - 1
        rest = q >> twos
        fives = 0
        while rest % 5 == 0:
            rest //= 5
            fives += 1
        if rest == 1 and max(twos, fives) <= 20:
            places = max(twos, fives)
            return _fixed(sign, p * 10**places // q, places)
    if p == 0:
        return "0"
    exponent = _pow10_floor(p, q)
    places = max(6, 5 - exponent)
    if places > 30:  # tiny: scientific notation with 6 significant digits
        digits = (2 * p * 10 ** (5 - exponent) + q) // (2 * q)
        if digits >= 10**6:
            digits //= 10
            exponent += 1
        mantissa = _fixed("", digits, 5)
        return f"{sign}{mantissa}e{exponent}"
    scaled = (2 * p * 10**places + q) // (2 * q)
    text = _fixed(sign, scaled, places)
    return "0" if text in ("0", "-0") else text


def _fixed(sign: str, scaled: int, places: int) -> str:
    if places == 0:
        return sign + _int_str(scaled)
    digits = _int_str(scaled).rjust(places + 1, "0")
    whole, frac = digits[:-places], digits[-places:].rstrip("0")
    text = f"{whole}.{frac}" if frac else whole
    return "0" if text == "0" else sign + text


def _float_str(value: Float) -> str:
    if not value.is_finite:
        return "oo" if value > 0 else "-oo" if value < 0 else "undefined"
    if value == 0:
        return "0"
    mag = log10_magnitude(value)
    if mag is not None and (mag >= 16 or mag < -30):
        return _scientific(value)
    r = Rational(value)
    return _decimal_str(int(r.p), int(r.q), exact_ok=False)


def _real_str(value: Expr) -> str:
    """A real irrational number (sqrt(2), pi, log(3)) as a rounded decimal."""
    mag = log10_magnitude(value)
    if mag is None:
        return "0"
    if mag >= 16 or mag < -30:
        return _scientific(value)
    places = max(6, 5 - math.floor(mag))
    approx = value.evalf(max(15, int(mag) + places + 6))
    if not isinstance(approx, Float):
        return sympy.sstr(approx)
    r = Rational(approx)
    return _decimal_str(int(r.p), int(r.q), exact_ok=False)


def _scientific(value: Expr) -> str:
    """6 significant digits with an exponent: 1.97007e+434."""
    approx = value.evalf(15)
    text = str(mpmath.nstr(approx._to_mpmath(60), 6, min_fixed=1, max_fixed=0))
    mantissa, _, exponent = text.partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{exponent}" if exponent else mantissa


def _number_str(value: Expr) -> str:
    if isinstance(value, Rational):
        return _decimal_str(int(value.p), int(value.q))
    if isinstance(value, Float):
        return _float_str(value)
    if value in (S.Infinity, S.NegativeInfinity, S.ComplexInfinity, S.NaN):
        return {S.Infinity: "oo", S.NegativeInfinity: "-oo"}.get(value, "undefined")
    re_part, im_part = value.as_real_imag()
    if im_part != 0 and im_part.is_zero is not True:
        real = "" if re_part == 0 else _real_or_exact(re_part)
        imag = _real_or_exact(abs(im_part)) if isinstance(im_part, Expr) else str(im_part)
        sign = "-" if (im_part.is_negative) else "+"
        if not real:
            return f"{'-' if sign == '-' else ''}{imag}i"
        return f"{real} {sign} {imag}i"
    return _real_or_exact(value)


def _real_or_exact(value: Expr) -> str:
    if isinstance(value, Rational):
        return _decimal_str(int(value.p), int(value.q))
    if isinstance(value, Float):
        return _float_str(value)
    return _real_str(value)


_REL_OPS = {"<": "<", ">": ">", "<=": "<=", ">=": ">=", "!=": "!=", "==": "="}


def render_value(value: Any) -> str:
    """Plain text of a result: exact inside, plain outside (see the module docstring)."""
    try:
        return _render(value)
    except ValueError:
        with _big_int_str():
            return _render(value)
    except MATH_ERRORS:  # never fail to show a result; SymPy's own text is the fallback
        return sympy.sstr(value) if isinstance(value, Basic) else str(value)


def _render(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool) or value is S.true or value is S.false:
        return "True" if bool(value) else "False"
    if isinstance(value, int):
        return _int_str(value)
    if isinstance(value, Rational):
        return _decimal_str(int(value.p), int(value.q))
    if isinstance(value, float):
        return _float_str(Float(value))
    if isinstance(value, Fraction):
        return _decimal_str(value.numerator, value.denominator)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_render(v) for v in value) + "]"
    if isinstance(value, (DefinedFunction, SolutionSet)):
        return value.render()
    if isinstance(value, str):
        return value
    if isinstance(value, Equality):
        return f"{_render(value.lhs)} = {_render(value.rhs)}"
    if isinstance(value, Relational):
        return f"{_render(value.lhs)} {_REL_OPS.get(value.rel_op, value.rel_op)} {_render(value.rhs)}"
    if isinstance(value, sympy.And):
        return " and ".join(_wrap_bool(a) for a in value.args)
    if isinstance(value, sympy.Or):
        return " or ".join(_wrap_bool(a) for a in value.args)
    if isinstance(value, sympy.Not):
        return f"not {_wrap_bool(value.args[0])}"
    if isinstance(value, sympy.Set):
        return _render_set("x", value)
    if isinstance(value, Expr):
        if not value.free_symbols:
            return _number_str(value)
        return sympy.sstr(value)
    return str(value)


def _wrap_bool(value: Any) -> str:
    text = _render(value)
    return f"({text})" if isinstance(value, (sympy.And, sympy.Or)) else text


def _render_set(name: str, values: sympy.Set) -> str:
    if values == S.Reals:
        return f"{name} is any real number"
    if values is S.EmptySet:
        return "no solution"
    if isinstance(values, sympy.Interval):
        a, b = values.start, values.end
        lo = "<" if values.left_open else "<="
        hi = "<" if values.right_open else "<="
        if a == S.NegativeInfinity:
            return f"{name} {hi} {_render(b)}"
        if b == S.Infinity:
            return f"{name} {'>' if values.left_open else '>='} {_render(a)}"
        if a == b:
            return f"{name} = {_render(a)}"
        return f"{_render(a)} {lo} {name} {hi} {_render(b)}"
    if isinstance(values, sympy.FiniteSet):
        return " or ".join(f"{name} = {_render(v)}" for v in values.args)
    if isinstance(values, sympy.Union):
        return " or ".join(_render_set(name, part) for part in values.args)
    if isinstance(values, sympy.Complement) and values.args[0] == S.Reals:
        excluded = values.args[1]
        if isinstance(excluded, sympy.FiniteSet):
            return " and ".join(f"{name} != {_render(v)}" for v in excluded.args)
    return f"{name} in {sympy.sstr(values)}"
