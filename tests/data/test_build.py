import json
from pathlib import Path

import pytest

from lumos.data.build import DEFAULT_MODULES, build, clean_rationale, normalize_question, parse_weights
from lumos.data.show import show
from lumos.data.stats import collect
from lumos.errors import ConfigError
from lumos.format.parse import parse_actions, parse_decision, parse_plan
from lumos.format.types import Annotation

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _maths(i: int, task: str | None = None) -> Annotation:
    return Annotation(
        task=task or f"A shop has {i} boxes with 6 apples each. It sells 5 apples. How many apples are left?",
        answer=str(i * 6 - 5),
        subgoals=["Calculate how many apples there are.", "Calculate how many are left."],
        actions=[f"R1 = Calculator({i} * 6)", "R2 = Calculator(R1 - 5)"],
        results=[str(i * 6), str(i * 6 - 5)],
        rationale=f"There are {i}*6=<<{i}*6={i * 6}>>{i * 6} apples.\nSo {i * 6 - 5} are left.",
        domain="maths",
        source="shop",
        id=f"shop-{i}",
    )


def _qa(i: int) -> Annotation:
    return Annotation(
        task=f"Who founded the company number {i}?",
        answer="Ida Roe",
        domain="complex_qa",
        source="qa",
        id=f"qa-{i}",
        subgoals=[f"Find out: Which company is number {i}?", "Find out: Who founded it?"],
        actions=[
            f"R1 = KnowledgeQuery(Company {i}); R2 = ParagraphRetrieve(R1, Query: Which company?); "
            "R3 = QA([R2], Question: Which company?)",
            "R4 = KnowledgeQuery(R3); R5 = ParagraphRetrieve(R4, Query: Who founded it?); "
            "R6 = QA([R5], Question: Who founded it?)",
        ],
        results=["Brightware", "Ida Roe"],
        rationale="Brightware. Founded by Ida Roe.",
    )


def _write(folder: Path, anns: list[Annotation]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "annotations.jsonl").write_text("".join(a.model_dump_json() + "\n" for a in anns))
    return folder


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    root = tmp_path / "annotations"
    _write(root / "shop", [_maths(i) for i in range(2, 42)])
    _write(root / "qa", [_qa(i) for i in range(20)])
    return root


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_assistant_turn_parses_back(runs, tmp_path):
    out = tmp_path / "data"
    report = build([runs], out, heldout=0.1, seed=1)
    assert report.read == 60 and not report.invalid
    for split in ("train", "heldout"):
        for module in DEFAULT_MODULES:
            rows = _lines(out / split / f"{module}.jsonl")
            assert rows, (split, module)
            for row in rows:
                assert set(row) == {"messages"}
                said = [m["content"] for m in row["messages"] if m["role"] == "assistant"]
                assert row["messages"][-1]["role"] == "assistant"
                if module == "plan_iterative":
                    assert parse_plan(said[0])
                    assert all(not parse_decision(t).stop for t in said[1:-1])
                    assert parse_decision(said[-1]).stop
                elif module == "plan_onetime":
                    assert len(parse_plan(said[0])) == 2
                elif module.startswith("ground"):
                    assert all(parse_actions(t) for t in said)
                elif module == "integrated":
                    lines = said[0].split("\n")
                    assert parse_plan(lines[0]) and parse_actions(lines[1])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["heldout_fraction"] == 0.1 and manifest["train"] == {"qa": 18, "shop": 36}


def test_heldout_split_is_seeded_and_disjoint(runs, tmp_path):
    build([runs], tmp_path / "a", heldout=0.25, seed=7)
    build([runs], tmp_path / "b", heldout=0.25, seed=7)
    held = {a["id"] for a in _lines(tmp_path / "a" / "heldout" / "annotations.jsonl")}
    train = {a["id"] for a in _lines(tmp_path / "a" / "train" / "annotations.jsonl")}
    assert len(held) == 15 and not held & train and len(held | train) == 60
    assert held == {a["id"] for a in _lines(tmp_path / "b" / "heldout" / "annotations.jsonl")}
    assert (tmp_path / "a" / "train" / "cot.jsonl").read_text() == (
        tmp_path / "b" / "train" / "cot.jsonl"
    ).read_text()


