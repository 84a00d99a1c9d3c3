import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from lumos.cli.main import app

LEAH = (
    "Leah earned $28 working odd jobs. She spent a seventh of it on a milkshake and put half of the rest in "
    "savings. How much is left in her wallet?"
)


@pytest.fixture
def scripts(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps([
        "Subgoal 1: Calculate how much Leah spent on the milkshake.",
        "No, I will keep planning. Subgoal 2: Calculate what she has after the milkshake.",
        "No, I will keep planning. Subgoal 3: Calculate what is left after saving half.",
        "Yes, I will stop planning.",
    ]))
    ground = tmp_path / "ground.json"
    ground.write_text(json.dumps(["R1 = Calculator(28 * 1/7)", "R2 = Calculator(28 - R1)", "R3 = Calculator(R2 / 2)"]))
    return plan, ground


def test_run_prints_subgoals_actions_results_and_answer(scripts, tmp_path):
    plan, ground = scripts
    trace = tmp_path / "trace.jsonl"
    result = CliRunner().invoke(
        app,
        ["run", "--backend", "fake", "--plan-model", str(plan), "--ground-model", str(ground), "--trace", str(trace), LEAH],
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Subgoal 1: Calculate how much Leah spent on the milkshake." in out
    assert "R1 = Calculator(28 * 1/7)" in out and "->  4" in out
    assert "Answer: 12" in out
    saved = json.loads(trace.read_text().splitlines()[0])
    assert saved["answer"] == "12" and len(saved["steps"]) == 4


def test_run_json_output(scripts):
    plan, ground = scripts
    result = CliRunner().invoke(
        app, ["run", "--backend", "fake", "--plan-model", str(plan), "--ground-model", str(ground), "--json", LEAH]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["answer"] == "12"


def test_bad_options_give_one_clear_line():
    proc = subprocess.run(
        [sys.executable, "-m", "lumos.cli.main", "run", "--backend", "nope", "x"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "unknown model backend 'nope'" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "lumos.cli.main", "run", "--backend", "fake", "--model", "missing.json", "x"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2 and "missing.json does not exist" in proc.stderr


def test_import_lumos_stays_light():
    code = "import lumos, lumos.cli.main, lumos.models.registry, sys; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_the_task_may_be_given_as_an_option_but_not_twice(scripts):
    plan, ground = scripts
    models = ["--backend", "fake", "--plan-model", str(plan), "--ground-model", str(ground), "--json"]
    result = CliRunner().invoke(app, ["run", *models, "--task", LEAH])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["answer"] == "12"
    result = CliRunner().invoke(app, ["run", *models, "--task", LEAH, "another task"])
    assert result.exit_code != 0 and "two tasks given" in str(result.exception or result.output)


def test_variation_goes_to_the_environment_as_an_env_option(monkeypatch):
    import contextlib

    from lumos.domain import Domain
    from lumos.env import Episode

    seen = {}

    @contextlib.contextmanager
    def open_env(task, options):
        seen.update(options, task=task)
        yield Episode("What is 2 + 3?", None)

    monkeypatch.setattr(Domain, "load", lambda self, what: open_env if what == "environment" else None)
    CliRunner().invoke(app, ["run", "--backend", "fake", "--model", "missing.json", "--task", "boil", "--variation", "3"])
    assert seen["task"] == "boil" and seen["variation"] == 3
