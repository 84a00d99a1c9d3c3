"""The whitelisted functions (factorial, round, gcd...), constants, and calling defined functions."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import sympy
from sympy import Basic, Expr, Float, Integer, Rational, S
from sympy.core.relational import Equality, Relational
from sympy.logic.boolalg import BooleanAtom, BooleanFunction

from lumos.errors import LimitExceededError, ToolError
from lumos.tools.safe_math.arithmetic import arith, check_power
from lumos.tools.safe_math.limits import MAX_DIGITS, MAX_ROUND_DIGITS, clip
from lumos.tools.safe_math.values import (
    DefinedFunction,
    has_free_symbols,
    is_number,
    log10_magnitude,
    render_value,
)

# ====================================================================================== functions


def _int_arg(value: Any, fname: str, what: str = "a whole number") -> int:
    if isinstance(value, Integer):
        return int(value)
    if isinstance(value, (Rational, Float)) and value.is_finite and value == int(value):
        return int(value)
    raise ToolError(f"{fname}() needs {what}, got {render_value(value)!r}")


def _factorial(n: Any) -> Any:
    if not is_number(n):
        return sympy.factorial(n)
    k = _int_arg(n, "factorial", "a non-negative whole number")
    if k < 0:
        raise ToolError("factorial() needs a non-negative whole number")
    if k > 100_000 or math.lgamma(k + 1) / math.log(10) > MAX_DIGITS:
        raise LimitExceededError(f"factorial({k}) would have more than {MAX_DIGITS} digits")
    return Integer(math.factorial(k))


def _binomial(n: Any, k: Any) -> Any:
    if not (is_number(n) and is_number(k)):
        return sympy.binomial(n, k)
    nn, kk = _int_arg(n, "binomial"), _int_arg(k, "binomial")
    if nn < 0:
        return sympy.binomial(Integer(nn), Integer(kk))
    if kk < 0 or kk > nn:
        return S.Zero
    kk = min(kk, nn - kk)
    digits = (math.lgamma(nn + 1) - math.lgamma(kk + 1) - math.lgamma(nn - kk + 1)) / math.log(10)
    if kk > 1_000_000 or digits > MAX_DIGITS:
        raise LimitExceededError(f"binomial({nn}, {kk}) would have more than {MAX_DIGITS} digits")
    return Integer(math.comb(nn, kk))


def _perm(n: Any, k: Any) -> Any:
    nn, kk = _int_arg(n, "perm"), _int_arg(k, "perm")
    if nn < 0 or kk < 0:
        raise ToolError("perm() needs non-negative whole numbers")
    if kk > nn:
        return S.Zero
    digits = (math.lgamma(nn + 1) - math.lgamma(nn - kk + 1)) / math.log(10)
    if kk > 1_000_000 or digits > MAX_DIGITS:
        raise LimitExceededError(f"perm({nn}, {kk}) would have more than {MAX_DIGITS} digits")
    return Integer(math.perm(nn, kk))


def _exp(x: Any) -> Any:
    if is_number(x):
        mag = log10_magnitude(x)
        if mag is not None and mag > math.log10(MAX_DIGITS * math.log(10)):
            raise LimitExceededError(f"exp() of a number this large would have more than {MAX_DIGITS} digits")
    return sympy.exp(x)


def _numeric(value: Any, fname: str) -> Expr:
    if not isinstance(value, Expr) or isinstance(value, (BooleanAtom, Relational)):
        raise ToolError(f"{fname}() needs a number, got {render_value(value)!r}")
    return value


def _round_half_up(x: Rational, places: int) -> Rational:
    scale = Integer(10) ** places if places >= 0 else Rational(1, 10 ** (-places))
    y = x * scale
    n = sympy.floor(abs(y) + Rational(1, 2))
    return (n if y >= 0 else -n) / scale


def _round(x: Any, places: Any = S.Zero) -> Any:
    x = _numeric(x, "round")
    p = _int_arg(places, "round", "a whole number of decimal places")
    if abs(p) > MAX_ROUND_DIGITS:
        raise ToolError(f"round() takes at most {MAX_ROUND_DIGITS} decimal places")
    if not x.is_number:
        raise ToolError(f"round() needs a number, got {render_value(x)!r}")
    exact = x if isinstance(x, Rational) else _to_rational(x, p + 20)
    return _round_half_up(exact, p)


def _to_rational(x: Expr, places: int) -> Rational:
    mag = log10_magnitude(x) or 0.0
    if mag > MAX_DIGITS:
        raise LimitExceededError(f"the number has more than {MAX_DIGITS} digits")
    value = x.evalf(max(15, int(mag) + places + 5))
    if not isinstance(value, Float):
        raise ToolError(f"{render_value(x)!r} is not a real number")
    return Rational(value)


def _trunc(x: Any) -> Any:
    x = _numeric(x, "int")
    if not x.is_number:
        raise ToolError(f"int() needs a number, got {render_value(x)!r}")
    return sympy.floor(x) if x >= 0 else sympy.ceiling(x)


def _flatten(args: Sequence[Any], fname: str) -> list[Any]:
    items: list[Any] = []
    for a in args:
        if isinstance(a, (list, tuple)):
            items.extend(a)
        else:
            items.append(a)
    if not items:
        raise ToolError(f"{fname}() needs at least one value")
    for item in items:
        _numeric(item, fname)
    return items


def _min(*args: Any) -> Any:
    return sympy.Min(*_flatten(args, "min"))


def _max(*args: Any) -> Any:
    return sympy.Max(*_flatten(args, "max"))


def _sum(*args: Any) -> Any:
    return sympy.Add(*_flatten(args, "sum"))


def _mean(*args: Any) -> Any:
    items = _flatten(args, "mean")
    return sympy.Add(*items) / len(items)


def _gcd_lcm(fname: str) -> Callable[..., Any]:
    def fn(*args: Any) -> Any:
        items = _flatten(args, fname)
        if all(isinstance(i, Integer) for i in items):
            ints = [int(i) for i in items]
            return Integer(math.gcd(*ints) if fname == "gcd" else math.lcm(*ints))
        result = items[0]
        for item in items[1:]:
            result = sympy.gcd(result, item) if fname == "gcd" else sympy.lcm(result, item)
        return result

    return fn


def _log(x: Any, base: Any = None) -> Any:
    x = _numeric(x, "log")
    if x == 0:
        raise ToolError("log(0) is undefined")
    if base is None:
        return sympy.log(x)
    base = _numeric(base, "log")
    if base in (S.Zero, S.One):
        raise ToolError(f"log() to base {base} is undefined")
    return sympy.log(x, base)


def _pow(a: Any, b: Any, m: Any = None) -> Any:
    if m is None:
        return arith("**", a, b)
    aa, bb, mm = _int_arg(a, "pow"), _int_arg(b, "pow"), _int_arg(m, "pow")
    if max(aa.bit_length(), bb.bit_length(), mm.bit_length()) > 4096:
        raise LimitExceededError("pow() with a modulus takes numbers of at most 4096 bits")
    if mm == 0:
        raise ToolError("pow() with modulus 0")
    return Integer(pow(aa, bb, mm))


def _isprime(n: Any) -> Any:
    k = _int_arg(n, "isprime")
    if k.bit_length() > 4000:
        raise LimitExceededError("isprime() is limited to numbers under 1200 digits")
    return S.true if sympy.isprime(k) else S.false


def _unary(fn: Callable[[Any], Any], fname: str) -> Callable[[Any], Any]:
    def wrapped(x: Any) -> Any:
        return fn(_numeric(x, fname))

    return wrapped


def _sqrt(x: Any) -> Any:
    return sympy.sqrt(_numeric(x, "sqrt"))


def _root(x: Any, n: Any) -> Any:
    nn = _numeric(n, "root")
    if nn == 0:
        raise ToolError("root() of degree 0 is undefined")
    check_power(_numeric(x, "root"), 1 / nn)
    return sympy.root(x, nn)


def _float(x: Any) -> Any:
    return _numeric(x, "float")


_FUNCTION_TABLE: dict[str, tuple[Callable[..., Any], int, int]] = {
    "sqrt": (_sqrt, 1, 1),
    "cbrt": (lambda x: _root(x, Integer(3)), 1, 1),
    "root": (_root, 2, 2),
    "abs": (_unary(sympy.Abs, "abs"), 1, 1),
    "floor": (_unary(sympy.floor, "floor"), 1, 1),
    "ceil": (_unary(sympy.ceiling, "ceil"), 1, 1),
    "ceiling": (_unary(sympy.ceiling, "ceiling"), 1, 1),
    "round": (_round, 1, 2),
    "int": (_trunc, 1, 1),
    "trunc": (_trunc, 1, 1),
    "float": (_float, 1, 1),
    "min": (_min, 1, 999),
    "max": (_max, 1, 999),
    "sum": (_sum, 1, 999),
    "mean": (_mean, 1, 999),
    "average": (_mean, 1, 999),
    "log": (_log, 1, 2),
    "ln": (lambda x: _log(x), 1, 1),
    "log10": (lambda x: _log(x, Integer(10)), 1, 1),
    "log2": (lambda x: _log(x, Integer(2)), 1, 1),
    "exp": (lambda x: _exp(_numeric(x, "exp")), 1, 1),
    "sin": (_unary(sympy.sin, "sin"), 1, 1),
    "cos": (_unary(sympy.cos, "cos"), 1, 1),
    "tan": (_unary(sympy.tan, "tan"), 1, 1),
    "asin": (_unary(sympy.asin, "asin"), 1, 1),
    "acos": (_unary(sympy.acos, "acos"), 1, 1),
    "atan": (_unary(sympy.atan, "atan"), 1, 1),
    "arcsin": (_unary(sympy.asin, "arcsin"), 1, 1),
    "arccos": (_unary(sympy.acos, "arccos"), 1, 1),
    "arctan": (_unary(sympy.atan, "arctan"), 1, 1),
    "sinh": (_unary(sympy.sinh, "sinh"), 1, 1),
    "cosh": (_unary(sympy.cosh, "cosh"), 1, 1),
    "tanh": (_unary(sympy.tanh, "tanh"), 1, 1),
    "degrees": (lambda x: _numeric(x, "degrees") * 180 / S.Pi, 1, 1),
    "radians": (lambda x: _numeric(x, "radians") * S.Pi / 180, 1, 1),
    "factorial": (_factorial, 1, 1),
    "fact": (_factorial, 1, 1),
    "gcd": (_gcd_lcm("gcd"), 1, 999),
    "lcm": (_gcd_lcm("lcm"), 1, 999),
    "binomial": (_binomial, 2, 2),
    "comb": (_binomial, 2, 2),
    "choose": (_binomial, 2, 2),
    "nCr": (_binomial, 2, 2),
    "perm": (_perm, 2, 2),
    "nPr": (_perm, 2, 2),
    "pow": (_pow, 2, 3),
    "mod": (lambda a, b: arith("%", a, b), 2, 2),
    "isprime": (_isprime, 1, 1),
}
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = _FUNCTION_TABLE
"""Functions an expression may call: name -> (implementation, fewest arguments, most arguments)."""

CONSTANTS: dict[str, Any] = {"pi": S.Pi, "e": S.Exp1, "E": S.Exp1, "true": S.true, "false": S.false}
"""Names with a fixed meaning (``e`` is Euler's number, not a symbol)."""


# ================================================================================ function values


def apply_function(target: Any, args: Sequence[Any], kwargs: dict[str, Any], name: str = "the value") -> Any:
    """Apply a result variable as a function: a :class:`DefinedFunction` binds its parameters; an expression
    (or equation) binds its free symbols in name order, or by name with keywords."""
    if isinstance(target, DefinedFunction):
        params = list(target.params)
        body = target.body
    elif isinstance(target, Basic) and not isinstance(target, BooleanAtom) and target.free_symbols:
        params = sorted(target.free_symbols, key=lambda s: s.name)
        body = target
    else:
        shown = render_value(target)
        raise ToolError(
            f"{name} is {clip(shown, 40)!r}, not a function or an expression in unknowns; "
            f"write {name}*(...) to multiply"
        )
    if len(args) > len(params):
        raise ToolError(
            f"{name} takes {len(params)} argument(s) ({', '.join(p.name for p in params)}), got {len(args)}"
        )
    mapping: dict[Any, Any] = dict(zip(params, args, strict=False))
    by_name = {p.name: p for p in params}
    for key, value in kwargs.items():
        if key not in by_name:
            raise ToolError(f"{name} has no variable {key!r} (its variables: {', '.join(by_name)})")
        mapping[by_name[key]] = value
    for value in mapping.values():
        if not isinstance(value, Basic) or isinstance(value, (BooleanAtom, BooleanFunction)):
            raise ToolError(
                f"{name} can only be applied to numbers or expressions, not {render_value(value)!r}"
            )
    return substitute(body, mapping)


def substitute(expr: Any, mapping: dict[Any, Any]) -> Any:
    """Replace symbols in ``expr`` and re-evaluate bottom-up with the same size guards as :func:`evaluate`."""
    if isinstance(expr, (list, tuple)):
        return type(expr)(substitute(e, mapping) for e in expr)
    if not isinstance(expr, Basic):
        return expr
    keys = set(mapping)
    return _rebuild(expr, mapping, keys, 0)


def _rebuild(expr: Basic, mapping: dict[Any, Any], keys: set[Any], depth: int) -> Any:
    if depth > 200:
        raise LimitExceededError("the expression is too deeply nested")
    if expr in mapping:
        return mapping[expr]
    if not expr.args or not (expr.free_symbols & keys):
        return expr
    args = [_rebuild(a, mapping, keys, depth + 1) for a in expr.args]
    if isinstance(expr, sympy.Pow):
        check_power(args[0], args[1])
        return args[0] ** args[1]
    if isinstance(expr, sympy.Mul):
        result: Any = S.One
        for a in args:
            result = arith("*", result, a)
        return result
    if isinstance(expr, sympy.Add):
        return sympy.Add(*args)
    if isinstance(expr, sympy.factorial):
        return _factorial(args[0])
    if isinstance(expr, sympy.binomial):
        return _binomial(args[0], args[1])
    if isinstance(expr, sympy.exp):
        return _exp(args[0])
    if isinstance(expr, Equality):
        lhs, rhs = args
        if has_free_symbols(lhs) or has_free_symbols(rhs):
            return Equality(lhs, rhs, evaluate=False)
        return sympy.Eq(lhs, rhs)
    return expr.func(*args)
