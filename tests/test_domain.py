"""A domain's package ships its trained modules: ``adapters/plan-F`` and ``adapters/ground-F``."""

from __future__ import annotations

from pathlib import Path

import pytest

from lumos.cli.options import resolve_models
from lumos.domain import Domain


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
