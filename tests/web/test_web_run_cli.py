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


def test_a_task_text_is_refused_naming_what_to_pass(tmp_path):
    """Issue 27: `--domain web TASK` ran demo task 0 whatever TASK said; the pages are recorded, so a new task
    text is refused with one error line naming --task-id (WebShop likewise, naming --goal)."""
    script_path = script(tmp_path / "m.json", [])
    for domain, flag in (("web", "--task-id ID"), ("webshop", "--goal N")):
        result = CliRunner().invoke(app, ["run", "--domain", domain, "--backend", "fake", "--model", script_path,
                                          "Book a flight to Paris."])
        assert result.exit_code != 0
        message = str(result.exception)
        assert "cannot run a new task text ('Book a flight to Paris.')" in message and flag in message


def test_a_task_names_a_recorded_task_by_id_position_or_instruction(tmp_path):
    from lumos.domains.mind2web.tasks import load_tasks, replay_task

    data = tmp_path / "test.json"
    data.write_text(json.dumps([flight_record()]))
    for named in ("flight-1", "0", "search flights from boston for 2 adults."):
        instruction, env = replay_task(data, "0", named)
        assert instruction == "Search flights from Boston for 2 adults." and env.task.annotation_id == "flight-1"
    demo = load_tasks(None)
    assert replay_task(None, "0", "2")[0] == demo[2].task != demo[0].task
    result = CliRunner().invoke(app, ["run", "--domain", "web", "--data", str(data), "--task-id", "flight-1", "0"])
    assert result.exit_code != 0 and "either as TASK or as --task-id" in str(result.exception)


def test_webshop_takes_a_goal_s_own_instruction_as_the_task():
    from lumos.domains.webshop.env import goal_session, open_shop

    goals = open_shop(None).goals()
    instruction, _ = goal_session(None, 0, named=goals[3].instruction.upper())
    assert instruction == goals[3].instruction != goals[0].instruction
