"""Benchmark specifications (``benchmarks.yaml``) and loading their examples."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from lumos.errors import ConfigError


@dataclass(frozen=True)
class Benchmark:
    name: str
    domain: str
    answer_type: str
    metrics: tuple[str, ...]
    question: str = ""
    answer_field: str = ""
    id_field: str | None = None
    answer_after: str | None = None
    hub: dict[str, Any] = field(default_factory=dict)
    package: dict[str, Any] = field(default_factory=dict)
    local_example: str | None = None
    runner: str | None = None
    """``module:function`` that evaluates this benchmark itself (benchmarks whose examples are environments,
    such as web tasks): called once per method with a :class:`lumos.eval.custom.MethodRun`."""

    @property
    def primary_metric(self) -> str:
        return self.metrics[0]


@dataclass
class Example:
    id: str
    question: str
    answer: Any
    meta: dict[str, Any] = field(default_factory=dict)


@cache
def benchmarks() -> dict[str, Benchmark]:
    text = resources.files("lumos.eval").joinpath("benchmarks.yaml").read_text()
    specs = yaml.safe_load(text)
    return {
        name: Benchmark(name=name, **{**spec, "metrics": tuple(spec["metrics"])})
        for name, spec in specs.items()
    }


def get_benchmark(name: str) -> Benchmark:
    table = benchmarks()
    if name not in table:
        raise ConfigError(f"unknown benchmark {name!r}; choose one of: {', '.join(sorted(table))}")
    return table[name]


def load_examples(
    bench: Benchmark, data: str | Path | None = None, limit: int | None = None, seed: int = 0
) -> list[Example]:
    """The benchmark's examples: from ``data`` (a local file in the original format) when given, else from
    the package or hub named in the spec. ``limit`` takes the first N (in file order, after a seeded shuffle
    only for generated benchmarks)."""
    if data is not None:
        rows: Iterable[dict[str, Any]] = _read_local(Path(data))
    elif bench.package:
        rows = _from_package(bench, seed, limit)
    elif bench.hub:
        rows = _from_hub(bench)
    else:
        raise ConfigError(f"{bench.name} has no source; pass --data PATH")
    out: list[Example] = []
    for i, row in enumerate(rows):
        if limit is not None and len(out) >= limit:
            break
        out.append(_example(bench, row, i))
    if not out:
        raise ConfigError(f"no {bench.name} examples found in {data or 'its source'}")
    return out


def _example(bench: Benchmark, row: dict[str, Any], index: int) -> Example:
    try:
        question = bench.question.format(**row).strip()
        answer = row[bench.answer_field]
    except KeyError as exc:
        raise ConfigError(
            f"{bench.name} example {index + 1} has no field {exc}; expected fields as in {bench.question!r} "
            f"and {bench.answer_field!r} (is --data a {bench.name} file?)"
        ) from exc
    if bench.answer_after and isinstance(answer, str) and bench.answer_after in answer:
        answer = answer.split(bench.answer_after)[-1].strip()
    ex_id = str(row.get(bench.id_field, "")) if bench.id_field else ""
    return Example(id=ex_id or f"{bench.name}-{index}", question=question, answer=answer)


def _read_local(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        raise ConfigError(f"--data file {path} does not exist")
    text = path.read_text()
    if path.suffix == ".json" or text.lstrip().startswith("["):
        data = json.loads(text)
        yield from (data if isinstance(data, list) else data.get("data", data.get("examples", [])))
        return
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}:{n} is not valid JSON ({exc.msg})") from exc


def _from_hub(bench: Benchmark) -> Iterator[dict[str, Any]]:
    hint = "pass --data PATH to a local copy" + (
        f" (e.g. --data {bench.local_example})" if bench.local_example else ""
    )
    if os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("HF_DATASETS_OFFLINE") == "1":
        raise ConfigError(f"{bench.name} is on the Hugging Face hub and the hub is switched off here: {hint}")
    try:
        import datasets
    except ImportError as exc:
        raise ConfigError(
            f"loading {bench.name} from the hub needs `datasets` (pip install 'lumos-agents[train]'), or {hint}"
        ) from exc
    hub = dict(bench.hub)
    try:
        ds = datasets.load_dataset(hub.pop("path"), hub.pop("name", None), split=hub.pop("split"), **hub)
    except Exception as exc:  # offline, renamed dataset, ...: the user can always fall back to a file
        raise ConfigError(
            f"could not load {bench.name} from the Hugging Face hub ({type(exc).__name__}): {hint}"
        ) from exc
    yield from ds


def _from_package(bench: Benchmark, seed: int, limit: int | None) -> Iterator[dict[str, Any]]:
    spec = bench.package
    if spec["loader"] == "reasoning_gym":
        try:
            import reasoning_gym
        except ImportError as exc:
            raise ConfigError(f"{bench.name} needs reasoning-gym: pip install 'lumos-agents[eval]'") from exc
        size = max(limit or 0, int(spec.get("size", 500)))
        # Seeds below 10**6 are left to training data (lumos annotate), so the two never draw the same items.
        ds = reasoning_gym.create_dataset(spec["dataset"], size=size, seed=10**6 + seed)
        for i, entry in enumerate(ds):
            yield {"id": f"{bench.name}-{seed}-{i}", "question": entry["question"], "answer": entry["answer"]}
    elif spec["loader"] == "fanoutqa":
        from lumos.annotate.sources import fanoutqa_dev_file

        path = fanoutqa_dev_file()
        if path is None:
            raise ConfigError(
                f"{bench.name} needs the fanoutqa package's dev set: pip install --no-deps fanoutqa"
            )
        from lumos.annotate.complex_qa import fanoutqa_split

        # Only the evaluation split: the other questions may be in the shipped complex-QA adapters' data.
        questions = [q for q in json.loads(path.read_text()) if fanoutqa_split(q["id"]) == "eval"]
        order = list(range(len(questions)))
        random.Random(seed).shuffle(order)
        for i in order:
            q = questions[i]
            yield {"id": q["id"], "question": q["question"], "answer": q["answer"]}
    else:
        raise ConfigError(f"{bench.name}: unknown package loader {spec['loader']!r}")
