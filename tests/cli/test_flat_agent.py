"""The flat agent (one model writes each next action) from the command line: `lumos run --agent flat` and a
domain's ``default_agent``, the errors that name the fix, `lumos eval --method direct-iterative` with the
domain's shipped flat adapter, and `lumos domains`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lumos.agent.flat import NEXT_ACTION
from lumos.cli.eval import _label, method_models
from lumos.cli.main import app
from lumos.cli.options import choose_agent
from lumos.domain import domains, get_domain
from lumos.errors import ConfigError


@pytest.fixture
def flat_shop() -> Iterator[str]:
    """WebShop again, as a domain whose default agent is the flat one; its name."""
    domain = replace(get_domain("webshop"), name="flat_shop", default_agent="flat")
    domains.register(domain.name, domain)
    yield domain.name
    domains.unregister(domain.name)


@pytest.fixture
def shopper(tmp_path: Path) -> str:
    """A fake model's script: a search, whichever module asks (a planner's reply with no subgoal)."""
    script = tmp_path / "model.json"
    script.write_text(json.dumps({"responses": [], "default": "R1 = Search(shoes)"}))
    return str(script)


def _run(*args: str) -> dict:
    result = CliRunner().invoke(app, ["run", "--backend", "fake", "--goal", "0", "--max-rounds", "2", "--json", *args])
    assert result.exit_code == 0, result.output
    traj: dict = json.loads(result.stdout)
    return traj


def _subgoals(traj: dict) -> list[str]:
    return [s["text"] for step in traj["steps"] for s in step["subgoals"]]


def _modules(traj: dict) -> set[str]:
    """The modules whose model was asked: the flat agent asks only its one model, as the grounder."""
    return {call["module"] for step in traj["steps"] for call in step["calls"]}


def test_run_agent_flat_writes_each_next_action_on_the_page(shopper: str) -> None:
    traj = _run("--domain", "webshop", "--agent", "flat", "--model", shopper)
    assert _subgoals(traj) == [NEXT_ACTION, NEXT_ACTION]  # two rounds, no plan
    assert traj["steps"][0]["actions"][0]["tool"] == "Search" and "reward" in traj["meta"]
    assert _modules(traj) == {"ground"}
    assert "plan" in _modules(_run("--domain", "webshop", "--model", shopper))  # lumos by default


def test_a_domains_default_agent_runs_unless_lumos_modules_are_asked_for(flat_shop: str, shopper: str) -> None:
    traj = _run("--domain", flat_shop, "--model", shopper)
    assert set(_subgoals(traj)) == {NEXT_ACTION} and _modules(traj) == {"ground"}
    for lumos in (["--formulation", "iterative"], ["--agent", "lumos"]):
        assert "plan" in _modules(_run("--domain", flat_shop, "--model", shopper, *lumos))


def _error(*args: str) -> str:
    result = CliRunner().invoke(app, ["run", *args])
    assert isinstance(result.exception, ConfigError), result.output
    return str(result.exception)


def test_the_flat_agent_needs_an_environment_and_a_trained_model(shopper: str) -> None:
    error = _error("--domain", "maths", "--agent", "flat", "--backend", "fake", "--model", shopper, "What is 2+2?")
    assert "the flat agent acts on an environment" in error and "--agent lumos" in error
    # the bare embedded base: the flat prompt holds no demonstrations to drive it few-shot
    error = _error("--domain", "webshop", "--agent", "flat", "--backend", "hf", "--goal", "0")
    assert error == "the flat agent needs a trained adapter: pass --adapter PATH, or --agent lumos"
    assert "choose one of lumos, flat" in _error("--domain", "webshop", "--agent", "planner", "--backend", "fake")


def test_the_agent_is_chosen_by_the_flag_then_the_modules_named_then_the_domain(flat_shop: str) -> None:
    assert choose_agent(None, "webshop", adapter_named=False, lumos_named=[]) == "lumos"
    assert choose_agent(None, flat_shop, adapter_named=False, lumos_named=[]) == "flat"
    assert choose_agent(None, flat_shop, adapter_named=False, lumos_named=["--plan-adapter"]) == "lumos"
    assert choose_agent(None, "webshop", adapter_named=True, lumos_named=[]) == "flat"
    assert choose_agent("lumos", flat_shop, adapter_named=False, lumos_named=[]) == "lumos"
    with pytest.raises(ConfigError, match="--adapter is the flat agent's and --plan-model Lumos modules'"):
        choose_agent(None, "webshop", adapter_named=True, lumos_named=["--plan-model"])
    with pytest.raises(ConfigError, match="--formulation: Lumos modules, which the flat agent does not use"):
        choose_agent("flat", "webshop", adapter_named=False, lumos_named=["--formulation"])
    with pytest.raises(ConfigError, match="Lumos modules take --plan-adapter and --ground-adapter"):
        choose_agent("lumos", flat_shop, adapter_named=True, lumos_named=[])


def test_eval_direct_iterative_takes_the_domains_shipped_flat_adapter(flat_shipping_domain: str) -> None:
    def models(method: str, model: str | None = None, adapter: str | None = None, trained: bool = True):
        return method_models(
            method, "llamacpp", model, None, plan=(None, None), ground=(None, None), adapter=adapter,
            domain=flat_shipping_domain, trained=trained,
        )

    shipped = models("direct-iterative").ground_adapter
    assert shipped and Path(shipped).parts[-2:] == ("adapters", "direct-iterative")
    assert _label(None, None, None, None, False, "direct-iterative", shipped) == (
        "shipped adapter flat_default_pkg/direct-iterative"
    )
    assert models("direct-iterative", adapter="/my/flat").ground_adapter == "/my/flat"
    assert models("direct-iterative", trained=False).untrained  # --no-trained: the bare base, as before
    assert models("direct").untrained  # the flat adapter is direct-iterative's alone
    assert models("direct-iterative", model="my/model").ground_adapter is None


def test_domains_lists_a_flat_default_agent(flat_shop: str) -> None:
    result = CliRunner().invoke(app, ["domains", "--json"])
    assert result.exit_code == 0, result.output
    agents = {row["name"]: row["default_agent"] for row in json.loads(result.output)}
    assert agents[flat_shop] == "flat" and agents["webshop"] == "lumos"
    text = CliRunner().invoke(app, ["domains"]).output
    def section(name: str) -> str:
        return text.split(f"{name}:", 1)[1].split("\n\n")[0]

    assert "default agent: flat" in section(flat_shop) and "default agent:" not in section("webshop")


def test_the_flat_model_loads_once_on_llama_cpp(monkeypatch: pytest.MonkeyPatch) -> None:
    from lumos.cli.options import ModelSetup, load_setup
    from lumos.models.fake import FakeModel

    loaded: list[str | None] = []

    def load_model(backend: str, name: str | None = None, lora: str | None = None, **options: object) -> FakeModel:
        loaded.append(lora)
        return FakeModel(default="")

    monkeypatch.setattr("lumos.models.registry.load_model", load_model)
    planner, grounder = load_setup(ModelSetup("llamacpp", None, None, "flat", "flat", None, False))
    assert planner is grounder and loaded == ["flat"]
    load_setup(ModelSetup("llamacpp", None, None, "plan", "ground", None, False))
    assert loaded == ["flat", "plan", "ground"]
