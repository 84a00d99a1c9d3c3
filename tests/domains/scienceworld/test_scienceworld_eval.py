"""``lumos eval scienceworld`` on the fake simulator with scripted fake modules: Lumos-I, Lumos-O and the flat
baseline play live episodes; the run is resumed, batched, and a crashed simulator fails only its episode."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from lumos.agent.agent import AgentConfig
from lumos.domains.scienceworld.annotate import grounded, subgoals_of
from lumos.domains.scienceworld.evaluate import episode_specs, run_scienceworld, summarize
from lumos.domains.scienceworld.fake import GOLD, FakeSimulator
from lumos.domains.scienceworld.tasks import UNSEEN
from lumos.eval.benchmarks import get_benchmark
from lumos.eval.custom import MethodRun
from lumos.models.base import Conversation
from lumos.models.fake import FakeModel

PLAN = subgoals_of(list(GOLD))
LINES = grounded(PLAN)
STOP = "Yes, I will stop planning."


def plan_iterative(conv: Conversation) -> str:
    done = sum(m["role"] == "assistant" for m in conv)
    if done >= len(PLAN):
        return STOP
    said = f"Subgoal {done + 1}: {PLAN[done][0]}"
    return said if done == 0 else f"No, I will keep planning. {said}"


def ground_iterative(conv: Conversation) -> str:
    return LINES[sum(m["role"] == "assistant" for m in conv)]


def flat(conv: Conversation) -> str:
    k = sum(m["role"] == "assistant" for m in conv)
    return f'R{k + 1} = Act({"Env" if k == 0 else f"R{k}"}, "{GOLD[k]}")'


def method_run(method: str, out: Path, planner: FakeModel, grounder: FakeModel, **options: Any) -> MethodRun:
    return MethodRun(
        bench=get_benchmark("scienceworld"),
        method=method,
        planner=planner,
        grounder=grounder,
        config=AgentConfig(domain="scienceworld", max_rounds=20),
        run_dir=out,
        settings={"benchmark": "scienceworld", "method": method, "model_label": "fake", "seed": 0},
        batch_size=options.pop("batch_size", 2),
        progress=False,
        options={"episodes": 1, **options},
    )


def predictions(out: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (out / "predictions.jsonl").read_text().splitlines()]


def test_episodes_are_test_variations_round_by_round() -> None:
    specs = episode_specs(["boil", "find-animal"], 2)
    assert [s.id for s in specs] == ["boil-v21", "find-animal-v225", "boil-v22", "find-animal-v226"]
    assert [s.id for s in episode_specs(["boil"], 2, seed=1)] == ["boil-v23", "boil-v24"]


def test_lumos_iterative_plays_live_episodes_and_the_run_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUMOS_SCIENCEWORLD_SIMULATORS", "3")
    out = tmp_path / "run"
    planner, grounder = FakeModel(responder=plan_iterative), FakeModel(responder=ground_iterative)
    run = method_run("lumos-iterative", out, planner, grounder, tasks="boil,melt", split="unseen", batch_size=3)
    metrics = run_scienceworld(run, factory=FakeSimulator)
    rows = predictions(out)
    assert metrics["n"] == len(rows) == 2 + len(UNSEEN) and metrics["success_rate"] == 1.0
    assert metrics["mean_score"] == 100 and metrics["valid_action_rate"] == 1.0
    assert metrics["per_group"]["unseen"]["n"] == len(UNSEEN) and metrics["per_group"]["seen"]["n"] == 2
    assert metrics["tokens_per_episode"] > 0 and metrics["steps_per_episode"] == len(GOLD)
    assert max(planner.batches) == 3  # episodes of a batch go to the model together
    first = rows[0]
    steps = first["trace"]["steps"]
    assert steps[-1]["calls"][-1]["output"] == STOP and steps[-1]["calls"][-1]["completion_tokens"] == 0
    assert "You move to the kitchen" not in json.dumps(steps[0]["calls"][0])  # the planner saw only the start
    assert steps[0]["results"][-1]["details"]["executed"] == "look around"
    again = run_scienceworld(method_run("lumos-iterative", out, FakeModel(), FakeModel(),
                                        tasks="boil,melt", split="unseen", batch_size=3), factory=FakeSimulator)
    assert again["n"] == metrics["n"] and len(predictions(out)) == len(rows)  # nothing redone, nothing doubled


def test_lumos_onetime_executes_its_grounded_plan_in_the_live_episode(tmp_path: Path) -> None:
    plan = "; ".join(f"Subgoal {k}: {text}" for k, (text, _) in enumerate(PLAN, 1))
    planner, grounder = FakeModel(default=plan), FakeModel(default="; ".join(LINES))
    metrics = run_scienceworld(method_run("lumos-onetime", tmp_path, planner, grounder, tasks="boil"), factory=FakeSimulator)
    assert metrics["success_rate"] == 1.0
    assert "Initial Environment Description: This room is called the hallway" in planner.calls[0][-1]["content"]


def test_the_flat_baseline_reads_observations_and_stops_when_the_episode_ends(tmp_path: Path) -> None:
    grounder = FakeModel(responder=flat)
    metrics = run_scienceworld(method_run("direct-iterative", tmp_path, grounder, grounder, tasks="boil"),
                               factory=FakeSimulator)
    assert metrics["success_rate"] == 1.0
    assert "Result of R2: You move to the kitchen." in grounder.calls[2][-1]["content"]
    assert predictions(tmp_path)[0]["stop_reason"] == "completed"


def test_snaps_and_invalid_actions_are_counted(tmp_path: Path) -> None:
    lines = ['R1 = Act(Env, "opn door to kitchen")', 'R2 = Act(R1, "fly to the moon")']
    planner = FakeModel(["Subgoal 1: Open the door.", "No, I will keep planning. Subgoal 2: Fly.", STOP])
    metrics = run_scienceworld(method_run("lumos-iterative", tmp_path, planner, FakeModel(lines), tasks="boil"),
                               factory=FakeSimulator)
    row = predictions(tmp_path)[0]
    assert (row["valid_actions"], row["invalid_actions"], row["snapped_actions"]) == (1, 1, 1)
    assert metrics["valid_action_rate"] == 0.5 and row["score"] == 0 and not row["success"]


def test_a_crashed_simulator_fails_its_episode_and_the_run_goes_on(tmp_path: Path) -> None:
    made: list[FakeSimulator] = []

    def factory(index: int) -> FakeSimulator:
        sim = FakeSimulator(index, crash_on="pick up metal pot" if not made else None)
        made.append(sim)
        return sim

    planner, grounder = FakeModel(responder=plan_iterative), FakeModel(responder=ground_iterative)
    run = method_run("lumos-iterative", tmp_path, planner, grounder, tasks="boil,melt,freeze", batch_size=1)
    metrics = run_scienceworld(run, factory=factory)
    rows = predictions(tmp_path)
    assert [r["success"] for r in rows] == [False, True, True]
    assert rows[0]["error_kind"] == "simulator_crashed" and metrics["crashed"] == 1
    # one restart for the crash, one fresh simulator before the third batch (none after the last)
    assert metrics["simulator_restarts"] == 1 and len(made) == 3


@pytest.mark.parametrize("fresh", ["1", "0"])
def test_each_batch_gets_fresh_simulators_unless_told_to_reuse_them(tmp_path: Path, fresh: str) -> None:
    made: list[FakeSimulator] = []

    def factory(index: int) -> FakeSimulator:
        made.append(FakeSimulator(index))
        return made[-1]

    planner, grounder = FakeModel(responder=plan_iterative), FakeModel(responder=ground_iterative)
    run = method_run("lumos-iterative", tmp_path, planner, grounder, tasks="boil,melt,freeze,find-animal",
                     batch_size=2, fresh_simulators=fresh)
    metrics = run_scienceworld(run, factory=factory)
    loads = [sim._fake.loads for sim in made]
    assert metrics["success_rate"] == 1.0 and metrics["simulator_restarts"] == 0
    assert loads == ([1, 1, 1, 1] if fresh == "1" else [2, 2])  # fresh: each simulator plays one episode
    settings = json.loads((tmp_path / "config.json").read_text())
    assert ("fresh_simulators" in settings) == (fresh == "0")  # reuse is its own run; fresh is the default


def test_report_groups_follow_the_task_groups_hook(tmp_path: Path) -> None:
    from lumos.eval.task_report import task_tables

    planner, grounder = FakeModel(responder=plan_iterative), FakeModel(responder=ground_iterative)
    metrics = run_scienceworld(method_run("lumos-iterative", tmp_path, planner, grounder, tasks=f"boil,{UNSEEN[0]}"),
                               factory=FakeSimulator)
    text = task_tables([metrics], [tmp_path], ["fake"])
    assert re.search(r"\| seen \(1 tasks\) \| 100\.0", text) and re.search(r"\| unseen \(1 tasks\) \| 100\.0", text)
    assert summarize([])["n"] == 0


def test_unknown_methods_and_splits_are_config_errors(tmp_path: Path) -> None:
    from lumos.errors import ConfigError

    with pytest.raises(ConfigError, match="no method"):
        run_scienceworld(method_run("direct", tmp_path, FakeModel(), FakeModel(), tasks="boil"), factory=FakeSimulator)
    with pytest.raises(ConfigError, match="split"):
        run_scienceworld(method_run("lumos-iterative", tmp_path / "b", FakeModel(), FakeModel(), split="dev"),
                         factory=FakeSimulator)