def test_dedup_by_normalised_task(tmp_path):
    root = tmp_path / "runs"
    _write(root / "one", [_maths(3), _maths(4)])
    copy = _maths(
        3, task="  a SHOP has 3 boxes, with 6 apples each! It sells 5 apples. How many apples are left"
    )
    copy.source, copy.id = "other", "other-3"
    _write(root / "two", [copy])
    report = build([root], tmp_path / "out", heldout=0)
    assert dict(report.duplicates) == {"other": 1}
    assert len(_lines(tmp_path / "out" / "train" / "direct.jsonl")) == 2


def test_no_overlap_with_excluded_eval_questions(runs, tmp_path):
    eval_file = tmp_path / "eval.jsonl"
    eval_file.write_text(
        json.dumps({"question": _maths(5).task.upper(), "answer": "25"})
        + "\n"
        + json.dumps({"Body": "Unrelated body.", "Question": "What?", "Answer": 1})
        + "\n"
    )
    report = build([runs], tmp_path / "out", exclude=[eval_file], heldout=0.1)
    assert dict(report.excluded) == {"shop": 1}
    every = [
        m["content"]
        for split in ("train", "heldout")
        for row in _lines(tmp_path / "out" / split / "direct.jsonl")
        for m in row["messages"]
    ]
    assert not any("has 5 boxes" in text for text in every)


def test_no_overlap_with_shared_eval_samples(tmp_path):
    gsm8k = SHARED / "gsm8k_test_sample.jsonl"
    if not gsm8k.is_file():
        pytest.skip("no shared eval samples")
    first = json.loads(gsm8k.read_text().splitlines()[0])
    root = _write(tmp_path / "runs" / "leak", [_maths(3, task=first["question"]), _maths(4)])
    report = build([root], tmp_path / "out", exclude=[gsm8k, SHARED / "svamp_sample.jsonl"], heldout=0)
    assert sum(report.excluded.values()) == 1


def test_exclude_a_generated_benchmark_by_name(tmp_path):
    pytest.importorskip("reasoning_gym")
    from lumos.eval.benchmarks import get_benchmark, load_examples

    question = load_examples(get_benchmark("gsm_symbolic"), limit=1)[0].question
    root = _write(tmp_path / "runs" / "gen", [_maths(3, task=question), _maths(4)])
    report = build([root], tmp_path / "out", exclude=["gsm_symbolic"], heldout=0)
    assert sum(report.excluded.values()) == 1
    with pytest.raises(ConfigError, match="no such file"):
        build([root], tmp_path / "out", exclude=["no_such_benchmark"], heldout=0)


def test_weights_sample_sources(runs, tmp_path):
    report = build([runs], tmp_path / "out", heldout=0, weights=parse_weights(["shop=2", "qa=0.5"]), seed=3)
    assert report.weighted["shop"] == 80
    assert 3 <= report.weighted["qa"] <= 17
    assert len(_lines(tmp_path / "out" / "train" / "plan_onetime.jsonl")) == 80 + report.weighted["qa"]
    with pytest.raises(ConfigError):
        parse_weights(["shop"])


def test_modules_that_need_missing_fields_are_skipped(tmp_path):
    bare = _maths(3)
    bare.results, bare.rationale = [], ""
    report = build([_write(tmp_path / "r", [bare])], tmp_path / "out", heldout=0)
    assert report.files["train/plan_iterative.jsonl"] == 0 and report.files["train/cot.jsonl"] == 0
    assert report.files["train/plan_onetime.jsonl"] == 1


def test_helpers():
    assert (
        normalize_question("How many?  Give the result as your final answer. Do not include units.")
        == "how many"
    )
    assert clean_rationale("a 2*3=<<2*3=6>>6\nb") == "a 2*3=6. b."
    with pytest.raises(ConfigError):
        build([Path("/nonexistent/folder")], "/tmp/never")


def test_stats_and_show(runs, tmp_path, capsys):
    (runs / "shop" / "rejected.jsonl").write_text(
        json.dumps({"id": "x", "source": "shop", "reason": "wrong_answer", "message": "m"}) + "\n"
    )
    stats = {s.source: s for s in collect(runs)}
    assert (
        stats["shop"].kept == 40
        and stats["shop"].dropped == 1
        and stats["shop"].reasons == {"wrong_answer": 1}
    )
    assert stats["shop"].kept_fraction == pytest.approx(40 / 41)
    build([runs], tmp_path / "out", heldout=0)
    assert show(tmp_path / "out" / "train" / "plan_iterative.jsonl", n=2) == 2
    assert "Yes, I will stop planning." in capsys.readouterr().out
