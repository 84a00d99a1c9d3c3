"""``lumos eval miniwob``: lumos's web agent on live MiniWoB++ tasks in headless Chromium.

Tasks come from ``--tasks a,b`` and/or ``--suite NAME`` (all tasks by default), ``--episodes N`` per task
(run round by round over the tasks; a finished run given more episodes goes on with the next rounds) with
fixed seeds (episode k of a run with ``--seed s`` uses MiniWoB seed ``1000 * s + k``, never a
demonstration's: :func:`~lumos.domains.miniwob.tasks.eval_seed`); MiniWoB's
10-second episode clock is raised to ``LUMOS_MINIWOB_EPISODE_SECONDS`` (600). Episodes run in
batches, one browser of the pool per episode of a batch (``--batch-size``, at most
``LUMOS_MINIWOB_BROWSERS``, default 4, browsers). Methods: ``direct`` (the grounding model writes one action
sequence for the whole task, no plan, without seeing the page), ``direct-iterative`` (one model writes each
next action from the task and the pages so far: the flat baseline), ``lumos-iterative`` and ``lumos-onetime``
(whose planner sees the page before the first action, ``Domain.observe_first``).

Scores: MiniWoB's raw reward in [-1, 1] (an episode the agent leaves unfinished scores -1, as MiniWoB's
clock would give it) and success (reward > 0), per task and overall (``success_rate`` is over episodes,
``macro_success_rate`` over tasks). ``predictions.jsonl`` has one line per episode and is resumed;
screenshots go to ``screenshots/<episode>/<step>.png`` and are named on each action of the trace.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from lumos.agent.agent import Agent, AgentConfig
from lumos.agent.flat import FlatAgent
from lumos.domains.miniwob.browser import BrowserStartError
from lumos.domains.miniwob.env import DEFAULT_EPISODE_SECONDS, ENDED, MiniWoBPage, PageOptions
from lumos.domains.miniwob.pool import BrowserPool
from lumos.domains.miniwob.tasks import eval_seed, resolve_tasks
from lumos.errors import AgentStepError, ConfigError, ParseError
from lumos.eval.custom import MethodRun
from lumos.eval.episodes import run_in_batches
from lumos.eval.runner import open_run, speed_over_invocations, write_results
from lumos.format.parse import STOP_SENTENCE, parse_actions
from lumos.format.types import ModelCall, Step, StepError, Subgoal, Trajectory
from lumos.models.base import Conversation, Generation, GenerationParams, Message, Model
from lumos.prompts.modules import ModulePrompts
from lumos.prompts.prompt_styles import PromptStyle
from lumos.tools.base import ExecutionContext, Tool, registry
from lumos.tools.executor import Executor

log = logging.getLogger(__name__)

METHODS = ("direct", "lumos-iterative", "lumos-onetime", "direct-iterative")
DEFAULT_BROWSERS = 4


@dataclass(frozen=True)
class EpisodeSpec:
    task: str
    index: int
    seed: int

    @property
    def id(self) -> str:
        return f"{self.task}-{self.index}"


def episode_specs(tasks: Sequence[str], episodes: int, seed: int = 0) -> list[EpisodeSpec]:
    if episodes < 1:
        raise ConfigError(f"--episodes must be at least 1, not {episodes}")
    # round by round (every task's episode 0, then every task's episode 1...), so that a run stopped early, or
    # one given --limit, has covered every task about equally
    return [EpisodeSpec(t, k, eval_seed(seed, k)) for k in range(episodes) for t in tasks]


# ------------------------------------------------------------------------------------------- tools


_RECORDING: dict[type[Tool], type[Tool]] = {}


def _recording(cls: type[Tool]) -> type[Tool]:
    """``cls`` that also records what the live page noted on the action (screenshot, reward)."""
    if cls in _RECORDING:
        return _RECORDING[cls]

    def run(self: Tool, args: str, ctx: ExecutionContext) -> Any:
        page = ctx.env
        if isinstance(page, MiniWoBPage):
            page.details = {}
        try:
            return cls.run(self, args, ctx)
        finally:
            if isinstance(page, MiniWoBPage):
                for key, value in page.details.items():
                    ctx.details.setdefault(key, value)

    _RECORDING[cls] = type(cls.__name__, (cls,), {"run": run, "__module__": __name__, "__doc__": cls.__doc__})
    return _RECORDING[cls]


def make_tools(ranker: Any = "dense") -> Callable[[], list[Tool]]:
    """A factory of the ``miniwob`` domain's tools for one episode, recording page details on each action."""
    names = registry.domain("miniwob")

    def build() -> list[Tool]:
        tools = []
        for name in names:
            cls = _recording(registry.get(name))
            accepted = getattr(cls, "options", ())
            tools.append(cls(**{k: v for k, v in {"ranker": ranker}.items() if k in accepted}))
        return tools

    return build


