import json

import pytest

from lumos.agent.agent import Agent, AgentConfig
from lumos.errors import ConfigError
from lumos.format.types import Trajectory
from lumos.models.fake import FakeModel

LEAH = (
    "Leah earned $28 working odd jobs. She spent a seventh of it on a milkshake and put half of the rest in "
    "savings. How much is left in her wallet?"
)


def test_lumos_i_end_to_end():
    planner = FakeModel(
        [
            "Subgoal 1: Calculate how much Leah spent on the milkshake.",
            "No, I will keep planning. Subgoal 2: Calculate how much is left after the milkshake.",
            "No, I will keep planning. Subgoal 3: Calculate what is left after saving half.",
            "Yes, I will stop planning.",
        ]
    )
    grounder = FakeModel(["R1 = Calculator(28 * 1/7)", "R2 = Calculator(28 - R1)", "R3 = Calculator(R2 / 2)"])
    traj = Agent(planner, grounder).run_one(LEAH)
    assert traj.answer == "12"
    assert traj.finished and traj.stop_reason == "planner_stopped"
    assert next(s.text for s in traj.subgoals) == "Calculate how much Leah spent on the milkshake."
    assert [a.render() for a in traj.actions] == [
        "R1 = Calculator(28 * 1/7)",
        "R2 = Calculator(28 - R1)",
        "R3 = Calculator(R2 / 2)",
    ]
    assert [r.outputs for s in traj.steps for r in s.results] == [{"R1": "4"}, {"R2": "24"}, {"R3": "12"}]
    # the planner saw each result
    last_plan_prompt = planner.calls[-1]
    assert "The result of Subgoal 3 is 12. Should we stop planning?" in last_plan_prompt[-1]["content"]
    # the grounder saw the earlier subgoals and actions as conversation turns
    assert grounder.calls[-1][-2] == {"role": "assistant", "content": "R2 = Calculator(28 - R1)"}
    assert traj.prompt_tokens > 0 and traj.completion_tokens > 0
    # trace round-trips through JSON
    assert Trajectory.from_json(traj.to_json()) == traj


def test_lumos_o_end_to_end():
    planner = FakeModel(
        ["Subgoal 1: Find the milkshake cost.; Subgoal 2: Find what is left; Subgoal 3: Halve it."]
    )
    grounder = FakeModel(["R1 = Calculator(28 / 7); R2 = Calculator(28 - R1); R3 = Calculator(R2 / 2)"])
    traj = Agent(planner, grounder, AgentConfig(formulation="onetime")).run_one(LEAH)
    assert traj.answer == "12" and traj.finished
    assert len(traj.subgoals) == 3 and len(traj.actions) == 3
    assert (
        "Subgoals to be grounded: Subgoal 1: Find the milkshake cost.; Subgoal 2"
        in grounder.calls[0][-1]["content"]
    )
    assert len(planner.calls) == 1 and len(grounder.calls) == 1


def test_batches_all_tasks_of_a_round_into_one_call():
    def plan(conv):
        return "Yes, I will stop planning." if "Should we stop" in conv[-1]["content"] else "Subgoal 1: Add."

    def ground(conv):
        task = conv[0]["content"].split("Task: ")[1].split("\n")[0]
        a, b = [int(t) for t in task.replace("?", "").split() if t.isdigit()]
        return f"R1 = Calculator({a} + {b})"

    planner, grounder = FakeModel(responder=plan), FakeModel(responder=ground)
    tasks = [f"What is {i} + {i * 2}?" for i in range(10)]
    trajs = Agent(planner, grounder).run(tasks)
    assert [t.answer for t in trajs] == [str(3 * i) for i in range(10)]
    assert planner.batches == [10, 10] and grounder.batches == [10]
    assert [t.id for t in trajs] == [str(i) for i in range(10)]


def test_parse_and_tool_errors_are_recorded_and_shown_to_the_planner():
    planner = FakeModel(
        [
            "Subgoal 1: Divide.",  # task A
            "Subgoal 1: Multiply.",  # task B
            "No, I will keep planning. Subgoal 2: Try again.",  # A after its error
            "Yes, I will stop planning.",  # B
            "Yes, I will stop planning.",  # A
        ]
    )
    grounder = FakeModel(["R1 = Calculator(1 / 0)", "R1 = Calculator(6 * 7)", "I do not know"])
    a, b = Agent(planner, grounder).run(["task A", "task B"])
    assert b.answer == "42" and b.errors == []
    assert [e.kind for e in a.errors] == ["tool_error", "parse_error"]
    assert a.errors[0].module == "execute" and a.errors[1].module == "ground"
    shown = planner.calls[2][-1]["content"]
    assert shown.startswith("The result of Subgoal 1 is an error:")
    assert a.answer is None and a.stop_reason == "planner_stopped"


def test_unparseable_plan_is_recorded_and_retried_with_a_hint():
    planner = FakeModel(["The answer is 5", "Subgoal 1: Add.", "Yes, I will stop planning."])
    grounder = FakeModel(["R1 = Calculator(2 + 3)"])
    traj = Agent(planner, grounder).run_one("What is 2 + 3?")
    assert traj.answer == "5"
    assert traj.steps[0].error is not None and traj.steps[0].error.kind == "parse_error"
    retry_prompt = planner.calls[1]
    assert retry_prompt[-2] == {"role": "assistant", "content": "The answer is 5"}
    assert "Subgoal 1:" in retry_prompt[-1]["content"]


