"""Restricted maths expressions: text -> SymPy objects, and SymPy objects -> plain text.

Nothing here calls ``eval``, ``exec``, ``sympify`` or ``parse_expr`` on model text. An expression is first
normalised (``^`` is power, ``20%`` is ``20/100``, ``1,000`` is a thousand where that is unambiguous,
``2x`` is ``2*x``, ``×`` is ``*``...), then parsed with ``ast.parse(..., mode="eval")`` (parsing runs no code)
and converted node by node from a whitelist: numbers (decimals become exact rationals), ``+ - * / ** // %``,
comparisons, ``and``/``or``/``not``, ``a if c else b``, lists, names (result variables ``R1``... resolve
through the :class:`~lumos.tools.base.ExecutionContext`, a few constants, anything else is a symbol) and
calls of whitelisted functions or of result variables that hold a function or an expression
(``R4(R5, R6)`` binds the expression's free symbols in name order; ``R1(n=3)`` binds by name).

Guards run *before* the work they guard: input length, nesting depth, and the size of powers, factorials,
binomials and exponentials (estimated first; nothing over :data:`MAX_DIGITS` digits is ever computed).
:func:`time_limit` adds a wall-clock limit (SIGALRM, main thread only) for whatever slips through.

:func:`render_value` shows results the way people write them: ``4`` (never ``4.0``), ``3.5``, ``0.333333``,
``1.414214`` for ``sqrt(2)``, ``2*x + 3 = 11`` for an equation, ``[1, 2]`` for a list.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from types import FrameType
from typing import Any

import mpmath
import sympy
from sympy import Basic, Expr, Float, Integer, Rational, S, Symbol
from sympy.core.relational import Equality, Relational
from sympy.logic.boolalg import BooleanAtom, BooleanFunction
from sympy.polys.polyerrors import BasePolynomialError

from lumos.errors import AgentStepError, LimitExceededError, ToolError
from lumos.tools.base import ExecutionContext

__all__ = [
    "MAX_DIGITS",
    "MAX_INPUT_CHARS",
    "DefinedFunction",
    "SolutionSet",
    "apply_function",
    "evaluate",
    "guarded",
    "has_free_symbols",
    "is_number",
    "normalize",
    "render_value",
    "split_equation",
    "split_items",
    "time_limit",
    "to_sympy",
]

MAX_INPUT_CHARS = 2000
"""Longest expression text accepted."""
MAX_DIGITS = 10_000
"""Largest number of digits (of a numerator or denominator) that any computation may produce."""
MAX_DEPTH = 60
"""Deepest nesting of sub-expressions."""
MAX_SYMBOLIC_EXPONENT = 1000
"""Largest exponent of a power of a symbolic base (``x**1000``)."""
MAX_ROUND_DIGITS = 100
MAX_BITS = int(MAX_DIGITS * math.log2(10)) + 1
_LOG10_2 = math.log10(2)

#: Exceptions that SymPy (or Python arithmetic) raises on odd model input; tools turn them into ToolError.
MATH_ERRORS: tuple[type[BaseException], ...] = (
    ArithmeticError,  # ZeroDivisionError, OverflowError
    ValueError,
    TypeError,
    NotImplementedError,
    RecursionError,
    IndexError,
    KeyError,
    AttributeError,
    BasePolynomialError,
    sympy.SympifyError,
)

_VARIABLE_NAME = re.compile(r"R\d+|Output")


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


# ================================================================================== time limits


class _Alarm(BaseException):
    """Raised by the SIGALRM handler. A BaseException, so that SymPy's ``except Exception`` cannot eat it."""


