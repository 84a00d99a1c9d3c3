"""One item -> what the annotation run writes for it: the unit of work, here or on a Ray worker.

An :class:`Outcome` is ``kept`` (the verified annotation, for ``annotations.jsonl``), ``rejected`` (the
item with its reason, for ``rejected.jsonl``) or ``failed`` (a teacher request that failed, for
``errors.jsonl``; the item is tried again on a re-run).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from lumos.annotate.convert import ConversionError, convert
from lumos.annotate.sources import SourceItem
from lumos.annotate.teacher import TeacherError, TeacherReply, to_annotation
from lumos.annotate.verify import Verdict, Verifier


@dataclass
class Outcome:
    kind: str  # "kept" | "rejected" | "failed"
    id: str
    record: dict[str, Any]


def judged(
    item: SourceItem,
    verdict: Verdict | None,
    reason: str = "",
    message: str = "",
    extra: dict[str, Any] | None = None,
) -> Outcome:
    """Kept when ``verdict`` passed; else rejected, with the verdict's reason (or ``reason``)."""
    if verdict is not None and verdict.ok:
        return Outcome("kept", item.id, verdict.annotation.model_dump())
    record: dict[str, Any] = {
        "id": item.id,
        "source": item.source,
        "domain": item.domain,
        "task": item.task,
        "answer": item.answer,
        "reason": verdict.reason if verdict else reason,
        "message": verdict.message if verdict else message,
    }
    if verdict is not None:
        record["annotation"] = verdict.annotation.model_dump(exclude={"task", "answer", "id"})
    record.update(extra or {})
    return Outcome("rejected", item.id, record)


def converted(item: SourceItem, verifier: Verifier, convert_options: dict[str, Any] | None = None) -> Outcome:
    """The teacher-free path: the source's converter, then verification."""
    try:
        annotation = convert(item, **(convert_options or {}))
    except ConversionError as exc:
        return judged(item, None, exc.reason, str(exc))
    return judged(item, verifier.verify(annotation))


def from_reply(reply: TeacherReply, verifier: Verifier) -> Outcome:
    """The teacher path: the teacher's reply read back, then verification."""
    item = reply.item
    try:
        annotation = to_annotation(reply)
    except TeacherError as exc:
        return Outcome("failed", item.id, {"id": item.id, "source": item.source, "error": str(exc), "time": time.time()})
    except ConversionError as exc:
        return judged(item, None, exc.reason, str(exc), {"teacher_output": reply.text})
    return judged(item, verifier.verify(annotation))