# ------------------------------------------------------------------------------------------ methods


class DirectMethod:
    """One grounded action sequence for the whole task, without a plan: the grounding model is asked to
    ground the task itself as its only subgoal, and the actions are executed on the page."""

    def __init__(
        self,
        model: Model,
        config: AgentConfig,
        tools: Callable[[], list[Tool]],
        style: PromptStyle | None = None,
    ) -> None:
        self.model = model
        self.config = config
        self.tools = tools
        self.prompts = ModulePrompts(config.domain, style, n_examples=config.n_examples)

    def prompt(self, task: str) -> list[Message]:
        shots: list[Message] = []
        for ex in self.prompts.examples:
            shots += self.prompts.ground_onetime(ex.task, [ex.task], ["; ".join(ex.actions)], demos=False)
        return shots + self.prompts.ground_onetime(task, [task], demos=False)

    def run(self, tasks: Sequence[str], ids: Sequence[str], envs: Sequence[Any]) -> list[Trajectory]:
        params = GenerationParams(
            max_tokens=self.config.ground_max_tokens, stop=["\n"], temperature=self.config.temperature
        )
        started = time.perf_counter()
        gens = self.model.generate([self.prompt(t) for t in tasks], params)
        share = (time.perf_counter() - started) / max(len(tasks), 1)
        out = []
        for task, task_id, env, gen in zip(tasks, ids, envs, gens, strict=True):
            step = Step(index=1, subgoals=[Subgoal(index=1, text=task)])
            step.calls.append(
                ModelCall(
                    module="ground",
                    output=gen.text,
                    prompt_tokens=gen.prompt_tokens,
                    completion_tokens=gen.completion_tokens,
                    seconds=share,
                )
            )
            traj = Trajectory(
                task=task,
                id=task_id,
                domain=self.config.domain,
                formulation="onetime",
                steps=[step],
                model_seconds=share,
                meta=dict(getattr(env, "meta", {}) or {}),
            )
            try:
                step.actions = parse_actions(gen.text)
            except ParseError as exc:
                step.error = StepError(module="ground", kind=exc.kind, message=str(exc))
                traj.stop_reason = "action_error"
                out.append(traj)
                continue
            executor = Executor(self.tools(), action_time_limit=self.config.action_time_limit)
            executor.reset(env=env)
            step.results = executor.execute(step.actions)
            step.error = next((r.error for r in step.results if r.error is not None), None)
            traj.finished = step.error is None
            traj.stop_reason = "completed" if step.error is None else "action_error"
            out.append(traj)
        return out


