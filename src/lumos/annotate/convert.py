"""Teacher-free converters: gold reasoning -> annotations in the unified format, by rule.

* GSM8K: each ``<<expr=value>>`` step becomes ``Rk = Calculator(expr)`` with the numbers that earlier steps
  produced replaced by their variables; the step's line, with the markup and the stated result taken out,
  becomes the subgoal (the plan says what to compute; the tool computes it).
* gsm_symbolic (reasoning-gym) and GSM8K lines without markup: the ``12 x 2 = 24`` calculations written in
  the text are found, checked (the expression must give the stated value) and converted the same way.
* SVAMP and ASDiv: the equation becomes one Calculator action per operation, one subgoal each.
* FanOutQA and MuSiQue: each sub-question with an evidence page becomes
  ``R1 = KnowledgeQuery(page); R2 = ParagraphRetrieve(R1, Query: q); R3 = QA([R2], Question: q)``, inner
  questions combine their children with ``QA``, and a last step combines everything (with ``Calculator``
  when the gold answer is the sum, mean or difference of numeric sub-answers).
* Mind2Web: each recorded action becomes one ``CLICK`` / ``TYPE`` / ``SELECT`` whose QUERY names the
  element, kept only when replay on the recorded page picks the target (:mod:`lumos.web.annotate`).

A converter raises :class:`ConversionError` (with a reason code) when the gold data cannot be converted;
it never changes gold data to make it fit. Whether the result is right is for :mod:`lumos.annotate.verify`.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lumos.annotate.sources import SourceItem, format_number, render_answer
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
_FUNCS: dict[str, Callable[[float], float]] = {
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
        and node.func.id in _FUNCS
        and len(node.args) == 1
        and not node.keywords
    ):
        return float(_FUNCS[node.func.id](_eval(node.args[0], variables)))
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
class _Builder:
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


# ------------------------------------------------------------------------------------- GSM8K


_MARKUP = re.compile(r"<<([^<>]*?)=([^<>=]*)>>")
_STATED = re.compile(r"=\s*[$€£]?\s*$")
_VALUE_AFTER = re.compile(r"\s*[$€£]?\s*-?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?%?")


def convert_gsm8k(item: SourceItem) -> Annotation:
    """GSM8K-style rationale -> Calculator annotation: each ``<<expr=value>>`` step is one action; a line
    without markup contributes the calculations written in it (``54 − 37 = 17``), as in :func:`convert_worked_text`."""
    b = _Builder(item.task)
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
class _Calc:
    expr: str  # normalised, before variable substitution
    stated: str  # the value as written after '='
    value: float
    eq_start: int  # where "= value" starts in the line
    value_end: int  # where it ends


def find_calculations(line: str, builder: _Builder | None = None) -> list[_Calc]:
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
            calcs.append(_Calc(found[0], stated, found[1], eq_start, tokens[e + 1][3]))
    return calcs


def _match_expression(
    tokens: list[Token],
    lo: int,
    e: int,
    stated: str,
    percent: bool,
    builder: _Builder | None,
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
                if value > 0 and _FUNCS[fn](value) == target and not numbers_match(stated, value):
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
    b = _Builder(item.task)
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


def _clean_worked_line(line: str, calcs: list[_Calc]) -> str:
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
    b = _Builder(item.task)
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


# ------------------------------------------------------------------------------------ complex QA


def _qa_args(question: str) -> str:
    return " ".join(question.split())


class _QABuilder(_Builder):
    def lookup(self, subgoal: str, title: str, question: str, answer: str) -> str:
        """One sub-question answered from its evidence page: three actions, one subgoal."""
        q = _qa_args(question)
        r1, r2, r3 = self.new_var(), self.new_var(), self.new_var()
        self.add(
            subgoal,
            [
                f"{r1} = KnowledgeQuery({' '.join(title.split())})",
                f"{r2} = ParagraphRetrieve({r1}, Query: {q})",
                f"{r3} = QA([{r2}], Question: {q})",
            ],
            answer,
        )
        return r3

    def combine(self, subgoal: str, inputs: list[str], question: str, answer: str) -> str:
        var = self.new_var()
        self.add(subgoal, [f"{var} = QA([{', '.join(inputs)}], Question: {_qa_args(question)})"], answer)
        return var


def _find_out(question: str) -> str:
    return f"Find out: {' '.join(question.split())}"


def convert_fanoutqa(item: SourceItem) -> Annotation:
    """A FanOutQA decomposition tree -> KnowledgeQuery / ParagraphRetrieve / QA steps and a combining step."""
    from lumos.annotate.complex_qa import fanoutqa_split

    if fanoutqa_split(item.id) == "eval":  # kept out of training for good: lumos eval fanoutqa runs on these
        raise ConversionError("eval_split", f"{item.id} is a FanOutQA evaluation question")
    tree = item.meta.get("decomposition") or []
    if not tree:
        raise ConversionError("no_steps", "the item has no decomposition")
    b = _QABuilder(item.task)
    answers: list[Any] = []

    def visit(node: dict[str, Any]) -> str:
        question = str(node.get("question", "")).strip()
        answer = node.get("answer")
        if not question:
            raise ConversionError("malformed_gold", "a sub-question is empty")
        children = node.get("decomposition") or []
        evidence = node.get("evidence") or {}
        if children:
            inputs = [visit(child) for child in children]
            return b.combine(_find_out(question), inputs, question, render_answer(answer))
        title = str(evidence.get("title", "")).strip() if isinstance(evidence, dict) else ""
        if not title:
            raise ConversionError("no_evidence", f"sub-question {question!r} has no evidence page")
        return b.lookup(_find_out(question), title, question, render_answer(answer))

    top_vars = []
    for node in tree:
        top_vars.append(visit(node))
        answers.append(node.get("answer"))
    final = item.meta.get("answer")
    formula = _numeric_combination(top_vars, answers, final)
    subgoal = f"Combine the results to answer the question: {' '.join(item.task.split())}"
    if formula is not None:
        var = b.new_var()
        b.add(subgoal, [f"{var} = Calculator({formula})"], render_answer(final))
    else:
        b.combine(subgoal, top_vars, item.task, render_answer(final))
    return b.annotation(item)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?[\d,]*\.?\d+\s*", value):
        return float(value.replace(",", ""))
    return None


def _numeric_combination(variables: list[str], answers: list[Any], final: Any) -> str | None:
    """``R3 + R6`` (sum), ``(R3 + R6) / 2`` (mean) or ``R3 - R6`` of the numeric sub-answers when the gold
    answer is that, else None."""
    target = _as_number(final)
    pairs = [
        (var, v) for var, v in zip(variables, (_as_number(a) for a in answers), strict=True) if v is not None
    ]
    if target is None or len(pairs) < 2:
        return None
    variables = [var for var, _ in pairs]
    nums = [v for _, v in pairs]

    def close(x: float) -> bool:
        return math.isclose(x, target, rel_tol=1e-6, abs_tol=1e-6)

    if close(sum(nums)):
        return " + ".join(variables)
    if close(sum(nums) / len(nums)):
        return f"({' + '.join(variables)}) / {len(nums)}"
    if len(nums) == 2 and close(nums[0] - nums[1]):
        return f"{variables[0]} - {variables[1]}"
    if len(nums) == 2 and close(nums[1] - nums[0]):
        return f"{variables[1]} - {variables[0]}"
    return None


def convert_musique(item: SourceItem) -> Annotation:
    """MuSiQue's question decomposition (``#1`` refers to the first answer) -> one lookup per hop."""
    steps = item.meta.get("decomposition") or []
    if not steps:
        raise ConversionError("no_steps", "the item has no question decomposition")
    b = _QABuilder(item.task)
    answers: list[str] = []
    for step in steps:
        question = re.sub(r"#(\d+)", lambda m: _hop(answers, int(m.group(1))), step["question"])
        if not step.get("title"):
            raise ConversionError("no_evidence", f"sub-question {question!r} has no supporting paragraph")
        b.lookup(_find_out(question), step["title"], question, step["answer"])
        answers.append(step["answer"])
    return b.annotation(item)


