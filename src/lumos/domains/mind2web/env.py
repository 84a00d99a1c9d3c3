"""``lumos run --domain web``: one Mind2Web task replayed; ``lumos data build --domain web``'s demo inputs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lumos.env import Episode


@contextlib.contextmanager
def open_episode(task: str | None, options: dict[str, Any]) -> Iterator[Episode]:
    from lumos.domains.mind2web.metrics import replay_summary
    from lumos.domains.mind2web.tasks import replay_task

    instruction, env = replay_task(options.get("data"), str(options.get("task_id", "0")), task)
    yield Episode(instruction, env, lambda: {"steps_taken": replay_summary(env)})


def demo_inputs(out: str | Path) -> list[Path]:
    """Annotations of the shipped Mind2Web and MiniWoB++ demonstrations (the web tools' data)."""
    from lumos.domains.mind2web.annotate import web_demo_inputs
    from lumos.domains.miniwob.solver import miniwob_demo_inputs

    return [*web_demo_inputs(out), *miniwob_demo_inputs(out)]
