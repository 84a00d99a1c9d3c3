"""One headless Chromium for MiniWoB++ episodes, reused across episodes and tasks."""

from __future__ import annotations

import logging
import time
from typing import Any

from lumos.domains.miniwob.tasks import check_task
from lumos.errors import ConfigError, require

log = logging.getLogger(__name__)


class BrowserStartError(ConfigError):
    """Chromium or chromedriver would not start."""


class Browser:
    """One headless Chromium, reused across episodes and tasks (the page is reloaded when the task changes)."""

    def __init__(self, index: int = 0, *, width: int = 1024, height: int = 768, attempts: int = 2) -> None:
        from lumos.browser import INSTALL_HINT, start_chrome

        self.index = index
        self.task: str | None = None
        self.instance: Any = None
        for attempt in range(attempts):
            try:
                self.driver = start_chrome(width=width, height=height)
                break
            except ConfigError:
                raise
            except Exception as exc:  # SessionNotCreated, a busy machine's time-out, an OS error
                if attempt + 1 < attempts:
                    log.warning("browser %d did not start (%s); trying again", index, type(exc).__name__)
                    continue
                raise BrowserStartError(
                    f"Chromium would not start after {attempts} tries ({type(exc).__name__}: "
                    f"{str(exc).strip()[:300]}); check that it runs, or {INSTALL_HINT}"
                ) from exc
        self.driver.implicitly_wait(0)

    def open(self, task: str) -> Any:
        """The ``miniwob`` instance for ``task`` on this browser, with the task page loaded."""
        check_task(task)
        if self.task == task and self.instance is not None:
            return self.instance
        selenium_instance = require("miniwob.selenium_instance", package="miniwob", extra="web")
        fields = require("miniwob.fields", package="miniwob", extra="web")
        extractor = fields.FIELD_EXTRACTORS.get(task, lambda utterance: [])
        instance = selenium_instance.SeleniumInstance(
            index=self.index, subdomain=task, headless=True, field_extractor=extractor
        )
        instance.driver = self.driver  # our Chromium (lumos.browser's flags), not the package's own
        self.driver.get(instance.url)
        deadline = time.monotonic() + 10
        while not self.driver.execute_script("return !!document.getElementById('sync-task-cover');"):
            if time.monotonic() > deadline:
                raise BrowserStartError(f"the MiniWoB page of {task} did not load ({instance.url})")
            time.sleep(0.05)
        self.instance, self.task = instance, task
        return instance

    def alive(self) -> bool:
        try:
            return bool(self.driver.execute_script("return 1;") == 1)
        except Exception:
            return False

    def quit(self) -> None:
        try:
            self.driver.quit()
        except Exception as exc:  # already gone
            log.debug("quitting browser %d: %s", self.index, exc)
        self.task, self.instance = None, None
