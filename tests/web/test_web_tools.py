"""CLICK / TYPE / SELECT: argument parsing, ranking with a deterministic fake ranker, acting on a toy page."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from lumos.domains.web_common.page import Element, Operation
from lumos.domains.web_common.tools import (
    Click,
    LexicalRanker,
    MissingTextError,
    NoMatchError,
    NoPageError,
    Select,
    Type,
    WebArgumentError,
    named_by_id,
    named_by_text,
    parse_web_args,
)
from lumos.errors import AgentStepError, ToolError
from lumos.format.types import Action
from lumos.tools.base import ExecutionContext, registry
from lumos.tools.executor import Executor


class ToyPage:
    """A page of three elements that records every action taken on it."""

    def __init__(self, elements: list[Element] | None = None) -> None:
        self._elements = (
            elements
            if elements is not None
            else [
                Element("1", "button", "Search"),
                Element("2", "input", "", {"placeholder": "From"}),
                Element("3", "select", "1 adult 2 adults", {"name": "passengers"}),
            ]
        )
        self.done: list[tuple[str, str, str | None]] = []

    def elements(self) -> list[Element]:
        return list(self._elements)

    def act(self, op: Operation, element: Element, value: str | None = None) -> str:
        self.done.append((op, element.ref, value))
        return f"page after {op} on {element.ref}"

    def observation(self) -> str:
        return "toy page"


class KeywordRanker:
    """Scores 1 for a passage holding the query's first word, else 0, and remembers what it was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    def rerank(self, query: str, passages: Sequence[str]) -> list[float]:
        self.calls.append((query, list(passages)))
        word = query.split()[0].lower()
        return [1.0 if word in p.lower() else 0.0 for p in passages]


def run(tool, args: str, page=None):
    ctx = ExecutionContext(env=page if page is not None else ToyPage())
    return tool.run(args, ctx), ctx


@pytest.mark.parametrize(
    ("args", "page", "query", "text", "ref"),
    [
        ("Env, QUERY: the search button", "Env", "the search button", None, None),
        ("R1, QUERY: the origin field, TEXT: New York, NY", "R1", "the origin field", "New York, NY", None),
        ("R2, query: passengers, text: '2'", "R2", "passengers", "2", None),
        ("Env, REF: 17", "Env", "", None, "17"),
        ("Env QUERY: the field TEXT: Boston", "Env", "the field", "Boston", None),
    ],
)
def test_parse_web_args(args, page, query, text, ref):
    parsed = parse_web_args(args)
    assert (parsed.page, parsed.query, parsed.text, parsed.ref) == (page, query, text, ref)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("Env, the search button", "no QUERY: or REF:"),
        ("the page, QUERY: search", "must name the page"),
        ("Env, QUERY: ", "is empty"),
        ("Env, QUERY: a, QUERY: b", "given twice"),
    ],
)
def test_malformed_arguments_are_step_errors(args, message):
    with pytest.raises(WebArgumentError, match=message) as info:
        parse_web_args(args)
    assert isinstance(info.value, AgentStepError)


def test_click_acts_on_the_best_ranked_element_and_records_the_top_k():
    ranker = KeywordRanker()
    page = ToyPage()
    out, ctx = run(Click(ranker=ranker, top_k=2), "Env, QUERY: passengers drop-down", page)
    assert page.done == [("CLICK", "3", None)]
    assert out == "page after CLICK on 3"
    assert ctx.details["chosen"] == "3"
    assert [c["ref"] for c in ctx.details["candidates"]] == ["3", "1"]  # ties keep page order
    assert ctx.details["candidates"][0]["score"] == 1.0
    assert ranker.calls[0][0] == "passengers drop-down"
    assert "[3]" not in ranker.calls[0][1][2]  # the ranker reads the element without its ref


def test_type_and_select_pass_the_text():
    page = ToyPage()
    run(Type(ranker=KeywordRanker()), "Env, QUERY: from field, TEXT: New York", page)
    run(Select(ranker=KeywordRanker()), "R1, QUERY: passengers, TEXT: 2 adults", page)
    assert page.done == [("TYPE", "2", "New York"), ("SELECT", "3", "2 adults")]


def test_click_ignores_a_text():
    page = ToyPage()
    run(Click(ranker=KeywordRanker()), "Env, QUERY: search, TEXT: stray", page)
    assert page.done == [("CLICK", "1", None)]


def test_ref_picks_the_element_without_ranking():
    ranker = KeywordRanker()
    page = ToyPage()
    run(Click(ranker=ranker), "Env, REF: 2", page)
    assert page.done == [("CLICK", "2", None)] and ranker.calls == []
    with pytest.raises(NoMatchError, match="no element with REF 9"):
        run(Click(ranker=ranker), "Env, REF: 9", page)


GRID = [Element(str(i), "circle", "", {"id": f"({x},{y})"}) for i, (x, y) in enumerate([(-1, -2), (-2, -1), (0, 0)])]


