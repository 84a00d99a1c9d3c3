"""The execution module's runner: executes grounded actions in order with a domain's tools.

Each action's outputs are stored, as raw values, in the episode's :class:`ExecutionContext` (``R1`` ->
value); its result (:class:`~lumos.format.types.ActionResult`) shows them as text, rendered by the tool.
The first action that fails records a :class:`~lumos.format.types.StepError` and the rest of that list is
skipped. Only model mistakes (:class:`~lumos.errors.AgentStepError`) are recorded; other exceptions are
bugs and propagate.

Before each action the executor puts into ``ctx.state``: ``"outputs"`` (the action's output variables, so a
tool that returns as many values as asked can tell how many) and ``"time_limit"`` (seconds). The time limit
is enforced with SIGALRM on the main thread (see :func:`~lumos.tools.safe_math.time_limit`); on other
threads only the tools' own guards apply.

:func:`execute_batch` runs the action lists of many episodes (the tasks of one agent round) together: it walks
them position by position (a task's actions stay in order, since ``R2`` may use ``R1``) and sends the calls of
one position that go to the same tool in one :meth:`Tool.run_batch` call, so a tool that waits on a language
model or a re-ranker makes one batched call instead of one per task. Results, errors and details are those of
running each list alone with :meth:`Executor.execute`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from lumos.domain import DEFAULT_DOMAIN
from lumos.errors import AgentStepError, LimitExceededError, ParseError, UnknownToolError
from lumos.format.parse import parse_actions
from lumos.format.types import Action, ActionResult, StepError
from lumos.tools.base import VARIABLE, ExecutionContext, Tool, check_output_count, registry
from lumos.tools.safe_math import evaluate, render_value, split_equation, time_limit
from lumos.tools.safe_math.limits import Alarm

__all__ = ["Executor", "execute_batch", "run_program"]

NO_OUTPUT = "_"
"""The key under which an action without output variables (``Calculator(2 + 3)``) shows its result."""


class Executor:
    """Runs actions for one episode at a time with a fixed set of tool instances."""

    def limit_for(self, tool: Tool) -> float:
        """Seconds one action of ``tool`` may run: ``action_time_limit`` caps computing tools; a tool that
        declares a larger budget than the default (one that waits on a language model, say) keeps it."""
        if tool.time_limit > Tool.time_limit:
            return tool.time_limit
        return min(self.action_time_limit, tool.time_limit) if tool.time_limit else self.action_time_limit

    def __init__(self, tools: Sequence[Tool], *, action_time_limit: float = 5.0) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self._tools[tool.name] = tool
        self.action_time_limit = action_time_limit
        self._ctx = ExecutionContext()
        self._rendered: dict[str, str] = {}

    @property
    def context(self) -> ExecutionContext:
        return self._ctx

    @property
    def tools(self) -> dict[str, Tool]:
        return dict(self._tools)

    def reset(self, env: Any = None) -> None:
        """Start a new episode: forget every variable and reset every tool; ``env`` is the task's
        environment, which tools reach as ``ctx.env``."""
        self._ctx = ExecutionContext(env=env)
        self._rendered = {}
        for tool in self._tools.values():
            tool.reset()

    def execute(self, actions: list[Action]) -> list[ActionResult]:
        """Run ``actions`` in order; stop after the first one that fails (its result carries the error)."""
        results: list[ActionResult] = []
        for action in actions:
            result = self._execute_one(action)
            results.append(result)
            if result.error is not None:
                break
        return results

    # ----------------------------------------------------------------------------------- one action
    def _execute_one(self, action: Action) -> ActionResult:
        start = time.perf_counter()
        self._ctx.details = {}
        try:
            try:
                outputs = self._run(action)
            except Alarm:  # the alarm fired in the instant between the body and the limit's clean-up
                raise LimitExceededError(
                    f"the action took longer than {self.action_time_limit:g} s"
                ) from None
        except AgentStepError as exc:
            return self._result(action, exc, time.perf_counter() - start)
        return self._result(action, outputs, time.perf_counter() - start)

    def _result(self, action: Action, outcome: dict[str, str] | AgentStepError, seconds: float) -> ActionResult:
        text = action.render()
        if isinstance(outcome, AgentStepError):
            error = StepError(module="execute", kind=outcome.kind, message=f"{_clip(text)}: {outcome}")
            return ActionResult(action=text, error=error, seconds=seconds, details=self._ctx.details)
        return ActionResult(action=text, outputs=outcome, seconds=seconds, details=self._ctx.details)

    def batchable_tool(self, action: Action) -> Tool | None:
        """The tool of ``action`` when it has a batch method, ``run_batch(calls) -> list[value | error]``
        with ``calls`` a list of ``(args, ctx)``, which :func:`execute_batch` uses."""
        tool = self._tools.get(action.tool) if action.tool is not None else None
        return tool if tool is not None and callable(getattr(tool, "run_batch", None)) else None

    def _prepare(self, action: Action, tool: Tool) -> None:
        tool.load()  # outside the action's time limit
        self._ctx.state["outputs"] = list(action.outputs)
        self._ctx.state["time_limit"] = self.limit_for(tool)

    def _store(self, action: Action, tool: Tool, raw: Any) -> dict[str, str]:
        """Check a tool's return value against the action's outputs, keep the values, return their texts."""
        values = check_output_count(tool, action.outputs, raw)
        if action.outputs:
            shown = {name: tool.render(v) for name, v in zip(action.outputs, values, strict=True)}
        else:
            shown = {NO_OUTPUT: tool.render(raw if not isinstance(raw, tuple) else list(raw))}
        for name, v in zip(action.outputs, values, strict=False):
            self._ctx.variables[name] = v
            self._rendered[name] = shown[name]
        return shown

    def _run(self, action: Action) -> dict[str, str]:
        ctx = self._ctx
        if action.tool is None:
            value, text = self._bare_value(action.args)
            names = action.outputs or [NO_OUTPUT]
            for name in names:
                if name != NO_OUTPUT:
                    ctx.variables[name] = value
                    self._rendered[name] = text
            return {name: text for name in names}
        tool = self._tools.get(action.tool)
        if tool is None and VARIABLE.fullmatch(action.tool):  # "R2 = R1(2, 3)": apply a defined function
            return self._run(Action(outputs=action.outputs, tool=None, args=f"{action.tool}({action.args})"))
        if tool is None:
            known = ", ".join(sorted(self._tools)) or "none"
            raise UnknownToolError(f"there is no tool named {action.tool!r} (available: {known})")
        self._prepare(action, tool)
        with time_limit(self.limit_for(tool), f"{tool.name}"):
            return self._store(action, tool, tool.run(action.args, ctx))

    def _bare_value(self, args: str) -> tuple[Any, str]:
        """``Output = R3`` (the value itself, shown as its tool showed it) or ``R5 = R3 + 2`` (calculated)."""
        parts = split_equation(args)
        text = parts[0] if parts and parts[0] else args  # "Output = R9 = 40": the claimed value is ignored
        name = text.strip()
        if VARIABLE.fullmatch(name):
            value = self._ctx.lookup(name)
            return value, self._rendered.get(name, render_value(value))
        with time_limit(self.action_time_limit, "the expression"):
            value = evaluate(text, self._ctx)
            return value, render_value(value)


def execute_batch(jobs: Sequence[tuple[Executor, list[Action]]]) -> list[list[ActionResult]]:
    """Run each episode's actions (``(executor, actions)``, one executor per episode) as
    :meth:`Executor.execute` would, batching same-tool calls across episodes position by position.

    A batched group runs under one time limit, the tool's (:meth:`Executor.limit_for`); when it is exceeded
    every action of the group fails with :class:`~lumos.errors.LimitExceededError`. Each result's ``seconds``
    is its share of the group's time."""
    results: list[list[ActionResult]] = [[] for _ in jobs]
    failed = [False] * len(jobs)
    for position in range(max((len(actions) for _, actions in jobs), default=0)):
        groups: dict[str, list[int]] = {}
        for k, (executor, actions) in enumerate(jobs):
            if failed[k] or position >= len(actions):
                continue
            action = actions[position]
            tool = executor.batchable_tool(action)
            if tool is None:
                results[k].append(executor._execute_one(action))
            else:
                groups.setdefault(tool.name, []).append(k)
        for members in groups.values():
            calls = [(jobs[k][0], jobs[k][1][position]) for k in members]
            for k, result in zip(members, _run_group(calls), strict=True):
                results[k].append(result)
        for k in range(len(jobs)):
            if results[k] and len(results[k]) == position + 1 and results[k][-1].error is not None:
                failed[k] = True
    return results


