"""The flat baseline agent: one model, the page in its first turn, each action's page after it."""

from __future__ import annotations

from lumos.agent.agent import AgentConfig
from lumos.agent.flat import NEXT_ACTION, FlatAgent
from lumos.domains.web_common.fake_page import FormPage
from lumos.models.fake import FakeModel
from lumos.tools.base import registry


def agent(outputs: list[str], **config: object) -> tuple[FlatAgent, FakeModel]:
    model = FakeModel(outputs)
    cfg = AgentConfig(domain="miniwob", **config)  # type: ignore[arg-type]
    return FlatAgent(model, cfg, tools=lambda: registry.instantiate("miniwob", ranker="lexical")), model


def test_flat_agent_acts_until_the_page_ends_and_shows_each_page():
    flat, model = agent(["R1 = TYPE(Env, QUERY: name input, TEXT: Ada)", "R2 = CLICK(R1, QUERY: Submit button)"])
    page = FormPage()
    traj = flat.run(["Enter Ada and submit."], envs=[page])[0]
    assert page.typed == "Ada" and page.submitted
    assert traj.stop_reason == "completed" and traj.finished
    assert traj.observation.startswith("[1] <input")
    first, second = model.calls[0], model.calls[1]
    assert "Task: Enter Ada and submit.; Initial Environment Description: [1] <input" in first[0]["content"]
    assert second[-2] == {"role": "assistant", "content": "R1 = TYPE(Env, QUERY: name input, TEXT: Ada)"}
    assert second[-1]["content"].startswith("Result of R1: [1] <input") and "Ada" in second[-1]["content"]
    assert [s.subgoals[0].text for s in traj.steps] == [NEXT_ACTION, NEXT_ACTION]


def test_a_malformed_action_is_recorded_and_the_run_goes_on():
    flat, model = agent(["click the button please", "R1 = CLICK(Env, QUERY: Submit button)"])
    traj = flat.run(["Submit."], envs=[FormPage()])[0]
    assert traj.steps[0].error is not None and traj.steps[0].error.module == "ground"
    assert model.calls[1][-1]["content"].startswith("Result of R1: an error:")
    assert traj.stop_reason == "completed"


def test_repeating_the_same_action_and_page_stops_as_no_progress():
    flat, _ = agent(["R1 = TYPE(Env, QUERY: name input, TEXT: x)"] * 6, stop_when_stuck=3)
    traj = flat.run(["Submit."], envs=[FormPage()])[0]
    assert traj.stop_reason == "no_progress" and len(traj.steps) == 3


def test_the_same_action_under_new_variable_names_is_still_no_progress():
    # a model numbers each round's action anew (R7 = Act(R6, ...), R8 = Act(R7, ...)): the action is the same
    repeated = [f"R{k} = TYPE({'Env' if k == 1 else f'R{k - 1}'}, QUERY: name input, TEXT: x)" for k in range(1, 7)]
    flat, _ = agent(repeated, stop_when_stuck=3)
    traj = flat.run(["Submit."], envs=[FormPage()])[0]
    assert traj.stop_reason == "no_progress" and len(traj.steps) == 3


def test_round_limit():
    flat, _ = agent(["R1 = TYPE(Env, QUERY: name input, TEXT: a)", "R2 = TYPE(R1, QUERY: name input, TEXT: b)"], max_rounds=2)
    traj = flat.run(["Submit."], envs=[FormPage()])[0]
    assert traj.stop_reason == "round_limit" and not traj.finished


def test_a_page_that_cannot_be_read_at_the_start_is_recorded_not_raised():
    from lumos.errors import ToolError

    class DeadPage(FormPage):
        def observation(self) -> str:
            raise ToolError("the browser crashed")

    flat, _ = agent(["R1 = CLICK(Env, QUERY: Submit button)"], max_rounds=1)
    traj = flat.run(["Submit."], envs=[DeadPage()])[0]
    assert traj.observation == "" and traj.steps
