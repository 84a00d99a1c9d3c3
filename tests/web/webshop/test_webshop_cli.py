"""`lumos env webshop` replays actions with rewards; `lumos eval webshop` runs the demo shop with the fake backend."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lumos.cli.main import app


def test_env_replay_prints_one_line_per_action_with_rewards(small_shop_dir: Path) -> None:
    actions = ["search[waterproof trail shoes]", "click[b000shoe01]", "click[purple]", "click[black]", "click[9]",
               "click[buy now]"]
    result = CliRunner().invoke(app, ["env", "webshop", "--data", str(small_shop_dir), "--goal", "0", *actions])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["action"] for line in lines] == actions
    assert [line["valid"] for line in lines] == [True, True, False, True, True, True]
    assert [line["done"] for line in lines] == [False] * 5 + [True]
    assert lines[-1]["reward"] == 1.0 and all(line["reward"] == 0.0 for line in lines[:-1])
    assert lines[2]["observation"] == lines[1]["observation"]  # the invalid click changed nothing


def test_env_without_actions_shows_the_goal_and_bad_goal_is_an_error(small_shop_dir: Path) -> None:
    shown = CliRunner().invoke(app, ["env", "webshop", "--data", str(small_shop_dir), "--goal", "2"])
    assert shown.exit_code == 0, shown.output
    start = json.loads(shown.stdout)
    assert start["goal"] == "human-2" and start["instruction"].startswith("a dishwasher safe coffee mug")
    bad = CliRunner().invoke(app, ["env", "webshop", "--data", str(small_shop_dir), "--goal", "9"])
    assert bad.exit_code != 0 and "goals 0 to 2" in str(bad.exception)


def test_eval_on_the_demo_shop_with_the_fake_backend_resumes(tmp_path: Path) -> None:
    script = tmp_path / "model.json"
    # the planner's first subgoal, grounded by the same scripted model as a search; then it stops
    script.write_text(json.dumps({"responses": [], "default": "R1 = Search(running shoes)"}))
    args = ["eval", "webshop", "--backend", "fake", "--model", str(script), "--method", "lumos-iterative,direct",
            "--limit", "3", "--max-rounds", "2", "--ranker", "none", "--no-progress", "--out", str(tmp_path / "r")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "not the WebShop benchmark" in result.output
    for method in ("lumos-iterative", "direct"):
        run = tmp_path / "r" / f"webshop-{method}"
        metrics = json.loads((run / "metrics.json").read_text())
        records = [json.loads(line) for line in (run / "predictions.jsonl").read_text().splitlines()]
        assert metrics["n"] == 3 == len(records) and metrics["method"] == method
        assert metrics["reward"] == 0.0 and metrics["success_rate"] == 0.0  # nothing bought scores 0
        assert all(r["purchased"] is None and r["scores"]["reward"] == 0.0 for r in records)
        assert "lumos's demo shop" in metrics["shop"]
    direct = [json.loads(line) for line in (tmp_path / "r" / "webshop-direct" / "predictions.jsonl").read_text().splitlines()]
    assert direct[0]["actions"][0] == "R1 = Search(running shoes)"  # not an action the shop knows: nothing changes
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    metrics = json.loads((tmp_path / "r" / "webshop-lumos-iterative" / "metrics.json").read_text())
    assert metrics["goals_this_run"] == 0 and metrics["n"] == 3


def test_eval_rejects_methods_it_does_not_support(tmp_path: Path) -> None:
    script = tmp_path / "model.json"
    script.write_text(json.dumps({"responses": [], "default": "x"}))
    result = CliRunner().invoke(app, ["eval", "webshop", "--backend", "fake", "--model", str(script), "--method",
                                      "cot", "--no-progress", "--out", str(tmp_path / "r")])
    assert result.exit_code != 0 and "webshop supports the methods" in str(result.exception or result.output)


def test_direct_demonstrations_are_the_shop_actions_of_the_webshop_examples() -> None:
    from lumos.domains.webshop.direct import demonstrations

    msgs = demonstrations(2, ranker="none")
    actions = [m["content"] for m in msgs if m["role"] == "assistant"]
    assert actions[0].startswith("search[") and actions.count("click[buy now]") == 2
    assert msgs[0]["content"].startswith("You are shopping") and "Instruction: i want a bluetooth speaker" in msgs[0]["content"]
    assert msgs[2]["content"].startswith("Page: back to search [SEP] Page 1 (Total results:")
