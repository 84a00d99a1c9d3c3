"""Parse and render the textual unified format that the planning and grounding modules write.

Parsing is tolerant of what small models produce (extra whitespace, numbering, prose around the actions, a
missing closing parenthesis) and raises :class:`~lumos.errors.ParseError` with a clear message when nothing
usable is there. It never evaluates anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from lumos.errors import ParseError
from lumos.format.types import Action, Subgoal

_SUBGOAL = re.compile(r"(?i)(?:^|(?<=[\s;.,>*#-]))\**subgoal\s*(\d+)\s*\**\s*:\s*\**\s*")
_LHS = re.compile(r"^\s*(?P<lhs>[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*=(?!=)\s*(?P<rhs>.*)$", re.S)
_CALL = re.compile(r"^(?P<tool>[A-Za-z_]\w*)\s*\(", re.S)
_LEADING_NOISE = re.compile(r"^\s*(?:[-*•]\s+|\d+[.)]\s+|subgoal\s*\d+\s*[:.]\s*)", re.I)
_STOP = re.compile(r"\b(yes\b|i will stop|stop planning)", re.I)
_STOP_SENTENCE = re.compile(r"(?i)yes\s*,\s*i\s+will\s+stop\s+planning")
_STARTS_WITH_SUBGOAL = re.compile(r"(?i)^[\s*#>-]*subgoal\s*\d+\s*\**\s*:")
_GO_ON = re.compile(r"\b(no\b|keep planning|continue planning)", re.I)
_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {")": "(", "]": "[", "}": "{"}


# --------------------------------------------------------------------------------------------- plans


def render_plan(subgoals: Iterable[Subgoal]) -> str:
    return "\n".join(s.render() for s in subgoals)


def parse_plan(text: str) -> list[Subgoal]:
    """``Subgoal 1: ...`` lines (a subgoal may run over several lines) -> subgoals, numbered as written."""
    marks = list(_SUBGOAL.finditer(text))
    if not marks:
        raise ParseError(f"no 'Subgoal N: ...' line in the plan: {_clip(text)!r}")
    subgoals = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        body = " ".join(text[m.end() : end].split()).rstrip(" ;*#>-").strip()
        if body:
            subgoals.append(Subgoal(index=int(m.group(1)), text=body))
    if not subgoals:
        raise ParseError(f"every subgoal in the plan is empty: {_clip(text)!r}")
    return subgoals


@dataclass
class PlanDecision:
    """The iterative planner's answer after seeing a result: stop, or go on with the next subgoal(s)."""

    stop: bool
    subgoals: list[Subgoal] = field(default_factory=list)


STOP_SENTENCE = "Yes, I will stop planning."
GO_ON_SENTENCE = "No, I will keep planning."


def render_decision(decision: PlanDecision) -> str:
    if decision.stop:
        return STOP_SENTENCE
    return f"{GO_ON_SENTENCE}\n{render_plan(decision.subgoals)}"


def parse_decision(text: str) -> PlanDecision:
    """Parse "Yes, I will stop planning." or "No, I will keep planning. Subgoal 3: ...".

    As the released checkpoints write it: the stop sentence ends planning wherever it appears and whatever
    follows it; a turn that starts with ``Subgoal k:`` goes on. Otherwise a yes/no-like first line decides.
    """
    if _STOP_SENTENCE.search(text):
        return PlanDecision(stop=True)
    if _STARTS_WITH_SUBGOAL.match(text):
        return PlanDecision(stop=False, subgoals=parse_plan(text))
    head = text.strip().split("\n", 1)[0]
    has_subgoals = bool(_SUBGOAL.search(text))
    if has_subgoals and (_GO_ON.search(head) or not _STOP.search(head)):
        return PlanDecision(stop=False, subgoals=parse_plan(text))
    if _STOP.search(head):  # also "No, I will stop planning." with no subgoal: the stop is what it says
        return PlanDecision(stop=True)
    if _GO_ON.search(head):
        return PlanDecision(stop=False, subgoals=parse_plan(text))  # raises: going on, but to no subgoal
    raise ParseError(f"expected {STOP_SENTENCE!r} or {GO_ON_SENTENCE!r} and a subgoal, got {_clip(text)!r}")


