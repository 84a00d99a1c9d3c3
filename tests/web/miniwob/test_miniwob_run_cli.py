"""`lumos run --domain miniwob TASK --seed N`: one live MiniWoB++ episode in headless Chromium, with the
trajectory, MiniWoB's reward and (with --screenshots) a PNG per action."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lumos.cli.main import app
from lumos.domains.web_common.tools import LexicalRanker


def script(path: Path, replies: list[str]) -> str:
    path.write_text(json.dumps({"responses": replies}))
    return str(path)


def run(tmp_path: Path, task: str, plan: list[str], ground: list[str], *extra: str) -> tuple[int, str]:
    """Exit code and output (with the exception's text, where one ended the command)."""
    args = ["run", "--domain", "miniwob", task, "--seed", "3", "--backend", "fake"]
    args += ["--plan-model", script(tmp_path / "plan.json", plan)]
    args += ["--ground-model", script(tmp_path / "ground.json", ground)]
    result = CliRunner().invoke(app, [*args, *extra])
    return result.exit_code, result.output + (f"\n{result.exception!r}" if result.exception else "")


@pytest.fixture
def chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    from lumos.browser import INSTALL_HINT, find_browser

    if find_browser() is None:
        pytest.skip(f"no Chromium here: {INSTALL_HINT}")
    monkeypatch.setattr("lumos.domains.web_common.tools.resolve_ranker", lambda spec: LexicalRanker())


@pytest.mark.usefixtures("miniwob_package")
@pytest.mark.browser
def test_a_solved_episode_prints_the_reward_and_saves_screenshots(tmp_path: Path, chromium: None) -> None:
    shots = tmp_path / "shots"
    code, out = run(
        tmp_path,
        "focus-text",
        ["Subgoal 1: Click the text input field.", "Yes, I will stop planning."],
        ["R1 = CLICK(Env, QUERY: text input field)"],
        "--screenshots",
        str(shots),
    )
    assert code == 0, out
    assert "Task: Focus into the textbox." in out
    assert "reward: 1.000 (success)" in out
    assert sorted(p.name for p in (shots / "screenshots" / "focus-text-3").iterdir()) == ["00.png", "01.png"]


@pytest.mark.usefixtures("miniwob_package")
@pytest.mark.browser
def test_a_malformed_action_is_recorded_and_the_unfinished_episode_scores_minus_one(
    tmp_path: Path, chromium: None
) -> None:
    plan = ["Subgoal 1: Click the button.", "No, I will keep planning. Subgoal 2: Stop.", "Yes, I will stop planning."]
    # two rounds, then the planner's stop is kept (no round is left to go on with)
    code, out = run(tmp_path, "click-button", plan, ["click the button please", "R2 = Nothing"], "--json",
                    "--max-rounds", "2")
    assert code == 0, out
    trajectory = json.loads(out.strip().splitlines()[-1])
    assert trajectory["steps"][0]["error"]["kind"] == "parse_error"
    assert trajectory["meta"]["reward"] == -1.0
    assert trajectory["meta"]["outcome"].startswith("failure: unfinished")
    assert trajectory["meta"]["task"] == "click-button"


@pytest.mark.usefixtures("miniwob_package")
def test_an_unknown_task_fails_before_a_browser_starts(tmp_path: Path) -> None:
    code, out = run(tmp_path, "click-the-moon", ["Yes, I will stop planning."], [])
    assert code != 0
    assert "unknown MiniWoB++ task 'click-the-moon'" in out


def test_the_task_name_is_required(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--domain", "miniwob", "--backend", "fake"])
    assert result.exit_code != 0 and "MiniWoB++ task's name" in result.output
