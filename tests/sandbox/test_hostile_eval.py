"""`lumos eval` where every item's grounder writes a hostile Code action: the run completes, resumes, records
that Code ran sandboxed, and nothing appears outside its run directory."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lumos.cli.main import app
from lumos.sandbox import UNSAFE_ENV, SandboxUnavailableError, check


def test_an_eval_of_hostile_code_completes_resumes_and_leaves_nothing_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        check()
    except SandboxUnavailableError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))
    monkeypatch.delenv(UNSAFE_ENV, raising=False)
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("hunter2")
    data = tmp_path / "items.jsonl"
    rows = [{"question": f"What is {n} + {n}?", "answer": f"{n} + {n} = <<{n}+{n}={2 * n}>>{2 * n}\n#### {2 * n}"}
            for n in range(1, 5)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    hostile = [
        f"R1 = Code(__import__('posix').system('touch {outside}/posix'))",
        f"R1 = Code(__import__('ctypes').CDLL(None).system(b'touch {outside}/ctypes'))",
        f"R1 = Code(__import__('_io').FileIO('{outside}/fileio', 'w').write(b'x'))",
        f"R1 = Code(open('{secret}').read())",
        f"R1 = Code(__import__('posix').unlink('{secret}'))",
    ]
    plan, ground = tmp_path / "plan.json", tmp_path / "ground.json"
    plan.write_text(json.dumps({"responses": [], "default": "Subgoal 1: Work it out."}))
    ground.write_text(json.dumps({"responses": hostile * 2, "default": hostile[0]}))
    out = tmp_path / "run"
    args = ["eval", "gsm8k", "--data", str(data), "--method", "lumos-iterative", "--backend", "fake"]
    args += ["--plan-model", str(plan), "--ground-model", str(ground), "--max-rounds", "2", "--no-progress"]
    args += ["--out", str(out)]
    before = sorted(p.name for p in tmp_path.iterdir())

    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    predictions = (out / "predictions.jsonl").read_text().splitlines()
    assert len(predictions) == 4
    assert all("Code(" in line for line in predictions)  # the hostile actions were executed
    assert "hunter2" not in (out / "predictions.jsonl").read_text()
    assert json.loads((out / "config.json").read_text())["unsafe_code"] is False

    (out / "predictions.jsonl").write_text("\n".join(predictions[:2]) + "\n")  # as if it had stopped there
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == 4 and metrics["examples_this_run"] == 2

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "run"])
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert secret.read_text() == "hunter2"
