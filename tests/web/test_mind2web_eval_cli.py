"""`lumos eval mind2web` on the fake backend: the demo set by default, a file in the released format with
--data, one prediction line per step, metrics, resuming."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from m2w_records import flight_record, pruned_record
from typer.testing import CliRunner

from lumos.cli.main import app
from lumos.domains.mind2web.metrics import METRICS
from lumos.domains.mind2web.tasks import load_tasks


def script(path: Path, default: str) -> str:
    path.write_text(json.dumps({"responses": [], "default": default}))
    return str(path)


def run_eval(tmp_path: Path, *extra: str) -> object:
    plan = script(
        tmp_path / "plan.json", "No, I will keep planning. Subgoal 1: Type Boston in the From field."
    )
    ground = script(tmp_path / "ground.json", "R1 = TYPE(Env, QUERY: the From textbox, TEXT: Boston)")
    args = ["eval", "mind2web", "--backend", "fake", "--plan-model", plan, "--ground-model", ground]
    args += ["--model", ground, "--ranker", "lexical", "--no-progress", *extra]
    return CliRunner().invoke(app, args)


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_three_methods_on_a_released_format_file(tmp_path):
    data = tmp_path / "test.json"
    data.write_text(json.dumps([flight_record(), pruned_record()]))
    out = tmp_path / "runs"
    result = run_eval(
        tmp_path, "--data", str(data), "--method", "lumos-iterative,lumos-onetime,direct", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    for method in ("lumos-iterative", "lumos-onetime", "direct"):
        run = out / f"mind2web-{method}"
        metrics = json.loads((run / "metrics.json").read_text())
        records = lines(run / "predictions.jsonl")
        assert metrics["n"] == 5 and metrics["n_tasks"] == 2 and len(records) == 5
        assert set(METRICS) <= set(metrics) and metrics["unanswerable_steps"] == 1
        first = records[0]
        assert (first["annotation_id"], first["action_uid"]) == ("flight-1", "a1")
        # every step gets the scripted TYPE Boston on the From box: right only on the first step
        assert (first["pred_element"], first["pred_op"], first["pred_value"]) == ("10", "TYPE", "Boston")
        assert first["scores"]["step_success_rate"] == 1.0
        assert first["candidates"][0]["ref"] == "10" and first["trace"]["steps"][0]["actions"]
        assert first["gold"] == {
            "op": "TYPE",
            "value": "Boston",
            "elements": ["10"],
            "repr": flight_record()["action_reprs"][0],
        }
    iterative = json.loads((out / "mind2web-lumos-iterative" / "metrics.json").read_text())
    assert iterative["step_success_rate"] == pytest.approx(1 / 5)
    assert iterative["task_success_rate"] == 0.0
    # step 2 of the flight: the planner saw the gold first subgoal as done
    second = lines(out / "mind2web-lumos-iterative" / "predictions.jsonl")[1]
    plan_prompt = second["trace"]["steps"][0]["calls"][0]
    assert second["subgoal"] == "Type Boston in the From field." and plan_prompt["module"] == "plan"
    onetime = lines(out / "mind2web-lumos-onetime" / "predictions.jsonl")
    assert [r["error_kind"] for r in onetime] == [None, "no_action", "no_action", None, "no_action"]


def test_demo_set_by_default_and_resume(tmp_path):
    out = tmp_path / "m2w"
    result = run_eval(tmp_path, "--method", "lumos-iterative", "--out", str(out))
    assert result.exit_code == 0, result.output
    n_steps = sum(len(t.steps) for t in load_tasks())
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == n_steps and "demo set" in metrics["data"] and metrics["steps_this_run"] == n_steps
    again = run_eval(tmp_path, "--method", "lumos-iterative", "--out", str(out))
    assert again.exit_code == 0, again.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps_this_run"] == 0 and metrics["n"] == n_steps
    assert len((out / "predictions.jsonl").read_text().splitlines()) == n_steps


def test_methods_mind2web_does_not_have(tmp_path):
    result = run_eval(tmp_path, "--method", "cot", "--out", str(tmp_path / "x"))
    assert result.exit_code != 0 and "lumos-iterative, lumos-onetime, direct" in str(result.exception)


def test_env_options_reach_the_runner_as_the_named_flags_do(tmp_path):
    plan = script(tmp_path / "plan.json", "No, I will keep planning. Subgoal 1: Type Boston in the From field.")
    ground = script(tmp_path / "ground.json", "R1 = TYPE(Env, QUERY: the From textbox, TEXT: Boston)")
    base = ["eval", "mind2web", "--backend", "fake", "--plan-model", plan, "--ground-model", ground, "--model", ground]
    base += ["--method", "lumos-iterative", "--no-progress", "--limit", "2"]
    by_flag = CliRunner().invoke(app, [*base, "--ranker", "lexical", "--out", str(tmp_path / "a")])
    by_env = CliRunner().invoke(app, [*base, "--env", "ranker=lexical", "--out", str(tmp_path / "b")])
    assert by_flag.exit_code == 0 and by_env.exit_code == 0, by_env.output
    config_a = json.loads((tmp_path / "a" / "config.json").read_text())
    config_b = json.loads((tmp_path / "b" / "config.json").read_text())
    assert config_a["ranker"] == config_b["ranker"] == "lexical"
    bad = CliRunner().invoke(app, [*base, "--env", "ranker", "--out", str(tmp_path / "c")])
    assert bad.exit_code != 0 and "KEY=VALUE" in str(bad.exception)
