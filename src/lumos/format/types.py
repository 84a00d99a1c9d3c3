"""Types of the unified format: subgoals, actions, steps and whole trajectories (JSON serialisable)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from lumos.domain import DEFAULT_DOMAIN

Module = Literal["plan", "ground", "execute"]


class Subgoal(BaseModel):
    """One high-level subgoal written by the planning module."""

    index: int
    text: str

    def render(self) -> str:
        return f"Subgoal {self.index}: {self.text}"


class Action(BaseModel):
    """One low-level action: ``R5, R6 = SolveEquation(R2 = x*y, R3 = x/y)``.

    ``args`` is the raw text between the outer parentheses; each tool splits it by its own signature, because
    an argument such as a question may itself contain commas. ``tool`` is None for a bare value
    (``Output = R3``).
    """

    outputs: list[str] = Field(default_factory=list)
    tool: str | None = None
    args: str = ""

    def render(self) -> str:
        rhs = f"{self.tool}({self.args})" if self.tool is not None else self.args
        return f"{', '.join(self.outputs)} = {rhs}" if self.outputs else rhs


class StepError(BaseModel):
    """A recorded model mistake: which module, what kind (see :mod:`lumos.errors`), and the message."""

    module: Module
    kind: str
    message: str


class ActionResult(BaseModel):
    """What executing one action gave: its output variables rendered as text, or an error."""

    action: str
    outputs: dict[str, str] = Field(default_factory=dict)
    error: StepError | None = None
    seconds: float = 0.0
    details: dict[str, Any] = Field(default_factory=dict)
    """What the tool recorded beside the result (a web tool's ranked candidates, a screenshot file...)."""


class ModelCall(BaseModel):
    """One generation by one module, with its cost."""

    module: Literal["plan", "ground"]
    output: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    finish_reason: str = "stop"
    """"stop", "length" (the token limit cut it) or "end_check" (ended early: a grounder repeating an action)."""
    turns_left_out: int = 0
    """Turn pairs left out of the prompt to fit the model's context (``AgentConfig.trim_turns``)."""


class Step(BaseModel):
    """One round of the agent: subgoal(s) planned, their grounded actions, and the execution results."""

    index: int
    subgoals: list[Subgoal] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    results: list[ActionResult] = Field(default_factory=list)
    calls: list[ModelCall] = Field(default_factory=list)
    error: StepError | None = None


class Trajectory(BaseModel):
    """A whole run of the agent on one task; written as one JSON trace."""

    task: str
    id: str = ""
    domain: str = DEFAULT_DOMAIN
    formulation: Literal["iterative", "onetime"] = "iterative"
    steps: list[Step] = Field(default_factory=list)
    answer: str | None = None
    finished: bool = False
    stop_reason: str = ""
    seconds: float = 0.0
    model_seconds: float = 0.0
    stage_seconds: dict[str, float] = Field(default_factory=dict)
    """Where the task's wall time went: ``plan`` and ``ground`` (its share of each batched model call),
    ``tool:NAME`` (its actions of each tool: model calls, retrieval, re-ranking, environment steps), and
    ``wait`` (the rest: its round's work for the other tasks, and lumos's own bookkeeping)."""
    meta: dict[str, Any] = Field(default_factory=dict)
    """Facts about the task's environment worth keeping (a web task's id, website, reward...)."""
    observation: str = ""
    """What the environment showed before the first action, where the domain shows it to the planner."""

    @property
    def subgoals(self) -> list[Subgoal]:
        return [s for step in self.steps for s in step.subgoals]

    @property
    def actions(self) -> list[Action]:
        return [a for step in self.steps for a in step.actions]

    @property
    def errors(self) -> list[StepError]:
        found: list[StepError] = []
        for step in self.steps:  # a failing action's error is also its step's error: count it once
            errors = [r.error for r in step.results if r.error is not None]
            if step.error is not None and step.error not in errors:
                errors.insert(0, step.error)
            found += errors
        return found

    @property
    def prompt_tokens(self) -> int:
        return sum(c.prompt_tokens for step in self.steps for c in step.calls)

    @property
    def completion_tokens(self) -> int:
        return sum(c.completion_tokens for step in self.steps for c in step.calls)

    def to_json(self, **kwargs: object) -> str:
        return self.model_dump_json(**kwargs)  # type: ignore[arg-type]

    @classmethod
    def from_json(cls, text: str | bytes) -> Trajectory:
        return cls.model_validate_json(text)


class Annotation(BaseModel):
    """A solved task in the unified format: the unit of in-context examples and of training data.

    ``actions[k]`` holds the grounded actions of ``subgoals[k]`` (``"R1 = ...; R2 = ..."``) and
    ``results[k]`` what executing them gave (the last output), as shown to the planner. ``observation``:
    what a live environment showed before the first action (empty where the task is plain text).
    """

    task: str
    answer: str = ""
    subgoals: list[str]
    actions: list[str]
    results: list[str] = Field(default_factory=list)
    rationale: str = ""
    domain: str = DEFAULT_DOMAIN
    source: str = ""
    id: str = ""
    observation: str = ""