def _hop(answers: list[str], k: int) -> str:
    if not 1 <= k <= len(answers):
        raise ConversionError("malformed_gold", f"a sub-question refers to #{k} before it is answered")
    return answers[k - 1]


# ------------------------------------------------------------------------------------------- web

def convert_mind2web(item: SourceItem) -> Annotation:
    """Mind2Web gold actions -> one subgoal and one CLICK / TYPE / SELECT each (the web tools' grammar),
    verified by replay on the recorded pages: see :mod:`lumos.web.annotate`."""
    from lumos.errors import ConfigError
    from lumos.web.annotate import ReplayRejected, annotate_task
    from lumos.web.mind2web import parse_task

    record = item.meta.get("record") or {}
    if not item.meta.get("action_reprs"):
        raise ConversionError("no_steps", "the item has no recorded actions")
    if not any(isinstance(a, dict) and a.get("cleaned_html") for a in record.get("actions") or []):
        raise ConversionError(
            "no_pages", "replay needs the recorded pages (actions with cleaned_html and candidates)"
        )
    try:
        task = parse_task(record, f"Mind2Web task {item.id}")
        ann = annotate_task(task)
    except ConfigError as exc:
        raise ConversionError("malformed_gold", str(exc)) from exc
    except ReplayRejected as exc:
        raise ConversionError(exc.reason, str(exc)) from exc
    except ValueError as exc:
        raise ConversionError("unparseable_step", str(exc)) from exc
    return ann.model_copy(update={"id": item.id, "source": item.source})


# --------------------------------------------------------------------------------------- registry

CONVERTERS: dict[str, Callable[[SourceItem], Annotation]] = {
    "gsm8k": convert_gsm8k,
    "gsm_symbolic": convert_worked_text,
    "svamp": convert_svamp,
    "asdiv": convert_asdiv,
    "fanoutqa": convert_fanoutqa,
    "musique": convert_musique,
    "mind2web": convert_mind2web,
}


def convert(item: SourceItem) -> Annotation:
    """Convert with the teacher-free converter of the item's source."""
    from lumos.errors import ConfigError

    if item.source not in CONVERTERS:
        raise ConfigError(
            f"source {item.source!r} has no teacher-free converter; give a teacher model (--teacher), or use "
            f"one of: {', '.join(sorted(CONVERTERS))}"
        )
    return CONVERTERS[item.source](item)
