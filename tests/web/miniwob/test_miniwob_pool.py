"""The browser pool: started together, nothing left running after close, Ctrl-C or a failed start."""

from __future__ import annotations

from pathlib import Path

import pytest

from lumos.domains.miniwob.browser import Browser, BrowserStartError
from lumos.errors import ConfigError

psutil = pytest.importorskip("psutil")
pytestmark = pytest.mark.browser


def _skip_without_browser() -> None:
    from lumos.browser import INSTALL_HINT, find_browser

    if find_browser() is None:
        pytest.skip(f"no Chromium here: {INSTALL_HINT}")


def _processes(browser: Browser) -> list[int]:
    """chromedriver and every process under it (the Chromium it started)."""
    driver = psutil.Process(browser.driver.service.process.pid)
    return [driver.pid, *(p.pid for p in driver.children(recursive=True))]


def _gone(pids: list[int]) -> bool:
    _, alive = psutil.wait_procs([psutil.Process(p) for p in pids if psutil.pid_exists(p)], timeout=10)
    return not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]


def test_close_and_ctrl_c_leave_nothing_running() -> None:
    _skip_without_browser()
    from lumos.domains.miniwob.pool import BrowserPool

    with BrowserPool(2) as pool:
        pids = [p for b in pool.browsers for p in _processes(b)]
        assert len(pids) > 2 and all(b.alive() for b in pool.browsers)
    assert pool.browsers == [] and _gone(pids)

    with pytest.raises(KeyboardInterrupt), BrowserPool(1) as pool:
        pids = _processes(pool.browsers[0])
        raise KeyboardInterrupt
    assert _gone(pids)


def test_a_browser_that_will_not_start_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _skip_without_browser()
    from lumos.domains.miniwob.pool import BrowserPool

    monkeypatch.setenv("MINIWOB_CHROME_BINARY", str(tmp_path / "missing-chromium"))
    with pytest.raises(ConfigError, match="apt-get install chromium"):
        Browser()
    fake = tmp_path / "not-a-browser"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("MINIWOB_CHROME_BINARY", str(fake))
    with pytest.raises(BrowserStartError, match="Chromium would not start"):
        BrowserPool(1)


def test_a_failed_start_quits_the_browsers_that_did_start() -> None:
    _skip_without_browser()
    from lumos.domains.miniwob.pool import BrowserPool

    started: list[Browser] = []

    def factory(index: int) -> Browser:
        if index == 1:
            raise BrowserStartError("browser 1 would not start")
        b = Browser(index)
        started.append(b)
        return b

    with pytest.raises(BrowserStartError, match="browser 1"):
        BrowserPool(2, factory=factory)
    assert started and not started[0].alive()
