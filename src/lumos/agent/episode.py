"""The working state of one task while the agent runs it, and where a run's time went."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lumos.errors import AgentStepError
from lumos.format.types import Subgoal, Trajectory
from lumos.tools.executor import Executor


@dataclass
class AgentStats:
    """Where the wall time of :meth:`Agent.run` went."""

    wall_seconds: float = 0.0
    model_seconds: float = 0.0
    model_calls: int = 0

    @property
    def overhead_share(self) -> float:
        return 0.0 if self.wall_seconds == 0 else max(0.0, 1 - self.model_seconds / self.wall_seconds)


@dataclass
class Episode:
    """The working state of one task during a run."""

    traj: Trajectory
    executor: Executor
    subgoals: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    results: list[str] = field(default_factory=list)
    last_value: str | None = None
    pending: Subgoal | None = None
    plan_retry: list[tuple[str, str]] = field(default_factory=list)
    done: bool = False
    rounds: int = 0
    started: float = field(default_factory=time.perf_counter)


def first_page(observe: Callable[[], Any]) -> str:
    """The environment's first page; "" where it cannot give one (a crashed browser: the episode's first action
    then fails and is recorded on its step)."""
    try:
        return str(observe())
    except AgentStepError:
        return ""


def spend(traj: Trajectory, stage: str, seconds: float) -> None:
    traj.stage_seconds[stage] = traj.stage_seconds.get(stage, 0.0) + seconds


def repeats_itself(e: Episode, rounds: int) -> bool:
    """Whether the last ``rounds`` rounds of a Lumos-I task were the same: the same subgoal each time, or the
    same actions giving the same result (or error) each time."""
    if len(e.subgoals) < rounds:
        return False

    def same(items: list[str]) -> bool:
        last = [" ".join(item.lower().split()) for item in items[-rounds:]]
        return len(set(last)) == 1

    return same(e.subgoals) or (same([without_variables(a) for a in e.actions]) and same(e.results))


_VARIABLE = re.compile(r"\b(?:R\d+|Env)\b")


def without_variables(actions: str) -> str:
    """Actions with their variables (and ``Env``) blanked: ``R7 = Act(R6, "look")`` and ``R8 = Act(R7, "look")``
    are the same action taken again."""
    return _VARIABLE.sub("R", actions)
