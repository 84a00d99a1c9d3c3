"""Building a search index: pages streamed into SQLite FTS5 tables in batched transactions, in a temporary
directory renamed into place when complete (see :mod:`lumos.retrieval.index` for the design)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lumos.errors import ConfigError
from lumos.retrieval.fts import DB_NAME, TOKENIZER, Manifest, check_fts5
from lumos.retrieval.types import Page, as_document

_SCHEMA = f"""
CREATE TABLE pages (id INTEGER PRIMARY KEY, title TEXT NOT NULL, n_paragraphs INTEGER NOT NULL);
CREATE TABLE paragraphs (id INTEGER PRIMARY KEY, page_id INTEGER NOT NULL, pos INTEGER NOT NULL, text TEXT NOT NULL);
CREATE VIRTUAL TABLE title_fts USING fts5(title, content='', tokenize='{TOKENIZER}');
CREATE VIRTUAL TABLE paragraph_fts USING fts5(text, content='', tokenize='{TOKENIZER}');
"""
_INDEXES = """
CREATE INDEX pages_title ON pages(title COLLATE NOCASE);
CREATE INDEX paragraphs_page ON paragraphs(page_id, pos);
"""


class IndexBuilder:
    """Streams pages into a new index directory; use as a context manager.

    Pages are inserted in transactions of ``batch_size`` pages, so memory stays flat whatever the corpus
    size. The index is built in a temporary directory next to ``out`` and renamed to ``out`` when the
    ``with`` block ends without an exception; on an exception nothing is left behind.

    >>> with IndexBuilder(out, source="my.jsonl") as builder:      # doctest: +SKIP
    ...     builder.add("Eiffel Tower", ["The Eiffel Tower is ...", "..."])
    """

    def __init__(
        self,
        out: str | Path,
        *,
        source: str,
        overwrite: bool = False,
        batch_size: int = 1000,
        optimize: bool = True,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.out = Path(out)
        self.source = source
        self.overwrite = overwrite
        self.batch_size = max(1, batch_size)
        self.optimize = optimize
        self.extra = dict(extra or {})
        self.documents = 0
        self.paragraphs = 0
        self._pending: list[tuple[str, list[str]]] = []
        self._tmp: Path | None = None
        self._conn: sqlite3.Connection | None = None
        self._started = 0.0

    def __enter__(self) -> IndexBuilder:
        if self.out.exists() and not self.overwrite:
            raise ConfigError(f"{self.out} already exists; pass overwrite=True (--overwrite) to replace it")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.building-", dir=self.out.parent))
        self._conn = sqlite3.connect(self._tmp / DB_NAME)
        check_fts5(self._conn)
        self._conn.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-65536;" + _SCHEMA
        )
        self._started = time.perf_counter()
        return self

    def add(self, title: str, paragraphs: Sequence[str]) -> None:
        """Queue one page (skipped if it has no title or no paragraph); a full batch is written at once."""
        title = " ".join(title.split())
        paragraphs = [p for p in paragraphs if p.strip()]
        if not title or not paragraphs:
            return
        self._pending.append((title, list(paragraphs)))
        if len(self._pending) >= self.batch_size:
            self._flush()

    def add_documents(self, documents: Iterable[Mapping[str, Any] | Page]) -> None:
        for doc in documents:
            self.add(*as_document(doc))

    def _flush(self) -> None:
        if not self._pending:
            return
        assert self._conn is not None, "IndexBuilder is used outside its with block"
        conn = self._conn
        page_rows, title_rows, para_rows, para_fts_rows = [], [], [], []
        next_para = self.paragraphs + 1
        for title, paragraphs in self._pending:
            self.documents += 1
            page_id = self.documents
            page_rows.append((page_id, title, len(paragraphs)))
            title_rows.append((page_id, title))
            for pos, text in enumerate(paragraphs):
                para_rows.append((next_para, page_id, pos, text))
                para_fts_rows.append((next_para, f"{title}\n{text}"))
                next_para += 1
        self.paragraphs = next_para - 1
        with conn:
            conn.executemany("INSERT INTO pages(id, title, n_paragraphs) VALUES (?, ?, ?)", page_rows)
            conn.executemany("INSERT INTO title_fts(rowid, title) VALUES (?, ?)", title_rows)
            conn.executemany("INSERT INTO paragraphs(id, page_id, pos, text) VALUES (?, ?, ?, ?)", para_rows)
            conn.executemany("INSERT INTO paragraph_fts(rowid, text) VALUES (?, ?)", para_fts_rows)
        self._pending.clear()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None:
                self._finish()
        finally:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self._tmp is not None and self._tmp.exists():
                shutil.rmtree(self._tmp, ignore_errors=True)

    def _finish(self) -> None:
        assert self._conn is not None and self._tmp is not None
        self._flush()
        if self.documents == 0:
            raise ConfigError(f"no documents with a title and text were read from {self.source}")
        conn = self._conn
        conn.executescript(_INDEXES)
        if self.optimize:
            conn.execute("INSERT INTO title_fts(title_fts) VALUES ('optimize')")
            conn.execute("INSERT INTO paragraph_fts(paragraph_fts) VALUES ('optimize')")
        conn.commit()
        conn.close()
        self._conn = None
        manifest = Manifest(
            source=self.source,
            documents=self.documents,
            paragraphs=self.paragraphs,
            built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            build_seconds=round(time.perf_counter() - self._started, 3),
            extra=self.extra,
        )
        manifest.save(self._tmp)
        _move_into_place(self._tmp, self.out, replace=self.overwrite)
        self.manifest = manifest


def _move_into_place(tmp: Path, out: Path, *, replace: bool) -> None:
    """Rename the finished ``tmp`` directory to ``out`` (an existing ``out`` is swapped out first if
    ``replace``). If another process put an index there first, ``FileExistsError`` is raised."""
    old: Path | None = None
    if out.exists() and replace:
        old = out.with_name(f".{out.name}.old-{os.getpid()}-{time.monotonic_ns()}")
        out.rename(old)
    try:
        os.rename(tmp, out)
    except OSError as exc:
        if old is not None:
            old.rename(out)
        raise FileExistsError(f"{out} appeared while the index was being built") from exc
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build_index(
    documents: Iterable[Mapping[str, Any] | Page],
    out: str | Path,
    *,
    source: str,
    overwrite: bool = False,
    batch_size: int = 1000,
    optimize: bool = True,
    extra: Mapping[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Manifest:
    """Build an index at ``out`` from ``{"title", "text"}`` documents (any iterable: it is streamed).

    ``progress`` is called with the number of documents read so far after every batch.
    """
    with IndexBuilder(
        out, source=source, overwrite=overwrite, batch_size=batch_size, optimize=optimize, extra=extra
    ) as builder:
        for n, doc in enumerate(documents, 1):
            builder.add(*as_document(doc))
            if progress is not None and n % builder.batch_size == 0:
                progress(n)
    return builder.manifest