class StopWhenTaskEnded(Model):
    """The planner, except on a turn whose last result says the MiniWoB task has ended: an ended episode
    is terminal (gym's ``terminated``), so that turn is answered with the stop sentence (0 tokens, recorded
    as such) instead of asking the model for subgoals that could no longer change the reward."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.name = getattr(model, "name", "model")

    def generate(self, conversations: Sequence[Conversation], params: GenerationParams) -> list[Generation]:
        ended = [bool(c) and ENDED in c[-1]["content"] for c in conversations]
        asked = [c for c, e in zip(conversations, ended, strict=True) if not e]
        answers = iter(self.model.generate(asked, params) if asked else [])
        return [Generation(STOP_SENTENCE) if e else next(answers) for e in ended]


def miniwob_agent(
    planner: Model,
    grounder: Model,
    config: AgentConfig,
    tools: Callable[[], list[Tool]] | None = None,
    style: PromptStyle | None = None,
) -> Agent:
    """A Lumos agent for live MiniWoB++ pages: the planner is not asked again once the episode has ended,
    and every action records what the page noted (screenshot, reward)."""
    return Agent(StopWhenTaskEnded(planner), grounder, config, style=style, tools=tools or make_tools())


def make_runner(run: MethodRun, tools: Callable[[], list[Tool]]) -> Callable[..., list[Trajectory]]:
    """``(tasks, ids, envs) -> trajectories`` for ``run.method``."""
    if run.method == "direct":
        return DirectMethod(run.grounder, run.config, tools, run.style).run
    if run.method == "direct-iterative":
        flat = FlatAgent(run.grounder, run.config, style=run.style, tools=tools)
        return lambda tasks, ids, envs: flat.run(tasks, ids=ids, envs=envs)
    if run.method in ("lumos-iterative", "lumos-onetime"):
        config = AgentConfig(**{**run.config.__dict__, "formulation": run.method.split("-", 1)[1]})
        agent = miniwob_agent(run.planner, run.grounder, config, tools, style=run.style)
        return lambda tasks, ids, envs: agent.run(tasks, ids=ids, envs=envs)
    raise ConfigError(f"miniwob has no method {run.method!r}; choose from: {', '.join(METHODS)}")


# ------------------------------------------------------------------------------------------- runner


def browsers_for(run: MethodRun, episodes: int) -> int:
    raw = os.environ.get("LUMOS_MINIWOB_BROWSERS", str(DEFAULT_BROWSERS))
    try:
        most = int(raw)
    except ValueError as exc:
        raise ConfigError(f"LUMOS_MINIWOB_BROWSERS must be a whole number, not {raw!r}") from exc
    return max(1, min(most, run.batch_size, episodes))


def episode_seconds() -> float:
    """MiniWoB's episode clock for model-paced runs: ``LUMOS_MINIWOB_EPISODE_SECONDS`` (default 600)."""
    raw = os.environ.get("LUMOS_MINIWOB_EPISODE_SECONDS", str(DEFAULT_EPISODE_SECONDS))
    try:
        seconds = float(raw)
    except ValueError as exc:
        raise ConfigError(f"LUMOS_MINIWOB_EPISODE_SECONDS must be a number of seconds, not {raw!r}") from exc
    if seconds <= 0:
        raise ConfigError(f"LUMOS_MINIWOB_EPISODE_SECONDS must be positive, not {raw!r}")
    return seconds


def run_miniwob(run: MethodRun) -> dict[str, Any]:
    """The ``runner:`` of the miniwob benchmark (see :mod:`lumos.eval.custom`)."""
    options = run.options or {}
    if run.data is not None:  # the pages are MiniWoB++'s own: a --data file would be silently ignored
        raise ConfigError(f"miniwob takes no --data ({run.data}): choose its tasks with --tasks or --suite")
    tasks = resolve_tasks(options.get("tasks"), options.get("suite"))
    specs = episode_specs(tasks, int(options.get("episodes") or 1), run.seed)
    if run.limit is not None:
        specs = specs[: run.limit]
    settings = {**run.settings, "tasks": tasks, "episodes": options.get("episodes") or 1}
    run.run_dir.mkdir(parents=True, exist_ok=True)
    store = open_run(run.run_dir, settings)
    todo = [s for s in specs if s.id not in store.done]
    started = time.perf_counter()
    restarts: int | None = 0

    def keep(record: dict[str, Any]) -> None:
        if record["id"] not in store.done:  # a batch run again after its Ray worker died: kept once
            store.append(record)
            if run.progress:
                print(f"miniwob {run.method}: {len(store.done)}/{len(specs)} episodes", file=sys.stderr)

    try:
        if todo:
            browsers = browsers_for(run, len(todo))
            if run.ray is not None:  # each Ray worker starts its own browsers; their restarts stay there
                run_in_batches(run, todo, browsers, partial(MiniWoBWorker, browsers=browsers), keep)
                restarts = None
            else:
                with _sigterm_as_exit(), MiniWoBWorker(run, browsers) as worker:
                    run_in_batches(run, todo, browsers, lambda _: worker, keep)
                    restarts = worker.pool.restarts
    finally:
        store.close()
    by_id = {r["id"]: r for r in store.records}
    records = [by_id[s.id] for s in specs if s.id in by_id]  # in the episodes' order, however they ran
    metrics = summarize(records)
    wall = time.perf_counter() - started
    metrics.update(
        {
            "benchmark": run.bench.name,
            "method": run.method,
            "model_label": run.settings.get("model_label"),
            "primary_metric": run.bench.primary_metric,
            "wall_seconds": round(wall, 2),
            "browser_restarts": restarts,
            **speed_over_invocations(run.run_dir, len(todo), wall),
        }
    )
    write_results(run.run_dir, metrics)
    return metrics


