import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lumos.agent.agent import AgentConfig
from lumos.errors import ConfigError
from lumos.eval.benchmarks import Example, get_benchmark, load_examples
from lumos.eval.methods import make_method
from lumos.eval.runner import run_evaluation
from lumos.models.fake import FakeModel

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def solver(conv):
    """A scripted agent: the task 'What is A + B?' in one subgoal; every fifth task it gets wrong."""
    last = conv[-1]["content"]
    task = next(m["content"] for m in conv if "Task:" in m["content"]).split("Task:")[1]
    a, b = [int(t) for t in task.replace("?", " ").replace(";", " ").split() if t.isdigit()][:2]
    if "to be grounded" in last:
        return f"R1 = Calculator({a} + {b + (1 if a % 5 == 0 else 0)})"
    if "Should we stop" in last:
        return "Yes, I will stop planning."
    return "Subgoal 1: Add the numbers."


def _examples(n=12):
    return [Example(id=f"q{i}", question=f"What is {i} + {2 * i}?", answer=str(3 * i)) for i in range(n)]


def _method():
    model = FakeModel(responder=solver)
    return make_method("lumos-iterative", model, model, AgentConfig(batch_size=4))


def _config():
    return {"benchmark": "gsm8k", "method": "lumos-iterative", "model_label": "fake"}


def _lines(path):
    return [json.loads(x) for x in (path / "predictions.jsonl").read_text().splitlines()]


def test_scores_and_outputs(tmp_path):
    bench = get_benchmark("gsm8k")
    result = run_evaluation(bench, _examples(), _method(), tmp_path, _config(), batch_size=4, progress=False)
    assert result["n"] == 12
    assert result["accuracy"] == pytest.approx(9 / 12)  # i = 0, 5, 10 are answered wrong
    assert {"metrics.json", "predictions.jsonl", "config.json", "report.md"} <= {
        p.name for p in tmp_path.iterdir()
    }
    assert len(_lines(tmp_path)) == 12
    assert json.loads((tmp_path / "metrics.json").read_text())["tokens"]["prompt"] > 0


def test_interrupted_run_resumes_to_the_same_metrics_without_duplicates(tmp_path):
    bench = get_benchmark("gsm8k")
    full = run_evaluation(
        bench, _examples(), _method(), tmp_path / "full", _config(), batch_size=4, progress=False
    )

    seen = []

    def crash_after_five(record):
        seen.append(record["id"])
        if len(seen) == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_evaluation(
            bench,
            _examples(),
            _method(),
            tmp_path / "cut",
            _config(),
            batch_size=4,
            progress=False,
            on_record=crash_after_five,
        )
    assert len(_lines(tmp_path / "cut")) == 5
    # a kill in the middle of a write leaves a torn last line: it is dropped, not kept or duplicated
    with (tmp_path / "cut" / "predictions.jsonl").open("a") as f:
        f.write('{"id": "q11", "answ')
    resumed = run_evaluation(
        bench, _examples(), _method(), tmp_path / "cut", _config(), batch_size=4, progress=False
    )
    ids = [r["id"] for r in _lines(tmp_path / "cut")]
    assert sorted(ids) == sorted(f"q{i}" for i in range(12)) and len(ids) == len(set(ids))
    assert resumed["accuracy"] == full["accuracy"] and resumed["n"] == full["n"]
    assert resumed["resumed_from"] == 5


