"""Benchmarks that evaluate themselves: the hook for tasks whose examples are environments (web pages, shops).

A benchmark entry with ``runner: module:function`` in ``benchmarks.yaml`` is handed, for each method of a
``lumos eval`` call, a :class:`MethodRun` holding the loaded models, the agent settings and the run
directory; the function loads its own examples (``data`` / ``limit`` / ``seed``), runs them resumably into
``run_dir`` (``predictions.jsonl``, ``metrics.json``, ``config.json``) and returns the metrics.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lumos.agent.agent import AgentConfig
from lumos.errors import ConfigError
from lumos.eval.benchmarks import Benchmark
from lumos.models.base import Model
from lumos.prompts.modules import PromptStyle


@dataclass
class MethodRun:
    """Everything one method's evaluation needs, resolved from the command line."""

    bench: Benchmark
    method: str
    planner: Model
    grounder: Model
    config: AgentConfig
    run_dir: Path
    settings: dict[str, Any]
    data: Path | None = None
    limit: int | None = None
    seed: int = 0
    batch_size: int = 32
    progress: bool = True
    options: dict[str, Any] = field(default_factory=dict)
    """Benchmark-specific flags (``tasks``, ``suite``, ``episodes``, ``ranker``...); None when not given."""
    style: PromptStyle | None = None
    """The prompt style chosen (``--style``, ``--prompts``): every module prompt of the run is in it."""


Runner = Callable[[MethodRun], dict[str, Any]]


def get_runner(bench: Benchmark) -> Runner:
    if not bench.runner:
        raise ConfigError(f"{bench.name} has no runner of its own")
    module, _, attr = bench.runner.partition(":")
    try:
        runner: Runner = getattr(importlib.import_module(module), attr)
        return runner
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"{bench.name}: cannot load its runner {bench.runner!r} ({exc})") from exc
