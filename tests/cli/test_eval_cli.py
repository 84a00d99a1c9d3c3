"""`lumos eval` from the command line, on the fake backend and the shared benchmark samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lumos.cli.main import app

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "gsm8k_test_sample.jsonl"


@pytest.mark.skipif(not SAMPLE.exists(), reason="the shared GSM8K sample is not on this machine")
def test_several_methods_write_one_run_each_and_resume(tmp_path: Path) -> None:
    script = tmp_path / "model.json"
    script.write_text(json.dumps({"responses": [], "default": "Subgoal 1: Add. The answer is 18."}))
    args = [
        "eval",
        "gsm8k",
        "--data",
        str(SAMPLE),
        "--limit",
        "3",
        "--backend",
        "fake",
        "--model",
        str(script),
    ]
    args += [
        "--method",
        "direct,lumos-iterative",
        "--max-rounds",
        "2",
        "--no-progress",
        "--out",
        str(tmp_path / "r"),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    for method in ("direct", "lumos-iterative"):
        run = tmp_path / "r" / f"gsm8k-{method}"
        metrics = json.loads((run / "metrics.json").read_text())
        assert metrics["n"] == 3 and metrics["method"] == method
        assert len((run / "predictions.jsonl").read_text().splitlines()) == 3
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    metrics = json.loads((tmp_path / "r" / "gsm8k-direct" / "metrics.json").read_text())
    assert metrics["examples_this_run"] == 0 and metrics["examples_per_second"] is not None


@pytest.mark.skipif(not SAMPLE.exists(), reason="the shared GSM8K sample is not on this machine")
def test_tasks_that_repeat_themselves_are_stopped_and_counted(tmp_path: Path) -> None:
    plan, ground = tmp_path / "plan.json", tmp_path / "ground.json"
    plan.write_text(json.dumps({"responses": [], "default": "Subgoal 1: Look at the numbers."}))
    ground.write_text(json.dumps({"responses": [], "default": "R1 = Calculator(2 + 2)"}))
    base = ["eval", "gsm8k", "--data", str(SAMPLE), "--limit", "3", "--backend", "fake"]
    base += ["--plan-model", str(plan), "--ground-model", str(ground), "--max-rounds", "6", "--no-progress"]
    result = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "lumos")])
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "lumos" / "metrics.json").read_text())
    assert metrics["stop_reasons"] == {"no_progress": 3}
    stages = metrics["stages"]  # where the time went, over the three tasks
    assert {"plan", "ground", "tool:Calculator", "wait"} <= set(stages)
    assert sum(s["share"] for s in stages.values()) == pytest.approx(1.0, abs=1e-3)
    assert 0 < metrics["task_seconds"]["p50"] <= metrics["task_seconds"]["p95"] <= metrics["task_seconds"]["max"]
    paper = CliRunner().invoke(app, [*base, "--protocol", "paper", "--out", str(tmp_path / "paper")])
    assert paper.exit_code == 0, paper.output
    metrics = json.loads((tmp_path / "paper" / "metrics.json").read_text())
    assert metrics["stop_reasons"] == {"round_limit": 3}  # the paper's code has no such stop
    table = tmp_path / "report.md"
    report = CliRunner().invoke(app, ["report", str(tmp_path / "lumos"), "--out", str(table), "--no-chart"])
    assert report.exit_code == 0, report.output
    assert "no_progress 3" in table.read_text()
    assert "| plan | ground | tools | largest tool | wait |" in table.read_text()
    from lumos.view import build_view

    page = build_view([tmp_path / "lumos"], tmp_path / "view.html").read_text()
    assert "tool:Calculator" in page and "time by stage" in page


def _rows(n: int, start: int = 1) -> str:
    return "".join(
        json.dumps({"question": f"What is {k} + {k}?", "answer": f"<<{k}+{k}={2 * k}>>\n#### {2 * k}"}) + "\n"
        for k in range(start, start + n)
    )


def test_resuming_with_another_setting_or_changed_data_never_mixes_runs(tmp_path: Path) -> None:
    data = tmp_path / "items.jsonl"
    data.write_text(_rows(4))
    script = tmp_path / "model.json"
    script.write_text(json.dumps({"responses": [], "default": "Subgoal 1: Add. The answer is 4."}))
    base = ["eval", "gsm8k", "--data", str(data), "--backend", "fake", "--model", str(script), "--no-progress"]
    base += ["--method", "lumos-iterative", "--out", str(tmp_path / "run")]
    first = CliRunner().invoke(app, [*base, "--max-rounds", "2", "--limit", "2"])
    assert first.exit_code == 0, first.output

    # settings that change results are the run's identity: each difference is named, nothing is written
    changed = CliRunner().invoke(app, [*base, "--max-rounds", "3", "--examples", "1"])
    assert changed.exit_code != 0
    message = str(changed.exception)
    assert "agent.max_rounds was 2, now 3" in message and "agent.n_examples" in message
    assert len((tmp_path / "run" / "predictions.jsonl").read_text().splitlines()) == 2

    # more examples and another batch size resume the same run
    more = CliRunner().invoke(app, [*base, "--max-rounds", "2", "--batch-size", "1"])
    assert more.exit_code == 0, more.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["n"] == 4 and metrics["examples_this_run"] == 2

    # a line inserted at the top of the same file: row positions now hold other questions
    data.write_text(_rows(1, start=9) + _rows(4))
    shifted = CliRunner().invoke(app, [*base, "--max-rounds", "2"])
    assert shifted.exit_code != 0
    assert "now holds another question" in str(shifted.exception)
    records = [json.loads(line) for line in (tmp_path / "run" / "predictions.jsonl").read_text().splitlines()]
    assert [r["question"] for r in records] == [f"What is {k} + {k}?" for k in range(1, 5)]
