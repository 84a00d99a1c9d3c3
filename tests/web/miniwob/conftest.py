"""A real headless Chromium for the MiniWoB++ tests, shared by a module; skipped without one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from lumos.browser import INSTALL_HINT, find_browser

    if find_browser() is None:
        pytest.skip(f"no Chromium here: {INSTALL_HINT}")
    pytest.importorskip("miniwob", reason="miniwob is missing: pip install 'lumos-agents[web]'")
    from lumos.domains.miniwob.browser import Browser

    b = Browser()
    try:
        yield b
    finally:
        b.quit()


@pytest.fixture
def miniwob_package() -> None:
    """Skips, naming the install command, where the ``miniwob`` package (its task pages) is missing."""
    pytest.importorskip("miniwob", reason="miniwob is missing: pip install 'lumos-agents[web]'")
