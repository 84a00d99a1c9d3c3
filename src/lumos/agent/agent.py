"""The Lumos agent: planning -> grounding -> execution, batched across many tasks.

Each round sends the plan prompts of every unfinished task to the planning model in one batch, then the
ground prompts to the grounding model in one batch, then executes every task's actions together (the tool
calls of the same position and tool across tasks batched, e.g. one QA model call for all tasks). Model mistakes
(unparseable output, failing actions) are recorded on their step and, in Lumos-I, shown to the planner as
the subgoal's result; the other tasks go on. On an environment that says when its episode is over (a live
web page), the environment ends the task (``AgentConfig.end_with_env``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from itertools import islice
from typing import Any, Literal

from lumos.agent.calls import generate_calls, next_subgoal, says_stop
from lumos.agent.config import BOUNDS, FLAGS, MAX_ROUNDS, AgentConfig, check_bounds
from lumos.agent.episode import AgentStats, Episode, first_page, repeats_itself, spend
from lumos.agent.window import fit_turns
from lumos.domain import domains, get_domain
from lumos.env import env_ended, env_live
from lumos.errors import AgentStepError, ConfigError, ParseError
from lumos.format.parse import (
    GO_ON_SENTENCE,
    parse_actions,
    parse_plan,
    render_actions,
    repeated_action_end,
)
from lumos.format.types import Action, Step, StepError, Subgoal, Trajectory
from lumos.models.base import Conversation, Message, Model
from lumos.prompts.modules import ModulePrompts
from lumos.prompts.prompt_styles import PromptStyle
from lumos.tools.base import Tool, registry
from lumos.tools.executor import Executor, execute_batch


class Agent:
    """A modular agent over a planning model and a grounding model (they may be the same object).

    >>> from lumos.models.fake import FakeModel
    >>> agent = Agent(FakeModel(["Subgoal 1: Add.", "Yes, I will stop planning."]),
    ...               FakeModel(["R1 = Calculator(2 + 3)"]))
    >>> agent.run(["What is 2 + 3?"])[0].answer
    '5'
    """

    def __init__(
        self,
        plan_model: Model,
        ground_model: Model | None = None,
        config: AgentConfig | None = None,
        *,
        style: PromptStyle | None = None,
        tools: Callable[[], Sequence[Tool]] | None = None,
        tool_options: dict[str, Any] | None = None,
    ) -> None:
        self.plan_model = plan_model
        self.ground_model = ground_model or plan_model
        self.config = config or AgentConfig()
        self.prompts = ModulePrompts(self.config.domain, style, self.config.n_examples)
        options = tool_options or {}
        self._make_tools = tools or (lambda: registry.instantiate(self.config.domain, **options))
        self.stats = AgentStats()

    # ------------------------------------------------------------------------------------- public

    def run(
        self,
        tasks: Sequence[str],
        ids: Sequence[str] | None = None,
        on_done: Callable[[Trajectory], None] | None = None,
        envs: Sequence[Any] | None = None,
    ) -> list[Trajectory]:
        """Run every task to the end; ``on_done`` is called as soon as each trajectory is finished.

        ``envs`` gives each task its environment (a web page, a shop session), which the tools of that task
        act on as ``ctx.env``; an environment with a ``meta`` dict has it copied onto the trajectory. The
        caller owns the environments (the agent neither resets nor closes them)."""
        if ids is not None and len(ids) != len(tasks):
            raise ConfigError(f"{len(ids)} ids given for {len(tasks)} tasks")
        if envs is not None and len(envs) != len(tasks):
            raise ConfigError(f"{len(envs)} environments given for {len(tasks)} tasks")
        started = time.perf_counter()
        size = max(1, self.config.batch_size)
        all_ids = list(ids) if ids is not None else [str(i) for i in range(len(tasks))]
        all_envs = list(envs) if envs is not None else [None] * len(tasks)
        out: list[Trajectory] = []
        if self.config.formulation == "iterative" and self.config.continuous:
            queue = iter(zip(tasks, all_ids, all_envs, strict=True))
            out = [e.traj for e in self._run_iterative(queue, size, on_done)]
        else:
            for lo in range(0, len(tasks), size):
                chunk = list(
                    zip(tasks[lo : lo + size], all_ids[lo : lo + size], all_envs[lo : lo + size], strict=True)
                )
                if self.config.formulation == "iterative":
                    episodes = self._run_iterative(iter(chunk), size, on_done)
                else:
                    episodes = [self._new_episode(*item) for item in chunk]
                    self._run_onetime(episodes, on_done)
                out.extend(e.traj for e in episodes)
        self.stats.wall_seconds += time.perf_counter() - started
        return out

    def run_one(self, task: str) -> Trajectory:
        return self.run([task])[0]

    # ----------------------------------------------------------------------------------- Lumos-I

    def _run_iterative(
        self,
        queue: Iterator[tuple[str, str, Any]],
        size: int,
        on_done: Callable[[Trajectory], None] | None,
    ) -> list[Episode]:
        """Run the tasks of ``queue`` (task, id, environment), at most ``size`` at a time, round by round: a
        finished task's place goes to the next waiting one at once, so a round never waits on tasks that are
        many rounds behind and a few long tasks do not hold back the rest. Returns the episodes in queue order."""
        episodes: list[Episode] = []
        active: list[Episode] = []
        while True:
            active = [e for e in active if not e.done]
            for item in islice(queue, size - len(active)):
                episodes.append(self._new_episode(*item))
                active.append(episodes[-1])
            if not active:
                return episodes
            self._round(active, on_done)

    def _round(self, active: list[Episode], on_done: Callable[[Trajectory], None] | None) -> None:
        """One Lumos-I round of every active task: plan, ground, execute; each task counts its own rounds."""
        cfg = self.config
        steps = {id(e): Step(index=e.rounds + 1) for e in active}
        # 1. plan: the next subgoal, or stop
        plan_outputs = self._generate(
            "plan",
            self.plan_model,
            [self._plan_prompt(e) for e in active],
            cfg.plan_max_tokens,
            steps,
            active,
        )
        if cfg.end_with_env:
            plan_outputs = self._go_on_while_live(active, plan_outputs, steps)
        grounding: list[Episode] = []
        for e, text in zip(active, plan_outputs, strict=False):
            step = steps[id(e)]
            try:
                next_subgoal_text = next_subgoal(text, first=not e.subgoals)
            except ParseError as exc:
                step.error = StepError(module="plan", kind=exc.kind, message=str(exc))
                e.plan_retry.append((text, str(exc)))
                self._record(e, step)
                if len(e.plan_retry) >= cfg.max_plan_errors:
                    self._finish(e, "plan_errors", on_done)  # more rounds would repeat the same mistake
                continue
            e.plan_retry.clear()
            if next_subgoal_text is None:
                self._record(e, step)
                if cfg.final_qa:
                    started = time.perf_counter()
                    self._final_qa(e)
                    spend(e.traj, "tool:QA", time.perf_counter() - started)
                self._finish(e, "planner_stopped", on_done)
            elif e.rounds == cfg.max_rounds:
                self._record(e, step)  # the planner wants to go on, but the round limit is reached
            else:
                subgoal = Subgoal(index=len(e.subgoals) + 1, text=next_subgoal_text)
                step.subgoals.append(subgoal)
                e.pending = subgoal
                grounding.append(e)
        for e in active:
            e.rounds += 1
            if not e.done and e.rounds > cfg.max_rounds:  # its last round only planned
                self._finish(e, "round_limit", on_done)
        if not grounding:
            return
        # 2. ground the new subgoal of every task that has one
        prompts = [
            self.prompts.ground_iterative(
                e.traj.task, [*e.subgoals, e.pending.text], e.actions, e.results
            )
            for e in grounding
            if e.pending is not None
        ]
        ground_outputs = self._generate(
            "ground", self.ground_model, prompts, cfg.ground_max_tokens, steps, grounding
        )
        # 3. execute (every task's actions together), and remember the result for the planner
        for e in grounding:
            assert e.pending is not None
            e.subgoals.append(e.pending.text)
            e.pending = None
        results = self._ground_and_execute(
            [(e, steps[id(e)], text) for e, text in zip(grounding, ground_outputs, strict=False)]
        )
        for e, result in zip(grounding, results, strict=False):
            e.results.append(result)
            self._record(e, steps[id(e)])
            if cfg.end_with_env and env_ended(e.executor.context.env):
                self._finish(e, "completed", on_done)
            elif cfg.stop_when_stuck and repeats_itself(e, cfg.stop_when_stuck):
                self._finish(e, "no_progress", on_done)

    def _go_on_while_live(
        self, active: list[Episode], outputs: list[str], steps: dict[int, Step]
    ) -> list[str]:
        """Where the planner stopped while its environment is still live, its reply is written again from
        "No, I will keep planning. Subgoal N:" (the environment, not the planner, knows the task is not over);
        both calls stay on the step."""
        live = [
            k
            for k, (e, text) in enumerate(zip(active, outputs, strict=True))
            if e.subgoals
            and e.rounds < self.config.max_rounds
            and env_live(e.executor.context.env)
            and says_stop(text)
        ]
        if not live:
            return outputs
        starts = [f"{GO_ON_SENTENCE} Subgoal {len(active[k].subgoals) + 1}:" for k in live]
        prompts: list[Conversation] = [
            [*self._plan_prompt(active[k]), Message(role="assistant", content=start)]
            for k, start in zip(live, starts, strict=True)
        ]
        going_on = [active[k] for k in live]
        texts = self._generate("plan", self.plan_model, prompts, self.config.plan_max_tokens, steps, going_on)
        out = list(outputs)
        for k, start, text in zip(live, starts, texts, strict=True):
            out[k] = steps[id(active[k])].calls[-1].output = start + text
        return out

    def _plan_prompt(self, e: Episode) -> Conversation:
        msgs = self.prompts.plan_iterative(e.traj.task, e.subgoals, e.results, observation=e.traj.observation)
        for bad, why in e.plan_retry[-2:]:
            hint = self.prompts.plan_retry(why, len(e.subgoals) + 1)
            if not hint:  # the style has no feedback turn: the same prompt again
                break
            msgs = [*msgs, {"role": "assistant", "content": bad}, {"role": "user", "content": hint}]
        return msgs

    # ----------------------------------------------------------------------------------- Lumos-O

    def _run_onetime(self, episodes: list[Episode], on_done: Callable[[Trajectory], None] | None) -> None:
        cfg = self.config
        steps = {id(e): Step(index=1) for e in episodes}
        plans = self._generate(
            "plan",
            self.plan_model,
            [self.prompts.plan_onetime(e.traj.task, observation=e.traj.observation) for e in episodes],
            cfg.plan_max_tokens,
            steps,
            episodes,
        )
        grounding: list[Episode] = []
        for e, text in zip(episodes, plans, strict=False):
            step = steps[id(e)]
            try:
                step.subgoals = parse_plan(text)
            except ParseError as exc:
                step.error = StepError(module="plan", kind=exc.kind, message=str(exc))
                self._record(e, step)
                self._finish(e, "plan_error", on_done)
                continue
            e.subgoals = [s.text for s in step.subgoals]
            grounding.append(e)
        prompts = [self.prompts.ground_onetime(e.traj.task, e.subgoals) for e in grounding]
        outputs = self._generate(
            "ground", self.ground_model, prompts, cfg.ground_max_tokens, steps, grounding
        )
        self._ground_and_execute(
            [(e, steps[id(e)], text) for e, text in zip(grounding, outputs, strict=False)]
        )
        for e in grounding:
            step = steps[id(e)]
            self._record(e, step)
            self._finish(e, "completed" if step.error is None else "action_error", on_done)

    # ----------------------------------------------------------------------------------- helpers

    def _new_episode(self, task: str, task_id: str, env: Any = None) -> Episode:
        executor = Executor(self._make_tools(), action_time_limit=self.config.action_time_limit)
        executor.reset(env=env)
        traj = Trajectory(
            task=task,
            id=task_id,
            domain=self.config.domain,
            formulation=self.config.formulation,
            meta=dict(getattr(env, "meta", None) or {}),
            observation=self._first_observation(env),
        )
        return Episode(traj=traj, executor=executor)

    def _shows_first_page(self) -> bool:
        """Whether the domain shows the planner the environment's page before any action."""
        return self.config.domain in domains and get_domain(self.config.domain).observe_first

    def _first_observation(self, env: Any) -> str:
        """The environment's page before any action, where the model is shown it ("" elsewhere)."""
        observe = getattr(env, "observation", None)
        return first_page(observe) if callable(observe) and self._shows_first_page() else ""

    def _ground_and_execute(self, grounded: Sequence[tuple[Episode, Step, str]]) -> list[str]:
        """Parse each task's grounded actions, execute them all together (same-tool calls of different tasks
        batched: :func:`~lumos.tools.executor.execute_batch`), and return the texts shown to the planners."""
        shown: dict[int, str] = {}
        jobs: list[tuple[Episode, Step, list[Action]]] = []
        for k, (e, step, text) in enumerate(grounded):
            try:
                actions: list[Action] = parse_actions(text)
            except ParseError as exc:
                step.error = StepError(module="ground", kind=exc.kind, message=str(exc))
                e.actions.append(text.strip())
                shown[k] = f"an error: {exc}"
                continue
            step.actions = actions
            e.actions.append(render_actions(actions))
            jobs.append((e, step, actions))
        results = iter(execute_batch([(e.executor, actions) for e, _, actions in jobs]))
        for k, (e, step, _) in enumerate(grounded):
            if k not in shown:
                step.results = next(results)
                for action, result in zip(step.actions, step.results, strict=False):
                    spend(e.traj, f"tool:{action.tool or 'expression'}", result.seconds)
                shown[k] = self._executed(e, step)
        return [shown[k] for k in range(len(grounded))]

    @staticmethod
    def _executed(e: Episode, step: Step) -> str:
        failed = next((r for r in step.results if r.error is not None), None)
        if failed is not None and failed.error is not None:
            step.error = failed.error
            return f"an error: {failed.error.message}"
        last = step.results[-1].outputs if step.results else {}
        value = list(last.values())[-1] if last else ""
        e.last_value = value
        return value

    def _generate(
        self,
        module: Literal["plan", "ground"],
        model: Model,
        prompts: Sequence[Conversation],
        max_tokens: int,
        steps: dict[int, Step],
        episodes: Sequence[Episode],
    ) -> list[str]:
        if not prompts:
            return []
        prompts, left_out = self._fit(module, model, prompts, max_tokens)
        repeats = self.config.end_repeated_actions
        end_check = partial(repeated_action_end, times=repeats) if module == "ground" and repeats else None
        calls, seconds = generate_calls(module, model, prompts, max_tokens, self.config.temperature, end_check)
        self.stats.model_seconds += seconds
        self.stats.model_calls += 1
        for e, call, pairs in zip(episodes, calls, left_out, strict=False):
            call.turns_left_out = pairs
            steps[id(e)].calls.append(call)
            e.traj.model_seconds += call.seconds
            spend(e.traj, module, call.seconds)
        return [c.output for c in calls]

    def _fit(
        self, module: Literal["plan", "ground"], model: Model, prompts: Sequence[Conversation], max_tokens: int
    ) -> tuple[list[Conversation], list[int]]:
        """Each prompt within the model's context, its oldest turns left out ``trim_turns`` pairs at a time
        (:func:`~lumos.agent.window.fit_turns`); how many pairs each left out."""
        room = model.prompt_room(max_tokens) if self.config.trim_turns else None
        if room is None:
            return list(prompts), [0] * len(prompts)
        head = self._prompt_head(module)
        fitted = [
            fit_turns(p, head, lambda c: model.count_tokens(c) <= room, self.config.trim_turns) for p in prompts
        ]
        return [p for p, _ in fitted], [n for _, n in fitted]

    def _prompt_head(self, module: Literal["plan", "ground"]) -> int:
        """How many leading messages of a Lumos-I module's prompt always stay: the demonstrations and the task's
        first turn."""
        if module == "plan":
            return len(self.prompts.plan_iterative("task"))
        return len(self.prompts.ground_iterative("task", ["subgoal"]))

    def _final_qa(self, e: Episode) -> None:
        """The domain's ``final_answer`` hook (complex QA: one QA call over every QA result with the configured
        question); its reply, if any, becomes the answer."""
        hook = get_domain(self.config.domain).hook("final_answer") if self.config.domain in domains else None
        if hook is None:
            return
        question = self.config.final_qa.replace("{task}", e.traj.task.strip())
        answer = hook(e.traj, e.executor.tools, question)
        if answer is not None:
            e.last_value = answer

    @staticmethod
    def _record(e: Episode, step: Step) -> None:
        e.traj.steps.append(step)

    @staticmethod
    def _finish(e: Episode, reason: str, on_done: Callable[[Trajectory], None] | None) -> None:
        e.done = True
        e.traj.finished = reason in ("planner_stopped", "completed")
        e.traj.stop_reason = reason
        e.traj.answer = e.last_value
        e.traj.seconds = time.perf_counter() - e.started
        spend(e.traj, "wait", max(0.0, e.traj.seconds - sum(e.traj.stage_seconds.values())))
        if on_done is not None:
            on_done(e.traj)


__all__ = [
    "BOUNDS",
    "FLAGS",
    "MAX_ROUNDS",
    "Agent",
    "AgentConfig",
    "AgentStats",
    "AgentStepError",
    "check_bounds",
    "env_ended",
    "env_live",
    "generate_calls",
    "next_subgoal",
]
