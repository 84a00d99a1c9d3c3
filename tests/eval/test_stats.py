"""Intervals and the paired test: checked against values worked out by hand and by scipy's definitions."""

import json
import math

import pytest

from lumos.errors import ConfigError
from lumos.eval.report import intervals_table, paired_table
from lumos.eval.stats import (
    bootstrap_interval,
    example_scores,
    interval,
    mcnemar_exact,
    paired_test,
    wilson_interval,
)


def test_wilson_interval_known_values():
    # 1 of 50: the normal interval would go below zero; Wilson's is (0.0035, 0.1050)
    low, high = wilson_interval(1, 50)
    assert low == pytest.approx(0.003539, abs=1e-5) and high == pytest.approx(0.104960, abs=1e-5)
    low, high = wilson_interval(0, 200)
    assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(0.018846, abs=1e-5)
    low, high = wilson_interval(100, 200)
    assert low == pytest.approx(1 - high) and 0.43 < low < 0.44
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_exact_mcnemar_known_values():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)  # all six discordant pairs one way
    assert mcnemar_exact(2, 8) == pytest.approx(2 * sum(math.comb(10, i) for i in range(3)) / 1024)
    assert mcnemar_exact(5, 5) == 1.0
    assert mcnemar_exact(3, 7) == mcnemar_exact(7, 3)


def test_paired_test_counts_only_disagreements_on_shared_ids():
    a = {"1": 1, "2": 1, "3": 0, "4": 0, "5": 1}
    b = {"1": 1, "2": 0, "3": 1, "4": 0, "6": 1}
    test = paired_test(a, b)
    assert (test.n, test.only_a, test.only_b) == (4, 1, 1) and test.difference == 0.0
    with pytest.raises(ConfigError, match="share no example"):
        paired_test({"x": 1}, {"y": 1})
    with pytest.raises(ConfigError, match="0/1"):
        paired_test({"x": 0.5}, {"x": 1})


def test_bootstrap_interval_covers_the_mean_and_is_reproducible():
    values = [0.0, 0.2, 0.5, 1.0, 0.3] * 10
    low, high = bootstrap_interval(values)
    assert low < sum(values) / len(values) < high and bootstrap_interval(values) == (low, high)
    assert interval([0.0, 1.0, 1.0]) == wilson_interval(2, 3)


def _run(tmp_path, name, method, scores, metric="accuracy"):
    d = tmp_path / name
    d.mkdir()
    rows = [{"id": f"q{i}", "scores": {metric: s}} for i, s in enumerate(scores)]
    (d / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    run = {"benchmark": "svamp", "method": method, "model": "m", "n": len(scores), "primary_metric": metric}
    return run, d


def test_report_tables_from_run_directories(tmp_path):
    ref, ref_dir = _run(tmp_path, "cot", "cot", [1, 0, 0, 0, 1, 0, 0, 0])
    lumos, lumos_dir = _run(tmp_path, "lumos", "lumos-iterative", [1, 1, 1, 1, 1, 1, 0, 0])
    table = intervals_table([ref, lumos], [ref_dir, lumos_dir])
    assert "| svamp | lumos-iterative (m) | 8 | 75.0 | 40.9-92.9 |" in table
    paired = paired_table([ref, lumos], [ref_dir, lumos_dir], "cot")
    # lumos right where cot is wrong on 4 examples, never the other way: p = 2 / 2**4
    assert "| svamp | lumos-iterative (m) | 8 | 4 | 0 | +50.0 | 0.125 |" in paired
    with pytest.raises(ConfigError, match="names no run"):
        paired_table([ref, lumos], [ref_dir, lumos_dir], "direct")
    assert example_scores(lumos_dir, "accuracy")["q0"] == 1.0
    with pytest.raises(ConfigError, match="no 'em' score"):
        example_scores(lumos_dir, "em")
