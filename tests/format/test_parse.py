import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lumos.errors import ParseError
from lumos.format import (
    Action,
    PlanDecision,
    Subgoal,
    parse_actions,
    parse_decision,
    parse_plan,
    render_actions,
    render_decision,
    render_plan,
    split_args,
)


def test_plan_lines():
    plan = parse_plan(
        "Subgoal 1: Calculate how much Leah spent on the milkshake.\nSubgoal 2: Find what is left."
    )
    assert plan == [
        Subgoal(index=1, text="Calculate how much Leah spent on the milkshake."),
        Subgoal(index=2, text="Find what is left."),
    ]


def test_plan_on_one_line_as_the_onetime_planner_writes_it():
    plan = parse_plan("Subgoal 1: Find a; Subgoal 2: Find b; Subgoal 3: Add them.")
    assert [s.text for s in plan] == ["Find a", "Find b", "Add them."]


def test_plan_tolerates_markdown_and_spacing():
    plan = parse_plan("Here is my plan:\n* **Subgoal 1:** add\n-  subgoal 2 :  multiply  \n")
    assert [s.text for s in plan] == ["add", "multiply"]


def test_plan_without_subgoals_is_a_parse_error():
    with pytest.raises(ParseError, match="Subgoal N"):
        parse_plan("I think the answer is 12.")


def test_decisions():
    assert parse_decision("Yes, I will stop planning.") == PlanDecision(stop=True)
    go_on = parse_decision("No, I will keep planning. Subgoal 3: Add R1 and R2.")
    assert go_on == PlanDecision(stop=False, subgoals=[Subgoal(index=3, text="Add R1 and R2.")])
    assert parse_decision("Subgoal 2: Multiply.").subgoals[0].text == "Multiply."
    with pytest.raises(ParseError):
        parse_decision("Maybe.")


def test_actions_separated_by_semicolons_and_lines():
    acts = parse_actions("R1 = Calculator(28 * 1/7); R2 = Calculator(28 - R1)\nR3 = Calculator(R2 / 2)")
    assert [a.render() for a in acts] == [
        "R1 = Calculator(28 * 1/7)",
        "R2 = Calculator(28 - R1)",
        "R3 = Calculator(R2 / 2)",
    ]


def test_several_outputs_and_equations_inside():
    (act,) = parse_actions("R5, R6 = SolveEquation(R2 = x*y, R3 = x/y)")
    assert act == Action(outputs=["R5", "R6"], tool="SolveEquation", args="R2 = x*y, R3 = x/y")
    assert split_args(act.args) == ["R2 = x*y", "R3 = x/y"]


def test_output_and_function_application():
    acts = parse_actions("R7 = Calculator(R4(R5, R6)); Output = R7")
    assert acts[0].args == "R4(R5, R6)"
    assert acts[1] == Action(outputs=["Output"], tool=None, args="R7")


def test_web_forms_without_outputs():
    acts = parse_actions(
        "CLICK(Env, QUERY: the search button)\nTYPE(Env, QUERY: search box, TEXT: red shoes)"
    )
    assert [a.tool for a in acts] == ["CLICK", "TYPE"]
    assert split_args(acts[1].args) == ["Env", "QUERY: search box", "TEXT: red shoes"]


def test_tolerates_prose_and_a_missing_parenthesis():
    acts = parse_actions("Sure! Here are the actions:\nR1 = Calculator((2 + 3) * 4\nThat should do it.")
    assert acts == [Action(outputs=["R1"], tool="Calculator", args="(2 + 3) * 4")]
    (nested,) = parse_actions("R2 = Calculator(R1 * (2 + 3")
    assert nested.args == "R1 * (2 + 3)"


def test_commas_and_semicolons_inside_quotes_and_brackets():
    acts = parse_actions("R1 = Code('a = [1, 2]; print(len(a))'); R2 = Count([1, 2; 3])")
    assert acts[0].args == "'a = [1, 2]; print(len(a))'"
    assert acts[1].args == "[1, 2; 3]"
    assert split_args("R1, Question: is it big, or small?", maxsplit=1) == [
        "R1",
        "Question: is it big, or small?",
    ]


@pytest.mark.parametrize("text", ["", "   ", "the answer is 5", "R1 = Calculator(2))) + (", ")))"])
def test_unusable_output_is_a_parse_error(text):
    with pytest.raises(ParseError):
        parse_actions(text)


_names = st.from_regex(r"R[1-9][0-9]?", fullmatch=True)
_tools = st.sampled_from(["Calculator", "SolveEquation", "KnowledgeQuery", "CLICK", "Define"])
_atoms = st.one_of(
    st.integers(-1000, 1000).map(str),
    _names,
    st.from_regex(r"[a-z][a-z ]{0,12}[a-z]", fullmatch=True),
)


@st.composite
def _args(draw, depth=0):
    parts = draw(st.lists(_atoms, min_size=1, max_size=3))
    text = draw(st.sampled_from([" + ", " * ", ", ", " = "])).join(parts)
    if depth < 2 and draw(st.booleans()):
        text = f"{text} * ({draw(_args(depth + 1))})"
    return text


_actions = st.builds(
    Action,
    outputs=st.lists(_names, min_size=1, max_size=3),
    tool=_tools,
    args=_args(),
)


@given(st.lists(_actions, min_size=1, max_size=5), st.sampled_from(["; ", "\n"]))
def test_render_parse_round_trip(actions, sep):
    assert parse_actions(render_actions(actions, sep)) == actions


@given(
    st.lists(
        st.from_regex(r"[A-Z][a-z]{1,8}( [a-z0-9]{1,8}){0,5}\.?", fullmatch=True), min_size=1, max_size=6
    )
)
def test_plan_round_trip(texts):
    subgoals = [Subgoal(index=i + 1, text=t) for i, t in enumerate(texts)]
    assert parse_plan(render_plan(subgoals)) == subgoals
    go_on = PlanDecision(stop=False, subgoals=subgoals[:1])
    assert parse_decision(render_decision(go_on)) == go_on


@given(st.text(max_size=300))
def test_parser_never_crashes_on_arbitrary_text(text):
    for parse in (parse_actions, parse_plan, parse_decision):
        with contextlib.suppress(ParseError):
            parse(text)


def test_apostrophes_are_not_quotes():
    acts = parse_actions(
        "R1 = KnowledgeQuery(Louis XIV's father); R2 = QA([R1], Question: Who was Louis XIV's father?)"
    )
    assert [a.args for a in acts] == ["Louis XIV's father", "[R1], Question: Who was Louis XIV's father?"]
