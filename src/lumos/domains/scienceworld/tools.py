"""``Act``: the ScienceWorld tool, one simulator command per action, in the unified format::

    R1 = Act(Env, "open door to kitchen")
    R2 = Act(R1, "go to kitchen")

The first argument names the environment (``Env``, or an earlier result: actions chain); the second is the
command, quoted or not. The result is the simulator's observation (what the planner of Lumos-I reads), with a
last line ``The task has ended (score N).`` when the episode is over. Each
action records on its result (``details``) the command as ``written`` and as ``executed`` (they differ where the
simulator did not know the written one and it was snapped to the closest valid action: ``snapped_from``), the
observation, score, reward and done.

``Act`` runs the actions of different episodes of one agent round in parallel (``run_batch``), one thread
per episode, since each episode has its own simulator.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from lumos.domains.scienceworld.env import ENDED, ScienceWorldEpisode, StepResult
from lumos.errors import AgentStepError, ToolError
from lumos.tools.base import ExecutionContext, Tool

_ENV = re.compile(r"^(Env|R\d+)$", re.IGNORECASE)


class NoEnvironmentError(ToolError):
    """``Act`` in a task that has no ScienceWorld episode."""

    kind = "no_environment"


class ActArgumentError(ToolError):
    """``Act``'s arguments are not ``Env, "command"``."""

    kind = "bad_arguments"


def parse_act_args(args: str) -> str:
    """``Env, "open door to kitchen"`` -> ``open door to kitchen``; a lone quoted command is taken too."""
    text = args.strip()
    head, sep, rest = text.partition(",")
    if sep and _ENV.match(head.strip()):
        text = rest.strip()
    elif _ENV.match(text):
        raise ActArgumentError('Act needs a command: write e.g. Act(Env, "open door to kitchen")')
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    command = " ".join(text.split())
    if not command:
        raise ActArgumentError('the command is empty: write e.g. Act(Env, "open door to kitchen")')
    return command


def shown(step: StepResult) -> str:
    """What an action's result shows: the observation, and where the episode ended, a line that says so."""
    if not step.done:
        return step.observation
    return f"{step.observation}\n{ENDED}score {step.score})."


def episode_of(ctx: ExecutionContext) -> ScienceWorldEpisode:
    if not isinstance(ctx.env, ScienceWorldEpisode):
        raise NoEnvironmentError("Act acts on a ScienceWorld episode, but this task has none (--domain scienceworld)")
    return ctx.env


class Act(Tool):
    name = "Act"
    description = (
        "do one action in the ScienceWorld environment, e.g. 'open door to kitchen', 'go to kitchen', 'look "
        "around', 'pick up thermometer', 'move metal pot to stove', 'activate stove', 'use thermometer in "
        "inventory on water', 'focus on water', 'wait1'; gives what the environment shows after it"
    )
    signature = 'Act(Env, "action")'
    time_limit: ClassVar[float] = 120.0  # the episode has its own, shorter, limit per simulator call

    def run(self, args: str, ctx: ExecutionContext) -> str:
        episode = episode_of(ctx)
        command = parse_act_args(args)
        episode.details = {}
        try:
            return shown(episode.act(command))
        finally:
            ctx.details.update({"written": command, **episode.details})

    def run_batch(self, calls: list[tuple[str, ExecutionContext]]) -> list[Any]:
        """The calls of different episodes at once, one thread each (their simulators are separate)."""

        def one(call: tuple[str, ExecutionContext]) -> Any:
            args, ctx = call
            try:
                return self.run(args, ctx)
            except AgentStepError as exc:
                return exc

        with ThreadPoolExecutor(max_workers=max(1, len(calls))) as pool:
            return list(pool.map(one, calls))
