"""Tool calls batched across tasks (execute_batch, run_batch) give what running each task alone gives."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from lumos.agent.agent import Agent, AgentConfig
from lumos.domains.complex_qa.tools import QA, ParagraphRetrieve, rerank_many
from lumos.errors import AgentStepError, ToolError
from lumos.format.parse import parse_actions
from lumos.format.types import ActionResult
from lumos.models.base import Conversation
from lumos.models.fake import FakeModel
from lumos.retrieval.index import SearchIndex
from lumos.tools.base import ExecutionContext, Tool, registry
from lumos.tools.executor import Executor, execute_batch


class HashEmbedder:
    """A deterministic bi-encoder: bag-of-words vectors from word hashes; counts its calls."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        rows = np.zeros((len(texts), 64))
        for r, text in enumerate(texts):
            for word in text.lower().split():
                rows[r, hashlib.sha256(word.encode()).digest()[0] % 64] += 1.0
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.where(norms == 0, 1, norms)

    def rerank(self, query: str, passages: Sequence[str]) -> list[float]:
        vectors = self.embed([query, *passages])
        return [float(x) for x in vectors[1:] @ vectors[0]]


def answer_by_question(conversation: Conversation) -> str:
    """A deterministic QA model: the reply depends only on the prompt."""
    prompt = conversation[-1]["content"]
    if "Tower" in prompt and "Context:" in prompt:
        return "France"
    if "Berlin" in prompt and "own knowledge" not in prompt:
        return "No answer"
    if "Reply with only" in prompt:
        return "Yes." if "Everest" in prompt else "Maybe"
    if "own knowledge" in prompt:
        return "Germany" if "Berlin" in prompt else "I don't know"
    return f"answer {len(prompt) % 7}"


PROGRAMS = [
    "R1 = KnowledgeQuery(Eiffel Tower); R2 = ParagraphRetrieve(R1, Query: In which country is the Eiffel Tower?); "
    "R3 = QA([R2], Question: In which country is the Eiffel Tower?)",
    "R1 = KnowledgeQuery(Paris); R2 = ParagraphRetrieve(R1, Query: What is the capital of France?); "
    "R3 = QA([R2], Question: Which country is Berlin the capital of?)",
    "R1 = KnowledgeQuery(Mount Everest); R2 = QA([R1], Question: Is Mount Everest the highest mountain?)",
    "R1 = Calculator(2 + 3); R2 = QA(Question: Is R1 more than 4?); R3 = Calculator(R1 * 2)",
    "R1 = KnowledgeQuery(Eiffel Tower); R2 = ParagraphRetrieve(R9, Query: height); R3 = Calculator(1 + 1)",
    "R1 = KnowledgeQuery(   ); R2 = Calculator(1 + 1)",
    "R1 = KnowledgeQuery(Gustave Eiffel); R2 = ParagraphRetrieve(R1, Query: What did he build?); R3 = QA([R2], Question: )",
    "R1 = QA([R1], Question: What is it?)",
]


def make_tools(index: SearchIndex, model: FakeModel, embedder: HashEmbedder) -> list[Tool]:
    tools = registry.instantiate("complex_qa", index=index, reranker=embedder, qa_model=model, top_k=2)
    return tools


def comparable(results: list[ActionResult]) -> list[dict[str, Any]]:
    return [r.model_dump(exclude={"seconds"}) for r in results]


def test_batched_execution_equals_one_by_one(index: SearchIndex) -> None:
    alone_model, batch_model = FakeModel(responder=answer_by_question), FakeModel(responder=answer_by_question)
    alone_ranker, batch_ranker = HashEmbedder(), HashEmbedder()
    programs = [parse_actions(p) for p in PROGRAMS]
    alone = [Executor(make_tools(index, alone_model, alone_ranker)).execute(p) for p in programs]
    executors = [Executor(make_tools(index, batch_model, batch_ranker)) for _ in programs]
    batched = execute_batch(list(zip(executors, programs, strict=True)))
    assert [comparable(r) for r in batched] == [comparable(r) for r in alone]
    for one, other in zip(executors, programs, strict=True):  # variables are those of a lone run
        lone = Executor(make_tools(index, FakeModel(responder=answer_by_question), HashEmbedder()))
        lone.execute(other)
        assert one.context.variables.keys() == lone.context.variables.keys()
    # the outcomes cover answers, fall-backs, forced yes/no and recorded errors
    assert batched[0][-1].outputs == {"R3": "France"}
    assert batched[1][-1].outputs == {"R3": "Germany"}
    assert batched[2][-1].outputs == {"R2": "yes"}
    assert batched[3][1].outputs == {"R2": "no"} and batched[3][2].outputs == {"R3": "10"}
    kinds = [[r.error.kind for r in rs if r.error is not None] for rs in batched]
    assert kinds[4] == ["undefined_variable"] and len(batched[4]) == 2  # the rest of that list is skipped
    assert kinds[5] == ["tool_error"] and kinds[6] == ["tool_error"] and kinds[7] == ["undefined_variable"]
    # fewer, larger model and re-ranker calls than one by one
    assert len(batch_model.batches) < len(alone_model.batches)
    assert max(batch_model.batches) > 1 and sum(batch_model.batches) == sum(alone_model.batches)
    assert len(batch_ranker.calls) == 1 < len(alone_ranker.calls)


