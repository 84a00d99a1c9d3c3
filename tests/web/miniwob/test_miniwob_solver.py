"""The scripted solver's demonstrations are verified by MiniWoB's reward: good plans kept, bad ones not."""

from __future__ import annotations

from typing import Any

import pytest

from lumos.domains.miniwob import solver
from lumos.domains.miniwob.env import MiniWoBPage
from lumos.errors import ConfigError
from lumos.format.parse import parse_actions

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("task", "seed"),
    [
        ("click-button", 3),
        ("click-link", 3),
        ("enter-text", 3),
        ("focus-text", 3),
        ("click-checkboxes", 3),
        ("choose-list", 3),
    ],
)
def test_demonstrations_are_rewarded_annotations(browser: Any, task: str, seed: int) -> None:
    page = MiniWoBPage(browser, task, seed)
    page.reset()
    demo = solver.solve(page, ranker="lexical")
    assert demo.accepted, demo.reason
    ann = demo.annotation
    assert ann.task == page.utterance and ann.domain == "miniwob"
    assert len(ann.subgoals) == len(ann.actions) == len(ann.results) >= 1
    assert all(parse_actions(a) for a in ann.actions)
    assert "REF" not in " ".join(ann.actions)  # grounded by description, never by a live ref
    assert "task has ended (success" in ann.results[-1]


def test_a_wrong_plan_is_rejected(browser: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    page = MiniWoBPage(browser, "click-test-2", 0)
    page.reset()
    wrong = "TWO" if dict(page.fields)["target"] == "ONE" else "ONE"
    monkeypatch.setitem(
        solver.SOLVERS,
        "click-test-2",
        lambda p: [("Click the other button.", f"CLICK({{page}}, QUERY: {wrong} button)")],
    )
    demo = solver.solve(page, ranker="lexical")
    assert not demo.accepted and demo.reward <= 0


def test_a_task_without_a_solver_is_named(browser: Any) -> None:
    page = MiniWoBPage(browser, "drag-box", 0)
    with pytest.raises(ConfigError, match="no scripted solver for drag-box"):
        solver.plan_for(page)
