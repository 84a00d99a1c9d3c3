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

The package is split by what each part does: :mod:`.text` (normalising and splitting argument text),
:mod:`.evaluate` (the parser and evaluator), :mod:`.arithmetic` (operators with their size guards),
:mod:`.functions` (the whitelisted functions and calling defined ones), :mod:`.values` (the value types and
how values are shown as text) and :mod:`.limits` (size limits and the wall-clock limit).
"""

from lumos.tools.safe_math.evaluate import evaluate, to_sympy
from lumos.tools.safe_math.functions import CONSTANTS, FUNCTIONS, apply_function
from lumos.tools.safe_math.limits import (
    MATH_ERRORS,
    MAX_DIGITS,
    MAX_INPUT_CHARS,
    guarded,
    math_errors_as_tool_errors,
    time_limit,
)
from lumos.tools.safe_math.text import normalize, split_equation, split_items
from lumos.tools.safe_math.values import (
    DefinedFunction,
    SolutionSet,
    has_free_symbols,
    is_number,
    render_value,
)

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "MATH_ERRORS",
    "MAX_DIGITS",
    "MAX_INPUT_CHARS",
    "DefinedFunction",
    "SolutionSet",
    "apply_function",
    "evaluate",
    "guarded",
    "has_free_symbols",
    "is_number",
    "math_errors_as_tool_errors",
    "normalize",
    "render_value",
    "split_equation",
    "split_items",
    "time_limit",
    "to_sympy",
]
