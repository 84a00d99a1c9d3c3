"""Finding and starting the system's headless Chromium (Debian's ``chromium`` and ``chromium-driver``).

lumos never downloads a browser build: it uses the one the system has, found from ``MINIWOB_CHROME_BINARY``
and ``MINIWOB_CHROMEDRIVER`` (the variables the ``miniwob`` package reads too) or the usual install paths.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Any

from lumos.errors import ConfigError, require
from lumos.tempdirs import make_temp_dir

INSTALL_HINT = "install a browser with: sudo apt-get install chromium chromium-driver (or set MINIWOB_CHROME_BINARY and MINIWOB_CHROMEDRIVER)"

_BINARIES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_DRIVERS = ("chromedriver",)
_EXTRA_DRIVER_PATHS = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")

# Without the background-networking flags Chromium keeps trying hosts that this kind of closed network refuses.
CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
)


@dataclass(frozen=True)
class BrowserPaths:
    binary: str
    driver: str


def find_browser() -> BrowserPaths | None:
    """The Chromium binary and its driver, or None when either is missing."""
    binary = os.environ.get("MINIWOB_CHROME_BINARY") or next(
        (p for p in (shutil.which(b) for b in _BINARIES) if p), None
    )
    driver = os.environ.get("MINIWOB_CHROMEDRIVER") or next(
        (p for p in (shutil.which(d) for d in _DRIVERS) if p), None
    )
    if driver is None:
        driver = next((p for p in _EXTRA_DRIVER_PATHS if os.path.isfile(p)), None)
    if not binary or not driver or not os.path.isfile(binary) or not os.path.isfile(driver):
        return None
    return BrowserPaths(binary, driver)


def require_browser() -> BrowserPaths:
    paths = find_browser()
    if paths is None:
        raise ConfigError(f"no Chromium and chromedriver found: {INSTALL_HINT}")
    return paths


def chrome_options(paths: BrowserPaths | None = None, *, width: int = 1024, height: int = 768) -> Any:
    """Selenium options for a headless, quiet Chromium with a fresh profile."""
    webdriver = require("selenium.webdriver", package="selenium", extra="web", purpose="a real browser")
    paths = paths or require_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = paths.binary
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    return options


PROFILE_PREFIX = "lumos-chrome-"


def start_chrome(*, width: int = 1024, height: int = 768) -> Any:
    """A headless Chromium driven by Selenium (the caller quits it). Its profile is a folder of lumos's own,
    removed when the driver quits (and by a later start, when this process was killed first)."""
    webdriver = require("selenium.webdriver", package="selenium", extra="web", purpose="a real browser")
    paths = require_browser()
    service = webdriver.ChromeService(executable_path=paths.driver)
    profile = make_temp_dir(PROFILE_PREFIX)
    options = chrome_options(paths, width=width, height=height)
    options.add_argument(f"--user-data-dir={profile}")
    try:
        driver = webdriver.Chrome(options=options, service=service)
    except BaseException:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    quit_driver = driver.quit

    def quit_and_remove_profile() -> None:
        try:
            quit_driver()
        finally:
            shutil.rmtree(profile, ignore_errors=True)

    driver.quit = quit_and_remove_profile
    return driver
