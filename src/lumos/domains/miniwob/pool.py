"""A pool of headless Chromiums: one per concurrent episode, reused across episodes and tasks.

The pool starts its browsers together (a browser that will not start is a :class:`BrowserStartError` at
start-up, naming the install command), restarts one that crashed, and quits them all when it is closed:
on leaving its ``with`` block, on Ctrl-C (the KeyboardInterrupt passes through the block) and at
interpreter exit (``atexit``), so no Chromium or chromedriver is left running.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from lumos.domains.miniwob.browser import Browser, BrowserStartError
from lumos.errors import ConfigError

log = logging.getLogger(__name__)
T = TypeVar("T")


class BrowserPool:
    """``size`` browsers; ``browsers[i]`` serves the i-th episode of each batch."""

    def __init__(self, size: int = 1, *, factory: Callable[[int], Browser] = Browser) -> None:
        if size < 1:
            raise ConfigError(f"a browser pool needs at least one browser, not {size}")
        self.size = size
        self._factory = factory
        self._lock = threading.Lock()
        self.browsers: list[Browser] = []
        self.restarts = 0
        atexit.register(self.close)
        try:  # one after another: starting several Chromiums at once on a busy machine times them out
            for i in range(size):
                self.browsers.append(factory(i))
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> BrowserPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def map(self, fn: Callable[[Any], T], items: Sequence[Any] | range) -> list[T]:
        """``fn`` over ``items`` in parallel threads (one per browser), results in order; the first
        exception is raised after every call has finished."""
        items = list(items)
        if len(items) <= 1:
            return [fn(x) for x in items]
        with ThreadPoolExecutor(max_workers=min(len(items), max(self.size, 1))) as ex:
            futures = [ex.submit(fn, x) for x in items]
            errors = [f.exception() for f in futures]
        first = next((e for e in errors if e is not None), None)
        if first is not None:
            raise first
        return [f.result() for f in futures]

    def healthy(self, index: int) -> bool:
        return self.browsers[index].alive()

    def restart(self, index: int) -> Browser:
        """Replace browser ``index`` (after a crash) with a fresh one."""
        with self._lock:
            old = self.browsers[index]
            old.quit()
            self.restarts += 1
            log.warning("restarting browser %d", index)
            try:
                self.browsers[index] = self._factory(index)
            except BrowserStartError:
                raise
            except Exception as exc:
                raise BrowserStartError(f"browser {index} would not restart: {exc}") from exc
            return self.browsers[index]

    def close(self) -> None:
        """Quit every browser (idempotent)."""
        with self._lock:
            browsers, self.browsers = self.browsers, []
        for browser in browsers:
            browser.quit()
        atexit.unregister(self.close)
