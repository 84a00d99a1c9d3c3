"""The maths domain's tools: Calculator, SetEquation, SolveEquation, SolveInequality, Count, Define, Code.

Every tool reads its argument text with the restricted parser of :mod:`lumos.tools.safe_math` (never with
``eval`` or ``sympify``), computes exactly with SymPy, and shows results with
:func:`~lumos.tools.safe_math.render_value`. ``Code`` is the exception: it runs real Python, in a separate,
limited process.

Tools that return "as many values as asked" (``outputs = None``) read the action's output variables from
``ctx.state["outputs"]`` when the executor put them there, and otherwise return everything they found.
"""

from lumos.domains.maths.tools.algebra import (
    Calculator,
    SetEquation,
    SolveEquation,
    SolveInequality,
    make_equations,
)
from lumos.domains.maths.tools.code import Code, parse_output, run_python
from lumos.domains.maths.tools.counting import Count, Define

__all__ = [
    "Calculator",
    "Code",
    "Count",
    "Define",
    "SetEquation",
    "SolveEquation",
    "SolveInequality",
    "make_equations",
    "parse_output",
    "run_python",
]
