"""Mind2Web metrics on hand-computed cases: token F1, the step scores, micro and macro averages, task
success, and the unanswerable (pruned) step."""

from __future__ import annotations

import pytest
from m2w_records import flight_record, pruned_record

from lumos.domains.mind2web.metrics import METRICS, aggregate, score_step, token_f1
from lumos.domains.mind2web.tasks import parse_task


@pytest.mark.parametrize(
    ("pred", "gold", "f1"),
    [
        ("CLICK", "CLICK", 1.0),
        ("TYPE new york", "TYPE New York", 1.0),
        ("TYPE boston", "TYPE new york", 0.4),  # P = 1/2, R = 1/3
        ("CLICK", "TYPE boston", 0.0),  # no common word
        ("", "", 1.0),
    ],
)
def test_token_f1(pred, gold, f1):
    assert token_f1(pred, gold) == pytest.approx(f1)


def test_step_scores():
    type_step, select_step, click_step = parse_task(flight_record()).steps
    assert score_step(click_step, "13", "CLICK", None) == {
        "element_accuracy": 1.0, "action_f1": 1.0, "step_success_rate": 1.0,
    }  # fmt: skip
    assert score_step(click_step, "13", "CLICK", "ignored text") == score_step(
        click_step, "13", "CLICK", None
    )
    assert score_step(type_step, "11", "TYPE", "Boston") == {
        "element_accuracy": 0.0, "action_f1": 1.0, "step_success_rate": 0.0,
    }  # fmt: skip
    wrong_value = score_step(
        select_step, "12", "SELECT", "1 adult"
    )  # {select, 1, adult} vs {select, 2, adults}
    assert wrong_value["element_accuracy"] == 1.0 and wrong_value["step_success_rate"] == 0.0
    assert wrong_value["action_f1"] == pytest.approx(1 / 3)
    assert score_step(type_step, None, None, None) == {
        "element_accuracy": 0.0, "action_f1": 0.0, "step_success_rate": 0.0,
    }  # fmt: skip


def test_a_pruned_step_is_wrong_whatever_is_predicted():
    pruned = parse_task(pruned_record()).steps[0]
    for element in ("5", "6", None):
        scores = score_step(pruned, element, "CLICK", None)
        assert scores["element_accuracy"] == 0.0 and scores["step_success_rate"] == 0.0
    assert score_step(pruned, "5", "CLICK", None)["action_f1"] == 1.0  # the operation itself is right


def _rec(task, element, f1, step):
    return {
        "annotation_id": task,
        "scores": {"element_accuracy": element, "action_f1": f1, "step_success_rate": step},
    }


def test_micro_macro_and_task_success():
    records = [
        _rec("A", 1, 1, 1),
        _rec("A", 1, 0.4, 0),
        _rec("A", 0, 1, 0),
        _rec("B", 1, 1, 1),
    ]
    got = aggregate(records)
    assert list(got) == list(METRICS)
    assert got["element_accuracy"] == pytest.approx(3 / 4)
    assert got["action_f1"] == pytest.approx(3.4 / 4)
    assert got["step_success_rate"] == pytest.approx(2 / 4)
    assert got["macro_element_accuracy"] == pytest.approx((2 / 3 + 1) / 2)
    assert got["macro_action_f1"] == pytest.approx((2.4 / 3 + 1) / 2)
    assert got["macro_step_success_rate"] == pytest.approx((1 / 3 + 1) / 2)
    assert got["task_success_rate"] == pytest.approx(1 / 2)


def test_a_task_with_an_unanswerable_step_never_succeeds():
    pruned, help_step = parse_task(pruned_record()).steps
    records = [
        {"annotation_id": "help-2", "scores": score_step(pruned, "6", "CLICK", None)},
        {"annotation_id": "help-2", "scores": score_step(help_step, "6", "CLICK", None)},
    ]
    got = aggregate(records)
    assert got["step_success_rate"] == 0.5 and got["task_success_rate"] == 0.0
    assert aggregate([]) == dict.fromkeys(METRICS, 0.0)
