"""Maths converters: GSM8K's ``<<expr=value>>`` markup, calculations written in worked text (gsm_symbolic),
and SVAMP / ASDiv equations."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass

from lumos.annotate.convert.common import (
    ROUNDING_FUNCTIONS,
    ActionBuilder,
    ConversionError,
    evaluate,
    normalise_expression,
    numbers_match,
)
from lumos.annotate.sources import SourceItem, format_number
from lumos.format.types import Annotation

# ------------------------------------------------------------------------------------- GSM8K


_MARKUP = re.compile(r"<<([^<>]*?)=([^<>=]*)>>")
_STATED = re.compile(r"=\s*[$€£]?\s*$")
_VALUE_AFTER = re.compile(r"\s*[$€£]?\s*-?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?%?")


def convert_gsm8k(item: SourceItem) -> Annotation:
    """GSM8K-style rationale -> Calculator annotation: each ``<<expr=value>>`` step is one action; a line
    without markup contributes the calculations written in it (``54 − 37 = 17``), as in :func:`convert_worked_text`."""
    b = ActionBuilder(item.task)
    pending: list[str] = []  # lines without a calculation, carried into the next subgoal
    for line in _lines(item.rationale):
        marks = [m for m in _MARKUP.finditer(line) if re.search(r"[-+*/]", m.group(1).strip().lstrip("-"))]
        if marks:
            actions = [b.calculator(normalise_expression(m.group(1))) for m in marks]
            cleaned = _clean_gsm8k_line(line)
        else:
            calcs = find_calculations(line, b)
            if not calcs:
                pending.append(line)
                continue
            actions = [b.calculator(c.expr) for c in calcs]
            cleaned = _clean_worked_line(line, calcs)
        b.add(" ".join([*pending, cleaned]), actions)
        pending = []
    return b.annotation(item)


def _clean_gsm8k_line(line: str) -> str:
    """Take out the ``<<...>>`` markup and the stated result, leaving what is to be computed."""
    out = []
    pos = 0
    for m in _MARKUP.finditer(line):
        if not re.search(r"[-+*/]", m.group(1).strip().lstrip("-")):
            continue  # "<<47=47>>": not a calculation
        before = line[pos : m.start()]
        after_m = _VALUE_AFTER.match(line, m.end())
        end = after_m.end() if after_m else m.end()
        stated = _STATED.search(before)
        if stated:  # "3*20=<<3*20=60>>60 cups" -> "3*20 cups"
            out.append(before[: stated.start()].rstrip())
        else:  # "she has <<5*2=10>>10 apples" -> "she has 5*2 apples"
            out.append(before + m.group(1).strip())
        pos = end
    out.append(line[pos:])
    return " ".join("".join(out).split())


_BULLET = re.compile(r"^\s*(?:[-*•·]+|\d+[.)])\s+")


def _lines(text: str) -> list[str]:
    """Non-empty lines, bullets and list numbers taken off; headings ("1. Initial amounts:") dropped."""
    out = []
    for raw in text.splitlines():
        line = " ".join(_BULLET.sub("", raw).split())
        if line and not (line.endswith(":") and len(line) < 60):
            out.append(line)
    return out


# ---------------------------------------------------------------------- calculations in free text

_TOKEN = re.compile(
    r"(?P<num>[$€£¥₹]?\s?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?|[$€£]?\.\d+%?)"
    r"|(?P<op>[-+*/×÷^()−]|\b(?:divided\s+by|multiplied\s+by|plus|minus)\b)"
    r"|(?P<eq>=|\b(?:equals|is\s+equal\s+to)\b)"
    r"|(?P<word>[A-Za-z][A-Za-z'’]*)"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)"
)
_TIMES_WORDS = {"x", "times"}
_WORD_OPS = {
    "×": "*",
    "÷": "/",
    "^": "**",
    "−": "-",
    "divided by": "/",
    "multiplied by": "*",
    "plus": "+",
    "minus": "-",
}
Token = tuple[str, str, int, int]


@dataclass
class Calculation:
    expr: str  # normalised, before variable substitution
    stated: str  # the value as written after '='
    value: float
    eq_start: int  # where "= value" starts in the line
    value_end: int  # where it ends


def find_calculations(line: str, builder: ActionBuilder | None = None) -> list[Calculation]:
    """``There are 12 x 2 = 24 students`` -> [12 * 2 = 24]: arithmetic written in prose whose expression
    gives the value stated after ``=`` (percent read as a fraction or as a number of percent, whichever
    fits; a stated whole number that is the expression rounded or rounded down gets ``round``/``floor``)."""
    tokens: list[Token] = [(m.lastgroup or "", m.group(), m.start(), m.end()) for m in _TOKEN.finditer(line)]
    tokens = [t for t in tokens if t[0] != "space"]
    values = dict(builder.values) if builder is not None else {}
    calcs = []
    for e, (kind, _, eq_start, _) in enumerate(tokens):
        if kind != "eq" or e + 1 >= len(tokens) or tokens[e + 1][0] != "num":
            continue
        stated_text = tokens[e + 1][1].strip()
        stated = _plain_number(stated_text)
        if stated is None:
            continue
        lo = max((i + 1 for i in range(e) if tokens[i][0] == "eq"), default=0)
        found = _match_expression(tokens, lo, e, stated, stated_text.endswith("%"), builder, values)
        if found is not None:
            calcs.append(Calculation(found[0], stated, found[1], eq_start, tokens[e + 1][3]))
    return calcs


def _match_expression(
    tokens: list[Token],
    lo: int,
    e: int,
    stated: str,
    percent: bool,
    builder: ActionBuilder | None,
    values: dict[str, float],
) -> tuple[str, float] | None:
    """The longest expression ending at token ``e`` that gives ``stated``: exactly first, then rounded."""
    candidates = []
    for s in range(lo, e):
        if tokens[s][0] not in ("num", "op") or (tokens[s][0] == "op" and tokens[s][1] not in "(-−"):
            continue
        for mode in ("plain", "fraction"):
            expr = _candidate(tokens[s:e], mode)
            if expr is None:
                continue
            try:
                value = evaluate(builder.substitute(expr) if builder else expr, values)
            except ValueError:
                continue
            candidates.append((expr, value, mode))
    target = float(stated)
    for expr, value, mode in candidates:
        if numbers_match(stated, value) or (
            percent and mode == "fraction" and numbers_match(stated, value * 100)
        ):
            return expr, value
    if "." not in stated:
        for fn in ("floor", "round"):
            for expr, value, _ in candidates:
                if value > 0 and ROUNDING_FUNCTIONS[fn](value) == target and not numbers_match(stated, value):
                    return f"{fn}({expr})", target
    return None


def _plain_number(text: str) -> str | None:
    m = re.search(r"-?(?:\d[\d,]*)?(?:\.\d+)?", text.replace(" ", "").lstrip("$€£¥₹"))
    if not m or not m.group() or m.group() in ("-", "."):
        return None
    return m.group().replace(",", "")


def _candidate(tokens: list[Token], percent: str = "fraction") -> str | None:
    """Arithmetic tokens with unit words dropped (``€57/hour * 7 hours`` -> ``57 * 7``), or None."""
    parts: list[str] = []
    last = ""  # kind of the last kept piece: num, op, unit
    n_ops = 0
    for i, (kind, text, _, _) in enumerate(tokens):
        if kind == "num":
            if last in ("num", "unit"):
                return None
            parts.append(normalise_expression(text, percent))
            last = "num"
        elif kind == "op":
            op = _WORD_OPS.get(" ".join(text.lower().split()), text)
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if op == "(" and last == "num":
                parts.append("*")  # "2(62+18)"
                n_ops += 1
            if op == "/" and last in ("num", "unit") and nxt is not None and nxt[0] == "word":
                last = "unit"  # "$5/hour": a rate, not a division
                continue
            parts.append(op)
            if op not in "()":
                n_ops += 1
            last = "op" if op != ")" else "num"
        elif kind == "word":
            low = text.lower()
            if (low in _TIMES_WORDS and last in ("num", "unit")) or (
                low == "of" and parts and tokens[i - 1][1].endswith("%")
            ):
                parts.append("*")
                n_ops += 1
                last = "op"
            elif last in ("num", "unit"):
                last = "unit"
            else:
                return None
        else:
            return None
    if n_ops == 0 or last == "op":
        return None
    return " ".join(parts)


def convert_worked_text(item: SourceItem) -> Annotation:
    """Worked steps written in prose (reasoning-gym's gsm_symbolic ``answer_cot``) -> Calculator annotation."""
    b = ActionBuilder(item.task)
    pending: list[str] = []
    for line in _lines(item.rationale):
        calcs = find_calculations(line, b)
        if not calcs:
            pending.append(line)
            continue
        actions = [b.calculator(c.expr) for c in calcs]
        b.add(" ".join([*pending, _clean_worked_line(line, calcs)]), actions)
        pending = []
    return b.annotation(item)


def _clean_worked_line(line: str, calcs: list[Calculation]) -> str:
    out, pos = [], 0
    for c in calcs:
        out.append(line[pos : c.eq_start].rstrip())
        pos = c.value_end
    out.append(line[pos:])
    return " ".join("".join(out).split())


# -------------------------------------------------------------------------------- SVAMP / ASDiv

_OP_PHRASES: dict[type, Callable[[str, str], str]] = {
    ast.Add: lambda a, b: f"Add {a} and {b}",
    ast.Sub: lambda a, b: f"Subtract {b} from {a}",
    ast.Mult: lambda a, b: f"Multiply {a} by {b}",
    ast.Div: lambda a, b: f"Divide {a} by {b}",
    ast.FloorDiv: lambda a, b: f"Divide {a} by {b}, rounding down",
    ast.Mod: lambda a, b: f"Find the remainder of {a} divided by {b}",
    ast.Pow: lambda a, b: f"Raise {a} to the power {b}",
}
_OP_SIGNS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}