@pytest.mark.parametrize(
    ("query", "elements", "named"),
    [
        ("(-2,-1)", GRID, "1"),
        ('<circle fill="blue" id="(-1,-2)">', GRID, "0"),
        ("ttt-12", [Element("1", "span", "", {"id": "ttt-1"})], None),  # a longer id is another element
        ("tt2 text input field", [Element("5", "input", "", {"id": "tt2"}), Element("6", "input", "", {"id": "tt"})], "5"),
        # ids that are plain words are words in queries too: "search text input field" is not the Search button
        ("search text input field", [Element("5", "button", "Search", {"id": "search"})], None),
        ("ttt-4", [Element("1", "span", "", {"id": "ttt-4"}), Element("2", "span", "", {"id": "ttt-4"})], None),
        # "(in: #ui-id-1)" names the list the item is in, not the item
        ("<li> Uganda (in: #ui-id-1)", [Element("7", "ul", "", {"id": "ui-id-1"}), Element("8", "li", "Uganda")], None),
    ],
)
def test_an_element_named_by_its_id(query, elements, named):
    found = named_by_id(query, elements)
    assert (found.ref if found else None) == named


def test_an_id_in_the_query_outranks_the_ranker_and_is_recorded():
    page = ToyPage(GRID)
    _, ctx = run(Click(ranker=LexicalRanker()), "Env, QUERY: grid point (-2,-1)", page)
    assert page.done == [("CLICK", "1", None)]
    assert ctx.details["named_by_id"] == "1" and ctx.details["chosen"] == "1"
    assert len(ctx.details["candidates"]) == 3  # what the ranker thought is kept


CASED = [Element("4", "button", "Submit"), Element("5", "button", "previous"), Element("10", "button", "submit")]


@pytest.mark.parametrize(
    ("query", "tied", "named"),
    [
        ("submit button", CASED, "10"),
        ("Submit button", CASED, "4"),
        ("the button", CASED, None),
        ("submitted form", CASED, None),  # a word that holds the text is another word
        ("okay button", [Element("5", "button", "okay"), Element("6", "button", "okay")], None),
    ],
)
def test_an_element_named_by_its_exact_text(query, tied, named):
    found = named_by_text(query, tied)
    assert (found.ref if found else None) == named


def test_the_exact_case_breaks_only_the_rankers_tie():
    page = ToyPage(CASED)
    _, ctx = run(Click(ranker=KeywordRanker()), "Env, QUERY: submit button", page)  # Submit and submit tie
    assert page.done == [("CLICK", "10", None)] and ctx.details["named_by_text"] == "10"
    page = ToyPage(CASED)
    _, ctx = run(Click(ranker=KeywordRanker()), "Env, QUERY: previous not submit", page)
    assert page.done == [("CLICK", "5", None)] and "named_by_text" not in ctx.details  # no tie to break


@pytest.mark.parametrize("tool", [Type, Select])
def test_type_and_select_need_a_text(tool):
    with pytest.raises(MissingTextError, match="needs the TEXT"):
        run(tool(ranker=KeywordRanker()), "Env, QUERY: from field")


def test_no_page_and_empty_page():
    with pytest.raises(NoPageError, match="no environment"):
        Click(ranker=KeywordRanker()).run("Env, QUERY: x", ExecutionContext())
    with pytest.raises(NoPageError, match="environment is a str"):
        Click(ranker=KeywordRanker()).run("Env, QUERY: x", ExecutionContext(env="a page?"))
    with pytest.raises(NoMatchError, match="no elements"):
        run(Click(ranker=KeywordRanker()), "Env, QUERY: search", ToyPage([]))


def test_lexical_ranker_prefers_the_element_naming_the_query():
    scores = LexicalRanker().rerank("the from field", ["<button> Search", '<input placeholder="From"> field'])
    assert scores[1] > scores[0]


def test_web_domain_runs_a_chain_in_the_executor():
    tools = registry.instantiate("web", ranker=KeywordRanker())
    assert [t.name for t in tools] == ["CLICK", "TYPE", "SELECT"]
    executor = Executor(tools)
    page = ToyPage()
    executor.reset(env=page)
    results = executor.execute(
        [
            Action(outputs=["R1"], tool="TYPE", args="Env, QUERY: from, TEXT: Boston"),
            Action(outputs=["R2"], tool="CLICK", args="R1, QUERY: search"),
            Action(outputs=["R3"], tool="SELECT", args="R2, QUERY: passengers"),
        ]
    )
    assert page.done == [("TYPE", "2", "Boston"), ("CLICK", "1", None)]
    assert results[1].outputs == {"R2": "page after CLICK on 1"}
    assert results[1].details["chosen"] == "1"
    assert results[2].error is not None and results[2].error.kind == "missing_text"
    assert issubclass(MissingTextError, ToolError)


def test_ranker_names(monkeypatch):
    from lumos.domains.web_common.tools import MINDACT_RANKER, resolve_ranker
    from lumos.retrieval.rerank import BiEncoderReranker, CrossEncoderReranker

    assert isinstance(resolve_ranker("lexical"), LexicalRanker)
    assert isinstance(resolve_ranker("none"), LexicalRanker)
    mindact = resolve_ranker("mindact")  # built lazily: nothing is downloaded until it ranks
    assert isinstance(mindact, CrossEncoderReranker) and mindact.model_path == MINDACT_RANKER
    assert resolve_ranker(f"cross-encoder:{MINDACT_RANKER}") is mindact
    assert isinstance(resolve_ranker("bi-encoder:someone/some-model"), BiEncoderReranker)
    fake = KeywordRanker()
    assert resolve_ranker(fake) is fake


def test_select_ranks_with_the_option_text():
    ranker = KeywordRanker()
    run(Select(ranker=ranker), "Env, QUERY: passengers, TEXT: 2 adults")
    assert ranker.calls[0][0] == "passengers (option: 2 adults)"
