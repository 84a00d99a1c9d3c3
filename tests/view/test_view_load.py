"""Loading eval runs, traces, annotations and Mind2Web step lines into the viewer's model; the page's JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner
from view_fixtures import (
    HOSTILE,
    PIXEL_PNG,
    agent_trajectories,
    mind2web_run,
    web_trajectory,
    write_annotations,
    write_trace,
)

from lumos.cli.main import app
from lumos.errors import ConfigError
from lumos.testing.runs import write_synthetic_run
from lumos.view import build_view, load_runs, render_html
from lumos.view.render import embed_json

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "gsm8k_test_sample.jsonl"


def page_json(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="lumos-data">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found.group(1))


@pytest.mark.skipif(not SAMPLE.exists(), reason="the shared GSM8K sample is not on this machine")
def test_eval_run_written_by_lumos_eval(tmp_path: Path) -> None:
    script = tmp_path / "model.json"
    script.write_text(json.dumps({"responses": [], "default": "Subgoal 1: Add. The answer is 18."}))
    args = ["eval", "gsm8k", "--data", str(SAMPLE), "--limit", "3", "--backend", "fake", "--model", str(script),
            "--method", "lumos-iterative", "--max-rounds", "2", "--no-progress", "--out", str(tmp_path / "r")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"lumos view {tmp_path / 'r'}" in " ".join(result.output.split())
    run = load_runs([tmp_path / "r"]).runs[0]
    records = [json.loads(x) for x in (tmp_path / "r" / "predictions.jsonl").read_text().splitlines()]
    assert [t["id"] for t in run.tasks] == [r["id"] for r in records]
    task = run.tasks[0]
    assert task["q"] == records[0]["question"] and task["gold"] == records[0]["gold"]
    assert task["ok"] is False and task["fail"] == records[0]["error_kind"]
    assert len(task["steps"]) == len(records[0]["trace"]["steps"])
    assert task["steps"][0]["err"]["kind"] == "parse_error"
    assert task["steps"][0]["calls"][0]["pt"] == records[0]["trace"]["steps"][0]["calls"][0]["prompt_tokens"]
    summary = run.summary()
    assert summary["failures"] == json.loads((tmp_path / "r" / "metrics.json").read_text())["failures"]
    assert "lumos-iterative" in run.label and "gsm8k" in run.label


def test_trace_file_of_agent_trajectories(tmp_path: Path) -> None:
    trajs = agent_trajectories()
    run = load_runs([write_trace(tmp_path / "trace.jsonl", trajs)]).runs[0]
    good, bad = run.tasks
    assert run.kind == "trace" and good["ok"] is None and "gold" not in good
    assert good["pred"] == trajs[0].answer == "5"
    assert good["steps"][0]["sub"] == ["Add the numbers."]
    assert good["steps"][0]["res"][0]["out"] == {"R1": "5"}
    assert bad["pred"] is None and bad["fail"] == trajs[1].errors[-1].kind
    assert any(s.get("err") for s in bad["steps"])


def test_web_details_embed_the_screenshot_once(tmp_path: Path) -> None:
    (tmp_path / "shots").mkdir()
    (tmp_path / "shots" / "step1.png").write_bytes(PIXEL_PNG)
    trace = write_trace(tmp_path / "web.jsonl", [web_trajectory(), web_trajectory()])
    runs = load_runs([trace])
    details = runs.runs[0].tasks[0]["steps"][0]["res"][0]["d"]
    assert details["chosen"] == "e12" and len(details["candidates"]) == 2
    assert len(runs.images) == 1 and runs.images[details["screenshot"]].startswith("data:image/png;base64,")
    assert runs.runs[0].tasks[0]["meta"]["website"] == "shop.example"
    missing = load_runs([write_trace(tmp_path / "gone.jsonl", [web_trajectory("nowhere.png")])])
    assert missing.images == {} and missing.runs[0].tasks[0]["steps"][0]["res"][0]["d"]["screenshot"] == "nowhere.png"


def test_annotation_directory(tmp_path: Path) -> None:
    run = load_runs([write_annotations(tmp_path / "ann")]).runs[0]
    kept, rejected = run.tasks
    assert kept["ok"] is True and kept["steps"][0]["act"] == ["R1 = Calculator(6 * 7)"]
    assert rejected["ok"] is False and rejected["fail"] == "wrong_answer" and "zoo" in rejected["err"]
    assert rejected["steps"][0]["sub"] == ["Divide."] and rejected["pred"] == "zoo" and kept["pred"] == "42"
    assert run.summary()["failures"] == {"wrong_answer": 1}


def test_mind2web_step_lines_group_into_tasks_and_keep_unknown_fields(tmp_path: Path) -> None:
    run = load_runs([mind2web_run(tmp_path / "m2w")]).runs[0]
    assert [t["id"] for t in run.tasks] == ["m-1", "m-2"]
    first, second = run.tasks
    assert len(first["steps"]) == 2 and len(second["steps"]) == 3
    assert first["ok"] is True and second["ok"] is False  # one wrong step fails the task
    assert second["scores"]["step_success"] == pytest.approx(2 / 3)
    extra = second["steps"][2]["extra"]
    assert extra["pred_element"] == "e9" and extra["novel_field"] == {"nested": [1, 2]}
    assert second["pred"] == " \u2192 ".join(["CLICK e0", "CLICK e1", "CLICK e9"])
    assert second["gold"] == " \u2192 ".join(["CLICK e0", "CLICK e1", "CLICK e2"])


def test_repeated_prompt_text_is_stored_once(tmp_path: Path) -> None:
    runs = load_runs([write_synthetic_run(tmp_path / "run", 50)])
    calls = [c for t in runs.runs[0].tasks for s in t["steps"] for c in s.get("calls", [])]
    assert all("prompt" in c for c in calls) and len(calls) >= 100
    assert len(runs.prompts.chunks) <= 4 + 50  # the few-shot chunks once, one task line per example
    record = json.loads((tmp_path / "run" / "predictions.jsonl").read_text().splitlines()[0])
    first = calls[0]["prompt"]
    assert "\n\n".join(runs.prompts.chunks[i] for i in first) == record["trace"]["steps"][0]["calls"][0]["prompt"]


def test_two_runs_align_by_id_with_disagreements_first(tmp_path: Path) -> None:
    a = write_synthetic_run(tmp_path / "a", 30, seed=1)
    b = write_synthetic_run(tmp_path / "b", 25, seed=2, method="cot")
    runs = load_runs([a, b])
    rows = runs.aligned()
    assert len(rows) == 30 and sorted(r[0] for r in rows) == list(range(30))
    oks = [[runs.runs[k].tasks[i]["ok"] if i >= 0 else None for k, i in enumerate(r)] for r in rows]
    differ = [o[0] is not None and o[1] is not None and o[0] != o[1] for o in oks]
    assert any(differ) and not all(differ)
    assert differ == sorted(differ, reverse=True)
    for r in rows:
        if r[1] >= 0:
            assert runs.runs[0].tasks[r[0]]["id"] == runs.runs[1].tasks[r[1]]["id"]
    assert sum(1 for r in rows if r[1] < 0) == 5


def test_untrusted_text_cannot_end_the_data_element(tmp_path: Path) -> None:
    traj = agent_trajectories()[0]
    traj.task = HOSTILE
    html = render_html(load_runs([write_trace(tmp_path / "t.jsonl", [traj])]))
    assert "window.__pwned" not in html.split('id="lumos-data">', 1)[0]
    data_part = html.split('id="lumos-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data_part and ">" not in data_part
    assert page_json(html)["runs"][0]["tasks"][0]["q"] == HOSTILE
    assert json.loads(embed_json({"x": "a\u2028b</script>&"})) == {"x": "a\u2028b</script>&"}
    assert json.loads(embed_json({"f1": float("nan"), "n": [float("inf"), 1.5]})) == {"f1": None, "n": [None, 1.5]}
    assert "script-src 'nonce-" in html and "default-src 'none'" in html


def test_bad_paths_say_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_runs([tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"predictions\.jsonl"):
        load_runs([tmp_path / "empty"])
    (tmp_path / "other.jsonl").write_text('{"foo": 1}\n')
    with pytest.raises(ConfigError, match="not a `lumos run --trace` file"):
        load_runs([tmp_path / "other.jsonl"])


def test_cli_writes_the_page(tmp_path: Path) -> None:
    run = write_synthetic_run(tmp_path / "run", 5)
    result = CliRunner().invoke(app, ["view", str(run)])
    assert result.exit_code == 0, result.output
    page = run / "view.html"
    assert str(page) in result.output and page_json(page.read_text())["runs"][0]["summary"]["n"] == 5
    out = tmp_path / "both.html"
    result = CliRunner().invoke(app, ["view", str(run), str(write_trace(tmp_path / "t.jsonl", agent_trajectories())),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = page_json(out.read_text())
    assert len(data["runs"]) == 2 and data["rows"] is not None
    assert build_view([run], tmp_path / "x.html").exists()


def test_report_links_each_runs_view(tmp_path: Path) -> None:
    a = write_synthetic_run(tmp_path / "runs" / "a", 4, seed=1)
    b = write_synthetic_run(tmp_path / "runs" / "b", 4, seed=2, method="cot")
    out = tmp_path / "report" / "report.md"
    result = CliRunner().invoke(app, ["report", str(a), str(b), "--out", str(out), "--no-chart"])
    assert result.exit_code == 0, result.output
    links = re.findall(r"\]\(([^)]+view\.html)\)", out.read_text())
    assert links == ["../runs/a/view.html", "../runs/b/view.html"]
    for link in links:
        assert page_json((out.parent / link).read_text())["runs"][0]["summary"]["n"] == 4
    result = CliRunner().invoke(app, ["report", str(a), "--no-chart", "--no-views"])
    assert result.exit_code == 0 and "view.html" not in result.output


def test_record_fields_repeating_the_trace_are_not_stored_twice(tmp_path: Path) -> None:
    """A web record repeats its step's candidates and lists its screenshots: each is kept once."""
    (tmp_path / "shots").mkdir()
    (tmp_path / "shots" / "step1.png").write_bytes(PIXEL_PNG)
    (tmp_path / "shots" / "start.png").write_bytes(PIXEL_PNG + b"start")
    traj = web_trajectory()
    record = {
        "id": "w-1", "question": traj.task, "scores": {"reward": 0.5, "success_rate": 0.0}, "answer": None,
        "candidates": traj.steps[0].results[0].details["candidates"], "subgoal": traj.steps[0].subgoals[0].text,
        "screenshots": ["shots/start.png", "shots/step1.png"], "env_steps": 3, "trace": traj.model_dump(),
    }
    (tmp_path / "predictions.jsonl").write_text(json.dumps(record) + "\n")
    (tmp_path / "metrics.json").write_text(json.dumps({"primary_metric": "reward", "benchmark": "webshop"}))
    runs = load_runs([tmp_path])
    task = runs.runs[0].tasks[0]
    assert task["extra"] == {"env_steps": 3, "domain": "web", "formulation": "iterative"}
    assert task["ok"] is False and len(runs.images) == 2
    assert [runs.images[k] for k in task["shots"]] == [runs.images[str(tmp_path / "shots" / "start.png")]]
    assert task["tok"] == [40, 8]  # the record gave no token counts: the trace's calls do
    assert task["stop"] == "finished"


def test_values_shared_by_every_task_are_stored_once(tmp_path: Path) -> None:
    run = load_runs([write_synthetic_run(tmp_path / "run", 6)]).runs[0]
    assert run.common == {"domain": "maths", "formulation": "iterative"}
    assert not any("domain" in t.get("extra", {}) for t in run.tasks)
    step = run.tasks[0]["steps"][0]
    assert step["res"][0]["a"].startswith("R1 = Calculator(") and "act" not in step  # shown with its result
    assert page_json(render_html(load_runs([tmp_path / "run"])))["runs"][0]["common"] == run.common