class _AlarmState:
    active = False


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float | None, what: str = "the action") -> Iterator[None]:
    """Raise :class:`LimitExceededError` if the body runs longer than ``seconds`` (wall clock).

    Uses ``signal.setitimer`` and so works only on the main thread; elsewhere (or with ``seconds`` None or
    <= 0) the body runs without a limit. The timer repeats every 50 ms after it first fires, in case some
    library code swallowed the first interruption. An enclosing limit stays in force.
    """
    if not seconds or seconds <= 0 or not _can_alarm():
        yield
        return
    state = _AlarmState()

    def handler(signum: int, frame: FrameType | None) -> None:
        if state.active:
            raise _Alarm

    old_handler = signal.signal(signal.SIGALRM, handler)
    old_delay, _old_interval = signal.getitimer(signal.ITIMER_REAL)
    delay = min(seconds, old_delay) if old_delay > 0 else seconds
    start = time.monotonic()
    state.active = True
    signal.setitimer(signal.ITIMER_REAL, delay, 0.05)
    try:
        yield
    except _Alarm:
        state.active = False
        raise LimitExceededError(f"{what} took longer than the time limit of {delay:g} s") from None
    finally:
        state.active = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay > 0:
            left = old_delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-4))


def guarded(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: turn the exceptions SymPy raises on odd input (:data:`MATH_ERRORS`) into ToolError."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        def inner(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except AgentStepError:
                raise
            except MemoryError:
                raise LimitExceededError(f"{what} ran out of memory") from None
            except RecursionError:
                raise LimitExceededError(f"{what}: the expression is too deeply nested") from None
            except MATH_ERRORS as exc:
                raise ToolError(f"{what} failed: {_describe(exc)}") from None

        inner.__name__ = getattr(fn, "__name__", "guarded")
        inner.__doc__ = fn.__doc__
        return inner

    return wrap


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    return f"{name}: {_clip(text)}" if text else name


# ================================================================================ normalisation

_TRANSLATE = str.maketrans(
    {
        "×": "*",
        "·": "*",
        "⋅": "*",
        "∗": "*",
        "÷": "/",
        "∕": "/",
        "−": "-",
        "–": "-",
        "—": "-",
        "≤": "<=",
        "≥": ">=",
        "≠": "!=",
        "π": "pi",
        "²": "**2",
        "³": "**3",
        "$": "",
        "€": "",
        "£": "",
        "\u00a0": " ",
        "\n": " ",
        "\r": " ",
        "\t": " ",
    }
)
_LATEX = [
    (re.compile(r"\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}"), r"((\1)/(\2))"),
    (re.compile(r"\\sqrt\s*\{([^{}]*)\}"), r"sqrt(\1)"),
    (re.compile(r"\\(?:cdot|times|ast)\b"), "*"),
    (re.compile(r"\\div\b"), "/"),
    (re.compile(r"\\(?:left|right)\b"), ""),
    (re.compile(r"\\pi\b"), "pi"),
    (re.compile(r"\\[,;! ]"), " "),
]
_SQRT_SIGN = re.compile(r"√\s*(\(|[\w.]+)")
_THOUSANDS = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w.]|,\d)")
_PERCENT_END = re.compile(r"\s*(?:$|of\b|[)\],*/+\-=<>!;])")
_NUMBER_TOKEN = re.compile(r"(?<![\w.])((?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)([A-Za-z_]\w*)?")
_IMPLICIT_PAREN = re.compile(r"\)(?=[\w(])(?!(?:if|else|and|or|not|in|is|for)\b)")
_CLOSERS = {")": "(", "]": "["}


def normalize(text: str) -> str:
    """Rewrite the notations models use into Python expression syntax (see the module docstring).

    Raises LimitExceededError for text longer than :data:`MAX_INPUT_CHARS`.
    """
    if len(text) > MAX_INPUT_CHARS:
        raise LimitExceededError(
            f"the expression is {len(text)} characters long; the limit is {MAX_INPUT_CHARS}"
        )
    text = text.translate(_TRANSLATE)
    if "\\" in text:
        for pattern, repl in _LATEX:
            text = pattern.sub(repl, text)
        text = text.replace("{", "(").replace("}", ")")
    if "√" in text:
        text = _SQRT_SIGN.sub(lambda m: "sqrt(" if m.group(1) == "(" else f"sqrt({m.group(1)})", text)
    text = text.replace("^", "**")
    if "," in text:
        text = _group_thousands(text)
    if "%" in text:
        text = _percent(text)
    text = _NUMBER_TOKEN.sub(_implicit_product, text)
    if ")" in text:
        text = _IMPLICIT_PAREN.sub(")*", text)
    return text.strip()


