"""Temporary folders of lumos's own: a browser's profile is removed when it quits, and what a killed run left
is removed by the next one."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from lumos import tempdirs


def test_leftovers_of_dead_processes_go_and_live_ones_stay() -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    root = Path(tempfile.gettempdir())
    left, mine = root / f"lumos-test-{dead.pid}-x1", root / f"lumos-test-{os.getpid()}-x2"
    for folder in (left, mine):
        (folder / "sub").mkdir(parents=True)
    try:
        assert tempdirs.remove_leftovers("lumos-test-") == 1
        assert not left.exists() and mine.exists()
    finally:
        for folder in (left, mine):
            if folder.exists():
                (folder / "sub").rmdir()
                folder.rmdir()


@pytest.mark.browser
def test_a_browser_leaves_no_profile_behind() -> None:
    from lumos.browser import INSTALL_HINT, PROFILE_PREFIX, find_browser, start_chrome

    if find_browser() is None:
        pytest.skip(f"no Chromium here: {INSTALL_HINT}")
    root = Path(tempfile.gettempdir())
    before = set(root.glob(f"{PROFILE_PREFIX}{os.getpid()}-*"))
    driver = start_chrome()
    try:
        (profile,) = set(root.glob(f"{PROFILE_PREFIX}{os.getpid()}-*")) - before
        driver.get("data:text/html,<p>hi</p>")
    finally:
        driver.quit()
    assert not profile.exists()
