"""The ScienceWorld commands against the real simulator: ``lumos env scienceworld`` played by hand, ``lumos
run --domain scienceworld --task boil --variation 3`` with scripted fake modules, and ``lumos eval
scienceworld`` killed with SIGKILL and resumed with nothing lost or doubled and no JVM left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lumos.cli.main import app

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("needs_scienceworld")]

SRC = str(Path(__file__).resolve().parents[3] / "src")


def java_children(pid: int) -> list[int]:
    """JVMs whose command line names the scienceworld jar and whose parent was ``pid`` (or is gone)."""
    out = subprocess.run(["ps", "-eo", "pid,ppid,args"], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines()[1:]
            if "scienceworld.jar" in line and line.split()[1] in (str(pid), "1")]


def test_env_plays_by_hand_one_json_line_per_action() -> None:
    result = CliRunner().invoke(app, ["env", "scienceworld", "--task", "boil", "--variation", "0",
                                      "open door to kitchen", "go to kitchen", "pick up thermomter"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines() if x.startswith('{"action"')]
    assert [x["action"] for x in lines] == ["open door to kitchen", "go to kitchen", "pick up thermometer"]
    assert all({"observation", "score", "reward", "done"} <= set(x) for x in lines)
    assert lines[1]["observation"] == "You move to the kitchen." and lines[2]["snapped_from"] == "pick up thermomter"


def test_run_plays_one_episode_with_fake_modules(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(["Subgoal 1: Go to the kitchen.", "Yes, I will stop planning."]))
    ground = tmp_path / "ground.json"
    ground.write_text(json.dumps(['R1 = Act(Env, "open door to kitchen"); R2 = Act(R1, "go to kitchen")']))
    result = CliRunner().invoke(app, ["run", "--domain", "scienceworld", "--task", "boil", "--variation", "3",
                                      "--backend", "fake", "--plan-model", str(plan), "--ground-model", str(ground),
                                      "--json"])
    assert result.exit_code == 0, result.output
    traj = json.loads(result.stdout.strip().splitlines()[-1])
    assert traj["meta"]["task"] == "boil" and traj["meta"]["variation"] == 3 and "score" in traj["meta"]
    assert traj["steps"][0]["results"][-1]["outputs"]["R2"] == "You move to the kitchen."


def test_eval_killed_with_sigkill_resumes_without_losing_or_doubling(tmp_path: Path) -> None:
    script = tmp_path / "flat.json"
    script.write_text(json.dumps({"default": 'R1 = Act(Env, "look around")'}))
    out = tmp_path / "run"
    command = [sys.executable, "-m", "lumos.cli.main", "eval", "scienceworld", "--method", "direct-iterative",
               "--backend", "fake", "--model", str(script), "--tasks", "find-animal,find-plant,find-living-thing",
               "--episodes", "2", "--batch-size", "1", "--out", str(out), "--no-progress"]
    env = {**os.environ, "PYTHONPATH": SRC, "LUMOS_SCIENCEWORLD_SIMULATORS": "1"}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    predictions = out / "predictions.jsonl"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and (not predictions.exists() or len(predictions.read_text().splitlines()) < 2):
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = len(predictions.read_text().splitlines())
    assert 2 <= before < 6
    time.sleep(3)  # the JVM sees its pipe break and exits
    assert java_children(proc.pid) == []
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    ids = [json.loads(x)["id"] for x in predictions.read_text().splitlines()]
    assert len(ids) == len(set(ids)) == 6
    assert json.loads((out / "metrics.json").read_text())["n"] == 6


def test_run_defaults_to_the_shipped_flat_model() -> None:
    from lumos.cli.options import choose_agent, resolve_flat_model
    from lumos.domain import get_domain

    shipped = get_domain("scienceworld").shipped_flat_adapter()
    assert shipped is not None and Path(shipped, "adapter_model.safetensors").is_file()
    assert choose_agent(None, "scienceworld", adapter_named=False, lumos_named=[]) == "flat"
    setup = resolve_flat_model("llamacpp", None, None, None, domain="scienceworld")
    assert setup.ground_adapter == shipped and not setup.untrained
    # Lumos modules asked for by name still run Lumos
    assert choose_agent(None, "scienceworld", adapter_named=False, lumos_named=["--formulation"]) == "lumos"
