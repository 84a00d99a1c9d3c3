"""The agent on shop sessions with scripted models: it buys the right item (reward 1) in both formulations."""

from __future__ import annotations

from pathlib import Path

from webshop_fixtures import WordOverlapRanker

from lumos.agent.agent import Agent, AgentConfig
from lumos.domains.webshop.catalog import load_catalog
from lumos.domains.webshop.env import Shop
from lumos.models.base import Conversation
from lumos.models.fake import FakeModel

GROUND = [
    "R1 = Search(waterproof trail running shoes)",
    "R2 = Pick(Item_names: R1, Query: waterproof trail running shoes); R3 = Click(R2)",
    "R4 = Click(black); R5 = Click(9); R6 = Click(buy now)",
]


def test_lumos_iterative_buys_the_right_item(small_shop_dir: Path, ranker: WordOverlapRanker) -> None:
    shop = Shop(load_catalog(small_shop_dir))
    goals = shop.goals()
    envs = [shop.env(goals[0]), shop.env(goals[2])]
    plan = FakeModel(
        responder=lambda conv: {
            1: "Subgoal 1: Search for the shoes.",
            3: "No, I will keep planning. Subgoal 2: Open the best item.",
            5: "No, I will keep planning. Subgoal 3: Choose black and size 9, then buy.",
        }.get(len(conv), "Yes, I will stop planning.")
    )
    # the second task's grounder writes an action that is not on the page: a recorded step error, no purchase
    def ground_reply(conv: Conversation) -> str:
        text = " ".join(m["content"] for m in conv)
        if "coffee mug" in text:
            return "R1 = Click(purple)"
        return GROUND[int(conv[-1]["content"].split("Subgoal ")[-1][0]) - 1]

    ground = FakeModel(responder=ground_reply)
    agent = Agent(plan, ground, AgentConfig(domain="webshop", max_rounds=4), tool_options={"ranker": ranker})
    trajs = agent.run([g.instruction for g in (goals[0], goals[2])], envs=envs)
    assert envs[0].reward == 1.0 and envs[0].state.asin == "B000SHOE01"
    assert trajs[0].answer == "bought b000shoe01 with color: black, size: 9"
    assert trajs[0].meta["target_asin"] == "B000SHOE01"
    assert not envs[1].done and envs[1].reward == 0.0
    errors = [s.error for s in trajs[1].steps if s.error is not None]
    assert errors and "'purple' is not clickable" in errors[0].message
    pick = trajs[0].steps[1].results[0]
    assert pick.details["chosen"] == "b000shoe01" and pick.details["candidates"][0]["ref"] == "b000shoe01"


def test_lumos_onetime_buys_the_right_item(small_shop_dir: Path, ranker: WordOverlapRanker) -> None:
    shop = Shop(load_catalog(small_shop_dir))
    env = shop.env(shop.goals()[0])
    plan = FakeModel(["Subgoal 1: Search. Subgoal 2: Open the best item. Subgoal 3: Choose options and buy."])
    ground = FakeModel(["; ".join(GROUND)])
    agent = Agent(plan, ground, AgentConfig(domain="webshop", formulation="onetime"), tool_options={"ranker": ranker})
    traj = agent.run([env.goal.instruction], envs=[env])[0]
    assert traj.stop_reason == "completed" and env.reward == 1.0
    assert env.history == ["search[waterproof trail running shoes]", "click[b000shoe01]", "click[black]",
                           "click[9]", "click[buy now]"]
