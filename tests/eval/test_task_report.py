"""lumos report, task by task: groups from the domain's task_groups hook, intervals, paired tests."""

from __future__ import annotations

import json

from lumos.eval.task_report import task_tables


def run_dir(tmp_path, name, successes):
    d = tmp_path / name
    d.mkdir()
    rows = [
        {"id": f"{task}-{k}", "task": task, "scores": {"success_rate": float(ok), "reward": 1.0 if ok else -1.0}}
        for task, outcomes in successes.items()
        for k, ok in enumerate(outcomes)
    ]
    (d / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return d


def test_groups_intervals_and_paired_tests(tmp_path):
    a = run_dir(tmp_path, "a", {"click-button": [1, 1, 1, 1], "click-test-2": [1, 0], "terminal": [0, 0]})
    b = run_dir(tmp_path, "b", {"click-button": [0, 0, 0, 1], "click-test-2": [0, 0], "terminal": [0, 0]})
    runs = [{"benchmark": "miniwob"}, {"benchmark": "miniwob"}]
    text = task_tables(runs, [a, b], ["trained", "flat"], against="flat")
    assert "| seen (1 tasks) | 100.0 (51-100), n=4 | 25.0 (5-70), n=4 |" in text
    assert "| unseen (1 tasks) | 50.0" in text and "| no solver (1 tasks) | 0.0" in text
    assert "| all (3 tasks) | 62.5 (31-86), n=8 | 12.5 (2-47), n=8 |" in text
    # paired on the same episodes: 3 wins only for "trained" among seen, none only for "flat"
    assert "| seen (1 tasks) | trained | 4 | 3 | 0 | +75.0 | 0.25 |" in text
    assert "| click-button | seen | 4/4 | 1/4 |" in text


def test_runs_without_tasks_give_no_table(tmp_path):
    d = tmp_path / "qa"
    d.mkdir()
    (d / "predictions.jsonl").write_text(json.dumps({"id": "1", "scores": {"accuracy": 1.0}}) + "\n")
    assert task_tables([{"benchmark": "gsm8k"}], [d], ["cot"]) == ""
