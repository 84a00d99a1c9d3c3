"""`lumos run --domain web --data FILE --task-id ID`: the agent replays one Mind2Web task, page by page, and
prints the trajectory and each step against the gold action."""

from __future__ import annotations

import json
from pathlib import Path

from m2w_records import flight_record
from typer.testing import CliRunner

from lumos.cli.main import app
from lumos.domains.web_common.tools import LexicalRanker


def script(path: Path, replies: list[str]) -> str:
    path.write_text(json.dumps({"responses": replies}))
    return str(path)


def test_run_replays_a_task(tmp_path, monkeypatch):
    monkeypatch.setattr("lumos.domains.web_common.tools.resolve_ranker", lambda spec: LexicalRanker())
    data = tmp_path / "test.json"
    data.write_text(json.dumps([flight_record()]))
    plan = script(
        tmp_path / "plan.json",
        [
            "Subgoal 1: Type Boston in the From box.",
            "No, I will keep planning. Subgoal 2: Choose 2 adults.",
            "Yes, I will stop planning.",
        ],
    )
    ground = script(
        tmp_path / "ground.json",
        [
            "R1 = TYPE(Env, QUERY: the From textbox, TEXT: Boston)",
            "R2 = SELECT(R1, QUERY: the passengers combobox, TEXT: 1 adult)",
        ],
    )
    args = ["run", "--domain", "web", "--data", str(data), "--task-id", "flight-1", "--backend", "fake"]
    result = CliRunner().invoke(app, [*args, "--plan-model", plan, "--ground-model", ground])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Task: Search flights from Boston for 2 adults." in out
    assert "step 1: TYPE [10] Boston | gold [textbox]  From -> TYPE: Boston [10] | right" in out
    assert "step 2: SELECT [12] 1 adult | gold" in out and "| wrong" in out
    assert "step 3: nothing | gold [button]  Search -> ENTER [13] | wrong" in out


def test_unknown_task_id(tmp_path):
    data = tmp_path / "test.json"
    data.write_text(json.dumps([flight_record()]))
    result = CliRunner().invoke(app, ["run", "--domain", "web", "--data", str(data), "--task-id", "x"])
    assert result.exit_code != 0 and "no Mind2Web task 'x'" in str(result.exception)
