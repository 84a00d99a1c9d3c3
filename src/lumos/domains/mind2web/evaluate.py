"""``lumos eval mind2web``: step-wise evaluation with the gold history (the Mind2Web and Lumos protocol).

Every step of every task is one item. Methods:

* ``lumos-iterative``: the planner sees the task and the gold subgoals before the step (each "done", as the
  web prompts say) and writes the next subgoal; the grounder, with the gold actions of those subgoals, grounds
  it; the action runs on the step's recorded page.
* ``lumos-onetime``: the planner writes every subgoal of a task at once and the grounder grounds them all; the
  k-th web action is the prediction for step k (no gold history, by the formulation).
* ``direct``: the grounding model alone, given the task and the gold actions so far, writes the next action
  (no plan).

Items are batched across tasks (one planner call and one grounder call per batch). ``predictions.jsonl`` has
one line per step (``annotation_id``, ``action_uid``, ``pred_element``, ``pred_op``, ``pred_value``,
``scores``, and the trace), appended as each finishes; a re-run with the same ``--out`` skips the steps there.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from lumos.agent.agent import generate_calls, next_subgoal
from lumos.domains.mind2web.annotate import GoldAction, gold_actions, gold_result
from lumos.domains.mind2web.metrics import METRICS, aggregate, score_step
from lumos.domains.mind2web.tasks import DEMO_NOTE, Mind2WebPage, Mind2WebTask, load_tasks
from lumos.domains.web_common.tools import WEB_TOOLS, resolve_ranker
from lumos.errors import AgentStepError, ConfigError, ParseError
from lumos.eval.custom import MethodRun
from lumos.format.parse import parse_actions, parse_plan, render_actions
from lumos.format.types import Action, ActionResult, ModelCall, Step, StepError, Subgoal, Trajectory
from lumos.models.base import Conversation, Message, Model
from lumos.prompts.modules import ModulePrompts, tool_descriptions
from lumos.prompts.prompt_styles import pick_style

METHODS = ("lumos-iterative", "lumos-onetime", "direct")
TOP_K = 5


@dataclass
class Item:
    """One step of one task."""

    task: Mind2WebTask
    index: int
    golds: list[GoldAction]

    @property
    def id(self) -> str:
        return f"{self.task.annotation_id}:{self.task.steps[self.index].action_uid}"

    def history(self) -> tuple[list[str], list[str], list[str]]:
        """Gold subgoals, actions and results before this step."""
        before = self.golds[: self.index]
        return (
            [g.subgoal() for g in before],
            [g.action(k) for k, g in enumerate(before, 1)],
            [gold_result(self.task, k) for k in range(self.index)],
        )


@dataclass
class Outcome:
    """What a method did on one item."""

    subgoal: str | None = None
    action_text: str = ""
    actions: list[Action] = field(default_factory=list)
    results: list[ActionResult] = field(default_factory=list)
    calls: list[ModelCall] = field(default_factory=list)
    error: StepError | None = None
    page: Mind2WebPage | None = None


# ---------------------------------------------------------------------------------------------- runner


def evaluate(run: MethodRun) -> dict[str, Any]:
    """The ``runner:`` of ``mind2web`` in benchmarks.yaml."""
    if run.method not in METHODS:
        raise ConfigError(f"mind2web evaluates the methods {', '.join(METHODS)}, not {run.method!r}")
    from lumos.eval.runner import open_run, write_results

    tasks = load_tasks(run.data, run.limit)
    if run.data is None:
        import sys

        print(f"mind2web: {DEMO_NOTE}; pass --data for the released data", file=sys.stderr)
    ranker_spec = run.options.get("ranker") or "dense"
    config = {
        **run.settings,
        "data": str(run.data) if run.data else None,
        "data_note": None if run.data else DEMO_NOTE,
        "ranker": ranker_spec,
        "protocol": "step-wise with the gold history",
    }
    store = open_run(run.run_dir, config)
    items = [Item(t, i, gold_actions(t)) for t in tasks for i in range(len(t.steps))]
    todo = [it for it in items if it.id not in store.done]
    method = StepMethod(run, resolve_ranker(ranker_spec))
    started = time.perf_counter()
    model_seconds = 0.0
    try:
        for chunk in _chunks(todo, max(1, run.batch_size), by_task=run.method == "lumos-onetime"):
            t0 = time.perf_counter()
            outcomes = method.predict(chunk)
            model_seconds += method.last_model_seconds
            share = (time.perf_counter() - t0) / max(len(chunk), 1)
            for item, outcome in zip(chunk, outcomes, strict=True):
                store.append(_record(item, outcome, share, run.method))
    finally:
        store.close()
    wall = time.perf_counter() - started
    wanted = {it.id for it in items}
    records = [r for r in store.records if r["id"] in wanted]
    result = summarise(run, records, len(todo), wall, model_seconds, config)
    write_results(run.run_dir, result, render_report(result))
    return result


def _chunks(items: list[Item], size: int, by_task: bool) -> list[list[Item]]:
    """Batches of ``size`` steps; with ``by_task`` a task's steps stay in one batch (one-time plans)."""
    chunks: list[list[Item]] = [[]]
    for i, item in enumerate(items):
        new_task = i == 0 or items[i - 1].task is not item.task
        if len(chunks[-1]) >= size and (not by_task or new_task):
            chunks.append([])
        chunks[-1].append(item)
    return [c for c in chunks if c]