def _implicit_product(m: re.Match[str]) -> str:
    """``2x`` -> ``(2*x)`` (bound tight, as in maths: ``1/2x`` is ``1/(2*x)``), but ``2x^2`` -> ``2*x**2`` and
    ``2(3)`` -> ``2*(3)``. The whole number token is matched first, so ``2e5`` stays a number."""
    number, name = m.group(1), m.group(2)
    rest = m.string[m.end() :]
    if name is None:
        return number + "*" if rest.startswith("(") else number
    if keyword.iskeyword(name):
        return m.group(0)
    if rest.lstrip().startswith(("**", "(", "[", ".")):
        return f"{number}*{name}"
    return f"({number}*{name})"


def _bracket_stack(text: str, end: int) -> list[str]:
    """The open brackets before ``end``: '(' for a grouping parenthesis, 'f(' for a call, '[' for a list."""
    stack: list[str] = []
    for i in range(end):
        ch = text[i]
        if ch == "(":
            j = i - 1
            while j >= 0 and text[j] == " ":
                j -= 1
            stack.append("f(" if j >= 0 and (text[j].isalnum() or text[j] in "_)]") else "(")
        elif ch in "[{":
            stack.append(ch)
        elif ch in ")]}" and stack:
            stack.pop()
    return stack


def _group_thousands(text: str) -> str:
    """``1,000,000`` -> ``1000000`` where a comma cannot separate arguments or items: at the top level and
    inside grouping parentheses, never inside a call's or a list's brackets."""

    def repl(m: re.Match[str]) -> str:
        stack = _bracket_stack(text, m.start())
        if all(kind == "(" for kind in stack):
            return m.group(0).replace(",", "")
        return m.group(0)

    return _THOUSANDS.sub(repl, text)


def _percent(text: str) -> str:
    """``X%`` -> ``(X/100)`` where ``%`` ends an operand (followed by an operator, a closer, ``of`` or the
    end); ``X % Y`` with an operand after it stays the modulo operator."""
    pos = 0
    while True:
        i = text.find("%", pos)
        if i < 0:
            return text
        after = _PERCENT_END.match(text, i + 1)
        start = _operand_start(text, i)
        if after is None or start is None:
            pos = i + 1
            continue
        operand = text[start:i].strip()
        rest = text[after.start() :]
        of = re.match(r"\s*of\b", rest)
        if of:
            rest = "*" + rest[of.end() :]
        replacement = f"({operand}/100)"
        text = text[:start] + replacement + rest
        pos = start + len(replacement)


def _operand_start(text: str, end: int) -> int | None:
    """Where the operand that ends just before ``end`` starts (a number, a name, a bracket group or a call)."""
    j = end - 1
    while j >= 0 and text[j] == " ":
        j -= 1
    if j < 0:
        return None
    if text[j] in _CLOSERS:
        depth = 0
        while j >= 0:
            if text[j] in ")]":
                depth += 1
            elif text[j] in "([":
                depth -= 1
                if depth == 0:
                    break
            j -= 1
        if j < 0:
            return None
        k = j
        while k > 0 and (text[k - 1].isalnum() or text[k - 1] == "_"):
            k -= 1
        return k
    if not (text[j].isalnum() or text[j] in "_."):
        return None
    while j > 0 and (text[j - 1].isalnum() or text[j - 1] in "_."):
        j -= 1
    return j


