"""A third-party domain (``lumos_strings``, one folder beside this file) registered through the entry-point
group ``lumos.domains``, as ``pip install`` would register it: every command works on it, lumos unchanged."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lumos.annotate import sources
from lumos.cli.main import app
from lumos.domain import domains

tomllib = pytest.importorskip("tomllib")

PLUGIN = Path(__file__).resolve().parent / "lumos_strings"


@pytest.fixture
def strings_domain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The plug-in on ``sys.path`` with the distribution metadata an install writes (its entry points)."""
    site = tmp_path / "site"
    info = site / "lumos_strings-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lumos-strings\nVersion: 0.1.0\n")
    groups = tomllib.loads((PLUGIN / "pyproject.toml").read_text())["project"]["entry-points"]
    (info / "entry_points.txt").write_text(
        "".join(f"[{g}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) for g, eps in groups.items())
    )
    monkeypatch.syspath_prepend(str(PLUGIN))
    monkeypatch.syspath_prepend(str(site))
    domains.refresh()
    yield
    domains.unregister("strings")
    domains.refresh()
    sources.SOURCES.pop("strings_reverse", None)
    sources._DOMAINS_LOADED.discard("strings")
    for name in [m for m in sys.modules if m.split(".")[0] == "lumos_strings"]:
        del sys.modules[name]  # the next test imports (and registers) it afresh


def _script(path: Path, replies: list[str]) -> str:
    path.write_text(json.dumps({"responses": replies}))
    return str(path)


def _models(tmp_path: Path, n: int) -> list[str]:
    """The fake planner and grounder for ``n`` tasks reversing ``stressed`` and ``drawer``."""
    plan = _script(tmp_path / "plan.json", ["Subgoal 1: Reverse the word."] * n + ["Yes, I will stop planning."] * n)
    ground = _script(tmp_path / "ground.json", ["R1 = Reverse(stressed)", "R1 = Reverse(drawer)"][:n])
    return ["--backend", "fake", "--plan-model", plan, "--ground-model", ground]


def test_the_plugin_domain_is_listed(strings_domain: None) -> None:
    result = CliRunner().invoke(app, ["domains", "--json"])
    assert result.exit_code == 0, result.output
    [row] = [r for r in json.loads(result.output) if r["name"] == "strings"]
    assert row["tools"] == ["Reverse", "Upper"] and row["benchmarks"] == ["strings_reverse"]
    assert row["from"] == "lumos_strings:DOMAIN"


def test_run_on_the_plugin_domain(strings_domain: None, tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    args = ["run", "Reverse the word stressed.", "--domain", "strings", *_models(tmp_path, 1)]
    result = CliRunner().invoke(app, [*args, "--trace", str(trace), "--json"])
    assert result.exit_code == 0, result.output
    traj = json.loads(trace.read_text())
    assert traj["answer"] == "desserts" and traj["domain"] == "strings"
    # the domain's own wording of the planner's turn (its styles.yaml), and its tools in the grounder's prompt
    from lumos.prompts.modules import ModulePrompts

    prompts = ModulePrompts("strings", n_examples=1)
    shown = prompts.plan_iterative("Reverse the word stressed.", ["Reverse the word."], ["desserts"])
    assert shown[-1]["content"] == "Subgoal 1 gave the text desserts. Should we stop planning?"
    assert "Reverse(text): Reverse the letters of the text" in prompts.ground_iterative("t", ["s"])[-1]["content"]


def test_eval_and_view_on_the_plugin_domain(strings_domain: None, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["eval", "strings_reverse", "--method", "lumos-iterative", *_models(tmp_path, 2)]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == 2 and metrics["em"] == 1.0
    page = tmp_path / "view.html"
    result = CliRunner().invoke(app, ["view", str(out), "--out", str(page)])
    assert result.exit_code == 0, result.output
    assert "Reverse the word drawer." in page.read_text()


def test_annotate_and_data_build_on_the_plugin_domain(strings_domain: None, tmp_path: Path) -> None:
    ann = tmp_path / "ann"
    args = ["annotate", "--domain", "strings", "--source", "strings_reverse", "--out", str(ann), "--no-progress"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    kept = [json.loads(line) for line in (ann / "annotations.jsonl").read_text().splitlines()]
    assert [a["results"] for a in kept] == [["evil"], ["spots"]]  # executed with the plug-in's tools
    data = tmp_path / "data"
    result = CliRunner().invoke(app, ["data", "build", str(ann), "--out", str(data), "--domain", "strings",
                                      "--heldout", "0"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (data / "train" / "ground_iterative.jsonl").read_text().splitlines()]
    assert len(rows) == 2 and "Reverse(text)" in rows[0]["messages"][0]["content"]