def _run_group(calls: list[tuple[Executor, Action]]) -> list[ActionResult]:
    """One :meth:`Tool.run_batch` call for actions of the same tool in different episodes."""
    if len(calls) == 1:
        executor, action = calls[0]
        return [executor._execute_one(action)]
    tools = [executor.batchable_tool(action) for executor, action in calls]
    first = tools[0]
    assert first is not None
    for (executor, action), tool in zip(calls, tools, strict=True):
        assert tool is not None
        executor.context.details = {}
        executor._prepare(action, tool)
    start = time.perf_counter()
    limit = max(executor.limit_for(first) for executor, _ in calls)
    outcomes: list[Any]
    try:
        with time_limit(limit, f"{first.name} (batch of {len(calls)})"):
            batch = [(action.args, executor.context) for executor, action in calls]
            outcomes = first.run_batch(batch)  # type: ignore[attr-defined]
    except (Alarm, LimitExceededError):
        error = LimitExceededError(f"the action took longer than {limit:g} s")
        outcomes = [error] * len(calls)
    if len(outcomes) != len(calls):
        raise RuntimeError(f"{first.name}.run_batch gave {len(outcomes)} results for {len(calls)} calls")
    share = (time.perf_counter() - start) / len(calls)
    results = []
    for (executor, action), tool, outcome in zip(calls, tools, outcomes, strict=True):
        assert tool is not None
        shown: dict[str, str] | AgentStepError
        if isinstance(outcome, AgentStepError):
            shown = outcome
        else:
            try:
                shown = executor._store(action, tool, outcome)
            except AgentStepError as exc:
                shown = exc
        results.append(executor._result(action, shown, share))
    return results


