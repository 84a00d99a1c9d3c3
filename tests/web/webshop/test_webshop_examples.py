"""The webshop in-context demonstrations replay on lumos's demo shop and give the results written there."""

from __future__ import annotations

import pytest

from lumos.agent.agent import Agent, AgentConfig
from lumos.domains.webshop.env import open_shop
from lumos.domains.webshop.goals import Goal
from lumos.models.fake import FakeModel
from lumos.prompts.modules import load_examples


@pytest.mark.slow  # loads the shipped MiniLM ranker, as the demonstrations were made with it
def test_demonstrations_replay_on_the_demo_shop() -> None:
    pytest.importorskip("sentence_transformers")
    examples = load_examples("webshop")
    assert len(examples) >= 3
    shop = open_shop()
    asked = {g.asin for g in shop.goals()}
    for ex in examples:
        plan = FakeModel(
            [f"Subgoal 1: {ex.subgoals[0]}"]
            + [f"No, I will keep planning. Subgoal {k + 1}: {s}" for k, s in enumerate(ex.subgoals) if k]
            + ["Yes, I will stop planning."]
        )
        goal = Goal(0, "", ex.task, [], [], 1e6, "", "", "", "")
        env = shop.env(goal)
        traj = Agent(plan, FakeModel(list(ex.actions)), AgentConfig(domain="webshop")).run([ex.task], envs=[env])[0]
        results = [str(list(s.results[-1].outputs.values())[-1]) for s in traj.steps if s.results]
        assert results == ex.results and traj.answer == ex.answer
        assert env.done and env.state.asin not in asked  # demonstrations buy products no demo goal asks for