def summarise(
    run: MethodRun,
    records: list[dict[str, Any]],
    done_now: int,
    wall: float,
    model: float,
    config: dict[str, Any],
) -> dict[str, Any]:
    from collections import Counter

    scores = aggregate(records)
    return {
        "benchmark": run.bench.name,
        "method": run.method,
        "model": run.settings.get("model_label"),
        "data": config["data"] or DEMO_NOTE,
        "n": len(records),
        "n_tasks": len({r["annotation_id"] for r in records}),
        **scores,
        "primary_metric": run.bench.primary_metric,
        "unanswerable_steps": sum(1 for r in records if not r["gold"]["elements"]),
        "failures": dict(Counter(r["error_kind"] for r in records if r.get("error_kind"))),
        "tokens": {
            "prompt": sum(r.get("prompt_tokens", 0) for r in records),
            "completion": sum(r.get("completion_tokens", 0) for r in records),
        },
        "steps_this_run": done_now,
        "wall_seconds": round(wall, 3),
        "model_seconds": round(model, 3),
        "steps_per_second": round(done_now / wall, 4) if done_now and wall > 0 else None,
    }


def render_report(result: dict[str, Any]) -> str:
    head = "| " + " | ".join(["n steps", "tasks", *METRICS, "steps/s"]) + " |"
    row = "| " + " | ".join(
        [str(result["n"]), str(result["n_tasks"]), *(f"{100 * result[m]:.1f}" for m in METRICS),
         str(result["steps_per_second"])]
    ) + " |"  # fmt: skip
    return (
        "\n".join(
            [
                f"# {result['method']} on Mind2Web ({result['data']})",
                "",
                head,
                "|" + "---|" * (len(METRICS) + 3),
                row,
                "",
                f"Unanswerable steps (target pruned, counted wrong): {result['unanswerable_steps']}. "
                f"Failures by kind: {result['failures'] or 'none'}.",
            ]
        )
        + "\n"
    )


def _record(item: Item, out: Outcome, seconds: float, method: str) -> dict[str, Any]:
    step = item.task.steps[item.index]
    taken = out.page.prediction if out.page is not None else None
    element, op, value = (taken.ref, taken.op, taken.value) if taken else (None, None, None)
    scores = score_step(step, element, op, value)
    candidates: list[Any] = next(
        (r.details["candidates"] for r in out.results if r.details.get("candidates")), []
    )
    trace_step = Step(
        index=item.index + 1,
        subgoals=[Subgoal(index=item.index + 1, text=out.subgoal)] if out.subgoal else [],
        actions=out.actions,
        results=out.results,
        calls=out.calls,
        error=out.error,
    )
    answer = None if taken is None else " ".join(x for x in (op, f"[{element}]", value or "") if x)
    trace = Trajectory(
        task=item.task.task,
        id=item.id,
        domain="web",
        formulation="onetime" if method == "lumos-onetime" else "iterative",
        steps=[trace_step],
        answer=answer,
        finished=taken is not None,
        stop_reason="acted" if taken is not None else (out.error.kind if out.error else "no_action"),
        model_seconds=sum(c.seconds for c in out.calls),
        meta={"annotation_id": item.task.annotation_id, "website": item.task.website, "step": item.index + 1},
    )
    return {
        "id": item.id,
        "annotation_id": item.task.annotation_id,
        "action_uid": step.action_uid,
        "step": item.index + 1,
        "website": item.task.website,
        "question": item.task.task,
        "gold": {"op": step.op, "value": step.value, "elements": step.positives, "repr": step.repr},
        "answer": answer,
        "pred_element": element,
        "pred_op": op,
        "pred_value": value,
        "scores": scores,
        "subgoal": out.subgoal,
        "action": out.action_text,
        "candidates": candidates,
        "error_kind": out.error.kind if out.error else None,
        "error": out.error.message if out.error else None,
        "prompt_tokens": sum(c.prompt_tokens for c in out.calls),
        "completion_tokens": sum(c.completion_tokens for c in out.calls),
        "model_seconds": sum(c.seconds for c in out.calls),
        "seconds": seconds,
        "output": out.calls[-1].output if out.calls else "",
        "trace": trace.model_dump(),
    }


