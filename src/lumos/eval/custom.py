"""Benchmarks that evaluate themselves: the hook for tasks whose examples are environments (web pages, shops).

A benchmark entry with ``runner: module:function`` in ``benchmarks.yaml`` is handed, for each method of a
``lumos eval`` call, a :class:`MethodRun` holding the loaded models, the agent settings and the run
directory; the function loads its own examples (``data`` / ``limit`` / ``seed``), runs them resumably into
``run_dir`` (``predictions.jsonl``, ``metrics.json``, ``config.json``) and returns the metrics.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lumos.agent.agent import AgentConfig
from lumos.errors import ConfigError
from lumos.eval.benchmarks import Benchmark
from lumos.models.base import Conversation, Generation, GenerationParams, Model
from lumos.prompts.prompt_styles import PromptStyle
from lumos.scale.cluster import RayPlan


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
    ray: RayPlan | None = None
    """``--ray`` (only for a benchmark with ``ray: true``): the batches go to Ray workers, through
    :func:`lumos.eval.episodes.run_in_batches`; the driver then holds :class:`NotLoaded` models."""
    load_models: Callable[[], tuple[Model, Model]] | None = None
    """How a worker loads the planner and grounder itself (picklable)."""

    def for_workers(self) -> MethodRun:
        """This run as sent to Ray workers: without loaded models (each worker loads its own)."""
        return replace(self, planner=NotLoaded(), grounder=NotLoaded())

    def with_own_models(self) -> MethodRun:
        """This run with models loaded here by :attr:`load_models`."""
        if self.load_models is None:
            raise ConfigError(f"{self.bench.name}: the run has no way to load its models on a worker")
        planner, grounder = self.load_models()
        return replace(self, planner=planner, grounder=grounder)


class NotLoaded(Model):
    """The driver's stand-in for a model that only Ray workers load."""

    name = "not loaded here"

    def generate(self, conversations: Sequence[Conversation], params: GenerationParams) -> list[Generation]:
        raise ConfigError("this run's models are loaded on its Ray workers, not in the driver")


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
