import importlib.util
import json
from pathlib import Path

import pytest
from annotate_fixtures import FANOUT_ROWS, write_jsonl

from lumos.annotate.sources import all_sources, load_source, read_records, split_final_answer
from lumos.domains.maths.sources import last_boxed
from lumos.errors import ConfigError


def test_gsm8k_sample(gsm8k_sample):
    items = list(load_source("gsm8k", gsm8k_sample))
    assert len(items) == 300
    first = items[0]
    assert first.task.startswith("Every day, Wendi feeds")
    assert first.answer == "20" and "####" not in first.rationale and "<<3*20=60>>" in first.rationale
    assert len({i.id for i in items}) == 300
    assert [i.id for i in load_source("gsm8k", gsm8k_sample, limit=5)] == [i.id for i in items[:5]]


def test_split_final_answer_removes_thousands_separators():
    assert split_final_answer("a\nb\n#### 1,200") == ("a\nb", "1200")
    assert split_final_answer("no answer line") == ("no answer line", "")


def test_svamp_sample(svamp_sample):
    items = list(load_source("svamp", svamp_sample))
    assert len(items) == 300
    item = next(i for i in items if i.id == "chal-14")
    assert item.meta["equation"] == "( ( 4.0 + 13.0 ) * 15.0 )"
    assert item.answer == "255"
    assert item.task.endswith(
        "If Ron stands at 13 feet How deep was the water?"
    )  # as the eval harness poses it


@pytest.mark.skipif(importlib.util.find_spec("reasoning_gym") is None, reason="reasoning-gym not installed")
def test_gsm_symbolic_is_seeded():
    a = list(load_source("gsm_symbolic", limit=5, seed=3))
    b = list(load_source("gsm_symbolic", limit=5, seed=3))
    c = list(load_source("gsm_symbolic", limit=5, seed=4))
    assert [(i.id, i.task) for i in a] == [(i.id, i.task) for i in b]
    assert [i.task for i in a] != [i.task for i in c]
    assert all(i.answer and i.rationale and "####" not in i.rationale for i in a)
    assert a[0].id == "gsm_symbolic-s3-0"


def test_fanoutqa_file(fanout_file):
    items = list(load_source("fanoutqa", fanout_file))
    assert [i.id for i in items] == ["f1", "f2", "f3"]
    assert items[0].answer == "3"
    assert items[1].answer == "Ann Example: Gridley College; Bo Sample: Holt University"
    assert items[0].meta["decomposition"][1]["evidence"]["title"] == "Earth"
    assert "How many moons does Mars have? 2" in items[0].rationale


def test_fanoutqa_dev_ships_with_the_package():
    if importlib.util.find_spec("fanoutqa") is None:
        pytest.skip("fanoutqa not installed")
    items = list(load_source("fanoutqa", limit=3))
    assert len(items) == 3 and all(i.meta["decomposition"] for i in items)


