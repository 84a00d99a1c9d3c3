"""Task names, suites, seeds, scores and option matching: no browser needed."""

from __future__ import annotations

import pytest

from lumos.domains.miniwob.env import best_match
from lumos.domains.miniwob.evaluate import episode_specs, summarize
from lumos.domains.miniwob.tasks import SUITES, all_tasks, resolve_tasks
from lumos.errors import ConfigError

pytest.importorskip("miniwob")


def test_unknown_task_names_the_close_ones() -> None:
    with pytest.raises(ConfigError, match=r"click-buton.*did you mean click-button"):
        resolve_tasks("click-buton")


def test_unknown_suite_lists_the_suites() -> None:
    with pytest.raises(ConfigError, match="basic"):
        resolve_tasks(suite="nope")


def test_tasks_and_suites_resolve_in_order_without_duplicates() -> None:
    assert resolve_tasks("enter-text, click-button") == ["enter-text", "click-button"]
    assert resolve_tasks("click-button", suite="basic")[:4] == list(SUITES["basic"])
    assert len(resolve_tasks()) == len(all_tasks()) > 100
    assert all(t in all_tasks() for name in SUITES for t in resolve_tasks(suite=name))


def test_seeds_are_fixed_per_episode() -> None:
    specs = episode_specs(["a", "b"], 2, seed=3)
    assert [(s.id, s.seed) for s in specs] == [("a-0", 3000), ("b-0", 3000), ("a-1", 3001), ("b-1", 3001)]
    with pytest.raises(ConfigError):
        episode_specs(["a"], 0)


def test_summary_per_task_and_overall() -> None:
    records = [
        {"task": "a", "success": True, "reward": 1.0},
        {"task": "a", "success": False, "reward": -1.0},
        {"task": "b", "success": True, "reward": 0.5},
        {"task": "b", "success": True, "reward": 1.0, "error_kind": None},
    ]
    m = summarize(records)
    assert m["per_task"]["a"] == {"n": 2, "success_rate": 0.5, "reward": 0.0}
    assert m["per_task"]["b"] == {"n": 2, "success_rate": 1.0, "reward": 0.75}
    assert (m["success_rate"], m["reward"], m["macro_success_rate"], m["n"]) == (0.75, 0.375, 0.75, 4)


@pytest.mark.parametrize(
    ("value", "texts", "want"),
    [
        ("bobine", ["Aurora", "Bobine"], 1),
        ("ok", ["Okay", "Ok"], 1),
        ("Heard Island", ["Libya", "Heard Island and McDonald Islands"], 1),
        ("Tuvallu", ["Libya", "Tuvalu"], 1),
        ("zzz", ["Libya", "Tuvalu"], None),
        ("", ["Libya"], None),
    ],
)
def test_best_match(value: str, texts: list[str], want: int | None) -> None:
    assert best_match(value, texts) == want


def test_the_solvable_suite_is_what_the_solver_solves() -> None:
    from lumos.domains.miniwob.solver import SOLVERS

    assert set(SUITES["solvable"]) == set(SOLVERS)


def test_the_planner_is_not_asked_again_once_the_task_has_ended() -> None:
    from lumos.domains.miniwob.evaluate import StopWhenTaskEnded
    from lumos.format.parse import STOP_SENTENCE
    from lumos.models.base import GenerationParams, Message
    from lumos.models.fake import FakeModel

    model = FakeModel(default="Subgoal 2: Click the Submit button.")
    ended: list[Message] = [
        {"role": "user", "content": "The result of Subgoal 1 is The task has ended (success, reward 1)."}
    ]
    going: list[Message] = [{"role": "user", "content": "The result of Subgoal 1 is [3] <input id=tt>"}]
    out = StopWhenTaskEnded(model).generate([ended, going, ended], GenerationParams())
    assert [g.text for g in out] == [STOP_SENTENCE, "Subgoal 2: Click the Submit button.", STOP_SENTENCE]
    assert model.calls == [going]


def test_the_episode_clock_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from lumos.domains.miniwob.evaluate import episode_seconds

    assert episode_seconds() == 600.0
    monkeypatch.setenv("LUMOS_MINIWOB_EPISODE_SECONDS", "90")
    assert episode_seconds() == 90.0
    monkeypatch.setenv("LUMOS_MINIWOB_EPISODE_SECONDS", "soon")
    with pytest.raises(ConfigError, match="LUMOS_MINIWOB_EPISODE_SECONDS"):
        episode_seconds()


def test_the_dom_suite_names_56_real_tasks_and_holds_the_solvable_ones() -> None:
    from lumos.domains.miniwob.tasks import _DOM

    assert len(_DOM) == len(set(_DOM)) == 56
    broken_at_a_hyphen = {"click-checkboxes-large", "enter-date", "use-autocomplete"}
    assert broken_at_a_hyphen <= set(_DOM)
    assert set(SUITES["solvable"]) - set(_DOM) == {"enter-text-2"}  # solved, but not one of the 56
    assert len(set(SUITES["solvable"]) & set(_DOM)) >= 40
    pytest.importorskip("miniwob")
    assert set(_DOM) <= set(all_tasks())


def test_demonstration_and_evaluation_seeds_never_meet() -> None:
    from lumos.domains.miniwob.tasks import DEMO_SEED_BASE, demo_seed, eval_seed

    evaluation = {eval_seed(block, k) for block in (0, 1, 999) for k in (0, 1, 999)}
    demonstration = {demo_seed(block, k) for block in (0, 1, 999) for k in (0, 1, 999)}
    assert max(evaluation) < DEMO_SEED_BASE <= min(demonstration)
    assert [s.seed for s in episode_specs(["a"], 2, seed=1)] == [1000, 1001]  # as before the ranges
    for bad in (lambda: eval_seed(1000, 0), lambda: eval_seed(0, 1000), lambda: demo_seed(-1, 0)):
        with pytest.raises(ConfigError):
            bad()
    with pytest.raises(ConfigError, match="episodes per task"):
        episode_specs(["a"], 1001)