def convert_equation(item: SourceItem, equation: str | None = None) -> Annotation:
    """An equation (``( ( 4.0 + 13.0 ) * 15.0 )``) -> one Calculator action and subgoal per operation."""
    text = equation if equation is not None else str(item.meta.get("equation", ""))
    if not text.strip():
        raise ConversionError("no_equation", "the item has no equation")
    expr = normalise_expression(text)
    try:
        tree = ast.parse(expr, mode="eval").body
        evaluate(expr)
    except (SyntaxError, ValueError) as exc:
        raise ConversionError("unparseable_step", f"equation {text!r}: {exc}") from exc
    question = str(item.meta.get("question") or item.task).strip()
    b = ActionBuilder(item.task)
    operations: list[tuple[str, str, str]] = []  # (subgoal, expression, variable)

    def walk(node: ast.AST) -> tuple[str, str]:
        """-> (text in expressions, words in subgoals)"""
        if isinstance(node, ast.BinOp) and type(node.op) in _OP_PHRASES:
            left, left_words = walk(node.left)
            right, right_words = walk(node.right)
            var = b.new_var()
            phrase = _OP_PHRASES[type(node.op)](left_words, right_words)
            operations.append((phrase, f"{left} {_OP_SIGNS[type(node.op)]} {right}", var))
            return var, f"the result of Subgoal {len(operations)}"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner, words = walk(node.operand)
            return f"-{inner}", f"minus {words}"
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            number = format_number(float(node.value))
            return number, number
        raise ConversionError("unparseable_step", f"equation {text!r}: unsupported {type(node).__name__}")

    walk(tree)
    if not operations:
        raise ConversionError("no_steps", f"equation {text!r} has no operation to carry out")
    for k, (phrase, calc, var) in enumerate(operations):
        last = k == len(operations) - 1
        subgoal = f"{phrase} to answer the question: {question}" if last else f"{phrase}."
        b.add(subgoal, [f"{var} = Calculator({calc})"])
    return b.annotation(item)


def convert_svamp(item: SourceItem) -> Annotation:
    return convert_equation(item)


def convert_asdiv(item: SourceItem) -> Annotation:
    formula = str(item.meta.get("formula", "")).strip()
    if ";" in formula:
        raise ConversionError("unparseable_step", f"formula {formula!r} has several equations")
    if re.search(r"\br\s*\d", formula):
        raise ConversionError("unparseable_step", f"formula {formula!r} has a remainder")
    left = formula.rsplit("=", 1)[0] if "=" in formula else formula
    return convert_equation(item, left)
