"""`lumos data build --domain web`: the Mind2Web demo set annotated teacher-free and turned into planner and
grounder conversations of both formulations, with no page HTML in the planner's history."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from lumos.cli.main import app
from lumos.domains.mind2web.tasks import load_tasks


def test_data_build_web_from_the_demo_set(tmp_path, monkeypatch):
    monkeypatch.setattr("lumos.domains.mind2web.annotate.DEFAULT_RANKER", "lexical")
    # the MiniWoB++ demonstrations that join these are tested in tests/web/miniwob
    monkeypatch.setattr("lumos.domains.miniwob.solver.miniwob_demo_inputs", lambda out: [])
    out = tmp_path / "web"
    result = CliRunner().invoke(
        app, ["data", "build", "--domain", "web", "--out", str(out), "--heldout", "0"]
    )
    assert result.exit_code == 0, result.output
    rejected = [
        json.loads(x)
        for x in (out / "annotations" / "mind2web-demo" / "rejected.jsonl").read_text().splitlines()
    ]
    assert [r["reason"] for r in rejected] == ["no_positive"]  # the demo step whose target was pruned
    kept = len(load_tasks()) - 1
    files = {p.name: p.read_text().splitlines() for p in (out / "train").glob("*.jsonl")}
    assert set(files) == {
        "plan_iterative.jsonl", "plan_onetime.jsonl", "ground_iterative.jsonl", "ground_onetime.jsonl",
        "annotations.jsonl",
    }  # fmt: skip
    assert all(len(lines) == kept for lines in files.values())
    plan = [json.loads(x)["messages"] for x in files["plan_iterative.jsonl"]]
    for messages in plan:
        said = " ".join(m["content"] for m in messages)
        assert "<" not in said and "backend_node_id" not in said  # no HTML in the planner's history
        assert messages[-1]["content"] == "Yes, I will stop planning."
    ground = json.loads(files["ground_iterative.jsonl"][0])["messages"]
    assert "QUERY:" in ground[1]["content"] and ground[1]["content"].startswith("R1 = ")
