import json

import pytest
from annotate_fixtures import write_jsonl

from lumos.annotate.convert import ConversionError, convert
from lumos.annotate.sources import SourceItem, load_source
from lumos.annotate.verify import Verifier
from lumos.domains.maths.convert import find_calculations
from lumos.errors import ConfigError
from lumos.format.parse import parse_actions, parse_plan


def _convert_all(items):
    kept, failed = [], []
    for item in items:
        try:
            kept.append(convert(item))
        except ConversionError as exc:
            failed.append(exc.reason)
    return kept, failed


def test_gsm8k_sample_converts_and_parses(gsm8k_sample):
    kept, failed = _convert_all(load_source("gsm8k", gsm8k_sample))
    assert len(kept) + len(failed) == 300
    assert len(kept) >= 290, failed  # only algebra-only rationales have no calculation to convert
    assert set(failed) <= {"no_steps"}
    for ann in kept:
        assert len(ann.subgoals) == len(ann.actions)
        parse_plan("; ".join(f"Subgoal {k}: {s}" for k, s in enumerate(ann.subgoals, 1)))
        for text in ann.actions:
            assert parse_actions(text)
        assert not any("<<" in s for s in ann.subgoals)
    verifier = Verifier("maths")
    verdicts = [verifier.verify(a) for a in kept]
    assert sum(v.ok for v in verdicts) >= 285


def test_gsm8k_steps_use_variables_for_earlier_results(gsm8k_sample):
    item = next(i for i in load_source("gsm8k", gsm8k_sample) if i.task.startswith("Kylar went"))
    ann = convert(item)
    assert ann.actions == [
        "R1 = Calculator(60/100*5)",
        "R2 = Calculator(16/2)",
        "R3 = Calculator(R2*R1)",
        "R4 = Calculator(R2*5)",
        "R5 = Calculator(R3+R4)",
    ]
    # the stated result is taken out of the subgoal, the computation stays
    assert (
        ann.subgoals[1]
        == "If every second glass is cheaper, that means Kylar is going to buy 16 / 2 cheaper glasses."
    )


def test_svamp_sample_converts_all(svamp_sample):
    kept, failed = _convert_all(load_source("svamp", svamp_sample))
    assert not failed and len(kept) == 300
    for ann in kept:
        for text in ann.actions:
            assert parse_actions(text)
    verifier = Verifier("maths")
    assert all(verifier.verify(a).ok for a in kept)


def test_svamp_nested_equation_becomes_one_subgoal_per_operation(svamp_sample):
    item = next(i for i in load_source("svamp", svamp_sample) if i.id == "chal-14")
    ann = convert(item)
    assert ann.actions == ["R1 = Calculator(4 + 13)", "R2 = Calculator(R1 * 15)"]
    assert ann.subgoals == [
        "Add 4 and 13.",
        "Multiply the result of Subgoal 1 by 15 to answer the question: How deep was the water?",
    ]


@pytest.mark.parametrize(
    ("line", "expr", "value"),
    [
        ("There are 12 x 2 = 24 students playing volleyball.", "12 * 2", 24),
        ("losing €57/hour * 7 hours = €399", "57 * 7", 399),
        ("They have raised $174 because 83 plus 91 equals 174.", "83 + 91", 174),
        ("The room's perimeter is 2(62+18) = 160", "2 * ( 62 + 18 )", 160),
        ("so the chance of two in a row is 50% * 50% = 25%.", "(50/100) * (50/100)", 0.25),
        ("The difference is 50% - 25% = 25%.", "50 - 25", 25),
        ("She can buy 899.35 / 1.2 = 749 pretzels", "floor(899.35 / 1.2)", 749),
    ],
)
def test_calculations_in_prose(line, expr, value):
    [calc] = find_calculations(line)
    assert calc.expr == expr
    assert calc.value == pytest.approx(value)


def test_prose_without_checked_arithmetic_gives_nothing():
    assert find_calculations("Thomas = 258 points") == []
    assert find_calculations("James receives 48=48 emails") == []
    assert find_calculations("The total is 5 + 5 = 11") == []  # the stated value does not follow


