"""What the CLI hands the domains: the domain of a --config file (with its environment) and the prompt style of
`lumos eval` (to environment runners too, by value, not by a name looked up again)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lumos.cli.main import app
from lumos.errors import ConfigError
from lumos.models.fake import FakeModel


def test_run_builds_the_environment_of_the_config_files_domain(tmp_path: Path) -> None:
    config = tmp_path / "agent.yaml"
    config.write_text("domain: webshop\nmax_rounds: 1\n")
    script = tmp_path / "model.json"
    script.write_text(json.dumps({"responses": [], "default": "Subgoal 1: Search for shoes."}))
    args = ["run", "--config", str(config), "--backend", "fake", "--model", str(script), "--goal", "0"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    traj = json.loads(result.stdout)
    assert traj["domain"] == "webshop" and "reward" in traj["meta"]


@pytest.fixture
def fake_models(monkeypatch: pytest.MonkeyPatch) -> dict[str, FakeModel]:
    """``lumos eval`` loads these two scripted models, whatever the flags name."""
    models = {
        "plan": FakeModel(default="No, I will keep planning. Subgoal 1: Type Boston in the From field."),
        "ground": FakeModel(default="R1 = TYPE(Env, QUERY: the From textbox, TEXT: Boston)"),
    }

    def load_setup(setup: Any, parallel: int = 32) -> tuple[FakeModel, FakeModel]:
        return models["plan"], models["ground"]

    monkeypatch.setattr("lumos.cli.options.load_setup", load_setup)
    return models


def _planner_prompts(model: FakeModel) -> str:
    return "\n".join(m["content"] for conv in model.calls for m in conv)


def test_eval_webshop_prompts_are_in_the_chosen_style(tmp_path: Path, fake_models: dict[str, FakeModel]) -> None:
    args = ["eval", "webshop", "--backend", "fake", "--model", "x", "--style", "reference", "--limit", "1"]
    result = CliRunner().invoke(app, [*args, "--max-rounds", "1", "--ranker", "none", "--no-progress", "--out",
                                      str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert "Please provide a reasonable subgoal-based plan" in _planner_prompts(fake_models["plan"])


def test_eval_mind2web_takes_a_style_file(tmp_path: Path, fake_models: dict[str, FakeModel]) -> None:
    style = tmp_path / "my-style.yaml"
    style.write_text('extends: reference\nplan_iterative: "Plan it, in my words."\n')
    args = ["eval", "mind2web", "--backend", "fake", "--model", "x", "--style", str(style), "--limit", "1"]
    result = CliRunner().invoke(app, [*args, "--ranker", "lexical", "--no-progress", "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert "Plan it, in my words." in _planner_prompts(fake_models["plan"])
    assert json.loads((tmp_path / "r" / "config.json").read_text())["style"] == "my-style"


def test_run_and_eval_declare_their_shared_options_once() -> None:
    from typer.main import get_command

    cli = get_command(app)
    run, evaluate = ({p.name: getattr(p, "help", None) for p in cli.commands[c].params} for c in ("run", "eval"))
    shared = set(run) & set(evaluate)
    assert len(shared) >= 19
    # the same help wherever the option means the same (--data and --seed mean an environment's in run)
    assert {n for n in shared if run[n] != evaluate[n]} == {"data", "seed"}
    assert "in-context demonstrations" in run["examples"]  # from AgentConfig's field metadata


def test_a_domains_agent_defaults_sit_under_the_config_file_and_the_flags() -> None:
    from dataclasses import replace

    from lumos.cli.options import agent_config
    from lumos.domain import domains, get_domain

    long_tasks = replace(get_domain("webshop"), name="long_tasks", agent_defaults={"max_rounds": 30})
    domains.register(long_tasks.name, long_tasks)
    try:
        assert agent_config({}, {"domain": "long_tasks"}).max_rounds == 30
        assert agent_config({"domain": "long_tasks", "max_rounds": 12}, {}).max_rounds == 12
        assert agent_config({"max_rounds": 12}, {"domain": "long_tasks", "max_rounds": 5}).max_rounds == 5
        assert agent_config({}, {"domain": "webshop"}).max_rounds == 8  # other domains keep the default
        domains.register("long_tasks", replace(long_tasks, agent_defaults={"max_round": 30}))
        with pytest.raises(ConfigError, match="agent_defaults names no agent setting max_round"):
            agent_config({}, {"domain": "long_tasks"})
    finally:
        domains.unregister("long_tasks")
