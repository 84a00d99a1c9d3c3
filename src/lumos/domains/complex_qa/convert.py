"""Complex-QA converters: FanOutQA decomposition trees and MuSiQue hops, as lookup and combining subgoals."""

from __future__ import annotations

import math
import re
from typing import Any

from lumos.annotate.convert.common import ActionBuilder, ConversionError
from lumos.annotate.sources import SourceItem
from lumos.domains.complex_qa.sources import render_answer
from lumos.format.types import Annotation


def _qa_args(question: str) -> str:
    return " ".join(question.split())


class QAActionBuilder(ActionBuilder):
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
    from lumos.domains.complex_qa.annotate import fanoutqa_split

    if fanoutqa_split(item.id) == "eval":  # kept out of training for good: lumos eval fanoutqa runs on these
        raise ConversionError("eval_split", f"{item.id} is a FanOutQA evaluation question")
    tree = item.meta.get("decomposition") or []
    if not tree:
        raise ConversionError("no_steps", "the item has no decomposition")
    b = QAActionBuilder(item.task)
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
    b = QAActionBuilder(item.task)
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
