"""Uncertainty for small evaluations: 95 % intervals on a run's score and a paired test between two runs.

Scores of one example are 0/1 (accuracy, exact match) for the intervals and the test; a run whose primary
metric takes other values (F1, a reward) gets a bootstrap interval and no paired test.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lumos.errors import ConfigError
from lumos.records import jsonl_rows

Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (sound near 0 and 1, where the normal one is not)."""
    if n <= 0:
        raise ValueError("an interval needs at least one example")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie in 0..{n}, not {successes}")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def bootstrap_interval(
    values: Sequence[float], resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of a mean (for per-example scores that are not 0/1)."""
    if not values:
        raise ValueError("an interval needs at least one example")
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(values[rng.randrange(n)] for _ in range(n)) / n for _ in range(resamples))
    return means[int(0.025 * resamples)], means[min(resamples - 1, int(0.975 * resamples))]


@dataclass(frozen=True)
class PairedTest:
    """Exact McNemar test on the examples both runs scored: only where they disagree does it count."""

    n: int  # examples in common
    only_a: int  # right in run A, wrong in run B
    only_b: int
    p_value: float  # two-sided

    @property
    def difference(self) -> float:
        """Score of A minus score of B, over the common examples."""
        return (self.only_a - self.only_b) / self.n if self.n else 0.0


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided p-value: the chance, under equal methods, of a split of the discordant pairs this uneven."""
    k = only_a + only_b
    if k == 0:
        return 1.0
    low = min(only_a, only_b)
    tail = sum(math.comb(k, i) for i in range(low + 1)) / 2**k
    return min(1.0, 2 * tail)


def paired_test(a: Mapping[str, float], b: Mapping[str, float]) -> PairedTest:
    """Compare two runs example by example (0/1 scores keyed by example id) on the ids they share."""
    common = sorted(set(a) & set(b))
    if not common:
        raise ConfigError("the two runs share no example id: were they run on the same data?")
    for scores in (a, b):
        if any(scores[i] not in (0, 1, 0.0, 1.0) for i in common):
            raise ConfigError("a paired test needs 0/1 scores per example (accuracy or exact match)")
    only_a = sum(1 for i in common if a[i] == 1 and b[i] == 0)
    only_b = sum(1 for i in common if a[i] == 0 and b[i] == 1)
    return PairedTest(len(common), only_a, only_b, mcnemar_exact(only_a, only_b))


def sign_test(a: Mapping[str, float], b: Mapping[str, float]) -> PairedTest:
    """Exact sign test of two runs' per-example scores of any scale (a ScienceWorld score, a reward) on the
    ids they share: ``only_a`` counts the examples where A scored higher, ``only_b`` where B did, ties left
    out; on 0/1 scores it is the exact McNemar test."""
    common = sorted(set(a) & set(b))
    if not common:
        raise ConfigError("the two runs share no example id: were they run on the same data?")
    only_a = sum(1 for i in common if a[i] > b[i])
    only_b = sum(1 for i in common if a[i] < b[i])
    return PairedTest(len(common), only_a, only_b, mcnemar_exact(only_a, only_b))


def example_scores(run_dir: Path, metric: str) -> dict[str, float]:
    """Each example's score on ``metric`` from a run's predictions.jsonl, by example id."""
    path = Path(run_dir) / "predictions.jsonl"
    if not path.is_file():
        raise ConfigError(f"{run_dir} has no predictions.jsonl: is it a `lumos eval` run directory?")
    scores: dict[str, float] = {}
    for n, row in jsonl_rows(path, "a run's predictions"):
        value = row.get("scores", {}).get(metric) if isinstance(row.get("scores"), dict) else None
        if "id" not in row or not isinstance(value, (int, float)):
            raise ConfigError(f"{path}:{n}: no id or no {metric!r} score (a number) for example {row.get('id')!r}")
        scores[str(row["id"])] = float(value)
    return scores


def interval(scores: Sequence[float]) -> tuple[float, float]:
    """The 95 % interval of a run's mean score: Wilson for 0/1 scores, bootstrap otherwise."""
    if all(s in (0.0, 1.0) for s in scores):
        return wilson_interval(int(sum(scores)), len(scores))
    return bootstrap_interval(scores)
