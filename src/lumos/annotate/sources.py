"""Loaders that read benchmarks in their original file formats into :class:`SourceItem` records.

Every loader yields ``(id, task, gold rationale, gold answer)`` plus the structure a teacher-free converter
needs (``meta``: the SVAMP equation, a FanOutQA decomposition tree, MuSiQue's sub-questions, ...).

Where the data come from, in order:

1. ``data``: a file (or folder) the user gives with ``--data``;
2. a copy a Python package ships (the FanOutQA dev set inside ``fanoutqa``) or generates (reasoning-gym's
   ``gsm_symbolic``, seeded);
3. the Hugging Face hub through ``datasets`` (imported lazily) when it is reachable.

Offline, without ``--data``, a source of the third kind raises :class:`ConfigError` saying which file to give.
Ids are the benchmark's own where it has them, else a hash of the question text, so they stay stable when
a run is resumed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lumos import records
from lumos.errors import ConfigError


@dataclass
class SourceItem:
    """One benchmark example: the task and its gold reasoning and answer."""

    id: str
    task: str
    rationale: str
    answer: str
    source: str
    domain: str
    meta: dict[str, Any] = field(default_factory=dict)


Loader = Callable[[Path | None, int | None, int], Iterator[SourceItem]]


@dataclass(frozen=True)
class SourceSpec:
    """A benchmark: its domain, its loader, and where it can come from without ``--data``."""

    name: str
    domain: str
    loader: Loader
    description: str
    hub: tuple[str, str | None, str] | None = None  # (dataset path, config, split) on the HF hub
    offline: bool = False  # loads without --data and without the hub
    converter: str | None = None
    """``"module:function"`` converting an item to an annotation teacher-free (None: a teacher is needed)."""


SOURCES: dict[str, SourceSpec] = {}
"""Sources registered so far; :func:`all_sources` also loads those of every domain."""
_DOMAINS_LOADED: set[str] = set()


def all_sources() -> dict[str, SourceSpec]:
    """Every source: each domain's ``sources`` modules register theirs when imported."""
    from lumos.domain import domains

    for name in domains.names():
        if name not in _DOMAINS_LOADED:
            _DOMAINS_LOADED.add(name)
            for module in domains.get(name).sources:
                importlib.import_module(module)
    return SOURCES


def source_names(domain: str | None = None) -> list[str]:
    return sorted(n for n, s in all_sources().items() if domain is None or s.domain == domain)


def get_source(name: str) -> SourceSpec:
    table = all_sources()
    if name not in table:
        raise ConfigError(f"unknown source {name!r}; known sources: {', '.join(source_names())}")
    return table[name]


def load_source(
    name: str, data: str | Path | None = None, limit: int | None = None, seed: int = 0
) -> Iterator[SourceItem]:
    """Yield the items of source ``name`` (at most ``limit``)."""
    spec = get_source(name)
    path = Path(data) if data is not None else None
    if path is not None and not path.exists():
        raise ConfigError(f"--data {path} does not exist")
    items = spec.loader(path, limit, seed)
    count = 0
    for item in items if limit is None else itertools.islice(items, limit):
        count += 1
        yield item
    if count == 0 and path is not None:
        raise ConfigError(f"--data {path}: no {name} item in it: {spec.description}{_first_row_fields(path)}")


def _first_row_fields(path: Path) -> str:
    """``; its first row has the fields a, b`` for a JSON data file (rows with misspelt fields give no item)."""
    try:
        where, row = next(records.located_records(path, "--data", folders=True))
    except (ConfigError, StopIteration, OSError):
        return ""
    return f"; its first row ({where}) has the fields {', '.join(map(str, row)) or '(none)'}"


def register_source(
    name: str,
    domain: str,
    description: str,
    hub: tuple[str, str | None, str] | None = None,
    offline: bool = False,
    converter: str | None = None,
) -> Callable[[Loader], Loader]:
    """Decorator registering a loader as source ``name`` of ``domain`` (in a domain's ``sources`` module)."""

    def wrap(fn: Loader) -> Loader:
        SOURCES[name] = SourceSpec(name, domain, fn, description, hub, offline, converter)
        return fn

    return wrap


# ------------------------------------------------------------------------------------------- helpers


def stable_id(source: str, text: str) -> str:
    digest = hashlib.sha1(" ".join(text.split()).lower().encode()).hexdigest()[:12]
    return f"{source}-{digest}"


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Records of a JSONL file, a JSON list (or ``{"data": [...]}``), or every such file in a folder."""
    return records.read_records(path, "--data", folders=True)


def from_hub(name: str, hub: tuple[str, str | None, str] | None, what: str) -> Iterator[dict[str, Any]]:
    """Records from the HF hub, or a ConfigError that says which file to pass with --data."""
    if hub is None:
        raise ConfigError(f"source {name!r} needs its data file: pass --data FILE ({what})")
    if os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("HF_DATASETS_OFFLINE") == "1":
        raise ConfigError(
            f"source {name!r} is on the Hugging Face hub ({hub[0]}) and the hub is switched off "
            f"here (HF_HUB_OFFLINE): pass --data FILE ({what})"
        )
    try:
        import datasets
    except ImportError as exc:
        raise ConfigError(
            f"source {name!r}: no --data given, and loading {hub[0]} from the Hugging Face hub needs the "
            f"'datasets' package (pip install 'lumos-agents[train]'); or pass --data FILE ({what})"
        ) from exc
    try:
        ds = datasets.load_dataset(hub[0], hub[1], split=hub[2])
    except Exception as exc:  # offline, unknown dataset, gated, ...
        raise ConfigError(
            f"source {name!r}: could not load {hub[0]} from the Hugging Face hub ({type(exc).__name__}: "
            f"{str(exc)[:200]}); pass --data FILE ({what})"
        ) from exc
    for row in ds:
        yield dict(row)


def source_records(name: str, path: Path | None, what: str) -> Iterator[dict[str, Any]]:
    if path is not None:
        return read_records(path)
    return from_hub(name, SOURCES[name].hub, what)


def format_number(value: float | int | str) -> str:
    """``51.0`` -> ``51``, ``0.50`` -> ``0.5``; text is returned stripped."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


_FINAL = re.compile(r"^\s*####\s*(.+?)\s*$", re.M)


def split_final_answer(solution: str) -> tuple[str, str]:
    """GSM8K-style ``rationale\\n#### answer`` -> (rationale, answer with thousands separators removed)."""
    m = _FINAL.search(solution)
    if m is None:
        return solution.strip(), ""
    answer = m.group(1).replace(",", "").strip()
    return solution[: m.start()].strip(), answer

def join_body_question(body: str, question: str) -> str:
    """``Body Question`` as the evaluation harness poses SVAMP (and ASDiv) tasks."""
    return f"{body.strip()} {question.strip()}".strip()
