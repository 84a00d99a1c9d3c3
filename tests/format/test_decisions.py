"""Planner decisions as the released checkpoints write them."""

from __future__ import annotations

import pytest

from lumos.errors import ParseError
from lumos.format.parse import parse_decision


@pytest.mark.parametrize(
    "text",
    [
        "Yes, I will stop planning.",
        "Yes, I will stop planning. No further subgoal is needed.",
        "Yes, I will stop planning.Subgoal 4: Add R1 and R2.",
        "The answer is known. Yes, I will stop planning",
        "yes, i will stop planning.",
    ],
)
def test_the_stop_sentence_stops_wherever_it_appears_whatever_follows(text: str) -> None:
    assert parse_decision(text).stop


@pytest.mark.parametrize(
    ("text", "subgoal"),
    [
        ("Subgoal 3: Decide yes or no, then stop planning.", "Decide yes or no, then stop planning."),
        ("Subgoal 2: Multiply.", "Multiply."),
        ("No, I will keep planning. Subgoal 2: Calculate the total.", "Calculate the total."),
    ],
)
def test_a_turn_starting_with_a_subgoal_goes_on(text: str, subgoal: str) -> None:
    decision = parse_decision(text)
    assert not decision.stop
    assert decision.subgoals[0].text == subgoal


def test_neither_sentence_nor_subgoal_is_an_error() -> None:
    with pytest.raises(ParseError):
        parse_decision("I am not sure what to do next.")


def test_a_contradictory_no_with_the_stop_phrase_and_no_subgoal_stops():
    # small untrained planners write this; with no next subgoal the only reading is a stop
    assert parse_decision("No, I will stop planning.").stop
    assert not parse_decision("No, I will stop planning. Subgoal 2: Search again.").stop
    with pytest.raises(ParseError, match="Subgoal N"):
        parse_decision("No, I will keep planning.")
