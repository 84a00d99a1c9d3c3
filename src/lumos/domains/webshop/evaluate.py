"""``lumos eval webshop``: run a method on shop goals and score the purchases with WebShop's reward.

Methods: ``lumos-iterative`` and ``lumos-onetime`` (the agent with Search / Click / FeatureRetrieve / Pick),
and ``direct`` (:mod:`.direct`: the model reads each page and writes WebShop's own actions, one per turn,
for at most ``max_rounds + 2`` turns). Metrics are over every goal attempted: average reward
(``reward``, 0-1; x100 in ``average_reward_x100``) and success rate (reward 1); a goal that never buys
scores 0. ``predictions.jsonl`` (one line per goal, written as each goal ends) makes a run resumable.

Without ``--data`` the goals are lumos's demo shop (hand-written, in WebShop's formats): not the benchmark.
``--limit N`` evaluates a sample of N goals drawn with ``--seed`` (kept in file order); the shop itself
(prices of ranged products, drawn caps) always uses seed 0, as ``lumos env webshop`` does.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Any, Literal

from lumos.agent.agent import Agent
from lumos.domains.webshop.direct import run_direct
from lumos.domains.webshop.env import Shop, WebShopEnv, open_shop
from lumos.domains.webshop.goals import Goal
from lumos.errors import ConfigError
from lumos.eval.custom import MethodRun
from lumos.eval.episodes import run_in_batches
from lumos.eval.runner import open_run, write_results
from lumos.format.types import Trajectory

METHODS = ("lumos-iterative", "lumos-onetime", "direct")
DEMO_NOTE = "lumos's demo shop (hand-written in WebShop's formats), not the WebShop benchmark"


def select_goals(shop: Shop, limit: int | None, seed: int) -> list[Goal]:
    goals = shop.goals("human")
    if not goals:
        raise ConfigError(f"no human goals in {shop.catalog.source} (it needs items_human_ins.json)")
    if limit is None or limit >= len(goals):
        return goals
    if limit < 1:
        raise ConfigError(f"--limit must be at least 1, not {limit}")
    picked = sorted(random.Random(seed).sample(range(len(goals)), limit))
    return [goals[i] for i in picked]


def run_webshop(run: MethodRun) -> dict[str, Any]:
    """The ``runner:`` of benchmark ``webshop`` (see :mod:`lumos.eval.custom`)."""
    if run.method not in METHODS:
        raise ConfigError(f"webshop supports the methods {', '.join(METHODS)}, not {run.method!r}")
    shop = open_shop(str(run.data) if run.data else None)
    goals = select_goals(shop, run.limit, run.seed)
    source = DEMO_NOTE if shop.catalog.demo else f"WebShop files in {shop.catalog.source}"
    print(f"webshop: {len(goals)} goals from {source}", file=sys.stderr)
    ranker = run.options.get("ranker") or "dense"
    settings = {**run.settings, "shop": source, "ranker": ranker}
    store = open_run(run.run_dir, settings)
    todo = [g for g in goals if g.id not in store.done]
    started = time.perf_counter()
    steps_now = 0

    def keep(record: dict[str, Any]) -> None:
        nonlocal steps_now
        if record["id"] not in store.done:  # a batch run again after its Ray worker died: kept once
            steps_now += record["env_steps"]
            store.append(record)

    try:
        worker = partial(WebShopWorker, shop=shop) if run.ray is None else WebShopWorker  # Ray: a shop each
        run_in_batches(run, todo, max(1, run.batch_size), worker, keep)
    finally:
        store.close()
    wall = time.perf_counter() - started
    by_id = {r["id"]: r for r in store.records}
    records = [by_id[g.id] for g in goals if g.id in by_id]  # in the goals' order, however they ran
    metrics = summarise(records)
    metrics.update(
        benchmark="webshop", method=run.method, model=run.settings.get("model_label"), shop=source,
        goals_this_run=len(todo), wall_seconds=round(wall, 2), env_steps_this_run=steps_now,
        steps_per_second=round(steps_now / wall, 3) if todo and wall > 0 else None,
    )
    write_results(run.run_dir, metrics)
    return metrics


class WebShopWorker:
    """A shop of its own (its catalog loaded once) and the run's method: a batch of goals -> their records."""

    def __init__(self, run: MethodRun, shop: Shop | None = None) -> None:
        self.method_run = run
        self.shop = shop or open_shop(str(run.data) if run.data else None)

    def run(self, goals: Sequence[Goal]) -> list[dict[str, Any]]:
        run, records = self.method_run, []

        def done(goal: Goal, env: WebShopEnv, traj: Trajectory | None, error: str | None = None) -> None:
            records.append(prediction_record(goal, env, traj, error))

        if run.method == "direct":
            ranker = run.options.get("ranker") or "dense"
            run_direct(run.planner, self.shop, goals, run.config.max_rounds + 2, done, run.config.n_examples, ranker)
        else:
            run_agent(run, self.shop, goals, done)
        return records


def summarise(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    n = len(records)
    rewards = [float(r["scores"]["reward"]) for r in records]
    mean = sum(rewards) / n if n else 0.0
    return {
        "n": n,
        "reward": mean,
        "average_reward_x100": round(100 * mean, 2),
        "success_rate": sum(1 for x in rewards if x >= 1.0) / n if n else 0.0,
        "bought": sum(1 for r in records if r["purchased"]) / n if n else 0.0,
        "steps_per_goal": sum(r["env_steps"] for r in records) / n if n else 0.0,
        "primary_metric": "reward",
    }


def prediction_record(goal: Goal, env: WebShopEnv, traj: Trajectory | None, error: str | None) -> dict[str, Any]:
    purchased = env.state.asin if env.done else None
    return {
        "id": goal.id,
        "question": goal.instruction,
        "gold": {"asin": goal.asin, "attributes": goal.attributes, "options": goal.options,
                 "price_upper": goal.price_upper},
        "answer": purchased,
        "purchased": purchased,
        "options": dict(env.state.options) if env.done else {},
        "scores": {"reward": env.reward, "success_rate": float(env.reward >= 1.0)},
        "reward_info": env.reward_info.as_dict() if env.reward_info else None,
        "env_steps": len(env.history),
        "actions": list(env.history),
        "error_kind": None if env.done else (traj.stop_reason if traj else "no_purchase"),
        "error": error,
        "trace": traj.model_dump() if traj is not None else None,
    }


def run_agent(run: MethodRun, shop: Shop, goals: Sequence[Goal], done: Any) -> None:
    formulation: Literal["iterative", "onetime"] = "iterative" if run.method == "lumos-iterative" else "onetime"
    config = replace(run.config, domain="webshop", formulation=formulation)
    agent = Agent(
        run.planner,
        run.grounder,
        config,
        style=run.style,
        tool_options={"ranker": run.options.get("ranker") or "dense"},
    )
    envs = {g.id: shop.env(g) for g in goals}
    by_id = {g.id: g for g in goals}
    agent.run(
        [g.instruction for g in goals],
        ids=[g.id for g in goals],
        envs=[envs[g.id] for g in goals],
        on_done=lambda traj: done(by_id[traj.id], envs[traj.id], traj),
    )
