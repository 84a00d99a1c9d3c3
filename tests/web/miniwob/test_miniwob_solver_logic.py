"""The scripted solvers' reasoning, without a browser: algebra, tic-tac-toe, shape descriptions, flights."""

from __future__ import annotations

import pytest

from lumos.domains.miniwob.solver import games, shapes
from lumos.domains.miniwob.solver.flights import _minutes, _price
from lumos.domains.miniwob.solver.interactive import _linear


@pytest.mark.parametrize(
    ("problem", "x"), [("x - 1 = 43", 44), ("7 + x = 10", 3), ("12 - x = 5", 7), ("x + 3 = 3", 0)]
)
def test_linear_equations_are_solved(problem: str, x: int) -> None:
    left, _, right = problem.partition("=")
    f0 = _linear(left, 0) - _linear(right, 0)
    f1 = _linear(left, 1) - _linear(right, 1)
    assert -f0 / (f1 - f0) == x


def test_the_equation_reader_takes_only_arithmetic() -> None:
    with pytest.raises(ValueError, match="not an equation"):
        _linear("__import__('os')", 0)


def test_tic_tac_toe_wins_when_it_can_and_blocks_otherwise() -> None:
    assert games._x_to_move("XX.OO....") == (1.0, 2)  # complete the top row
    assert games._x_to_move("OO.X.....")[1] == 2  # block O's top row
    chance, _ = games._x_to_move(".........")
    assert 0.5 < chance <= 1.0


def test_shape_descriptions() -> None:
    assert shapes.describe_goal(["large", "red", "circle"]) == ("large", "red", "circle")
    assert shapes.describe_goal(["blue", "item"]) == ("", "blue", "item")
    big_n = shapes.Shape("1", "letter", "N", "aqua", "large")
    assert big_n.matches("", "", "letter") and big_n.matches("large", "aqua", "N")
    assert not big_n.matches("small", "", "N") and not big_n.matches("", "", "digit")


def test_flight_durations_and_prices() -> None:
    assert _minutes("5h 3m") == 303 and _minutes("12h 0m") == 720
    assert _price("Book flight for $410") == 410


def test_typing_subgoals_use_the_goals_verb() -> None:
    from lumos.domains.miniwob.solver.look import in_goal_words

    action = "TYPE({page}, QUERY: text input field, TEXT: Cierra)"
    step = ('Type "Cierra" into the text field.', action)
    assert in_goal_words('Enter "Cierra" into the text field and press Submit.', step) == (
        'Enter "Cierra" into the text field.',
        action,
    )
    assert in_goal_words('Use the textbox to enter "Sergio" and press "Search".', step)[0].startswith("Enter ")
    assert in_goal_words('Type "kenda" in all upper case letters.', step) == step
    assert in_goal_words("Enter 8:57 PM as the time.", ("Click the Submit button.", "CLICK(...)"))[0] == (
        "Click the Submit button."
    )
    assert in_goal_words("Re-enter the code.", step) == step  # a word that merely contains "enter"


@pytest.mark.parametrize(
    ("solver", "fields"),
    [
        ("enter_password", {"target": "QP"}),
        ("login_user", {"username": "deneen", "password": "P1Y"}),
        ("enter_text", {"target": "Cierra"}),
        ("enter_text_2", {"text": "Kenda", "case": "upper"}),
        ("enter_time", {"target": "8:57 PM"}),
    ],
)
def test_typing_subgoals_name_the_text_they_type(solver: str, fields: dict[str, str]) -> None:
    # A subgoal without its text taught the planner to leave it out elsewhere (login-user typed the username
    # twice, results section 15), so every form solver's typing subgoal holds what its action types.
    from types import SimpleNamespace

    from lumos.domains.miniwob.solver import forms

    page = SimpleNamespace(task=solver, utterance="", fields=list(fields.items()))
    for subgoal, action in getattr(forms, solver)(page):
        if action.startswith("TYPE("):
            typed = action.rsplit("TEXT: ", 1)[1].rstrip(")")
            assert typed in subgoal, subgoal
