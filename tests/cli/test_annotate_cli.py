import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from lumos.cli import annotate as annotate_cmd
from lumos.cli import data as data_cmd
from lumos.errors import ConfigError
from lumos.testing.openai_server import serve_fake_openai

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"

app = typer.Typer()
app.command("annotate", help=annotate_cmd.__doc__)(annotate_cmd.command)
app.add_typer(data_cmd.app, name="data")
runner = CliRunner()


@pytest.fixture
def svamp() -> Path:
    path = SHARED / "svamp_sample.jsonl"
    if not path.is_file():
        pytest.skip("no shared samples")
    return path


def _count(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_annotate_then_resume_then_build_stats_show(tmp_path, svamp):
    out = tmp_path / "svamp"
    args = [
        "annotate",
        "--domain",
        "maths",
        "--source",
        "svamp",
        "--data",
        str(svamp),
        "--limit",
        "25",
        "--out",
        str(out),
        "--no-progress",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "kept 25" in result.output and _count(out / "annotations.jsonl") == 25
    result = runner.invoke(app, [*args[:-3], "--limit", "30", "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "skipped 25" in result.output and _count(out / "annotations.jsonl") == 30

    data = tmp_path / "data"
    result = runner.invoke(
        app,
        [
            "data",
            "build",
            str(out),
            "--out",
            str(data),
            "--heldout",
            "0.2",
            "--weight",
            "svamp=1",
            "--module",
            "plan_iterative",
            "--module",
            "ground_onetime",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        _count(data / "train" / "plan_iterative.jsonl") == 24
        and _count(data / "heldout" / "ground_onetime.jsonl") == 6
    )
    assert not (data / "train" / "cot.jsonl").exists()

    result = runner.invoke(app, ["data", "stats", str(out)])
    assert result.exit_code == 0 and "svamp" in result.output and "100.0" in result.output
    result = runner.invoke(app, ["data", "stats", str(out), "--json"])
    assert json.loads(result.output)[0]["kept"] == 30
    result = runner.invoke(app, ["data", "show", str(data / "train" / "plan_iterative.jsonl"), "-n", "1"])
    assert result.exit_code == 0 and "Subgoal 1:" in result.output


def test_annotate_with_a_teacher_server(tmp_path, svamp):
    reply = "Subgoal 1: Work it out.\nR1 = Calculator(1 + 1)"
    with serve_fake_openai(lambda request: reply) as url:
        result = runner.invoke(
            app,
            [
                "annotate",
                "--source",
                "svamp",
                "--data",
                str(svamp),
                "--limit",
                "3",
                "--teacher",
                "teacher-model",
                "--base-url",
                url,
                "--out",
                str(tmp_path / "t"),
                "--input-cost",
                "1",
                "--output-cost",
                "1",
                "--no-progress",
            ],
        )
    assert result.exit_code == 0, result.output
    assert "teacher: 3 calls" in result.output
    assert _count(tmp_path / "t" / "annotations.jsonl") + _count(tmp_path / "t" / "rejected.jsonl") == 3


def test_clear_errors(tmp_path):
    result = runner.invoke(app, ["annotate", "--source", "nope", "--out", str(tmp_path / "x")])
    assert isinstance(result.exception, ConfigError) and "unknown source" in str(result.exception)
    result = runner.invoke(
        app, ["annotate", "--source", "strategyqa", "--out", str(tmp_path / "x"), "--data", str(tmp_path)]
    )
    assert isinstance(result.exception, ConfigError) and "teacher" in str(result.exception)
    assert annotate_cmd.__doc__ and data_cmd.__doc__