class MiniWoBWorker:
    """Browsers of its own and the run's method: a batch of episodes (one a browser) -> their records."""

    def __init__(self, run: MethodRun, browsers: int) -> None:
        self.method_run = run
        self.method = make_runner(run, make_tools(run.options.get("ranker") or "dense"))
        self.page_options = PageOptions(episode_seconds=episode_seconds())
        self.pool = BrowserPool(browsers)

    def run(self, batch: Sequence[EpisodeSpec]) -> list[dict[str, Any]]:
        run = self.method_run
        return list(run_batch(self.pool, batch, self.method, run.run_dir, run.method, self.page_options))

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> MiniWoBWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_batch(
    pool: BrowserPool,
    batch: Sequence[EpisodeSpec],
    method: Callable[..., list[Trajectory]],
    run_dir: Path,
    method_name: str,
    page_options: PageOptions | None = None,
) -> Iterator[dict[str, Any]]:
    """Run one batch (one episode per browser); yield a prediction record per episode. A browser that
    crashed is restarted and its episode recorded as failed."""
    pages = [
        MiniWoBPage(pool.browsers[i], s.task, s.seed, episode_id=s.id, run_dir=run_dir, options=page_options)
        for i, s in enumerate(batch)
    ]

    def reset(page: MiniWoBPage) -> str | None:
        try:
            page.reset()
            return None
        except AgentStepError as exc:
            return f"{exc.kind}: {exc}"
        except Exception as exc:  # a page that would not load: this episode fails, the others go on
            page.crashed = page.crashed or f"{type(exc).__name__}: {str(exc)[:200]}"
            return f"the episode would not start ({page.crashed})"

    failures = pool.map(reset, pages)
    live = [p for p, f in zip(pages, failures, strict=True) if f is None]
    started = time.perf_counter()
    trajs = {t.id: t for t in method([p.utterance for p in live], [p.episode_id for p in live], live)}
    seconds = (time.perf_counter() - started) / max(len(live), 1)
    for spec, page, failure in zip(batch, pages, failures, strict=True):
        result = page.close_episode()
        traj = trajs.get(spec.id)
        errors = traj.errors if traj is not None else []
        error = failure or (f"browser crashed: {page.crashed}" if page.crashed else None)
        record = {
            "id": spec.id,
            "task": spec.task,
            "seed": spec.seed,
            "method": method_name,
            "question": page.utterance,
            "reward": result.reward,
            "success": result.reward > 0,
            "done": result.done,
            "reason": result.reason,
            "steps": result.steps,
            "scores": {"success_rate": float(result.reward > 0), "reward": result.reward},
            "error_kind": "browser_crashed" if error else (errors[-1].kind if errors else None),
            "error": error or (errors[-1].message if errors else None),
            "model_seconds": traj.model_seconds if traj else 0.0,
            "seconds": round(seconds, 3),
            "screenshots": page.screenshots,
            "stop_reason": traj.stop_reason if traj else "not_started",
            "trace": traj.model_dump() if traj else None,
        }
        yield record
    for i, page in enumerate(pages):  # after every record is out, so a failed restart loses none
        if page.crashed or not pool.healthy(i):
            pool.restart(i)


def summarize(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Success rate and mean raw reward, per task and overall."""
    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        by_task[r["task"]].append(r)
    per_task = {
        task: {
            "n": len(rs),
            "success_rate": round(sum(r["success"] for r in rs) / len(rs), 4),
            "reward": round(sum(r["reward"] for r in rs) / len(rs), 4),
        }
        for task, rs in sorted(by_task.items())
    }
    n = len(records)
    return {
        "success_rate": round(sum(r["success"] for r in records) / n, 4) if n else 0.0,
        "reward": round(sum(r["reward"] for r in records) / n, 4) if n else 0.0,
        "macro_success_rate": round(sum(t["success_rate"] for t in per_task.values()) / len(per_task), 4)
        if per_task
        else 0.0,
        "n": n,
        "tasks": len(per_task),
        "crashed": sum(r.get("error_kind") == "browser_crashed" for r in records),
        "per_task": per_task,
    }


@contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """A SIGTERM ends the run through the normal exit path, so the pool quits its browsers."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


__all__ = [
    "METHODS",
    "BrowserStartError",
    "DirectMethod",
    "episode_specs",
    "make_tools",
    "run_miniwob",
    "summarize",
]
