"""The 30 task types, their variation splits, and the seen / unseen split."""

from __future__ import annotations

import pytest

from lumos.domains.scienceworld.tasks import (
    UNSEEN,
    all_tasks,
    check_task,
    held_out_reason,
    parse_episode_id,
    resolve_tasks,
    seen_tasks,
    split_of,
    task_groups,
    variations,
)
from lumos.errors import ConfigError
from lumos.format.types import Annotation


def test_thirty_task_types_with_disjoint_splits() -> None:
    assert len(all_tasks()) == 30 and all_tasks()[0] == "boil"
    assert variations("boil", "train") == range(0, 14) and variations("boil", "test") == range(21, 30)
    assert split_of("boil", 3) == "train" and split_of("boil", 25) == "test"
    assert check_task("1-1") == "boil"
    with pytest.raises(ConfigError, match="did you mean"):
        check_task("boill")


def test_unseen_task_types_are_fixed_and_never_seen() -> None:
    assert len(UNSEEN) >= 6 and set(UNSEEN) <= set(all_tasks())
    assert not set(UNSEEN) & set(seen_tasks()) and len(seen_tasks()) + len(UNSEEN) == 30
    assert task_groups() == {"seen": list(seen_tasks()), "unseen": list(UNSEEN)}
    assert resolve_tasks(split="unseen") == list(UNSEEN)
    assert resolve_tasks("boil,melt", "unseen")[-2:] == ["boil", "melt"]
    with pytest.raises(ConfigError):
        resolve_tasks(split="dev")


def test_only_train_variations_of_seen_task_types_may_be_trained_on() -> None:
    def ann(id_: str) -> Annotation:
        return Annotation(task="t", subgoals=["s"], actions=['R1 = Act(Env, "look around")'], id=id_,
                          domain="scienceworld", source="scienceworld")

    assert held_out_reason(ann("boil-v3")) is None
    assert "test variation" in str(held_out_reason(ann("boil-v25")))
    assert "unseen task type" in str(held_out_reason(ann(f"{UNSEEN[0]}-v0")))
    assert parse_episode_id("find-animal-v12") == ("find-animal", 12)