def test_killed_process_resumes(tmp_path):
    """SIGKILL a real run part way: the re-run finishes it with nothing duplicated."""
    script = tmp_path / "run.py"
    script.write_text(
        textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_runner import _config, _examples, solver
        from lumos.agent.agent import AgentConfig
        from lumos.eval.benchmarks import get_benchmark
        from lumos.eval.methods import make_method
        from lumos.eval.runner import run_evaluation
        from lumos.models.fake import FakeModel
        model = FakeModel(responder=solver, latency=float(sys.argv[2]))
        method = make_method("lumos-iterative", model, model, AgentConfig(batch_size=2))
        run_evaluation(get_benchmark("gsm8k"), _examples(), method, __import__("pathlib").Path(sys.argv[1]),
                       _config(), batch_size=2, progress=False)
    """)
    )
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, str(script), str(out), "0.3"], start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        preds = out / "predictions.jsonl"
        if preds.exists() and len(preds.read_text().splitlines()) >= 3:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len((out / "predictions.jsonl").read_text().splitlines())
    assert 3 <= partial < 12
    subprocess.run([sys.executable, str(script), str(out), "0"], check=True, timeout=120)
    ids = [r["id"] for r in _lines(out)]
    assert len(ids) == 12 and len(set(ids)) == 12
    assert json.loads((out / "metrics.json").read_text())["accuracy"] == pytest.approx(9 / 12)


def test_resuming_another_method_into_the_same_directory_is_refused(tmp_path):
    bench = get_benchmark("gsm8k")
    run_evaluation(bench, _examples(2), _method(), tmp_path, _config(), progress=False)
    with pytest.raises(ConfigError, match="another --out"):
        run_evaluation(
            bench, _examples(2), _method(), tmp_path, {**_config(), "method": "cot"}, progress=False
        )


def test_direct_and_cot_methods_extract_answers(tmp_path):
    bench = get_benchmark("gsm8k")
    model = FakeModel(
        responder=lambda conv: (
            "First 2 + 4 = 6. The answer is 6." if "step by step" in conv[-1]["content"] else "6"
        )
    )
    examples = [Example(id="a", question="What is 2 + 4?", answer="6")]
    for name in ("direct", "cot"):
        method = make_method(name, model, model, AgentConfig())
        result = run_evaluation(
            bench, examples, method, tmp_path / name, {**_config(), "method": name}, progress=False
        )
        assert result["accuracy"] == 1.0


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not beside the repository")
@pytest.mark.parametrize("name", ["gsm8k", "svamp", "hotpotqa", "strategyqa"])
def test_local_samples_load_in_their_original_format(name):
    bench = get_benchmark(name)
    items = load_examples(bench, bench.local_example.replace("../shared/data", str(SHARED)), limit=5)
    assert len(items) == 5 and all(ex.question and ex.answer is not None for ex in items)
    if name == "gsm8k":
        assert "####" not in str(items[0].answer)


def test_offline_hub_without_data_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError, match="--data"):
        load_examples(get_benchmark("gsm8k"))
    with pytest.raises(ConfigError, match="unknown benchmark"):
        get_benchmark("mmlu")


def test_report_table_and_chart(tmp_path):
    from lumos.eval.report import comparison_chart, comparison_table, load_runs

    bench = get_benchmark("gsm8k")
    run_evaluation(bench, _examples(4), _method(), tmp_path / "a", _config(), progress=False)
    runs = load_runs([tmp_path / "a"])
    table = comparison_table(runs)
    assert "| lumos-iterative (fake) | 75.0 (n=4) |" in table
    from lumos.eval.report import speed_table

    row = speed_table(runs).splitlines()[2]
    assert row.startswith("| gsm8k | lumos-iterative (fake) | 4 | ") and "%" in row
    pytest.importorskip("matplotlib")
    png = comparison_chart(runs, tmp_path / "chart.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_rerunning_a_finished_run_keeps_its_speed(tmp_path):
    bench = get_benchmark("gsm8k")
    first = run_evaluation(bench, _examples(), _method(), tmp_path, _config(), batch_size=4, progress=False)
    again = run_evaluation(bench, _examples(), _method(), tmp_path, _config(), batch_size=4, progress=False)
    assert (
        again["examples_this_run"] == 0 and again["examples_timed"] == first["examples_timed"] == first["n"]
    )
    assert (
        again["examples_per_second"] is not None
        and again["wall_seconds_timed"] >= first["wall_seconds_timed"]
    )


def test_table_shows_f1_beside_em_and_marks_what_a_run_lacks():
    from lumos.eval.report import comparison_table

    def run(method, **scores):
        return {
            "benchmark": "hotpotqa",
            "method": method,
            "model": "m",
            "n": 10,
            "primary_metric": "em",
            **scores,
        }

    table = comparison_table([run("cot", em=0.1, f1=0.25), run("direct", em=0.2)])
    assert "| cot (m) | 10.0 / 25.0 (n=10) |" in table
    assert "| direct (m) | 20.0 / - (n=10) |" in table
    assert "hotpotqa: em / f1" in table


def test_a_setting_newer_than_the_run_is_compared_with_how_the_run_behaved(tmp_path):
    from lumos.eval.runner import check_same_run

    (tmp_path / "config.json").write_text(json.dumps({"method": "lumos-iterative", "agent": {"max_rounds": 15}}))
    check_same_run(tmp_path, {"method": "lumos-iterative", "agent": {"max_rounds": 15, "end_with_env": False}})
    with pytest.raises(ConfigError, match=r"end_with_env was not recorded .*False.*now True"):
        check_same_run(tmp_path, {"method": "lumos-iterative", "agent": {"max_rounds": 15, "end_with_env": True}})
    with pytest.raises(ConfigError, match=r"end_repeated_actions was not recorded .*0.*now 3"):
        check_same_run(tmp_path, {"method": "lumos-iterative", "agent": {"max_rounds": 15, "end_repeated_actions": 3}})
    # a top-level setting, with how to set it as the old run had it
    check_same_run(tmp_path, {"method": "lumos-iterative", "agent": {"max_rounds": 15}, "merge_lora": False})
    with pytest.raises(ConfigError, match=r"merge_lora was not recorded .*now True.*LUMOS_MERGE_LORA=0"):
        check_same_run(tmp_path, {"method": "lumos-iterative", "agent": {"max_rounds": 15}, "merge_lora": True})
    check_same_run(tmp_path, {"method": "lumos-iterative", "agent": {"max_rounds": 15}, "draft_tokens": 0})
    with pytest.raises(ConfigError, match=r"draft_tokens was not recorded .*now 3.*LUMOS_DRAFT_TOKENS=0"):
        check_same_run(tmp_path, {"method": "lumos-iterative", "agent": {"max_rounds": 15}, "draft_tokens": 3})
    # a run of the bare base's direct-iterative is not resumed with the flat adapter its domain now ships
    check_same_run(tmp_path, {"method": "lumos-iterative", "agent": {"max_rounds": 15}, "shipped_flat_adapter": None})
    with pytest.raises(ConfigError, match=r"shipped_flat_adapter was not recorded .*None.*now 'sw/direct-iterative'"):
        check_same_run(
            tmp_path, {"method": "lumos-iterative", "agent": {"max_rounds": 15}, "shipped_flat_adapter": "sw/direct-iterative"}
        )


def test_how_tasks_are_scheduled_is_not_a_run_identity(tmp_path):
    from lumos.eval.runner import check_same_run

    (tmp_path / "config.json").write_text(json.dumps({"method": "m", "agent": {"continuous": False}}))
    check_same_run(tmp_path, {"method": "m", "agent": {"continuous": True}})


def test_an_environment_runs_speed_spans_its_finished_invocations(tmp_path):
    from lumos.eval.runner import speed_over_invocations

    first = speed_over_invocations(tmp_path, 10, 20.0)
    assert first == {
        "examples_this_run": 10, "examples_timed": 10, "wall_seconds_timed": 20.0, "examples_per_second": 0.5
    }
    (tmp_path / "metrics.json").write_text(json.dumps(first))
    assert speed_over_invocations(tmp_path, 30, 20.0)["examples_per_second"] == 1.0  # 40 episodes in 40 s
    # metrics written before these figures existed: their time is not counted, nor their episodes
    (tmp_path / "metrics.json").write_text(json.dumps({"wall_seconds": 500.0, "episodes_per_second": 0.1}))
    assert speed_over_invocations(tmp_path, 4, 8.0)["examples_per_second"] == 0.5
