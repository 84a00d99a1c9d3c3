"""Issue 27, group 5: input that was accepted without complaint. Wrong field names in data rows and config files,
a truncated trace given to ``lumos view`` and a folder given as ``--data`` get one ``error:`` line naming the
file, the line and what to write instead."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from lumos.cli.main import main


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
def model(tmp_path: Path) -> Path:
    script = tmp_path / "model.json"
    script.write_text(json.dumps({"responses": [], "default": "Subgoal 1: Add. The answer is 4."}))
    return script


def evaluate(capsys, data: Path, model: Path, out: Path, *more: object) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    base = ["eval", "gsm8k", "--data", data, "--backend", "fake", "--model", model, "--method", "direct"]
    return lumos(capsys, *base, "--no-progress", "--out", out, *more)


def test_a_misspelt_field_of_a_data_row_names_file_line_and_fields(capsys, tmp_path, model) -> None:  # type: ignore[no-untyped-def]
    rows = tmp_path / "gsm8k.jsonl"
    rows.write_text(json.dumps({"question": "What is 2 + 2?", "answer": "#### 4"}) + "\n\n"
                    + json.dumps({"questoin": "What is 3 + 3?", "answer": "#### 6"}) + "\n")
    one_error(evaluate(capsys, rows, model, tmp_path / "r"), f"{rows}:3: no field 'question'",
              "'questoin' a misspelling", "needs question, answer", "has questoin, answer")
    listed = tmp_path / "gsm8k.json"
    listed.write_text(json.dumps([{"question": "What is 2 + 2?", "answr": "#### 4"}]))
    one_error(evaluate(capsys, listed, model, tmp_path / "r"), f"{listed}, item 1: no field 'answer'")
    assert not (tmp_path / "r").exists()


def test_an_unknown_config_setting_names_its_line_and_the_valid_ones(capsys, tmp_path, model) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "agent.yaml"
    config.write_text("# small runs\nmax_rounds: 3\nmax_round: 2\n")
    parts = (f"{config}:3: unknown setting 'max_round'", "did you mean 'max_rounds'", "valid settings:", "n_examples")
    one_error(lumos(capsys, "run", "--backend", "fake", "--model", model, "--config", config, "Add 2 and 2."), *parts)
    rows = tmp_path / "gsm8k.jsonl"
    rows.write_text(json.dumps({"question": "What is 2 + 2?", "answer": "#### 4"}) + "\n")
    one_error(evaluate(capsys, rows, model, tmp_path / "r", "--config", config), *parts)
    train = ["train", "--module", "plan", "--data", rows, "--out", tmp_path / "t", "--config", config]
    one_error(lumos(capsys, *train), f"{config}:2: unknown setting 'max_rounds'", "valid settings:")


def test_annotate_data_whose_rows_have_other_fields(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = tmp_path / "gsm8k.jsonl"
    rows.write_text(json.dumps({"questoin": "What is 2 + 2?", "answer": "2 + 2 = 4\n#### 4"}) + "\n")
    args = ["annotate", "--source", "gsm8k", "--data", rows, "--out", tmp_path / "a", "--no-progress"]
    one_error(lumos(capsys, *args), f"--data {rows}: no gsm8k item", "{question, answer}",
              f"first row ({rows}:1) has the fields questoin, answer")


def test_a_folder_given_as_data_is_called_a_folder(capsys, tmp_path, model) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "data"
    folder.mkdir()
    message = one_error(lumos(capsys, "annotate", "--source", "gsm8k", "--data", folder, "--out", tmp_path / "a",
                              "--no-progress"), "is a folder")
    assert "does not exist" not in message
    message = one_error(evaluate(capsys, folder, model, tmp_path / "r"), "is a folder")
    assert "does not exist" not in message
    # a benchmark that reads no data says so rather than ignoring it
    one_error(lumos(capsys, "eval", "miniwob", "--data", folder, "--backend", "fake", "--model", model,
                    "--no-progress", "--out", tmp_path / "m"), "miniwob takes no --data", "--tasks")


@pytest.fixture
def trace(capsys, tmp_path, model) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "trace.jsonl"
    code, _, err = lumos(capsys, "run", "--backend", "fake", "--model", model, "--trace", path, "Add 2 and 2.")
    assert code == 0, err
    return path


def test_view_of_a_truncated_trace_says_so_instead_of_an_empty_page(capsys, tmp_path, trace) -> None:  # type: ignore[no-untyped-def]
    whole = trace.read_bytes()
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(whole[: len(whole) // 2])
    page = tmp_path / "v.html"
    one_error(lumos(capsys, "view", cut, "--out", page), f"{cut}:1: truncated", "no line of the file holds")
    assert not page.exists()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    one_error(lumos(capsys, "view", empty, "--out", page), f"{empty} is empty")
    longer = tmp_path / "longer.jsonl"
    longer.write_bytes(whole + whole[:100])
    code, out, err = lumos(capsys, "view", longer, "--out", page)
    assert code == 0 and out.startswith("view: ") and page.is_file()
    assert f"note: {longer}:2: truncated" in err