def test_qa_run_batch_asks_each_stage_in_one_call() -> None:
    model = FakeModel(responder=answer_by_question)
    qa = QA(qa_model=model)
    ctx = ExecutionContext()
    calls = [
        ("Question: Which country is Berlin the capital of?", ctx),
        ("Question: Is Mount Everest high?", ctx),
        ("Question: ", ctx),
        ("[Mount Everest is high.], Question: Is it in Berlin?", ctx),
    ]
    out = qa.run_batch(calls)
    assert out[0] == "Germany" and out[1] == "yes" and isinstance(out[2], ToolError) and out[3] == "no"
    assert model.batches == [1, 3, 2]  # with context; own knowledge; forced yes/no
    assert [qa.run(args, c) for args, c in calls if args != "Question: "] == [out[0], out[1], out[3]]


def test_paragraph_retrieve_batch_equals_select_with_a_deterministic_ranker(index: SearchIndex) -> None:
    ranker = HashEmbedder()
    tool = ParagraphRetrieve(reranker=ranker, top_k=2)
    page = index.get_page("Eiffel Tower")
    assert page is not None
    paragraphs = page.paragraph_objects() + (index.get_page("Paris") or page).paragraph_objects()
    queries = ["Who designed the tower?", "How tall is it?", "Which river flows through Paris?"]
    together = tool.select_many([(q, paragraphs) for q in queries])
    assert together == [tool.select(q, paragraphs) for q in queries]
    assert ranker.calls[0] > len(paragraphs)  # one embedding call covered every query and candidate
    direct = rerank_many(ranker, [("tower", ["the tower", "a river"])])[0]
    assert direct[0] > direct[1]


class SlowBatchTool(Tool):
    name = "Slow"
    description = "sleeps, then echoes its argument"
    signature = "Slow(seconds)"
    time_limit: ClassVar[float] = 0.2

    def run(self, args: str, ctx: ExecutionContext) -> str:
        return self.run_batch([(args, ctx)])[0]  # type: ignore[return-value]

    def run_batch(self, calls: Sequence[tuple[str, ExecutionContext]]) -> list[str | AgentStepError]:
        time.sleep(max(float(args) for args, _ in calls))
        return [args if float(args) >= 0 else ToolError("negative") for args, _ in calls]


def test_a_batch_that_runs_past_the_limit_fails_each_action() -> None:
    jobs = [(Executor([SlowBatchTool()], action_time_limit=0.2), parse_actions(f"R1 = Slow({s})")) for s in (0, 1)]
    results = execute_batch(jobs)
    assert [r[0].error.kind if r[0].error else None for r in results] == ["limit_exceeded", "limit_exceeded"]
    fine = execute_batch([(Executor([SlowBatchTool()]), parse_actions(f"R1 = Slow({s})")) for s in (0, -1)])
    assert fine[0][0].outputs == {"R1": "0"} and fine[1][0].error is not None


def test_the_agent_executes_a_rounds_tasks_together(index: SearchIndex) -> None:
    planner = FakeModel(
        responder=lambda c: "Yes, I will stop planning." if "France" in c[-1]["content"] else "Subgoal 1: Find it."
    )
    grounder = FakeModel(default=PROGRAMS[0])
    qa_model = FakeModel(responder=answer_by_question)
    config = AgentConfig(domain="complex_qa", max_rounds=2)
    agent = Agent(
        planner, grounder, config, tool_options={"index": index, "reranker": "none", "qa_model": qa_model}
    )
    trajectories = agent.run(["Where is the Eiffel Tower?"] * 3)
    assert [t.answer for t in trajectories] == ["France"] * 3
    assert [t.stop_reason for t in trajectories] == ["planner_stopped"] * 3
    assert qa_model.batches == [3]  # the three tasks' QA calls in one model call
