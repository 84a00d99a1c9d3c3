"""MiniWoB++ in headless Chromium: live task pages (env), a browser pool, a scripted solver and the
``lumos eval miniwob`` runner. Heavy imports (selenium, miniwob) happen only when a browser is started."""

from lumos.web.miniwob.tasks import SUITES, all_tasks, resolve_tasks

__all__ = ["SUITES", "all_tasks", "resolve_tasks"]
