"""``lumos data stats DIR``: how many items each source kept and dropped after verification, and why.

``DIR`` is a folder written by ``lumos annotate`` (``annotations.jsonl`` and ``rejected.jsonl``) or a folder of
such folders (``runs/annotations/<source>/``). A folder written by ``lumos data build`` shows its manifest.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lumos.errors import ConfigError
from lumos.records import read_json, read_jsonl, skip_with_note


@dataclass
class SourceStats:
    source: str
    kept: int = 0
    dropped: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    failed: int = 0  # teacher requests that failed and are not written yet

    @property
    def kept_fraction(self) -> float:
        total = self.kept + self.dropped
        return self.kept / total if total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kept": self.kept,
            "dropped": self.dropped,
            "kept_fraction": round(self.kept_fraction, 4),
            "reasons": dict(self.reasons.most_common()),
            "failed_requests": self.failed,
        }


def _lines(path: Path) -> list[dict[str, Any]]:
    """The records of an annotation file (none when it is missing); a damaged line is skipped with a note."""
    return list(read_jsonl(path, "annotation file", on_bad=skip_with_note)) if path.exists() else []


def annotation_dirs(root: Path) -> list[Path]:
    if (root / "annotations.jsonl").exists() or (root / "rejected.jsonl").exists():
        return [root]
    found = sorted(
        {p.parent for p in root.glob("*/annotations.jsonl")}
        | {p.parent for p in root.glob("*/rejected.jsonl")}
    )
    if not found:
        raise ConfigError(f"{root}: no annotations.jsonl or rejected.jsonl here or in its sub-folders")
    return found


def collect(root: str | Path) -> list[SourceStats]:
    """Per-source counts over every annotation folder under ``root``."""
    stats: dict[str, SourceStats] = defaultdict(lambda: SourceStats(""))
    for folder in annotation_dirs(Path(root)):
        done: set[str] = set()
        folder_source = folder.name
        for rec in _lines(folder / "annotations.jsonl"):
            folder_source = str(rec.get("source") or folder.name)
            s = stats[folder_source]
            s.kept += 1
            done.add(str(rec.get("id")))
        for rec in _lines(folder / "rejected.jsonl"):
            folder_source = str(rec.get("source") or folder.name)
            s = stats[folder_source]
            s.dropped += 1
            s.reasons[str(rec.get("reason") or "unknown")] += 1
            done.add(str(rec.get("id")))
        failed = {str(r.get("id")) for r in _lines(folder / "errors.jsonl")} - done
        if failed:
            stats[folder_source].failed += len(failed)
    for name, s in stats.items():
        s.source = name
    return sorted(stats.values(), key=lambda s: s.source)


def print_stats(root: str | Path, as_json: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table

    path = Path(root)
    console = Console()
    if (path / "manifest.json").is_file():
        manifest = read_json(path / "manifest.json", "a data build manifest", expect=dict)
        if as_json:
            print(json.dumps(manifest, indent=2))
            return
        table = Table(title=f"training data in {path}")
        for col in ("file", "conversations"):
            table.add_column(col)
        for name, n in manifest.get("files", {}).items():
            table.add_row(name, str(n))
        console.print(table)
        for key in ("train", "heldout", "duplicates", "excluded", "invalid", "unsupported_domain"):
            if manifest.get(key):
                console.print(f"[bold]{key}[/bold]: {manifest[key]}")
        return
    rows = collect(path)
    if as_json:
        print(json.dumps([r.as_dict() for r in rows], indent=2))
        return
    table = Table(title=f"annotations in {path}")
    for col in ("source", "kept", "dropped", "kept %", "drop reasons"):
        table.add_column(col, justify="right" if col in ("kept", "dropped", "kept %") else "left")
    total = SourceStats("total")
    for r in rows:
        reasons = ", ".join(f"{k} {v}" for k, v in r.reasons.most_common())
        if r.failed:
            reasons += f" (+{r.failed} failed requests, retried on a re-run)"
        table.add_row(r.source, str(r.kept), str(r.dropped), f"{100 * r.kept_fraction:.1f}", reasons)
        total.kept += r.kept
        total.dropped += r.dropped
        total.reasons.update(r.reasons)
    if len(rows) > 1:
        table.add_row(
            "[bold]total",
            str(total.kept),
            str(total.dropped),
            f"{100 * total.kept_fraction:.1f}",
            ", ".join(f"{k} {v}" for k, v in total.reasons.most_common()),
        )
    console.print(table)