def test_strategyqa_musique_asdiv_math_prm800k_mind2web_formats(tmp_path):
    sqa = tmp_path / "strategyqa_train.json"
    sqa.write_text(
        json.dumps(
            [
                {
                    "qid": "q1",
                    "term": "Lighthouse",
                    "description": "a tower",
                    "question": "Is a lighthouse taller than a giraffe?",
                    "answer": True,
                    "facts": ["Lighthouses are often over 20 m tall.", "Giraffes are under 6 m tall."],
                    "decomposition": [
                        "How tall is a lighthouse?",
                        "How tall is a giraffe?",
                        "Is #1 greater than #2?",
                    ],
                    "evidence": [],
                }
            ]
        )
    )
    [s] = load_source("strategyqa", sqa)
    assert (s.id, s.answer, s.domain) == ("q1", "yes", "complex_qa") and len(s.meta["decomposition"]) == 3

    musique = write_jsonl(
        tmp_path / "musique.jsonl",
        [
            {
                "id": "2hop_1",
                "question": "Who founded the company that made the Zephyr kettle?",
                "answer": "Ida Roe",
                "answer_aliases": [],
                "answerable": True,
                "paragraphs": [
                    {
                        "idx": 0,
                        "title": "Zephyr kettle",
                        "paragraph_text": "Made by Brightware.",
                        "is_supporting": True,
                    },
                    {
                        "idx": 1,
                        "title": "Brightware",
                        "paragraph_text": "Founded by Ida Roe.",
                        "is_supporting": True,
                    },
                ],
                "question_decomposition": [
                    {
                        "id": 1,
                        "question": "Zephyr kettle >> manufacturer",
                        "answer": "Brightware",
                        "paragraph_support_idx": 0,
                    },
                    {"id": 2, "question": "Who founded #1?", "answer": "Ida Roe", "paragraph_support_idx": 1},
                ],
            }
        ],
    )
    [m] = load_source("musique", musique)
    assert m.meta["decomposition"][1]["title"] == "Brightware" and m.answer == "Ida Roe"

    asdiv = tmp_path / "ASDiv.xml"
    asdiv.write_text(
        '<Machine-Reading-Corpus-File><ProblemSet><Problem ID="nluds-1" Grade="1">'
        "<Body>Sam has 7 red pens and 2 blue pens.</Body><Question>How many pens does he have?</Question>"
        "<Solution-Type>Addition</Solution-Type><Answer>9 (pens)</Answer><Formula>7+2=9</Formula>"
        "</Problem></ProblemSet></Machine-Reading-Corpus-File>"
    )
    [a] = load_source("asdiv", asdiv)
    assert (a.id, a.answer, a.meta["formula"]) == ("nluds-1", "9", "7+2=9")

    math_file = write_jsonl(
        tmp_path / "math.jsonl",
        [
            {
                "problem": "What is $2+3$?",
                "level": "Level 1",
                "type": "Prealgebra",
                "solution": "It is $\\boxed{5}$.",
            }
        ],
    )
    [mm] = load_source("math", math_file)
    assert mm.answer == "5" and mm.source == "math"
    prm = write_jsonl(
        tmp_path / "prm.jsonl",
        [
            {
                "question": {
                    "problem": "Compute $\\frac{1}{2}+\\frac{1}{2}$.",
                    "ground_truth_answer": "1",
                    "ground_truth_solution": "1",
                },
                "label": {"steps": []},
            }
        ],
    )
    [p] = load_source("prm800k", prm)
    assert p.answer == "1" and p.source == "prm800k"

    m2w = tmp_path / "train_0.json"
    m2w.write_text(
        json.dumps(
            [
                {
                    "annotation_id": "w1",
                    "website": "example",
                    "confirmed_task": "Search for red shoes",
                    "action_reprs": ["[textbox]  Search -> TYPE: red shoes", "[button]  Go -> CLICK"],
                    "actions": [
                        {"operation": {"op": "TYPE", "value": "red shoes"}},
                        {"operation": {"op": "CLICK", "value": ""}},
                    ],
                }
            ]
        )
    )
    [w] = load_source("mind2web", m2w)
    assert w.domain == "web" and len(w.meta["action_reprs"]) == 2


def test_last_boxed_handles_nested_braces():
    assert last_boxed("so $\\boxed{\\frac{1}{2}}$ and") == "\\frac{1}{2}"
    assert last_boxed("none") == ""


def test_hub_sources_need_data_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError, match="--data"):
        list(load_source("strategyqa"))


def test_errors_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="unknown source"):
        list(load_source("nope"))
    with pytest.raises(ConfigError, match="does not exist"):
        list(load_source("gsm8k", tmp_path / "missing.jsonl"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "a"}\nnot json\n')
    with pytest.raises(ConfigError, match=r"bad\.jsonl:2"):
        list(read_records(bad))


def test_every_source_is_registered_with_a_domain():
    assert {
        "gsm8k",
        "svamp",
        "gsm_symbolic",
        "fanoutqa",
        "strategyqa",
        "musique",
        "asdiv",
        "math",
        "prm800k",
        "mind2web",
    } <= set(all_sources())
    assert {s.domain for s in all_sources().values()} == {"maths", "complex_qa", "web", "scienceworld"}


def test_read_records_json_list_and_folder(tmp_path: Path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.json").write_text(json.dumps(FANOUT_ROWS[:1]))
    (tmp_path / "d" / "b.json").write_text(json.dumps({"data": FANOUT_ROWS[1:2]}))
    assert [r["id"] for r in read_records(tmp_path / "d")] == ["f1", "f2"]
