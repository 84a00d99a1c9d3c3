"""Every task with a scripted solver yields a rewarded demonstration on a fixed seed (one browser, one
episode per task); the generator solvers read the page after each action."""

from __future__ import annotations

from typing import Any

import pytest

from lumos.domains.miniwob import solver
from lumos.domains.miniwob.env import MiniWoBPage
from lumos.domains.miniwob.tasks import SUITES
from lumos.format.parse import parse_actions

pytestmark = pytest.mark.browser

SEED = 1000  # a fixed episode every solver was checked on (demonstrations use seeds from 1,000,000: tasks.demo_seed)


@pytest.mark.parametrize("task", sorted(SUITES["solvable"]))
def test_each_solved_task_yields_a_rewarded_demonstration(browser: Any, task: str) -> None:
    page = MiniWoBPage(browser, task, SEED)
    page.reset()
    demo = solver.solve(page)
    assert demo.accepted, f"{task}: {demo.reason}; actions: {demo.annotation.actions}"
    ann = demo.annotation
    assert len(ann.subgoals) == len(ann.actions) == len(ann.results) >= 1
    for k, action in enumerate(ann.actions):
        assert action.startswith(f"R{k + 1} = ") and f"({'Env' if k == 0 else f'R{k}'}," in action
        assert parse_actions(action)
    assert "REF:" not in " ".join(ann.actions)
    assert "task has ended (success" in ann.results[-1]
