"""Mind2Web converter: recorded actions as CLICK / TYPE / SELECT, kept where replay picks the target."""

from __future__ import annotations

from typing import Any

from lumos.annotate.convert.common import ConversionError
from lumos.annotate.sources import SourceItem
from lumos.format.types import Annotation


def convert_mind2web(item: SourceItem, ranker: Any = None) -> Annotation:
    """Mind2Web gold actions -> one subgoal and one CLICK / TYPE / SELECT each (the web tools' grammar),
    verified by replay on the recorded pages with ``ranker`` (default: the dense one): see
    :mod:`lumos.domains.mind2web.annotate`."""
    from lumos.domains.mind2web.annotate import ReplayRejected, annotate_task
    from lumos.domains.mind2web.tasks import parse_task
    from lumos.errors import ConfigError

    record = item.meta.get("record") or {}
    if not item.meta.get("action_reprs"):
        raise ConversionError("no_steps", "the item has no recorded actions")
    if not any(isinstance(a, dict) and a.get("cleaned_html") for a in record.get("actions") or []):
        raise ConversionError(
            "no_pages", "replay needs the recorded pages (actions with cleaned_html and candidates)"
        )
    try:
        task = parse_task(record, f"Mind2Web task {item.id}")
        ann = annotate_task(task, ranker)
    except ConfigError as exc:
        raise ConversionError("malformed_gold", str(exc)) from exc
    except ReplayRejected as exc:
        raise ConversionError(exc.reason, str(exc)) from exc
    except ValueError as exc:
        raise ConversionError("unparseable_step", str(exc)) from exc
    return ann.model_copy(update={"id": item.id, "source": item.source})
