"""``lumos run --domain webshop`` (one goal's shop session) and ``lumos env webshop`` (play by hand)."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from lumos.env import Episode


@contextlib.contextmanager
def open_episode(task: str | None, options: dict[str, Any]) -> Iterator[Episode]:
    from lumos.domains.webshop.env import goal_session

    instruction, env = goal_session(options.get("data"), int(options.get("goal", 0)), named=task)
    yield Episode(instruction, env, lambda: {"reward": env.reward})  # 0: nothing bought


def env_command(
    actions: Annotated[
        Optional[list[str]],
        typer.Argument(help="actions in order: 'search[red running shoes]', 'click[b0abc12345]', 'click[buy now]'"),
    ] = None,
    data: Annotated[
        Optional[Path],
        typer.Option(help="folder with WebShop's items_shuffle*.json, items_ins_v2*.json, items_human_ins.json "
                     "(default: lumos's demo shop)"),
    ] = None,
    goal: Annotated[int, typer.Option(help="the N-th human instruction, in file order, from 0")] = 0,
    synthetic: Annotated[bool, typer.Option(help="address the synthetic goals (items_ins_v2) instead")] = False,
    seed: Annotated[int, typer.Option(help="seed of ranged prices and drawn price caps")] = 0,
) -> None:
    """WebShop: one JSON line per action on standard output: action, observation, reward, done, valid (an invalid
    action changes nothing) and the page's clickables. The goal and start page go to standard error (to standard
    output when no action is given)."""
    from lumos.domains.webshop.env import open_shop
    from lumos.domains.webshop.goals import select_goal

    shop = open_shop(str(data) if data else None, seed=seed)
    chosen = select_goal(shop.goals("synthetic" if synthetic else "human"), goal)
    env = shop.env(chosen)
    start = {"goal": chosen.id, "instruction": chosen.instruction, "observation": env.observation,
             "clickables": env.clickables}
    print(json.dumps(start), file=sys.stdout if not actions else sys.stderr)
    for action in actions or []:
        result = env.step(action)
        print(json.dumps({"action": action, **result.as_dict(), "clickables": env.clickables}))