# ------------------------------------------------------------------------------------------- actions


def render_actions(actions: Iterable[Action], sep: str = "; ") -> str:
    return sep.join(a.render() for a in actions)


def parse_actions(text: str) -> list[Action]:
    """``R1 = Calculator(28 * 1/7); R2 = Calculator(28 - R1)`` (``;`` or newlines between) -> actions.

    Prose before, between or after the actions is skipped; a missing closing parenthesis at the end is
    supplied. Raises :class:`ParseError` when no action can be read at all.
    """
    actions: list[Action] = []
    problems: list[str] = []
    for segment in _segments(text):
        segment = _LEADING_NOISE.sub("", segment).strip().rstrip(".")
        if not segment:
            continue
        try:
            action = parse_action(segment)
        except ParseError as exc:
            problems.append(str(exc))
            continue
        if action is not None:
            actions.append(action)
    if not actions:
        why = f" ({problems[0]})" if problems else ""
        raise ParseError(f"no action of the form 'R1 = Tool(arguments)' in {_clip(text)!r}{why}")
    return actions


def parse_action(segment: str) -> Action | None:
    """One action, or None if the segment is prose. Raises ParseError for a malformed call."""
    outputs: list[str] = []
    rhs = segment.strip()
    lhs_match = _LHS.match(rhs)
    if lhs_match:
        outputs = [name.strip() for name in lhs_match.group("lhs").split(",")]
        rhs = lhs_match.group("rhs").strip()
    call = _CALL.match(rhs)
    if call is None:
        if outputs and rhs:
            return Action(outputs=outputs, tool=None, args=rhs)
        return None
    open_at = call.end() - 1
    close_at = _matching_paren(rhs, open_at)
    if close_at is None:  # tolerated: the closing parenthesis(es) went missing at the end of the output
        inner = rhs[open_at + 1 :]
        args = inner + _missing_closers(inner)
    else:
        args = rhs[open_at + 1 : close_at]
        trailing = rhs[close_at + 1 :].strip().lstrip(")").strip()
        if trailing and not trailing.startswith("="):  # "= 5": the model echoed a result, which is harmless
            if not outputs:
                return None  # an expression such as "f(x) + 1" in prose, not an action
            raise ParseError(f"unexpected text {_clip(trailing, 40)!r} after the action {_clip(rhs, 80)!r}")
    if not outputs and not call.group("tool")[0].isupper():
        return None  # "so we get(3)" style prose; tool names are capitalised
    return Action(outputs=outputs, tool=call.group("tool"), args=args.strip())


# ------------------------------------------------------------------------------------------- helpers


def _segments(text: str) -> Iterator[str]:
    """Action-sized pieces: split at ';' and newlines outside brackets. A piece left with an unclosed
    bracket is split again at its newlines, so one missing ')' does not swallow the lines after it."""
    for piece in split_top_level(text, ";\n"):
        if "\n" in piece and _missing_closers(piece):
            yield from piece.split("\n")
        else:
            yield piece


def split_top_level(text: str, separators: str = ",") -> Iterator[str]:
    """Split at separator characters outside brackets and quotes."""
    depth: list[str] = []
    quote: str | None = None
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "'\"" and depth and _opens_quote(text, i):
            quote = ch
        elif ch in _OPEN:
            depth.append(ch)
        elif ch in _CLOSE:
            if depth and depth[-1] == _CLOSE[ch]:
                depth.pop()
        elif ch in separators and not depth:
            yield text[start:i]
            start = i + 1
        i += 1
    yield text[start:]


def split_args(args: str, maxsplit: int = -1) -> list[str]:
    """Split a tool's raw argument text at top-level commas; with ``maxsplit`` the last part keeps the rest."""
    parts = [p for p in split_top_level(args, ",")]
    if maxsplit >= 0 and len(parts) > maxsplit + 1:
        parts = [*parts[:maxsplit], ",".join(parts[maxsplit:])]
    return [p.strip() for p in parts]


