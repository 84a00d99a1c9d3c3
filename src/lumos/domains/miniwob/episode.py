"""``lumos run --domain miniwob``: one live episode in its own headless Chromium, and the agent for it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from lumos.env import Episode


@contextlib.contextmanager
def open_episode(task: str | None, options: dict[str, Any]) -> Iterator[Episode]:
    """The page's utterance is the task; the outcome is MiniWoB's raw reward in [-1, 1] (an unfinished
    episode scores -1)."""
    from lumos.domains.miniwob.browser import Browser
    from lumos.domains.miniwob.env import MiniWoBPage, PageOptions
    from lumos.domains.miniwob.evaluate import episode_seconds
    from lumos.domains.miniwob.tasks import check_task

    if not task:
        raise typer.BadParameter("give the MiniWoB++ task's name, such as click-button")
    check_task(task)  # an unknown name fails before a browser starts
    screenshots = Path(options["screenshots"]) if options.get("screenshots") else None
    page_options = PageOptions(episode_seconds=episode_seconds(), screenshots=screenshots is not None)
    browser = Browser()
    try:
        page = MiniWoBPage(browser, task, int(options.get("seed", 0)), run_dir=screenshots, options=page_options)
        page.reset()

        def outcome() -> dict[str, Any]:
            result = page.close_episode()
            verdict = "success" if result.reward > 0 else "failure"
            return {"reward": result.reward, "outcome": f"{verdict}: {result.reason}" if result.reason else verdict}

        yield Episode(page.utterance, page, outcome)
    finally:
        browser.quit()


def make_agent(planner: Any, grounder: Any, config: Any, style: Any = None, tool_options: Any = None) -> Any:
    from lumos.domains.miniwob.evaluate import miniwob_agent

    return miniwob_agent(planner, grounder, config, style=style)
