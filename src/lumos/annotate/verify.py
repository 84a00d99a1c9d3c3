"""Verification of annotations: keep only those that parse, use the domain's tools, and (maths) compute the
gold answer when executed.

* Every domain: each subgoal's actions must parse with the core parser and read back as written (no prose
  left over, nothing lost or added), name only the
  domain's tools, assign result variables, and use no variable before an earlier action defines it.
* Maths: the actions are executed subgoal by subgoal with the real :class:`~lumos.tools.executor.Executor`;
  the annotation is kept when the last result equals the gold answer numerically, and ``results[k]`` is
  filled with what executing subgoal ``k`` gave.
* Complex QA and web: the static checks only (their tools need an index or a browser); ``results`` keep
  the gold sub-answers the converter put there.

A rejection carries a reason code (:data:`REASONS`) and a message.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from lumos.domain import get_domain
from lumos.errors import ParseError
from lumos.format.parse import parse_actions, parse_plan, split_top_level
from lumos.format.types import Action, Annotation
from lumos.tools.base import VARIABLE

REASONS = {
    "parse_error": "a subgoal or its actions do not parse in the unified format",
    "malformed": "subgoals and actions do not line up, or a step is empty",
    "unknown_tool": "an action names a tool that the domain does not have",
    "undefined_variable": "an action uses a result variable before it is defined",
    "no_output": "an action assigns no result variable",
    "execution_error": "executing an action failed (tool error, limit)",
    "wrong_answer": "the executed result differs from the gold answer",
    "no_gold_answer": "the gold answer is missing or not comparable",
    # set before verification, by converters and the teacher:
    "no_steps": "the gold reasoning has no step that could be converted",
    "unparseable_step": "a gold step could not be read as a calculation or action",
    "no_evidence": "a gold sub-question has no evidence page",
    "no_equation": "the gold item has no equation",
    "malformed_gold": "the gold data are inconsistent",
    "teacher_output": "the teacher's answer is not in the annotation format",
}

def domain_tools(domain: str) -> list[str]:
    from lumos.tools.base import registry

    return registry.domain(domain)  # raises ConfigError naming the known domains


@dataclass
class Verdict:
    """The outcome for one annotation; ``annotation`` has its ``results`` filled when it was executed."""

    annotation: Annotation
    ok: bool
    reason: str = ""
    message: str = ""


# ----------------------------------------------------------------------------------------- numbers

_NUM = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)(?:e-?\d+)?$", re.I)
_FRAC = re.compile(r"^(-?\d+(?:\.\d+)?)\s*/\s*(-?\d+(?:\.\d+)?)$")
_LATEX_FRAC = re.compile(r"^(-?)\\[dt]?frac\{(-?\d+)\}\{(-?\d+)\}$")


def parse_number(text: Any) -> float | None:
    """``"1,200"``, ``"$3.50"``, ``"20%"``, ``"3/4"``, ``"\\frac{3}{4}"``, ``51.0`` -> float; else None."""
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, int | float):
        return float(text)
    s = str(text).strip().rstrip(".")
    s = re.sub(r"^\\boxed\{(.*)\}$", r"\1", s)
    s = s.replace("$", "").replace("€", "").replace("£", "").replace("\\%", "").replace("%", "")
    s = s.replace("\\!", "").replace("{,}", "")
    s = re.sub(r"(?<=\d),(?=\d{3}\b)", "", s).strip()
    if _NUM.match(s):
        return float(s)
    m = _FRAC.match(s)
    if m and float(m.group(2)) != 0:
        return float(Fraction(m.group(1)) / Fraction(m.group(2)))
    m = _LATEX_FRAC.match(s)
    if m and int(m.group(3)) != 0:
        value = int(m.group(2)) / int(m.group(3))
        return -value if m.group(1) else value
    return None


def answers_match(result: str, gold: str) -> bool:
    """Numerically equal (a gold answer written with decimals also matches the result rounded to them);
    for answers that are not numbers, equal after normalising case, spaces and trailing dots."""
    r, g = parse_number(result), parse_number(gold)
    if r is not None and g is not None:
        if math.isclose(r, g, rel_tol=1e-6, abs_tol=1e-6):
            return True
        text = str(gold).strip()
        places = len(text.rsplit(".", 1)[1]) if re.search(r"\.\d+$", text) else 0
        return places > 0 and math.isclose(round(r, places), g, abs_tol=10 ** (-places) / 2)
    return _norm_text(result) == _norm_text(gold) and bool(_norm_text(gold))


def _norm_text(text: str) -> str:
    return " ".join(str(text).lower().replace("$", "").split()).rstrip(".")


# ------------------------------------------------------------------------------------ verification


class Verifier:
    """Checks annotations of one domain; reuses one executor (reset per annotation) for maths."""

    def __init__(self, domain: str, action_time_limit: float = 5.0, execute: bool | None = None) -> None:
        self.domain = domain
        self.tools = set(domain_tools(domain))
        self.execute = get_domain(domain).verify_by_execution if execute is None else execute
        self.action_time_limit = action_time_limit
        self._executor: Any = None

    def _get_executor(self) -> Any:
        if self._executor is None:
            from lumos.tools.base import registry
            from lumos.tools.executor import Executor

            self._executor = Executor(
                registry.instantiate(self.domain), action_time_limit=self.action_time_limit
            )
        return self._executor

    def verify(self, ann: Annotation) -> Verdict:
        try:
            steps = self._static_check(ann)
        except _Reject as r:
            return Verdict(ann, False, r.reason, r.message)
        if not self.execute:
            return Verdict(ann, True)
        return self._execute(ann, steps)

    # -------------------------------------------------------------------------------- static

    def _static_check(self, ann: Annotation) -> list[list[Action]]:
        if not ann.subgoals:
            raise _Reject("malformed", "the annotation has no subgoal")
        if len(ann.subgoals) != len(ann.actions):
            raise _Reject("malformed", f"{len(ann.subgoals)} subgoals but {len(ann.actions)} action lines")
        if ann.results and len(ann.results) != len(ann.subgoals):
            raise _Reject("malformed", f"{len(ann.subgoals)} subgoals but {len(ann.results)} results")
        for k, subgoal in enumerate(ann.subgoals, 1):
            if not subgoal.strip() or "\n" in subgoal:
                raise _Reject("malformed", f"subgoal {k} is empty or spans several lines")
        plan = "; ".join(f"Subgoal {k}: {s}" for k, s in enumerate(ann.subgoals, 1))
        try:
            parsed_plan = parse_plan(plan)
        except ParseError as exc:
            raise _Reject("parse_error", str(exc)) from exc
        if len(parsed_plan) != len(ann.subgoals):
            raise _Reject(
                "parse_error", f"the plan reads back as {len(parsed_plan)} subgoals, not {len(ann.subgoals)}"
            )
        defined: set[str] = set()
        steps = []
        for k, text in enumerate(ann.actions, 1):
            segments = [s for s in split_top_level(text, ";\n") if s.strip()]
            try:
                actions = parse_actions(text)
            except ParseError as exc:
                raise _Reject("parse_error", f"subgoal {k}: {exc}") from exc
            if len(actions) != len(segments):
                raise _Reject(
                    "parse_error",
                    f"subgoal {k}: {len(segments)} pieces but {len(actions)} actions in {text!r}",
                )
            for action, segment in zip(actions, segments, strict=True):
                if _RUN_TOGETHER.search(action.args):
                    raise _Reject(
                        "parse_error",
                        f"subgoal {k}: the parser reads {segment.strip()[:120]!r}... as one "
                        "action (an apostrophe or unbalanced bracket in its arguments?)",
                    )
                if _squash(action.render()) != _squash(segment):
                    raise _Reject(
                        "parse_error", f"subgoal {k}: {segment.strip()!r} reads back as {action.render()!r}"
                    )
                if action.tool is not None and action.tool not in self.tools:
                    raise _Reject(
                        "unknown_tool",
                        f"subgoal {k}: {action.tool} is not a {self.domain} tool "
                        f"({', '.join(sorted(self.tools))})",
                    )
                if not action.outputs:
                    raise _Reject("no_output", f"subgoal {k}: {action.render()!r} assigns no result variable")
                for name in VARIABLE.findall(action.args):
                    if name not in defined:
                        raise _Reject(
                            "undefined_variable",
                            f"subgoal {k}: {name} is used in {action.render()!r} before it is defined",
                        )
                defined.update(action.outputs)
            steps.append(actions)
        return steps

    # ------------------------------------------------------------------------------- execute

    def _execute(self, ann: Annotation, steps: list[list[Action]]) -> Verdict:
        executor = self._get_executor()
        executor.reset()
        results: list[str] = []
        for k, actions in enumerate(steps, 1):
            outcome = executor.execute(actions)
            failed = next((r for r in outcome if r.error is not None), None)
            if failed is not None and failed.error is not None:
                kind = failed.error.kind
                reason = (
                    kind
                    if kind in ("undefined_variable", "unknown_tool", "parse_error")
                    else "execution_error"
                )
                return Verdict(
                    ann, False, reason, f"subgoal {k}: {failed.action}: {kind}: {failed.error.message}"
                )
            if len(outcome) < len(actions):
                return Verdict(
                    ann,
                    False,
                    "execution_error",
                    f"subgoal {k}: only {len(outcome)} of {len(actions)} actions ran",
                )
            last = outcome[-1].outputs if outcome else {}
            results.append(list(last.values())[-1] if last else "")
        ann = ann.model_copy(update={"results": results})
        if not str(ann.answer).strip():
            return Verdict(ann, False, "no_gold_answer", "the item has no gold answer to compare with")
        if not answers_match(results[-1], ann.answer):
            return Verdict(
                ann,
                False,
                "wrong_answer",
                f"executed result {results[-1]!r} but the gold answer is {ann.answer!r}",
            )
        return Verdict(ann, True)


_RUN_TOGETHER = re.compile(r"[;\n]\s*[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*\s*=\s*[A-Z]\w*\s*\(")


def _squash(text: str) -> str:
    return "".join(text.split()).rstrip(".")


class _Reject(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def verify(ann: Annotation, domain: str | None = None) -> Verdict:
    """Verify one annotation (a convenience over :class:`Verifier`)."""
    return Verifier(domain or ann.domain).verify(ann)
