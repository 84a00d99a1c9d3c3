import pytest

from lumos.annotate.verify import Verifier, answers_match, parse_number
from lumos.format.types import Annotation


def _maths(actions, answer="6", subgoals=None):
    subgoals = subgoals or [f"Step {k}." for k in range(1, len(actions) + 1)]
    return Annotation(
        task="What is 2 + 4?", answer=answer, subgoals=subgoals, actions=actions, domain="maths"
    )


@pytest.fixture(scope="module")
def maths():
    return Verifier("maths")


def test_kept_with_results_from_execution(maths):
    v = maths.verify(_maths(["R1 = Calculator(2 + 1)", "R2 = Calculator(R1 * 2)"]))
    assert v.ok, v.message
    assert v.annotation.results == ["3", "6"]


def test_several_actions_in_one_subgoal_and_equations(maths):
    ann = Annotation(
        task="t",
        answer="17",
        subgoals=["Set up and solve.", "Add 4."],
        actions=["R1 = SetEquation(s + (s + 4) = 30); R2 = SolveEquation(R1)", "R3 = Calculator(R2 + 4)"],
    )
    v = maths.verify(ann)
    assert v.ok, v.message
    assert v.annotation.results == ["13", "17"]


@pytest.mark.parametrize(
    ("actions", "answer", "reason"),
    [
        (["R1 = Calculator(2 + 3)"], "6", "wrong_answer"),
        (["R1 = Calculator(2 + R7)"], "6", "undefined_variable"),
        (["R1 = Search(two plus four)"], "6", "unknown_tool"),
        (["I would add the numbers"], "6", "parse_error"),
        (["R1 = Calculator(2 + 4) and then some prose"], "6", "parse_error"),
        (["Calculator(2 + 4)"], "6", "no_output"),
        (["R1 = Calculator(1 / 0)"], "6", "execution_error"),
        (["R1 = Calculator(2 + 4)"], "", "no_gold_answer"),
    ],
)
def test_rejections_carry_a_reason(maths, actions, answer, reason):
    v = maths.verify(_maths(actions, answer))
    assert not v.ok
    assert v.reason == reason, v.message
    assert v.message


def test_malformed_shapes(maths):
    v = maths.verify(Annotation(task="t", answer="1", subgoals=["a", "b"], actions=["R1 = Calculator(1)"]))
    assert v.reason == "malformed"
    v = maths.verify(Annotation(task="t", answer="1", subgoals=[], actions=[]))
    assert v.reason == "malformed"


def test_actions_that_run_together_are_parse_errors(maths):
    qa = Verifier("complex_qa")

    def annotation(question):
        return Annotation(
            task="t",
            answer="x",
            subgoals=["Find out the answer."],
            domain="complex_qa",
            actions=[f"R1 = KnowledgeQuery(Day6); R2 = QA([R1], Question: {question})"],
        )

    # an apostrophe inside a word is not a quote: the actions stay apart
    assert qa.verify(annotation("Who was Louis's father?")).ok
    # an unbalanced quote mark ('Day6''s) makes the rendered actions read back differently
    v = qa.verify(annotation("Which of 'Day6''s albums has the most songs?"))
    assert not v.ok and v.reason == "parse_error"


def test_complex_qa_static_checks():
    qa = Verifier("complex_qa")
    good = Annotation(
        task="t",
        answer="3",
        domain="complex_qa",
        subgoals=["Find a.", "Add."],
        results=["1", "3"],
        actions=[
            "R1 = KnowledgeQuery(Earth); R2 = ParagraphRetrieve(R1, Query: moons of Earth); "
            "R3 = QA([R2], Question: How many moons does Earth have?)",
            "R4 = Calculator(R3 + 2)",
        ],
    )
    v = qa.verify(good)
    assert v.ok and v.annotation.results == ["1", "3"]  # not executed: the gold sub-answers stay
    bad_tool = good.model_copy(update={"actions": [good.actions[0], "R4 = WebSearch(R3)"]})
    assert qa.verify(bad_tool).reason == "unknown_tool"
    undefined = good.model_copy(update={"actions": [good.actions[0], "R4 = QA([R9], Question: q)"]})
    assert qa.verify(undefined).reason == "undefined_variable"


@pytest.mark.parametrize(
    ("result", "gold", "same"),
    [
        ("64", "64", True),
        ("64", "64.0", True),
        ("1200", "1,200", True),
        ("3.333333", "3.33", True),
        ("0.5", "1/2", True),
        ("0.75", "\\frac{3}{4}", True),
        ("2.6", "3", False),
        ("Paris", "paris", True),
        ("12", "", False),
        ("20", "20%", True),
    ],
)
def test_answers_match(result, gold, same):
    assert answers_match(result, gold) is same


def test_parse_number():
    assert parse_number("$3.50") == 3.5
    assert parse_number("x + 1") is None
    assert parse_number(True) is None
