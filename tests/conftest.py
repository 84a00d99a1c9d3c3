"""Fixtures shared across the suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def chrome() -> Iterator[Any]:
    """One headless Chromium (Selenium) for the session; skipped, naming the install command, without one."""
    from lumos.browser import INSTALL_HINT, find_browser, start_chrome

    if find_browser() is None:
        pytest.skip(f"no Chromium here: {INSTALL_HINT}")
    pytest.importorskip("selenium", reason="selenium is missing: pip install 'lumos-agents[web]'")
    driver = start_chrome()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def ray_local() -> Iterator[Any]:
    """One local Ray instance (2 CPUs) for the session; skipped, naming the install command, without ray."""
    ray = pytest.importorskip("ray", reason="ray is missing: pip install 'lumos-agents[ray]'")
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=100 * 2**20, configure_logging=False)
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.fixture
def flat_shipping_domain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A registered environment domain whose package ships a trained flat model
    (``adapters/direct-iterative``); its name."""
    from lumos.domain import Domain, domains

    adapter = tmp_path / "flat_default_pkg" / "adapters" / "direct-iterative"
    adapter.mkdir(parents=True)
    (adapter / "adapter_config.json").write_text("{}")
    (tmp_path / "flat_default_pkg" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    domain = Domain(name="flat_default", tools={"Echo": "x:Echo"}, package="flat_default_pkg", environment="x:open")
    domains.register(domain.name, domain)
    yield domain.name
    domains.unregister(domain.name)