def _matching_paren(text: str, open_at: int) -> int | None:
    depth: list[str] = []
    quote: str | None = None
    i = open_at
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "'\"" and i > open_at and _opens_quote(text, i):
            quote = ch
        elif ch in _OPEN:
            depth.append(ch)
        elif ch in _CLOSE:
            if not depth or depth[-1] != _CLOSE[ch]:
                raise ParseError(f"unbalanced {ch!r} in action {_clip(text)!r}")
            depth.pop()
            if not depth:
                return i
        i += 1
    return None


def _missing_closers(inner: str) -> str:
    depth: list[str] = []
    quote: str | None = None
    for i, ch in enumerate(inner):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"" and _opens_quote(inner, i):
            quote = ch
        elif ch in _OPEN:
            depth.append(ch)
        elif ch in _CLOSE and depth and depth[-1] == _CLOSE[ch]:
            depth.pop()
    return "".join(_OPEN[c] for c in reversed(depth))


def _opens_quote(text: str, i: int) -> bool:
    """A quote opens a string only after a non-word character: the apostrophe in "Louis XIV's" does not."""
    return i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")


def _clip(text: str, limit: int = 160) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


_VARIABLE = re.compile(r"\bR\d+\b")
_NEXT_ACTION = re.compile(r"\s+(?=R\d+\b)")
_SHORTEST_LOOP, _LONGEST_LOOP = 12, 200


def repeated_action_end(text: str, times: int = 3) -> int | None:
    """Where a grounder's output should end because it loops: it writes the same action for the ``times``-th
    time, its variables aside (``R4 = QA([R3], Question: ...)`` then ``R5 = QA([R4], Question: ...)``), or the
    same stretch of 12-200 characters three times running ("What is the answer to the question: What is the
    answer to the question: ..."), as a small model does until its token limit. The index is where the loop
    began (the end of the last action before the repeated one); None while there is no loop. Used as the
    grounding module's :attr:`~lumos.models.base.GenerationParams.end_check`."""
    cuts = [_repeated_action(text, pieces, times) for pieces in (_action_pieces(text), _plain_pieces(text))]
    cuts.append(_looping_tail(text))
    found = [c for c in cuts if c is not None]
    return min(found) if found else None


def _action_pieces(text: str) -> list[tuple[int, str]]:
    """Complete actions with their offsets: split at top-level ';', newlines, and where a new ``Rn =`` starts
    at top level without a ';' before it; the last piece (still being written) is left out."""
    out: list[tuple[int, str]] = []
    offset = 0
    pieces = list(split_top_level(text, ";\n"))
    for k, piece in enumerate(pieces):
        starts = [0, *(m.end() for m in _NEXT_ACTION.finditer(piece) if _missing_closers(piece[: m.start()]) == "")]
        for a, b in zip(starts, [*starts[1:], None], strict=True):
            if b is not None or k < len(pieces) - 1:
                out.append((offset + a, piece[a:b]))
        offset += len(piece) + 1
    return out


def _plain_pieces(text: str) -> list[tuple[int, str]]:
    """Pieces between ';' whatever the brackets (an unclosed bracket hides every top-level ';')."""
    out, offset = [], 0
    pieces = text.split(";")
    for piece in pieces[:-1]:
        out.append((offset, piece))
        offset += len(piece) + 1
    return out


def _repeated_action(text: str, pieces: list[tuple[int, str]], times: int) -> int | None:
    seen: dict[str, int] = {}
    for offset, piece in pieces:
        key = _VARIABLE.sub("R#", " ".join(piece.split()))
        if key:
            seen[key] = seen.get(key, 0) + 1
            if seen[key] >= times:
                return len(text[:offset].rstrip("; \n\t"))
    return None


def _looping_tail(text: str) -> int | None:
    for period in range(_SHORTEST_LOOP, min(_LONGEST_LOOP, len(text) // 3) + 1):
        tail = text[-period:]
        if text[-2 * period : -period] == tail and text[-3 * period : -2 * period] == tail:
            return len(text) - 2 * period
    return None
