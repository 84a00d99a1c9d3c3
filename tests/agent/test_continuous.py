"""Continuous batching in Lumos-I: a finished task's place goes to the next waiting task at once."""

from lumos.agent.agent import Agent, AgentConfig
from lumos.format.types import Trajectory
from lumos.models.fake import FakeModel


def _needed(conv) -> int:
    """Tasks say how many subgoals they need: "Count to N"."""
    task = next(m["content"] for m in conv if m["role"] == "user")
    return int(task.split("Count to ")[1].split(".")[0])


def plan(conv) -> str:
    done = sum("Should we stop" in m["content"] for m in conv if m["role"] == "user")
    if done >= _needed(conv):
        return "Yes, I will stop planning."
    said = f"Subgoal {done + 1}: Count {done + 1}."
    return said if done == 0 else f"No, I will keep planning. {said}"


def ground(conv) -> str:
    k = sum(m["role"] == "user" for m in conv)
    return f"R{k} = Calculator({k} * 10)"


def run(lengths: list[int], continuous: bool, batch_size: int = 2, max_rounds: int = 8):
    planner, grounder = FakeModel(responder=plan), FakeModel(responder=ground)
    finished: list[str] = []
    config = AgentConfig(batch_size=batch_size, continuous=continuous, max_rounds=max_rounds)
    trajs = Agent(planner, grounder, config).run(
        [f"Count to {n}." for n in lengths], on_done=lambda t: finished.append(t.id)
    )
    return trajs, planner, grounder, finished


def _outcome(t: Trajectory):
    return (t.id, t.answer, t.stop_reason, [s.index for s in t.steps], [a.render() for a in t.actions])


def test_a_long_task_does_not_hold_back_the_short_ones():
    lengths = [5, 1, 1, 1, 1]
    chunked, chunked_planner, _, _ = run(lengths, continuous=False)
    trajs, planner, grounder, finished = run(lengths, continuous=True)
    # the same work, task by task
    assert [_outcome(t) for t in trajs] == [_outcome(t) for t in chunked]
    assert [t.answer for t in trajs] == ["50", "10", "10", "10", "10"]
    # never more than batch_size at once, and fewer rounds: the short tasks run beside the long one
    assert max(planner.batches) == 2 and max(grounder.batches) == 2
    assert chunked_planner.batches == [2, 2, 1, 1, 1, 1, 2, 2, 1, 1]
    assert planner.batches == [2, 2, 2, 2, 2, 2, 1, 1]
    assert finished == ["1", "2", "0", "3", "4"]  # each is handed over as soon as it is done


def test_a_task_that_joins_later_counts_its_own_rounds():
    trajs, *_ = run([1, 9, 2], continuous=True, max_rounds=3)
    by_id = {t.id: t for t in trajs}
    assert by_id["1"].stop_reason == "round_limit" and len(by_id["1"].subgoals) == 3
    assert by_id["2"].stop_reason == "planner_stopped"
    assert [s.index for s in by_id["2"].steps] == [1, 2, 3]  # it joined in round 3 and starts at step 1
    assert by_id["2"].answer == "20"


def test_one_slot_runs_the_tasks_one_after_another():
    trajs, planner, *_ = run([2, 1], continuous=True, batch_size=1)
    assert [t.answer for t in trajs] == ["20", "10"]
    assert planner.batches == [1] * 5
