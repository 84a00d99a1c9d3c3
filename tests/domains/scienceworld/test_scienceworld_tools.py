"""``Act`` in the unified format: arguments, observations as results, snaps and errors recorded on the step,
and a batch of episodes acting together."""

from __future__ import annotations

import pytest

from lumos.domains.scienceworld.env import ScienceWorldEpisode
from lumos.domains.scienceworld.fake import GOLD, FakeSimulator
from lumos.domains.scienceworld.tools import ActArgumentError, parse_act_args
from lumos.format.parse import parse_actions
from lumos.tools.base import registry
from lumos.tools.executor import Executor, execute_batch


def fresh(variation: int = 0) -> Executor:
    episode = ScienceWorldEpisode(FakeSimulator(), "boil", variation)
    episode.reset()
    executor = Executor(registry.instantiate("scienceworld"))
    executor.reset(env=episode)
    return executor


def test_arguments() -> None:
    assert parse_act_args('Env, "open door to kitchen"') == "open door to kitchen"
    assert parse_act_args("R3, go to  kitchen") == "go to kitchen"
    assert parse_act_args("'look around'") == "look around"
    with pytest.raises(ActArgumentError):
        parse_act_args("Env")
    with pytest.raises(ActArgumentError):
        parse_act_args('Env, ""')


def test_the_gold_path_through_the_tool_gives_observations_and_ends() -> None:
    executor = fresh()
    text = "; ".join(f'R{k} = Act({"Env" if k == 1 else f"R{k - 1}"}, "{a}")' for k, a in enumerate(GOLD, 1))
    results = executor.execute(parse_actions(text))
    assert all(r.error is None for r in results) and len(results) == len(GOLD)
    assert results[1].outputs["R2"] == "You move to the kitchen."
    last = results[-1]
    assert last.outputs["R10"].endswith("The task has ended (score 100).")
    assert last.details["score"] == 100 and last.details["done"] and last.details["reward"] == 50
    after = executor.execute(parse_actions('R11 = Act(R10, "look around")'))
    assert after[0].error is not None and after[0].error.kind == "episode_over"


def test_a_snap_is_recorded_written_against_executed() -> None:
    result = fresh().execute(parse_actions('R1 = Act(Env, "opn door to kitchen")'))[0]
    assert result.error is None
    assert result.details["written"] == "opn door to kitchen"
    assert result.details["executed"] == "open door to kitchen"
    assert result.details["snapped_from"] == "opn door to kitchen"


def test_model_mistakes_are_recorded_step_errors_and_the_rest_is_skipped() -> None:
    results = fresh().execute(parse_actions('R1 = Act(Env, "fly to the moon"); R2 = Act(R1, "look around")'))
    assert len(results) == 1 and results[0].error is not None
    assert results[0].error.kind == "invalid_action" and "closest valid actions" in results[0].error.message
    no_env = Executor(registry.instantiate("scienceworld"))
    no_env.reset()
    error = no_env.execute(parse_actions('R1 = Act(Env, "look around")'))[0].error
    assert error is not None and error.kind == "no_environment"


def test_episodes_of_a_batch_act_together() -> None:
    executors = [fresh(v) for v in range(3)]
    jobs = [(e, parse_actions('R1 = Act(Env, "teleport to kitchen"); R2 = Act(R1, "look at stove")')) for e in executors]
    outcome = execute_batch(jobs)
    assert [[r.outputs for r in rs] for rs in outcome] == [
        [{"R1": "You teleport to the kitchen."}, {"R2": "a stove, which is off"}]
    ] * 3