def test_a_planner_that_keeps_writing_unreadable_plans_is_stopped():
    planner = FakeModel(responder=lambda conv: "Subgoal 1:")  # an empty subgoal, every time
    traj = Agent(planner, FakeModel([]), AgentConfig(max_rounds=8, max_plan_errors=3)).run_one("x")
    assert traj.stop_reason == "plan_errors" and not traj.finished
    assert len(planner.calls) == 3 and [e.kind for e in traj.errors] == ["parse_error"] * 3
    with pytest.raises(ConfigError, match="max_plan_errors"):
        AgentConfig(max_plan_errors=0)


def test_round_limit_cuts_a_planner_that_never_stops():
    planner = FakeModel(
        responder=lambda conv: (
            "No, I will keep planning. Subgoal 9: More." if len(conv) > 1 else "Subgoal 1: Go."
        )
    )
    grounder = FakeModel(responder=lambda conv: f"R{len(conv) // 2 + 1} = Calculator({len(conv)})")
    traj = Agent(planner, grounder, AgentConfig(max_rounds=3)).run_one("loop forever")
    assert traj.stop_reason == "round_limit" and not traj.finished
    assert len(traj.subgoals) == 3
    assert traj.answer is not None  # the last result is still reported


def test_undefined_variable_is_a_recorded_error():
    planner = FakeModel(["Subgoal 1: Use R7.", "Yes, I will stop planning."])
    grounder = FakeModel(["R1 = Calculator(R7 + 1)"])
    traj = Agent(planner, grounder).run_one("x")
    assert [e.kind for e in traj.errors] == ["undefined_variable"]


def test_on_done_streams_trajectories_and_json_is_complete():
    planner = FakeModel(responder=lambda c: "Yes, I will stop planning." if len(c) > 1 else "Subgoal 1: Two.")
    grounder = FakeModel(default="R1 = Calculator(1 + 1)")
    seen = []
    Agent(planner, grounder).run(["a", "b", "c"], on_done=seen.append)
    assert sorted(t.task for t in seen) == ["a", "b", "c"]
    data = json.loads(seen[0].to_json())
    assert {"task", "steps", "answer", "finished"} <= set(data)


def test_in_context_examples_precede_the_task():
    planner = FakeModel(["Subgoal 1: Add.", "Yes, I will stop planning."])
    grounder = FakeModel(["R1 = Calculator(2 + 3)"])
    Agent(planner, grounder, AgentConfig(n_examples=2)).run_one("What is 2 + 3?")
    first = planner.calls[0]
    assert "bakery" in first[0]["content"] and first[-1]["content"].endswith(
        "What is 2 + 3?; Initial Environment Description: None."
    )
    assert first[1]["content"].startswith("Subgoal 1:")


def test_bad_config_is_a_clear_error():
    with pytest.raises(ConfigError, match="formulation"):
        AgentConfig(formulation="sideways")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="domain"):
        AgentConfig(domain="cooking")


# ------------------------------------------------------------------------------ a task that repeats itself


def test_a_planner_repeating_its_subgoal_is_stopped_as_no_progress() -> None:
    planner = FakeModel([], default="Subgoal 1: Find the answer.")
    grounder = FakeModel([], default="R1 = Calculator(2 + 3)")
    traj = Agent(planner, grounder, AgentConfig(max_rounds=8)).run_one("What is 2 + 3?")
    assert traj.stop_reason == "no_progress"
    assert len(traj.steps) == 3  # the third identical round ends it


def test_the_same_failing_action_again_and_again_is_stopped() -> None:
    planner = FakeModel(
        ["Subgoal 1: Start.", *(f"No, I will keep planning. Subgoal {k}: Step {k}." for k in range(2, 9))]
    )
    grounder = FakeModel([], default="R3 = Calculator(R4 + 1)")  # R4 is never defined
    traj = Agent(planner, grounder, AgentConfig(max_rounds=8)).run_one("What is 2 + 3?")
    assert traj.stop_reason == "no_progress" and len(traj.steps) == 3


def test_different_work_with_the_same_result_goes_on() -> None:
    planner = FakeModel(
        [
            "Subgoal 1: Add.",
            "No, I will keep planning. Subgoal 2: Multiply.",
            "No, I will keep planning. Subgoal 3: Subtract.",
            "Yes, I will stop planning.",
        ]
    )
    grounder = FakeModel(["R1 = Calculator(2 + 2)", "R2 = Calculator(2 * 2)", "R3 = Calculator(8 - 4)"])
    traj = Agent(planner, grounder, AgentConfig(max_rounds=8)).run_one("What is 4?")
    assert traj.stop_reason == "planner_stopped" and traj.answer == "4"


def test_the_stop_can_be_turned_off() -> None:
    planner = FakeModel([], default="Subgoal 1: Find the answer.")
    grounder = FakeModel([], default="R1 = Calculator(2 + 3)")
    traj = Agent(planner, grounder, AgentConfig(max_rounds=5, stop_when_stuck=0)).run_one("What is 2 + 3?")
    assert traj.stop_reason == "round_limit"
    with pytest.raises(ConfigError, match="stop_when_stuck"):
        AgentConfig(stop_when_stuck=1)


def test_each_task_records_where_its_time_went() -> None:
    planner = FakeModel(["Subgoal 1: Add.", "Yes, I will stop planning."], latency=0.02)
    grounder = FakeModel(["R1 = Calculator(2 + 3)"], latency=0.01)
    traj = Agent(planner, grounder).run_one("What is 2 + 3?")
    stages = traj.stage_seconds
    assert set(stages) == {"plan", "ground", "tool:Calculator", "wait"}
    assert stages["plan"] >= 0.04 and stages["ground"] >= 0.01
    assert sum(stages.values()) == pytest.approx(traj.seconds, abs=1e-6)
