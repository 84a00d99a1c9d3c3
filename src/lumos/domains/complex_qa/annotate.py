"""Teacher-free complex-QA training data from FanOutQA's decomposition trees.

Three kinds of annotation, all taken from the gold trees (no model writes anything):

* the whole tree (:func:`~lumos.annotate.convert.convert_fanoutqa`): one lookup subgoal per evidence page, then
  a combining subgoal; it teaches fan-out questions;
* **one hop** (:func:`single_hops`): each looked-up sub-question on its own, one subgoal and then the stop, so
  the planner learns to stop as soon as a result answers the question;
* **yes/no** (:func:`yes_no_checks`): "Is X the answer to: <sub-question>?", with X the gold answer (yes) or a
  sibling's different answer (no): a lookup subgoal, then a subgoal whose ``QA`` asks the yes/no question itself,
  so the last result, and the answer, is "yes" or "no".

The FanOutQA questions are split once and for all by a hash of their id (:func:`fanoutqa_split`): about a
quarter are evaluation questions, never converted into training data (``lumos annotate`` rejects them) and the
only ones ``lumos eval fanoutqa`` runs on.

:func:`verify_hop` executes a hop's ``KnowledgeQuery`` / ``ParagraphRetrieve`` on the local index where its
evidence page is there, and checks that the gold answer is in what comes back.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from lumos.format.types import Annotation

EVAL_SHARE = 4
"""One FanOutQA question in EVAL_SHARE (by id hash) is kept for evaluation."""

_LOOKUP = re.compile(
    r"^(?P<r1>R\d+) = KnowledgeQuery\((?P<title>.*)\); (?P<r2>R\d+) = ParagraphRetrieve\((?P=r1), Query: "
    r"(?P<query>.*)\); (?P<r3>R\d+) = QA\(\[(?P=r2)\], Question: (?P<question>.*)\)$"
)


def fanoutqa_split(question_id: str) -> Literal["train", "eval"]:
    """``"eval"`` for about one FanOutQA question in four (fixed by the id's SHA-256), else ``"train"``."""
    digest = hashlib.sha256(f"fanoutqa:{question_id.strip()}".encode()).digest()
    return "eval" if digest[0] % EVAL_SHARE == 0 else "train"


@dataclass(frozen=True)
class Hop:
    """One looked-up sub-question of an annotation: its evidence page title, question and gold answer."""

    title: str
    question: str
    answer: str
    subgoal: str


def hops(a: Annotation) -> list[Hop]:
    """The lookup subgoals (KnowledgeQuery; ParagraphRetrieve; QA) of an annotation."""
    out = []
    for subgoal, actions, result in zip(a.subgoals, a.actions, a.results, strict=False):
        m = _LOOKUP.match(actions.strip())
        if m and result.strip():
            out.append(Hop(m["title"], m["question"], result.strip(), subgoal))
    return out


def _lookup_actions(hop: Hop) -> str:
    return (
        f"R1 = KnowledgeQuery({hop.title}); R2 = ParagraphRetrieve(R1, Query: {hop.question}); "
        f"R3 = QA([R2], Question: {hop.question})"
    )


def _short(answer: str) -> bool:
    return 0 < len(answer) <= 60 and ";" not in answer and "\n" not in answer


def single_hops(annotations: Iterable[Annotation]) -> Iterator[Annotation]:
    """Each short-answered hop as a task of its own: one subgoal, and the answer is its result."""
    for a in annotations:
        for k, hop in enumerate(hops(a)):
            if not _short(hop.answer):
                continue
            yield Annotation(
                task=hop.question,
                answer=hop.answer,
                subgoals=[hop.subgoal],
                actions=[_lookup_actions(hop)],
                results=[hop.answer],
                rationale=f"{hop.question} {hop.answer}",
                domain="complex_qa",
                source="fanoutqa_hop",
                id=f"{a.id}/hop{k + 1}",
            )


def yes_no_question(hop: Hop, claimed: str) -> str:
    return f"Is {claimed} the answer to this question: {hop.question.rstrip('?')}?"


def yes_no_checks(annotations: Iterable[Annotation], seed: int = 0) -> Iterator[Annotation]:
    """For each short-answered hop, a yes/no question about its gold answer or (about half the time, where a
    sibling hop has a different short answer) about the sibling's answer."""
    rng = random.Random(seed)
    for a in annotations:
        found = [h for h in hops(a) if _short(h.answer)]
        for k, hop in enumerate(found):
            others = sorted({h.answer for h in found if h.answer.lower() != hop.answer.lower()})
            claimed, verdict = hop.answer, "yes"
            if others and rng.random() < 0.5:
                claimed, verdict = rng.choice(others), "no"
            question = yes_no_question(hop, claimed)
            yield Annotation(
                task=question,
                answer=verdict,
                subgoals=[hop.subgoal, f"Combine the results to answer the question: {question}"],
                actions=[_lookup_actions(hop), f"R4 = QA([R3], Question: {question})"],
                results=[hop.answer, verdict],
                rationale=f"{hop.question} {hop.answer}. So the answer is {verdict}.",
                domain="complex_qa",
                source="fanoutqa_yesno",
                id=f"{a.id}/yesno{k + 1}",
            )


def _normal(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def verify_hop(hop: Hop, source: object, top_k: int = 3) -> bool | None:
    """Execute the hop's retrieval on ``source`` (a page source): None when its evidence page is not there,
    else whether the gold answer is in the top ``top_k`` paragraphs (BM25, no re-ranker)."""
    from lumos.domains.complex_qa.tools import KnowledgeQuery, ParagraphRetrieve
    from lumos.tools.base import ExecutionContext

    if source.get_page(hop.title) is None:  # type: ignore[attr-defined]
        return None
    ctx = ExecutionContext()
    ctx.variables["R1"] = KnowledgeQuery(index=source).run(hop.title, ctx)
    passages = ParagraphRetrieve(reranker="none", top_k=top_k).run(f"R1, Query: {hop.question}", ctx)
    return _normal(hop.answer) in _normal(passages.full_text())
