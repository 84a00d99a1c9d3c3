"""How the agent runs: :class:`AgentConfig`, the settings of ``lumos run`` and ``lumos eval`` (flags and
``--config`` files), with the allowed range of each number."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from lumos.domain import DEFAULT_DOMAIN
from lumos.errors import ConfigError, check_range
from lumos.tools.base import registry


@dataclass
class AgentConfig:
    """How the agent runs: the fields of the ``--config`` YAML file of ``lumos run`` and ``lumos eval``."""

    domain: str = field(default=DEFAULT_DOMAIN, metadata={"help": "task domain: its tools and prompts"})
    formulation: Literal["iterative", "onetime"] = field(
        default="iterative",
        metadata={"help": "Lumos-I (plan one subgoal per round) or Lumos-O (plan all at once)"},
    )
    max_rounds: int = field(
        default=8, metadata={"help": "Lumos-I: most subgoals per task before it is cut off"}
    )
    max_plan_errors: int = field(
        default=3,
        metadata={"help": "Lumos-I: planner outputs in a row that cannot be read before a task stops"},
    )
    stop_when_stuck: int = field(
        default=3,
        metadata={
            "help": "Lumos-I: end a task (stop reason no_progress) when its last N rounds repeat themselves: "
            "the same subgoal, or the same actions with the same result or error; 0: never"
        },
    )
    end_repeated_actions: int = field(
        default=3,
        metadata={
            "help": "a grounder output ends before an action written for the Nth time, its variables aside "
            "(R4 = QA([R3], ...) then R5 = QA([R4], ...)): a model looping on one action until its token limit; "
            "0: never"
        },
    )
    trim_turns: int = field(
        default=4,
        metadata={
            "help": "Lumos-I: a module conversation too long for its model's context leaves out its oldest turn "
            "pairs after the task, N at a time (the following rounds then extend the same prompt, which the "
            "engine has cached); 0: the engine cuts the prompt's start"
        },
    )
    n_examples: int = field(default=0, metadata={"help": "in-context demonstrations before each prompt"})
    plan_max_tokens: int = field(default=96, metadata={"help": "token limit of one planner output"})
    ground_max_tokens: int = field(default=160, metadata={"help": "token limit of one grounder output"})
    temperature: float = field(default=0.0, metadata={"help": "sampling temperature (0: greedy)"})
    action_time_limit: float = field(default=5.0, metadata={"help": "seconds one action may run"})
    batch_size: int = field(default=64, metadata={"help": "most tasks sent to a model in one batch"})
    continuous: bool = field(
        default=True,
        metadata={
            "help": "Lumos-I: a finished task's place in the batch goes to the next waiting task at once "
            "(continuous batching); false: batches of batch_size tasks run to their end one after another"
        },
    )
    end_with_env: bool = field(
        default=True,
        metadata={
            "help": "Lumos-I on an environment that says when its episode is over (a live web page): the task "
            "ends as soon as the environment ends it, and a planner that stops while the environment is still "
            "live is made to go on (its reply continued from 'No, I will keep planning. Subgoal N:'); false: "
            "the planner alone decides when to stop"
        },
    )
    final_qa: str = field(
        default="",
        metadata={
            "help": "Lumos-I: when the planner stops, the answer is one QA call over every QA result with this "
            "question ({task}: the task; the paper's complex-QA protocol); empty: the last result"
        },
    )

    def __post_init__(self) -> None:
        if self.formulation not in ("iterative", "onetime"):
            raise ConfigError(f"formulation must be 'iterative' or 'onetime', not {self.formulation!r}")
        check_bounds(self.__dict__)
        if self.stop_when_stuck == 1:
            raise ConfigError("stop_when_stuck must be 0 (never) or at least 2 rounds")
        if self.end_repeated_actions == 1:
            raise ConfigError("end_repeated_actions must be 0 (never) or at least 2 (the second time)")
        registry.domain(self.domain)  # raises ConfigError naming the known domains


MAX_ROUNDS = 1000
"""The most rounds (subgoals) a task may be given: nothing a user types grows without bound."""

BOUNDS: dict[str, tuple[float, float]] = {
    "max_rounds": (1, MAX_ROUNDS),
    "max_plan_errors": (1, MAX_ROUNDS),
    "stop_when_stuck": (0, MAX_ROUNDS),
    "end_repeated_actions": (0, 1000),
    "trim_turns": (0, MAX_ROUNDS),
    "n_examples": (0, 100),
    "plan_max_tokens": (1, 1_000_000),
    "ground_max_tokens": (1, 1_000_000),
    "batch_size": (1, 1_000_000),
    "temperature": (0, 100),
    "action_time_limit": (0.001, 86_400),
}
"""The allowed range of each number of :class:`AgentConfig`."""

FLAGS = {"n_examples": "--examples", "max_rounds": "--max-rounds", "batch_size": "--batch-size"}
"""The command-line flags of the settings that have one (the others are set in a ``--config`` file)."""


def check_bounds(settings: dict[str, Any]) -> None:
    """Refuse a number of :class:`AgentConfig` (a flag or a ``--config`` value) outside its range, naming the
    setting and its flag; settings that are None (not given) or not numbers of AgentConfig are not checked."""
    for name, (low, high) in BOUNDS.items():
        value = settings.get(name)
        if value is None:
            continue
        what = f"{name} ({FLAGS[name]})" if name in FLAGS else name
        check_range(what, value, low, high, whole=name not in ("temperature", "action_time_limit"))
