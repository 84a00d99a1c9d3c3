"""The environment protocol: what a domain with live tasks (web pages, shops, games) gives the core.

A domain's ``environment`` opens one :class:`Episode` per task as a context manager (so whatever it starts,
a browser or a simulator, is closed however the run ends): the episode holds the task's text, the object its
tools act on (``ctx.env``), and reports the outcome once the agent is done. ``lumos run`` handles every
environment domain this way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from lumos.errors import ConfigError


@dataclass
class Episode:
    """One task in its environment, reset and ready."""

    task: str
    """The instruction the agent is given (a goal, a page's utterance)."""
    env: Any
    """What the tools act on as ``ctx.env``; its ``meta`` dict, if any, is copied onto the trajectory."""
    outcome: Callable[[], dict[str, Any]] = field(default=lambda: {})
    """Called once after the run: what goes onto ``trajectory.meta`` (``reward``, ``outcome``,
    ``steps_taken``: lines that ``lumos run`` prints)."""


class OpenEnvironment(Protocol):
    """A domain's ``environment``: ``open(task, options)``. ``task`` is what the user gave (None when the
    environment chooses, e.g. by ``--env goal=3``); ``options`` holds the ``--env KEY=VALUE`` settings."""

    def __call__(
        self, task: str | None, options: dict[str, Any]
    ) -> contextlib.AbstractContextManager[Episode]: ...


def parse_env_options(items: list[str] | None) -> dict[str, str]:
    """``["goal=3", "data=dir"]`` -> ``{"goal": "3", "data": "dir"}``."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--env takes KEY=VALUE, not {item!r}")
        out[key.strip().replace("-", "_")] = value
    return out


@contextlib.contextmanager
def plain(task: str) -> Iterator[Episode]:
    """A text-only task: no environment."""
    yield Episode(task, None)


def env_ended(env: Any) -> bool:
    """Whether the environment says its episode is over (``env.ended()``; False where it cannot say)."""
    ended = getattr(env, "ended", None)
    return bool(ended()) if callable(ended) else False


def env_live(env: Any) -> bool:
    """Whether the environment can say when its episode is over and says it is not yet."""
    ended = getattr(env, "ended", None)
    return callable(ended) and not ended()
