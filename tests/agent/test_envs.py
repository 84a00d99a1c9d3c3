"""Each task runs with its own environment; tools reach it as ``ctx.env`` and record details on results."""

from typing import Any, ClassVar

import pytest

from lumos.agent.agent import Agent, AgentConfig
from lumos.errors import ConfigError
from lumos.models.fake import FakeModel
from lumos.tools.base import ExecutionContext, Tool


class Counter:
    """A toy environment: a counter with a name."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.value = 0
        self.meta = {"env": name}


class Bump(Tool):
    name: ClassVar[str] = "Bump"
    description: ClassVar[str] = "Add to the environment's counter"
    signature: ClassVar[str] = "Bump(n)"

    def run(self, args: str, ctx: ExecutionContext) -> Any:
        ctx.env.value += int(args)
        ctx.details["env"] = ctx.env.name
        return f"{ctx.env.name}={ctx.env.value}"


def test_each_task_acts_on_its_own_environment():
    planner = FakeModel(default="Subgoal 1: Bump the counter.")
    grounder = FakeModel(["R1 = Bump(2)", "R1 = Bump(5)"])
    envs = [Counter("a"), Counter("b")]
    agent = Agent(planner, grounder, AgentConfig(formulation="onetime"), tools=lambda: [Bump()])
    trajs = agent.run(["bump a", "bump b"], envs=envs)
    assert [e.value for e in envs] == [2, 5]
    assert [t.answer for t in trajs] == ["a=2", "b=5"]
    assert [t.meta for t in trajs] == [{"env": "a"}, {"env": "b"}]
    assert trajs[1].steps[0].results[0].details == {"env": "b"}


def test_environment_count_must_match_tasks():
    agent = Agent(FakeModel(default="x"), config=AgentConfig())
    with pytest.raises(ConfigError, match="2 environments given for 1 tasks"):
        agent.run(["one task"], envs=[Counter("a"), Counter("b")])
