"""Inputs for the viewer's tests: real trajectories from the scripted agent, a web trace, annotations."""

from __future__ import annotations

import base64
import contextlib
import json
from pathlib import Path
from typing import Any

from lumos.agent.agent import Agent
from lumos.format.types import (
    Action,
    ActionResult,
    Annotation,
    ModelCall,
    Step,
    StepError,
    Subgoal,
    Trajectory,
)
from lumos.models.fake import FakeModel

# A 1x1 PNG: the screenshot a browser-run step points at.
PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)

HOSTILE = '</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def agent_trajectories() -> list[Trajectory]:
    """Two real Lumos-I runs: one answers, one fails to ground (a parse error recorded on its step)."""
    planner = FakeModel(["Subgoal 1: Add the numbers.", "Yes, I will stop planning."])
    grounder = FakeModel(["R1 = Calculator(2 + 3)"])
    good = Agent(planner, grounder).run_one("What is 2 + 3?")
    planner = FakeModel(["Subgoal 1: Multiply.", "Yes, I will stop planning."])
    grounder = FakeModel(["I cannot write an action here."])
    bad = Agent(planner, grounder).run_one("What is 4 * 5?")
    good.id, bad.id = "t-good", "t-bad"
    return [good, bad]


def write_trace(path: Path, trajectories: list[Trajectory]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(t.to_json() + "\n" for t in trajectories))
    return path


def web_trajectory(screenshot: str = "shots/step1.png") -> Trajectory:
    """A browser task: the click tool recorded ranked candidates, the chosen element and a screenshot."""
    details: dict[str, Any] = {
        "candidates": [
            {"ref": "e12", "text": "<button>Buy now</button>", "score": 0.91},
            {"ref": "e7", "text": "<a>Help</a>", "score": 0.12},
        ],
        "chosen": "e12",
        "observation": "<html><body><button id=e12>Buy now</button></body></html>",
        "screenshot": screenshot,
        "reward": 1.0,
    }
    step = Step(
        index=1,
        subgoals=[Subgoal(index=1, text="Press the buy button.")],
        actions=[Action(outputs=["R1"], tool="Click", args="Buy now button")],
        results=[
            ActionResult(action="R1 = Click(Buy now button)", outputs={"R1": "clicked e12"}, details=details),
            ActionResult(
                action="R2 = Type(e99, hello)",
                error=StepError(module="execute", kind="tool_error", message="no element e99 on the page"),
            ),
        ],
        calls=[ModelCall(module="ground", output="R1 = Click(Buy now button)", prompt_tokens=40, completion_tokens=8)],
    )
    return Trajectory(
        task="Buy the blue shoes", id="web-1", domain="web", steps=[step], answer=None, stop_reason="finished",
        meta={"website": "shop.example", "reward": 1.0},
    )


def write_annotations(ann_dir: Path) -> Path:
    ann_dir.mkdir(parents=True, exist_ok=True)
    kept = Annotation(
        task="What is 6 * 7?", answer="42", subgoals=["Multiply the numbers."], actions=["R1 = Calculator(6 * 7)"],
        results=["42"], source="gsm8k", id="a-1",
    )
    (ann_dir / "annotations.jsonl").write_text(kept.model_dump_json() + "\n")
    rejected = {
        "id": "a-2", "source": "gsm8k", "domain": "maths", "task": "What is 1 / 0?", "answer": "none",
        "reason": "wrong_answer", "message": "executing the actions gave zoo, not none",
        "annotation": {"subgoals": ["Divide."], "actions": ["R1 = Calculator(1 / 0)"], "results": ["zoo"]},
    }
    (ann_dir / "rejected.jsonl").write_text(json.dumps(rejected) + "\n")
    return ann_dir


def mind2web_run(run_dir: Path) -> Path:
    """One line per step, grouped by annotation_id, with fields the viewer has never heard of."""
    run_dir.mkdir(parents=True, exist_ok=True)
    lines = []
    for task, n_steps, wrong_step in (("m-1", 2, None), ("m-2", 3, 2)):
        for k in range(n_steps):
            step_ok = float(k != wrong_step)
            lines.append(
                {
                    "id": f"{task}-{k}", "annotation_id": task, "action_uid": f"uid-{task}-{k}",
                    "question": f"Book a table ({task})", "gold": f"CLICK e{k}", "answer": f"CLICK e{k if step_ok else 9}",
                    "pred_element": f"e{k if step_ok else 9}", "pred_op": "CLICK", "pred_value": "",
                    "scores": {"step_success": step_ok, "element_accuracy": step_ok},
                    "error_kind": None, "website": "resy", "novel_field": {"nested": [1, 2]},
                }
            )
    (run_dir / "predictions.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    (run_dir / "metrics.json").write_text(
        json.dumps({"benchmark": "mind2web", "method": "lumos-iterative", "n": 2, "primary_metric": "step_success"})
    )
    return run_dir


def open_view(driver: Any, page: Path, timeout: float = 20.0) -> None:
    """Load a page from disk and wait for the viewer to finish its first render."""
    from selenium.webdriver.support.ui import WebDriverWait

    console_errors(driver)  # drop what earlier pages logged
    driver.get(page.resolve().as_uri())
    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script("return document.body && document.body.dataset.ready === '1'")
    )


def console_errors(driver: Any) -> list[str]:
    """Errors the page caught itself (window.onerror) plus Chromium's SEVERE console entries."""
    found = list(driver.execute_script("return window.__lumosErrors || []") or [])
    with contextlib.suppress(Exception):  # a driver without the log endpoint: the page's collector still counts
        found += [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    return found


def save_view_screenshot(driver: Any, page: Path, png: Path, *, width: int = 1400, height: int = 860) -> Path:
    """Open ``page`` at a given window size and save what it shows (docs/viewer.png is made this way)."""
    old = driver.get_window_size()
    driver.set_window_size(width, height)
    try:
        open_view(driver, page)
        png.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(png))
    finally:
        driver.set_window_size(old["width"], old["height"])
    return png
