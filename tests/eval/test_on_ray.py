"""`lumos eval --ray`: the same run directory as a local run, and nothing lost or doubled when a worker dies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lumos.agent.agent import AgentConfig
from lumos.cli.main import app
from lumos.cli.options import ModelSetup
from lumos.cli.remote import EvalMethodRecipe
from lumos.eval.benchmarks import get_benchmark, load_examples
from lumos.eval.protocol import EvalProtocol
from lumos.eval.runner import run_evaluation
from lumos.prompts.prompt_styles import PromptStyle
from lumos.scale.cluster import RayPlan

TIMING = ("seconds", "stages", "examples_per_second", "outside_model_share")


def without_timings(value: Any) -> Any:
    """``value`` without its timing fields (every key naming seconds, and the speeds)."""
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if not any(t in k for t in TIMING)}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def predictions(run: Path) -> dict[str, Any]:
    records = [json.loads(line) for line in (run / "predictions.jsonl").read_text().splitlines()]
    by_id = {r["id"]: without_timings(r) for r in records}
    assert len(by_id) == len(records), "an example was written twice"
    return by_id


def metrics(run: Path) -> dict[str, Any]:
    found = json.loads((run / "metrics.json").read_text())
    return without_timings({k: v for k, v in found.items() if k not in ("examples_this_run", "resumed_from")})


@pytest.fixture
def fake_gsm8k(tmp_path: Path) -> dict[str, Path]:
    """Ten questions (two answered right by the scripted modules) and the planner's and grounder's scripts."""
    rows = [{"question": f"What is {k} + {k}?", "answer": f"<<{k}+{k}={2 * k}>>\n#### {2 * k}"} for k in range(10)]
    data = tmp_path / "items.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    plan, ground = tmp_path / "plan.json", tmp_path / "ground.json"
    plan.write_text(json.dumps({"default": "Subgoal 1: Add the numbers."}))
    ground.write_text(json.dumps({"default": "R1 = Calculator(2 + 2)"}))
    return {"data": data, "plan": plan, "ground": ground}


@pytest.mark.slow
def test_eval_on_ray_writes_the_local_runs_predictions_and_metrics(ray_local, fake_gsm8k, tmp_path):
    base = ["eval", "gsm8k", "--data", str(fake_gsm8k["data"]), "--backend", "fake", "--no-progress"]
    base += ["--plan-model", str(fake_gsm8k["plan"]), "--ground-model", str(fake_gsm8k["ground"])]
    base += ["--max-rounds", "2", "--batch-size", "3"]
    local = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "local")])
    assert local.exit_code == 0, local.output
    on_ray = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "ray"), "--ray", "local", "--ray-workers", "2"])
    assert on_ray.exit_code == 0, on_ray.output
    assert "on Ray: 2 workers" in on_ray.output
    assert predictions(tmp_path / "ray") == predictions(tmp_path / "local")
    assert metrics(tmp_path / "ray") == metrics(tmp_path / "local")
    assert metrics(tmp_path / "ray")["accuracy"] == pytest.approx(0.1)  # 2 + 2 is right once in ten

    # a Ray run's directory resumes locally (and the other way): where it ran is not the run's identity
    resumed = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "ray")])
    assert resumed.exit_code == 0, resumed.output
    assert json.loads((tmp_path / "ray" / "metrics.json").read_text())["examples_this_run"] == 0
    shown = CliRunner().invoke(app, ["report", str(tmp_path / "ray"), "--out", str(tmp_path / "t.md"), "--no-chart"])
    assert shown.exit_code == 0, shown.output


@pytest.mark.slow
def test_a_worker_dying_mid_batch_loses_and_doubles_nothing(ray_local, fake_gsm8k, tmp_path):
    from lumos.eval.on_ray import RayExecutor
    from lumos.testing.worker_faults import DieOnce

    bench = get_benchmark("gsm8k")
    examples = load_examples(bench, fake_gsm8k["data"])
    setup = ModelSetup("fake", str(fake_gsm8k["plan"]), str(fake_gsm8k["ground"]), None, None, None, False)
    recipe = EvalMethodRecipe("lumos-iterative", setup, AgentConfig(max_rounds=2), PromptStyle(), EvalProtocol())
    config = {"benchmark": "gsm8k", "method": "lumos-iterative", "model_label": "fake"}
    run_evaluation(bench, examples, recipe(), tmp_path / "local", config, batch_size=4, progress=False)

    marker = tmp_path / "died"
    dying = DieOnce(recipe, examples[5].id, marker)  # the second example of the second batch of 4
    executor = RayExecutor(dying, bench, RayPlan(workers=2), EvalProtocol())
    run_evaluation(bench, examples, None, tmp_path / "ray", config, batch_size=4, progress=False, executor=executor)
    assert marker.exists()  # a worker did die, after finishing part of its batch
    assert executor.report.retried == 1
    assert predictions(tmp_path / "ray") == predictions(tmp_path / "local")
    assert metrics(tmp_path / "ray") == metrics(tmp_path / "local")


@pytest.mark.slow
def test_an_error_in_a_worker_reaches_the_command_as_itself(ray_local, fake_gsm8k, tmp_path):
    args = ["eval", "gsm8k", "--data", str(fake_gsm8k["data"]), "--backend", "fake", "--no-progress"]
    args += ["--model", str(tmp_path / "missing.json"), "--ray", "local", "--out", str(tmp_path / "r")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0
    assert "missing.json" in str(result.exception) and "RayTaskError" not in type(result.exception).__name__


def test_ray_alone_means_a_local_instance_and_a_benchmark_with_its_own_runner_is_refused(tmp_path):
    from lumos.cli.common import optional_value

    assert optional_value(["eval", "x", "--ray"], "--ray", "local") == ["eval", "x", "--ray", "local"]
    assert optional_value(["--ray", "--limit", "2"], "--ray", "local") == ["--ray", "local", "--limit", "2"]
    assert optional_value(["--ray", "auto"], "--ray", "local") == ["--ray", "auto"]
    result = CliRunner().invoke(app, ["eval", "mind2web", "--ray", "local", "--out", str(tmp_path / "r")])
    assert result.exit_code != 0 and "--ray" in str(result.exception)


def test_without_ray_the_error_names_the_install_command(monkeypatch):
    import sys

    from lumos.errors import MissingDependencyError
    from lumos.scale.cluster import import_ray

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'lumos-agents\[ray\]'"):
        import_ray()
