"""scripts/rerun_changed_episodes.py: which recorded episodes today's tool changes could alter."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[3] / "scripts" / "rerun_changed_episodes.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("rerun_changed_episodes", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def episode(id_: str, task: str, *args: str) -> dict:
    actions = [{"tool": "CLICK", "args": a} for a in args]
    return {"id": id_, "task": task, "trace": {"steps": [{"actions": actions}]}}


@pytest.mark.parametrize(
    ("record", "touched"),
    [
        (episode("a", "click-button", "Env, QUERY: Submit button"), False),
        (episode("b", "enter-time", "Env, QUERY: Submit button"), True),  # a date or time field
        (episode("c", "grid-coordinate", "Env, QUERY: (-2,-1)"), True),  # could name an id
        (episode("d", "click-tab", "Env, QUERY: Tab button", "R1, QUERY: Tab #2"), True),
        (episode("e", "click-link", "Env, the link", "R1, QUERY: the link"), False),  # refused, then letters
    ],
)
def test_touched(script, record, touched):
    assert script.touched(record) is touched


def scored(*scores: float) -> dict:
    candidates = [{"ref": str(i), "score": s} for i, s in enumerate(scores)]
    step = {"actions": [], "results": [{"details": {"candidates": candidates}}, {"error": "no details"}]}
    return {"id": "s", "task": "click-button", "trace": {"steps": [step]}}


def test_touched_by_the_tie_break_only_where_the_best_scores_tie(script):
    assert script.touched(scored(0.91, 0.91, 0.2), "tie")
    assert not script.touched(scored(0.91, 0.9, 0.9), "tie")
    assert not script.touched(scored(0.91), "tie")
    assert not script.touched(episode("c", "grid-coordinate", "Env, QUERY: (-2,-1)"), "tie")
    assert script.touched(episode("c", "grid-coordinate", "Env, QUERY: (-2,-1)"), "tie,id")
    assert script.touched(episode("u", "use-autocomplete", "Env, QUERY: <li> Uganda (in: #ui-id-1)"), "id-context")
    assert not script.touched(episode("c", "grid-coordinate", "Env, QUERY: (-2,-1)"), "id-context")


def test_the_new_run_keeps_the_untouched_episodes_but_the_rechecked(script, tmp_path, monkeypatch):
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    (old / "config.json").write_text("{}")
    records = [episode(f"x-{i}", "click-button", "Env, QUERY: button") for i in range(6)]
    records.append(episode("t-0", "enter-date", "Env, QUERY: date field"))
    (old / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    monkeypatch.setattr(sys, "argv", ["rerun", str(old), str(new), "--recheck", "2"])
    script.main()
    kept = [json.loads(line)["id"] for line in (new / "predictions.jsonl").read_text().splitlines()]
    rechecked = json.loads((new / "recheck.json").read_text())
    assert rechecked == ["x-0", "x-3"] and kept == ["x-1", "x-2", "x-4", "x-5"]
    with pytest.raises(SystemExit, match="already has predictions"):
        script.main()
    monkeypatch.setattr(sys, "argv", ["rerun", str(old), str(tmp_path / "other"), "--changes", "tie,ids"])
    with pytest.raises(SystemExit, match="unknown --changes ids"):
        script.main()