def run_program(
    actions: list[str] | str, domain: str = DEFAULT_DOMAIN, *, action_time_limit: float = 5.0
) -> dict[str, Any]:
    """Parse and run a program of actions with a fresh set of ``domain`` tools.

    ``actions`` is the program text (``;`` or newlines between actions) or a list of such texts. Returns
    ``{"results": {"R1": "4", ...}, "output": "24", "error": None}``: every output variable's text, the last
    action's (last) output, and the error (naming the failing action, or the parse error) or None. When an
    action fails, ``results`` holds what ran before it and ``output`` is None.
    """
    tools = registry.instantiate(domain)
    executor = Executor(tools, action_time_limit=action_time_limit)
    texts = [actions] if isinstance(actions, str) else list(actions)
    parsed: list[Action] = []
    try:
        for text in texts:
            if not isinstance(text, str):
                raise ParseError(f"an action must be text, got {type(text).__name__}")
            parsed.extend(parse_actions(text))
    except ParseError as exc:
        return {"results": {}, "output": None, "error": f"parse error: {exc}"}
    results = executor.execute(parsed)
    shown: dict[str, str] = {}
    output: str | None = None
    error: str | None = None
    for result in results:
        if result.error is not None:
            error = result.error.message
            output = None
            break
        shown.update({k: v for k, v in result.outputs.items() if k != NO_OUTPUT})
        if result.outputs:
            output = list(result.outputs.values())[-1]
    return {"results": shown, "output": output, "error": error}


def _clip(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
