"""Fixtures of the ScienceWorld tests: fake simulators (no Java), and a real one that is skipped, naming the
install command, where Java or the scienceworld package is missing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


def skip_without_scienceworld() -> None:
    from lumos.domains.scienceworld.simulator import JAVA_INSTALL, java_path

    pytest.importorskip("scienceworld", reason="scienceworld is missing: pip install 'lumos-agents[scienceworld]'")
    if java_path() is None:
        pytest.skip(f"no Java here: {JAVA_INSTALL}")


@pytest.fixture
def needs_scienceworld() -> None:
    """Skips, naming the install command, without Java or the scienceworld package."""
    skip_without_scienceworld()


@pytest.fixture(scope="module")
def simulator() -> Iterator[object]:
    """One real ScienceWorld JVM for a test module."""
    skip_without_scienceworld()
    from lumos.domains.scienceworld.simulator import Simulator

    with Simulator() as sim:
        yield sim
