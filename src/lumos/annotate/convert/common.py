"""What every converter uses: the error it raises, exact arithmetic on gold expressions, and the builder that
numbers the actions' variables R1, R2, ..."""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from lumos.annotate.sources import SourceItem
from lumos.format.types import Annotation


class ConversionError(Exception):
    """The gold reasoning of an item could not be turned into an annotation."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# ------------------------------------------------------------------------------- safe arithmetic

_BINOPS: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}


def _round_half_up(x: float) -> float:
    return float(math.floor(x + 0.5))


# floor/ceil/round as the Calculator computes them (its round goes half up, not to even as Python's does)
ROUNDING_FUNCTIONS: dict[str, Callable[[float], float]] = {
    "floor": math.floor,
    "ceil": math.ceil,
    "round": _round_half_up,
}


def evaluate(expr: str, variables: dict[str, float] | None = None) -> float:
    """Value of a plain arithmetic expression (numbers, + - * / ** // %, parentheses, floor/ceil/round and
    the given result variables); ValueError for anything else."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not an arithmetic expression: {expr!r}") from exc
    return _eval(tree.body, variables or {})


def _eval(node: ast.AST, variables: dict[str, float]) -> float:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in variables:
        return variables[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _eval(node.operand, variables)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _eval(node.left, variables), _eval(node.right, variables)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise ValueError("exponent too large")
        try:
            return _BINOPS[type(node.op)](left, right)
        except (ZeroDivisionError, OverflowError) as exc:
            raise ValueError(str(exc)) from exc
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ROUNDING_FUNCTIONS
        and len(node.args) == 1
        and not node.keywords
    ):
        return float(ROUNDING_FUNCTIONS[node.func.id](_eval(node.args[0], variables)))
    raise ValueError(f"unsupported element {type(node).__name__} in an arithmetic expression")


def decimals(text: str) -> int:
    text = text.strip()
    return len(text.split(".", 1)[1]) if "." in text else 0


def numbers_match(literal: str, value: float) -> bool:
    """Whether ``literal`` (as written) states ``value``: equal, or ``value`` rounded to its decimals."""
    try:
        lit = float(literal)
    except ValueError:
        return False
    if math.isclose(lit, value, rel_tol=1e-9, abs_tol=1e-9):
        return True
    d = decimals(literal)
    return d >= 1 and math.isclose(round(value, d), lit, abs_tol=10 ** (-d) / 2)


_NUMBER_IN_TEXT = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|(?<![\w.])\.\d+")


def text_numbers(text: str) -> set[float]:
    """Every number written with digits in ``text`` (``1,000`` read as 1000)."""
    found = set()
    for m in _NUMBER_IN_TEXT.finditer(text):
        try:
            found.add(float(m.group().replace(",", "")))
        except ValueError:
            continue
    return found


# ------------------------------------------------------------------------------- action building


@dataclass
class ActionBuilder:
    """Collects subgoals and actions, numbering variables R1, R2, ... and remembering what each holds."""

    task: str
    subgoals: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    results: list[str] = field(default_factory=list)
    values: list[tuple[str, float]] = field(default_factory=list)  # (variable, value) in order
    count: int = 0
    task_numbers: set[float] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.task_numbers = text_numbers(self.task)

    def new_var(self) -> str:
        self.count += 1
        return f"R{self.count}"

    def substitute(self, expr: str) -> str:
        """Replace numbers that earlier steps computed (and that the task does not state) by their variables."""

        def repl(m: re.Match[str]) -> str:
            literal = m.group()
            try:
                value = float(literal)
            except ValueError:
                return literal
            if value in self.task_numbers:
                return literal
            for var, earlier in reversed(self.values):
                if numbers_match(literal, earlier):
                    return var
            return literal

        return _EXPR_NUMBER.sub(repl, expr)

    def calculator(self, expr: str) -> str:
        """``Rk = Calculator(expr)`` with earlier results as variables; remembers what Rk will hold."""
        substituted = self.substitute(expr)
        try:
            value = evaluate(substituted, dict(self.values))
        except ValueError as exc:
            raise ConversionError("unparseable_step", f"step {expr!r}: {exc}") from exc
        var = self.new_var()
        self.values.append((var, value))
        return f"{var} = Calculator({substituted})"

    def add(self, subgoal: str, actions: list[str], result: str = "") -> None:
        self.subgoals.append(" ".join(re.sub(r"<<[^<>]*>>", "", subgoal).split()))
        self.actions.append("; ".join(actions))
        self.results.append(result)

    def annotation(self, item: SourceItem) -> Annotation:
        if not self.subgoals:
            raise ConversionError("no_steps", "the gold reasoning has no step that could be converted")
        return Annotation(
            task=item.task,
            answer=item.answer,
            subgoals=self.subgoals,
            actions=self.actions,
            results=self.results,
            rationale=item.rationale,
            domain=item.domain,
            source=item.source,
            id=item.id,
        )


_EXPR_NUMBER = re.compile(r"(?<![\w.])(?:\d+(?:\.\d*)?|\.\d+)")


def normalise_expression(expr: str, percent: str = "fraction") -> str:
    """Calculator-ready text: ``$1,200 x 2`` -> ``1200 * 2``, ``^`` -> ``**``, and ``20%`` -> ``(20/100)``
    (``percent="fraction"``) or ``20`` (``percent="plain"``: the number of percent)."""
    text = expr.strip()
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"[$€£¥₹]", "", text)
    text = text.replace("×", "*").replace("÷", "/").replace("^", "**").replace("−", "-")
    text = re.sub(r"(?<=[\d)\s])x(?=[\s\d(])", "*", text)
    if percent == "plain":
        text = re.sub(r"(\d+(?:\.\d+)?)\s*%", r"\1", text)
    else:
        text = re.sub(r"(\d+(?:\.\d+)?)\s*%", r"(\1/100)", text)
    text = re.sub(r"(?<![\d.])\.(\d)", r"0.\1", text)
    return " ".join(text.split())
