"""Methods under evaluation: the Lumos agent in both formulations and the paper's baselines on the same model.

A method answers a batch of examples and calls ``on_done(example, prediction)`` as each one finishes, so
the runner can save it at once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from lumos.agent.agent import Agent, AgentConfig
from lumos.errors import ConfigError
from lumos.eval.benchmarks import Example
from lumos.eval.protocol import EvalProtocol
from lumos.format.types import Trajectory
from lumos.models.base import GenerationParams, Model
from lumos.prompts.modules import ModulePrompts
from lumos.prompts.prompt_styles import PromptStyle

METHODS = ("direct", "cot", "integrated", "lumos-iterative", "lumos-onetime", "direct-iterative")
"""``direct-iterative``: the flat agent of environment benchmarks (:class:`~lumos.agent.flat.FlatAgent`)."""


@dataclass
class Prediction:
    answer: str | None
    output: str = ""
    error_kind: str | None = None
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_seconds: float = 0.0
    trace: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


OnDone = Callable[[Example, Prediction], None]


class Method(Protocol):
    name: str

    def run(self, examples: Sequence[Example], on_done: OnDone) -> None: ...


_ANSWER_IS = re.compile(r"answer\s*(?:is|:)\s*(.+)", re.I | re.S)


def extract_answer(text: str) -> str:
    """The answer part of a free-text reply: what follows the last "the answer is", else the whole text."""
    matches = list(_ANSWER_IS.finditer(text))
    if matches:
        return matches[-1].group(1).strip().split("\n")[0].strip().rstrip(".")
    return text.strip()


class PromptMethod:
    """``direct`` (answer only) or ``cot`` (reasoning, then the answer): one generation per example."""

    def __init__(
        self, name: str, model: Model, prompts: ModulePrompts, max_tokens: int, batch_size: int = 32
    ) -> None:
        self.name = name
        self.model = model
        self.prompts = prompts
        self.max_tokens = max_tokens
        self.batch_size = batch_size

    def run(self, examples: Sequence[Example], on_done: OnDone) -> None:
        build = self.prompts.direct if self.name == "direct" else self.prompts.cot
        stop = ["\n"] if self.name == "direct" else ["\n\n", "Question:"]
        params = GenerationParams(max_tokens=self.max_tokens, stop=stop)
        for lo in range(0, len(examples), self.batch_size):
            batch = examples[lo : lo + self.batch_size]
            started = time.perf_counter()
            gens = self.model.generate([build(ex.question) for ex in batch], params)
            share = (time.perf_counter() - started) / len(batch)
            for ex, g in zip(batch, gens, strict=False):
                on_done(
                    ex,
                    Prediction(
                        answer=extract_answer(g.text),
                        output=g.text,
                        prompt_tokens=g.prompt_tokens,
                        completion_tokens=g.completion_tokens,
                        model_seconds=share,
                    ),
                )


class IntegratedMethod:
    """One model writes every subgoal and its actions in one output (the paper's unmodularised baseline);
    the actions are executed and the last result is the answer."""

    name = "integrated"

    def __init__(self, model: Model, prompts: ModulePrompts, config: AgentConfig) -> None:
        self.model = model
        self.prompts = prompts
        self.config = config

    def run(self, examples: Sequence[Example], on_done: OnDone) -> None:
        from lumos.errors import ParseError
        from lumos.format.parse import parse_actions
        from lumos.tools.base import registry
        from lumos.tools.executor import Executor

        params = GenerationParams(max_tokens=320, stop=["\n\n"], temperature=self.config.temperature)
        size = max(1, self.config.batch_size)
        for lo in range(0, len(examples), size):
            batch = examples[lo : lo + size]
            started = time.perf_counter()
            gens = self.model.generate([self.prompts.integrated(ex.question) for ex in batch], params)
            share = (time.perf_counter() - started) / len(batch)
            for ex, g in zip(batch, gens, strict=False):
                pred = Prediction(
                    answer=None,
                    output=g.text,
                    prompt_tokens=g.prompt_tokens,
                    completion_tokens=g.completion_tokens,
                    model_seconds=share,
                )
                try:
                    actions = parse_actions(g.text)
                except ParseError as exc:
                    pred.error_kind, pred.error = exc.kind, str(exc)
                    on_done(ex, pred)
                    continue
                executor = Executor(
                    registry.instantiate(self.config.domain), action_time_limit=self.config.action_time_limit
                )
                executor.reset()
                results = executor.execute(actions)
                failed = next((r.error for r in results if r.error is not None), None)
                if failed is not None:
                    pred.error_kind, pred.error = failed.kind, failed.message
                elif results and results[-1].outputs:
                    pred.answer = list(results[-1].outputs.values())[-1]
                on_done(ex, pred)


class LumosMethod:
    """Lumos-I or Lumos-O: the agent's answer is the last executed result (``failed_action_wrong``: none at
    all once an action failed, as the paper's maths protocol scores it)."""

    def __init__(self, name: str, agent: Agent, failed_action_wrong: bool = False) -> None:
        self.name = name
        self.agent = agent
        self.failed_action_wrong = failed_action_wrong

    def run(self, examples: Sequence[Example], on_done: OnDone) -> None:
        by_id = {ex.id: ex for ex in examples}

        def done(traj: Trajectory) -> None:
            errors = traj.errors
            last_error = errors[-1] if errors else None
            answer = traj.answer
            if self.failed_action_wrong and any(e.module in ("ground", "execute") for e in errors):
                answer = None
            on_done(
                by_id[traj.id],
                Prediction(
                    answer=answer,
                    output=traj.answer or "",
                    error_kind=None
                    if answer is not None
                    else (last_error.kind if last_error else traj.stop_reason),
                    error=None if last_error is None else last_error.message,
                    prompt_tokens=traj.prompt_tokens,
                    completion_tokens=traj.completion_tokens,
                    model_seconds=traj.model_seconds,
                    trace=traj.model_dump(),
                    extra={
                        "step_errors": [e.kind for e in errors],
                        "stop_reason": traj.stop_reason,
                        "seconds": round(traj.seconds, 4),
                        "stage_seconds": {k: round(v, 4) for k, v in traj.stage_seconds.items()},
                    },
                ),
            )

        self.agent.run([ex.question for ex in examples], ids=[ex.id for ex in examples], on_done=done)


def make_method(
    name: str,
    planner: Model,
    grounder: Model,
    agent_config: AgentConfig,
    tool_options: dict[str, Any] | None = None,
    *,
    style: PromptStyle | None = None,
    protocol: EvalProtocol | None = None,
) -> Method:
    """The method ``name`` over the loaded models, in a prompt ``style`` and an evaluation ``protocol``
    (whose agent settings override ``agent_config``'s)."""
    protocol = protocol or EvalProtocol()
    if name in ("direct", "cot"):
        prompts = ModulePrompts(agent_config.domain, style, n_examples=agent_config.n_examples)
        return PromptMethod(name, planner, prompts, 32 if name == "direct" else 256, agent_config.batch_size)
    if name == "integrated":
        return IntegratedMethod(
            planner, ModulePrompts(agent_config.domain, style, n_examples=agent_config.n_examples), agent_config
        )
    if name in ("lumos-iterative", "lumos-onetime"):
        formulation = name.split("-", 1)[1]
        overrides = {k: v for k, v in protocol.agent_overrides(name).items() if v is not None}
        config = AgentConfig(**{**agent_config.__dict__, **overrides, "formulation": formulation})
        agent = Agent(planner, grounder, config, style=style, tool_options=tool_options)
        return LumosMethod(name, agent, failed_action_wrong=protocol.failed_action_wrong)
    if name == "direct-iterative":
        raise ConfigError(
            "direct-iterative reads a live environment's pages: use it on an environment benchmark such as "
            "miniwob, not on a question set"
        )
    raise ConfigError(f"unknown method {name!r}; choose one of: {', '.join(METHODS)}")
