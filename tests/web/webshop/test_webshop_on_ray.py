"""`lumos eval webshop --ray`: each Ray worker opens its own shop and reaches the model through a server; the run
directory equals a local run's."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lumos.cli.main import app
from lumos.testing.openai_server import serve_fake_openai

NOT_ITEMS = {"back to search", "next >", "< prev", "search", "description", "features", "reviews", "attributes"}
TIMING = ("seconds", "per_second", "this_run")


def shopper(request: dict[str, Any]) -> str:
    """``direct`` on the shop: search for the instruction's words, open the first item, buy it."""
    messages = request["messages"]
    first = next(m["content"] for m in messages if m["role"] == "user")
    instruction = re.search(r"Instruction: (.*)", first)
    clickable = re.findall(r"Clickable: (.*)", messages[-1]["content"])[-1].split(", ")
    if clickable == ["search"] and instruction:
        return "search[" + " ".join(instruction.group(1).split()[1:6]) + "]"
    if "buy now" in clickable:
        return "click[buy now]"
    items = [c for c in clickable if c.lower() not in NOT_ITEMS]
    return f"click[{items[0]}]" if items else "click[back to search]"


def run_directory(run: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    records = [json.loads(line) for line in (run / "predictions.jsonl").read_text().splitlines()]
    metrics = json.loads((run / "metrics.json").read_text())
    assert len({r["id"] for r in records}) == len(records)
    return {r["id"]: r for r in records}, {k: v for k, v in metrics.items() if not any(t in k for t in TIMING)}


@pytest.mark.slow
def test_webshop_on_ray_equals_the_local_run(ray_local, tmp_path):
    with serve_fake_openai(shopper) as url:
        base = ["eval", "webshop", "--backend", "openai", "--model", "m", "--base-url", url, "--method", "direct"]
        base += ["--limit", "6", "--batch-size", "2", "--no-progress"]
        local = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "local")])
        assert local.exit_code == 0, local.output
        on_ray = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "ray"), "--ray", "local", "--ray-workers", "2"])
        assert on_ray.exit_code == 0, on_ray.output
    records, metrics = run_directory(tmp_path / "ray")
    assert (records, metrics) == run_directory(tmp_path / "local")
    assert metrics["n"] == 6 and metrics["bought"] == 1.0 and 0 < metrics["reward"] < 1
