"""Teacher-free converters: gold reasoning -> annotations in the unified format, by rule.

Each domain's sources name their converter (``register_source(..., converter="module:function")``): e.g.
GSM8K's ``<<expr=value>>`` steps become ``Calculator`` actions, FanOutQA's decomposition trees become
``KnowledgeQuery`` / ``ParagraphRetrieve`` / ``QA`` chains, Mind2Web's recorded actions become ``CLICK`` /
``TYPE`` / ``SELECT`` kept where replay picks the target. :mod:`lumos.annotate.convert.common` holds what
converters share.

A converter raises :class:`ConversionError` (with a reason code) when the gold data cannot be converted;
it never changes gold data to make it fit. Whether the result is right is for :mod:`lumos.annotate.verify`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from lumos.annotate.convert.common import ConversionError
from lumos.annotate.sources import SourceItem, all_sources
from lumos.errors import ConfigError
from lumos.format.types import Annotation
from lumos.registry import load_attr


def converter_names() -> list[str]:
    """The sources that have a teacher-free converter."""
    return sorted(name for name, spec in all_sources().items() if spec.converter)


def get_converter(source: str) -> Callable[..., Annotation]:
    spec = all_sources().get(source)
    if spec is None or not spec.converter:
        raise ConfigError(
            f"source {source!r} has no teacher-free converter; give a teacher model (--teacher), or use "
            f"one of: {', '.join(converter_names())}"
        )
    converter: Callable[..., Annotation] = load_attr(spec.converter)
    return converter


def convert(item: SourceItem, **options: Any) -> Annotation:
    """Convert with the teacher-free converter of the item's source; ``options`` go to a converter that takes
    them (e.g. Mind2Web's ``ranker``), the others are not given them."""
    converter = get_converter(item.source)
    if options:
        accepted = inspect.signature(converter).parameters
        options = {k: v for k, v in options.items() if k in accepted}
    return converter(item, **options)


__all__ = ["ConversionError", "convert", "converter_names", "get_converter"]
