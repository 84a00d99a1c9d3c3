"""``lumos eval scienceworld``: lumos's agents on live ScienceWorld episodes.

Episodes: ``--split seen|unseen|all`` and/or ``--tasks a,b`` (all task types by default), ``--episodes N``
per task type: its first N *test* variations (``--seed s`` starts at the ``s * N``-th), run round by round over
the task types (a finished run given more episodes goes on with the next rounds). Episodes run in batches,
one simulator of the pool per episode (``--batch-size``, at most ``LUMOS_SCIENCEWORLD_SIMULATORS``, default 2,
simulators); a simulator that dies or hangs fails its episode (recorded) and is replaced. ``--env
simplification=easy|none``, ``max_steps=N`` (100), ``step_seconds=S`` (20), ``fresh_simulators=0``: reuse each
simulator for the next batch (faster) instead of starting a fresh one; ScienceWorld keeps some state across
episodes, so with reuse a score can depend on the episodes played before it (and a resumed run may differ from
one that was not stopped).

Methods: ``lumos-iterative`` (the planner reads each subgoal's last observation), ``lumos-onetime`` (the plan
is written once from the task and the first room, then all its grounded actions run in the live episode), and
``direct-iterative`` (the flat baseline: one model writes each next action from the task and the
observations so far).

Metrics: the mean score (0-100), success (score 100), the valid-action rate (actions the simulator took,
snapped or not, over all actions tried), snaps, steps and tokens per episode, per task type and per group
(seen / unseen: the ``task_groups`` hook that ``lumos report`` reads). ``predictions.jsonl`` has one line per
episode, appended as each batch finishes, and is resumed (a run killed with ``kill -9`` redoes only the batch
in flight).
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from lumos.agent.agent import AgentConfig
from lumos.agent.flat import FlatAgent
from lumos.domains.scienceworld.env import EpisodeOptions, ScienceWorldEpisode
from lumos.domains.scienceworld.episode import episode_options, scienceworld_agent
from lumos.domains.scienceworld.pool import SimulatorPool
from lumos.domains.scienceworld.simulator import Simulator
from lumos.domains.scienceworld.tasks import UNSEEN, episode_id, resolve_tasks, variations
from lumos.errors import AgentStepError, ConfigError
from lumos.eval.custom import MethodRun
from lumos.eval.runner import open_run, speed_over_invocations, write_results
from lumos.format.types import Trajectory

METHODS = ("lumos-iterative", "lumos-onetime", "direct-iterative")
DEFAULT_SIMULATORS = 2


@dataclass(frozen=True)
class EpisodeSpec:
    task: str
    variation: int

    @property
    def id(self) -> str:
        return episode_id(self.task, self.variation)


def episode_specs(tasks: Sequence[str], episodes: int, seed: int = 0) -> list[EpisodeSpec]:
    """Round by round over the task types: every type's first test variation, then every type's second..."""
    if episodes < 1:
        raise ConfigError(f"--episodes must be at least 1, not {episodes}")
    out = []
    for k in range(episodes):
        for task in tasks:
            test = variations(task, "test")
            index = seed * episodes + k
            if index < len(test):
                out.append(EpisodeSpec(task, test[index]))
    return out


def make_runner(run: MethodRun) -> Callable[[Sequence[str], Sequence[str], Sequence[Any]], list[Trajectory]]:
    """``(tasks, ids, envs) -> trajectories`` for ``run.method``."""
    if run.method == "direct-iterative":
        flat = FlatAgent(run.grounder, run.config, style=run.style)
        return lambda tasks, ids, envs: flat.run(tasks, ids=ids, envs=envs)
    if run.method in ("lumos-iterative", "lumos-onetime"):
        config = AgentConfig(**{**run.config.__dict__, "formulation": run.method.split("-", 1)[1]})
        agent = scienceworld_agent(run.planner, run.grounder, config, style=run.style)
        return lambda tasks, ids, envs: agent.run(tasks, ids=ids, envs=envs)
    raise ConfigError(f"scienceworld has no method {run.method!r}; choose from: {', '.join(METHODS)}")


def simulators_for(run: MethodRun, episodes: int) -> int:
    raw = os.environ.get("LUMOS_SCIENCEWORLD_SIMULATORS", str(DEFAULT_SIMULATORS))
    try:
        most = int(raw)
    except ValueError as exc:
        raise ConfigError(f"LUMOS_SCIENCEWORLD_SIMULATORS must be a whole number, not {raw!r}") from exc
    return max(1, min(most, run.batch_size, episodes))


def run_scienceworld(run: MethodRun, factory: Callable[[int], Simulator] = Simulator) -> dict[str, Any]:
    """The ``runner:`` of the scienceworld benchmark (see :mod:`lumos.eval.custom`)."""
    options = run.options or {}
    tasks = resolve_tasks(options.get("tasks"), options.get("split") or options.get("suite"))
    episodes = int(options.get("episodes") or 1)
    specs = episode_specs(tasks, episodes, run.seed)
    if run.limit is not None:
        specs = specs[: run.limit]
    opts = episode_options(options)
    fresh = str(options.get("fresh_simulators", "1")).strip().lower() not in ("0", "false", "no", "off")
    settings = {**run.settings, "tasks": tasks, "episodes": episodes, "episode_options": opts.__dict__}
    if not fresh:
        settings["fresh_simulators"] = False
    run.run_dir.mkdir(parents=True, exist_ok=True)
    store = open_run(run.run_dir, settings)
    todo = [s for s in specs if s.id not in store.done]
    method = make_runner(run)
    started = time.perf_counter()
    restarts = 0
    try:
        if todo:
            with SimulatorPool(simulators_for(run, len(todo)), factory=factory) as pool:
                for lo in range(0, len(todo), pool.size):
                    more = lo + pool.size < len(todo)
                    batch = run_batch(pool, todo[lo : lo + pool.size], method, run.method, opts, renew=fresh and more)
                    for record in batch:
                        store.append(record)
                    if run.progress:
                        print(f"scienceworld {run.method}: {len(store.done)}/{len(specs)} episodes", file=sys.stderr)
                restarts = pool.restarts
    finally:
        store.close()
    wanted = {s.id for s in specs}
    metrics = summarize([r for r in store.records if r["id"] in wanted])
    wall = time.perf_counter() - started
    metrics.update(
        {
            "benchmark": run.bench.name,
            "method": run.method,
            "model_label": run.settings.get("model_label"),
            "primary_metric": run.bench.primary_metric,
            "wall_seconds": round(wall, 2),
            "simulator_restarts": restarts,
            **speed_over_invocations(run.run_dir, len(todo), wall),
        }
    )
    write_results(run.run_dir, metrics)
    return metrics


def run_batch(
    pool: SimulatorPool,
    batch: Sequence[EpisodeSpec],
    method: Callable[..., list[Trajectory]],
    method_name: str,
    options: EpisodeOptions | None = None,
    *,
    renew: bool = False,
) -> Iterator[dict[str, Any]]:
    """Run one batch (one episode per simulator); yield a prediction record per episode. A simulator that
    crashed is replaced after the batch and its episode recorded as failed; with ``renew`` every other
    simulator is replaced too, so the next batch starts from fresh ones."""
    episodes = [
        ScienceWorldEpisode(pool.simulators[i], s.task, s.variation, options=options, episode_id=s.id)
        for i, s in enumerate(batch)
    ]

    def reset(episode: ScienceWorldEpisode) -> str | None:
        try:
            episode.reset()
            return None
        except AgentStepError as exc:
            return f"{exc.kind}: {exc}"

    failures = pool.map(reset, episodes)
    live = [e for e, f in zip(episodes, failures, strict=True) if f is None]
    started = time.perf_counter()
    trajs = {t.id: t for t in method([e.description for e in live], [e.episode_id for e in live], live)} if live else {}
    seconds = (time.perf_counter() - started) / max(len(live), 1)
    for spec, episode, failure in zip(batch, episodes, failures, strict=True):
        yield record_of(spec, episode, trajs.get(spec.id), method_name, failure, seconds)
    crashed = [i for i, episode in enumerate(episodes) if episode.crashed or not pool.healthy(i)]
    for i in crashed:  # after every record is out, so a failed restart loses none
        pool.restart(i)
    if renew:
        pool.map(pool.renew, [i for i in range(len(episodes)) if i not in crashed])


def record_of(
    spec: EpisodeSpec,
    episode: ScienceWorldEpisode,
    traj: Trajectory | None,
    method_name: str,
    failure: str | None = None,
    seconds: float = 0.0,
) -> dict[str, Any]:
    result = episode.result()
    actions = [r for step in (traj.steps if traj else []) for r in step.results]
    acts = [r for r in actions if r.action and "Act(" in r.action]
    valid = sum(1 for r in acts if r.error is None or r.error.kind == "episode_over")
    invalid = sum(1 for r in acts if r.error is not None and r.error.kind in ("invalid_action", "bad_arguments"))
    calls = [c for step in (traj.steps if traj else []) for c in step.calls]
    errors = traj.errors if traj is not None else []
    error = failure or (f"simulator crashed: {episode.crashed}" if episode.crashed else None)
    return {
        "id": spec.id,
        "task": spec.task,
        "variation": spec.variation,
        "group": "unseen" if spec.task in UNSEEN else "seen",
        "method": method_name,
        "question": episode.description,
        "score": result.score,
        "success": result.score >= 100,
        "done": result.done,
        "reason": result.reason,
        "steps": result.steps,
        "valid_actions": valid,
        "invalid_actions": invalid,
        "snapped_actions": sum(1 for s in episode.history if s.snapped_from),
        "prompt_tokens": sum(c.prompt_tokens for c in calls),
        "completion_tokens": sum(c.completion_tokens for c in calls),
        "scores": {"success_rate": float(result.score >= 100), "score": result.score / 100},
        "error_kind": "simulator_crashed" if error else (errors[-1].kind if errors else None),
        "error": error or (errors[-1].message if errors else None),
        "model_seconds": traj.model_seconds if traj else 0.0,
        "seconds": round(seconds, 3),
        "stop_reason": traj.stop_reason if traj else "not_started",
        "trace": traj.model_dump() if traj else None,
    }


def _means(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    if not n:
        return {"n": 0, "success_rate": 0.0, "score": 0.0, "mean_score": 0.0}
    tried = sum(r["valid_actions"] + r["invalid_actions"] for r in rows)
    return {
        "n": n,
        "success_rate": round(sum(r["success"] for r in rows) / n, 4),
        "score": round(sum(r["score"] for r in rows) / n / 100, 4),
        "mean_score": round(sum(r["score"] for r in rows) / n, 2),
        "valid_action_rate": round(sum(r["valid_actions"] for r in rows) / tried, 4) if tried else None,
        "snapped_per_episode": round(sum(r["snapped_actions"] for r in rows) / n, 2),
        "steps_per_episode": round(sum(r["steps"] for r in rows) / n, 2),
        "tokens_per_episode": round(sum(r["prompt_tokens"] + r["completion_tokens"] for r in rows) / n, 1),
    }


def summarize(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The metrics over all episodes, per group (seen / unseen) and per task type."""
    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        by_task[r["task"]].append(r)
        by_group[r.get("group") or ("unseen" if r["task"] in UNSEEN else "seen")].append(r)
    return {
        **_means(records),
        "tasks": len(by_task),
        "crashed": sum(r.get("error_kind") == "simulator_crashed" for r in records),
        "per_group": {g: _means(rs) for g, rs in sorted(by_group.items())},
        "per_task": {t: _means(rs) for t, rs in sorted(by_task.items())},
    }
