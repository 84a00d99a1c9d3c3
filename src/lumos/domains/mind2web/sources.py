"""The Mind2Web annotation source (recorded actions, converted teacher-free by replay)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lumos.annotate.sources import SourceItem, register_source, source_records, stable_id


@register_source(
    "mind2web",
    "web",
    "Mind2Web JSON (confirmed_task, action_reprs / actions)",
    hub=("osunlp/Mind2Web", None, "train"),
    converter="lumos.domains.mind2web.convert:convert_mind2web",
)
def load_mind2web(path: Path | None, limit: int | None, seed: int) -> Iterator[SourceItem]:
    for rec in source_records("mind2web", path, "a Mind2Web train_*.json file"):
        task = str(rec.get("confirmed_task", rec.get("task", ""))).strip()
        if not task:
            continue
        reprs = [str(r) for r in rec.get("action_reprs") or []]
        ops = []
        for act in rec.get("actions") or []:
            op = act.get("operation") or {}
            ops.append({"op": str(op.get("op", "")).upper(), "value": str(op.get("value", ""))})
        website = str(rec.get("website", "")).strip()
        yield SourceItem(
            str(rec.get("annotation_id") or stable_id("mind2web", task)),
            task,
            "\n".join(reprs),
            reprs[-1] if reprs else "",
            "mind2web",
            "web",
            meta={"action_reprs": reprs, "operations": ops, "website": website, "record": rec},
        )
