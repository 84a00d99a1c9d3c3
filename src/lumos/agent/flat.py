"""The unmodularised baseline of environment tasks: one model, no plan.

At each round the model reads the task, the page the environment showed first, and every earlier action
with the page it left, and writes the next action (``R3 = CLICK(R2, QUERY: ...)``). Trained on the same
episodes as Lumos's planner and grounder (``lumos data build`` writes ``direct_iterative.jsonl``), it is the
flat, direct-trained model that Lumos-I is compared with. A task ends when its environment says so
(``env.ended()``), when the model's actions and their results repeat ``stop_when_stuck`` times, or at
``max_rounds``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from lumos.agent.agent import Agent, AgentConfig
from lumos.agent.episode import Episode, without_variables
from lumos.env import env_ended
from lumos.format.types import Step, Subgoal, Trajectory
from lumos.models.base import Model
from lumos.prompts.prompt_styles import PromptStyle
from lumos.tools.base import Tool

NEXT_ACTION = "the next action"
"""The subgoal text recorded on each round (there is no plan to take one from)."""


class FlatAgent(Agent):
    """One model writes each next action from the task and the pages so far (see the module doc)."""

    def __init__(
        self,
        model: Model,
        config: AgentConfig | None = None,
        *,
        style: PromptStyle | None = None,
        tools: Callable[[], Sequence[Tool]] | None = None,
        tool_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(model, model, config, style=style, tools=tools, tool_options=tool_options)

    def _shows_first_page(self) -> bool:
        return True  # the flat model always reads the page it acts on

    def _round(self, active: list[Episode], on_done: Callable[[Trajectory], None] | None) -> None:
        """One round of every active task: its next action, executed; each task counts its own rounds."""
        cfg = self.config
        steps = {
            id(e): Step(index=e.rounds + 1, subgoals=[Subgoal(index=e.rounds + 1, text=NEXT_ACTION)])
            for e in active
        }
        prompts = [
            self.prompts.act_iterative(e.traj.task, e.traj.observation, e.actions, e.results) for e in active
        ]
        outputs = self._generate("ground", self.ground_model, prompts, cfg.ground_max_tokens, steps, active)
        results = self._ground_and_execute(
            [(e, steps[id(e)], text) for e, text in zip(active, outputs, strict=True)]
        )
        for e, result in zip(active, results, strict=True):
            e.results.append(result)
            e.rounds += 1
            self._record(e, steps[id(e)])
            if env_ended(e.executor.context.env):
                self._finish(e, "completed", on_done)
            elif cfg.stop_when_stuck and _stuck(e, cfg.stop_when_stuck):
                self._finish(e, "no_progress", on_done)
            elif e.rounds >= cfg.max_rounds:
                self._finish(e, "round_limit", on_done)

    def _prompt_head(self, module: str) -> int:
        return len(self.prompts.act_iterative("task", "", [], []))

    def _run_onetime(self, episodes: list[Episode], on_done: Callable[[Trajectory], None] | None) -> None:
        while active := [e for e in episodes if not e.done]:  # a flat agent has no plan to write at once
            self._round(active, on_done)


def _stuck(e: Episode, rounds: int) -> bool:
    """The same actions with the same result (or error) in each of the last ``rounds`` rounds."""
    if len(e.actions) < rounds:
        return False
    tail = [
        " ".join(f"{without_variables(a)} -> {r}".lower().split()) for a, r in zip(e.actions, e.results, strict=False)
    ]
    return len(set(tail[-rounds:])) == 1
