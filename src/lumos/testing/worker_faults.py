"""A worker that dies mid-batch, once: for tests and benchmarks of runs on Ray.

:class:`DieOnce` wraps a method recipe (what a Ray worker calls to build its method); the method it builds
ends its process with ``os._exit`` (as a crash or the OOM killer would, without cleaning up) when example
``example_id`` finishes, unless ``marker`` exists, which it creates first: so exactly one worker dies, after
finishing part of its batch, and the batch's rerun elsewhere goes through.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lumos.eval.benchmarks import Example
from lumos.eval.methods import Method, OnDone, Prediction


@dataclass
class DieOnce:
    """A recipe: the method of ``recipe`` whose process exits on finishing ``example_id`` the first time."""

    recipe: Callable[[], Method]
    example_id: str
    marker: Path

    def __call__(self) -> Method:
        return DyingMethod(self.recipe(), self.example_id, self.marker)

    def close(self) -> None:
        close = getattr(self.recipe, "close", None)
        if close is not None:
            close()


class DyingMethod:
    def __init__(self, method: Method, example_id: str, marker: Path) -> None:
        self.method = method
        self.name = method.name
        self.example_id = example_id
        self.marker = marker

    def run(self, examples: Sequence[Example], on_done: OnDone) -> None:
        def done(example: Example, pred: Prediction) -> None:
            on_done(example, pred)
            if example.id == self.example_id and not self.marker.exists():
                self.marker.write_text(str(os.getpid()))
                os._exit(1)

        self.method.run(examples, done)
