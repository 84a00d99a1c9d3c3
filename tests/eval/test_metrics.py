import pytest

from lumos.eval import metrics as M


@pytest.mark.parametrize(
    ("pred", "gold", "ok"),
    [
        ("18", "18", True),
        ("$18.00", "18", True),
        ("18.0", 18, True),
        ("1,200", "1200", True),
        ("So she has 12 apples left.", "12", True),
        ("0.333333", "1/3", True),
        ("-5", "5", False),
        ("17", "18", False),
        ("no idea", "18", False),
        (None, "18", False),
    ],
)
def test_numeric_match(pred, gold, ok):
    assert M.numeric_match(pred, gold) is ok


def test_yes_no_cases():
    assert M.yes_no_match("Yes", True)
    assert M.yes_no_match("No, it is not.", False)
    assert not M.yes_no_match("No", True)
    assert not M.yes_no_match("I cannot tell", True)


def test_squad_normalisation_em_f1():
    assert M.normalize_answer("The  Eiffel-Tower!") == "eiffeltower"
    assert M.exact_match("the Badly Drawn Boy", "Badly Drawn Boy") == 1.0
    assert M.exact_match("Badly Drawn", "Badly Drawn Boy") == 0.0
    assert M.f1_score("Badly Drawn", "Badly Drawn Boy") == pytest.approx(0.8)
    assert M.f1_score("yes", "no") == 0.0
    assert M.f1_score("", "x") == 0.0


def test_fanout_accuracy():
    loose, strict = M.fanout_accuracy(
        "Paris has 2,100,000 people and Lyon 500000", ["2100000", "500000", "Marseille"]
    )
    assert loose == pytest.approx(2 / 3)
    assert strict == 0.0
    assert M.fanout_accuracy("Paris and Lyon", ["paris", "LYON"]) == (1.0, 1.0)
    assert M.flatten_answers({"a": [1, "x"], "b": "y"}) == ["1", "x", "y"]


def test_judgement():
    assert M.parse_judgement("CORRECT")
    assert not M.parse_judgement("INCORRECT")
    assert not M.parse_judgement("The answer is not correct")
    assert not M.parse_judgement("unsure")
