"""Benchmark rows that a package generates: reasoning-gym's ``gsm_symbolic``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lumos.errors import ConfigError
from lumos.eval.benchmarks import Benchmark


def reasoning_gym_rows(bench: Benchmark, seed: int, limit: int | None) -> Iterator[dict[str, Any]]:
    try:
        import reasoning_gym
    except ImportError as exc:
        raise ConfigError(f"{bench.name} needs reasoning-gym: pip install 'lumos-agents[eval]'") from exc
    size = max(limit or 0, int(bench.package.get("size", 500)))
    # Seeds below 10**6 are left to training data (lumos annotate), so the two never draw the same items.
    ds = reasoning_gym.create_dataset(bench.package["dataset"], size=size, seed=10**6 + seed)
    for i, entry in enumerate(ds):
        yield {"id": f"{bench.name}-{seed}-{i}", "question": entry["question"], "answer": entry["answer"]}
