"""`lumos eval miniwob --ray`: each Ray worker starts its own Chromium; planner and grounder are fake OpenAI
servers; the run directory equals a local run's (screenshots included)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_miniwob_eval import ground, plan
from typer.testing import CliRunner

from lumos.cli.main import app
from lumos.testing.openai_server import serve_fake_openai

TIMING = ("seconds", "per_second", "restarts")


def run_directory(run: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    records = [json.loads(line) for line in (run / "predictions.jsonl").read_text().splitlines()]
    assert len({r["id"] for r in records}) == len(records)
    for r in records:
        assert r["screenshots"] and all((run / shot).is_file() for shot in r["screenshots"])
    metrics = json.loads((run / "metrics.json").read_text())
    strip = lambda r: {k: v for k, v in r.items() if not any(t in k for t in TIMING) and k != "trace"}  # noqa: E731
    return {r["id"]: strip(r) for r in records}, strip(metrics)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.usefixtures("miniwob_package")
def test_miniwob_on_ray_equals_the_local_run(ray_local, tmp_path):
    from lumos.browser import INSTALL_HINT, find_browser

    if find_browser() is None:
        pytest.skip(f"no Chromium here: {INSTALL_HINT}")
    with (
        serve_fake_openai(lambda request: plan(request["messages"])) as plan_url,
        serve_fake_openai(lambda request: ground(request["messages"])) as ground_url,
    ):
        base = ["eval", "miniwob", "--tasks", "click-button,enter-text", "--episodes", "2", "--batch-size", "2"]
        base += ["--backend", "openai", "--model", "m", "--base-url", plan_url, "--ground-base-url", ground_url]
        base += ["--ranker", "lexical", "--max-rounds", "4", "--no-progress"]
        local = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "local")])
        assert local.exit_code == 0, local.output
        on_ray = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "ray"), "--ray", "local", "--ray-workers", "2"])
        assert on_ray.exit_code == 0, on_ray.output
    records, metrics = run_directory(tmp_path / "ray")
    assert (records, metrics) == run_directory(tmp_path / "local")
    assert metrics["n"] == 4 and metrics["success_rate"] == 1.0