# ============================================================================ splitting arguments


def split_equation(text: str) -> list[str]:
    """Split at each top-level ``=`` that is not part of ``==``, ``<=``, ``>=``, ``!=`` or ``=>``."""
    parts: list[str] = []
    depth = 0
    quote: str | None = None
    start = 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch == "=" and depth == 0:
            before = text[i - 1] if i > 0 else " "
            after = text[i + 1] if i + 1 < len(text) else " "
            if before not in "=<>!" and after not in "=>":
                parts.append(text[start:i])
                start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def split_items(text: str, *, thousands: bool = True) -> list[str]:
    """Split at top-level commas (outside brackets and quotes). With ``thousands``, a comma inside a number
    written with thousands separators (``1,000``, no spaces) does not split. Empty text gives []."""
    protected: set[int] = set()
    if thousands and "," in text:
        for m in _THOUSANDS.finditer(text):
            if not _bracket_stack(text, m.start()):
                protected.update(i for i in range(m.start(), m.end()) if text[i] == ",")
    parts: list[str] = []
    depth = 0
    quote: str | None = None
    start = 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0 and i not in protected:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    items = [p.strip() for p in parts]
    return [] if items == [""] else items


# ==================================================================================== evaluation


@lru_cache(maxsize=4096)
def _prepare(text: str) -> tuple[str, ast.expr]:
    source = normalize(text)
    if not source:
        raise ToolError("the expression is empty")
    _check_nesting(source)
    if len(split_equation(source)) > 1:
        raise ToolError(
            f"'=' is not allowed in an expression ({_clip(text)!r}); use SetEquation for equations"
        )
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        where = f" at {source[: exc.offset]!r}" if exc.offset and exc.offset > 1 else ""
        raise ToolError(f"cannot read {_clip(text)!r} as an expression: {exc.msg}{where}") from None
    except (ValueError, MemoryError, RecursionError) as exc:
        raise ToolError(f"cannot read {_clip(text)!r} as an expression: {_describe(exc)}") from None
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
            f"{_clip(text)!r} is several values separated by commas; give one expression "
            "(write 1000 rather than 1,000 inside a function's arguments)"
        )
    try:
        value = _Evaluator(source, ctx).eval(tree, 0)
        _check_defined(value)
    except AgentStepError:
        raise
    except MemoryError:
        raise LimitExceededError(f"evaluating {_clip(text, 60)!r} ran out of memory") from None
    except RecursionError:
        raise LimitExceededError(f"{_clip(text, 60)!r} is too deeply nested") from None
    except MATH_ERRORS as exc:
        raise ToolError(f"cannot evaluate {_clip(text, 60)!r}: {_describe(exc)}") from None
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
        raise ToolError(f"{name} holds text ({_clip(value, 60)!r}), not a number or expression")
    raise ToolError(f"{name} holds a {type(value).__name__}, which expressions cannot use")


def is_number(value: Any) -> bool:
    """A SymPy number without free symbols (Integer, Rational, Float, sqrt(2), pi...)."""
    return isinstance(value, Expr) and (isinstance(value, (Rational, Float)) or value.is_number)


def has_free_symbols(value: Any) -> bool:
    return isinstance(value, Basic) and bool(value.free_symbols)


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
        return ToolError(f"not allowed in an expression: {what} in {_clip(self._segment(node), 60)!r}")

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
            raise ToolError(f"text in quotes is not allowed in an expression: {_clip(repr(value), 60)}")
        raise ToolError(f"{value!r} is not allowed in an expression")

    def _name(self, node: ast.Name) -> Any:
        name = node.id
        if _VARIABLE_NAME.fullmatch(name):
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
            _require_arithmetic(value, "-")
            return -value
        if isinstance(node.op, ast.UAdd):
            _require_arithmetic(value, "+")
            return value
        if isinstance(node.op, ast.Not):
            return _not(value)
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
        values = [_as_boolean(self.eval(v, depth + 1)) for v in node.values]
        return sympy.And(*values) if isinstance(node.op, ast.And) else sympy.Or(*values)

    def _ifexp(self, node: ast.IfExp, depth: int) -> Any:
        test = _as_boolean(self.eval(node.test, depth + 1))
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
        is_variable = _VARIABLE_NAME.fullmatch(name) is not None
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
        raise LimitExceededError(f"the number {_clip(text, 40)} has more than {MAX_DIGITS} digits")
    try:
        frac = Fraction(text)
    except (ValueError, ZeroDivisionError):
        frac = Fraction(fallback)
    return Rational(frac.numerator, frac.denominator)