# --------------------------------------------------------------------------------------------- methods


class StepMethod:
    """Predicts the action of a batch of items with one of :data:`METHODS`."""

    def __init__(self, run: MethodRun, ranker: Any) -> None:
        self.method = run.method
        self.planner: Model = run.planner
        self.grounder: Model = run.grounder
        self.config = run.config
        self.ranker = ranker
        names = [run.settings.get(k) for k in ("model", "plan_model", "ground_model")]
        style = run.style if run.style is not None else pick_style(None, names)
        self.prompts = ModulePrompts("web", style, self.config.n_examples)
        self.last_model_seconds = 0.0

    def predict(self, items: Sequence[Item]) -> list[Outcome]:
        self.last_model_seconds = 0.0
        if self.method == "lumos-iterative":
            return self._iterative(items)
        if self.method == "lumos-onetime":
            return self._onetime(items)
        return self._direct(items)

    # ------------------------------------------------------------------------------- model calls
    def _generate(
        self, module: Literal["plan", "ground"], model: Model, prompts: Sequence[Conversation], max_tokens: int
    ) -> list[ModelCall]:
        if not prompts:
            return []
        calls, seconds = generate_calls(module, model, prompts, max_tokens, self.config.temperature)
        self.last_model_seconds += seconds
        return calls

    # ------------------------------------------------------------------------------------ methods
    def _iterative(self, items: Sequence[Item]) -> list[Outcome]:
        outcomes = [Outcome() for _ in items]
        plan_prompts = []
        for item in items:
            subgoals, _, results = item.history()
            plan_prompts.append(self.prompts.plan_iterative(item.task.task, subgoals, results))
        grounding: list[int] = []
        for k, call in enumerate(
            self._generate("plan", self.planner, plan_prompts, self.config.plan_max_tokens)
        ):
            out = outcomes[k]
            out.calls.append(call)
            try:
                out.subgoal = next_subgoal(call.output, first=items[k].index == 0)
            except ParseError as exc:
                out.error = StepError(module="plan", kind=exc.kind, message=str(exc))
                continue
            if out.subgoal is None:
                out.error = StepError(
                    module="plan", kind="planner_stopped", message="the planner stopped early"
                )
                continue
            grounding.append(k)
        ground_prompts = []
        for k in grounding:
            subgoals, actions, results = items[k].history()
            subgoal = outcomes[k].subgoal or ""
            ground_prompts.append(
                self.prompts.ground_iterative(items[k].task.task, [*subgoals, subgoal], actions, results)
            )
        calls = self._generate("ground", self.grounder, ground_prompts, self.config.ground_max_tokens)
        for k, call in zip(grounding, calls, strict=True):
            outcomes[k].calls.append(call)
            self._execute(items[k], outcomes[k], call.output)
        return outcomes

    def _onetime(self, items: Sequence[Item]) -> list[Outcome]:
        tasks = list({id(it.task): it.task for it in items}.values())
        plans = self._generate(
            "plan",
            self.planner,
            [self.prompts.plan_onetime(t.task) for t in tasks],
            2 * self.config.plan_max_tokens,
        )
        subgoals: dict[int, list[str]] = {}
        errors: dict[int, StepError] = {}
        for t, call in zip(tasks, plans, strict=True):
            try:
                subgoals[id(t)] = [s.text for s in parse_plan(call.output)]
            except ParseError as exc:
                errors[id(t)] = StepError(module="plan", kind=exc.kind, message=str(exc))
        planned = [t for t in tasks if id(t) in subgoals]
        grounds = self._generate(
            "ground",
            self.grounder,
            [self.prompts.ground_onetime(t.task, subgoals[id(t)]) for t in planned],
            2 * self.config.ground_max_tokens,
        )
        by_task: dict[int, tuple[list[Action], ModelCall]] = {}
        for t, call in zip(planned, grounds, strict=True):
            try:
                actions = [a for a in parse_actions(call.output) if a.tool in WEB_TOOLS]
            except ParseError as exc:
                errors[id(t)] = StepError(module="ground", kind=exc.kind, message=str(exc))
                actions = []
            by_task[id(t)] = (actions, call)
        plan_of = {id(t): call for t, call in zip(tasks, plans, strict=True)}
        outcomes = []
        for item in items:
            out = Outcome(calls=[plan_of[id(item.task)]])
            planned_subgoals = subgoals.get(id(item.task), [])
            if item.index < len(planned_subgoals):
                out.subgoal = planned_subgoals[item.index]
            actions, ground_call = by_task.get(id(item.task), ([], None))
            if ground_call is not None:
                out.calls.append(ground_call)
            if id(item.task) in errors:
                out.error = errors[id(item.task)]
            elif item.index >= len(actions):
                out.error = StepError(
                    module="ground",
                    kind="no_action",
                    message=f"the plan has no action for step {item.index + 1}",
                )
            else:
                self._execute(item, out, actions[item.index].render(), parsed=[actions[item.index]])
            outcomes.append(out)
        return outcomes

    def _direct(self, items: Sequence[Item]) -> list[Outcome]:
        prompts = [self.direct_prompt(it.task.task, it.history()[0]) for it in items]
        outcomes = [Outcome() for _ in items]
        for item, out, call in zip(
            items,
            outcomes,
            self._generate("ground", self.grounder, prompts, self.config.ground_max_tokens),
            strict=True,
        ):
            out.calls.append(call)
            self._execute(item, out, call.output)
        return outcomes

    def direct_prompt(
        self, task: str, done: Sequence[str], answer: str | None = None, demos: bool = True
    ) -> list[Message]:
        """The grounder-only prompt: the task and the actions so far -> the next action."""
        shots: list[Message] = []
        if demos:
            for ex in self.prompts.examples:
                for k in range(min(2, len(ex.subgoals))):
                    shots += self.direct_prompt(
                        ex.task, ex.subgoals[:k], _renumbered(ex.actions[k]), demos=False
                    )
        names, lines = tool_descriptions("web")
        head = (
            "Write the next action on the web page for the task, as 'R1 = TOOL(Env, QUERY: element, TEXT: ...)'. "
            f"Tools: {names}.\n{lines}"
        )
        so_far = "; ".join(done) if done else "none"
        msgs: list[Message] = [
            {
                "role": "user",
                "content": f"{head}\n\nTask: {task.strip()}\nDone so far: {so_far}\nNext action:",
            }
        ]
        if answer is not None:
            msgs.append({"role": "assistant", "content": answer})
        return shots + msgs

    # ------------------------------------------------------------------------------------ execute
    def _execute(self, item: Item, out: Outcome, text: str, parsed: list[Action] | None = None) -> None:
        """Run the grounded actions on the step's page (the first web action taken is the prediction)."""
        from lumos.tools.base import registry
        from lumos.tools.executor import Executor

        out.page = Mind2WebPage(item.task, item.index)
        try:
            actions = parsed if parsed is not None else parse_actions(text)
        except ParseError as exc:
            out.action_text = text.strip()
            out.error = StepError(module="ground", kind=exc.kind, message=str(exc))
            return
        out.actions = actions
        out.action_text = render_actions(actions)
        executor = Executor(
            registry.instantiate("web", ranker=self.ranker, top_k=TOP_K),
            action_time_limit=self.config.action_time_limit,
        )
        executor.reset(env=out.page)
        try:
            out.results = executor.execute(actions)
        except AgentStepError as exc:  # pragma: no cover - the executor records these itself
            out.error = StepError(module="execute", kind=exc.kind, message=str(exc))
            return
        failed = next((r.error for r in out.results if r.error is not None), None)
        if failed is not None:
            out.error = failed
        elif out.page.prediction is None:
            out.error = StepError(module="ground", kind="no_action", message="no web action was written")


def _renumbered(action: str) -> str:
    """A demonstration's k-th action as the first one (``R3 = TYPE(R2, ...)`` -> ``R1 = TYPE(Env, ...)``)."""
    [parsed] = parse_actions(action)[:1] or [Action()]
    args = parsed.args.split(",", 1)
    rest = args[1] if len(args) > 1 else ""
    return f"R1 = {parsed.tool}(Env,{rest})"
