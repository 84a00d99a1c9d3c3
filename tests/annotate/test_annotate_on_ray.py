"""`lumos annotate --ray`: the same output folder as a local run, teacher cache included."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from lumos.cli import annotate as annotate_cmd
from lumos.testing.openai_server import serve_fake_openai

SVAMP = Path(__file__).resolve().parents[3] / "shared" / "data" / "svamp_sample.jsonl"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SVAMP.is_file(), reason="the shared SVAMP sample is not on this machine"),
]

app = typer.Typer()
app.command("annotate")(annotate_cmd.command)
app.command("unused")(lambda: None)  # two commands, so `annotate` is named on the command line


def by_id(path: Path) -> dict[str, dict[str, Any]]:
    records = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    found = {r["id"]: {k: v for k, v in r.items() if k != "time"} for r in records}
    assert len(found) == len(records), f"an item was written twice in {path.name}"
    return found


def outputs(out: Path) -> tuple[Any, ...]:
    summary = json.loads((out / "summary.json").read_text())
    totals = {k: summary[k] for k in ("total_kept", "total_rejected", "total_reasons", "kept", "rejected")}
    return by_id(out / "annotations.jsonl"), by_id(out / "rejected.jsonl"), totals


def invoke(args: list[str]) -> str:
    result = CliRunner().invoke(app, ["annotate", *args, "--no-progress"])
    assert result.exit_code == 0, result.output
    return result.output


def test_teacher_free_annotation_on_ray_equals_the_local_run(ray_local, tmp_path):
    base = ["--source", "svamp", "--data", str(SVAMP), "--limit", "40", "--concurrency", "2"]
    invoke([*base, "--out", str(tmp_path / "local")])
    said = invoke([*base, "--out", str(tmp_path / "ray"), "--ray", "local", "--ray-workers", "2"])
    assert "on Ray: 2 workers" in said
    assert outputs(tmp_path / "ray") == outputs(tmp_path / "local")
    assert outputs(tmp_path / "ray")[2]["total_kept"] > 30


def answer_half(request: dict[str, Any]) -> str:
    """A teacher that writes the gold answer for even ones, and a wrong calculation for odd ones."""
    gold = re.findall(r"Gold answer: (\S+)", request["messages"][-1]["content"])[-1]
    value = float(gold)
    if int(value) % 2:
        value += 1
    return f"Subgoal 1: Work out the answer.\nR1 = Calculator({value} + 0)"


def test_teacher_annotation_on_ray_equals_the_local_run_and_shares_its_cache(ray_local, tmp_path):
    with serve_fake_openai(answer_half) as url:
        base = ["--source", "svamp", "--data", str(SVAMP), "--limit", "12", "--teacher", "t", "--base-url", url]
        local = invoke([*base, "--out", str(tmp_path / "local")])
        on_ray = invoke([*base, "--out", str(tmp_path / "ray"), "--ray", "local", "--ray-workers", "2"])
        assert "teacher: 12 calls (0 cached)" in local and "teacher: 12 calls (0 cached)" in on_ray
        kept, rejected, totals = outputs(tmp_path / "ray")
        assert (kept, rejected, totals) == outputs(tmp_path / "local")
        assert kept and rejected

        # the local run's cache, given to a Ray run: every reply comes from it, none from the server
        (tmp_path / "again").mkdir()
        shutil.copy(tmp_path / "local" / "teacher_cache.sqlite", tmp_path / "again")
        again = invoke([*base, "--out", str(tmp_path / "again"), "--ray", "local"])
        assert "teacher: 0 calls (12 cached)" in again
        assert outputs(tmp_path / "again") == outputs(tmp_path / "local")

        # and the Ray run's cache, given to a local run
        (tmp_path / "back").mkdir()
        shutil.copy(tmp_path / "ray" / "teacher_cache.sqlite", tmp_path / "back")
        assert "teacher: 0 calls (12 cached)" in invoke([*base, "--out", str(tmp_path / "back")])
