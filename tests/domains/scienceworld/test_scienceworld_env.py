"""The ScienceWorld episode on the fake simulator: reset, acting, scores, snapping, the end, crashes."""

from __future__ import annotations

import pytest

from lumos.domains.scienceworld.env import (
    EpisodeOptions,
    EpisodeOverError,
    InvalidActionError,
    ScienceWorldEpisode,
    closest_verb,
    snap,
)
from lumos.domains.scienceworld.fake import GOLD, FakeSimulator
from lumos.domains.scienceworld.simulator import SimulatorCrashedError
from lumos.errors import ConfigError


def episode(**kwargs: object) -> ScienceWorldEpisode:
    options = EpisodeOptions(**kwargs)  # type: ignore[arg-type]
    ep = ScienceWorldEpisode(FakeSimulator(), "boil", 3, options=options, gold=True)
    ep.reset()
    return ep


def test_reset_gives_the_task_and_the_first_room() -> None:
    ep = episode()
    assert ep.description.startswith("Your task is to boil water (variation 3)")
    assert "hallway" in ep.observation()
    assert ep.meta == {"task": "boil", "variation": 3, "simplification": "easy"}
    assert not ep.ended()


def test_the_gold_path_scores_100_and_ends_the_episode() -> None:
    ep = episode()
    results = [ep.act(a) for a in ep.gold_actions()]
    assert [r.action for r in results] == list(GOLD)
    assert results[-1].score == 100 and results[-1].done and results[-1].reward == 50
    assert ep.result().score == 100 and ep.result().reason == "completed"
    with pytest.raises(EpisodeOverError):
        ep.act("look around")


def test_a_near_miss_is_snapped_to_a_valid_action_with_the_same_verb() -> None:
    ep = episode()
    step = ep.act("opn door to kitchen")  # the verb spelled right
    assert (step.action, step.snapped_from) == ("open door to kitchen", "opn door to kitchen")
    ep.act("go to kitchen")
    step = ep.act("pick up thermomter")  # the closest valid action
    assert step.action == "pick up thermometer" and step.snapped_from == "pick up thermomter"
    assert ep.details["snapped_from"] == "pick up thermomter" and ep.details["executed"] == "pick up thermometer"


def test_an_unknown_command_is_a_step_error_that_takes_no_move() -> None:
    ep = episode()
    moves = ep.simulator.server.moves
    with pytest.raises(InvalidActionError, match="closest valid actions"):
        ep.act("xyzzy the frobnitz")
    assert ep.history == [] and ep.simulator.server.moves == moves
    with pytest.raises(InvalidActionError):
        episode(snap=False).act("opn door to kitchen")
    with pytest.raises(InvalidActionError, match="not allowed"):
        ep.act("reset task")


def test_snap_never_changes_the_verb() -> None:
    assert closest_verb("opn") == "open" and closest_verb("zzzz") is None
    best, close = snap("open door to kitchen", ["close door to kitchen"])
    assert best is None and close == ["close door to kitchen"]  # the words that differ are the verbs
    ep = episode()
    ep.act("teleport to kitchen")
    with pytest.raises(InvalidActionError):  # no 'open' action is valid in the kitchen: no snap to another verb
        ep.act("opem door to kitchn")


@pytest.mark.parametrize(
    ("written", "valid"),
    [
        ("focus on tin", "focus on sink"),  # close over the whole command, another object
        ("focus on green box", "focus on greenhouse"),
        ("focus on orange box", "focus on orange"),
        ("move orange to red box", "move orange to bedroom"),
    ],
)
def test_snap_never_changes_the_object(written: str, valid: str) -> None:
    assert snap(written, [valid])[0] is None


@pytest.mark.parametrize(
    ("written", "valid"),
    [
        ("pick up thermomter", "pick up thermometer"),
        ("open door to the kitchen", "open door to kitchen"),
        ("move metal pot to stov", "move metal pot to stove"),
    ],
)
def test_snap_still_mends_spelling_and_articles(written: str, valid: str) -> None:
    assert snap(written, [valid])[0] == valid


def test_a_focus_on_something_absent_is_refused_not_snapped_to_a_task_failing_focus() -> None:
    ep = episode()
    ep.act("teleport to kitchen")
    with pytest.raises(InvalidActionError, match="focus on stove"):  # named among the closest, not taken
        ep.act("focus on sink")
    assert not ep.ended() and ep.score == 0 and [s.action for s in ep.history] == ["teleport to kitchen"]


def test_a_valid_action_the_simulator_refuses_is_not_snapped_to_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    ep = episode()
    ep.act("teleport to kitchen")
    # ScienceWorld's valid-action list can hold a command its parser then refuses
    monkeypatch.setattr(ep, "valid_actions", lambda: ["pick up stove", "pick up thermometer"])
    with pytest.raises(InvalidActionError):
        ep.act("pick up stove")
    assert [s.action for s in ep.history] == ["teleport to kitchen"]


def test_a_failed_task_scores_0_and_ends() -> None:
    ep = episode()
    for action in ("teleport to kitchen", "focus on stove"):
        step = ep.act(action)
    assert step.done and step.score == 0 and ep.details["failed"]


def test_the_step_limit_ends_an_episode() -> None:
    ep = episode(max_steps=2)
    ep.act("look around")
    assert ep.act("look around").done


def test_a_hung_simulator_fails_its_episode_within_the_step_limit() -> None:
    sim = FakeSimulator(hang_on="go to kitchen")
    ep = ScienceWorldEpisode(sim, "boil", 0, options=EpisodeOptions(step_seconds=0.3))
    ep.reset()
    ep.act("open door to kitchen")
    with pytest.raises(SimulatorCrashedError, match="did not answer"):
        ep.act("go to kitchen")
    assert ep.ended() and ep.result().error and not sim.alive()
    with pytest.raises(SimulatorCrashedError, match="crashed earlier"):
        ep.act("look around")


def test_a_dead_simulator_fails_its_episode() -> None:
    sim = FakeSimulator(crash_on="inventory")
    ep = ScienceWorldEpisode(sim, "boil", 0)
    ep.reset()
    with pytest.raises(SimulatorCrashedError, match="died"):
        ep.act("inventory")
    assert ep.result().reason == "simulator crashed" and ep.result().score == 0


def test_unknown_task_types_and_variations_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="did you mean boil"):
        ScienceWorldEpisode(FakeSimulator(), "boill", 0)
    from lumos.domains.scienceworld.episode import open_episode

    with pytest.raises(ConfigError, match="variations 0 to 29"), open_episode("boil", {"variation": 30}):
        pass