def test_gsm_symbolic_worked_steps():
    item = SourceItem(
        "g1",
        "There are 12 students playing basketball and twice that number playing volleyball. "
        "There are 17 boys and 17 girls playing table tennis. How many students are there?",
        "There are 12 x 2 = 24 students playing volleyball.\nThere are 17 + 17 = 34 students playing "
        "table tennis.\nIn total there are 12 + 24 + 34 = 70 students.",
        "70",
        "gsm_symbolic",
        "maths",
    )
    ann = convert(item)
    assert ann.actions == [
        "R1 = Calculator(12 * 2)",
        "R2 = Calculator(17 + 17)",
        "R3 = Calculator(12 + R1 + R2)",
    ]
    assert ann.subgoals[0] == "There are 12 x 2 students playing volleyball."
    verdict = Verifier("maths").verify(ann)
    assert verdict.ok and verdict.annotation.results == ["24", "34", "70"]


def test_fanoutqa_tree(fanout_file):
    items = list(load_source("fanoutqa", fanout_file))
    numeric = convert(items[0])
    assert numeric.actions[0] == (
        "R1 = KnowledgeQuery(Natural satellite); R2 = ParagraphRetrieve(R1, Query: Which two "
        "planets nearest the Sun have moons?); R3 = QA([R2], Question: Which two planets "
        "nearest the Sun have moons?)"
    )
    assert numeric.actions[-1] == "R10 = Calculator(R6 + R9)"  # the gold answer is the sum of the sub-answers
    assert numeric.results == ["Earth, Mars", "1", "2", "3"]
    nested = convert(items[1])
    assert len(nested.subgoals) == 5  # list, Ann's inner question, Ann's combining step, Bo, final answer
    assert nested.actions[2] == "R7 = QA([R6], Question: Where did Ann Example study?)"
    assert nested.actions[-1].startswith("R11 = QA([R3, R7, R10], Question: Where did the two most recent")
    with pytest.raises(ConversionError) as err:
        convert(items[2])
    assert err.value.reason == "no_evidence"
    for ann in (numeric, nested):
        assert Verifier("complex_qa").verify(ann).ok


def test_musique_hops(tmp_path):
    path = write_jsonl(
        tmp_path / "m.jsonl",
        [
            {
                "id": "m1",
                "question": "Who founded the company that made the Zephyr kettle?",
                "answer": "Ida Roe",
                "answerable": True,
                "paragraphs": [
                    {"idx": 0, "title": "Zephyr kettle", "paragraph_text": "..."},
                    {"idx": 1, "title": "Brightware", "paragraph_text": "..."},
                ],
                "question_decomposition": [
                    {
                        "id": 1,
                        "question": "Who made the Zephyr kettle?",
                        "answer": "Brightware",
                        "paragraph_support_idx": 0,
                    },
                    {"id": 2, "question": "Who founded #1?", "answer": "Ida Roe", "paragraph_support_idx": 1},
                ],
            }
        ],
    )
    [item] = load_source("musique", path)
    ann = convert(item)
    assert ann.subgoals == ["Find out: Who made the Zephyr kettle?", "Find out: Who founded Brightware?"]
    assert ann.actions[1].startswith(
        "R4 = KnowledgeQuery(Brightware); R5 = ParagraphRetrieve(R4, Query: Who founded"
    )
    assert ann.results == ["Brightware", "Ida Roe"]
    assert Verifier("complex_qa").verify(ann).ok


def test_mind2web_actions(tmp_path):
    path = tmp_path / "train_0.json"
    path.write_text(
        json.dumps(
            [
                {
                    "annotation_id": "w1",
                    "confirmed_task": "Search for red shoes",
                    "action_reprs": [
                        "[textbox]  Search -> TYPE: red shoes",
                        "[button]  Go -> CLICK",
                        "[combobox]  Size -> SELECT: 9",
                    ],
                }
            ]
        )
    )
    [item] = load_source("mind2web", path)
    # without the recorded pages nothing can be replayed (the converter itself is tested in tests/web)
    with pytest.raises(ConversionError, match="recorded pages") as info:
        convert(item)
    assert info.value.reason == "no_pages"


def test_asdiv_formula():
    item = SourceItem(
        "a1",
        "Sam has 7 red pens and 2 blue pens. How many pens?",
        "7+2=9",
        "9",
        "asdiv",
        "maths",
        meta={"formula": "7+2=9", "question": "How many pens?"},
    )
    assert convert(item).actions == ["R1 = Calculator(7 + 2)"]
    remainder = SourceItem("a2", "t", "9/4=2 r1", "2", "asdiv", "maths", meta={"formula": "9/4=2 r1"})
    with pytest.raises(ConversionError):
        convert(remainder)


def test_sources_without_converter_need_a_teacher():
    item = SourceItem("s", "Is it?", "", "yes", "strategyqa", "complex_qa")
    with pytest.raises(ConfigError, match="teacher"):
        convert(item)
