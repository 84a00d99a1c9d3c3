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
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from lumos.errors import AgentStepError, LimitExceededError, ParseError, UnknownToolError
from lumos.format.parse import parse_actions
from lumos.format.types import Action, ActionResult, StepError
from lumos.tools.base import VARIABLE, ExecutionContext, Tool, check_output_count, registry
from lumos.tools.safe_math import _Alarm, evaluate, render_value, split_equation, time_limit

__all__ = ["Executor", "run_program"]

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
        text = action.render()
        start = time.perf_counter()
        self._ctx.details = {}
        try:
            try:
                outputs = self._run(action)
            except _Alarm:  # the alarm fired in the instant between the body and the limit's clean-up
                raise LimitExceededError(
                    f"the action took longer than {self.action_time_limit:g} s"
                ) from None
        except AgentStepError as exc:
            error = StepError(module="execute", kind=exc.kind, message=f"{_clip(text)}: {exc}")
            return ActionResult(
                action=text, error=error, seconds=time.perf_counter() - start, details=self._ctx.details
            )
        return ActionResult(
            action=text, outputs=outputs, seconds=time.perf_counter() - start, details=self._ctx.details
        )

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
        limit = self.limit_for(tool)
        ctx.state["outputs"] = list(action.outputs)
        ctx.state["time_limit"] = limit
        shown: dict[str, str]
        with time_limit(limit, f"{tool.name}"):
            raw = tool.run(action.args, ctx)
            values = check_output_count(tool, action.outputs, raw)
            if action.outputs:
                shown = {name: tool.render(v) for name, v in zip(action.outputs, values, strict=True)}
            else:
                shown = {NO_OUTPUT: tool.render(raw if not isinstance(raw, tuple) else list(raw))}
        for name, v in zip(action.outputs, values, strict=False):
            ctx.variables[name] = v
            self._rendered[name] = shown[name]
        return shown

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


def run_program(
    actions: list[str] | str, domain: str = "maths", *, action_time_limit: float = 5.0
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
