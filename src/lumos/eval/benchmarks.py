"""Benchmark specifications (each domain's ``benchmarks.yaml``) and loading their examples."""

from __future__ import annotations

import difflib
import os
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lumos.errors import ConfigError
from lumos.records import located_records
from lumos.registry import load_attr


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
    ray: bool = False
    """The runner takes ``--ray``: it runs its batches through :func:`lumos.eval.episodes.run_in_batches`."""

    @property
    def primary_metric(self) -> str:
        return self.metrics[0]


@dataclass
class Example:
    id: str
    question: str
    answer: Any
    meta: dict[str, Any] = field(default_factory=dict)


def benchmarks() -> dict[str, Benchmark]:
    """Every domain's benchmarks by name."""
    from lumos.domain import domains

    table: dict[str, Benchmark] = {}
    for domain in domains.all():
        for name, spec in domain.benchmark_specs.items():
            if name in table:
                raise ConfigError(f"benchmark {name!r} is defined by both {table[name].domain} and {domain.name}")
            table[name] = Benchmark(name=name, **{**spec, "metrics": tuple(spec["metrics"])})
    return table


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
    rows: Iterable[tuple[str, dict[str, Any]]]
    if data is not None:
        rows = located_records(Path(data), "--data file")
    elif bench.package:
        rows = ((f"{bench.name} example {i + 1}", r) for i, r in enumerate(_from_package(bench, seed, limit)))
    elif bench.hub:
        rows = ((f"{bench.name} example {i + 1}", r) for i, r in enumerate(_from_hub(bench)))
    else:
        raise ConfigError(f"{bench.name} has no source; pass --data PATH")
    out: list[Example] = []
    for i, (where, row) in enumerate(rows):
        if limit is not None and len(out) >= limit:
            break
        out.append(_example(bench, row, i, where))
    if not out:
        raise ConfigError(f"no {bench.name} examples found in {data or 'its source'}")
    return out


def _example(bench: Benchmark, row: dict[str, Any], index: int, where: str) -> Example:
    fields = [name for _, name, _, _ in string.Formatter().parse(bench.question) if name]
    needed = list(dict.fromkeys([*fields, bench.answer_field]))
    missing = [f for f in needed if f not in row]
    if missing:
        close = difflib.get_close_matches(missing[0], [str(k) for k in row], n=1)
        hint = f" (is {close[0]!r} a misspelling?)" if close else ""
        raise ConfigError(
            f"{where}: no field {missing[0]!r}{hint}: a {bench.name} row needs {', '.join(needed)}; this row has "
            f"{', '.join(map(str, row)) or 'no field'} (is --data a {bench.name} file?)"
        )
    question = bench.question.format(**row).strip()
    answer = row[bench.answer_field]
    empty = [f for f in needed if row.get(f) is None or str(row.get(f)).strip() == ""]
    if empty or not question:
        raise ConfigError(
            f"{where}: example {index + 1}: {', '.join(empty) or 'the question'} is null or empty; fix or "
            "delete that row"
        )
    if bench.answer_after and isinstance(answer, str) and bench.answer_after in answer:
        answer = answer.split(bench.answer_after)[-1].strip()
    ex_id = str(row.get(bench.id_field, "")) if bench.id_field else ""
    return Example(id=ex_id or f"{bench.name}-{index}", question=question, answer=answer)


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
    """Rows from the spec's ``package: {loader: "module:function", ...}``: ``function(bench, seed, limit)``."""
    loader = str(bench.package.get("loader", ""))
    if ":" not in loader:
        raise ConfigError(f"{bench.name}: package loader {loader!r} must be 'module:function'")
    rows: Iterator[dict[str, Any]] = load_attr(loader)(bench, seed, limit)
    return rows
