"""Prompt styles are data: shipped by name, or YAML files on top of another style; both go through the same
builders."""

from __future__ import annotations

from pathlib import Path

import pytest

from lumos.errors import ConfigError
from lumos.prompts.modules import ModulePrompts
from lumos.prompts.prompt_styles import load_style, pick_style, style_names


def test_shipped_styles_and_automatic_pick() -> None:
    assert style_names()[:1] == ["lumos"] and "reference" in style_names()
    assert pick_style(None, ["ai2lumos/lumos_unified_plan_iterative"]).name == "reference"
    assert pick_style(None, [None, "my/model"]).name == "lumos"
    assert pick_style("lumos", ["ai2lumos/lumos_maths_plan_iterative"]).name == "lumos"  # asked for: kept
    assert load_style("reference").template == "tulu" and load_style("lumos").template == ""


def test_own_style_web_planner_says_what_was_done_and_other_domains_see_results() -> None:
    web = ModulePrompts("web").plan_iterative("Book a flight.", ["Click the search button."], ["<html>"])
    assert web[-1]["content"] == (
        "Subgoal 1 is done: we have already click the search button. Should we stop planning?"
    )
    maths = ModulePrompts("maths").plan_iterative("What is 2 + 3?", ["Add 2 and 3."], ["5."])
    assert maths[-1]["content"] == "The result of Subgoal 1 is 5. Should we stop planning?"


def test_a_style_file_extends_another_and_varies_by_domain(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "extends: reference\n"
        "result:\n  default: 'Result {index}: {result}. Stop?'\n  maths: 'Maths result {index}: {result}.'\n"
    )
    style = load_style(path)
    assert style.name == "mine" and style.template == "tulu"
    maths = ModulePrompts("maths", style).plan_iterative("T", ["Add."], ["5"])
    qa = ModulePrompts("complex_qa", style).plan_iterative("T", ["Look up."], ["Paris."])
    assert maths[-1]["content"] == "Maths result 1: 5."
    assert qa[-1]["content"] == "Result 1: Paris. Stop?"
    assert maths[0]["content"].startswith("Please provide a reasonable subgoal-based plan")


def test_bad_style_files_are_clear_errors(tmp_path: Path) -> None:
    unknown = tmp_path / "a.yaml"
    unknown.write_text("planner: x\n")
    with pytest.raises(ConfigError, match="unknown prompt fields"):
        load_style(unknown)
    template = tmp_path / "b.yaml"
    template.write_text("template: chatml\n")
    with pytest.raises(ConfigError, match="template must be"):
        load_style(template)
    with pytest.raises(ConfigError, match="unknown prompt style"):
        load_style("nonexistent")


def test_an_unreadable_plan_gets_the_styles_feedback_or_the_same_prompt_again() -> None:
    from lumos.agent.agent import Agent
    from lumos.models.fake import FakeModel

    seen: list[list[dict[str, str]]] = []

    def planner(conv: list[dict[str, str]]) -> str:
        seen.append(conv)
        return "I do not know." if len(seen) == 1 else "Yes, I will stop planning."

    for style, turns in (("lumos", 3), ("reference", 1)):
        seen.clear()
        Agent(FakeModel(responder=planner), FakeModel(default="R1 = Calculator(1)"),
              style=load_style(style)).run(["What is 1?"])
        assert len(seen[1]) == turns
        assert seen[1][0] == seen[0][0]
