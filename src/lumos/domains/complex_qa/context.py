"""What the complex-QA tools pass around and read: :class:`Passages` (paragraphs with their titles), context
arguments (``[R1, R2]``, a variable, or text) and page sources by name."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, overload

from lumos.errors import ConfigError
from lumos.format.parse import split_args
from lumos.retrieval.types import Page, PageSource, Paragraph, split_paragraphs
from lumos.tools.base import ExecutionContext

_VARIABLE = re.compile(r"^(R\d+|Output)$")


# --------------------------------------------------------------------------------------------- values


@dataclass(frozen=True, eq=True)
class Passages(Sequence[Paragraph]):
    """Paragraphs with their page titles: what ``KnowledgeQuery`` and ``ParagraphRetrieve`` return.

    ``str()`` is the compact form shown to the planner (``preview="first"``: each page's title and first
    paragraph, clipped; ``"all"``: every paragraph, clipped); :meth:`full_text` has everything.
    """

    items: tuple[Paragraph, ...]
    query: str = ""
    preview: Literal["first", "all"] = "all"
    clip_chars: int = 400

    @overload
    def __getitem__(self, i: int) -> Paragraph: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Paragraph]: ...
    def __getitem__(self, i: int | slice) -> Paragraph | Sequence[Paragraph]:
        return self.items[i]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Paragraph]:
        return iter(self.items)

    @property
    def titles(self) -> list[str]:
        return list(dict.fromkeys(p.title for p in self.items))

    def full_text(self) -> str:
        return "\n".join(p.render() for p in self.items)

    def __str__(self) -> str:
        if not self.items:
            return "(nothing found)"
        if self.preview == "all":
            return "\n".join(p.render(self.clip_chars) for p in self.items)
        lines = []
        for title in self.titles:
            paras = [p for p in self.items if p.title == title]
            more = f" (+{len(paras) - 1} more paragraphs)" if len(paras) > 1 else ""
            lines.append(f"{paras[0].render(self.clip_chars)}{more}")
        return "\n".join(lines)


def _as_text(value: Any) -> str:
    """How a variable's value reads inside a literal context."""
    return value.full_text() if isinstance(value, Passages) else str(value)


def paragraphs_of(value: Any) -> list[Paragraph]:
    """The paragraphs in a variable's value: Passages, a Page, a Paragraph, text, or a list of these."""
    if isinstance(value, Passages):
        return list(value.items)
    if isinstance(value, Page):
        return value.paragraph_objects()
    if isinstance(value, Paragraph):
        return [value]
    if isinstance(value, (list, tuple)):
        return [p for item in value for p in paragraphs_of(item)]
    if value is None:
        return []
    return [Paragraph("", text, 0.0, i) for i, text in enumerate(split_paragraphs(str(value)))]


# ------------------------------------------------------------------------------------------- arguments


def unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1].strip()
    return text


def _is_context(text: str) -> bool:
    text = text.strip()
    return bool(_VARIABLE.match(text)) or (text.startswith("[") and text.endswith("]"))


def split_context(args: str, marker: str) -> tuple[str, str]:
    """``"[R2], Question: Who ...?"`` -> (``"[R2]"``, ``"Who ...?"``). Without the marker the first top-level
    comma separates them; a single argument is the context if it looks like one, else the question."""
    m = re.search(rf"(?i)(?:^|[\s,(\[])({marker})\s*:", args)
    if m:
        return args[: m.start(1)].strip().rstrip(",").strip(), args[m.end() :].strip()
    parts = split_args(args, maxsplit=1)
    if len(parts) == 2:
        return parts[0], parts[1]
    return (parts[0], "") if _is_context(parts[0]) else ("", parts[0])


def resolve_context(text: str, ctx: ExecutionContext) -> list[Paragraph]:
    """A context argument -> paragraphs: ``R2``, ``[R2, R3]``, or literal text (variables in it substituted)."""
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1].strip()
    items = [i for i in split_args(text) if i] if text else []
    if items and all(_VARIABLE.match(i) for i in items):
        return [p for name in items for p in paragraphs_of(ctx.lookup(name))]
    literal = unquote(ctx.substitute_text(text, render=_as_text)) if text else ""
    return paragraphs_of(literal)


def text_argument(text: str, ctx: ExecutionContext) -> str:
    return " ".join(unquote(ctx.substitute_text(text.strip())).split())


# ----------------------------------------------------------------------------------------- page sources

_SOURCES: dict[str, PageSource] = {}
_SOURCES_LOCK = threading.Lock()


def resolve_source(spec: Any) -> PageSource:
    """The ``index`` option -> a page source. None/``"default"``: the built-in summaries index."""
    from lumos.retrieval import index as index_module

    if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("default", "ovos", "")):
        return index_module.default_index()
    if isinstance(spec, str) and spec.strip().lower() in ("mediawiki", "wikipedia"):
        with _SOURCES_LOCK:
            if "mediawiki" not in _SOURCES:
                from lumos.retrieval.mediawiki import MediaWikiSource

                _SOURCES["mediawiki"] = MediaWikiSource()
            return _SOURCES["mediawiki"]
    if isinstance(spec, (str, Path)):
        return index_module.open_index(spec)
    if isinstance(spec, PageSource):
        return spec
    raise ConfigError(
        f"the index option must be an index directory, 'default', 'mediawiki' or an object with "
        f"search_pages() and get_page(); got {type(spec).__name__}"
    )
