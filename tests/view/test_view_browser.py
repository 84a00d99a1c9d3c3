"""The generated page in a real headless Chromium: what renders, filters, keys, side by side, escaping."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from view_fixtures import (
    HOSTILE,
    PIXEL_PNG,
    agent_trajectories,
    console_errors,
    open_view,
    save_view_screenshot,
    web_trajectory,
    write_trace,
)

from lumos.format.types import ModelCall
from lumos.testing.runs import write_synthetic_run
from lumos.view import build_view

pytestmark = pytest.mark.browser


def js(driver: Any, script: str) -> Any:
    return driver.execute_script(script)


def detail_text(driver: Any) -> str:
    return str(js(driver, "return document.getElementById('detail').innerText"))


def press(driver: Any, *keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    chain = ActionChains(driver)
    for key in keys:
        chain.send_keys(key)
    chain.perform()


def choose(driver: Any, select_id: str, value: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, select_id)).select_by_value(value)


def row_marks(driver: Any) -> list[list[str]]:
    """For each rendered list row, the status class of each run's mark (ok, bad, fail, none, miss)."""
    return list(
        js(
            driver,
            "return Array.from(document.querySelectorAll('#list .row')).map(r => "
            "Array.from(r.querySelectorAll('.mark')).map(m => m.className.replace('mark m-', '')))",
        )
    )


def test_tasks_steps_errors_and_web_details_render(chrome: Any, tmp_path: Path) -> None:
    (tmp_path / "shots").mkdir()
    (tmp_path / "shots" / "step1.png").write_bytes(PIXEL_PNG)
    trajs = [*agent_trajectories(), web_trajectory()]
    page = build_view([write_trace(tmp_path / "trace.jsonl", trajs)], tmp_path / "view.html")
    open_view(chrome, page)
    assert js(chrome, "return document.querySelectorAll('#list .row').length") == 3
    assert "3 of 3 tasks" in js(chrome, "return document.getElementById('count').textContent")
    text = detail_text(chrome)
    assert trajs[0].task in text and "Add the numbers." in text and "R1 = 5" in text
    assert "plan" in text and str(trajs[0].steps[0].calls[0].prompt_tokens) in text

    press(chrome, "j")  # the task whose grounding failed
    text = detail_text(chrome)
    assert trajs[1].task in text and "(no answer)" in text
    errors = js(chrome, "return Array.from(document.querySelectorAll('#detail .error')).map(e => e.innerText)")
    assert any(trajs[1].errors[0].message in e for e in errors)
    assert js(chrome, "return document.querySelectorAll('#detail .step.bad').length") >= 1

    press(chrome, "j")  # the web task: candidates, chosen element, screenshot, a failed action
    assert js(chrome, "return document.querySelectorAll('#detail table.cands tr.chosen').length") == 1
    assert "<button>Buy now</button>" in str(js(chrome, "return document.querySelector('#detail table.cands').textContent"))
    assert js(chrome, "return document.querySelector('#detail img.shot').naturalWidth") == 1
    assert "no element e99 on the page" in detail_text(chrome)
    press(chrome, "k", "k")
    assert trajs[0].task in detail_text(chrome)
    assert console_errors(chrome) == []


