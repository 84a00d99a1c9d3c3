"""Maths word problems: calculator, equation and code tools; GSM8K, SVAMP, ASDiv, gsm_symbolic and MATH."""

from lumos.domain import Domain

_TOOLS = ("Calculator", "SetEquation", "SolveEquation", "SolveInequality", "Count", "Define", "Code")

DOMAIN = Domain(
    name="maths",
    tools={name: f"lumos.domains.maths.tools:{name}" for name in _TOOLS},
    package=__name__,
    description="maths word problems (GSM8K, SVAMP, ASDiv, gsm_symbolic, MATH)",
    sources=("lumos.domains.maths.sources",),
    verify_by_execution=True,
)
