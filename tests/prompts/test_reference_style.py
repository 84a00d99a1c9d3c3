"""Golden tests: the reference style renders, byte for byte, the input format the released Lumos checkpoints
were trained on (planner and grounder, Lumos-I and Lumos-O, every domain, rounds 1 and 3), through
``lumos prompt render``. The expected texts are written out from the format's specification."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lumos.cli.main import app

PLAN_HEAD = "<|user|>\nPlease provide a reasonable subgoal-based plan to solve the given task.\nTask: "
GROUND_HEAD = (
    "<|user|>\nPlease ground the given subgoal to corresponding executable actions for solving the given task. "
    "The grounded actions must be the one in available action list.\n\nThe available action list is "
)
MATHS_TOOLS = (
    "'Calculator', 'SetEquation', 'SolveEquation', 'Count', 'SolveInequality', 'Code', and 'Define'.\n"
    "Calculator(formula): Calculate the input formula; SetEquation(equation): Set up an equation to be solved; "
    "SolveEquation(equation): Solve the previous set equation; Count(list): Count the number of elements in the "
    "given list; SolveInequality(inequality): Solve the previous set inequality; Code(pseudo_code): Generate a "
    "Python function that corresponds to the pseudo code; Define(variable/number): Define a variable or a number "
    "for latter usage.\n\n"
)
QA_TOOLS = (
    "'KnowledgeQuery', 'ParagraphRetrieve', 'QA', 'Calculator', and 'Code'.\n"
    "Calculator(formula): Calculate the input formula; KnowledgeQuery(query): Capture the relevant webpages "
    "according to the query; ParagraphRetrieve(context, query): Given a query, retrieve the most relevant "
    "paragraphs from the given context; QA(context, query): Given context, answer the given query; "
    "Calculator(formula): Calculate the input formula; Code(pseudo_code): Generate a Python function that "
    "corresponds to the pseudo code.\n\n"
)
WEB_TOOLS = (
    "'CLICK', 'TYPE', 'SELECT'.\n"
    "CLICK(Env, Query): Click the relevant html region in Env according to Query; TYPE(Env, Query, Text): Type "
    "Text into the relevant html region in Env according to Query; SELECT(Env, Query, Text): Select the value "
    "Text of the relevant selection box in Env according to Query.\n\n"
)

MATHS_TASK = "Janet has 3 apples and buys 4 more. She eats 2. How many are left?"
MATHS = {
    "subgoals": [
        "Subgoal 1: Calculate the apples after buying.",
        "No, I will keep planning. Subgoal 2: Calculate the apples after eating.",
        "Subgoal 3: Output the answer.",
    ],
    "actions": ["R1 = Calculator(3 + 4)", "R2 = Calculator(R1 - 2)"],
    "results": ["7", "5."],
}
QA_TASK = "Which country is the Eiffel Tower in?"
QA = {
    "subgoals": [
        "Subgoal 1: Obtain the knowledge about the Eiffel Tower.",
        "Subgoal 2: Find the country of the Eiffel Tower.",
        "Subgoal 3: Answer the question.",
    ],
    "actions": [
        "R1 = KnowledgeQuery(Eiffel Tower)",
        "R2 = ParagraphRetrieve(R1, Query: Where is the Eiffel Tower?); R3 = QA([R2], Question: Where is it?)",
    ],
    "results": ["Eiffel Tower: a tower in Paris.", "France"],
}
WEB_TASK = "Find a one-way flight from Paris to Rome."
WEB = {
    "subgoals": ["Subgoal 1: Type Paris into the origin box.", "Subgoal 2: Select one-way.", "Subgoal 3: Search."],
    "actions": ["R1 = TYPE(Env, origin box, Paris)", "R2 = CLICK(Env, one-way)"],
    "results": ["", ""],
}


def render(tmp_path: Path, *args: str, history: dict[str, list[str]] | None = None) -> str:
    extra: list[str] = []
    if history is not None:
        path = tmp_path / "history.json"
        path.write_text(json.dumps(history))
        extra = ["--history", str(path)]
    result = CliRunner().invoke(app, ["prompt", "render", *args, *extra])
    assert result.exit_code == 0, result.output
    return result.stdout


def first(history: dict[str, list[str]], n: int, planner: bool) -> dict[str, list[str]]:
    """The history at round ``n``: the planner has n - 1 finished subgoals; the grounder grounds the n-th."""
    k = n - 1 if planner else n
    return {"subgoals": history["subgoals"][:k], "actions": history["actions"][: n - 1],
            "results": history["results"][: n - 1]}


CASES = [  # (domain, task, history, tools)
    ("maths", MATHS_TASK, MATHS, MATHS_TOOLS),
    ("complex_qa", QA_TASK, QA, QA_TOOLS),
    ("web", WEB_TASK, WEB, WEB_TOOLS),
]


def plan_round_1(task: str) -> str:
    return f"{PLAN_HEAD}{task}; Initial Environment Description: None.\n<|assistant|>\n"


@pytest.mark.parametrize(("domain", "task", "history", "tools"), CASES)
@pytest.mark.parametrize("formulation", ["iterative", "onetime"])
def test_planner_round_1(tmp_path, domain, task, history, tools, formulation) -> None:
    shown = render(tmp_path, "--style", "reference", "--domain", domain, "--module", "plan",
                   "--formulation", formulation, "--task", task)
    assert shown == plan_round_1(task)


def test_maths_planner_round_3(tmp_path) -> None:
    shown = render(tmp_path, "--style", "reference", "--domain", "maths", "--module", "plan", "--task",
                   MATHS_TASK, history=first(MATHS, 3, planner=True))
    assert shown == (
        "<|user|>\nPlease provide a reasonable subgoal-based plan to solve the given task.\n"
        "Task: Janet has 3 apples and buys 4 more. She eats 2. How many are left?; Initial Environment "
        "Description: None.\n"
        "<|assistant|>\nSubgoal 1: Calculate the apples after buying.</s>\n"
        "<|user|>\nThe executed result for Subgoal 1 is 7. Should we stop planning?\n"
        "<|assistant|>\nNo, I will keep planning. Subgoal 2: Calculate the apples after eating.</s>\n"
        "<|user|>\nThe executed result for Subgoal 2 is 5. Should we stop planning?\n"
        "<|assistant|>\n"
    )


def test_complex_qa_planner_round_3(tmp_path) -> None:
    shown = render(tmp_path, "--style", "reference", "--domain", "complex_qa", "--module", "plan", "--task",
                   QA_TASK, history=first(QA, 3, planner=True))
    assert shown == (
        plan_round_1(QA_TASK)
        + "Subgoal 1: Obtain the knowledge about the Eiffel Tower.</s>\n"
        "<|user|>\nThe executed result for Subgoal 1 is Eiffel Tower: a tower in Paris. Should we stop planning?\n"
        "<|assistant|>\nNo, I will keep planning. Subgoal 2: Find the country of the Eiffel Tower.</s>\n"
        "<|user|>\nThe executed result for Subgoal 2 is France. Should we stop planning?\n"
        "<|assistant|>\n"
    )


def test_web_planner_round_3_says_what_was_done(tmp_path) -> None:
    shown = render(tmp_path, "--style", "reference", "--domain", "web", "--module", "plan", "--task",
                   WEB_TASK, history=first(WEB, 3, planner=True))
    assert shown == (
        plan_round_1(WEB_TASK)
        + "Subgoal 1: Type Paris into the origin box.</s>\n"
        "<|user|>\nWe have already type Paris into the origin box. Should we stop planning?\n"
        "<|assistant|>\nNo, I will keep planning. Subgoal 2: Select one-way.</s>\n"
        "<|user|>\nWe have already select one-way. Should we stop planning?\n"
        "<|assistant|>\n"
    )


@pytest.mark.parametrize(("domain", "task", "history", "tools"), CASES)
def test_grounder_round_1(tmp_path, domain, task, history, tools) -> None:
    shown = render(tmp_path, "--style", "reference", "--domain", domain, "--module", "ground", "--task", task,
                   history=first(history, 1, planner=False))
    subgoal = history["subgoals"][0]
    assert shown == f"{GROUND_HEAD}{tools}Task: {task} \nSubgoal to be grounded: {subgoal}\n<|assistant|>\n"


def test_maths_grounder_round_3(tmp_path) -> None:
    shown = render(tmp_path, "--style", "reference", "--domain", "maths", "--module", "ground", "--task",
                   MATHS_TASK, history=first(MATHS, 3, planner=False))
    assert shown == (
        "<|user|>\nPlease ground the given subgoal to corresponding executable actions for solving the given "
        "task. The grounded actions must be the one in available action list.\n\n"
        "The available action list is 'Calculator', 'SetEquation', 'SolveEquation', 'Count', 'SolveInequality', "
        "'Code', and 'Define'.\n"
        "Calculator(formula): Calculate the input formula; SetEquation(equation): Set up an equation to be "
        "solved; SolveEquation(equation): Solve the previous set equation; Count(list): Count the number of "
        "elements in the given list; SolveInequality(inequality): Solve the previous set inequality; "
        "Code(pseudo_code): Generate a Python function that corresponds to the pseudo code; "
        "Define(variable/number): Define a variable or a number for latter usage.\n\n"
        "Task: Janet has 3 apples and buys 4 more. She eats 2. How many are left? \n"
        "Subgoal to be grounded: Subgoal 1: Calculate the apples after buying.\n"
        "<|assistant|>\nR1 = Calculator(3 + 4)</s>\n"
        "<|user|>\nSubgoal to be grounded: Subgoal 2: Calculate the apples after eating.\n"
        "<|assistant|>\nR2 = Calculator(R1 - 2)</s>\n"
        "<|user|>\nSubgoal to be grounded: Subgoal 3: Output the answer.\n"
        "<|assistant|>\n"
    )


def test_complex_qa_grounder_round_3_lists_earlier_results(tmp_path) -> None:
    shown = render(tmp_path, "--style", "reference", "--domain", "complex_qa", "--module", "ground", "--task",
                   QA_TASK, history=first(QA, 3, planner=False))
    assert shown == (
        f"{GROUND_HEAD}{QA_TOOLS}Task: Which country is the Eiffel Tower in? \n"
        "Subgoal to be grounded: Subgoal 1: Obtain the knowledge about the Eiffel Tower.\n"
        "<|assistant|>\nR1 = KnowledgeQuery(Eiffel Tower)</s>\n"
        "<|user|>\nSubgoal to be grounded: Subgoal 2: Find the country of the Eiffel Tower. The grounding could "
        "be based on the following results: The execution result for Subgoal 1 is Eiffel Tower: a tower in "
        "Paris.\n"
        "<|assistant|>\nR2 = ParagraphRetrieve(R1, Query: Where is the Eiffel Tower?); "
        "R3 = QA([R2], Question: Where is it?)</s>\n"
        "<|user|>\nSubgoal to be grounded: Subgoal 3: Answer the question. The grounding could be based on the "
        "following results: The execution result for Subgoal 1 is Eiffel Tower: a tower in Paris. The execution "
        "result for Subgoal 2 is France\n"
        "<|assistant|>\n"
    )


def test_web_grounder_round_3(tmp_path) -> None:
    shown = render(tmp_path, "--style", "reference", "--domain", "web", "--module", "ground", "--task",
                   WEB_TASK, history=first(WEB, 3, planner=False))
    assert shown == (
        f"{GROUND_HEAD}{WEB_TOOLS}Task: Find a one-way flight from Paris to Rome. \n"
        "Subgoal to be grounded: Subgoal 1: Type Paris into the origin box.\n"
        "<|assistant|>\nR1 = TYPE(Env, origin box, Paris)</s>\n"
        "<|user|>\nSubgoal to be grounded: Subgoal 2: Select one-way.\n"
        "<|assistant|>\nR2 = CLICK(Env, one-way)</s>\n"
        "<|user|>\nSubgoal to be grounded: Subgoal 3: Search.\n"
        "<|assistant|>\n"
    )


@pytest.mark.parametrize(("domain", "task", "history", "tools"), CASES)
@pytest.mark.parametrize("n", [1, 3])
def test_onetime_grounder(tmp_path, domain, task, history, tools, n) -> None:
    shown = render(tmp_path, "--style", "reference", "--domain", domain, "--module", "ground",
                   "--formulation", "onetime", "--task", task,
                   history={"subgoals": history["subgoals"][:n]})
    listed = "; ".join(s.split("planning. ")[-1] for s in history["subgoals"][:n])
    assert shown == f"{GROUND_HEAD}{tools}Task: {task} \nSubgoals to be grounded: {listed}\n<|assistant|>\n"


def test_maths_onetime_grounder_literal(tmp_path) -> None:
    shown = render(tmp_path, "--style", "reference", "--module", "ground", "--formulation", "onetime",
                   "--task", "What is 2 + 3 times 4?",
                   history={"subgoals": ["Subgoal 1: Multiply 3 by 4.", "Subgoal 2: Add 2."]})
    assert shown.endswith(
        "for latter usage.\n\nTask: What is 2 + 3 times 4? \n"
        "Subgoals to be grounded: Subgoal 1: Multiply 3 by 4.; Subgoal 2: Add 2.\n<|assistant|>\n"
    )


def test_released_model_names_pick_the_reference_style(tmp_path) -> None:
    shown = render(tmp_path, "--model", "ai2lumos/lumos_maths_plan_iterative", "--task", MATHS_TASK)
    assert shown == plan_round_1(MATHS_TASK)


def test_own_style_is_the_default_and_differs(tmp_path) -> None:
    shown = render(tmp_path, "--template", "tulu", "--task", MATHS_TASK)
    assert shown.startswith("<|user|>\n") and "Please provide a reasonable" not in shown


def test_bad_history_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "h.json"
    path.write_text(json.dumps({"subgoals": ["Subgoal 1: Add."], "results": []}))
    result = CliRunner().invoke(app, ["prompt", "render", "--style", "reference", "--task", "x",
                                      "--history", str(path)])
    assert result.exit_code != 0
    assert "1 subgoals but 0 results" in str(result.exception)
