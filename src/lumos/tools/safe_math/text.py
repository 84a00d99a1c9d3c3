"""Argument text before parsing: normalising notation (``^``, ``20%``, ``1,000``, ``2x``) and splitting
equations and item lists."""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator

from lumos.errors import LimitExceededError
from lumos.tools.safe_math.limits import MAX_INPUT_CHARS

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


def _top_level(text: str) -> Iterator[tuple[int, str]]:
    """The characters (with their index) outside brackets and quotes, brackets and quotes themselves left out."""
    depth = 0
    quote: str | None = None
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
        elif depth == 0:
            yield i, ch


def split_equation(text: str) -> list[str]:
    """Split at each top-level ``=`` that is not part of ``==``, ``<=``, ``>=``, ``!=`` or ``=>``."""
    parts: list[str] = []
    start = 0
    for i, ch in _top_level(text):
        if ch == "=":
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
    start = 0
    for i, ch in _top_level(text):
        if ch == "," and i not in protected:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    items = [p.strip() for p in parts]
    return [] if items == [""] else items
