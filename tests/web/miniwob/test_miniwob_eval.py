"""``lumos eval miniwob`` with scripted fake modules in the real browser: click-button and enter-text solved,
files written, a rerun resumed, a crashed browser restarted with its episode recorded as failed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from lumos.agent.agent import AgentConfig
from lumos.domains.miniwob.env import MiniWoBPage
from lumos.domains.miniwob.evaluate import make_tools, run_batch
from lumos.domains.miniwob.pool import BrowserPool
from lumos.errors import ConfigError
from lumos.eval.benchmarks import get_benchmark
from lumos.eval.custom import MethodRun, get_runner
from lumos.models.base import Conversation
from lumos.models.fake import FakeModel

STOP = "Yes, I will stop planning."


def _task(conv: Conversation) -> str:
    match = re.search(r"Task: (.*?)(?:; Initial Environment|\n|$)", conv[0]["content"])
    assert match, conv[0]["content"]
    return match.group(1)


def _subgoals(task: str) -> list[str]:
    if task.startswith("Enter"):
        return ["Type the text into the text field.", "Click the Submit button."]
    return ["Click the button named in the task."]


def plan(conv: Conversation) -> str:
    """Plans from the utterance; stops once the page says the task has ended."""
    if "task has ended" in conv[-1]["content"]:
        return STOP
    done = sum(m["role"] == "assistant" for m in conv)
    steps = _subgoals(_task(conv))
    if done >= len(steps):
        return STOP
    return (
        f"Subgoal 1: {steps[0]}"
        if done == 0
        else f"No, I will keep planning. Subgoal {done + 1}: {steps[done]}"
    )


def ground(conv: Conversation) -> str:
    """Grounds the latest subgoal, reading the quoted target from the utterance."""
    target = re.search(r'"([^"]+)"', _task(conv))
    assert target
    k = sum(m["role"] == "assistant" for m in conv) + 1
    page = "Env" if k == 1 else f"R{k - 1}"
    subgoal = conv[-1]["content"]
    if "Type" in subgoal:
        return f"R{k} = TYPE({page}, QUERY: text input field, TEXT: {target.group(1)})"
    if "Submit" in subgoal:
        return f"R{k} = CLICK({page}, QUERY: Submit button)"
    return f"R{k} = CLICK({page}, QUERY: {target.group(1)} button)"


def _run(method: str, out: Path, tasks: str, planner: FakeModel, grounder: FakeModel, **kw: Any) -> MethodRun:
    return MethodRun(
        bench=get_benchmark("miniwob"),
        method=method,
        planner=planner,
        grounder=grounder,
        config=AgentConfig(domain="miniwob", max_rounds=4),
        run_dir=out,
        settings={"benchmark": "miniwob", "method": method, "model_label": "fake", "seed": 0, "data": None},
        batch_size=kw.get("batch_size", 2),
        progress=False,
        options={"tasks": tasks, "suite": None, "episodes": 1, "ranker": "lexical"},
    )


@pytest.mark.usefixtures("miniwob_package")
@pytest.mark.browser
def test_fake_modules_solve_click_button_and_enter_text(tmp_path: Path) -> None:
    from lumos.browser import INSTALL_HINT, find_browser

    if find_browser() is None:
        pytest.skip(f"no Chromium here: {INSTALL_HINT}")
    bench = get_benchmark("miniwob")
    run = _run(
        "lumos-iterative",
        tmp_path,
        "click-button,enter-text",
        FakeModel(responder=plan),
        FakeModel(responder=ground),
    )
    metrics = get_runner(bench)(run)
    assert metrics["per_task"]["click-button"]["reward"] > 0
    assert metrics["per_task"]["enter-text"]["reward"] > 0
    assert (metrics["success_rate"], metrics["n"]) == (1.0, 2)
    records = [json.loads(line) for line in (tmp_path / "predictions.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == ["click-button-0", "enter-text-0"]
    for r in records:
        shots = [a["details"]["screenshot"] for s in r["trace"]["steps"] for a in s["results"]]
        assert shots and all((tmp_path / s).is_file() for s in shots)
        assert r["trace"]["meta"]["task"] == r["task"]
    written = json.loads((tmp_path / "metrics.json").read_text())
    assert (written["n"], written["primary_metric"]) == (2, "success_rate")  # lumos view reads it

    # a rerun resumes: nothing is asked of the models again
    planner = FakeModel(responder=plan)
    again = get_runner(bench)(_run("lumos-iterative", tmp_path, "click-button,enter-text", planner, planner))
    assert again["success_rate"] == 1.0 and planner.calls == []


@pytest.mark.usefixtures("miniwob_package")
@pytest.mark.browser
def test_direct_method_writes_one_action_sequence(tmp_path: Path) -> None:
    from lumos.browser import find_browser

    if find_browser() is None:
        pytest.skip("no Chromium here")

    def direct(conv: Conversation) -> str:
        target = re.search(r'"([^"]+)"', _task(conv))
        assert target
        return (
            f"R1 = TYPE(Env, QUERY: text input field, TEXT: {target.group(1)}); R2 = CLICK(R1, QUERY: Submit)"
        )

    model = FakeModel(responder=direct)
    metrics = get_runner(get_benchmark("miniwob"))(_run("direct", tmp_path, "enter-text", model, model))
    assert metrics["success_rate"] == 1.0 and len(model.calls) == 1


def test_an_unknown_task_stops_before_any_browser_starts(tmp_path: Path) -> None:
    pytest.importorskip("miniwob")
    run = _run("lumos-iterative", tmp_path, "click-buton", FakeModel(), FakeModel())
    with pytest.raises(ConfigError, match="did you mean click-button"):
        get_runner(get_benchmark("miniwob"))(run)


@pytest.mark.usefixtures("miniwob_package")
@pytest.mark.browser
def test_a_crashed_browser_fails_its_episode_and_is_restarted(tmp_path: Path) -> None:
    from lumos.browser import find_browser
    from lumos.domains.miniwob.evaluate import EpisodeSpec

    if find_browser() is None:
        pytest.skip("no Chromium here")
    tools = make_tools("lexical")

    def method(tasks: list[str], ids: list[str], envs: list[MiniWoBPage]) -> list[Any]:
        from lumos.agent.agent import Agent

        envs[0].browser.driver.quit()  # the first episode's browser dies mid-episode
        agent = Agent(
            FakeModel(responder=plan),
            FakeModel(responder=ground),
            AgentConfig(domain="miniwob", max_rounds=3),
            tools=tools,
        )
        return agent.run(tasks, ids=ids, envs=envs)

    specs = [EpisodeSpec("click-button", 0, 0), EpisodeSpec("click-button", 1, 1)]
    with BrowserPool(2) as pool:
        records = list(run_batch(pool, specs, method, tmp_path, "lumos-iterative"))
        assert pool.restarts == 1 and all(b.alive() for b in pool.browsers)
    crashed, fine = records
    assert crashed["error_kind"] == "browser_crashed" and crashed["reward"] == -1.0
    assert fine["reward"] > 0 and fine["error_kind"] is None
