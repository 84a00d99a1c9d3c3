"""The complex-QA domain's hooks: its tools' shared resources, and the paper's final QA call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lumos.errors import AgentStepError
from lumos.format.types import Trajectory


def tool_options(index: Path | None = None, qa_model: Any = None, **_: Any) -> dict[str, Any]:
    """The search index (``--index``, default: the built-in offline one) and the QA tool's model, loaded once."""
    from lumos.retrieval.index import default_index, open_index

    return {"index": open_index(index) if index else default_index(), "qa_model": qa_model}


def final_answer(traj: Trajectory, tools: dict[str, Any], question: str) -> str | None:
    """One QA call over every QA result of the episode with ``question``; its reply becomes the answer (kept
    on the trajectory's ``meta["final_qa"]``). None where there is no QA result or the call fails."""
    from lumos.domains.complex_qa.context import paragraphs_of, split_context

    qa = tools.get("QA")
    found = [
        (split_context(action.args, "Question")[1], value)
        for step in traj.steps
        for action, result in zip(step.actions, step.results, strict=False)
        if action.tool == "QA" and result.error is None
        for value in list(result.outputs.values())[-1:]
    ]
    if qa is None or not found:
        return None
    context = "; ".join(f"Question: {q} Answer: {a}" for q, a in found)
    record: dict[str, Any] = {"question": question, "context": context}
    traj.meta["final_qa"] = record
    try:
        record["answer"] = str(qa.answer(question, paragraphs_of(context)))
    except AgentStepError as exc:  # the last result stays the answer
        record["error"] = str(exc)
        return None
    answer: str = record["answer"]
    return answer
