"""``lumos exec``: programs given on the command line, JSONL files, and standard input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from lumos.cli.main import app
from lumos.errors import ConfigError

runner = CliRunner()


def lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_program_argument() -> None:
    result = runner.invoke(
        app, ["exec", "--domain", "maths", "R1 = Calculator(2 + 3); R2 = Calculator(R1 * 4)"]
    )
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == [{"results": {"R1": "5", "R2": "20"}, "output": "20", "error": None}]


def test_program_with_an_error() -> None:
    result = runner.invoke(app, ["exec", "R1 = Calculator(1/0)"])
    assert result.exit_code == 0
    [record] = lines(result.stdout)
    assert record["output"] is None and "division by zero" in str(record["error"])


def test_jsonl_file_one_line_per_input_line(tmp_path: Path) -> None:
    source = tmp_path / "programs.jsonl"
    source.write_text(
        "\n".join(
            [
                json.dumps({"actions": ["R1 = Calculator(28 * 1/7)", "R2 = Calculator(28 - R1)"]}),
                "{not json",
                json.dumps({"id": "q3", "actions": "R1 = Count(3, 6, 9, ..., 99)"}),
                "",
                json.dumps({"no": "actions"}),
                json.dumps({"actions": ["R1 = Calculator(R9)"]}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["exec", "--domain", "maths", str(source)])
    assert result.exit_code == 0, result.output
    records = lines(result.stdout)
    assert len(records) == 5  # the blank line gives nothing
    assert records[0] == {"results": {"R1": "4", "R2": "24"}, "output": "24", "error": None}
    assert records[1]["output"] is None and str(records[1]["error"]).startswith("line 2: not valid JSON")
    assert records[2] == {"id": "q3", "results": {"R1": "33"}, "output": "33", "error": None}
    assert str(records[3]["error"]).startswith("line 5: expected")
    assert "R9" in str(records[4]["error"])


def test_stdin() -> None:
    stdin = (
        json.dumps({"actions": ["R1 = Calculator(7/2)"]}) + "\n" + json.dumps({"actions": ["Output = 2^10"]})
    )
    result = runner.invoke(app, ["exec", "-"], input=stdin + "\n")
    assert result.exit_code == 0, result.output
    assert [r["output"] for r in lines(result.stdout)] == ["3.5", "1024"]


def test_bad_options() -> None:
    result = runner.invoke(app, ["exec", "--domain", "nope", "R1 = Calculator(1)"])
    assert isinstance(result.exception, ConfigError) and "unknown domain" in str(result.exception)
    result = runner.invoke(app, ["exec", "missing-file.jsonl"])
    assert isinstance(result.exception, ConfigError) and "no such file" in str(result.exception)


def test_help_text_is_the_module_docstring() -> None:
    result = runner.invoke(app, ["exec", "--help"])
    assert result.exit_code == 0
    assert "JSONL" in result.stdout


def test_real_process_streams_lines() -> None:
    stdin = "\n".join(json.dumps({"actions": [f"R1 = Calculator({i} * 2)"]}) for i in range(3)) + "\n"
    done = subprocess.run(
        [sys.executable, "-m", "lumos.cli.main", "exec", "-"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert [r["output"] for r in lines(done.stdout)] == ["0", "2", "4"]
