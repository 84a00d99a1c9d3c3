"""Lumos-I on an environment that says when its episode is over: the environment, not the planner, ends it."""

from __future__ import annotations

from lumos.agent.agent import Agent, AgentConfig
from lumos.domains.web_common.fake_page import FormPage
from lumos.models.fake import FakeModel
from lumos.tools.base import registry

TYPE_ADA = "R1 = TYPE(Env, QUERY: name input, TEXT: Ada)"
CLICK_SUBMIT = "R2 = CLICK(R1, QUERY: Submit button)"


def agent(plans: list[str], grounds: list[str], **config: object) -> tuple[Agent, FakeModel]:
    planner = FakeModel(plans)
    cfg = AgentConfig(domain="miniwob", **config)  # type: ignore[arg-type]
    tools = lambda: registry.instantiate("miniwob", ranker="lexical")  # noqa: E731
    return Agent(planner, FakeModel(grounds), cfg, tools=tools), planner


def test_a_planner_that_stops_on_a_live_page_is_made_to_go_on_and_the_page_ends_the_task():
    plans = ["Subgoal 1: Type Ada into the name field.", "Yes, I will stop planning.",
             "No, I will keep planning. Subgoal 2: Click Submit."]
    lumos, planner = agent(plans, [TYPE_ADA, CLICK_SUBMIT])
    page = FormPage()
    traj = lumos.run(["Enter Ada and submit."], envs=[page])[0]
    assert page.typed == "Ada" and page.submitted
    assert traj.stop_reason == "completed" and traj.finished
    assert len(planner.calls) == 3  # no planner call after the page ended
    assert planner.calls[2][-1] == {"role": "assistant", "content": "No, I will keep planning. Subgoal 2:"}
    assert planner.calls[2][:-1] == planner.calls[1]
    second = traj.steps[1]
    assert [c.output for c in second.calls if c.module == "plan"] == [
        "Yes, I will stop planning.",
        "No, I will keep planning. Subgoal 2: Click Submit.",
    ]
    assert second.subgoals[0].text == "Click Submit."


def test_with_end_with_env_off_the_planner_alone_decides():
    lumos, planner = agent(
        ["Subgoal 1: Type Ada into the name field.", "Yes, I will stop planning."], [TYPE_ADA], end_with_env=False
    )
    page = FormPage()
    traj = lumos.run(["Enter Ada and submit."], envs=[page])[0]
    assert traj.stop_reason == "planner_stopped" and not page.submitted
    assert len(planner.calls) == 2


def test_a_stop_is_kept_where_the_environment_cannot_say_it_ended():
    planner = FakeModel(["Subgoal 1: Add.", "Yes, I will stop planning."])
    lumos = Agent(planner, FakeModel(["R1 = Calculator(2 + 3)"]), AgentConfig(domain="maths"))
    traj = lumos.run(["What is 2 + 3?"])[0]
    assert traj.stop_reason == "planner_stopped" and traj.answer == "5"
    assert len(planner.calls) == 2


def test_the_last_round_asks_nothing_more():
    plans = ["Subgoal 1: Type Ada into the name field.", "Yes, I will stop planning."]
    lumos, planner = agent(plans, [TYPE_ADA], max_rounds=1)
    traj = lumos.run(["Enter Ada and submit."], envs=[FormPage()])[0]
    assert traj.stop_reason == "planner_stopped" and len(planner.calls) == 2
