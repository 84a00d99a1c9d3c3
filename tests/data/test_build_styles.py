"""`lumos data build --style reference` writes the released Lumos format; `--domain` picks one domain or
all of them (one planner and one grounder for every domain, as Lumos-unified)."""

from __future__ import annotations

import json
from pathlib import Path

from test_build import _maths, _qa, _write  # the annotation fixtures of the data-build tests
from typer.testing import CliRunner

from lumos.cli.main import app
from lumos.format.parse import parse_plan


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _build(tmp_path: Path, *args: str) -> Path:
    root = tmp_path / "annotations"
    _write(root / "shop", [_maths(i) for i in range(2, 8)])
    _write(root / "qa", [_qa(i) for i in range(4)])
    out = tmp_path / "built"
    result = CliRunner().invoke(app, ["data", "build", str(root), "--out", str(out), "--heldout", "0", *args])
    assert result.exit_code == 0, result.output
    return out


def test_reference_style_writes_released_rows(tmp_path: Path) -> None:
    out = _build(tmp_path, "--style", "reference", "--module", "plan_iterative", "--module", "ground_iterative")
    plans = _rows(out / "train" / "plan_iterative.jsonl")
    assert {tuple(sorted(r)) for r in plans} == {("dataset", "id", "messages")}
    assert {r["dataset"] for r in plans} == {"shop", "qa"}
    shop = next(r for r in plans if r["id"] == "shop-2")
    assert [m["content"] for m in shop["messages"]] == [
        "Please provide a reasonable subgoal-based plan to solve the given task.\n"
        "Task: A shop has 2 boxes with 6 apples each. It sells 5 apples. How many apples are left?; "
        "Initial Environment Description: None.",
        "Subgoal 1: Calculate how many apples there are.",
        "The executed result for Subgoal 1 is 12. Should we stop planning?",
        "No, I will keep planning. Subgoal 2: Calculate how many are left.",
        "The executed result for Subgoal 2 is 7. Should we stop planning?",
        "Yes, I will stop planning.",
    ]
    grounds = {r["id"]: r for r in _rows(out / "train" / "ground_iterative.jsonl")}
    second_turn = grounds["qa-1"]["messages"][2]["content"]
    assert second_turn == (
        "Subgoal to be grounded: Subgoal 2: Find out: Who founded it? The grounding could be based on the "
        "following results: The execution result for Subgoal 1 is Brightware"
    )
    assert json.loads((out / "manifest.json").read_text())["style"] == "reference"


def test_own_style_rows_stay_messages_only(tmp_path: Path) -> None:
    out = _build(tmp_path, "--module", "plan_onetime")
    rows = _rows(out / "train" / "plan_onetime.jsonl")
    assert {tuple(r) for r in rows} == {("messages",)}
    assert not rows[0]["messages"][0]["content"].startswith("Please provide")


def test_domain_keeps_one_domain_and_all_keeps_every_domain(tmp_path: Path) -> None:
    maths_only = _build(tmp_path / "m", "--domain", "maths", "--module", "plan_onetime")
    tasks = [r["messages"][0]["content"] for r in _rows(maths_only / "train" / "plan_onetime.jsonl")]
    assert len(tasks) == 6 and all("apples" in t for t in tasks)
    assert json.loads((maths_only / "manifest.json").read_text())["other_domain"] == {"complex_qa": 4}
    unified = _build(tmp_path / "a", "--domain", "all", "--module", "plan_onetime")
    plans = [r["messages"][1]["content"] for r in _rows(unified / "train" / "plan_onetime.jsonl")]
    assert len(plans) == 10 and all(parse_plan(p) for p in plans)


def test_unknown_domain_is_a_clear_error(tmp_path: Path) -> None:
    root = _write(tmp_path / "a" / "shop", [_maths(2)])
    result = CliRunner().invoke(app, ["data", "build", str(root), "--out", str(tmp_path / "o"), "--domain", "x"])
    assert result.exit_code != 0 and "unknown domain" in str(result.exception)