def test_filters_search_and_keys(chrome: Any, tmp_path: Path) -> None:
    run = write_synthetic_run(tmp_path / "run", 80, seed=3)
    records = [json.loads(x) for x in (run / "predictions.jsonl").read_text().splitlines()]
    open_view(chrome, build_view([run]))
    count = lambda: str(js(chrome, "return document.getElementById('count').textContent"))  # noqa: E731

    choose(chrome, "f-status", "wrong")
    wrong = sum(1 for r in records if r["scores"]["accuracy"] < 1)
    assert count().startswith(f"{wrong} of 80")
    assert all(m[0] in ("bad", "fail") for m in row_marks(chrome))
    choose(chrome, "f-status", "")
    failed = sum(1 for r in records if r["error_kind"] == "parse_error")
    choose(chrome, "f-kind", "parse_error")
    assert count().startswith(f"{failed} of 80") and 0 < failed < wrong
    assert "parse_error" in detail_text(chrome)
    choose(chrome, "f-kind", "")

    press(chrome, "/")
    assert js(chrome, "return document.activeElement.id") == "search"
    target = records[41]
    press(chrome, target["question"].split(" How")[0])
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(chrome, 5).until(lambda d: not count().startswith("80 of"))
    ids = js(chrome, "return Array.from(document.querySelectorAll('#list .row .id')).map(e => e.textContent)")
    assert target["id"] in ids and len(ids) < 80
    assert target["question"] in detail_text(chrome)

    from selenium.webdriver.common.keys import Keys

    press(chrome, Keys.ESCAPE)
    assert count().startswith("80 of 80")
    press(chrome, "j", "j", "j")
    assert js(chrome, "return document.querySelector('#list .row.sel .id').textContent") == records[3]["id"]
    press(chrome, Keys.END)
    assert records[-1]["question"] in detail_text(chrome)
    assert chrome.current_url.endswith("#" + records[-1]["id"])
    chrome.get("about:blank")
    chrome.get(run.joinpath("view.html").resolve().as_uri() + "#" + records[57]["id"])  # a link to one task
    WebDriverWait(chrome, 10).until(lambda d: records[57]["question"] in detail_text(d))
    assert console_errors(chrome) == []


def test_two_runs_side_by_side(chrome: Any, tmp_path: Path) -> None:
    a = write_synthetic_run(tmp_path / "a", 60, seed=1, method="lumos-iterative")
    b = write_synthetic_run(tmp_path / "b", 60, seed=2, method="cot")
    open_view(chrome, build_view([a, b], tmp_path / "both.html"))
    marks = row_marks(chrome)
    assert marks and all(len(m) == 2 for m in marks)
    assert "ok" in marks[0] and ("bad" in marks[0] or "fail" in marks[0])  # a disagreement comes first
    labels = js(chrome, "return Array.from(document.querySelectorAll('#detail .col > h3')).map(e => e.textContent)")
    assert len(labels) == 2 and "lumos-iterative" in labels[0] and "cot" in labels[1]
    ids = js(chrome, "return Array.from(document.querySelectorAll('#detail .col h2')).map(e => e.firstChild.textContent)")
    assert ids[0] == ids[1]

    choose(chrome, "f-cmp", "b")  # only the second run right
    marks = row_marks(chrome)
    assert marks and all(m[1] == "ok" and m[0] != "ok" for m in marks)
    choose(chrome, "f-cmp", "same")
    assert all(not ("ok" in m and ("bad" in m or "fail" in m)) for m in row_marks(chrome))
    assert console_errors(chrome) == []


def test_untrusted_text_is_shown_not_run(chrome: Any, tmp_path: Path) -> None:
    traj = agent_trajectories()[0]
    traj.task = f"Question {HOSTILE}"
    traj.answer = HOSTILE
    traj.steps[0].subgoals[0].text = HOSTILE
    traj.steps[0].calls.append(ModelCall(module="plan", output=HOSTILE))
    traj.meta = {"page": HOSTILE}
    open_view(chrome, build_view([write_trace(tmp_path / "t.jsonl", [traj])], tmp_path / "v.html"))
    assert js(chrome, "return window.__pwned === undefined")
    assert js(chrome, "return document.querySelectorAll('#detail script, #detail img:not(.shot)').length") == 0
    assert detail_text(chrome).count("<script>window.__pwned = 1</script>") >= 3
    assert "1 of 1 tasks" in js(chrome, "return document.getElementById('count').textContent")
    assert console_errors(chrome) == []


def test_screenshot(chrome: Any, tmp_path: Path) -> None:
    """Saves the viewer's picture; LUMOS_VIEW_SCREENSHOT=docs/viewer.png writes the README's copy."""
    a = write_synthetic_run(tmp_path / "a", 200, seed=1, method="lumos-iterative", model="trained")
    b = write_synthetic_run(tmp_path / "b", 200, seed=2, method="cot", model="base few-shot")
    page = build_view([a, b], tmp_path / "both.html")
    png = save_view_screenshot(chrome, page, tmp_path / "viewer.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    wanted = os.environ.get("LUMOS_VIEW_SCREENSHOT")
    if wanted:
        Path(wanted).write_bytes(png.read_bytes())
    assert console_errors(chrome) == []
