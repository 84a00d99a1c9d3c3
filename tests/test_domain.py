"""A domain's package ships its trained modules: ``adapters/plan-F`` and ``adapters/ground-F`` for the Lumos
agent, ``adapters/direct-iterative`` for the flat agent (which an environment domain may make its default)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lumos.cli.options import resolve_flat_model, resolve_models
from lumos.domain import Domain
from lumos.errors import ConfigError


def _package(root: Path, name: str, *folders: str) -> str:
    pkg = root / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for folder in folders:
        (pkg / "adapters" / folder).mkdir(parents=True)
        (pkg / "adapters" / folder / "adapter_config.json").write_text("{}")
    return name


def test_a_domain_ships_the_formulations_whose_two_modules_are_in_its_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    name = _package(tmp_path, "shipping_domain_pkg", "plan-iterative", "ground-iterative", "plan-onetime")
    domain = Domain(name="shipping", tools={"Echo": "x:Echo"}, package=name)
    plan, ground = domain.shipped_adapters("iterative") or ("", "")
    assert Path(plan) == tmp_path / name / "adapters" / "plan-iterative"
    assert Path(ground) == tmp_path / name / "adapters" / "ground-iterative"
    assert domain.shipped_adapters("onetime") is None  # its grounder is missing: the base runs few-shot
    assert Domain(name="bare", tools={"Echo": "x:Echo"}).shipped_adapters("iterative") is None


@pytest.mark.parametrize("domain", ["maths", "complex_qa", "miniwob"])
def test_the_embedded_model_takes_the_domains_shipped_lumos_i_modules(domain: str) -> None:
    setup = resolve_models("llamacpp", None, None, None, None, None, None, domain=domain)
    assert not setup.untrained
    assert setup.plan_adapter and Path(setup.plan_adapter).parts[-3:] == (domain, "adapters", "plan-iterative")
    assert setup.ground_adapter and Path(setup.ground_adapter).name == "ground-iterative"
    given = resolve_models("llamacpp", None, None, None, "/my/plan", None, None, domain=domain)
    assert (given.plan_adapter, given.ground_adapter) == ("/my/plan", None)  # a given adapter wins


def test_domains_that_ship_no_modules_run_the_base_few_shot() -> None:
    for domain in ("web", "webshop", "scienceworld"):
        assert resolve_models("llamacpp", None, None, None, None, None, None, domain=domain).untrained


def test_the_default_agent_is_lumos_or_flat_and_flat_needs_an_environment() -> None:
    tools = {"Echo": "x:Echo"}
    assert Domain(name="plain", tools=tools).default_agent == "lumos"
    assert Domain(name="live", tools=tools, environment="x:open", default_agent="flat").default_agent == "flat"
    with pytest.raises(ConfigError, match=r"default_agent 'planner' is not one of: lumos, flat"):
        Domain(name="odd", tools=tools, default_agent="planner")
    with pytest.raises(ConfigError, match=r"default_agent 'flat' needs an environment"):
        Domain(name="text", tools=tools, default_agent="flat")


def test_a_domain_ships_its_flat_model_in_adapters_direct_iterative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    name = _package(tmp_path, "flat_shipping_pkg", "direct-iterative")
    flat = Domain(name="flat_shipping", tools={"Echo": "x:Echo"}, package=name)
    assert Path(flat.shipped_flat_adapter() or "") == tmp_path / name / "adapters" / "direct-iterative"
    assert flat.shipped_adapters("iterative") is None  # the flat model is no planner and grounder
    lumos_only = _package(tmp_path, "lumos_shipping_pkg", "plan-iterative", "ground-iterative")
    assert Domain(name="lumos_shipping", tools={"Echo": "x:Echo"}, package=lumos_only).shipped_flat_adapter() is None
    (tmp_path / "empty_adapter_pkg" / "adapters" / "direct-iterative").mkdir(parents=True)  # no adapter_config.json
    (tmp_path / "empty_adapter_pkg" / "__init__.py").write_text("")
    empty = Domain(name="empty_adapter", tools={"Echo": "x:Echo"}, package="empty_adapter_pkg")
    assert empty.shipped_flat_adapter() is None
    assert Domain(name="bare", tools={"Echo": "x:Echo"}).shipped_flat_adapter() is None


def test_the_embedded_flat_model_takes_the_domains_shipped_adapter(flat_shipping_domain: str) -> None:
    shipped = resolve_flat_model("llamacpp", None, None, None, domain=flat_shipping_domain)
    assert not shipped.untrained and shipped.plan_adapter == shipped.ground_adapter
    assert Path(shipped.ground_adapter or "").parts[-3:] == ("flat_default_pkg", "adapters", "direct-iterative")
    given = resolve_flat_model("llamacpp", None, "/my/flat", None, domain=flat_shipping_domain)
    assert given.ground_adapter == "/my/flat"  # a given adapter wins
    bare = resolve_flat_model("llamacpp", None, None, None, domain=flat_shipping_domain, use_shipped=False)
    assert bare.untrained and bare.ground_adapter is None  # --no-trained
    named = resolve_flat_model("hf", "my/model", None, None, domain=flat_shipping_domain)
    assert named.ground_adapter is None and not named.untrained  # the adapter is the embedded model's
    assert resolve_flat_model("llamacpp", None, None, None, domain="webshop").untrained  # ships none
