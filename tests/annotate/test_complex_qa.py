"""Teacher-free complex-QA data: one-hop and yes/no annotations from FanOutQA trees, the fixed evaluation split."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from pathlib import Path

import pytest

from lumos.annotate.convert import ConversionError, convert
from lumos.annotate.sources import load_source
from lumos.annotate.verify import Verifier
from lumos.data.build import Conversations, check_conversation
from lumos.domains.complex_qa.annotate import fanoutqa_split, hops, single_hops, verify_hop, yes_no_checks
from lumos.domains.complex_qa.tools import is_yes_no_question
from lumos.eval.benchmarks import get_benchmark, load_examples
from lumos.format.parse import parse_decision
from lumos.retrieval.build import build_index
from lumos.retrieval.index import SearchIndex
from lumos.retrieval.readers import read_jsonl
from lumos.retrieval.types import Page


def test_split_is_fixed_by_id_and_keeps_about_a_quarter_for_evaluation() -> None:
    ids = [f"q{i}" for i in range(2000)]
    evals = [i for i in ids if fanoutqa_split(i) == "eval"]
    assert 0.2 < len(evals) / len(ids) < 0.3
    assert [fanoutqa_split(i) for i in ids[:50]] == [fanoutqa_split(i) for i in ids[:50]]


def test_evaluation_questions_are_never_converted(fanout_file: Path) -> None:
    item = next(iter(load_source("fanoutqa", fanout_file)))
    eval_id = next(f"x{i}" for i in range(100) if fanoutqa_split(f"x{i}") == "eval")
    with pytest.raises(ConversionError) as err:
        convert(replace(item, id=eval_id))
    assert err.value.reason == "eval_split"


@pytest.mark.skipif(importlib.util.find_spec("fanoutqa") is None, reason="fanoutqa not installed")
def test_fanoutqa_evaluation_runs_only_on_the_evaluation_split() -> None:
    examples = load_examples(get_benchmark("fanoutqa"))
    assert examples and all(fanoutqa_split(e.id) == "eval" for e in examples)
    from lumos.domains.complex_qa.sources import fanoutqa_dev_file

    path = fanoutqa_dev_file()
    assert path is not None
    assert len(examples) < len(json.loads(path.read_text()))


def test_one_hop_and_yes_no_annotations_from_a_tree(fanout_file: Path) -> None:
    tree = convert(next(iter(load_source("fanoutqa", fanout_file))))
    found = hops(tree)
    assert [h.question for h in found][:1] == ["Which two planets nearest the Sun have moons?"]
    singles = list(single_hops([tree]))
    assert singles and all(len(a.subgoals) == 1 and a.results == [a.answer] for a in singles)
    checks = list(yes_no_checks([tree], seed=1))
    assert {a.answer for a in checks} <= {"yes", "no"} and len(checks) == len(singles)
    for check in checks:
        assert is_yes_no_question(check.task)
        assert check.actions[-1] == f"R4 = QA([R3], Question: {check.task})"  # the QA tool forces yes or no
        claimed = check.task.split(" the answer to this question")[0].removeprefix("Is ")
        assert (check.answer == "yes") == (claimed == check.results[0])
    verifier = Verifier("complex_qa")
    conversations = Conversations()
    for a in [*singles, *checks]:
        assert verifier.verify(a).ok
        for module in ("plan_iterative", "ground_iterative", "plan_onetime", "ground_onetime"):
            messages = conversations.build(module, a)
            assert messages is not None
            check_conversation(module, messages, a)
        planner = [m["content"] for m in conversations.build("plan_iterative", a) or [] if m["role"] == "assistant"]
        assert parse_decision(planner[-1]).stop  # the planner stops right after the answering subgoal
        assert len(planner) == len(a.subgoals) + 1


def test_verify_hop_executes_retrieval_where_the_page_is_in_the_index(tmp_path: Path, fanout_file: Path) -> None:
    fixtures = Path(__file__).parents[1] / "retrieval" / "fixtures" / "pages.jsonl"
    build_index(read_jsonl(fixtures), tmp_path / "ix", source="pages.jsonl")
    index = SearchIndex(tmp_path / "ix")
    tree = convert(next(iter(load_source("fanoutqa", fanout_file))))
    hop = hops(tree)[0]
    assert verify_hop(hop, index) is None  # "Natural satellite" is not in the fixture index
    page = index.get_page("Eiffel Tower")
    assert isinstance(page, Page)
    tower = type(hop)("Eiffel Tower", "In which city is the tower?", "Paris", "Find out: where")
    assert verify_hop(tower, index) is True
    assert verify_hop(type(hop)("Eiffel Tower", "How tall is it?", "Tokyo", "x"), index) is False
