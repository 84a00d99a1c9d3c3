"""``annotate``: benchmark items -> verified annotations, resumably.

Output folder::

    DIR/annotations.jsonl   one verified annotation a line (task, answer, subgoals, actions, results, ...)
    DIR/rejected.jsonl      one rejected item a line, with its reason code and message
    DIR/errors.jsonl        teacher requests that failed (server errors after retries); retried on a re-run
    DIR/teacher_cache.sqlite  teacher replies by request hash (teacher runs only)
    DIR/summary.json        counts over both files, written at the end of each run

Each item is appended and flushed as soon as it is finished, by one writer. On a restart, items whose id is
already in ``annotations.jsonl`` or ``rejected.jsonl`` are skipped, and a line cut short by a kill is
dropped first; so a killed run loses at most the items in flight and never writes an item twice.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from lumos import records
from lumos.annotate.convert import converter_names
from lumos.annotate.outcomes import Outcome, converted, from_reply
from lumos.annotate.sources import SourceItem, get_source, load_source, source_names
from lumos.annotate.teacher import Teacher, TeacherCache, TeacherConfig
from lumos.annotate.verify import Verifier
from lumos.errors import ConfigError
from lumos.models.base import Model
from lumos.sandbox import unsafe_code_allowed

ANNOTATIONS = "annotations.jsonl"
REJECTED = "rejected.jsonl"
ERRORS = "errors.jsonl"
CACHE = "teacher_cache.sqlite"
SUMMARY = "summary.json"

ItemHook = Callable[[str, str], None]
"""Called after each item is written, with (``"kept"`` | ``"rejected"`` | ``"failed"``, item id)."""


class ItemExecutor(Protocol):
    """Does the work of ``items`` elsewhere, calling ``write`` with each outcome (teacher usage into
    ``summary.usage``)."""

    @property
    def asks_teacher(self) -> bool: ...

    def execute(
        self, items: list[SourceItem], summary: AnnotateSummary, write: Callable[[Outcome], None]
    ) -> None: ...


@dataclass
class AnnotateSummary:
    """What one run did, and the totals of the output folder after it."""

    out_dir: Path
    source: str
    domain: str
    seen: int = 0
    skipped: int = 0  # already in the output folder
    kept: int = 0
    rejected: int = 0
    failed: list[str] = field(default_factory=list)  # ids whose teacher request failed (not written)
    reasons: Counter[str] = field(default_factory=Counter)
    usage: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    total_kept: int = 0
    total_rejected: int = 0

    @property
    def kept_fraction(self) -> float:
        done = self.total_kept + self.total_rejected
        return self.total_kept / done if done else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "domain": self.domain,
            "seen": self.seen,
            "skipped": self.skipped,
            "kept": self.kept,
            "rejected": self.rejected,
            "failed": len(self.failed),
            "reasons": dict(self.reasons),
            "usage": self.usage,
            "seconds": round(self.seconds, 2),
            "total_kept": self.total_kept,
            "total_rejected": self.total_rejected,
            "kept_fraction": round(self.kept_fraction, 4),
        }


# ------------------------------------------------------------------------------------------ files


def repair_jsonl(path: Path) -> None:
    """Drop a last line that a kill cut short (no newline at the end)."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb+") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - 1))
        if f.read(1) == b"\n":
            return
        # find the last newline
        pos = size - 1
        chunk = 4096
        while pos > 0:
            start = max(0, pos - chunk)
            f.seek(start)
            block = f.read(pos - start)
            i = block.rfind(b"\n")
            if i != -1:
                f.truncate(start + i + 1)
                return
            pos = start
        f.truncate(0)


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The records of an output file (none when missing); a damaged line is passed over: its item is redone."""
    if path.exists():
        yield from records.read_jsonl(path, "an annotation output file", on_bad=lambda bad: None)


def done_ids(out_dir: Path) -> set[str]:
    ids = set()
    for name in (ANNOTATIONS, REJECTED):
        for rec in read_jsonl(out_dir / name):
            if "id" in rec:
                ids.add(str(rec["id"]))
    return ids


class _Writer:
    """Appends one JSON line at a time and flushes it at once."""

    def __init__(self, path: Path) -> None:
        repair_jsonl(path)
        self.f = path.open("a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        self.f.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.f.flush()

    def close(self) -> None:
        self.f.close()


# --------------------------------------------------------------------------------------- pipeline


def annotate(
    domain: str,
    source: str,
    out_dir: str | Path,
    teacher: Model | Teacher | None = None,
    data: str | Path | None = None,
    limit: int | None = None,
    *,
    seed: int = 0,
    teacher_config: TeacherConfig | None = None,
    teacher_name: str = "",
    action_time_limit: float = 5.0,
    progress: bool = True,
    on_item: ItemHook | None = None,
    convert_options: dict[str, Any] | None = None,
    executor: ItemExecutor | None = None,
) -> AnnotateSummary:
    """Annotate up to ``limit`` items of ``source`` into ``out_dir`` (see the module doc for the files).

    Without a teacher the source's teacher-free converter is used, with ``convert_options`` as keyword
    arguments (e.g. Mind2Web's ``ranker``). ``on_item`` is called after each item is written (tests use it
    to stop a run part way). ``executor`` does the items' work elsewhere (:mod:`lumos.annotate.on_ray`);
    the outcomes are written here as they come back.
    """
    spec = get_source(source)
    if spec.domain != domain:
        raise ConfigError(
            f"source {source!r} belongs to the {spec.domain} domain, not {domain}; "
            f"{domain} sources: {', '.join(source_names(domain)) or 'none'}"
        )
    if teacher is None and not (executor is not None and executor.asks_teacher) and not spec.converter:
        raise ConfigError(
            f"source {source!r} has no teacher-free converter: give a teacher model (--teacher); sources with "
            f"one: {', '.join(converter_names())}"
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = AnnotateSummary(out, source, domain)
    started = time.perf_counter()
    finished = done_ids(out)
    verifier = Verifier(domain, action_time_limit=action_time_limit)
    kept_w, rejected_w = _Writer(out / ANNOTATIONS), _Writer(out / REJECTED)
    errors_w = _Writer(out / ERRORS)
    own_teacher: Teacher | None = None
    if isinstance(teacher, Model):
        own_teacher = Teacher(
            teacher, teacher_config or TeacherConfig(), TeacherCache(out / CACHE), model_name=teacher_name
        )
        teacher = own_teacher
    elif isinstance(teacher, Teacher) and teacher.cache is None:
        teacher.cache = TeacherCache(out / CACHE)

    def items() -> Iterator[SourceItem]:
        seen_now: set[str] = set()
        for item in load_source(source, data, limit, seed):
            summary.seen += 1
            if item.id in finished or item.id in seen_now:
                summary.skipped += 1
                continue
            seen_now.add(item.id)
            yield item

    def write(outcome: Outcome) -> None:
        if outcome.kind == "kept":
            kept_w.write(outcome.record)
            summary.kept += 1
        elif outcome.kind == "rejected":
            rejected_w.write(outcome.record)
            summary.rejected += 1
            summary.reasons[str(outcome.record["reason"])] += 1
        else:
            errors_w.write(outcome.record)
            summary.failed.append(outcome.id)
        if on_item is not None:
            on_item(outcome.kind, outcome.id)
        bar.update(summary)

    bar = _Progress(progress, f"{source}", limit)
    try:
        with bar:
            if executor is not None:
                executor.execute(list(items()), summary, write)
            elif teacher is None:
                for item in items():
                    write(converted(item, verifier, convert_options))
            else:
                assert isinstance(teacher, Teacher)
                for reply in teacher.ask_all(items()):
                    summary.usage = teacher.usage.as_dict()
                    write(from_reply(reply, verifier))
                summary.usage = teacher.usage.as_dict()
    finally:
        kept_w.close()
        rejected_w.close()
        errors_w.close()
        if own_teacher is not None:
            own_teacher.close()
        summary.seconds = time.perf_counter() - started
        _write_summary(out, summary)
    return summary


def _write_summary(out: Path, summary: AnnotateSummary) -> None:
    kept = sum(1 for _ in read_jsonl(out / ANNOTATIONS))
    reasons: Counter[str] = Counter(str(r.get("reason", "")) for r in read_jsonl(out / REJECTED))
    summary.total_kept, summary.total_rejected = kept, sum(reasons.values())
    record = summary.as_dict()
    record["total_reasons"] = dict(reasons.most_common())
    record["unsafe_code"] = unsafe_code_allowed()  # whether verification ran Code outside its sandbox
    tmp = out / (SUMMARY + ".tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n")
    tmp.replace(out / SUMMARY)


class _Progress:
    """A rich progress bar with kept / rejected / failed counts and the teacher's tokens and cost."""

    def __init__(self, enabled: bool, label: str, total: int | None) -> None:
        self.enabled = enabled
        self.label = label
        self.total = total
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[info]}"),
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(self.label, total=self.total, info="")
        return self

    def update(self, s: AnnotateSummary) -> None:
        if self._progress is None:
            return
        info = f"kept {s.kept}  rejected {s.rejected}"
        if s.failed:
            info += f"  failed {len(s.failed)}"
        if s.usage:
            info += f"  tokens {s.usage['prompt_tokens'] + s.usage['completion_tokens']:,}  ${s.usage['cost']:.4f}"
            if s.usage.get("cached"):
                info += f"  cached {s.usage['cached']}"
        self._progress.update(
            self._task, completed=s.kept + s.rejected + len(s.failed) + s.skipped, info=info
        )

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