# ===================================================================================== arithmetic


def _require_arithmetic(value: Any, op: str) -> None:
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
    _require_arithmetic(a, symbol)
    _require_arithmetic(b, symbol)
    if isinstance(a, Equality) or isinstance(b, Equality):
        la, ra = (a.lhs, a.rhs) if isinstance(a, Equality) else (a, a)
        lb, rb = (b.lhs, b.rhs) if isinstance(b, Equality) else (b, b)
        return Equality(_arith(symbol, la, lb), _arith(symbol, ra, rb), evaluate=False)
    return _arith(symbol, a, b)


def _arith(symbol: str, a: Any, b: Any) -> Any:
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


def _log10_magnitude(value: Expr) -> float | None:
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
        magnitude = _log10_magnitude(exp) if not isinstance(exp, Rational) or exp != 0 else None
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
        mag = _log10_magnitude(base)
        inner = max((_digits(r) for r in base.atoms(Rational) if r != 0), default=0.0)
        digits_per_unit = max(abs(mag) if mag is not None else 0.0, inner, 1e-9)
    exp_mag = _log10_magnitude(exp)
    if exp_mag is None:
        return
    if exp_mag + math.log10(digits_per_unit) > math.log10(MAX_DIGITS):
        raise LimitExceededError(f"the power would have more than {MAX_DIGITS} digits; use smaller numbers")


def _check_exponent_size(exp: Expr) -> None:
    mag = _log10_magnitude(exp)
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


def _as_boolean(value: Any) -> Any:
    if isinstance(value, (BooleanAtom, BooleanFunction, Relational)):
        return value
    if isinstance(value, Rational):
        return S.false if value == 0 else S.true
    raise ToolError(f"{render_value(value)!r} is not a truth value (use a comparison such as x > 0)")


def _not(value: Any) -> Any:
    return sympy.Not(_as_boolean(value))


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
            f"{name} is {_clip(shown, 40)!r}, not a function or an expression in unknowns; "
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
            result = _arith("*", result, a)
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
        mag = _log10_magnitude(x)
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
    mag = _log10_magnitude(x) or 0.0
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
        return _arith("**", a, b)
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
    "mod": (lambda a, b: _arith("%", a, b), 2, 2),
    "isprime": (_isprime, 1, 1),
}
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = _FUNCTION_TABLE
"""Functions an expression may call: name -> (implementation, fewest arguments, most arguments)."""

CONSTANTS: dict[str, Any] = {"pi": S.Pi, "e": S.Exp1, "E": S.Exp1, "true": S.true, "false": S.false}
"""Names with a fixed meaning (``e`` is Euler's number, not a symbol)."""


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
    estimate = int((p.bit_length() - q.bit_length()) * _LOG10_2)
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
    mag = _log10_magnitude(value)
    if mag is not None and (mag >= 16 or mag < -30):
        return _scientific(value)
    r = Rational(value)
    return _decimal_str(int(r.p), int(r.q), exact_ok=False)


def _real_str(value: Expr) -> str:
    """A real irrational number (sqrt(2), pi, log(3)) as a rounded decimal."""
    mag = _log10_magnitude(value)
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


def _clip(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
