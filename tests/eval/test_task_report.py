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


def test_graded_scores_get_bootstrap_intervals_and_sign_tests(tmp_path):
    def graded(name, scores):
        d = tmp_path / name
        d.mkdir()
        rows = [
            {"id": f"melt-{k}", "task": "melt", "scores": {"success_rate": float(s == 1), "score": s}}
            for k, s in enumerate(scores)
        ]
        (d / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        return d

    a = graded("a", [0.5, 0.25, 0.1, 0.1, 1.0, 0.0])
    b = graded("b", [0.0, 0.05, 0.0, 0.1, 1.0, 0.0])
    text = task_tables([{"benchmark": "x"}] * 2, [a, b], ["lumos", "flat"], against="flat")
    assert "Mean score (95% bootstrap interval), by group of tasks:" in text
    row = next(line for line in text.splitlines() if line.startswith("| all (1 tasks) | 0.325 ("))
    assert row.endswith("n=6 |") and " | 0.192 (" in row
    # higher in 3 episodes, lower in none, 3 ties: p = 2 / 2**3
    assert "| all (1 tasks) | lumos | 6 | 3 | 0 | +0.133 | 0.25 |" in text
    assert "higher score here | higher score in flat | difference (score) | p (exact sign test)" in text
    assert "| all (1 tasks) | lumos | 6 | 0 | 0 | +0.0 | 1 |" in text  # success: both 1 of 6


def test_speed_table_counts_an_environment_runs_records(tmp_path):
    from lumos.eval.report import load_runs, speed_table

    d = tmp_path / "env"
    d.mkdir()
    # an environment benchmark's own metrics: no token totals, no stop reasons
    (d / "metrics.json").write_text(json.dumps({"benchmark": "scienceworld", "method": "direct-iterative", "n": 2}))
    rows = [
        {"id": "a", "prompt_tokens": 300, "completion_tokens": 20, "stop_reason": "round_limit"},
        {"id": "b", "prompt_tokens": 100, "completion_tokens": 10, "stop_reason": "completed"},
    ]
    (d / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    row = speed_table(load_runs([d])).splitlines()[2]
    assert row == "| scienceworld | direct-iterative | 2 | - | - | 200 | 15 | - | completed 1, round_limit 1 |"
    # a run with neither totals nor records shows '-', not 0 tokens
    (d / "predictions.jsonl").unlink()
    assert "| - | - | - | - | - |" in speed_table(load_runs([d]))


def test_an_environment_runs_tokens_come_from_its_traces_model_calls(tmp_path):
    from lumos.eval.report import load_runs, speed_table

    d = tmp_path / "env"
    d.mkdir()
    (d / "metrics.json").write_text(
        json.dumps({"benchmark": "miniwob", "method": "lumos-iterative", "n": 1, "examples_per_second": 0.25})
    )
    calls = [{"module": "plan", "prompt_tokens": 300, "completion_tokens": 12}, {"module": "ground"}]
    record = {"id": "a", "stop_reason": "completed", "trace": {"steps": [{"calls": calls}, {"calls": calls[:1]}]}}
    (d / "predictions.jsonl").write_text(json.dumps(record) + "\n")
    row = speed_table(load_runs([d])).splitlines()[2]
    assert row == "| miniwob | lumos-iterative | 1 | 0.25 | - | 600 | 24 | - | completed 1 |"
