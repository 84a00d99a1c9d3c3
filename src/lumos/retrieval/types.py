"""Value types shared by the search index, the MediaWiki source and the complex-QA tools."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from lumos.errors import ConfigError


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a page, with the page's title and a retrieval score (higher is better)."""

    title: str
    text: str
    score: float = 0.0
    position: int = 0

    def render(self, limit: int | None = None) -> str:
        text = clip(self.text, limit) if limit else self.text
        return f"{self.title}: {text}" if self.title else text


@dataclass(frozen=True)
class Page:
    """A page: its title, its paragraphs in order, and a retrieval score (higher is better)."""

    title: str
    paragraphs: tuple[str, ...]
    score: float = 0.0

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    def paragraph_objects(self) -> list[Paragraph]:
        return [Paragraph(self.title, p, self.score, i) for i, p in enumerate(self.paragraphs)]


@runtime_checkable
class PageSource(Protocol):
    """Anything that finds pages for a query: the local :class:`~lumos.retrieval.index.SearchIndex`, the
    :class:`~lumos.retrieval.mediawiki.MediaWikiSource`, or a user's own."""

    def search_pages(self, query: str, k: int = 5) -> list[Page]: ...

    def get_page(self, title: str) -> Page | None: ...


def split_paragraphs(text: str | Sequence[Any]) -> list[str]:
    """A page's text as a list of non-empty paragraphs.

    ``text`` is a string (paragraphs separated by newlines), a list of paragraph strings, or a list of
    paragraphs that are lists of sentences (HotpotQA's abstracts). Whitespace inside a paragraph is collapsed.
    """
    if isinstance(text, str):
        pieces: Iterable[Any] = text.split("\n")
    elif isinstance(text, Sequence):
        pieces = [p for item in text for p in (item.split("\n") if isinstance(item, str) else [_join(item)])]
    else:
        raise ConfigError(
            f"a page's text must be a string or a list of paragraphs, not {type(text).__name__}"
        )
    out = []
    for piece in pieces:
        para = " ".join(str(piece).split())
        if para:
            out.append(para)
    return out


def as_document(doc: Mapping[str, Any] | Page) -> tuple[str, list[str]]:
    """``{"title", "text"}`` (text a string or list) or a :class:`Page` -> (title, paragraphs)."""
    if isinstance(doc, Page):
        return doc.title, list(doc.paragraphs)
    try:
        title, text = doc["title"], doc["text"]
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"a document needs 'title' and 'text', got {_keys(doc)}") from exc
    return " ".join(str(title).split()), split_paragraphs(text)


def clip(text: str, limit: int | None) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with '...' when cut."""
    if limit is None or len(text) <= limit:
        return text
    cut = text[: max(0, limit - 3)]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:") + "..."


def _join(sentences: Any) -> str:
    if isinstance(sentences, Sequence) and not isinstance(sentences, str):
        return " ".join(str(s).strip() for s in sentences)
    return str(sentences)


def _keys(doc: Any) -> str:
    return f"keys {sorted(doc)}" if isinstance(doc, Mapping) else type(doc).__name__
