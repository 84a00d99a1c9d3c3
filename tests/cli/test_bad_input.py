"""Issue 27: bad input to any command is one ``error:`` line naming the file, the line and what to fix (exit
code 2, never a traceback), numbers are bounded, and good work is kept where that is safe."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from lumos.cli.main import main

ROWS = [
    {"question": "Tom has 3 apples and buys 4 more. How many apples does he have?", "answer": "3 + 4 = 7\n#### 7"},
    {"question": "A box holds 5 pens. How many pens are in 2 boxes?", "answer": "5 * 2 = 10\n#### 10"},
]


def lumos(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """Run the ``lumos`` command in this process: (exit code, stdout, stderr)."""
    argv = sys.argv
    sys.argv = ["lumos", *map(str, args)]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = argv
    out = capsys.readouterr()
    return code, out.out, out.err


def one_error(result: tuple[int, str, str], *parts: str) -> str:
    code, _, err = result
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and all(p in err for p in parts), err
    return lines[0]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "gsm8k.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return path


@pytest.fixture
def model(tmp_path: Path) -> Path:
    script = tmp_path / "model.json"
    script.write_text(json.dumps({"responses": [], "default": "The answer is 7."}))
    return script


def evaluate(capsys, data: Path, model: Path, out: Path, *more: object) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    base = ["eval", "gsm8k", "--data", data, "--backend", "fake", "--model", model, "--method", "direct"]
    return lumos(capsys, *base, "--no-progress", "--out", out, *more)


def test_eval_data_that_is_binary_a_folder_or_rows_of_arrays(capsys, tmp_path, model) -> None:  # type: ignore[no-untyped-def]
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(b'{"question": "x", "answer": "1"}\n\x89PNG\x00\xff\n')
    one_error(evaluate(capsys, binary, model, tmp_path / "r"), f"{binary}:2: not UTF-8")
    one_error(evaluate(capsys, tmp_path, model, tmp_path / "r"), "is a folder: give a file")
    arrays = tmp_path / "a.jsonl"
    arrays.write_text('["question", "answer"]\n')
    one_error(evaluate(capsys, arrays, model, tmp_path / "r"), f"{arrays}:1: a list, not a JSON object")


def test_eval_data_with_a_null_or_empty_question(capsys, tmp_path, model) -> None:  # type: ignore[no-untyped-def]
    for question in (None, "  "):
        path = tmp_path / "q.jsonl"
        path.write_text(json.dumps(ROWS[0]) + "\n" + json.dumps({"question": question, "answer": "#### 1"}) + "\n")
        one_error(evaluate(capsys, path, model, tmp_path / "r"), "example 2: question is null or empty")


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--batch-size", 0), ("--batch-size", -1), ("--examples", -3), ("--max-rounds", 10**24), ("--limit", -1)],
)
def test_eval_numbers_out_of_range_write_nothing(capsys, tmp_path, data, model, flag, value) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "run"
    one_error(evaluate(capsys, data, model, out, flag, value), flag, "must be from")
    assert not out.exists()


def test_eval_episodes_zero_is_refused(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    one_error(lumos(capsys, "eval", "miniwob", "--episodes", "0", "--out", tmp_path / "r"), "--episodes", "not 0")
    one_error(lumos(capsys, "eval", "miniwob", "--env", "episodes=0", "--out", tmp_path / "r"), "--episodes")


def test_eval_out_that_is_a_file(capsys, tmp_path, data, model) -> None:  # type: ignore[no-untyped-def]
    taken = tmp_path / "taken"
    taken.write_text("x")
    one_error(evaluate(capsys, data, model, taken), str(taken))


def test_a_damaged_run_folder_resumes_redoing_only_its_damaged_lines(capsys, tmp_path, data, model) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "run"
    assert evaluate(capsys, data, model, out)[0] == 0
    predictions = out / "predictions.jsonl"
    good = predictions.read_bytes().splitlines(keepends=True)[0]
    predictions.write_bytes(good + b'{"no id": 1}\n[1, 2]\n\xff\xfe\n"text"\n')
    code, _, err = evaluate(capsys, data, model, out)
    assert code == 0, err
    assert err.count("dropped, its example is run again") == 4
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == 2 and metrics["examples_this_run"] == 1
    (out / "config.json").write_text('{"benchmark": "gsm8k", "meth')
    one_error(evaluate(capsys, data, model, out), "config.json", "truncated", "another --out")


def test_report_of_a_damaged_metrics_file(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "metrics.json").write_bytes(b"\x00\x01\xff")
    one_error(lumos(capsys, "report", tmp_path, "--no-chart"), "metrics.json:1: not UTF-8")
    (tmp_path / "metrics.json").write_text("[]")
    one_error(lumos(capsys, "report", tmp_path, "--no-chart"), "must hold an object")


def test_view_of_a_damaged_run_shows_its_good_records(capsys, tmp_path, data, model) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "run"
    assert evaluate(capsys, data, model, out)[0] == 0
    with (out / "predictions.jsonl").open("ab") as f:
        f.write(b"\xff\n[1]\n")
    code, stdout, err = lumos(capsys, "view", out, "--out", tmp_path / "v.html")
    assert code == 0, err
    assert "view:" in stdout and err.count("skipped") == 2
    assert "Tom has 3 apples" in (tmp_path / "v.html").read_text()


def test_exec_keeps_the_good_lines_of_a_damaged_file(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "actions.jsonl"
    good = json.dumps({"actions": ["R1 = Calculator(2 + 3)"]}).encode()
    source.write_bytes(good + b"\n\xff\xfe\n[1]\n" + good + b"\n")
    code, stdout, err = lumos(capsys, "exec", source)
    assert code == 0, err
    records = [json.loads(line) for line in stdout.splitlines()]
    assert [r["output"] for r in records] == ["5", None, None, "5"]
    assert "line 2: not UTF-8" in records[1]["error"] and "line 3: a list" in records[2]["error"]
    one_error(lumos(capsys, "exec", tmp_path), "is a folder")


def test_data_build_weight_too_large_or_not_a_number(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for weight in ("gsm8k=1e308", "gsm8k=nan", "gsm8k=inf"):
        one_error(lumos(capsys, "data", "build", tmp_path, "--out", tmp_path / "o", "--weight", weight), "--weight")


def test_data_build_of_damaged_annotations(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "annotations.jsonl").write_bytes(b"\x89PNG\r\n\x1a\n")
    one_error(lumos(capsys, "data", "build", tmp_path, "--out", tmp_path / "o"), "annotations.jsonl:1: not UTF-8")
    (tmp_path / "annotations.jsonl").write_text('"a string"\n')
    one_error(lumos(capsys, "data", "build", tmp_path, "--out", tmp_path / "o"), "annotations.jsonl:1: a string")


def test_annotate_limit_negative(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    one_error(lumos(capsys, "annotate", "--source", "gsm8k", "--out", tmp_path, "--limit", "-1"), "--limit")


@pytest.mark.parametrize("task", ["", "   ", "\n\t"])
def test_run_refuses_an_empty_task(capsys, model, task) -> None:  # type: ignore[no-untyped-def]
    one_error(lumos(capsys, "run", "--backend", "fake", "--model", model, task), "the task is empty")


def test_run_numbers_and_damaged_inputs(capsys, tmp_path, model) -> None:  # type: ignore[no-untyped-def]
    run = ["run", "--backend", "fake", "--model", model]
    one_error(lumos(capsys, *run, "--max-rounds", 10**24, "Add 2 and 3."), "--max-rounds", "1,000")
    one_error(lumos(capsys, *run, "--examples", -3, "Add 2 and 3."), "--examples")
    truncated = tmp_path / "plan.json"
    truncated.write_text('["Subgoal 1: Add.", "Yes, I will')
    one_error(lumos(capsys, "run", "--backend", "fake", "--model", truncated, "Add."), f"{truncated}:1", "YAML")
    config = tmp_path / "c.yaml"
    config.write_text("max_rounds: [3\n")
    one_error(lumos(capsys, *run, "--config", config, "Add."), f"{config}:2: not valid YAML")
    config.write_text("max_rounds: many\n")
    one_error(lumos(capsys, *run, "--config", config, "Add."), "max_rounds", "whole number")
    prompts = tmp_path / "p.yaml"
    prompts.write_bytes(b"\xff\xd8\xff\xe0")
    one_error(lumos(capsys, *run, "--prompts", prompts, "Add."), f"{prompts}:1: not UTF-8")


def test_run_prints_its_answer_before_failing_to_write_the_trace(capsys, tmp_path, model) -> None:  # type: ignore[no-untyped-def]
    result = lumos(capsys, "run", "--backend", "fake", "--model", model, "--trace", tmp_path, "Add 3 and 4.")
    one_error(result, "--trace", str(tmp_path))
    assert "7" in result[1]
