"""Training data from live-environment annotations: the first page, the flat baseline's file, held-out tasks."""

from __future__ import annotations

import json

from lumos.data.build import MODULES, build
from lumos.format.types import Annotation
from lumos.prompts.modules import ModulePrompts


def episode(task: str, ident: str, page: str = "[1] <button> OK") -> Annotation:
    return Annotation(
        task=task,
        subgoals=["Click the OK button."],
        actions=["R1 = CLICK(Env, QUERY: OK button)"],
        results=["The task has ended (success, reward 1)."],
        domain="miniwob",
        source="miniwob-solver",
        id=ident,
        observation=page,
    )


def write(tmp_path, annotations):
    path = tmp_path / "annotations.jsonl"
    path.write_text("".join(a.model_dump_json() + "\n" for a in annotations))
    return path


def lines(path):
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_the_planner_and_the_flat_model_see_the_first_page(tmp_path):
    out = tmp_path / "data"
    build([write(tmp_path, [episode("Click OK.", "click-button-s1-0")])], out, heldout=0, modules=MODULES)
    plan = lines(out / "train/plan_iterative.jsonl")[0]["messages"]
    assert plan[0]["content"].endswith("Task: Click OK.; Initial Environment Description: [1] <button> OK.")
    flat = lines(out / "train/direct_iterative.jsonl")[0]["messages"]
    assert [m["role"] for m in flat] == ["user", "assistant"]
    assert "Initial Environment Description: [1] <button> OK." in flat[0]["content"]
    assert flat[1]["content"] == "R1 = CLICK(Env, QUERY: OK button)"


def test_same_task_text_on_different_pages_is_kept_twice_and_unseen_tasks_never(tmp_path):
    out = tmp_path / "data"
    anns = [
        episode("Click OK.", "click-button-s1-0", "[1] <button> OK"),
        episode("Click OK.", "click-button-s1-1", "[4] <button> OK"),
        episode("Click OK.", "click-button-s1-2", "[4] <button> OK"),  # the same page: a duplicate
        episode("Click the button.", "click-test-2-s1-0"),  # an unseen task (miniwob.tasks.UNSEEN)
    ]
    report = build([write(tmp_path, anns)], out, heldout=0)
    assert report.train["miniwob-solver"] == 2
    assert report.held_out["miniwob-solver"] == 1
    assert sum(report.duplicates.values()) == 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["held_out_by_domain"] == {"miniwob-solver": 1}
    assert all("Click the button" not in json.dumps(r) for r in lines(out / "train/plan_iterative.jsonl"))


def test_episodes_that_start_alike_and_then_differ_are_not_duplicates(tmp_path):
    first = episode("Find an animal.", "find-animal-v0", "You are in the hallway.")
    other = first.model_copy(update={"id": "find-animal-v1", "results": ["You focus on the dove."]})
    report = build([write(tmp_path, [first, other, other.model_copy(update={"id": "again"})])], tmp_path / "d", heldout=0)
    assert report.train["miniwob-solver"] == 2 and sum(report.duplicates.values()) == 1


def test_text_tasks_keep_the_released_task_line():
    msgs = ModulePrompts("maths").plan_iterative("What is 2 + 3?", demos=False)
    assert msgs[0]["content"].endswith("Task: What is 2 + 3?; Initial Environment Description: None.")


def test_the_flat_conversation_shows_results_between_actions():
    p = ModulePrompts("miniwob")
    acts = ["R1 = TYPE(Env, QUERY: field, TEXT: a)", "R2 = CLICK(R1, QUERY: Submit)"]
    res = ["[1] <input value=a>", "The task has ended (success, reward 1)."]
    whole = p.act_iterative("Type a.", "[1] <input>", acts, res, final=True, demos=False)
    assert [m["role"] for m in whole] == ["user", "assistant", "user", "assistant"]
    assert whole[2]["content"] == "Result of R1: [1] <input value=a>"
    asking = p.act_iterative("Type a.", "[1] <input>", acts[:1], res[:1], demos=False)
    assert asking[-1]["role"] == "user"


def test_data_build_of_an_environment_domain_writes_the_flat_file(tmp_path):
    from typer.testing import CliRunner

    from lumos.cli.main import app

    path = write(tmp_path, [episode("Click OK.", "click-button-s1-0")])
    out = tmp_path / "data"
    result = CliRunner().invoke(app, ["data", "build", str(path), "--domain", "miniwob", "--out", str(out), "--heldout", "0"])
    assert result.exit_code == 0, result.output
    assert lines(out / "train/direct_iterative.jsonl")
    text_out = tmp_path / "maths"
    maths = Annotation(task="What is 2 + 3?", answer="5", subgoals=["Add."], actions=["R1 = Calculator(2 + 3)"], results=["5"])
    result = CliRunner().invoke(app, ["data", "build", write(tmp_path, [maths]).as_posix(), "--domain", "maths", "--out", str(text_out)])
    assert result.exit_code == 0, result.output
    assert not (text_out / "train/direct_iterative.jsonl").exists()
