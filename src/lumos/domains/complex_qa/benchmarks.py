"""Benchmark rows from a package: FanOutQA's dev set, evaluation split only."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

from lumos.errors import ConfigError
from lumos.eval.benchmarks import Benchmark


def fanoutqa_rows(bench: Benchmark, seed: int, limit: int | None) -> Iterator[dict[str, Any]]:
    from lumos.domains.complex_qa.annotate import fanoutqa_split
    from lumos.domains.complex_qa.sources import fanoutqa_dev_file

    path = fanoutqa_dev_file()
    if path is None:
        raise ConfigError(f"{bench.name} needs the fanoutqa package's dev set: pip install --no-deps fanoutqa")
    # Only the evaluation split: the other questions may be in the shipped complex-QA adapters' data.
    questions = [q for q in json.loads(path.read_text()) if fanoutqa_split(q["id"]) == "eval"]
    order = list(range(len(questions)))
    random.Random(seed).shuffle(order)
    for i in order:
        q = questions[i]
        yield {"id": q["id"], "question": q["question"], "answer": q["answer"]}
