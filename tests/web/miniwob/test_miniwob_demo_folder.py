"""Demonstrations are written as each episode ends, and a stopped run goes on where it stopped (no browser:
the pool, the page and the solver are stand-ins)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lumos.domains.miniwob import pool as pool_module
from lumos.domains.miniwob.solver import run
from lumos.format.types import Annotation


class StandInPage:
    def __init__(self, browser: Any, task: str, seed: int, episode_id: str) -> None:
        self.task, self.episode_id = task, episode_id

    def reset(self) -> None:
        pass


@contextlib.contextmanager
def stand_in_pool(size: int) -> Iterator[Any]:
    yield type("Pool", (), {"browsers": [None] * size})()


def stand_in_solver(played: list[str], fail_on: str = "", stop_after: int = 99) -> Any:
    def solve(page: StandInPage, ranker: Any = "dense") -> run.Demonstration:
        if len(played) == stop_after:
            raise KeyboardInterrupt  # the session is stopped part way
        played.append(page.episode_id)
        ann = Annotation(
            task=page.task, subgoals=["Click the button."], actions=["R1 = CLICK(Env, QUERY: button)"],
            domain="miniwob", source="miniwob-solver", id=page.episode_id,
        )
        accepted = page.episode_id != fail_on
        return run.Demonstration(ann, 1.0 if accepted else -1.0, accepted, "rewarded" if accepted else "reward -1")

    return solve


def test_a_stopped_run_goes_on_where_it_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool_module, "BrowserPool", stand_in_pool)
    monkeypatch.setattr(run, "MiniWoBPage", StandInPage)
    played: list[str] = []
    monkeypatch.setattr(run, "solve", stand_in_solver(played, fail_on="b-s1-0", stop_after=3))
    with pytest.raises(KeyboardInterrupt):
        run.write_demo_folder(tmp_path, ["a", "b"], episodes=2)
    assert played == ["a-s1-0", "a-s1-1", "b-s1-0"]
    with (tmp_path / "annotations.jsonl").open("a") as f:
        f.write('{"id": "b-s1-1", "task": "cut sh')  # a line a kill cut short
    monkeypatch.setattr(run, "solve", stand_in_solver(played))
    assert run.write_demo_folder(tmp_path, ["a", "b"], episodes=2) == (3, 4)
    assert played == ["a-s1-0", "a-s1-1", "b-s1-0", "b-s1-1"]  # nothing played twice
    kept = [json.loads(x)["id"] for x in (tmp_path / "annotations.jsonl").read_text().splitlines()]
    rejected = [json.loads(x) for x in (tmp_path / "rejected.jsonl").read_text().splitlines()]
    assert kept == ["a-s1-0", "a-s1-1", "b-s1-1"] and [r["id"] for r in rejected] == ["b-s1-0"]
    assert rejected[0]["reason"] == "reward -1"
    assert run.write_demo_folder(tmp_path, ["a", "b"], episodes=2) == (3, 4)  # all done: no browser opened
    assert len(played) == 4
